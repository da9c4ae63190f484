"""Generated from content/19_benchmarking.py by scripts/build_content.py: edit the source, not this file."""
# From content/19_benchmarking.py, cell 2 (Part 1 · Why one timing lies)
import dataclasses
import math
import textwrap
import time
import timeit as _timeit

import numpy as np

__all__ = ["Timer", "Measurement", "TaskSpec", "Compare", "clock_resolution", "median_ci", "ab_test", "ABResult",
           "interleaved_autorange"]


def clock_resolution(clock=time.perf_counter, changes=5, max_reads=100_000):
    """The clock's effective resolution in seconds: the median of the first `changes` positive steps between
    successive readings, or 0.0 when it did not move in `max_reads` readings. A course helper: PyTorch has none."""
    steps, previous = [], clock()
    for _ in range(max_reads):
        now = clock()
        if now > previous:
            steps.append(now - previous)
            if len(steps) >= changes:
                break
        previous = now
    return float(np.median(steps)) if steps else 0.0


# From content/19_benchmarking.py, cell 8 (Part 2 · Median, IQR, and a confidence interval for the median)
@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """What was timed, and how to label it (torch.utils.benchmark's TaskSpec): everything but the globals."""
    stmt: str
    setup: str
    global_setup: str = ""
    label: str = None
    sub_label: str = None
    description: str = None
    env: str = None
    num_threads: int = 1

    @property
    def title(self):
        """The label (or the statement) and the sub-label, for a Measurement's repr."""
        if self.label is not None:
            return self.label + (f": {self.sub_label}" if self.sub_label else "")
        if "\n" not in self.stmt:
            return self.stmt + (f": {self.sub_label}" if self.sub_label else "")
        return f"stmt:{f' ({self.sub_label})' if self.sub_label else ''}\n{textwrap.indent(self.stmt, '  ')}"

    def setup_str(self):
        if self.setup == "pass" or not self.setup:
            return ""
        return f"setup:\n{textwrap.indent(self.setup, '  ')}" if "\n" in self.setup else f"setup: {self.setup}"

    def summarize(self):
        sections = [self.title, self.description or "", self.setup_str()]
        return "\n".join(f"{s}\n" if "\n" in s else s for s in sections if s)


def _clean(code):
    """Dedent a code string and drop its leading newline and trailing blanks (as PyTorch does)."""
    code = textwrap.dedent(code)
    return (code[1:] if code.startswith("\n") else code).rstrip()


_IQR_WARN, _IQR_GROSS_WARN = 0.1, 0.25


def _quantile(sorted_values, q):
    """The q-quantile (0 <= q <= 1) of already sorted values, by linear interpolation (numpy's default)."""
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return float(sorted_values[low] + (position - low) * (sorted_values[high] - sorted_values[low]))


