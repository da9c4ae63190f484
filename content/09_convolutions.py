# %% [markdown]
# # Module 09 · Convolutions
#
# A dense layer treats an image as a bag of numbers: move a digit one pixel to the right and every
# input changes position, so everything the layer learnt about "a stroke there" is useless "a stroke
# here". A **convolution** slides one small set of weights over the whole image. The same few numbers
# look for the same pattern everywhere, so the layer needs far fewer parameters and what it learns in
# one corner works in every corner. Convolutions, pooling and batch normalisation are what turned neural
# networks into the vision systems of the 1990s (LeNet reading cheques) and the 2010s (ImageNet).
#
# ```text
# Connection map
#   Prerequisites : 01 Tensor (strides, views, matmul), 03 Layers (Module, Parameter, init),
#                   06 Autograd (Function, record: an op with its own backward rule), 08 Training
#   Focus (09)    : conv2d as 7 loops, then as im2col + one matmul, and its backward (col2im);
#                   Conv2d, MaxPool2d, AvgPool2d, BatchNorm2d, Flatten
#   Unlocks       : Milestone 1998 (a CNN that beats the MLP on digits with fewer parameters),
#                   14 Profiling and 17 Acceleration (where the time of a conv goes)
# ```
#
# ## Learning objectives
# By the end you will be able to
# 1. compute a 2-D convolution (PyTorch's cross-correlation) with stride and padding by hand, and
#    predict its output size `(H + 2p − k) // s + 1`;
# 2. rewrite it as **im2col** (every window copied into one row of a matrix) followed by a single
#    matrix product, and write its backward pass with **col2im**;
# 3. implement max pooling (its gradient goes to the winner of each window) and average pooling;
# 4. implement batch normalisation with PyTorch's training/evaluation behaviour and running statistics;
# 5. **measure**: the speed-up of im2col over the loops on the same input, FLOPs against time, the
#    memory of the column matrix, and the parameters a convolution saves against a dense layer.
#
# Work top to bottom: fill in the code where it says `# YOUR CODE HERE`, and run each check cell.

# %% [markdown]
# ## Part 1 · Convolution as seven loops
#
# A `Conv2d` layer with `C_in` input channels, `C_out` output channels and a `K×K` kernel holds a weight
# of shape `(C_out, C_in, K, K)`: one `C_in×K×K` **filter** per output channel, plus one bias per output
# channel. Its input is a batch in PyTorch's **NCHW** layout: `(batch, channels, height, width)`.
#
# Output channel `o` at position `(i, j)` is the filter `o` laid over the input window whose top-left
# corner is at `(i·s, j·s)`, multiplied element by element and summed, plus the bias:
#
# $$y[b, o, i, j] = \text{bias}[o] + \sum_{c}\sum_{u=0}^{K-1}\sum_{v=0}^{K-1}
#   x_{\text{pad}}[b, c, i s + u, j s + v]\; w[o, c, u, v]$$
#
# ```text
#   input 5×5, kernel 3×3, stride 1         output 3×3
#   ┌───────────┐                          ┌───────┐
#   │[a b c] d e│   window at (0, 0)  ──►  │ y . . │
#   │[f g h] i j│                          │ . . . │
#   │[k l m] n o│                          │ . . . │
#   │ p q r  s t│                          └───────┘
#   │ u v w  x y│   slide one step right for y[0, 1], one step down for y[1, 0]
#   └───────────┘
# ```
#
# * **Stride** `s` is the step between windows: stride 2 halves the output's height and width.
# * **Padding** `p` adds `p` rows of zeros above *and* below, and `p` columns left *and* right, before
#   sliding. With `K = 3, p = 1, s = 1` the output has the input's size ("same" padding).
# * So the output is `H_out = (H + 2p − K) // s + 1` high (and likewise wide).
#
# **Cross-correlation, not convolution.** In signal processing a convolution flips the kernel before
# sliding it. Deep-learning libraries, PyTorch included, do not flip: the formula above has `+u`, `+v`.
# Since the weights are learnt, the flip would only mirror what is learnt — but a pretrained PyTorch
# filter must give PyTorch's result, so we do exactly what PyTorch does.
#
# Your task: `conv2d_loops`, on numpy arrays, with the seven loops written out: batch, output channel,
# output row, output column, input channel, kernel row, kernel column. The sizes, the validation and the
# output array are given. It will be slow; that is the point, and the systems analysis measures it.

