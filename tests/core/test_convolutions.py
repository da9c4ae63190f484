"""tinytorch.core.convolutions against independent numpy references, gradients against float64 finite
differences, and every bad input with its message asserted."""
import numpy as np
import pytest

from tinytorch.checks import numerical_gradient
from tinytorch.checks.convolutions import reference_conv2d, reference_pool
from tinytorch.core import convolutions as conv
from tinytorch.core.convolutions import (AvgPool2d, BatchNorm2d, Conv2d, Flatten, MaxPool2d, avg_pool2d, batch_norm,
                                         col2im, conv2d, conv2d_forward, conv2d_loops, im2col, max_pool2d)
from tinytorch.core.tensor import Tensor
from tinytorch.random import manual_seed

CONFIGS = [  # x shape, weight shape, bias, stride, padding
    ((2, 3, 7, 6), (4, 3, 3, 3), True, 1, 0),
    ((1, 2, 8, 9), (3, 2, 3, 2), False, 2, 1),
    ((2, 1, 6, 6), (2, 1, 5, 5), True, 1, 2),
    ((1, 3, 9, 7), (2, 3, 2, 3), True, (3, 1), (1, 0)),
    ((3, 2, 4, 4), (5, 2, 1, 1), True, 1, 0),
]


def arrays(config, seed=0):
    x_shape, w_shape, has_bias, _, _ = config
    rng = np.random.default_rng(seed)
    return rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0]) if has_bias else None


def f64(a, grad=True):
    return Tensor(np.asarray(a, dtype=np.float64), dtype=np.float64, requires_grad=grad)


@pytest.mark.parametrize("config", CONFIGS)
def test_loops_im2col_and_conv2d_agree_with_a_shift_and_add_reference(config):
    x, w, b = arrays(config)
    expected = reference_conv2d(x, w, b, config[3], config[4])
    np.testing.assert_allclose(conv2d_loops(x, w, b, config[3], config[4]), expected, rtol=1e-10, atol=1e-12)
    out, cols = conv2d_forward(x, w, b, config[3], config[4])
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    assert cols.shape == (expected.shape[0] * expected.shape[2] * expected.shape[3], w[0].size)
    result = conv2d(f64(x, False), f64(w, False), None if b is None else f64(b, False), config[3], config[4])
    assert result.dtype == np.float64 and result.grad_fn is None
    np.testing.assert_allclose(result.data, expected, rtol=1e-10, atol=1e-12)


def test_a_hand_worked_example_is_cross_correlation_with_stride_and_padding():
    x = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
    w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    # window at (0, 0) of the input padded by 1: [[0, 0], [0, 0]] -> 0; at (0, 1) with stride 2: [[0, 0], [1, 2]] -> 1*3 + 2*4
    out = conv2d(f64(x, False), f64(w, False), stride=2, padding=1).data
    assert out.shape == (1, 1, 3, 3)
    assert out[0, 0, 0, 0] == 0 * 1 + 0 * 2 + 0 * 3 + 0 * 4
    assert out[0, 0, 0, 1] == 0 * 1 + 0 * 2 + 1 * 3 + 2 * 4
    assert out[0, 0, 1, 1] == 5 * 1 + 6 * 2 + 9 * 3 + 10 * 4


@pytest.mark.parametrize("config", CONFIGS[:4])
def test_conv2d_gradients_match_finite_differences(config):
    x, w, b = arrays(config, seed=1)
    stride, padding = config[3], config[4]
    tensors = [f64(x), f64(w)] + ([] if b is None else [f64(b)])
    out = conv2d(*tensors, stride=stride, padding=padding)
    assert type(out.grad_fn).__name__ == "ConvolutionBackward0"
    upstream = np.random.default_rng(2).standard_normal(out.shape)
    (out * Tensor(upstream, dtype=np.float64)).sum().backward()
    values = [x, w, b]
    for position, tensor in enumerate(tensors):
        def loss(varied, position=position):
            args = list(values)
            args[position] = varied
            return float(np.sum(upstream * reference_conv2d(*args, stride, padding)))
        np.testing.assert_allclose(tensor.grad.data, numerical_gradient(loss, values[position]), rtol=1e-6, atol=1e-7)


def test_col2im_is_the_adjoint_of_im2col():
    rng = np.random.default_rng(3)
    for shape, kernel, stride, padding in [((2, 3, 7, 6), 3, 2, 1), ((1, 2, 5, 8), (2, 3), (1, 2), (0, 1))]:
        x = rng.standard_normal(shape)
        cols = im2col(x, kernel, stride, padding)
        c = rng.standard_normal(cols.shape)
        assert np.isclose(np.sum(cols * c), np.sum(x * col2im(c, shape, kernel, stride, padding)))


