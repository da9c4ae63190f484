# %% [markdown]
# # Module 14 · Profiling
#
# Before making code faster, find out where its time goes. Guessing is usually wrong: a training step
# that "is all matrix multiplications" may spend half its time in small element-wise ops and Python
# bookkeeping. This module builds what PyTorch calls `torch.profiler`: a context manager that times every
# op and every module call inside it, and a table of per-op calls, total time, self time and FLOPs. Then it
# counts what a model costs on paper (FLOPs and bytes), and uses Amdahl's law to say what speeding up the
# hottest op can buy, before you spend an afternoon on it.
#
# ```text
# Connection map
#   Prerequisites : 03 Layers   (Module.__call__: every layer call passes through it)
#                   06 Autograd (Tensor methods wrapped and restored; graph_footprint for memory)
#                   09 Conv2d, 12 Attention, 13 GPT (the models we profile and count)
#   Focus (14)    : profile, record_function, key_averages().table(), self vs total time,
#                   FLOPs of Linear, Conv2d and attention, parameter and activation bytes, Amdahl's law
#   Unlocks       : 15+ optimisation modules (measure first, then change one thing)
#                   18 Memoization (a KV cache: its gain predicted from a profile)
# ```
#
# ## Learning objectives
# By the end you will be able to
# 1. explain self time and total time, and compute self time as total time minus the time of the calls
#    made inside;
# 2. profile any tinytorch code with `with tinytorch.profiler.profile() as prof:` by wrapping methods and
#    restoring every one of them, even when the code inside raises;
# 3. count the FLOPs of `Linear`, `Conv2d` and attention by hand, and check the count against the profiler;
# 4. apply Amdahl's law to a real profile: what a 2x faster hottest op buys the whole step;
# 5. **measure**: the profiler's own overhead, where a CPython training step spends its time, and how
#    different that picture is in the browser.
#
# Work top to bottom: fill in the code where it says `# YOUR CODE HERE`, and run each check cell.

# %% [markdown]
# ## Part 1 · Self time and total time
#
# A profiler hears two things about every call it watches: when it starts and when it ends. Calls nest:
# `model(x)` calls `Linear.__call__`, which calls `Tensor.__matmul__` and `Tensor.__add__`. So each
# call has two times:
#
# ```text
# nn.Module: Linear   |------------------------------|   total 30 us
#   Tensor.__matmul__    |----------------|              total 17 us
#   Tensor.__add__                          |-----|      total  6 us
#                                                         self of Linear = 30 - 17 - 6 = 7 us
# ```
#
# The **total** time (PyTorch's `cpu_time_total`) is end minus start. The **self** time
# (`self_cpu_time_total`) is the total minus the total of the calls made directly inside it: the time spent
# in that function's own lines. Self times never overlap, so they add up to the time the profiler saw, and
# sorting by self time finds the code that is itself slow; sorting by total time finds the expensive
# subtrees (the model's forward is always near the top).
#
# The bookkeeping is a **stack** of open calls. `enter(key)` pushes a frame holding the start time and the
# children's time so far (zero). `exit()` pops the frame, computes its total and self time, adds them to
# the key's running sums, and tells the parent (now the top of the stack) how long this child took. Only
# the direct parent learns about it: a grandchild was already counted inside the child's total.
#
# Your task: `_Recorder.exit`. The frame, `enter` and `add` (the running sums per key) are given.

# %%
#| export
#| default_exp core.profiling
import contextlib
import functools
import sys
import time
import types

import numpy as np

from tinytorch.core.autograd import Function, graph_footprint
from tinytorch.core.convolutions import Conv2d
from tinytorch.core.layers import Linear, Module
from tinytorch.core.optimizers import Optimizer
from tinytorch.core.tensor import Tensor

__all__ = ["profile", "record_function", "EventList", "FunctionEventAvg", "linear_flops", "conv2d_flops",
           "attention_flops", "model_memory", "amdahl"]


class _Frame:
    """One open call: its key, the clock when it started, and the total time of its direct children."""
    __slots__ = ("key", "start", "children")

    def __init__(self, key, start):
        self.key, self.start, self.children = key, start, 0.0