# %%
#| export
#| default_exp core.convolutions
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
    # HINT 1: The definition, written out: each output number out[b, o, i, j] is the bias of channel o plus the
    # HINT 1: sum, over every input channel and kernel position, of window value times weight, where the window
    # HINT 1: starts at row i·sh and column j·sw of the zero-padded input. PyTorch does not flip the kernel (it
    # HINT 1: correlates).
    # HINT 2: Pad with `np.pad`: zeros on both sides of height and width only (four (before, after) pairs, the
    # HINT 2: first two (0, 0)). `stride` and `padding` are pairs here, (sh, sw) and (ph, pw). Then nested `for`
    # HINT 2: loops over b, o, i, j (the output) and c, u, v (the window), accumulating from `bias[o]` (or 0.0
    # HINT 2: without a bias) into `out[b, o, i, j]`.
    ### BEGIN SOLUTION
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
    ### END SOLUTION
    return out


# %% [markdown]
# ### Check Part 1
# The check compares your loops with an independent computation on rectangular inputs and kernels, with
# stride and padding in both directions, with and without a bias, and on bad shapes.

# %%
from tinytorch.checks.convolutions import check_conv2d_loops

check_conv2d_loops(conv2d_loops)

# %% [markdown]
# ## Part 2 · im2col: every window becomes a row, the convolution one matrix product
#
# The loops do `B·C_out·H_out·W_out·C_in·K²` multiply-adds, one Python step each. The same arithmetic
# can be arranged so that numpy does it all in one call. Look at the inner three loops: for a fixed
# output position they take the dot product of one input window (`C_in·K·K` numbers) with one filter
# (the same `C_in·K·K` numbers of the weight). So:
#
# 1. copy every window into one row of a **column matrix** `cols` of shape
#    `(B·H_out·W_out, C_in·K·K)` — this is **im2col** ("image to columns"; we store the windows as rows);
# 2. flatten the weight to `(C_out, C_in·K·K)`;
# 3. one product `cols @ W_flat.T` gives `(B·H_out·W_out, C_out)`: every output of every image at once;
# 4. add the bias, reshape to `(B, H_out, W_out, C_out)` and move the channels to dim 1 (NCHW).
#
# ```text
#   x (B, C, H, W) ──pad──► windows (B, C, H_out, W_out, K, K) ──► cols (B·H_out·W_out, C·K·K)
#                                                                   │  @ W_flat.T (C·K·K, C_out)
#   y (B, C_out, H_out, W_out) ◄── transpose ◄── reshape ◄──────── (B·H_out·W_out, C_out)
# ```
#
# Finding the windows needs no loop either. `np.lib.stride_tricks.sliding_window_view(padded, (kH, kW),
# axis=(2, 3))` returns every `kH×kW` window at stride 1 as a **view** of shape `(B, C, H', W', kH, kW)`:
# no number is copied, the view's strides simply step through the same memory (module 01's strides at
# work). Taking every `s`-th window, `[:, :, ::sh, ::sw]`, applies the stride — still a view. The copy
# happens once, at the `reshape` into the column matrix, after moving the channel axis next to the
# kernel axes so that each row reads `(c, u, v)` in the same order as a flattened filter.
#
# **Which matrix product?** In CPython `a @ b` calls an optimised BLAS library. The browser's numpy is a
# WebAssembly build without one, and there `np.einsum` measured up to 5× faster than `@` on a
# convolution's products (about even on the smallest), while in CPython it is 2–5× slower. So the given helper `_matmul(a, b)` picks by
# platform; the systems analysis measures both on your machine.
#
# Your tasks: `im2col`, and `conv2d_forward`, which uses it and returns the column matrix too (the
# backward pass of Part 3 needs it).

# %%
#| export
def im2col(x, kernel_size, stride=1, padding=0):
    """The column matrix of x (B, C, H, W): one row per output position (b, i, j), in that order, holding
    the window's C*kH*kW numbers in (c, u, v) order. Shape (B*H_out*W_out, C*kH*kW)."""
    kernel, stride, padding = _sizes("im2col", kernel_size, stride, padding)
    if x.ndim != 4:
        raise RuntimeError(f"im2col: expected a 4-d (batch, channels, height, width) input, got shape {x.shape}")
    out_h, out_w = _output_size(x.shape[2:], kernel, stride, padding, "im2col")
    batch, channels = x.shape[:2]
    # HINT 1: im2col copies every window the kernel visits into one row of a matrix, so the whole convolution
    # HINT 1: becomes a single matrix product. numpy can view all windows at once without copying; keep every
    # HINT 1: stride-th one, put the rows in (b, i, j) order and each row's numbers in (c, u, v) order.
    # HINT 2: `_pad(x, padding)`, then `sliding_window_view(..., kernel, axis=(2, 3))` gives shape (B, C, H′,
    # HINT 2: W′, kH, kW) for every start position; slice axes 2 and 3 with step `stride[0]` and `stride[1]`.
    # HINT 2: Reorder the axes to (B, H_out, W_out, C, kH, kW) with `.transpose` and `.reshape` to
    # HINT 2: (B·H_out·W_out, C·kH·kW).
    ### BEGIN SOLUTION
    windows = sliding_window_view(_pad(x, padding), kernel, axis=(2, 3))[:, :, ::stride[0], ::stride[1]]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(batch * out_h * out_w, channels * kernel[0] * kernel[1])
    ### END SOLUTION


