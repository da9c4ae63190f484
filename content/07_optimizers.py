# %% [markdown]
# # Module 07 · Optimizers
#
# Backpropagation (module 06) tells every parameter which way the loss goes up. An **optimizer** decides
# how far to move against that direction, and whether to remember anything between steps. The choice
# changes how many steps training takes — and how much memory it needs, because some optimizers keep
# one or two extra numbers for every weight in the model.
#
# ```text
# Connection map
#   Prerequisites : 01 Tensor (the .data array we update in place)
#                   03 Layers (Parameter, model.parameters())
#                   06 Autograd (p.grad, filled by loss.backward())
#   Focus (07)    : Optimizer base, SGD (+ momentum, Nesterov, weight decay), Adam, AdamW,
#                   with PyTorch's exact update rules; optimizer state as memory
#   Unlocks       : 08 Training (the loop: zero_grad -> forward -> backward -> step)
# ```
#
# ## Learning objectives
# By the end you will be able to
# 1. write an `Optimizer` base class that holds a list of parameters, a per-parameter `state`, and a
#    `zero_grad()` that sets gradients to `None` as PyTorch does;
# 2. implement `SGD` with weight decay, momentum (including PyTorch's first-step rule), dampening and
#    Nesterov momentum;
# 3. implement `Adam` with bias-corrected moment estimates, and `AdamW` with *decoupled* weight decay,
#    and explain why the two weight decays are different;
# 4. **measure**: optimizer state in bytes against the weights (SGD 0×, momentum 1×, Adam 2×), the time
#    of one step against the parameter count, and the number of steps each optimizer needs on an
#    ill-conditioned problem.
#
# Work top to bottom. Fill in code where it says `# YOUR CODE HERE`; each part ends with a check cell
# that prints ✅ when your optimizer follows PyTorch's rule, step for step.
#
# **About gradients in this notebook.** Checks and exercises here set `p.grad` by hand, with gradients
# computed in numpy from a formula (for f(w) = ‖w − target‖², the gradient is 2(w − target)). An optimizer
# only reads `p.grad` and writes `p.data`, so it does not care where the gradient came from; module 08
# connects it to `loss.backward()`.

# %% [markdown]
# ## Part 1 · The optimizer's contract
#
# Every PyTorch training loop repeats the same four lines:
#
# ```python
# optimizer.zero_grad()        # forget the previous batch's gradients
# loss = loss_fn(model(x), y)  # forward
# loss.backward()              # fills p.grad for every parameter
# optimizer.step()             # moves every p.data a little against p.grad
# ```
#
# So an optimizer needs very little from a parameter: `p.data`, a numpy array that it changes **in
# place** (`p.data -= ...`, never `p.data = ...`: the model holds the same object and must see the new
# values), and `p.grad`, a Tensor of the same shape — or `None` when this parameter took no part in the
# loss, in which case PyTorch leaves it untouched. Three details of PyTorch's behaviour we copy:
#
# * `params` may be any iterable; `model.parameters()` is a one-shot generator, so we store `list(params)`
#   (iterating a used-up generator a second time would silently give nothing). An empty list is an error.
# * `zero_grad()` sets every `p.grad = None` by default (`set_to_none=True`): cheaper than filling zeros,
#   and it frees the gradient memory until the next backward. `zero_grad(set_to_none=False)` zeroes in place.
# * `state` is a dict keyed by parameter, holding whatever the optimizer remembers (momentum buffers,
#   moment estimates, step counts). It is empty until the first step; the systems analysis measures its size.
#
# `_params_with_grads()` is the one loop every optimizer's `step()` uses: it yields `(p, grad array)` for
# the parameters that have a gradient, skips the others, and refuses a gradient whose shape differs
# from the parameter's (numpy would broadcast it silently and give a wrong update).

# %%
#| export
#| default_exp core.optimizers
import numpy as np

from tinytorch.core.tensor import Tensor


