"""tinytorch.core.losses against independent per-example formulas (math module) and finite differences."""
import math
import warnings

import numpy as np
import pytest

from tinytorch.checks import numerical_gradient
from tinytorch.core.layers import Module, Sequential
from tinytorch.core.losses import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, log_softmax
from tinytorch.core.tensor import Tensor

rng = np.random.default_rng(0)


def cross_entropy_scalar(row, t):  # PyTorch's definition: -log(exp(z_t) / sum_j exp(z_j))
    top = max(row)
    return top + math.log(sum(math.exp(v - top) for v in row)) - row[t]


def bce_scalar(x, y):  # PyTorch's definition: -(y log sigma(x) + (1 - y) log(1 - sigma(x))), in exact arithmetic
    log_p = -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))
    log_not_p = -x + log_p
    return -(y * log_p + (1 - y) * log_not_p)


REDUCE = {"none": lambda v: v, "sum": np.sum, "mean": np.mean}


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_matches_the_formula(reduction):
    pred, target = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    out = MSELoss(reduction=reduction)(Tensor(pred, dtype=np.float64), target)
    expected = REDUCE[reduction](np.array([[(p - t) ** 2 for p, t in zip(a, b)] for a, b in zip(pred, target)]))
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert out.dtype == np.float64


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_the_formula(reduction):
    logits, labels = rng.standard_normal((6, 5)) * 3, rng.integers(0, 5, size=6)
    out = CrossEntropyLoss(reduction=reduction)(Tensor(logits, dtype=np.float64), labels)
    expected = REDUCE[reduction](np.array([cross_entropy_scalar(r, t) for r, t in zip(logits, labels)]))
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_matches_the_formula(reduction):
    x, y = rng.standard_normal((4, 3)) * 4, rng.uniform(0, 1, size=(4, 3))
    out = BCEWithLogitsLoss(reduction=reduction)(Tensor(x, dtype=np.float64), y)
    np.testing.assert_allclose(out.data, REDUCE[reduction](np.vectorize(bce_scalar)(x, y)), rtol=1e-12)


def test_log_softmax_matches_the_definition_on_any_axis():
    x = rng.standard_normal((3, 4))
    for dim in (0, 1, -1):
        e = np.exp(x)
        np.testing.assert_allclose(log_softmax(x, dim), np.log(e / e.sum(axis=dim, keepdims=True)), rtol=1e-12)


def no_warnings(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args)


def test_losses_are_exact_and_silent_at_extreme_logits():
    ce = no_warnings(CrossEntropyLoss(reduction="none"), Tensor([[1000.0, 0.0, -1000.0], [0.0, 0.0, 1000.0]]), [2, 2])
    np.testing.assert_allclose(ce.data, [2000.0, 0.0], atol=1e-6)
    x = np.array([-1000.0, -50.0, 50.0, 1000.0], dtype=np.float32)
    bce = no_warnings(BCEWithLogitsLoss(reduction="none"), Tensor(x), np.array([1.0, 1.0, 0.0, 0.0]))
    np.testing.assert_allclose(bce.data, [1000.0, 50.0, 50.0, 1000.0], rtol=1e-6)
    np.testing.assert_allclose(no_warnings(log_softmax, np.array([[0.0, -np.inf]])), [[0.0, -np.inf]])


@pytest.mark.parametrize("classes", [2, 10, 1000])
def test_uniform_logits_give_log_of_the_class_count(classes):
    loss = CrossEntropyLoss()(Tensor(np.zeros((8, classes))), np.arange(8) % classes)
    assert loss.shape == () and math.isclose(loss.item(), math.log(classes), rel_tol=1e-6)


def test_closed_form_gradients_agree_with_finite_differences():
    # The gradients module 06 will build in: softmax - onehot, 2 (pred - target), sigmoid - target (each / N).
    z, labels, y = rng.standard_normal((3, 4)), np.array([1, 0, 3]), rng.uniform(0, 1, (3, 4))
    softmax = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    cases = [(CrossEntropyLoss(), labels, (softmax - np.eye(4)[labels]) / 3),
             (MSELoss(), y, 2 * (z - y) / z.size),
             (BCEWithLogitsLoss(), y, (1 / (1 + np.exp(-z)) - y) / z.size)]
    for loss, target, analytic in cases:
        numeric = numerical_gradient(lambda v: loss(Tensor(v, dtype=np.float64), target).item(), z)
        np.testing.assert_allclose(numeric, analytic, atol=1e-8)


