# %% [markdown]
# # Module 15 · Quantization: INT8 weights and activations
#
# A trained model stores every weight as a float32: 4 bytes. Most of those bits are noise. A layer's
# weights live in a narrow range, and 256 evenly spaced levels across that range describe them almost as
# well as 4 billion. **Quantization** stores each number as an 8-bit integer plus one shared float, the
# *scale*: the model becomes 4x smaller, moves 4x fewer bytes from memory, and on hardware with integer
# units (phones, CPUs with int8 dot-product instructions, accelerators) runs its matrix products in
# integers. The price is a rounding error on every number. This module builds the map between floats
# and integers, chooses its parameters from data, quantizes a whole model as `torch.ao.quantization.
# quantize_dynamic` does, and **measures** what it costs in accuracy and what it saves in bytes.
#
# ```text
# Connection map
#   Prerequisites : 03 Layers (Module, Linear, Sequential: the layers we replace)
#                   08 Training (train a model, evaluate it)
#                   09 Convolutions (the CNN whose conv weights we also quantize)
#                   14 Profiling (bytes and time of a layer)
#   Focus (15)    : the affine map q = clamp(round(x / scale) + zero_point), symmetric vs affine,
#                   per-tensor vs per-channel, observers (calibration from data), outliers and clipping,
#                   quantize_dynamic: int8 weights, dynamically quantized activations, int32 accumulation
#   Unlocks       : 16 Compression (fewer weights instead of fewer bits), 19 Benchmarking (is a 1% accuracy
#                   loss real?), 20 Capstone (a smaller model to submit)
# ```
#
# ## Learning objectives
# By the end you will be able to
# 1. compute a scale and an integer zero point from a range, for the symmetric and the affine scheme, and
#    say why the zero point must be an integer;
# 2. quantize and dequantize a tensor per tensor and per channel, with the same integers as
#    `torch.quantize_per_tensor` and `torch.quantize_per_channel`;
# 3. calibrate from data with observers (`MinMaxObserver`, `MovingAverageMinMaxObserver`) and explain what
#    one outlier does to min/max, and what clipping does;
# 4. write `quantize_dynamic(model)`: a copy of the model whose `Linear` layers keep int8 weights, quantize
#    their input on every call and multiply in integers accumulated in int32;
# 5. **measure**: bytes of float and int8 models, the accuracy of the TinyDigits MLP and a CNN before and
#    after, the error against the number of bits, and the time of an int8 layer in numpy.

# %% [markdown]
# ## Part 1 · The affine map: scale and zero point
#
# An integer type has a range `[qmin, qmax]`: `[-128, 127]` for int8 (PyTorch's `qint8`), `[0, 255]`
# for uint8 (`quint8`). A float `x` is stored as the integer
#
# ```text
#   q = clamp(round(x / scale + zero_point), qmin, qmax)      (quantize)
#   x ≈ (q - zero_point) · scale                              (dequantize)
# ```
#
# (PyTorch computes `x / scale` as `x · (1 / scale)` in float32, one division for the whole tensor and then
# cheap multiplications, and rounds after adding the zero point; we do the same, so our integers are
# PyTorch's exactly, ties included.)
#
# `scale` is the float step between neighbouring levels; `zero_point` is the integer that stands for 0.0.
# Rounding costs at most `scale / 2` per number inside the range; `clamp` handles numbers outside it (they
# become the nearest end: the *clipping* error, unbounded). Rounding is numpy's `np.round`, **half to
# even** (2.5 → 2, 3.5 → 4), which is what PyTorch does too. Truncating with `astype` instead would round
# every positive number down and every negative one up: a bias, not just noise.
#
# Two ways to pick the parameters from a range `[min_val, max_val]`, both as `torch.ao.quantization`'s
# observers compute them. First the range is widened to include 0 (`min_neg = min(min_val, 0)`,
# `max_pos = max(max_val, 0)`), so that 0.0 is always representable.
#
# * **Affine** (asymmetric): the range `[min_neg, max_pos]` is spread over all `qmax - qmin` steps:
#   `scale = (max_pos - min_neg) / (qmax - qmin)`, and the zero point is the integer that lands on 0.0:
#   `zero_point = qmin - round(min_neg / scale)`, clamped into `[qmin, qmax]`. Good for values that are
#   all positive (after a ReLU): no level is wasted on negatives.
# * **Symmetric**: the zero point is fixed (0 for int8; 128 for uint8) and the scale covers `±max|x|`:
#   `scale = max(-min_neg, max_pos) / ((qmax - qmin) / 2)`. Good for weights, which are centred on 0, and
#   cheaper in integer arithmetic (no zero point to subtract). We follow PyTorch and use the whole range
#   `[-128, 127]`, so the step is `max|x| / 127.5`: `±max|x|` land on about ±127.5, so `+max|x|` is clamped
#   to 127 and `-max|x|` becomes -128 or -127 (the last bit of float32 decides the tie): an error of half a
#   step at most, like any rounding. Some libraries prefer `[-127, 127]` with `max|x| / 127`, which is
#   exactly symmetric and one level poorer.
#
# **Why the zero point is an integer.** The stored `q` is an integer; if `zero_point` were 3.4, then 0.0
# would sit between two levels and could never be stored exactly. Exact zeros matter: zero padding in a
# convolution, ReLU outputs, and the integer matrix product below subtracts the zero point from integers.
# A scale below `float32`'s epsilon (a range of all zeros) is raised to that epsilon, so nothing divides
# by 0.
#
# `calculate_qparams` works element-wise, so the same function serves one range (per tensor) or an array
# of ranges (per channel, Part 2). You write it.

# %%
#| export
#| default_exp core.quantization
import copy
import numbers

import numpy as np

from tinytorch.autograd.grad_mode import no_grad
from tinytorch.core.layers import Linear, Module
from tinytorch.core.tensor import Tensor

__all__ = ["calculate_qparams", "QuantizedTensor", "quantize_per_tensor", "quantize_per_channel",
           "fake_quantize_per_channel_affine", "MinMaxObserver", "PerChannelMinMaxObserver",
           "MovingAverageMinMaxObserver", "DynamicQuantizedLinear", "quantize_dynamic", "model_nbytes"]

QSCHEMES = ("per_tensor_affine", "per_tensor_symmetric", "per_channel_affine", "per_channel_symmetric")
_DTYPE_NAMES = {np.dtype(np.int8): "qint8", np.dtype(np.uint8): "quint8"}
EPS = float(np.finfo(np.float32).eps)  # the smallest scale PyTorch's observers allow