def conv2d_forward(x, weight, bias=None, stride=1, padding=0):
    """conv2d on numpy arrays by im2col and one matrix product; returns (output (B, C_out, H_out, W_out),
    the column matrix, which the backward pass reuses)."""
    _, stride, padding = _sizes("conv2d", stride=stride, padding=padding)
    out_h, out_w = _conv_geometry(x.shape, weight.shape, stride, padding, "conv2d")
    batch, out_channels = x.shape[0], weight.shape[0]
    # HINT 1: With the windows as rows of `cols` and each filter flattened into a row of the weight, every
    # HINT 1: output value is one row of `cols` times one filter: one matrix product gives them all, in (b, i,
    # HINT 1: j) × channel order. Put them back into the NCHW layout PyTorch uses.
    # HINT 2: `im2col` with the kernel size `weight.shape[2:]`, the stride and the padding. Reshape the weight
    # HINT 2: to (C_out, C_in·kH·kW) and multiply `cols` by its transpose with `_matmul`; add `bias` when given.
    # HINT 2: Reshape to (B, H_out, W_out, C_out), move channels to axis 1 with `.transpose`, and return
    # HINT 2: (`np.ascontiguousarray` of it, `cols`).
    ### BEGIN SOLUTION
    cols = im2col(x, weight.shape[2:], stride, padding)
    out = _matmul(cols, weight.reshape(out_channels, -1).T)
    if bias is not None:
        out = out + bias
    out = out.reshape(batch, out_h, out_w, out_channels).transpose(0, 3, 1, 2)
    return np.ascontiguousarray(out), cols
    ### END SOLUTION


# %% [markdown]
# ### Check Part 2

# %%
from tinytorch.checks.convolutions import check_im2col_conv

check_im2col_conv(im2col, conv2d_forward)

# %% [markdown]
# ## Part 3 · The backward pass: col2im, and a Conv2d layer
#
# With `cols` (`(N, C·K·K)`, `N = B·H_out·W_out` rows), the flat weight `W` (`(C_out, C·K·K)`) and the
# output gradient `G` rearranged to `(N, C_out)`, the forward pass was `Y = cols @ Wᵀ + b`: a `Linear`
# layer. Module 06's matmul rule gives the gradients at once:
#
# * `∂L/∂W = Gᵀ @ cols`, reshaped to the weight's `(C_out, C_in, K, K)`;
# * `∂L/∂b = Σ` of `G` over its `N` rows;
# * `∂L/∂cols = G @ W`, shape `(N, C·K·K)`: one gradient for every *copy* of an input pixel.
#
# The last one is not yet the input's gradient. im2col copied each input pixel into every window that
# covers it — up to `K²` rows — so its gradient is the **sum** of the gradients of all its copies (the
# same rule as module 06's `x[[0, 0]]` indexing: repeated uses add up). **col2im** undoes im2col by
# adding every row's numbers back where they came from.
#
# Adding them one row at a time would be the slow loop again. Instead loop over the `K×K` kernel
# offsets `(u, v)` only: for a fixed offset, the windows' entries come from the pixels
# `padded[:, :, u + s·i, v + s·j]` — a strided slice `u : u + s·H_out : s`, all different pixels — so
# one vectorised `+=` adds all of them. (`np.add.at` with index arrays does the same job in one call,
# but much more slowly.) Finally cut the padding off: the gradient of a padding zero goes nowhere.
#
# ```text
#   ∂L/∂cols (B·H_out·W_out, C·K·K) ─reshape─► (B, H_out, W_out, C, K, K)
#       for each (u, v):  grad_padded[:, :, u::s, v::s] (H_out × W_out of them) += its (B, C, H_out, W_out) slice
#   grad_x = grad_padded without its p border rows and columns
# ```
#
# The node is named as PyTorch's: `ConvolutionBackward0`. It saves the column matrix, which is the
# memory cost of this fast method (measured below). Your tasks: `col2im` and the backward rule.
# `conv2d` (the function, like `F.conv2d`) and the `Conv2d` layer are given: read how the forward ends
# with `record(...)`, and how `Conv2d` initialises as PyTorch does — uniform on `±1/√fan_in` for weight
# and bias, with `fan_in = C_in·kH·kW` (what PyTorch's `kaiming_uniform_(a=√5)` works out to).

