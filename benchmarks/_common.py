"""Shared pieces of the training-step benchmarks (mlp_step.py, cnn_step.py, gpt_step.py).

Each benchmark runs one training step in tinytorch and the same step written by hand in plain numpy, from the
same weights; `assert_same` proves they are the same computation (loss, every gradient, every updated parameter),
`best_seconds_per_step` times each side and `report` prints the workload, both times and the ratio.
"""
import os
import sys
import time

# One BLAS thread, set before numpy loads: the browser runs one thread, and for matrices this small
# extra threads only add synchronisation (on a loaded 2-core machine they made both sides 10x slower).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402


def tinytorch_step(model, optimizer, loss_fn, x, y):
    """One training step of a tinytorch model: zero the gradients, forward, loss, backward, update; the loss."""
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def best_seconds_per_step(steps, rounds, **sides):
    """{name: seconds per call} for each callable in `sides`: the fastest of `rounds` timings of `steps` calls.
    The rounds of the sides alternate (a, b, a, b, ...), so that a burst of load from other processes falls on
    both sides alike, and the best round is the least disturbed one (other processes only ever add time)."""
    best = dict.fromkeys(sides, float("inf"))
    for _ in range(rounds):
        for name, step in sides.items():
            start = time.perf_counter()
            for _ in range(steps):
                step()
            best[name] = min(best[name], (time.perf_counter() - start) / steps)
    return best


def assert_same(what, ours, theirs, rtol=1e-4, atol=1e-6):
    """Assert that the arrays in the dicts `ours` (tinytorch) and `theirs` (numpy), keyed by parameter name, agree:
    |ours - theirs| <= atol + rtol * max|theirs| elementwise (the tolerance scales with the array's size of
    values, so float32 rounding of small and large gradients alike passes, a wrong formula does not)."""
    assert ours.keys() == theirs.keys(), f"{what}: names differ: {sorted(ours.keys() ^ theirs.keys())}"
    for name in ours:
        a, b = np.asarray(ours[name], dtype=np.float64), np.asarray(theirs[name], dtype=np.float64)
        assert a.shape == b.shape, f"{what} {name}: shape {a.shape} (tinytorch) != {b.shape} (numpy)"
        error, scale = np.abs(a - b).max(initial=0.0), np.abs(b).max(initial=0.0)
        assert error <= atol + rtol * scale, \
            f"{what} {name}: max |tinytorch - numpy| = {error:.3g}, largest |numpy| value {scale:.3g}"


def assert_same_loss(ours, theirs, rtol=1e-5):
    assert abs(ours - theirs) <= rtol * max(1.0, abs(theirs)), f"loss: tinytorch {ours!r} != numpy {theirs!r}"


def before_module_17(step):
    """`step` run with the implementations module 17 replaced (module 03's Linear, module 06's MmBackward0):
    the "before" of module 17's before/after figures, measured in the same run as the "after"."""
    from tinytorch.core.acceleration import unaccelerated

    def before():
        with unaccelerated():
            return step()
    return before


def report(workload, first_loss, times):
    """Print what was measured, each side's time per step and its ratio to numpy (the figure module 17 tracks);
    `times` is best_seconds_per_step's answer for sides named tinytorch, numpy and optionally
    "tinytorch before 17"."""
    plain = times["numpy"]
    print(f"Python {sys.version.split()[0]} on {sys.platform}, numpy {np.__version__}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    print(f"{workload}: same loss after step 1 ({first_loss:.6f})")
    for name, seconds in times.items():
        print(f"  {name + ' step:':<28} {seconds * 1e3:8.3f} ms  {seconds / plain:5.2f}x numpy")
    print(f"  ratio tinytorch / numpy: {times['tinytorch'] / plain:.2f}x")


def adam_update(params, grads, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    """The numpy side's Adam (decoupled=False, weight_decay as L2 on the gradient) or AdamW (decoupled=True:
    p *= 1 - lr * weight_decay first), in place on the dict `params` of float32 arrays; `state` (a dict, empty at
    first) keeps the step count and the two moments. The same formulas as torch.optim.Adam / AdamW."""
    beta1, beta2 = betas
    state["step"] = step = state.get("step", 0) + 1
    moments = state.setdefault("moments", {name: (np.zeros_like(p), np.zeros_like(p)) for name, p in params.items()})
    correction1, correction2 = 1 - beta1 ** step, 1 - beta2 ** step
    for name, p in params.items():
        grad, (m, v) = grads[name], moments[name]
        if decoupled:
            p *= 1 - lr * weight_decay
        elif weight_decay:
            grad = grad + weight_decay * p
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        p -= (lr / correction1) * m / (np.sqrt(v / correction2) + eps)


def assert_same_after_adam(ours, theirs, grads_ours, grads_theirs, lr, eps=1e-8, atol=2e-6):
    """Assert that the parameters after Adam's (or AdamW's) FIRST step agree, given the gradients each side used.

    At step 1 the bias-corrected moments are m = g and sqrt(v) = |g|, so each element moves by lr * g / (|g| + eps):
    about lr * sign(g). Where g is itself ~0 (rounding noise), float32 differences between the two sides' gradients
    become differences of up to 2 lr in the step. The difference allowed per element is therefore atol (float32
    rounding of the update) plus the exact bound min(2 lr, lr |g_ours - g_theirs| / (min(|g_ours|, |g_theirs|) + eps))
    of how far that division can carry the (separately checked) gradient difference; where the gradients agree, it
    is atol."""
    assert ours.keys() == theirs.keys(), f"names differ: {sorted(ours.keys() ^ theirs.keys())}"
    for name in ours:
        a, b = np.asarray(ours[name], np.float64), np.asarray(theirs[name], np.float64)
        ga, gb = np.asarray(grads_ours[name], np.float64), np.asarray(grads_theirs[name], np.float64)
        allowed = atol + lr * np.minimum(2, np.abs(ga - gb) / (np.minimum(np.abs(ga), np.abs(gb)) + eps))
        excess = np.abs(a - b) - allowed
        worst = np.unravel_index(np.argmax(excess), excess.shape) if excess.ndim else ()
        assert excess[worst] <= 0, (f"parameter after step 1 {name}{list(worst)}: tinytorch {a[worst]:.8g}, numpy "
                                    f"{b[worst]:.8g}, allowed difference {allowed[worst]:.3g} (gradients "
                                    f"{ga[worst]:.6g} and {gb[worst]:.6g})")
