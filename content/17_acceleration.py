# %% [markdown]
# # Module 17 · Acceleration
#
# Module 14 showed where a training step spends its time; this module makes tinytorch itself faster and
# measures every change before and after, on the same workload. None of it needs a new algorithm. The
# gains come from doing less work (not computing gradients nobody asked for), doing it in fewer, larger
# pieces (one fused node for `Linear` instead of three), doing it in the order memory likes (contiguous
# rows), and choosing what to keep (gradient checkpointing trades a second forward pass for activation
# memory). What you write here is what the package uses from now on: after this module `nn.Linear`,
# `F.linear` and every matrix product's backward run your code, in CPython and in the browser.
#
# ```text
# Connection map
#   Prerequisites : 03 Layers   (Linear: input @ weight.T + bias)
#                   06 Autograd (Function nodes, record, MmBackward0, graph_footprint)
#                   14 Profiling (profile, key_averages().table(), Amdahl's law)
#   Focus (17)    : loops vs vectorized numpy, needs_input_grad, a fused linear (AddmmBackward0),
#                   memory layout (is_contiguous, contiguous, cache lines), gradient checkpointing,
#                   the browser's matmul kernels
#   Unlocks       : 18 Memoization (another way of not recomputing), 19 Benchmarking (are the gains real?),
#                   20 Capstone (a faster model under constraints)
# ```
#
# ## Learning objectives
# By the end you will be able to
# 1. measure the cost of a Python loop against one numpy call, and of one tinytorch operation against the
#    numpy it runs (the fixed cost per op that fusion removes);
# 2. skip the gradients of inputs that do not require them, as PyTorch's `ctx.needs_input_grad` does;
# 3. fuse `input @ weight.T + bias` into one node with one backward rule (`AddmmBackward0`, PyTorch's name);
# 4. explain strides, contiguity and cache lines, and measure what a transposed (strided) operand costs;
# 5. trade compute for memory with `tinytorch.utils.checkpoint.checkpoint`, measuring both sides;
# 6. **measure**: the MLP training step before and after, in one run, and the matmul kernels of the browser.
#
# Work top to bottom: fill in the code where it says `# YOUR CODE HERE`, and run each check cell.

# %% [markdown]
# ## Part 1 · Measure first: loops, ops and nodes
#
# Three costs decide how fast array code runs in Python, and they differ by orders of magnitude:
#
# * **Python per element.** A loop that touches one number per iteration pays the interpreter (a few tens
#   of nanoseconds per bytecode) for every element. numpy runs the same loop in compiled code.
# * **Python per operation.** Every tinytorch op checks its arguments, promotes dtypes, creates a
#   `Tensor` and, when recording, a `Function` node; backward visits every node again. This fixed cost is a
#   few microseconds whatever the size of the arrays, so it dominates small layers.
# * **Memory.** Large arrays are limited by how fast bytes arrive from memory, not by arithmetic: every
#   temporary array written and read again costs time, and reading memory out of order costs more.
#
# First the per-element cost: the same matrix product written as Python loops and as one numpy call.

# %%
import time

import numpy as np

import tinytorch
from tinytorch import CrossEntropyLoss, Linear, ReLU, Sequential, Tensor
from tinytorch.core.autograd import graph_footprint, topological_order
from tinytorch.optim import SGD
from tinytorch.timing import time_per_call


def matmul_loops(a, b):
    """The textbook triple loop, one multiply-add per iteration."""
    n, k = a.shape
    m = b.shape[1]
    out = np.zeros((n, m), dtype=a.dtype)
    for i in range(n):
        for j in range(m):
            total = 0.0
            for p in range(k):
                total += a[i, p] * b[p, j]
            out[i, j] = total
    return out


rng = np.random.default_rng(17)
a32, b32 = rng.standard_normal((24, 24)).astype(np.float32), rng.standard_normal((24, 24)).astype(np.float32)
assert np.allclose(matmul_loops(a32, b32), a32 @ b32, atol=1e-4)
loops_seconds = time_per_call(lambda: matmul_loops(a32, b32), repeat=2)
numpy_seconds = time_per_call(lambda: a32 @ b32)
print(f"24x24 @ 24x24: Python loops {loops_seconds * 1e3:.2f} ms, numpy {numpy_seconds * 1e6:.1f} us: "
      f"{loops_seconds / numpy_seconds:,.0f}x")