class _Recorder:
    """The stack of open calls and, per key, [calls, total seconds, self seconds, FLOPs]."""

    def __init__(self, clock=time.perf_counter):
        self.clock, self.stack, self.stats = clock, [], {}

    def enter(self, key):
        self.stack.append(_Frame(key, self.clock()))

    def add(self, key, total, self_time, flops=0):
        row = self.stats.setdefault(key, [0, 0.0, 0.0, 0])
        row[0] += 1
        row[1] += total
        row[2] += self_time
        row[3] += flops

    def exit(self, flops=0):
        """Close the innermost open call: record its total and self time (and FLOPs) under its key, and add
        its total to its parent's children time."""
        # HINT 1: The frame to close is the last one opened. Its total is the clock now minus its start; its
        # HINT 1: self time is that total minus the time its children took. The parent, if there is one,
        # HINT 1: must learn this call's TOTAL (not its self time: the parent did not run the grandchildren).
        # HINT 2: self.stack.pop() gives the frame; self.clock() the time now; after popping, the parent is
        # HINT 2: self.stack[-1] when the stack is not empty; record with self.add(key, total, self_time, flops).
        ### BEGIN SOLUTION
        frame = self.stack.pop()
        total = self.clock() - frame.start
        if self.stack:
            self.stack[-1].children += total
        self.add(frame.key, total, total - frame.children, flops)
        ### END SOLUTION


# %% [markdown]
# ### Check Part 1
# The check drives your recorder with a fake clock that ticks by known amounts, so every time is exact.

# %%
from tinytorch.checks.profiling import check_recorder

check_recorder(_Recorder)

# %% [markdown]
# ## Part 2 · Wrapping every op, restoring every method
#
# How does a profiler hear about every call? Module 06 showed the trick: replace a method on its class by a
# wrapper that does something, then calls the original. The profiler wraps, for the duration of the
# `with` block only,
#
# - the Tensor ops (`Tensor.__matmul__`, `Tensor.__add__`, `Tensor.sum`, ... and `Tensor.backward`),
#   on top of module 06's gradient-recording wrappers, so a row's time includes recording the graph;
# - the `backward` of every autograd `Function` (`MmBackward0`, `ReluBackward0`, ...): one row per node
#   type, which is where the backward pass spends its time;
# - `Module.__call__`: every layer and model call becomes a row named `nn.Module: Linear`;
# - each optimizer's `step` (`Optimizer.step#AdamW.step`, PyTorch's name);
# - functions that mark themselves as one op with a `profile_as = (key, flops)` attribute: a later module
#   that computes an op on numpy arrays directly, where no Tensor op is there to see it (module 17's fused
#   attention), is still timed and its FLOPs counted.
#
# The wrapper must be honest in two ways. If the original raises, the call still ends: the frame must be
# closed, or every later call would be counted as a child of a call that finished long ago (Python's
# `try`/`finally` is for this). And when the block ends, normally or by an exception, every method must be
# put back **exactly** as it was: the object that was in the class's `__dict__`, not a lookup through
# inheritance, or a profiled notebook stays slow (and wrong) for the rest of the session.
#
# `__enter__` (given) saves `(owner, name, original)` for every target and installs a wrapper made by
# `_wrap`. Your tasks: `_wrap` and `__exit__`.

# %%
#| export
_ACTIVE = []  # the running profile, if any: record_function reports to it


def _matmul_flops(result, a, b):
    """2 * M * K * N for a @ b (batched too): one multiply and one add per term of every output number."""
    return 2 * result.numel() * a.shape[-1] if isinstance(result, Tensor) and a.ndim >= 1 else 0