def quant_range(dtype):
    """(qmin, qmax) of an 8-bit quantized dtype: np.int8 (torch.qint8) or np.uint8 (torch.quint8)."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        dtype = None
    if dtype not in _DTYPE_NAMES:
        raise ValueError(f"quantized dtype must be np.int8 (torch.qint8) or np.uint8 (torch.quint8), got {dtype!r}")
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def _check_qscheme(qscheme):
    if qscheme not in QSCHEMES:
        raise ValueError(f"qscheme must be one of {', '.join(QSCHEMES)}; got {qscheme!r}")
    return qscheme


def calculate_qparams(min_val, max_val, dtype=np.uint8, qscheme="per_tensor_affine"):
    """(scale, zero_point) mapping [min_val, max_val] (widened to include 0) onto dtype's integer range, as
    torch.ao.quantization observers compute them. Scalars give (float, int); arrays of per-channel ranges give
    (float32 array, int64 array)."""
    qmin, qmax = quant_range(dtype)
    symmetric = _check_qscheme(qscheme).endswith("symmetric")
    min_val = np.asarray(min_val, dtype=np.float32)
    max_val = np.asarray(max_val, dtype=np.float32)
    if min_val.shape != max_val.shape or np.any(min_val > max_val):
        raise ValueError(f"calculate_qparams: min_val {min_val} must not exceed max_val {max_val} (same shapes)")
    # HINT 1: Widen the range to include 0 first (0.0 must be representable). Affine: the width max - min spread
    # HINT 1: over qmax - qmin steps, and the zero point is the INTEGER level that lands on 0.0, kept inside the
    # HINT 1: range. Symmetric: the larger of |min| and |max| over half the steps, zero point 0 for int8 and 128
    # HINT 1: for uint8. Never let the scale fall below EPS (an all-zero range).
    # HINT 2: `np.minimum(min_val, 0)`, `np.maximum(max_val, 0)`, `np.maximum(scale, EPS)` with float32 arithmetic;
    # HINT 2: `np.round` then `np.clip(..., qmin, qmax)` and `.astype(np.int64)` for the zero point. Return
    # HINT 2: `(float(scale), int(zero_point))` when min_val.ndim == 0, else the two arrays.
    ### BEGIN SOLUTION
    min_neg = np.minimum(min_val, np.float32(0))
    max_pos = np.maximum(max_val, np.float32(0))
    if symmetric:
        scale = np.maximum(-min_neg, max_pos) / np.float32((qmax - qmin) / 2)
        scale = np.maximum(scale, np.float32(EPS))
        zero_point = np.full(scale.shape, 0 if qmin < 0 else 128, dtype=np.int64)
    else:
        scale = (max_pos - min_neg) / np.float32(qmax - qmin)
        scale = np.maximum(scale, np.float32(EPS))
        zero_point = np.clip(qmin - np.round(min_neg / scale), qmin, qmax).astype(np.int64)
    if min_val.ndim == 0:
        return float(scale), int(zero_point)
    return scale.astype(np.float32), zero_point
    ### END SOLUTION


# %% [markdown]
# ### Check Part 1a
# Ranges that are all positive, all negative, symmetric, lopsided, a single point and all zeros, for both
# dtypes and both schemes, against the formulas; the zero point must be an integer inside the range and
# must map back to exactly 0.0.

# %%
from tinytorch.checks.quantization import check_calculate_qparams

check_calculate_qparams(calculate_qparams)

# %% [markdown]
# ### A quantized tensor
#
# PyTorch returns a *quantized tensor*: it holds the integers and the parameters together, and answers
# `int_repr()` (the integers), `dequantize()` (the floats they stand for), `q_scale()`, `q_zero_point()`,
# `qscheme()`. `QuantizedTensor` is our small version of it (given); you write `quantize_per_tensor`,
# which makes one, and its `dequantize`. Its bytes are the integers' bytes plus the parameters: for a weight
# of a million numbers, one float of scale is nothing, and 1 byte per number instead of 4 is the 4x.

# %%
#| export
class QuantizedTensor:
    """Integers plus the (scale, zero_point) that map them back to floats, as PyTorch's quantized tensors
    (int_repr, dequantize, q_scale, q_zero_point, q_per_channel_*, qscheme). Inference only: no gradients."""

    def __init__(self, int_repr, scale, zero_point, qscheme="per_tensor_affine", axis=None):
        self._int_repr = np.asarray(int_repr)
        quant_range(self._int_repr.dtype)
        self._qscheme = _check_qscheme(qscheme)
        if qscheme.startswith("per_channel"):
            self._scale = np.asarray(scale, dtype=np.float64).reshape(-1)
            self._zero_point = np.asarray(zero_point, dtype=np.int64).reshape(-1)
            self._axis = int(axis)
        else:
            self._scale, self._zero_point, self._axis = float(scale), int(zero_point), None

    @property
    def shape(self):
        return self._int_repr.shape

    @property
    def dtype(self):
        """'qint8' or 'quint8' (PyTorch's names for signed and unsigned 8-bit quantized tensors)."""
        return _DTYPE_NAMES[self._int_repr.dtype]

    def int_repr(self):
        """The stored integers, an int8 or uint8 Tensor."""
        return Tensor(self._int_repr.copy(), dtype=self._int_repr.dtype)

    def qscheme(self):
        return self._qscheme

    def q_scale(self):
        self._require("per_tensor", "q_scale")
        return self._scale

    def q_zero_point(self):
        self._require("per_tensor", "q_zero_point")
        return self._zero_point

    def q_per_channel_scales(self):
        self._require("per_channel", "q_per_channel_scales")
        return Tensor(self._scale.copy(), dtype=np.float64)

    def q_per_channel_zero_points(self):
        self._require("per_channel", "q_per_channel_zero_points")
        return Tensor(self._zero_point.copy(), dtype=np.int64)

    def q_per_channel_axis(self):
        self._require("per_channel", "q_per_channel_axis")
        return self._axis

    def _require(self, kind, method):
        if not self._qscheme.startswith(kind):
            raise RuntimeError(f"{method}() needs a {kind.replace('_', '-')} quantized tensor; this one is "
                               f"{self._qscheme}")

    def _broadcast(self, values, dtype):
        """Per-tensor: the number; per-channel: the values shaped to broadcast along the channel axis."""
        if self._axis is None:
            return values
        shape = [1] * self._int_repr.ndim
        shape[self._axis] = -1
        return np.asarray(values, dtype=dtype).reshape(shape)

    def dequantize(self):
        """The floats the integers stand for, (q - zero_point) · scale, as a float32 Tensor."""
        scale = self._broadcast(self._scale, np.float32)
        zero_point = self._broadcast(self._zero_point, np.int32)
        # HINT 1: Undo the map: subtract the zero point first, then multiply by the scale. Subtract in a type that
        # HINT 1: can go negative and hold the difference (uint8 200 - 128 fits, 100 - 128 does not), then scale in
        # HINT 1: float32.
        # HINT 2: `self._int_repr.astype(np.int32)`, minus `zero_point`, times `np.float32(scale)` (scale and
        # HINT 2: zero_point above are already shaped to broadcast); wrap the result in a float32 Tensor.
        ### BEGIN SOLUTION
        values = (self._int_repr.astype(np.int32) - zero_point).astype(np.float32) * np.float32(scale)
        return Tensor(values.astype(np.float32), dtype=np.float32)
        ### END SOLUTION

    @property
    def nbytes(self):
        """Bytes stored: the integers (1 byte each) plus the scales and zero points."""
        return int(self._int_repr.nbytes + np.asarray(self._scale, dtype=np.float32).nbytes
                   + np.asarray(self._zero_point, dtype=np.int32).nbytes)

    def __repr__(self):
        params = (f"scale={self._scale}, zero_point={self._zero_point}" if self._axis is None else
                  f"scales={self._scale.tolist()}, zero_points={self._zero_point.tolist()}, axis={self._axis}")
        return (f"QuantizedTensor(shape={self.shape}, dtype={self.dtype}, qscheme={self._qscheme}, {params})\n"
                f"int_repr={self._int_repr!r}")


def _values(x, what):
    """The float32 numbers of a Tensor or array (the input of a quantize function)."""
    data = np.asarray(getattr(x, "data", x))
    if not np.issubdtype(data.dtype, np.floating):
        raise TypeError(f"{what} quantizes floating-point tensors, got dtype {data.dtype}")
    return data.astype(np.float32)


def quantize_per_tensor(input, scale, zero_point, dtype):
    """A QuantizedTensor of input with one (scale, zero_point), as torch.quantize_per_tensor:
    q = clamp(round(input · (1 / scale) + zero_point), qmin, qmax) in float32, rounding half to even: PyTorch's
    arithmetic, integer for integer."""
    x = _values(input, "quantize_per_tensor")
    qmin, qmax = quant_range(dtype)
    if not scale > 0 or not np.isfinite(scale):
        raise ValueError(f"quantize_per_tensor: scale must be a positive finite number, got {scale!r}")
    if isinstance(zero_point, bool) or not isinstance(zero_point, numbers.Integral) or not qmin <= zero_point <= qmax:
        raise ValueError(f"quantize_per_tensor: zero_point must be an integer in [{qmin}, {qmax}] for "
                         f"{_DTYPE_NAMES[np.dtype(dtype)]}, got {zero_point!r}")
    # HINT 1: Multiply by the inverse scale (as PyTorch does), add the zero point, round to the nearest integer
    # HINT 1: (half to even, as PyTorch), then clamp into [qmin, qmax] BEFORE converting to 8 bits: converting first
    # HINT 1: would wrap 130 around to -126 instead of clipping it to 127. Truncation (astype) is not rounding.
    # HINT 2: The inverse scale once, dividing float32 numbers (np.float32 on both sides); then `np.round`,
    # HINT 2: `np.clip(..., qmin, qmax)`, `.astype(dtype)`; name the result `q`; the return line below wraps it.
    ### BEGIN SOLUTION
    inverse_scale = np.float32(1) / np.float32(scale)
    q = np.clip(np.round(x * inverse_scale + np.float32(zero_point)), qmin, qmax).astype(dtype)
    ### END SOLUTION
    return QuantizedTensor(q, scale, zero_point, "per_tensor_affine")


# %% [markdown]
# ### Check Part 1b
# Per-tensor quantization for int8 and uint8: values on ties (2.5 and -2.5 steps), values far outside the
# range, the integers' dtype, and dequantize against `(q - zero_point) · scale`.

# %%
from tinytorch.checks.quantization import check_quantize_per_tensor

check_quantize_per_tensor(quantize_per_tensor)

# %% [markdown]
# Try it: quantize a few numbers with a range chosen from them and look at the integers and the error.

# %%
x = Tensor(np.array([-1.0, -0.1, 0.0, 0.37, 2.0, 3.1], dtype=np.float32))
for dtype, qscheme in [(np.uint8, "per_tensor_affine"), (np.int8, "per_tensor_symmetric")]:
    scale, zero_point = calculate_qparams(x.data.min(), x.data.max(), dtype, qscheme)
    q = quantize_per_tensor(x, scale, zero_point, dtype)
    error = np.abs(q.dequantize().data - x.data).max()
    print(f"{qscheme:<21} {q.dtype}: scale {scale:.5f}, zero_point {zero_point:>3}, integers {q.int_repr().data}, "
          f"largest error {error:.5f} (half a step is {scale / 2:.5f})")

# %% [markdown]
# The symmetric scheme wastes levels here: the range is `±3.1` but nothing is below -1, so a third of the
# levels are never used and the step is larger. The affine scheme uses them all. For weights, centred on 0,
# the difference vanishes and symmetric is simpler.
#
# ## Part 2 · Per channel: one scale per output row
#
# A `Linear` weight has shape `(out_features, in_features)`: row `i` holds the weights of output `i`.
# Rows often have very different ranges: one neuron's weights are in ±0.05, another's in ±1. With one scale
# for the whole tensor, the step is set by the largest row, and the small rows get only a few levels: a
# row in ±0.05 with a step of 1/127.5 uses 13 of the 256 levels. **Per-channel** quantization gives each
# row its own scale and zero point (`axis=0`, the output channel, as PyTorch's default for weights): every
# row uses the full 256 levels. It costs one scale per row (for a 128x64 weight, 128 floats next to 8,192
# bytes of integers) and nothing in the matrix product: each output is rescaled by its own row's scale.
#
# Along the wrong axis (one scale per input column) the integers still look plausible, but the matrix
# product can no longer factor the scales out of the sum. You write `quantize_per_channel`; `torch.
# quantize_per_channel(x, scales, zero_points, axis, dtype)` is the PyTorch call.

# %%
#| export
def quantize_per_channel(input, scales, zero_points, axis, dtype):
    """A QuantizedTensor with one (scale, zero_point) per slice along `axis`, as torch.quantize_per_channel."""
    x = _values(input, "quantize_per_channel")
    qmin, qmax = quant_range(dtype)
    scales = np.asarray(getattr(scales, "data", scales), dtype=np.float64).reshape(-1)
    zero_points = np.asarray(getattr(zero_points, "data", zero_points)).reshape(-1)
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral) or not 0 <= axis < x.ndim:
        raise ValueError(f"quantize_per_channel: axis {axis!r} is out of range for an input of shape {x.shape}")
    if len(scales) != x.shape[axis] or len(zero_points) != x.shape[axis]:
        raise RuntimeError(f"quantize_per_channel: {len(scales)} scales and {len(zero_points)} zero_points for "
                           f"{x.shape[axis]} channels along axis {axis} of shape {x.shape}")
    if not np.all(scales > 0) or zero_points.dtype.kind not in "iu" or np.any(zero_points < qmin) \
            or np.any(zero_points > qmax):
        raise ValueError(f"quantize_per_channel: scales must be > 0 and zero_points integers in [{qmin}, {qmax}]; "
                         f"got {scales} and {zero_points}")
    shape = [1] * x.ndim
    shape[axis] = -1
    # HINT 1: The same map as per tensor, with the scale and zero point of each element's own channel. Make the
    # HINT 1: per-channel vectors broadcast along `axis` (and only along it), then quantize all elements at once.
    # HINT 2: `scales.astype(np.float32).reshape(shape)` and `zero_points.reshape(shape)` (`shape` is all ones except
    # HINT 2: -1 at `axis`), then the same inverse scale / shift / round / clip / astype as `quantize_per_tensor`;
    # HINT 2: call it `q`.
    ### BEGIN SOLUTION
    inverse_scales = np.float32(1) / scales.astype(np.float32).reshape(shape)
    zero_point = zero_points.astype(np.float32).reshape(shape)
    q = np.clip(np.round(x * inverse_scales + zero_point), qmin, qmax).astype(dtype)
    ### END SOLUTION
    return QuantizedTensor(q, scales, zero_points, "per_channel_affine", axis=axis)


