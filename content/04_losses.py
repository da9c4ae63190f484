# %% [markdown]
# # Module 04 · Losses
#
# Training needs a single number that says how wrong the model is: the **loss**. Gradient descent
# (modules 06–08) will nudge every weight in the direction that makes this number smaller, so the loss
# defines what "better" means. This module builds the three losses behind most of deep learning, in the
# numerically stable forms PyTorch uses.
#
# ```text
# Connection map
#   Prerequisites : 01 Tensor, 02 Activations (softmax, sigmoid, the max-subtraction trick)
#   Focus (04)    : MSELoss, CrossEntropyLoss (log-sum-exp), BCEWithLogitsLoss; reduction mean/sum/none
#   Unlocks       : 06 Autograd  (the gradient of each loss starts every backward pass)
#                   07 Optimizers, 08 Training (the number the training loop drives down)
# ```
#
# ## Learning objectives
# By the end you will be able to
# 1. implement `MSELoss`, `CrossEntropyLoss` and `BCEWithLogitsLoss` with PyTorch's arguments and
#    `reduction="mean" | "sum" | "none"`;
# 2. derive and code `log_softmax` with the **log-sum-exp** trick, so logits of ±1000 give exact losses;
# 3. validate targets (shape, range, whole-number class indices) with errors that name the bad values;
# 4. use the sanity check every practitioner knows: a classifier guessing uniformly over C classes has
#    cross-entropy log(C);
# 5. **measure**: `log(0)` and overflow in the naive formulas, the size of each loss's gradient as the
#    error grows, and the cost of a loss against the batch size.
#
# A loss is a class called like a function: `loss_fn = CrossEntropyLoss(); loss = loss_fn(logits, target)`.
# `input` is a Tensor of predictions (floating point); `target` may be a Tensor, a numpy array or a list.
# The result is a new Tensor: a 0-d tensor for `"mean"` and `"sum"`, one value per element (or per
# example) for `"none"`. Like the activations, losses compute with numpy on `.data`; module 06 adds
# their gradients.

# %% [markdown]
# ## Part 1 · Mean squared error and the reduction argument
#
# For regression — predicting numbers such as a price or a temperature — the usual loss is the squared
# error, averaged over all N elements:
#
# $$\mathrm{MSE} = \frac{1}{N}\sum_{i=1}^{N} (\hat y_i - y_i)^2 .$$
#
# Every PyTorch loss takes `reduction`: `"mean"` (the default) averages the per-element losses, `"sum"`
# adds them, `"none"` returns them unreduced (useful to weight examples or inspect outliers).
# `_Loss` below holds what all three losses share; you write `_reduce` once and every loss uses it.
# Like PyTorch's losses, `_Loss` is a `Module` (module 03): `loss_fn(input, target)` calls `forward`,
# and `print(loss_fn)` shows `MSELoss()` inside a model's printout.
#
# **A shape trap.** Predictions of shape `(N, 1)` against targets of shape `(N,)` broadcast to `(N, N)`:
# every prediction is compared with every target and the loss is silently wrong. PyTorch only warns;
# we refuse, with an error naming both shapes.

# %%
#| export
#| default_exp core.losses
import numpy as np

from tinytorch.core.layers import Module  # module 03: a loss is a Module without parameters
from tinytorch.core.tensor import Tensor

__all__ = ["MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss", "log_softmax"]

REDUCTIONS = ("mean", "sum", "none")


def _require_float_tensor(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name} expects a Tensor as input, got {type(input).__name__}")
    if not np.issubdtype(input.dtype, np.floating):
        raise TypeError(f"{name} expects floating-point predictions, got dtype {input.dtype}")


def _target_array(target, input, name):
    """The target as a numpy array of exactly input's shape (a Tensor, array or list is accepted)."""
    values = np.asarray(target.data if isinstance(target, Tensor) else target)
    if values.shape != input.shape:
        raise ValueError(f"{name}: input shape {input.shape} and target shape {values.shape} differ; "
                         "they must be equal (reshape one of them, broadcasting here would be a silent bug)")
    return values.astype(input.dtype)


