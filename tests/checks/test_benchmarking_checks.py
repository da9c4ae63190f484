"""Each module-19 check accepts the reference and rejects a deliberately wrong one (a mutant)."""
import math

import numpy as np

from tinytorch.checks import benchmarking as checks
from tinytorch.core.benchmarking import Measurement, TaskSpec, Timer, ab_test, clock_resolution, median_ci, _per_run

from mutants import make_mutant_tests


def resolution_mean_of_all_differences(clock=None, changes=5, max_reads=100_000):
    """Averages every successive difference, the zeros (clock not moved yet) included."""
    readings = [clock() for _ in range(min(max_reads, 200))]
    return float(np.mean(np.diff(readings)))


def resolution_min_difference(clock=None, changes=5, max_reads=100_000):
    """The smallest difference, zeros included: 0 for every clock that reads faster than it ticks."""
    readings = [clock() for _ in range(min(max_reads, 200))]
    return float(np.min(np.diff(readings)))


def resolution_first_step(clock=None, changes=5, max_reads=100_000):
    """Stops at the first change: a jittered clock's first step can be any size."""
    previous = clock()
    for _ in range(max_reads):
        now = clock()
        if now > previous:
            return now - previous
        previous = now
    return 0.0


def resolution_waiting_forever(clock=None, changes=5, max_reads=100_000):
    """Waits for `changes` steps without a limit on readings (a frozen clock would hang: a cap stands in)."""
    steps, previous, reads = [], clock(), 0
    while len(steps) < changes and reads < 5_000:
        now, reads = clock(), reads + 1
        if now > previous:
            steps.append(now - previous)
        previous = now
    return float(np.median(steps)) if steps else 0.0


class TimerWithoutGrowth(Timer):
    """Blocks of one run, whatever the statement costs."""

    def _estimate_block_size(self, min_run_time):
        self._timeit(1)
        return 1


class TimerGrowingWhileMeasuring(Timer):
    """No warm-up: grows the block as it goes and keeps every block, the first call's included."""

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        number, times = 1, []
        while sum(times) < min_run_time:
            block = self._timeit(number)
            times.append(block)
            if block < min_run_time / 1000:
                number *= 10
        return Measurement(number, times, self._task_spec)


class TimerKeepingTheWarmupBlock(Timer):
    """Times one block of the chosen size without any warm-up call before the clock starts for real."""

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        first = self._timeit(1)  # "don't waste the first call": kept as a measurement of a 1-run block
        number = self._estimate_block_size(min_run_time)
        times = [first * number]
        while sum(times) < min_run_time:
            times.append(self._timeit(number))
        return Measurement(number, times, self._task_spec)


class TimerIgnoringTheClock(Timer):
    """Blocks long enough by min_run_time / 1000 only: 200 us blocks on a 100 us clock."""

    def _clock_resolution(self):
        return 0.0


class TimerEstimatingLikeTorch(Timer):
    """No warm-up run of its own: the first block of one run is the first call (torch's estimate)."""

    def _estimate_block_size(self, min_run_time):
        overhead = float(np.median([self._timeit(0) for _ in range(5)]))
        number = 1
        while True:
            block = self._timeit(number)
            if overhead / block <= 1e-4 and block >= min_run_time / 1000 and block >= 100 * self._clock_resolution():
                break
            if block > min_run_time or number * 10 > 2147483647:
                break
            number *= 10
        return number


class TimerWithoutCallback(Timer):
    def blocked_autorange(self, callback=None, min_run_time=0.2):
        return super().blocked_autorange(None, min_run_time)


class TimerStoppingEarly(Timer):
    """Stops the blocks one short of min_run_time."""

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        m = super().blocked_autorange(callback, min_run_time)
        return Measurement(m.number_per_run, m.raw_times[:-1] or m.raw_times, m.task_spec)


class TimesDividedByBlocks(Measurement):
    @property
    def times(self):
        return [t / len(self.raw_times) for t in self.raw_times]


class TimesNotDivided(Measurement):
    @property
    def times(self):
        return list(self.raw_times)


class MedianIsMean(Measurement):
    def _lazy_init(self):
        super()._lazy_init()
        self._median = self._mean