def fake_quantize_per_channel_affine(input, scale, zero_point, axis, quant_min, quant_max):
    """Quantize then dequantize along `axis` in one step (the floats the integers stand for), as
    torch.fake_quantize_per_channel_affine. Used to measure the accuracy cost of quantizing a layer whose
    integer kernel we do not write (Conv2d here). No gradient (torch's passes the gradient straight through)."""
    x = _values(input, "fake_quantize_per_channel_affine")
    shape = [1] * x.ndim
    shape[axis] = -1
    scale = np.asarray(getattr(scale, "data", scale), dtype=np.float32).reshape(shape)
    zero_point = np.asarray(getattr(zero_point, "data", zero_point), dtype=np.int64).reshape(shape)
    q = np.clip(np.round(x * (np.float32(1) / scale) + zero_point.astype(np.float32)), quant_min, quant_max)
    return Tensor(((q - zero_point) * scale).astype(np.float32), dtype=np.float32)


# %% [markdown]
# ### Check Part 2
# Per-channel quantization along axis 0 and axis 1 of matrices and a 4-d conv weight, with channels whose
# ranges differ by 100x, against a per-row computation done one channel at a time.

# %%
from tinytorch.checks.quantization import check_quantize_per_channel

check_quantize_per_channel(quantize_per_channel)

