"""tinytorch.utils, as torch.utils: the data-loading tools live in tinytorch.utils.data, the timing harness in
tinytorch.utils.benchmark (module 19)."""
from tinytorch.utils import benchmark, data

__all__ = ["data", "benchmark"]
