"""Tensor operations on tinytorch and torch: values, dtypes, shapes and gradients agree.

Add a case with one line: case("Tensor.name", lambda m, x: <expression>, <input shapes or arrays>).
"""
import numpy as np
import pytest

from parity import assert_same_run, case, const, covers, error_case, run_case, to_numpy

rng = np.random.default_rng(7)


def positive(*shape):
    """float32 values in [0.5, 2]: safe for log, sqrt, division and negative powers."""
    return rng.uniform(0.5, 2.0, shape).astype(np.float32)


def float64(*shape):
    return rng.standard_normal(shape)


ARITHMETIC = [
    case("Tensor.__add__", lambda m, x, y: x + y, (3, 4), (3, 4)),
    case("Tensor.__add__", lambda m, x, y: x + y, (3, 4), (4,)),
    case("Tensor.__add__", lambda m, x, y: x + y, (3, 1), (1, 4)),
    case("Tensor.__add__", lambda m, x, y: x + y, (2, 3, 4), (3, 1)),
    case("Tensor.__add__", lambda m, x, y: x + y, (3, 4), ()),
    case("Tensor.__sub__", lambda m, x, y: x - y, (3, 4), (4,)),
    case("Tensor.__sub__", lambda m, x, y: x - y, (4, 1), (2, 1, 3)),
    case("Tensor.__mul__", lambda m, x, y: x * y, (3, 4), (3, 1)),
    case("Tensor.__mul__", lambda m, x: x * x, (3, 4)),  # the same tensor twice: gradients add up
    case("Tensor.__truediv__", lambda m, x, y: x / y, (3, 4), positive(4)),
    case("Tensor.__truediv__", lambda m, x, y: x / y, (2, 1), positive(2, 3)),
    case("Tensor.__radd__", lambda m, x: 2.5 + x, (3, 4)),
    case("Tensor.__rsub__", lambda m, x: 1 - x, (3, 4)),
    case("Tensor.__rmul__", lambda m, x: 3 * x, (3, 4)),
    case("Tensor.__rmul__", lambda m, x: np.float32(3) * x, (3, 4)),
    case("Tensor.__rtruediv__", lambda m, x: 2 / x, positive(3, 4)),
    case(("Tensor.__add__", "Tensor.__sub__", "Tensor.__mul__", "Tensor.__truediv__"),
         lambda m, x: (x + 1, x - 2, x * 0.5, x / 4), (3, 4)),
    case("Tensor.__neg__", lambda m, x: -x, (3, 4)),
    case(("Tensor.__add__", "Tensor.__mul__"), lambda m, x, y: x * y + x, float64(3, 4), float64(4)),
    case("Tensor.__add__", lambda m, x, y: x + y, (3, 4), float64(3, 4)),  # float32 + float64 promotes
    case("Tensor.__mul__", lambda m, x: x * 2.5, float64(3)),  # a Python float keeps float64
    case("Tensor.__mul__", lambda m, i: i * 3, np.array([1, 2, 3])),  # int64 * int stays int64
    case("Tensor.__pow__", lambda m, x: x ** 2, (3, 4)),
    case("Tensor.__pow__", lambda m, x: x ** 3, (3, 4)),
    case("Tensor.__pow__", lambda m, x: x ** 0.5, positive(3, 4)),
    case("Tensor.__pow__", lambda m, x: x ** -1.5, positive(3, 4)),
    case("Tensor.__pow__", lambda m, x: x ** 2, float64(5)),
    case("Tensor.exp", lambda m, x: x.exp(), (3, 4)),
    case("Tensor.exp", lambda m, x: x.exp(), float64(3, 4)),
    case("Tensor.log", lambda m, x: x.log(), positive(3, 4)),
    case("Tensor.log", lambda m, x: x.log(), np.array([0.0, -1.0, 1.0], dtype=np.float32), grad=False),  # -inf, nan
    case("Tensor.sqrt", lambda m, x: x.sqrt(), positive(3, 4)),
    case("Tensor.sqrt", lambda m, x: x.sqrt(), np.abs(float64(6)) + 0.1),
]

