"""tinytorch.utils, as torch.utils: the data-loading tools live in tinytorch.utils.data, gradient checkpointing
in tinytorch.utils.checkpoint."""
from tinytorch.utils import checkpoint, data

__all__ = ["data", "checkpoint"]