def _module_flops(result, module, input, *args, **kwargs):
    """FLOPs of the layers whose arithmetic is known (they include their children's, like their total time)."""
    if isinstance(module, Linear) and isinstance(input, Tensor):
        return linear_flops(input.numel() // module.in_features, module.in_features, module.out_features)
    if isinstance(module, Conv2d) and isinstance(input, Tensor):
        batch = input.shape[0] if input.ndim == 4 else 1
        return conv2d_flops(batch, module.in_channels, module.out_channels, module.kernel_size,
                            input.shape[-2:], module.stride, module.padding)
    return 0


_TENSOR_OPS = ["__add__", "__sub__", "__mul__", "__truediv__", "__radd__", "__rsub__", "__rmul__", "__rtruediv__",
               "__neg__", "__pow__", "__matmul__", "exp", "log", "sqrt", "abs", "sum", "mean", "max", "min",
               "reshape", "transpose", "permute", "__getitem__", "clone", "backward"]


def _node_name(node, *args, **kwargs):
    """A backward row's name: the node's own class, also when it inherits `backward` from a shared base."""
    return type(node).__name__


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _targets():
    """(owner, name, key, flops) for every method the profiler wraps: key is a row name or a function of
    the call's arguments; flops is None or a function (result, *args, **kwargs) -> FLOPs."""
    targets = [(Tensor, name, f"Tensor.{name}", _matmul_flops if name == "__matmul__" else None)
               for name in _TENSOR_OPS if name in vars(Tensor)]
    targets += [(fn, "backward", _node_name, None) for fn in _subclasses(Function) if "backward" in vars(fn)]
    targets.append((Module, "__call__", lambda module, *args, **kwargs: f"nn.Module: {type(module).__name__}",
                    _module_flops))
    targets += [(opt, "step", f"Optimizer.step#{opt.__name__}.step", None)
                for opt in _subclasses(Optimizer) if "step" in vars(opt)]
    return targets + _marked_functions()


def _marked_functions():
    """(module, name, key, flops) for every function with a `profile_as = (key, flops)` attribute, in every
    tinytorch module that holds it under a global name (where its callers look it up)."""
    return [(module, name, *value.profile_as) for module_name, module in list(sys.modules.items())
            if module_name.startswith("tinytorch.") and isinstance(module, types.ModuleType)
            for name, value in list(vars(module).items())
            if isinstance(value, types.FunctionType) and hasattr(value, "profile_as")]


class profile:
    """Time every Tensor op, autograd node, module call and optimizer step inside a `with` block, as
    torch.profiler.profile on the CPU: `with profile() as prof: ...`, then
    `print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))`.
    `with_flops=True` adds a FLOPs column (matmul, Linear and Conv2d). Times are microseconds, as PyTorch's.
    Differs from PyTorch: only the CPU exists (`activities` is accepted and ignored); no shapes or memory."""

    def __init__(self, activities=None, with_flops=False):
        self.with_flops = with_flops
        self._recorder = _Recorder()
        self._saved = []

    def __enter__(self):
        if _ACTIVE:
            raise RuntimeError("a tinytorch.profiler.profile is already running: profiles can't be nested")
        for owner, name, key, flops in _targets():
            original = vars(owner)[name]
            self._saved.append((owner, name, original))
            setattr(owner, name, self._wrap(original, key, flops))
        _ACTIVE.append(self)
        return self

    def _wrap(self, original, key, flops=None):
        """`original` wrapped so every call is one frame of the recorder named by `key` (a string, or a
        function of the call's arguments), with `flops(result, *args, **kwargs)` FLOPs when flops is given."""
        recorder = self._recorder
        # HINT 1: The wrapper opens a frame, runs the original, and closes the frame whatever happens: an
        # HINT 1: original that raises must still close its frame (and the exception must still reach the
        # HINT 1: caller). Keep the original's name and docstring, as module 06's wrappers do.
        # HINT 2: Decorate an inner function with functools.wraps(original); compute the row name first (call
        # HINT 2: key with the arguments when callable(key)); recorder.enter(name), then the original inside
        # HINT 2: try, and recorder.exit(...) in finally, with the FLOPs only when a result exists.
        ### BEGIN SOLUTION
        @functools.wraps(original)
        def profiled(*args, **kwargs):
            recorder.enter(key(*args, **kwargs) if callable(key) else key)
            result = None
            try:
                result = original(*args, **kwargs)
                return result
            finally:
                recorder.exit(flops(result, *args, **kwargs) if flops is not None and result is not None else 0)
        return profiled
        ### END SOLUTION

    def __exit__(self, exc_type, exc, traceback):
        """Put back every method exactly as it was, whether the block ended normally or by an exception."""
        # HINT 1: Everything __enter__ replaced is listed in self._saved; restore each original object on its
        # HINT 1: own class (the class's own __dict__ entry, so nothing is looked up through inheritance), and
        # HINT 1: do it in every case: an exception inside the block is exactly when a learner will rerun.
        # HINT 2: setattr(owner, name, original) for each saved triple (newest first is safest), then empty
        # HINT 2: self._saved. Don't look at exc_type.
        ### BEGIN SOLUTION
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved = []
        ### END SOLUTION
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        return False  # never swallow the block's exception

    def key_averages(self):
        """One FunctionEventAvg per row name, in the order first seen, as an EventList."""
        return EventList(FunctionEventAvg(key, *row) for key, row in self._recorder.stats.items())


class record_function(contextlib.ContextDecorator):
    """Label a region of code: inside a running profile it becomes a row named `name`, with its children
    subtracted from its self time, as torch.profiler.record_function. Outside a profile it does nothing.
    Works as a `with` block or a decorator."""

    def __init__(self, name):
        self.name, self._recorder = str(name), None

    def __enter__(self):
        self._recorder = _ACTIVE[-1]._recorder if _ACTIVE else None
        if self._recorder is not None:
            self._recorder.enter(self.name)
        return self

    def __exit__(self, *exc):
        if self._recorder is not None:
            self._recorder.exit()
            self._recorder = None
        return False


# %% [markdown]
# The rows and the table are given: `key_averages()` gives one `FunctionEventAvg` per name with PyTorch's
# attribute names (`key`, `count`, `cpu_time_total`, `self_cpu_time_total`, `cpu_time` the average, `flops`;
# times in microseconds), and `table(sort_by=..., row_limit=...)` prints them as PyTorch does: self time
# and its share of the total, total time, average, calls, FLOPs.

# %%
#| export
class FunctionEventAvg:
    """One row of a profile: every call of `key` summed. Times in microseconds, as PyTorch's."""

    def __init__(self, key, count, total_seconds, self_seconds, flops=0):
        self.key, self.count, self.flops = key, count, flops
        self.cpu_time_total, self.self_cpu_time_total = total_seconds * 1e6, self_seconds * 1e6

    @property
    def cpu_time(self):
        """Average total time of one call, in microseconds."""
        return self.cpu_time_total / self.count

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total:.3f}us "
                f"cpu_time={self.cpu_time_total:.3f}us count={self.count}>")


