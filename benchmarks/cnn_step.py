"""Benchmark (not a test): one training step of the milestone-1998 CNN in tinytorch vs the same step in plain numpy.

The network of content/milestones/1998_cnn.py on a batch of 64 TinyDigits images (1x8x8):
Conv2d(1, 16, 3, padding=1) -> BatchNorm2d(16) -> ReLU -> MaxPool2d(2) -> Conv2d(16, 32, 3, padding=1) ->
BatchNorm2d(32) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(128, 10), cross-entropy, Adam(lr=0.01) as the
milestone trains it (its cosine schedule only changes lr between steps, and is left out).

The numpy side is written as a numpy programmer would write it for speed: activations laid out (C, B, H, W), so
that a convolution is im2col by `sliding_window_view` and one matrix product giving (C_out, B*H*W) directly and
batch norm reduces along contiguous memory; batch norm's backward in closed form; 2x2 max pooling as the maximum
of four strided views; no gradient for the input images. Both sides start from the same
weights; after one step the loss, every gradient, every updated parameter and the BatchNorm running statistics
must agree (which proves the numpy version computes the same thing), then each side is timed over many steps
(best of several rounds) and the ratio is printed.

    python benchmarks/cnn_step.py
"""
from _common import (adam_update, assert_same, assert_same_after_adam, assert_same_loss,  # sets 1 BLAS thread
                     before_module_17, best_seconds_per_step, report, tinytorch_step)

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import tinytorch
from tinytorch import CrossEntropyLoss, Linear, ReLU, Sequential, Tensor
from tinytorch.datasets import load_tinydigits
from tinytorch.nn import BatchNorm2d, Conv2d, Flatten, MaxPool2d
from tinytorch.optim import Adam

BATCH, LR, EPS, MOMENTUM = 64, 0.01, 1e-5, 0.1  # BatchNorm2d's eps and momentum defaults
CONV_BIASES = ("0.bias", "4.bias")  # each followed by a BatchNorm: their gradient is 0 up to rounding


def cnn():
    """The milestone's network; Sequential names its parameters by position: 0 conv, 1 batch norm, 4, 5, 9 linear."""
    return Sequential(
        Conv2d(1, 16, 3, padding=1), BatchNorm2d(16), ReLU(), MaxPool2d(2),
        Conv2d(16, 32, 3, padding=1), BatchNorm2d(32), ReLU(), MaxPool2d(2),
        Flatten(), Linear(32 * 2 * 2, 10))


# ---- the numpy side. Activations are channels-first over the whole batch, (C, B, H, W): a convolution's output
# (C_out, B*H*W) is one matrix product with no transposes after it, and every per-channel sum of batch norm runs
# along contiguous memory (numpy's sums over axis 0 of a narrow (B*H*W, C) array measured 6x slower).

def conv3x3_forward(x, weight, bias):
    """3x3 convolution, padding 1, of x (C, B, H, W): the output (C_out, B*H*W) and the column matrix."""
    channels, batch, height, width = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = sliding_window_view(padded, (3, 3), axis=(2, 3))  # (C, B, H, W, 3, 3), a view
    cols = windows.transpose(0, 4, 5, 1, 2, 3).reshape(channels * 9, batch * height * width)  # the one copy
    return weight.reshape(len(weight), -1) @ cols + bias[:, None], cols


def conv3x3_backward(grad, cols, weight, input_shape=None):
    """Gradients of conv3x3_forward from grad (C_out, B*H*W): (input (C, B, H, W), or None when input_shape is None,
    weight, bias)."""
    grad_weight, grad_bias = (grad @ cols.T).reshape(weight.shape), grad.sum(1)
    if input_shape is None:
        return None, grad_weight, grad_bias
    channels, batch, height, width = input_shape
    patches = (weight.reshape(len(weight), -1).T @ grad).reshape(channels, 3, 3, batch, height, width)
    padded = np.zeros((channels, batch, height + 2, width + 2), dtype=grad.dtype)
    for u in range(3):  # col2im: add every window's gradient back where the window was read
        for v in range(3):
            padded[:, :, u:u + height, v:v + width] += patches[:, u, v]
    return padded[:, :, 1:-1, 1:-1], grad_weight, grad_bias