# %% [markdown]
# Then the per-operation cost: one tinytorch op against the numpy call it makes, on a tiny array (where
# the fixed cost is all there is) and on a large one (where the arithmetic hides it).

# %%
for n in (4, 512):
    x_np = rng.standard_normal((n, n)).astype(np.float32)
    x = Tensor(x_np, requires_grad=True)
    numpy_add = time_per_call(lambda: x_np + x_np)
    tinytorch_add = time_per_call(lambda: x + x)
    print(f"{n}x{n} add: numpy {numpy_add * 1e6:7.2f} us, tinytorch (recording) {tinytorch_add * 1e6:7.2f} us, "
          f"fixed cost per op about {(tinytorch_add - numpy_add) * 1e6:.1f} us")

# %% [markdown]
# So a training step of a small network pays mostly for the *number* of operations. Count them: the
# 1986 milestone's MLP (64-128-64-10), one batch of 64, and the nodes its graph holds, listed by the
# profiler of module 14.

# %%
SIZES, BATCH = (64, 128, 64, 10), 64


def make_mlp(seed=0):
    tinytorch.manual_seed(seed)
    layers = [Linear(a, b) for a, b in zip(SIZES, SIZES[1:])]
    return Sequential(*[m for layer in layers for m in (layer, ReLU())][:-1])


def recorded_nodes(output):
    """How many operations the graph behind `output` recorded: the tensors in it that have a grad_fn."""
    return sum(t.grad_fn is not None for t in topological_order(output))


x_batch = Tensor(rng.standard_normal((BATCH, SIZES[0])).astype(np.float32))
y_batch = rng.integers(0, SIZES[-1], BATCH).astype(np.int64)
mlp = make_mlp()
loss = CrossEntropyLoss()(mlp(x_batch), y_batch)
print(f"one forward pass: {recorded_nodes(loss)} recorded nodes, {graph_footprint(loss)[1]:,} bytes kept for backward")
with tinytorch.profiler.profile() as prof:
    loss.backward()
print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=8))

# %% [markdown]
# Each `Linear` records three nodes: `TransposeBackward0` for `weight.T`, `MmBackward0` for the product
# and `AddBackward0` for the bias. The bias's backward sums the gradient over the batch through the
# general `unbroadcast`, and `MmBackward0` computes the gradient of the **input** too, even for the first
# layer, whose input is the data batch: nobody will ever read that gradient. The next two parts remove
# both wastes.
#
# ## Part 2 · Gradients only where they are needed
#
# PyTorch gives every backward rule `ctx.needs_input_grad`: one boolean per input, True when that input
# requires a gradient. A rule computes only the gradients asked for and returns `None` for the others.
# For `y = a @ b` the two gradients cost the same as the forward pass each (`grad @ b.T` and `a.T @ grad`),
# so when `a` is data the rule can skip a third of the step's matrix work for that layer.
#
# Here every `Function` gets the property `needs_input_grad`, and you rewrite `MmBackward0.backward` to use
# it. The package installs your rule in place of module 06's; `unaccelerated()` puts module 06's back for
# the duration of a `with` block, which is how this module measures "before".

# %%
#| export
#| default_exp core.acceleration
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
    # HINT 1: Module 06's rule computes both gradients and returns them. Compute each one only when its input
    # HINT 1: needs it, and return None in its place otherwise (the engine skips None). Each gradient keeps
    # HINT 1: every step of module 06's version: the product, squeezing a 1-D operand's added dim, un-broadcasting.
    # HINT 2: Unpack the two flags of `self.needs_input_grad`; the products are `g` times `b2` with its last two
    # HINT 2: axes swapped (`np.swapaxes`) and `a2` swapped times `g`; then `.squeeze(-2)` for a 1-D `a`,
    # HINT 2: `.squeeze(-1)` for a 1-D `b`, and `unbroadcast` to each input's shape. Name them grad_a and grad_b.
    ### BEGIN SOLUTION
    need_a, need_b = self.needs_input_grad
    grad_a = grad_b = None
    if need_a:
        grad_a = g @ np.swapaxes(b2, -1, -2)
        grad_a = unbroadcast(grad_a.squeeze(-2) if a.ndim == 1 else grad_a, a.shape)
    if need_b:
        grad_b = np.swapaxes(a2, -1, -2) @ g
        grad_b = unbroadcast(grad_b.squeeze(-1) if b.ndim == 1 else grad_b, b.shape)
    ### END SOLUTION
    return grad_a, grad_b


