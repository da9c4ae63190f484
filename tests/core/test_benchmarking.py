"""tinytorch.utils.benchmark (module 19): the Timer's logic on fake clocks (no timing asserts), the statistics
against numpy, the median's interval against exact binomial coverage, the A/B test on seeded samples."""
import math

import numpy as np
import pytest

import tinytorch
from tinytorch.utils.benchmark import (ABResult, Compare, Measurement, TaskSpec, Timer, ab_test, clock_resolution,
                                       interleaved_autorange, median_ci)


class World:
    def __init__(self, cost, first=None):
        self.cost, self.first, self.now, self.calls = cost, first, 0.0, 0

    def clock(self):
        return self.now

    def work(self):
        self.calls += 1
        self.now += self.first if (self.calls == 1 and self.first is not None) else self.cost


COST = 2.0 ** -20


def test_the_namespace_is_torch_utils_benchmark_plus_the_course_additions():
    assert tinytorch.utils.benchmark.Timer is Timer
    assert set(tinytorch.utils.benchmark.__all__) == {"Timer", "Measurement", "TaskSpec", "Compare", "median_ci",
                                                      "ab_test", "ABResult", "interleaved_autorange", "clock_resolution"}


def test_blocks_grow_by_ten_until_long_enough_and_every_block_has_that_size():
    world = World(COST)
    m = Timer(world.work, timer=world.clock).blocked_autorange(min_run_time=0.2)
    assert m.number_per_run == 1000  # 100 runs = 95 us < 0.2 ms; 1000 runs = 0.95 ms
    assert all(t == 1000 * COST for t in m.raw_times)
    assert m.times == [COST] * len(m.raw_times)
    assert sum(m.raw_times) >= 0.2 > sum(m.raw_times[:-1])


def test_the_warm_up_keeps_the_first_call_out_of_the_measurement():
    world = World(COST, first=0.5)
    m = Timer(world.work, timer=world.clock).blocked_autorange(min_run_time=0.2)
    assert max(m.raw_times) < 0.01
    assert m.number_per_run == 1000  # the slow call was the warm-up: it did not choose the block size
    assert world.calls == 1 + 1 + 10 + 100 + 1000 + 1000 * len(m.raw_times)  # warm-up, estimate, measured blocks


def test_a_coarse_clock_makes_blocks_last_a_hundred_steps():
    world = World(COST)
    timer = Timer(world.work, timer=world.clock)
    timer._resolution = 1e-4
    assert timer.blocked_autorange(min_run_time=0.2).number_per_run == 100_000  # 10_000 runs = 9.5 ms < 10 ms


def test_a_slow_statement_gets_one_block_of_one_run():
    world = World(0.3)
    m = Timer(world.work, timer=world.clock).blocked_autorange(min_run_time=0.2)
    assert m.number_per_run == 1 and m.raw_times == [pytest.approx(0.3)]


def test_a_string_statement_runs_with_its_globals_and_setup():
    seen = []
    timer = Timer("seen.append(x)", setup="x = 7", globals={"seen": seen})
    m = timer.timeit(number=5)
    assert seen == [7] * (2 + 5)  # the warm-up of max(5 // 100, 2) runs, then the block
    assert m.number_per_run == 5 and len(m.raw_times) == 1
    assert Timer("tinytorch.zeros(2)").timeit(3).stmt == "tinytorch.zeros(2)"  # tinytorch is in the globals


def test_stmt_is_dedented_and_a_function_is_named_in_the_task_spec():
    def step():
        pass

    assert Timer("\n    a = 1\n    b = 2\n").timeit(2).stmt == "a = 1\nb = 2"
    assert Timer(step).timeit(2).stmt.endswith("step()")


def test_bad_arguments_are_refused_with_their_values():
    with pytest.raises(ValueError, match="stmt"):
        Timer(3.5)
    with pytest.raises(ValueError, match="global_setup"):
        Timer("pass", global_setup="int x;")
    with pytest.raises(ValueError, match="language"):
        Timer("pass", language="c++")
    with pytest.raises(ValueError, match="Measurement"):
        Compare(["not a measurement"])


def test_clock_resolution_of_fake_clocks():
    class Steps:
        def __init__(self, step, every):
            self.step, self.every, self.reads, self.now = step, every, 0, 0.0

        def __call__(self):
            self.reads += 1
            if self.step and self.reads % self.every == 0:
                self.now += self.step
            return self.now

    assert clock_resolution(Steps(1e-3, 4)) == pytest.approx(1e-3)
    frozen = Steps(0.0, 1)
    assert clock_resolution(frozen, max_reads=300) == 0.0 and frozen.reads <= 301


def test_statistics_match_numpy_percentiles_per_run():
    raw = [0.12, 0.10, 0.11, 0.50, 0.10, 0.13]
    m = Measurement(1000, raw, TaskSpec("f()", "pass"))
    per_run = np.array(raw) / 1000
    assert m.median == pytest.approx(np.median(per_run), rel=1e-12)
    assert m.mean == pytest.approx(per_run.mean(), rel=1e-12)
    assert m.iqr == pytest.approx(np.quantile(per_run, 0.75) - np.quantile(per_run, 0.25), rel=1e-12)
    assert m.has_warnings  # the 0.50 block puts the IQR over 10% of the median
    assert "WARNING" in repr(m) and "6 measurements, 1000 runs per measurement, 1 thread" in repr(m)


