"""The correctness half of the training-step benchmarks (benchmarks/mlp_step.py, cnn_step.py, gpt_step.py): one
step in tinytorch and the same step written by hand in numpy must give the same loss, gradients and updated
parameters. The numpy backward passes are a second, independent derivation of tinytorch's gradients; they are
themselves checked against float64 finite differences here. No timing is asserted."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import cnn_step  # noqa: E402
import gpt_step  # noqa: E402
import mlp_step  # noqa: E402


@pytest.mark.parametrize("benchmark", [mlp_step, cnn_step, gpt_step], ids=lambda m: m.__name__)
def test_tinytorch_step_equals_the_numpy_step(benchmark):
    ours, plain, *rest = benchmark.build(seed=1)
    loss = benchmark.first_step(ours, plain, *rest)
    assert np.isfinite(loss) and loss > 0


def _wrong_gelu(x):  # the exact (erf) GELU's slope shape, but the tanh form without its cubic term
    t = np.tanh(gpt_step.GELU_C * x)
    return 0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * gpt_step.GELU_C


def _wrong_batch_norm_backward(grad, gamma, saved):  # forgets the variance term of the closed form
    normalized, inv_std = saved
    grad_gamma, grad_beta = (grad * normalized).sum(1), grad.sum(1)
    return gamma[:, None] * inv_std * (grad - grad_beta[:, None] / grad.shape[1]), grad_gamma, grad_beta


@pytest.mark.parametrize("benchmark, name, wrong", [
    (gpt_step, "gelu_forward", _wrong_gelu),
    (cnn_step, "batch_norm_backward", _wrong_batch_norm_backward),
    (mlp_step, "LR", 0.11),  # the numpy side updates with another learning rate
], ids=["gpt-gelu", "cnn-batchnorm-backward", "mlp-lr"])
def test_the_comparison_rejects_a_different_computation(benchmark, name, wrong, monkeypatch):
    ours, plain, *rest = benchmark.build()
    monkeypatch.setattr(benchmark, name, wrong)
    with pytest.raises(AssertionError):
        benchmark.first_step(ours, plain, *rest)


def _finite_difference_check(loss_and_grads, params, seed=0, h=1e-6):
    """For each parameter, the float64 derivative of the loss along a random direction by central differences
    against the hand-written gradient's inner product with that direction."""
    rng = np.random.default_rng(seed)
    params = {name: value.astype(np.float64) for name, value in params.items()}
    _, grads = loss_and_grads(params)
    for name, value in params.items():
        direction = rng.standard_normal(value.shape)
        losses = []
        for sign in (1, -1):
            moved = dict(params, **{name: value + sign * h * direction})
            losses.append(loss_and_grads(moved)[0])
        numerical, analytic = (losses[0] - losses[1]) / (2 * h), float((grads[name] * direction).sum())
        assert abs(numerical - analytic) <= 1e-5 * max(1.0, abs(analytic)), (name, numerical, analytic)


def test_the_numpy_cnn_backward_matches_finite_differences():
    _, _, model, params, buffers, _ = cnn_step.build()
    x, y = cnn_step.load_tinydigits()[0]
    x = np.ascontiguousarray(x[:32, None].transpose(1, 0, 2, 3)).astype(np.float64)  # (1, B, 8, 8)
    _finite_difference_check(lambda p: cnn_step.numpy_loss_and_grads(
        p, {k: v.astype(np.float64) for k, v in buffers.items()}, x, y[:32].astype(np.int64)), params)


def test_the_numpy_gpt_backward_matches_finite_differences():
    _, _, model, params, _ = gpt_step.build()
    rng = np.random.default_rng(0)
    idx = rng.integers(0, model.vocab_size, (2, 16), dtype=np.int64)
    targets = rng.integers(0, model.vocab_size, 32, dtype=np.int64)
    _finite_difference_check(lambda p: gpt_step.numpy_loss_and_grads(p, idx, targets), params)
