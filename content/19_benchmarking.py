# %% [markdown]
# # Module 19 · Benchmarking
#
# Module 18 made generation faster, and module 14 told us where the time goes. But is a speed-up we
# measured *real*? Time the same function twice on the same machine and the two numbers differ, often by
# 5–30%: the first call pays for imports, caches and memory; the clock ticks in steps; the garbage
# collector and other programs steal time now and then; the processor changes its speed. A "12% faster"
# read off one pair of timings can be nothing at all. This module builds the harness PyTorch calls
# `torch.utils.benchmark` (a `Timer` that warms up, times blocks of many calls, and repeats them; a
# `Measurement` with the median and the interquartile range; `Compare` to print a table), and adds what
# it leaves out: a confidence interval for the median, and a test of whether two variants really differ,
# checked against the noise of the machine at hand.
#
# ```text
# Connection map
#   Prerequisites : 14 Profiling (timing a call, the clock, self time)
#                   18 Memoization (the KV cache whose speed-up we test)
#                   09 Convolutions, 06 Autograd (im2col against loops; no_grad against recording)
#   Focus (19)    : the clock's resolution, warm-up, blocks of calls (blocked_autorange), per-run times,
#                   median and IQR, a confidence interval for the median, a permutation test and the
#                   ratio of medians with its interval, the false-positive rate of A against A
#   Unlocks       : 20 Capstone (profile, optimise, then prove the gain with this harness)
# ```
#
# ## Learning objectives
# By the end you will be able to
# 1. measure a clock's effective resolution and explain why a fast statement must be timed in blocks;
# 2. summarise repeated runs by the per-run median and the IQR, and give a distribution-free confidence
#    interval for the median;
# 3. write `Timer.blocked_autorange`: warm up, grow the block until it is long enough, repeat blocks of
#    that size;
# 4. decide whether two variants differ with a permutation test, and report the speed-up as a ratio of
#    medians with its interval;
# 5. **measure**: the clock here and in the browser, the first call against the rest, the run-to-run
#    noise of this machine (A against A) and the test's false-positive rate on it.
#
# Work top to bottom: fill in the code where it says `# YOUR CODE HERE`, and run each check cell.

# %% [markdown]
# ## Part 1 · Why one timing lies
#
# A timing is `clock() after − clock() before`. Two things spoil it for a single fast call.
#
# **The clock ticks in steps.** `time.perf_counter()` reads a counter that advances in steps: tens of
# nanoseconds on a Linux PC, but a web browser deliberately coarsens `performance.now()` (which is what
# Pyodide's `perf_counter` reads) to 5–100 µs, and some browsers add random jitter, to blunt timing attacks.
# A call that takes 3 µs, timed alone on a 100 µs clock, reads as 0 or as 100 µs. The cure is to time a
# **block** of `number` calls and divide: the error of the block is at most one step, so a block lasting
# 100 steps is good to about 1%.
#
# **The first call is different.** It pays one-off costs: importing, filling caches (Python's attribute
# caches, numpy's buffers), allocating memory the later calls reuse. A harness **warms up**: it runs the
# statement before it starts the clock for real, and throws those timings away.
#
# Your task: `clock_resolution(clock)`. Read the clock over and over; most successive readings are equal
# (the clock has not moved yet), some differ by one step. The effective resolution is the **median of the
# positive steps** (the median, because a jittered clock makes a few steps odd sizes). Stop after
# `changes` positive steps, or after `max_reads` readings (a clock that never moves has resolution 0.0:
# a frozen fake clock must not hang the harness).

# %%
#| export
#| default_exp core.benchmarking
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
    # HINT 1: Keep the previous reading; read again; when the new reading differs, the difference is one step
    # HINT 1: of the clock: keep it. Equal readings are not steps (the clock just has not moved yet), so they
    # HINT 1: must not count. Stop after enough steps or too many readings, and summarise the steps robustly.
    # HINT 2: A loop of at most max_reads iterations calling clock(); collect the positive differences in a
    # HINT 2: list, break when it holds `changes` of them; return float(np.median(steps)), or 0.0 when the list
    # HINT 2: is empty.
    ### BEGIN SOLUTION
    steps, previous = [], clock()
    for _ in range(max_reads):
        now = clock()
        if now > previous:
            steps.append(now - previous)
            if len(steps) >= changes:
                break
        previous = now
    return float(np.median(steps)) if steps else 0.0
    ### END SOLUTION


