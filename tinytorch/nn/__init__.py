"""tinytorch.nn, like torch.nn (being filled in: layers, containers, activations, losses)."""
from tinytorch.nn import utils

__all__ = ["utils"]
