"""Benchmark (not a test): one MLP training step in tinytorch vs the same step written in plain numpy.

MLP 64-128-64-10 with ReLU, cross-entropy, SGD(lr=0.1), batch 64 — the 1986-milestone network on
TinyDigits-sized inputs. Both versions start from the same weights and must produce the same loss and
the same weights after one step, then each is timed over many steps (best of several rounds) and the
ratio is printed.

    python benchmarks/mlp_step.py
"""
from _common import (assert_same, assert_same_loss, before_module_17, best_seconds_per_step, report,  # 1 BLAS thread
                     tinytorch_step)

import numpy as np

import tinytorch
from tinytorch import CrossEntropyLoss, Linear, ReLU, Sequential, Tensor
from tinytorch.optim import SGD

SIZES, BATCH, LR = (64, 128, 64, 10), 64, 0.1


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


def build(seed=0):
    """Both sides of the benchmark from the same seed: (tinytorch step, numpy step, tinytorch layers, numpy weights)."""
    tinytorch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x_np = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y_np = rng.integers(0, SIZES[-1], BATCH, dtype=np.int64)

    layers = [Linear(a, b) for a, b in zip(SIZES, SIZES[1:])]
    model = Sequential(*[m for layer in layers for m in (layer, ReLU())][:-1])
    weights = [(layer.weight.data.copy(), layer.bias.data.copy()) for layer in layers]
    optimizer, loss_fn, x = SGD(model.parameters(), lr=LR), CrossEntropyLoss(), Tensor(x_np)
    return (lambda: tinytorch_step(model, optimizer, loss_fn, x, y_np)), (lambda: numpy_step(weights, x_np, y_np)), \
        layers, weights


def first_step(ours, plain, layers, weights):
    """One step on each side; asserts the same loss and the same weights after it (the same update, so the
    same gradients: SGD's update is -lr * gradient). Returns the loss."""
    loss_ours, loss_plain = ours(), plain()
    assert_same_loss(loss_ours, loss_plain)
    ours_after = {f"{i}.{kind}": getattr(layer, kind).data
                  for i, layer in enumerate(layers) for kind in ("weight", "bias")}
    plain_after = {f"{i}.{kind}": a for i, pair in enumerate(weights) for kind, a in zip(("weight", "bias"), pair)}
    assert_same("parameter after step 1", ours_after, plain_after, atol=1e-6)
    return loss_ours


def main():
    ours, plain, layers, weights = build()
    loss = first_step(ours, plain, layers, weights)
    report(f"MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, SGD", loss,
           best_seconds_per_step(200, 5, tinytorch=ours, numpy=plain,
                                 **{"tinytorch before 17": before_module_17(ours)}))


if __name__ == "__main__":
    main()
