"""tinytorch.nn.utils, as torch.nn.utils: gradient clipping (module 08) and the pruning tools in
tinytorch.nn.utils.prune (module 16)."""
from tinytorch.core.training import clip_grad_norm_
from tinytorch.nn.utils import prune  # noqa: F401 (module 16: tinytorch.nn.utils.prune, as torch.nn.utils.prune)

__all__ = ["clip_grad_norm_"]
