# %% [markdown]
# # Module 06 · Autograd
#
# Training a network means nudging every weight against the gradient of the loss. A model with a
# million weights needs a million partial derivatives per step — computed exactly, and in about the time
# of one forward pass. **Reverse-mode automatic differentiation** does that, and it is the engine inside
# every deep-learning framework. In this module you build it, and then switch it on for the `Tensor`
# you wrote in module 01 without changing a line of modules 01–05.
#
# ```text
# Connection map
#   Prerequisites : 01 Tensor (ops), 02 Activations, 03 Layers, 04 Losses (what we differentiate)
#   Focus (06)    : the computational graph, one backward rule per op, the chain rule in reverse
#                   topological order, enable_autograd()
#   Unlocks       : 07 Optimizers (they consume .grad), 08 Training, every later model
# ```
#
# ## Learning objectives
# 1. Explain the computational graph a forward pass leaves behind, and why reverse mode costs about one
#    extra forward pass no matter how many parameters there are.
# 2. Write the backward rule of each operation, including **un-broadcasting** a gradient back to an
#    input's shape.
# 3. Implement `backward()` over a topologically sorted graph — iteratively, so a 10,000-op chain works.
# 4. Turn gradient tracking on for the module-01 `Tensor` with `enable_autograd()`, with PyTorch's
#    `requires_grad`, `.grad`, `backward()`, `detach()` and `no_grad()`.
# 5. **Measure** the memory the graph keeps alive (nodes and saved tensors) as a network gets deeper.

# %% [markdown]
# ## Part 1 · The graph and the chain rule
#
# Take `y = (a * b) + a`. The forward pass computes values left to right. If every result remembers
# *which operation made it and from which inputs*, the pass leaves a graph behind:
#
# ```text
#   a ──┬──► mul ──► t ──► add ──► y
#   b ──┘             a ──┘
# ```
#
# The chain rule walks it backwards. Start with ∂y/∂y = 1; each operation receives the gradient of its
# output and turns it into gradients of its inputs; where a value feeds several operations (`a` above),
# the contributions **add up**:
#
# * `add`: ∂y/∂t = 1 · 1, ∂y/∂a (direct) = 1
# * `mul`: ∂y/∂a (through t) = ∂y/∂t · b, ∂y/∂b = ∂y/∂t · a
# * total: ∂y/∂a = 1 + b, ∂y/∂b = a.
#
# Each operation therefore needs one object that remembers its inputs (and anything else its rule needs)
# and knows its local rule. PyTorch calls them *grad_fn* nodes, and `print(y)` shows the last one:
# `tensor(..., grad_fn=<AddBackward0>)`. Ours are subclasses of `Function` with PyTorch's names. Gradients travel as plain numpy arrays: the graph bookkeeping stays in Python,
# the arithmetic in numpy.

# %%
#| export
#| default_exp core.autograd
import functools
import math

import numpy as np

from tinytorch.autograd.grad_mode import is_grad_enabled, no_grad
from tinytorch.core import activations, losses  # the modules whose forward Part 8 wraps
from tinytorch.core.tensor import Tensor, _numpy_index, result_type
from tinytorch.patching import patch_to

__all__ = ["Function", "record", "unbroadcast", "topological_order", "enable_autograd", "no_grad", "graph_footprint"]


class Function:
    """One recorded operation (a tensor's `grad_fn`): its input Tensors, what its rule needs, the rule."""

    def __init__(self, *inputs, **saved):
        self.inputs = inputs
        vars(self).update(saved)  # e.g. self.dim, self.output: whatever backward() needs
        self.released = False

    def backward(self, grad_output):
        """Given dLoss/dOutput (a numpy array), return dLoss/dInput for each input (or None)."""
        raise NotImplementedError(f"{type(self).__name__} has no backward rule")

    def name(self):
        """The node's name, as PyTorch's grad_fn.name()."""
        return type(self).__name__

    def release(self):
        """Free what backward() needed: the inputs and saved arrays (backward without retain_graph does this)."""
        vars(self).clear()
        self.inputs, self.released = (), True

    def __repr__(self):
        return f"<{type(self).__name__}>"


# %% [markdown]
# ## Part 2 · Un-broadcasting
#
# Broadcasting (module 01) silently stretched inputs in the forward pass: a bias of shape `(3,)` was added
# to every row of a `(64, 3)` batch. The output's gradient has the output's shape `(64, 3)`, but the bias
# needs a gradient of *its* shape `(3,)`. Each of the 64 rows used the same bias, so the 64 contributions
# add up: **sum the gradient over every dimension that broadcasting created or stretched.**
#
# ```text
# grad (64, 3) ──sum over dim 0──► (3,)          grad (4, 5) ──sum over dim 1, keep it──► (4, 1)
# ```

