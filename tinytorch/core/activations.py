"""Generated from content/02_activations.py by scripts/build_content.py: edit the source, not this file."""
# From content/02_activations.py, cell 2 (Part 1 · Why non-linearity: ReLU)
import math

import numpy as np

from tinytorch.core.layers import Module  # module 03 builds it; an activation only adds forward
from tinytorch.core.tensor import Tensor

__all__ = ["ReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "erf"]


def _require_tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} expects a Tensor, got {type(x).__name__}; wrap it: {name}()(Tensor(x))")


def _like(result, x):
    """A new Tensor holding `result`, with x's dtype when x is floating (float32 otherwise)."""
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32
    return Tensor(np.asarray(result, dtype=dtype), dtype=dtype)


class ReLU(Module):
    """max(x, 0) element-wise, as torch.nn.ReLU."""

    def forward(self, input):
        _require_tensor(input, "ReLU")
        return _like(np.maximum(input.data, 0), input)


# From content/02_activations.py, cell 6 (Part 2 · Sigmoid, and the overflow of `exp`)
class Sigmoid(Module):
    """1 / (1 + exp(-x)) element-wise, computed without overflow for any x, as torch.nn.Sigmoid."""

    def forward(self, input):
        _require_tensor(input, "Sigmoid")
        z = np.exp(-np.abs(input.data))
        return _like(np.where(input.data >= 0, 1 / (1 + z), z / (1 + z)), input)


# From content/02_activations.py, cell 10 (Part 3 · Tanh)
class Tanh(Module):
    """tanh(x) element-wise, as torch.nn.Tanh."""

    def forward(self, input):
        _require_tensor(input, "Tanh")
        return _like(np.tanh(input.data), input)


# From content/02_activations.py, cell 14 (Part 4 · GELU and the error function)
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)  # a1 ... a5


def erf(x):
    """The error function of a numpy array, element-wise (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7)."""
    x = np.asarray(x)
    a = np.minimum(np.abs(x), 6.0)
    t = 1 / (1 + _ERF_P * a)
    poly = 0.0
    for coefficient in reversed(_ERF_A):
        poly = t * (coefficient + poly)
    return np.sign(x) * (1 - poly * np.exp(-a * a))


# From content/02_activations.py, cell 18 (GELU, exact and approximate)
class GELU(Module):
    """x * Phi(x), exact via erf (approximate='none', the default) or the tanh formula, as torch.nn.GELU."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        _require_tensor(input, "GELU")
        v = input.data
        if self.approximate == "tanh":
            result = 0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v * v * v)))
        else:
            result = 0.5 * v * (1 + erf(v / math.sqrt(2)))
        return _like(result, input)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


# From content/02_activations.py, cell 22 (Part 5 · Softmax)
class Softmax(Module):
    """exp(x) / sum(exp(x)) along `dim`, with the row maximum subtracted first, as torch.nn.Softmax."""

    def __init__(self, dim=-1):
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"Softmax: dim must be an int, got {dim!r} ({type(dim).__name__})")
        self.dim = dim

    def forward(self, input):
        _require_tensor(input, "Softmax")
        if not -input.ndim <= self.dim < input.ndim:
            raise IndexError(f"Softmax(dim={self.dim}): dim is out of range for a tensor of shape {input.shape}")
        shifted = input.data - np.max(input.data, axis=self.dim, keepdims=True)
        exps = np.exp(shifted)
        return _like(exps / np.sum(exps, axis=self.dim, keepdims=True), input)

    def extra_repr(self):
        return f"dim={self.dim}"
