"""Generated from content/06_autograd.py by scripts/build_content.py: edit the source, not this file."""
import math

import numpy as np

from tinytorch.core.tensor import MaxResult, Tensor


class Function:
    """One recorded operation: its input Tensors, what its rule needs, and the rule itself."""

    def __init__(self, *inputs, **saved):
        self.inputs = inputs
        vars(self).update(saved)  # e.g. self.dim, self.output: whatever backward() needs

    def backward(self, grad_output):
        """Given dLoss/dOutput (a numpy array), return dLoss/dInput for each input (or None)."""
        raise NotImplementedError(f"{type(self).__name__} has no backward rule")

    def __repr__(self):
        return f"<{type(self).__name__}>"


def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`: undo the broadcasting that made an input of `shape` bigger."""
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(d for d, size in enumerate(shape) if size == 1 and grad.shape[d] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


class AddBackward(Function):
    def backward(self, grad):
        a, b = self.inputs
        return unbroadcast(grad, a.shape), unbroadcast(grad, b.shape)


class SubBackward(Function):
    def backward(self, grad):
        a, b = self.inputs
        return unbroadcast(grad, a.shape), unbroadcast(-grad, b.shape)


class MulBackward(Function):
    def backward(self, grad):
        a, b = self.inputs
        return unbroadcast(grad * b.data, a.shape), unbroadcast(grad * a.data, b.shape)


class DivBackward(Function):
    def backward(self, grad):
        a, b = self.inputs
        return unbroadcast(grad / b.data, a.shape), unbroadcast(-grad * a.data / b.data ** 2, b.shape)


class MatmulBackward(Function):
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


class SumBackward(Function):
    def backward(self, grad):
        (x,) = self.inputs
        return (np.broadcast_to(_restore_reduced_dims(grad, x.shape, self.dim, self.keepdim), x.shape),)


class MeanBackward(Function):
    def backward(self, grad):
        (x,) = self.inputs
        restored = _restore_reduced_dims(grad, x.shape, self.dim, self.keepdim)
        return (np.broadcast_to(restored, x.shape) * (restored.size / x.numel()),)  # each output averaged numel/outputs elements


class MaxBackward(Function):
    """The gradient goes to the element that was the maximum; ties over the whole tensor share it."""

    def backward(self, grad):
        (x,) = self.inputs
        if self.dim is None:
            winners = x.data == x.data.max()
            return (winners * (grad / winners.sum()),)
        indices = self.indices if self.keepdim else np.expand_dims(self.indices, self.dim)
        spread = np.zeros(x.shape, dtype=grad.dtype)
        np.put_along_axis(spread, indices, _restore_reduced_dims(grad, x.shape, self.dim, self.keepdim),
                          axis=self.dim)
        return (spread,)


class ReshapeBackward(Function):
    def backward(self, grad):
        return (grad.reshape(self.inputs[0].shape),)


class TransposeBackward(Function):
    def backward(self, grad):
        return (np.swapaxes(grad, self.dim0, self.dim1),)


class GetitemBackward(Function):
    def backward(self, grad):
        (x,) = self.inputs
        spread = np.zeros(x.shape, dtype=grad.dtype)
        np.add.at(spread, self.index, grad)  # repeated indices accumulate
        return (spread,)


class PowBackward(Function):
    def backward(self, grad):
        (x,) = self.inputs
        return (grad * self.exponent * x.data ** (self.exponent - 1),)


class ExpBackward(Function):
    def backward(self, grad):
        return (grad * self.output,)


class LogBackward(Function):
    def backward(self, grad):
        return (grad / self.inputs[0].data,)


def _pow(self, exponent):
    if not isinstance(exponent, (int, float)):
        raise TypeError(f"pow: the exponent must be a Python number, got {type(exponent).__name__}")
    return Tensor(self.data ** exponent, dtype=self.dtype)


def _exp(self):
    return Tensor(np.exp(self.data), dtype=self.dtype)


def _log(self):
    return Tensor(np.log(self.data), dtype=self.dtype)


from tinytorch.core import activations, losses


class ReLUBackward(Function):
    def backward(self, grad):
        return (grad * (self.inputs[0].data > 0),)


class SigmoidBackward(Function):
    def backward(self, grad):
        s = self.output
        return (grad * s * (1 - s),)


class TanhBackward(Function):
    def backward(self, grad):
        return (grad * (1 - self.output ** 2),)


class GELUBackward(Function):
    def backward(self, grad):
        x = self.inputs[0].data
        if self.approximate == "tanh":
            c = math.sqrt(2 / math.pi)  # a Python float keeps float32 arrays float32
            inner = c * (x + 0.044715 * x ** 3)
            t = np.tanh(inner)
            slope = 0.5 * (1 + t) + 0.5 * x * (1 - t ** 2) * c * (1 + 3 * 0.044715 * x ** 2)
        else:
            cdf = 0.5 * (1 + activations.erf(x / math.sqrt(2)))
            pdf = np.exp(-0.5 * x ** 2) / math.sqrt(2 * math.pi)
            slope = cdf + x * pdf
        return (grad * slope,)


class SoftmaxBackward(Function):
    def backward(self, grad):
        s = self.output
        return (s * (grad - (grad * s).sum(axis=self.dim, keepdims=True)),)


def _reduce_scale(grad, reduction, count):
    """The factor a loss's per-element gradient is multiplied by under each reduction."""
    return grad / count if reduction == "mean" else grad


class MSEBackward(Function):
    def backward(self, grad):
        prediction, target = self.inputs
        slope = _reduce_scale(grad, self.reduction, prediction.numel()) * 2 * (prediction.data - target.data)
        return unbroadcast(slope, prediction.shape), unbroadcast(-slope, target.shape)


class CrossEntropyBackward(Function):
    def backward(self, grad):
        logits = self.inputs[0].data
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=1, keepdims=True)
        probabilities[np.arange(len(logits)), self.target] -= 1
        scale = grad.reshape(-1, 1) if self.reduction == "none" else grad
        return (_reduce_scale(scale, self.reduction, len(logits)) * probabilities,)


class BCEWithLogitsBackward(Function):
    def backward(self, grad):
        logits = self.inputs[0].data
        sigmoid = np.exp(-np.logaddexp(0, -logits))  # σ(x) without overflow
        return (_reduce_scale(grad, self.reduction, logits.size) * (sigmoid - self.target),)


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
        if tensor._grad_fn is not None:
            stack.extend((t, False) for t in tensor._grad_fn.inputs if t.requires_grad and id(t) not in visited)
    return order


def backward(self, gradient=None):
    """Compute d(self)/d(leaf) for every leaf that requires grad, adding it into leaf.grad."""
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

    grads = {id(self): gradient}
    for tensor in reversed(topological_order(self)):
        grad = grads.pop(id(tensor), None)
        if grad is None:
            continue
        if tensor._grad_fn is None:  # a leaf: accumulate, as PyTorch does
            total = np.array(grad, dtype=tensor.dtype)  # its own writable copy: grads may alias each other
            if tensor.grad is not None:
                total += tensor.grad.data
            tensor.grad = Tensor(total, dtype=tensor.dtype)
            continue
        for parent, parent_grad in zip(tensor._grad_fn.inputs, tensor._grad_fn.backward(grad)):
            if parent_grad is not None and parent.requires_grad:
                key = id(parent)
                grads[key] = grads[key] + parent_grad if key in grads else parent_grad


class _GradMode:
    enabled = True


class no_grad:
    """Context manager: operations inside record no graph (like torch.no_grad())."""

    def __enter__(self):
        self.previous, _GradMode.enabled = _GradMode.enabled, False

    def __exit__(self, *exc_info):
        _GradMode.enabled = self.previous


def is_grad_enabled():
    return _GradMode.enabled


def _record(result, function, *inputs, **saved):
    """Attach `function` to `result` when gradients must flow from it to `inputs`."""
    if _GradMode.enabled and any(t.requires_grad for t in inputs):
        result.requires_grad = True
        result._grad_fn = function(*inputs, **saved)
    return result


def _as_tensor(value, like):
    return value if isinstance(value, Tensor) else Tensor(value, dtype=like.dtype)


def _originals(owner, names):
    """The un-patched methods of `owner`, captured once, so enabling twice never wraps twice."""
    if "_autograd_originals" not in vars(owner):
        owner._autograd_originals = {name: getattr(owner, name) for name in names}
    return owner._autograd_originals


_BINARY_RULES = {np.add: AddBackward, np.subtract: SubBackward, np.multiply: MulBackward, np.divide: DivBackward}
_TENSOR_OPS = ["__init__", "_elementwise", "__matmul__", "sum", "mean", "max", "reshape", "transpose",
               "__getitem__"]


def enable_autograd():
    """Give Tensor (module 01), the activations (02) and the losses (04) gradient tracking."""
    op = _originals(Tensor, _TENSOR_OPS)

    def __init__(self, data, dtype=None, requires_grad=False):
        op["__init__"](self, data, dtype)
        if requires_grad and not np.issubdtype(self.dtype, np.floating):
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.dtype}")
        self.requires_grad = requires_grad
        self.grad = None
        self._grad_fn = None

    def _elementwise(self, other, np_op, name):
        other = _as_tensor(other, self)
        return _record(op["_elementwise"](self, other, np_op, name), _BINARY_RULES[np_op], self, other)

    def __matmul__(self, other):
        other = _as_tensor(other, self)
        return _record(op["__matmul__"](self, other), MatmulBackward, self, other)

    def tensor_sum(self, dim=None, keepdim=False):
        return _record(op["sum"](self, dim, keepdim), SumBackward, self, dim=dim, keepdim=keepdim)

    def tensor_mean(self, dim=None, keepdim=False):
        return _record(op["mean"](self, dim, keepdim), MeanBackward, self, dim=dim, keepdim=keepdim)

    def tensor_max(self, dim=None, keepdim=False):
        result = op["max"](self, dim, keepdim)
        if dim is None:
            return _record(result, MaxBackward, self, dim=None, keepdim=keepdim)
        _record(result.values, MaxBackward, self, dim=dim, keepdim=keepdim, indices=result.indices.data)
        return result

    def reshape(self, *shape):
        return _record(op["reshape"](self, *shape), ReshapeBackward, self)

    def transpose(self, dim0, dim1):
        return _record(op["transpose"](self, dim0, dim1), TransposeBackward, self, dim0=dim0, dim1=dim1)

    def __getitem__(self, index):
        result = op["__getitem__"](self, index)
        return _record(result, GetitemBackward, self, index=_numpy_index(index))

    def tensor_pow(self, exponent):
        return _record(_pow(self, exponent), PowBackward, self, exponent=exponent)

    def tensor_exp(self):
        result = _exp(self)
        return _record(result, ExpBackward, self, output=result.data)

    def tensor_log(self):
        return _record(_log(self), LogBackward, self)

    def detach(self):
        return Tensor(self.data, dtype=self.dtype)

    Tensor.requires_grad, Tensor.grad, Tensor._grad_fn = False, None, None  # defaults for old tensors
    Tensor.__init__, Tensor._elementwise, Tensor.__matmul__ = __init__, _elementwise, __matmul__
    Tensor.sum, Tensor.mean, Tensor.max = tensor_sum, tensor_mean, tensor_max
    Tensor.reshape, Tensor.transpose, Tensor.__getitem__ = reshape, transpose, __getitem__
    Tensor.__pow__, Tensor.exp, Tensor.log = tensor_pow, tensor_exp, tensor_log
    Tensor.sqrt = lambda self: self ** 0.5
    Tensor.backward, Tensor.detach = backward, detach
    _enable_module_gradients()


def _numpy_index(index):
    """The index as numpy sees it: Tensor parts unwrapped to int64 (or boolean) arrays, as in module 01."""
    def unwrap(part):
        if isinstance(part, Tensor):
            return part.data if part.dtype == np.bool_ else part.data.astype(np.int64)
        return part
    return tuple(unwrap(p) for p in index) if isinstance(index, tuple) else unwrap(index)


def _class_targets(target):
    return np.asarray(getattr(target, "data", target)).astype(np.int64)


def _float_targets(target, like):
    return np.asarray(getattr(target, "data", target), dtype=like.dtype)


def _enable_module_gradients():
    """Wrap the forward of every activation and loss so its result records the fused rule."""
    def track(cls, record):
        original = _originals(cls, ["forward"])["forward"]
        cls.forward = lambda self, *args: record(self, original(self, *args), *args)

    track(activations.ReLU, lambda m, out, x: _record(out, ReLUBackward, x))
    track(activations.Sigmoid, lambda m, out, x: _record(out, SigmoidBackward, x, output=out.data))
    track(activations.Tanh, lambda m, out, x: _record(out, TanhBackward, x, output=out.data))
    track(activations.GELU, lambda m, out, x: _record(out, GELUBackward, x, approximate=m.approximate))
    track(activations.Softmax, lambda m, out, x: _record(out, SoftmaxBackward, x, output=out.data, dim=m.dim))
    track(losses.MSELoss, lambda m, out, x, y: _record(out, MSEBackward, x, _as_tensor(y, x), reduction=m.reduction))
    track(losses.CrossEntropyLoss, lambda m, out, x, y: _record(
        out, CrossEntropyBackward, x, target=_class_targets(y), reduction=m.reduction))
    track(losses.BCEWithLogitsLoss, lambda m, out, x, y: _record(
        out, BCEWithLogitsBackward, x, target=_float_targets(y, x), reduction=m.reduction))