# %%
#| export
def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`: undo the broadcasting that made an input of `shape` bigger."""
    # HINT 1: Broadcasting copied a small input across a bigger shape in the forward pass; each copy received
    # HINT 1: part of the gradient, and the input's gradient is the sum of those parts. So sum away every
    # HINT 1: dimension that broadcasting added or stretched, until the gradient has the input's shape.
    # HINT 2: Two steps with `ndarray.sum(axis=...)`: first over the leading dimensions grad has in excess
    # HINT 2: (`grad.ndim - len(shape)` of them, a tuple of axes from `range`), then over every dimension where
    # HINT 2: `shape` has size 1 but grad does not, with `keepdims=True` so those size-1 dimensions stay.
    ### BEGIN SOLUTION
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(d for d, size in enumerate(shape) if size == 1 and grad.shape[d] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad
    ### END SOLUTION


# %% [markdown]
# ### Check Part 2

# %%
from tinytorch.checks.autograd import check_unbroadcast

check_unbroadcast(unbroadcast)

# %% [markdown]
# ## Part 3 · Backward rules for arithmetic
#
# For `out = a ∘ b` with output gradient `g` (same shape as `out`), the local rules are
#
# | op | ∂/∂a | ∂/∂b |
# |---|---|---|
# | `a + b` | `g` | `g` |
# | `a - b` | `g` | `-g` |
# | `a * b` | `g · b` | `g · a` |
# | `a / b` | `g / b` | `-g · a / b²` |
#
# each then un-broadcast to the input's shape. `self.inputs` holds the two input Tensors; use their
# `.data`.

# %%
#| export
class AddBackward0(Function):
    def backward(self, grad):
        a, b = self.inputs
        # HINT 1: d(a + b)/da = 1 and d(a + b)/db = 1: each input receives the upstream gradient unchanged,
        # HINT 1: reduced back to its own shape.
        # HINT 2: `unbroadcast(g, shape)` with `a.shape` and `b.shape`; return a pair, one gradient per input.
        ### BEGIN SOLUTION
        return unbroadcast(grad, a.shape), unbroadcast(grad, b.shape)
        ### END SOLUTION


class SubBackward0(Function):
    def backward(self, grad):
        a, b = self.inputs
        # HINT 1: d(a − b)/da = 1 and d(a − b)/db = −1: like addition, except that b's gradient changes sign.
        # HINT 2: As in `AddBackward0`: `unbroadcast` each gradient to its input's shape, negating b's.
        ### BEGIN SOLUTION
        return unbroadcast(grad, a.shape), unbroadcast(-grad, b.shape)
        ### END SOLUTION


class MulBackward0(Function):
    def backward(self, grad):
        a, b = self.inputs
        # HINT 1: d(a·b)/da = b and d(a·b)/db = a: each input's gradient is the upstream gradient times the
        # HINT 1: other input's values.
        # HINT 2: The saved inputs' numbers are `a.data` and `b.data`; multiply element-wise, then `unbroadcast`
        # HINT 2: each product to its input's shape.
        ### BEGIN SOLUTION
        return unbroadcast(grad * b.data, a.shape), unbroadcast(grad * a.data, b.shape)
        ### END SOLUTION


class DivBackward0(Function):
    def backward(self, grad):
        a, b = self.inputs
        # HINT 1: d(a/b)/da = 1/b and d(a/b)/db = −a/b²: the quotient rule, times the upstream gradient.
        # HINT 2: Use `a.data` and `b.data` element-wise (`**` for the square) and `unbroadcast` each gradient
        # HINT 2: to its input's shape.
        ### BEGIN SOLUTION
        return unbroadcast(grad / b.data, a.shape), unbroadcast(-grad * a.data / b.data ** 2, b.shape)
        ### END SOLUTION


# %% [markdown]
# ### Check Part 3

# %%
from tinytorch.checks.autograd import check_arithmetic_backward

check_arithmetic_backward(AddBackward0, SubBackward0, MulBackward0, DivBackward0)

# %% [markdown]
# ## Part 4 · Matrix multiplication and reductions
#
# For `C = A @ B` with `A (n, k)`, `B (k, m)` and output gradient `G (n, m)`:
#
# $$\frac{\partial L}{\partial A} = G\,B^\top \quad (n, m)(m, k) = (n, k), \qquad
#   \frac{\partial L}{\partial B} = A^\top G \quad (k, n)(n, m) = (k, m).$$
#
# Check the shapes and the formula writes itself. The backward pass of a matmul costs **two** matmuls:
# that is why a training step costs about three forward passes. Batched inputs `(batch, n, k)` work the
# same with the last two dimensions swapped, followed by un-broadcasting; 1-D operands are treated as a
# row (on the left) or a column (on the right) — the code below handles those cases for you.
#
# A **sum** copies its output gradient back to every element that was summed; a **mean** also divides by
# the count. With `keepdim=False` the reduced dimensions are gone from the gradient, so put them back
# (size 1) before broadcasting to the input's shape.

# %%
#| export
class MmBackward0(Function):
    def backward(self, grad):
        a, b = self.inputs
        # Treat 1-D operands as (1, k) rows / (k, 1) columns, like np.matmul does.
        a2 = a.data[None, :] if a.ndim == 1 else a.data
        b2 = b.data[:, None] if b.ndim == 1 else b.data
        g = grad
        if b.ndim == 1:  # restore the column dim first, so a 0-d grad (vector @ vector) becomes (1, 1)
            g = np.expand_dims(g, -1)
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        # HINT 1: For C = A·B, the gradient of A is G·Bᵀ and the gradient of B is Aᵀ·G (check the shapes: each
        # HINT 1: must come out as its input's). A 1-D operand was treated as a matrix with an extra axis:
        # HINT 1: remove that axis again afterwards.
        # HINT 2: Transpose the last two axes with `np.swapaxes(..., -1, -2)` on `a2` and `b2` (the 2-D views
        # HINT 2: made above) and multiply with `@` by `g`. For a 1-D `a` drop axis −2 of its gradient, for a
        # HINT 2: 1-D `b` axis −1 (`.squeeze`); then `unbroadcast` each to `a.shape` and `b.shape` (batch
        # HINT 2: dimensions may have been broadcast).
        ### BEGIN SOLUTION
        grad_a = g @ np.swapaxes(b2, -1, -2)
        grad_b = np.swapaxes(a2, -1, -2) @ g
        if a.ndim == 1:
            grad_a = grad_a.squeeze(-2)
        if b.ndim == 1:
            grad_b = grad_b.squeeze(-1)
        return unbroadcast(grad_a, a.shape), unbroadcast(grad_b, b.shape)
        ### END SOLUTION


def _restore_reduced_dims(grad, shape, dim, keepdim):
    """Give a reduction's gradient back the size-1 dims that keepdim=False dropped."""
    if dim is None:
        return np.reshape(grad, (1,) * len(shape))
    if keepdim:
        return grad
    dims = sorted(d % len(shape) for d in (dim if isinstance(dim, tuple) else (dim,)))
    return np.expand_dims(grad, tuple(dims))


class SumBackward0(Function):
    def backward(self, grad):
        (x,) = self.inputs
        # HINT 1: A sum adds every element in with weight 1, so every element's gradient is the upstream
        # HINT 1: gradient of the sum it went into: copy the gradient back over the input's shape.
        # HINT 2: `_restore_reduced_dims(grad, x.shape, self.dim, self.keepdim)` puts back the summed dimensions
        # HINT 2: with size 1; `np.broadcast_to` then spreads it to `x.shape`. Return a one-element tuple.
        ### BEGIN SOLUTION
        return (np.broadcast_to(_restore_reduced_dims(grad, x.shape, self.dim, self.keepdim), x.shape),)
        ### END SOLUTION


class MeanBackward0(Function):
    def backward(self, grad):
        (x,) = self.inputs
        restored = _restore_reduced_dims(grad, x.shape, self.dim, self.keepdim)
        return (np.broadcast_to(restored, x.shape) * (restored.size / x.numel()),)  # each output averaged numel/outputs elements


class MaxBackward0(Function):
    """max and min: the gradient goes to the element that won; ties over the whole tensor share it."""

    def backward(self, grad):
        (x,) = self.inputs
        if self.dim is None:
            winners = x.data == self.output
            return (winners * (grad / winners.sum()),)
        indices = self.indices if self.keepdim else np.expand_dims(self.indices, self.dim)
        spread = np.zeros(x.shape, dtype=grad.dtype)
        np.put_along_axis(spread, indices, _restore_reduced_dims(grad, x.shape, self.dim, self.keepdim),
                          axis=self.dim)
        return (spread,)


# %% [markdown]
# ### Check Part 4

# %%
from tinytorch.checks.autograd import check_matmul_and_sum_backward

check_matmul_and_sum_backward(MmBackward0, SumBackward0)

# %% [markdown]
# ## Part 5 · Shapes, indexing and element-wise maths
#
# The remaining rules are given: read each and convince yourself of it.
#
# * `reshape` and `transpose` move no numbers, so the gradient is only reshaped / transposed back.
# * Indexing `x[idx]` picks elements; the gradient goes back to the picked positions. An index array may
#   pick the same element twice (`x[[0, 0]]`), so contributions are *added* with `np.add.at`, not assigned.
# * `permute` is undone by the inverse permutation (`np.argsort` of the dims).
# * `x ** p` (a number p): `p · x^(p-1)`; `exp`: the output itself; `log`: `1 / x`;
#   `sqrt`: `1 / (2 sqrt(x))`, again from the output; `abs`: the sign of x.
# * `clone()` and dtype conversions (`.float()`, `.double()`) pass the gradient through.

# %%
#| export
class ViewBackward0(Function):
    """reshape, view, flatten, squeeze, unsqueeze: the gradient takes the input's shape back."""

    def backward(self, grad):
        return (grad.reshape(self.inputs[0].shape),)


class TransposeBackward0(Function):
    def backward(self, grad):
        return (np.swapaxes(grad, self.dim0, self.dim1),)


class PermuteBackward0(Function):
    def backward(self, grad):
        return (np.transpose(grad, np.argsort(self.dims)),)  # the inverse permutation


class IndexBackward0(Function):
    def backward(self, grad):
        (x,) = self.inputs
        spread = np.zeros(x.shape, dtype=grad.dtype)
        np.add.at(spread, self.index, grad)  # repeated indices accumulate
        return (spread,)


class PowBackward0(Function):
    def backward(self, grad):
        (x,) = self.inputs
        return (grad * self.exponent * x.data ** (self.exponent - 1),)


class ExpBackward0(Function):
    def backward(self, grad):
        return (grad * self.output,)


class LogBackward0(Function):
    def backward(self, grad):
        return (grad / self.inputs[0].data,)


class SqrtBackward0(Function):
    def backward(self, grad):
        return (grad / (2 * self.output),)


class AbsBackward0(Function):
    def backward(self, grad):
        return (grad * np.sign(self.inputs[0].data),)


class CloneBackward0(Function):
    """clone() and dtype conversions: the gradient passes through, in the input's dtype."""

    def backward(self, grad):
        return (grad.astype(self.inputs[0].dtype, copy=False),)


# %% [markdown]
# ## Part 6 · Activations and losses: fused backward rules
#
# Modules 02 and 04 computed activations and losses directly in numpy, in their numerically stable forms.
# Rather than differentiate through those formulas operation by operation, each gets one *fused* rule —
# fewer graph nodes, less saved memory, and better numerics:
#
# | forward | backward (g is the output gradient) |
# |---|---|
# | ReLU `max(x, 0)` | `g · [x > 0]` |
# | Sigmoid `s = σ(x)` | `g · s · (1 − s)` |
# | Tanh `t = tanh x` | `g · (1 − t²)` |
# | GELU `x Φ(x)` | `g · (Φ(x) + x φ(x))` (exact); the tanh form differentiates its own formula |
# | Softmax `s` | `s · (g − Σ g·s)` over `dim` |
# | MSE, mean of `(x − y)²` | `g · 2 (x − y) / N` |
# | CrossEntropy of logits `z`, class `c` | `g · (softmax(z) − onehot(c)) / N` |
# | BCEWithLogits | `g · (σ(x) − y) / N` |
#
# (`/ N` for `reduction="mean"`, nothing for `"sum"`; for `"none"`, g is per element.) The cross-entropy
# rule is the reason classifiers train so well: its gradient is bounded by 1 however wrong the logits.

# %%
#| export


class ReluBackward0(Function):
    def backward(self, grad):
        return (grad * (self.inputs[0].data > 0),)


class SigmoidBackward0(Function):
    def backward(self, grad):
        # HINT 1: σ′(x) = σ(x)·(1 − σ(x)): the derivative needs only the output, which the forward pass saved,
        # HINT 1: so nothing is recomputed. Multiply by the upstream gradient.
        # HINT 2: `self.output` holds σ(x) as a numpy array; combine it with `grad` element-wise and return a
        # HINT 2: one-element tuple (one gradient, for the one input).
        ### BEGIN SOLUTION
        s = self.output
        return (grad * s * (1 - s),)
        ### END SOLUTION


class TanhBackward0(Function):
    def backward(self, grad):
        return (grad * (1 - self.output * self.output),)


class GeluBackward0(Function):
    def backward(self, grad):
        x = self.inputs[0].data
        if self.approximate == "tanh":
            c = math.sqrt(2 / math.pi)  # a Python float keeps float32 arrays float32
            x2 = x * x  # x * x, not x ** 2: numpy's general power routine is many times slower
            inner = c * (x + 0.044715 * x2 * x)
            t = np.tanh(inner)
            slope = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x2)
        else:
            cdf = 0.5 * (1 + activations.erf(x / math.sqrt(2)))
            pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
            slope = cdf + x * pdf
        return (grad * slope,)


class SoftmaxBackward0(Function):
    def backward(self, grad):
        s = self.output
        return (s * (grad - (grad * s).sum(axis=self.dim, keepdims=True)),)


def _reduce_scale(grad, reduction, count):
    """The factor a loss's per-element gradient is multiplied by under each reduction."""
    return grad / count if reduction == "mean" else grad


class MseLossBackward0(Function):
    def backward(self, grad):
        prediction, target = self.inputs
        slope = _reduce_scale(grad, self.reduction, prediction.numel()) * 2 * (prediction.data - target.data)
        return unbroadcast(slope, prediction.shape), unbroadcast(-slope, target.shape)


class CrossEntropyLossBackward0(Function):
    def backward(self, grad):
        logits = self.inputs[0].data
        # HINT 1: The gradient of mean cross-entropy with respect to the logits is (softmax(logits) −
        # HINT 1: one_hot(target)) / N: the probabilities, with 1 taken from each row's correct class, scaled by
        # HINT 1: the reduction and the upstream gradient.
        # HINT 2: Softmax row by row (`axis=1`, subtract the row max before `np.exp`, divide by the row sums
        # HINT 2: with `keepdims=True`). Subtract 1 at each row's class with the index arrays
        # HINT 2: `np.arange(len(logits))` and `self.target`. Scale with `_reduce_scale(g, self.reduction,
        # HINT 2: len(logits))`; for "none" grad has one value per row: reshape it to (N, 1) first. Return a
        # HINT 2: one-element tuple.
        ### BEGIN SOLUTION
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        probabilities[np.arange(len(logits)), self.target] -= 1
        scale = grad.reshape(-1, 1) if self.reduction == "none" else grad
        return (_reduce_scale(scale, self.reduction, len(logits)) * probabilities,)
        ### END SOLUTION


class BinaryCrossEntropyWithLogitsBackward0(Function):
    def backward(self, grad):
        logits = self.inputs[0].data
        sigmoid = np.exp(-np.logaddexp(0, -logits))  # σ(x) without overflow
        return (_reduce_scale(grad, self.reduction, logits.size) * (sigmoid - self.target),)


# %% [markdown]
# ### Check Part 6

# %%
from tinytorch.checks.autograd import check_fused_backward

check_fused_backward(SigmoidBackward0, CrossEntropyLossBackward0)

# %% [markdown]
# ## Part 7 · `backward()`: the chain rule in reverse topological order
#
# `loss.backward()` must visit every node *after* all the nodes that use it, so that a node's gradient is
# complete — all contributions summed — before it is passed on. That order is a **reverse topological
# order** of the graph. We find a topological order with a depth-first search and walk it backwards.
#
# micrograd and many tutorials write the search recursively. Python's recursion limit (about 1,000
# frames) then breaks on a deep graph: an RNN unrolled over a long sequence or a 10,000-step chain. Ours
# uses an explicit stack instead: push `(node, False)` to visit a node's inputs first, `(node, True)` to
# emit the node once they are done.
#
# Then:
# 1. the output's gradient is `gradient` (or 1 for a scalar, as in PyTorch: `backward()` on a non-scalar
#    needs an explicit gradient);
# 2. each node in reverse topological order hands its gradient to its `Function`, and adds the returned
#    gradients to its inputs' running totals;
# 3. a **leaf** (a tensor the user made, with `requires_grad=True`) has no Function: its total is *added*
#    to `.grad`. PyTorch accumulates across `backward()` calls, which is why training loops call
#    `zero_grad()`.

# %%
#| export
def topological_order(root):
    """Every tensor that requires grad reachable from root, each after all of its inputs."""
    # HINT 1: backward must visit a tensor only after every tensor that uses it, so each one's gradient is
    # HINT 1: complete before it is passed on. A depth-first walk that appends a tensor after all its inputs
    # HINT 1: gives the reverse of that order; an explicit stack (not recursion) survives graphs deeper than
    # HINT 1: Python's recursion limit.
    # HINT 2: Keep a stack of (tensor, inputs_done) pairs starting from the root, a set of visited `id(tensor)`s
    # HINT 2: and the order list. Popping a pair with inputs_done False the first time: mark it visited, push it
    # HINT 2: back with True, then push each of `tensor.grad_fn.inputs` that `requires_grad` (when there is a
    # HINT 2: `grad_fn`) with False. Popping one with True: append it to the order.
    ### BEGIN SOLUTION
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor.grad_fn is not None:
            stack.extend((t, False) for t in tensor.grad_fn.inputs if t.requires_grad and id(t) not in visited)
    return order
    ### END SOLUTION


def backward(self, gradient=None, retain_graph=False):
    """Compute d(self)/d(leaf) for every leaf that requires grad, adding it into leaf.grad.

    The graph is freed afterwards, as in PyTorch: a second backward() through it raises, unless the
    first one was called with retain_graph=True."""
    if not self.requires_grad:
        raise RuntimeError("backward(): this tensor does not require grad and has no grad_fn; create the "
                           "inputs with requires_grad=True (and not inside no_grad())")
    if gradient is None:
        if self.numel() != 1:
            raise RuntimeError(f"backward(): grad can be implicitly created only for scalar outputs; this "
                               f"output has shape {self.shape}: pass gradient= of that shape")
        gradient = np.ones(self.shape, dtype=self.dtype)
    gradient = np.asarray(getattr(gradient, "data", gradient), dtype=self.dtype)
    if gradient.shape != self.shape:
        raise ValueError(f"backward(): gradient has shape {gradient.shape}, the output has shape {self.shape}")
    order = topological_order(self)
    if any(t.grad_fn is not None and t.grad_fn.released for t in order):
        raise RuntimeError("backward(): trying to backward through the graph a second time; its saved values "
                           "were freed by the first backward(). Run the forward pass again, or call the first "
                           "backward(retain_graph=True)")

    grads = {id(self): gradient}
    for tensor in reversed(order):
        grad = grads.pop(id(tensor), None)
        if grad is None:
            continue
        if tensor.grad_fn is None:  # a leaf: accumulate, as PyTorch does
            total = np.array(grad, dtype=tensor.dtype)  # its own writable copy: grads may alias each other
            if tensor.grad is not None:
                total += tensor.grad.data
            tensor.grad = Tensor(total, dtype=tensor.dtype)
            continue
        for parent, parent_grad in zip(tensor.grad_fn.inputs, tensor.grad_fn.backward(grad)):
            if parent_grad is not None and parent.requires_grad:
                key = id(parent)
                grads[key] = grads[key] + parent_grad if key in grads else parent_grad
    if not retain_graph:
        for tensor in order:
            if tensor.grad_fn is not None:
                tensor.grad_fn.release()


# %% [markdown]
# ### Check Part 7
# A graph that reuses a value many times (`y = y + y`) and a diamond whose branches have different depths.

# %%
from tinytorch.checks.autograd import check_topological_order

check_topological_order(topological_order)

# %% [markdown]
# ## Part 8 · `enable_autograd()`: teaching the module-01 Tensor to remember
#
# Now connect it all. Since module 01 every tensor has carried `requires_grad`, `grad` and `grad_fn`;
# nothing filled them. `enable_autograd()` wraps each Tensor operation in a version that calls the
# original (module 01's code, with its shape checks and dtype rules) and then, if any input requires grad
# and gradient mode is on, records a `Function` as the result's `grad_fn`. Tensors that do not require
# grad pay one `if`, so modules 01–05 keep working exactly as before. The same is done to the `forward`
# of the activations (02) and losses (04). The wrapper keeps each method's name, signature and docstring
# (`functools.wraps`), so `help(Tensor.sum)` still shows module 01's documentation.
#
# | API | meaning |
# |---|---|
# | `Tensor(x, requires_grad=True)` | a leaf whose gradient we want (`t.is_leaf`) |
# | `t.grad` | the accumulated gradient (a Tensor) or `None` |
# | `t.grad_fn` | the node that made `t` (`None` for a leaf) |
# | `t.backward(gradient=None, retain_graph=False)` | run reverse mode from `t`, then free the graph |
# | `t.detach()` | the same numbers, cut from the graph |
# | `with no_grad():` / `@no_grad()` | record nothing (evaluation, optimizer updates) |
#
# Three rules from PyTorch deserve a sentence each:
#
# * **One switch.** `no_grad()` turns off one flag, kept in `tinytorch.autograd.grad_mode` outside any
#   notebook, so the package's `evaluate()` and your cells agree on it; blocks nest, and the flag comes
#   back even when the block raises.
# * **A graph is used once.** `backward()` frees the values the graph saved, and a second `backward()`
#   through it raises instead of silently adding the gradients again (re-running a cell that only calls
#   `loss.backward()` would do exactly that). Pass `retain_graph=True` when you mean it.
# * **No in-place change of a tensor in a graph.** `w -= lr * w.grad` on a weight that requires grad is
#   refused while graphs are recorded: the graph saved `w`'s numbers and would use the new ones. Inside
#   `with no_grad():` it is exactly how an optimizer updates weights.
#
# The code below is plumbing — read it, there is nothing to fill in.

# %%
#| export
def record(result, function, *inputs, **saved):
    """Attach a `function` node (made from `inputs` and `saved`) to `result` as its grad_fn, when gradient
    mode is on and some input requires grad; returns `result`. Later modules record their own ops with it:
    `return record(output, Conv2dBackward0, x, weight, stride=stride)`."""
    if is_grad_enabled() and any(t.requires_grad for t in inputs):
        result.requires_grad = True
        result.grad_fn = function(*inputs, **saved)
    return result


def _operand(value):
    """A number or array operand as a Tensor, so a node can hold it (its dtype as promotion saw it)."""
    return value if isinstance(value, Tensor) else Tensor(value, dtype=result_type(value))


def _originals(owner, names):
    """The un-wrapped methods of `owner`, captured once, so enabling twice never wraps twice."""
    if "_autograd_originals" not in vars(owner):
        owner._autograd_originals = {name: vars(owner)[name] for name in names}
    return owner._autograd_originals


def _tracked(original, record):
    """`original`, wrapped so that `record(self, result, *args)` attaches the node; name, signature and
    docstring stay those of the original (help() shows them)."""
    @functools.wraps(original)
    def tracked(self, *args, **kwargs):
        return record(self, original(self, *args, **kwargs), *args, **kwargs)
    return tracked


_BINARY_RULES = {np.add: AddBackward0, np.subtract: SubBackward0, np.multiply: MulBackward0, np.divide: DivBackward0}


def _record_elementwise(self, result, other, np_op, name):
    rule = _BINARY_RULES.get(np_op)  # comparisons have no gradient
    return result if rule is None else record(result, rule, self, _operand(other))


def _record_extreme(self, result, dim=None, keepdim=False):
    if dim is None:
        return record(result, MaxBackward0, self, dim=None, keepdim=keepdim, output=result.data)
    record(result.values, MaxBackward0, self, dim=dim, keepdim=keepdim, indices=result.indices.data)
    return result


def _dims_order(tensor, dims):
    dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
    return tuple(d % tensor.ndim for d in dims)


# How each Tensor method records its node: record(self, result, *the method's arguments).
_TENSOR_RULES = {
    "_elementwise": _record_elementwise,
    "__matmul__": lambda self, out, other: record(out, MmBackward0, self, _operand(other)),
    "sum": lambda self, out, dim=None, keepdim=False: record(out, SumBackward0, self, dim=dim, keepdim=keepdim),
    "mean": lambda self, out, dim=None, keepdim=False: record(out, MeanBackward0, self, dim=dim, keepdim=keepdim),
    "max": _record_extreme,
    "min": _record_extreme,
    "reshape": lambda self, out, *shape: record(out, ViewBackward0, self),
    "transpose": lambda self, out, dim0, dim1: record(out, TransposeBackward0, self, dim0=dim0, dim1=dim1),
    "permute": lambda self, out, *dims: record(out, PermuteBackward0, self, dims=_dims_order(self, dims)),
    "__getitem__": lambda self, out, index: record(out, IndexBackward0, self, index=_numpy_index(index)),
    "__pow__": lambda self, out, exponent: record(out, PowBackward0, self, exponent=exponent),
    "exp": lambda self, out: record(out, ExpBackward0, self, output=out.data),
    "log": lambda self, out: record(out, LogBackward0, self),
    "sqrt": lambda self, out: record(out, SqrtBackward0, self, output=out.data),
    "abs": lambda self, out: record(out, AbsBackward0, self),
    "clone": lambda self, out: record(out, CloneBackward0, self),
    "to": lambda self, out, dtype: out if out is self or out.dtype.kind != "f" else record(out, CloneBackward0, self),
}
_IN_PLACE = ["add_", "sub_", "mul_", "div_", "__iadd__", "__isub__", "__imul__", "__itruediv__",
             "zero_", "fill_", "copy_"]


def _refuse_in_place_on_graph(original):
    """`original` (an in-place method), refused on a tensor that requires grad while graphs are recorded."""
    @functools.wraps(original)
    def in_place(self, *args, **kwargs):
        if self.requires_grad and is_grad_enabled():
            raise RuntimeError(f"{original.__name__}: a tensor that requires grad can't be changed in place while "
                               "gradients are recorded (the graph would silently use the new numbers); update "
                               "weights inside `with no_grad():`, or write x = x + ... for a new tensor")
        return original(self, *args, **kwargs)
    return in_place


def enable_autograd():
    """Give Tensor (module 01), the activations (02) and the losses (04) gradient tracking."""
    originals = _originals(Tensor, list(_TENSOR_RULES) + _IN_PLACE)
    for name, record in _TENSOR_RULES.items():
        setattr(Tensor, name, _tracked(originals[name], record))
    for name in _IN_PLACE:
        setattr(Tensor, name, _refuse_in_place_on_graph(originals[name]))
    patch_to(Tensor)(backward)
    _enable_module_gradients()


def _class_targets(target):
    return np.asarray(getattr(target, "data", target)).astype(np.int64)


def _float_targets(target, like):
    return np.asarray(getattr(target, "data", target), dtype=like.dtype)


def _enable_module_gradients():
    """Wrap the forward of every activation and loss so its result records the fused rule."""
    def track(cls, record):
        cls.forward = _tracked(_originals(cls, ["forward"])["forward"], record)

    track(activations.ReLU, lambda m, out, x: record(out, ReluBackward0, x))
    track(activations.Sigmoid, lambda m, out, x: record(out, SigmoidBackward0, x, output=out.data))
    track(activations.Tanh, lambda m, out, x: record(out, TanhBackward0, x, output=out.data))
    track(activations.GELU, lambda m, out, x: record(out, GeluBackward0, x, approximate=m.approximate))
    track(activations.Softmax, lambda m, out, x: record(out, SoftmaxBackward0, x, output=out.data, dim=m.dim))
    track(losses.MSELoss, lambda m, out, x, y: record(out, MseLossBackward0, x, _operand(y), reduction=m.reduction))
    track(losses.CrossEntropyLoss, lambda m, out, x, y: record(
        out, CrossEntropyLossBackward0, x, target=_class_targets(y), reduction=m.reduction))
    track(losses.BCEWithLogitsLoss, lambda m, out, x, y: record(
        out, BinaryCrossEntropyWithLogitsBackward0, x, target=_float_targets(y, x), reduction=m.reduction))


# %% [markdown]
# Switch it on, then check the whole engine: gradients against finite differences, a diamond-shaped graph,
# accumulation across calls, a 10,000-operation chain, `no_grad()`, and module-01 code unchanged.

# %%
enable_autograd()

from tinytorch.checks.autograd import check_autograd_engine

check_autograd_engine(Tensor, no_grad)

# %% [markdown]
# ## Use it · gradients of a small network, checked by finite differences
#
# This is how every rule in this module was verified, and how you should test any new operation:
# nudge one input by ±ε, see how the loss moves, compare with the gradient.
#
# $$\frac{\partial L}{\partial w} \approx \frac{L(w + \varepsilon) - L(w - \varepsilon)}{2\varepsilon}$$
#
# In float64 with ε = 1e-6 the two agree to about 1e-8; in float32 rounding errors make the estimate
# useless, which is why gradient checks run in float64.

# %%
from tinytorch.core.activations import Tanh
from tinytorch.core.layers import Linear
from tinytorch.core.losses import CrossEntropyLoss

rng = np.random.default_rng(0)
x_np = rng.standard_normal((8, 5))
y_np = rng.integers(0, 3, size=8)
w1_np, w2_np = rng.standard_normal((4, 5)) * 0.5, rng.standard_normal((3, 4)) * 0.5


def network_loss(w1, w2):
    hidden = Tanh()(Tensor(x_np, dtype=np.float64) @ w1.T)
    return CrossEntropyLoss()(hidden @ w2.T, y_np)


w1 = Tensor(w1_np, dtype=np.float64, requires_grad=True)
w2 = Tensor(w2_np, dtype=np.float64, requires_grad=True)
loss = network_loss(w1, w2)
loss.backward()

eps = 1e-6
numeric = np.zeros_like(w1_np)
for index in np.ndindex(w1_np.shape):
    plus, minus = w1_np.copy(), w1_np.copy()
    plus[index] += eps
    minus[index] -= eps
    with no_grad():
        numeric[index] = (network_loss(Tensor(plus, dtype=np.float64), w2).item()
                          - network_loss(Tensor(minus, dtype=np.float64), w2).item()) / (2 * eps)
print(f"loss = {loss.item():.6f}")
print(f"max |autograd - finite difference| for w1: {np.abs(w1.grad.data - numeric).max():.2e}")

# %% [markdown]
# And a real layer from module 03 (the package's `Linear`, the same code you wrote there): its weight now
# receives a gradient, though module 03 knew nothing about gradients.

# %%
layer = Linear(5, 3)
out = CrossEntropyLoss()(layer(Tensor(x_np)), y_np)
out.backward()
print("loss:", round(out.item(), 4), "| weight.grad shape:", layer.weight.grad.shape,
      "| bias.grad:", layer.bias.grad)

# %% [markdown]
# ## Systems analysis · measured
#
# ### 1. The graph keeps memory alive
# Every Function holds references to its inputs, and some save more (the output of exp, sigmoid,
# softmax). None of it can be freed until `backward()` has run — that is why training needs far more
# memory than inference. Count the nodes and the bytes of the tensors the graph keeps reachable, for an
# MLP of growing depth, with and without `no_grad()`.

# %%
#| export
def graph_footprint(output):
    """Nodes in the graph behind `output`, and the bytes of memory it keeps alive: every node's numbers,
    the inputs its Functions hold (a batch that needs no gradient too) and the arrays they saved. A view
    and the array it views share memory, so each block of memory is counted once."""
    nodes = topological_order(output) if output.requires_grad else [output]
    blocks = {}

    def keep(array):
        while isinstance(array.base, np.ndarray):  # a view: count the memory it looks into
            array = array.base
        blocks[id(array)] = array.nbytes

    for tensor in nodes:
        keep(tensor.data)
        fn = tensor.grad_fn
        for value in (vars(fn).values() if fn is not None else ()):
            if isinstance(value, np.ndarray):
                keep(value)
        for held in (fn.inputs if fn is not None else ()):
            keep(held.data)
    return len(nodes), sum(blocks.values())


# %%
def deep_mlp(depth, width=256):
    layers = [Linear(width, width) for _ in range(depth)]

    def forward(x):
        for layer in layers:
            x = Tanh()(layer(x))
        return x.sum()
    return forward


batch = Tensor(rng.standard_normal((64, 256)))
print(f"{'depth':>5} {'graph nodes':>12} {'kept alive (MB)':>16} {'under no_grad (bytes)':>22}")
for depth in (1, 2, 4, 8, 16):
    forward = deep_mlp(depth)
    nodes, kept = graph_footprint(forward(batch))
    with no_grad():
        _, kept_eval = graph_footprint(forward(batch))
    print(f"{depth:>5} {nodes:>12} {kept / 1e6:>16.2f} {kept_eval:>22,}")

# %% [markdown]
# The kept memory grows linearly with depth: each layer keeps its input, its matmul and bias-add
# outputs and its tanh output (64×256 float32 = 64 KB each) plus its weights. Under `no_grad()` only the
# final output survives — inference can free each activation as soon as the next layer has used it.
#
# ### 2. What backward costs
# A matmul's backward is two matmuls of the same size, so counting FLOPs, backward should take about
# twice the forward time. Measure it — and compare the ratio you get with that estimate:

# %%
import time

from tinytorch.timing import time_per_call  # best of several rounds, long enough for a coarse clock


forward = deep_mlp(4, width=512)
big_batch = Tensor(rng.standard_normal((256, 512)))
forward_time = time_per_call(lambda: forward(big_batch))
total_time = time_per_call(lambda: forward(big_batch).backward())
print(f"forward: {forward_time * 1e3:.1f} ms | forward+backward: {total_time * 1e3:.1f} ms | "
      f"backward / forward = {(total_time - forward_time) / forward_time:.2f}")

# %% [markdown]
# The measured ratio is often near or above 2: backward also runs the element-wise rules (tanh, the bias
# gradient summed over the batch), computes a gradient for the input batch that nobody asked for, and
# allocates every gradient afresh. Module 17 (Acceleration) is about closing such gaps.
#
# ### 3. No recursion limit
# A chain of 10,000 additions is 10,000 graph nodes deep; a recursive topological sort would stop at
# Python's recursion limit. Ours does not care:

# %%
import sys

x = Tensor([1.0], requires_grad=True)
y = x
for _ in range(10_000):
    y = y * 1.0001
start = time.perf_counter()
y.sum().backward()
print(f"recursion limit: {sys.getrecursionlimit()} | chain of 10,000 muls: grad = {x.grad.item():.4f} "
      f"(exact {1.0001 ** 10_000:.4f}: float32 rounds at every one of the 10,000 steps) "
      f"in {time.perf_counter() - start:.3f} s")

# %% [markdown]
# ## Reflect
#
# 1. A `Linear(784, 256)` layer sees a batch of 128. Which arrays must the graph keep until backward, and
#    how many bytes is that in float32? Check with `graph_footprint`.
# 2. Forward-mode differentiation needs one pass per *input*. How many passes would it need for the
#    gradients of a `784-256-128-10` MLP? Compute the parameter count.
# 3. Why must `backward()` accumulate into `.grad` instead of assigning? Construct a graph where assigning
#    gives a wrong answer, and check it.
# 4. `loss.backward()` twice on the same graph: predict what happens, then run it. Now call the first one
#    with `retain_graph=True`: predict `.grad` after the second call (without `zero_grad()`), then check.
# 5. The fused cross-entropy rule saves memory compared with composing `log`, `exp`, `sum` and indexing.
#    Estimate how many `(N, C)` arrays the composed version would keep alive for N=64, C=10.
#
# **Next:** 07 Optimizers turns `.grad` into weight updates.