# %% [markdown]
# ## Part 3 · Calibration: observers choose the range from data
#
# The weights are known before the model runs; activations are not. An **observer** watches the tensors
# that flow through a point of the model while we run some representative inputs (*calibration data*),
# records their range, and turns it into `(scale, zero_point)`. PyTorch's observers share two methods:
# `forward(x)` records (and returns `x` unchanged, so an observer can sit inside a model), and
# `calculate_qparams()` returns the parameters.
#
# * `MinMaxObserver` keeps the smallest and largest value ever seen. Simple, and at the mercy of one
#   outlier: a single activation of 100 in a tensor whose other values are in ±1 stretches the step 50x,
#   and every ordinary value loses almost all its precision.
# * `MovingAverageMinMaxObserver` keeps a running average of each batch's min and max
#   (`min ← min + c · (batch_min - min)`, `c = 0.01`), so one odd batch moves the range by only 1% of its
#   excess.
# * `PerChannelMinMaxObserver(ch_axis=0)` keeps a min and max per channel: Part 2's per-row ranges.
# * Clipping: choose the range from a percentile (say the 0.1% and 99.9% points) instead of the extremes.
#   The few values outside are clipped (a large error on them), all the others get a fine step. PyTorch's
#   `HistogramObserver` searches for the range that minimises the total error; we measure the simpler
#   percentile below.
#
# You write `MinMaxObserver.forward`; the rest is given.

# %%
#| export
class MinMaxObserver(Module):
    """Records the running min and max of every tensor passed to forward(); calculate_qparams() turns them into
    (scale, zero_point), as torch.ao.quantization.MinMaxObserver (defaults: np.uint8 = quint8, per_tensor_affine)."""

    def __init__(self, dtype=np.uint8, qscheme="per_tensor_affine"):
        super().__init__()
        quant_range(dtype)
        if _check_qscheme(qscheme).startswith("per_channel") and not isinstance(self, PerChannelMinMaxObserver):
            raise ValueError(f"{type(self).__name__} is per tensor; use PerChannelMinMaxObserver for {qscheme}")
        self.dtype, self.qscheme = np.dtype(dtype), qscheme
        self.min_val = Tensor(np.array(np.inf, dtype=np.float32))
        self.max_val = Tensor(np.array(-np.inf, dtype=np.float32))

    def forward(self, x_orig):
        """Widen the recorded [min_val, max_val] to include x_orig's values; returns x_orig unchanged."""
        x = _values(x_orig, type(self).__name__)
        if x.size == 0:
            return x_orig
        # HINT 1: The recorded range only ever grows: the new minimum is the smaller of the old one and this
        # HINT 1: tensor's smallest value, the same for the maximum. Store them as float32 Tensors and return the
        # HINT 1: input itself, untouched (the observer sits in the data path).
        # HINT 2: `x.min()`, `x.max()`, `np.minimum` / `np.maximum` with `self.min_val.data`; assign new
        # HINT 2: `Tensor(np.array(value, dtype=np.float32))` objects to `self.min_val` and `self.max_val`.
        ### BEGIN SOLUTION
        self.min_val = Tensor(np.array(np.minimum(self.min_val.data, x.min()), dtype=np.float32))
        self.max_val = Tensor(np.array(np.maximum(self.max_val.data, x.max()), dtype=np.float32))
        return x_orig
        ### END SOLUTION

    def calculate_qparams(self):
        """(scale, zero_point) for the recorded range, as float32 and int64 Tensors of shape (1,) per tensor."""
        if not np.all(np.isfinite(self.min_val.data)):
            raise RuntimeError(f"{type(self).__name__}.calculate_qparams: no data observed yet; call it on some "
                               "calibration inputs first")
        scale, zero_point = calculate_qparams(self.min_val.data, self.max_val.data, self.dtype, self.qscheme)
        return (Tensor(np.asarray(scale, dtype=np.float32).reshape(-1), dtype=np.float32),
                Tensor(np.asarray(zero_point, dtype=np.int64).reshape(-1), dtype=np.int64))

    def extra_repr(self):
        return f"min_val={float(self.min_val.data)}, max_val={float(self.max_val.data)}"


class MovingAverageMinMaxObserver(MinMaxObserver):
    """min/max as a running average over batches (min ← min + c·(batch_min − min)); the first batch sets them.
    As torch.ao.quantization.MovingAverageMinMaxObserver (averaging_constant=0.01)."""

    def __init__(self, averaging_constant=0.01, dtype=np.uint8, qscheme="per_tensor_affine"):
        super().__init__(dtype, qscheme)
        if not 0 < averaging_constant <= 1:
            raise ValueError(f"averaging_constant must be in (0, 1], got {averaging_constant!r}")
        self.averaging_constant = averaging_constant

    def forward(self, x_orig):
        x = _values(x_orig, type(self).__name__)
        if x.size == 0:
            return x_orig
        low, high = np.float32(x.min()), np.float32(x.max())
        if np.isfinite(self.min_val.data):
            c = np.float32(self.averaging_constant)
            low = self.min_val.data + c * (low - self.min_val.data)
            high = self.max_val.data + c * (high - self.max_val.data)
        self.min_val = Tensor(np.array(low, dtype=np.float32))
        self.max_val = Tensor(np.array(high, dtype=np.float32))
        return x_orig


class PerChannelMinMaxObserver(MinMaxObserver):
    """One min and max per slice along ch_axis, as torch.ao.quantization.PerChannelMinMaxObserver
    (defaults: ch_axis=0, np.uint8, per_channel_affine)."""

    def __init__(self, ch_axis=0, dtype=np.uint8, qscheme="per_channel_affine"):
        if not qscheme.startswith("per_channel"):
            raise ValueError(f"PerChannelMinMaxObserver needs a per_channel qscheme, got {qscheme!r}")
        super().__init__(dtype, qscheme)
        self.ch_axis = ch_axis

    def forward(self, x_orig):
        x = _values(x_orig, "PerChannelMinMaxObserver")
        rows = np.moveaxis(x, self.ch_axis, 0).reshape(x.shape[self.ch_axis], -1)
        if rows.shape[1] == 0:
            return x_orig
        low, high = rows.min(axis=1), rows.max(axis=1)
        if self.min_val.data.ndim:
            low, high = np.minimum(self.min_val.data, low), np.maximum(self.max_val.data, high)
        self.min_val, self.max_val = Tensor(low, dtype=np.float32), Tensor(high, dtype=np.float32)
        return x_orig

    def extra_repr(self):
        return f"min_val={self.min_val.data.tolist()}, max_val={self.max_val.data.tolist()}"