def batch_norm_forward(z, gamma, beta, running_mean, running_var):
    """Training-mode batch norm of z (C, N) over N; updates the running statistics in place as PyTorch does."""
    mean = z.mean(1, keepdims=True)
    centered = z - mean
    var = (centered * centered).mean(1, keepdims=True)
    inv_std = 1 / np.sqrt(var + EPS)
    normalized = centered * inv_std
    count = z.shape[1]
    running_mean *= 1 - MOMENTUM
    running_mean += MOMENTUM * mean[:, 0]
    running_var *= 1 - MOMENTUM
    running_var += MOMENTUM * var[:, 0] * (count / (count - 1))  # the running variance is the unbiased one
    return normalized * gamma[:, None] + beta[:, None], (normalized, inv_std)


def batch_norm_backward(grad, gamma, saved):
    """(grad z, grad gamma, grad beta): the closed form of the batch-norm backward."""
    normalized, inv_std = saved
    grad_gamma, grad_beta = (grad * normalized).sum(1), grad.sum(1)
    count = grad.shape[1]
    scale = gamma[:, None] * inv_std
    return scale * (grad - grad_beta[:, None] / count - normalized * (grad_gamma[:, None] / count)), grad_gamma, \
        grad_beta


WINDOW = [(u, v) for u in range(2) for v in range(2)]  # a 2x2 window's elements in PyTorch's order


def max_pool_forward(a):
    """2x2 max pooling of a (C, B, H, W): the maximum of the four strided views, one per window element."""
    views = [a[..., u::2, v::2] for u, v in WINDOW]
    return np.maximum(np.maximum(views[0], views[1]), np.maximum(views[2], views[3]))


def max_pool_backward(grad, a, out):
    """The gradient of max_pool_forward: each window's gradient to its first maximum (PyTorch's choice on ties)."""
    spread, taken = np.zeros_like(a), np.zeros(out.shape, dtype=bool)
    for u, v in WINDOW:
        wins = (a[..., u::2, v::2] == out) & ~taken
        spread[..., u::2, v::2] = grad * wins
        taken |= wins
    return spread


def numpy_loss_and_grads(p, buffers, x, y):
    """Forward and backward of the CNN by hand: (loss, gradient of every parameter in p). x is (1, B, 8, 8)."""
    batch = x.shape[1]
    z1, cols1 = conv3x3_forward(x, p["0.weight"], p["0.bias"])  # (16, B*64)
    y1, bn1 = batch_norm_forward(z1, p["1.weight"], p["1.bias"], buffers["1.running_mean"], buffers["1.running_var"])
    a1 = np.maximum(y1, 0).reshape(16, batch, 8, 8)
    h1 = max_pool_forward(a1)  # (16, B, 4, 4)
    z2, cols2 = conv3x3_forward(h1, p["4.weight"], p["4.bias"])  # (32, B*16)
    y2, bn2 = batch_norm_forward(z2, p["5.weight"], p["5.bias"], buffers["5.running_mean"], buffers["5.running_var"])
    a2 = np.maximum(y2, 0).reshape(32, batch, 4, 4)
    h2 = max_pool_forward(a2)  # (32, B, 2, 2)
    features = h2.transpose(1, 0, 2, 3).reshape(batch, 128)  # Flatten in PyTorch's (C, H, W) order
    logits = features @ p["9.weight"].T + p["9.bias"]

    shifted = np.exp(logits - logits.max(1, keepdims=True))
    probabilities = shifted / shifted.sum(1, keepdims=True)
    loss = -np.log(probabilities[np.arange(batch), y]).mean()
    grad_logits = probabilities
    grad_logits[np.arange(batch), y] -= 1
    grad_logits /= batch

    g = {"9.weight": grad_logits.T @ features, "9.bias": grad_logits.sum(0)}
    grad_h2 = (grad_logits @ p["9.weight"]).reshape(batch, 32, 2, 2).transpose(1, 0, 2, 3)
    grad_y2 = max_pool_backward(grad_h2, a2, h2).reshape(32, -1) * (y2 > 0)
    grad_z2, g["5.weight"], g["5.bias"] = batch_norm_backward(grad_y2, p["5.weight"], bn2)
    grad_h1, g["4.weight"], g["4.bias"] = conv3x3_backward(grad_z2, cols2, p["4.weight"], h1.shape)
    grad_y1 = max_pool_backward(grad_h1, a1, h1).reshape(16, -1) * (y1 > 0)
    grad_z1, g["1.weight"], g["1.bias"] = batch_norm_backward(grad_y1, p["1.weight"], bn1)
    _, g["0.weight"], g["0.bias"] = conv3x3_backward(grad_z1, cols1, p["0.weight"])  # no gradient for the images
    return float(loss), g


