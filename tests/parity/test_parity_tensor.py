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


PROMOTION = [
    case("Tensor.__mul__", lambda m, i: i * 2.5, np.array([1, 2])),  # int × Python float → float32
    case("Tensor.__truediv__", lambda m, i: i / 2, np.array([1, 3])),
    case("Tensor.__add__", lambda m, i, x: i + x, np.array([1, 2]), np.float32([0.5, 0.25])),
    case("Tensor.sum", lambda m, i: i.sum(), np.array([1, 2], dtype=np.int32)),
    case("Tensor.sqrt", lambda m, i: i.sqrt(), np.array([1, 4])),
    error_case("tensor", lambda m: m.tensor([1, 2], requires_grad=True)),
    error_case("Tensor.mean", lambda m, i: i.mean(), np.array([1, 2])),
]


@pytest.mark.parametrize("check", PROMOTION)
def test_dtype_promotion_matches_torch(check):
    check()


X = (2, 3, 4)

SHAPES_AND_MATHS = [
    case("Tensor.view", lambda m, x: x.view(6, 4), X),
    case("Tensor.view", lambda m, x: x.view(-1), X),
    case("Tensor.flatten", lambda m, x: x.flatten(), X),
    case("Tensor.flatten", lambda m, x: x.flatten(1), X),
    case("Tensor.flatten", lambda m, x: x.flatten(0, 1), X),
    case("Tensor.unsqueeze", lambda m, x: x.unsqueeze(1), X),
    case("Tensor.unsqueeze", lambda m, x: x.unsqueeze(-1), X),
    case("Tensor.squeeze", lambda m, x: x.squeeze(), (2, 1, 3, 1)),
    case("Tensor.squeeze", lambda m, x: x.squeeze(1), (2, 1, 3)),
    case("Tensor.squeeze", lambda m, x: x.squeeze(0), (2, 1, 3)),
    case("Tensor.permute", lambda m, x: x.permute(2, 0, 1), X),
    case("Tensor.permute", lambda m, x: x.permute((1, 2, 0)), X),
    case("Tensor.clone", lambda m, x: x.clone() * 2, X),
    case("Tensor.abs", lambda m, x: x.abs(), X),
    case("Tensor.min", lambda m, x: x.min(), X),
    case("Tensor.min", lambda m, x: x.min(1), X),
    case("Tensor.min", lambda m, x: x.min(dim=-1, keepdim=True), X),
    case("Tensor.argmin", lambda m, x: x.argmin(), X),
    case("Tensor.argmin", lambda m, x: x.argmin(dim=2), X),
    case("Tensor.float", lambda m, x: x.double().float() * 3, X),
    case("Tensor.double", lambda m, x: x.double() * 3, X),
    case("Tensor.long", lambda m, x: (x * 10).long(), X),
    case("Tensor.to", lambda m, x: x.to(m.float64), X),
    case("Tensor.dim", lambda m, x: x.dim(), X),
    case("Tensor.tolist", lambda m, i: i.tolist(), np.array([[1, 2], [3, 4]])),
    case("Tensor.data", lambda m, x: m.tensor(x.data.tolist()), (3,)),
    error_case("Tensor.view", lambda m, x: x.transpose(0, 1).view(-1), (2, 3)),
    error_case("Tensor.permute", lambda m, x: x.permute(0, 0), (2, 3)),
    error_case("Tensor.unsqueeze", lambda m, x: x.unsqueeze(3), (2, 3)),
]


@pytest.mark.parametrize("check", SHAPES_AND_MATHS)
def test_shape_operations_and_maths_match_torch(check):
    check()


COMPARISONS = [case(f"Tensor.__{name}__", (lambda op: lambda m, x, y: op(x, y))(op), (3, 4), (4,), grad=False)
               for name, op in [("eq", lambda a, b: a == b), ("ne", lambda a, b: a != b),
                                ("lt", lambda a, b: a < b), ("le", lambda a, b: a <= b),
                                ("gt", lambda a, b: a > b), ("ge", lambda a, b: a >= b)]]
COMPARISONS += [
    case("Tensor.__eq__", lambda m, x: (x == x) * 1, (3,), grad=False),
    case("Tensor.__bool__", lambda m, x: bool(x > 0), (1,), grad=False),
    error_case("Tensor.__bool__", lambda m, x: bool(x), (3,)),
    case("Tensor.__array__", lambda m, x: np.asarray(x.detach()), (2, 3)),
]


@pytest.mark.parametrize("check", COMPARISONS)
def test_comparisons_match_torch(check):
    check()


def in_place_updates(m):
    x = m.tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    x += 1
    x -= m.tensor([0.5, 0.25, 0.0])
    x *= 2
    x /= 4
    x.add_(1).sub_(m.tensor(0.5)).mul_(3).div_(2)
    snapshot = x.clone()
    x.copy_(m.tensor([9.0, 8.0, 7.0]))
    copied = x.clone()
    x.fill_(2.5)
    filled = x.clone()
    return snapshot, copied, filled, x.zero_()


def manual_sgd_under_no_grad(m):
    w = m.tensor([1.0, -2.0], requires_grad=True)
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with m.no_grad():
            w -= 0.1 * w.grad
        w.grad = None
    return w, w.is_leaf


def leaf_and_grad_fn(m):
    a = m.tensor([1.0, 2.0]).requires_grad_()
    b = a * 3
    return a.is_leaf, b.is_leaf, a.grad_fn is None, b.grad_fn is not None, b.requires_grad, a.detach().requires_grad


