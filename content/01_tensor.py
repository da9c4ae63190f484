# %% [markdown]
# # Module 01 · Tensor
#
# Every model in this course — a perceptron, a CNN, a GPT — is arithmetic on blocks of numbers.
# This module builds the block: a `Tensor`, the one data structure the rest of `tinytorch` stands on.
#
# ```text
# Connection map
#   Prerequisites : Python classes, a first look at numpy arrays
#   Focus (01)    : Tensor = a float32 numpy array + shape-aware arithmetic
#   Unlocks       : 02 Activations, 03 Layers, 04 Losses ... every later module
#                   06 Autograd later teaches this same Tensor to compute gradients
# ```
#
# ## Learning objectives
# By the end you will be able to
# 1. build a `Tensor` that stores its numbers as a float32 numpy array and reports `shape`, `size()`,
#    `dtype` and `memory_footprint()` in bytes;
# 2. implement element-wise arithmetic with PyTorch's broadcasting rules and errors that name the shapes;
# 3. implement matrix multiplication with a shape check, and explain its O(N³) cost;
# 4. reshape, transpose, reduce (`sum`, `mean`, `max`) and index tensors, knowing which results share
#    memory with their input (views) and which copy;
# 5. **measure**: bytes per element for float32 vs float64, views vs copies, and a Python-loop matmul
#    against numpy's `@`.
#
# Work top to bottom. Each part explains an idea, asks you to fill in code where it says
# `# YOUR CODE HERE`, and ends with a check cell. A check prints ✅ when your code behaves like PyTorch;
# otherwise it tells you what is wrong.

# %% [markdown]
# ## Part 1 · What a tensor is
#
# A tensor is a rectangular block of numbers with a **shape**: a scalar has shape `()`, a vector of 3
# numbers `(3,)`, a 28×28 grey image `(28, 28)`, a batch of 64 such images `(64, 28, 28)`.
# In memory it is one flat run of numbers; the shape says how to read that run as rows and columns.
#
# We let numpy hold the numbers and wrap its array in our own class, so every operation a model
# needs passes through code you wrote. Like PyTorch, numbers are stored as **float32** unless you ask
# for another `dtype`: 4 bytes per number instead of numpy's default 8. Deep learning almost never needs
# float64 precision, and halving the bytes halves memory traffic — the first systems decision of the course.
#
# PyTorch names you will meet here:
#
# | PyTorch | meaning |
# |---|---|
# | `t.shape` | the dimensions, a tuple such as `(2, 3)` |
# | `t.size()`, `t.size(dim)` | the same shape (a method in PyTorch), or one dimension of it |
# | `t.numel()` | number of elements, the product of the shape |
# | `t.dtype` | element type, `float32` by default |
# | `t.numpy()`, `t.item()` | the numbers as a numpy array; a one-element tensor as a Python number |
#
# `memory_footprint()` is ours: the bytes the numbers occupy, `numel() × bytes per element`.

# %%
#| export
#| default_exp core.tensor
import numpy as np


