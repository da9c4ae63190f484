"""tinytorch.utils.checkpoint, as torch.utils.checkpoint: recompute a segment in backward instead of keeping
its activations (module 17 writes it in tinytorch/core/acceleration.py)."""
from tinytorch.core.acceleration import checkpoint

__all__ = ["checkpoint"]