def test_im2col_copies_each_pixel_about_k_squared_times():
    x = np.zeros((2, 4, 16, 16), dtype=np.float32)
    assert im2col(x, 3, 1, 1).nbytes == 9 * x.nbytes
    assert im2col(x, 3, 2, 1).nbytes == 9 * x.nbytes // 4


def test_unbatched_input_gives_an_unbatched_output_and_gradient():
    x, w, b = arrays(CONFIGS[0])
    single = f64(x[0])
    out = conv2d(single, f64(w, False), f64(b, False), padding=1)
    assert out.shape == (4, 7, 6)
    np.testing.assert_allclose(out.data, reference_conv2d(x[:1], w, b, 1, 1)[0], rtol=1e-10)
    out.sum().backward()
    assert single.grad.shape == (3, 7, 6)


def test_the_browser_matmul_path_gives_the_same_numbers(monkeypatch):
    x, w, b = arrays(CONFIGS[1])
    expected = conv2d_forward(x, w, b, 2, 1)[0]
    monkeypatch.setattr(conv.sys, "platform", "emscripten")
    np.testing.assert_allclose(conv2d_forward(x, w, b, 2, 1)[0], expected, rtol=1e-12)


def test_conv2d_layer_initialises_weight_then_bias_from_the_shared_generator_like_pytorch():
    manual_seed(5)
    layer = Conv2d(3, 4, (3, 2))
    reference = np.random.default_rng(5)
    bound = 1 / np.sqrt(3 * 3 * 2)
    np.testing.assert_allclose(layer.weight.data, reference.uniform(-bound, bound, (4, 3, 3, 2)).astype(np.float32))
    np.testing.assert_allclose(layer.bias.data, reference.uniform(-bound, bound, 4).astype(np.float32))
    assert layer.weight.dtype == np.float32 and layer.kernel_size == (3, 2) and layer.stride == (1, 1)
    assert Conv2d(3, 4, 3, bias=False).bias is None
    assert [name for name, _ in Conv2d(1, 2, 3).named_parameters()] == ["weight", "bias"]


def test_conv2d_layer_forward_and_gradients_reach_its_parameters():
    manual_seed(0)
    layer = Conv2d(2, 3, 3, stride=2, padding=1)
    x = np.random.default_rng(0).standard_normal((2, 2, 6, 5)).astype(np.float32)
    out = layer(Tensor(x))
    np.testing.assert_allclose(out.data, reference_conv2d(x, layer.weight.data, layer.bias.data, 2, 1), rtol=1e-5, atol=1e-5)
    out.sum().backward()
    assert layer.weight.grad.shape == (3, 2, 3, 3) and layer.bias.grad.shape == (3,)
    np.testing.assert_allclose(layer.bias.grad.data, np.full(3, 2 * 3 * 3), rtol=1e-6)  # B * H_out * W_out


@pytest.mark.parametrize("kernel,stride,padding", [(2, None, 0), (3, 1, 1), ((2, 3), (2, 1), (1, 1)), (3, 2, 0)])
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_forward_and_gradient_match_references(kernel, stride, padding, kind):
    x = np.random.default_rng(4).standard_normal((2, 3, 7, 6)) - 3
    effective = kernel if stride is None else stride
    pool = max_pool2d if kind == "max" else avg_pool2d
    tensor = f64(x)
    out = pool(tensor, kernel, stride, padding)
    np.testing.assert_allclose(out.data, reference_pool(x, kernel, effective, padding, kind), rtol=1e-12)
    upstream = np.random.default_rng(5).standard_normal(out.shape)
    (out * Tensor(upstream, dtype=np.float64)).sum().backward()
    numeric = numerical_gradient(lambda v: float(np.sum(upstream * reference_pool(v, kernel, effective, padding, kind))), x)
    np.testing.assert_allclose(tensor.grad.data, numeric, rtol=1e-6, atol=1e-7)


