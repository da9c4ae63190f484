"""Generated from content/06_autograd.py by scripts/build_content.py: edit the source, not this file."""
# From content/06_autograd.py, cell 2 (Part 1 · The graph and the chain rule)
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


# From content/06_autograd.py, cell 4 (Part 2 · Un-broadcasting)
def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`: undo the broadcasting that made an input of `shape` bigger."""
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(d for d, size in enumerate(shape) if size == 1 and grad.shape[d] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


# From content/06_autograd.py, cell 8 (Part 3 · Backward rules for arithmetic)
class AddBackward0(Function):
    def backward(self, grad):
        a, b = self.inputs
        return unbroadcast(grad, a.shape), unbroadcast(grad, b.shape)


class SubBackward0(Function):
    def backward(self, grad):
        a, b = self.inputs
        return unbroadcast(grad, a.shape), unbroadcast(-grad, b.shape)


class MulBackward0(Function):
    def backward(self, grad):
        a, b = self.inputs
        return unbroadcast(grad * b.data, a.shape), unbroadcast(grad * a.data, b.shape)


class DivBackward0(Function):
    def backward(self, grad):
        a, b = self.inputs
        return unbroadcast(grad / b.data, a.shape), unbroadcast(-grad * a.data / b.data ** 2, b.shape)


# From content/06_autograd.py, cell 12 (Part 4 · Matrix multiplication and reductions)
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
        grad_a = g @ np.swapaxes(b2, -1, -2)
        grad_b = np.swapaxes(a2, -1, -2) @ g
        if a.ndim == 1:
            grad_a = grad_a.squeeze(-2)
        if b.ndim == 1:
            grad_b = grad_b.squeeze(-1)
        return unbroadcast(grad_a, a.shape), unbroadcast(grad_b, b.shape)


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
        return (np.broadcast_to(_restore_reduced_dims(grad, x.shape, self.dim, self.keepdim), x.shape),)


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


# From content/06_autograd.py, cell 16 (Part 5 · Shapes, indexing and element-wise maths)
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


# From content/06_autograd.py, cell 18 (Part 6 · Activations and losses: fused backward rules)
class ReluBackward0(Function):
    def backward(self, grad):
        return (grad * (self.inputs[0].data > 0),)


class SigmoidBackward0(Function):
    def backward(self, grad):
        s = self.output
        return (grad * s * (1 - s),)


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
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        probabilities[np.arange(len(logits)), self.target] -= 1
        scale = grad.reshape(-1, 1) if self.reduction == "none" else grad
        return (_reduce_scale(scale, self.reduction, len(logits)) * probabilities,)


class BinaryCrossEntropyWithLogitsBackward0(Function):
    def backward(self, grad):
        logits = self.inputs[0].data
        sigmoid = np.exp(-np.logaddexp(0, -logits))  # σ(x) without overflow
        return (_reduce_scale(grad, self.reduction, logits.size) * (sigmoid - self.target),)


# From content/06_autograd.py, cell 22 (Part 7 · `backward()`: the chain rule in reverse topological order)
def topological_order(root):
    """Every tensor that requires grad reachable from root, each after all of its inputs."""
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


# From content/06_autograd.py, cell 26 (Part 8 · `enable_autograd()`: teaching the module-01 Tensor to remember)
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


# From content/06_autograd.py, cell 34 (1. The graph keeps memory alive)
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
