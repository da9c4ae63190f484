"""tinytorch.optim.lr_scheduler, as torch.optim.lr_scheduler; the schedulers are taught in module 08."""
from tinytorch.core.training import CosineAnnealingLR, LinearLR, LRScheduler, SequentialLR

__all__ = ["LRScheduler", "CosineAnnealingLR", "LinearLR", "SequentialLR"]
