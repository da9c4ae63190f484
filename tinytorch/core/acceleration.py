"""Generated from content/17_acceleration.py by scripts/build_content.py: edit the source, not this file."""
# From content/17_acceleration.py, cell 8 (Part 2 · Gradients only where they are needed)
import contextlib
import math
import numbers
import sys
import types

import numpy as np

from tinytorch.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from tinytorch.core import attention, transformers
from tinytorch.core.activations import GELU, _like
from tinytorch.core.attention import _broadcast_bias, attention_bias, causal_mask
from tinytorch.core.autograd import (AddBackward0, CrossEntropyLossBackward0, DivBackward0, Function, GeluBackward0,
                                     IndexBackward0, MmBackward0, MulBackward0, SubBackward0, _reduce_scale, record,
                                     unbroadcast)
from tinytorch.core.convolutions import (BatchNorm2d, ConvolutionBackward0, MaxPool2d, MaxPool2DWithIndicesBackward0,
                                         _matmul, _sizes)
from tinytorch.core.layers import Linear, Module
from tinytorch.core.losses import CrossEntropyLoss, _class_targets, _require_float_tensor, log_softmax
from tinytorch.core.tensor import Tensor, result_type
from tinytorch.core.transformers import LayerNorm, _normalized_dims
from tinytorch.patching import patch_to
from tinytorch.random import default_generator

__all__ = ["accelerate", "before_acceleration", "unaccelerated", "mm_backward", "AddmmBackward0", "linear",
           "fused_linear", "is_contiguous", "contiguous", "CheckpointFunctionBackward", "checkpoint",
           "ScaledDotProductFlashAttentionForCpuBackward0", "scaled_dot_product_attention"]


def accelerate(owner, name=None):
    """Decorator: install the function as `owner.<name>` (its own name unless given), remembering the
    implementation it replaces the first time, so `unaccelerated()` can bring that one back. The first one is
    kept on the owner itself, so running this module's cells again never mistakes a faster version for it.
    The owner is a class, or a Python module whose functions call the replaced function by its global name."""
    def install(function):
        attribute = name or function.__name__
        originals = vars(owner).get("_before_acceleration")
        if originals is None:
            originals = {}
            setattr(owner, "_before_acceleration", originals)
        originals.setdefault(attribute, vars(owner)[attribute])
        if isinstance(owner, types.ModuleType):
            setattr(owner, attribute, function)
            return function
        return patch_to(owner, name=attribute)(function)
    return install


def _family(cls):
    """cls and all of its subclasses, recursively."""
    return [cls] + [member for sub in cls.__subclasses__() for member in _family(sub)]


def _tinytorch_modules():
    return [module for key, module in list(sys.modules.items()) if key.startswith("tinytorch.")
            and isinstance(module, types.ModuleType)]


def before_acceleration(owner, name):
    """The implementation of `owner.<name>` that this module replaced (an earlier module's)."""
    return vars(owner)["_before_acceleration"][name]


@contextlib.contextmanager
def unaccelerated(*owners):
    """Run the block with the implementations this module replaced (earlier modules'): the "before" of a
    before/after measurement. Without arguments, every class and tinytorch module this module changed."""
    owners = owners or [owner for owner in _family(Function) + _family(Module) + _tinytorch_modules()
                        if "_before_acceleration" in vars(owner)]
    current = [(owner, attr, vars(owner)[attr]) for owner in owners for attr in vars(owner)["_before_acceleration"]]
    for owner, attr, _ in current:
        setattr(owner, attr, before_acceleration(owner, attr))
    try:
        yield
    finally:
        for owner, attr, function in current:
            setattr(owner, attr, function)


@patch_to(Function, as_property=True)
def needs_input_grad(self):
    """One bool per input, True when that input requires a gradient (PyTorch's ctx.needs_input_grad)."""
    return tuple(t.requires_grad for t in self.inputs)


