"""Autograd: every differentiable op and layer against finite differences (float64), and the engine."""
import sys

import numpy as np
import pytest

from tinytorch import Tensor, no_grad
from tinytorch.checks import numerical_gradient
from tinytorch.core import activations as act
from tinytorch.core import losses
from tinytorch.core.autograd import enable_autograd
from tinytorch.core.layers import Linear, Sequential

rng = np.random.default_rng(0)


def grad_check(expression, *arrays, rtol=1e-5, atol=1e-7):
    """Autograd's gradient of sum(upstream * expression(...)) must match central differences."""
    leaves = [Tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    output = expression(*leaves)
    upstream = np.random.default_rng(1).standard_normal(output.shape)
    (output * Tensor(upstream, dtype=np.float64)).sum().backward()
    for position, (leaf, array) in enumerate(zip(leaves, arrays)):
        def f(varied, position=position):
            values = [Tensor(a, dtype=np.float64) for a in arrays]
            values[position] = Tensor(varied, dtype=np.float64)
            return float(np.sum(upstream * expression(*values).data))
        assert leaf.grad is not None, f"input {position} received no gradient"
        assert leaf.grad.shape == leaf.shape
        np.testing.assert_allclose(leaf.grad.data, numerical_gradient(f, array), rtol=rtol, atol=atol)


M, N, ROW, COL = rng.standard_normal((3, 4)), rng.uniform(0.5, 2, (3, 4)), rng.uniform(0.5, 2, (4,)), rng.standard_normal((3, 1))
POSITIVE = rng.uniform(0.5, 2.0, (3, 4))


@pytest.mark.parametrize("expression,arrays", [
    (lambda a, b: a + b, (M, N)), (lambda a, b: a - b, (M, ROW)), (lambda a, b: a * b, (M, COL)),
    (lambda a, b: a / b, (M, N)), (lambda a, b: a / b, (COL, ROW)),
    (lambda a: 2 - a, (M,)), (lambda a: 1 / a, (N,)), (lambda a: -a * 3 + 1, (M,)),
    (lambda a: a ** 3, (M,)), (lambda a: a ** 0.5, (POSITIVE,)), (lambda a: a.sqrt(), (POSITIVE,)),
    (lambda a: a.exp(), (M,)), (lambda a: a.log(), (POSITIVE,)),
], ids=range(13))
def test_elementwise_gradients(expression, arrays):
    grad_check(expression, *arrays)


@pytest.mark.parametrize("shapes", [((2, 3), (3, 4)), ((4, 2, 3), (3, 5)), ((2, 3), (4, 3, 2)),
                                    ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,))])
def test_matmul_gradients(shapes):
    grad_check(lambda a, b: a @ b, *[rng.standard_normal(s) for s in shapes])


@pytest.mark.parametrize("expression", [
    lambda a: a.sum(), lambda a: a.sum(1), lambda a: a.sum(dim=(0, 2), keepdim=True), lambda a: a.mean(),
    lambda a: a.mean(-1, keepdim=True), lambda a: a.mean((0, 1)), lambda a: a.max(),
    lambda a: a.max(1).values, lambda a: a.max(dim=0, keepdim=True).values,
    lambda a: a.reshape(6, 4), lambda a: a.transpose(0, 2), lambda a: a[1], lambda a: a[:, 1:, ::2],
    lambda a: a[np.array([0, 0, 1])], lambda a: a[a.data > 0], lambda a: a[Tensor([1, 0], dtype=np.int64)],
    lambda a: a.reshape(6, 4).T,
], ids=range(17))
def test_reduction_and_shape_gradients(expression):
    grad_check(expression, rng.standard_normal((2, 3, 4)))


@pytest.mark.parametrize("module", [act.ReLU(), act.Sigmoid(), act.Tanh(), act.GELU(), act.GELU(approximate="tanh"),
                                    act.Softmax(dim=-1), act.Softmax(dim=0)], ids=repr)