# %% [markdown]
# ### Check Part 2
# Products of every shape kind (matrix, batched, broadcast batch, vector on either side) with each
# combination of `requires_grad`: the gradients asked for against finite differences, and `None`, not a
# wasted array, for those nobody asked for.

# %%
from tinytorch.checks.acceleration import check_mm_backward

check_mm_backward(MmBackward0)

# %% [markdown]
# ## Part 3 · Fusion: `linear` as one node
#
# `input @ weight.T + bias` records three nodes and makes two temporaries (the transposed view is free,
# the product and the sum are not). One function can do the same work as **one** node:
#
# * forward: flatten the leading dims of `input` to rows, `out = rows @ weight.T` (one 2-D product, however
#   many leading dims), add `bias` **into** `out` (in place: no second array), reshape back;
# * backward, with `g` the output gradient as rows `(N, out_features)`:
#   `grad_input = g @ weight` (reshaped back), `grad_weight = g.T @ rows`, `grad_bias = g.sum(0)`,
#   each only if needed.
#
# For a 3-d input `(B, T, in)` (every linear layer of the GPT) this matters twice: module 06's batched
# product computes `B` separate `(in, T) @ (T, out)` weight gradients and then sums them (`unbroadcast`);
# the rows form does it as one `(in, N) @ (N, out)` product. PyTorch names this node `AddmmBackward0`
# ("add + matrix-multiply"): after this part `nn.Linear` and `nn.functional.linear` use it.

# %%
#| export
class AddmmBackward0(Function):
    """Backward of linear(input, weight, bias): one node for input @ weight.T + bias."""

    def backward(self, grad):
        input, weight = self.inputs[0], self.inputs[1]
        need_input, need_weight, need_bias = (self.needs_input_grad + (False,))[:3]
        g = grad.reshape(math.prod(grad.shape[:-1]), weight.shape[0])  # (N, out_features): leading dims as rows
        # HINT 1: Three gradients, each computed only if needed (None otherwise): the input's is the output
        # HINT 1: gradient multiplied back through the weight, in the input's shape; the weight's pairs every
        # HINT 1: output-gradient row with its input row and sums over rows; the bias's sums the rows.
        # HINT 2: Rows of the input: `input.data.reshape(len(g), weight.shape[1])`. The products with module 09's
        # HINT 2: `_matmul(a, b)` (einsum in the browser, `@` in CPython): `g` with the weight, reshaped to
        # HINT 2: `input.shape`; `g.T` with the rows. `g.sum(axis=0)`. Name them grad_input, grad_weight, grad_bias.
        ### BEGIN SOLUTION
        grad_input = _matmul(g, weight.data).reshape(input.shape) if need_input else None
        grad_weight = _matmul(g.T, input.data.reshape(len(g), weight.shape[1])) if need_weight else None
        grad_bias = g.sum(axis=0) if need_bias else None
        ### END SOLUTION
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
    # HINT 1: One 2-D product of the rows with the transposed weight, the bias added into that fresh result
    # HINT 1: (no second array), the leading dims restored, and one node recorded for all of it.
    # HINT 2: `_matmul` with the weight's `.T` (cast to `dtype` without copying), then `+=` for the bias; `reshape` to
    # HINT 2: the input's leading dims plus `weight.shape[0]`; `record(Tensor(...), AddmmBackward0, ...)` with the
    # HINT 2: input, the weight and the bias as inputs, leaving the bias out when it is None.
    ### BEGIN SOLUTION
    out = _matmul(rows, weight.data.T.astype(dtype, copy=False))
    if bias is not None:
        out += bias.data
    out = out.reshape(input.shape[:-1] + (weight.shape[0],))
    inputs = (input, weight) if bias is None else (input, weight, bias)
    return record(Tensor(out, dtype=dtype), AddmmBackward0, *inputs)
    ### END SOLUTION


