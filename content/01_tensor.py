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
#
# Two more attributes come from PyTorch and wait for module 06: `requires_grad` (should gradients be
# computed for this tensor?) and `grad` (where they will land). A tensor carries them from the start, so
# that code you write now keeps working unchanged when module 06 switches gradients on. Only floating-point
# tensors can require gradients: a derivative of an integer count makes no sense.
#
# A tensor holds numbers only. `Tensor(None)` or `Tensor("2")` would otherwise become NaN or 2.0 silently,
# far from the mistake, so the constructor refuses them with a `TypeError` (the helper `_check_numeric`
# below does that for you).

# %%
#| export
#| default_exp core.tensor
import numbers
from collections import namedtuple

import numpy as np

from tinytorch.patching import patch_to
from tinytorch.random import default_generator

__all__ = ["Tensor", "MaxResult", "result_type", "tensor", "from_numpy", "zeros", "ones", "full",
           "zeros_like", "ones_like", "arange", "eye", "rand", "randn"]


def _check_numeric(data):
    """Refuse what is not numbers (None, strings, ragged lists) with a TypeError naming it."""
    if (type(data) is np.ndarray and data.dtype.kind in "biuf") or isinstance(data, (Tensor, numbers.Number)):
        return  # the common cases first: this runs for every tensor an operation makes
    try:
        values = np.asarray(data)
    except ValueError as err:  # numpy refuses ragged nested lists
        raise ValueError(f"Tensor(): the nested lists must form a rectangular block of numbers ({err})") from None
    if values.dtype.kind not in "biuf":
        raise TypeError(f"Tensor(): expected numbers, got {type(data).__name__} {data!r:.60}")


class Tensor:
    """An n-dimensional array of numbers (float32 unless `dtype` says otherwise), PyTorch style.

    The numbers live in `self.data`, a numpy array. A float32 numpy array passed in is used as is,
    not copied (like `torch.from_numpy`), so views made by reshape, transpose and slicing share memory;
    `tinytorch.tensor(data)` copies. `requires_grad`, `grad` and `grad_fn` are PyTorch's gradient
    attributes: module 06 fills them.
    """

    # Let numpy hand `np.float32(2) * tensor` to our reflected operators instead of looping itself.
    __array_ufunc__ = None

    def __init__(self, data, dtype=None, requires_grad=False):
        _check_numeric(data)
        # HINT 1: A Tensor keeps its numbers in one numpy array, `self.data`. Whatever arrives (a number, a
        # HINT 1: nested list, a numpy array, another Tensor) becomes that array, in the dtype asked for, or in
        # HINT 1: float32 when none is: float32 is PyTorch's default and takes half the memory of float64.
        # HINT 2: From another Tensor take its `.data` first. One numpy function converts all the other kinds
        # HINT 2: and accepts a `dtype=` argument: `np.asarray`, which (unlike `np.array`) does not copy an
        # HINT 2: array that already has that dtype. When `dtype` is None, ask for `np.float32`.
        ### BEGIN SOLUTION
        if isinstance(data, Tensor):
            data = data.data
        self.data = np.asarray(data, dtype=np.float32 if dtype is None else dtype)
        ### END SOLUTION
        if requires_grad and not np.issubdtype(self.data.dtype, np.floating):
            raise RuntimeError(f"only floating-point tensors can require gradients, got dtype {self.data.dtype}")
        self.requires_grad = requires_grad
        self.grad = None  # the gradient backward() computes (module 06)
        self.grad_fn = None  # the operation that made this tensor, when autograd recorded it (module 06)

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    def dim(self):
        """The number of dimensions, as torch's t.dim()."""
        return self.data.ndim

    def size(self, dim=None):
        """The shape, as in PyTorch: `t.size()` is `t.shape`, `t.size(d)` is `t.shape[d]`."""
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        """The number of elements: the product of the shape."""
        return self.data.size

    def memory_footprint(self):
        """Bytes used by the numbers: elements × bytes per element."""
        # HINT 1: The memory a tensor's numbers take is how many numbers it holds times the bytes one of them
        # HINT 1: takes (4 for float32, 8 for float64).
        # HINT 2: `self.numel()` counts the elements; `self.dtype.itemsize` is the size of one element in bytes.
        ### BEGIN SOLUTION
        return self.numel() * self.dtype.itemsize
        ### END SOLUTION

    def numpy(self):
        """The numbers as a numpy array (shared, not copied)."""
        return self.data

    def item(self):
        """A one-element tensor as a Python number."""
        if self.numel() != 1:
            raise ValueError(f"item(): only a one-element tensor converts to a Python number, "
                             f"this one has shape {self.shape}")
        return self.data.item()

    def tolist(self):
        """The numbers as (nested) Python lists."""
        return self.data.tolist()

    @property
    def is_leaf(self):
        """True for a tensor the user made, False for the result of a recorded operation."""
        return self.grad_fn is None

    def requires_grad_(self, requires_grad=True):
        """Switch gradient tracking on (or off) for this leaf tensor, in place; returns self."""
        if not self.is_leaf:
            raise RuntimeError("requires_grad_(): only leaf tensors can change requires_grad; "
                               "use detach() to get a tensor cut from the graph")
        if requires_grad and not np.issubdtype(self.dtype, np.floating):
            raise RuntimeError(f"only floating-point tensors can require gradients, got dtype {self.dtype}")
        self.requires_grad = requires_grad
        return self

    def detach(self):
        """The same numbers (shared memory), cut from any graph: requires_grad is False."""
        return Tensor(self.data, dtype=self.dtype)

    def clone(self):
        """A copy of the numbers in new memory (module 06 lets gradients flow through it)."""
        return Tensor(self.data.copy(), dtype=self.dtype)

    def to(self, dtype):
        """The tensor converted to `dtype` (itself when it already has that dtype), as t.to(dtype)."""
        return self if np.dtype(dtype) == self.dtype else Tensor(self.data.astype(dtype), dtype=dtype)

    def float(self):
        """As float32, like torch's t.float()."""
        return self.to(np.float32)

    def double(self):
        """As float64, like torch's t.double()."""
        return self.to(np.float64)

    def long(self):
        """As int64, like torch's t.long()."""
        return self.to(np.int64)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __bool__(self):
        # `if t:` is only meaningful for one number, as in PyTorch
        if self.numel() != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.numel()} elements is ambiguous; "
                               "use .any() or .all() (or compare one element)")
        return bool(self.data.item())

    def __float__(self):
        return float(self.item())  # float(t) for a one-element tensor, as in PyTorch

    def __int__(self):
        return int(self.item())

    def __array__(self, dtype=None, copy=None):
        # np.array(t) and np.asarray(t) see the numbers, not an object holding a Tensor
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", precision=4, prefix="tensor(")
        extras = [] if self.dtype in (np.float32, np.int64, np.bool_) else [f"dtype={self.dtype}"]
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{type(self.grad_fn).__name__}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({', '.join([body] + extras)})"


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
#
# **Which dtype comes out?** PyTorch's promotion rule, which `result_type` (given) implements: an integer
# tensor times `0.5` gives float32, not `[0, 0]` (the classic silent bug of rounding down); a float32
# tensor plus a Python float stays float32; float32 plus a float64 tensor gives float64. A plain number
# never widens a tensor of its own kind. Compute in that dtype: cast both operands' data to it first.

# %%
#| export
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}  # PyTorch's categories: bool < integer < floating point