class Tensor:
    """An n-dimensional array of numbers (float32 unless `dtype` says otherwise), PyTorch style.

    The numbers live in `self.data`, a numpy array. A float32 numpy array passed in is used as is,
    not copied (like `torch.from_numpy`), so views made by reshape, transpose and slicing share memory.
    """

    # Let numpy hand `np.float32(2) * tensor` to our reflected operators instead of looping itself.
    __array_ufunc__ = None

    def __init__(self, data, dtype=None):
        # HINT: accept a number, a list, a numpy array or another Tensor (use its .data); store
        # HINT: np.asarray(data, dtype=np.float32 if dtype is None else dtype) in self.data.
        ### BEGIN SOLUTION
        if isinstance(data, Tensor):
            data = data.data
        self.data = np.asarray(data, dtype=np.float32 if dtype is None else dtype)
        ### END SOLUTION

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    def size(self, dim=None):
        """The shape, as in PyTorch: `t.size()` is `t.shape`, `t.size(d)` is `t.shape[d]`."""
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        return self.data.size

    def memory_footprint(self):
        """Bytes used by the numbers: elements × bytes per element."""
        # HINT: numel() times the size in bytes of one element (self.dtype.itemsize).
        ### BEGIN SOLUTION
        return self.numel() * self.dtype.itemsize
        ### END SOLUTION

    def numpy(self):
        return self.data

    def item(self):
        if self.numel() != 1:
            raise ValueError(f"item(): only a one-element tensor converts to a Python number, "
                             f"this one has shape {self.shape}")
        return self.data.item()

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", precision=4, prefix="tensor(")
        suffix = "" if self.dtype == np.float32 else f", dtype={self.dtype}"
        return f"tensor({body}{suffix})"


# %% [markdown]
# ### Check Part 1
# Run the cell. If it fails, the message says which property is wrong.

# %%
from tinytorch.checks.tensor import check_creation

check_creation(Tensor)

# %% [markdown]
# ## Part 2 · Element-wise arithmetic and broadcasting
#
# `a + b` on two tensors of the same shape adds matching elements. Models constantly combine tensors of
# *different* shapes, though: adding a bias of shape `(3,)` to every row of a `(64, 3)` batch. PyTorch
# and numpy share one rule for this, **broadcasting**:
#
# 1. line the shapes up from the right;
# 2. two dimensions fit when they are equal or one of them is 1 (a missing dimension counts as 1);
# 3. a dimension of size 1 is stretched — without copying — to match the other.
#
# ```text
#   (64, 3)      (2, 3)      (4, 1)       (2, 3)
# +     (3,)   +  (2, 1)   +    (5,)    +  (4,)
# = (64, 3)    = (2, 3)    = (4, 5)     error: 3 vs 4
# ```
#
# All four operators follow the same steps, so you write them once in `_elementwise` and each operator
# is one line. A Python number on either side (`t * 2`, `1 - t`) must work too: Python calls the
# *reflected* method (`__rsub__`) when the left operand is a plain number.
#
# When shapes do not fit, the error must say which shapes — `ValueError: add: shapes (2, 3) and (4,)
# do not broadcast` — not numpy's message about "operands", which names neither your tensors nor the op.

# %%
#| export
def _elementwise(self, other, op, name):
    """Apply the numpy function `op` to self and other (a Tensor or a number) with broadcasting."""
    # HINT: turn a number into a Tensor; compare shapes with np.broadcast_shapes inside try/except
    # HINT: ValueError and re-raise ValueError(f"{name}: shapes {a} and {b} do not broadcast");
    # HINT: then wrap result = op(self.data, other.data) as Tensor(result, dtype=result.dtype).
    ### BEGIN SOLUTION
    other = other if isinstance(other, Tensor) else Tensor(other)
    try:
        np.broadcast_shapes(self.shape, other.shape)
    except ValueError:
        raise ValueError(f"{name}: shapes {self.shape} and {other.shape} do not broadcast") from None
    result = op(self.data, other.data)
    return Tensor(result, dtype=result.dtype)  # keep numpy's dtype: float64 in gives float64 out
    ### END SOLUTION


def _number_or_tensor(value):
    return value if isinstance(value, Tensor) else Tensor(value)


Tensor._elementwise = _elementwise
Tensor.__add__ = lambda self, other: self._elementwise(other, np.add, "add")
Tensor.__sub__ = lambda self, other: self._elementwise(other, np.subtract, "sub")
Tensor.__mul__ = lambda self, other: self._elementwise(other, np.multiply, "mul")
Tensor.__truediv__ = lambda self, other: self._elementwise(other, np.divide, "div")
Tensor.__radd__ = lambda self, other: _number_or_tensor(other) + self
Tensor.__rsub__ = lambda self, other: _number_or_tensor(other) - self
Tensor.__rmul__ = lambda self, other: _number_or_tensor(other) * self
Tensor.__rtruediv__ = lambda self, other: _number_or_tensor(other) / self
Tensor.__neg__ = lambda self: self * -1


# %% [markdown]
# Assigning functions to the class after it is defined (`Tensor.__add__ = ...`) lets this notebook
# grow the class part by part. It behaves exactly as if the methods were written inside `class Tensor`.

# %% [markdown]
# ### Check Part 2

# %%
from tinytorch.checks.tensor import check_arithmetic

check_arithmetic(Tensor)

# %% [markdown]
# ## Part 3 · Matrix multiplication
#
# A `Linear` layer, attention scores and a convolution (after a rewrite in module 09) are all matrix
# multiplications; in a typical network they account for nearly all the arithmetic.
# For `A` of shape `(n, k)` and `B` of shape `(k, m)`, `C = A @ B` has shape `(n, m)` and
#
# $$C_{ij} = \sum_{p=1}^{k} A_{ip} B_{pj}.$$
#
# Each of the `n·m` outputs takes `k` multiplies and `k` adds: **2·n·k·m floating-point operations
# (FLOPs)**, so for square `N×N` matrices the work grows as N³. The inner dimensions must agree; when they
# do not, a good error names both shapes, since that is what the learner has to fix.
# Leading (batch) dimensions broadcast, as in PyTorch: `(8, n, k) @ (k, m)` gives `(8, n, m)`.

# %%
#| export
def __matmul__(self, other):
    """Matrix product with PyTorch's rules; the error on a mismatch names both shapes."""
    # HINT: other may be a number or array: make it a Tensor. Both need ndim >= 1. The inner sizes are
    # HINT: self.shape[-1] and other.shape[-2] (other.shape[0] when other is 1-D); if they differ raise
    # HINT: ValueError(f"matmul: shapes {self.shape} and {other.shape} ... inner dimensions ... differ").
    ### BEGIN SOLUTION
    other = _number_or_tensor(other)
    if self.ndim == 0 or other.ndim == 0:
        raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes "
                         f"{self.shape} and {other.shape}")
    inner_other = other.shape[0] if other.ndim == 1 else other.shape[-2]
    if self.shape[-1] != inner_other:
        raise ValueError(f"matmul: shapes {self.shape} and {other.shape} cannot be multiplied: "
                         f"inner dimensions {self.shape[-1]} and {inner_other} differ")
    try:
        result = np.matmul(self.data, other.data)
    except ValueError:
        raise ValueError(f"matmul: the batch dimensions of shapes {self.shape} and {other.shape} "
                         "do not broadcast") from None
    return Tensor(result, dtype=result.dtype)
    ### END SOLUTION