def test_max_pool_gives_the_gradient_to_the_first_maximum_and_adds_over_overlapping_windows():
    x = f64(np.array([[[[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 5.0]]]]))
    out = max_pool2d(x, 2, stride=1)
    np.testing.assert_array_equal(out.data, [[[[1.0, 1.0], [1.0, 5.0]]]])
    out.sum().backward()
    # windows (0,0), (0,1), (1,0) all pick their first maximum; (0,0)'s and (0,1)'s first is not the same element
    np.testing.assert_array_equal(x.grad.data, [[[[1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]]])
    y = f64(np.array([[[[0.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 0.0]]]]))
    max_pool2d(y, 2, stride=1).sum().backward()
    assert y.grad.data[0, 0, 1, 1] == 4.0  # the centre wins all four windows
    assert type(max_pool2d(f64(np.ones((1, 1, 2, 2))), 2).grad_fn).__name__ == "MaxPool2DWithIndicesBackward0"


def test_avg_pool_counts_the_padding_zeros():
    out = avg_pool2d(Tensor(np.ones((1, 1, 2, 2), dtype=np.float32)), 2, stride=1, padding=1)
    np.testing.assert_allclose(out.data[0, 0], [[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]])


def test_pool_modules_default_stride_to_the_kernel_and_keep_float32():
    x = Tensor(np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32))
    assert MaxPool2d(2)(x).shape == (2, 3, 4, 4) and MaxPool2d(2).stride == 2
    assert AvgPool2d(3, stride=1, padding=1)(x).shape == (2, 3, 8, 8)
    assert MaxPool2d(2)(x).dtype == np.float32 and AvgPool2d(2)(x).dtype == np.float32
    assert MaxPool2d(2)(Tensor(np.ones((3, 4, 4), dtype=np.float32))).shape == (3, 2, 2)


