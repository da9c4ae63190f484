# %% [markdown]
# # Module 08 · Training
#
# Seven modules built the parts: tensors, layers, losses, data, gradients, optimizers. This module puts
# them into the loop that every model in the rest of the course is trained with — and adds the four
# tools real training runs depend on: evaluation without gradients, gradient clipping, a learning-rate
# schedule and checkpoints.
#
# ```text
# Connection map
#   Prerequisites : 01 Tensor, 02 Activations, 03 Layers (Module, train()/eval(), state_dict)
#                   04 Losses, 05 DataLoader, 06 Autograd (backward, no_grad), 07 Optimizers
#   Focus (08)    : train_epoch / evaluate / Trainer.fit, clip_grad_norm_, LR schedulers (CosineAnnealingLR,
#                   LinearLR warmup, SequentialLR),
#                   gradient accumulation, save_checkpoint / load_checkpoint, progress and plots;
#                   the peak memory of a training step, the cost of a checkpoint
#   Unlocks       : Milestones 1969 XOR and 1986 MLP on handwritten digits;
#                   09 Convolutions and every later model (trained with this loop)
# ```
#
# ## Learning objectives
# By the end you will be able to
# 1. write `train_epoch`: zero the gradients, forward, loss, backward, step — with gradient
#    accumulation over `k` micro-batches, optional clipping and a per-step learning-rate schedule;
# 2. write `evaluate`: the model in `eval()` mode, no graph recorded (`no_grad()`), loss and accuracy
#    averaged over examples, not over batches;
# 3. implement `clip_grad_norm_` with PyTorch's rule (one *global* norm over all gradients);
# 4. implement PyTorch's `CosineAnnealingLR` on a scheduler base class that changes each parameter group's
#    `lr`, and combine it with a `LinearLR` warmup through `SequentialLR`;
# 5. save and load a checkpoint (model, optimizer state, metadata) in a pickle-free `.npz` file such
#    that training resumes exactly where it stopped;
# 6. **measure**: the peak memory of one training step split into weights, gradients, optimizer state and
#    activations as the batch grows; the bytes and seconds a checkpoint costs; time per epoch vs batch size.
#
# Work top to bottom. Fill in code where it says `# YOUR CODE HERE`; each part ends with a check cell.

# %%
import numpy as np

import tinytorch  # importing the package switches autograd on (module 06)
from tinytorch import Tensor
from tinytorch.core.activations import ReLU
from tinytorch.core.layers import Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss, MSELoss
from tinytorch.core.optimizers import SGD, Adam

# %% [markdown]
# ## Part 1 · One epoch of training
#
# Every PyTorch training loop repeats four lines per batch:
#
# ```python
# optimizer.zero_grad()        # gradients ADD UP in backward(): forget the previous batch's
# loss = loss_fn(model(x), y)  # forward: builds the graph
# loss.backward()              # fills p.grad for every parameter
# optimizer.step()             # p.data -= (something computed from p.grad)
# ```
#
# Forgetting `zero_grad()` is the classic bug: module 06's `backward()` *adds* into `p.grad` (PyTorch does
# the same, so that gradients from several losses can be summed), so without it step 2 uses the sum of
# the gradients of batches 1 and 2, step 3 of batches 1, 2 and 3, and training slowly goes wrong.
#
# **Gradient accumulation** uses that same addition on purpose. When a batch of `k·B` examples does not
# fit in memory, run `k` micro-batches of `B`, call `backward()` after each, and step once. With a mean
# loss, the big batch's gradient is the *average* of the micro-batch gradients, so each micro-batch loss
# is divided by `k` before `backward()`:
#
# $$\nabla \frac{1}{kB}\sum_{i=1}^{kB}\ell_i \;=\; \sum_{j=1}^{k} \nabla\Big(\frac{1}{k}\cdot\frac{1}{B}\sum_{i\in \text{batch } j}\ell_i\Big).$$
#
# `train_epoch` does exactly one pass over the loader and returns the mean loss **per example**
# (a last, smaller batch counts for fewer examples). Two hooks run at every optimizer step, just
# before and after it: clipping (`max_grad_norm`, Part 3) and the schedule (`scheduler.step()`, Part 4).
# If the epoch ends in the middle of an accumulation group, the leftover gradient is still applied, so
# nothing leaks into the next epoch.

# %%
#| export
#| default_exp core.training
import bisect
import json
import math
import numbers
import os
import sys
import time
import zipfile

import numpy as np

from tinytorch.core.autograd import no_grad
from tinytorch.core.tensor import Tensor

__all__ = ["train_epoch", "evaluate", "correct_predictions", "clip_grad_norm_", "LRScheduler", "CosineAnnealingLR",
           "LinearLR", "SequentialLR", "ProgressBar", "Trainer", "plot_history", "save_checkpoint", "load_checkpoint"]


def _batch_size(inputs):
    return inputs.shape[0] if inputs.ndim else 1


def train_epoch(model, loader, optimizer, loss_fn, scheduler=None, max_grad_norm=None, accumulation_steps=1):
    """One pass over `loader` ((inputs, targets) batches); returns the mean training loss per example.

    The optimizer steps every `accumulation_steps` batches (and after the last one); before each step the
    gradients are clipped to `max_grad_norm` when it is given, after it `scheduler.step()` is called.
    """
    if not isinstance(accumulation_steps, int) or accumulation_steps < 1:
        raise ValueError(f"accumulation_steps must be an integer >= 1, got {accumulation_steps!r}")
    model.train()
    optimizer.zero_grad()
    total_loss, examples, pending = 0.0, 0, 0
    # HINT 1: Each batch: forward, loss, backward. The optimizer steps once every `accumulation_steps` batches,
    # HINT 1: so each batch's loss is divided by that number: the summed gradients then equal those of one big
    # HINT 1: batch. Around each step clip the gradients (when asked), step, clear the gradients (backward adds
    # HINT 1: into them), and advance the scheduler. A last partial group of batches still gets its step. Keep a
    # HINT 1: running loss total weighted by batch size, for the mean per example.
    # HINT 2: A small inner function for the step avoids writing it twice: `clip_grad_norm_` on
    # HINT 2: `model.parameters()` when `max_grad_norm` is not None, `optimizer.step()`,
    # HINT 2: `optimizer.zero_grad()`, `scheduler.step()` when there is one. Per batch: call `loss_fn` on the
    # HINT 2: model's outputs and the targets; add `loss.item()` times `_batch_size(inputs)` to `total_loss` and
    # HINT 2: the batch size to `examples`; call `.backward()` on the loss scaled by 1 / `accumulation_steps`;
    # HINT 2: count it in `pending` and step when `pending` reaches `accumulation_steps`.
    ### BEGIN SOLUTION
    def optimizer_step():
        if max_grad_norm is not None:
            clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        optimizer.zero_grad()
        if scheduler is not None:
            scheduler.step()

    for inputs, targets in loader:
        loss = loss_fn(model(inputs), targets)
        total_loss += loss.item() * _batch_size(inputs)
        examples += _batch_size(inputs)
        (loss * (1.0 / accumulation_steps)).backward()
        pending += 1
        if pending == accumulation_steps:
            optimizer_step()
            pending = 0
    if pending:
        optimizer_step()
    ### END SOLUTION
    if examples == 0:
        raise ValueError("train_epoch: the loader produced no batches")
    return total_loss / examples


