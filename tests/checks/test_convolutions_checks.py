"""Each module-09 check accepts the reference and rejects realistic wrong implementations (mutants), each
for the right reason."""
import numpy as np

from tinytorch.checks import convolutions as checks
from tinytorch.core import convolutions as conv
from tinytorch.core.autograd import record
from tinytorch.core.convolutions import (AvgPool2DBackward0, BatchNorm2d, Conv2d, ConvolutionBackward0,
                                         MaxPool2DWithIndicesBackward0, avg_pool2d, batch_norm, conv2d,
                                         conv2d_forward, conv2d_loops, im2col, max_pool2d)
from tinytorch.core.layers import Parameter
from tinytorch.core.tensor import Tensor
from tinytorch.random import default_generator

from mutants import make_mutant_tests


# Part 1: the seven loops, each with one mistake.
def make_loops(flip=False, one_side=False, stride_one=False, drop_bias=False):
    def loops(x, weight, bias=None, stride=1, padding=0):
        (sh, sw), (ph, pw) = conv._pair(stride, "stride", "t"), conv._pair(padding, "padding", "t")
        if stride_one:
            sh = sw = 1
        padded = np.pad(x, ((0, 0), (0, 0), (ph, 0 if one_side else ph), (pw, 0 if one_side else pw)))
        out_channels, in_channels, kh, kw = weight.shape
        if flip:
            weight = weight[:, :, ::-1, ::-1]
        out_h, out_w = (padded.shape[2] - kh) // sh + 1, (padded.shape[3] - kw) // sw + 1
        out = np.zeros((x.shape[0], out_channels, out_h, out_w))
        for b in range(x.shape[0]):
            for o in range(out_channels):
                for i in range(out_h):
                    for j in range(out_w):
                        total = 0.0 if bias is None or drop_bias else bias[o]
                        for c in range(in_channels):
                            for u in range(kh):
                                for v in range(kw):
                                    total += padded[b, c, i * sh + u, j * sw + v] * weight[o, c, u, v]
                        out[b, o, i, j] = total
        return out
    return loops


loops_flipping_the_kernel = make_loops(flip=True)
loops_padding_one_side = make_loops(one_side=True)
loops_ignoring_stride = make_loops(stride_one=True)
loops_without_bias = make_loops(drop_bias=True)


# Part 2: im2col and the forward pass.
def im2col_channels_last(x, kernel_size, stride=1, padding=0):
    """Rows in (u, v, c) order: the same numbers, not in a flattened filter's order."""
    kernel, stride, padding = conv._sizes("im2col", kernel_size, stride, padding)
    windows = conv.sliding_window_view(conv._pad(x, padding), kernel, axis=(2, 3))[:, :, ::stride[0], ::stride[1]]
    b, c, h, w = windows.shape[:4]
    return windows.transpose(0, 2, 3, 4, 5, 1).reshape(b * h * w, -1)


def im2col_ignoring_stride(x, kernel_size, stride=1, padding=0):
    return im2col(x, kernel_size, 1, padding)


def forward_flipping_the_kernel(x, weight, bias=None, stride=1, padding=0):
    return conv2d_forward(x, weight[:, :, ::-1, ::-1].copy(), bias, stride, padding)


def forward_without_the_nchw_transpose(x, weight, bias=None, stride=1, padding=0):
    out, cols = conv2d_forward(x, weight, bias, stride, padding)
    return np.ascontiguousarray(out.transpose(0, 2, 3, 1)).reshape(out.shape), cols


# Part 3: the backward rule and the layer.
def col2im_ignoring_stride(cols, input_shape, kernel_size, stride=1, padding=0):
    kernel, stride, padding = conv._sizes("col2im", kernel_size, stride, padding)
    batch, channels, height, width = input_shape
    out_h, out_w = conv._output_size((height, width), kernel, stride, padding, "col2im")
    (kh, kw), (ph, pw) = kernel, padding
    patches = cols.reshape(batch, out_h, out_w, channels, kh, kw)
    padded = np.zeros((batch, channels, height + 2 * ph, width + 2 * pw), dtype=cols.dtype)
    for u in range(kh):
        for v in range(kw):
            padded[:, :, u:u + out_h, v:v + out_w] += patches[:, :, :, :, u, v].transpose(0, 3, 1, 2)
    return padded[:, :, ph:ph + height, pw:pw + width]


