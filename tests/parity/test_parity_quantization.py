"""tinytorch.quantization against torch's quantized tensors, observers and dynamic quantization (module 15).

torch.quantize_per_tensor / quantize_per_channel give exactly the same integers (round half to even) and the
same dequantized floats. quantize_dynamic's int8 weights and scales are identical; its outputs differ by a rounding
error, because torch's x86 engine quantizes activations to [0, 127] (reduce_range) and tinytorch to [0, 255]:
compared with a tolerance of a few activation steps.
"""
import numpy as np
import pytest

import tinytorch
from parity import covers, set_parameters, torch
from tinytorch import quantization as tq

# torch 2.13 marks its quantized tensors and torch.ao.quantization as deprecated; the numerics are what we compare
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")

DTYPES = [(np.int8, "qint8"), (np.uint8, "quint8")]


def _x(shape, seed, scale=2.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


@covers("quantization.quantize_per_tensor", "quantization.QuantizedTensor")
@pytest.mark.parametrize("dtype,torch_dtype", DTYPES)
@pytest.mark.parametrize("scale,zero_point", [(0.25, 0), (0.013, 7), (0.5, 100), (0.1, 3)])
def test_quantize_per_tensor(dtype, torch_dtype, scale, zero_point):
    x = _x((4, 9), 1)
    x[0, :4] = [0.5 * scale, 1.5 * scale, -0.5 * scale, 1000.0]  # ties (rounded after the zero point is added), clamping
    zero_point = min(zero_point, 127) if dtype is np.int8 else zero_point
    mine = tq.quantize_per_tensor(tinytorch.Tensor(x), scale, zero_point, dtype)
    theirs = torch.quantize_per_tensor(torch.from_numpy(x), scale, zero_point, getattr(torch, torch_dtype))
    assert mine.dtype == torch_dtype and mine.qscheme() == str(theirs.qscheme()).replace("torch.", "")
    np.testing.assert_array_equal(mine.int_repr().data, theirs.int_repr().numpy())
    assert mine.int_repr().dtype == theirs.int_repr().numpy().dtype
    np.testing.assert_array_equal(mine.dequantize().data, theirs.dequantize().numpy())
    assert mine.q_scale() == theirs.q_scale() and mine.q_zero_point() == theirs.q_zero_point()


@covers("quantization.quantize_per_channel", "quantization.QuantizedTensor")
@pytest.mark.parametrize("dtype,torch_dtype", DTYPES)
@pytest.mark.parametrize("shape,axis", [((5, 7), 0), ((5, 7), 1), ((4, 3, 3, 3), 0), ((4, 3, 3, 3), 1)])
def test_quantize_per_channel(dtype, torch_dtype, shape, axis):
    x = _x(shape, 2) * np.geomspace(0.01, 1, shape[axis]).reshape([-1 if a == axis else 1 for a in range(len(shape))])
    x = x.astype(np.float32)
    rng = np.random.default_rng(3)
    scales = np.abs(np.moveaxis(x, axis, 0).reshape(shape[axis], -1)).max(axis=1) / 100.0
    zero_points = rng.integers(-10, 10, shape[axis]) + (0 if dtype is np.int8 else 128)
    mine = tq.quantize_per_channel(tinytorch.Tensor(x), scales, zero_points, axis, dtype)
    theirs = torch.quantize_per_channel(torch.from_numpy(x), torch.from_numpy(scales), torch.from_numpy(zero_points),
                                        axis, getattr(torch, torch_dtype))
    np.testing.assert_array_equal(mine.int_repr().data, theirs.int_repr().numpy())
    np.testing.assert_array_equal(mine.dequantize().data, theirs.dequantize().numpy())
    np.testing.assert_array_equal(mine.q_per_channel_scales().data, theirs.q_per_channel_scales().numpy())
    np.testing.assert_array_equal(mine.q_per_channel_zero_points().data, theirs.q_per_channel_zero_points().numpy())
    assert mine.q_per_channel_axis() == theirs.q_per_channel_axis()
    assert mine.qscheme() == str(theirs.qscheme()).replace("torch.", "")


RANGES = [(-1.0, 3.0), (2.0, 10.0), (-6.0, -0.5), (-2.5, 2.5), (-0.03, 7.7), (0.0, 0.0), (-1.0, 1.0), (-1e-9, 1e-9)]


@covers("quantization.calculate_qparams", "quantization.MinMaxObserver")
@pytest.mark.parametrize("dtype,torch_dtype", DTYPES)
@pytest.mark.parametrize("qscheme", ["per_tensor_affine", "per_tensor_symmetric"])
def test_calculate_qparams_and_min_max_observer(dtype, torch_dtype, qscheme):
    from torch.ao.quantization import MinMaxObserver
    for low, high in RANGES:
        batch = np.array([low, high, (low + high) / 2], dtype=np.float32)
        theirs = MinMaxObserver(dtype=getattr(torch, torch_dtype), qscheme=getattr(torch, qscheme))
        theirs(torch.from_numpy(batch))
        want_scale, want_zero = theirs.calculate_qparams()
        scale, zero_point = tq.calculate_qparams(low, high, dtype, qscheme)
        assert np.float32(scale) == want_scale.numpy()[0], (low, high, scale, want_scale)
        assert zero_point == int(want_zero.numpy()[0]), (low, high, zero_point, want_zero)
        mine = tq.MinMaxObserver(dtype=dtype, qscheme=qscheme)
        mine(tinytorch.Tensor(batch))
        got_scale, got_zero = mine.calculate_qparams()
        np.testing.assert_array_equal(got_scale.data, want_scale.numpy())
        np.testing.assert_array_equal(got_zero.data, want_zero.numpy())
        assert float(mine.min_val.data) == float(theirs.min_val) and float(mine.max_val.data) == float(theirs.max_val)


@covers("quantization.MovingAverageMinMaxObserver")
@pytest.mark.parametrize("averaging_constant", [0.01, 0.3])
def test_moving_average_observer(averaging_constant):
    from torch.ao.quantization import MovingAverageMinMaxObserver
    mine = tq.MovingAverageMinMaxObserver(averaging_constant=averaging_constant)
    theirs = MovingAverageMinMaxObserver(averaging_constant=averaging_constant)
    for seed in range(5):
        batch = _x((6, 4), 10 + seed, scale=1.0 + 10 * (seed == 2))  # an outlier batch in the middle
        mine(tinytorch.Tensor(batch))
        theirs(torch.from_numpy(batch))
    np.testing.assert_allclose(float(mine.min_val.data), float(theirs.min_val), rtol=1e-6)
    np.testing.assert_allclose(float(mine.max_val.data), float(theirs.max_val), rtol=1e-6)
    (scale, zero_point), (want_scale, want_zero) = mine.calculate_qparams(), theirs.calculate_qparams()
    np.testing.assert_allclose(scale.data, want_scale.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(zero_point.data, want_zero.numpy())


@covers("quantization.PerChannelMinMaxObserver")
@pytest.mark.parametrize("ch_axis", [0, 1])
@pytest.mark.parametrize("dtype,torch_dtype,qscheme", [(np.int8, "qint8", "per_channel_symmetric"),
                                                       (np.uint8, "quint8", "per_channel_affine")])
def test_per_channel_observer(ch_axis, dtype, torch_dtype, qscheme):
    from torch.ao.quantization import PerChannelMinMaxObserver
    mine = tq.PerChannelMinMaxObserver(ch_axis=ch_axis, dtype=dtype, qscheme=qscheme)
    theirs = PerChannelMinMaxObserver(ch_axis=ch_axis, dtype=getattr(torch, torch_dtype), qscheme=getattr(torch, qscheme))
    for seed in range(3):
        batch = _x((5, 6, 2), 20 + seed)
        mine(tinytorch.Tensor(batch))
        theirs(torch.from_numpy(batch))
    np.testing.assert_array_equal(mine.min_val.data, theirs.min_val.numpy())
    np.testing.assert_array_equal(mine.max_val.data, theirs.max_val.numpy())
    (scale, zero_point), (want_scale, want_zero) = mine.calculate_qparams(), theirs.calculate_qparams()
    np.testing.assert_array_equal(scale.data, want_scale.numpy())
    np.testing.assert_array_equal(zero_point.data, want_zero.numpy())


@covers("quantization.fake_quantize_per_channel_affine")
@pytest.mark.parametrize("axis,quant_min,quant_max", [(0, -128, 127), (1, 0, 255), (0, -8, 7)])
def test_fake_quantize_per_channel_affine(axis, quant_min, quant_max):
    x = _x((4, 6), 30)
    scale = (np.abs(x).max(axis=1 - axis) / 50.0).astype(np.float32)
    zero_point = np.random.default_rng(31).integers(quant_min // 2, quant_max // 2, x.shape[axis]).astype(np.int32)
    mine = tq.fake_quantize_per_channel_affine(tinytorch.Tensor(x), scale, zero_point, axis, quant_min, quant_max)
    theirs = torch.fake_quantize_per_channel_affine(torch.from_numpy(x), torch.from_numpy(scale),
                                                    torch.from_numpy(zero_point), axis, quant_min, quant_max)
    np.testing.assert_allclose(mine.data, theirs.numpy(), rtol=0, atol=1e-6)


def _mlp(m):
    nn = torch.nn if m is torch else tinytorch.nn
    return nn.Sequential(nn.Linear(16, 12), nn.ReLU(), nn.Sequential(nn.Linear(12, 8)), nn.ReLU(), nn.Linear(8, 4))


@covers("quantization.quantize_dynamic", "quantization.DynamicQuantizedLinear")
def test_quantize_dynamic_matches_torch():
    from torch.ao.quantization import quantize_dynamic
    mine, theirs = set_parameters(_mlp(tinytorch)), set_parameters(_mlp(torch))
    q_mine, q_theirs = tq.quantize_dynamic(mine), quantize_dynamic(theirs, {torch.nn.Linear}, dtype=torch.qint8)
    assert repr(q_mine) == repr(q_theirs).replace("torch.", "")
    layers = [(q_mine[0], q_theirs[0]), (q_mine[2][0], q_theirs[2][0]), (q_mine[4], q_theirs[4])]
    for a, b in layers:  # the int8 weights and their scales are identical
        np.testing.assert_array_equal(a.weight().int_repr().data, b.weight().int_repr().numpy())
        assert np.float32(a.weight().q_scale()) == np.float32(b.weight().q_scale())
        assert a.weight().q_zero_point() == b.weight().q_zero_point() == 0
        np.testing.assert_array_equal(a.bias().data, b.bias().detach().numpy())
    x = _x((32, 16), 40)
    got, want = q_mine(tinytorch.Tensor(x)).data, q_theirs(torch.from_numpy(x)).numpy()
    float_out = theirs(torch.from_numpy(x)).detach().numpy()
    # torch quantizes activations to 128 levels (reduce_range), tinytorch to 256: both are within a few percent of
    # the float model, and of each other
    scale = np.abs(float_out).max()
    assert np.abs(got - float_out).max() < 0.03 * scale and np.abs(want - float_out).max() < 0.03 * scale
    np.testing.assert_allclose(got, want, rtol=0, atol=0.03 * scale)
    assert type(mine[0]) is tinytorch.Linear  # the float model is untouched (torch's default inplace=False too)


@covers("quantization.DynamicQuantizedLinear")
def test_per_channel_dynamic_linear_weights_match_torch():
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
    mine, theirs = set_parameters(tinytorch.Linear(10, 6)), set_parameters(torch.nn.Linear(10, 6))
    q_theirs = quantize_dynamic(torch.nn.Sequential(theirs), {torch.nn.Linear: per_channel_dynamic_qconfig})[0]
    q_mine = tq.DynamicQuantizedLinear.from_float(mine, per_channel=True)
    np.testing.assert_array_equal(q_mine.weight().int_repr().data, q_theirs.weight().int_repr().numpy())
    np.testing.assert_allclose(q_mine.weight().q_per_channel_scales().data,
                               q_theirs.weight().q_per_channel_scales().numpy(), rtol=1e-6)
    assert q_mine.weight().q_per_channel_axis() == q_theirs.weight().q_per_channel_axis() == 0
    assert repr(q_mine) == repr(q_theirs).replace("torch.", "")