# %% [markdown]
# ### Check Part 1
# Fake clocks with known steps: one that moves by 100 µs every 7 readings (a coarse browser clock), one
# that moves on every reading, a jittered one, and a frozen one.

# %%
from tinytorch.checks.benchmarking import check_clock_resolution

check_clock_resolution(clock_resolution)

# %% [markdown]
# Now measure both effects here. The clock's resolution first, then the first call of a freshly built
# function against the calls after it (each call timed alone: they are long enough here).

# %%
import sys

import tinytorch
from tinytorch import nn


def fresh_model():
    """A new MLP: its first call has never run."""
    tinytorch.manual_seed(19)
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


print(f"running on {sys.platform} (emscripten = the browser)")
first_model = fresh_model()
x_first = np.random.default_rng(19).standard_normal((32, 64)).astype(np.float32)
call_times = []
for _ in range(6):
    start = time.perf_counter()
    first_model(tinytorch.tensor(x_first))
    call_times.append(time.perf_counter() - start)
print("one forward pass, call by call (us):", [round(t * 1e6) for t in call_times])
print(f"first call / median of the others: {call_times[0] / np.median(call_times[1:]):.1f}x")
resolution = clock_resolution()
print(f"time.perf_counter resolution here: {resolution * 1e9:.0f} ns (the median step between successive readings)")

# %% [markdown]
# ## Part 2 · Median, IQR, and a confidence interval for the median
#
# A harness times **blocks** of many runs (one fast run is below the clock's step), several blocks in a row.
# A `Measurement` holds those raw block times and the number of runs per block (Part 3's `Timer` makes
# them; here we build them by hand). Its statistics are PyTorch's:
#
# * `times`: each block's time divided by `number_per_run`, the seconds **per run**. Dividing by anything
#   else (the number of blocks, nothing at all) makes two measurements with different block sizes
#   incomparable.
# * `median` and `iqr` (the 75th minus the 25th percentile) rather than `mean` and standard deviation.
#   Timing noise is one-sided: a garbage collection, another program or a cache miss only ever makes a run
#   *slower*, so a few runs sit far above the rest. One block 50x slow moves the mean by a lot and the
#   median barely at all.
# * Percentiles by **linear interpolation** (numpy's and PyTorch's default): on `n` sorted values, the
#   `q`-quantile sits at position `h = (n − 1) · q`, between the values at `floor(h)` and `floor(h) + 1`.
#   Position `n · q` is the classic off-by-one: it gives the maximum for `q = 1` and a wrong median.
#
# **How sure is the median?** Take `n` runs. Each lands below the true median with probability 1/2, so the
# number `B` below it is binomial `(n, 1/2)`. The interval from the `k`-th smallest to the `k`-th largest run
# misses the true median only when `B < k` or `B > n − k`, with probability `2 · P(B ≤ k − 1)`. So choose the
# largest `k` with `P(B ≤ k − 1) ≤ (1 − confidence) / 2`: a confidence interval that assumes nothing about
# the shape of the noise (an *order-statistic* interval). With 5 runs or fewer no 95% interval exists at all:
# even (min, max) misses with probability `2 / 2⁵ = 6.25%`.
#
# Your tasks: `Measurement.times`, `_quantile(sorted_values, q)` and `median_ci(times, confidence)`.

