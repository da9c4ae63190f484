"""Generated from content/09_convolutions.py by scripts/build_content.py: edit the source, not this file."""
# From content/09_convolutions.py, cell 2 (Part 1 · Convolution as seven loops)
import math
import numbers
import sys

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from tinytorch.core.autograd import Function, record
from tinytorch.core.layers import Module, Parameter, check_size
from tinytorch.core.tensor import Tensor
from tinytorch.random import default_generator

__all__ = ["conv2d_loops", "im2col", "col2im", "conv2d_forward", "conv2d", "max_pool2d", "avg_pool2d", "batch_norm",
           "Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm2d", "Flatten",
           "ConvolutionBackward0", "MaxPool2DWithIndicesBackward0", "AvgPool2DBackward0"]


def _pair(value, name, op):
    """PyTorch's kernel_size / stride / padding argument, an int or a pair of ints, as a pair of ints."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in items):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return int(items[0]), int(items[1])


def _sizes(op, kernel_size=None, stride=None, padding=None):
    """Validated (kernel, stride, padding) pairs: kernel and stride positive, padding non-negative."""
    pairs = []
    for name, value, least in (("kernel_size", kernel_size, 1), ("stride", stride, 1), ("padding", padding, 0)):
        pair = None if value is None else _pair(value, name, op)
        if pair is not None and min(pair) < least:
            raise RuntimeError(f"{op}: {name} must be {'positive' if least else 'non-negative'}, got {value!r}")
        pairs.append(pair)
    return pairs


def _output_size(input_hw, kernel, stride, padding, op):
    """(H_out, W_out) = (H + 2p - k) // s + 1 each; a RuntimeError naming the sizes when the padded input
    is smaller than the kernel."""
    padded = (input_hw[0] + 2 * padding[0], input_hw[1] + 2 * padding[1])
    if padded[0] < kernel[0] or padded[1] < kernel[1]:
        raise RuntimeError(f"{op}: the padded input is {padded[0]}x{padded[1]} (input {input_hw[0]}x{input_hw[1]}, "
                           f"padding {padding}) but the kernel is {kernel[0]}x{kernel[1]}: the kernel can't be "
                           "larger than the padded input")
    return (padded[0] - kernel[0]) // stride[0] + 1, (padded[1] - kernel[1]) // stride[1] + 1


def _conv_geometry(x_shape, w_shape, stride, padding, op):
    """Check a (B, C, H, W) input against a (C_out, C_in, kH, kW) weight; returns (H_out, W_out)."""
    if len(x_shape) != 4:
        raise RuntimeError(f"{op}: expected a 4-d (batch, channels, height, width) input, got shape {tuple(x_shape)}")
    if len(w_shape) != 4:
        raise RuntimeError(f"{op}: expected a 4-d (out_channels, in_channels, kH, kW) weight, got shape {tuple(w_shape)}")
    if x_shape[1] != w_shape[1]:
        raise RuntimeError(f"{op}: the weight of shape {tuple(w_shape)} expects {w_shape[1]} input channels, but the "
                           f"input of shape {tuple(x_shape)} has {x_shape[1]} channels (NCHW: channels are dim 1)")
    return _output_size(x_shape[2:], w_shape[2:], stride, padding, op)


def _matmul(a, b):
    """a @ b for 2-d float arrays. In the browser (Pyodide, sys.platform "emscripten") numpy's matmul is a slow
    fallback and np.einsum measured up to 5x faster on a conv layer's products (about even on the smallest);
    in CPython @ (BLAS) is 2-5x faster than einsum. See benchmarks/conv2d.py."""
    if sys.platform == "emscripten":
        return np.einsum("ik,kj->ij", a, b)
    return a @ b


def _pad(x, padding, value=0.0):
    """x (B, C, H, W) with `padding` = (ph, pw) rows/columns of `value` added on both sides."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def conv2d_loops(x, weight, bias=None, stride=1, padding=0):
    """PyTorch's conv2d (cross-correlation) on numpy arrays with seven explicit loops: the definition,
    and far too slow for real use. x (B, C_in, H, W), weight (C_out, C_in, kH, kW), bias (C_out,) or None."""
    _, stride, padding = _sizes("conv2d_loops", stride=stride, padding=padding)
    out_h, out_w = _conv_geometry(x.shape, weight.shape, stride, padding, "conv2d_loops")
    batch, in_channels = x.shape[:2]
    out_channels, _, kernel_h, kernel_w = weight.shape
    out = np.zeros((batch, out_channels, out_h, out_w), dtype=np.result_type(x, weight))
    (sh, sw), (ph, pw) = stride, padding
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    for b in range(batch):
        for o in range(out_channels):
            for i in range(out_h):
                for j in range(out_w):
                    total = 0.0 if bias is None else bias[o]
                    for c in range(in_channels):
                        for u in range(kernel_h):
                            for v in range(kernel_w):
                                total += padded[b, c, i * sh + u, j * sw + v] * weight[o, c, u, v]
                    out[b, o, i, j] = total
    return out