# %% [markdown]
# ### Check Part 1
# The check trains a small linear model with your `train_epoch` and replays the same steps in plain numpy:
# several batches in a row (does each step see only its own batch's gradient?), a mean loss per example,
# and 2 micro-batches accumulated against one batch twice as big.

# %%
from tinytorch.checks.training import check_train_step

check_train_step(train_epoch)

# %% [markdown]
# ## Part 2 · Evaluation: eval() mode, no graph
#
# Evaluation runs the model forward only, and two things change compared with training:
#
# * `model.eval()` switches layers that behave differently in training — `Dropout` stops dropping (and
#   in module 13 normalisation layers would stop updating statistics). `train_epoch` switches back with
#   `model.train()`.
# * `with no_grad():` stops autograd from recording a graph. Nothing will call `backward()`, so every
#   saved input and every `Function` node would be memory wasted; module 06 measured how much that is.
#
# `evaluate` returns `(mean loss per example, accuracy)`. Accuracy for classification: with several
# output columns (logits for C classes) the prediction is the `argmax`; with one column (one logit, as
# with `BCEWithLogitsLoss`) it is `logit > 0`, that is probability > ½.

# %%
#| export
def correct_predictions(outputs, targets):
    """How many rows of `outputs` predict their target: argmax over classes, or logit > 0 for one column."""
    scores = np.asarray(getattr(outputs, "data", outputs))
    labels = np.asarray(getattr(targets, "data", targets)).reshape(-1)
    if scores.ndim == 2 and scores.shape[1] > 1:
        predictions = scores.argmax(axis=1)
    else:
        predictions = (scores.reshape(-1) > 0).astype(labels.dtype)
    return int((predictions == labels).sum())


def evaluate(model, loader, loss_fn):
    """(mean loss per example, accuracy) of `model` on `loader`, in eval mode and without a graph."""
    # HINT 1: Evaluation measures without learning: switch the model to eval mode (dropout off), record no
    # HINT 1: graph, and average the loss and the accuracy over every example, weighting each batch by its size.
    # HINT 2: `model.eval()` and a `with no_grad():` block around the loop over `loader`. Per batch: the model's
    # HINT 2: outputs once; `loss_fn(...).item()` times `_batch_size(inputs)` into a loss total;
    # HINT 2: `correct_predictions(outputs, targets)` into a count; the batch size into `examples`. The given
    # HINT 2: return after the region divides by `examples`.
    ### BEGIN SOLUTION
    model.eval()
    total_loss, correct, examples = 0.0, 0, 0
    with no_grad():
        for inputs, targets in loader:
            outputs = model(inputs)
            total_loss += loss_fn(outputs, targets).item() * _batch_size(inputs)
            correct += correct_predictions(outputs, targets)
            examples += _batch_size(inputs)
    ### END SOLUTION
    if examples == 0:
        raise ValueError("evaluate: the loader produced no batches")
    return total_loss / examples, correct / examples


# %% [markdown]
# ### Check Part 2

# %%
from tinytorch.checks.training import check_evaluate

check_evaluate(evaluate)

# %% [markdown]
# ## Part 3 · Gradient clipping
#
# One unlucky batch can produce a gradient hundreds of times larger than usual (a sharp cliff in the
# loss surface, a rare example, a long sequence in a recurrent model), and one step along it throws the
# weights far away. **Clipping** caps the size of the step's gradient. PyTorch's
# `torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type=2.0)` treats *all* gradients as one
# long vector and measures its p-norm (`norm_type` p; `inf` is the largest absolute entry):
#
# $$\text{total} = \Big(\textstyle\sum_{p}\sum_{i} |g_{p,i}|^{\,\text{norm\_type}}\Big)^{1/\text{norm\_type}},$$
#
# $$c = \frac{\text{max\_norm}}{\text{total} + 10^{-6}}, \qquad \text{if } c < 1: \; g \leftarrow c\, g.$$
#
# Scaling every gradient by the same factor keeps the **direction** of the step and only shortens it.
# Clipping each parameter's gradient to its own norm would change the direction (a layer with a small
# gradient would be left alone while a large one is shrunk) — a realistic bug the check looks for.
#
# PyTorch details we copy: the trailing `_` means "in place" (the gradients are scaled, nothing is
# returned in their place); it returns the total norm *before* clipping, as a 0-d tensor, so you can log
# it; parameters whose `grad` is `None` are skipped; `parameters` may be a one-shot generator such as
# `model.parameters()`, or a single tensor. The `1e-6` protects against dividing by a zero norm. A norm
# that is `inf` or `nan` (an overflow somewhere) cannot be clipped meaningfully:
# `error_if_nonfinite=True` turns it into a `RuntimeError` instead of scaling every gradient by `nan`.
# Passing the model itself, `clip_grad_norm_(model, 1.0)`, is a common slip; it raises a `TypeError`
# that says to pass `model.parameters()`. In tinytorch, as in PyTorch, it lives in `nn.utils`:
# `from tinytorch.nn.utils import clip_grad_norm_`.

