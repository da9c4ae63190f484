"""Checks for module 15 (Quantization): qparams, per-tensor and per-channel quantization, observers, the dynamic
int8 Linear and quantize_dynamic."""
import numpy as np

from tinytorch.checks import assert_close, assert_raises, check, trying
from tinytorch.core.activations import ReLU
from tinytorch.core.layers import Linear, Module, ModuleList, Sequential
from tinytorch.core.tensor import Tensor
from tinytorch.random import manual_seed

_EPS = np.float32(np.finfo(np.float32).eps)


def _expected_qparams(low, high, dtype, symmetric):
    """Plain reference: the observer formulas, one range at a time, in float32 as PyTorch computes them."""
    qmin, qmax = (-128, 127) if np.dtype(dtype) == np.int8 else (0, 255)
    low, high = np.float32(min(low, 0.0)), np.float32(max(high, 0.0))
    if symmetric:
        scale = max(np.float32(max(-low, high)) / np.float32((qmax - qmin) / 2), _EPS)
        return float(scale), 0 if qmin < 0 else 128
    scale = max(np.float32(high - low) / np.float32(qmax - qmin), _EPS)
    zero_point = int(min(max(qmin - np.round(low / scale), qmin), qmax))
    return float(scale), zero_point


@check("Part 1a · calculate_qparams")
def check_calculate_qparams(calculate_qparams):
    ranges = [(-1.0, 3.0), (2.0, 10.0), (-6.0, -0.5), (-2.5, 2.5), (-0.03, 7.7), (0.0, 0.0), (4.0, 4.0), (-1.0, 0.1)]
    for dtype, name in ((np.uint8, "uint8"), (np.int8, "int8")):
        qmin, qmax = (-128, 127) if dtype is np.int8 else (0, 255)
        for qscheme in ("per_tensor_affine", "per_tensor_symmetric"):
            symmetric = qscheme.endswith("symmetric")
            for low, high in ranges:
                case = f"calculate_qparams({low}, {high}, {name}, {qscheme!r})"
                with trying(case):
                    scale, zero_point = calculate_qparams(low, high, dtype, qscheme)
                want_scale, want_zero = _expected_qparams(low, high, dtype, symmetric)
                if want_scale == float(_EPS) and not np.isclose(scale, want_scale, rtol=1e-3):
                    raise AssertionError(f"{case}: a range of width 0 must give the smallest scale, float32 eps "
                                         f"{want_scale:.3g}, not {scale!r} (never divide by a zero scale)")
                assert isinstance(zero_point, (int, np.integer)) and not isinstance(zero_point, bool), \
                    f"{case}: zero_point should be an int, got {type(zero_point).__name__} {zero_point!r}: the zero " \
                    "point must be an integer so that 0.0 is stored exactly (round it)"
                assert qmin <= zero_point <= qmax, \
                    f"{case}: zero_point {zero_point} is outside [{qmin}, {qmax}]: include 0 in the range " \
                    "(min(min_val, 0), max(max_val, 0)) and clamp the zero point into the integer range"
                if not symmetric and low < 0 < high and np.isclose(scale, high / (qmax - qmin), rtol=1e-4) \
                        and not np.isclose(scale, want_scale, rtol=1e-4):
                    raise AssertionError(f"{case}: scale {scale:.6g} = max / (qmax - qmin): the affine scale spreads "
                                         f"the whole width max - min over the steps, expected {want_scale:.6g}")
                assert np.isclose(scale, want_scale, rtol=1e-5, atol=0), \
                    f"{case}: scale should be {want_scale:.7g}, got {scale!r}" + (
                        " (symmetric: max(|min|, |max|) / ((qmax - qmin) / 2))" if symmetric else
                        " (affine: (max - min) / (qmax - qmin), the range widened to include 0)")
                assert zero_point == want_zero, f"{case}: zero_point should be {want_zero}, got {zero_point}" + (
                    "; symmetric fixes it (0 for int8, 128 for uint8)" if symmetric else
                    "; it is qmin - round(min / scale), the integer that stands for 0.0")
    lows, highs = np.array([-1.0, 0.5, -3.0], dtype=np.float32), np.array([1.0, 2.0, -1.0], dtype=np.float32)
    with trying("calculate_qparams on arrays of 3 per-channel ranges"):
        scales, zero_points = calculate_qparams(lows, highs, np.uint8, "per_tensor_affine")
    expected = [_expected_qparams(lo, hi, np.uint8, False) for lo, hi in zip(lows, highs)]
    assert np.shape(scales) == (3,) and np.shape(zero_points) == (3,), \
        f"per-channel ranges (3 of them) should give 3 scales and 3 zero points, got {np.shape(scales)} and " \
        f"{np.shape(zero_points)}: compute element-wise with numpy, no Python max/min/round on the arrays"
    assert_close(np.asarray(scales, dtype=np.float64), np.array([s for s, _ in expected]), "the 3 per-channel scales")
    assert np.array_equal(np.asarray(zero_points), [z for _, z in expected]), \
        f"the 3 per-channel zero points should be {[z for _, z in expected]}, got {zero_points}"