def test_activation_gradients(module):
    x = rng.standard_normal((4, 5)) * 2
    x[np.abs(x) < 1e-3] = 0.5  # keep ReLU's kink away from the finite-difference step
    grad_check(module, x)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_gradients(reduction):
    logits, classes = rng.standard_normal((6, 4)) * 3, rng.integers(0, 4, 6)
    targets01 = rng.integers(0, 2, (6, 4)).astype(np.float64)
    grad_check(lambda z: losses.CrossEntropyLoss(reduction=reduction)(z, classes), logits)
    grad_check(lambda z: losses.CrossEntropyLoss(reduction=reduction)(z, Tensor(classes)), logits)
    grad_check(lambda z: losses.BCEWithLogitsLoss(reduction=reduction)(z, targets01), logits)
    grad_check(lambda p, t: losses.MSELoss(reduction=reduction)(p, t), logits, targets01)


def test_linear_and_sequential_parameters_get_gradients():
    model = Sequential(Linear(5, 4), act.Tanh(), Linear(4, 3))
    x, y = rng.standard_normal((8, 5)), rng.integers(0, 3, 8)
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    loss = losses.CrossEntropyLoss()(model(Tensor(x, dtype=np.float64)), y)
    loss.backward()
    for name, p in model.named_parameters():
        original = p.data.copy()

        def f(varied, p=p):
            p.data = varied
            with no_grad():
                return losses.CrossEntropyLoss()(model(Tensor(x, dtype=np.float64)), y).item()
        numeric = numerical_gradient(f, original)
        p.data = original
        np.testing.assert_allclose(p.grad.data, numeric, rtol=1e-5, atol=1e-8, err_msg=name)


def test_a_value_used_twice_accumulates_both_contributions():
    a = Tensor([2.0, -1.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a * b + a).sum().backward()
    np.testing.assert_allclose(a.grad.data, [4.0, 5.0])
    (a * b + a).sum().backward()
    np.testing.assert_allclose(a.grad.data, [8.0, 10.0])


def test_leaf_gradients_do_not_alias_each_other():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.data *= 10  # e.g. gradient clipping in place
    np.testing.assert_allclose(b.grad.data, [1.0, 1.0])


def test_deep_chain_does_not_recurse():
    x = Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(max(10_000, sys.getrecursionlimit() * 3)):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0])


def test_float32_stays_float32():
    w = Tensor(rng.standard_normal((3, 3)), requires_grad=True)
    act.GELU()(w @ w).sum().backward()
    assert w.grad.dtype == np.float32


def test_no_grad_and_detach_record_nothing():
    a = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        assert not (a * 2).requires_grad
    assert (a * 2).requires_grad
    assert not a.detach().requires_grad and np.shares_memory(a.detach().data, a.data)


def test_plain_tensors_build_no_graph_and_compute_as_before():
    plain = Tensor([[1.0, 2.0], [3.0, 4.0]])
    result = act.Softmax()(plain @ plain + 1)
    assert not result.requires_grad and result.grad_fn is None
    expected = np.exp(np.array([[8.0, 11.0], [16.0, 23.0]]))
    np.testing.assert_allclose(result.data, expected / expected.sum(1, keepdims=True), rtol=1e-6)


def test_enabling_twice_does_not_wrap_twice():
    enable_autograd()
    a = Tensor([1.0], requires_grad=True)
    y = a * 3
    assert y.grad_fn.inputs[0] is a  # one node per op, not a wrapper of a wrapper
    y.sum().backward()
    np.testing.assert_allclose(a.grad.data, [3.0])


@pytest.mark.parametrize("action,error,words", [
    (lambda: Tensor([1.0, 2.0]).sum().backward(), RuntimeError, ["requires_grad"]),
    (lambda: (Tensor([1.0, 2.0], requires_grad=True) * 2).backward(), RuntimeError, ["(2,)"]),
    (lambda: (Tensor([1.0, 2.0], requires_grad=True) * 2).backward(np.ones(3)), ValueError, ["(3,)", "(2,)"]),
    (lambda: Tensor([1, 2], dtype=np.int64, requires_grad=True), RuntimeError, ["int64"]),
    (lambda: Tensor([1.0], requires_grad=True) ** Tensor([2.0]), TypeError, ["exponent"]),
])
def test_bad_use_gets_a_clear_error(action, error, words):
    with pytest.raises(error) as raised:
        action()
    for word in words:
        assert word in str(raised.value)