class _Loss(Module):
    """What every loss shares: the reduction argument and the final reduction (Module gives __call__)."""

    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def _reduce(self, losses, input):
        """Reduce the numpy array of per-element losses as self.reduction says; a Tensor with input's dtype."""
        # HINT 1: A loss object computes one loss per element (or per example), then `reduction` says what to
        # HINT 1: hand back: their average ("mean", the default), their total ("sum"), or all of them unchanged
        # HINT 1: ("none").
        # HINT 2: Compare `self.reduction` with the three strings; numpy arrays have `.mean()` and `.sum()`.
        # HINT 2: Return the result as a Tensor in `input.dtype`, so a float32 model gets a float32 loss.
        ### BEGIN SOLUTION
        if self.reduction == "mean":
            losses = losses.mean()
        elif self.reduction == "sum":
            losses = losses.sum()
        return Tensor(losses, dtype=input.dtype)
        ### END SOLUTION


class MSELoss(_Loss):
    """Mean squared error between predictions and targets of the same shape, as torch.nn.MSELoss."""

    def forward(self, input, target):
        _require_float_tensor(input, "MSELoss")
        target = _target_array(target, input, "MSELoss")
        # HINT 1: Mean squared error: each element's loss is the square of the difference between prediction and
        # HINT 1: target; the reduction then averages or sums them.
        # HINT 2: Work on arrays: `input.data` and `target` (already an array here). Square the difference by
        # HINT 2: multiplying it with itself, and pass the per-element losses and `input` to `self._reduce`.
        ### BEGIN SOLUTION
        difference = input.data - target
        return self._reduce(difference * difference, input)
        ### END SOLUTION


# %% [markdown]
# ### Check Part 1

# %%
from tinytorch.checks.losses import check_mse_loss

check_mse_loss(MSELoss)

# %% [markdown]
# ## Part 2 · log-softmax and the log-sum-exp trick
#
# A classifier outputs C logits $z$ per example; softmax (module 02) turns them into probabilities
# $p_k = e^{z_k} / \sum_j e^{z_j}$. Cross-entropy needs the **log** of the probability of the right class,
# and taking the log analytically removes most of the danger:
#
# $$\log p_k = z_k - \log\sum_j e^{z_j} = z_k - \mathrm{LSE}(z).$$
#
# The log-sum-exp LSE still contains `exp`, so use module 02's trick: with $m = \max_j z_j$,
#
# $$\mathrm{LSE}(z) = m + \log\sum_j e^{z_j - m},$$
#
# where every exponent is ≤ 0 and the sum is at least 1 (the maximum contributes $e^0$), so the log is
# never `log(0)`. Computing softmax first and then `np.log` instead fails twice: `exp` overflows for
# large logits, and a tiny probability underflows to exactly 0, whose log is `-inf`.
#
# `log_softmax` works on numpy arrays (a helper the losses use), along any axis `dim`.