def _promote(a, b):
    """The dtype holding both: the higher category wins; within one category, the wider type."""
    rank_a, rank_b = _KIND_RANK[a.kind], _KIND_RANK[b.kind]
    if rank_a != rank_b:
        return a if rank_a > rank_b else b
    return np.promote_types(a, b)


def _is_operand(value):
    return isinstance(value, (Tensor, numbers.Number, np.ndarray))


def result_type(*operands):
    """The dtype of an operation on `operands` (Tensors, arrays, Python numbers), as torch.result_type.

    Tensors with dimensions decide first, then 0-d tensors, then Python numbers; a later group only
    changes the result when it is of a higher category (a Python float makes an integer tensor float32).
    """
    first = operands[0]
    if all(isinstance(v, Tensor) and v.data.ndim and v.data.dtype == first.data.dtype for v in operands):
        return first.data.dtype  # the common case, tensors of one dtype: nothing to promote
    groups = ([], [], [])
    for value in operands:
        if isinstance(value, (bool, int, float)):  # a Python number: PyTorch's default dtype of its kind
            groups[2].append(np.dtype(np.bool_ if isinstance(value, bool) else
                                      np.int64 if isinstance(value, int) else np.float32))
        else:
            array = value.data if isinstance(value, Tensor) else np.asarray(value)
            groups[0 if array.ndim else 1].append(array.dtype)
    result = None
    for dtypes in groups:
        if not dtypes:
            continue
        group_type = dtypes[0]
        for dtype in dtypes[1:]:
            group_type = _promote(group_type, dtype)
        if result is None or _KIND_RANK[group_type.kind] > _KIND_RANK[result.kind]:
            result = group_type
    return result


def _data_of(value):
    return value.data if isinstance(value, Tensor) else np.asarray(value)