Tensor.__matmul__ = __matmul__
Tensor.__rmatmul__ = lambda self, other: _number_or_tensor(other) @ self


# %% [markdown]
# ### Check Part 3

# %%
from tinytorch.checks.tensor import check_matmul

check_matmul(Tensor)

# %% [markdown]
# ## Part 4 · Reshape and transpose: views of the same memory
#
# `reshape` reads the same flat run of numbers with a new shape; the element count must not change,
# and one dimension may be `-1`, meaning "whatever makes the count right". `transpose(dim0, dim1)` swaps
# two dimensions (PyTorch's signature; for a matrix, `t.transpose(0, 1)` is the usual transpose).
#
# Neither needs to move a single number. numpy describes an array by its memory, shape and **strides**
# (bytes to step in each dimension): a transpose just swaps two strides. The result is a **view**: it
# shares memory with the input, so it costs no copy — and writing into one shows up in the other.
# PyTorch behaves the same way. You will measure this in the systems analysis below.

# %%
#| export
def reshape(self, *shape):
    """Same numbers, new shape (a view when possible). Accepts reshape(2, 3) or reshape((2, 3))."""
    # HINT: unpack a single tuple argument; try self.data.reshape(shape) and turn numpy's ValueError
    # HINT: into ValueError naming self.shape, numel() and the requested shape.
    ### BEGIN SOLUTION
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return Tensor(self.data.reshape(shape), dtype=self.dtype)
    except ValueError:
        raise ValueError(f"reshape: cannot view shape {self.shape} ({self.numel()} elements) "
                         f"as {shape}") from None
    ### END SOLUTION


def transpose(self, dim0, dim1):
    """Swap two dimensions (negative indices count from the end), as torch.transpose does."""
    # HINT: np.swapaxes does exactly this (keep dtype=self.dtype); raise IndexError naming the dims
    # HINT: and self.ndim when a dim is outside [-ndim, ndim).
    ### BEGIN SOLUTION
    for dim in (dim0, dim1):
        if not -self.ndim <= dim < self.ndim:
            raise IndexError(f"transpose: dimension {dim} is out of range for a tensor with "
                             f"{self.ndim} dimensions (shape {self.shape})")
    return Tensor(np.swapaxes(self.data, dim0, dim1), dtype=self.dtype)
    ### END SOLUTION


Tensor.reshape = reshape
Tensor.transpose = transpose