class Optimizer:
    """Base class: holds the parameters and a per-parameter `state`; subclasses implement step()."""

    def __init__(self, params):
        if isinstance(params, Tensor):
            raise TypeError("params should be an iterable of parameters such as model.parameters(), "
                            "got a single Tensor: wrap it in a list, [w]")
        # HINT: store list(params) in self.params (a generator can be read only once); raise
        # HINT: ValueError("... empty parameter list ...") when it is empty.
        ### BEGIN SOLUTION
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        ### END SOLUTION
        for index, p in enumerate(self.params):
            if not isinstance(getattr(p, "data", None), np.ndarray):
                raise TypeError(f"{type(self).__name__}: parameter {index} has no numpy .data to update "
                                f"(got {type(p).__name__})")
        self.state = {}  # parameter -> dict of what the optimizer remembers about it

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: p.grad = None (PyTorch's default), or fill them with zeros in place."""
        # HINT: for each p in self.params: p.grad = None when set_to_none, otherwise, if p.grad is
        # HINT: not None, zero its numbers in place: p.grad.data.fill(0).
        ### BEGIN SOLUTION
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data.fill(0)
        ### END SOLUTION

    def _params_with_grads(self):
        """Yield (parameter, gradient numpy array) for every parameter whose grad is not None."""
        # HINT: read grad = getattr(p, "grad", None) (a plain Tensor may have no grad yet); skip None;
        # HINT: if grad.shape != p.shape raise ValueError naming both shapes; else yield p, grad.data.
        ### BEGIN SOLUTION
        for p in self.params:
            grad = getattr(p, "grad", None)
            if grad is None:
                continue
            if grad.shape != p.shape:
                raise ValueError(f"{type(self).__name__}: a parameter of shape {p.shape} has a gradient "
                                 f"of shape {grad.shape}")
            yield p, grad.data
        ### END SOLUTION

    def step(self):
        raise NotImplementedError(f"{type(self).__name__} must implement step()")


def _require(valid, optimizer, name, value, rule):
    """Raise ValueError naming the optimizer, the hyper-parameter and its value unless `valid`."""
    if not valid:
        raise ValueError(f"{optimizer}: invalid {name}={value!r} ({rule})")


# %% [markdown]
# ### Check Part 1

# %%
from tinytorch.checks.optimizers import check_optimizer_base

check_optimizer_base(Optimizer)

# %% [markdown]
# ## Part 2 · Stochastic gradient descent and weight decay
#
# The simplest rule moves each parameter against its gradient, scaled by the **learning rate** `lr`:
#
# $$p \leftarrow p - \text{lr}\cdot g .$$
#
# **Weight decay** `wd` pulls weights towards zero to fight over-fitting. In SGD it is the gradient of
# an extra loss term $\tfrac{\text{wd}}{2}\lVert p\rVert^2$, so it is simply added to the gradient:
# $g \leftarrow g + \text{wd}\cdot p$. Mind the sign: `+ wd * p` in the gradient becomes `- lr * wd * p`
# in the step, which shrinks `p`. With the sign flipped, weights would grow every step.
#
# PyTorch's `SGD(params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False)` does all of this;
# momentum comes in Part 3 (`step` calls `self._momentum_direction`, which you write there).
# The constructor validates the hyper-parameters, as PyTorch does, so a typo such as `lr=-0.1`
# fails loudly instead of training backwards.

# %%
#| export
class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, weight decay and Nesterov momentum."""

    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        _require(lr >= 0, "SGD", "lr", lr, "the learning rate must be >= 0")
        _require(momentum >= 0, "SGD", "momentum", momentum, "must be >= 0")
        _require(weight_decay >= 0, "SGD", "weight_decay", weight_decay, "must be >= 0")
        _require(not nesterov or (momentum > 0 and dampening == 0), "SGD", "nesterov", nesterov,
                 f"Nesterov momentum needs momentum > 0 and dampening = 0, got momentum={momentum}, "
                 f"dampening={dampening}")
        super().__init__(params)
        self.lr, self.momentum, self.dampening = lr, momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov

    def step(self):
        for p, grad in self._params_with_grads():
            # HINT: add weight decay (grad = grad + self.weight_decay * p.data, a new array: never change
            # HINT: p.grad), replace grad by self._momentum_direction(p, grad) when self.momentum != 0,
            # HINT: then update in place: p.data -= self.lr * grad.
            ### BEGIN SOLUTION
            if self.weight_decay != 0:
                grad = grad + self.weight_decay * p.data
            if self.momentum != 0:
                grad = self._momentum_direction(p, grad)
            p.data -= self.lr * grad
            ### END SOLUTION


# %% [markdown]
# ### Check Part 2
# The check minimises f(w) = ‖w − target‖² for a few steps, with and without weight decay, skips a step
# whose gradient is `None`, and compares every step with PyTorch's rule.

# %%
from tinytorch.checks.optimizers import check_sgd

check_sgd(SGD)

# %% [markdown]
# ## Part 3 · Momentum, dampening and Nesterov
#
# Plain SGD on a long narrow valley zig-zags across the steep walls and crawls along the flat floor.
# **Momentum** keeps a running direction — a buffer `b` per parameter, the optimizer's first piece of
# *state* — and steps along it, so consistent gradients add up and alternating ones cancel:
#
# $$b \leftarrow \mu\, b + (1-\tau)\, g, \qquad p \leftarrow p - \text{lr}\cdot b$$
#
# with momentum $\mu$ (typically 0.9) and dampening $\tau$ (usually 0). Two PyTorch details matter for
# matching it exactly:
#
# * **The first step sets `b = g`**, a copy of the gradient, with no dampening. Starting from `b = 0`
#   would give `(1 − τ)·g` instead: the same thing when τ = 0, a different trajectory otherwise.
# * **Nesterov momentum** steps along `g + μ·b` instead of `b`: a look-ahead that corrects the
#   direction sooner. PyTorch allows it only with μ > 0 and τ = 0 (the constructor above checks this).
#
# Store the buffer in `self.state[p]["momentum_buffer"]`, PyTorch's name for it. It has the shape and
# dtype of `p`: one extra number per weight, which the systems analysis will measure.

# %%
#| export
def _momentum_direction(self, p, grad):
    """The direction SGD steps along for `p` when momentum is on; updates the momentum buffer."""
    # HINT: state = self.state.setdefault(p, {}). No "momentum_buffer" yet: store grad.copy() (the first
    # HINT: step uses b = g). Otherwise update it in place: b *= self.momentum; b += (1 - self.dampening) * grad.
    # HINT: Return grad + self.momentum * b when self.nesterov, else b.
    ### BEGIN SOLUTION
    state = self.state.setdefault(p, {})
    buffer = state.get("momentum_buffer")
    if buffer is None:
        buffer = state["momentum_buffer"] = grad.copy()
    else:
        buffer *= self.momentum
        buffer += (1 - self.dampening) * grad
    return grad + self.momentum * buffer if self.nesterov else buffer
    ### END SOLUTION


SGD._momentum_direction = _momentum_direction

# %% [markdown]
# ### Check Part 3

# %%
from tinytorch.checks.optimizers import check_sgd_momentum

check_sgd_momentum(SGD)

# %% [markdown]
# ## Part 4 · Adam: a step size per parameter
#
# One learning rate for all weights is a compromise: a weight with large gradients wants small steps, a
# weight with tiny gradients wants large ones. **Adam** (Kingma & Ba, 2015) keeps two running averages
# for every weight — the mean of the gradient `m` and the mean of its square `v` — and divides one by
# the square root of the other, so each weight's step is about `lr` whatever the gradient's scale.
# At step `t` (counting from 1), with decay rates $(\beta_1, \beta_2)$ = `betas`:
#
# $$m \leftarrow \beta_1 m + (1-\beta_1)\, g \qquad v \leftarrow \beta_2 v + (1-\beta_2)\, g^2$$
# $$\hat m = \frac{m}{1-\beta_1^{\,t}} \qquad \hat v = \frac{v}{1-\beta_2^{\,t}} \qquad
#   p \leftarrow p - \text{lr}\cdot\frac{\hat m}{\sqrt{\hat v} + \varepsilon}$$
#
# **Bias correction** is the part that is easy to forget. `m` and `v` start at zero, so early on they
# are pulled towards zero: after one step `m = 0.1·g` and `v = 0.001·g²`. Dividing by $1-\beta^t$
# removes exactly that pull. Without it the first step is $0.1/\sqrt{0.001} \approx 3.16$ times
# too large.
#
# `Adam(weight_decay=wd)` is PyTorch's *L2* version: `wd·p` is added to the gradient before the moments,
# as in SGD. Adam's state per parameter: `step`, `exp_avg` (m) and `exp_avg_sq` (v) — PyTorch's names;
# two arrays the size of `p`.

# %%
#| export
class Adam(Optimizer):
    """Adam with bias-corrected moments; weight_decay is L2, added to the gradient (PyTorch's Adam)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        name = type(self).__name__
        _require(lr >= 0, name, "lr", lr, "the learning rate must be >= 0")
        _require(eps >= 0, name, "eps", eps, "must be >= 0")
        for index, beta in enumerate(betas):
            _require(0 <= beta < 1, name, f"beta at index {index}", beta, "betas must be in [0, 1)")
        _require(weight_decay >= 0, name, "weight_decay", weight_decay, "must be >= 0")
        super().__init__(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, tuple(betas), eps, weight_decay

    def step(self):
        for p, grad in self._params_with_grads():
            # HINT: L2 weight decay: grad = grad + self.weight_decay * p.data (when it is not 0), then
            # HINT: self._adam_update(p, grad).
            ### BEGIN SOLUTION
            if self.weight_decay != 0:
                grad = grad + self.weight_decay * p.data
            self._adam_update(p, grad)
            ### END SOLUTION

    def _adam_update(self, p, grad):
        """One Adam step for p with gradient `grad` (weight decay already handled by step())."""
        # HINT: state = self.state.setdefault(p, {}); on the first call set state["step"] = 0 and
        # HINT: "exp_avg", "exp_avg_sq" = np.zeros_like(p.data). Add 1 to step; update m and v in place
        # HINT: (m *= beta1; m += (1 - beta1) * grad; v likewise with grad * grad); divide by
        # HINT: (1 - beta ** step) for m_hat, v_hat; p.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps).
        ### BEGIN SOLUTION
        state = self.state.setdefault(p, {})
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        beta1, beta2 = self.betas
        state["step"] += 1
        m, v, t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        p.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        ### END SOLUTION


# %% [markdown]
# ### Check Part 4

# %%
from tinytorch.checks.optimizers import check_adam

check_adam(Adam)

# %% [markdown]
# ## Part 5 · AdamW: decoupled weight decay
#
# In SGD, "add `wd·p` to the gradient" and "shrink `p` by a factor `1 − lr·wd`" are the same update.
# In Adam they are not: the `wd·p` added to the gradient is divided by $\sqrt{\hat v}$ like the rest,
# so weights with large gradients are barely decayed and weights with small gradients are decayed a
# lot. Loshchilov & Hutter (2019) proposed to **decouple** the decay from the gradient:
#
# $$p \leftarrow p\,(1 - \text{lr}\cdot\text{wd}), \quad\text{then the Adam step with the unmodified } g.$$
#
# That is PyTorch's `AdamW`, the default optimizer for transformers, with `weight_decay=1e-2` by default
# (Adam's default is 0). Implementing it as "Adam with L2" is a common bug: the check compares both.

# %%
#| export
class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay, then the Adam step (PyTorch's AdamW)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def step(self):
        for p, grad in self._params_with_grads():
            # HINT: shrink the weights in place first, p.data *= 1 - self.lr * self.weight_decay, then
            # HINT: self._adam_update(p, grad) with the gradient unchanged.
            ### BEGIN SOLUTION
            p.data *= 1 - self.lr * self.weight_decay
            self._adam_update(p, grad)
            ### END SOLUTION


# %% [markdown]
# ### Check Part 5

# %%
from tinytorch.checks.optimizers import check_adamw

check_adamw(AdamW)

# %% [markdown]
# ## Use it · fitting a linear regression
#
# Here your optimizers train a small model, `y = x @ W.T + b`, on 256 noisy samples of a known linear
# function, with the PyTorch loop `zero_grad → forward → backward → step`. Autograd is module 06's job;
# so that this notebook stands on its own, `backward_by_hand` computes the mean-squared-error gradients
# in numpy from calculus: for `loss = mean((pred − y)²)`, `∂loss/∂pred = 2(pred − y)/N`, then
# `∂loss/∂W = (∂loss/∂pred)ᵀ · x` and `∂loss/∂b = Σ ∂loss/∂pred`. The autograd cell further down fills
# the same `.grad` fields with `loss.backward()` instead, and the optimizer code does not change.

# %%
rng = np.random.default_rng(0)
true_W, true_b = np.array([[2.0, -3.0, 0.5]]), np.array([1.0])
x = Tensor(rng.standard_normal((256, 3)))
y = Tensor(x.data @ true_W.T + true_b + 0.1 * rng.standard_normal((256, 1)))


def backward_by_hand(W, b, x, y):
    """Fill W.grad and b.grad with the gradients of mean((x @ W.T + b - y)^2)."""
    d_pred = 2 * (x.data @ W.data.T + b.data - y.data) / len(y)
    W.grad = Tensor(d_pred.T @ x.data)
    b.grad = Tensor(d_pred.sum(axis=0))


def fit(make_optimizer, steps=100):
    W, b = Tensor(np.zeros((1, 3))), Tensor(np.zeros(1))
    optimizer = make_optimizer([W, b])
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        pred = x @ W.T + b
        losses.append(((pred - y) * (pred - y)).mean().item())
        backward_by_hand(W, b, x, y)
        optimizer.step()
    return W, b, losses


print(f"{'optimizer':<24} {'loss @0':>8} {'@10':>8} {'@50':>8} {'@99':>8}   learned W, b")
for label, make in [("SGD lr=0.1", lambda ps: SGD(ps, lr=0.1)),
                    ("SGD lr=0.1 momentum=0.9", lambda ps: SGD(ps, lr=0.1, momentum=0.9)),
                    ("Adam lr=0.1", lambda ps: Adam(ps, lr=0.1))]:
    W, b, losses = fit(make)
    print(f"{label:<24} {losses[0]:8.4f} {losses[10]:8.4f} {losses[50]:8.4f} {losses[99]:8.4f}   "
          f"{np.round(W.data.ravel(), 2)}, {np.round(b.data, 2)}")
true_loss = np.mean((x.data @ true_W.T + true_b - y.data) ** 2)
print(f"true W, b: {true_W.ravel()}, {true_b} | loss of the true W, b on this data (the noise): {true_loss:.4f}")

# %% [markdown]
# All three recover `W ≈ [2, −3, 0.5]` and `b ≈ 1`, the loss settling at the level of the noise
# (its standard deviation is 0.1, so about 0.1² = 0.01; a fitted model can go slightly below it on the
# training data).
# This problem is well conditioned, so plain SGD is already fast; the systems analysis builds one where it is not.

# %% [markdown]
# ### The same loop with autograd
# With module 03's `Linear`, module 04's `MSELoss` and module 06's autograd, `loss.backward()` takes the
# place of `backward_by_hand`. First confirm that both fill in the same gradients, then train with your
# `Adam` — the optimizer code is the same; only where `.grad` comes from has changed.

# %%
from tinytorch.core.autograd import enable_autograd
from tinytorch.core.layers import Linear
from tinytorch.core.losses import MSELoss
from tinytorch.random import manual_seed

enable_autograd()  # `import tinytorch` already switches it on; calling it again changes nothing
x_t, y_t = Tensor(x.data), Tensor(y.data)
manual_seed(0)  # repeatable initial weights
model = Linear(3, 1)
loss_fn = MSELoss()
loss_fn(model(x_t), y_t).backward()
W_copy, b_copy = Tensor(model.weight.data.copy()), Tensor(model.bias.data.copy())
backward_by_hand(W_copy, b_copy, x_t, y_t)
print("loss.backward() and backward_by_hand agree:",
      np.allclose(model.weight.grad.data, W_copy.grad.data, atol=1e-5)
      and np.allclose(model.bias.grad.data, b_copy.grad.data, atol=1e-5))

optimizer = Adam(model.parameters(), lr=0.1)
for step in range(100):
    optimizer.zero_grad()
    loss = loss_fn(model(x_t), y_t)
    loss.backward()
    optimizer.step()
print(f"after 100 Adam steps with autograd: loss {loss.item():.4f}, "
      f"W {np.round(model.weight.data.ravel(), 2)}, b {np.round(model.bias.data, 2)}")

# %% [markdown]
# ## Systems analysis · measured
#
# ### 1. Optimizer state: how much memory does the optimizer add?
# Take an MLP for 28×28 digits, 784 → 256 → 128 → 10: three weight matrices (PyTorch layout
# `(out, in)`) and three biases. Training holds, for every weight, the weight itself, its gradient, and
# the optimizer's state. Predict before running: how many bytes of state do SGD, SGD with momentum and
# Adam keep, as a multiple of the weights' bytes?
#
# The cell fills every gradient (as `backward()` would), takes one step — state is created lazily, at
# the first step — and then counts the bytes of every numpy array in `optimizer.state`.

# %%
layer_sizes = [784, 256, 128, 10]


def mlp_parameters():
    shapes = [s for n_in, n_out in zip(layer_sizes, layer_sizes[1:]) for s in [(n_out, n_in), (n_out,)]]
    return [Tensor(rng.uniform(-0.05, 0.05, shape)) for shape in shapes]


def state_bytes(optimizer):
    return sum(value.nbytes for per_param in optimizer.state.values()
               for value in per_param.values() if isinstance(value, np.ndarray))


def measure_training_memory(make_optimizer):
    params = mlp_parameters()
    for p in params:
        p.grad = Tensor(rng.standard_normal(p.shape) * 1e-3)
    optimizer = make_optimizer(params)
    optimizer.step()
    weights = sum(p.memory_footprint() for p in params)
    grads = sum(p.grad.memory_footprint() for p in params)
    return weights, grads, state_bytes(optimizer)


n_params = sum(p.numel() for p in mlp_parameters())
print(f"MLP {'-'.join(map(str, layer_sizes))}: {n_params:,} parameters, float32\n")
print(f"{'optimizer':<16} {'weights':>10} {'grads':>10} {'state':>10} {'state/weights':>14} {'total/weights':>14}")
for label, make in [("SGD", lambda ps: SGD(ps, lr=0.1)),
                    ("SGD momentum", lambda ps: SGD(ps, lr=0.1, momentum=0.9)),
                    ("Adam", lambda ps: Adam(ps)),
                    ("AdamW", lambda ps: AdamW(ps))]:
    weights, grads, state = measure_training_memory(make)
    print(f"{label:<16} {weights / 1e6:8.3f}MB {grads / 1e6:8.3f}MB {state / 1e6:8.3f}MB "
          f"{state / weights:13.2f}x {(weights + grads + state) / weights:13.2f}x")

# %% [markdown]
# The state column is measured, not assumed: SGD keeps nothing (0×), momentum one buffer per weight (1×),
# Adam and AdamW two (2×; the step counter is one Python int per parameter tensor). With the gradients,
# training with Adam holds about **4× the weights' bytes** before counting activations — for a
# 7-billion-parameter model in float32 that is 28 GB of weights and 112 GB in all, which is why large
# models are trained with memory-saving optimizers, lower precision or state split across devices.

# %% [markdown]
# ### 2. Time per step vs parameter count
# An optimizer step touches every weight a fixed number of times, so its time should grow linearly with
# the number of parameters. Adam does more passes over memory per weight than SGD (two moment updates,
# two bias corrections, a square root, a division). Predict: how much slower is an Adam step than a
# plain SGD step?

# %%
from tinytorch.timing import time_per_call  # best of several rounds, long enough for a coarse clock


def time_step(make_optimizer, n, repeat=5):
    p = Tensor(rng.standard_normal(n))
    p.grad = Tensor(rng.standard_normal(n))
    optimizer = make_optimizer([p])
    optimizer.step()  # warm-up, and creates the state
    return time_per_call(optimizer.step, repeat=repeat)


counts = [10_000, 100_000, 1_000_000]
step_times = {"SGD": [], "SGD momentum": [], "Adam": []}
makers = {"SGD": lambda ps: SGD(ps, lr=1e-3), "SGD momentum": lambda ps: SGD(ps, lr=1e-3, momentum=0.9),
          "Adam": lambda ps: Adam(ps)}
print(f"{'parameters':>11} " + " ".join(f"{label + ' (ms)':>18}" for label in makers) + f" {'Adam / SGD':>11}")
for n in counts:
    for label, make in makers.items():
        step_times[label].append(time_step(make, n))
    row = " ".join(f"{step_times[label][-1] * 1e3:18.3f}" for label in makers)
    print(f"{n:>11,} {row} {step_times['Adam'][-1] / step_times['SGD'][-1]:10.1f}x")
for label in makers:
    slope = np.polyfit(np.log(counts), np.log(step_times[label]), 1)[0]
    print(f"{label}: time grows as n^{slope:.2f}")

# %% [markdown]
# At small sizes the fixed Python overhead of a step dominates and the curve is flatter than linear.
# SGD's exponent should come out close to 1: its step is a couple of streaming passes over memory.
# Adam costs several SGD steps, and its ratio tends to grow with size: written as above, each step
# creates about six temporary arrays the size of the parameter (`m_hat`, `v_hat`, the square root, the
# quotient...), and once they no longer fit in the CPU cache, every fresh temporary is paid for in memory
# traffic. PyTorch offers "fused" Adam kernels that make one pass over memory for the whole update;
# module 17 measures fusion. Next to the forward and backward passes of a real model (matrix
# multiplications, module 08), the optimizer step is still a small share of training time.

# %% [markdown]
# ### 3. Convergence on an ill-conditioned problem
# Take f(w) = ½ (1·w₀² + 100·w₁²): a valley 100 times steeper across than along (condition number 100).
# Its gradient is (w₀, 100·w₁). Plain SGD must keep `lr < 2/100` or it diverges along the steep axis, and
# then it crawls along the flat one. Predict the ranking of SGD, SGD with momentum and Adam by the number
# of steps to reach f < 10⁻⁶ from w = (1, 1).

# %%
curvature = np.array([1.0, 100.0])


def steps_to_converge(make_optimizer, tolerance=1e-6, max_steps=5000):
    w = Tensor(np.array([1.0, 1.0]), dtype=np.float64)
    optimizer = make_optimizer([w])
    for step in range(max_steps):
        if 0.5 * np.sum(curvature * w.data ** 2) < tolerance:
            return step
        w.grad = Tensor(curvature * w.data, dtype=np.float64)
        optimizer.step()
    return None


print(f"{'optimizer':<34} {'steps to f < 1e-6':>18}")
for label, make in [("SGD lr=0.01", lambda ps: SGD(ps, lr=0.01)),
                    ("SGD lr=0.019 (near the limit)", lambda ps: SGD(ps, lr=0.019)),
                    ("SGD lr=0.021 (past 2/100)", lambda ps: SGD(ps, lr=0.021)),
                    ("SGD lr=0.01 momentum=0.9", lambda ps: SGD(ps, lr=0.01, momentum=0.9)),
                    ("SGD lr=0.01 momentum=0.9 nesterov", lambda ps: SGD(ps, lr=0.01, momentum=0.9, nesterov=True)),
                    ("Adam lr=0.1", lambda ps: Adam(ps, lr=0.1)),
                    ("Adam lr=0.01", lambda ps: Adam(ps, lr=0.01))]:
    steps = steps_to_converge(make)
    print(f"{label:<34} {'did not converge in 5000' if steps is None else steps:>18}")
print(f"\nprediction for plain SGD at lr=0.01: ln(1/sqrt(2e-6)) / 0.01 = {np.log(1 / np.sqrt(2e-6)) / 0.01:.0f} steps")

# %% [markdown]
# Read the table against the theory. Along the flat axis SGD multiplies w₀ by (1 − lr) per step, and f < 10⁻⁶
# needs w₀ < √(2·10⁻⁶), so it takes about ln(1/√(2·10⁻⁶))/lr ≈ 6.6/lr steps (printed above); it cannot
# raise `lr` past 2/100 without diverging along the steep axis. Momentum lets the flat direction accumulate speed, cutting the
# count several-fold at the same `lr`. Adam rescales each coordinate by its own gradient size, so the
# condition number hardly matters — but with a fixed `lr` it moves each weight by about `lr` per step
# near the minimum and may circle it before settling; its count depends strongly on `lr`. No optimizer
# wins everywhere: that is why module 08 tunes `lr` and adds a schedule.

# %% [markdown]
# ## Reflect
#
# Answer each with a number first, then check it by running code in a new cell.
#
# 1. A transformer with 124 million parameters is trained in float32 with AdamW. How many GB do the
#    weights, gradients and optimizer state take together? Check the ratio with `measure_training_memory`
#    on a bigger MLP (change `layer_sizes`).
# 2. Adam's first step with bias correction moves every weight by almost exactly `lr` (in the direction
#    opposite to its gradient's sign). Why? Predict the size of the first step without bias correction
#    for betas (0.9, 0.999), then measure it by removing the correction in a copy of `_adam_update`.
# 3. With `SGD(lr=0.1, weight_decay=0.01)` and a zero gradient, by what factor does a weight shrink per
#    step? After 100 steps? Run it. Would `AdamW(lr=0.1, weight_decay=0.01)` with a zero gradient
#    shrink it by the same factor? (Careful: what does Adam's update do when `g = 0` but `m` is not 0?)
# 4. In the convergence table, predict how SGD's step count changes if the curvature is `[1, 1000]`
#    (use the largest stable `lr`). Then change `curvature` and rerun.
# 5. From your time-per-step measurements, how long would one Adam step take for the 124-million-
#    parameter model of question 1 in this browser tab? How does that compare with the weights' bytes
#    divided by your memory bandwidth (assume 10 GB/s)?
#
# **Next:** 08 Training puts it together: a training loop with `zero_grad`, `backward` and `step`, a
# learning-rate schedule, gradient clipping and checkpoints.