# %%
#| export
def col2im(cols, input_shape, kernel_size, stride=1, padding=0):
    """The adjoint of im2col: add each row of `cols` (B*H_out*W_out, C*kH*kW) back onto the window it was
    copied from; returns an array of `input_shape` (B, C, H, W) (padding removed)."""
    kernel, stride, padding = _sizes("col2im", kernel_size, stride, padding)
    batch, channels, height, width = input_shape
    out_h, out_w = _output_size((height, width), kernel, stride, padding, "col2im")
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    patches = cols.reshape(batch, out_h, out_w, channels, kh, kw)
    padded = np.zeros((batch, channels, height + 2 * ph, width + 2 * pw), dtype=cols.dtype)
    # HINT 1: col2im undoes im2col's copying by adding: each window row goes back onto the input positions it
    # HINT 1: was copied from, and where windows overlap their contributions add up (that is what makes it
    # HINT 1: im2col's adjoint, the backward of the copy). Loop over the kH·kW kernel offsets, not over the
    # HINT 1: windows: each offset moves a whole strided grid at once.
    # HINT 2: `patches` has shape (B, H_out, W_out, C, kH, kW). For offset (u, v) take `patches[..., u, v]`,
    # HINT 2: move its channel axis next to the batch (`.transpose` to (B, C, H_out, W_out)), and `+=` it into
    # HINT 2: `padded` sliced from u with step sh over out_h rows (and from v with step sw over out_w columns).
    # HINT 2: Return `padded` with the padding rows and columns cut off (ph, pw on each side).
    ### BEGIN SOLUTION
    for u in range(kh):
        for v in range(kw):
            padded[:, :, u:u + sh * out_h:sh, v:v + sw * out_w:sw] += patches[:, :, :, :, u, v].transpose(0, 3, 1, 2)
    return padded[:, :, ph:ph + height, pw:pw + width]
    ### END SOLUTION


class ConvolutionBackward0(Function):
    """conv2d's rule. inputs: (x, weight) or (x, weight, bias); saved: cols, stride, padding."""

    def backward(self, grad):
        x, weight = self.inputs[:2]
        out_channels = weight.shape[0]
        # HINT 1: The forward was out = cols · Wᵀ (+ b), reshaped. So, with the upstream gradient laid out the
        # HINT 1: same way as that product (one row per output position, one column per output channel): the
        # HINT 1: weight's gradient is gᵀ · cols, the columns' gradient is g · W, and col2im turns the columns'
        # HINT 1: gradient into the input's. The bias gradient sums g over every position.
        # HINT 2: Move `grad` from (B, C_out, H_out, W_out) to (B, H_out, W_out, C_out) with `.transpose` and
        # HINT 2: reshape to (−1, C_out). Use `_matmul` with `self.cols` and with the weight's numbers reshaped
        # HINT 2: to (C_out, −1); reshape the weight gradient to `weight.shape`. `col2im` takes the input shape,
        # HINT 2: the kernel size `weight.shape[2:]`, `self.stride` and `self.padding`. Return (input grad,
        # HINT 2: weight grad), plus the bias grad (`.sum(axis=0)`) when `len(self.inputs) == 3`.
        ### BEGIN SOLUTION
        g = grad.transpose(0, 2, 3, 1).reshape(-1, out_channels)
        grad_weight = _matmul(g.T, self.cols).reshape(weight.shape)
        grad_cols = _matmul(g, weight.data.reshape(out_channels, -1))
        grad_x = col2im(grad_cols, x.shape, weight.shape[2:], self.stride, self.padding)
        if len(self.inputs) == 3:
            return grad_x, grad_weight, g.sum(axis=0)
        return grad_x, grad_weight
        ### END SOLUTION


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


# %% [markdown]
# ### Check Part 3
# Gradients of input, weight and bias are compared with float64 finite differences, with stride 2 and
# padding, and the layer with PyTorch's shapes, initialisation, repr and error messages.

# %%
from tinytorch.checks.convolutions import check_conv2d

check_conv2d(conv2d, Conv2d)

