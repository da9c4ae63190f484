"""Module 15: quantization parameters, per-tensor and per-channel quantization, observers, the dynamic int8 Linear and
quantize_dynamic, against plain numpy formulas."""
import numpy as np
import pytest

import tinytorch
from tinytorch import Linear, ReLU, Sequential, Tensor
from tinytorch.core.layers import Module, ModuleList
from tinytorch.optim import Adam
from tinytorch.quantization import (DynamicQuantizedLinear, MinMaxObserver, MovingAverageMinMaxObserver,
                                    PerChannelMinMaxObserver, calculate_qparams, fake_quantize_per_channel_affine,
                                    model_nbytes, quantize_dynamic, quantize_per_channel, quantize_per_tensor)


def test_affine_qparams_make_zero_exact_and_span_the_range():
    scale, zero_point = calculate_qparams(-1.0, 3.0, np.uint8)
    assert scale == pytest.approx(4.0 / 255) and zero_point == 64  # 0 - round(-1 / (4/255)) = round(63.75)
    q = quantize_per_tensor(np.array([0.0, -1.0, 3.0], dtype=np.float32), scale, zero_point, np.uint8)
    assert q.int_repr().data.tolist() == [64, 0, 255]
    assert q.dequantize().data[0] == 0.0  # 0.0 is stored exactly


def test_positive_range_is_widened_to_include_zero():
    scale, zero_point = calculate_qparams(2.0, 10.0, np.int8)
    assert zero_point == -128 and scale == pytest.approx(10.0 / 255)


def test_symmetric_qparams_follow_pytorch():
    assert calculate_qparams(-2.0, 1.0, np.int8, "per_tensor_symmetric") == (pytest.approx(2.0 / 127.5), 0)
    assert calculate_qparams(-2.0, 1.0, np.uint8, "per_tensor_symmetric")[1] == 128


def test_an_empty_range_gets_the_smallest_scale_not_zero():
    scale, zero_point = calculate_qparams(0.0, 0.0, np.uint8)
    assert scale == pytest.approx(np.finfo(np.float32).eps) and zero_point == 0


def test_qparams_of_arrays_are_per_channel():
    scales, zero_points = calculate_qparams(np.array([-1.0, 0.0]), np.array([1.0, 5.1]), np.uint8)
    np.testing.assert_allclose(scales, [2 / 255, 5.1 / 255], rtol=1e-6)
    # -1 / float32(2/255) is -127.49999...: 127, not the 128 of exact arithmetic (torch's MinMaxObserver agrees)
    assert zero_points.dtype == np.int64 and zero_points.tolist() == [127, 0]


def test_qparams_reject_bad_input():
    with pytest.raises(ValueError, match="min_val"):
        calculate_qparams(2.0, 1.0)
    with pytest.raises(ValueError, match="qscheme"):
        calculate_qparams(0.0, 1.0, np.uint8, "affine")
    with pytest.raises(ValueError, match="np.int8"):
        calculate_qparams(0.0, 1.0, np.int16)


def test_quantize_rounds_half_to_even_and_clamps():
    x = np.array([0.25, 0.75, -0.25, 100.0, -100.0], dtype=np.float32)  # 0.5, 1.5, -0.5 steps, then far out
    q = quantize_per_tensor(Tensor(x), 0.5, 0, np.int8)
    assert q.int_repr().dtype == np.int8 and q.int_repr().data.tolist() == [0, 2, 0, 127, -128]


def test_dequantize_subtracts_the_zero_point_without_wrapping():
    q = quantize_per_tensor(np.array([-1.0, 0.5], dtype=np.float32), 0.1, 200, np.uint8)
    assert q.int_repr().data.tolist() == [190, 205]
    np.testing.assert_allclose(q.dequantize().data, [-1.0, 0.5], atol=1e-6)
    assert q.dequantize().dtype == np.float32


