"""Generated from content/15_quantization.py by scripts/build_content.py: edit the source, not this file."""
# From content/15_quantization.py, cell 2 (Part 1 · The affine map: scale and zero point)
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


# From content/15_quantization.py, cell 6 (A quantized tensor)
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
        values = (self._int_repr.astype(np.int32) - zero_point).astype(np.float32) * np.float32(scale)
        return Tensor(values.astype(np.float32), dtype=np.float32)

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
    inverse_scale = np.float32(1) / np.float32(scale)
    q = np.clip(np.round(x * inverse_scale + np.float32(zero_point)), qmin, qmax).astype(dtype)
    return QuantizedTensor(q, scale, zero_point, "per_tensor_affine")


# From content/15_quantization.py, cell 12 (Part 2 · Per channel: one scale per output row)
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
    inverse_scales = np.float32(1) / scales.astype(np.float32).reshape(shape)
    zero_point = zero_points.astype(np.float32).reshape(shape)
    q = np.clip(np.round(x * inverse_scales + zero_point), qmin, qmax).astype(dtype)
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


# From content/15_quantization.py, cell 16 (Part 3 · Calibration: observers choose the range from data)
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
        self.min_val = Tensor(np.array(np.minimum(self.min_val.data, x.min()), dtype=np.float32))
        self.max_val = Tensor(np.array(np.maximum(self.max_val.data, x.max()), dtype=np.float32))
        return x_orig

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


# From content/15_quantization.py, cell 22 (Part 4 · `quantize_dynamic`: int8 Linear layers)
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
        input_scale, input_zero_point = calculate_qparams(x.min(), x.max(), np.uint8)
        qx = quantize_per_tensor(x, input_scale, input_zero_point, np.uint8).int_repr().data
        accumulated = (qx.astype(np.int32) - np.int32(input_zero_point)) @ qweight.astype(np.int32).T
        out = accumulated.astype(np.float32) * (np.float32(input_scale) * weight_scale)
        if bias is not None:
            out = out + bias
        return Tensor(np.asarray(out, dtype=np.float32), dtype=np.float32)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, dtype=qint8, qscheme={self.qscheme}"


def _replace_linear_layers(module, prefix, qconfig_spec):
    """Replace, in place and recursively, every child of `module` selected by qconfig_spec by its quantized copy."""
    for name, child in list(module.named_children()):
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(child, Linear) and (type(child) in qconfig_spec or path in qconfig_spec):
            setattr(module, name, DynamicQuantizedLinear.from_float(child))
        else:
            _replace_linear_layers(child, path, qconfig_spec)


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