@patch_to(Tensor)
def _elementwise(self, other, op, name):
    """Apply the numpy function `op` to self and other (a Tensor or a number) with broadcasting."""
    if not _is_operand(other):
        raise TypeError(f"{name}: expected a Tensor or a number, got {type(other).__name__} {other!r:.40}")
    dtype = result_type(self, other)
    # HINT 1: An element-wise op needs the two shapes to broadcast. Check that before computing, so a mismatch
    # HINT 1: gives an error naming both shapes rather than numpy's. Then apply the op to both operands'
    # HINT 1: numbers, each converted to the common `dtype` chosen above.
    # HINT 2: `_data_of(other)` gives the other operand as an array. `np.broadcast_shapes` raises ValueError
    # HINT 2: when two shapes do not broadcast: catch it and raise the ValueError described above, with `name`
    # HINT 2: and both shapes. Convert each array with `.astype(dtype, copy=False)`, call `op` on the two, and
    # HINT 2: wrap the result in a Tensor that keeps the result's own dtype (a comparison gives bool).
    ### BEGIN SOLUTION
    other_data = _data_of(other)
    try:
        np.broadcast_shapes(self.shape, other_data.shape)
    except ValueError:
        raise ValueError(f"{name}: shapes {self.shape} and {other_data.shape} do not broadcast") from None
    result = op(self.data.astype(dtype, copy=False), other_data.astype(dtype, copy=False))
    return Tensor(result, dtype=result.dtype)
    ### END SOLUTION


def _as_tensor(value):
    return value if isinstance(value, Tensor) else Tensor(value, dtype=result_type(value))


def _floating(tensor):
    """The tensor itself if floating point, else converted to float32 (PyTorch's true division, exp, ...)."""
    return tensor if np.issubdtype(tensor.dtype, np.floating) else tensor.float()


@patch_to(Tensor)
def __add__(self, other):
    """self + other, element-wise with broadcasting."""
    return self._elementwise(other, np.add, "add")


@patch_to(Tensor)
def __sub__(self, other):
    """self - other, element-wise with broadcasting."""
    return self._elementwise(other, np.subtract, "sub")


@patch_to(Tensor)
def __mul__(self, other):
    """self * other, element-wise with broadcasting."""
    return self._elementwise(other, np.multiply, "mul")


@patch_to(Tensor)
def __truediv__(self, other):
    """self / other, true division: integer tensors give float32, as in PyTorch."""
    return _floating(self)._elementwise(other, np.divide, "div")


@patch_to(Tensor)
def __radd__(self, other):
    """other + self, for a number on the left."""
    return _as_tensor(other) + self


@patch_to(Tensor)
def __rsub__(self, other):
    """other - self, for a number on the left."""
    return _as_tensor(other) - self


@patch_to(Tensor)
def __rmul__(self, other):
    """other * self, for a number on the left."""
    return _as_tensor(other) * self


@patch_to(Tensor)
def __rtruediv__(self, other):
    """other / self, for a number on the left."""
    return _floating(_as_tensor(other)) / self


@patch_to(Tensor)
def __neg__(self):
    """-self."""
    return self * -1


# %% [markdown]
# `@patch_to(Tensor)` attaches the function below it to the class as a method, keeping its name and
# docstring (so `help(Tensor.__add__)` works). It lets this notebook grow the class part by part; the
# result is exactly as if the methods were written inside `class Tensor`.
#
# ### Comparisons, maths and in-place updates (given)
# Three more families follow the same pattern; read them, there is nothing to fill in.
#
# * `==`, `!=`, `<`, `<=`, `>`, `>=` compare element-wise and give a **bool** tensor, as in PyTorch
#   (`(pred == labels).float().mean()` is an accuracy). Because `==` no longer means "the same object",
#   `t1 == t2` answers about the numbers.
# * `exp`, `log`, `sqrt`, `abs` and `**` work element-wise; integer tensors become float32 first.
# * `t += 1`, `t.mul_(0.9)`, `t.zero_()`, `t.copy_(other)` change `t.data` **in place**: no new tensor,
#   the same memory. The result must fit `t`'s dtype (`int_tensor += 0.5` is refused). Optimizers update
#   weights this way; module 06 explains when in-place updates are allowed on tensors that require grad.

# %%
#| export
def _comparison(op, name):
    """A comparison method `__<name>__` applying `op` element-wise, for Tensor."""
    def compare(self, other):
        if not _is_operand(other):
            return NotImplemented  # Python then answers `t == None` with False, as PyTorch does
        return self._elementwise(other, op, name)
    compare.__name__ = f"__{name}__"
    compare.__doc__ = f"Element-wise `{name}` comparison: a bool tensor."
    return patch_to(Tensor)(compare)


for _op, _name in [(np.equal, "eq"), (np.not_equal, "ne"), (np.less, "lt"), (np.less_equal, "le"),
                   (np.greater, "gt"), (np.greater_equal, "ge")]:
    _comparison(_op, _name)