_SORT_KEYS = ("self_cpu_time_total", "cpu_time_total", "cpu_time", "count", "flops")


def _format_time(us):
    return f"{us / 1e6:.3f}s" if us >= 1e6 else f"{us / 1e3:.3f}ms" if us >= 1e3 else f"{us:.3f}us"


class EventList(list):
    """The rows of a profile (a list of FunctionEventAvg) with PyTorch's `table()`."""

    def self_cpu_time_total(self):
        return sum(row.self_cpu_time_total for row in self)

    def table(self, sort_by=None, row_limit=100):
        """The rows as text, largest `sort_by` first (one of self_cpu_time_total, cpu_time_total, cpu_time,
        count, flops; None keeps the order first seen), at most `row_limit` of them."""
        if sort_by is not None and sort_by not in _SORT_KEYS:
            raise ValueError(f"table(sort_by={sort_by!r}): sort by one of {', '.join(_SORT_KEYS)}")
        rows = sorted(self, key=lambda row: getattr(row, sort_by), reverse=True) if sort_by else list(self)
        rows = rows[:row_limit] if row_limit is not None and row_limit >= 0 else rows
        everything = self.self_cpu_time_total() or 1.0
        width = max([len("Name")] + [len(row.key) for row in rows]) + 2
        headers = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls", "Total FLOPs"]
        rule = "-" * width + "".join("  " + "-" * 12 for _ in headers)
        lines = [rule, "Name".ljust(width) + "".join(f"  {h:>12}" for h in headers), rule]
        for row in rows:
            cells = [f"{row.self_cpu_time_total / everything:.2%}", _format_time(row.self_cpu_time_total),
                     f"{row.cpu_time_total / everything:.2%}", _format_time(row.cpu_time_total),
                     _format_time(row.cpu_time), str(row.count), f"{row.flops:,}" if row.flops else "--"]
            lines.append(row.key.ljust(width) + "".join(f"  {cell:>12}" for cell in cells))
        lines += [rule, f"Self CPU time total: {_format_time(self.self_cpu_time_total())}"]
        return "\n".join(lines)

    def __str__(self):
        return self.table()


# %% [markdown]
# ### Check Part 2
# The check profiles a small model whose calls it knows, with a fake clock: exact call counts, self time
# equal to total minus children through nested modules, an op that raises inside the block, an exception
# that leaves the block, and every method back in place afterwards.

# %%
from tinytorch.checks.profiling import check_profile

check_profile(profile)

# %% [markdown]
# ## Part 3 · Counting FLOPs and bytes
#
# Time says how long, FLOPs say how much work. A **FLOP** here is one floating-point multiply or add, and
# a multiply-accumulate `s += a * b` is two. The layers that do nearly all the arithmetic are dot products:
#
# - `Linear(in, out)` on a batch of `B` rows computes `B·out` outputs, each a dot product of length `in`:
#   **2·B·in·out** FLOPs (the bias's `B·out` adds are small and, as in PyTorch's counter, left out).
# - `Conv2d(C_in, C_out, K)` computes `B·C_out·H_out·W_out` outputs, each a dot product over a `C_in × K × K`
#   patch: **2·B·C_out·H_out·W_out·C_in·K²**. Mind which `H` and `W`: the **output's**,
#   `H_out = (H + 2·padding − K) // stride + 1` (module 09), not the input's.
# - attention over `T` positions, `H` heads of size `d`: the scores `Q Kᵀ` are `T×T` dot products of
#   length `d`, and `weights @ V` another `T×d` outputs of length `T`: `2·T²·d` each, so
#   **4·B·H·T²·d** (the softmax's few operations per score are left out).
#
# FLOPs divided by time is the **throughput** an op reaches (GFLOP/s); the profiler's FLOPs column
# multiplied out by hand is how you trust it. `kernel_size`, `stride` and `padding` may be an int or a pair,
# as in `Conv2d`.
#
# Memory has two parts: the **parameters** (fixed by the model) and the **activations** the autograd graph
# keeps until `backward()` (they grow with the batch). `model_memory` (given) counts both, the second with
# module 06's `graph_footprint`.
#
# Your task: the three FLOP formulas.