# %%
#| export
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients in place so their global norm is at most max_norm; return the norm before, a Tensor."""
    if callable(getattr(parameters, "parameters", None)):
        raise TypeError(f"clip_grad_norm_ expects the parameters, not the {type(parameters).__name__} module: "
                        f"pass model.parameters()")
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for index, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"clip_grad_norm_: parameter {index} is a {type(p).__name__}, not a Tensor")
    max_norm, norm_type = float(max_norm), float(norm_type)
    if max_norm <= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be > 0, got {max_norm!r}")
    if norm_type <= 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 (or inf), got {norm_type!r}")
    grads = [p.grad.data for p in parameters if getattr(p, "grad", None) is not None]
    # HINT 1: Treat all gradients as one long vector: its p-norm is the p-th root of the sum of |g|ᵖ over every
    # HINT 1: element of every gradient (the infinity norm is the largest |g|). When that norm exceeds max_norm,
    # HINT 1: scale every gradient by the same factor so the norm becomes max_norm; the direction stays the
    # HINT 1: same.
    # HINT 2: Work in float64 (`.astype(np.float64)`) with `np.abs`, `np.sum`, and `.max()` for `math.inf`; with
    # HINT 2: no gradients the norm is 0.0. When `error_if_nonfinite` and the norm is not finite
    # HINT 2: (`math.isfinite`), raise RuntimeError naming the norm. The factor is max_norm over the norm plus
    # HINT 2: 1e-6 (so a zero norm does not divide by zero); apply it in place with `*=` only when it is below
    # HINT 2: 1. Return the norm as a Tensor.
    ### BEGIN SOLUTION
    magnitudes = [np.abs(g.astype(np.float64)) for g in grads]
    if norm_type == math.inf:
        total = max((float(m.max()) for m in magnitudes if m.size), default=0.0)
    else:
        total = sum(float(np.sum(m ** norm_type)) for m in magnitudes) ** (1 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}, "
                           f"which cannot be clipped; pass error_if_nonfinite=False to scale by it anyway")
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1:
        for g in grads:
            g *= coefficient
    return Tensor(total)
    ### END SOLUTION


# %% [markdown]
# ### Check Part 3

# %%
from tinytorch.checks.training import check_clip_grad_norm

check_clip_grad_norm(clip_grad_norm_, train_epoch)

# %% [markdown]
# ## Part 4 · Learning-rate schedules
#
# A large learning rate makes fast progress early; a small one lets the weights settle into a minimum
# at the end. A **scheduler** changes the learning rate of every parameter group,
# `optimizer.param_groups[i]["lr"]`, as training goes on. PyTorch's protocol, which ours follows:
#
# * constructing a scheduler records each group's starting rate as `group["initial_lr"]` (the
#   `base_lrs`) and sets the rate for step 0;
# * call `scheduler.step()` after every `optimizer.step()`; it adds 1 to `last_epoch` (PyTorch's name:
#   it counts `step()` calls, which may be epochs or optimizer steps; here they are optimizer steps) and
#   writes `get_lr()`, the rates for step `last_epoch`, into the groups;
# * `get_last_lr()` returns the rates it last set, one per group; `state_dict()` / `load_state_dict()`
#   save and restore its counters for a checkpoint.
#
# The base class `LRScheduler` does all of that; a schedule only defines `get_lr()`.
#
# **Cosine annealing** (Loshchilov & Hutter, *SGDR*, 2017) glides from the base rate $\eta_{\max}$ to
# `eta_min` $\eta_{\min}$ over `T_max` steps:
#
# $$\eta_t = \eta_{\min} + (\eta_{\max} - \eta_{\min})\,\frac{1 + \cos(\pi\, t / T_{\max})}{2}.$$
#
# At $t = 0$ it is $\eta_{\max}$, at $t = T_{\max}/2$ halfway, at $t = T_{\max}$ exactly $\eta_{\min}$. After
# `T_max` the cosine keeps going, so the rate climbs back up (period $2T_{\max}$): PyTorch's
# `CosineAnnealingLR` does the same. (PyTorch computes each rate from the previous one, a recursive form
# that gives these same values when nothing else changes the rate; the closed form above is easier to
# read.) Set `T_max` to the number of steps you will train for.
#
# **Warmup.** Adam's first steps divide by a second-moment estimate built from very few gradients, and
# the first gradients of a fresh network can be large; a short linear warmup avoids a damaging first
# jump (transformers, module 13, depend on it). `LinearLR(optimizer, start_factor, end_factor=1.0,
# total_iters)` multiplies the base rate by a factor that goes linearly from `start_factor` to
# `end_factor` over `total_iters` steps, and `SequentialLR(optimizer, schedulers, milestones)` hands over
# from one schedule to the next at the given steps, restarting the next one from its own step 0:
#
# ```python
# warmup = LinearLR(optimizer, start_factor=0.1, total_iters=W)
# cosine = CosineAnnealingLR(optimizer, T_max=T - W)
# scheduler = SequentialLR(optimizer, [warmup, cosine], milestones=[W])
# ```
#
# You write `CosineAnnealingLR.get_lr`; the rest is given. In tinytorch, as in PyTorch, they are
# imported from `tinytorch.optim.lr_scheduler`.

# %%
#| export
def _check_optimizer(owner, optimizer):
    """TypeError unless `optimizer` looks like an optimizer (it has param_groups and step)."""
    if not isinstance(getattr(optimizer, "param_groups", None), list) or not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"{owner} needs an optimizer such as SGD(model.parameters(), lr=0.1), "
                        f"got {type(optimizer).__name__}")


def _check_count(owner, name, value, least):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an integer, got {value!r}")
    if value < least:
        raise ValueError(f"{owner}: {name} must be >= {least}, got {value!r}")


class LRScheduler:
    """Base class, as torch.optim.lr_scheduler.LRScheduler: step() writes get_lr() into every param_groups[i]["lr"]."""

    def __init__(self, optimizer, last_epoch=-1):
        name = type(self).__name__
        _check_optimizer(name, optimizer)
        _check_count(name, "last_epoch", last_epoch, -1)
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for index, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{name}: param 'initial_lr' is not specified in param_groups[{index}] when "
                                   f"resuming with last_epoch={last_epoch} (create the scheduler with last_epoch=-1)")
        self.optimizer = optimizer
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()  # the rates for step last_epoch + 1: step 0 of a fresh schedule

    def get_lr(self):
        """The learning rate of each param group at step self.last_epoch."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr()")

    def step(self):
        """Advance one step and write the new rates into the optimizer's param groups."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The rates the last step() set, one per param group."""
        return list(self._last_lr)

    def state_dict(self):
        """Every attribute but the optimizer (numbers and lists: JSON-friendly), as PyTorch's state_dict."""
        return {key: value for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        expected = set(self.state_dict())
        if set(state_dict) != expected:
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected the keys {sorted(expected)}, "
                             f"got {sorted(state_dict)}")
        self.__dict__.update(state_dict)


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from each group's initial lr to eta_min over T_max steps, as PyTorch's CosineAnnealingLR."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        _check_count("CosineAnnealingLR", "T_max", T_max, 1)
        if isinstance(eta_min, bool) or not isinstance(eta_min, numbers.Real):
            raise TypeError(f"CosineAnnealingLR: eta_min must be a number, got {eta_min!r}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        # HINT 1: Cosine annealing moves the learning rate from each base rate down to eta_min along half a
        # HINT 1: cosine period: at epoch 0 the factor (1 + cos(π·t/T_max)) / 2 is 1, at T_max it is 0.
        # HINT 2: One value per entry of `self.base_lrs`: eta_min plus (base_lr − eta_min) times the factor
        # HINT 2: above, with `self.last_epoch`, `self.T_max`, `self.eta_min`, `math.cos` and `math.pi`. Return
        # HINT 2: a list.
        ### BEGIN SOLUTION
        cosine = math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base_lr - self.eta_min) * (1 + cosine) / 2 for base_lr in self.base_lrs]
        ### END SOLUTION