def test_quantize_per_tensor_rejects_bad_parameters():
    with pytest.raises(ValueError, match="zero_point"):
        quantize_per_tensor(np.ones(2, dtype=np.float32), 0.1, 3.5, np.uint8)
    with pytest.raises(ValueError, match="scale"):
        quantize_per_tensor(np.ones(2, dtype=np.float32), 0.0, 0, np.uint8)
    with pytest.raises(TypeError, match="floating"):
        quantize_per_tensor(np.ones(2, dtype=np.int64), 0.1, 0, np.uint8)


def test_per_channel_uses_each_slice_scale_along_axis():
    x = np.array([[0.1, -0.2, 0.3], [10.0, -20.0, 30.0]], dtype=np.float32)
    q = quantize_per_channel(x, np.array([0.01, 1.0]), np.array([0, 1]), 0, np.int8)
    assert q.int_repr().data.tolist() == [[10, -20, 30], [11, -19, 31]]
    assert q.q_per_channel_axis() == 0 and q.q_per_channel_zero_points().data.tolist() == [0, 1]
    q1 = quantize_per_channel(x.T.copy(), np.array([0.01, 1.0]), np.array([0, 1]), 1, np.int8)
    assert np.array_equal(q1.int_repr().data, q.int_repr().data.T)
    with pytest.raises(RuntimeError, match="3 channels"):
        quantize_per_channel(x, np.array([0.01, 1.0]), np.array([0, 1]), 1, np.int8)
    with pytest.raises(RuntimeError, match="per-tensor"):
        q.q_scale()


def test_per_channel_beats_per_tensor_on_rows_of_different_ranges():
    rng = np.random.default_rng(0)
    w = (rng.normal(0, 1, (8, 32)) * np.geomspace(0.01, 1, 8)[:, None]).astype(np.float32)
    per_tensor = quantize_per_tensor(w, *calculate_qparams(w.min(), w.max(), np.int8, "per_tensor_symmetric"), np.int8)
    s, z = calculate_qparams(w.min(axis=1), w.max(axis=1), np.int8, "per_tensor_symmetric")
    per_channel = quantize_per_channel(w, s, z, 0, np.int8)
    assert np.abs(per_channel.dequantize().data - w).mean() < 0.5 * np.abs(per_tensor.dequantize().data - w).mean()


def test_fake_quantize_equals_quantize_then_dequantize():
    x = np.random.default_rng(1).normal(0, 1, (3, 5)).astype(np.float32)
    scales, zero_points = np.array([0.01, 0.02, 0.05]), np.array([0, 3, -2])
    expected = quantize_per_channel(x, scales, zero_points, 0, np.int8).dequantize().data
    np.testing.assert_array_equal(fake_quantize_per_channel_affine(x, scales, zero_points, 0, -128, 127).data, expected)


def test_min_max_observer_keeps_the_extremes_of_every_batch():
    observer = MinMaxObserver()
    x = Tensor(np.array([1.0, -2.0], dtype=np.float32))
    assert observer(x) is x
    observer(Tensor(np.array([0.5, 7.0], dtype=np.float32)))
    assert float(observer.min_val.data) == -2.0 and float(observer.max_val.data) == 7.0
    scale, zero_point = observer.calculate_qparams()
    assert scale.dtype == np.float32 and zero_point.dtype == np.int64
    assert scale.data[0] == pytest.approx(9.0 / 255) and zero_point.data[0] == 57
    with pytest.raises(RuntimeError, match="no data"):
        MinMaxObserver().calculate_qparams()


def test_moving_average_observer_damps_an_outlier_batch():
    observer = MovingAverageMinMaxObserver(averaging_constant=0.1)
    observer(Tensor(np.array([-1.0, 1.0], dtype=np.float32)))
    observer(Tensor(np.array([-1.0, 41.0], dtype=np.float32)))
    assert float(observer.max_val.data) == pytest.approx(1.0 + 0.1 * 40.0)
    with pytest.raises(ValueError, match="averaging_constant"):
        MovingAverageMinMaxObserver(averaging_constant=0.0)