def _matrix_transpose(self):
    # PyTorch's .T: a matrix's transpose, a 0-d or 1-d tensor unchanged; ambiguous beyond 2-d.
    if self.ndim > 2:
        raise ValueError(f".T is only defined for tensors with at most 2 dimensions, got shape {self.shape}; "
                         "use transpose(dim0, dim1)")
    return self.transpose(0, 1) if self.ndim == 2 else self


Tensor.T = property(_matrix_transpose)

# %% [markdown]
# ### Check Part 4

# %%
from tinytorch.checks.tensor import check_shape_ops

check_shape_ops(Tensor)

# %% [markdown]
# ## Part 5 · Reductions: sum, mean, max
#
# A reduction collapses one or more dimensions. A loss averages over the batch (`mean`), softmax
# needs a row-wise `max` and `sum`, accuracy needs `argmax`. PyTorch's signatures:
#
# * `t.sum(dim=None, keepdim=False)` and `t.mean(dim=None, keepdim=False)`: with `dim=None` reduce
#   everything to a 0-d tensor; `dim` may be an int or a tuple; `keepdim=True` keeps the reduced
#   dimensions with size 1, so the result still broadcasts against `t` (`t - t.max(1, keepdim=True).values`).
# * `t.max()` returns the largest element; `t.max(dim)` returns a pair `(values, indices)` — in PyTorch
#   a named tuple with fields `values` and `indices`. We copy that, because code you write later in
#   PyTorch will expect it.
# * `t.argmax(dim=None)`: the index of the largest element, as an integer tensor.

# %%
#| export
from collections import namedtuple

# PyTorch returns a named tuple from max(dim): t.max(1).values, t.max(1).indices
MaxResult = namedtuple("max", ["values", "indices"])


def _check_dim(tensor, dim, op):
    dims = dim if isinstance(dim, tuple) else (dim,)
    for d in dims:
        if not -tensor.ndim <= d < tensor.ndim:
            raise IndexError(f"{op}: dim {d} is out of range for a tensor of shape {tensor.shape}")


def tensor_sum(self, dim=None, keepdim=False):
    """Sum over `dim` (int, tuple or None for all), as torch.sum."""
    # HINT: validate dim with _check_dim(self, dim, "sum") unless it is None, then
    # HINT: np.sum(self.data, axis=dim, keepdims=keepdim), wrapped in a Tensor with self.dtype.
    ### BEGIN SOLUTION
    if dim is not None:
        _check_dim(self, dim, "sum")
    return Tensor(np.sum(self.data, axis=dim, keepdims=keepdim), dtype=self.dtype)
    ### END SOLUTION


def tensor_mean(self, dim=None, keepdim=False):
    """Mean over `dim` (int, tuple or None for all), as torch.mean."""
    # HINT: the same as sum with np.mean.
    ### BEGIN SOLUTION
    if dim is not None:
        _check_dim(self, dim, "mean")
    return Tensor(np.mean(self.data, axis=dim, keepdims=keepdim), dtype=self.dtype)
    ### END SOLUTION


def tensor_max(self, dim=None, keepdim=False):
    """The largest element, or with `dim` a MaxResult(values, indices), as torch.max."""
    # HINT: dim None -> Tensor(np.max(self.data)). Otherwise validate dim, take
    # HINT: np.argmax(..., axis=dim, keepdims=keepdim) for indices (dtype np.int64) and
    # HINT: np.max(..., axis=dim, keepdims=keepdim) for values, and return MaxResult(values, indices).
    ### BEGIN SOLUTION
    if dim is None:
        return Tensor(np.max(self.data), dtype=self.dtype)
    _check_dim(self, dim, "max")
    indices = Tensor(np.argmax(self.data, axis=dim, keepdims=keepdim), dtype=np.int64)
    values = Tensor(np.max(self.data, axis=dim, keepdims=keepdim), dtype=self.dtype)
    return MaxResult(values, indices)
    ### END SOLUTION


def tensor_argmax(self, dim=None, keepdim=False):
    """Index of the largest element (over the flattened tensor when dim is None), as int64."""
    if dim is not None:
        _check_dim(self, dim, "argmax")
    return Tensor(np.argmax(self.data, axis=dim, keepdims=keepdim and dim is not None), dtype=np.int64)


