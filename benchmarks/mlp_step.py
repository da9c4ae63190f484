"""Benchmark (not a test): one MLP training step in tinytorch vs the same step written in plain numpy.

MLP 64-128-64-10 with ReLU, cross-entropy, SGD(lr=0.1), batch 64 — the 1986-milestone network on
TinyDigits-sized inputs. Both versions start from the same weights and must produce the same loss,
then each is timed over many steps (best of several rounds) and the ratio is printed.

    python benchmarks/mlp_step.py
"""
import os
import time

# One BLAS thread, set before numpy loads: the browser runs one thread, and for matrices this small
# extra threads only add synchronisation (on a loaded 2-core machine they made both sides 10x slower).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import tinytorch  # noqa: E402
from tinytorch import CrossEntropyLoss, Linear, ReLU, Sequential, Tensor  # noqa: E402
from tinytorch.optim import SGD  # noqa: E402

SIZES, BATCH, LR = (64, 128, 64, 10), 64, 0.1


def tinytorch_step(model, optimizer, loss_fn, x, y):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def numpy_step(weights, x, y):
    """Forward, backward and SGD update by hand: the floor any framework overhead is measured against."""
    activations = [x]
    for i, (w, b) in enumerate(weights):
        z = activations[-1] @ w.T + b
        activations.append(np.maximum(z, 0) if i < len(weights) - 1 else z)
    logits = activations[-1]
    shifted = np.exp(logits - logits.max(1, keepdims=True))
    probabilities = shifted / shifted.sum(1, keepdims=True)
    loss = -np.log(probabilities[np.arange(len(y)), y]).mean()
    grad = probabilities
    grad[np.arange(len(y)), y] -= 1
    grad /= len(y)
    for i in reversed(range(len(weights))):
        w, b = weights[i]
        grad_w, grad_b = grad.T @ activations[i], grad.sum(0)
        if i > 0:
            grad = (grad @ w) * (activations[i] > 0)
        w -= LR * grad_w
        b -= LR * grad_b
    return float(loss)


def best_seconds_per_step(step, steps=200, rounds=5):
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        best = min(best, (time.perf_counter() - start) / steps)
    return best


def main():
    tinytorch.manual_seed(0)
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y_np = rng.integers(0, SIZES[-1], BATCH)

    layers = [Linear(a, b) for a, b in zip(SIZES, SIZES[1:])]
    model = Sequential(*[m for layer in layers for m in (layer, ReLU())][:-1])
    weights = [(layer.weight.data.copy(), layer.bias.data.copy()) for layer in layers]
    optimizer, loss_fn, x = SGD(model.parameters(), lr=LR), CrossEntropyLoss(), Tensor(x_np)

    first_ours = tinytorch_step(model, optimizer, loss_fn, x, y_np)
    first_numpy = numpy_step(weights, x_np, y_np)
    assert abs(first_ours - first_numpy) < 1e-5, (first_ours, first_numpy)
    for (w, b), layer in zip(weights, layers):  # same update applied: same weights after one step
        assert np.allclose(w, layer.weight.data, atol=1e-6) and np.allclose(b, layer.bias.data, atol=1e-6)

    ours = best_seconds_per_step(lambda: tinytorch_step(model, optimizer, loss_fn, x, y_np))
    plain = best_seconds_per_step(lambda: numpy_step(weights, x_np, y_np))
    print(f"MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, SGD: same loss after step 1 ({first_ours:.6f})")
    print(f"  tinytorch step: {ours * 1e6:8.1f} µs")
    print(f"  numpy step:     {plain * 1e6:8.1f} µs")
    print(f"  ratio tinytorch / numpy: {ours / plain:.2f}x")


if __name__ == "__main__":
    main()