# %% [markdown]
# ## Part 4 · Pooling
#
# A pooling layer summarises each `K×K` window of each channel by one number, with no weights: **max
# pooling** keeps the largest (is the feature present anywhere in this patch?), **average pooling** the
# mean. `MaxPool2d(2)` halves the height and width, so the next convolution sees a wider area with the
# same kernel, and small shifts of the input change the output less. Pooling works channel by channel:
# `C` stays `C`. As in PyTorch, the stride defaults to the kernel size (windows side by side), and
# padding may be at most half the kernel. Max pooling pads with `−∞`, so a padding value never wins;
# average pooling pads with zeros and counts them (PyTorch's default, `count_include_pad=True`).
#
# **The gradient of max pooling** flows only to the element that won each window: the others did not
# affect the output, so their gradient is 0. Like PyTorch, when two elements tie, the first one (in
# row-major order) wins, and only it gets the gradient. When windows overlap (stride < kernel), one
# input element can win several windows: its gradient is the **sum**, so the scatter must add
# (`np.add.at`), never assign. The gradient of average pooling is `1/K²` of the output gradient for each
# element of the window, added up in the same way.
#
# Your tasks: the forward pass of `max_pool2d` (find each window's winner with `argmax` over the
# flattened window) and its backward rule. `avg_pool2d` is given.

# %%
#| export
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
        # HINT 1: Each window passed on only its maximum, so each output's gradient goes to that one winner, in
        # HINT 1: the padded input. The saved argmax says where in the window the winner was; turn it into a row
        # HINT 1: and a column of the padded input. Windows that overlap can share a winner: its gradients must
        # HINT 1: add up, not overwrite each other.
        # HINT 2: Tools: integer division and remainder by `kw` (what does `self.argmax` count, and in which
        # HINT 2: order?), `np.arange` shaped so that four index arrays (batch, channel, row, column) broadcast to
        # HINT 2: the shape of `grad`, and `np.add.at`, which (unlike `+=` with index arrays) adds every repeat.
        # HINT 2: A backward returns a tuple, one gradient per input; the padding is not part of the input.
        ### BEGIN SOLUTION
        rows = np.arange(out_h)[:, None] * sh + self.argmax // kw
        cols = np.arange(out_w) * sw + self.argmax % kw
        b = np.arange(batch)[:, None, None, None]
        c = np.arange(channels)[None, :, None, None]
        np.add.at(grad_padded, (b, c, rows, cols), grad)
        return (grad_padded[:, :, ph:ph + height, pw:pw + width],)
        ### END SOLUTION


def max_pool2d(input, kernel_size, stride=None, padding=0):
    """Max over each kH x kW window of each channel, as torch.nn.functional.max_pool2d (stride defaults to
    the kernel size; padding counts as -inf); the gradient goes to each window's first maximum."""
    x, unbatched, kernel, stride, padding, _ = _pool_arguments(input, kernel_size, stride, padding, "max_pool2d")
    # HINT 1: Max pooling keeps the largest value of each window. Pad with −∞ (so padding never wins), look at
    # HINT 1: every window as a flat row of kH·kW values, remember where the maximum was for the backward pass,
    # HINT 1: and record the operation in the graph.
    # HINT 2: Tools: the given `_windows` (which value should padding get, so that it never wins?),
    # HINT 2: `.argmax` along the window axis (ties: the first wins, as in PyTorch), `np.take_along_axis`, and
    # HINT 2: `record` with the node above and what its backward reads from `self` (look at its code).
    ### BEGIN SOLUTION
    windows = _windows(x.data, kernel, stride, padding, -np.inf)
    argmax = windows.argmax(axis=-1)
    out = np.take_along_axis(windows, argmax[..., None], axis=-1)[..., 0]
    result = record(Tensor(out, dtype=x.dtype), MaxPool2DWithIndicesBackward0, x, argmax=argmax,
                    kernel=kernel, stride=stride, padding=padding)
    ### END SOLUTION
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


# %% [markdown]
# ### Check Part 4

# %%
from tinytorch.checks.convolutions import check_pooling

check_pooling(max_pool2d, avg_pool2d)

# %% [markdown]
# ## Part 5 · Batch normalisation, and Flatten
#
# Deep networks train faster when each layer's inputs keep a steady scale. **Batch normalisation**
# (Ioffe & Szegedy, 2015) normalises each channel over the batch and the spatial positions, then lets
# the network rescale it with two learnt numbers per channel:
#
# $$\hat x = \frac{x - \mu_c}{\sqrt{\sigma^2_c + \varepsilon}}, \qquad y = \gamma_c\,\hat x + \beta_c,
#   \qquad \mu_c, \sigma^2_c \text{ over } (B, H, W) \text{ of channel } c.$$
#
# Its two modes are where most bugs hide:
#
# * **Training**: `μ` and `σ²` are the current batch's own statistics, `σ²` the *biased* variance
#   (divided by `n`, the number of values per channel). The layer also keeps **running** estimates for
#   later, updated with the momentum `m` (0.1): `running = (1 − m)·running + m·batch_statistic`. PyTorch
#   updates `running_var` with the **unbiased** variance (divided by `n − 1`), an estimate of the
#   population's variance, and counts `num_batches_tracked`.
# * **Evaluation** (`model.eval()`): the running estimates replace the batch statistics, so a prediction
#   does not depend on which other images share its batch, and a batch of one works.
#
# `γ` (`weight`) starts at 1 and `β` (`bias`) at 0, so a fresh layer is a pure normalisation. The
# running statistics are **buffers** (module 03): saved in the `state_dict`, never trained. Write the
# normalisation with Tensor operations (`mean`, `-`, `*`, `/`, `sqrt`): autograd then differentiates it
# for free, through the batch mean and variance too. Update the running buffers in numpy, on their
# `.data`: they are not part of the graph.
#
# Your task: `batch_norm` (PyTorch's `F.batch_norm`, which works for any `(N, C, ...)` input).
# `BatchNorm2d` (given) holds the parameters and buffers, checks for a 4-d input and calls it. `Flatten`
# (given) turns the `(B, C, H, W)` feature maps into `(B, C·H·W)` rows for a final `Linear`.