# %%
#| export
def _pair(value):
    return (int(value), int(value)) if np.ndim(value) == 0 else (int(value[0]), int(value[1]))


def linear_flops(batch, in_features, out_features):
    """FLOPs of Linear(in_features, out_features) on `batch` rows: one multiply and one add per weight use."""
    # HINT 1: Count the output numbers, then the work for each: a dot product of length in_features is
    # HINT 1: in_features multiplies and in_features adds. Leave the bias out.
    # HINT 2: An int, the product of batch, in_features, out_features and the factor for multiply + add.
    ### BEGIN SOLUTION
    return 2 * batch * in_features * out_features
    ### END SOLUTION


def conv2d_flops(batch, in_channels, out_channels, kernel_size, input_size, stride=1, padding=0):
    """FLOPs of Conv2d(in_channels, out_channels, kernel_size, stride, padding) on `batch` images of
    size `input_size` (H, W): 2 per multiply-accumulate, over every output position."""
    (kh, kw), (sh, sw), (ph, pw), (h, w) = _pair(kernel_size), _pair(stride), _pair(padding), _pair(input_size)
    # HINT 1: First the output size along each axis (module 09's formula with padding and stride), then count:
    # HINT 1: every output number (batch x out_channels x H_out x W_out) is a dot product over one input patch
    # HINT 1: of in_channels x kh x kw numbers, and each term is a multiply and an add.
    # HINT 2: Integer division // for the output size; multiply the counts with the patch size and 2. Use the
    # HINT 2: OUTPUT height and width, not h and w.
    ### BEGIN SOLUTION
    h_out, w_out = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    return 2 * batch * out_channels * h_out * w_out * in_channels * kh * kw
    ### END SOLUTION


def attention_flops(batch, num_heads, seq_len, head_dim):
    """FLOPs of the two matrix products of attention, Q @ K^T and weights @ V, over every head."""
    # HINT 1: Two products, each with T x T dot products of length d or T x d dot products of length T: the
    # HINT 1: same count. Each term is a multiply and an add; every head of every batch element does both.
    # HINT 2: batch * num_heads * (the FLOPs of one product) * 2 products; one product is 2 * T * T * d.
    ### BEGIN SOLUTION
    return 4 * batch * num_heads * seq_len * seq_len * head_dim
    ### END SOLUTION


def model_memory(model, *inputs):
    """Bytes of `model`'s parameters, and of the activations its forward pass on `inputs` keeps alive for
    backward (module 06's graph_footprint, minus the parameters and the inputs it also counts)."""
    parameters = sum(p.data.nbytes for p in model.parameters())
    inputs_bytes = sum(x.data.nbytes for x in inputs if isinstance(x, Tensor))
    output = model(*inputs)
    footprint = graph_footprint(output.sum())[1]
    return {"parameters": parameters, "activations": footprint - parameters - inputs_bytes}


# %% [markdown]
# ### Check Part 3
# Each formula is compared with an independent count: a loop that walks every output number and every term
# of its dot product, on small sizes, with stride, padding and non-square kernels.

# %%
from tinytorch.checks.profiling import check_flops

check_flops(linear_flops, conv2d_flops, attention_flops)

# %% [markdown]
# ## Part 4 · Amdahl's law
#
# Say an op takes a fraction `f` of a step's time and you make it `s` times faster. The rest, `1 − f`, is
# untouched, so the new time is `(1 − f) + f / s` of the old, and the whole step gets
#
# ```text
# speed-up = 1 / ((1 − f) + f / s)
# ```
#
# faster (Gene Amdahl, 1967). The surprise is how little it is: 2x on an op that takes 70% of the time gives
# `1 / (0.3 + 0.35) = 1.54x`, and even an infinitely fast op gives only `1 / (1 − f) = 3.3x`. The part you
# did not speed up becomes the limit. That is why we profile first: speeding up an op that takes 5% of the
# time can never buy more than 5%.
#
# Your task: `amdahl(fraction, speedup)`. Refuse a fraction outside [0, 1] or a speed-up that is not
# positive with a `ValueError` naming the value.

