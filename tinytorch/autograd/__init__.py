"""tinytorch.autograd, like torch.autograd: the gradient-mode switches (the engine is module 06's,
tinytorch/core/autograd.py)."""
from tinytorch.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]