def _select_unit(seconds):
    unit = {-3: "ns", -2: "us", -1: "ms"}.get(int(math.log10(seconds) // 3), "s")
    return unit, {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[unit]


class Measurement:
    """The result of a Timer (torch.utils.benchmark.Measurement): raw_times[i] is the seconds of block i of
    number_per_run runs. `times` are per run; median, mean, iqr, significant_figures summarise them."""

    def __init__(self, number_per_run, raw_times, task_spec, metadata=None):
        self.number_per_run, self.raw_times = number_per_run, list(raw_times)
        self.task_spec, self.metadata = task_spec, metadata
        self._sorted_times = ()

    def __getattr__(self, name):  # the TaskSpec's fields: m.label, m.stmt, m.num_threads, ...
        if name in {field.name for field in dataclasses.fields(TaskSpec)} and "task_spec" in vars(self):
            return getattr(self.task_spec, name)
        raise AttributeError(f"'Measurement' object has no attribute {name!r}")

    @property
    def times(self):
        """Seconds per run: each block's time divided by the runs in it."""
        return [t / self.number_per_run for t in self.raw_times]

    def _lazy_init(self):
        if self.raw_times and not self._sorted_times:
            self._sorted_times = tuple(sorted(self.times))
            self._median = _quantile(self._sorted_times, 0.5)
            self._mean = float(np.mean(self._sorted_times))
            self._p25, self._p75 = _quantile(self._sorted_times, 0.25), _quantile(self._sorted_times, 0.75)

    @property
    def median(self):
        self._lazy_init()
        return self._median

    @property
    def mean(self):
        self._lazy_init()
        return self._mean

    @property
    def iqr(self):
        self._lazy_init()
        return self._p75 - self._p25

    @property
    def significant_figures(self):
        """Digits of the median worth printing: log10(median / (1.645 · std / sqrt(n))) over the middle half of
        the runs, between 1 and 4 (PyTorch's rough estimate, used by Compare.trim_significant_figures)."""
        self._lazy_init()
        n = len(self._sorted_times)
        middle = self._sorted_times[n // 4:math.ceil(3 * n / 4)]
        interval = max(1.645 * float(np.std(middle)) / math.sqrt(len(middle)), 25e-9)
        return min(max(math.floor(math.log10(self._median / interval)), 1), 4)

    def meets_confidence(self, threshold=_IQR_WARN):
        return self.iqr / self.median < threshold

    @property
    def _warnings(self):
        if self.meets_confidence(_IQR_GROSS_WARN) and self.meets_confidence(_IQR_WARN):
            return ()
        why = ("This suggests significant environmental influence." if not self.meets_confidence(_IQR_GROSS_WARN)
               else "This could indicate system fluctuation.")
        return (f"  WARNING: Interquartile range is {self.iqr / self.median * 100:.1f}% of the median "
                f"measurement.\n           {why}",)

    @property
    def has_warnings(self):
        self._lazy_init()
        return bool(self._warnings)

    @property
    def title(self):
        return self.task_spec.title

    @property
    def env(self):
        return self.task_spec.env

    @property
    def as_row_name(self):
        return self.sub_label or self.stmt or "[Unknown]"

    def __repr__(self):
        self._lazy_init()
        n = len(self._sorted_times)
        unit, scale = _select_unit(self._median)
        lines = [f"<{type(self).__module__}.{type(self).__name__} object at {hex(id(self))}>",
                 self.task_spec.summarize(), f"  {'Median: ' if n > 1 else ''}{self._median / scale:.2f} {unit}"]
        if n >= 4:
            quartiles = f"({self._p25 / scale:.2f} to {self._p75 / scale:.2f})"
            lines.append(f"  IQR:    {self.iqr / scale:.2f} {unit} {quartiles}")
        threads = f"{self.num_threads} thread{'s' if self.num_threads > 1 else ''}"
        lines.append(f"  {n} measurement{'s' if n > 1 else ''}, {self.number_per_run} runs "
                     f"{'per measurement,' if n > 1 else ','} {threads}")
        lines += list(self._warnings)
        return "\n".join(line for line in "\n".join(lines).strip().splitlines())

    @staticmethod
    def merge(measurements):
        """One Measurement per TaskSpec, with number_per_run = 1 and the per-run times of all its replicates."""
        groups = {}
        for m in measurements:
            groups.setdefault(m.task_spec, []).extend(m.times)
        return [Measurement(1, times, spec) for spec, times in groups.items()]


def _per_run(times, what):
    """Per-run seconds from a Measurement (anything with raw_times and number_per_run: `.times`) or a sequence."""
    is_measurement = hasattr(times, "raw_times") and hasattr(times, "number_per_run")
    values = np.asarray(times.times if is_measurement else times, dtype=np.float64).ravel()
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError(f"{what}: expected a Measurement or a non-empty sequence of finite times, got {values}")
    return values


def median_ci(times, confidence=0.95):
    """A distribution-free confidence interval (low, high) for the median of the per-run `times` (a Measurement
    or a sequence): the k-th smallest and k-th largest values, k the largest with 2 · P(B <= k - 1) <= 1 -
    confidence for B ~ Binomial(n, 1/2). A course addition: PyTorch has none. Raises ValueError for too few runs."""
    if not 0 < confidence < 1:
        raise ValueError(f"median_ci: confidence must be between 0 and 1, got {confidence}")
    values = np.sort(_per_run(times, "median_ci"))
    n = len(values)
    k, below = 0, 0.0
    while k < n and below + math.comb(n, k) / 2 ** n <= (1 - confidence) / 2:
        below += math.comb(n, k) / 2 ** n
        k += 1
    if k == 0:
        raise ValueError(f"median_ci: {n} runs are too few for a {confidence:.0%} interval of the median "
                         f"(even min..max misses it with probability {2 / 2 ** n:.3f})")
    return float(values[k - 1]), float(values[n - k])


# From content/19_benchmarking.py, cell 12 (Part 3 · The Timer: warm-up, blocks, repeats)
_RESOLUTIONS = {}  # clock -> its measured resolution, so the real clock is measured once per session


class Timer:
    """Time a statement as torch.utils.benchmark.Timer: `Timer(stmt="x @ y", globals={"x": x, "y": y})`, then
    `.blocked_autorange(min_run_time=0.2)`, `.adaptive_autorange()` or `.timeit(number)`, each returning a
    Measurement. Differs from PyTorch: `stmt` may also be a function called with no arguments (a tinytorch
    extension); `globals` gets `tinytorch` (PyTorch adds `torch`); `num_threads` is recorded only (numpy's
    threads are not ours to set); only Python is supported; blocks last at least 100 steps of the clock; one
    warm-up run precedes the choice of the block size (a slow first call would choose blocks of one run)."""

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=time.perf_counter, globals=None,
                 label=None, sub_label=None, description=None, env=None, num_threads=1, language="python"):
        if language not in ("python", "py"):
            raise ValueError(f"Timer: only language='python' is supported, got {language!r}")
        if global_setup:
            raise ValueError(f"Timer: global_setup is C++ only, got {global_setup!r}: move it to `setup`")
        if callable(stmt):
            code, text = stmt, f"{getattr(stmt, '__qualname__', type(stmt).__name__)}()"
        elif isinstance(stmt, str):
            code = text = _clean(stmt)
        else:
            raise ValueError(f"Timer: stmt must be a string of code or a function, got {type(stmt).__name__}")
        if not isinstance(setup, str) and not callable(setup):
            raise ValueError(f"Timer: setup must be a string of code or a function, got {type(setup).__name__}")
        setup = _clean(setup) if isinstance(setup, str) else setup
        import tinytorch
        self._globals = dict(globals or {})
        self._globals.setdefault("tinytorch", tinytorch)
        self._clock, self._resolution = timer, None
        self._timer = _timeit.Timer(stmt=code, setup=setup, timer=timer, globals=self._globals)
        self._task_spec = TaskSpec(stmt=text, setup=setup if isinstance(setup, str) else "pass", label=label,
                                   sub_label=sub_label, description=description, env=env, num_threads=num_threads)

    def _clock_resolution(self):
        """The timer's resolution (measured once; a fake clock that only moves when the statement runs is 0)."""
        if self._resolution is None:
            if self._clock not in _RESOLUTIONS:
                reads = 100_000 if self._clock is time.perf_counter else 1_000
                _RESOLUTIONS[self._clock] = clock_resolution(self._clock, max_reads=reads)
            self._resolution = _RESOLUTIONS[self._clock]
        return self._resolution

    def _timeit(self, number):
        """Seconds for one block of `number` runs (at least 1 ns: no real block takes less, and it avoids /0)."""
        return max(self._timer.timeit(number), 1e-9)

    def timeit(self, number=1000000):
        """Warm up with max(number // 100, 2) runs, then time one block of `number` runs."""
        self._timeit(max(number // 100, 2))
        return Measurement(number, [self._timeit(number)], self._task_spec)

    def _estimate_block_size(self, min_run_time):
        """The number of runs per block: 1, 10, 100, ... until a block is long enough (this warms up too)."""
        self._timeit(1)  # warm-up: a slow first call must not choose the block size
        overhead = float(np.median([self._timeit(0) for _ in range(5)]))
        resolution = self._clock_resolution()
        number = 1
        while True:
            block = self._timeit(number)
            if overhead / block <= 1e-4 and block >= min_run_time / 1000 and block >= 100 * resolution:
                break
            if block > min_run_time or number * 10 > 2147483647:
                break
            number *= 10
        return number

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Warm up and choose the block size, then time blocks until they add up to min_run_time seconds."""
        number = self._estimate_block_size(min_run_time)
        times, total = [], 0.0
        while total < min_run_time:
            block = self._timeit(number)
            times.append(block)
            total += block
            if callback is not None:
                callback(number, block)
        return Measurement(number, times, self._task_spec)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0, callback=None):
        """As blocked_autorange (block size chosen for 0.05 s), but keep timing blocks until there are more than
        three and IQR / median < threshold, after at least min_run_time and at most max_run_time seconds."""
        number = self._estimate_block_size(min_run_time=0.05)
        times, total, can_stop = [], 0.0, False
        while total < min_run_time or not can_stop:
            block = self._timeit(number)
            times.append(block)
            total += block
            if callback is not None:
                callback(number, block)
            can_stop = len(times) > 3 and Measurement(number, times, self._task_spec).meets_confidence(threshold)
            if max_run_time and total > max_run_time:
                break
        return Measurement(number, times, self._task_spec)

    def __repr__(self):
        return f"Timer({self._task_spec.title!r})"


# From content/19_benchmarking.py, cell 16 (Check Part 3)
class Compare:
    """A table of Measurements, as torch.utils.benchmark.Compare: `print(Compare(results))` or `.print()`.
    Tables by label, rows by sub_label (or stmt), columns by description; cells are medians.
    `trim_significant_figures()` rounds each cell to its measurement's significant figures. Differs from
    PyTorch: no colours and no warning highlights (`colorize` and `highlight_warnings` are not provided)."""

    def __init__(self, results):
        self._results, self._trim = [], False
        self.extend_results(results)

    def extend_results(self, results):
        for r in results:
            if not isinstance(r, Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} instead.")
        self._results.extend(results)

    def trim_significant_figures(self):
        self._trim = True

    def print(self):
        print(str(self))

    def __str__(self):
        tables = {}
        for m in Measurement.merge(self._results):
            tables.setdefault(m.label, []).append(m)
        return "\n".join(self._table(results) for results in tables.values())

    def _cell(self, m, scale, template):
        value = m.median / scale
        if self._trim:
            magnitude = math.ceil(math.log10(abs(value)))
            step = 10 ** (magnitude - m.significant_figures)
            value = float(round(value / step) * step)
        return template.format(value)

    def _table(self, results):
        unit, scale = _select_unit(min(m.median for m in results))
        row_keys = list(dict.fromkeys((m.num_threads, m.env, m.as_row_name) for m in results))
        row_keys.sort(key=lambda key: key[:2])
        columns = list(dict.fromkeys(m.description for m in results))
        cells = {((m.num_threads, m.env, m.as_row_name), m.description): m for m in results}
        digits = [math.ceil(math.log10(m.median / scale)) for m in results]
        decimals = min(max(m.significant_figures - d, 0) for d, m in zip(digits, results)) if self._trim else 1
        template = f"{{:>{max(digits) + decimals + (1 if decimals else 0)}.{decimals}f}}"
        blank = " " * len(template.format(1))
        envs = {m.env for m in results}
        env_width = max(len(str(e)) for e in envs) if len(envs) > 1 else 0
        rows, previous_threads, previous_env = [["", *[c if c is not None else "" for c in columns]]], None, ""
        separators = {}
        for key in row_keys:
            threads, env, name = key
            if threads != previous_threads:
                separators[len(rows)], previous_threads, previous_env = f"{threads} threads: ", threads, ""
            shown_env = f"({env})" if len(envs) > 1 and env != previous_env else ""
            rows.append(["  " + shown_env.ljust(env_width + 4) + name] +
                        [self._cell(cells[key, c], scale, template) if (key, c) in cells else blank for c in columns])
            previous_env = env
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        header = "  |  ".join(cell.center(width) for cell, width in zip(rows[0], widths))
        lines = [header]
        for i, row in enumerate(rows[1:], start=1):
            if i in separators:
                lines.append(separators[i].ljust(len(header), "-"))
            lines.append("  |  ".join([row[0].ljust(widths[0])] + [c.center(w) for c, w in zip(row[1:], widths[1:])]))
        names = {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}
        label = results[0].label
        title = f"[{(' ' + (label or '') + ' ').center(len(header) - 2, '-')}]"
        return "\n".join([title, *lines, "", f"Times are in {names[unit]}s ({unit}).", ""])


# From content/19_benchmarking.py, cell 18 (Part 4 · Is the difference real?)
@dataclasses.dataclass(frozen=True)
class ABResult:
    """The outcome of ab_test: the permutation p-value, the ratio of medians median(a) / median(b) (above 1:
    b is faster) with its bootstrap interval, and the verdict `different` (p_value < alpha)."""
    p_value: float
    ratio: float
    ratio_ci: tuple
    different: bool
    alpha: float = 0.05
    confidence: float = 0.95

    def __str__(self):
        low, high = self.ratio_ci
        verdict = "different" if self.different else "no difference shown"
        return (f"{verdict}: p = {self.p_value:.2g} (alpha {self.alpha}); median(a) / median(b) = {self.ratio:.3f} "
                f"[{low:.3f}, {high:.3f}] ({self.confidence:.0%} interval)")


def ab_test(a, b, alpha=0.05, confidence=0.95, resamples=2000, seed=0):
    """Do the per-run times of a and b (Measurements or sequences) differ? A two-sided permutation test on the
    gap between the medians of the log times, and the ratio median(a) / median(b) with a bootstrap interval.
    Deterministic for a given seed. A course addition: PyTorch has none."""
    x, y = _per_run(a, "ab_test: a"), _per_run(b, "ab_test: b")
    if len(x) < 2 or len(y) < 2 or np.any(x <= 0) or np.any(y <= 0):
        raise ValueError(f"ab_test needs at least 2 positive times on each side, got {len(x)} and {len(y)}")
    rng = np.random.default_rng(seed)
    log_x, log_y = np.log(x), np.log(y)
    observed = abs(np.median(log_x) - np.median(log_y))
    deals = rng.permuted(np.tile(np.concatenate([log_x, log_y]), (resamples, 1)), axis=1)
    gaps = np.abs(np.median(deals[:, :len(x)], axis=1) - np.median(deals[:, len(x):], axis=1))
    p_value = (1 + np.count_nonzero(gaps >= observed - 1e-12)) / (1 + resamples)
    ratio = float(np.median(x) / np.median(y))
    boot = (np.median(rng.choice(x, (resamples, len(x))), axis=1) /
            np.median(rng.choice(y, (resamples, len(y))), axis=1))
    low, high = np.quantile(boot, [(1 - confidence) / 2, (1 + confidence) / 2])
    return ABResult(float(p_value), ratio, (float(low), float(high)), bool(p_value < alpha), alpha, confidence)


def interleaved_autorange(timers, min_run_time=0.2, min_blocks=10):
    """Measure several Timers with their blocks interleaved (A, B, A, B, ...) until each has min_run_time seconds
    and at least min_blocks blocks (enough for a 95% interval of the median), so a slow spell of the machine hits
    every variant alike. Returns one Measurement per timer. A course addition: PyTorch has none."""
    numbers = [timer._estimate_block_size(min_run_time) for timer in timers]
    times = [[] for _ in timers]
    while min(sum(t) for t in times) < min_run_time or min(len(t) for t in times) < min_blocks:
        for timer, number, block_times in zip(timers, numbers, times):
            block_times.append(timer._timeit(number))
    return [Measurement(number, t, timer._task_spec) for timer, number, t in zip(timers, numbers, times)]