def _expected_quantize(x, scale, zero_point, qmin, qmax, dtype, divide=False):
    """PyTorch's integers: round(x · float32(1 / scale) + zero_point), clamped. With divide=True, x / scale: the two
    differ only on exact ties (either is accepted)."""
    x = x.astype(np.float32)
    raw = x / np.float32(scale) if divide else x * (np.float32(1) / np.float32(scale))
    return np.clip(np.round(raw + np.float32(zero_point)), qmin, qmax).astype(dtype)


def _same_integers(got, x, scale, zero_point, qmin, qmax, dtype):
    return any(np.array_equal(got, _expected_quantize(x, scale, zero_point, qmin, qmax, dtype, divide))
               for divide in (False, True))


def _diagnose(q, x, scale, zero_point, qmin, qmax, case):
    """Name the usual mistake when the integers are wrong."""
    raw = x.astype(np.float32) / np.float32(scale)
    if np.array_equal(q, np.clip(np.trunc(raw) + zero_point, qmin, qmax)):
        raise AssertionError(f"{case}: the values were truncated toward 0 (astype), not rounded: round to the nearest "
                             "integer first (np.round, half to even as PyTorch)")
    if np.array_equal(q, np.clip(np.floor(raw + 0.5) + zero_point, qmin, qmax)):
        raise AssertionError(f"{case}: ties were rounded up (floor(x + 0.5)); PyTorch rounds half to even: np.round")
    if np.array_equal(q, (np.round(raw) + zero_point).astype(np.int64).astype(q.dtype)):
        raise AssertionError(f"{case}: values outside the range wrapped around instead of being clamped: clip to "
                             f"[{qmin}, {qmax}] before converting to 8 bits")
    if np.array_equal(q, np.clip(np.round(raw), qmin, qmax)):
        raise AssertionError(f"{case}: the zero point {zero_point} was not added")


@check("Part 1b · quantize_per_tensor and dequantize")
def check_quantize_per_tensor(quantize_per_tensor):
    rng = np.random.default_rng(15)
    ties = np.array([0.25, 0.75, -0.25, -1.25, 1.25, 0.0], dtype=np.float32)  # k + 1/2 steps with scale 0.5
    cases = [(np.uint8, 0, 255, 0.5, 10, ties), (np.int8, -128, 127, 0.5, 0, ties),
             (np.uint8, 0, 255, 0.02, 128, rng.uniform(-4, 4, (5, 7)).astype(np.float32)),  # far outside the range
             (np.int8, -128, 127, 0.05, -3, rng.normal(0, 3, (4, 6)).astype(np.float32)),
             (np.uint8, 0, 255, 0.1, 37, rng.uniform(-3.7, 21.8, (3, 4, 5)).astype(np.float32))]
    for dtype, qmin, qmax, scale, zero_point, x in cases:
        name = np.dtype(dtype).name
        case = f"quantize_per_tensor(x of shape {x.shape}, scale={scale}, zero_point={zero_point}, {name})"
        with trying(case):
            qt = quantize_per_tensor(Tensor(x.copy()), scale, zero_point, dtype)
            got = qt.int_repr()
        want = _expected_quantize(x, scale, zero_point, qmin, qmax, dtype)
        got = np.asarray(getattr(got, "data", got))
        assert got.dtype == np.dtype(dtype), f"{case}: int_repr() should be {name}, got {got.dtype}"
        if not _same_integers(got, x, scale, zero_point, qmin, qmax, dtype):
            _diagnose(got, x, scale, zero_point, qmin, qmax, case)
            raise AssertionError(f"{case}: integers expected\n{want}\ngot\n{got}")
        with trying(f"dequantize() of {case}"):
            back = qt.dequantize()
        want = got
        expected_back = (want.astype(np.float32) - zero_point) * np.float32(scale)
        assert isinstance(back, Tensor) and back.dtype == np.float32, \
            f"dequantize() of {case} should be a float32 Tensor, got {type(back).__name__} {getattr(back, 'dtype', '')}"
        if zero_point and np.allclose(back.data, want.astype(np.float32) * np.float32(scale)):
            raise AssertionError(f"dequantize() of {case}: the zero point was not subtracted: (q - zero_point) · scale")
        if dtype is np.uint8 and zero_point and np.allclose(
                back.data, (want - np.uint8(zero_point)).astype(np.float32) * np.float32(scale)):
            raise AssertionError(f"dequantize() of {case}: q - zero_point was computed in uint8 and wrapped around "
                                 "for q < zero_point; widen to int32 before subtracting")
        assert_close(back, expected_back, f"dequantize() of {case}: (q - zero_point) · scale")
    assert_raises(ValueError, lambda: quantize_per_tensor(Tensor(ties), 0.5, 300, np.uint8),
                  "quantize_per_tensor with zero_point=300 for uint8", must_mention=["zero_point"])