def test_merge_puts_replicates_with_different_block_sizes_on_one_per_run_scale():
    spec = TaskSpec("f()", "pass")
    merged = Measurement.merge([Measurement(10, [1.0], spec), Measurement(100, [20.0], spec)])
    assert len(merged) == 1 and merged[0].number_per_run == 1 and merged[0].times == [0.1, 0.2]


@pytest.mark.parametrize("n", [6, 9, 20, 100])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_median_ci_is_the_widest_order_statistic_pair_with_enough_coverage(n, confidence):
    if 2 / 2 ** n > 1 - confidence:
        with pytest.raises(ValueError, match="too few"):
            median_ci(np.arange(1.0, n + 1), confidence)
        return
    values = np.random.default_rng(n).permutation(np.arange(1.0, n + 1))  # the k-th smallest is k
    low, high = median_ci(values, confidence)
    k = int(low)
    assert high == n + 1 - k
    coverage = lambda j: 1 - 2 * sum(math.comb(n, i) for i in range(j)) / 2 ** n
    assert coverage(k) >= confidence > coverage(k + 1)


def test_median_ci_covers_the_true_median_about_as_often_as_promised():
    rng = np.random.default_rng(0)
    true_median = 1.0  # lognormal(0, s) has median exp(0)
    hits = sum(lo <= true_median <= hi for lo, hi in (median_ci(rng.lognormal(0, 0.3, 15)) for _ in range(2000)))
    assert 0.95 <= hits / 2000 <= 0.99  # 15 runs: the interval 4th..12th covers with probability 0.965


def test_ab_test_on_a_against_a_rarely_says_different():
    rng = np.random.default_rng(1)
    flagged = sum(ab_test(rng.lognormal(0, 0.1, 15), rng.lognormal(0, 0.1, 15), resamples=400, seed=i).different
                  for i in range(300))
    assert flagged <= 27  # about 15 expected at alpha 0.05


def test_ab_test_finds_a_ten_percent_gain_and_its_ratio():
    rng = np.random.default_rng(2)
    a = rng.lognormal(np.log(1e-3), 0.03, 30)
    b = rng.lognormal(np.log(1e-3 / 1.1), 0.03, 30)
    result = ab_test(a, b, seed=0)
    assert isinstance(result, ABResult) and result.different and result.p_value == pytest.approx(1 / 2001)
    assert result.ratio == pytest.approx(np.median(a) / np.median(b))
    assert result.ratio_ci[0] < 1.1 < result.ratio_ci[1] and result.ratio_ci[0] > 1
    assert "different" in str(result)
    assert ab_test(a, b, seed=5) == ab_test(a, b, seed=5)  # deterministic for a seed


def test_ab_test_compares_per_run_times_of_measurements():
    spec = TaskSpec("f()", "pass")
    rng = np.random.default_rng(3)
    few = Measurement(10, list(10 * rng.lognormal(0, 0.05, 12)), spec)
    many = Measurement(1000, list(1000 * rng.lognormal(0, 0.05, 12)), spec)
    assert 0.9 < ab_test(few, many).ratio < 1.1


def test_ab_test_refuses_too_few_or_non_positive_times():
    with pytest.raises(ValueError, match="at least 2"):
        ab_test([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="at least 2"):
        ab_test([1.0, 0.0], [1.0, 2.0])


def test_interleaved_autorange_alternates_the_blocks():
    world = World(COST)
    order = []
    a = Timer(lambda: (order.append("a"), world.work()), timer=world.clock)
    b = Timer(lambda: (order.append("b"), world.work()), timer=world.clock)
    ma, mb = interleaved_autorange([a, b], min_run_time=0.01)
    assert ma.number_per_run == mb.number_per_run == 100  # 100 runs = 95 us >= 10 us
    assert len(ma.raw_times) == len(mb.raw_times) == math.ceil(0.01 / (100 * COST))
    measured = order[-200 * len(ma.raw_times):]
    assert measured[:200] == ["a"] * 100 + ["b"] * 100  # A's block, then B's, ...


def test_compare_groups_by_label_and_marks_missing_cells():
    spec = lambda label, sub, desc: TaskSpec("f()", "pass", label=label, sub_label=sub, description=desc)
    results = [Measurement(1, [1e-3, 1.1e-3, 0.9e-3], spec("L1", "row", "x")),
               Measurement(1, [2e-3, 2.1e-3, 1.9e-3], spec("L1", "row", "y")),
               Measurement(1, [5e-6] * 3, spec("L2", "other", "x"))]
    text = str(Compare(results))
    assert text.count("Times are in") == 2
    assert "milliseconds" in text and "microseconds" in text
    assert "1.0" in text and "2.0" in text and "5.0" in text