# %%
#| export
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
    # HINT 1: Batch norm standardises each channel: subtract a mean and divide by the square root of a variance
    # HINT 1: (+ eps), then scale and shift per channel. In training use the batch's own statistics over every
    # HINT 1: dim but the channels (written with Tensor operations, so autograd differentiates them) and update
    # HINT 1: the running averages; PyTorch stores the UNBIASED variance there. In eval use the running averages
    # HINT 1: instead.
    # HINT 2: Tools: Tensor `mean(dim=..., keepdim=True)` and `.sqrt()` (so gradients flow), `.reshape(shape)`
    # HINT 2: for the per-channel numbers; the running buffers change in place through `.data[...] =` (they
    # HINT 2: are not part of the graph). PyTorch normalises with the biased variance but stores the unbiased
    # HINT 2: one (a factor count / (count − 1)). In eval mode the running buffers replace the batch statistics.
    ### BEGIN SOLUTION
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
    ### END SOLUTION


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


# %% [markdown]
# ### Check Part 5

# %%
from tinytorch.checks.convolutions import check_batch_norm

check_batch_norm(batch_norm, BatchNorm2d)

# %% [markdown]
# ## Use it
#
# **Hand-made filters.** Before any training, a convolution is a pattern detector you can write by
# hand. A vertical-edge filter `[[-1, 0, 1]] * 3` answers "is it brighter to the right than to the
# left?"; its transpose asks the same about up and down. Applied to a TinyDigits image (8×8, one
# channel), each gives an 8×8 map (padding 1) that lights up where the strokes have that kind of edge.

# %%
import time

import tinytorch
from tinytorch.datasets import load_tinydigits

(train_images, train_labels), _ = load_tinydigits()
image = Tensor(train_images[:1, None])  # (1, 1, 8, 8): a batch of one single-channel image
vertical = np.array([[-1, 0, 1]] * 3, dtype=np.float32)
filters = Tensor(np.stack([vertical, vertical.T])[:, None])  # (2, 1, 3, 3): two output channels
edges = conv2d(image, filters, padding=1)
print(f"a {train_labels[0]}: image {image.shape} -> edge maps {edges.shape}")
shades = " .:-=+*#%@"


def show(maps, titles):
    """Print 8x8 maps side by side, |value| scaled to the shades."""
    scaled = [np.abs(m) / max(np.abs(m).max(), 1e-9) for m in maps]
    print("   ".join(f"{t:16s}" for t in titles))
    for row in range(maps[0].shape[0]):
        print("   ".join("".join(shades[int(round(v * 9))] * 2 for v in m[row]) for m in scaled))


show([image.data[0, 0], edges.data[0, 0], edges.data[0, 1]], ["image", "left/right edges", "top/bottom edges"])

# %% [markdown]
# **A small CNN.** Stacked, the layers of this module make the classic pattern conv → (batch norm) →
# ReLU → pool, twice, then flatten and a linear classifier. Follow the shapes, and count the
# parameters per layer: the convolutions are tiny; most of the weights sit in the final `Linear`.

# %%
from tinytorch import Linear, ReLU, Sequential

tinytorch.manual_seed(0)
cnn = Sequential(Conv2d(1, 8, 3, padding=1), BatchNorm2d(8), ReLU(), MaxPool2d(2),
                 Conv2d(8, 16, 3, padding=1), ReLU(), MaxPool2d(2), Flatten(), Linear(16 * 2 * 2, 10))
print(cnn)
x = Tensor(train_images[:32, None])
for layer in cnn:
    x = layer(x)
    count = sum(p.numel() for p in layer.parameters())
    print(f"{type(layer).__name__:12s} -> {str(x.shape):16s} {count:5d} parameters")
