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
# 1. write an `Optimizer` base class that holds `param_groups` (parameters with their own hyper-parameters),
#    a per-parameter `state`, `state_dict()` for saving it, and a
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
# loss, in which case PyTorch leaves it untouched.
#
# **Parameter groups.** PyTorch's `Optimizer(params, defaults)` keeps its parameters in
# `optimizer.param_groups`, a list of dicts. Each group holds its `"params"` and its own copy of every
# hyper-parameter (`"lr"`, `"momentum"`, `"betas"`...), so one model can train its layers at different
# rates, and a learning-rate schedule (module 08) changes `group["lr"]` between steps:
#
# ```python
# SGD(model.parameters(), lr=0.1)                      # one group; lr=0.1 goes into it
# SGD([{"params": body.parameters()},                  # two groups: the body uses the default lr=0.1,
#      {"params": head.parameters(), "lr": 0.01}], lr=0.1)   # the head its own lr=0.01
# ```
#
# `defaults` is the dict of the constructor's hyper-parameters; `add_param_group` fills every key a
# group leaves out from it. Details of PyTorch's behaviour we copy:
#
# * `params` may be any iterable; `model.parameters()` is a one-shot generator, so we read it once into
#   a list (iterating a used-up generator a second time would silently give nothing). An empty list is
#   an error, and so is a tensor that is not a leaf (`(w * 2)` is a result of the graph, not a weight:
#   changing its `.data` would change nothing the model uses), and a parameter listed twice (it would be
#   stepped twice).
# * `zero_grad()` sets every `p.grad = None` by default (`set_to_none=True`): cheaper than filling zeros,
#   and it frees the gradient memory until the next backward. `zero_grad(set_to_none=False)` zeroes in place.
# * `state` is a dict keyed by parameter, holding whatever the optimizer remembers (momentum buffers,
#   moment estimates, step counts). It is empty until the first step; the systems analysis measures its size.
#
# `_params_with_grads()` is the one loop every optimizer's `step()` uses: it returns `(group, p, grad
# array)` for the parameters that have a gradient and skips the others. It checks **every** gradient
# before returning anything, so a gradient of the wrong shape (numpy would broadcast it silently) or
# dtype stops the step before a single parameter has moved: a step either happens whole or not at all.
#
# `state_dict()` / `load_state_dict()` save and restore an optimizer, in PyTorch's layout: parameters
# are named by their position (0, 1, 2... over all groups in order), because the parameter objects of a
# model rebuilt tomorrow are new objects. Module 08 writes it into a checkpoint.

# %%
#| export
#| default_exp core.optimizers
import copy
import numbers

import numpy as np

from tinytorch.core.tensor import Tensor
from tinytorch.patching import patch_to

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]


