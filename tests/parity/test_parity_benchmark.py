"""tinytorch.utils.benchmark against torch.utils.benchmark: behaviour, not times. Both Timers get the same fake
clock, which moves only when the statement runs, so the block sizes they choose, the blocks they time and the
calls they make must agree exactly; Measurements built from the same raw times must give the same statistics
and repr; Compare must print the same table."""
import numpy as np
import pytest

import tinytorch.utils.benchmark  # noqa: F401
from parity import assert_same_run, error_case, run_case

try:
    import torch.utils.benchmark  # noqa: F401
except ImportError:  # conftest.py reports the missing torch
    pass


class World:
    """A fake clock and a statement: each call of work() moves the clock by the next cost of the cycle."""

    def __init__(self, costs, first=None):
        self.costs, self.first, self.now, self.calls = list(costs), first, 0.0, 0

    def clock(self):
        return self.now

    def work(self):
        self.calls += 1
        self.now += self.first if (self.calls == 1 and self.first is not None) else self.costs[self.calls % len(self.costs)]


def timer(m, world, **options):
    return m.utils.benchmark.Timer("work()", globals={"work": world.work}, timer=world.clock, **options)


def blocked(cost, min_run_time, first=None):
    def scenario(m):
        world = World([cost], first)
        calls = []
        result = timer(m, world).blocked_autorange(callback=lambda n, t: calls.append((n, t)), min_run_time=min_run_time)
        return [result.number_per_run, result.raw_times, result.times, result.median, result.iqr, calls]

    scenario.__name__ = f"blocked_autorange_cost{cost:.3g}_min{min_run_time}" + ("_slow_first" if first else "")
    return scenario


def timeit_scenario(m):
    world = World([2.0 ** -18])
    result = timer(m, world).timeit(number=1000)
    return [result.number_per_run, result.raw_times, world.calls, result.median]  # timeit: no estimate, same calls


class DriftingWorld(World):
    """Costs in a cycle of 10 (so a block of 10, 100, ... runs does not depend on where the cycle starts) that
    step up and down every 150,000 calls, so blocks differ and the IQR decides when adaptive_autorange stops."""

    def work(self):
        self.calls += 1
        self.now += self.costs[self.calls % len(self.costs)] * (1.0, 1.6, 1.2)[(self.calls // 150_000) % 3]


def adaptive(m):
    world = DriftingWorld([2.0 ** -20 * f for f in (1, 1, 1, 2, 1, 1, 3, 1, 1, 5)])
    result = timer(m, world).adaptive_autorange(threshold=0.05, min_run_time=0.01, max_run_time=0.5)
    return [result.number_per_run, len(result.raw_times), result.raw_times]


RAW = [0.0031, 0.0029, 0.0030, 0.0045, 0.0028, 0.0030, 0.0032, 0.0090, 0.0030]


def measurement(m, raw=RAW, number=100, **labels):
    bench = m.utils.benchmark
    spec = bench.TaskSpec(stmt="model(x)", setup="x = make()", **labels)
    return bench.Measurement(number_per_run=number, raw_times=list(raw), task_spec=spec)


def statistics(raw, number):
    def scenario(m):
        r = measurement(m, raw, number, label="matmul", sub_label="32x32", description="numpy")
        return [r.times, r.median, r.mean, r.iqr, r.significant_figures, r.has_warnings, r.meets_confidence(0.3),
                r.title, r.as_row_name, r.label, r.num_threads, r.number_per_run, repr(r).splitlines()[1:]]

    scenario.__name__ = f"measurement_{len(raw)}_blocks_of_{number}"
    return scenario


def merged(m):
    spec = m.utils.benchmark.TaskSpec(stmt="f()", setup="pass")
    parts = [m.utils.benchmark.Measurement(10, [0.1, 0.2], spec), m.utils.benchmark.Measurement(100, [1.5, 0.9, 1.1], spec)]
    return [(r.number_per_run, r.times) for r in m.utils.benchmark.Measurement.merge(parts)]


def table(trim):
    def scenario(m):
        rng = np.random.default_rng(7)
        results = []
        for label in ("conv", "attention"):
            for sub_label, scale in (("small", 1e-5), ("large batch", 3e-4)):
                for description in ("loops", "im2col", "vectorized"):
                    if (label, sub_label, description) == ("attention", "small", "loops"):
                        continue  # a missing cell
                    raw = list(scale * rng.lognormal(0, 0.05, 12) * 10)
                    results.append(measurement(m, raw, 10, label=label, sub_label=sub_label, description=description))
        compare = m.utils.benchmark.Compare(results)
        if trim:
            compare.trim_significant_figures()
        return str(compare)

    scenario.__name__ = "compare_table" + ("_trimmed" if trim else "")
    return scenario


@pytest.mark.parametrize("case", [
    run_case(("utils.benchmark.Timer",), blocked(2.0 ** -20, 0.2)),
    run_case(("utils.benchmark.Timer",), blocked(0.3, 0.2)),
    run_case(("utils.benchmark.Timer",), blocked(2.0 ** -30, 0.05)),
    run_case(("utils.benchmark.Timer",), timeit_scenario),
    # tinytorch's one warm-up run shifts the drift by one call: a block straddling a step differs by one run
    run_case(("utils.benchmark.Timer",), adaptive, rtol=1e-3),
    run_case(("utils.benchmark.Measurement", "utils.benchmark.TaskSpec"), statistics(RAW, 100)),
    run_case(("utils.benchmark.Measurement", "utils.benchmark.TaskSpec"), statistics(RAW[:3], 10)),
    run_case(("utils.benchmark.Measurement", "utils.benchmark.TaskSpec"), statistics([0.5], 1)),
    run_case(("utils.benchmark.Measurement", "utils.benchmark.TaskSpec"), statistics([1.0, 2.0, 3.0, 4.0, 5.0], 1)),
    run_case(("utils.benchmark.Measurement", "utils.benchmark.TaskSpec"), statistics([1.0, 1.1, 1.2, 1.3, 1.0], 1)),
    run_case(("utils.benchmark.Measurement", "utils.benchmark.TaskSpec"), statistics([2e-7, 2.1e-7, 2.05e-7, 2e-7], 1000)),
    run_case(("utils.benchmark.Measurement",), merged),
    run_case(("utils.benchmark.Compare",), table(trim=False)),
    run_case(("utils.benchmark.Compare",), table(trim=True)),
    error_case("utils.benchmark.Timer", lambda m: m.utils.benchmark.Timer(stmt=42)),
    error_case("utils.benchmark.Timer", lambda m: m.utils.benchmark.Timer("x", global_setup="int y;")),
    error_case("utils.benchmark.Compare", lambda m: m.utils.benchmark.Compare([1.0])),
])
def test_benchmark(case):
    case()