Tensor.__hash__ = object.__hash__  # tensors stay usable as dict keys (by identity), as in PyTorch


@patch_to(Tensor)
def __pow__(self, exponent):
    """self ** exponent for a Python number exponent."""
    if isinstance(exponent, bool) or not isinstance(exponent, (int, float)):
        raise TypeError(f"pow: the exponent must be a Python number, got {type(exponent).__name__}")
    base = _floating(self) if isinstance(exponent, float) or exponent < 0 else self
    return Tensor(base.data ** exponent, dtype=base.dtype)


@patch_to(Tensor)
def exp(self):
    """e ** self, element-wise."""
    x = _floating(self)
    return Tensor(np.exp(x.data), dtype=x.dtype)


@patch_to(Tensor)
def log(self):
    """Natural logarithm, element-wise (log(0) = -inf, log of a negative number = nan, as in PyTorch)."""
    x = _floating(self)
    with np.errstate(divide="ignore", invalid="ignore"):
        return Tensor(np.log(x.data), dtype=x.dtype)


@patch_to(Tensor)
def sqrt(self):
    """Square root, element-wise."""
    x = _floating(self)
    with np.errstate(invalid="ignore"):
        return Tensor(np.sqrt(x.data), dtype=x.dtype)


@patch_to(Tensor, name="abs")
def tensor_abs(self):
    """|self|, element-wise."""
    return Tensor(np.abs(self.data), dtype=self.dtype)


def _in_place(op, name):
    """An in-place method `name` computing `self op other` into self.data, for Tensor."""
    def update(self, other):
        if not _is_operand(other):
            raise TypeError(f"{name}: expected a Tensor or a number, got {type(other).__name__}")
        other_data = _data_of(other)
        try:
            fits = np.broadcast_shapes(self.shape, other_data.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"{name}: an operand of shape {other_data.shape} does not fit in place into "
                             f"shape {self.shape}")
        dtype = result_type(self, other) if op is not np.divide else np.result_type(result_type(self, other), np.float32)
        if not np.can_cast(dtype, self.dtype, casting="same_kind"):
            raise RuntimeError(f"{name}: the result type {dtype} can't be cast to this tensor's dtype "
                               f"{self.dtype} in place")
        op(self.data, other_data, out=self.data, casting="unsafe")
        return self
    update.__name__ = name
    update.__doc__ = f"In place: self.data = self.data {op.__name__} other (broadcast); returns self."
    return patch_to(Tensor)(update)


for _op, _names in [(np.add, ("add_", "__iadd__")), (np.subtract, ("sub_", "__isub__")),
                    (np.multiply, ("mul_", "__imul__")), (np.divide, ("div_", "__itruediv__"))]:
    for _name in _names:
        _in_place(_op, _name)


@patch_to(Tensor)
def zero_(self):
    """Set every element to 0, in place; returns self."""
    self.data[...] = 0
    return self


@patch_to(Tensor)
def fill_(self, value):
    """Set every element to `value`, in place; returns self."""
    self.data[...] = value
    return self


@patch_to(Tensor)
def copy_(self, src):
    """Copy the numbers of `src` (broadcast to this shape) into this tensor, in place; returns self."""
    source = _data_of(src)
    try:
        fits = np.broadcast_shapes(self.shape, source.shape) == self.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"copy_: a source of shape {source.shape} does not fit into shape {self.shape}")
    self.data[...] = source
    return self


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
@patch_to(Tensor)
def __matmul__(self, other):
    """Matrix product with PyTorch's rules; the error on a mismatch names both shapes."""
    other = _as_tensor(other)
    dtype = result_type(self, other)
    # HINT 1: Matrix multiplication pairs the last dimension of the left operand with the second-to-last of the
    # HINT 1: right one (its only dimension when it is 1-D). Refuse a 0-d operand and inner sizes that differ,
    # HINT 1: with messages that name both shapes, before numpy gets the chance to fail with its own.
    # HINT 2: Raise ValueError when either `ndim` is 0. The inner sizes are `self.shape[-1]` and
    # HINT 2: `other.shape[-2]` (`other.shape[0]` when `other` is 1-D); when they differ say 'inner dimensions'
    # HINT 2: and name both shapes. Then `np.matmul` the two arrays converted with `.astype(dtype, copy=False)`;
    # HINT 2: numpy raises ValueError when the batch dimensions do not broadcast: re-raise it as a ValueError
    # HINT 2: naming both shapes. Return a Tensor of `dtype`.
    ### BEGIN SOLUTION
    if self.ndim == 0 or other.ndim == 0:
        raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes "
                         f"{self.shape} and {other.shape}")
    inner_other = other.shape[0] if other.ndim == 1 else other.shape[-2]
    if self.shape[-1] != inner_other:
        raise ValueError(f"matmul: shapes {self.shape} and {other.shape} cannot be multiplied: "
                         f"inner dimensions {self.shape[-1]} and {inner_other} differ")
    try:
        result = np.matmul(self.data.astype(dtype, copy=False), other.data.astype(dtype, copy=False))
    except ValueError:
        raise ValueError(f"matmul: the batch dimensions of shapes {self.shape} and {other.shape} "
                         "do not broadcast") from None
    return Tensor(result, dtype=dtype)
    ### END SOLUTION