# %%
#| export
def amdahl(fraction, speedup):
    """Overall speed-up when a part taking `fraction` of the time runs `speedup` times faster."""
    # HINT 1: The new time, as a share of the old, is the untouched part plus the sped-up part divided by its
    # HINT 1: speed-up; the overall speed-up is old time over new time. Check the arguments first.
    # HINT 2: Raise ValueError mentioning "fraction" (not within 0..1) or "speedup" (not > 0), with the value;
    # HINT 2: then return 1 divided by the new share.
    ### BEGIN SOLUTION
    if not 0 <= fraction <= 1:
        raise ValueError(f"amdahl: fraction must be between 0 and 1, got {fraction}")
    if not speedup > 0:
        raise ValueError(f"amdahl: speedup must be positive, got {speedup}")
    return 1 / ((1 - fraction) + fraction / speedup)
    ### END SOLUTION


# %% [markdown]
# ### Check Part 4

# %%
from tinytorch.checks.profiling import check_amdahl

check_amdahl(amdahl)

# %% [markdown]
# ## Use it · profiling real training steps
#
# The package's profiler is yours: `tinytorch.profiler.profile` is the class you just wrote. First one
# training step of an MLP on TinyDigits (module 08's model), profiled over 20 steps, with a
# `record_function` around each phase so the table also shows forward, backward and step as rows.

# %%
import sys

import tinytorch
from tinytorch import nn, optim
from tinytorch.datasets import load_tinydigits
from tinytorch.nn import functional as F

print(f"running on {sys.platform} (emscripten = the browser)")
(X_train, y_train), _ = load_tinydigits()
tinytorch.manual_seed(14)
mlp = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
mlp_optimizer = optim.SGD(mlp.parameters(), lr=0.1, momentum=0.9)
images = Tensor(X_train[:64].reshape(64, 64))
labels = Tensor(y_train[:64], dtype=np.int64)


def mlp_step():
    with record_function("forward"):
        loss = F.cross_entropy(mlp(images), labels)
    with record_function("backward"):
        mlp_optimizer.zero_grad()
        loss.backward()
    with record_function("step"):
        mlp_optimizer.step()
    return loss


mlp_step()  # once unprofiled: the first call pays one-off costs
with profile(with_flops=True) as prof:
    for _ in range(20):
        mlp_step()
print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))

# %% [markdown]
# Now a small GPT (module 13), one training step profiled: more kinds of op, and attention.

# %%
from tinytorch.core.transformers import GPT

tinytorch.manual_seed(14)
gpt = GPT(vocab_size=32, block_size=32, n_layer=2, n_head=2, n_embd=32)
gpt_optimizer = optim.AdamW(gpt.parameters(), lr=1e-3)
ids = Tensor(np.random.default_rng(14).integers(0, 32, (8, 33)), dtype=np.int64)


def gpt_step():
    gpt_optimizer.zero_grad()
    logits = gpt(ids[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, 32), ids[:, 1:].reshape(-1))
    loss.backward()
    gpt_optimizer.step()
    return loss


gpt_step()  # once unprofiled: the first call pays one-off costs
with profile(with_flops=True) as gpt_prof:
    for _ in range(3):
        gpt_step()
print(gpt_prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))

# %% [markdown]
# ### Amdahl on the real profile, then verified
#
# Take the op with the most self time (a Tensor op or an autograd node: those are pure functions, so running
# them twice is harmless), its share `f` of the step, and predict what making it 2x faster buys.
#
# Then verify. There is no simple way to make numpy's kernel 2x faster, but Amdahl's law works both ways: a
# slow-down is a speed-up below 1. Make the op exactly 3x **slower** (run it three times) and the law predicts
# the step's new time: `1 / amdahl(f, 1/3) = (1 − f) + 3f` of the old. Measuring that checks the same `f` and
# the same law the 2x prediction rests on (a slow-down of 3 gives a bigger signal than the clock's noise).

# %%
from tinytorch.timing import time_per_call


def hottest(prof):
    """The row with the most self time among the pure ops (Tensor ops but backward, autograd nodes)."""
    pure = [row for row in prof.key_averages()
            if (row.key.startswith("Tensor.") and row.key != "Tensor.backward") or row.key.endswith("Backward0")]
    return max(pure, key=lambda row: row.self_cpu_time_total)


