"""Checks for module 19 (Benchmarking): the clock's resolution, the Timer's warm-up and block size, a
Measurement's per-run statistics, the median's confidence interval and the A/B test. Clocks are fakes that move
by known amounts, and samples are seeded, so every expected number is exact and nothing depends on timing."""
import math

import numpy as np

from tinytorch.checks import assert_raises, check, trying


class _SteppingClock:
    """A clock that moves by steps[i % len(steps)] every `every` readings."""

    def __init__(self, steps, every=1):
        self.steps, self.every, self.reads, self.now, self.moves = list(steps), every, 0, 0.0, 0

    def __call__(self):
        self.reads += 1
        if self.steps and self.reads % self.every == 0:
            self.now += self.steps[self.moves % len(self.steps)]
            self.moves += 1
        return self.now


@check("Part 1 · the clock's resolution")
def check_clock_resolution(clock_resolution):
    coarse = _SteppingClock([1e-4], every=7)
    with trying("a clock moving by 100 us every 7 readings"):
        got = clock_resolution(coarse, changes=5, max_reads=10_000)
    assert got != 0.0, ("a clock moving by 100 us every 7 readings has resolution 1e-4, got 0.0: equal successive "
                        "readings are not steps, skip them (only positive differences count)")
    assert math.isclose(got, 1e-4, rel_tol=1e-9), (
        f"a clock moving by 100 us every 7 readings should have resolution 1e-4 s, got {got!r}"
        + (": that is the average over all readings; use only the positive steps" if math.isclose(got, 1e-4 / 7, rel_tol=0.2)
           else ""))
    fine = _SteppingClock([1e-7])
    with trying("a clock moving by 100 ns at every reading"):
        got = clock_resolution(fine, changes=5, max_reads=10_000)
    assert math.isclose(got, 1e-7, rel_tol=1e-6), f"a clock moving 100 ns per reading: expected 1e-7 s, got {got!r}"
    jittered = _SteppingClock([3e-4, 1e-4, 1e-4, 2e-4, 1e-4, 5e-4, 1e-4], every=3)
    with trying("a jittered clock with steps 300, 100, 100, 200, 100, 500, 100 us"):
        got = clock_resolution(jittered, changes=7, max_reads=10_000)
    assert math.isclose(got, 1e-4, rel_tol=1e-6), (
        f"a jittered clock with steps 300, 100, 100, 200, 100, 500, 100 us (changes=7) should give their MEDIAN, "
        f"1e-4 s, got {got!r}: not the first step, not the mean")
    frozen = _SteppingClock([])
    with trying("a frozen clock that never moves (max_reads=500)"):
        got = clock_resolution(frozen, changes=5, max_reads=500)
    assert got == 0.0, f"a frozen clock has no steps: expected 0.0, got {got!r}"
    assert frozen.reads <= 502, (f"with max_reads=500 a frozen clock was read {frozen.reads} times: stop after "
                                 f"max_reads readings, or a fake clock hangs the harness")
    many = _SteppingClock([1e-6])
    clock_resolution(many, changes=5, max_reads=10_000)
    assert many.reads <= 20, f"after 5 changes the reading should stop; a clock moving at every reading was read {many.reads} times"


class _World:
    """A fake clock that moves only when the statement runs: by `first` on the first call, `cost` after."""

    def __init__(self, cost, first=None):
        self.cost, self.first, self.now, self.calls = cost, first, 0.0, 0

    def clock(self):
        return self.now

    def work(self):
        self.calls += 1
        self.now += self.first if (self.calls == 1 and self.first is not None) else self.cost


def _expected_number(cost, min_run_time, resolution=0.0, overhead=1e-9):
    """The block size by brute force: the first power of 10 whose block is long enough, or exceeds min_run_time."""
    number = 1
    while True:
        block = number * cost
        if (overhead / block <= 1e-4 and block >= min_run_time / 1000 and block >= 100 * resolution) or \
                block > min_run_time or number * 10 > 2147483647:
            return number
        number *= 10


def _measure(Timer, world, min_run_time, resolution=None, **kwargs):
    timer = Timer(world.work, timer=world.clock)
    if resolution is not None:
        timer._resolution = resolution
    return timer.blocked_autorange(min_run_time=min_run_time, **kwargs)