# %% [markdown]
# ### Check Part 3
# Several batches of different ranges, an all-positive one, an empty one, the input returned untouched,
# and `calculate_qparams()` before any data.

# %%
from tinytorch.checks.quantization import check_observer

check_observer(MinMaxObserver)

# %% [markdown]
# **One outlier.** Calibrate on activations that are mostly in ±1 with one value of 40 (a real pattern:
# large language models have a few such "outlier features"). Compare the error on the ordinary values with
# min/max, with a moving average over batches, and with a percentile clip.

# %%
rng = np.random.default_rng(15)
batches = [rng.standard_normal((64, 32)).astype(np.float32) for _ in range(20)]
batches[3][5, 7] = 40.0  # one activation out of 40,960
ordinary = np.concatenate(batches)
ordinary = ordinary[np.abs(ordinary) < 5]


def error_on_ordinary(scale, zero_point):
    q = quantize_per_tensor(Tensor(ordinary), scale, zero_point, np.uint8)
    return np.abs(q.dequantize().data - ordinary).mean()


results = {}
for name, observer in [("MinMaxObserver", MinMaxObserver()), ("MovingAverageMinMaxObserver", MovingAverageMinMaxObserver())]:
    for batch in batches:
        observer(Tensor(batch))
    scale, zero_point = (t.data[0].item() for t in observer.calculate_qparams())
    results[name] = (float(observer.min_val.data), float(observer.max_val.data), scale, zero_point)
everything = np.concatenate(batches)
low, high = np.percentile(everything, [0.1, 99.9])
results["percentile 0.1% / 99.9%"] = (low, high) + calculate_qparams(low, high, np.uint8)
for name, (low, high, scale, zero_point) in results.items():
    print(f"{name:<28} range [{low:7.2f}, {high:6.2f}]  scale {scale:.4f}  zero_point {zero_point:>3}  "
          f"mean error on the ordinary values {error_on_ordinary(scale, zero_point):.4f}")

# %% [markdown]
# Min/max lets the single 40 set the step for all 40,960 values: their mean error is several times what the
# moving average or the clip give. The clip pays with a large error on the one outlier (clipped to about
# 3); whether that hurts depends on the model, which is why calibration is measured, not guessed.
#
# ## Part 4 · `quantize_dynamic`: int8 Linear layers
#
# PyTorch's simplest way to quantize a trained model is **dynamic quantization**:
# `torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)`. It returns a model in
# which every `Linear` is replaced by a `DynamicQuantizedLinear`:
#
# * the **weight** is quantized once, to int8, symmetric (zero point 0) with the scale from a
#   `MinMaxObserver`: 1 byte per weight instead of 4. The **bias stays float32** (it is small, and it is
#   added after the integer product). The integers, the scale and the bias are the layer's buffers, so
#   `state_dict()` and a checkpoint hold them;
# * the **input** is quantized on every call ("dynamically") to uint8, affine, with a scale from *this
#   batch's own* min and max: no calibration data needed, at the price of finding min/max per call;
# * the matrix product runs on integers. With `x ≈ (qx - zx)·sx` and `w ≈ qw·sw`,
#
#   ```text
#   y[b, o] = Σ_i x[b, i] · w[o, i] + bias[o]  ≈  sx · sw · Σ_i (qx[b, i] - zx) · qw[o, i]  +  bias[o]
#   ```
#
#   The sum is all integers; the two scales come out of it as one float multiplication per output.
#
# **Why accumulate in int32.** One product `(qx - zx) · qw` is up to `255 · 128 = 32,640` in size; it does
# not fit in int8 (±127) or even in int16 (±32,767) once two are added. An int32 holds ±2.1 billion: about
# 65,000 such worst-case products, far more than any layer's `in_features`. Hardware int8 instructions
# multiply 8-bit numbers and add them into 32-bit accumulators for exactly this reason. In numpy, be
# explicit: `astype(np.int32)` before the product (in the browser, numpy's default int is already int32;
# on a laptop it is int64, and `int8 @ int8` in numpy stays int8 and overflows silently).
#
# The quantized model is for **inference only**: its weights are integers, not Parameters, so it has
# nothing to train (an optimizer finds no parameters), and its output carries no gradient, as in PyTorch.
#
# You write `DynamicQuantizedLinear.forward` and `quantize_dynamic`'s walk through the model.