def slowed(key, times=3):
    """A context manager running the op named `key` `times` times per call (so it takes that much longer)."""
    owner, name = (Tensor, key[len("Tensor."):]) if key.startswith("Tensor.") else \
        (next(fn for fn in _subclasses(Function) if fn.__name__ == key), "backward")
    original = vars(owner)[name]

    @functools.wraps(original)
    def repeated(*args, **kwargs):
        for _ in range(times - 1):
            original(*args, **kwargs)
        return original(*args, **kwargs)

    @contextlib.contextmanager
    def installed():
        setattr(owner, name, repeated)
        try:
            yield
        finally:
            setattr(owner, name, original)
    return installed()


for label, step, steps in (("MLP", mlp_step, 20), ("GPT", gpt_step, 4)):
    with profile() as p:
        for _ in range(steps):
            step()
    base = time_per_call(step, repeat=3)
    top = hottest(p)
    f = top.self_cpu_time_total / p.key_averages().self_cpu_time_total()  # its share of the profiled time
    with slowed(top.key):
        slow = time_per_call(step, repeat=3)
    print(f"{label}: hottest op {top.key}: {f:.0%} of a {base * 1e3:.2f} ms step -> 2x faster would give "
          f"{amdahl(f, 2):.2f}x overall")
    print(f"     verified by slowing it 3x: step {slow * 1e3:.2f} ms; predicted {1 / amdahl(f, 1 / 3):.2f}x the "
          f"time, measured {slow / base:.2f}x")

# %% [markdown]
# The share `f` comes from the profiled run and the times from unprofiled ones; the profiler's own overhead
# (next section) adds about the same to every call, so the shares barely move. Expect the prediction within a
# few percent: the clock, the cache and the machine's other work add noise of that size.
#
# ## Systems analysis · measured
#
# ### 1. What profiling costs
# Every wrapped call now runs two clock reads, a dict update and a Python function call more. Time the same
# step with and without the profiler, and divide the difference by the number of calls it saw. The cost is a
# microsecond or two per call, a few percent of a step; on a busy machine it can drown in the noise (even
# come out negative), which is itself a measurement: it is small.

# %%
for label, step in (("MLP", mlp_step), ("GPT", gpt_step)):
    plain = time_per_call(step, repeat=3)
    with profile() as p:
        profiled = time_per_call(step, repeat=3)
    rows = p.key_averages()
    runs = next(row.count for row in rows if row.key.startswith("Optimizer.step"))  # steps time_per_call ran
    calls = sum(row.count for row in rows if row.key not in ("forward", "backward", "step")) / runs
    print(f"{label}: {plain * 1e3:.2f} ms plain, {profiled * 1e3:.2f} ms profiled ({profiled / plain:.2f}x); "
          f"{calls:.0f} wrapped calls per step, {(profiled - plain) / calls * 1e6:.1f} us each")

# %% [markdown]
# ### 2. Where a training step spends its time
# Group the GPT profile's self time: the forward's Tensor ops, the backward's autograd nodes, the optimizer,
# the module calls' own Python (their self time: argument checks, attribute lookups), and the throughput in
# GFLOP/s of the rows that count FLOPs (the Linear layers and attention: the step's matrix products).

# %%
with profile(with_flops=True) as gpt_prof:  # a fresh profile of three GPT steps
    for _ in range(3):
        gpt_step()
rows = gpt_prof.key_averages()
groups = {"forward Tensor ops": 0.0, "autograd nodes (backward)": 0.0, "optimizer step": 0.0,
          "nn.Module calls (own Python)": 0.0, "other": 0.0}
for row in rows:
    group = ("autograd nodes (backward)" if row.key.endswith("Backward0") else
             "optimizer step" if row.key.startswith("Optimizer.") else
             "nn.Module calls (own Python)" if row.key.startswith("nn.Module") else
             "forward Tensor ops" if row.key.startswith("Tensor.") else "other")
    groups[group] += row.self_cpu_time_total
everything = rows.self_cpu_time_total()
for group, us in groups.items():
    print(f"{group:<30} {us / 1e3:8.2f} ms  {us / everything:6.1%}")
for row in rows:
    if row.flops:
        print(f"{row.key}: {row.count} calls, {row.flops / 1e6:.1f} MFLOP, "
              f"{row.flops / row.cpu_time_total / 1e3:.2f} GFLOP/s "
              f"({row.flops / row.count / 1e3:.0f} kFLOP per call on average)")