def quantile_n_times_q(sorted_values, q):
    position = min(len(sorted_values) * q, len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return float(sorted_values[low] + (position - low) * (sorted_values[high] - sorted_values[low]))


def quantile_nearest(sorted_values, q):
    return float(sorted_values[int(round((len(sorted_values) - 1) * q))])


class MeasurementWithQuantile(Measurement):
    quantile = None

    def _lazy_init(self):
        if self.raw_times and not self._sorted_times:
            self._sorted_times = tuple(sorted(self.times))
            self._median = type(self).quantile(self._sorted_times, 0.5)
            self._mean = float(np.mean(self._sorted_times))
            self._p25 = type(self).quantile(self._sorted_times, 0.25)
            self._p75 = type(self).quantile(self._sorted_times, 0.75)


class QuantileOffByOne(MeasurementWithQuantile):
    quantile = staticmethod(quantile_n_times_q)


class QuantileNearestRank(MeasurementWithQuantile):
    quantile = staticmethod(quantile_nearest)


def ci_mean_plus_minus(times, confidence=0.95):
    values = _per_run(times, "ci")
    half = 1.96 * values.std(ddof=1) / math.sqrt(len(values))
    return float(values.mean() - half), float(values.mean() + half)


def ci_of_the_data(times, confidence=0.95):
    """The middle 95% of the runs: where one run lands, not where the median is."""
    values = np.sort(_per_run(times, "ci"))
    n = len(values)
    if 2 / 2 ** n > 1 - confidence:
        raise ValueError("too few")
    low, high = np.quantile(values, [(1 - confidence) / 2, (1 + confidence) / 2], method="inverted_cdf")
    return float(low), float(high)


def ci_off_by_one(times, confidence=0.95):
    """The right k, but 0-based: values[k] is the (k + 1)-th smallest, one too far in."""
    values = np.sort(_per_run(times, "ci"))
    n, k = len(values), 0
    while 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n <= 1 - confidence:
        k += 1
    if k == 0:
        raise ValueError("too few")
    return float(values[k]), float(values[n - 1 - k])


def ci_without_too_few(times, confidence=0.95):
    values = np.sort(_per_run(times, "ci"))
    try:
        return median_ci(values, confidence)
    except ValueError:
        return float(values[0]), float(values[-1])


def ab_one_sided(a, b, alpha=0.05, confidence=0.95, resamples=2000, seed=0):
    """The gap without its absolute value: only 'b faster' can be significant."""
    x, y = _per_run(a, "a"), _per_run(b, "b")
    rng = np.random.default_rng(seed)
    lx, ly = np.log(x), np.log(y)
    observed = np.median(lx) - np.median(ly)
    deals = rng.permuted(np.tile(np.concatenate([lx, ly]), (resamples, 1)), axis=1)
    gaps = np.median(deals[:, :len(x)], axis=1) - np.median(deals[:, len(x):], axis=1)
    p = (1 + np.count_nonzero(gaps >= observed - 1e-12)) / (1 + resamples)
    return _with_p(x, y, p, alpha, confidence)


def _with_p(x, y, p, alpha, confidence, ratio=None):
    from tinytorch.core.benchmarking import ABResult
    ratio = float(np.median(x) / np.median(y)) if ratio is None else ratio
    return ABResult(float(p), ratio, (ratio * 0.9, ratio * 1.1), bool(p < alpha), alpha, confidence)


def ab_raw_times(a, b, alpha=0.05, confidence=0.95, resamples=2000, seed=0):
    """Compares block times (raw_times): wrong whenever the block sizes differ."""
    raw = lambda m: np.asarray(m.raw_times if isinstance(m, Measurement) else m, dtype=np.float64)
    return ab_test(raw(a), raw(b), alpha, confidence, resamples, seed)


def ab_means(a, b, alpha=0.05, confidence=0.95, resamples=2000, seed=0):
    """Gap and ratio of the means: one outlier decides them."""
    x, y = _per_run(a, "a"), _per_run(b, "b")
    rng = np.random.default_rng(seed)
    observed = abs(x.mean() - y.mean())
    deals = rng.permuted(np.tile(np.concatenate([x, y]), (resamples, 1)), axis=1)
    gaps = np.abs(deals[:, :len(x)].mean(axis=1) - deals[:, len(x):].mean(axis=1))
    p = (1 + np.count_nonzero(gaps >= observed - 1e-12)) / (1 + resamples)
    return _with_p(x, y, p, alpha, confidence, ratio=float(x.mean() / y.mean()))


def ab_p_without_the_real_deal(a, b, alpha=0.05, confidence=0.95, resamples=2000, seed=0):
    x, y = _per_run(a, "a"), _per_run(b, "b")
    rng = np.random.default_rng(seed)
    lx, ly = np.log(x), np.log(y)
    observed = abs(np.median(lx) - np.median(ly))
    deals = rng.permuted(np.tile(np.concatenate([lx, ly]), (resamples, 1)), axis=1)
    gaps = np.abs(np.median(deals[:, :len(x)], axis=1) - np.median(deals[:, len(x):], axis=1))
    return _with_p(x, y, np.count_nonzero(gaps > observed + 1e-12) / resamples, alpha, confidence)


def ab_verdict_inverted(a, b, alpha=0.05, confidence=0.95, resamples=2000, seed=0):
    result = ab_test(a, b, alpha, confidence, resamples, seed)
    return type(result)(result.p_value, result.ratio, result.ratio_ci, result.p_value >= alpha, alpha, confidence)


def ab_ratio_inverted(a, b, alpha=0.05, confidence=0.95, resamples=2000, seed=0):
    result = ab_test(a, b, alpha, confidence, resamples, seed)
    low, high = result.ratio_ci
    return type(result)(result.p_value, 1 / result.ratio, (1 / high, 1 / low), result.different, alpha, confidence)


def ab_independent_samples(a, b, alpha=0.05, confidence=0.95, resamples=2000, seed=0):
    """Compares each group's median with a bootstrap of the other group alone: A/A says 'different' too often."""
    x, y = _per_run(a, "a"), _per_run(b, "b")
    rng = np.random.default_rng(seed)
    boot = np.median(rng.choice(y, (resamples, len(y))), axis=1)
    low, high = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    outside = not (low <= np.median(x) <= high)
    return _with_p(x, y, 0.01 if outside else 0.5, alpha, confidence)


CASES = [
    (checks.check_clock_resolution, clock_resolution, [
        (resolution_mean_of_all_differences, "average over all readings"),
        (resolution_min_difference, "equal successive readings are not steps"),
        (resolution_first_step, "their MEDIAN"),
        (resolution_waiting_forever, "stop after max_reads"),
    ]),
    (checks.check_timer, Timer, [
        (TimerWithoutGrowth, "the blocks never grew"),
        (TimerGrowingWhileMeasuring, "time blocks of one size, chosen before measuring"),
        (TimerKeepingTheWarmupBlock, "first call's cost (0.5 s) was counted"),
        (TimerIgnoringTheClock, "100 us steps"),
        (TimerEstimatingLikeTorch, "the slow first call chose the block size"),
        (TimerWithoutCallback, "callback(number, time)"),
        (TimerStoppingEarly, "until their sum reaches 0.2 s"),
    ]),
    (checks.check_measurement, (Measurement, TaskSpec), [
        ((TimesDividedByBlocks, TaskSpec), "divided by the number of blocks"),
        ((TimesNotDivided, TaskSpec), "divide each block by number_per_run"),
        ((MedianIsMean, TaskSpec), "that is the mean"),
        ((QuantileOffByOne, TaskSpec), "(n - 1)"),
        ((QuantileNearestRank, TaskSpec), "linear interpolation"),
    ]),
    (checks.check_median_ci, median_ci, [
        (ci_mean_plus_minus, "order statistics"),
        (ci_of_the_data, "covers the median with probability"),
        (ci_off_by_one, "covers the median with probability"),
        (ci_without_too_few, "expected ValueError"),
    ]),
    (checks.check_ab_test, (ab_test, Measurement, TaskSpec), [
        ((ab_one_sided, Measurement, TaskSpec), "absolute gap"),
        ((ab_raw_times, Measurement, TaskSpec), "not `raw_times`"),
        ((ab_means, Measurement, TaskSpec), "mean(a) / mean(b)"),
        ((ab_p_without_the_real_deal, Measurement, TaskSpec), "never 0"),
        ((ab_verdict_inverted, Measurement, TaskSpec), "not the other way round"),
        ((ab_ratio_inverted, Measurement, TaskSpec), "median(b) / median(a)"),
        ((ab_independent_samples, Measurement, TaskSpec), "A/A pairs"),
    ]),
]
test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