@check("Part 3 · Timer: warm-up, block size, repeated blocks")
def check_timer(Timer):
    cost = 2.0 ** -20  # ~0.95 us, exact in binary so the fake clock adds without rounding
    world = _World(cost)
    with trying("blocked_autorange(min_run_time=0.2) of a ~1 us statement on a fake clock"):
        m = _measure(Timer, world, 0.2)
    want = _expected_number(cost, 0.2)
    assert m.number_per_run != 1, (
        f"a ~1 us statement got blocks of 1 run: the blocks never grew. Try 1, 10, 100, ... runs until a block "
        f"lasts min_run_time / 1000 with the overhead under 1e-4 of it (expected {want} runs)")
    assert m.number_per_run == want, (f"a ~1 us statement with min_run_time=0.2 should get {want} runs per block "
                                      f"(the first power of 10 long enough), got {m.number_per_run}")
    raw = list(m.raw_times)
    sizes = sorted({round(t / cost) for t in raw})
    assert sizes == [want], (f"every block should hold number_per_run = {want} runs; the blocks held {sizes} runs: "
                             f"time blocks of one size, chosen before measuring")
    blocks = math.ceil(0.2 / (want * cost))
    assert len(raw) == blocks, (f"blocks of {want * cost:.3g} s until their sum reaches 0.2 s: expected {blocks} "
                                f"blocks, got {len(raw)}")
    first = _World(cost, first=0.5)
    with trying("blocked_autorange of a statement whose FIRST call costs 0.5 s"):
        m = _measure(Timer, first, 0.2)
    assert max(m.raw_times) < 0.5, (
        f"the first call's cost (0.5 s) was counted in a measured block ({max(m.raw_times):.3g} s): warm up first, "
        f"and throw away every block timed while choosing the block size")
    want = _expected_number(cost, 0.2)
    assert m.number_per_run == want, (
        f"a ~1 us statement whose first call costs 0.5 s got {m.number_per_run} runs per block, not {want}: the slow "
        f"first call chose the block size. Run the statement once (the warm-up) before timing blocks of 1, 10, ...")
    slow = _World(0.3)
    with trying("blocked_autorange(min_run_time=0.2) of a 0.3 s statement"):
        m = _measure(Timer, slow, 0.2)
    assert (m.number_per_run, len(m.raw_times)) == (1, 1), (
        f"a 0.3 s statement with min_run_time=0.2: blocks of 1 run, and one block is enough; got "
        f"{m.number_per_run} runs x {len(m.raw_times)} blocks")
    coarse = _World(cost)
    with trying("blocked_autorange on a clock with 100 us steps"):
        m = _measure(Timer, coarse, 0.2, resolution=1e-4)
    want = _expected_number(cost, 0.2, resolution=1e-4)
    assert m.number_per_run == want, (
        f"on a clock with 100 us steps a block must last 100 steps (10 ms): expected {want} runs per block, got "
        f"{m.number_per_run} (use self._clock_resolution())")
    seen = []
    with trying("blocked_autorange(callback=...)"):
        m = _measure(Timer, _World(cost), 0.01, callback=lambda number, t: seen.append((number, t)))
    assert seen == [(m.number_per_run, t) for t in m.raw_times], \
        "callback(number, time) should be called once per measured block, with the block's runs and seconds"
    assert_raises(ValueError, lambda: Timer(42), "Timer(42)", must_mention=["stmt"])


def _spec(TaskSpec):
    return TaskSpec(stmt="f()", setup="pass")