@check("Part 2 · quantize_per_channel")
def check_quantize_per_channel(quantize_per_channel):
    rng = np.random.default_rng(2)
    # a square weight first: a scale broadcast along the wrong axis gives no shape error here
    square = rng.normal(0, 1, (5, 5)).astype(np.float32) * np.array([[0.01], [0.1], [1], [10], [100]], dtype=np.float32)
    for axis in (0, 1):
        scales = np.abs(square).max(axis=1 - axis).astype(np.float64) / 127.5
        shape, wrong = ((-1, 1), (1, -1)) if axis == 0 else ((1, -1), (-1, 1))
        case = f"quantize_per_channel(a 5x5 weight whose rows have very different ranges, axis={axis})"
        with trying(case):
            got = quantize_per_channel(Tensor(square.copy()), scales.copy(), np.zeros(5, dtype=np.int64), axis, np.int8)
            got = np.asarray(getattr(got.int_repr(), "data", got.int_repr()))
        wants = [np.clip(np.round(square * (np.float32(1) / scales.astype(np.float32).reshape(shape))), -128, 127),
                 np.clip(np.round(square / scales.astype(np.float32).reshape(shape)), -128, 127)]
        want = wants[0].astype(np.int8)
        wrong_scales = scales.astype(np.float32).reshape(wrong)
        if any(np.array_equal(got, np.clip(np.round(rule), -128, 127))
               for rule in (square * (np.float32(1) / wrong_scales), square / wrong_scales)):
            raise AssertionError(f"{case}: the scales were applied along axis {1 - axis}, not axis {axis}: reshape "
                                 f"them so they broadcast along axis {axis} only (with a square weight no shape error "
                                 "warns you)")
        if not any(np.array_equal(got, w) for w in wants):
            raise AssertionError(f"{case}: expected the integers\n{want}\ngot\n{got}")
    matrix = rng.normal(0, 1, (4, 6)).astype(np.float32) * np.array([[0.01], [1.0], [0.1], [3.0]], dtype=np.float32)
    conv = rng.normal(0, 1, (3, 2, 3, 3)).astype(np.float32)
    cases = [(matrix, 0, np.int8), (matrix.T.copy(), 1, np.int8), (matrix, 1, np.uint8), (conv, 0, np.int8),
             (conv, 1, np.uint8)]
    for x, axis, dtype in cases:
        qmin, qmax = (-128, 127) if dtype is np.int8 else (0, 255)
        moved = np.moveaxis(x, axis, 0).reshape(x.shape[axis], -1)
        channels = x.shape[axis]
        scales = (np.abs(moved).max(axis=1) / 100.0).astype(np.float64)  # ranges differ by 100x between channels
        zero_points = np.arange(channels, dtype=np.int64) * 3 + (0 if dtype is np.int8 else 120)
        case = f"quantize_per_channel(x of shape {x.shape}, {channels} scales, axis={axis}, {np.dtype(dtype).name})"
        with trying(case):
            qt = quantize_per_channel(Tensor(x.copy()), scales.copy(), zero_points.copy(), axis, dtype)
            got = np.asarray(getattr(qt.int_repr(), "data", qt.int_repr()))
        want, want_divided = np.empty_like(x, dtype=dtype), np.empty_like(x, dtype=dtype)
        for c in range(channels):  # one channel at a time, so the broadcast is not the one under test
            index = [slice(None)] * x.ndim
            index[axis] = c
            want[tuple(index)] = _expected_quantize(x[tuple(index)], scales[c], zero_points[c], qmin, qmax, dtype)
            want_divided[tuple(index)] = _expected_quantize(x[tuple(index)], scales[c], zero_points[c], qmin, qmax,
                                                            dtype, divide=True)
        want = got if np.array_equal(got, want_divided) else want  # x / scale instead of x · (1 / scale): accepted
        assert got.shape == x.shape and got.dtype == np.dtype(dtype), \
            f"{case}: int_repr() should be {np.dtype(dtype).name} of shape {x.shape}, got {got.dtype} {got.shape}"
        if not np.array_equal(got, want):
            wrong_axis = [a for a in range(x.ndim) if a != axis and x.shape[a] == channels]
            for other in wrong_axis:
                shape = [1] * x.ndim
                shape[other] = -1
                if np.array_equal(got, np.clip(np.round(x / scales.astype(np.float32).reshape(shape))
                                               + zero_points.reshape(shape), qmin, qmax).astype(dtype)):
                    raise AssertionError(f"{case}: the scales were applied along axis {other}, not axis {axis}: "
                                         f"reshape them so they broadcast along axis {axis} only")
            raise AssertionError(f"{case}: the integers differ from a channel-by-channel quantization along axis "
                                 f"{axis} at {int((got != want).sum())} of {got.size} places (the scales and zero "
                                 f"points must broadcast along axis {axis})")
        assert_close(qt.dequantize(), (want.astype(np.float32) - zero_points.reshape(
            [-1 if a == axis else 1 for a in range(x.ndim)])) * scales.astype(np.float32).reshape(
            [-1 if a == axis else 1 for a in range(x.ndim)]), f"dequantize() of {case}")