class LinearLR(LRScheduler):
    """The initial lr times a factor going linearly from start_factor to end_factor over total_iters steps."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        for name, value in [("start_factor", start_factor), ("end_factor", end_factor)]:
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"LinearLR: {name} must be a number, got {value!r}")
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}")
        _check_count("LinearLR", "total_iters", total_iters, 1)
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        progress = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base_lr * factor for base_lr in self.base_lrs]


class SequentialLR(LRScheduler):
    """Runs schedulers[0] until milestones[0], then schedulers[1] restarted from its step 0, and so on."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        _check_optimizer("SequentialLR", optimizer)
        schedulers, milestones = list(schedulers), list(milestones)
        if not schedulers or not all(isinstance(s, LRScheduler) for s in schedulers):
            raise TypeError("SequentialLR expects a non-empty list of schedulers")
        if any(s.optimizer is not optimizer for s in schedulers):
            raise ValueError("SequentialLR expects all schedulers to belong to the optimizer given to it")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR expects one milestone fewer than schedulers, got {len(schedulers)} "
                             f"schedulers and {len(milestones)} milestones")
        for previous, milestone in zip([0] + milestones, milestones):
            _check_count("SequentialLR", "each milestone", milestone, previous + 1)
        _check_count("SequentialLR", "last_epoch", last_epoch, -1)
        self.optimizer, self._schedulers, self._milestones = optimizer, schedulers, milestones
        self.last_epoch = last_epoch + 1
        # Each scheduler's constructor already set a rate for its step 0: undo them, and start the first one.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for scheduler in schedulers:
            scheduler.last_epoch -= 1
        schedulers[0].step()
        self._last_lr = schedulers[0].get_last_lr()

    def step(self):
        self.last_epoch += 1
        index = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler.last_epoch = -1  # the hand-over: the next schedule starts from its own step 0
        scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        state = {key: value for key, value in vars(self).items() if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        expected = set(self.state_dict())
        if set(state_dict) != expected or len(state_dict["_schedulers"]) != len(self._schedulers):
            raise ValueError(f"SequentialLR.load_state_dict: expected the keys {sorted(expected)} and the states "
                             f"of {len(self._schedulers)} schedulers")
        for scheduler, state in zip(self._schedulers, state_dict["_schedulers"]):  # check every part first
            if set(state) != set(scheduler.state_dict()):
                raise ValueError(f"SequentialLR.load_state_dict: the saved state of a {type(scheduler).__name__} "
                                 f"has the keys {sorted(state)}, expected {sorted(scheduler.state_dict())}")
        self.__dict__.update({key: value for key, value in state_dict.items() if key != "_schedulers"})
        for scheduler, state in zip(self._schedulers, state_dict["_schedulers"]):
            scheduler.load_state_dict(state)


# %% [markdown]
# ### Check Part 4
# The check compares your rates with the formula at every step from 0 to past `T_max`, with and without
# `eta_min`, with two parameter groups, and checks that the rate lands in the optimizer's groups.

# %%
from tinytorch.checks.training import check_cosine_annealing

check_cosine_annealing(CosineAnnealingLR)

# %% [markdown]
# ## Part 5 · A `Trainer`: epochs, validation, history, progress
#
# `Trainer.fit` repeats `train_epoch` for a number of epochs, evaluates on a validation loader after each
# one, and records a **history**: a dict of per-epoch lists `train_loss`, `val_loss`, `val_accuracy`
# (`None` without a validation loader), `lr` (the first param group's rate at the *start* of the epoch) and `time` (seconds
# per epoch, training plus evaluation). The history is what you plot, compare between runs, and save in
# a checkpoint's metadata.
#
# Progress is shown by a plain-text bar that redraws one line with a carriage return `\r` and ends
# with a newline. A terminal and a notebook's output area (Jupyter and JupyterLite in the browser) both
# treat `\r` as "back to the start of the line", so the same code works everywhere without a dependency.

# %%
#| export
class ProgressBar:
    """A one-line text progress bar: `update()` redraws it with '\\r', `close()` ends the line."""

    def __init__(self, total, description="", width=24, file=None):
        self.total, self.description, self.width = total, description, width
        self.file = file if file is not None else sys.stdout
        self.count = 0

    def update(self, n=1, **info):
        """Advance by n and redraw; `info` (e.g. loss=0.12) is shown after the bar."""
        self.count = min(self.count + n, self.total)
        filled = self.width * self.count // self.total if self.total else self.width
        details = " ".join(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}"
                           for key, value in info.items())
        bar = "#" * filled + "." * (self.width - filled)
        self.file.write(f"\r{self.description} [{bar}] {self.count}/{self.total} {details}".rstrip())
        self.file.flush()

    def close(self):
        self.file.write("\n")
        self.file.flush()


