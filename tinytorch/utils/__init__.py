"""tinytorch.utils, as torch.utils: the data-loading tools live in tinytorch.utils.data, gradient checkpointing
in tinytorch.utils.checkpoint, the timing harness in tinytorch.utils.benchmark (module 19)."""
from tinytorch.utils import benchmark, checkpoint, data

__all__ = ["data", "checkpoint", "benchmark"]
