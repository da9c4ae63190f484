"""Convolution speed, measured in one run (not a test): module 09's seven loops against im2col + one matrix
product on the same input, and `@` against `np.einsum` for the matrix products of a training step of the
milestone-1998 CNN's layers. Runs under CPython and under Pyodide (../shared/pyodide-node/run.mjs).

    python benchmarks/conv2d.py
"""
import sys
import time

import numpy as np

from tinytorch.core.convolutions import col2im, conv2d_loops, conv2d_forward, im2col
from tinytorch.timing import time_per_call

rng = np.random.default_rng(0)
print(f"platform: {sys.platform}, numpy {np.__version__}")

# 1. Seven loops against im2col, same input and weights.
for shape, out_channels in [((2, 3, 16, 16), 8), ((4, 3, 32, 32), 16)]:
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((out_channels, shape[1], 3, 3)).astype(np.float32)
    start = time.perf_counter()
    slow = conv2d_loops(x, w, None, 1, 1)
    loops = time.perf_counter() - start
    fast = time_per_call(lambda: conv2d_forward(x, w, None, 1, 1))
    assert np.allclose(slow, conv2d_forward(x, w, None, 1, 1)[0], rtol=1e-3, atol=1e-3)
    macs = shape[0] * out_channels * shape[2] * shape[3] * shape[1] * 9
    print(f"conv {shape} -> {out_channels} ch, k3 p1 ({macs:,} multiply-adds): loops {loops * 1e3:.1f} ms, "
          f"im2col {fast * 1e3:.3f} ms, speed-up {loops / fast:,.0f}x")


# 2. `@` against einsum for a forward + backward of the CNN's conv layers (batch 64, 8x8 digits).
def step(x, w, matmul):
    cols = im2col(x, 3, 1, 1)
    out = matmul(cols, w.reshape(len(w), -1).T)
    g = np.ones_like(out)
    grad_w = matmul(g.T, cols)
    grad_cols = matmul(g, w.reshape(len(w), -1))
    return out, grad_w, col2im(grad_cols, x.shape, 3, 1, 1)


def einsum(a, b):
    return np.einsum("ik,kj->ij", a, b)


for shape, out_channels in [((64, 1, 8, 8), 16), ((64, 16, 4, 4), 32), ((64, 16, 16, 16), 32)]:
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((out_channels, shape[1], 3, 3)).astype(np.float32)
    t_at = time_per_call(lambda: step(x, w, np.matmul))
    t_einsum = time_per_call(lambda: step(x, w, einsum))
    print(f"conv step {shape} -> {out_channels} ch: @ {t_at * 1e3:.3f} ms, einsum {t_einsum * 1e3:.3f} ms "
          f"(einsum/@ = {t_einsum / t_at:.2f})")