class Trainer:
    """Trains `model` with `optimizer` on `loss_fn`; optional per-step schedule, clipping, accumulation."""

    def __init__(self, model, optimizer, loss_fn, scheduler=None, max_grad_norm=None, accumulation_steps=1):
        if not callable(getattr(model, "parameters", None)):
            raise TypeError(f"Trainer: model must be a Module, got {type(model).__name__}")
        _check_optimizer("Trainer", optimizer)
        if not callable(loss_fn):
            raise TypeError(f"Trainer: loss_fn must be callable, such as CrossEntropyLoss(), got {type(loss_fn).__name__}")
        if scheduler is not None and not callable(getattr(scheduler, "step", None)):
            raise TypeError(f"Trainer: scheduler must have a step() method, such as CosineAnnealingLR(optimizer, "
                            f"T_max), got {type(scheduler).__name__}")
        if max_grad_norm is not None and max_grad_norm <= 0:
            raise ValueError(f"Trainer: max_grad_norm must be > 0 or None, got {max_grad_norm!r}")
        if not isinstance(accumulation_steps, int) or accumulation_steps < 1:
            raise ValueError(f"Trainer: accumulation_steps must be an integer >= 1, got {accumulation_steps!r}")
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.scheduler, self.max_grad_norm, self.accumulation_steps = scheduler, max_grad_norm, accumulation_steps

    def fit(self, train_loader, epochs, val_loader=None, progress=True):
        """Train for `epochs` epochs; returns the history dict of per-epoch lists."""
        _check_count("Trainer.fit", "epochs", epochs, 1)
        history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "lr": [], "time": []}
        bar = ProgressBar(epochs, "epoch") if progress else None
        for _ in range(epochs):
            # HINT 1: One epoch of `fit`: note the learning rate used and the start time, train with everything
            # HINT 1: this trainer was configured with, evaluate when there is validation data, and record the
            # HINT 1: epoch's five numbers in `history`.
            # HINT 2: `time.perf_counter()` for the time; the learning rate is the "lr" of
            # HINT 2: `self.optimizer.param_groups[0]`, read before training. `train_epoch` takes the model,
            # HINT 2: loader, optimizer, loss function, scheduler, `max_grad_norm` and `accumulation_steps` (all
            # HINT 2: attributes of `self`); `evaluate` returns (loss, accuracy); use (None, None) without a
            # HINT 2: `val_loader`. Append to `history["train_loss"]`, "val_loss", "val_accuracy", "lr" and
            # HINT 2: "time".
            ### BEGIN SOLUTION
            start, lr = time.perf_counter(), self.optimizer.param_groups[0]["lr"]
            train_loss = train_epoch(self.model, train_loader, self.optimizer, self.loss_fn, self.scheduler,
                                     self.max_grad_norm, self.accumulation_steps)
            val_loss, val_accuracy = (evaluate(self.model, val_loader, self.loss_fn) if val_loader is not None
                                      else (None, None))
            for key, value in [("train_loss", train_loss), ("val_loss", val_loss),
                               ("val_accuracy", val_accuracy), ("lr", lr), ("time", time.perf_counter() - start)]:
                history[key].append(value)
            ### END SOLUTION
            if bar:
                shown = {"train_loss": train_loss}
                if val_loader is not None:
                    shown.update(val_loss=val_loss, val_acc=val_accuracy)
                bar.update(1, **shown)
        if bar:
            bar.close()
        return history


# %% [markdown]
# ### Check Part 5

# %%
from tinytorch.checks.training import check_trainer

check_trainer(Trainer)

# %% [markdown]
# The history is easiest to read as curves: training loss falling steadily, validation loss flattening
# (or rising, if the model starts to overfit), validation accuracy, and the schedule's warmup and decay.
# `plot_history` draws them with matplotlib, imported only when you plot (so the package itself needs
# nothing but numpy); with `path=` it also saves the figure as an image.

# %%
#| export
def plot_history(history, path=None):
    """Plot a Trainer history (losses, validation accuracy, learning rate); save to `path` if given."""
    try:
        import matplotlib
    except ModuleNotFoundError:
        # In the browser Pyodide loads a package only when a cell's own code imports it.
        raise ModuleNotFoundError("plot_history needs matplotlib. In the browser, run `import matplotlib.pyplot "
                                  "as plt` in a cell (that makes Pyodide load it), then call plot_history "
                                  "again; under CPython, pip install matplotlib.") from None

    if path is not None and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")  # no screen needed just to write a file
    import matplotlib.pyplot as plt

    epochs = range(1, len(history["train_loss"]) + 1)
    has_val = any(v is not None for v in history.get("val_loss", []))
    figure, (loss_axes, lr_axes) = plt.subplots(1, 2, figsize=(10, 3.5))
    loss_axes.plot(epochs, history["train_loss"], label="train loss")
    if has_val:
        loss_axes.plot(epochs, history["val_loss"], label="validation loss")
        accuracy_axes = loss_axes.twinx()
        accuracy_axes.plot(epochs, history["val_accuracy"], "g--", label="validation accuracy")
        accuracy_axes.set_ylabel("accuracy")
        accuracy_axes.legend(loc="center right")
    loss_axes.set(xlabel="epoch", ylabel="loss", title="loss per epoch")
    loss_axes.legend(loc="upper right")
    lr_axes.plot(epochs, history["lr"])
    lr_axes.set(xlabel="epoch", ylabel="learning rate", title="learning rate at the start of each epoch")
    figure.tight_layout()
    if path is not None:
        figure.savefig(path)
    return figure


# %% [markdown]
# ## Part 6 · Checkpoints that resume exactly
#
# A long run must survive a crash, and the best model must be kept for later. A **checkpoint** stores
# everything the run needs to continue as if nothing had happened:
#
# * the model's `state_dict()` (module 03): name → Tensor, saved as a numpy array;
# * the optimizer's `state_dict()` (module 07): Adam's `exp_avg`, `exp_avg_sq` and `step` for every
#   parameter, SGD's momentum buffers — without them a resumed Adam run restarts its moment estimates and
#   bias correction from zero, and the next steps differ — plus its param groups with their
#   hyper-parameters (`lr` may have been changed by a schedule);
# * metadata: epoch, history, the schedule's `state_dict()`, anything JSON can hold.
#
# PyTorch's `torch.save` uses Python's `pickle`, which can run arbitrary code when a file is loaded: a
# downloaded checkpoint could take over your machine. We use numpy's `.npz` (a zip of `.npy` arrays) and
# load it with `np.load(path, allow_pickle=False)`, so a file can only ever contain numbers and text.
# Everything must therefore be an array of numbers or of text:
#
# | key in the file | content |
# |---|---|
# | `model/<name>` | each parameter array |
# | `optimizer/state/<i>/<key>` | `state_dict()["state"]`: the state of parameter `i`, arrays, and step counts as 0-d arrays |
# | `optimizer` | JSON text: the optimizer's class name and `state_dict()["param_groups"]` |
# | `metadata` | JSON text of the keyword arguments |
#
# JSON text is stored as a numpy unicode array (`np.array(text)`, dtype `<U…`), which needs no pickle.
# JSON has no tuples, so `betas=(0.9, 0.999)` comes back as a list and is turned back into a tuple.
#
# Loading checks **everything before it changes anything**: a half-loaded model (new weights, old
# optimizer state, or a crash halfway through the weights) is worse than an error. A missing file raises
# `FileNotFoundError`; a file that is not a checkpoint (random bytes, empty, truncated, a single `.npy`
# array, no `metadata`) a `ValueError` naming the file; a checkpoint from another architecture a
# `RuntimeError` (as in PyTorch) naming the missing/unexpected keys and shapes (module 03's
# `load_state_dict` checks before it copies); optimizer state that does not fit, a `ValueError`
# (module 07's `load_state_dict` checks too). Only then are the model and the optimizer changed.