# %%
#| export
class DynamicQuantizedLinear(Module):
    """A Linear with an int8 weight whose input is quantized to uint8 on every call (scale from the batch's own
    range) and multiplied in integers, accumulated in int32, as torch.ao.nn.quantized.dynamic.Linear (repr
    DynamicQuantizedLinear). Inference only: no Parameters, outputs without gradient. Made by from_float().
    Activations use the full uint8 range [0, 255]; PyTorch's x86 engine uses [0, 127] (reduce_range), so its
    outputs differ from these by a rounding error."""

    def __init__(self, in_features, out_features, bias_=True, dtype=np.int8):
        super().__init__()
        if np.dtype(dtype) != np.int8:
            raise ValueError(f"DynamicQuantizedLinear supports dtype=np.int8 (torch.qint8) only, got {dtype!r}")
        self.in_features, self.out_features = in_features, out_features
        weight = np.zeros((out_features, in_features), dtype=np.float32)
        self.set_weight_bias(quantize_per_tensor(weight, 1.0, 0, np.int8),
                             np.zeros(out_features, dtype=np.float32) if bias_ else None)

    def set_weight_bias(self, weight, bias):
        """Store a QuantizedTensor int8 weight (out_features, in_features) and a float bias (or None). They are kept
        as buffers (weight_int8, weight_scale, weight_zero_point, bias_float32), so state_dict() and checkpoints
        carry them."""
        if weight.dtype != "qint8" or weight.shape != (self.out_features, self.in_features):
            raise ValueError(f"DynamicQuantizedLinear: the weight must be a qint8 QuantizedTensor of shape "
                             f"{(self.out_features, self.in_features)}, got {weight.dtype} {weight.shape}")
        self.per_channel = weight.qscheme().startswith("per_channel")
        if self.per_channel and weight.q_per_channel_axis() != 0:
            raise ValueError("DynamicQuantizedLinear: a per-channel weight must have one scale per output row (axis 0)")
        scale = weight.q_per_channel_scales().data if self.per_channel else [weight.q_scale()]
        zero_point = weight.q_per_channel_zero_points().data if self.per_channel else [weight.q_zero_point()]
        for name, value in [("weight_int8", weight.int_repr()),
                            ("weight_scale", Tensor(np.asarray(scale, dtype=np.float32), dtype=np.float32)),
                            ("weight_zero_point", Tensor(np.asarray(zero_point, dtype=np.int32), dtype=np.int32)),
                            ("bias_float32", None if bias is None else
                             Tensor(np.array(getattr(bias, "data", bias), dtype=np.float32), dtype=np.float32))]:
            if name in self._buffers:
                self._buffers[name] = value
            else:
                self.register_buffer(name, value)

    def weight(self):
        """The int8 weight as a QuantizedTensor (a method, as in PyTorch)."""
        q, scale, zero_point = self.weight_int8.data, self.weight_scale.data, self.weight_zero_point.data
        if self.per_channel:
            return QuantizedTensor(q, scale, zero_point, "per_channel_affine", axis=0)
        return QuantizedTensor(q, float(scale[0]), int(zero_point[0]), "per_tensor_affine")

    def bias(self):
        return None if self.bias_float32 is None else Tensor(self.bias_float32.data.copy(), dtype=np.float32)

    @property
    def qscheme(self):
        return "per_channel_affine" if self.per_channel else "per_tensor_affine"

    @classmethod
    def from_float(cls, mod, per_channel=False):
        """The quantized copy of a float Linear: weight observed symmetric int8 (one scale, or one per output row
        with per_channel=True, like torch's per_channel_dynamic_qconfig), bias kept in float32."""
        if not isinstance(mod, Linear):
            raise TypeError(f"DynamicQuantizedLinear.from_float expects a Linear, got {type(mod).__name__}")
        weight = mod.weight.data.astype(np.float32)
        observer = (PerChannelMinMaxObserver(0, np.int8, "per_channel_symmetric") if per_channel
                    else MinMaxObserver(np.int8, "per_tensor_symmetric"))
        observer(weight)
        scale, zero_point = observer.calculate_qparams()
        if per_channel:
            qweight = quantize_per_channel(weight, scale.data, zero_point.data, 0, np.int8)
        else:
            qweight = quantize_per_tensor(weight, float(scale.data[0]), int(zero_point.data[0]), np.int8)
        qlinear = cls(mod.in_features, mod.out_features, bias_=mod.bias is not None)
        qlinear.set_weight_bias(qweight, None if mod.bias is None else mod.bias.data)
        return qlinear

    def _weight_scale(self):
        """sw: a number (per tensor) or one float32 scale per output column of the result (per channel)."""
        return self.weight_scale.data if self.per_channel else self.weight_scale.data[0]

    def forward(self, input):
        if not isinstance(input, Tensor):
            raise TypeError(f"DynamicQuantizedLinear expects a Tensor input, got {type(input).__name__}")
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ValueError(f"DynamicQuantizedLinear({self.in_features}, {self.out_features}) expects inputs whose "
                             f"last dimension is {self.in_features}, got shape {input.shape}")
        x = input.data.astype(np.float32)
        if x.size == 0:
            return Tensor(np.zeros(x.shape[:-1] + (self.out_features,), dtype=np.float32), dtype=np.float32)
        qweight = self.weight_int8.data  # int8 (out_features, in_features); zero point 0 (symmetric)
        bias = None if self.bias_float32 is None else self.bias_float32.data
        weight_scale = self._weight_scale()
        # HINT 1: Quantize this input with parameters from its OWN min and max (uint8, affine), multiply the
        # HINT 1: zero-point-shifted input integers by the weight integers with every number widened to int32 first
        # HINT 1: (int8 products summed in int8 overflow), then bring the int32 sums back to floats with both scales
        # HINT 1: and add the float bias.
        # HINT 2: `calculate_qparams(x.min(), x.max(), np.uint8)`, `quantize_per_tensor(...).int_repr().data`;
        # HINT 2: `.astype(np.int32)` on both integer arrays, subtract the zero point, `@ qweight....T`; multiply by
        # HINT 2: `np.float32(input_scale) * weight_scale`; add `bias` when it is not None. Call it `out`.
        ### BEGIN SOLUTION
        input_scale, input_zero_point = calculate_qparams(x.min(), x.max(), np.uint8)
        qx = quantize_per_tensor(x, input_scale, input_zero_point, np.uint8).int_repr().data
        accumulated = (qx.astype(np.int32) - np.int32(input_zero_point)) @ qweight.astype(np.int32).T
        out = accumulated.astype(np.float32) * (np.float32(input_scale) * weight_scale)
        if bias is not None:
            out = out + bias
        ### END SOLUTION
        return Tensor(np.asarray(out, dtype=np.float32), dtype=np.float32)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, dtype=qint8, qscheme={self.qscheme}"


def _replace_linear_layers(module, prefix, qconfig_spec):
    """Replace, in place and recursively, every child of `module` selected by qconfig_spec by its quantized copy."""
    # HINT 1: Walk the children (Sequential items, ModuleList items and attributes are all children): a selected
    # HINT 1: Linear is replaced by its quantized copy under the same name; any other child may hold Linear layers
    # HINT 1: deeper down, so walk into it. A layer is selected when its exact type, or its dotted name, is in
    # HINT 1: qconfig_spec.
    # HINT 2: `module.named_children()` (collect them in a list before replacing), the dotted name
    # HINT 2: `f"{prefix}.{name}"` (or just `name` at the top), `type(child) in qconfig_spec`,
    # HINT 2: `DynamicQuantizedLinear.from_float(child)` and `setattr(module, name, ...)`; recurse otherwise.
    ### BEGIN SOLUTION
    for name, child in list(module.named_children()):
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(child, Linear) and (type(child) in qconfig_spec or path in qconfig_spec):
            setattr(module, name, DynamicQuantizedLinear.from_float(child))
        else:
            _replace_linear_layers(child, path, qconfig_spec)
    ### END SOLUTION


def quantize_dynamic(model, qconfig_spec=None, dtype=np.int8, mapping=None, inplace=False):
    """A copy of `model` whose Linear layers (at any depth) are DynamicQuantizedLinear, as
    torch.ao.quantization.quantize_dynamic. qconfig_spec: a set of layer types or dotted submodule names to
    quantize (default {Linear}); dtype: np.int8 (torch.qint8, the default) is the only one supported; inplace=True
    changes `model` itself. The result is for inference only."""
    if not isinstance(model, Module):
        raise TypeError(f"quantize_dynamic expects a Module, got {type(model).__name__}")
    if dtype is not np.int8 and not (isinstance(dtype, np.dtype) and dtype == np.int8):
        raise ValueError(f"quantize_dynamic: dtype={dtype!r} is not supported; tinytorch quantizes Linear weights to "
                         "np.int8 (torch.qint8) only")
    if mapping is not None:
        raise NotImplementedError("quantize_dynamic: a custom mapping is not supported; Linear maps to "
                                  "DynamicQuantizedLinear")
    spec = {Linear} if qconfig_spec is None else set(qconfig_spec)
    if isinstance(model, Linear) and type(model) in spec:
        raise ValueError("quantize_dynamic: wrap a bare Linear in a Sequential, or use DynamicQuantizedLinear.from_float")
    model = model if inplace else copy.deepcopy(model)
    with no_grad():
        _replace_linear_layers(model, "", spec)
    return model


def model_nbytes(model):
    """Bytes of a model's numbers: its Parameters and buffers (a DynamicQuantizedLinear keeps its int8 weight, scales,
    zero points and float bias as buffers). The course's measurement; PyTorch has no such function."""
    return sum(p.data.nbytes for p in model.parameters()) + sum(b.data.nbytes for b in model.buffers())


# %% [markdown]
# ### Check Part 4a
# `DynamicQuantizedLinear` made from float Linears with in_features up to 512 and inputs of large
# magnitude (where an int8 or int16 accumulator overflows), against an integer product computed here in
# int64 and against the float layer; a per-channel weight; a batch of 3-d input; no bias.

# %%
from tinytorch.checks.quantization import check_dynamic_linear

check_dynamic_linear(DynamicQuantizedLinear)

# %% [markdown]
# ### Check Part 4b
# `quantize_dynamic` on a model with Linear layers in a Sequential, a ModuleList and a plain attribute,
# nested two deep: every one replaced, the original model untouched, outputs close to the float model.

# %%
from tinytorch.checks.quantization import check_quantize_dynamic