def test_targets_in_every_accepted_form_give_the_same_loss():
    logits = Tensor(rng.standard_normal((3, 4)), dtype=np.float64)
    labels = np.array([3, 0, 2])
    expected = CrossEntropyLoss()(logits, labels).item()
    for target in (Tensor(labels, dtype=np.int64), labels.tolist(), labels.astype(np.float32), Tensor(labels)):
        assert CrossEntropyLoss()(logits, target).item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("labels,error,pattern", [
    ([0, 4, 1], IndexError, r"target 4 .*4 classes"),
    ([0, -1, 1], IndexError, r"target -1 .*4 classes"),
    ([0.0, 2.5, 1.0], ValueError, r"2\.5"),
    ([0, 1], ValueError, r"\(3, 4\).*\(2,\)"),
    ([[0], [1], [2]], ValueError, r"\(3, 1\)"),
    ([True, False, True], TypeError, "bool"),
])
def test_cross_entropy_rejects_bad_targets(labels, error, pattern):
    with pytest.raises(error, match=pattern):
        CrossEntropyLoss()(Tensor(np.zeros((3, 4))), np.array(labels))


def test_cross_entropy_rejects_bad_logits():
    with pytest.raises(ValueError, match=r"\(N, C\).*\(4,\)"):
        CrossEntropyLoss()(Tensor(np.zeros(4)), [0])
    with pytest.raises(TypeError, match="floating"):
        CrossEntropyLoss()(Tensor(np.zeros((2, 3)), dtype=np.int64), [0, 1])
    with pytest.raises(TypeError, match="Tensor"):
        CrossEntropyLoss()(np.zeros((2, 3)), [0, 1])


def test_mismatched_shapes_are_refused_instead_of_broadcast():
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\)"):
        MSELoss()(Tensor(np.zeros((4, 1))), np.zeros(4))
    with pytest.raises(ValueError, match=r"\(3,\).*\(1, 3\)"):
        BCEWithLogitsLoss()(Tensor(np.zeros(3)), np.zeros((1, 3)))


@pytest.mark.parametrize("bad", [-0.1, 1.5, np.nan])
def test_bce_targets_must_lie_in_0_1(bad):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        BCEWithLogitsLoss()(Tensor(np.zeros(2)), np.array([0.5, bad]))


@pytest.mark.parametrize("Loss", [MSELoss, CrossEntropyLoss, BCEWithLogitsLoss])
def test_reduction_is_validated_and_repr_matches_pytorch(Loss):
    with pytest.raises(ValueError, match="'avg'"):
        Loss(reduction="avg")
    assert repr(Loss()) == f"{Loss.__name__}()" and Loss().reduction == "mean"


def test_float32_in_float32_out_and_inputs_untouched():
    logits = rng.standard_normal((5, 3)).astype(np.float32)
    before = logits.copy()
    for loss, target in [(CrossEntropyLoss(), [0, 1, 2, 0, 1]), (MSELoss(), np.zeros((5, 3))),
                         (BCEWithLogitsLoss(), np.ones((5, 3)))]:
        out = loss(Tensor(logits), target)
        assert out.dtype == np.float32 and out.shape == ()
    np.testing.assert_array_equal(logits, before)


@pytest.mark.parametrize("Loss", [MSELoss, CrossEntropyLoss, BCEWithLogitsLoss])
def test_losses_are_parameter_free_modules_that_print_inside_a_model(Loss):
    loss = Loss(reduction="sum")
    assert isinstance(loss, Module) and list(loss.parameters()) == [] and loss.reduction == "sum"
    assert repr(Sequential(loss)) == f"Sequential(\n  (0): {Loss.__name__}()\n)"  # PyTorch prints no reduction