# %%
#| export
def save_checkpoint(path, model, optimizer=None, **metadata):
    """Write model (and optimizer) state and JSON metadata to an .npz file at `path` (no pickle)."""
    arrays = {f"model/{name}": value.numpy() for name, value in model.state_dict().items()}
    # HINT 1: A checkpoint is one .npz file of named arrays, no pickle. The model's arrays are already
    # HINT 1: collected; add the optimizer's per-parameter state as one array per entry, its class and settings
    # HINT 1: as JSON text, and the metadata as JSON text, then write the file at exactly `path`.
    # HINT 2: `optimizer.state_dict()` has "state" (parameter index → dict of values) and "param_groups". Name
    # HINT 2: each state entry "optimizer/state/<index>/<key>" (what `_optimizer_state_dict` reads back), as
    # HINT 2: `np.asarray`. Store `json.dumps` of a dict with "class" (the optimizer's class name) and
    # HINT 2: "param_groups" under "optimizer", and of `metadata` under "metadata", each in `np.array`. Write
    # HINT 2: with `np.savez` into a file opened with `open(path, "wb")`: given a bare name, `np.savez` would
    # HINT 2: append ".npz".
    ### BEGIN SOLUTION
    if optimizer is not None:
        state = optimizer.state_dict()
        for index, per_param in state["state"].items():
            for key, value in per_param.items():
                arrays[f"optimizer/state/{index}/{key}"] = np.asarray(value)
        config = {"class": type(optimizer).__name__, "param_groups": state["param_groups"]}
        arrays["optimizer"] = np.array(json.dumps(config))
    arrays["metadata"] = np.array(json.dumps(metadata))
    with open(path, "wb") as file:
        np.savez(file, **arrays)
    ### END SOLUTION
    return path


_UNREADABLE = (OSError, ValueError, EOFError, zipfile.BadZipFile)  # what numpy raises for a damaged file


def _read_checkpoint(path):
    """name -> array of every entry of the checkpoint at `path`; a clear error naming the file otherwise."""
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"no checkpoint file at {path!r}") from None
    except _UNREADABLE:
        # numpy's own message would be misleading here (random bytes "contain pickled data")
        what = ("it is empty" if os.path.getsize(path) == 0 else
                "its bytes are not a readable .npz archive (damaged, truncated or another kind of file)")
        raise ValueError(f"{path!r} is not a checkpoint written by save_checkpoint: {what}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{path!r} holds a single array (an .npy file), not a checkpoint written by save_checkpoint")
    with archive:
        try:
            arrays = {name: archive[name] for name in archive.files}
        except _UNREADABLE as err:
            raise ValueError(f"{path!r} is a damaged checkpoint (truncated or corrupt): {err}") from None
    if "metadata" not in arrays:
        raise ValueError(f"{path!r} has no 'metadata' entry: it is not a checkpoint written by save_checkpoint")
    return arrays


def _json_entry(arrays, name, path):
    try:
        return json.loads(str(arrays[name]))
    except ValueError as err:
        raise ValueError(f"{path!r}: the {name!r} entry is not valid JSON: {err}") from None


def _optimizer_state_dict(arrays, config):
    """The optimizer's state_dict() rebuilt from the file: JSON lists back to tuples, 0-d arrays to numbers."""
    state = {}
    for name, value in arrays.items():
        if name.startswith("optimizer/state/"):
            index, key = name[len("optimizer/state/"):].split("/", 1)
            state.setdefault(int(index), {})[key] = value if value.ndim else value.item()
    groups = [{key: value if key == "params" or not isinstance(value, list) else tuple(value)
               for key, value in group.items()} for group in config["param_groups"]]
    return {"state": state, "param_groups": groups}


def load_checkpoint(path, model, optimizer=None):
    """Restore model (and optimizer) from a save_checkpoint file, in place; returns the metadata dict."""
    arrays = _read_checkpoint(path)
    metadata = _json_entry(arrays, "metadata", path)
    model_state = {name[len("model/"):]: value for name, value in arrays.items() if name.startswith("model/")}
    # HINT 1: Check everything before changing anything: the optimizer's entry must exist and name the same
    # HINT 1: optimizer class, and its state must fit the given optimizer; the model's state is checked by
    # HINT 1: `load_state_dict` itself. Only then copy the model's state in and swap the optimizer's state.
    # HINT 2: Raise ValueError naming `path` when there is no "optimizer" entry, and naming both classes when
    # HINT 2: the JSON's "class" (read with `_json_entry`) differs from `type(optimizer).__name__`.
    # HINT 2: `optimizer._restored(...)` of `_optimizer_state_dict(arrays, config)` returns (state,
    # HINT 2: param_groups) without changing the optimizer: re-raise its ValueError with the path in front. Then
    # HINT 2: `model.load_state_dict` with `model_state`, set the optimizer's `state` and `param_groups`, and
    # HINT 2: return `metadata`.
    ### BEGIN SOLUTION
    if optimizer is not None:
        if "optimizer" not in arrays:
            raise ValueError(f"{path!r}: the checkpoint holds no optimizer state (it was saved without an optimizer)")
        config = _json_entry(arrays, "optimizer", path)
        if config.get("class") != type(optimizer).__name__:
            raise ValueError(f"{path!r}: the checkpoint's optimizer is {config.get('class')}, "
                             f"the given one is {type(optimizer).__name__}")
        try:
            restored = optimizer._restored(_optimizer_state_dict(arrays, config))
        except ValueError as err:
            raise ValueError(f"{path!r}: {err}") from None
    model.load_state_dict(model_state)
    if optimizer is not None:
        optimizer.state, optimizer.param_groups = restored
    return metadata
    ### END SOLUTION