# %%
#| export
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
    # HINT 1: On n sorted values the quantile q sits at the fractional position (n - 1) * q: between two
    # HINT 1: neighbours, weighted by how far past the lower one it is. Not n * q (off by one), and not the
    # HINT 1: nearest value.
    # HINT 2: math.floor of the position gives the lower index; clamp the upper index to n - 1; return
    # HINT 2: lower value + fraction * (upper value - lower value) as a float.
    ### BEGIN SOLUTION
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return float(sorted_values[low] + (position - low) * (sorted_values[high] - sorted_values[low]))
    ### END SOLUTION


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
        # HINT 1: A block of raw_times holds number_per_run runs of the statement. Not the number of blocks.
        # HINT 2: A list comprehension over self.raw_times, one division each.
        ### BEGIN SOLUTION
        return [t / self.number_per_run for t in self.raw_times]
        ### END SOLUTION

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
    # HINT 1: Count how many values may be dropped from each end: keep adding the binomial (n, 1/2)
    # HINT 1: probabilities P(B = 0), P(B = 1), ... while their sum stays within (1 - confidence) / 2. k values
    # HINT 1: fit means the interval runs from the k-th smallest to the k-th largest. If not even k = 1 fits,
    # HINT 1: there are too few runs for this confidence: say so.
    # HINT 2: math.comb(n, i) / 2 ** n is P(B = i); a while loop growing k; raise ValueError mentioning n and
    # HINT 2: "too few" when k == 0; return (float(values[k - 1]), float(values[n - k])).
    ### BEGIN SOLUTION
    k, below = 0, 0.0
    while k < n and below + math.comb(n, k) / 2 ** n <= (1 - confidence) / 2:
        below += math.comb(n, k) / 2 ** n
        k += 1
    if k == 0:
        raise ValueError(f"median_ci: {n} runs are too few for a {confidence:.0%} interval of the median "
                         f"(even min..max misses it with probability {2 / 2 ** n:.3f})")
    return float(values[k - 1]), float(values[n - k])
    ### END SOLUTION


# %% [markdown]
# ### Check Part 2
# Measurements with known raw times, blocks of 10 runs, odd and even counts and one block 50x slow,
# compared with numpy's percentiles; the interval against a brute-force count of binomial probabilities.

# %%
from tinytorch.checks.benchmarking import check_measurement, check_median_ci

check_measurement(Measurement, TaskSpec)
check_median_ci(median_ci)

# %% [markdown]
# ## Part 3 · The Timer: warm-up, blocks, repeats
#
# `Timer(stmt, setup, globals=...)` is PyTorch's: `stmt` is a string of Python run with `globals` as its
# namespace (tinytorch also accepts a function, called with no arguments: PyTorch does not). One block,
# `_timeit(number)`, is the standard library's `timeit`: it runs the statement `number` times between two
# clock readings, with the garbage collector paused (its pauses are a big source of outliers).
#
# `blocked_autorange(min_run_time=0.2)` (PyTorch's method) measures in two phases:
#
# 1. **Choose the block size** (`_estimate_block_size`, you write it). This is also the warm-up: every call
#    made here is thrown away. First run the statement once on its own (PyTorch does not: its first block of
#    one run *is* the first call, and a slow first call, say 0.5 s for a 1 µs statement, makes it settle on
#    blocks of one run, far below a coarse clock's step). Time the empty block `_timeit(0)` five times; its
#    median is the timer's own overhead. Then time blocks of `number = 1, 10, 100, ...` calls and stop at
#    the first block that is long enough: overhead at most 1e-4 of it, at least `min_run_time / 1000` long,
#    and (our addition for the browser's clock) at least 100 clock steps long. Also stop when a block alone
#    takes more than `min_run_time`, or when the next `number` would pass 2,147,483,647.
# 2. **Repeat blocks** of that size (you write it) until their total reaches `min_run_time`; keep each
#    block's time (PyTorch calls them `raw_times`), and call `callback(number, time)` after each if given.
#
# The result is a `Measurement(number_per_run, raw_times, task_spec)`. Its `times` are **per run**: each
# block's time divided by the number of calls in it (you wrote that property in Part 2).
#
# Two mistakes to avoid: blocks that never grow (a 1 µs statement timed in blocks of one call on a 100 µs
# clock measures the clock, not the statement), and growing the block *while* measuring and keeping
# those first blocks (they hold the first call and have different sizes).