@accelerate(MmBackward0, name="backward")
def mm_backward(self, grad):
    """a @ b's backward that computes only the gradients its inputs need (None for the others)."""
    a, b = self.inputs
    # Treat 1-D operands as (1, k) rows / (k, 1) columns, like np.matmul does.
    a2 = a.data[None, :] if a.ndim == 1 else a.data
    b2 = b.data[:, None] if b.ndim == 1 else b.data
    g = grad
    if b.ndim == 1:  # restore the column dim first, so a 0-d grad (vector @ vector) becomes (1, 1)
        g = np.expand_dims(g, -1)
    if a.ndim == 1:
        g = np.expand_dims(g, -2)
    need_a, need_b = self.needs_input_grad
    grad_a = grad_b = None
    if need_a:
        grad_a = g @ np.swapaxes(b2, -1, -2)
        grad_a = unbroadcast(grad_a.squeeze(-2) if a.ndim == 1 else grad_a, a.shape)
    if need_b:
        grad_b = np.swapaxes(a2, -1, -2) @ g
        grad_b = unbroadcast(grad_b.squeeze(-1) if b.ndim == 1 else grad_b, b.shape)
    return grad_a, grad_b


# From content/17_acceleration.py, cell 12 (Part 3 · Fusion: `linear` as one node)
class AddmmBackward0(Function):
    """Backward of linear(input, weight, bias): one node for input @ weight.T + bias."""

    def backward(self, grad):
        input, weight = self.inputs[0], self.inputs[1]
        need_input, need_weight, need_bias = (self.needs_input_grad + (False,))[:3]
        g = grad.reshape(math.prod(grad.shape[:-1]), weight.shape[0])  # (N, out_features): leading dims as rows
        grad_input = _matmul(g, weight.data).reshape(input.shape) if need_input else None
        grad_weight = _matmul(g.T, input.data.reshape(len(g), weight.shape[1])) if need_weight else None
        grad_bias = g.sum(axis=0) if need_bias else None
        return grad_input, grad_weight, grad_bias


def linear(input, weight, bias=None):
    """input @ weight.T + bias as one node (PyTorch's AddmmBackward0), for any number of leading dims;
    weight is (out_features, in_features), as in nn.Linear and torch.nn.functional.linear."""
    for name, value in (("input", input), ("weight", weight), ("bias", bias)):
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"linear(): {name} should be a Tensor, got {type(value).__name__}; wrap it: Tensor(x)")
    if weight.ndim != 2 or input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear(): input of shape {input.shape} does not fit a weight of shape {weight.shape} "
                         "(the weight is (out_features, in_features): its second size must equal the input's last)")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"linear(): bias of shape {bias.shape} does not fit {weight.shape[0]} output features")
    return fused_linear(input, weight, bias)


def fused_linear(input, weight, bias):
    """linear's computation, its arguments already checked (nn.Linear checks its own, so they are checked once)."""
    dtype = result_type(input, weight) if bias is None else result_type(input, weight, bias)
    rows = input.data.reshape(math.prod(input.shape[:-1]), weight.shape[1]).astype(dtype, copy=False)
    out = _matmul(rows, weight.data.T.astype(dtype, copy=False))
    if bias is not None:
        out += bias.data
    out = out.reshape(input.shape[:-1] + (weight.shape[0],))
    inputs = (input, weight) if bias is None else (input, weight, bias)
    return record(Tensor(out, dtype=dtype), AddmmBackward0, *inputs)


