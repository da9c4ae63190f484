"""Timing that works on a coarse clock: the browser rounds performance.now() (and so Pyodide's
time.perf_counter) to about 0.1 ms, so a call of a few microseconds must be repeated to be measured."""
import time


def time_per_call(fn, repeat=3, min_seconds=0.01):
    """Seconds per call of fn(): the best of `repeat` rounds, each calling fn enough times to last
    at least `min_seconds`."""
    calls = 1
    while True:
        elapsed = _time_calls(fn, calls)
        if elapsed >= min_seconds:
            break
        # Aim past min_seconds from what was seen; at least double so a 0 reading still grows.
        calls = max(calls * 2, int(calls * min_seconds * 1.2 / elapsed) if elapsed > 0 else 0)
    best = elapsed / calls
    for _ in range(repeat - 1):
        best = min(best, _time_calls(fn, calls) / calls)
    return best


def _time_calls(fn, calls):
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return time.perf_counter() - start
