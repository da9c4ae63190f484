"""Benchmark (not a test): GPT.generate with and without the KV cache (module 18), for N new tokens at a few N.

Recomputation runs the model over 1 + 2 + ... + N positions for N tokens (from a one-token prompt), the cache over N;
the ratio of the counts is (N + 1) / 2. Both runs are greedy from the same prompt and must give the same ids; each is
timed (best of `ROUNDS` runs) and the ratio is printed, measured in this one run.

    python benchmarks/kv_cache.py            # CPython
    node ../shared/pyodide-node/run.mjs /tmp/pyodide-node/dist benchmarks/kv_cache.py numpy   # the browser's Pyodide
"""
import os
import sys
import time

# One BLAS thread, set before numpy loads: the browser runs one thread.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import tinytorch  # noqa: E402
from tinytorch import GPT, Tensor  # noqa: E402
from tinytorch.datasets import load_tinytalks_gpt  # noqa: E402

ROUNDS = 2


def best_time(function):
    best, result = float("inf"), None
    for _ in range(ROUNDS):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def run(name, model, counts):
    print(f"\n{name}: {len(model.h)} layers, n_embd {model.wte.weight.shape[1]}, block_size {model.block_size}")
    print(f"{'N':>5} {'recompute (s)':>14} {'cache (s)':>10} {'speed-up':>9} {'(N+1)/2':>8} {'same ids':>9}")
    prompt = Tensor(np.array([[1]], dtype=np.int64), dtype=np.int64)
    for n in counts:
        slow, recomputed = best_time(lambda: model.generate(prompt, n, top_k=1, use_cache=False))
        fast, cached = best_time(lambda: model.generate(prompt, n, top_k=1, use_cache=True))
        same = np.array_equal(recomputed.data, cached.data)
        print(f"{n:>5} {slow:>14.3f} {fast:>10.3f} {slow / fast:>8.1f}x {(n + 1) / 2:>8.1f} {str(same):>9}")


def main():
    print(f"Python {sys.version.split()[0]} on {sys.platform}, numpy {np.__version__}")
    model, _ = load_tinytalks_gpt()
    run("TinyTalks GPT (the milestone's)", model, (8, 16, 32, 63))
    tinytorch.manual_seed(0)
    wider = GPT(vocab_size=100, block_size=256, n_layer=4, n_head=4, n_embd=128)
    run("a wider random GPT", wider, (16, 64, 128, 255))


if __name__ == "__main__" or sys.platform == "emscripten":
    main()
