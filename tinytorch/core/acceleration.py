"""Generated from content/17_acceleration.py by scripts/build_content.py: edit the source, not this file."""
# From content/17_acceleration.py, cell 8 (Part 2 · Gradients only where they are needed)
import contextlib
import math

import numpy as np

from tinytorch.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from tinytorch.core.autograd import Function, MmBackward0, record, unbroadcast
from tinytorch.core.layers import Linear, Module
from tinytorch.core.tensor import Tensor, result_type
from tinytorch.patching import patch_to
from tinytorch.random import default_generator

__all__ = ["accelerate", "unaccelerated", "mm_backward", "AddmmBackward0", "linear", "is_contiguous", "contiguous",
           "CheckpointFunctionBackward", "checkpoint"]


def accelerate(owner, name=None):
    """Decorator: install the function as `owner.<name>` (its own name unless given), remembering the
    implementation it replaces the first time, so `unaccelerated()` can bring that one back. The first one is
    kept on the class itself, so running this module's cells again never mistakes a faster version for it."""
    def install(function):
        attribute = name or function.__name__
        originals = vars(owner).get("_before_acceleration")
        if originals is None:
            originals = {}
            setattr(owner, "_before_acceleration", originals)
        originals.setdefault(attribute, vars(owner)[attribute])
        return patch_to(owner, name=attribute)(function)
    return install


@contextlib.contextmanager
def unaccelerated(*owners):
    """Run the block with the implementations this module replaced (those of modules 03 and 06): the
    "before" of a before/after measurement. Without arguments, every class this module changed."""
    owners = owners or [cls for cls in (MmBackward0, Linear) if "_before_acceleration" in vars(cls)]
    current = [(cls, attr, vars(cls)[attr]) for cls in owners for attr in vars(cls)["_before_acceleration"]]
    for cls, attr, _ in current:
        setattr(cls, attr, vars(cls)["_before_acceleration"][attr])
    try:
        yield
    finally:
        for cls, attr, function in current:
            setattr(cls, attr, function)


@patch_to(Function, as_property=True)
def needs_input_grad(self):
    """One bool per input, True when that input requires a gradient (PyTorch's ctx.needs_input_grad)."""
    return tuple(t is not None and t.requires_grad for t in self.inputs)


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
        grad_input = (g @ weight.data).reshape(input.shape) if need_input else None
        grad_weight = g.T @ input.data.reshape(len(g), weight.shape[1]) if need_weight else None
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
    if bias is not None and bias.shape not in ((weight.shape[0],), ()):
        raise ValueError(f"linear(): bias of shape {bias.shape} does not fit {weight.shape[0]} output features")
    dtype = result_type(input, weight) if bias is None else result_type(input, weight, bias)
    rows = input.data.reshape(math.prod(input.shape[:-1]), weight.shape[1]).astype(dtype, copy=False)
    out = rows @ weight.data.T.astype(dtype, copy=False)
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
    return linear(input, self.weight, self.bias)


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
