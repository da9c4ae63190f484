"""Each module-15 check accepts the reference and rejects realistic wrong implementations (mutants)."""
import copy

import numpy as np

from tinytorch.checks import quantization as checks
from tinytorch.core import quantization as qz
from tinytorch.core.layers import Linear
from tinytorch.core.tensor import Tensor

from mutants import make_mutant_tests


# Part 1a · calculate_qparams
def _qparams(zero_point_rule=None, scale_rule=None, widen=True, eps=True):
    """calculate_qparams with one step done wrong (or left out)."""
    def calculate_qparams(min_val, max_val, dtype=np.uint8, qscheme="per_tensor_affine"):
        qmin, qmax = qz.quant_range(dtype)
        low, high = np.asarray(min_val, dtype=np.float32), np.asarray(max_val, dtype=np.float32)
        if widen:
            low, high = np.minimum(low, np.float32(0)), np.maximum(high, np.float32(0))
        if qscheme.endswith("symmetric"):
            scale = np.maximum(-low, high) / np.float32((qmax - qmin) / 2)
            zero_point = np.zeros(scale.shape, dtype=np.int64) + (0 if qmin < 0 else 128)
        else:
            scale = scale_rule(low, high, qmin, qmax) if scale_rule else (high - low) / np.float32(qmax - qmin)
            if eps:
                scale = np.maximum(scale, np.float32(qz.EPS))
            zero_point = zero_point_rule(low, scale, qmin, qmax) if zero_point_rule else \
                np.clip(qmin - np.round(low / scale), qmin, qmax).astype(np.int64)
        if eps:
            scale = np.maximum(scale, np.float32(qz.EPS))
        if np.ndim(min_val) == 0:
            return float(scale), zero_point.item() if hasattr(zero_point, "item") else zero_point
        return scale, zero_point
    return calculate_qparams


QparamsZeroPointNotRounded = _qparams(zero_point_rule=lambda low, scale, qmin, qmax: qmin - low / scale)
QparamsScaleFromMax = _qparams(scale_rule=lambda low, high, qmin, qmax: high / np.float32(qmax - qmin))
QparamsRangeWithoutZero = _qparams(widen=False, zero_point_rule=lambda low, scale, qmin, qmax:
                                   (qmin - np.round(low / scale)).astype(np.int64))  # and no clamp
QparamsWithoutEps = _qparams(eps=False, zero_point_rule=lambda low, scale, qmin, qmax:
                             np.clip(qmin - np.round(np.divide(low, scale, out=np.zeros_like(low),
                                                               where=scale > 0)), qmin, qmax).astype(np.int64))


# Part 1b · quantize_per_tensor and dequantize
def _quantizer(rule, tensor_class=qz.QuantizedTensor):
    def quantize_per_tensor(input, scale, zero_point, dtype):
        x = qz._values(input, "quantize_per_tensor")
        qmin, qmax = qz.quant_range(dtype)
        if not qmin <= zero_point <= qmax:
            raise ValueError(f"zero_point {zero_point} out of range")
        return tensor_class(rule(x / np.float32(scale), zero_point, qmin, qmax).astype(dtype), scale, zero_point)
    return quantize_per_tensor


class DequantizeWithoutZeroPoint(qz.QuantizedTensor):
    def dequantize(self):
        return Tensor(self._int_repr.astype(np.float32) * np.float32(self._scale), dtype=np.float32)


class DequantizeInUint8(qz.QuantizedTensor):
    def dequantize(self):
        shifted = self._int_repr - self._int_repr.dtype.type(self._zero_point)  # wraps around below the zero point
        return Tensor(shifted.astype(np.float32) * np.float32(self._scale), dtype=np.float32)


def _correct(raw, zero_point, qmin, qmax):
    return np.clip(np.round(raw) + zero_point, qmin, qmax)


