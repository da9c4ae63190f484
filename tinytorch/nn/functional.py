"""tinytorch.nn.functional: the layers, activations and losses as plain functions, as torch.nn.functional.

Each function runs the Module of the same name (`relu(x)` is `ReLU()(x)`), so there is one implementation
of each computation and gradients flow through it once module 06's autograd is on (`import tinytorch`
switches it on). `log_softmax` is written with Tensor operations, which autograd tracks too; `linear` and
`scaled_dot_product_attention` are module 17's fused nodes.
"""
import numpy as np

from tinytorch.core.activations import GELU, ReLU, Sigmoid, Softmax, Tanh
from tinytorch.core.layers import Dropout
from tinytorch.core.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from tinytorch.core.tensor import Tensor
from tinytorch.core.embeddings import embedding
from tinytorch.core.transformers import layer_norm
from tinytorch.core.convolutions import avg_pool2d, batch_norm, conv2d, max_pool2d
from tinytorch.core.acceleration import linear, scaled_dot_product_attention  # module 17: fused nodes

__all__ = ["relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax", "cross_entropy", "mse_loss",
           "binary_cross_entropy_with_logits", "linear", "dropout",
           "conv2d", "max_pool2d", "avg_pool2d", "batch_norm",  # module 09
           "embedding", "scaled_dot_product_attention", "layer_norm"]  # modules 11, 12 and 13


def _require_tensor(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() expects a Tensor as input, got {type(input).__name__}; wrap it: Tensor(x)")


def relu(input):
    """max(input, 0) element-wise (nn.ReLU)."""
    return ReLU()(input)


def sigmoid(input):
    """1 / (1 + exp(-input)) element-wise, without overflow (nn.Sigmoid)."""
    return Sigmoid()(input)


def tanh(input):
    """tanh(input) element-wise (nn.Tanh)."""
    return Tanh()(input)


def gelu(input, approximate="none"):
    """input * Phi(input): exact with approximate='none', the tanh formula with 'tanh' (nn.GELU)."""
    return GELU(approximate=approximate)(input)


def softmax(input, dim):
    """exp(input) / sum(exp(input)) along `dim`, stable for any logits (nn.Softmax). `dim` is required:
    PyTorch's implicit choice when it is left out is deprecated."""
    return Softmax(dim=dim)(input)


def log_softmax(input, dim):
    """log(softmax(input)) along `dim` via log-sum-exp: input - max - log(sum(exp(input - max))).

    The row maximum is a constant (a Tensor without gradient): log-sum-exp is the same for any shift,
    so its gradient, softmax(input), does not depend on it.
    """
    _require_tensor(input, "log_softmax")
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"log_softmax(): dim must be an int, got {dim!r}")
    if not -input.ndim <= dim < input.ndim:
        raise IndexError(f"log_softmax(dim={dim}): dim is out of range for a tensor of shape {input.shape}")
    shifted = input - Tensor(np.max(input.data, axis=dim, keepdims=True), dtype=input.dtype)
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


def cross_entropy(input, target, reduction="mean"):
    """Cross-entropy of logits (N, C) against class indices (N,) (nn.CrossEntropyLoss)."""
    return CrossEntropyLoss(reduction=reduction)(input, target)


def mse_loss(input, target, reduction="mean"):
    """Mean squared error between input and a target of the same shape (nn.MSELoss)."""
    return MSELoss(reduction=reduction)(input, target)


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    """Binary cross-entropy of logits against targets in [0, 1], sigmoid fused in (nn.BCEWithLogitsLoss)."""
    return BCEWithLogitsLoss(reduction=reduction)(input, target)


def dropout(input, p=0.5, training=True):
    """Zero each element with probability p and scale the rest by 1/(1-p) when training (nn.Dropout);
    the input unchanged when not training."""
    return Dropout(p).train(training)(input)