MATMUL = [
    case("Tensor.__matmul__", lambda m, x, y: x @ y, (3,), (3,)),
    case("Tensor.__matmul__", lambda m, x, y: x @ y, (2, 3), (3,)),
    case("Tensor.__matmul__", lambda m, x, y: x @ y, (3,), (3, 4)),
    case("Tensor.__matmul__", lambda m, x, y: x @ y, (2, 3), (3, 4)),
    case("Tensor.__matmul__", lambda m, x, y: x @ y, (5, 2, 3), (3, 4)),
    case("Tensor.__matmul__", lambda m, x, y: x @ y, (5, 2, 3), (5, 3, 4)),
    case("Tensor.__matmul__", lambda m, x, y: x @ y, (2, 1, 2, 3), (5, 3, 4)),
    case("Tensor.__matmul__", lambda m, x, y: x @ y, (5, 2, 3), (3,)),
    case("Tensor.__matmul__", lambda m, x, y: x @ y, float64(4, 3), float64(3, 2)),
    case(("Tensor.__matmul__", "Tensor.T", "Tensor.sum"), lambda m, x, w: (x @ w.T).sum(dim=1), (5, 4), (3, 4)),
    case("Tensor.__rmatmul__", lambda m, x, y: y.__rmatmul__(x), (2, 3), (3, 4)),
]

REDUCTIONS = [
    case("Tensor.sum", lambda m, x: x.sum(), (3, 4)),
    case("Tensor.sum", lambda m, x: x.sum(dim=0), (3, 4)),
    case("Tensor.sum", lambda m, x: x.sum(dim=-1, keepdim=True), (3, 4)),
    case("Tensor.sum", lambda m, x: x.sum(dim=(0, 2)), (2, 3, 4)),
    case("Tensor.sum", lambda m, x: x.sum(1), float64(2, 3)),
    case("Tensor.mean", lambda m, x: x.mean(), (3, 4)),
    case("Tensor.mean", lambda m, x: x.mean(dim=1), (3, 4)),
    case("Tensor.mean", lambda m, x: x.mean(dim=0, keepdim=True), (3, 4)),
    case("Tensor.mean", lambda m, x: x.mean(dim=(1, 2), keepdim=True), (2, 3, 4)),
    case("Tensor.max", lambda m, x: x.max(), (3, 4)),
    case("Tensor.max", lambda m, x: x.max(dim=1), (3, 4)),  # (values, indices)
    case("Tensor.max", lambda m, x: x.max(dim=0, keepdim=True), (3, 4)),
    case("Tensor.max", lambda m, x: (x.max(-1).values, x.max(-1).indices), (2, 3, 4)),
    case("Tensor.max", lambda m, x: x.max(), np.array([1.0, 3.0, 3.0, 2.0], dtype=np.float32)),  # a tie
    case("Tensor.argmax", lambda m, x: x.argmax(), (3, 4)),
    case("Tensor.argmax", lambda m, x: x.argmax(dim=1), (3, 4)),
    case("Tensor.argmax", lambda m, x: x.argmax(dim=0, keepdim=True), (3, 4)),
]

SHAPES = [
    case("Tensor.reshape", lambda m, x: x.reshape(6, 4), (2, 3, 4)),
    case("Tensor.reshape", lambda m, x: x.reshape((4, -1)), (2, 3, 4)),
    case("Tensor.reshape", lambda m, x: x.reshape(-1), (2, 3, 4)),
    case("Tensor.reshape", lambda m, x: x.reshape(()), (1, 1)),
    case("Tensor.transpose", lambda m, x: x.transpose(0, 1), (3, 4)),
    case("Tensor.transpose", lambda m, x: x.transpose(-1, -3), (2, 3, 4)),
    case("Tensor.T", lambda m, x: x.T, (3, 4)),
    case("Tensor.T", lambda m, x: x.T, (4,)),
    case("Tensor.T", lambda m, x: x.T, ()),
]

INDEXING = [
    case("Tensor.__getitem__", lambda m, x: x[1], (3, 4)),
    case("Tensor.__getitem__", lambda m, x: x[-1, 2], (3, 4)),
    case("Tensor.__getitem__", lambda m, x: x[1:3], (4, 5)),
    case("Tensor.__getitem__", lambda m, x: x[:, ::2], (4, 5)),
    case("Tensor.__getitem__", lambda m, x: x[..., 0], (2, 3, 4)),
    case("Tensor.__getitem__", lambda m, x: x[None, :, 1], (3, 4)),
    case("Tensor.__getitem__", lambda m, x, i: x[i], (5, 3), np.array([4, 0, 0, 2])),  # repeats accumulate
    case("Tensor.__getitem__", lambda m, x, i: x[:, i], (5, 3), np.array([2, 0])),
    case("Tensor.__getitem__", lambda m, x, i, j: x[i, j], (5, 3), np.array([0, 4, 4]), np.array([2, 1, 1])),
    case("Tensor.__getitem__", lambda m, x: x[[0, 2]], (4, 3)),  # a Python list of indices
    case("Tensor.__getitem__", lambda m, x, mask: x[mask], (4, 3), np.array([True, False, True, True])),
    case("Tensor.__getitem__", lambda m, x, mask: x[mask], (2, 3), rng.random((2, 3)) > 0.5),
]