# From content/09_convolutions.py, cell 6 (Part 2 · im2col: every window becomes a row, the convolution one matrix product)
def im2col(x, kernel_size, stride=1, padding=0):
    """The column matrix of x (B, C, H, W): one row per output position (b, i, j), in that order, holding
    the window's C*kH*kW numbers in (c, u, v) order. Shape (B*H_out*W_out, C*kH*kW)."""
    kernel, stride, padding = _sizes("im2col", kernel_size, stride, padding)
    if x.ndim != 4:
        raise RuntimeError(f"im2col: expected a 4-d (batch, channels, height, width) input, got shape {x.shape}")
    out_h, out_w = _output_size(x.shape[2:], kernel, stride, padding, "im2col")
    batch, channels = x.shape[:2]
    windows = sliding_window_view(_pad(x, padding), kernel, axis=(2, 3))[:, :, ::stride[0], ::stride[1]]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(batch * out_h * out_w, channels * kernel[0] * kernel[1])


def conv2d_forward(x, weight, bias=None, stride=1, padding=0):
    """conv2d on numpy arrays by im2col and one matrix product; returns (output (B, C_out, H_out, W_out),
    the column matrix, which the backward pass reuses)."""
    _, stride, padding = _sizes("conv2d", stride=stride, padding=padding)
    out_h, out_w = _conv_geometry(x.shape, weight.shape, stride, padding, "conv2d")
    batch, out_channels = x.shape[0], weight.shape[0]
    cols = im2col(x, weight.shape[2:], stride, padding)
    out = _matmul(cols, weight.reshape(out_channels, -1).T)
    if bias is not None:
        out = out + bias
    out = out.reshape(batch, out_h, out_w, out_channels).transpose(0, 3, 1, 2)
    return np.ascontiguousarray(out), cols


# From content/09_convolutions.py, cell 10 (Part 3 · The backward pass: col2im, and a Conv2d layer)
def col2im(cols, input_shape, kernel_size, stride=1, padding=0):
    """The adjoint of im2col: add each row of `cols` (B*H_out*W_out, C*kH*kW) back onto the window it was
    copied from; returns an array of `input_shape` (B, C, H, W) (padding removed)."""
    kernel, stride, padding = _sizes("col2im", kernel_size, stride, padding)
    batch, channels, height, width = input_shape
    out_h, out_w = _output_size((height, width), kernel, stride, padding, "col2im")
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    patches = cols.reshape(batch, out_h, out_w, channels, kh, kw)
    padded = np.zeros((batch, channels, height + 2 * ph, width + 2 * pw), dtype=cols.dtype)
    for u in range(kh):
        for v in range(kw):
            padded[:, :, u:u + sh * out_h:sh, v:v + sw * out_w:sw] += patches[:, :, :, :, u, v].transpose(0, 3, 1, 2)
    return padded[:, :, ph:ph + height, pw:pw + width]