# %% [markdown]
# ### Check Part 6
# The check trains a small model with Adam, saves a checkpoint, trains on; then builds a *fresh* model
# and optimizer, loads the checkpoint, trains the same steps, and compares the two runs number for number.

# %%
from tinytorch.checks.training import check_checkpoint

check_checkpoint(save_checkpoint, load_checkpoint)

# %% [markdown]
# ## Use it: an MLP learns handwritten digits
#
# TinyDigits (shipped with tinytorch) holds 1,797 real 8×8 handwritten digits, 1,438 for training and
# 359 for testing. A 64 → 128 → 64 → 10 MLP with Adam and a cosine schedule, trained with your `Trainer`.
# We hold out 20% of the training images for validation (the test set is looked at once, at the end):
# the validation curve is what you watch, and what you would use to pick an epoch or a learning rate.
# Predict before running: what test accuracy will it reach? (Guessing gives 10%.)

# %%
import os
import tempfile

from tinytorch.core.dataloader import DataLoader, TensorDataset
from tinytorch.datasets import load_tinydigits

tinytorch.manual_seed(0)
(digits_train, labels_train), (digits_test, labels_test) = load_tinydigits()
flat_train, flat_test = digits_train.reshape(-1, 64), digits_test.reshape(-1, 64)
n_val = len(flat_train) // 5
order = tinytorch.random.default_generator().permutation(len(flat_train))
val_idx, fit_idx = order[:n_val], order[n_val:]

train_loader = DataLoader(TensorDataset(Tensor(flat_train[fit_idx]), Tensor(labels_train[fit_idx], dtype=np.int64)),
                          batch_size=32, shuffle=True)
val_loader = DataLoader(TensorDataset(Tensor(flat_train[val_idx]), Tensor(labels_train[val_idx], dtype=np.int64)),
                        batch_size=256)
test_loader = DataLoader(TensorDataset(Tensor(flat_test), Tensor(labels_test, dtype=np.int64)), batch_size=256)


def digits_mlp():
    return Sequential(Linear(64, 128), ReLU(), Linear(128, 64), ReLU(), Linear(64, 10))


epochs = 20
model = digits_mlp()
optimizer = Adam(model.parameters(), lr=3e-3)
warmup_steps = len(train_loader)  # one epoch of linear warmup, then cosine decay over the rest
scheduler = SequentialLR(optimizer, [LinearLR(optimizer, start_factor=0.1, total_iters=warmup_steps),
                                     CosineAnnealingLR(optimizer, T_max=epochs * len(train_loader) - warmup_steps)],
                         milestones=[warmup_steps])
trainer = Trainer(model, optimizer, CrossEntropyLoss(), scheduler=scheduler, max_grad_norm=5.0)
history = trainer.fit(train_loader, epochs, val_loader=val_loader)

best_epoch = int(np.argmax(history["val_accuracy"]))
test_loss, test_accuracy = evaluate(model, test_loader, CrossEntropyLoss())
print(f"{sum(history['time']):.1f} s for {epochs} epochs; best validation accuracy "
      f"{history['val_accuracy'][best_epoch]:.1%} at epoch {best_epoch + 1}")
print(f"test accuracy after the last epoch: {test_accuracy:.1%} (test loss {test_loss:.3f})")
import matplotlib.pyplot as plt  # in the browser, a cell's import is what makes Pyodide load matplotlib

figure = plot_history(history)

# %% [markdown]
# Saving and reloading the trained model: the restored copy must give exactly the same test accuracy.

# %%
checkpoint_dir = tempfile.mkdtemp()
checkpoint_path = os.path.join(checkpoint_dir, "digits_mlp.npz")
save_checkpoint(checkpoint_path, model, optimizer, epoch=epochs, lr=optimizer.param_groups[0]["lr"])
restored = digits_mlp()
metadata = load_checkpoint(checkpoint_path, restored)
print("metadata keys:", sorted(metadata), "| epoch:", metadata["epoch"])
print(f"test accuracy of the restored model: {evaluate(restored, test_loader, CrossEntropyLoss())[1]:.1%}")

# %% [markdown]
# ## Systems analysis · measured
#
# ### 1. Peak memory of one training step
# While a step runs, memory holds the **weights**, the **gradients** (one per weight, created by
# `backward()`), the **optimizer state** (Adam: two arrays per weight) and the **activations**: every
# intermediate result the forward pass saved for `backward()`, which grows with the batch size.
# Python's `tracemalloc` counts every allocation numpy makes for array data, so we can measure the step
# directly: reset the peak, run zero_grad → forward → backward → step, and read the peak.
#
# Predict first, for the digits MLP with Adam: weights are 4 bytes × parameters. Which part dominates at
# batch size 32? At 1,024?

# %%
import time
import tracemalloc


def array_bytes(arrays):
    return sum(a.nbytes for a in arrays)


def training_step(model, optimizer, loss_fn, inputs, targets):
    optimizer.zero_grad()
    loss_fn(model(inputs), targets).backward()
    optimizer.step()


def step_memory(batch_size):
    """(weights, grads, Adam state, measured peak of one step above the resting memory) in bytes."""
    model = digits_mlp()
    optimizer = Adam(model.parameters(), lr=1e-3)
    loss_fn = CrossEntropyLoss()
    x = Tensor(np.resize(flat_train, (batch_size, 64)))
    y = Tensor(np.resize(labels_train, batch_size), dtype=np.int64)
    training_step(model, optimizer, loss_fn, x, y)  # creates Adam's state, so we measure a steady-state step
    optimizer.zero_grad()
    tracemalloc.start()
    resting = tracemalloc.get_traced_memory()[0]
    training_step(model, optimizer, loss_fn, x, y)
    peak = tracemalloc.get_traced_memory()[1] - resting
    tracemalloc.stop()
    weights = array_bytes(p.data for p in model.parameters())
    grads = array_bytes(p.grad.data for p in model.parameters())
    state = array_bytes(v for s in optimizer.state.values() for v in s.values() if isinstance(v, np.ndarray))
    return weights, grads, state, peak


print(f"{'batch':>6} {'weights':>9} {'Adam state':>11} {'step peak':>10} {'= grads':>9} {'+ activations':>14}")
for batch_size in [32, 128, 512, 2048]:
    weights, grads, state, peak = step_memory(batch_size)
    print(f"{batch_size:>6} {weights / 1e3:7.1f}kB {state / 1e3:9.1f}kB {peak / 1e3:8.1f}kB "
          f"{grads / 1e3:7.1f}kB {(peak - grads) / 1e3:12.1f}kB")

