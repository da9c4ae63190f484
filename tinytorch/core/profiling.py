"""Generated from content/14_profiling.py by scripts/build_content.py: edit the source, not this file."""
# From content/14_profiling.py, cell 2 (Part 1 · Self time and total time)
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
        frame = self.stack.pop()
        total = self.clock() - frame.start
        if self.stack:
            self.stack[-1].children += total
        self.add(frame.key, total, total - frame.children, flops)


# From content/14_profiling.py, cell 6 (Part 2 · Wrapping every op, restoring every method)
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

    def __exit__(self, exc_type, exc, traceback):
        """Put back every method exactly as it was, whether the block ended normally or by an exception."""
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved = []
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


# From content/14_profiling.py, cell 8 (Part 2 · Wrapping every op, restoring every method)
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


# From content/14_profiling.py, cell 12 (Part 3 · Counting FLOPs and bytes)
def _pair(value):
    return (int(value), int(value)) if np.ndim(value) == 0 else (int(value[0]), int(value[1]))


def linear_flops(batch, in_features, out_features):
    """FLOPs of Linear(in_features, out_features) on `batch` rows: one multiply and one add per weight use."""
    return 2 * batch * in_features * out_features


def conv2d_flops(batch, in_channels, out_channels, kernel_size, input_size, stride=1, padding=0):
    """FLOPs of Conv2d(in_channels, out_channels, kernel_size, stride, padding) on `batch` images of
    size `input_size` (H, W): 2 per multiply-accumulate, over every output position."""
    (kh, kw), (sh, sw), (ph, pw), (h, w) = _pair(kernel_size), _pair(stride), _pair(padding), _pair(input_size)
    h_out, w_out = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    return 2 * batch * out_channels * h_out * w_out * in_channels * kh * kw


def attention_flops(batch, num_heads, seq_len, head_dim):
    """FLOPs of the two matrix products of attention, Q @ K^T and weights @ V, over every head."""
    return 4 * batch * num_heads * seq_len * seq_len * head_dim


def model_memory(model, *inputs):
    """Bytes of `model`'s parameters, and of the activations its forward pass on `inputs` keeps alive for
    backward (module 06's graph_footprint, minus the parameters and the inputs it also counts)."""
    parameters = sum(p.data.nbytes for p in model.parameters())
    inputs_bytes = sum(x.data.nbytes for x in inputs if isinstance(x, Tensor))
    output = model(*inputs)
    footprint = graph_footprint(output.sum())[1]
    return {"parameters": parameters, "activations": footprint - parameters - inputs_bytes}


# From content/14_profiling.py, cell 16 (Part 4 · Amdahl's law)
def amdahl(fraction, speedup):
    """Overall speed-up when a part taking `fraction` of the time runs `speedup` times faster."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"amdahl: fraction must be between 0 and 1, got {fraction}")
    if not speedup > 0:
        raise ValueError(f"amdahl: speedup must be positive, got {speedup}")
    return 1 / ((1 - fraction) + fraction / speedup)