def second_backward(m):
    a = m.tensor([1.0, 2.0], requires_grad=True)
    loss = (a * a).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    return a.grad


GRAPH = [
    run_case(("Tensor.__iadd__", "Tensor.__isub__", "Tensor.__imul__", "Tensor.__itruediv__", "Tensor.add_",
              "Tensor.sub_", "Tensor.mul_", "Tensor.div_", "Tensor.copy_", "Tensor.fill_", "Tensor.zero_"),
             in_place_updates),
    run_case(("no_grad", "Tensor.__isub__", "Tensor.grad"), manual_sgd_under_no_grad),
    run_case(("Tensor.is_leaf", "Tensor.grad_fn", "Tensor.requires_grad_", "Tensor.detach"), leaf_and_grad_fn),
    run_case("Tensor.backward", second_backward),
    error_case("Tensor.backward", lambda m, x: [(y := (x * x).sum()).backward(), y.backward()], (3,)),
    error_case("Tensor.__iadd__", lambda m: m.tensor([1.0], requires_grad=True).__iadd__(1.0)),
    error_case("Tensor.__iadd__", lambda m: m.tensor([1, 2]).__iadd__(0.5)),
    case("Tensor.__repr__", lambda m, x: repr(x.detach().requires_grad_()), np.float32([1.0, 2.0])),
    case("Tensor.__repr__", lambda m, i: repr(i), np.array([1, 2])),
    case("Tensor.__repr__", lambda m, x: repr((x * 2).detach().requires_grad_() * 1)[-22:],
         np.float32([1.0, 2.0])),
]


@pytest.mark.parametrize("check", GRAPH)
def test_autograd_api_matches_torch(check):
    check()


def factories(m):
    m.manual_seed(0)
    random = [m.rand(2, 3), m.randn((4,)), m.rand(2, dtype=m.float64)]
    return ([m.zeros(2, 3), m.ones((2,)), m.zeros(2, dtype=m.int64), m.full((2,), 7), m.full((2,), 0.5),
             m.zeros_like(m.ones(2, dtype=m.float64)), m.ones_like(m.zeros(3, dtype=m.int32)), m.eye(3), m.eye(2, 3),
             m.arange(5), m.arange(1, 7, 2), m.arange(0, 1, 0.25), m.arange(3, dtype=m.float32),
             m.tensor([1, 2]), m.tensor([1.5, 2]), m.tensor([True, False]), m.tensor(np.ones(2)),
             m.from_numpy(np.arange(3)), m.zeros(2, requires_grad=True)],
            [(t.shape, str(t.dtype).replace("torch.", "")) for t in random])


def dtype_names(m):
    return [str(m.zeros(1, dtype=d).dtype).replace("torch.", "")
            for d in (m.float32, m.float64, m.int32, m.int64, m.bool, m.float, m.double, m.long)]


def result_types(m):
    i, f, d = m.tensor([1]), m.tensor([1.0]), m.tensor(1.0, dtype=m.float64)
    return [str(t).replace("torch.", "") for t in (m.result_type(i, 2.5), m.result_type(i, f), m.result_type(f, d),
                                                   m.result_type(i, d), m.result_type(m.tensor([True]), 1))]


def grad_switches(m):
    x = m.tensor([1.0], requires_grad=True)

    @m.no_grad()
    def decorated():
        return x * 2
    with m.no_grad():
        with m.enable_grad():
            inside = (x * 2).requires_grad
    with m.set_grad_enabled(False):
        off = (x * 2).requires_grad
    return inside, off, decorated().requires_grad, m.is_grad_enabled()


MAKING = [
    run_case(("zeros", "ones", "full", "zeros_like", "ones_like", "eye", "arange", "tensor", "from_numpy", "rand",
              "randn", "manual_seed"), factories),
    run_case(("float32", "float64", "int32", "int64", "bool", "float", "double", "long"), dtype_names),
    run_case("result_type", result_types),
    run_case(("no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"), grad_switches),
]


@pytest.mark.parametrize("check", MAKING)
def test_making_tensors_and_grad_switches_match_torch(check):
    check()


NUMBERS = [
    case("Tensor.__float__", lambda m, x: float(x.detach()), (1,)),
    case("Tensor.__int__", lambda m, i: int(i), np.array([7])),
    error_case("Tensor.__float__", lambda m, x: float(x), (3,)),
]


@pytest.mark.parametrize("check", NUMBERS)
def test_python_number_conversion_matches_torch(check):
    check()


LOGIC = [
    case("Tensor.all", lambda m, x: (x > -5).all(), (3, 4), grad=False),
    case("Tensor.all", lambda m, x: (x > 0).all(dim=1), (3, 4), grad=False),
    case("Tensor.any", lambda m, x: (x > 1).any(), (3, 4), grad=False),
    case("Tensor.any", lambda m, x: (x > 1).any(0, keepdim=True), (3, 4), grad=False),
]


@pytest.mark.parametrize("check", LOGIC)
def test_all_and_any_match_torch(check):
    check()


ARG_EXTREMES = [
    case("Tensor.argmax", lambda m, x: x.argmax(keepdim=True), (3, 4)),
    case("Tensor.argmin", lambda m, x: x.argmin(keepdim=True), (2, 3, 4)),
    case("Tensor.argmin", lambda m, x: x.argmin(1, keepdim=True), (2, 3, 4)),
]


@pytest.mark.parametrize("check", ARG_EXTREMES)
def test_argmax_and_argmin_keepdim_match_torch(check):
    check()