@check("Part 3 · MinMaxObserver.forward")
def check_observer(MinMaxObserver):
    rng = np.random.default_rng(3)
    batches = [rng.normal(0, 1, (4, 5)).astype(np.float32), np.array([[7.5, 0.2]], dtype=np.float32),
               rng.uniform(-9, -2, (3,)).astype(np.float32), np.array([0.5], dtype=np.float32)]
    observer = MinMaxObserver()
    seen = []
    for index, batch in enumerate(batches):
        case = f"forward(batch {index + 1} of range [{batch.min():.3g}, {batch.max():.3g}])"
        x = Tensor(batch.copy())
        with trying(case):
            out = observer(x)
        assert out is x, f"{case}: forward must return its input itself, unchanged (the observer sits in the data path)"
        assert np.array_equal(x.data, batch), f"{case}: forward changed its input"
        seen.append(batch)
        low, high = min(b.min() for b in seen), max(b.max() for b in seen)
        got_low, got_high = float(np.asarray(observer.min_val.data)), float(np.asarray(observer.max_val.data))
        if (got_low, got_high) == (float(batch.min()), float(batch.max())) and (low, high) != (batch.min(), batch.max()):
            raise AssertionError(f"{case}: min_val/max_val are only this batch's [{got_low:.3g}, {got_high:.3g}]; keep "
                                 f"the range of every batch seen so far, [{low:.3g}, {high:.3g}]")
        assert np.isclose(got_low, low) and np.isclose(got_high, high), \
            f"{case}: after {index + 1} batches min_val, max_val should be {low:.4g}, {high:.4g}; got {got_low:.4g}, " \
            f"{got_high:.4g}"
        assert observer.min_val.dtype == np.float32, f"{case}: min_val should be float32, got {observer.min_val.dtype}"
    scale, zero_point = observer.calculate_qparams()
    want_scale, want_zero = _expected_qparams(low, high, np.uint8, False)
    assert np.isclose(float(scale.data[0]), want_scale) and int(zero_point.data[0]) == want_zero, \
        f"calculate_qparams() after the batches should be ({want_scale:.6g}, {want_zero}), got ({scale}, {zero_point})"
    positive = MinMaxObserver()
    with trying("forward(an all-positive batch [1, 2, 3]) on a fresh observer"):
        positive(Tensor(np.array([1.0, 2.0, 3.0], dtype=np.float32)))
    assert float(positive.min_val.data) == 1.0 and float(positive.max_val.data) == 3.0, \
        f"a fresh observer fed [1, 2, 3] should record min 1, max 3 (no 0 from the start value: start from +inf/-inf), " \
        f"got {positive.min_val.data}, {positive.max_val.data}"
    assert_raises(RuntimeError, MinMaxObserver().calculate_qparams, "calculate_qparams() before any data",
                  must_mention=["no data"])


