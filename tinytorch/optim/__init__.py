"""tinytorch.optim, as torch.optim: the optimizers (module 07) and their learning-rate schedulers (module 08)."""
from tinytorch.core.optimizers import SGD, Adam, AdamW, Optimizer
from tinytorch.optim import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler"]