class Optimizer:
    """Base class, as torch.optim.Optimizer: param_groups, a per-parameter `state`; subclasses implement step()."""

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError("params should be an iterable of Tensors or dicts, such as model.parameters(), "
                            "got a single Tensor: wrap it in a list, [w]")
        self.defaults = dict(defaults)
        self.state = {}  # parameter -> dict of what the optimizer remembers about it
        self.param_groups = []
        # HINT 1: An optimizer keeps its parameters in groups, each a dict with its own settings. Accept either
        # HINT 1: a plain list of tensors (one group) or a list of such dicts, and refuse an empty list: an
        # HINT 1: optimizer with nothing to update hides a bug.
        # HINT 2: `params` may be a generator, which can be read only once: turn it into a `list` first. Raise
        # HINT 2: ValueError mentioning an empty parameter list when it has nothing. When its first item is not
        # HINT 2: a `dict`, wrap the whole list as the "params" entry of a single dict. Then register each group
        # HINT 2: with the `add_param_group` method.
        ### BEGIN SOLUTION
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)
        ### END SOLUTION

    def add_param_group(self, param_group):
        """Add a group {"params": [...], option: value, ...}; options it leaves out come from self.defaults."""
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"{type(self).__name__}: a parameter group must be a dict with a 'params' key, "
                            f"got {type(param_group).__name__}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for index, p in enumerate(params):
            if not isinstance(getattr(p, "data", None), np.ndarray):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors: parameter {index} "
                                f"is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__} can't optimize a non-leaf Tensor (parameter {index} "
                                 f"was computed by an operation; optimize the tensors it was computed from)")
            if any(p is q for q in params[:index]):
                raise ValueError(f"{type(self).__name__}: parameter {index} appears twice in one parameter group")
            if id(p) in seen:
                raise ValueError(f"{type(self).__name__}: some parameters appear in more than one parameter group")
        group = {**self.defaults, **param_group, "params": params}
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group):
        """Subclasses raise TypeError/ValueError here for a bad hyper-parameter, before it is ever used."""

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: p.grad = None (PyTorch's default), or fill them with zeros in place."""
        # HINT 1: Gradients add up across backward calls, so each step starts by clearing them. PyTorch's
        # HINT 1: default forgets them (None, which also frees the memory); with `set_to_none=False` it keeps
        # HINT 1: the arrays and fills them with zeros.
        # HINT 2: Loop over `self.param_groups` and each group's "params". Either set `p.grad` to None, or, when
        # HINT 2: `p.grad` is not None, zero its numbers in place with the array's `.fill` method on
        # HINT 2: `p.grad.data`.
        ### BEGIN SOLUTION
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.data.fill(0)
        ### END SOLUTION

    def _params_with_grads(self):
        """[(group, parameter, gradient array)] for every parameter whose grad is not None, all checked first."""
        # HINT 1: Collect the parameters that have a gradient, checking each gradient against its parameter
        # HINT 1: first: a gradient of another shape or dtype is a bug upstream, and it must stop the step
        # HINT 1: before any parameter has moved.
        # HINT 2: Loop over the groups and their "params". A plain Tensor may have no `grad` attribute at all:
        # HINT 2: `getattr` with a default of None covers both cases; skip None. Raise ValueError naming both
        # HINT 2: shapes when they differ, TypeError naming both dtypes when those do; otherwise collect (group,
        # HINT 2: p, the gradient's array). Return the list only after the loop.
        ### BEGIN SOLUTION
        found = []
        for group in self.param_groups:
            for p in group["params"]:
                grad = getattr(p, "grad", None)
                if grad is None:
                    continue
                if grad.shape != p.shape:
                    raise ValueError(f"{type(self).__name__}: a parameter of shape {p.shape} has a gradient "
                                     f"of shape {grad.shape}")
                if grad.dtype != p.dtype:
                    raise TypeError(f"{type(self).__name__}: a {p.dtype} parameter has a {grad.dtype} gradient")
                found.append((group, p, grad.data))
        return found
        ### END SOLUTION

    def step(self):
        raise NotImplementedError(f"{type(self).__name__} must implement step()")

    def _all_params(self):
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self):
        """{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}, as PyTorch lays it out."""
        params = self._all_params()
        index_of = {id(p): index for index, p in enumerate(params)}
        groups = [{**group, "params": [index_of[id(p)] for p in group["params"]]} for group in self.param_groups]
        state = {index_of[id(p)]: per_param for p, per_param in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore a state_dict() of an optimizer over parameters of the same shapes; checks everything first."""
        self.state, self.param_groups = self._restored(state_dict)

    def _restored(self, state_dict):
        """(state, param_groups) that loading `state_dict` gives, after checking it; changes nothing."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{name}.load_state_dict expects a dict with the keys 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}: the loaded state dict has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}: loaded parameter group {i} has {len(saved['params'])} parameters, "
                                 f"this optimizer's group {i} has {len(group['params'])}")
        param_of = {index: p for saved, group in zip(saved_groups, self.param_groups)
                    for index, p in zip(saved["params"], group["params"])}
        state = {}
        for index, per_param in state_dict["state"].items():
            if index not in param_of:
                raise ValueError(f"{name}: the loaded state dict has state for parameter {index}, "
                                 f"which none of its parameter groups lists")
            p = param_of[index]
            for key, value in per_param.items():
                if isinstance(value, np.ndarray) and value.shape != p.shape:
                    raise ValueError(f"{name}: loaded state {key!r} of parameter {index} has shape {value.shape}, "
                                     f"the parameter has shape {p.shape}")
            state[p] = {key: value.astype(p.dtype) if isinstance(value, np.ndarray) else value
                        for key, value in per_param.items()}  # astype copies: no buffer shared with the source
        groups = [{**copy.deepcopy({k: v for k, v in saved.items() if k != "params"}), "params": group["params"]}
                  for saved, group in zip(saved_groups, self.param_groups)]
        for group in groups:
            self._check_group(group)
        return state, groups