def _reference_dynamic(x, qweight, weight_scale, bias):
    """The int8 Linear computed independently: input qparams from its own range, products summed in int64."""
    low, high = min(float(x.min()), 0.0), max(float(x.max()), 0.0)
    scale = max(np.float32(high - low) / np.float32(255), _EPS)
    zero_point = int(np.clip(0 - np.round(np.float32(low) / scale), 0, 255))
    qx = np.clip(np.round(x * (np.float32(1) / np.float32(scale)) + np.float32(zero_point)), 0, 255).astype(np.int64)
    acc = (qx - zero_point) @ qweight.astype(np.int64).T
    out = acc.astype(np.float32) * (np.float32(scale) * weight_scale)
    return (out if bias is None else out + bias), qx, zero_point, scale


@check("Part 4a · DynamicQuantizedLinear.forward")
def check_dynamic_linear(DynamicQuantizedLinear):
    manual_seed(4)
    rng = np.random.default_rng(4)
    cases = [((6, 8, 5), False, True, 1.0), ((3, 512, 7), False, True, 30.0), ((2, 3, 64, 16), True, True, 5.0),
             ((5, 20, 4), False, False, 0.3), ((4, 300, 9), True, True, 100.0)]
    for shape, per_channel, bias, magnitude in cases:
        in_features, out_features = shape[-2], shape[-1]
        linear = Linear(in_features, out_features, bias=bias)
        linear.weight.data[...] = rng.normal(0, 1, linear.weight.shape) * rng.uniform(0.05, 2, (out_features, 1))
        x = (np.abs(rng.normal(0, magnitude, shape[:-1])) if magnitude == 30.0
             else rng.normal(0.5, magnitude, shape[:-1])).astype(np.float32)
        case = (f"DynamicQuantizedLinear.from_float(Linear({in_features}, {out_features}, bias={bias})"
                f"{', per_channel=True' if per_channel else ''}) on an input {x.shape} of magnitude ~{magnitude}")
        with trying(case):
            qlinear = DynamicQuantizedLinear.from_float(linear, per_channel=per_channel)
            out = qlinear(Tensor(x.copy()))
        weight = qlinear.weight()
        qweight = np.asarray(weight.int_repr().data)
        weight_scale = (weight.q_per_channel_scales().data.astype(np.float32) if per_channel
                        else np.float32(weight.q_scale()))
        want, qx, zero_point, scale = _reference_dynamic(x, qweight, weight_scale,
                                                         None if not bias else linear.bias.data)
        assert isinstance(out, Tensor) and out.shape == want.shape and out.dtype == np.float32, \
            f"{case}: expected a float32 Tensor of shape {want.shape}, got {type(out).__name__} " \
            f"{getattr(out, 'dtype', '')} {getattr(out, 'shape', '')}"
        if not np.allclose(out.data, want, rtol=1e-4, atol=1e-4 * np.abs(want).max()):
            acc = (qx - zero_point) @ qweight.astype(np.int64).T
            for kind, wrapped in (("int8", acc.astype(np.int8)), ("int16", acc.astype(np.int16))):
                narrow = wrapped.astype(np.float32) * (np.float32(scale) * weight_scale)
                if not np.array_equal(wrapped, acc) and np.allclose(out.data, narrow if not bias else narrow + linear.bias.data,
                                                                    rtol=1e-4, atol=1e-4 * np.abs(want).max()):
                    raise AssertionError(f"{case}: the integer sums overflowed: they were accumulated in {kind}. Widen "
                                         "both integer arrays to int32 (astype(np.int32)) before the product")
            no_zero = (qx @ qweight.astype(np.int64).T).astype(np.float32) * (np.float32(scale) * weight_scale)
            if zero_point and np.allclose(out.data, no_zero if not bias else no_zero + linear.bias.data, rtol=1e-3):
                raise AssertionError(f"{case}: the input's zero point ({zero_point}) was not subtracted from its "
                                     "integers before the product: Σ (qx - zx) · qw")
            assert_close(out, want, f"{case}: the int32 product of the quantized input and weight, rescaled by both "
                         "scales, plus the bias", rtol=1e-4, atol=1e-4 * float(np.abs(want).max()))
        float_out = x @ linear.weight.data.T + (linear.bias.data if bias else 0)
        relative = np.abs(out.data - float_out).max() / np.abs(float_out).max()
        assert relative < 0.05, f"{case}: the int8 output is {relative:.1%} away from the float Linear's (expected < 5%)"
    assert not list(qlinear.parameters()), "a DynamicQuantizedLinear must hold no Parameters (it is inference only)"