@accelerate(Linear, name="forward")
def linear_forward(self, input):
    """y = input @ weight.T + bias as one fused node (module 17's linear)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"Linear expects a Tensor input, got {type(input).__name__}; wrap it: Tensor(x)")
    if input.ndim == 0 or input.shape[-1] != self.in_features:
        raise ValueError(f"Linear({self.in_features}, {self.out_features}) expects inputs whose last "
                         f"dimension is {self.in_features}, got an input of shape {input.shape}")
    return fused_linear(input, self.weight, self.bias)


# From content/17_acceleration.py, cell 16 (Part 4 · Memory layout: strides, contiguity and cache lines)
@patch_to(Tensor)
def is_contiguous(self):
    """True when the numbers are laid out in row-major order with no gaps (PyTorch's is_contiguous)."""
    expected = self.data.itemsize
    for size, stride in zip(reversed(self.shape), reversed(self.data.strides)):
        if size != 1 and stride != expected:
            return False
        expected *= size
    return True


@patch_to(Tensor)
def contiguous(self):
    """This tensor if it is contiguous, else a row-major copy (gradients pass through, as in PyTorch)."""
    return self if self.is_contiguous() else self.clone()


# From content/17_acceleration.py, cell 22 (Part 5 · Gradient checkpointing: compute for memory)
class CheckpointFunctionBackward(Function):
    """The node for a checkpointed segment: its backward runs the segment again, recording, and
    backpropagates through that graph. Inputs: the tensor arguments, then the module's parameters."""

    def backward(self, grad):
        arguments = [Tensor(a.data, dtype=a.dtype, requires_grad=a.requires_grad) if isinstance(a, Tensor) else a
                     for a in self.args]  # detached: the recomputed graph ends at the segment's edge
        parameters = self.inputs[len(self.tensor_args):]
        held = [p.grad for p in parameters]  # the outer engine adds the node's gradients; keep theirs aside
        for p in parameters:
            p.grad = None
        generator = default_generator()
        after_forward = generator.bit_generator.state
        generator.bit_generator.state = self.rng_state  # the same random draws as the first forward
        try:
            with enable_grad():
                output = self.segment(*arguments, **self.kwargs)
            if output.requires_grad:
                output.backward(Tensor(grad, dtype=output.dtype))
        finally:
            generator.bit_generator.state = after_forward
            found = [p.grad for p in parameters]
            for p, grad_before in zip(parameters, held):
                p.grad = grad_before
        argument_grads = [a.grad.data if isinstance(a, Tensor) and a.grad is not None else None
                          for a in arguments if isinstance(a, Tensor)]
        return tuple(argument_grads) + tuple(g.data if g is not None else None for g in found)


def checkpoint(function, *args, use_reentrant=None, preserve_rng_state=True, **kwargs):
    """function(*args, **kwargs) without keeping its activations: they are recomputed in backward
    (torch.utils.checkpoint.checkpoint). `function` returns one Tensor. Its parameters get gradients when it
    is a Module; with any other callable, the tensor arguments and any parameters inside still get theirs,
    as long as some argument requires grad (PyTorch's use_reentrant=True rule). `use_reentrant` is accepted
    for compatibility; both settings use the recompute-in-backward node."""
    if not callable(function):
        raise TypeError(f"checkpoint(): function should be callable, got {type(function).__name__}")
    if not preserve_rng_state:
        raise ValueError("checkpoint(): preserve_rng_state=False is not supported: a Dropout inside would draw a "
                         "different mask when recomputed, and the gradients would be silently wrong")
    rng_state = default_generator().bit_generator.state
    with no_grad():
        output = function(*args, **kwargs)
    if not isinstance(output, Tensor):
        raise TypeError(f"checkpoint(): the function should return one Tensor, got {type(output).__name__}")
    tensor_args = tuple(a for a in args if isinstance(a, Tensor))
    parameters = tuple(function.parameters()) if isinstance(function, Module) else ()
    output = Tensor(output.data, dtype=output.dtype)  # a fresh tensor without grad_fn: the node is ours
    return record(output, CheckpointFunctionBackward, *tensor_args, *parameters, segment=function, args=args,
                  kwargs=kwargs, tensor_args=tensor_args, rng_state=rng_state)


# From content/17_acceleration.py, cell 26 (The same ideas across the package (given))
def _names_each_position_once(index):
    """True for an index of integers, slices, None and Ellipsis: no position can be picked twice."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (numbers.Integral, slice)) for p in parts)


@accelerate(IndexBackward0, name="backward")
def index_backward(self, grad):
    """t[index]'s backward: assignment when the index names each position once, np.add.at (repeats add up)
    only for index arrays."""
    (x,) = self.inputs
    spread = np.zeros(x.shape, dtype=grad.dtype)
    if _names_each_position_once(self.index):
        spread[self.index] = grad
    else:
        np.add.at(spread, self.index, grad)
    return (spread,)


@accelerate(AddBackward0, name="backward")
def add_backward(self, grad):
    """a + b: each operand's gradient only if it requires one (a constant costs an un-broadcast sum otherwise)."""
    a, b = self.inputs
    return (unbroadcast(grad, a.shape) if a.requires_grad else None,
            unbroadcast(grad, b.shape) if b.requires_grad else None)


@accelerate(SubBackward0, name="backward")
def sub_backward(self, grad):
    a, b = self.inputs
    return (unbroadcast(grad, a.shape) if a.requires_grad else None,
            unbroadcast(-grad, b.shape) if b.requires_grad else None)


@accelerate(MulBackward0, name="backward")
def mul_backward(self, grad):
    """a * b: a mask or a scale as b costs a full-size product for a gradient nobody reads; skip it."""
    a, b = self.inputs
    return (unbroadcast(grad * b.data, a.shape) if a.requires_grad else None,
            unbroadcast(grad * a.data, b.shape) if b.requires_grad else None)


@accelerate(DivBackward0, name="backward")
def div_backward(self, grad):
    a, b = self.inputs
    return (unbroadcast(grad / b.data, a.shape) if a.requires_grad else None,
            unbroadcast(-grad * a.data / b.data ** 2, b.shape) if b.requires_grad else None)


def _normalize(x, dims, eps):
    """x̂ = (x - mean) / σ over `dims` of the numpy array x: (x̂, 1/σ, mean, biased variance)."""
    mean = x.mean(axis=dims, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=dims, keepdims=True)
    inv_std = 1 / np.sqrt(var + eps)
    return centered * inv_std, inv_std, mean, var


def _record_normalization(node, input, normalized, inv_std, dims, weight, bias, param_dims, param_shape):
    """x̂ · weight + bias as one `node`; weight and bias are shared over `param_dims` and broadcast as `param_shape`."""
    out = normalized if weight is None else normalized * weight.data.reshape(param_shape)
    if bias is not None:
        out = out + bias.data.reshape(param_shape)
    inputs = [t for t in (input, weight, bias) if t is not None]
    return record(Tensor(out.astype(input.dtype, copy=False), dtype=input.dtype), node, *inputs,
                  normalized=normalized, inv_std=inv_std, dims=dims, param_dims=param_dims, param_shape=param_shape,
                  has_weight=weight is not None, has_bias=bias is not None)


class _NormalizationBackward(Function):
    """x̂ · weight + bias over `dims` as one node. Inputs: input, then weight and bias when given; saved: x̂
    (`normalized`), `inv_std`, `dims`, and `param_dims` / `param_shape` (how weight and bias are shared)."""

    def backward(self, grad):
        input, rest = self.inputs[0], list(self.inputs[1:])
        weight = rest.pop(0) if self.has_weight else None
        g = grad if weight is None else grad * weight.data.reshape(self.param_shape)  # the gradient of x̂
        grads = [None]
        if input.requires_grad:  # closed form: (g - mean(g) - x̂ · mean(g · x̂)) / σ over dims
            mean_g = g.mean(axis=self.dims, keepdims=True)
            mean_projection = (g * self.normalized).mean(axis=self.dims, keepdims=True)
            grads[0] = self.inv_std * (g - mean_g - self.normalized * mean_projection)
        if weight is not None:
            grads.append((grad * self.normalized).sum(axis=self.param_dims) if weight.requires_grad else None)
        if self.has_bias:
            grads.append(grad.sum(axis=self.param_dims) if rest[0].requires_grad else None)
        return tuple(grads)


class NativeBatchNormBackward0(_NormalizationBackward):
    """Training-mode batch norm (PyTorch's node name): normalised per channel over (N, H, W)."""


class NativeLayerNormBackward0(_NormalizationBackward):
    """Layer norm (PyTorch's node name): normalised over the last dims, per position."""


@accelerate(BatchNorm2d, name="forward")
def batch_norm_forward(self, input):
    """BatchNorm2d's forward; in training mode one fused node, else module 09's (the running statistics)."""
    if not (self.training or self.running_mean is None) or not isinstance(input, Tensor) or input.ndim != 4 or \
            input.shape[1] != self.num_features or input.numel() // self.num_features <= 1:
        return before_acceleration(BatchNorm2d, "forward")(self, input)  # eval, or its error messages
    if self.num_batches_tracked is not None:
        self.num_batches_tracked.data[...] += 1
    dims, channels = (0, 2, 3), self.num_features
    normalized, inv_std, mean, var = _normalize(input.data, dims, self.eps)
    if self.running_mean is not None:
        count = input.numel() // channels
        self.running_mean.data[...] = (1 - self.momentum) * self.running_mean.data + self.momentum * mean.reshape(channels)
        unbiased = var.reshape(channels) * (count / (count - 1))
        self.running_var.data[...] = (1 - self.momentum) * self.running_var.data + self.momentum * unbiased
    return _record_normalization(NativeBatchNormBackward0, input, normalized, inv_std, dims, self.weight, self.bias,
                                 param_dims=dims, param_shape=(1, channels, 1, 1))


@accelerate(CrossEntropyLoss, name="forward")
def cross_entropy_forward(self, input, target):
    """Module 04's cross-entropy, recording module 06's node with the softmax it computed, for the backward."""
    _require_float_tensor(input, "CrossEntropyLoss")
    if input.ndim != 2:
        raise ValueError(f"CrossEntropyLoss expects logits of shape (N, C), got shape {input.shape}")
    labels = _class_targets(target, input)
    logp = log_softmax(input.data, dim=1)
    loss = self._reduce(-logp[np.arange(len(labels)), labels], input)
    return record(loss, CrossEntropyLossBackward0, input, target=labels, reduction=self.reduction,
                  probabilities=np.exp(logp))


@accelerate(CrossEntropyLossBackward0, name="backward")
def cross_entropy_backward(self, grad):
    """softmax - one_hot(target), scaled as the reduction says, from the softmax the forward kept."""
    if "probabilities" not in vars(self):  # recorded by module 04 + 06's forward (inside unaccelerated())
        return before_acceleration(CrossEntropyLossBackward0, "backward")(self, grad)
    slope = self.probabilities.copy()  # a copy: a second backward (retain_graph) must find it unchanged
    slope[np.arange(len(slope)), self.target] -= 1
    scale = grad.reshape(-1, 1) if self.reduction == "none" else grad
    return (_reduce_scale(scale, self.reduction, len(slope)) * slope,)


@accelerate(LayerNorm, name="forward")
def layer_norm_forward(self, input):
    """LayerNorm's forward as one node (module 13's layer_norm composes about ten recorded ops)."""
    shape, dims = _normalized_dims(input, self.normalized_shape, "layer_norm")
    normalized, inv_std, _, _ = _normalize(input.data, dims, self.eps)
    return _record_normalization(NativeLayerNormBackward0, input, normalized, inv_std, dims, self.weight, self.bias,
                                 param_dims=tuple(range(input.ndim - len(shape))), param_shape=shape)


@accelerate(GELU, name="forward")
def gelu_forward(self, input):
    """GELU; in the tanh form, while recording, the slope dGELU/dx is computed from the forward's own x² and
    tanh and kept in the node (module 02's forward and module 06's rule otherwise)."""
    if self.approximate != "tanh" or not isinstance(input, Tensor) or not is_grad_enabled() \
            or not input.requires_grad:
        return before_acceleration(GELU, "forward")(self, input)
    c, v = math.sqrt(2 / math.pi), input.data  # a Python float keeps float32 arrays float32
    v2 = v * v
    t = np.tanh(c * (v + 0.044715 * v2 * v))
    slope = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v2)
    return record(_like(0.5 * v * (1 + t), input), GeluBackward0, input, approximate="tanh", slope=slope)