def col2im_assigning(cols, input_shape, kernel_size, stride=1, padding=0):
    """`=` instead of `+=`: where windows overlap, only the last copy's gradient survives."""
    kernel, stride, padding = conv._sizes("col2im", kernel_size, stride, padding)
    batch, channels, height, width = input_shape
    out_h, out_w = conv._output_size((height, width), kernel, stride, padding, "col2im")
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    patches = cols.reshape(batch, out_h, out_w, channels, kh, kw)
    padded = np.zeros((batch, channels, height + 2 * ph, width + 2 * pw), dtype=cols.dtype)
    for u in range(kh):
        for v in range(kw):
            padded[:, :, u:u + sh * out_h:sh, v:v + sw * out_w:sw] = patches[:, :, :, :, u, v].transpose(0, 3, 1, 2)
    return padded[:, :, ph:ph + height, pw:pw + width]


def conv2d_with(col2im=conv.col2im, bias_gradient=True):
    """conv2d whose backward uses the given col2im, and (optionally) forgets the bias's gradient."""
    class Backward(ConvolutionBackward0):
        def backward(self, grad):
            x, weight = self.inputs[:2]
            g = grad.transpose(0, 2, 3, 1).reshape(-1, weight.shape[0])
            grad_weight = (g.T @ self.cols).reshape(weight.shape)
            grad_x = col2im(g @ weight.data.reshape(weight.shape[0], -1), x.shape, weight.shape[2:], self.stride,
                            self.padding)
            return (grad_x, grad_weight) + ((g.sum(axis=0) if bias_gradient else None,) if len(self.inputs) == 3 else ())

    def mutant(input, weight, bias=None, stride=1, padding=0):
        out = conv2d(input.detach(), weight.detach(), None if bias is None else bias.detach(), stride, padding)
        _, stride, padding = conv._sizes("conv2d", stride=stride, padding=padding)
        tensors = [input, weight] + ([] if bias is None else [bias])
        return record(Tensor(out.data, dtype=out.dtype), Backward, *tensors,
                      cols=im2col(input.data, weight.shape[2:], stride, padding), stride=stride, padding=padding)
    return mutant


conv2d_stride_ignored_in_backward = conv2d_with(col2im=col2im_ignoring_stride)
conv2d_col2im_assigning = conv2d_with(col2im=col2im_assigning)
conv2d_without_bias_gradient = conv2d_with(bias_gradient=False)


class NormalInitConv2d(Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, bias)
        self.weight = Parameter(default_generator().standard_normal(self.weight.shape))


class InOutConv2d(Conv2d):
    """Weight stored (in, out, kH, kW), transposed back for the product: same outputs, wrong layout."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, bias)
        self.weight = Parameter(self.weight.data.transpose(1, 0, 2, 3).copy())

    def forward(self, input):
        return conv2d(input, self.weight.permute(1, 0, 2, 3), self.bias, self.stride, self.padding)


# Part 4: pooling.
def max_pool_with(backward=None, fill=-np.inf, last_wins=False):
    class Backward(MaxPool2DWithIndicesBackward0):
        pass
    if backward is not None:
        Backward.backward = backward

    def mutant(input, kernel_size, stride=None, padding=0):
        x, unbatched, kernel, stride, padding, _ = conv._pool_arguments(input, kernel_size, stride, padding, "max_pool2d")
        windows = conv._windows(x.data, kernel, stride, padding, fill)
        if last_wins:
            argmax = windows.shape[-1] - 1 - windows[..., ::-1].argmax(axis=-1)
        else:
            argmax = windows.argmax(axis=-1)
        out = np.take_along_axis(windows, argmax[..., None], axis=-1)[..., 0]
        return record(Tensor(out, dtype=x.dtype), Backward, x, argmax=argmax, kernel=kernel, stride=stride,
                      padding=padding)
    return mutant


def spread_evenly(self, grad):
    return AvgPool2DBackward0(*self.inputs, kernel=self.kernel, stride=self.stride, padding=self.padding).backward(grad)


def scatter_assigning(self, grad):
    (x,) = self.inputs
    batch, channels, height, width = x.shape
    (kh, kw), (sh, sw), (ph, pw) = self.kernel, self.stride, self.padding
    out_h, out_w = grad.shape[2:]
    grad_padded = np.zeros((batch, channels, height + 2 * ph, width + 2 * pw), dtype=grad.dtype)
    rows = np.arange(out_h)[:, None] * sh + self.argmax // kw
    cols = np.arange(out_w) * sw + self.argmax % kw
    grad_padded[np.arange(batch)[:, None, None, None], np.arange(channels)[None, :, None, None], rows, cols] = grad
    return (grad_padded[:, :, ph:ph + height, pw:pw + width],)


max_pool_spreading_the_gradient = max_pool_with(backward=spread_evenly)
max_pool_assigning_overlaps = max_pool_with(backward=scatter_assigning)
max_pool_padding_with_zeros = max_pool_with(fill=0.0)
max_pool_last_maximum_wins = max_pool_with(last_wins=True)


def avg_pool_ignoring_padding_in_the_count(input, kernel_size, stride=None, padding=0):
    """count_include_pad=False: divides by the real pixels of a window, unlike PyTorch's default."""
    out = avg_pool2d(input, kernel_size, stride, padding)
    ones = Tensor(np.ones(input.shape, dtype=input.dtype))
    return out / avg_pool2d(ones, kernel_size, stride, padding)