class ConvolutionBackward0(Function):
    """conv2d's rule. inputs: (x, weight) or (x, weight, bias); saved: cols, stride, padding."""

    def backward(self, grad):
        x, weight = self.inputs[:2]
        out_channels = weight.shape[0]
        g = grad.transpose(0, 2, 3, 1).reshape(-1, out_channels)
        grad_weight = _matmul(g.T, self.cols).reshape(weight.shape)
        grad_cols = _matmul(g, weight.data.reshape(out_channels, -1))
        grad_x = col2im(grad_cols, x.shape, weight.shape[2:], self.stride, self.padding)
        if len(self.inputs) == 3:
            return grad_x, grad_weight, g.sum(axis=0)
        return grad_x, grad_weight


def _require_tensor(value, what, op):
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: {what} must be a Tensor, got {type(value).__name__}; wrap it: Tensor(x)")


def _batched(input, op):
    """PyTorch's layers also take one unbatched (C, H, W) image: (the 4-d input, whether to drop dim 0 after)."""
    if input.ndim == 3:
        return input.unsqueeze(0), True
    if input.ndim != 4:
        raise RuntimeError(f"{op}: expected a 3-d (C, H, W) or 4-d (B, C, H, W) input, got shape {input.shape}")
    return input, False


def conv2d(input, weight, bias=None, stride=1, padding=0):
    """2-D convolution (cross-correlation) as torch.nn.functional.conv2d: input (B, C_in, H, W) or
    (C_in, H, W), weight (C_out, C_in, kH, kW), bias (C_out,) or None; differentiable."""
    _require_tensor(input, "input", "conv2d")
    _require_tensor(weight, "weight", "conv2d")
    x, unbatched = _batched(input, "conv2d")
    _, stride, padding = _sizes("conv2d", stride=stride, padding=padding)
    _conv_geometry(x.shape, weight.shape, stride, padding, "conv2d")
    if bias is not None:
        _require_tensor(bias, "bias", "conv2d")
        if bias.shape != (weight.shape[0],):
            raise RuntimeError(f"conv2d: bias of shape {bias.shape} should be ({weight.shape[0]},), one per output channel")
    tensors = [x, weight] + ([] if bias is None else [bias])
    if len({t.dtype for t in tensors}) != 1:
        raise RuntimeError(f"conv2d: input, weight and bias must have one dtype, got "
                           f"{', '.join(str(t.dtype) for t in tensors)}")
    out, cols = conv2d_forward(x.data, weight.data, None if bias is None else bias.data, stride, padding)
    result = record(Tensor(out, dtype=x.dtype), ConvolutionBackward0, *tensors, cols=cols, stride=stride,
                    padding=padding)
    return result.squeeze(0) if unbatched else result