# %%
#| export
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
        # HINT 1: First warm up: one run of the statement, thrown away. Then the overhead: the median of five empty
        # HINT 1: blocks. Then try blocks of 1, 10, 100, ... runs: a block is long enough when the overhead is at
        # HINT 1: most 1e-4 of it AND it lasts min_run_time / 1000 AND it lasts 100 steps of the clock. Stop also
        # HINT 1: when one block exceeds min_run_time, or when ten times the number would pass 2147483647. Every
        # HINT 1: block timed here is thrown away.
        # HINT 2: self._timeit(1) for the warm-up; self._timeit(0) five times and np.median; self._clock_resolution();
        # HINT 2: a `while True` loop timing self._timeit(number), with `break` on each stop condition and
        # HINT 2: `number *= 10` otherwise.
        ### BEGIN SOLUTION
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
        ### END SOLUTION

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Warm up and choose the block size, then time blocks until they add up to min_run_time seconds."""
        # HINT 1: Choose the number of runs per block first (that also warms up). Then time one block after
        # HINT 1: another, all of the same size, keeping each block's seconds, until their sum reaches
        # HINT 1: min_run_time (at least one block). Tell the callback about every block.
        # HINT 2: self._estimate_block_size(min_run_time); self._timeit(number) per block; callback(number, t)
        # HINT 2: when callback is not None; return Measurement(number, the list of block times, self._task_spec).
        ### BEGIN SOLUTION
        number = self._estimate_block_size(min_run_time)
        times, total = [], 0.0
        while total < min_run_time:
            block = self._timeit(number)
            times.append(block)
            total += block
            if callback is not None:
                callback(number, block)
        return Measurement(number, times, self._task_spec)
        ### END SOLUTION

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


# %% [markdown]
# ### Check Part 3
# The check gives your Timer a fake clock that moves only when the statement runs, by exactly its cost, so
# every block time is known: a ~1 µs statement, a first call that costs 0.5 s, a slow statement, and a
# 100 µs clock.

# %%
from tinytorch.checks.benchmarking import check_timer

check_timer(Timer)

# %% [markdown]
# `Compare` (PyTorch's) prints many measurements as a table: one table per `label`, a row per `sub_label`
# (or statement), a column per `description`, each cell the median in a unit shared by the table. Given.

# %%
#| export
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


# %% [markdown]
# ## Part 4 · Is the difference real?
#
# Variant B's median is 8% below A's. Real, or noise? Ask the data: **if A and B were the same, how often
# would a gap this large appear by chance?** A permutation test answers without assuming a shape for the
# noise. Pool all the per-run times; deal them at random into a group the size of A's and one the size of
# B's; measure the gap between the groups' medians; repeat a few thousand times. The **p-value** is the
# share of random deals with a gap at least as large as the real one (counting the real deal itself, so it
# is never 0: `(1 + count) / (1 + resamples)`). Small p (below `alpha = 0.05`): the gap is rarely produced by
# chance, so call the difference real. We measure the gap on **log** times, so a 10% change is the same
# gap at 1 µs and at 1 s, and we take its absolute value: B slower is as much a difference as B faster.
#
# A p-value says *whether*, not *how much*. The size is the **ratio of medians** `median(A) / median(B)`
# (above 1: B is faster, e.g. 1.25 = "1.25x"), with a bootstrap interval: resample each group with
# replacement, recompute the ratio, and take the middle `confidence` of those ratios (given).
#
# Three traps, which the check tries:
# * comparing `raw_times` (block times) of two measurements with different `number_per_run`: use `times`;
# * a one-sided gap (`median(A) − median(B)` without the absolute value): B slower would look "same";
# * the means: one slow outlier decides them.
#
# And the test itself must be tested: on **A against A** (the same function measured twice) it must say
# "different" only about `alpha` of the time. Your task: the p-value in `ab_test`.

# %%
#| export
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
    # HINT 1: The real gap is the absolute difference of the medians of the two groups' log times. Deal the
    # HINT 1: pooled log times at random into groups of the same sizes, `resamples` times, measuring the same
    # HINT 1: gap each time; p is (1 + the number of deals whose gap is at least the real one) / (1 + resamples).
    # HINT 2: np.log and np.concatenate; np.tile makes `resamples` copies of the pooled row, and rng.permuted
    # HINT 2: with axis=1 shuffles each row on its own; np.median with axis=1 over the first len(x) columns and
    # HINT 2: over the rest; np.count_nonzero, with a tolerance of 1e-12 on the comparison. Call it `p_value`.
    ### BEGIN SOLUTION
    log_x, log_y = np.log(x), np.log(y)
    observed = abs(np.median(log_x) - np.median(log_y))
    deals = rng.permuted(np.tile(np.concatenate([log_x, log_y]), (resamples, 1)), axis=1)
    gaps = np.abs(np.median(deals[:, :len(x)], axis=1) - np.median(deals[:, len(x):], axis=1))
    p_value = (1 + np.count_nonzero(gaps >= observed - 1e-12)) / (1 + resamples)
    ### END SOLUTION
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


# %% [markdown]
# ### Check Part 4
# Seeded samples: A against the very same A, 100 pairs from one distribution (the false-positive rate),
# B 20% faster and 20% slower, measurements with 10 and 100 runs per block, and an outlier.

# %%
from tinytorch.checks.benchmarking import check_ab_test

check_ab_test(ab_test, Measurement, TaskSpec)

# %% [markdown]
# ## Use it · is it really faster?
#
# The harness is yours (the package's `tinytorch.utils.benchmark` holds the same `Timer`, `Measurement`,
# `Compare` and the course's `median_ci`, `ab_test` and `interleaved_autorange`). Three comparisons from
# earlier modules, each measured with interleaved blocks (at least ten per variant). `min_run_time` is small here (0.1–0.6 s per variant) so that the
# notebook runs in well under a minute in the browser; for a decision that matters, use PyTorch's default
# 0.2 s or more *per block size*, and more blocks.
#
# **1. Module 18's KV cache**: the TinyTalks GPT generating 16 tokens, recomputing against caching.

# %%
from tinytorch.core.convolutions import conv2d_forward, conv2d_loops
from tinytorch.datasets import load_tinytalks_gpt

import time

import tinytorch

cell_start = time.perf_counter()
model, tokenizer = load_tinytalks_gpt()
prompt = tinytorch.tensor(np.array([tokenizer.encode("Q: what is a cache?\nA:")], dtype=np.int64))
results, verdicts = [], {}


def report(name, a, b):
    """Median, interval and runs of each side, then the test and the speed-up of b over a."""
    result = ab_test(a, b)
    for m in (a, b):
        low, high = median_ci(m)
        print(f"  {m.description:<14} median {m.median * 1e3:8.3f} ms  95% CI [{low * 1e3:.3f}, {high * 1e3:.3f}]  "
              f"IQR {m.iqr / m.median:5.1%}  ({len(m.times)} blocks x {m.number_per_run} runs)")
    print(f"  {name}: {result}")
    verdicts[name] = result
    results.extend([a, b])


generate = [Timer("model.generate(prompt, 16, top_k=1, use_cache=flag)",
                            globals={"model": model, "prompt": prompt, "flag": flag}, label="GPT.generate 16 tokens",
                            sub_label="TinyTalks GPT", description=f"use_cache={flag}") for flag in (False, True)]
report("KV cache", *interleaved_autorange(generate, min_run_time=0.6))
print(f"(cell took {time.perf_counter() - cell_start:.1f} s)")

# %% [markdown]
# **2. Module 09's convolution**: im2col and one matrix product against the seven loops, on one small
# image (the loops are slow: 4 filters of 3x3x3 over 8x8 positions is 6,912 multiply-adds in Python).

# %%
cell_start = time.perf_counter()
rng = np.random.default_rng(19)
image = rng.standard_normal((1, 3, 8, 8)).astype(np.float32)
kernel = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
conv = [Timer(stmt, globals={"f": f, "x": image, "w": kernel}, label="conv2d 1x3x8x8, 4 filters 3x3",
                        sub_label="numpy arrays", description=name)
        for stmt, f, name in (("f(x, w, padding=1)", conv2d_loops, "7 loops"),
                              ("f(x, w, padding=1)", conv2d_forward, "im2col"))]
report("im2col", *interleaved_autorange(conv, min_run_time=0.1))
print(f"(cell took {time.perf_counter() - cell_start:.1f} s)")

# %% [markdown]
# **3. `no_grad()`**: a forward pass of an MLP on a batch, recording the graph against not recording it.

# %%
cell_start = time.perf_counter()
mlp = fresh_model()
batch = tinytorch.tensor(rng.standard_normal((64, 64)).astype(np.float32))


def forward_recording():
    mlp(batch)


def forward_no_grad():
    with tinytorch.no_grad():
        mlp(batch)


grad = [Timer(f, label="MLP forward 64x64", sub_label="Linear-ReLU-Linear", description=name)
        for f, name in ((forward_recording, "recording"), (forward_no_grad, "no_grad"))]
report("no_grad", *interleaved_autorange(grad, min_run_time=0.1))
print(f"(cell took {time.perf_counter() - cell_start:.1f} s)")

# %% [markdown]
# **4. Module 17's accelerations**: one training step of the same MLP (forward, loss, backward, SGD), with
# module 17's fused `Linear` and gradient rules against the rules they replaced (`unaccelerated()` puts
# modules 03 and 06's back for the duration of a block). **5. Module 15's int8 `Linear`**: the MLP's forward
# pass in float32 against its `quantize_dynamic` copy, inference only.

# %%
from tinytorch.core.acceleration import unaccelerated
from tinytorch.quantization import quantize_dynamic

cell_start = time.perf_counter()
labels = tinytorch.tensor(rng.integers(0, 10, 64).astype(np.int64))
optimizer = tinytorch.optim.SGD(mlp.parameters(), lr=0.01)


def train_step():
    optimizer.zero_grad()
    tinytorch.nn.functional.cross_entropy(mlp(batch), labels).backward()
    optimizer.step()


def train_step_before_17():
    with unaccelerated():
        train_step()


steps = [Timer(f, label="MLP training step, batch 64", sub_label="Linear-ReLU-Linear", description=name)
         for f, name in ((train_step_before_17, "03 + 06 rules"), (train_step, "module 17"))]
report("module 17", *interleaved_autorange(steps, min_run_time=0.1))
int8_mlp = quantize_dynamic(mlp, dtype=np.int8)


def float_forward():
    with tinytorch.no_grad():
        mlp(batch)


def int8_forward():
    int8_mlp(batch)


forwards = [Timer(f, label="MLP inference 64x64", sub_label="Linear-ReLU-Linear", description=name)
            for f, name in ((float_forward, "float32"), (int8_forward, "int8 dynamic"))]
report("int8", *interleaved_autorange(forwards, min_run_time=0.1))
print()
Compare(results).print()
print(f"(cell took {time.perf_counter() - cell_start:.1f} s)")

# %% [markdown]
# Read the verdicts together with the intervals. im2col is a large effect (the ratio's interval is far from
# 1, p is the smallest the test can give with 2,000 deals, 1/2001 = 0.0005). The KV cache saves more the
# longer the text (module 18) and the slower the matrix products: for 16 tokens from this prompt we measured
# 1.25x [1.24, 1.27] under CPython in a quiet moment (and an interval reaching below 1 when four other jobs
# shared the machine's two cores: "no difference shown", whose cure is more blocks, a larger `min_run_time`,
# not a better story), and 2.1x [2.0, 2.2] under Pyodide, where recomputing costs more. `no_grad()` saves
# the graph's bookkeeping: 1.08x [1.06, 1.09] under CPython, but 1.02x [1.00, 1.04], no difference shown,
# under Pyodide, where numpy's own work dominates the forward pass and the bookkeeping is a small share of
# it. Module 17's step is a clear gain under CPython (about 1.6x here: fewer nodes, no wasted gradients);
# module 15's int8 forward is *slower* than float32 in numpy (a ratio near 0.1: numpy has no fast integer
# matrix product, and quantizing the activations is extra work), which is exactly the kind of result a
# benchmark exists to catch: int8 buys memory here, not speed. Your verdicts are printed above.
#
# ## Systems analysis · measured
#
# ### 1. The clock, the block and the timer's overhead
# What does one clock reading cost, what is the clock's step, and how long must a block be? `Timer` keeps
# the longest of: 1/1000 of `min_run_time`, 10,000 times the overhead of an empty block, 100 clock steps.

# %%
cell_start = time.perf_counter()
resolution = clock_resolution()
empty = Timer("pass")
overhead = float(np.median([empty._timeit(0) for _ in range(5)]))
reads = Timer("clock()", globals={"clock": time.perf_counter}).blocked_autorange(min_run_time=0.05)
print(f"clock step {resolution * 1e9:.0f} ns; one reading costs {reads.median * 1e9:.0f} ns; empty block "
      f"{overhead * 1e9:.0f} ns")
print(f"a block must last >= {max(0.2 / 1000, 1e4 * overhead, 100 * resolution) * 1e6:.0f} us "
      f"(min_run_time 0.2 s / 1000, 1e4 x overhead, 100 steps)")
tiny = Timer("a + b", globals={"a": 1.0, "b": 2.0}).blocked_autorange(min_run_time=0.05)
print(f"'a + b': {tiny.number_per_run:,} runs per block, {len(tiny.times)} blocks, median {tiny.median * 1e9:.1f} ns")
print(f"(cell took {time.perf_counter() - cell_start:.1f} s)")

# %% [markdown]
# Measured with `/work/shared/pyodide-node` (Pyodide 0.27.7 in Node, the engine of Chromium): Node's
# `perf_counter` moves at every reading (each reading costs about 165 ns there against about 45 ns on
# CPython), but `time.time` moves only every 1 ms. A browser tab is coarser than Node: Chromium rounds
# `performance.now()` to 100 µs, with a little jitter, unless the page is cross-origin isolated (then 5 µs),
# and other browsers can be coarser still in their privacy settings. So in the browser blocks last at least
# 10 ms (100 steps of 100 µs): the first line above says what your clock does.
#
# ### 2. Mean against median: what an outlier does
# Time a statement in blocks, then pretend one block hit a garbage collection 50x as long.

# %%
m, = interleaved_autorange([Timer("x @ x", globals={"x": np.ones((16, 16), dtype=np.float32)})], min_run_time=0.05,
                           min_blocks=20)  # one timer: its blocks one after another, at least 20 of them
raw = list(m.raw_times)
raw[len(raw) // 2] *= 50
spoiled = Measurement(m.number_per_run, raw, m.task_spec)
print(f"{len(raw)} blocks: mean {m.mean * 1e6:.2f} -> {spoiled.mean * 1e6:.2f} us "
      f"({spoiled.mean / m.mean - 1:+.0%}); median {m.median * 1e6:.2f} -> {spoiled.median * 1e6:.2f} us "
      f"({spoiled.median / m.median - 1:+.1%})")

# %% [markdown]
# ### 3. Run-to-run noise: A against A, and the test's false-positive rate
# Measure the **same** statement twice, eight times over: ten blocks of A and then ten more blocks of A, and
# the same blocks interleaved. How far from 1 is the ratio of medians, and how often does the test call A
# "different" from itself? With a sound test and a steady machine, about `alpha` = 5% of the time.

# %%
cell_start = time.perf_counter()
work = Timer("x @ x", globals={"x": np.ones((16, 16), dtype=np.float32)})
pairs = 8
for how in ("one after the other", "interleaved"):
    ratios, flagged = [], 0
    for i in range(pairs):
        if how == "interleaved":
            first, second = interleaved_autorange([work, work], min_run_time=0.02, min_blocks=10)
        else:  # A's ten blocks, then A's ten blocks again
            (first,), (second,) = (interleaved_autorange([work], min_run_time=0.02, min_blocks=10) for _ in range(2))
        result = ab_test(first, second, resamples=500, seed=i)
        ratios.append(result.ratio)
        flagged += result.different
    print(f"A vs A {how:>20}: ratio of medians from {min(ratios):.3f} to {max(ratios):.3f}; "
          f"called different {flagged} of {pairs} times")
print(f"(cell took {time.perf_counter() - cell_start:.1f} s)")

# %% [markdown]
# Two measurements of the same code differ by a few percent from run to run, and more on a busy machine or
# in a browser tab: the machine drifts (frequency, other programs, caches) between the two runs. The test
# assumes the blocks of A and B are exchangeable; measured one after the other, blocks of the *same* run are
# more alike than blocks of *different* runs, and drift breaks that assumption. Interleaving the blocks makes
# a slow spell hit both variants, which is why every comparison above uses `interleaved_autorange`. Eight pairs
# are few: one "different" verdict out of eight is often chance (at 5% each, 1 − 0.95⁸ = 34% of such series
# have at least one); more than that says this machine is drifting, or its noise is not the same from
# block to block. On the machine where this module was written (two cores shared with four other busy jobs)
# the A-against-A ratios ranged from 0.99 to 1.02 in a quiet moment and from 0.44 to 2.1 in a busy one, in
# CPython and in Pyodide alike; and two of eight interleaved A/A pairs were once called different: block
# times that drift together are not the independent draws the test assumes, so on a loaded machine even
# interleaving cannot promise 5%. The rule: a gain smaller than the A-against-A spread printed here is not
# something this machine can show.
#
# ### 4. How the interval shrinks with more runs
# The interval of the median narrows about as `1 / sqrt(n)`: four times the runs, half the width.

# %%
spread = np.random.default_rng(0).lognormal(0, 0.1, 400)
for n in (10, 25, 100, 400):
    low, high = median_ci(spread[:n])
    print(f"n = {n:>3}: 95% interval of the median is {(high - low) / np.median(spread[:n]):.1%} of it wide")

# %% [markdown]
# ## Reflect
#
# Answer with a number first, then run the cell below to check.
#
# 1. A statement takes 2 µs and the clock steps by 100 µs. With `min_run_time = 0.2` and an overhead of
#    0.1 µs, how many runs per block does `blocked_autorange` choose?
# 2. What is the smallest number of runs that gives a 99% interval for the median?
# 3. Raw block times `[0.10, 0.12, 0.11, 0.50]` s of 1,000 runs each: what are the median and the IQR per run?
# 4. Two variants whose true times are equal, tested 200 times at `alpha = 0.05`: about how many verdicts say
#    "different"? Check on synthetic A-against-A samples.
# 5. The KV cache measured above: what is the lower end of its speed-up interval, and is it above 1?

# %%
class _FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


fake = _FakeClock()


def two_microseconds():
    fake.now += 2e-6


q1 = Timer(two_microseconds, timer=fake)
q1._resolution = 100e-6
print("1.", f"{q1.blocked_autorange(min_run_time=0.2).number_per_run:,} runs per block (a block must last 100 steps = "
      "10 ms: 10,000 runs of 2 us = 20 ms is the first power of 10 that does)")
n = 1
while True:
    try:
        median_ci(np.arange(1.0, n + 1), confidence=0.99)
        break
    except ValueError:
        n += 1
print("2.", n, "runs (2 / 2**n must be <= 0.01)")
m3 = Measurement(1000, [0.10, 0.12, 0.11, 0.50], TaskSpec("f()", "pass"))
print("3.", f"median {m3.median * 1e6:.0f} us, IQR {m3.iqr * 1e6:.1f} us per run")
synthetic = np.random.default_rng(4)
false_positives = sum(ab_test(synthetic.lognormal(0, 0.1, 12), synthetic.lognormal(0, 0.1, 12), resamples=300,
                              seed=i).different for i in range(200))
print("4.", false_positives, "of 200 (expected about 10)")
kv = verdicts["KV cache"]
print("5.", f"speed-up {kv.ratio:.2f}x, interval [{kv.ratio_ci[0]:.2f}, {kv.ratio_ci[1]:.2f}]: "
      f"{'above 1' if kv.ratio_ci[0] > 1 else 'not above 1'}")

# %% [markdown]
# **Next:** 20 Capstone puts it together: profile a model, optimise the hottest part, and prove the gain with
# this harness before submitting it.