def test_batch_norm_training_updates_buffers_with_the_unbiased_variance_and_eval_uses_them():
    layer = BatchNorm2d(2, momentum=0.25)
    rng = np.random.default_rng(6)
    x = (rng.standard_normal((3, 2, 2, 3)) * 4 + 2).astype(np.float32)
    out = layer(Tensor(x))
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(out.data, (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out.data.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(layer.running_mean.data, 0.25 * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.running_var.data, 0.75 + 0.25 * x.var(axis=(0, 2, 3), ddof=1), rtol=1e-5)
    assert layer.num_batches_tracked.dtype == np.int64 and int(layer.num_batches_tracked.item()) == 1
    assert list(layer.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    layer.eval()
    y = rng.standard_normal((1, 2, 1, 1)).astype(np.float32)
    expected = (y - layer.running_mean.data[None, :, None, None]) / np.sqrt(layer.running_var.data[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(layer(Tensor(y)).data, expected, rtol=1e-5)
    assert int(layer.num_batches_tracked.item()) == 1


def test_batch_norm_without_running_stats_always_uses_the_batch_and_without_affine_has_no_parameters():
    layer = BatchNorm2d(2, affine=False, track_running_stats=False).eval()
    assert list(layer.parameters()) == [] and list(layer.state_dict()) == []
    x = np.random.default_rng(7).standard_normal((4, 2, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(layer(Tensor(x)).data.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    assert BatchNorm2d(3, bias=False).bias is None and BatchNorm2d(3, bias=False).weight is not None


def test_batch_norm_gradients_match_finite_differences_through_the_batch_statistics():
    rng = np.random.default_rng(8)
    x, w, b = rng.standard_normal((3, 2, 2, 3)), rng.standard_normal(2), rng.standard_normal(2)
    tensors = [f64(x), f64(w), f64(b)]
    out = batch_norm(tensors[0], None, None, tensors[1], tensors[2], training=True)
    upstream = rng.standard_normal(x.shape)
    (out * Tensor(upstream, dtype=np.float64)).sum().backward()

    def reference(xs, ws, bs):
        mean, var = xs.mean(axis=(0, 2, 3), keepdims=True), xs.var(axis=(0, 2, 3), keepdims=True)
        return (xs - mean) / np.sqrt(var + 1e-5) * ws[None, :, None, None] + bs[None, :, None, None]

    values = [x, w, b]
    for position, tensor in enumerate(tensors):
        def loss(varied, position=position):
            args = list(values)
            args[position] = varied
            return float(np.sum(upstream * reference(*args)))
        np.testing.assert_allclose(tensor.grad.data, numerical_gradient(loss, values[position]), rtol=1e-5, atol=1e-7)


def test_flatten_keeps_the_batch_dimension():
    x = Tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2), requires_grad=True)
    out = Flatten()(x)
    assert out.shape == (2, 12) and Flatten(0, 1)(x).shape == (6, 2, 2)
    out.sum().backward()
    assert x.grad.shape == (2, 3, 2, 2)
    assert repr(Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


def test_reprs_match_pytorchs():
    assert repr(Conv2d(3, 32, 3)) == "Conv2d(3, 32, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(Conv2d(3, 8, (3, 2), 2, 1, bias=False)) == \
        "Conv2d(3, 8, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), bias=False)"
    assert repr(MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(AvgPool2d(3, 2, 1)) == "AvgPool2d(kernel_size=3, stride=2, padding=1)"
    assert repr(BatchNorm2d(4)) == \
        "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"


X = Tensor(np.ones((1, 3, 8, 8), dtype=np.float32))
W = Tensor(np.ones((4, 3, 3, 3), dtype=np.float32))


@pytest.mark.parametrize("action,error,mentions", [
    (lambda: conv2d(Tensor(np.ones((1, 2, 8, 8), dtype=np.float32)), W), RuntimeError, ["(1, 2, 8, 8)", "3 input channels"]),
    (lambda: conv2d(Tensor(np.ones((1, 3, 2, 2), dtype=np.float32)), W), RuntimeError, ["2x2", "3x3"]),
    (lambda: conv2d(Tensor(np.ones((8, 8), dtype=np.float32)), W), RuntimeError, ["(8, 8)"]),
    (lambda: conv2d(Tensor(np.ones((1, 1, 3, 8, 8), dtype=np.float32)), W), RuntimeError, ["(1, 1, 3, 8, 8)"]),
    (lambda: conv2d(X, Tensor(np.ones((4, 3, 3), dtype=np.float32))), RuntimeError, ["(4, 3, 3)"]),
    (lambda: conv2d(X, W, stride=0), RuntimeError, ["stride", "0"]),
    (lambda: conv2d(X, W, padding=-1), RuntimeError, ["padding", "-1"]),
    (lambda: conv2d(X, W, stride=1.5), TypeError, ["stride", "1.5"]),
    (lambda: conv2d(X, W, Tensor(np.ones(3, dtype=np.float32))), RuntimeError, ["(3,)", "(4,)"]),
    (lambda: conv2d(X, Tensor(np.ones((4, 3, 3, 3)), dtype=np.float64)), RuntimeError, ["float32", "float64"]),
    (lambda: conv2d(np.ones((1, 3, 8, 8)), W), TypeError, ["ndarray"]),
    (lambda: conv2d_loops(np.ones((1, 2, 8, 8)), np.ones((4, 3, 3, 3))), RuntimeError, ["3 input channels"]),
    (lambda: Conv2d(0, 4, 3), RuntimeError, ["in_channels", "0"]),
    (lambda: Conv2d(3, -2, 3), RuntimeError, ["out_channels", "-2"]),
    (lambda: Conv2d(3, 4, 0), RuntimeError, ["kernel_size", "0"]),
    (lambda: Conv2d(3, 4, (3, 3, 3)), TypeError, ["kernel_size", "(3, 3, 3)"]),
    (lambda: Conv2d(3, 4, 3)(Tensor(np.ones((1, 4, 8, 8), dtype=np.float32))), RuntimeError, ["(1, 4, 8, 8)"]),
    (lambda: max_pool2d(X, 2, padding=2), RuntimeError, ["padding", "half"]),
    (lambda: max_pool2d(X, 9), RuntimeError, ["9x9", "8x8"]),
    (lambda: avg_pool2d(Tensor(np.ones((1, 8), dtype=np.float32)), 2), RuntimeError, ["(1, 8)"]),
    (lambda: max_pool2d(Tensor(np.ones((1, 1, 4, 4), dtype=np.int64), dtype=np.int64), 2), RuntimeError, ["int64"]),
    (lambda: MaxPool2d(0), RuntimeError, ["kernel_size", "0"]),
    (lambda: AvgPool2d(2, stride=-1), RuntimeError, ["stride", "-1"]),
    (lambda: BatchNorm2d(0), ValueError, ["num_features", "0"]),
    (lambda: BatchNorm2d(3, momentum=2), ValueError, ["momentum", "2"]),
    (lambda: BatchNorm2d(3)(Tensor(np.ones((3, 4, 4), dtype=np.float32))), ValueError, ["(3, 4, 4)"]),
    (lambda: BatchNorm2d(3)(Tensor(np.ones((2, 4, 2, 2), dtype=np.float32))), RuntimeError, ["(2, 4, 2, 2)", "3"]),
    (lambda: BatchNorm2d(3)(Tensor(np.ones((1, 3, 1, 1), dtype=np.float32))), ValueError, ["more than 1 value"]),
    (lambda: batch_norm(X, None, None, training=False), RuntimeError, ["running_mean"]),
])
def test_bad_input_names_the_values_at_fault(action, error, mentions):
    with pytest.raises(error) as raised:
        action()
    for text in mentions:
        assert text in str(raised.value), f"{text!r} not in: {raised.value}"