def _check_number(optimizer, name, value, valid=None, rule=""):
    """TypeError unless `value` is a real number; ValueError naming the hyper-parameter unless `valid(value)`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{optimizer}: {name} must be a number, got {value!r}")
    if valid is not None and not valid(value):
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
# PyTorch's `SGD(params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False)` does all of
# this; momentum comes in Part 3 (`step` calls `self._momentum_direction`, which you write there).
# `step` loops over `(group, p, grad)` and reads each hyper-parameter from the parameter's group, so
# per-group rates and schedules work. `_check_group` validates every group's hyper-parameters when it is
# added, so a typo such as `lr=-0.1` or `lr="0.1"` fails loudly, naming the argument, instead of training
# backwards or failing at the first step.

# %%
#| export
class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, weight decay and Nesterov momentum."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    def _check_group(self, group):
        _check_number("SGD", "lr", group["lr"], lambda v: v >= 0, "the learning rate must be >= 0")
        _check_number("SGD", "momentum", group["momentum"], lambda v: v >= 0, "must be >= 0")
        _check_number("SGD", "dampening", group["dampening"])
        _check_number("SGD", "weight_decay", group["weight_decay"], lambda v: v >= 0, "must be >= 0")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: invalid nesterov=True (Nesterov momentum needs momentum > 0 and dampening = 0, "
                             f"got momentum={group['momentum']}, dampening={group['dampening']})")

    def step(self):
        for group, p, grad in self._params_with_grads():
            # HINT 1: Plain SGD moves each parameter a step of size lr against its gradient. Weight decay first
            # HINT 1: adds weight_decay·p to the gradient (pulling weights towards 0), and momentum then
            # HINT 1: replaces the gradient by a running direction. The update happens in place, so the
            # HINT 1: optimizer and the model keep sharing the same arrays.
            # HINT 2: Settings are `group["weight_decay"]`, `group["momentum"]` and `group["lr"]`. Add the decay
            # HINT 2: to a new array (never modify `p.grad`); when momentum is not 0 use
            # HINT 2: `self._momentum_direction(p, grad, group)`; update with an in-place `-=` on `p.data`.
            ### BEGIN SOLUTION
            if group["weight_decay"] != 0:
                grad = grad + group["weight_decay"] * p.data
            if group["momentum"] != 0:
                grad = self._momentum_direction(p, grad, group)
            p.data -= group["lr"] * grad
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
#   direction sooner. PyTorch allows it only with μ > 0 and τ = 0 (`_check_group` above checks this).
#
# Store the buffer in `self.state[p]["momentum_buffer"]`, PyTorch's name for it. It has the shape and
# dtype of `p`: one extra number per weight, which the systems analysis will measure.

# %%
#| export
@patch_to(SGD)
def _momentum_direction(self, p, grad, group):
    """The direction SGD steps along for `p` when momentum is on; updates the momentum buffer."""
    # HINT 1: Momentum keeps a per-parameter buffer b, a running sum of past gradients: b ← momentum·b + (1 −
    # HINT 1: dampening)·g, starting as b = g on the first step. The step follows b, or with Nesterov looks
    # HINT 1: ahead: g + momentum·b.
    # HINT 2: The per-parameter state lives in `self.state`, a dict keyed by parameter (`setdefault(p, {})`
    # HINT 2: creates it once). Store a `.copy()` of the gradient under "momentum_buffer" the first time;
    # HINT 2: afterwards update the stored array in place with `*=` and `+=`, reading `group["momentum"]`,
    # HINT 2: `group["dampening"]` and `group["nesterov"]`. Return the direction.
    ### BEGIN SOLUTION
    state = self.state.setdefault(p, {})
    buffer = state.get("momentum_buffer")
    if buffer is None:
        buffer = state["momentum_buffer"] = grad.copy()
    else:
        buffer *= group["momentum"]
        buffer += (1 - group["dampening"]) * grad
    return grad + group["momentum"] * buffer if group["nesterov"] else buffer
    ### END SOLUTION


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
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _check_group(self, group):
        name = type(self).__name__
        _check_number(name, "lr", group["lr"], lambda v: v >= 0, "the learning rate must be >= 0")
        _check_number(name, "eps", group["eps"], lambda v: v >= 0, "must be >= 0")
        _check_number(name, "weight_decay", group["weight_decay"], lambda v: v >= 0, "must be >= 0")
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        for index, beta in enumerate(betas):
            _check_number(name, f"beta at index {index}", beta, lambda v: 0 <= v < 1, "betas must be in [0, 1)")
        group["betas"] = tuple(betas)

    def step(self):
        for group, p, grad in self._params_with_grads():
            # HINT 1: Adam's weight decay (the L2 kind) is the same as SGD's: add weight_decay·p to the gradient
            # HINT 1: before the update; the Adam update itself is shared with AdamW.
            # HINT 2: When `group["weight_decay"]` is not 0, make a new gradient array (never modify `p.grad`),
            # HINT 2: then call `self._adam_update` with the parameter, that gradient and the group.
            ### BEGIN SOLUTION
            if group["weight_decay"] != 0:
                grad = grad + group["weight_decay"] * p.data
            self._adam_update(p, grad, group)
            ### END SOLUTION

    def _adam_update(self, p, grad, group):
        """One Adam step for p with gradient `grad` (weight decay already handled by step())."""
        # HINT 1: Adam keeps two running averages per parameter: m of the gradients (beta1) and v of their
        # HINT 1: squares (beta2), both starting at zero and counted by a step number. Early averages are biased
        # HINT 1: towards zero, so divide by (1 − betaᵗ) before use; then step by lr·m̂ / (√v̂ + eps).
        # HINT 2: State per parameter in `self.state` (`setdefault(p, {})`): on the first call set "step" to 0
        # HINT 2: and "exp_avg", "exp_avg_sq" to `np.zeros_like(p.data)`. Increase the step, update both arrays
        # HINT 2: in place (`*=`, `+=`); `group["betas"]` is (beta1, beta2). Compute the corrected m̂ and v̂ as
        # HINT 2: new arrays, then update `p.data` in place with `np.sqrt` and `group["eps"]`, `group["lr"]`.
        ### BEGIN SOLUTION
        state = self.state.setdefault(p, {})
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        beta1, beta2 = group["betas"]
        state["step"] += 1
        m, v, t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        p.data -= group["lr"] * m_hat / (np.sqrt(v_hat) + group["eps"])
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
        for group, p, grad in self._params_with_grads():
            # HINT 1: AdamW decouples weight decay from the gradient: it shrinks the weights themselves by a
            # HINT 1: factor (1 − lr·weight_decay) before the Adam update, which then uses the gradient
            # HINT 1: unchanged.
            # HINT 2: Scale `p.data` in place with `*=` using `group["lr"]` and `group["weight_decay"]`, then
            # HINT 2: call `self._adam_update` with the unchanged gradient.
            ### BEGIN SOLUTION
            p.data *= 1 - group["lr"] * group["weight_decay"]
            self._adam_update(p, grad, group)
            ### END SOLUTION


# %% [markdown]
# ### Check Part 5

# %%
from tinytorch.checks.optimizers import check_adamw

check_adamw(AdamW)

# %% [markdown]
# ### Parameter groups and `state_dict` in action
# Two groups with their own learning rates, then a save and a restore into a fresh optimizer. The
# restored optimizer holds the same moment estimates and step counts, so its next step is exactly the
# step the original would take. (Printing the `state_dict` shows PyTorch's layout: parameters by index.)

# %%
w_body, w_head = Tensor(np.ones(3)), Tensor(np.ones(2))
optimizer = Adam([{"params": [w_body]}, {"params": [w_head], "lr": 0.01}], lr=0.1)
print("learning rates per group:", [group["lr"] for group in optimizer.param_groups])
for p in (w_body, w_head):
    p.grad = Tensor(np.ones(p.shape))
optimizer.step()
saved = optimizer.state_dict()
print("state keys:", {index: sorted(per_param) for index, per_param in saved["state"].items()},
      "| group 1:", {key: value for key, value in saved["param_groups"][1].items()})

restored = Adam([{"params": [Tensor(w_body.data.copy())]}, {"params": [Tensor(w_head.data.copy())]}])
restored.load_state_dict(saved)
optimizer.step()
restored.step()
print("the restored optimizer takes the same next step:",
      all(np.array_equal(a.data, b.data) for a, b in zip(optimizer._all_params(), restored._all_params())))

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
        loss = 0.5 * np.sum(curvature * w.data ** 2)
        if loss < tolerance:
            return step
        if loss > 1e6:  # diverged: stop before the numbers overflow to inf
            return "diverged"
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