# %%
#| export
def log_softmax(x, dim=-1):
    """log(softmax(x)) along `dim` of a numpy array, via log-sum-exp: finite for any finite logits."""
    # HINT 1: log softmax is x minus the log of the sum of exponentials along `dim`. Subtract the maximum first:
    # HINT 1: the result is the same, and `exp` cannot overflow.
    # HINT 2: The arrays' `.max` and `.sum` along `axis=dim` with `keepdims=True` (so they broadcast back),
    # HINT 2: `np.exp` and `np.log`. Compute the shifted logits once and reuse them.
    ### BEGIN SOLUTION
    shifted = x - x.max(axis=dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
    ### END SOLUTION


# %% [markdown]
# ### Check Part 2

# %%
from tinytorch.checks.losses import check_log_softmax

check_log_softmax(log_softmax)

# %% [markdown]
# ## Part 3 · Cross-entropy for classification
#
# For one example with logits $z$ (C classes) and true class $t$, the cross-entropy is the negative
# log-probability the model gives to the truth:
#
# $$\ell = -\log p_t = \mathrm{LSE}(z) - z_t .$$
#
# It is 0 when the model puts all its probability on the right class and grows without bound when it is
# confidently wrong. `CrossEntropyLoss` takes raw **logits** of shape `(N, C)` — not probabilities; the
# softmax is inside the loss — and targets of shape `(N,)` holding class indices 0 … C−1. With
# `reduction="mean"` it averages over the **N examples** (not over N·C numbers).
#
# Picking $\log p_{t_i}$ for every row i at once is numpy's paired indexing:
# `logp[np.arange(N), targets]` takes element `(0, t_0)`, `(1, t_1)`, ...
#
# Targets are where real bugs hide, so they are validated first (the code is given):
# * the shape must be `(N,)`; the error names both shapes;
# * indices must be whole numbers (`2.0` is accepted, `2.5` is not);
# * every index must be in `[0, C)`. numpy would silently read `-1` as "the last class": we raise an
#   `IndexError` naming the bad value and C. (PyTorch's `ignore_index` and class-probability targets
#   are not supported here.)

# %%
#| export
def _class_targets(target, input):
    """Validated class indices (int64, shape (N,)) for logits `input` of shape (N, C)."""
    n, c = input.shape
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.shape != (n,):
        raise ValueError(f"CrossEntropyLoss: logits of shape {input.shape} need targets of shape ({n},), "
                         f"got target shape {labels.shape}")
    if labels.dtype == np.bool_ or not np.issubdtype(labels.dtype, np.number):
        raise TypeError(f"CrossEntropyLoss: targets must be integer class indices, got dtype {labels.dtype}")
    if labels.dtype.kind == "f":  # integer labels are whole numbers already: check only float ones
        whole = np.isfinite(labels) & (labels == np.round(labels))
        if not np.all(whole):
            raise ValueError(f"CrossEntropyLoss: targets must be whole-number class indices, got {labels[~whole][0]}")
    outside = labels[(labels < 0) | (labels >= c)]
    if outside.size:
        raise IndexError(f"CrossEntropyLoss: target {outside[0]} is out of bounds for {c} classes "
                         f"(valid indices are 0 to {c - 1})")
    return labels.astype(np.int64)


class CrossEntropyLoss(_Loss):
    """Cross-entropy between logits (N, C) and class indices (N,), via log-softmax, as torch.nn.CrossEntropyLoss."""

    def forward(self, input, target):
        _require_float_tensor(input, "CrossEntropyLoss")
        if input.ndim != 2:
            raise ValueError(f"CrossEntropyLoss expects logits of shape (N, C), got shape {input.shape}")
        labels = _class_targets(target, input)
        # HINT 1: Cross-entropy is the negative log-probability the model gives each example's correct class.
        # HINT 1: Take log probabilities over the classes (dim 1), then pick one number per row: the one at that
        # HINT 1: row's label.
        # HINT 2: `log_softmax` from above with `dim=1` on `input.data`. Numpy picks one entry per row with two
        # HINT 2: index arrays: the row numbers (`np.arange` of the number of examples) and `labels`. Negate
        # HINT 2: them and hand them to `self._reduce` with `input`.
        ### BEGIN SOLUTION
        logp = log_softmax(input.data, dim=1)
        return self._reduce(-logp[np.arange(len(labels)), labels], input)
        ### END SOLUTION


# %% [markdown]
# ### Check Part 3

# %%
from tinytorch.checks.losses import check_cross_entropy_loss

check_cross_entropy_loss(CrossEntropyLoss)

# %% [markdown]
# ## Part 4 · Binary cross-entropy with logits
#
# For yes/no questions (spam or not, a pixel inside an object or not) the model outputs one logit x per
# decision, $p = \sigma(x)$, and the target y is 1 or 0 (or a soft label in between):
#
# $$\ell = -\big[y \log \sigma(x) + (1 - y)\log(1 - \sigma(x))\big].$$
#
# Computed that way it breaks early: in float32, $\sigma(17) = 1$ exactly, so $\log(1 - \sigma(x)) = \log 0 = -\infty$
# for any logit above about 17 with y = 0. Using $\log\sigma(x) = -\log(1 + e^{-x})$ and
# $\log(1-\sigma(x)) = -x - \log(1 + e^{-x})$, then handling the sign of x like the stable sigmoid, the loss becomes
#
# $$\ell = \max(x, 0) - x\,y + \log\!\left(1 + e^{-|x|}\right),$$
#
# where `exp` only sees numbers ≤ 0 and `np.log1p(u)` computes $\log(1+u)$ accurately even when u is tiny.
# That is why PyTorch offers `BCEWithLogitsLoss` (sigmoid fused into the loss) and why you should prefer
# it to `Sigmoid` followed by `BCELoss`. Targets must have the input's shape and lie in [0, 1].

# %%
#| export
class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits, max(x, 0) - x*y + log1p(exp(-|x|)), as torch.nn.BCEWithLogitsLoss."""

    def forward(self, input, target):
        _require_float_tensor(input, "BCEWithLogitsLoss")
        target = _target_array(target, input, "BCEWithLogitsLoss")
        outside = target[~((target >= 0) & (target <= 1))]
        if outside.size:
            raise ValueError(f"BCEWithLogitsLoss: targets must lie in [0, 1], got {outside[0]}")
        # HINT 1: Binary cross-entropy on logits x with targets y is log(1 + eˣ) − x·y. Written naively, eˣ
        # HINT 1: overflows for large x; rewritten as max(x, 0) − x·y + log(1 + e^(−|x|)) it is the same number
        # HINT 1: and never overflows.
        # HINT 2: With x = `input.data`: `np.maximum`, `np.abs`, `np.exp`, and `np.log1p` (accurate log(1 + z)
        # HINT 2: for small z). Pass the per-element losses and `input` to `self._reduce`.
        ### BEGIN SOLUTION
        x = input.data
        return self._reduce(np.maximum(x, 0) - x * target + np.log1p(np.exp(-np.abs(x))), input)
        ### END SOLUTION


# %% [markdown]
# ### Check Part 4

# %%
from tinytorch.checks.losses import check_bce_with_logits_loss

check_bce_with_logits_loss(BCEWithLogitsLoss)

# %% [markdown]
# ## Use it
#
# **The uniform-guess sanity check.** A freshly initialised classifier knows nothing, so its logits are
# nearly equal and each of the C classes gets probability ≈ 1/C. Its cross-entropy is then
# $-\log(1/C) = \log C$: **2.303 for 10 classes**. If the first loss of a training run is far from log C,
# something is wrong before training even starts (a bad initialisation, the wrong number of classes,
# logits passed through softmax twice...). Predict the four values, then run.

# %%
import math

rng = np.random.default_rng(0)
loss_fn = CrossEntropyLoss()
for classes in (2, 10, 100, 1000):
    labels = rng.integers(0, classes, size=512)
    equal_logits = Tensor(np.zeros((512, classes)))
    small_logits = Tensor(rng.standard_normal((512, classes)) * 0.01)  # what a fresh small-init model gives
    print(f"C = {classes:>4}: loss with equal logits {loss_fn(equal_logits, labels).item():.4f}, "
          f"with small random logits {loss_fn(small_logits, labels).item():.4f}, log(C) = {math.log(classes):.4f}")

# %% [markdown]
# **A first classifier on real digits.** No training yet (that is module 08), but a loss already ranks
# models. Take TinyDigits (8×8 images of 0–9), describe each class by its average training image, and
# score a test image by how close it is to each average: logits = −β · squared distance. The loss is
# well below log(10), and it depends on the scale β — confident and right is rewarded, confident and
# wrong is punished hard.

# %%
from tinytorch.datasets import load_tinydigits

(x_train, y_train), (x_test, y_test) = load_tinydigits()
x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
class_means = np.stack([x_train[y_train == digit].mean(axis=0) for digit in range(10)])      # (10, 64)
squared_distance = ((x_test[:, None, :] - class_means[None, :, :]) ** 2).sum(axis=2)          # (359, 10)
print("accuracy of the nearest class mean:", (squared_distance.argmin(axis=1) == y_test).mean().round(3))
for beta in (0.0, 0.1, 1.0, 10.0):
    loss = CrossEntropyLoss()(Tensor(-beta * squared_distance), Tensor(y_test, dtype=np.int64))
    print(f"beta = {beta:>4}: cross-entropy {loss.item():.3f}   (uniform guess: {math.log(10):.3f})")

# %% [markdown]
# ## Systems analysis · measured
#
# ### 1. log(0) and overflow: the naive losses against the stable ones
# Take logits `s · [1, 0, −1]` with the **last** class true: a model that is confidently wrong, more so as
# the scale s grows. The exact loss is $\mathrm{LSE} - z_t = 2s + \log(1 + e^{-s} + e^{-2s})$, about 2s.
# Predict where the naive `-log(softmax(z)[t])` in float32 first fails, and how.

# %%
import time

from tinytorch.timing import time_per_call  # best of several rounds, long enough for a coarse clock
import tracemalloc
import warnings


def run_counting_warnings(fn, *args):
    """fn(*args) and the number of numpy RuntimeWarnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(*args)
    return result, len(caught)


def naive_cross_entropy(logits, labels):
    exps = np.exp(logits)
    probabilities = exps / exps.sum(axis=1, keepdims=True)
    return -np.log(probabilities[np.arange(len(labels)), labels]).mean()


def naive_bce(logits, targets):
    p = 1 / (1 + np.exp(-logits))
    return -(targets * np.log(p) + (1 - targets) * np.log(1 - p)).mean()


print("log(0) in numpy:", run_counting_warnings(np.log, np.float32(0.0)), "(value, warnings)")
print(f"{'scale s':>8} {'exact ~':>10} {'naive CE':>12} {'warnings':>9}")
for scale in (1, 10, 50, 60, 100, 1000):
    logits = np.array([[1.0, 0.0, -1.0]], dtype=np.float32) * scale
    naive, count = run_counting_warnings(naive_cross_entropy, logits, np.array([2]))
    exact = 2 * scale + math.log1p(math.exp(-scale) + math.exp(-2 * scale))
    print(f"{scale:>8} {exact:>10.3f} {naive:>12.4f} {count:>9}")

# %%
print(f"{'scale s':>8} {'stable CE':>12} {'warnings':>9}")
for scale in (1, 10, 50, 60, 100, 1000):
    logits = Tensor(np.array([[1.0, 0.0, -1.0]], dtype=np.float32) * scale)
    stable, count = run_counting_warnings(CrossEntropyLoss(), logits, np.array([2]))
    print(f"{scale:>8} {stable.item():>12.3f} {count:>9}")

bce_logits, bce_targets = np.array([50.0, -50.0], dtype=np.float32), np.array([0.0, 1.0], dtype=np.float32)
print("\nBCE at logits ±50 with the wrong label (exact: 50 each):")
print("  naive log(sigmoid) :", run_counting_warnings(naive_bce, bce_logits, bce_targets), "(value, warnings)")
print("  BCEWithLogitsLoss  :", run_counting_warnings(BCEWithLogitsLoss(), Tensor(bce_logits), bce_targets))

# %% [markdown]
# The naive cross-entropy is right for small scales and becomes `inf` once the true class's probability,
# about $e^{-2s}$, underflows to 0: float32 holds nothing below ≈1.4·10⁻⁴⁵, reached near s = 52. Beyond
# s ≈ 89 `exp` overflows as well and the other probabilities turn into `nan`. An `inf` or `nan` loss stops
# learning for good: its gradient is `nan`, and one `nan` spreads into every weight at the next update.
# The log-sum-exp form is exact at every scale, without a single warning.
#
# ### 2. Gradient magnitude: how hard each loss pushes
# Module 06 will compute gradients automatically, but each loss's gradient has a short closed form
# worth knowing, with respect to the prediction or logit (for `reduction="mean"`, divide by N):
#
# | loss | gradient | bounded? |
# |---|---|---|
# | MSE | $2(\hat y - y)$ | no, grows with the error |
# | cross-entropy | $\mathrm{softmax}(z) - \mathrm{onehot}(t)$ | every entry in [−1, 1] |
# | BCE with logits | $\sigma(x) - y$ | in [−1, 1] |
#
# First we confirm the formulas by finite differences, then measure how big each gets as the error grows.

# %%
# Central differences, one coordinate at a time (the same helper module 06 uses to check every rule).
from tinytorch.checks import numerical_gradient


def softmax_rows(z):
    return np.exp(log_softmax(z, dim=1))


z = rng.standard_normal((4, 5))
t = rng.integers(0, 5, size=4)
y = rng.standard_normal((4, 5))
ce_analytic = (softmax_rows(z) - np.eye(5)[t]) / 4
mse_analytic = 2 * (z - y) / z.size
bce_targets = (y > 0).astype(np.float64)
bce_analytic = (1 / (1 + np.exp(-z)) - bce_targets) / z.size
for name, loss, target, analytic in [("cross-entropy", CrossEntropyLoss(), t, ce_analytic),
                                     ("MSE", MSELoss(), y, mse_analytic),
                                     ("BCE with logits", BCEWithLogitsLoss(), bce_targets, bce_analytic)]:
    numeric = numerical_gradient(lambda v: loss(Tensor(v, dtype=np.float64), target).item(), z)
    print(f"{name:<16} max |analytic - finite difference| = {np.abs(analytic - numeric).max():.1e}")

# %%
from tinytorch.core.activations import Sigmoid  # module 02's stable sigmoid, from the package

print(f"{'error':>8} {'MSE |grad|':>12} {'CE max|grad|':>14} {'CE loss':>10} {'BCE |grad|':>12}")
for error in (0.1, 1.0, 10.0, 100.0, 1000.0):
    mse_grad = 2 * error                                        # prediction off by `error`
    logits = np.array([[error, 0.0, 0.0]])                      # wrong class ahead by `error`, true class 1
    ce_grad = np.abs(softmax_rows(logits) - np.eye(3)[[1]]).max()
    ce_loss = CrossEntropyLoss()(Tensor(logits, dtype=np.float64), [1]).item()
    bce_grad = abs(Sigmoid()(Tensor([-error], dtype=np.float64)).item() - 1.0)  # logit -error, label 1
    print(f"{error:>8} {mse_grad:>12.1f} {ce_grad:>14.4f} {ce_loss:>10.2f} {bce_grad:>12.4f}")

# %% [markdown]
# The MSE gradient grows in proportion to the error: one outlier off by 1000 pushes 10,000 times harder
# than a typical example off by 0.1, and can dominate a whole batch (module 08's gradient clipping and
# the Huber loss exist for this). The cross-entropy and BCE gradients saturate at 1 however wrong the
# model is, while the loss itself keeps growing linearly: a confidently wrong classifier still gets a
# strong but finite push.
#
# ### 3. Cost against the batch size
# A loss touches each of the N·C logits a few times, so its time should grow linearly with N, and its
# temporaries (the shifted logits, their `exp`, the log-probabilities) take a few N·C arrays.

# %%
def peak_bytes(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


classes, batch_sizes, ce_times = 10, [256, 1024, 4096, 16384, 65536], []
print(f"{'N':>6} {'CE (us)':>9} {'us/example':>11} {'MSE (us)':>9} {'CE peak / logits bytes':>23}")
for n in batch_sizes:
    logits = Tensor(rng.standard_normal((n, classes)))
    labels = rng.integers(0, classes, size=n)
    targets = rng.standard_normal((n, classes)).astype(np.float32)
    ce_time = time_per_call(lambda: CrossEntropyLoss()(logits, labels))
    mse_time = time_per_call(lambda: MSELoss()(logits, targets))
    ratio = peak_bytes(lambda: CrossEntropyLoss()(logits, labels)) / logits.memory_footprint()
    ce_times.append(ce_time)
    print(f"{n:>6} {ce_time * 1e6:>9.1f} {ce_time / n * 1e6:>11.3f} {mse_time * 1e6:>9.1f} {ratio:>23.1f}")
growth = np.polyfit(np.log(batch_sizes), np.log(ce_times), 1)[0]
growth_large = math.log(ce_times[-1] / ce_times[-2]) / math.log(batch_sizes[-1] / batch_sizes[-2])
print(f"cross-entropy time grows as N^{growth:.2f} over all sizes, N^{growth_large:.2f} between the two largest")

# %% [markdown]
# Time per example falls at first (each call has a fixed Python cost: validation, object creation)
# and then levels off: the exponent over all sizes is below 1, the one between the two largest sizes near 1. The peak memory is a small multiple
# of the logits — cheap next to the model itself, but it grows with C: a language model with C = 50,000
# vocabulary entries and N = 8,192 tokens has 4·10⁸ logits, 1.6 GB in float32 per copy.
#
# ## Reflect
#
# Answer each with a number first, then check it by running code in a new cell.
#
# 1. Your first training step on a 100-class problem prints a loss of 46.1. Is that plausible for a fresh
#    model? What should it be? What might have happened? (Try `CrossEntropyLoss` on logits
#    `rng.standard_normal((64, 100)) * 20`.)
# 2. Predict the MSE with `reduction="sum"` and `reduction="mean"` for predictions `[[1, 2], [3, 4]]` and
#    targets all 0. Then check.
# 3. At which logit does float32 `1 / (1 + np.exp(-x))` first return exactly 1.0? Predict from
#    float32's precision (about 6·10⁻⁸ near 1), then search with `np.float32` values.
# 4. A model predicts the right class with probability 0.9 on every example. What is its cross-entropy?
#    And with probability 0.5? Compute from $-\log p$, then build logits that achieve it and check.
# 5. From your timing table, predict the time of `CrossEntropyLoss` for N = 65,536 and C = 10, then for
#    N = 4,096 and C = 1,000, and measure both.
#
# **Next:** 05 DataLoader feeds batches of examples to the model and the loss; 06 Autograd computes the
# gradients you derived by hand here, automatically.