@accelerate(GeluBackward0, name="backward")
def gelu_backward(self, grad):
    """grad times the slope the forward kept; module 06's rule (which computes it here) when none was kept."""
    if "slope" not in vars(self):
        return before_acceleration(GeluBackward0, "backward")(self, grad)
    return (grad * self.slope,)


def _tiles(kernel, grad_shape):
    """The strided views, one per window offset (u, v), of the windows that tile an input: index (…, u::kH, v::kW)."""
    (kh, kw), (out_h, out_w) = kernel, grad_shape[2:]
    return [(slice(None), slice(None), slice(u, u + kh * out_h, kh), slice(v, v + kw * out_w, kw))
            for u in range(kh) for v in range(kw)]


@accelerate(MaxPool2d, name="forward")
def max_pool_forward(self, input):
    """MaxPool2d; when its windows tile the input (stride = kernel, no padding), the maximum of the strided
    views, the backward finding the winners by comparison (module 09's forward otherwise, and on NaN)."""
    kernel, stride, padding = _sizes("MaxPool2d", self.kernel_size, self.stride, self.padding)
    if kernel != stride or padding != (0, 0) or not isinstance(input, Tensor) or input.ndim != 4 or \
            input.dtype.kind != "f" or input.shape[2] < kernel[0] or input.shape[3] < kernel[1]:
        return before_acceleration(MaxPool2d, "forward")(self, input)
    out_shape = input.shape[:2] + (input.shape[2] // kernel[0], input.shape[3] // kernel[1])
    views = [input.data[tile] for tile in _tiles(kernel, out_shape)]
    out = views[0].copy()
    for view in views[1:]:
        np.maximum(out, view, out=out)
    if np.isnan(out).any():  # NaN == NaN is False: no comparison would find the winner
        return before_acceleration(MaxPool2d, "forward")(self, input)
    return record(Tensor(out, dtype=input.dtype), MaxPool2DWithIndicesBackward0, input, maximum=out, kernel=kernel,
                  stride=stride, padding=padding)


@accelerate(MaxPool2DWithIndicesBackward0, name="backward")
def max_pool_backward(self, grad):
    """Each window's gradient to its winner: by comparison with the kept maximum when the windows tile the input,
    by assignment when windows cannot overlap (stride >= kernel), else module 09's rule, which adds up the
    gradients of a winner shared by several windows."""
    (x,) = self.inputs
    if "maximum" in vars(self):
        grad_x, taken = np.zeros(x.shape, dtype=grad.dtype), np.zeros(grad.shape, dtype=bool)
        for tile in _tiles(self.kernel, grad.shape):  # in (u, v) order: the first maximum wins a tie
            wins = (x.data[tile] == self.maximum) & ~taken
            grad_x[tile] = grad * wins
            taken |= wins
        return (grad_x,)
    (kh, kw), (sh, sw), (ph, pw) = self.kernel, self.stride, self.padding
    if sh < kh or sw < kw:
        return before_acceleration(MaxPool2DWithIndicesBackward0, "backward")(self, grad)
    batch, channels, height, width = x.shape
    out_h, out_w = grad.shape[2:]
    grad_padded = np.zeros((batch, channels, height + 2 * ph, width + 2 * pw), dtype=grad.dtype)
    rows = np.arange(out_h)[:, None] * sh + self.argmax // kw
    cols = np.arange(out_w) * sw + self.argmax % kw
    b, c = np.arange(batch)[:, None, None, None], np.arange(channels)[None, :, None, None]
    grad_padded[b, c, rows, cols] = grad
    return (grad_padded[:, :, ph:ph + height, pw:pw + width],)


@accelerate(ConvolutionBackward0, name="backward")
def convolution_backward(self, grad):
    """conv2d's rule without the input's gradient when the input needs none (the images of a first layer)."""
    if self.needs_input_grad[0]:
        return before_acceleration(ConvolutionBackward0, "backward")(self, grad)
    weight = self.inputs[1]
    g = grad.transpose(0, 2, 3, 1).reshape(-1, weight.shape[0])
    grad_weight = _matmul(g.T, self.cols).reshape(weight.shape) if self.needs_input_grad[1] else None
    return (None, grad_weight) + ((g.sum(axis=0),) if len(self.inputs) == 3 else ())


class ScaledDotProductFlashAttentionForCpuBackward0(Function):
    """scaled_dot_product_attention as one node (PyTorch's name for its CPU kernel). Inputs: query, key, value;
    saved: the attention weights P (`weights`), the dropout scale per weight (`keep`, None without dropout)
    and `scale`."""

    def backward(self, grad):
        query, key, value = self.inputs
        used = self.weights if self.keep is None else self.weights * self.keep
        grad_value = used.swapaxes(-1, -2) @ grad if value.requires_grad else None
        if not (query.requires_grad or key.requires_grad):
            return None, None, grad_value
        grad_weights = grad @ value.data.swapaxes(-1, -2)
        if self.keep is not None:
            grad_weights *= self.keep
        grad_scores = self.weights * (grad_weights - (grad_weights * self.weights).sum(-1, keepdims=True))
        grad_scores *= self.scale
        return (grad_scores @ key.data if query.requires_grad else None,
                grad_scores.swapaxes(-1, -2) @ query.data if key.requires_grad else None, grad_value)


def _fusable(query, key, value, attn_mask):
    """True when the fused attention covers the call: float Tensors of one dtype and the same batch shape, a
    mask that needs no gradient. Everything else (and every error message) is module 12's."""
    tensors = (query, key, value)
    return (all(isinstance(t, Tensor) and t.ndim >= 2 and t.dtype == query.dtype for t in tensors)
            and query.dtype.kind == "f" and query.shape[:-2] == key.shape[:-2] == value.shape[:-2]
            and query.shape[-1] == key.shape[-1] and key.shape[-2] == value.shape[-2]
            and (attn_mask is None or isinstance(attn_mask, Tensor) and not attn_mask.requires_grad))


@accelerate(attention, name="scaled_dot_product_attention")  # what MultiheadAttention calls
@accelerate(transformers, name="scaled_dot_product_attention")  # what CausalSelfAttention calls
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """softmax(query @ key^T * scale + mask) @ value as one node, with module 12's arguments and semantics
    (torch.nn.functional.scaled_dot_product_attention's)."""
    original = before_acceleration(attention, "scaled_dot_product_attention")
    if not _fusable(query, key, value, attn_mask) or (is_causal and attn_mask is not None) or not 0 <= dropout_p <= 1:
        return original(query, key, value, attn_mask, dropout_p, is_causal, scale)
    L, S = query.shape[-2], key.shape[-2]
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query.data @ key.data.swapaxes(-1, -2)) * scale
    mask = causal_mask(L, S) if is_causal else attn_mask
    dead = None
    if mask is not None:
        bias = _broadcast_bias(attention_bias(mask, query.dtype), L, S, "scaled_dot_product_attention()").data
        if np.broadcast_shapes(bias.shape, scores.shape) != scores.shape:  # a mask that adds batch dims
            return original(query, key, value, attn_mask, dropout_p, is_causal, scale)
        dead = np.all(np.isneginf(bias), axis=-1, keepdims=True)  # queries with nothing to attend to: zeros
        scores += np.where(dead, 0, bias)
    exps = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = exps / exps.sum(axis=-1, keepdims=True)
    if dead is not None and dead.any():
        weights *= ~dead
    keep = None
    if dropout_p > 0:  # module 03's Dropout: the same draws, the same scale
        kept = default_generator().random(weights.shape) >= dropout_p
        keep = (kept * (1 / (1 - dropout_p) if dropout_p < 1 else 0.0)).astype(query.dtype)
    out = (weights if keep is None else weights * keep) @ value.data
    return record(Tensor(out, dtype=query.dtype), ScaledDotProductFlashAttentionForCpuBackward0, query, key, value,
                  weights=weights, keep=keep, scale=scale)


def _attention_flops(result, query, key, value, *args, **kwargs):
    """2·L·S·E for the scores and 2·L·S·Ev for the weighted sum, per batch entry and head."""
    return 2 * math.prod(query.shape[:-1]) * key.shape[-2] * (query.shape[-1] + value.shape[-1])


scaled_dot_product_attention.profile_as = ("nn.functional.scaled_dot_product_attention", _attention_flops)  # module 14
