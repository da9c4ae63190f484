"""Checks for module 09 (Convolutions). Each takes the learner's functions or classes; references here
are computed independently (shift-and-add over kernel offsets, explicit window loops) in float64."""
import numpy as np

from tinytorch.checks import assert_close, assert_raises, check, numerical_gradient
from tinytorch.core.tensor import Tensor
from tinytorch.random import manual_seed


def _pair(value):
    return tuple(value) if isinstance(value, tuple) else (value, value)


def reference_conv2d(x, weight, bias=None, stride=1, padding=0, flip=False):
    """PyTorch's conv2d (cross-correlation; the true convolution with flip=True) by shift-and-add: for each
    kernel offset (u, v), the strided slice of the padded input times that offset's weights."""
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    if flip:
        weight = weight[:, :, ::-1, ::-1]
    padded = np.pad(np.asarray(x, dtype=np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    _, _, kh, kw = weight.shape
    out_h, out_w = (padded.shape[2] - kh) // sh + 1, (padded.shape[3] - kw) // sw + 1
    out = np.zeros((x.shape[0], weight.shape[0], out_h, out_w))
    for u in range(kh):
        for v in range(kw):
            patch = padded[:, :, u:u + sh * out_h:sh, v:v + sw * out_w:sw]
            out += np.einsum("bchw,oc->bohw", patch, weight[:, :, u, v])
    return out if bias is None else out + np.asarray(bias)[None, :, None, None]


def reference_pool(x, kernel, stride, padding, kind):
    """Max or average (zeros counted) over explicit windows of the padded input."""
    (kh, kw), (sh, sw), (ph, pw) = _pair(kernel), _pair(stride), _pair(padding)
    fill = -np.inf if kind == "max" else 0.0
    padded = np.pad(np.asarray(x, dtype=np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    out_h, out_w = (padded.shape[2] - kh) // sh + 1, (padded.shape[3] - kw) // sw + 1
    out = np.zeros(x.shape[:2] + (out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = padded[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            out[:, :, i, j] = window.max(axis=(2, 3)) if kind == "max" else window.mean(axis=(2, 3))
    return out


# (x shape, weight shape, bias?, stride, padding): rectangular inputs and kernels, every option
CONV_CASES = [
    ((1, 1, 5, 5), (1, 1, 3, 3), False, 1, 0),
    ((2, 3, 6, 7), (4, 3, 3, 2), True, 1, 1),
    ((2, 2, 7, 6), (3, 2, 3, 3), True, 2, 1),
    ((1, 2, 6, 8), (2, 2, 2, 3), True, (2, 1), (0, 2)),
]


def _case_arrays(case, seed):
    x_shape, w_shape, has_bias, _, _ = case
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(x_shape), rng.standard_normal(w_shape),
            rng.standard_normal(w_shape[0]) if has_bias else None)


def _describe(case):
    x_shape, w_shape, has_bias, stride, padding = case
    return (f"input {x_shape}, weight {w_shape}, {'with' if has_bias else 'no'} bias, stride={_pair(stride)}, "
            f"padding={_pair(padding)}")


def _compare_conv(actual, x, w, b, stride, padding, what):
    """Compare with PyTorch's result, recognising the two classic mistakes in the message."""
    actual = np.asarray(getattr(actual, "data", actual))
    expected = reference_conv2d(x, w, b, stride, padding)
    if actual.shape != expected.shape and _pair(padding) != (0, 0):
        raise AssertionError(f"{what}: expected shape {expected.shape}, got {actual.shape}: pad {_pair(padding)} "
                             "zeros on BOTH sides (top and bottom, left and right), so H_out = (H + 2p - K) // s + 1")
    if actual.shape == expected.shape and not np.allclose(actual, expected, rtol=1e-5, atol=1e-6) \
            and np.allclose(actual, reference_conv2d(x, w, b, stride, padding, flip=True), rtol=1e-5, atol=1e-6):
        raise AssertionError(f"{what}: your result is the textbook convolution, with the kernel flipped. PyTorch's "
                             "conv2d does not flip the kernel (it computes a cross-correlation): multiply "
                             "padded[b, c, i*s + u, j*s + v] by weight[o, c, u, v]")
    assert_close(actual, expected, what, rtol=1e-5, atol=1e-6)


@check("Part 1 · conv2d as seven loops")
def check_conv2d_loops(conv2d_loops):
    for seed, case in enumerate(CONV_CASES):
        x, w, b = _case_arrays(case, seed)
        copies = [a.copy() for a in (x, w, b) if a is not None]
        out = conv2d_loops(x.copy(), w.copy(), None if b is None else b.copy(), case[3], case[4])
        assert isinstance(out, np.ndarray), f"conv2d_loops should return a numpy array, got {type(out).__name__}"
        _compare_conv(out, x, w, b, case[3], case[4], f"conv2d_loops on {_describe(case)}")
        assert all(np.array_equal(a, c) for a, c in zip((x, w, b), copies)), "conv2d_loops must not change its inputs"
    assert_raises(RuntimeError, lambda: conv2d_loops(np.ones((1, 2, 5, 5)), np.ones((1, 3, 3, 3))),
                  "a 2-channel input with a weight for 3 channels", must_mention=["3", "2"])


@check("Part 2 · im2col and the vectorised forward pass")
def check_im2col_conv(im2col, conv2d_forward):
    x = np.arange(2 * 2 * 4 * 5, dtype=np.float64).reshape(2, 2, 4, 5)
    for kernel, stride, padding in [((2, 3), 1, 0), (3, 2, 1), ((2, 2), (1, 2), (1, 0))]:
        (kh, kw), (sh, sw), (ph, pw) = _pair(kernel), _pair(stride), _pair(padding)
        padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        out_h, out_w = (padded.shape[2] - kh) // sh + 1, (padded.shape[3] - kw) // sw + 1
        rows = [padded[b, :, i * sh:i * sh + kh, j * sw:j * sw + kw].ravel()
                for b in range(2) for i in range(out_h) for j in range(out_w)]
        what = f"im2col(x of shape {x.shape}, kernel_size={kernel}, stride={stride}, padding={padding})"
        cols = np.asarray(im2col(x.copy(), kernel, stride, padding))
        assert cols.shape == (len(rows), 2 * kh * kw), (
            f"{what}: expected shape (B*H_out*W_out, C*kH*kW) = {(len(rows), 2 * kh * kw)}, got {cols.shape}")
        for index in range(len(rows)):
            if not np.array_equal(cols[index], rows[index]):
                b, rest = divmod(index, out_h * out_w)
                raise AssertionError(
                    f"{what}: row {index} should be the window of image {b} at output position "
                    f"{divmod(rest, out_w)}, its numbers in (channel, kernel row, kernel column) order:\n"
                    f"{rows[index]}\ngot\n{cols[index]}")
    for seed, case in enumerate(CONV_CASES):
        x, w, b = _case_arrays(case, seed)
        result = conv2d_forward(x.copy(), w.copy(), None if b is None else b.copy(), case[3], case[4])
        assert isinstance(result, tuple) and len(result) == 2, "conv2d_forward should return (output, cols)"
        out, cols = result
        _compare_conv(out, x, w, b, case[3], case[4], f"conv2d_forward on {_describe(case)}")
        assert_close(cols, im2col(x, w.shape[2:], case[3], case[4]),
                     f"the cols conv2d_forward returns for {_describe(case)} (im2col of the input)")
    x32 = np.ones((1, 2, 4, 4), dtype=np.float32)
    out, _ = conv2d_forward(x32, np.ones((3, 2, 3, 3), dtype=np.float32), None, 1, 1)
    assert out.dtype == np.float32, f"float32 input and weight should give a float32 output, got {out.dtype}"


def _float64(array, requires_grad=True):
    return Tensor(np.asarray(array, dtype=np.float64), dtype=np.float64, requires_grad=requires_grad)


@check("Part 3 · conv2d backward (col2im) and Conv2d")
def check_conv2d(conv2d, Conv2d):
    for seed, case in enumerate(CONV_CASES[1:], start=1):
        x, w, b = _case_arrays(case, seed)
        stride, padding = case[3], case[4]
        tensors = [_float64(x), _float64(w)] + ([] if b is None else [_float64(b)])
        out = conv2d(*tensors, stride=stride, padding=padding)
        _compare_conv(out, x, w, b, stride, padding, f"conv2d on {_describe(case)}")
        upstream = np.random.default_rng(50 + seed).standard_normal(out.shape)
        (out * Tensor(upstream, dtype=np.float64)).sum().backward()
        arrays = [x, w] + ([] if b is None else [b])
        for position, (tensor, name) in enumerate(zip(tensors, ["input", "weight", "bias"])):
            def loss(varied, position=position):
                values = list(arrays) + [None] * (3 - len(arrays))
                values[position] = varied
                return float(np.sum(upstream * reference_conv2d(*values, stride, padding)))
            assert tensor.grad is not None, f"conv2d on {_describe(case)}: the {name} received no gradient"
            where = {"input": "col2im: overlapping windows must ADD into the input, and the padding be cropped",
                     "weight": "the weight's gradient: the output gradient times the columns (one matmul), reshaped like the weight",
                     "bias": "the bias's gradient: the output gradient summed over batch and positions"}[name]
            assert_close(tensor.grad, numerical_gradient(loss, arrays[position]),
                         f"gradient of the {name} of conv2d on {_describe(case)} (against finite differences; "
                         f"it comes from {where})", rtol=1e-5, atol=1e-6)

    manual_seed(0)
    layer = Conv2d(3, 4, 3)
    assert layer.weight.shape == (4, 3, 3, 3) and layer.bias.shape == (4,), \
        f"Conv2d(3, 4, 3): weight (4, 3, 3, 3) and bias (4,) expected, got {layer.weight.shape}, {layer.bias.shape}"
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"], \
        "Conv2d's named_parameters() should be ['weight', 'bias']"
    wide = Conv2d(16, 32, 3)
    bound = 1 / np.sqrt(16 * 9)
    for name in ("weight", "bias"):
        values = getattr(wide, name).data
        assert np.abs(values).max() <= bound + 1e-7 and np.abs(values).max() > 0.8 * bound, (
            f"Conv2d(16, 32, 3).{name} should be uniform on ±1/sqrt(fan_in) = ±1/sqrt(16*3*3) = ±{bound:.4f} "
            f"(PyTorch's default); its largest |value| is {np.abs(values).max():.4f}")
    manual_seed(3)
    first = Conv2d(2, 2, 2).weight.data.copy()
    manual_seed(3)
    assert np.array_equal(first, Conv2d(2, 2, 2).weight.data), \
        "after tinytorch.manual_seed(3), two Conv2d(2, 2, 2) should get equal weights: draw from default_generator()"
    x = np.random.default_rng(9).standard_normal((2, 3, 6, 5)).astype(np.float32)
    assert_close(layer(Tensor(x)), reference_conv2d(x, layer.weight.data, layer.bias.data), "Conv2d(3, 4, 3)(x)",
                 rtol=1e-4, atol=1e-5)
    strided = Conv2d(3, 2, (3, 2), stride=2, padding=1, bias=False)
    assert strided.bias is None, "Conv2d(..., bias=False) should have bias None"
    assert_close(strided(Tensor(x)), reference_conv2d(x, strided.weight.data, None, 2, 1),
                 "Conv2d(3, 2, (3, 2), stride=2, padding=1, bias=False)(x)", rtol=1e-4, atol=1e-5)
    assert repr(Conv2d(3, 32, 3)) == "Conv2d(3, 32, kernel_size=(3, 3), stride=(1, 1))", \
        f"print(Conv2d(3, 32, 3)) should match PyTorch's 'Conv2d(3, 32, kernel_size=(3, 3), stride=(1, 1))', got {Conv2d(3, 32, 3)!r}"
    assert_raises(RuntimeError, lambda: layer(Tensor(np.ones((1, 2, 8, 8), dtype=np.float32))),
                  "Conv2d(3, 4, 3) on a 2-channel input", must_mention=["(1, 2, 8, 8)"])
    assert_raises(RuntimeError, lambda: Conv2d(1, 1, 5)(Tensor(np.ones((1, 1, 3, 3), dtype=np.float32))),
                  "a 5x5 kernel on a 3x3 image", must_mention=["5"])
    assert_raises(RuntimeError, lambda: layer(Tensor(np.ones((8, 8), dtype=np.float32))),
                  "Conv2d on a 2-d (8, 8) input", must_mention=["(8, 8)"])


POOL_CASES = [(2, None, 0), (3, 1, 1), ((2, 3), (1, 2), (1, 1))]


@check("Part 4 · max and average pooling")
def check_pooling(max_pool2d, avg_pool2d):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 6, 7)) - 10  # all negative: a zero from the padding must never win
    for kernel, stride, padding in POOL_CASES:
        effective = kernel if stride is None else stride
        overlap = any(s < k for s, k in zip(_pair(effective), _pair(kernel)))
        for kind, pool in (("max", max_pool2d), ("avg", avg_pool2d)):
            what = (f"{kind}_pool2d(x of shape {x.shape}, kernel_size={kernel}, stride={stride}, padding={padding})"
                    + (" (overlapping windows)" if overlap else ""))
            tensor = _float64(x)
            out = pool(tensor, kernel, stride, padding)
            expected = reference_pool(x, kernel, effective, padding, kind)
            if kind == "max" and out.shape == expected.shape and np.allclose(out.data.max(), 0):
                raise AssertionError(f"{what}: a padding value won a window: max pooling pads with -inf")
            assert_close(out, expected, what)
            upstream = np.random.default_rng(7).standard_normal(out.shape)
            (out * Tensor(upstream, dtype=np.float64)).sum().backward()
            numeric = numerical_gradient(lambda v: float(np.sum(upstream * reference_pool(v, kernel, effective, padding, kind))), x)
            assert tensor.grad is not None, f"{what}: the input received no gradient"
            grad = tensor.grad.data
            if kind == "max" and not np.allclose(grad, numeric, atol=1e-6):
                if np.count_nonzero(grad) > np.count_nonzero(numeric):
                    raise AssertionError(f"{what}: the gradient should go only to the maximum of each window "
                                         "(its argmax), not be shared across the window; the others did not "
                                         "change the output")
                if overlap:
                    raise AssertionError(f"{what}: where windows overlap, one element can be the maximum of "
                                         "several windows: its gradient is the sum, so scatter with np.add.at (add, "
                                         "never assign)")
            assert_close(grad, numeric, f"the input's gradient of {what} (against finite differences)", atol=1e-6)
    ties = _float64(np.zeros((1, 1, 2, 2)))
    max_pool2d(ties, 2).sum().backward()
    assert_close(ties.grad, np.array([[[[1.0, 0.0], [0.0, 0.0]]]]),
                 "max_pool2d of a 2x2 window of equal values: the first maximum (row-major) gets the whole "
                 "gradient, as in PyTorch")
    out = max_pool2d(Tensor(np.ones((1, 2, 4, 4), dtype=np.float32)), 2)
    assert out.dtype == np.float32 and out.shape == (1, 2, 2, 2), \
        f"max_pool2d(float32 (1, 2, 4, 4), 2) should be float32 (1, 2, 2, 2), got {out.dtype} {out.shape}"


def _reference_batch_norm(x, mean, var, weight, bias, eps=1e-5):
    shape = (1, -1, 1, 1)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * weight.reshape(shape) + bias.reshape(shape)


@check("Part 5 · batch normalisation")
def check_batch_norm(batch_norm, BatchNorm2d):
    rng = np.random.default_rng(5)
    layer = BatchNorm2d(3)
    names = sorted(name for name, _ in layer.named_buffers())
    assert names == ["num_batches_tracked", "running_mean", "running_var"], \
        f"BatchNorm2d's buffers should be running_mean, running_var and num_batches_tracked, got {names}"
    assert np.array_equal(layer.weight.data, np.ones(3)) and np.array_equal(layer.bias.data, np.zeros(3)), \
        "BatchNorm2d starts with weight 1 and bias 0"
    weight, bias = np.array([1.5, 0.5, 2.0]), np.array([0.1, -0.2, 0.3])
    layer.weight.data[...] = weight
    layer.bias.data[...] = bias
    running_mean, running_var = np.zeros(3), np.ones(3)
    for step in range(1, 4):
        x = (rng.standard_normal((4, 3, 5, 5)) * [[[[3.0]], [[0.5]], [[2.0]]]] + step).astype(np.float32)
        out = layer(Tensor(x))
        mean, var = x.mean(axis=(0, 2, 3), dtype=np.float64), x.var(axis=(0, 2, 3), dtype=np.float64)
        what = f"BatchNorm2d(3) in training, batch {step} (shape {x.shape})"
        expected = _reference_batch_norm(x, mean, var, weight, bias)
        if not np.allclose(out.data, expected, rtol=1e-4, atol=1e-4):
            with_running = _reference_batch_norm(x, running_mean, running_var, weight, bias)
            if np.allclose(out.data, with_running, rtol=1e-4, atol=1e-4) or np.allclose(
                    out.data, _reference_batch_norm(x, 0.9 * running_mean + 0.1 * mean,
                                                    0.9 * running_var + 0.1 * var * 100 / 99, weight, bias), rtol=1e-4, atol=1e-4):
                raise AssertionError(f"{what}: in training, normalise with the batch's own mean and variance "
                                     "(batch statistics), not the running ones")
            unbiased = _reference_batch_norm(x, mean, var * 100 / 99, weight, bias)
            if np.allclose(out.data, unbiased, rtol=1e-4, atol=1e-4):
                raise AssertionError(f"{what}: normalise with the biased variance (divided by n), as PyTorch; the "
                                     "unbiased one (n - 1) is only for running_var")
        assert_close(out, expected, what, rtol=1e-4, atol=1e-4)
        count = 4 * 5 * 5
        new_mean = 0.9 * running_mean + 0.1 * mean
        new_var = 0.9 * running_var + 0.1 * var * count / (count - 1)
        if np.allclose(layer.running_var.data, 0.9 * running_var + 0.1 * var, rtol=1e-4):
            raise AssertionError(f"{what}: running_var is updated with the UNBIASED batch variance (divided by "
                                 f"n - 1 = {count - 1}), as PyTorch; you used the biased one")
        if np.allclose(layer.running_mean.data, 0.1 * running_mean + 0.9 * mean, rtol=1e-4):
            raise AssertionError(f"{what}: running = (1 - momentum) * running + momentum * batch statistic, with "
                                 "momentum 0.1: the new batch gets the small weight")
        assert_close(layer.running_mean, new_mean, f"running_mean after {what}", rtol=1e-4, atol=1e-5)
        assert_close(layer.running_var, new_var, f"running_var after {what}", rtol=1e-4, atol=1e-5)
        assert int(layer.num_batches_tracked.item()) == step, \
            f"num_batches_tracked should be {step} after {step} training batches, got {layer.num_batches_tracked}"
        running_mean, running_var = new_mean, new_var
    layer.eval()
    x = (rng.standard_normal((2, 3, 4, 4)) * 2 + 5).astype(np.float32)
    out = layer(Tensor(x))
    what = "BatchNorm2d(3) in eval mode after 3 training batches"
    if np.allclose(out.data, _reference_batch_norm(x, x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3)), weight, bias),
                   rtol=1e-4, atol=1e-4):
        raise AssertionError(f"{what}: in eval mode, use running_mean and running_var, not the batch's statistics")
    assert_close(out, _reference_batch_norm(x, running_mean, running_var, weight, bias), what, rtol=1e-4, atol=1e-4)
    assert_close(layer.running_mean, running_mean, f"running_mean after {what} (eval must not update it)",
                 rtol=1e-4, atol=1e-5)
    assert int(layer.num_batches_tracked.item()) == 3, "eval mode must not count batches in num_batches_tracked"
    single = layer(Tensor(x[:1, :, :1, :1]))
    assert single.shape == (1, 3, 1, 1), "in eval mode a single value per channel is fine"
    quiet = BatchNorm2d(2).eval()  # a channel whose running variance is tiny: eps must be inside the root
    quiet.running_var.data[...] = np.array([1e-6, 1.0], dtype=np.float32)
    tiny = np.full((1, 2, 2, 2), 0.01, dtype=np.float32)
    assert_close(quiet(Tensor(tiny)), _reference_batch_norm(tiny, np.zeros(2), np.array([1e-6, 1.0]), np.ones(2),
                                                           np.zeros(2)),
                 "BatchNorm2d in eval mode with running_var [1e-6, 1] (divide by sqrt(running_var + eps), "
                 "eps = 1e-5, in eval mode too)", rtol=1e-3, atol=1e-3)

    fast = BatchNorm2d(2, momentum=0.5)
    x = rng.standard_normal((3, 2, 2, 2)).astype(np.float32)
    fast(Tensor(x))
    assert_close(fast.running_mean, 0.5 * x.mean(axis=(0, 2, 3)), "running_mean of BatchNorm2d(2, momentum=0.5) "
                 "after one batch", rtol=1e-4, atol=1e-5)

    x = rng.standard_normal((3, 2, 3, 2))
    w, b = rng.standard_normal(2), rng.standard_normal(2)
    tensors = [_float64(x), _float64(w), _float64(b)]
    out = batch_norm(tensors[0], None, None, tensors[1], tensors[2], training=True)
    upstream = np.random.default_rng(8).standard_normal(x.shape)
    (out * Tensor(upstream, dtype=np.float64)).sum().backward()
    arrays = [x, w, b]

    def loss(varied, position):
        values = list(arrays)
        values[position] = varied
        xs = values[0]
        return float(np.sum(upstream * _reference_batch_norm(xs, xs.mean(axis=(0, 2, 3)), xs.var(axis=(0, 2, 3)),
                                                            values[1], values[2])))
    for position, name in enumerate(["input", "weight", "bias"]):
        assert tensors[position].grad is not None, f"batch_norm in training: the {name} received no gradient"
        assert_close(tensors[position].grad, numerical_gradient(lambda v: loss(v, position), arrays[position]),
                     f"gradient of the {name} of batch_norm(training=True) on a (3, 2, 3, 2) input (against finite "
                     "differences: the batch mean and variance depend on the input too)", rtol=1e-4, atol=1e-6)