@patch_to(Tensor)
def __rmatmul__(self, other):
    """other @ self, for an array on the left."""
    return _as_tensor(other) @ self


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
@patch_to(Tensor)
def reshape(self, *shape):
    """Same numbers, new shape (a view when possible). Accepts reshape(2, 3) or reshape((2, 3))."""
    # HINT 1: A reshape keeps the numbers and their order and only changes the shape, so it works only when the
    # HINT 1: element counts agree. Accept the shape both as separate numbers and as one tuple, as PyTorch does.
    # HINT 2: `shape` arrives as a tuple of arguments: when it holds a single tuple or list, use that one.
    # HINT 2: Numpy's `.reshape` on `self.data` raises ValueError when the counts differ: catch it and raise a
    # HINT 2: ValueError naming `self.shape`, `self.numel()` and the shape asked for. Keep `dtype=self.dtype`.
    ### BEGIN SOLUTION
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return Tensor(self.data.reshape(shape), dtype=self.dtype)
    except ValueError:
        raise ValueError(f"reshape: cannot view shape {self.shape} ({self.numel()} elements) "
                         f"as {shape}") from None
    ### END SOLUTION


def _dim_index(tensor, dim, op, extra=0):
    """`dim` as a non-negative index into tensor's dims (plus `extra` new ones); IndexError when out of range."""
    rank = tensor.ndim + extra
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: a dimension must be an int, got {type(dim).__name__} {dim!r}")
    if not -max(rank, 1) <= dim < max(rank, 1):
        raise IndexError(f"{op}: dimension {dim} is out of range for a tensor with {tensor.ndim} "
                         f"dimensions (shape {tensor.shape})")
    return dim % max(rank, 1)


@patch_to(Tensor)
def transpose(self, dim0, dim1):
    """Swap two dimensions (negative indices count from the end), as torch.transpose does."""
    # HINT 1: Transposing two dimensions swaps their places in the shape and moves the numbers with them.
    # HINT 1: Negative dims count from the end; a dim outside the tensor is an IndexError.
    # HINT 2: Normalise each dim with `_dim_index(self, dim, "transpose")` (it raises the IndexError), then
    # HINT 2: `np.swapaxes` swaps two axes of an array. Keep `dtype=self.dtype`.
    ### BEGIN SOLUTION
    dim0, dim1 = _dim_index(self, dim0, "transpose"), _dim_index(self, dim1, "transpose")
    return Tensor(np.swapaxes(self.data, dim0, dim1), dtype=self.dtype)
    ### END SOLUTION


@patch_to(Tensor, as_property=True)
def T(self):
    """The transpose of a matrix; a 0-d or 1-d tensor unchanged (PyTorch's .T; ambiguous beyond 2-d)."""
    if self.ndim > 2:
        raise ValueError(f".T is only defined for tensors with at most 2 dimensions, got shape {self.shape}; "
                         "use transpose(dim0, dim1) or permute")
    return self.transpose(0, 1) if self.ndim == 2 else self


# %% [markdown]
# PyTorch has a family of such shape operations; they are all reshapes or transposes in disguise, so they
# are given:
#
# | method | what it does |
# |---|---|
# | `view(*shape)` | `reshape` that **must** be a view: it refuses when the memory layout cannot be reread (after a transpose, say) |
# | `flatten(start_dim=0, end_dim=-1)` | merge a range of dimensions into one: `(64, 1, 8, 8)` → `(64, 64)` with `flatten(1)` |
# | `unsqueeze(dim)` / `squeeze(dim=None)` | insert / remove a dimension of size 1 |
# | `permute(*dims)` | reorder all dimensions: `(N, H, W, C)` → `(N, C, H, W)` with `permute(0, 3, 1, 2)` |

# %%
#| export
@patch_to(Tensor)
def view(self, *shape):
    """reshape that never copies: a RuntimeError when the layout cannot be viewed as `shape`."""
    result = self.reshape(*shape)
    if self.numel() and not np.shares_memory(result.data, self.data):
        raise RuntimeError(f"view: shape {self.shape} with strides {self.data.strides} can't be viewed as "
                           f"{result.shape} without copying (it is not contiguous); use reshape()")
    return result