check_quantize_dynamic(quantize_dynamic)

# %% [markdown]
# The quantized model prints like PyTorch's:

# %%
from tinytorch import Linear, ReLU, Sequential

print(quantize_dynamic(Sequential(Linear(64, 32), ReLU(), Linear(32, 10))))

# %% [markdown]
# ## Use it · the TinyDigits MLP and a CNN, float and int8
#
# Train milestone 1986's MLP (64-128-64-10) and a small CNN on TinyDigits, each for a few epochs (enough
# for the comparison, and quick in the browser), then quantize. For the MLP `quantize_dynamic` replaces all
# three layers. For the CNN it replaces only the final `Linear`, as in PyTorch: the convolutions stay float.
# To see what int8 convolution weights would cost, we also **fake-quantize** the conv weights: replace each
# by the floats its per-channel int8 integers stand for (`fake_quantize_per_channel_affine`). That measures
# the accuracy of int8 conv weights; it does not make the convolution run on integers.

# %%
import time

import tinytorch
from tinytorch import CrossEntropyLoss, no_grad
from tinytorch.datasets import load_tinydigits
from tinytorch.nn import Conv2d, Flatten, MaxPool2d
from tinytorch.optim import Adam
from tinytorch.training import Trainer
from tinytorch.utils.data import DataLoader, TensorDataset

cell_start = time.perf_counter()
(train_images, train_labels), (test_images, test_labels) = load_tinydigits()
test_x_flat, test_x_image = Tensor(test_images.reshape(-1, 64)), Tensor(test_images[:, None])


def train(model, images, epochs, seed=15):
    tinytorch.manual_seed(seed)
    loader = DataLoader(TensorDataset(Tensor(images), Tensor(train_labels)), batch_size=64, shuffle=True)
    Trainer(model, Adam(model.parameters(), lr=0.01), CrossEntropyLoss()).fit(loader, epochs, progress=False)
    return model.eval()


def accuracy(model, x):
    with no_grad():
        return float((model(x).data.argmax(axis=1) == test_labels).mean())


tinytorch.manual_seed(1986)
mlp = train(Sequential(Linear(64, 128), ReLU(), Linear(128, 64), ReLU(), Linear(64, 10)),
            train_images.reshape(-1, 64), epochs=8)
tinytorch.manual_seed(1998)
cnn = train(Sequential(Conv2d(1, 8, 3, padding=1), ReLU(), MaxPool2d(2), Conv2d(8, 16, 3, padding=1), ReLU(),
                       MaxPool2d(2), Flatten(), Linear(16 * 2 * 2, 10)), train_images[:, None], epochs=4)
print(f"(training took {time.perf_counter() - cell_start:.1f} s)")

# %%
cell_start = time.perf_counter()
mlp_int8, cnn_int8 = quantize_dynamic(mlp), quantize_dynamic(cnn)


def fake_quantize_conv_weights(model):
    """A copy of `model` whose Conv2d weights are replaced by their per-channel int8 values (as floats)."""
    model = copy.deepcopy(model)
    for layer in model.modules():
        if isinstance(layer, Conv2d):
            observer = PerChannelMinMaxObserver(0, np.int8, "per_channel_symmetric")
            observer(layer.weight)
            scale, zero_point = observer.calculate_qparams()
            layer.weight.data[...] = fake_quantize_per_channel_affine(layer.weight, scale, zero_point, 0, -128, 127).data
    return model


cnn_all_int8 = fake_quantize_conv_weights(cnn_int8)
rows = [("MLP", "float32", mlp, test_x_flat), ("MLP", "int8 dynamic (all 3 Linear)", mlp_int8, test_x_flat),
        ("CNN", "float32", cnn, test_x_image), ("CNN", "int8 dynamic (the Linear)", cnn_int8, test_x_image),
        ("CNN", "+ int8 conv weights (fake-quant)", cnn_all_int8, test_x_image)]
use_it = {}
print(f"{'model':<5} {'version':<34} {'test accuracy':>13} {'bytes':>8}")
for name, version, model, x in rows:
    use_it[name, version] = accuracy(model, x), model_nbytes(model)
    print(f"{name:<5} {version:<34} {use_it[name, version][0]:>13.2%} {use_it[name, version][1]:>8,}")
disagree = int((mlp(test_x_flat).data.argmax(1) != mlp_int8(test_x_flat).data.argmax(1)).sum())
print(f"\nthe int8 MLP predicts a different digit than the float MLP on {disagree} of {len(test_labels)} test images")
print("the float MLP is untouched:", type(mlp[0]).__name__, "| the copy:", type(mlp_int8[0]).__name__)
print(f"(cell took {time.perf_counter() - cell_start:.1f} s)")

# %% [markdown]
# The int8 MLP is almost 4x smaller and exactly as accurate on these 359 images: when we ran it, it predicted
# the same digit as the float MLP on every one (the count is printed above; with 359 images, one changed
# prediction is 0.3%). The CNN shrinks only by a quarter under `quantize_dynamic`: two thirds of its
# weights are in the convolutions, which dynamic quantization leaves in float32. Fake-quantizing them
# shows that int8 conv weights would cost almost no accuracy either (none on these images, when we ran
# it); making them also *run* in int8 needs integer convolution kernels and static quantization
# (calibrated activation ranges between layers), which PyTorch offers and this course leaves out. The fake-quantized CNN's byte count is still float32: its weights are stored as floats.
#
# ## Systems analysis · measured
#
# ### 1. Bytes: float32 against int8 plus scales
# Per layer of the trained MLP: the weight's float32 bytes, its int8 bytes, what stays float (bias, scale).

# %%
mlp_int8 = quantize_dynamic(mlp)  # again, so this cell runs on its own
print(f"{'layer':<22} {'float32 weight':>15} {'int8 weight':>12} {'scale+zp':>9} {'bias (float32)':>15} {'ratio':>6}")
for index, (layer, qlayer) in enumerate(zip(mlp, mlp_int8)):
    if isinstance(layer, Linear):
        float_bytes = layer.weight.data.nbytes
        int8_bytes = qlayer.weight_int8.data.nbytes
        scale_bytes = qlayer.weight_scale.data.nbytes + qlayer.weight_zero_point.data.nbytes
        print(f"{index}: Linear({layer.in_features}, {layer.out_features}){'':<6} {float_bytes:>15,} {int8_bytes:>12,} "
              f"{scale_bytes:>9} {layer.bias.data.nbytes:>15,} {float_bytes / int8_bytes:>5.1f}x")
float_total, int8_total = model_nbytes(mlp), model_nbytes(mlp_int8)
print(f"whole MLP: {float_total:,} bytes float32 -> {int8_total:,} bytes int8 ({float_total / int8_total:.2f}x smaller)")

# %% [markdown]
# The weights shrink exactly 4x; the whole model a little less, because the biases (and one scale and
# zero point per weight, 8 bytes) stay as they were. For a large model the biases are a rounding error,
# and 4x fewer bytes means 4x less to download into the browser and 4x less memory traffic per token.
#
# ### 2. Error against bits: per tensor vs per channel
# The same symmetric scheme with `b` bits has `2^b` levels (`qmin = -2^(b-1)`, `qmax = 2^(b-1) - 1`).
# Measure the mean relative error of the MLP's first weight matrix at 8, 6, 4 and 2 bits, with one scale
# for the matrix and with one scale per row.

