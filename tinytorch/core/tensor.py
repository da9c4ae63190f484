"""Generated from content/01_tensor.py by scripts/build_content.py: edit the source, not this file."""
import numpy as np


class Tensor:
    """An n-dimensional array of numbers (float32 unless `dtype` says otherwise), PyTorch style.

    The numbers live in `self.data`, a numpy array. A float32 numpy array passed in is used as is,
    not copied (like `torch.from_numpy`), so views made by reshape, transpose and slicing share memory.
    """

    # Let numpy hand `np.float32(2) * tensor` to our reflected operators instead of looping itself.
    __array_ufunc__ = None

    def __init__(self, data, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        self.data = np.asarray(data, dtype=np.float32 if dtype is None else dtype)

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
        return self.numel() * self.dtype.itemsize

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


def _elementwise(self, other, op, name):
    """Apply the numpy function `op` to self and other (a Tensor or a number) with broadcasting."""
    other = other if isinstance(other, Tensor) else Tensor(other)
    try:
        np.broadcast_shapes(self.shape, other.shape)
    except ValueError:
        raise ValueError(f"{name}: shapes {self.shape} and {other.shape} do not broadcast") from None
    result = op(self.data, other.data)
    return Tensor(result, dtype=result.dtype)  # keep numpy's dtype: float64 in gives float64 out


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


def __matmul__(self, other):
    """Matrix product with PyTorch's rules; the error on a mismatch names both shapes."""
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


Tensor.__matmul__ = __matmul__
Tensor.__rmatmul__ = lambda self, other: _number_or_tensor(other) @ self


def reshape(self, *shape):
    """Same numbers, new shape (a view when possible). Accepts reshape(2, 3) or reshape((2, 3))."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return Tensor(self.data.reshape(shape), dtype=self.dtype)
    except ValueError:
        raise ValueError(f"reshape: cannot view shape {self.shape} ({self.numel()} elements) "
                         f"as {shape}") from None


def transpose(self, dim0, dim1):
    """Swap two dimensions (negative indices count from the end), as torch.transpose does."""
    for dim in (dim0, dim1):
        if not -self.ndim <= dim < self.ndim:
            raise IndexError(f"transpose: dimension {dim} is out of range for a tensor with "
                             f"{self.ndim} dimensions (shape {self.shape})")
    return Tensor(np.swapaxes(self.data, dim0, dim1), dtype=self.dtype)


Tensor.reshape = reshape
Tensor.transpose = transpose


def _matrix_transpose(self):
    # PyTorch's .T: a matrix's transpose, a 0-d or 1-d tensor unchanged; ambiguous beyond 2-d.
    if self.ndim > 2:
        raise ValueError(f".T is only defined for tensors with at most 2 dimensions, got shape {self.shape}; "
                         "use transpose(dim0, dim1)")
    return self.transpose(0, 1) if self.ndim == 2 else self


Tensor.T = property(_matrix_transpose)


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
    if dim is not None:
        _check_dim(self, dim, "sum")
    return Tensor(np.sum(self.data, axis=dim, keepdims=keepdim), dtype=self.dtype)


def tensor_mean(self, dim=None, keepdim=False):
    """Mean over `dim` (int, tuple or None for all), as torch.mean."""
    if dim is not None:
        _check_dim(self, dim, "mean")
    return Tensor(np.mean(self.data, axis=dim, keepdims=keepdim), dtype=self.dtype)


def tensor_max(self, dim=None, keepdim=False):
    """The largest element, or with `dim` a MaxResult(values, indices), as torch.max."""
    if dim is None:
        return Tensor(np.max(self.data), dtype=self.dtype)
    _check_dim(self, dim, "max")
    indices = Tensor(np.argmax(self.data, axis=dim, keepdims=keepdim), dtype=np.int64)
    values = Tensor(np.max(self.data, axis=dim, keepdims=keepdim), dtype=self.dtype)
    return MaxResult(values, indices)


def tensor_argmax(self, dim=None, keepdim=False):
    """Index of the largest element (over the flattened tensor when dim is None), as int64."""
    if dim is not None:
        _check_dim(self, dim, "argmax")
    return Tensor(np.argmax(self.data, axis=dim, keepdims=keepdim and dim is not None), dtype=np.int64)


Tensor.sum = tensor_sum
Tensor.mean = tensor_mean
Tensor.max = tensor_max
Tensor.argmax = tensor_argmax


def __getitem__(self, index):
    """t[index] with numpy/PyTorch rules; Tensor indices are unwrapped to their integer arrays."""
    def unwrap(part):
        if isinstance(part, Tensor):
            return part.data if part.dtype == np.bool_ else part.data.astype(np.int64)
        return part

    index = tuple(unwrap(p) for p in index) if isinstance(index, tuple) else unwrap(index)
    try:
        return Tensor(self.data[index], dtype=self.dtype)
    except IndexError as err:
        raise IndexError(f"index {index!r} is out of range for a tensor of shape {self.shape} ({err})") from None


Tensor.__getitem__ = __getitem__