@patch_to(Tensor)
def flatten(self, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim into one, as torch.flatten."""
    if self.ndim == 0:
        return self.reshape(1)
    start, end = _dim_index(self, start_dim, "flatten"), _dim_index(self, end_dim, "flatten")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return self.reshape(self.shape[:start] + (-1,) + self.shape[end + 1:])


@patch_to(Tensor)
def unsqueeze(self, dim):
    """A new dimension of size 1 at `dim` (negative counts from the end of the result), as torch.unsqueeze."""
    return self.reshape(np.expand_dims(self.data, _dim_index(self, dim, "unsqueeze", extra=1)).shape)


@patch_to(Tensor)
def squeeze(self, dim=None):
    """Remove dimensions of size 1 (all of them, or only `dim` when it has size 1), as torch.squeeze."""
    if dim is None:
        return self.reshape(tuple(size for size in self.shape if size != 1))
    dims = dim if isinstance(dim, tuple) else (dim,)
    drop = {_dim_index(self, d, "squeeze") for d in dims} if self.ndim else set()
    return self.reshape(tuple(size for d, size in enumerate(self.shape) if not (d in drop and size == 1)))


@patch_to(Tensor)
def permute(self, *dims):
    """Reorder the dimensions: result dim i is input dim dims[i], as torch.permute."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    order = tuple(_dim_index(self, d, "permute") for d in dims)
    if sorted(order) != list(range(self.ndim)):
        raise RuntimeError(f"permute: dims {dims} must name each of the {self.ndim} dimensions once")
    return Tensor(np.transpose(self.data, order), dtype=self.dtype)


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
# * `min` and `argmin` mirror them; `max` and `min` share one helper, `_extreme`, which you write.
# * `all()` and `any()` ask whether every / some element is nonzero (a bool tensor): `if (a == b).all():`.
#
# Sums of integers give int64 (PyTorch's rule, so a count of a million `True`s cannot overflow a small
# type), and `mean` of an integer tensor is refused: PyTorch asks you to say `.float()` first.
#
# The methods are named `sum`, `max`, `min`, `abs` on the Tensor, but the functions that define them are
# called `tensor_sum` and so on (`@patch_to(Tensor, name="sum")`), so that Python's own `sum` and `max`
# keep working in this notebook.

# %%
#| export
# PyTorch returns a named tuple from max(dim) and min(dim): t.max(1).values, t.max(1).indices
MaxResult = namedtuple("max", ["values", "indices"])


def _check_dim(tensor, dim, op):
    """`dim` (an int or a tuple of ints) validated against tensor's dims; returned as given."""
    for d in (dim if isinstance(dim, tuple) else (dim,)):
        _dim_index(tensor, d, op)
    return dim


@patch_to(Tensor, name="sum")
def tensor_sum(self, dim=None, keepdim=False):
    """Sum over `dim` (int, tuple or None for all), as torch.sum; integers and bools sum to int64."""
    dtype = np.int64 if self.dtype.kind in "biu" else self.dtype
    # HINT 1: Summing over `dim` removes that dimension (or keeps it with size 1 when `keepdim`); with no dim it
    # HINT 1: sums everything. Check the dim first, and sum in the dtype chosen above (integers and bools sum as
    # HINT 1: int64, as in PyTorch).
    # HINT 2: Unless `dim` is None, validate it with `_check_dim` (its last argument is the op name, "sum").
    # HINT 2: `np.sum` takes `axis=`, `keepdims=` and `dtype=`; wrap its result in a Tensor of that `dtype`.
    ### BEGIN SOLUTION
    if dim is not None:
        _check_dim(self, dim, "sum")
    return Tensor(np.sum(self.data, axis=dim, keepdims=keepdim, dtype=dtype), dtype=dtype)
    ### END SOLUTION


@patch_to(Tensor)
def mean(self, dim=None, keepdim=False):
    """Mean over `dim` (int, tuple or None for all), as torch.mean; only for floating-point tensors."""
    if not np.issubdtype(self.dtype, np.floating):
        raise RuntimeError(f"mean(): the input must be floating point, got dtype {self.dtype}; "
                           "convert first with .float()")
    # HINT 1: A mean is a sum divided by the count, over the same dims as `sum`, with the same checks.
    # HINT 2: Like `sum` above: validate with `_check_dim` (op name "mean"), then `np.mean` with `axis=` and
    # HINT 2: `keepdims=`; keep `self.dtype`.
    ### BEGIN SOLUTION
    if dim is not None:
        _check_dim(self, dim, "mean")
    return Tensor(np.mean(self.data, axis=dim, keepdims=keepdim), dtype=self.dtype)
    ### END SOLUTION


def _extreme(tensor, dim, keepdim, op, reduce, arg_reduce):
    """max/min: the extreme element, or with `dim` a MaxResult(values, indices)."""
    if tensor.numel() == 0:
        raise RuntimeError(f"{op}(): the tensor is empty, so it has no {op}imum")
    # HINT 1: With no dim, max and min reduce to one number. With a dim, PyTorch returns two tensors: the
    # HINT 1: extreme values and where they were (their indices along that dim).
    # HINT 2: `reduce` and `arg_reduce` are numpy's functions (e.g. `np.max`, `np.argmax`) and both take `axis=`
    # HINT 2: and `keepdims=`. Validate `dim` with `_dim_index(tensor, dim, op)`. The indices are int64, the
    # HINT 2: values keep `tensor.dtype`; return them as `MaxResult(values, indices)`.
    ### BEGIN SOLUTION
    if dim is None:
        return Tensor(reduce(tensor.data), dtype=tensor.dtype)
    _dim_index(tensor, dim, op)
    indices = Tensor(arg_reduce(tensor.data, axis=dim, keepdims=keepdim), dtype=np.int64)
    values = Tensor(reduce(tensor.data, axis=dim, keepdims=keepdim), dtype=tensor.dtype)
    return MaxResult(values, indices)
    ### END SOLUTION


@patch_to(Tensor, name="max")
def tensor_max(self, dim=None, keepdim=False):
    """The largest element, or with `dim` a MaxResult(values, indices), as torch.max."""
    return _extreme(self, dim, keepdim, "max", np.max, np.argmax)


@patch_to(Tensor, name="min")
def tensor_min(self, dim=None, keepdim=False):
    """The smallest element, or with `dim` a MaxResult(values, indices), as torch.min."""
    return _extreme(self, dim, keepdim, "min", np.min, np.argmin)


def _reduce_to(tensor, dim, keepdim, op, reduce, dtype):
    """`reduce` (a numpy reduction such as np.all) over `dim` (or all), as a Tensor of `dtype`."""
    if dim is not None:
        _check_dim(tensor, dim, op)
    return Tensor(reduce(tensor.data, axis=dim, keepdims=keepdim), dtype=dtype)


@patch_to(Tensor, name="all")
def tensor_all(self, dim=None, keepdim=False):
    """True where every element (over `dim`, or all) is nonzero: a bool tensor, as torch.all."""
    return _reduce_to(self, dim, keepdim, "all", np.all, np.bool_)


@patch_to(Tensor, name="any")
def tensor_any(self, dim=None, keepdim=False):
    """True where some element (over `dim`, or all) is nonzero: a bool tensor, as torch.any."""
    return _reduce_to(self, dim, keepdim, "any", np.any, np.bool_)


def _arg_extreme(tensor, dim, keepdim, op, arg_reduce):
    """argmax/argmin as int64; with dim None over the flattened tensor (keepdim keeps every dim, size 1)."""
    if dim is None:
        index = arg_reduce(tensor.data)
        return Tensor(np.reshape(index, (1,) * tensor.ndim) if keepdim else index, dtype=np.int64)
    _dim_index(tensor, dim, op)
    return Tensor(arg_reduce(tensor.data, axis=dim, keepdims=keepdim), dtype=np.int64)


@patch_to(Tensor)
def argmax(self, dim=None, keepdim=False):
    """Index of the largest element (over the flattened tensor when dim is None), as int64."""
    return _arg_extreme(self, dim, keepdim, "argmax", np.argmax)


@patch_to(Tensor)
def argmin(self, dim=None, keepdim=False):
    """Index of the smallest element (over the flattened tensor when dim is None), as int64."""
    return _arg_extreme(self, dim, keepdim, "argmin", np.argmin)


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
def _numpy_index(index):
    """The index as numpy sees it: Tensor parts unwrapped to their int64 or bool arrays."""
    def unwrap(part):
        if isinstance(part, Tensor):
            if part.dtype.kind not in "biu":
                raise IndexError(f"tensors used as indices must be integer or bool tensors, got dtype "
                                 f"{part.dtype} (a float index would be silently truncated)")
            return part.data if part.dtype == np.bool_ else part.data.astype(np.int64)
        return part
    return tuple(unwrap(p) for p in index) if isinstance(index, tuple) else unwrap(index)


@patch_to(Tensor)
def __getitem__(self, index):
    """t[index] with numpy/PyTorch rules; Tensor indices are unwrapped to their integer arrays."""
    # HINT 1: Indexing selects numbers from `self.data` and wraps them in a new Tensor of the same dtype. An
    # HINT 1: index outside the shape is an IndexError that says which index and which shape.
    # HINT 2: Convert the index with `_numpy_index(index)` first (read it: it unwraps Tensor parts and refuses
    # HINT 2: float ones). Index `self.data` inside `try`/`except IndexError` and raise an IndexError naming the
    # HINT 2: index and `self.shape`. Keep `dtype=self.dtype`.
    ### BEGIN SOLUTION
    index = _numpy_index(index)
    try:
        return Tensor(self.data[index], dtype=self.dtype)
    except IndexError as err:
        raise IndexError(f"index {index!r} is out of range for a tensor of shape {self.shape} ({err})") from None
    ### END SOLUTION


# %% [markdown]
# ### Check Part 6

# %%
from tinytorch.checks.tensor import check_indexing

check_indexing(Tensor)

# %% [markdown]
# ## Part 7 · Making tensors the PyTorch way (given)
#
# PyTorch code rarely calls the class; it calls factory functions. They are thin, so they are given:
#
# | function | result |
# |---|---|
# | `tensor(data, dtype=None, requires_grad=False)` | a **copy** of `data`; the dtype is inferred: Python floats → float32, ints → int64, bools → bool; a numpy array keeps its dtype |
# | `from_numpy(array)` | shares the array's memory, keeps its dtype |
# | `zeros(*size)`, `ones(*size)`, `full(size, fill_value)`, `zeros_like(t)`, `ones_like(t)`, `eye(n)` | filled tensors, float32 by default |
# | `arange(start, end, step)` | a range: int64 when every argument is an int, float32 otherwise |
# | `rand(*size)`, `randn(*size)` | uniform on [0, 1) / standard normal, from the generator `manual_seed` seeds |
#
# Why copy in `tensor()`? `Tensor(w)` on a float32 array shares `w`'s memory, so after training a
# "did my weights change?" comparison against `w` would compare the weights with themselves.

# %%
#| export
def tensor(data, dtype=None, requires_grad=False):
    """A new tensor holding a copy of `data`, its dtype inferred as torch.tensor does."""
    _check_numeric(data)
    values = np.array(data.data if isinstance(data, Tensor) else data)
    if dtype is None and not isinstance(data, (Tensor, np.ndarray, np.generic)):
        dtype = {"b": np.bool_, "i": np.int64, "u": np.int64, "f": np.float32}[values.dtype.kind]
    return Tensor(values, dtype=values.dtype if dtype is None else dtype, requires_grad=requires_grad)


def from_numpy(array):
    """A tensor sharing `array`'s memory and dtype, as torch.from_numpy."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy array, got {type(array).__name__}")
    _check_numeric(array)
    return Tensor(array, dtype=array.dtype)


def _size(size, op):
    """A shape from f(2, 3) or f((2, 3)), checked to hold non-negative ints."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise TypeError(f"{op}: a size must be non-negative ints, got {shape!r}")
    return shape


def _filled(shape, value, dtype, requires_grad):
    return Tensor(np.full(shape, value, dtype=np.float32 if dtype is None else dtype), requires_grad=requires_grad,
                  dtype=np.float32 if dtype is None else dtype)


def zeros(*size, dtype=None, requires_grad=False):
    """A tensor of zeros of the given shape (float32 unless `dtype`), as torch.zeros."""
    return _filled(_size(size, "zeros"), 0, dtype, requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    """A tensor of ones of the given shape (float32 unless `dtype`), as torch.ones."""
    return _filled(_size(size, "ones"), 1, dtype, requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    """A tensor of `fill_value`; its dtype is inferred from the value as torch.full does."""
    return _filled(_size((size,), "full"), fill_value, dtype or result_type(fill_value), requires_grad)


def zeros_like(input, dtype=None, requires_grad=False):
    """Zeros with input's shape (and dtype unless `dtype`)."""
    return _filled(input.shape, 0, dtype or input.dtype, requires_grad)


def ones_like(input, dtype=None, requires_grad=False):
    """Ones with input's shape (and dtype unless `dtype`)."""
    return _filled(input.shape, 1, dtype or input.dtype, requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    """The n×m identity matrix (m = n unless given)."""
    return Tensor(np.eye(n, m), dtype=np.float32 if dtype is None else dtype, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """start, start+step, ... below end (arange(n) counts 0..n-1): int64 for ints, float32 otherwise."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype is None:
        dtype = result_type(start, end, step)
    return Tensor(np.arange(start, end, step).astype(dtype), dtype=dtype, requires_grad=requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    """Uniform random numbers on [0, 1) of the given shape, from the generator manual_seed seeds."""
    values = default_generator().random(_size(size, "rand"))
    return Tensor(values, dtype=np.float32 if dtype is None else dtype, requires_grad=requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    """Standard-normal random numbers of the given shape, from the generator manual_seed seeds."""
    values = default_generator().standard_normal(_size(size, "randn"))
    return Tensor(values, dtype=np.float32 if dtype is None else dtype, requires_grad=requires_grad)


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