QuantizeTruncates = _quantizer(lambda raw, zp, qmin, qmax: np.clip(raw.astype(np.int64) + zp, qmin, qmax))
QuantizeRoundsHalfUp = _quantizer(lambda raw, zp, qmin, qmax: np.clip(np.floor(raw + 0.5) + zp, qmin, qmax))
QuantizeWithoutClamp = _quantizer(lambda raw, zp, qmin, qmax: (np.round(raw) + zp).astype(np.int64))
QuantizeWithoutZeroPoint = _quantizer(lambda raw, zp, qmin, qmax: np.clip(np.round(raw), qmin, qmax))
QuantizeDequantizeWithoutZeroPoint = _quantizer(_correct, DequantizeWithoutZeroPoint)
QuantizeDequantizeInUint8 = _quantizer(_correct, DequantizeInUint8)


# Part 2 · quantize_per_channel
def _per_channel(broadcast_shape):
    def quantize_per_channel(input, scales, zero_points, axis, dtype):
        x = qz._values(input, "quantize_per_channel")
        qmin, qmax = qz.quant_range(dtype)
        scales, zero_points = np.asarray(scales, dtype=np.float64), np.asarray(zero_points, dtype=np.int64)
        shape = broadcast_shape(x.ndim, axis)
        q = np.clip(np.round(x / scales.astype(np.float32).reshape(shape)) + zero_points.reshape(shape), qmin, qmax)
        return qz.QuantizedTensor(q.astype(dtype), scales, zero_points, "per_channel_affine", axis=axis)
    return quantize_per_channel


PerChannelAlongTheLastAxis = _per_channel(lambda ndim, axis: [1] * (ndim - 1) + [-1])  # scales always per column
PerChannelAlwaysRows = _per_channel(lambda ndim, axis: [-1] + [1] * (ndim - 1))  # ignores axis


def PerChannelWithTheFirstScale(input, scales, zero_points, axis, dtype):
    x = qz._values(input, "quantize_per_channel")
    qmin, qmax = qz.quant_range(dtype)
    q = np.clip(np.round(x / np.float32(np.asarray(scales)[0])) + np.asarray(zero_points)[0], qmin, qmax)
    return qz.QuantizedTensor(q.astype(dtype), scales, zero_points, "per_channel_affine", axis=axis)


# Part 3 · MinMaxObserver.forward
class ObserverKeepsTheLastBatch(qz.MinMaxObserver):
    def forward(self, x_orig):
        x = qz._values(x_orig, "observer")
        self.min_val, self.max_val = Tensor(np.array(x.min(), dtype=np.float32)), Tensor(np.array(x.max(), dtype=np.float32))
        return x_orig


class ObserverStartsFromZero(qz.MinMaxObserver):
    def forward(self, x_orig):
        x = qz._values(x_orig, "observer")
        low = 0.0 if not np.isfinite(self.min_val.data) else self.min_val.data
        high = 0.0 if not np.isfinite(self.max_val.data) else self.max_val.data
        self.min_val = Tensor(np.array(min(low, x.min()), dtype=np.float32))
        self.max_val = Tensor(np.array(max(high, x.max()), dtype=np.float32))
        return x_orig


class ObserverReturnsACopy(qz.MinMaxObserver):
    def forward(self, x_orig):
        super().forward(x_orig)
        return Tensor(x_orig.data.copy())


# Part 4a · DynamicQuantizedLinear.forward
def _dynamic(accumulate):
    class Mutant(qz.DynamicQuantizedLinear):
        def forward(self, input):
            x = input.data.astype(np.float32)
            scale, zero_point = qz.calculate_qparams(x.min(), x.max(), np.uint8)
            qx = qz.quantize_per_tensor(x, scale, zero_point, np.uint8).int_repr().data
            acc = accumulate(qx, zero_point, self.weight_int8.data)
            out = acc.astype(np.float32) * (np.float32(scale) * self._weight_scale())
            return Tensor(out if self.bias_float32 is None else out + self.bias_float32.data, dtype=np.float32)
    return Mutant