Tensor.sum = tensor_sum
Tensor.mean = tensor_mean
Tensor.max = tensor_max
Tensor.argmax = tensor_argmax

# %% [markdown]
# ### Check Part 5

# %%
from tinytorch.checks.tensor import check_reductions

check_reductions(Tensor)

# %% [markdown]
# ## Part 6 · Indexing and slicing
#
# `t[0]`, `t[:, 1]`, `t[1:3, ::2]`, `t[idx]` with an integer array, `t[mask]` with a boolean one:
# numpy already implements every rule PyTorch uses. Two kinds of result come back:
#
# * **basic indexing** (integers and slices) gives a *view*: no copy, shared memory;
# * **advanced indexing** (integer or boolean arrays) must gather scattered elements into a new
#   array: a *copy*.
#
# An index may itself be a `Tensor` (for example class labels), so unwrap it first. An out-of-range
# index must raise `IndexError` naming the index and the shape.

# %%
#| export
def __getitem__(self, index):
    """t[index] with numpy/PyTorch rules; Tensor indices are unwrapped to their integer arrays."""
    # HINT: replace Tensor parts of index (it may be a tuple) by their .data (cast to int64 unless
    # HINT: boolean); index self.data inside try/except IndexError and re-raise IndexError naming
    # HINT: the index and self.shape. Keep the dtype: Tensor(result, dtype=self.dtype).
    ### BEGIN SOLUTION
    def unwrap(part):
        if isinstance(part, Tensor):
            return part.data if part.dtype == np.bool_ else part.data.astype(np.int64)
        return part

    index = tuple(unwrap(p) for p in index) if isinstance(index, tuple) else unwrap(index)
    try:
        return Tensor(self.data[index], dtype=self.dtype)
    except IndexError as err:
        raise IndexError(f"index {index!r} is out of range for a tensor of shape {self.shape} ({err})") from None
    ### END SOLUTION


Tensor.__getitem__ = __getitem__

# %% [markdown]
# ### Check Part 6

# %%
from tinytorch.checks.tensor import check_indexing

check_indexing(Tensor)

# %% [markdown]
# ## Use it
#
# A first taste of what the next modules build: one dense layer computes `x @ W.T + b` on a batch.
# With your `Tensor`, shapes and broadcasting do all the bookkeeping.

# %%
rng = np.random.default_rng(0)
x = Tensor(rng.standard_normal((4, 3)))   # a batch of 4 examples with 3 features
W = Tensor(rng.standard_normal((2, 3)))   # 2 outputs, PyTorch's (out, in) layout
b = Tensor(np.zeros(2))
y = x @ W.T + b
print("output shape:", y.shape, "| dtype:", y.dtype)
print("row means:", y.mean(dim=1))
print("predicted class per example:", y.argmax(dim=1))

# %% [markdown]
# ## Systems analysis · measured
#
# ### 1. Memory: bytes = elements × bytes per element
# Prediction first: how many megabytes does a 1000×1000 tensor take in float32? In float64?

# %%
def megabytes(n_bytes):
    return n_bytes / 1e6


for dtype in (np.float32, np.float64):
    t = Tensor(np.zeros((1000, 1000)), dtype=dtype)
    numpy_bytes = t.numpy().nbytes  # numpy's own count, to cross-check memory_footprint()
    print(f"{np.dtype(dtype).name:>8}: memory_footprint = {megabytes(t.memory_footprint()):6.1f} MB "
          f"(numpy reports {megabytes(numpy_bytes):.1f} MB)")

params_7b = 7e9
print(f"A 7-billion-parameter model: {params_7b * 4 / 1e9:.0f} GB in float32, {params_7b * 8 / 1e9:.0f} GB in float64")

# %% [markdown]
# ### 2. Views vs copies
# `np.shares_memory` tells whether two arrays use the same bytes. Which of these operations copy?

# %%
base = Tensor(np.arange(12.0).reshape(3, 4))
results = {
    "reshape(4, 3)": base.reshape(4, 3),
    "transpose(0, 1)": base.transpose(0, 1),
    "t[1:, ::2] (slice)": base[1:, ::2],
    "t[[0, 2]] (index array)": base[np.array([0, 2])],
    "t * 1 (arithmetic)": base * 1,
}
for name, result in results.items():
    shared = np.shares_memory(base.data, result.data)
    print(f"{name:<24} {'view (shares memory)' if shared else 'copy':<22} extra bytes: "
          f"{0 if shared else result.memory_footprint()}")

