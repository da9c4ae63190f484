"""tinytorch: a PyTorch-compatible deep-learning framework built from first principles on numpy.

Each course module exports its reference code into tinytorch/core/; this file gathers the public API.
"""
from tinytorch.core.tensor import Tensor
from tinytorch.random import manual_seed

__version__ = "0.1.0"
__all__ = ["Tensor", "manual_seed"]