# --- grad mode, graph lifetime, leaves ----------------------------------------------------------------

def test_no_grad_nests_survives_exceptions_and_decorates():
    from tinytorch import enable_grad, is_grad_enabled, set_grad_enabled
    a = Tensor([1.0], requires_grad=True)
    with no_grad():
        with no_grad():
            pass
        assert not is_grad_enabled()
        with enable_grad():
            assert (a * 2).requires_grad
        assert not (a * 2).requires_grad
    assert is_grad_enabled()
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            1 / 0
    assert is_grad_enabled()

    @no_grad()
    def evaluate(x):
        """Doc kept."""
        return x * 2
    assert not evaluate(a).requires_grad and evaluate.__doc__ == "Doc kept." and is_grad_enabled()
    with set_grad_enabled(False):
        assert not (a * 2).requires_grad
    assert is_grad_enabled()


def test_running_the_notebooks_enable_autograd_keeps_one_grad_switch():
    """Module 06's notebook defines its own enable_autograd and re-wraps Tensor; the package's no_grad
    (used by tinytorch.training.evaluate) must still switch recording off."""
    import tinytorch.autograd.grad_mode as grad_mode
    enable_autograd()
    a = Tensor([1.0], requires_grad=True)
    with grad_mode.no_grad():
        assert not (a * 2).requires_grad and (a * 2).grad_fn is None


def test_a_second_backward_through_a_freed_graph_raises_and_changes_nothing():
    a = Tensor([1.0, 2.0], requires_grad=True)
    loss = (a * a).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()
    np.testing.assert_allclose(a.grad.data, [2.0, 4.0])  # not doubled
    kept = (a * a).sum()
    kept.backward(retain_graph=True)
    kept.backward()
    np.testing.assert_allclose(a.grad.data, [2.0 + 4.0, 4.0 + 8.0])


def test_leaves_grad_fn_and_requires_grad_():
    a = Tensor([1.0, 2.0]).requires_grad_()
    y = a * 2
    assert a.is_leaf and a.grad_fn is None and not y.is_leaf
    assert y.grad_fn.name() == "MulBackward0" and y.grad_fn.inputs[0] is a
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    with pytest.raises(RuntimeError, match="floating-point"):
        Tensor([1, 2], dtype=np.int64).requires_grad_()


def test_in_place_updates_of_weights_work_under_no_grad_only():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with pytest.raises(RuntimeError, match="no_grad"):
        w -= 0.1 * w.grad
    np.testing.assert_allclose(w.data, [1.0, 2.0])  # the refused update changed nothing
    for step in range(2):  # the manual-SGD idiom, twice: w stays a leaf that requires grad
        with no_grad():
            w -= 0.1 * w.grad
        assert w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.data, [1.0 - 0.4, 2.0 - 0.8])


@pytest.mark.parametrize("expression", [
    lambda a: a.min(), lambda a: a.min(1).values, lambda a: a.abs(), lambda a: (a * a + 1).sqrt(),
    lambda a: a.permute(2, 0, 1), lambda a: a.unsqueeze(1), lambda a: a.flatten(1), lambda a: a.view(4, 6),
    lambda a: a[:, :1].squeeze(1), lambda a: a.clone() * 3,
], ids=range(10))
def test_new_tensor_methods_have_gradients_matching_finite_differences(expression):
    grad_check(expression, rng.standard_normal((2, 3, 4)))


def test_dtype_conversion_passes_the_gradient_back_in_the_leafs_dtype():
    a = Tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    (a.float() * 3).sum().backward()
    assert a.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad.data, [3.0, 3.0])