@check("Part 2 · Measurement: per-run times, median, IQR")
def check_measurement(Measurement, TaskSpec):
    cases = [[0.5, 0.2, 0.9], [1.0], [3.0, 1.0], [4.0, 1.0, 3.0, 2.0], [0.1, 0.3, 0.2, 0.25, 5.0],
             [2.0, 9.0, 4.0, 1.0, 8.0, 3.0, 7.0, 6.0]]
    for raw in cases:
        m = Measurement(10, list(raw), _spec(TaskSpec))
        per_run = np.array(raw) / 10
        with trying(f"Measurement(number_per_run=10, raw_times={raw}).times"):
            times = list(m.times)
        assert len(times) == len(raw), f"times should have one entry per block ({len(raw)}), got {len(times)}"
        if len(raw) > 1 and np.allclose(times, np.array(raw) / len(raw)):
            raise AssertionError(f"raw_times {raw} were divided by the number of blocks ({len(raw)}); divide each "
                                 f"block's time by number_per_run (10): the runs in it")
        assert np.allclose(times, per_run, rtol=1e-12), (
            f"times of raw_times {raw} with number_per_run=10 should be the seconds per run {per_run.tolist()}, "
            f"got {times}: divide each block by number_per_run")
        with trying(f"median and iqr of raw_times {raw} (10 runs each)"):
            median, iqr, mean = m.median, m.iqr, m.mean
        want_median = float(np.quantile(per_run, 0.5))
        if not math.isclose(median, want_median, rel_tol=1e-12) and math.isclose(median, per_run.mean(), rel_tol=1e-12):
            raise AssertionError(f"median of {per_run.tolist()} is {want_median}, got {median}: that is the mean, "
                                 f"which one slow block drags up")
        assert math.isclose(median, want_median, rel_tol=1e-12), (
            f"median of per-run times {per_run.tolist()} should be {want_median} (linear interpolation at position "
            f"(n - 1) * 0.5), got {median}")
        want_iqr = float(np.quantile(per_run, 0.75) - np.quantile(per_run, 0.25))
        assert math.isclose(iqr, want_iqr, rel_tol=1e-9, abs_tol=1e-15), (
            f"iqr of per-run times {per_run.tolist()} should be {want_iqr} (75th minus 25th percentile, linear "
            f"interpolation at position (n - 1) * q, numpy's default), got {iqr}")
        assert math.isclose(mean, per_run.mean(), rel_tol=1e-12), f"mean of {per_run.tolist()}: expected {per_run.mean()}, got {mean}"