class Conv2d(Module):
    """2-D convolution layer as torch.nn.Conv2d: weight (out_channels, in_channels, kH, kW), bias
    (out_channels,) or None, both drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels*kH*kW."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True):
        super().__init__()
        self.in_channels = check_size(in_channels, "in_channels", "Conv2d", least=1)
        self.out_channels = check_size(out_channels, "out_channels", "Conv2d", least=1)
        self.kernel_size, self.stride, self.padding = _sizes("Conv2d", kernel_size, stride, padding)
        fan_in = in_channels * self.kernel_size[0] * self.kernel_size[1]
        bound = 1 / math.sqrt(fan_in)
        rng = default_generator()
        self.weight = Parameter(rng.uniform(-bound, bound, (out_channels, in_channels) + self.kernel_size))
        if bias:
            self.bias = Parameter(rng.uniform(-bound, bound, out_channels))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        _require_tensor(input, "input", "Conv2d")
        return conv2d(input, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        return text + ("" if self.bias is not None else ", bias=False")


# From content/09_convolutions.py, cell 14 (Part 4 · Pooling)
def _pool_arguments(input, kernel_size, stride, padding, op):
    """Validate a pooling call; returns (4-d input, unbatched, kernel, stride, padding, (H_out, W_out))."""
    _require_tensor(input, "input", op)
    x, unbatched = _batched(input, op)
    if not np.issubdtype(x.dtype, np.floating):
        raise RuntimeError(f"{op}: expected a floating-point input, got dtype {x.dtype}")
    kernel, stride, padding = _sizes(op, kernel_size, kernel_size if stride is None else stride, padding)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise RuntimeError(f"{op}: padding {padding} is more than half the kernel size {kernel}")
    out_hw = _output_size(x.shape[2:], kernel, stride, padding, op)
    return x, unbatched, kernel, stride, padding, out_hw


def _windows(x, kernel, stride, padding, fill):
    """(B, C, H_out, W_out, kH*kW): every pooling window of x (padded with `fill`), flattened; a view when possible."""
    windows = sliding_window_view(_pad(x, padding, fill), kernel, axis=(2, 3))[:, :, ::stride[0], ::stride[1]]
    return windows.reshape(windows.shape[:4] + (-1,))


class MaxPool2DWithIndicesBackward0(Function):
    """max_pool2d's rule: each window's output gradient goes to its winner (saved: argmax, kernel, stride, padding)."""

    def backward(self, grad):
        (x,) = self.inputs
        batch, channels, height, width = x.shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel, self.stride, self.padding
        out_h, out_w = grad.shape[2:]
        grad_padded = np.zeros((batch, channels, height + 2 * ph, width + 2 * pw), dtype=grad.dtype)
        rows = np.arange(out_h)[:, None] * sh + self.argmax // kw
        cols = np.arange(out_w) * sw + self.argmax % kw
        b = np.arange(batch)[:, None, None, None]
        c = np.arange(channels)[None, :, None, None]
        np.add.at(grad_padded, (b, c, rows, cols), grad)
        return (grad_padded[:, :, ph:ph + height, pw:pw + width],)


def max_pool2d(input, kernel_size, stride=None, padding=0):
    """Max over each kH x kW window of each channel, as torch.nn.functional.max_pool2d (stride defaults to
    the kernel size; padding counts as -inf); the gradient goes to each window's first maximum."""
    x, unbatched, kernel, stride, padding, _ = _pool_arguments(input, kernel_size, stride, padding, "max_pool2d")
    windows = _windows(x.data, kernel, stride, padding, -np.inf)
    argmax = windows.argmax(axis=-1)
    out = np.take_along_axis(windows, argmax[..., None], axis=-1)[..., 0]
    result = record(Tensor(out, dtype=x.dtype), MaxPool2DWithIndicesBackward0, x, argmax=argmax,
                    kernel=kernel, stride=stride, padding=padding)
    return result.squeeze(0) if unbatched else result


class AvgPool2DBackward0(Function):
    """avg_pool2d's rule: 1/(kH*kW) of each window's gradient to every element of the window."""

    def backward(self, grad):
        (x,) = self.inputs
        batch, channels, height, width = x.shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel, self.stride, self.padding
        out_h, out_w = grad.shape[2:]
        share = grad / (kh * kw)
        grad_padded = np.zeros((batch, channels, height + 2 * ph, width + 2 * pw), dtype=grad.dtype)
        for u in range(kh):  # as in col2im: one strided += per kernel offset
            for v in range(kw):
                grad_padded[:, :, u:u + sh * out_h:sh, v:v + sw * out_w:sw] += share
        return (grad_padded[:, :, ph:ph + height, pw:pw + width],)


def avg_pool2d(input, kernel_size, stride=None, padding=0):
    """Mean over each kH x kW window of each channel, as torch.nn.functional.avg_pool2d with its defaults
    (stride = kernel size, padding zeros counted in the mean: count_include_pad=True)."""
    x, unbatched, kernel, stride, padding, _ = _pool_arguments(input, kernel_size, stride, padding, "avg_pool2d")
    out = _windows(x.data, kernel, stride, padding, 0.0).mean(axis=-1, dtype=x.dtype)
    result = record(Tensor(out, dtype=x.dtype), AvgPool2DBackward0, x, kernel=kernel, stride=stride, padding=padding)
    return result.squeeze(0) if unbatched else result