def test_per_channel_observer_records_each_row():
    observer = PerChannelMinMaxObserver(ch_axis=0, dtype=np.int8, qscheme="per_channel_symmetric")
    observer(Tensor(np.array([[1.0, -3.0], [0.5, 0.25]], dtype=np.float32)))
    observer(Tensor(np.array([[0.0, 4.0], [-0.1, 0.0]], dtype=np.float32)))
    assert observer.min_val.data.tolist() == [-3.0, pytest.approx(-0.1)]
    assert observer.max_val.data.tolist() == [4.0, 0.5]
    scale, zero_point = observer.calculate_qparams()
    np.testing.assert_allclose(scale.data, [4.0 / 127.5, 0.5 / 127.5], rtol=1e-6)
    assert zero_point.data.tolist() == [0, 0]


def _float_linear(in_features, out_features, seed=0):
    tinytorch.manual_seed(seed)
    return Linear(in_features, out_features)


def test_dynamic_linear_matches_an_int64_reference_and_the_float_layer():
    linear = _float_linear(300, 7)
    x = np.random.default_rng(2).normal(3.0, 20.0, (5, 300)).astype(np.float32)  # sums that overflow int16
    qlinear = DynamicQuantizedLinear.from_float(linear)
    out = qlinear(Tensor(x)).data
    w = linear.weight.data
    w_scale = np.float32(np.abs(w).max() / 127.5)
    qw = np.clip(np.round(w / w_scale), -128, 127).astype(np.int64)
    assert np.array_equal(qlinear.weight().int_repr().data, qw) and qlinear.weight().int_repr().dtype == np.int8
    lo, hi = min(x.min(), 0), max(x.max(), 0)
    x_scale = np.float32((hi - lo) / np.float32(255))
    zx = int(0 - np.round(lo / x_scale))
    qx = np.clip(np.round(x / x_scale) + zx, 0, 255).astype(np.int64)
    expected = ((qx - zx) @ qw.T).astype(np.float32) * (x_scale * w_scale) + linear.bias.data
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-4)
    float_out = x @ w.T + linear.bias.data
    assert np.abs(out - float_out).max() < 0.02 * np.abs(float_out).max()


def test_dynamic_linear_per_channel_and_batched_input_and_no_bias():
    tinytorch.manual_seed(3)
    linear = Linear(16, 4, bias=False)
    linear.weight.data[...] *= np.array([[0.01], [0.1], [1.0], [10.0]], dtype=np.float32)
    qlinear = DynamicQuantizedLinear.from_float(linear, per_channel=True)
    assert qlinear.weight().qscheme() == "per_channel_affine" and qlinear.bias() is None
    x = np.random.default_rng(3).normal(0, 1, (2, 3, 16)).astype(np.float32)
    out = qlinear(Tensor(x)).data
    float_out = x @ linear.weight.data.T
    assert out.shape == (2, 3, 4)
    for row in range(4):  # each output column is accurate relative to its own scale
        assert np.abs(out[..., row] - float_out[..., row]).max() < 0.03 * np.abs(float_out[..., row]).max()
    assert "qscheme=per_channel_affine" in repr(qlinear)


def test_dynamic_linear_is_inference_only_and_validates_its_input():
    qlinear = DynamicQuantizedLinear.from_float(_float_linear(4, 3))
    assert list(qlinear.parameters()) == []
    out = qlinear(Tensor(np.ones((2, 4), dtype=np.float32), requires_grad=True))
    assert not out.requires_grad and out.grad_fn is None
    with pytest.raises(ValueError, match="last dimension is 4"):
        qlinear(Tensor(np.ones((2, 5), dtype=np.float32)))
    with pytest.raises(ValueError, match="np.int8"):
        DynamicQuantizedLinear(4, 3, dtype=np.uint8)
    with pytest.raises(TypeError, match="Linear"):
        DynamicQuantizedLinear.from_float(ReLU())