@check("Part 2 · a confidence interval for the median")
def check_median_ci(median_ci):
    rng = np.random.default_rng(3)
    for n in (6, 7, 10, 20, 51):
        for confidence in (0.9, 0.95, 0.99):
            if 2 / 2 ** n > 1 - confidence:
                continue
            values = rng.lognormal(0, 0.3, n)
            ordered = np.sort(values)
            k = max(j for j in range(1, n // 2 + 2)
                    if 2 * sum(math.comb(n, i) for i in range(j)) / 2 ** n <= 1 - confidence)
            want = (ordered[k - 1], ordered[n - k])
            with trying(f"median_ci of {n} runs at confidence {confidence}"):
                got = median_ci(values.copy(), confidence=confidence)
            low, high = float(got[0]), float(got[1])
            median = float(np.median(values))
            assert low <= median <= high, (f"{n} runs at {confidence}: the interval ({low:.4g}, {high:.4g}) does not "
                                           f"contain the median {median:.4g}")
            assert low in ordered and high in ordered, (
                f"{n} runs at {confidence}: the interval ({low:.4g}, {high:.4g}) should be two of the runs (order "
                f"statistics), not computed from the mean and standard deviation")
            if (low, high) != want:
                got_k = int(np.searchsorted(ordered, low)) + 1
                coverage = 1 - 2 * sum(math.comb(n, i) for i in range(got_k)) / 2 ** n
                raise AssertionError(
                    f"{n} runs at confidence {confidence}: expected the {k}-th smallest to the {k}-th largest run "
                    f"({want[0]:.4g}, {want[1]:.4g}), got ({low:.4g}, {high:.4g}), the {got_k}-th: that interval covers "
                    f"the median with probability {coverage:.3f}. Choose the largest k with "
                    f"2 · P(B <= k - 1) <= 1 - confidence, B ~ Binomial(n, 1/2)")
    assert_raises(ValueError, lambda: median_ci([1.0, 2.0, 3.0, 4.0, 5.0], confidence=0.95),
                  "median_ci of 5 runs at 95% (even min..max misses with probability 1/16)", must_mention=["too few"])


def _measurement(Measurement, TaskSpec, per_run, number):
    return Measurement(number, [t * number for t in per_run], TaskSpec(stmt="f()", setup="pass"))


@check("Part 4 · is the difference real? (ab_test)")
def check_ab_test(ab_test, Measurement, TaskSpec):
    rng = np.random.default_rng(19)
    a = rng.lognormal(np.log(1e-3), 0.05, 15)
    with trying("ab_test(a, a): the very same times on both sides"):
        same = ab_test(a.copy(), a.copy(), resamples=500, seed=0)
    assert not same.different, (
        f"A against the very same A should not differ, got p = {same.p_value:.3g}, different = {same.different}: "
        f"different must be p_value < alpha, not the other way round")
    assert math.isclose(same.ratio, 1.0), f"A against itself: the ratio of medians should be 1, got {same.ratio}"
    flagged, worst = 0, 1.0
    for i in range(100):
        x, y = rng.lognormal(0, 0.1, 12), rng.lognormal(0, 0.1, 12)
        with trying(f"A/A pair {i}: two samples of 12 from one distribution"):
            result = ab_test(x, y, resamples=300, seed=i)
        flagged += bool(result.different)
        worst = min(worst, result.p_value)
    assert worst > 0, "a permutation p-value is never 0: count the real deal too, (1 + count) / (1 + resamples)"
    assert flagged <= 12, (
        f"on 100 A/A pairs (both samples from the same distribution) the test said 'different' {flagged} times; at "
        f"alpha = 0.05 it should be about 5. Deal the pooled times at random and compare the gap of the medians")
    faster = a * 0.8 * rng.lognormal(0, 0.02, 15)
    with trying("ab_test(a, b) with b 20% faster"):
        result = ab_test(a, faster, resamples=500, seed=1)
    assert result.p_value > 0, ("a permutation p-value is never 0: count the real deal too, (1 + count) / "
                                "(1 + resamples)")
    assert result.different and result.p_value < 0.01, f"b 20% faster than a should be different with p < 0.01, got {result}"
    want = float(np.median(a) / np.median(faster))
    assert math.isclose(result.ratio, want, rel_tol=1e-9), (
        f"ratio should be median(a) / median(b) = {want:.4f} (above 1: b faster), got {result.ratio:.4f}"
        + (": that is mean(a) / mean(b)" if math.isclose(result.ratio, a.mean() / faster.mean(), rel_tol=1e-9) else "")
        + (": that is median(b) / median(a)" if math.isclose(result.ratio, 1 / want, rel_tol=1e-9) else ""))
    assert result.ratio_ci[0] <= result.ratio <= result.ratio_ci[1], f"the ratio's interval should contain it: {result}"
    with trying("ab_test(a, b) with b 20% SLOWER"):
        slower = ab_test(a, a * 1.25 * rng.lognormal(0, 0.02, 15), resamples=500, seed=2)
    assert slower.different, (f"b 20% slower than a must be 'different' too, got p = {slower.p_value:.3g}: use the "
                              f"absolute gap (a two-sided test)")
    per_run = rng.lognormal(np.log(2e-6), 0.05, 15)
    again = rng.lognormal(np.log(2e-6), 0.05, 15)
    with trying("ab_test of two Measurements of one statement, with 10 and 100 runs per block"):
        result = ab_test(_measurement(Measurement, TaskSpec, per_run, 10), _measurement(Measurement, TaskSpec, again, 100),
                         resamples=500, seed=3)
    assert 0.8 < result.ratio < 1.25 and not result.different, (
        f"one statement measured with 10 and with 100 runs per block should not differ (ratio near 1), got "
        f"{result}: compare the per-run `times`, not `raw_times` (block times)")
    outlier = a.copy()
    outlier[3] *= 50
    with trying("ab_test(a with one block 50x slow, a)"):
        result = ab_test(outlier, a, resamples=500, seed=4)
    assert not result.different and result.ratio < 1.1, (
        f"one outlier should not make A differ from A (the medians barely move), got {result}: compare medians, not means")
    assert same.p_value > 0.9, (
        f"A against the very same A: every random deal has a gap at least as large as the real gap 0, so p should "
        f"be 1, got {same.p_value:.3g}")
