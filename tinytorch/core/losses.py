"""Generated from content/04_losses.py by scripts/build_content.py: edit the source, not this file."""
# From content/04_losses.py, cell 2 (Part 1 · Mean squared error and the reduction argument)
import numpy as np

from tinytorch.core.layers import Module  # module 03: a loss is a Module without parameters
from tinytorch.core.tensor import Tensor

__all__ = ["MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss", "log_softmax"]

REDUCTIONS = ("mean", "sum", "none")


def _require_float_tensor(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name} expects a Tensor as input, got {type(input).__name__}")
    if not np.issubdtype(input.dtype, np.floating):
        raise TypeError(f"{name} expects floating-point predictions, got dtype {input.dtype}")


def _target_array(target, input, name):
    """The target as a numpy array of exactly input's shape (a Tensor, array or list is accepted)."""
    values = np.asarray(target.data if isinstance(target, Tensor) else target)
    if values.shape != input.shape:
        raise ValueError(f"{name}: input shape {input.shape} and target shape {values.shape} differ; "
                         "they must be equal (reshape one of them, broadcasting here would be a silent bug)")
    return values.astype(input.dtype)


class _Loss(Module):
    """What every loss shares: the reduction argument and the final reduction (Module gives __call__)."""

    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def _reduce(self, losses, input):
        """Reduce the numpy array of per-element losses as self.reduction says; a Tensor with input's dtype."""
        if self.reduction == "mean":
            losses = losses.mean()
        elif self.reduction == "sum":
            losses = losses.sum()
        return Tensor(losses, dtype=input.dtype)


class MSELoss(_Loss):
    """Mean squared error between predictions and targets of the same shape, as torch.nn.MSELoss."""

    def forward(self, input, target):
        _require_float_tensor(input, "MSELoss")
        target = _target_array(target, input, "MSELoss")
        difference = input.data - target
        return self._reduce(difference * difference, input)


# From content/04_losses.py, cell 6 (Part 2 · log-softmax and the log-sum-exp trick)
def log_softmax(x, dim=-1):
    """log(softmax(x)) along `dim` of a numpy array, via log-sum-exp: finite for any finite logits."""
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


# From content/04_losses.py, cell 10 (Part 3 · Cross-entropy for classification)
def _class_targets(target, input):
    """Validated class indices (int64, shape (N,)) for logits `input` of shape (N, C)."""
    n, c = input.shape
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.shape != (n,):
        raise ValueError(f"CrossEntropyLoss: logits of shape {input.shape} need targets of shape ({n},), "
                         f"got target shape {labels.shape}")
    if labels.dtype == np.bool_ or not np.issubdtype(labels.dtype, np.number):
        raise TypeError(f"CrossEntropyLoss: targets must be integer class indices, got dtype {labels.dtype}")
    if labels.dtype.kind == "f":  # integer labels are whole numbers already: check only float ones
        whole = np.isfinite(labels) & (labels == np.round(labels))
        if not np.all(whole):
            raise ValueError(f"CrossEntropyLoss: targets must be whole-number class indices, got {labels[~whole][0]}")
    outside = labels[(labels < 0) | (labels >= c)]
    if outside.size:
        raise IndexError(f"CrossEntropyLoss: target {outside[0]} is out of bounds for {c} classes "
                         f"(valid indices are 0 to {c - 1})")
    return labels.astype(np.int64)


class CrossEntropyLoss(_Loss):
    """Cross-entropy between logits (N, C) and class indices (N,), via log-softmax, as torch.nn.CrossEntropyLoss."""

    def forward(self, input, target):
        _require_float_tensor(input, "CrossEntropyLoss")
        if input.ndim != 2:
            raise ValueError(f"CrossEntropyLoss expects logits of shape (N, C), got shape {input.shape}")
        labels = _class_targets(target, input)
        logp = log_softmax(input.data, dim=1)
        return self._reduce(-logp[np.arange(len(labels)), labels], input)


# From content/04_losses.py, cell 14 (Part 4 · Binary cross-entropy with logits)
class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits, max(x, 0) - x*y + log1p(exp(-|x|)), as torch.nn.BCEWithLogitsLoss."""

    def forward(self, input, target):
        _require_float_tensor(input, "BCEWithLogitsLoss")
        target = _target_array(target, input, "BCEWithLogitsLoss")
        outside = target[~((target >= 0) & (target <= 1))]
        if outside.size:
            raise ValueError(f"BCEWithLogitsLoss: targets must lie in [0, 1], got {outside[0]}")
        x = input.data
        return self._reduce(np.maximum(x, 0) - x * target + np.log1p(np.exp(-np.abs(x))), input)