# %%
weight = mlp[0].weight.data.astype(np.float32)
rows_max = np.abs(weight).max(axis=1)
print(f"first layer weight {weight.shape}: rows' max |w| from {rows_max.min():.3f} to {rows_max.max():.3f} "
      f"({rows_max.max() / rows_max.min():.1f}x apart)")
print(f"{'bits':>4} {'levels':>7} {'per-tensor error':>17} {'per-channel error':>18}")
errors = {}
for bits in (8, 6, 4, 2):
    qmin, qmax = -2 ** (bits - 1), 2 ** (bits - 1) - 1
    tensor_scale = np.float32(np.abs(weight).max() / ((qmax - qmin) / 2))
    channel_scales = (rows_max / ((qmax - qmin) / 2)).astype(np.float32)
    per_tensor = fake_quantize_per_channel_affine(weight, np.full(len(weight), tensor_scale), np.zeros(len(weight)),
                                                  0, qmin, qmax).data
    per_channel = fake_quantize_per_channel_affine(weight, channel_scales, np.zeros(len(weight)), 0, qmin, qmax).data
    errors[bits] = [np.abs(w - weight).mean() / np.abs(weight).mean() for w in (per_tensor, per_channel)]
    print(f"{bits:>4} {2 ** bits:>7} {errors[bits][0]:>16.2%} {errors[bits][1]:>17.2%}")

# %% [markdown]
# Each bit fewer doubles the step, so the error roughly doubles per bit (4x per two bits) until so few
# levels are left that most weights round to 0 (at 2 bits there are levels -2, -1, 0, 1). Per-channel
# scales help most where rows differ most; on this layer they cut the error by the factor printed above.
#
# ### 3. Time: is int8 faster here?
# Time the float `Linear` and the `DynamicQuantizedLinear` on the whole test set (359 x 64 inputs),
# with `tinytorch.timing.time_per_call`.

# %%
from tinytorch.timing import time_per_call

mlp_int8 = quantize_dynamic(mlp)
x_hidden = Tensor(np.maximum(mlp[0](test_x_flat).data, 0))  # the input of the second layer: (359, 128)
with no_grad():
    float_time = time_per_call(lambda: mlp[2](x_hidden))
    int8_time = time_per_call(lambda: mlp_int8[2](x_hidden))
    xq = x_hidden.data
    scale, zero_point = calculate_qparams(xq.min(), xq.max(), np.uint8)
    quantize_time = time_per_call(lambda: quantize_per_tensor(xq, scale, zero_point, np.uint8))
    qx = quantize_per_tensor(xq, scale, zero_point, np.uint8).int_repr().data.astype(np.int32)
    qw = mlp_int8[2].weight_int8.data.astype(np.int32)
    int_matmul_time = time_per_call(lambda: qx @ qw.T)
    float_matmul_time = time_per_call(lambda: xq @ mlp[2].weight.data.T)
print(f"float Linear(128, 64)              {float_time * 1e6:8.1f} µs")
print(f"DynamicQuantizedLinear(128, 64)    {int8_time * 1e6:8.1f} µs  ({int8_time / float_time:.1f}x the float time)")
print(f"  of which quantizing the input    {quantize_time * 1e6:8.1f} µs")
print(f"  int32 matmul alone               {int_matmul_time * 1e6:8.1f} µs  vs float32 matmul {float_matmul_time * 1e6:.1f} µs")

# %% [markdown]
# In numpy the int8 layer is **slower**, not faster. numpy sends float32 matrix products to an optimised
# BLAS (SIMD, blocked for the cache); an integer product has no BLAS and runs a plain loop. The layer also
# pays for finding the input's min and max and quantizing it on every call, and for widening to int32.
# When we measured, the int8 layer took about 18x the float layer's time under CPython (the int32 matmul
# alone about 25x the float32 one), and about 1.3x under Pyodide (Node, the browser's engine), where the
# float32 product has no fast BLAS either and both products run at the same plain-loop speed: there only
# the quantize step is extra. Your numbers are printed above.
# The speed of int8 comes from hardware and kernels built for it (VNNI/AMX on x86, dot-product instructions
# on ARM, fbgemm and qnnpack in PyTorch), which do 4x more int8 multiply-adds per instruction than float32
# ones. What int8 gives everywhere, numpy included, is **memory**: 4x fewer bytes to store, download and move.
#
# ## Reflect
#
# Answer with a number first, then run the cell below to check.
#
# 1. A range `[-0.5, 1.5]` in uint8 (affine): what are the scale and the zero point? What integer stores 0.7?
# 2. How many bytes does a `Linear(4096, 4096)` weight take in float32, and in int8 with one scale and one
#    zero point per row (4 bytes each)? What is the ratio?
# 3. A layer has `in_features = 1024`. What is the largest possible `|Σ (qx - zx) · qw|` with uint8 inputs and
#    int8 weights, and does it fit in int16? In int32?
# 4. Predict the per-tensor error at 7 bits from the table of analysis 2, then measure it.
# 5. Quantize a vector whose values are all 3.0 with `MinMaxObserver` parameters: what is the dequantized value?
#    (The range is widened to include 0.)

# %%
scale, zero_point = calculate_qparams(-0.5, 1.5, np.uint8)
print(f"1. scale {scale:.6f} (= 2/255), zero_point {zero_point}, 0.7 is stored as "
      f"{quantize_per_tensor(np.array([0.7], dtype=np.float32), scale, zero_point, np.uint8).int_repr().data[0]}")
big = DynamicQuantizedLinear.from_float(Linear(256, 256), per_channel=True)  # the bytes per weight, measured on a smaller one
per_weight = big.weight().nbytes / (256 * 256)
print(f"2. float32 {4096 * 4096 * 4:,} bytes; int8 {4096 * 4096 + 4096 * 8:,} bytes (int8 + a scale and zero point per "
      f"row); ratio {4096 * 4096 * 4 / (4096 * 4096 + 4096 * 8):.3f} (measured on Linear(256, 256): "
      f"{per_weight:.3f} bytes per weight)")
worst = 1024 * 255 * 128
print(f"3. {worst:,}: int16 holds {np.iinfo(np.int16).max:,} (no), int32 holds {np.iinfo(np.int32).max:,} (yes)")
qmin, qmax = -64, 63
seven = fake_quantize_per_channel_affine(weight, np.full(len(weight), np.float32(np.abs(weight).max() / 63.5)),
                                         np.zeros(len(weight)), 0, qmin, qmax).data
print(f"4. 7 bits: {np.abs(seven - weight).mean() / np.abs(weight).mean():.2%} "
      f"(between 8 bits {errors[8][0]:.2%} and 6 bits {errors[6][0]:.2%}, about twice the 8-bit error)")
observer = MinMaxObserver()
observer(Tensor(np.full(5, 3.0, dtype=np.float32)))
scale, zero_point = (t.data[0].item() for t in observer.calculate_qparams())
print(f"5. range [0, 3]: scale {scale:.6f}, zero_point {zero_point}, 3.0 comes back as "
      f"{quantize_per_tensor(np.full(5, 3.0, dtype=np.float32), scale, zero_point, np.uint8).dequantize().data[0]}")

# %% [markdown]
# **Next:** 16 Compression makes a model smaller another way: fewer weights (pruning) and a smaller
# student model (distillation), instead of fewer bits per weight.