loss = tinytorch.CrossEntropyLoss()(x, Tensor(train_labels[:32]))
loss.backward()
print(f"loss {loss.item():.3f}; first conv's weight gradient {cnn[0].weight.grad.shape}, "
      f"BatchNorm running_mean after one batch {np.round(cnn[1].running_mean.data[:3], 3)}...")

# %% [markdown]
# Milestone 1998 trains a network like this one on TinyDigits and compares it with the MLP of 1986.
#
# ## Systems analysis · measured
#
# ### 1. Parameters: a convolution against a dense layer
# The curriculum claims `Conv2d(3, 32, kernel_size=3)` has 896 parameters, while a dense layer from a
# 32×32×3 image to 32 outputs has 98,336 — about 109× more. Predict both from the shapes, then count.

# %%
from tinytorch.timing import time_per_call


def parameter_count(module):
    return sum(p.numel() for p in module.parameters())


conv_layer, dense_layer = Conv2d(3, 32, 3), Linear(32 * 32 * 3, 32)
conv_params, dense_params = parameter_count(conv_layer), parameter_count(dense_layer)
print(f"Conv2d(3, 32, 3):      {conv_params:>10,} parameters  (32 x 3 x 3 x 3 weights + 32 biases)")
print(f"Linear(3072, 32):      {dense_params:>10,} parameters  (3072 x 32 weights + 32 biases)")
print(f"ratio: {dense_params / conv_params:.1f}x")
conv_out = conv_layer(Tensor(np.zeros((1, 3, 32, 32), dtype=np.float32)))
print(f"but the conv produces {conv_out.numel():,} outputs ({conv_out.shape}); a dense layer with that many "
      f"outputs would need {3072 * conv_out.numel() + conv_out.numel():,} parameters")

# %% [markdown]
# The two layers do not do the same job: the dense layer's 32 outputs each see the whole image, the
# convolution's 32 maps each see 3×3 patches, everywhere. Weight sharing is the saving: the same 27
# numbers per filter are reused at all 900 positions.
#
# ### 2. Seven loops against im2col, on the same input
# Same input, same weights: your loops, the im2col version, and the package's `conv2d` (im2col plus
# the Tensor wrapping and the graph node). The input is kept small, because the loops are slow.

# %%
rng = np.random.default_rng(0)
x_small = rng.standard_normal((4, 3, 32, 32)).astype(np.float32)
w_small = rng.standard_normal((16, 3, 3, 3)).astype(np.float32)
b_small = rng.standard_normal(16).astype(np.float32)
start = time.perf_counter()
loop_out = conv2d_loops(x_small, w_small, b_small, padding=1)
loop_seconds = time.perf_counter() - start
fast_seconds = time_per_call(lambda: conv2d_forward(x_small, w_small, b_small, 1, 1))
tensor_seconds = time_per_call(lambda: conv2d(Tensor(x_small), Tensor(w_small), Tensor(b_small), padding=1))
fast_out, _ = conv2d_forward(x_small, w_small, b_small, 1, 1)
print(f"same result: {np.allclose(loop_out, fast_out, rtol=1e-4, atol=1e-4)}")
multiply_adds = loop_out.size * 3 * 3 * 3  # B*C_out*H_out*W_out outputs, C_in*K*K each
print(f"7 loops:         {loop_seconds * 1e3:10.2f} ms  ({loop_seconds / multiply_adds * 1e9:.0f} ns per multiply-add)")
print(f"im2col + matmul: {fast_seconds * 1e3:10.3f} ms  -> {loop_seconds / fast_seconds:,.0f}x faster")
print(f"F.conv2d:        {tensor_seconds * 1e3:10.3f} ms  (with the Tensor and graph bookkeeping)")

# %% [markdown]
# Each multiply-add of the loops costs a Python step — hundreds of nanoseconds for indexing numpy
# scalars — while numpy's matrix product does billions per second. When this module was written the
# ratio was about 1,600× in CPython and about 700× in the browser, where Python steps slow down about
# 2× but numpy's products 4–5× (the original TinyTorch course reports about 10,000× between its loops
# and PyTorch). The ratio grows with the input, as the fixed costs of the fast version matter less.
#
# ### 3. FLOPs against time
# A convolution does `2·B·C_out·H_out·W_out·C_in·K²` FLOPs (a multiply and an add each). We time the
# forward pass (im2col and matmul) of a few layers and convert to GFLOP/s.

# %%
def conv_flops(batch, c_in, c_out, size, k, padding):
    out = size + 2 * padding - k + 1
    return 2 * batch * c_out * out * out * c_in * k * k