# %% [markdown]
# The weights and Adam's state are resting memory: they exist between steps and do not depend on the
# batch. The step's peak adds the gradients (the same bytes as the weights, created by `backward()`) and
# the activations with their temporaries, which grow in proportion to the batch: the per-example cost is
# the activation widths 64 + 128 + 64 + 10, each stored a few times (pre-activation, post-ReLU, their
# gradients) × 4 bytes. For this small MLP the activations outgrow weights, gradients and Adam's state
# together by a batch of about a hundred; for a transformer (module 13) they dominate even more. Gradient
# accumulation is the memory lever this exposes: 4 micro-batches of 512 give the update of a batch of
# 2,048 at the activation peak of 512.

# %% [markdown]
# ### 2. What a checkpoint costs
# Predict: the digits model has how many parameters, and how many bytes will a checkpoint with Adam's
# state take on disk? `np.savez` does not compress, so expect weights + 2 × weights + a little zip
# bookkeeping per array.

# %%
def file_size_and_times(path, model, optimizer, repeat=10):
    """File size and mean save/load seconds (a mean over several runs: a browser's clock is coarse)."""
    start = time.perf_counter()
    for _ in range(repeat):
        save_checkpoint(path, model, optimizer, epoch=epochs)
    saved = time.perf_counter()
    for _ in range(repeat):
        load_checkpoint(path, model, optimizer)
    loaded = time.perf_counter()
    return os.path.getsize(path), (saved - start) / repeat, (loaded - saved) / repeat


parameter_bytes = array_bytes(p.data for p in model.parameters())
n_parameters = sum(p.numel() for p in model.parameters())
size_model_only = os.path.getsize(save_checkpoint(checkpoint_path, model))
size, save_s, load_s = file_size_and_times(checkpoint_path, model, optimizer)
print(f"{n_parameters:,} parameters = {parameter_bytes / 1e3:.1f} kB of float32")
print(f"checkpoint, model only : {size_model_only / 1e3:7.1f} kB = {size_model_only / parameter_bytes:.2f} x the parameters")
print(f"checkpoint, with Adam  : {size / 1e3:7.1f} kB = {size / parameter_bytes:.2f} x the parameters")
print(f"save {save_s * 1e3:.1f} ms, load {load_s * 1e3:.1f} ms "
      f"({size / save_s / 1e6:.0f} MB/s written, {size / load_s / 1e6:.0f} MB/s read)")

# %% [markdown]
# A checkpoint with optimizer state is about **3× the weights**: the model plus Adam's two moments (the
# step counters are a few bytes). The extra few kB are zip headers, `.npy` headers and the JSON text.
# Scaled up, a 7-billion-parameter model in float32 is 28 GB of weights and a resumable Adam checkpoint
# about 84 GB, which is why large runs save the optimizer state less often than the weights, or in
# pieces. At these sizes the time is mostly fixed overhead (opening the file, writing a zip entry per
# array), not bytes; bigger models move toward the disk's bandwidth.

# %% [markdown]
# ### 3. Time per epoch vs batch size
# One epoch touches every training example once whatever the batch size, so the arithmetic is the same;
# what changes is the number of steps, and each step has a fixed Python cost (building the graph,
# walking it backward, the optimizer's loop over parameters). Predict: how much faster is an epoch with
# batch 128 than with batch 8?

# %%
def epoch_seconds(batch_size):
    loader = DataLoader(TensorDataset(Tensor(flat_train), Tensor(labels_train, dtype=np.int64)),
                        batch_size=batch_size, shuffle=True)
    model = digits_mlp()
    optimizer = Adam(model.parameters(), lr=1e-3)
    times = []
    for _ in range(2):  # the faster of two epochs: less disturbed by whatever else the machine does
        start = time.perf_counter()
        train_epoch(model, loader, optimizer, CrossEntropyLoss())
        times.append(time.perf_counter() - start)
    return min(times), len(loader)


print(f"{'batch':>6} {'steps':>6} {'epoch (s)':>10} {'ms / step':>10} {'µs / example':>13}")
for batch_size in [8, 32, 128, 512]:
    seconds, steps = epoch_seconds(batch_size)
    print(f"{batch_size:>6} {steps:>6} {seconds:>10.3f} {seconds / steps * 1e3:>10.2f} "
          f"{seconds / len(flat_train) * 1e6:>13.1f}")

# %% [markdown]
# Compare how the time per step grows with how the batch grows. From batch 8 to 128 a step holds 16× more
# examples but costs only a small multiple of the time: at this size a step is dominated by the fixed
# cost of each operation (building the graph, walking it backward, the optimizer's loop over
# parameters), not by arithmetic, so the epoch time falls nearly in proportion to the number of steps.
# Larger batches are not free, though: fewer steps per epoch means fewer updates, and above some size more
# epochs are needed to reach the same accuracy — the number that matters is time to a target accuracy, not
# time per epoch. (If numpy's BLAS runs several threads on a busy machine, the larger batches can time
# erratically; the browser runs one thread, where every fixed cost is a few times larger.)

# %% [markdown]
# ## Reflect
#
# Answer each with a number first, then check it by running code in a new cell.
#
# 1. The digits model trained with `SGD(momentum=0.9)` instead of Adam: how many bytes would its
#    checkpoint take? Save one and compare with `os.path.getsize`.
# 2. From the memory table, estimate the activation bytes per example. Predict the step peak at batch
#    size 8,192, then measure it with `step_memory(8192)`.
# 3. A warmup of 10 steps (`LinearLR(start_factor=0.1, total_iters=10)`) followed by
#    `CosineAnnealingLR(T_max=90)` through `SequentialLR(..., milestones=[10])`, base rate 0.1: what is the
#    rate after 55 calls to `step()`? Compute it by hand from the formula, then with the schedulers.
# 4. Gradients of norms 3 and 4 in two parameters, `max_norm=1`: what is each gradient's norm after
#    `clip_grad_norm_`? And if each were clipped on its own? Check with two `Tensor`s whose `.grad` you set.
# 5. Remove `optimizer.zero_grad()` from a copy of `train_epoch` and train the digits MLP for one epoch.
#    Predict whether the loss falls, explodes or stalls; then run it and explain what you see.
#
# **Next:** the milestones 1969 XOR and 1986 MLP use this loop as it is; 09 Convolutions builds a model
# for images that beats the MLP on the same digits, trained by the same `Trainer`.