def numpy_step(p, buffers, state, x, y):
    loss, grads = numpy_loss_and_grads(p, buffers, x, y)
    adam_update(p, grads, state, LR)
    return loss


def build(seed=0):
    """Both sides from the same seed and the same batch of TinyDigits images. Returns (tinytorch step, numpy step,
    model, numpy parameters, numpy buffers, a function giving this step's numpy gradients)."""
    tinytorch.manual_seed(seed)
    (images, labels), _ = load_tinydigits()
    batch = np.random.default_rng(seed).choice(len(images), BATCH, replace=False)
    x_np, y_np = images[batch][:, None].astype(np.float32), labels[batch].astype(np.int64)  # (B, 1, 8, 8)

    model = cnn()
    optimizer, loss_fn, x = Adam(model.parameters(), lr=LR), CrossEntropyLoss(), Tensor(x_np)
    params = {name: t.data.copy() for name, t in model.named_parameters()}
    buffers = {name: t.data.copy() for name, t in model.named_buffers() if "running" in name}
    state, x_cb = {}, np.ascontiguousarray(x_np.transpose(1, 0, 2, 3))  # numpy side: (C, B, H, W)
    return (lambda: tinytorch_step(model, optimizer, loss_fn, x, y_np)), \
        (lambda: numpy_step(params, buffers, state, x_cb, y_np)), model, params, buffers, \
        (lambda: numpy_loss_and_grads(params, {k: v.copy() for k, v in buffers.items()}, x_cb, y_np)[1])


def first_step(ours, plain, model, params, buffers, numpy_grads):
    """One step on each side from the same weights; asserts that the loss, every gradient, every parameter after
    Adam's update and the running statistics agree. Returns the loss.

    The biases of the two convolutions are each followed by BatchNorm, which subtracts the batch mean: their true
    gradient is exactly 0, and both sides compute rounding noise (~1e-7): for those two the check is that both
    gradients are ~0 (Adam then turns the noise into steps of up to lr, which assert_same_after_adam allows)."""
    grads = numpy_grads()  # at the starting weights, before either side steps
    loss_ours, loss_plain = ours(), plain()
    assert_same_loss(loss_ours, loss_plain)
    named = dict(model.named_parameters())
    ours_grads = {n: t.grad.data for n, t in named.items()}
    assert_same("gradient", {n: g for n, g in ours_grads.items() if n not in CONV_BIASES},
                {n: g for n, g in grads.items() if n not in CONV_BIASES}, rtol=1e-4, atol=1e-7)
    for name in CONV_BIASES:
        scale = np.abs(grads[name.replace("bias", "weight")]).max()  # the layer's weight gradient, for scale
        assert max(np.abs(ours_grads[name]).max(), np.abs(grads[name]).max()) <= 1e-4 * scale, \
            f"gradient {name}: should be 0 up to rounding (BatchNorm follows), got {ours_grads[name]} and {grads[name]}"
    assert_same_after_adam({n: t.data for n, t in named.items()}, params, ours_grads, grads, LR)
    running = {n: t.data for n, t in model.named_buffers() if "running" in n}
    assert_same("BatchNorm buffer after step 1", running, buffers, rtol=1e-5, atol=1e-6)
    return loss_ours


def main():
    ours, plain, *rest = build()
    loss = first_step(ours, plain, *rest)
    report(f"CNN of milestone 1998 (conv-bn-relu-pool x2, linear), batch {BATCH} of 1x8x8, Adam", loss,
           best_seconds_per_step(50, 5, tinytorch=ours, numpy=plain,
                                 **{"tinytorch before 17": before_module_17(ours)}))


if __name__ == "__main__":
    main()
