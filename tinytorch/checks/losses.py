"""Checks for module 04 (Losses). Each takes the learner's class (or function) and compares it with
independent formulas written per example with Python's math module, at ordinary and at extreme inputs."""
import math

import numpy as np

from tinytorch.checks import assert_close, assert_raises, check, without_numpy_warnings
from tinytorch.core.layers import Module
from tinytorch.core.tensor import Tensor

_rng = np.random.default_rng(4)


def _quietly(fn, *args):
    """fn(*args), failing with a clear message if numpy warns (an exp() overflowing or a log(0) at extreme logits)."""
    return without_numpy_warnings(fn, *args, advice="at extreme logits: an exp() overflowed or a log() saw 0. "
                                                    "Use the stable formula from the text")


def _log_sum_exp(row):
    top = max(row)
    return top + math.log(sum(math.exp(v - top) for v in row))


def _check_reductions(Loss, name, input, target, per_element):
    """Loss(reduction=...) against the per-element reference losses; the result types and dtypes."""
    for reduction, expected in [("none", per_element), ("sum", per_element.sum()), ("mean", per_element.mean())]:
        out = Loss(reduction=reduction)(input, target)
        assert isinstance(out, Tensor), f"{name}(reduction={reduction!r}) should return a Tensor, got {type(out).__name__}"
        assert out.dtype == input.dtype, f"{name} on {input.dtype} input should return {input.dtype}, got {out.dtype}"
        assert_close(out, expected, f"{name}(reduction={reduction!r})", rtol=1e-5, atol=1e-6)
    assert_close(Loss()(input, target), per_element.mean(), f"{name}() (the default reduction is 'mean')",
                 rtol=1e-5, atol=1e-6)
    assert Loss().forward(input, target).shape == (), f"{name}().forward should give a 0-d tensor by default"
    assert_raises(ValueError, lambda: Loss(reduction="average"), f"{name}(reduction='average')",
                  must_mention=["average"])
    assert repr(Loss()) == f"{Loss.__name__}()", f"repr should be {Loss.__name__}() like PyTorch's, got {Loss()!r}"
    assert isinstance(Loss(), Module), f"{name} should be a Module (through _Loss), as torch.nn.{Loss.__name__} is"


@check("Part 1 · MSELoss and reductions")
def check_mse_loss(MSELoss):
    pred_np = _rng.standard_normal((4, 3))
    target_np = _rng.standard_normal((4, 3))
    per_element = np.array([[(p - t) ** 2 for p, t in zip(pr, tr)] for pr, tr in zip(pred_np, target_np)])
    _check_reductions(MSELoss, "MSELoss", Tensor(pred_np, dtype=np.float64), target_np, per_element)
    assert_close(MSELoss()(Tensor(pred_np), Tensor(target_np)), per_element.mean(), "MSELoss with a Tensor target",
                 rtol=1e-5)
    assert MSELoss()(Tensor(pred_np), target_np).dtype == np.float32, "float32 predictions should give a float32 loss"
    before = pred_np.copy()
    MSELoss()(Tensor(pred_np, dtype=np.float64), target_np)
    assert np.array_equal(pred_np, before), "MSELoss changed its input: compute on new arrays"
    assert_raises(ValueError, lambda: MSELoss()(Tensor(np.ones((4, 1))), np.ones(4)),
                  "MSELoss of shape (4, 1) against (4,) (would broadcast to (4, 4))", must_mention=["(4, 1)", "(4,)"])


@check("Part 2 · log_softmax (log-sum-exp)")
def check_log_softmax(log_softmax):
    x = _rng.standard_normal((3, 5)) * 3
    expected = np.array([[v - _log_sum_exp(row) for v in row] for row in x])
    assert_close(log_softmax(x), expected, "log_softmax of a (3, 5) array", rtol=1e-7, atol=1e-9)
    assert_close(log_softmax(x, dim=0), np.array([[v - _log_sum_exp(col) for v in col] for col in x.T]).T,
                 "log_softmax(x, dim=0)", rtol=1e-7, atol=1e-9)
    big = np.array([[1000.0, 0.0, -1000.0]], dtype=np.float32)
    out = _quietly(log_softmax, big)
    assert np.all(np.isfinite(out)), (f"log_softmax({big.tolist()}) gave {out.tolist()}; expected [0, -1000, -2000]. "
                                      "Subtract the max, and never take log of a softmax")
    assert_close(out, [[0.0, -1000.0, -2000.0]], "log_softmax of [1000, 0, -1000]")
    assert out.dtype == np.float32, f"float32 logits should give float32 log-probabilities, got {out.dtype}"
    apart = np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1002.0]])
    advice = (f"for rows of very different scale, {apart.tolist()}: subtract each row's own max (along dim, "
              "keepdims=True), not the largest value of the whole array")
    out = without_numpy_warnings(log_softmax, apart, advice=advice)
    assert_close(out, [[v - _log_sum_exp(row) for v in row] for row in apart], f"log_softmax {advice}",
                 rtol=1e-7, atol=1e-9)


