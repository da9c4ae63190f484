"""tinytorch.nn.utils, as torch.nn.utils: gradient clipping (taught in module 08)."""
from tinytorch.core.training import clip_grad_norm_

__all__ = ["clip_grad_norm_"]