class Nested(Module):
    def __init__(self):
        super().__init__()
        self.stack = Sequential(Linear(4, 6), ReLU(), Sequential(Linear(6, 6)))
        self.extra = ModuleList([Linear(6, 6)])
        self.head = Linear(6, 2)

    def forward(self, x):
        x = self.stack(x)
        for layer in self.extra:
            x = layer(x)
        return self.head(x)


def test_quantize_dynamic_copies_and_replaces_every_linear_at_any_depth():
    tinytorch.manual_seed(4)
    model = Nested()
    quantized = quantize_dynamic(model)
    assert [n for n, m in model.named_modules() if type(m) is Linear] == ["stack.0", "stack.2.0", "extra.0", "head"]
    assert [n for n, m in quantized.named_modules() if isinstance(m, DynamicQuantizedLinear)] == \
        ["stack.0", "stack.2.0", "extra.0", "head"]
    x = Tensor(np.random.default_rng(4).normal(0, 1, (8, 4)).astype(np.float32))
    assert np.abs(quantized(x).data - model(x).data).max() < 0.03 * np.abs(model(x).data).max()
    with pytest.raises(ValueError, match="empty"):
        Adam(quantized.parameters())  # nothing left to train


def test_quantize_dynamic_options_and_errors():
    model = Nested()
    assert type(quantize_dynamic(model, {"head"}).stack[0]) is Linear
    assert quantize_dynamic(model, inplace=True) is model and isinstance(model.head, DynamicQuantizedLinear)
    with pytest.raises(ValueError, match="dtype"):
        quantize_dynamic(Nested(), dtype=np.uint8)
    with pytest.raises(TypeError, match="Module"):
        quantize_dynamic([Linear(2, 2)])


def test_model_nbytes_counts_int8_weights_scales_and_float_bias():
    model = Sequential(Linear(64, 32), ReLU(), Linear(32, 10))
    assert model_nbytes(model) == (64 * 32 + 32 + 32 * 10 + 10) * 4
    quantized = quantize_dynamic(model)
    assert model_nbytes(quantized) == 64 * 32 + 32 * 10 + 2 * 8 + (32 + 10) * 4  # int8 + (scale, zero point) + bias
    per_channel = DynamicQuantizedLinear.from_float(model[0], per_channel=True)
    assert model_nbytes(per_channel) == 64 * 32 + 32 * 8 + 32 * 4
    assert str(quantized[0]) == ("DynamicQuantizedLinear(in_features=64, out_features=32, dtype=qint8, "
                                 "qscheme=per_tensor_affine)")


def test_quantized_state_dict_round_trips():
    tinytorch.manual_seed(6)
    source = quantize_dynamic(Sequential(Linear(8, 5), ReLU(), Linear(5, 3)))
    state = source.state_dict()
    assert list(state) == [f"{i}.{name}" for i in (0, 2) for name in
                           ("weight_int8", "weight_scale", "weight_zero_point", "bias_float32")]
    assert state["0.weight_int8"].dtype == np.int8
    tinytorch.manual_seed(7)
    target = quantize_dynamic(Sequential(Linear(8, 5), ReLU(), Linear(5, 3)))
    x = Tensor(np.random.default_rng(6).normal(0, 1, (4, 8)).astype(np.float32))
    assert not np.allclose(target(x).data, source(x).data)
    target.load_state_dict(state)
    np.testing.assert_array_equal(target(x).data, source(x).data)


def test_empty_batch_gives_an_empty_output():
    qlinear = DynamicQuantizedLinear.from_float(_float_linear(4, 3))
    assert qlinear(Tensor(np.zeros((0, 4), dtype=np.float32))).shape == (0, 3)