class _Block(Module):
    def __init__(self):
        super().__init__()
        self.proj = Linear(8, 8)
        self.layers = ModuleList([Linear(8, 8), Sequential(Linear(8, 8))])
        self.act = ReLU()

    def forward(self, x):
        x = self.act(self.proj(x))
        for layer in self.layers:
            x = self.act(layer(x))
        return x


class _Model(Module):
    def __init__(self):
        super().__init__()
        self.body = Sequential(Linear(6, 8), _Block())
        self.head = Linear(8, 3)

    def forward(self, x):
        return self.head(self.body(x))


@check("Part 4b · quantize_dynamic")
def check_quantize_dynamic(quantize_dynamic):
    manual_seed(5)
    model = _Model()
    names = [name for name, m in model.named_modules() if type(m) is Linear]
    before = {name: p.data.copy() for name, p in model.named_parameters()}
    x = Tensor(np.random.default_rng(5).normal(0, 1, (10, 6)).astype(np.float32))
    float_out = model(x).data
    with trying("quantize_dynamic(a model with Linear layers in a Sequential, a ModuleList and attributes)"):
        quantized = quantize_dynamic(model)
    assert quantized is not model, "quantize_dynamic must return a copy (copy.deepcopy) unless inplace=True"
    still_float = [name for name, m in model.named_modules() if type(m) is Linear]
    assert still_float == names and all(np.array_equal(p.data, before[n]) for n, p in model.named_parameters()), \
        f"quantize_dynamic changed the original model (its Linear layers now: {still_float} of {names}): work on " \
        "copy.deepcopy(model) and leave the float model untouched"
    left = [name for name, m in quantized.named_modules() if type(m) is Linear]
    assert not left, f"quantize_dynamic left these Linear layers in float: {left}; walk into every child " \
                     "(Sequential, ModuleList, attributes), at any depth"
    replaced = [name for name, m in quantized.named_modules() if type(m).__name__ == "DynamicQuantizedLinear"]
    assert replaced == names, f"expected DynamicQuantizedLinear layers at {names}, got them at {replaced}"
    out = quantized(x).data
    relative = np.abs(out - float_out).max() / np.abs(float_out).max()
    assert relative < 0.05, f"the quantized model's output is {relative:.1%} away from the float model's (expected < 5%)"
    only_head = quantize_dynamic(model, {"head"})
    kinds = {name: type(m).__name__ for name, m in only_head.named_modules() if name in ("head", "body.0")}
    assert kinds == {"body.0": "Linear", "head": "DynamicQuantizedLinear"}, \
        f"quantize_dynamic(model, {{'head'}}) should quantize only the submodule named head, got {kinds}"
    same = quantize_dynamic(model, inplace=True)
    assert same is model and not [n for n, m in model.named_modules() if type(m) is Linear], \
        "quantize_dynamic(model, inplace=True) should quantize and return the model itself"
    assert_raises(ValueError, lambda: quantize_dynamic(_Model(), dtype=np.float16), "quantize_dynamic(dtype=np.float16)",
                  must_mention=["dtype"])
