"""Generated from content/01_tensor.py by scripts/build_content.py: edit the source, not this file."""
# From content/01_tensor.py, cell 2 (Part 1 · What a tensor is)
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
        if isinstance(data, Tensor):
            data = data.data
        self.data = np.asarray(data, dtype=np.float32 if dtype is None else dtype)
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
        return self.numel() * self.dtype.itemsize

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


# From content/01_tensor.py, cell 6 (Part 2 · Element-wise arithmetic and broadcasting)
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
    other_data = _data_of(other)
    try:
        np.broadcast_shapes(self.shape, other_data.shape)
    except ValueError:
        raise ValueError(f"{name}: shapes {self.shape} and {other_data.shape} do not broadcast") from None
    result = op(self.data.astype(dtype, copy=False), other_data.astype(dtype, copy=False))
    return Tensor(result, dtype=result.dtype)


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


# From content/01_tensor.py, cell 8 (Comparisons, maths and in-place updates (given))
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


# From content/01_tensor.py, cell 12 (Part 3 · Matrix multiplication)
@patch_to(Tensor)
def __matmul__(self, other):
    """Matrix product with PyTorch's rules; the error on a mismatch names both shapes."""
    other = _as_tensor(other)
    dtype = result_type(self, other)
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


@patch_to(Tensor)
def __rmatmul__(self, other):
    """other @ self, for an array on the left."""
    return _as_tensor(other) @ self


# From content/01_tensor.py, cell 16 (Part 4 · Reshape and transpose: views of the same memory)
@patch_to(Tensor)
def reshape(self, *shape):
    """Same numbers, new shape (a view when possible). Accepts reshape(2, 3) or reshape((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return Tensor(self.data.reshape(shape), dtype=self.dtype)
    except ValueError:
        raise ValueError(f"reshape: cannot view shape {self.shape} ({self.numel()} elements) "
                         f"as {shape}") from None


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
    dim0, dim1 = _dim_index(self, dim0, "transpose"), _dim_index(self, dim1, "transpose")
    return Tensor(np.swapaxes(self.data, dim0, dim1), dtype=self.dtype)


@patch_to(Tensor, as_property=True)
def T(self):
    """The transpose of a matrix; a 0-d or 1-d tensor unchanged (PyTorch's .T; ambiguous beyond 2-d)."""
    if self.ndim > 2:
        raise ValueError(f".T is only defined for tensors with at most 2 dimensions, got shape {self.shape}; "
                         "use transpose(dim0, dim1) or permute")
    return self.transpose(0, 1) if self.ndim == 2 else self


# From content/01_tensor.py, cell 18 (Part 4 · Reshape and transpose: views of the same memory)
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


# From content/01_tensor.py, cell 22 (Part 5 · Reductions: sum, mean, max)
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
    if dim is not None:
        _check_dim(self, dim, "sum")
    return Tensor(np.sum(self.data, axis=dim, keepdims=keepdim, dtype=dtype), dtype=dtype)


@patch_to(Tensor)
def mean(self, dim=None, keepdim=False):
    """Mean over `dim` (int, tuple or None for all), as torch.mean; only for floating-point tensors."""
    if not np.issubdtype(self.dtype, np.floating):
        raise RuntimeError(f"mean(): the input must be floating point, got dtype {self.dtype}; "
                           "convert first with .float()")
    if dim is not None:
        _check_dim(self, dim, "mean")
    return Tensor(np.mean(self.data, axis=dim, keepdims=keepdim), dtype=self.dtype)


def _extreme(tensor, dim, keepdim, op, reduce, arg_reduce):
    """max/min: the extreme element, or with `dim` a MaxResult(values, indices)."""
    if tensor.numel() == 0:
        raise RuntimeError(f"{op}(): the tensor is empty, so it has no {op}imum")
    if dim is None:
        return Tensor(reduce(tensor.data), dtype=tensor.dtype)
    _dim_index(tensor, dim, op)
    indices = Tensor(arg_reduce(tensor.data, axis=dim, keepdims=keepdim), dtype=np.int64)
    values = Tensor(reduce(tensor.data, axis=dim, keepdims=keepdim), dtype=tensor.dtype)
    return MaxResult(values, indices)


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


# From content/01_tensor.py, cell 26 (Part 6 · Indexing and slicing)
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
    index = _numpy_index(index)
    try:
        return Tensor(self.data[index], dtype=self.dtype)
    except IndexError as err:
        raise IndexError(f"index {index!r} is out of range for a tensor of shape {self.shape} ({err})") from None


# From content/01_tensor.py, cell 30 (Part 7 · Making tensors the PyTorch way (given))
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
