"""tinytorch.utils, as torch.utils: the data-loading tools live in tinytorch.utils.data."""
from tinytorch.utils import data

__all__ = ["data"]