ATTRIBUTES = [
    case(("Tensor.shape", "Tensor.ndim", "Tensor.size", "Tensor.numel", "Tensor.__len__"),
         lambda m, x: (x.shape, x.ndim, x.size(), x.size(1), x.size(-1), x.numel(), len(x)), (2, 3, 4)),
    case("Tensor.dtype", lambda m, x, i, b: [str(t.dtype).replace("torch.", "") for t in (x, i, b)],
         float64(2), np.array([1, 2]), np.array([True])),
    case("Tensor.item", lambda m, x: x.sum().item(), (3,)),
    case("Tensor.item", lambda m, i: i[1].item(), np.array([4, 5])),
    case("Tensor.numpy", lambda m, x: x.detach().numpy(), (2, 3)),
    case("Tensor.detach", lambda m, x: (x * 2).detach(), (2, 3)),
    case("Tensor.requires_grad", lambda m, x, c: (x.requires_grad, c.requires_grad, (x * c).requires_grad),
         (2,), const((2,))),
]

ERRORS = [
    error_case("Tensor.transpose", lambda m, x: x.transpose(0, 2), (2, 3)),
    error_case("Tensor.sum", lambda m, x: x.sum(dim=2), (2, 3)),
    error_case("Tensor.mean", lambda m, x: x.mean(dim=-3), (2, 3)),
    error_case("Tensor.max", lambda m, x: x.max(dim=2), (2, 3)),
    error_case("Tensor.argmax", lambda m, x: x.argmax(dim=5), (2, 3)),
    error_case("Tensor.__getitem__", lambda m, x: x[3], (3, 4)),
    error_case("Tensor.__getitem__", lambda m, x: x[0, 0, 0], (3, 4)),
    error_case("Tensor.__len__", lambda m, x: len(x.sum()), (3,)),
    error_case("Tensor.backward", lambda m, x: (x * 2).backward(), (3,)),  # non-scalar, no gradient=
    error_case("Tensor.backward", lambda m, x: x.sum().backward(), (3,), grad=False),
]


@pytest.mark.parametrize("check", ARITHMETIC + MATMUL + REDUCTIONS + SHAPES + INDEXING + ATTRIBUTES + ERRORS)
def test_tensor_matches_torch(check):
    check()


def backward_twice_accumulates(m):
    x = m.Tensor(np.arange(1.0, 4.0, dtype=np.float32))
    x.requires_grad = True  # set after construction, as PyTorch allows for a leaf
    (x * x).sum().backward()
    first = to_numpy(x.grad)
    (x * 3).sum().backward()
    return first, x.grad, x.grad.requires_grad


def backward_with_gradient(m):
    x = m.Tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    x.requires_grad = True
    (x * x).backward(m.Tensor(np.array([[1, 2, 3], [-1, 0.5, 2]], dtype=np.float32)))
    return x.grad


def grad_of_a_used_and_an_unused_leaf(m):
    a, b = m.Tensor(np.ones(2, dtype=np.float32)), m.Tensor(np.ones(2, dtype=np.float32))
    a.requires_grad, b.requires_grad = True, True
    (a * 2).sum().backward()
    return a.grad, b.grad


SCENARIOS = [
    run_case(("Tensor.backward", "Tensor.grad", "Tensor.requires_grad"), backward_twice_accumulates),
    run_case("Tensor.backward", backward_with_gradient),
    run_case(("Tensor.backward", "Tensor.grad"), grad_of_a_used_and_an_unused_leaf),
]


@pytest.mark.parametrize("check", SCENARIOS)
def test_autograd_behaviour_matches_torch(check):
    check()


@covers("Tensor")
def test_tensor_constructor_gives_float32_from_any_numbers_as_torch_Tensor_does():
    for data in ([1, 2, 3], [[1.5, 2.0]], np.arange(4), np.ones(3), 2.0):
        assert_same_run(lambda m: m.Tensor(data) if np.ndim(data) else m.Tensor([data]))