class MaxPool2d(Module):
    """torch.nn.MaxPool2d(kernel_size, stride=None, padding=0): stride defaults to kernel_size."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        _sizes("MaxPool2d", kernel_size, stride, padding)
        self.kernel_size, self.stride, self.padding = kernel_size, kernel_size if stride is None else stride, padding
        self.dilation, self.ceil_mode = 1, False  # PyTorch's defaults, shown in the repr; tinytorch has no others

    def forward(self, input):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """torch.nn.AvgPool2d(kernel_size, stride=None, padding=0), padding counted in the mean (count_include_pad)."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        _sizes("AvgPool2d", kernel_size, stride, padding)
        self.kernel_size, self.stride, self.padding = kernel_size, kernel_size if stride is None else stride, padding

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


# From content/09_convolutions.py, cell 18 (Part 5 · Batch normalisation, and Flatten)
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) of input (N, C, ...), as torch.nn.functional.batch_norm: with the batch's
    statistics when `training` (then running_mean / running_var, when given, are updated in place with
    momentum, the variance unbiased), else with running_mean / running_var; then * weight + bias per channel."""
    _require_tensor(input, "input", "batch_norm")
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of at least 2 dims (N, C, ...), got shape {input.shape}")
    channels = input.shape[1]
    for name, value in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if value is not None and tuple(value.shape) != (channels,):
            raise RuntimeError(f"batch_norm: {name} has shape {tuple(value.shape)}, the input has {channels} "
                               f"channels (dim 1 of shape {input.shape})")
    dims = (0,) + tuple(range(2, input.ndim))
    count = input.numel() // channels  # values per channel
    if training and count <= 1:
        raise ValueError(f"batch_norm: training needs more than 1 value per channel, got an input of shape "
                         f"{input.shape}")
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("batch_norm: running_mean and running_var are needed when not training")
    shape = (1, channels) + (1,) * (input.ndim - 2)  # a per-channel vector, broadcast against the input
    if training:
        mean = input.mean(dim=dims, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(dim=dims, keepdim=True)
        if running_mean is not None:
            running_mean.data[...] = (1 - momentum) * running_mean.data + momentum * mean.data.reshape(channels)
        if running_var is not None:
            unbiased = var.data.reshape(channels) * (count / (count - 1))
            running_var.data[...] = (1 - momentum) * running_var.data + momentum * unbiased
    else:
        centered = input - Tensor(running_mean.data.reshape(shape), dtype=input.dtype)
        var = Tensor(running_var.data.reshape(shape), dtype=input.dtype)
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


class BatchNorm2d(Module):
    """torch.nn.BatchNorm2d: per-channel normalisation of (B, C, H, W) input; weight (1s) when affine, bias (0s)
    when affine and bias; running_mean, running_var and num_batches_tracked buffers when track_running_stats."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, *, bias=True):
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, numbers.Integral) or num_features < 1:
            raise ValueError(f"BatchNorm2d: num_features must be a positive int, got {num_features!r}")
        if not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1:
            raise ValueError(f"BatchNorm2d: momentum must be a number in [0, 1], got {momentum!r}")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.register_parameter("weight", Parameter(np.ones(num_features, dtype=np.float32)) if affine else None)
        self.register_parameter("bias", Parameter(np.zeros(num_features, dtype=np.float32)) if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=np.float32)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=np.float32)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64), dtype=np.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def forward(self, input):
        _require_tensor(input, "input", "BatchNorm2d")
        if input.ndim != 4:
            raise ValueError(f"BatchNorm2d: expected a 4-d (B, C, H, W) input, got shape {input.shape}")
        if input.shape[1] != self.num_features:
            raise RuntimeError(f"BatchNorm2d({self.num_features}): the input of shape {input.shape} has "
                               f"{input.shape[1]} channels, expected {self.num_features}")
        if self.training and self.num_batches_tracked is not None:
            self.num_batches_tracked.data[...] += 1
        # batch statistics in training, and always when no running statistics are kept
        use_batch_statistics = self.training or self.running_mean is None
        return batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                          use_batch_statistics, self.momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class Flatten(Module):
    """torch.nn.Flatten(start_dim=1, end_dim=-1): merge dims start_dim..end_dim (the batch dim stays)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        _require_tensor(input, "input", "Flatten")
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