view = base.reshape(12)
view.data[0] = 100.0
print("after writing 100 into the reshaped view, base[0, 0] =", base[0, 0].item())

# A transposed view is not *contiguous*: walking it row by row jumps through memory, and some operations
# copy it first. The strides say how many bytes one step along each dimension moves:
print("base strides:      ", base.data.strides, "contiguous:", base.data.flags["C_CONTIGUOUS"])
print("transposed strides:", base.transpose(0, 1).data.strides,
      "contiguous:", base.transpose(0, 1).data.flags["C_CONTIGUOUS"])

# %% [markdown]
# ### 3. Matrix multiplication: Python loops vs numpy
# Here is matmul written as the formula says, with three Python loops. We time it against `@` at
# growing sizes. If the work is O(N³), doubling N should multiply the loop time by about 8.

# %%
from tinytorch.timing import time_per_call  # best of several rounds, long enough for a coarse clock


def matmul_loops(a, b):
    """C = A @ B for matrices given as nested Python lists, straight from the formula."""
    n, k, m = len(a), len(b), len(b[0])
    out = [[0.0] * m for _ in range(n)]
    for i in range(n):
        for j in range(m):
            total = 0.0
            for p in range(k):
                total += a[i][p] * b[p][j]
            out[i][j] = total
    return out


sizes = [16, 32, 64]
loop_times, numpy_times = [], []
print(f"{'N':>4} {'FLOPs':>10} {'loops (s)':>10} {'numpy @ (s)':>12} {'loops / numpy':>14}")
for n in sizes:
    a = Tensor(rng.standard_normal((n, n)))
    b = Tensor(rng.standard_normal((n, n)))
    a_list, b_list = a.data.tolist(), b.data.tolist()
    loop_time = time_per_call(lambda: matmul_loops(a_list, b_list), repeat=1)
    numpy_time = time_per_call(lambda: a @ b)
    assert np.allclose(matmul_loops(a_list, b_list), (a @ b).data, atol=1e-3)
    loop_times.append(loop_time)
    numpy_times.append(numpy_time)
    print(f"{n:>4} {2 * n**3:>10,} {loop_time:>10.4f} {numpy_time:>12.6f} {loop_time / numpy_time:>13,.0f}x")

growth = np.polyfit(np.log(sizes), np.log(loop_times), 1)[0]
print(f"\nloop time grows as N^{growth:.2f} (the formula predicts N^3)")

# %% [markdown]
# The measured exponent should land near 3, and numpy should be hundreds to thousands of times faster.
# The gap has three sources: Python interprets every `+=` (dozens of machine instructions each), numpy's
# compiled loop works on raw float32 values, and the BLAS library behind `@` also uses SIMD instructions
# and cache blocking. The browser (Pyodide, WebAssembly, one thread) is slower than native CPython on
# both sides, but the shape of the curve is the same. The lesson carries through the course: **never
# loop over elements in Python; express the work as whole-array operations.** Module 17 returns to it.

# %% [markdown]
# ## Reflect
#
# Answer each with a number first, then check it by running code in a new cell.
#
# 1. A batch of 64 RGB images of 224×224 pixels is stored as a float32 tensor of shape
#    `(64, 3, 224, 224)`. How many megabytes is it? What if it were float64? Check with
#    `memory_footprint()`.
# 2. From your measured loop times, predict how long `matmul_loops` would take for N = 256. Then run
#    it for N = 128 and compare with your prediction's N = 128 value.
# 3. `t.transpose(0, 1).reshape(-1)` — does the reshape give a view or a copy? Predict, then check with
#    `np.shares_memory`. Why can't it be a view?
# 4. A `(1000, 1)` tensor plus a `(1, 1000)` tensor: what shape comes out, and how many bytes does the
#    result take compared with the two inputs together?
# 5. How many FLOPs does multiplying a `(64, 784)` batch by a `(784, 128)` weight matrix take? If numpy
#    does it in the time you measure, how many GFLOP/s is that?
#
# **Next:** 02 Activations adds the non-linear functions that make stacked layers more than one big
# matrix multiplication.