# Part 5: batch normalisation.
def batch_norm_with(biased_running_var=False, running_in_training=False, batch_in_eval=False,
                    unbiased_normalisation=False, swapped_momentum=False, detached_statistics=False,
                    eval_without_eps=False):
    def mutant(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
        channels = input.shape[1]
        dims = (0,) + tuple(range(2, input.ndim))
        shape = (1, channels) + (1,) * (input.ndim - 2)
        count = input.numel() // channels
        if training or batch_in_eval:
            mean = input.mean(dim=dims, keepdim=True)
            var = ((input - mean) * (input - mean)).mean(dim=dims, keepdim=True)
            if detached_statistics:
                mean, var = Tensor(mean.data), Tensor(var.data)
            if training and running_mean is not None:
                new = 1 - momentum if swapped_momentum else momentum
                running_mean.data[...] = (1 - new) * running_mean.data + new * mean.data.reshape(channels)
                batch_var = var.data.reshape(channels) * (1 if biased_running_var else count / (count - 1))
                running_var.data[...] = (1 - new) * running_var.data + new * batch_var
            if unbiased_normalisation:
                var = var * (count / (count - 1))
        if running_in_training and running_mean is not None or not (training or batch_in_eval):
            mean = Tensor(running_mean.data.reshape(shape))
            var = Tensor(running_var.data.reshape(shape))
        eval_mode = not (training or batch_in_eval)
        out = (input - mean) / (var.sqrt() if eval_without_eps and eval_mode else (var + eps).sqrt())
        if weight is not None:
            out = out * weight.reshape(shape)
        return out if bias is None else out + bias.reshape(shape)

    class Layer(BatchNorm2d):
        def forward(self, input):
            if self.training:
                self.num_batches_tracked.data[...] += 1
            return mutant(input, self.running_mean, self.running_var, self.weight, self.bias, self.training,
                          self.momentum, self.eps)
    return mutant, Layer


CASES = [
    (checks.check_conv2d_loops, conv2d_loops, [
        (loops_flipping_the_kernel, "flipped"),
        (loops_padding_one_side, "BOTH sides"),
        (loops_ignoring_stride, "stride=(2, 2)"),
        (loops_without_bias, "with bias"),
    ]),
    (checks.check_im2col_conv, (im2col, conv2d_forward), [
        ((im2col_channels_last, conv2d_forward), "(channel, kernel row, kernel column) order"),
        ((im2col_ignoring_stride, conv2d_forward), "stride=2"),
        ((im2col, forward_flipping_the_kernel), "flipped"),
        ((im2col, forward_without_the_nchw_transpose), "conv2d_forward on"),
    ]),
    (checks.check_conv2d, (conv2d, Conv2d), [
        ((conv2d_stride_ignored_in_backward, Conv2d), "gradient of the input"),
        ((conv2d_col2im_assigning, Conv2d), "gradient of the input"),
        ((conv2d_without_bias_gradient, Conv2d), "bias received no gradient"),
        ((conv2d, NormalInitConv2d), "uniform"),
        ((conv2d, InOutConv2d), "weight (4, 3, 3, 3)"),
    ]),
    (checks.check_pooling, (max_pool2d, avg_pool2d), [
        ((max_pool_spreading_the_gradient, avg_pool2d), "only to the maximum"),
        ((max_pool_assigning_overlaps, avg_pool2d), "np.add.at"),
        ((max_pool_padding_with_zeros, avg_pool2d), "-inf"),
        ((max_pool_last_maximum_wins, avg_pool2d), "first maximum"),
        ((max_pool2d, avg_pool_ignoring_padding_in_the_count), "avg_pool2d"),
    ]),
    (checks.check_batch_norm, (batch_norm, BatchNorm2d), [
        (batch_norm_with(biased_running_var=True), "UNBIASED"),
        (batch_norm_with(running_in_training=True), "batch statistics"),
        (batch_norm_with(batch_in_eval=True), "in eval mode"),
        (batch_norm_with(unbiased_normalisation=True), "biased variance"),
        (batch_norm_with(swapped_momentum=True), "momentum"),
        (batch_norm_with(detached_statistics=True), "gradient of the input"),
        (batch_norm_with(eval_without_eps=True), "in eval mode too"),
    ]),
]
test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