# %% [markdown]
# Small matrices make `@` cheap per call, so a CPython step at this size is dominated by the **number** of
# calls (each a few microseconds of Python and numpy dispatch), not by FLOPs: the backward nodes and the
# optimizer's per-parameter loop weigh as much as the matmuls. The matmul reaches only a small fraction of
# what the CPU can do on large matrices.
#
# **The browser's profile is different.** Pyodide's numpy has no optimised BLAS in WebAssembly: matrix
# products run 20–70x slower than CPython's at large sizes, element-wise ops about 10x, Python itself only a
# few times slower. Measured with `/work/shared/pyodide-node` (Pyodide 0.27.7 in Node) on this notebook's
# code, with the package as it is after module 17 (fused `Linear` and attention): the GPT step takes about
# 19–22 ms there against about 4 ms here; the Linear layers reach about 3.7 GFLOP/s there against about 30;
# the hottest op is the Linear layers' backward node (`AddmmBackward0`) with 27–32% of the step (on CPython
# the profile is flat, 8–16% for its hottest op, which changes from run to run), and the autograd nodes
# take 44% of the time there against 27% here. So in the browser a faster matmul would pay off (Amdahl:
# 2x on 32% gives 1.19x), on CPython at this size hardly at all. Run this notebook in both places and compare the tables: `sys.platform` printed above says
# where you are.
#
# ### 3. FLOPs: formula against the profiler
# Profile one attention call and compare the FLOPs the profiler counted for it (its row, from the function's
# own `profile_as` count of its two matrix products) with `attention_flops`; and a Linear and a Conv2d
# layer's row with your formulas.

# %%
B, H, T, D = 2, 4, 16, 8
q, k, v = (Tensor(np.random.default_rng(i).standard_normal((B, H, T, D)).astype(np.float32)) for i in range(3))
with profile(with_flops=True) as p:
    F.scaled_dot_product_attention(q, k, v, is_causal=True)
counted = next(row.flops for row in p.key_averages() if row.key == "nn.functional.scaled_dot_product_attention")
print(f"attention B={B} H={H} T={T} d={D}: profiler {counted:,} FLOPs, formula {attention_flops(B, H, T, D):,}")

conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
with profile(with_flops=True) as p:
    conv(Tensor(np.zeros((4, 3, 16, 16), dtype=np.float32)))
    nn.Linear(64, 32)(Tensor(np.zeros((10, 64), dtype=np.float32)))
for row in p.key_averages():
    if row.key.startswith("nn.Module"):
        print(f"{row.key:<20} {row.flops:>10,} FLOPs")
print(f"formulas: Conv2d {conv2d_flops(4, 3, 8, 3, (16, 16), 2, 1):,}, Linear {linear_flops(10, 64, 32):,}")

# %% [markdown]
# ### 4. Memory: parameters against activations
# Parameters are fixed; the activations the graph keeps grow with the batch (and for the GPT with `T²`).

# %%
print(f"{'model':<6} {'batch':>6} {'parameters':>12} {'activations':>12}")
for batch in (16, 64, 256):
    m = model_memory(mlp, Tensor(X_train[:batch].reshape(batch, 64)))
    print(f"{'MLP':<6} {batch:>6} {m['parameters'] / 1e3:>10.1f} kB {m['activations'] / 1e3:>10.1f} kB")
for batch in (2, 8):
    m = model_memory(gpt, Tensor(np.zeros((batch, 32)), dtype=np.int64))
    print(f"{'GPT':<6} {batch:>6} {m['parameters'] / 1e3:>10.1f} kB {m['activations'] / 1e3:>10.1f} kB")

# %% [markdown]
# ## Reflect
#
# Answer with a number first, then check it in a new cell.
#
# 1. An op takes 40% of a step. What is the most any speed-up of it can buy? Check with `amdahl(0.4, 1e9)`.
# 2. What does `conv2d_flops(1, 3, 16, 3, (32, 32), stride=1, padding=1)` return? Work it out by hand, then
#    profile `nn.Conv2d(3, 16, 3, padding=1)` on one 32x32 image with `with_flops=True` and read its row.
# 3. In the MLP table, which takes more self time: the three Linear layers' forward (`nn.Module: Linear`)
#    or their backward (`AddmmBackward0`: the package's `Linear` records one fused node per call, as module
#    17 shows)? Predict from the products each side computes, then read both off `prof.key_averages()`.
# 4. Double the MLP's batch to 128: predict whether the profiler's overhead per step (section 1) changes, then
#    measure it.
# 5. Run a cell that raises inside `with profile():` and then time `a @ b` with `time_per_call`: is it as fast
#    as before? Check `Tensor.__matmul__.__name__` and `vars(Tensor)["__matmul__"]` to see why.
#
# **Next:** the optimisation modules change one thing at a time and measure it with this profiler; module 18
# (Memoization) caches attention's keys and values, and Amdahl's law on the GPT profile predicts its gain.