DynamicAccumulatesInInt16 = _dynamic(lambda qx, zp, qw: (qx.astype(np.int16) - np.int16(zp)) @ qw.astype(np.int16).T)
DynamicAccumulatesInInt8 = _dynamic(lambda qx, zp, qw: (qx.astype(np.int32) - zp).astype(np.int8) @ qw.T)
DynamicForgetsTheInputZeroPoint = _dynamic(lambda qx, zp, qw: qx.astype(np.int32) @ qw.astype(np.int32).T)


# Part 4b · quantize_dynamic
def QuantizeDynamicInPlace(model, qconfig_spec=None, dtype=np.int8, mapping=None, inplace=False):
    return qz.quantize_dynamic(model, qconfig_spec, dtype, mapping, inplace=True)  # the float model is gone


def QuantizeDynamicTopLevelOnly(model, qconfig_spec=None, dtype=np.int8, mapping=None, inplace=False):
    model = copy.deepcopy(model)
    for name, child in list(model.named_children()):
        if type(child) is Linear:
            setattr(model, name, qz.DynamicQuantizedLinear.from_float(child))
    return model


def QuantizeDynamicSequentialOnly(model, qconfig_spec=None, dtype=np.int8, mapping=None, inplace=False):
    """Walks into Sequential containers but not into ModuleLists or other modules' attributes."""
    from tinytorch.core.layers import Sequential
    model = copy.deepcopy(model)

    def walk(module):
        for name, child in list(module.named_children()):
            if type(child) is Linear:
                setattr(module, name, qz.DynamicQuantizedLinear.from_float(child))
            elif isinstance(child, Sequential):
                walk(child)
    walk(model)
    return model


def QuantizeDynamicIgnoresNames(model, qconfig_spec=None, dtype=np.int8, mapping=None, inplace=False):
    return qz.quantize_dynamic(model, None, dtype, mapping, inplace)


CASES = [
    (checks.check_calculate_qparams, qz.calculate_qparams,
     [(QparamsZeroPointNotRounded, "must be an integer"), (QparamsScaleFromMax, "whole width max - min"),
      (QparamsRangeWithoutZero, "include 0 in the range"), (QparamsWithoutEps, "smallest scale")]),
    (checks.check_quantize_per_tensor, qz.quantize_per_tensor,
     [(QuantizeTruncates, "truncated"), (QuantizeRoundsHalfUp, "half to even"), (QuantizeWithoutClamp, "clamped"),
      (QuantizeWithoutZeroPoint, "zero point 10 was not added"),
      (QuantizeDequantizeWithoutZeroPoint, "zero point was not subtracted"),
      (QuantizeDequantizeInUint8, "wrapped around for q < zero_point")]),
    (checks.check_quantize_per_channel, qz.quantize_per_channel,
     [(PerChannelAlongTheLastAxis, "applied along axis 1, not axis 0"),
      (PerChannelAlwaysRows, "applied along axis 0, not axis 1"),
      (PerChannelWithTheFirstScale, "expected the integers")]),
    (checks.check_observer, qz.MinMaxObserver,
     [(ObserverKeepsTheLastBatch, "only this batch's"), (ObserverStartsFromZero, "start from +inf"),
      (ObserverReturnsACopy, "return its input itself")]),
    (checks.check_dynamic_linear, qz.DynamicQuantizedLinear,
     [(DynamicAccumulatesInInt16, "accumulated in int16"), (DynamicAccumulatesInInt8, "int32"),
      (DynamicForgetsTheInputZeroPoint, "zero point")]),
    (checks.check_quantize_dynamic, qz.quantize_dynamic,
     [(QuantizeDynamicInPlace, "must return a copy"), (QuantizeDynamicTopLevelOnly, "left these Linear layers in float"),
      (QuantizeDynamicSequentialOnly, "body.1.layers.0"), (QuantizeDynamicIgnoresNames, "named head")]),
]

test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