@check("Part 3 · CrossEntropyLoss")
def check_cross_entropy_loss(CrossEntropyLoss):
    logits_np = _rng.standard_normal((5, 4)) * 2
    labels = np.array([0, 3, 1, 1, 2])
    per_example = np.array([_log_sum_exp(row) - row[t] for row, t in zip(logits_np, labels)])
    _check_reductions(CrossEntropyLoss, "CrossEntropyLoss", Tensor(logits_np, dtype=np.float64), labels, per_example)
    for form, target in [("a Tensor of int64", Tensor(labels, dtype=np.int64)), ("a list", labels.tolist()),
                         ("whole-number floats", labels.astype(np.float32))]:
        assert_close(CrossEntropyLoss()(Tensor(logits_np, dtype=np.float64), target), per_example.mean(),
                     f"CrossEntropyLoss with targets given as {form}")
    uniform = CrossEntropyLoss()(Tensor(np.zeros((6, 10))), np.arange(6))
    assert_close(uniform, math.log(10), "CrossEntropyLoss of equal logits over 10 classes (should be log(10))",
                 rtol=1e-5)
    big = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]], dtype=np.float32)
    out = _quietly(CrossEntropyLoss(reduction="none"), Tensor(big), np.array([2, 1]))
    assert_close(out, [2000.0, 0.0], "CrossEntropyLoss at logits ±1000 (exact: [2000, 0])", rtol=1e-6)
    apart = np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1002.0]], dtype=np.float32)
    advice = (f"at logits whose rows have very different scale, {apart.tolist()}: subtract each row's own max, "
              "not the largest logit of the batch")
    out = without_numpy_warnings(CrossEntropyLoss(reduction="none"), Tensor(apart), np.array([1, 2]), advice=advice)
    assert_close(out, [_log_sum_exp(row) - row[t] for row, t in zip(apart.astype(np.float64), [1, 2])],
                 f"CrossEntropyLoss(reduction='none') {advice}", rtol=1e-6)
    logits = Tensor(np.zeros((3, 4)))
    assert_raises(IndexError, lambda: CrossEntropyLoss()(logits, np.array([0, 4, 1])),
                  "target 4 with 4 classes", must_mention=["4"])
    assert_raises(IndexError, lambda: CrossEntropyLoss()(logits, np.array([0, -1, 1])),
                  "target -1 (numpy would silently read it as the last class)", must_mention=["-1", "4"])
    assert_raises(ValueError, lambda: CrossEntropyLoss()(logits, np.array([0.0, 1.5, 1.0])),
                  "target 1.5 (not a whole number)", must_mention=["1.5"])
    assert_raises(ValueError, lambda: CrossEntropyLoss()(logits, np.array([0, 1])),
                  "3 examples of logits but 2 targets", must_mention=["(3, 4)", "(2,)"])


def _reference_bce(x, y):
    def log_sigmoid(v):  # log(1 / (1 + e^-v)), evaluated on the side where exp cannot overflow
        return -math.log1p(math.exp(-v)) if v >= 0 else v - math.log1p(math.exp(v))
    return -(y * log_sigmoid(x) + (1 - y) * log_sigmoid(-x))


@check("Part 4 · BCEWithLogitsLoss")
def check_bce_with_logits_loss(BCEWithLogitsLoss):
    x_np = _rng.standard_normal((4, 3)) * 3
    y_np = np.array([[1, 0, 0.5], [0, 0, 1], [1, 1, 0.25], [0, 1, 0]], dtype=np.float64)
    per_element = np.vectorize(_reference_bce)(x_np, y_np)
    _check_reductions(BCEWithLogitsLoss, "BCEWithLogitsLoss", Tensor(x_np, dtype=np.float64), y_np, per_element)
    extreme_x = np.array([-1000.0, -50.0, 50.0, 1000.0, 50.0, -50.0], dtype=np.float32)
    extreme_y = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 1.0], dtype=np.float32)
    out = _quietly(BCEWithLogitsLoss(reduction="none"), Tensor(extreme_x), extreme_y)
    assert np.all(np.isfinite(out.data)), \
        f"BCEWithLogitsLoss at logits {extreme_x.tolist()} gave {out.data.tolist()}: never take log(sigmoid(x))"
    expected = np.vectorize(_reference_bce)(extreme_x.astype(np.float64), extreme_y.astype(np.float64))
    assert_close(out, expected, "BCEWithLogitsLoss at logits ±50 and ±1000", rtol=1e-6, atol=1e-6)
    assert_raises(ValueError, lambda: BCEWithLogitsLoss()(Tensor(np.zeros(3)), np.array([0.0, 1.0, 2.0])),
                  "a target of 2 (targets must lie in [0, 1])", must_mention=["2"])
    assert_raises(ValueError, lambda: BCEWithLogitsLoss()(Tensor(np.zeros((3, 1))), np.zeros(3)),
                  "logits (3, 1) against targets (3,)", must_mention=["(3, 1)", "(3,)"])