print(f"{'layer':34s} {'MFLOPs':>8s} {'ms':>8s} {'GFLOP/s':>8s}")
for batch, c_in, c_out, size, k in [(8, 1, 8, 8, 3), (8, 8, 16, 8, 3), (8, 16, 32, 16, 3), (8, 3, 16, 32, 5)]:
    xs = rng.standard_normal((batch, c_in, size, size)).astype(np.float32)
    ws = rng.standard_normal((c_out, c_in, k, k)).astype(np.float32)
    seconds = time_per_call(lambda: conv2d_forward(xs, ws, None, 1, k // 2))
    flops = conv_flops(batch, c_in, c_out, size, k, k // 2)
    print(f"B={batch} {c_in:2d}->{c_out:2d} k{k} on {size:2d}x{size:<2d}           {flops / 1e6:8.2f} "
          f"{seconds * 1e3:8.3f} {flops / seconds / 1e9:8.2f}")

# %% [markdown]
# Small layers reach a fraction of the big ones' GFLOP/s: their matmuls are tiny, and the fixed costs
# (building the column matrix, reshapes, Python calls) dominate.
#
# ### 4. The memory of the column matrix
# im2col copies each pixel into every window that covers it. With stride 1 and "same" padding that is
# about `K²` copies: the price of turning the convolution into one fast matmul. And the backward pass
# needs the columns again, so the graph keeps them alive until `backward()`.

# %%
x_mem = np.zeros((8, 16, 32, 32), dtype=np.float32)
print(f"input {x_mem.shape}: {x_mem.nbytes / 2**20:.1f} MiB")
for k, stride, padding in [(1, 1, 0), (3, 1, 1), (5, 1, 2), (3, 2, 1), (7, 1, 3)]:
    cols = im2col(x_mem, k, stride, padding)
    print(f"k={k} stride={stride} padding={padding}: cols {str(cols.shape):14s} {cols.nbytes / 2**20:7.1f} MiB = "
          f"{cols.nbytes / x_mem.nbytes:5.2f}x the input (K^2/stride^2 = {k * k / stride ** 2:.2f})")

# %% [markdown]
# A 7×7 kernel makes the column matrix 49 times the input. This is why large-kernel layers are
# implemented differently in real libraries (direct convolution kernels, Winograd, FFT), and why a
# network's first layer, on the largest images, dominates activation memory.
#
# ### 5. `@` or `np.einsum` for the big product?
# In CPython numpy's `@` calls an optimised BLAS. The browser's numpy is a WebAssembly build whose matrix
# product is much slower, and `np.einsum` can beat `@` there. Time both on the matmul of the largest
# layer above, on this platform.

# %%
import sys

cols = im2col(rng.standard_normal((8, 16, 16, 16)).astype(np.float32), 3, 1, 1)
w_flat = rng.standard_normal((32, 16 * 9)).astype(np.float32)
t_matmul = time_per_call(lambda: cols @ w_flat.T)
t_einsum = time_per_call(lambda: np.einsum("nk,ok->no", cols, w_flat))
print(f"platform {sys.platform}: cols {cols.shape} @ W.T {w_flat.T.shape}: @ {t_matmul * 1e3:.3f} ms, "
      f"einsum {t_einsum * 1e3:.3f} ms -> @ is {t_einsum / t_matmul:.2f}x einsum's speed")

# %% [markdown]
# ## Reflect
#
# Answer with a number first, then check it in a new cell.
#
# 1. What is the output shape of `Conv2d(3, 16, kernel_size=5, stride=2, padding=1)` on a
#    `(4, 3, 28, 28)` batch? Compute `(H + 2p − K) // s + 1`, then run it.
# 2. How many parameters does `Conv2d(16, 32, 3)` have, and how many FLOPs does it take on a
#    `(8, 16, 16, 16)` input with padding 1? Predict the time from your GFLOP/s table, then measure.
# 3. For `MaxPool2d(2, stride=1)` on a 4×4 input of zeros with a single 5 at row 1, column 1, which
#    inputs get a gradient when the output gradient is all ones, and how large is the 5's? (In how many
#    windows is it the maximum?) Check with `backward()`.
# 4. A `BatchNorm2d(3)` in training sees a batch where channel 0 holds 1, 2, 3, 4 (and nothing else).
#    What is `running_var[0]` after one call? (Unbiased variance 5/3, momentum 0.1.) Check it.
# 5. How many bytes does `im2col` allocate for a `(64, 3, 224, 224)` image batch and a 7×7 kernel with
#    stride 2 and padding 3 (the first layer of ResNet)? Compute it from the shape, then check with a
#    smaller batch and scale.
#
# **Next:** Milestone 1998 trains a CNN on TinyDigits against the MLP of 1986; module 14 profiles where
# the time of such a network goes.