@accelerate(Linear, name="forward")
def linear_forward(self, input):
    """y = input @ weight.T + bias as one fused node (module 17's linear)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"Linear expects a Tensor input, got {type(input).__name__}; wrap it: Tensor(x)")
    if input.ndim == 0 or input.shape[-1] != self.in_features:
        raise ValueError(f"Linear({self.in_features}, {self.out_features}) expects inputs whose last "
                         f"dimension is {self.in_features}, got an input of shape {input.shape}")
    return fused_linear(input, self.weight, self.bias)


# %% [markdown]
# ### Check Part 3
# `linear` on 1-d, 2-d and 3-d inputs, with and without bias, float32 and float64: values against
# `input @ weight.T + bias`, gradients of every input against finite differences, a single node, and
# `None` for inputs that need no gradient.

# %%
from tinytorch.checks.acceleration import check_linear

check_linear(linear, AddmmBackward0)

# %% [markdown]
# ## Part 4 · Memory layout: strides, contiguity and cache lines
#
# A numpy array is one block of memory plus **strides**: how many bytes to step for one move along each
# dimension. A `(3, 4)` float32 array in row-major (C) order has strides `(16, 4)`: the next column is 4
# bytes on, the next row 16. `.T` makes no copy: it swaps the strides to `(4, 16)`, so walking a row of
# the transpose jumps 16 bytes at a time. An array is **contiguous** (PyTorch's `is_contiguous()`) when
# its strides are exactly the row-major ones for its shape: the last dimension one element apart, each
# earlier one the product of the later sizes times the element size. (A dimension of size 1 is never
# stepped along, so its stride does not matter.)
#
# Why it matters: memory arrives in **cache lines** of 64 bytes. Reading along a contiguous row uses all
# 16 float32 of each line; reading down a column uses one number per line fetched. `contiguous()` copies
# a strided tensor into row-major order once, so every later pass reads it at full speed.
#
# You write `is_contiguous` and `contiguous` (both PyTorch's Tensor methods).

# %%
#| export
@patch_to(Tensor)
def is_contiguous(self):
    """True when the numbers are laid out in row-major order with no gaps (PyTorch's is_contiguous)."""
    # HINT 1: Walk the dimensions from the last to the first, keeping the stride a row-major array of this
    # HINT 1: shape would have there (the element size at the last dim, times each later size going left).
    # HINT 1: Every dim whose size is not 1 must have exactly that stride.
    # HINT 2: `self.data.strides`, `self.data.itemsize`, `zip(reversed(shape), reversed(strides))`; return a
    # HINT 2: Python bool. (numpy's `flags` would answer too; writing the rule is the point.)
    ### BEGIN SOLUTION
    expected = self.data.itemsize
    for size, stride in zip(reversed(self.shape), reversed(self.data.strides)):
        if size != 1 and stride != expected:
            return False
        expected *= size
    return True
    ### END SOLUTION


@patch_to(Tensor)
def contiguous(self):
    """This tensor if it is contiguous, else a row-major copy (gradients pass through, as in PyTorch)."""
    # HINT 1: Return the tensor itself when it is already contiguous (no copy at all); otherwise the same
    # HINT 1: numbers in row-major order, made with an op that autograd records, so gradients still flow.
    # HINT 2: `self.is_contiguous()`; `self.clone()` copies and records `CloneBackward0`; numpy's `copy()`
    # HINT 2: (which clone uses) writes row-major order.
    ### BEGIN SOLUTION
    return self if self.is_contiguous() else self.clone()
    ### END SOLUTION


# %% [markdown]
# ### Check Part 4
# Contiguous, transposed, sliced, broadcast and size-1 layouts against the rule, and `contiguous()`:
# the same tensor when already contiguous, a row-major copy with gradients otherwise.

# %%
from tinytorch.checks.acceleration import check_contiguous

check_contiguous(Tensor)

# %% [markdown]
# Now measure the layout. Summing the rows of a large matrix reads memory in order; summing its
# columns, or the rows of its transpose, steps 4 bytes times the row length at a time. And a matrix
# product whose left operand is a strided view pays for the copy BLAS makes of it.

# %%
big = rng.standard_normal((2048, 2048)).astype(np.float32)
big_t = Tensor(big).T
print(f"big.T is contiguous: {big_t.is_contiguous()}, strides {big_t.data.strides}; big: {big.strides}")
along_rows = time_per_call(lambda: big.sum(axis=1), repeat=3)
along_columns = time_per_call(lambda: big.T.sum(axis=1), repeat=3)
copy_once = time_per_call(lambda: big_t.contiguous(), repeat=3)
print(f"sum of each row: {along_rows * 1e3:.2f} ms; sum of each row of the transpose: {along_columns * 1e3:.2f} ms "
      f"({along_columns / along_rows:.1f}x); one contiguous() copy: {copy_once * 1e3:.2f} ms")
left = rng.standard_normal((256, 256)).astype(np.float32)
strided = left[:, ::2]  # every other column: a view with gaps
packed = np.ascontiguousarray(strided)
print(f"(256x128 strided view) @ (128x256): {time_per_call(lambda: strided @ left[:128]) * 1e6:.0f} us; "
      f"the same numbers contiguous: {time_per_call(lambda: packed @ left[:128]) * 1e6:.0f} us")

# %% [markdown]
# ## Part 5 · Gradient checkpointing: compute for memory
#
# Backward needs what forward saved: every layer's input, every ReLU's mask. For a deep network that is
# most of the memory of training (module 06 measured it growing with depth). **Gradient checkpointing**
# keeps only the input of a segment: the forward runs the segment under `no_grad()` (no graph, nothing
# saved), and the backward **runs the segment's forward again**, this time recording, then backpropagates
# through that fresh graph. One extra forward pass of the segment buys the memory of its activations.
#
# `tinytorch.utils.checkpoint.checkpoint(function, *args)` does this as PyTorch's does: one node,
# `CheckpointFunctionBackward`, stands for the whole segment. Its inputs are the tensor arguments and,
# when `function` is a `Module`, its parameters; its backward returns a gradient for each. Two details
# make the recomputation exact: the random generator's state is saved before the first forward and put
# back for the second (so a Dropout inside draws the same mask), and the arguments are detached before
# the second forward (so its graph stops at the segment's edge, and the outer engine continues from there).
#
# The node and most of `checkpoint` are given; you write the backward's core: recompute and differentiate.

# %%
#| export
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
            # HINT 1: Run the segment again with gradients recorded, then backpropagate this node's output gradient
            # HINT 1: through the new graph. The detached arguments and the parameters then hold the gradients.
            # HINT 2: `with enable_grad():` around `self.segment(*arguments, **self.kwargs)`; call the result's
            # HINT 2: `backward(Tensor(grad))`. Only when the output requires grad: else there is nothing to do.
            ### BEGIN SOLUTION
            with enable_grad():
                output = self.segment(*arguments, **self.kwargs)
            if output.requires_grad:
                output.backward(Tensor(grad, dtype=output.dtype))
            ### END SOLUTION
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


# %% [markdown]
# ### Check Part 5
# A block with a Dropout inside, checkpointed and not: the same output, the same gradients for the input
# and every parameter, fewer bytes kept for backward; and the generator left as it was.

# %%
from tinytorch.checks.acceleration import check_checkpoint

check_checkpoint(checkpoint)

# %% [markdown]
# ## The same ideas across the package (given)
#
# Profiles of the CNN and GPT training steps (`benchmarks/cnn_step.py`, `benchmarks/gpt_step.py`, which time
# them against hand-written numpy) found the same kinds of waste in other rules. This module applies the
# same remedies to them; you have written each idea once already, so this code is given:
#
# * **Indexing** (`IndexBackward0`, module 06) spreads the gradient with `np.add.at`, which is right when an
#   index array names a position twice and about 30x slower than assignment. An index of integers and
#   slices (the GPT's `qkv[0]`) never names a position twice: assign.
# * **Max pooling** (`MaxPool2DWithIndicesBackward0`, module 09) does the same for windows that can overlap;
#   when the stride is at least the kernel size they cannot, and every winner is distinct: assign. And when
#   the windows tile the input (stride = kernel, no padding: `MaxPool2d(2)`), its forward copies every
#   window into a new array to take an `argmax`. Instead: the maximum of the kH·kW strided views
#   `x[:, :, u::kH, v::kW]` (no copy), and in the backward each view's winners found by comparing it with
#   that maximum, the first maximum of a window taking the gradient (PyTorch's choice on ties, and ties are
#   common: after a ReLU a window is often all zeros).
# * **Convolution** (`ConvolutionBackward0`, module 09) computes its input's gradient even for the first layer,
#   whose input is the images (a col2im and a matrix product per step): skip it, as `needs_input_grad` says.
# * **Element-wise arithmetic** (`AddBackward0`, `MulBackward0`, ..., module 06) returns a gradient for both
#   operands, including constants (a mask, a scale, the `1e-5` of a variance): skip what nobody needs.
# * **Normalisation** (`BatchNorm2d`, module 09; `LayerNorm`, module 13) is written with about ten Tensor ops,
#   each a node and a full-size temporary; each becomes one node (`NativeBatchNormBackward0` in training,
#   `NativeLayerNormBackward0`: PyTorch's names) with the closed-form gradient
#   `(g - mean(g) - x̂ · mean(g · x̂)) / σ` over the normalised dims, `g` the gradient of x̂.
# * **Cross-entropy** (module 04's forward, module 06's fused rule) computes the softmax in the forward pass
#   (as log-softmax) and again in the backward; keep it from the forward instead (memoization, module 18's
#   idea, inside one training step).
# * **GELU** (tanh form, the GPT's MLP; module 02's forward, module 06's rule) computes `x²` and `tanh(·)` in
#   the forward pass and both again in the backward; while recording, the forward computes the slope with
#   the values it has and keeps it, so the backward is one product.
# * **Attention** (`scaled_dot_product_attention`, module 12) records about eight nodes per call (scores, scale,
#   mask, softmax, the live-row mask, the weighted sum), each with a (…, L, S) temporary. As one node
#   (`ScaledDotProductFlashAttentionForCpuBackward0`, the name PyTorch's CPU kernel gives it) it keeps the
#   attention weights P and differentiates the softmax in closed form: with G the output's gradient,
#   `dV = Pᵀ G`, `dP = G Vᵀ`, `dS = P ⊙ (dP − rowsum(dP ⊙ P))`, `dQ = dS K · scale`, `dK = dSᵀ Q · scale`.
#   Dropout on the weights draws the same mask module 12's `Dropout` would.
# * **The matrix-product kernel**: `linear` uses module 09's `_matmul`, which picks `np.einsum` in the browser
#   and BLAS's `@` in CPython (analysis 2 below measures why).

# %%
#| export
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


# %% [markdown]
# ## Use it · the MLP training step, before and after
#
# The same workload as `benchmarks/mlp_step.py`: one training step of the 64-128-64-10 MLP, and the same
# step written in plain numpy by hand (forward, backward and the SGD update: the floor any framework is
# measured against). `unaccelerated()` runs module 03's `Linear` and module 06's `MmBackward0`, so both
# versions of tinytorch are timed in this one run, on this machine.

# %%
cell_start = time.perf_counter()


def numpy_mlp_step(weights, x, y, lr=0.1):
    """The same step as plain numpy: what a hand-written program would do."""
    activations = [x]
    for i, (w, b) in enumerate(weights):
        z = activations[-1] @ w.T + b
        activations.append(np.maximum(z, 0) if i < len(weights) - 1 else z)
    logits = activations[-1]
    shifted = np.exp(logits - logits.max(1, keepdims=True))
    probabilities = shifted / shifted.sum(1, keepdims=True)
    grad = probabilities
    grad[np.arange(len(y)), y] -= 1
    grad /= len(y)
    for i in reversed(range(len(weights))):
        w, b = weights[i]
        grad_w, grad_b = grad.T @ activations[i], grad.sum(0)
        if i > 0:
            grad = (grad @ w) * (activations[i] > 0)
        w -= lr * grad_w
        b -= lr * grad_b


def tinytorch_step(model, optimizer, loss_fn):
    optimizer.zero_grad()
    loss_fn(model(x_batch), y_batch).backward()
    optimizer.step()


steps = {}
for label, context in (("before (03 + 06)", unaccelerated), ("after (17)", contextlib.nullcontext)):
    with context():
        model = make_mlp()
        optimizer, loss_fn = SGD(model.parameters(), lr=0.1), CrossEntropyLoss()
        steps[label] = time_per_call(lambda: tinytorch_step(model, optimizer, loss_fn), repeat=5, min_seconds=0.05)
numpy_weights = [(l.weight.data.copy(), l.bias.data.copy()) for l in make_mlp() if isinstance(l, Linear)]
steps["plain numpy"] = time_per_call(lambda: numpy_mlp_step(numpy_weights, x_batch.data, y_batch), repeat=5,
                                     min_seconds=0.05)
for label, seconds in steps.items():
    print(f"{label:<18} {seconds * 1e6:8.1f} us per step   {seconds / steps['plain numpy']:.2f}x numpy")
print(f"(cell took {time.perf_counter() - cell_start:.1f} s)")

# %% [markdown]
# The two tinytorch versions compute the same step (the check of Part 3 compared their numbers); the
# fused one records 6 nodes instead of 12, skips the first layer's input gradient and replaces
# `unbroadcast`'s general reduction by one `sum(axis=0)`. What is left between it and numpy is the fixed
# cost per op of Part 1, times the ops that remain, plus the optimizer's loop over parameters.
# Measured on the machine this module was written on (CPython 3.11, one BLAS thread), with everything this
# module installs (the parts above and the section before this one): before 3.7x, after 1.9-2.0x numpy;
# `benchmarks/mlp_step.py` prints both ratios in one run, and `cnn_step.py` and `gpt_step.py` do the same for
# the CNN (1.8x before, 1.3x after) and the GPT (2.1x, 1.2x). The graph of one forward pass shrinks too:

# %%
model = make_mlp()
fused_loss = CrossEntropyLoss()(model(x_batch), y_batch)
with unaccelerated():
    before_loss = CrossEntropyLoss()(model(x_batch), y_batch)
before_nodes, fused_nodes = recorded_nodes(before_loss), recorded_nodes(fused_loss)
print(f"graph of one forward pass: before {before_nodes} nodes, {graph_footprint(before_loss)[1]:,} bytes; "
      f"after {fused_nodes} nodes, {graph_footprint(fused_loss)[1]:,} bytes")

# %% [markdown]
# ## Systems analysis · measured
#
# ### 1. Checkpointing: memory saved, time paid
# A deep MLP (8 blocks of `Linear(256, 256)` + ReLU, batch 128): the bytes kept for backward and the time
# of forward + backward, without checkpointing and with each block checkpointed. Expect the activations
# to drop to about one block's inputs, and the time to grow by about one extra forward pass (a third of a
# step, since backward costs about twice a forward).

# %%
cell_start = time.perf_counter()
tinytorch.manual_seed(17)
blocks = [Sequential(Linear(256, 256), ReLU()) for _ in range(8)]
deep_input = Tensor(rng.standard_normal((128, 256)).astype(np.float32), requires_grad=True)


def deep_forward(use_checkpoint):
    h = deep_input
    for block in blocks:
        h = checkpoint(block, h, use_reentrant=False) if use_checkpoint else block(h)
    return h.sum()


def deep_step(use_checkpoint):
    for block in blocks:
        block.zero_grad()
    deep_forward(use_checkpoint).backward()


parameter_bytes = sum(p.data.nbytes for block in blocks for p in block.parameters())
for use_checkpoint in (False, True):
    kept = graph_footprint(deep_forward(use_checkpoint))[1] - parameter_bytes - deep_input.data.nbytes
    seconds = time_per_call(lambda: deep_step(use_checkpoint), repeat=3)
    print(f"checkpointing {'on ' if use_checkpoint else 'off'}: activations kept for backward {kept / 1e6:6.2f} MB, "
          f"forward + backward {seconds * 1e3:6.1f} ms")
print(f"(cell took {time.perf_counter() - cell_start:.1f} s)")

# %% [markdown]
# With checkpointing only the 8 block inputs stay (`8 · 128 · 256 · 4` bytes = 1.05 MB, the outputs
# included); without it every block also keeps its product and its ReLU output, three times as much. The
# time rises by the second forward. Large models checkpoint every few layers, not every one, choosing the
# trade-off: `√n` segments for `n` layers keeps memory at `O(√n)` for one extra forward.
#
# ### 2. The browser's matrix-product kernels
# In the browser numpy runs as WebAssembly, one thread, with a reference BLAS: matrix products are 20-70x
# slower than in CPython. `np.einsum` computes the same product with its own loops, and SciPy (shipped in
# the same verified Pyodide files) brings an optimised single-precision `sgemm`. Which is fastest depends on
# the shape; the cell measures them wherever it runs (SciPy only when it is installed, timing its import:
# loading it is a cost too).

# %%
cell_start = time.perf_counter()
import importlib.util
import sys

shapes = [(64, 64, 128), (256, 64, 256), (512, 512, 512)]
sgemm = None
if importlib.util.find_spec("scipy") is not None:
    import_start = time.perf_counter()
    from scipy.linalg.blas import sgemm
    print(f"importing scipy.linalg.blas took {(time.perf_counter() - import_start) * 1e3:.0f} ms")
print(f"runtime: {'Pyodide (browser)' if sys.platform == 'emscripten' else 'CPython'}, numpy {np.__version__}")
for m, k, n in shapes:
    a, b = rng.standard_normal((m, k)).astype(np.float32), rng.standard_normal((k, n)).astype(np.float32)
    kernels = {"@": lambda: a @ b, "einsum": lambda: np.einsum("ik,kj->ij", a, b)}
    if sgemm is not None:
        kernels["scipy sgemm"] = lambda: sgemm(1.0, a, b)
    times = {name: time_per_call(kernel, repeat=2) for name, kernel in kernels.items()}
    row = ", ".join(f"{name} {seconds * 1e3:.3f} ms" for name, seconds in times.items())
    print(f"({m}x{k}) @ ({k}x{n}): {row}; fastest: {min(times, key=times.get)}")
print(f"(cell took {time.perf_counter() - cell_start:.1f} s)")

# %% [markdown]
# Measured under Pyodide 0.27.7 (Node, the browser's engine): for `(512x512) @ (512x512)` `@` takes 97 ms,
# `einsum` 42 ms (2.3x faster) and SciPy's `sgemm` 30 ms (3.3x), after a 0.7 s import; for the course's
# small layers `(64x64) @ (64x128)` all three take about 0.2 ms, and for a tall, thin `(512x72) @ (72x16)`
# (an im2col convolution) `einsum` is 1.6x *slower* than `@`. Under CPython `@` (OpenBLAS) wins every shape
# by 5-10x. So there is no single best kernel: the choice depends on the runtime and on the shape, it
# must be measured where the code runs, and for the small models this course trains in the browser the
# fixed cost per op (Part 1) matters more than the kernel.
#
# ## Reflect
#
# Answer with a number first, then run the cell below to check.
#
# 1. How many nodes does one forward pass of the 64-128-64-10 MLP record before and after fusion, loss
#    included? (Count: per Linear, per ReLU, for the loss.)
# 2. In the first layer, which gradient does `needs_input_grad` skip, and how many multiply-adds is that
#    for a batch of 64? (`grad (64, 128) @ weight (128, 64)`.)
# 3. A `(4, 6)` float32 tensor: its strides? And those of its transpose? Is `t[:, ::2]` contiguous?
# 4. With 8 checkpointed blocks of `Linear(256, 256)` and batch 128, how many bytes of block inputs are
#    kept? Compare with the measured figure of analysis 1.
# 5. Amdahl (module 14): if the fused step spends 40% of its time in the optimizer and the rest in forward
#    and backward, what does a 2x faster optimizer buy the whole step?

# %%
from tinytorch.core.profiling import amdahl

fused_nodes = recorded_nodes(CrossEntropyLoss()(model(x_batch), y_batch))
with unaccelerated():
    before_nodes = recorded_nodes(CrossEntropyLoss()(model(x_batch), y_batch))
print(f"1. before {before_nodes} recorded nodes (3 per Linear x 3, 2 ReLU, 1 loss = 12); "
      f"after {fused_nodes} (1 per Linear x 3, 2 ReLU, 1 loss = 6)")
print(f"2. the gradient of the data batch: {64 * 128 * 64:,} multiply-adds skipped per step")
t = Tensor(np.zeros((4, 6), dtype=np.float32))
print(f"3. strides {t.data.strides}, transpose {t.T.data.strides}, t[:, ::2] contiguous: {t[:, ::2].is_contiguous()}")
print(f"4. {8 * 128 * 256 * 4:,} bytes of block inputs (the measured figure adds what the last output and loss keep)")
print(f"5. {amdahl(0.4, 2.0):.2f}x for the whole step")

# %% [markdown]
# **Next:** 18 Memoization avoids recomputation in generation with a KV cache, and 19 Benchmarking asks
# when a measured speed-up like the ones above is real.
