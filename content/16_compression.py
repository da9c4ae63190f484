# %% [markdown]
# # Module 16 · Compression: pruning and distillation
#
# A trained network holds more numbers than it needs. Many of its weights are close to zero and can be
# set to exactly zero with little loss of accuracy (**pruning**); and a small network trained to imitate a
# large one often does better than the same small network trained on the labels alone (**knowledge
# distillation**). Both make models smaller; only some of it makes them faster, and this module measures
# which. You build PyTorch's `torch.nn.utils.prune` (as `tinytorch.nn.utils.prune`): a mask kept next to
# the weight that survives fine-tuning, unstructured and structured, and Hinton's distillation loss.
#
# ```text
# Connection map
#   Prerequisites : 03 Layers (Module, Parameter, buffers, state_dict)
#                   06 Autograd (gradients through a product), 07 Optimizers, 08 Training
#                   09 Convolutions (Conv2d's output channels), 14 Profiling (timing, bytes)
#   Focus (16)    : magnitude (L1) masks, the weight_orig / weight_mask reparametrisation with a forward
#                   pre-hook, structured pruning of rows and channels, sparse storage, distillation loss
#   Unlocks       : 19 Benchmarking (is the smaller model really faster?), 20 Capstone (a compressed model)
# ```
#
# ## Learning objectives
# By the end you will be able to
# 1. compute the L1 mask that zeroes the `amount` smallest weights (a count, or a fraction rounded as
#    PyTorch rounds);
# 2. prune a module the way PyTorch does: `weight_orig` (a Parameter), `weight_mask` (a buffer) and a
#    forward pre-hook that recomputes `weight = weight_orig * weight_mask`, so pruned weights get zero
#    gradient and stay zero through fine-tuning, and pruning again only removes weights still alive;
# 3. prune whole rows and channels by their Ln norm, and explain why that, unlike scattered zeros, makes
#    a layer cheaper to run;
# 4. write the distillation loss `alpha · T² · KL(teacher ‖ student) + (1 − alpha) · CE`;
# 5. **measure**: accuracy against sparsity, the time of a dense layer full of zeros against a smaller
#    dense layer, the bytes of dense against sparse storage, and a distilled student against one trained
#    on labels only.

# %% [markdown]
# ## Part 1 · Magnitude pruning: the L1 mask
#
# The simplest guess at which weights matter: the large ones. **Magnitude pruning** sets the weights with
# the smallest absolute values to zero. What it produces is a **mask**, an array of the weight's shape
# holding 1 where a weight is kept and 0 where it is pruned; the pruned weight is `weight * mask`.
#
# How many to prune is `amount`, as in PyTorch: an `int` is a count of weights, a `float` in `[0, 1]` a
# fraction of them. A fraction becomes a count with Python's `round(amount * n)`, not `int(...)`:
# 37% of 10 weights is 3.7, which rounds to 4 (truncation would give 3). Python's `round` sends an exact
# half to the even neighbour (`round(2.5) == 2`), and so does PyTorch.
#
# Two details. Which weights are "smallest" compares **absolute** values: `-3.0` is a large weight. And
# when several weights tie at the boundary any of them may go (PyTorch does not promise which); this
# course sorts with a stable sort, so the one with the lowest index goes first.
#
# `compute_mask(t, default_mask)` receives the importance scores `t` (by default the weight itself) and
# the mask so far, both numpy arrays; it returns the new mask as an array of `t`'s shape. The classes and
# the validation of `amount` are given; you write `L1Unstructured.compute_mask`.

# %%
#| export
#| default_exp core.compression
import numbers
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np

from tinytorch.autograd.grad_mode import no_grad
from tinytorch.core.layers import Module, Parameter
from tinytorch.core.tensor import Tensor
from tinytorch.patching import patch_to
from tinytorch.random import default_generator

__all__ = ["BasePruningMethod", "PruningContainer", "L1Unstructured", "RandomUnstructured", "LnStructured",
           "CustomFromMask", "l1_unstructured", "random_unstructured", "ln_structured", "global_unstructured",
           "custom_from_mask", "remove", "is_pruned", "reparametrize", "RemovableHandle", "distillation_loss",
           "sparse_nbytes"]


def _validate_amount(amount):
    """PyTorch's rule: a non-negative int (a count) or a float in [0, 1] (a fraction)."""
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount!r}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _check_count(count, size):
    """A count of weights (or channels) to prune can't exceed how many there are."""
    if count > size:
        raise ValueError(f"amount={count} should be smaller than the number of parameters to prune={size}")


class BasePruningMethod:
    """A way to choose a mask, and (as a forward pre-hook) what keeps `name = name_orig * name_mask` up to date.
    As torch.nn.utils.prune.BasePruningMethod; PRUNING_TYPE is "unstructured", "structured" or "global"."""

    PRUNING_TYPE = None
    _tensor_name = None

    def compute_mask(self, t, default_mask):
        """The new mask (numpy, t's shape) for importance scores t, on top of default_mask."""
        raise NotImplementedError(f"{type(self).__name__} must define compute_mask(t, default_mask)")

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune `name` of `module` with cls(*args, **kwargs) (Part 2's reparametrize); returns the hook."""
        return reparametrize(cls, module, name, *args, importance_scores=importance_scores, **kwargs)


class L1Unstructured(BasePruningMethod):
    """Prune the `amount` weights of smallest absolute value (an int count or a float fraction)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        """default_mask with the `amount` entries of t of smallest |value| set to 0 (ties: lowest index first)."""
        t = np.asarray(t)
        mask = np.array(default_mask, dtype=t.dtype, copy=True)
        # HINT 1: First the count: an int amount is the count itself; a float is a fraction of t's size,
        # HINT 1: rounded as Python rounds (37% of 10 is 4, not 3), then checked against the size. Then find the
        # HINT 1: entries with the smallest ABSOLUTE values, over the whole array whatever its shape, and zero
        # HINT 1: exactly that many entries of the mask. Pruning nothing is allowed.
        # HINT 2: `isinstance(self.amount, numbers.Integral)`, Python's `round`, `_check_count(count, t.size)`;
        # HINT 2: `np.argsort` of `np.abs(t)` with `axis=None` (flattened) and `kind="stable"` gives positions
        # HINT 2: smallest first; `mask.reshape(-1)` is a view of the mask to write zeros into.
        ### BEGIN SOLUTION
        count = self.amount if isinstance(self.amount, numbers.Integral) else round(self.amount * t.size)
        _check_count(count, t.size)
        smallest = np.argsort(np.abs(t), axis=None, kind="stable")[:count]
        mask.reshape(-1)[smallest] = 0
        ### END SOLUTION
        return mask


class RandomUnstructured(BasePruningMethod):
    """Prune `amount` entries chosen at random (tinytorch.manual_seed makes it repeatable): the baseline that
    tells whether magnitude is a better guess than chance."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        t = np.asarray(t)
        mask = np.array(default_mask, dtype=t.dtype, copy=True)
        count = self.amount if isinstance(self.amount, numbers.Integral) else round(self.amount * t.size)
        _check_count(count, t.size)
        chosen = default_generator().permutation(t.size)[:count]
        mask.reshape(-1)[chosen] = 0
        return mask


# %% [markdown]
# ### Check Part 1
# Masks for counts and fractions (37% of 10 weights, 25% of 10, 0 and all), 2-D and 4-D weights, negative
# weights, and the errors for a bad `amount`, each against a mask built in the check.

# %%
from tinytorch.checks.compression import check_l1_mask

check_l1_mask(L1Unstructured)

# %% [markdown]
# ## Part 2 · The reparametrisation: `weight_orig`, `weight_mask` and a pre-hook
#
# Zeroing weights once (`weight.data *= mask`) does not last: the next optimizer step gives every pruned
# weight a gradient and moves it away from zero. PyTorch's pruning keeps the mask **in the computation**:
#
# * the Parameter `weight` is renamed `weight_orig`: it still holds all the original numbers and it is
#   what the optimizer trains;
# * the mask is registered as the **buffer** `weight_mask`: state, not trained, saved in `state_dict()`
#   (a plain attribute would be lost when the model is saved and loaded);
# * `weight` becomes a plain attribute, `weight_orig * weight_mask`, recomputed before **every** forward
#   by a *forward pre-hook*: a function `hook(module, args)` that `Module.__call__` runs before `forward`.
#
# The layer's `forward` still reads `self.weight` and never knows. Gradients reach `weight_orig` through
# the product: `d(orig * mask)/d orig = mask`, so a pruned weight's gradient is exactly zero. An optimizer
# built after pruning then never moves it (SGD's step and Adam's running averages stay zero); and whatever
# happens to the pruned entries of `weight_orig` (weight decay, momentum from before), they are multiplied by
# 0 on every forward.
#
# Pruning **again** must respect the first mask: the new `amount` applies to the weights still alive (as
# PyTorch's `PruningContainer` does), and the new mask is the old one with more zeros. So `apply` starts
# from the current `weight_mask` when there is one, and from ones the first time.
#
# Module 03's `Module` has no hooks; the given cell below adds PyTorch's `register_forward_pre_hook` and
# `register_forward_hook` (each returns a handle whose `.remove()` unregisters it) and a `Module.__call__`
# that runs them: pre-hooks may return replacement arguments, forward hooks a replacement output. Module 14's
# profiler wraps whatever `Module.__call__` is when a profile starts, so it times the hooks too.
#
# You write `reparametrize(cls, module, name, ...)`, which every `cls.apply` (and so `l1_unstructured`)
# calls. Finding an earlier hook and combining methods in a `PruningContainer` are given.

# %%
#| export
class RemovableHandle:
    """What register_forward_pre_hook returns: `handle.remove()` unregisters the hook (as torch.utils.hooks)."""

    next_id = 0

    def __init__(self, hooks_dict):
        self.hooks_dict_ref = hooks_dict
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1

    def remove(self):
        self.hooks_dict_ref.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


@patch_to(Module, name="_forward_pre_hooks", as_property=True)
def forward_pre_hooks(self):
    """The module's forward pre-hooks by handle id, an OrderedDict kept in the instance (made on first use)."""
    return self.__dict__.setdefault("_forward_pre_hooks", OrderedDict())


@patch_to(Module, name="_forward_hooks", as_property=True)
def forward_hooks(self):
    """The module's forward hooks by handle id, an OrderedDict kept in the instance (made on first use)."""
    return self.__dict__.setdefault("_forward_hooks", OrderedDict())


@patch_to(Module)
def register_forward_pre_hook(self, hook):
    """Run hook(module, args) before every forward; a result other than None replaces args (a non-tuple result
    becomes a 1-tuple). Returns a RemovableHandle."""
    if not callable(hook):
        raise TypeError(f"register_forward_pre_hook expects a callable hook(module, args), got {type(hook).__name__}")
    hooks = self._forward_pre_hooks
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


@patch_to(Module)
def register_forward_hook(self, hook):
    """Run hook(module, args, output) after every forward; a result other than None replaces the output.
    Returns a RemovableHandle."""
    if not callable(hook):
        raise TypeError(f"register_forward_hook expects a callable hook(module, args, output), got "
                        f"{type(hook).__name__}")
    hooks = self._forward_hooks
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


@patch_to(Module, name="__call__")
def module_call(self, *args, **kwargs):
    """Run the forward pre-hooks, forward, then the forward hooks (module 03's __call__ plus hooks)."""
    state = self.__dict__
    if state.get("_forward_pre_hooks"):  # most modules have none: keep the common call cheap
        for hook in list(state["_forward_pre_hooks"].values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    output = self.forward(*args, **kwargs)
    if state.get("_forward_hooks"):
        for hook in list(state["_forward_hooks"].values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
    return output


def _pruning_hook(module, name):
    """(key, hook) of the pruning method already applied to `name` of `module`, or (None, None)."""
    for key, hook in module.__dict__.get("_forward_pre_hooks", {}).items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            return key, hook
    return None, None


class PruningContainer(BasePruningMethod):
    """The pruning methods applied one after another to one tensor: the newest one chooses among the entries
    (or channels) the earlier ones kept."""

    def __init__(self, *args):
        self._pruning_methods = ()
        if len(args) == 1 and not isinstance(args[0], BasePruningMethod):
            args = tuple(args[0])
        for method in args:
            self.add_pruning_method(method)

    def add_pruning_method(self, method):
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method).__name__} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name is not None and method._tensor_name != self._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named '{self._tensor_name}' "
                             f"to PruningContainer. Found '{method._tensor_name}'")
        if method is not None:
            self._pruning_methods += (method,)
            self._tensor_name = method._tensor_name

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, index):
        return self._pruning_methods[index]

    def compute_mask(self, t, default_mask):
        """The newest method's mask computed on the part of t the default_mask still keeps, written into it."""
        method = self._pruning_methods[-1]
        t = np.asarray(t)
        mask = np.array(default_mask, dtype=t.dtype, copy=True)
        if method.PRUNING_TYPE == "unstructured":
            kept = mask == 1  # the entries alive so far
        elif method.PRUNING_TYPE == "structured":
            dim = method.dim % t.ndim
            alive = mask.sum(axis=tuple(a for a in range(t.ndim) if a != dim)) != 0  # channels not all zero
            kept = tuple(alive if a == dim else slice(None) for a in range(t.ndim))
        elif method.PRUNING_TYPE == "global":
            kept = (slice(None),) * t.ndim
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")
        mask[kept] = method.compute_mask(t[kept], default_mask=mask[kept])
        return mask


class CustomFromMask(BasePruningMethod):
    """Prune with a mask you give (numpy array or Tensor of the weight's shape)."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = np.asarray(getattr(mask, "data", mask))

    def compute_mask(self, t, default_mask):
        if self.mask.shape != np.shape(default_mask):
            raise ValueError(f"custom mask of shape {self.mask.shape} does not match the tensor's {np.shape(default_mask)}")
        return np.asarray(default_mask) * self.mask.astype(np.asarray(default_mask).dtype)


@patch_to(BasePruningMethod, name="__call__")
def pruning_pre_hook(self, module, inputs):
    """The forward pre-hook: recompute module.<name> = <name>_orig * <name>_mask before the forward runs."""
    setattr(module, self._tensor_name, self.apply_mask(module))


@patch_to(BasePruningMethod)
def apply_mask(self, module):
    """<name>_orig * <name>_mask of `module`: a Tensor whose gradient flows to <name>_orig through the mask."""
    return getattr(module, self._tensor_name + "_orig") * getattr(module, self._tensor_name + "_mask")


@patch_to(BasePruningMethod)
def prune(self, t, default_mask=None, importance_scores=None):
    """t with this method's mask applied (no module involved)."""
    data = np.asarray(getattr(t, "data", t))
    scores = data if importance_scores is None else np.asarray(getattr(importance_scores, "data", importance_scores))
    mask = self.compute_mask(scores, np.ones_like(data) if default_mask is None else
                             np.asarray(getattr(default_mask, "data", default_mask)))
    return t * Tensor(mask.astype(data.dtype))


def reparametrize(cls, module, name, *args, importance_scores=None, **kwargs):
    """Prune `name` of `module` with the method cls(*args, **kwargs) (what cls.apply does): <name>_orig, <name>_mask
    and the pre-hook. Returns the hook: the method, or a PruningContainer when `name` was pruned before."""
    if not isinstance(module, Module):
        raise TypeError(f"pruning needs a Module, got {type(module).__name__}")
    method = cls(*args, **kwargs)
    method._tensor_name = name
    old_key, old = _pruning_hook(module, name)
    if old is not None:  # pruned before: the new method works on what the old mask kept
        method = PruningContainer(*(old if isinstance(old, PruningContainer) else [old]), method)
    elif not isinstance(module._parameters.get(name), Parameter):
        raise AttributeError(f"{type(module).__name__} has no parameter {name!r} to prune (its parameters: "
                             f"{', '.join(k for k, v in module._parameters.items() if v is not None) or 'none'})")
    current = getattr(module, name)
    if importance_scores is not None and tuple(importance_scores.shape) != tuple(current.shape):
        raise AssertionError(f"importance_scores should have the same shape as parameter {name} of "
                             f"{type(module).__name__}, got {tuple(importance_scores.shape)} vs {tuple(current.shape)}")
    importance = np.asarray((current if importance_scores is None else importance_scores).data)
    # HINT 1: The first time, the mask so far is all ones; when `name` was pruned before (old is not None),
    # HINT 1: it is the module's current <name>_mask, so the new amount applies to the survivors. Compute the
    # HINT 1: new mask first (it may raise), then, the first time only, move the Parameter to <name>_orig; store
    # HINT 1: the mask as a BUFFER (so state_dict saves it), set <name> to orig * mask, and register `method`
    # HINT 1: as a forward pre-hook so <name> is recomputed before every forward.
    # HINT 2: `np.ones` with the weight's shape and dtype, or a copy of the existing mask's `.data`; then
    # HINT 2: `method.compute_mask`. The first time: `module.register_parameter` under the "_orig" name with
    # HINT 2: the current Parameter, and a `del` of the old entry in `module._parameters`. Always:
    # HINT 2: `module.register_buffer` with a Tensor of the mask, `setattr` with `method.apply_mask(module)`, and
    # HINT 2: the method itself (it is callable) to `register_forward_pre_hook`.
    ### BEGIN SOLUTION
    if old is None:
        default_mask = np.ones(current.shape, dtype=current.data.dtype)
    else:
        default_mask = np.array(getattr(module, name + "_mask").data, copy=True)
    mask = method.compute_mask(importance, default_mask)
    if old is None:
        module.register_parameter(name + "_orig", current)
        del module._parameters[name]
    module.register_buffer(name + "_mask", Tensor(mask, dtype=current.data.dtype))
    setattr(module, name, method.apply_mask(module))
    module.register_forward_pre_hook(method)
    ### END SOLUTION
    if old_key is not None:
        module._forward_pre_hooks.pop(old_key)  # the container that replaces it is registered
    return method


@patch_to(BasePruningMethod)
def remove(self, module):
    """Make the pruning permanent: Parameter <name> = orig * mask; <name>_orig and <name>_mask are removed."""
    name = self._tensor_name
    with no_grad():
        pruned = np.array(self.apply_mask(module).data, copy=True)
    if name in module.__dict__:
        delattr(module, name)
    orig = module._parameters[name + "_orig"]
    orig.data = pruned
    del module._parameters[name + "_orig"]
    del module._buffers[name + "_mask"]
    setattr(module, name, orig)


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune the `amount` entries of module.<name> of smallest |importance| (the weight itself by default):
    module.<name>_orig (Parameter) and module.<name>_mask (buffer) are added and module.<name> becomes
    orig * mask, recomputed before every forward. As torch.nn.utils.prune.l1_unstructured; returns module."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_unstructured(module, name, amount):
    """Prune `amount` entries of module.<name> chosen at random; returns module."""
    RandomUnstructured.apply(module, name, amount=amount)
    return module


def custom_from_mask(module, name, mask):
    """Prune module.<name> with the given mask (combined with an existing one); returns module."""
    CustomFromMask.apply(module, name, mask=mask)
    return module


def remove(module, name):
    """Make the pruning of module.<name> permanent (see BasePruningMethod.remove); returns module."""
    key, hook = _pruning_hook(module, name)
    if hook is None:
        raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")
    hook.remove(module)
    del module._forward_pre_hooks[key]
    return module


def is_pruned(module):
    """True when module or any module inside it has a pruning hook."""
    return any(isinstance(hook, BasePruningMethod)
               for sub in module.modules() for hook in sub.__dict__.get("_forward_pre_hooks", {}).values())


# %% [markdown]
# ### Check Part 2
# Prunes a `Linear` with your `apply`: the names (`weight_orig` a Parameter, `weight_mask` a buffer in
# `state_dict()`, no Parameter `weight`), the forward after the weights change, the gradient of `weight_orig`
# (zero where pruned, against finite differences), five SGD and Adam steps keeping the pruned weights at
# zero, and pruning twice (the second amount applies to the survivors).

# %%
from tinytorch.checks.compression import check_reparametrization

check_reparametrization(reparametrize, L1Unstructured)

# %% [markdown]
# ## Part 3 · Structured pruning: whole rows and channels
#
# Unstructured pruning leaves the zeros scattered. A dense matrix product does not skip zeros: numpy's
# `x @ W.T` multiplies every entry of `W` whether it is 0 or not, so a 90%-sparse `Linear` takes as long as
# a dense one (the analysis below measures it). Skipping the zeros needs sparse storage and sparse
# kernels, which pay off only at high sparsity and on hardware built for it.
#
# **Structured pruning** removes whole pieces: a row of a `Linear`'s weight (one output feature), or an
# output channel of a `Conv2d` (`weight[c]`, a `(C_in, kH, kW)` block). A row of zeros makes an output that
# is always the bias, so the row can be cut out and the next layer's matching column with it: the result
# is a **smaller dense layer**, faster with any kernel.
#
# Which rows? The ones with the smallest **Ln norm** (`n = 1` or `2` usually), computed over everything
# **except** the pruned dimension `dim`: for a `Linear` weight `(out, in)` pruned along `dim=0`, one norm
# per row over its `in` entries; for a `Conv2d` weight `(C_out, C_in, kH, kW)` along `dim=0`, one norm per
# output channel over `C_in · kH · kW` numbers. `amount` counts channels (a fraction of `t.shape[dim]`,
# rounded as in Part 1). You write `LnStructured.compute_mask`; the norm helper is given.

# %%
#| export
def _ln_norm(t, n, axis):
    """The Ln norm of t over `axis` (a tuple): n a number (inf and -inf are max and min of |t|) or "fro"."""
    a = np.abs(np.asarray(t, dtype=np.float64))
    if n == "fro":
        n = 2
    if n == np.inf:
        return a.max(axis=axis)
    if n == -np.inf:
        return a.min(axis=axis)
    if n == 0:
        return (a != 0).sum(axis=axis).astype(np.float64)
    return (a ** n).sum(axis=axis) ** (1.0 / n)


class LnStructured(BasePruningMethod):
    """Prune the `amount` channels along `dim` with the smallest Ln norm (rows of a Linear weight with dim=0,
    output channels of a Conv2d weight with dim=0)."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _validate_amount(amount)
        self.amount, self.n, self.dim = amount, n, dim

    def compute_mask(self, t, default_mask):
        """default_mask with the `amount` channels of t along self.dim of smallest Ln norm zeroed."""
        t = np.asarray(t)
        if t.ndim <= 1:
            raise ValueError(f"Structured pruning can only be applied to multidimensional tensors. Found tensor "
                             f"of shape {t.shape} with {t.ndim} dims")
        if not -t.ndim <= self.dim < t.ndim:
            raise IndexError(f"Invalid index {self.dim} for tensor of size {t.shape}")
        dim = self.dim % t.ndim
        size = t.shape[dim]
        count = self.amount if isinstance(self.amount, numbers.Integral) else round(self.amount * size)
        _check_count(count, size)
        mask = np.array(default_mask, dtype=t.dtype, copy=True)
        # HINT 1: One norm per channel: reduce over every axis except `dim`, so you get t.shape[dim] numbers.
        # HINT 1: Keep the size - count channels with the LARGEST norms (ties: lowest index first); zero every
        # HINT 1: other channel of the mask, entire, while entries the default mask already zeroed stay zero.
        # HINT 2: `_ln_norm(t, self.n, axis=...)` with a tuple of the other axes; a stable `np.argsort` of the
        # HINT 2: negated norms; a 0/1 array `keep` of length size, reshaped to 1 everywhere but at `dim`
        # HINT 2: (`[-1 if a == dim else 1 for a in ...]`) so multiplying broadcasts it over each channel.
        ### BEGIN SOLUTION
        norms = _ln_norm(t, self.n, axis=tuple(a for a in range(t.ndim) if a != dim))
        keep = np.zeros(size, dtype=t.dtype)
        keep[np.argsort(-norms, kind="stable")[:size - count]] = 1
        mask *= keep.reshape([-1 if a == dim else 1 for a in range(t.ndim)])
        ### END SOLUTION
        return mask


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune the `amount` channels of module.<name> along `dim` with the smallest Ln norm (see l1_unstructured
    for what is added to the module); returns module."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune across several tensors at once: `parameters` is an iterable of (module, name); the smallest
    entries of all of them together go (pruning_method=L1Unstructured, amount=...)."""
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                        f"{pruning_method} of type {method.PRUNING_TYPE}")
    scores = np.concatenate([np.asarray(importance_scores.get((module, name), getattr(module, name)).data).reshape(-1)
                             for module, name in parameters])
    masks = [getattr(module, name + "_mask").data if hasattr(module, name + "_mask")
             else np.ones(getattr(module, name).shape, dtype=scores.dtype) for module, name in parameters]
    container = PruningContainer()
    container._tensor_name = "temp"
    container.add_pruning_method(method)
    final = container.compute_mask(scores, np.concatenate([m.reshape(-1) for m in masks]).astype(scores.dtype))
    start = 0
    for module, name in parameters:
        size = getattr(module, name).numel()
        custom_from_mask(module, name, final[start:start + size].reshape(getattr(module, name).shape))
        start += size


# %% [markdown]
# ### Check Part 3
# Rows of a `Linear` weight (`dim=0`) and columns (`dim=1`), output channels of a 4-D conv weight, norms
# 1, 2 and inf, fractions and counts, and structured pruning on top of an earlier mask.

# %%
from tinytorch.checks.compression import check_ln_structured

check_ln_structured(LnStructured)

# %% [markdown]
# ## Part 4 · Knowledge distillation
#
# A big **teacher** network's output says more than its top answer: for a blurry 7 it may give 0.80 to
# "7", 0.15 to "1" and almost nothing to "0". Those small probabilities (which wrong answers are nearly
# right) are information the one-hot label does not carry. Hinton, Vinyals and Dean (2015) train a small
# **student** to match them. Two ingredients:
#
# * a **temperature** `T`: divide the logits by `T > 1` before the softmax, so the small probabilities grow
#   large enough to learn from: `p = softmax(teacher / T)`, `log q = log_softmax(student / T)`;
# * the KL divergence **from the teacher to the student**, `KL(p ‖ q) = Σ p · (log p − log q)`, averaged
#   over the batch (PyTorch's `F.kl_div(log_q, p, reduction="batchmean")`). Its gradient with respect to
#   the student's logits shrinks like `1/T²`, so the term is multiplied by `T²` to keep its weight against
#   the label loss whatever `T` is.
#
# ```text
# loss = alpha · T² · KL(softmax(teacher/T) ‖ softmax(student/T)) + (1 − alpha) · CE(student, labels)
# ```
#
# The student's side is a `log_softmax` (stable, and what KL needs); the teacher gives no gradient (its
# logits are detached). With `alpha = 0` this is plain cross-entropy. You write `distillation_loss`.

# %%
#| export
def distillation_loss(student_logits, teacher_logits, target, temperature=4.0, alpha=0.9):
    """Hinton et al. (2015): alpha · T² · KL(softmax(teacher/T) ‖ softmax(student/T)) (mean over the batch) +
    (1 − alpha) · cross_entropy(student_logits, target). Logits (B, C); target (B,) int64 class indices. The
    teacher is detached. The course's own function (PyTorch has none; it is written with F.kl_div there)."""
    if not isinstance(temperature, numbers.Real) or isinstance(temperature, bool) or temperature <= 0:
        raise ValueError(f"distillation_loss: temperature must be a positive number, got {temperature!r}")
    if not isinstance(alpha, numbers.Real) or isinstance(alpha, bool) or not 0.0 <= alpha <= 1.0:
        raise ValueError(f"distillation_loss: alpha must be in [0, 1], got {alpha!r}")
    if tuple(student_logits.shape) != tuple(teacher_logits.shape) or student_logits.ndim != 2:
        raise ValueError(f"distillation_loss: student logits {tuple(student_logits.shape)} and teacher logits "
                         f"{tuple(teacher_logits.shape)} must both be (batch, classes)")
    from tinytorch.nn.functional import cross_entropy, log_softmax, softmax  # tinytorch.nn imports this module
    teacher = teacher_logits.detach()
    T, batch = float(temperature), student_logits.shape[0]
    # HINT 1: Soften both with the temperature. The KL term sums, over classes, the teacher's probability times
    # HINT 1: (its log-probability minus the student's log-probability), averaged over the BATCH (not over
    # HINT 1: batch x classes); scale it by T squared and by alpha, and add (1 - alpha) times the ordinary
    # HINT 1: cross-entropy of the unsoftened student logits with the labels.
    # HINT 2: `softmax(teacher / T, dim=1)` and `log_softmax(teacher / T, dim=1)` for the teacher,
    # HINT 2: `log_softmax(student_logits / T, dim=1)` for the student; Tensor arithmetic, `.sum()` and a
    # HINT 2: division by `batch`; `cross_entropy(student_logits, target)`.
    ### BEGIN SOLUTION
    p = softmax(teacher / T, dim=1)
    kl = (p * (log_softmax(teacher / T, dim=1) - log_softmax(student_logits / T, dim=1))).sum() / batch
    return kl * (alpha * T * T) + cross_entropy(student_logits, target) * (1.0 - alpha)
    ### END SOLUTION


def sparse_nbytes(weight, index_bytes=4, value_bytes=4):
    """Bytes of a 2-D weight (or a flattened one) stored in CSR: the non-zero values, their column indices and
    one row pointer per row plus one."""
    w = np.asarray(getattr(weight, "data", weight))
    w = w.reshape(w.shape[0], -1) if w.ndim > 1 else w.reshape(1, -1)
    nnz = int(np.count_nonzero(w))
    return nnz * (value_bytes + index_bytes) + (w.shape[0] + 1) * index_bytes


# %% [markdown]
# ### Check Part 4
# Values against a numpy formula for several temperatures and alphas (with a hint when yours matches a
# known mistake: no `T²`, the KL reversed, softmax in place of log_softmax), the gradient of the student's
# logits against finite differences, and no gradient for the teacher.

# %%
from tinytorch.checks.compression import check_distillation_loss

check_distillation_loss(distillation_loss)

# %% [markdown]
# ## Use it · pruning a digits classifier, and distilling a CNN into a small MLP
#
# The data is TinyDigits (8×8 images, 1,438 for training and 359 for testing). First an MLP like Milestone
# 1986's, trained for a few epochs with Adam. The helpers below are a plain training loop (module 08) that
# can take another loss, which distillation needs.

# %%
import copy
import time

import tinytorch
from tinytorch import CrossEntropyLoss, Linear, ReLU, Sequential, Tensor, no_grad
from tinytorch.datasets import load_tinydigits
from tinytorch.nn import Conv2d, Flatten, MaxPool2d
from tinytorch.nn.utils import prune
from tinytorch.optim import Adam

(train_images, train_labels), (test_images, test_labels) = load_tinydigits()
X_train, X_test = train_images.reshape(-1, 64), test_images.reshape(-1, 64)
print(f"train {X_train.shape}, test {X_test.shape}")


def train(model, X, y, epochs, lr=0.01, seed=0, loss_fn=None):
    """Adam on shuffled batches of 64; loss_fn(logits, batch_indices, targets) replaces cross-entropy if given."""
    rng = np.random.default_rng(seed)
    optimizer, cross_entropy = Adam(model.parameters(), lr=lr), CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), 64):
            batch = order[start:start + 64]
            targets = Tensor(y[batch], dtype=np.int64)
            logits = model(Tensor(X[batch]))
            loss = cross_entropy(logits, targets) if loss_fn is None else loss_fn(logits, batch, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


def accuracy(model, X, y):
    model.eval()
    with no_grad():
        return float((model(Tensor(X)).data.argmax(axis=1) == y).mean())


cell_start = time.perf_counter()
tinytorch.manual_seed(0)
mlp = train(Sequential(Linear(64, 128), ReLU(), Linear(128, 64), ReLU(), Linear(64, 10)), X_train, train_labels, 8)
print(f"MLP: test accuracy {accuracy(mlp, X_test, test_labels):.1%}, "
      f"{sum(p.numel() for p in mlp.parameters()):,} parameters")
print(f"(cell took {time.perf_counter() - cell_start:.2f} s)")

# %% [markdown]
# ### Sparsity against accuracy
# Prune every `Linear` of a copy of the model by L1 magnitude, measure, then fine-tune one epoch (the
# mask stays: that is Part 2's point) and measure again. The optimizer is built **after** pruning, so it
# trains `weight_orig`; the pruned entries get zero gradient.

# %%
cell_start = time.perf_counter()
linears = [0, 2, 4]  # the positions of the Linear layers in the Sequential
sparsity_rows = []
print(f"{'sparsity':>8} {'pruned':>8} {'fine-tuned 1 epoch':>19} {'zeros after fine-tuning':>24}")
for amount in (0.0, 0.5, 0.7, 0.8, 0.9, 0.95):
    model = copy.deepcopy(mlp)
    for i in linears:
        prune.l1_unstructured(model[i], "weight", amount=amount)
    before = accuracy(model, X_test, test_labels)
    train(model, X_train, train_labels, 1, lr=0.001, seed=1)
    after = accuracy(model, X_test, test_labels)
    zeros = sum(int((model[i].weight.data == 0).sum()) for i in linears) / sum(model[i].weight.numel() for i in linears)
    sparsity_rows.append((amount, before, after))
    print(f"{amount:>8.0%} {before:>8.1%} {after:>19.1%} {zeros:>24.1%}")
print(f"(cell took {time.perf_counter() - cell_start:.2f} s)")

# %% [markdown]
# Half the weights go for free; at 70–80% the pruned model loses accuracy but one epoch of fine-tuning
# brings most of it back (the surviving weights learn to cover for the missing ones), and past 90% too
# little is left. The zeros after fine-tuning are exactly the pruned fraction: the mask held.
# (Pruning by magnitude, whole-model fine-tuning and repeating prune–fine-tune in small steps is the recipe
# of Han et al., 2015; the iterative version reaches higher sparsity than one big cut.)
#
# ### Structured: rows of the first layer
# Now remove whole hidden units: rows of the first layer's weight (`dim=0`, L2 norm). A pruned row makes a
# hidden unit whose output is its bias alone, after ReLU a constant.

# %%
cell_start = time.perf_counter()
print(f"{'rows pruned':>11} {'of 128':>7} {'pruned':>8} {'fine-tuned':>11}")
for rows in (0, 32, 64, 96, 112):
    model = copy.deepcopy(mlp)
    prune.ln_structured(model[0], "weight", amount=rows, n=2, dim=0)
    before = accuracy(model, X_test, test_labels)
    train(model, X_train, train_labels, 1, lr=0.001, seed=1)
    print(f"{rows:>11} {rows / 128:>7.0%} {before:>8.1%} {accuracy(model, X_test, test_labels):>11.1%}")
print(f"(cell took {time.perf_counter() - cell_start:.2f} s)")

# %% [markdown]
# ### Making it permanent and smaller
# `prune.remove` folds the mask into a plain `weight` Parameter. For structured pruning we can go further
# and **cut** the pruned rows out: a `Linear(64, k)` with the surviving rows (and their biases), and a next
# layer `Linear(k, 64)` with the matching columns. The pruned units only ever fed `relu(bias)` forward, so
# we fold that constant into the next layer's bias: the small model computes exactly the same function.

# %%
def shrink_first_layer(model):
    """A copy of `model` (Linear, ReLU, Linear, ...) whose first layer keeps only its non-zero rows."""
    small = copy.deepcopy(model)  # the model itself stays pruned
    prune.remove(small[0], "weight")
    W, b = small[0].weight.data, small[0].bias.data
    kept = np.flatnonzero(np.abs(W).sum(axis=1))
    dropped = np.setdiff1d(np.arange(W.shape[0]), kept)
    first, second = Linear(64, len(kept)), Linear(len(kept), small[2].out_features)
    first.weight.data[...], first.bias.data[...] = W[kept], b[kept]
    W2, b2 = small[2].weight.data, small[2].bias.data
    second.weight.data[...] = W2[:, kept]
    second.bias.data[...] = b2 + W2[:, dropped] @ np.maximum(b[dropped], 0)  # the constant the pruned units gave
    rest = list(small.children())[3:]
    return Sequential(first, ReLU(), second, *rest)


pruned = copy.deepcopy(mlp)
prune.ln_structured(pruned[0], "weight", amount=64, n=2, dim=0)
small = shrink_first_layer(pruned)
with no_grad():
    same = np.allclose(pruned(Tensor(X_test)).data, small(Tensor(X_test)).data, atol=1e-4)
print(small)
print(f"pruned (masked) and cut-down models give the same logits: {same}")
print(f"parameters: {sum(p.numel() for p in mlp.parameters()):,} dense, {sum(p.numel() for p in small.parameters()):,} "
      f"after cutting 64 of 128 rows")
assert same

# %% [markdown]
# ### Distillation: a CNN teacher, a small MLP student
# The teacher is a small CNN (two convolutions); the student an MLP with 16 hidden units. Each student is
# trained twice with the same seed and the same number of steps: on the labels alone, and with
# `distillation_loss` against the teacher's logits (computed once, without a graph). We try it on all the
# training images and on only 100 of them, where the labels alone say little.

# %%
cell_start = time.perf_counter()
tinytorch.manual_seed(0)
teacher = Sequential(Conv2d(1, 8, 3, padding=1), ReLU(), MaxPool2d(2), Conv2d(8, 16, 3, padding=1), ReLU(),
                     MaxPool2d(2), Flatten(), Linear(64, 10))
train(teacher, train_images[:, None], train_labels, 4)
teacher.eval()
with no_grad():
    teacher_logits = teacher(Tensor(train_images[:, None])).data
teacher_accuracy = accuracy(teacher, test_images[:, None], test_labels)
print(f"teacher CNN: test accuracy {teacher_accuracy:.1%}, {sum(p.numel() for p in teacher.parameters()):,} parameters "
      f"(trained in {time.perf_counter() - cell_start:.2f} s)")
student_shape = Sequential(Linear(64, 16), ReLU(), Linear(16, 10))  # the students' architecture
teacher_bytes = sum(p.data.nbytes for p in teacher.parameters())
student_bytes = sum(p.data.nbytes for p in student_shape.parameters())
print(f"teacher {teacher_bytes:,} bytes of parameters, student {student_bytes:,} ({teacher_bytes / student_bytes:.1f}x "
      "fewer)")


def student_accuracies(examples, distill, epochs, seeds=(0, 1, 2), temperature=2.0, alpha=0.5):
    """Test accuracy of a 64-16-10 student per seed, trained on `examples` training images."""
    X, y, soft = X_train[examples], train_labels[examples], teacher_logits[examples]
    loss_fn = (lambda logits, batch, targets: distillation_loss(logits, Tensor(soft[batch]), targets,
                                                               temperature=temperature, alpha=alpha)) if distill else None
    results = []
    for seed in seeds:  # the same seeds, batches and steps with and without the teacher
        tinytorch.manual_seed(seed)
        student = Sequential(Linear(64, 16), ReLU(), Linear(16, 10))
        results.append(accuracy(train(student, X, y, epochs, seed=10 + seed, loss_fn=loss_fn), X_test, test_labels))
    return np.array(results)


cell_start = time.perf_counter()
distill_rows = {}
for label, examples, epochs in (("all 1,438 images", np.arange(len(train_labels)), 6),
                                ("100 images", np.random.default_rng(0).permutation(len(train_labels))[:100], 40)):
    plain = student_accuracies(examples, False, epochs)
    distilled = student_accuracies(examples, True, epochs)
    distill_rows[label] = (plain, distilled)
    print(f"{label:>17}: labels only {plain.mean():.1%} {np.round(plain * 100, 1)}, "
          f"distilled {distilled.mean():.1%} {np.round(distilled * 100, 1)}")
print(f"(cell took {time.perf_counter() - cell_start:.2f} s)")

# %% [markdown]
# With all the labels, this clean little dataset leaves a student little to learn from the teacher: the two
# students are within the spread between seeds. With only 100 labelled images the teacher's soft targets
# help clearly, every seed: which wrong digits look alike is information 100 one-hot labels do not give.
# That is the regime where distillation earns its keep: a student that must generalise from what a teacher
# knows rather than from plentiful labels (Hinton et al. report the same effect with 3% of a speech
# dataset).
#
# ## Systems analysis · measured
#
# ### 1. Zeros are not free: a 90%-sparse layer against a smaller dense one
# Time `x @ W.T` for a dense `W` (256 × 256), the same `W` with 90% of its entries zeroed at random, and
# `W` with 90% of its **rows** removed (26 × 256, a smaller dense matrix). And the same through tinytorch
# `Linear` layers: pruned with `l1_unstructured`, pruned and made permanent with `prune.remove`, and cut.

# %%
from tinytorch.core.profiling import conv2d_flops, linear_flops
from tinytorch.timing import time_per_call

cell_start = time.perf_counter()
rng = np.random.default_rng(16)
x = rng.standard_normal((64, 256)).astype(np.float32)
W = rng.standard_normal((256, 256)).astype(np.float32)
W_sparse = W * (rng.random(W.shape) >= 0.9)
W_rows = W[:26].copy()
dense_t, sparse_t, rows_t = (time_per_call(lambda M=M: x @ M.T) for M in (W, W_sparse, W_rows))
print(f"numpy x @ W.T, x (64, 256):  dense {dense_t * 1e6:8.1f} us   90% zeros {sparse_t * 1e6:8.1f} us "
      f"({dense_t / sparse_t:.2f}x)   26 rows {rows_t * 1e6:8.1f} us ({dense_t / rows_t:.1f}x)")

tinytorch.manual_seed(1)
layer = Linear(256, 256)
masked = copy.deepcopy(layer)
prune.l1_unstructured(masked, "weight", amount=0.9)
permanent = prune.remove(copy.deepcopy(masked), "weight")
cut = Linear(256, 26)
X = Tensor(x)
with no_grad():
    timings = {name: time_per_call(lambda m=m: m(X)) for name, m in
               (("dense Linear(256, 256)", layer), ("pruned 90%, mask + hook", masked),
                ("pruned 90%, prune.remove", permanent), ("cut to Linear(256, 26)", cut))}
for name, seconds in timings.items():
    print(f"{name:>26}: {seconds * 1e6:8.1f} us per forward ({timings['dense Linear(256, 256)'] / seconds:.2f}x dense)")
print(f"(cell took {time.perf_counter() - cell_start:.2f} s)")

# %% [markdown]
# The 90%-zero matrix costs what the dense one costs (1.01x in our CPython run, 1.02x under Pyodide; one
# noisy Pyodide run even had it 2x slower): the kernel multiplies zeros like any other number.
# The pruned layer with its hook also computes `weight_orig * weight_mask` before every forward (one more
# 256 × 256 element-wise product: about 25% slower than dense in our CPython run); `prune.remove` takes
# that cost away, but leaves a dense matrix full of zeros. Only removing rows makes the product smaller, about
# in proportion to the rows kept (less than that for small matrices, where the fixed cost of a call weighs).
#
# ### 2. Bytes: dense against sparse storage
# Zeros do save **storage** once they are not written down. CSR (compressed sparse rows) keeps each
# non-zero value (4 bytes), its column index (4 bytes) and one row pointer per row: `8 · nnz + 4 · (rows + 1)`
# bytes, against `4 · rows · cols` dense. So CSR only saves bytes below a density of about one half. A bitmap
# (one bit per entry saying "non-zero", then the non-zero values) costs `rows · cols / 8 + 4 · nnz` and
# saves from a density of 31/32. Compute both for the MLP's weights at each sparsity of the curve above.

# %%
def model_weight_bytes(model, sparsity):
    """(dense, CSR, bitmap) bytes of the Linear weights of `model` pruned by L1 at `sparsity`."""
    pruned_model = copy.deepcopy(model)
    dense = csr = bitmap = 0
    for i in linears:
        prune.l1_unstructured(pruned_model[i], "weight", amount=sparsity)
        weight = pruned_model[i].weight.data
        dense += weight.nbytes
        csr += sparse_nbytes(weight)
        bitmap += weight.size // 8 + 4 * int(np.count_nonzero(weight))
    return dense, csr, bitmap


rows, cols = mlp[0].weight.shape
print(f"CSR beats dense for a {rows} x {cols} weight below a density of {0.5 - (rows + 1) / (2 * rows * cols):.3f}, "
      f"i.e. above {0.5 + (rows + 1) / (2 * rows * cols):.1%} sparsity")
print(f"{'sparsity':>8} {'accuracy (fine-tuned)':>22} {'dense bytes':>12} {'CSR bytes':>10} {'bitmap bytes':>13}")
for amount, _, after in sparsity_rows:
    dense, csr, bitmap = model_weight_bytes(mlp, amount)
    print(f"{amount:>8.0%} {after:>22.1%} {dense:>12,} {csr:>10,} {bitmap:>13,}")

# %% [markdown]
# At 50% sparsity CSR is no smaller than dense (the index costs as much as the value); at 90% it is about
# 5x smaller, but that model has lost most of its accuracy. At 70%, where one epoch of fine-tuning brings the
# model back to about 95%, the weights shrink 1.6x in CSR and 3x as a bitmap. Downloading a model into a
# browser page is where those bytes matter; running it still costs the dense time unless the rows go.
#
# ### 3. Teacher and student: bytes and FLOPs per image
# The CNN teacher has few parameters (convolutions share their weights across positions) but much work per
# image; count both with module 14's FLOP formulas.

# %%
teacher_flops = (conv2d_flops(1, 1, 8, 3, (8, 8), padding=1) + conv2d_flops(1, 8, 16, 3, (4, 4), padding=1)
                 + linear_flops(1, 64, 10))
student_flops = linear_flops(1, 64, 16) + linear_flops(1, 16, 10)
print(f"{'':>8} {'parameters':>10} {'bytes':>7} {'FLOPs per image':>16}")
print(f"{'teacher':>8} {sum(p.numel() for p in teacher.parameters()):>10,} {teacher_bytes:>7,} {teacher_flops:>16,}")
print(f"{'student':>8} {sum(p.numel() for p in student_shape.parameters()):>10,} {student_bytes:>7,} {student_flops:>16,}")
print(f"the student: {teacher_bytes / student_bytes:.1f}x fewer bytes, {teacher_flops / student_flops:.0f}x fewer FLOPs "
      f"(test accuracies: the teacher {teacher_accuracy:.1%}, the students in the table above)")
with no_grad():
    images = Tensor(test_images[:, None])
    teacher_time = time_per_call(lambda: teacher(images), repeat=2)
    student_time = time_per_call(lambda: student_shape(Tensor(X_test)), repeat=2)
print(f"measured on the {len(test_labels)} test images: teacher {teacher_time * 1e3:.2f} ms, student "
      f"{student_time * 1e3:.2f} ms ({teacher_time / student_time:.0f}x)")

# %% [markdown]
# Parameters undersell the teacher's cost: it is only 1.6x larger in bytes but does about 20x the
# arithmetic of the student per image. Distillation moves a model from the expensive architecture to the
# cheap one, which, unlike scattered zeros, is a saving every kernel sees.
#
# ### 4. Profiling a pruned model
# The pre-hook runs inside `Module.__call__`, so module 14's profiler sees it: one more `Tensor.__mul__`
# per pruned layer and forward.

# %%
pruned_mlp = copy.deepcopy(mlp)
for i in linears:
    prune.l1_unstructured(pruned_mlp[i], "weight", amount=0.7)
with tinytorch.profiler.profile() as prof, no_grad():
    pruned_mlp(Tensor(X_test))
print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=6))
muls = [row.count for row in prof.key_averages() if row.key == "Tensor.__mul__"]
print(f"Tensor.__mul__ calls in one forward of the pruned MLP: {muls[0] if muls else 0} (one per pruned layer)")

# %% [markdown]
# ## Reflect
#
# Answer with a number first, then run the cell below to check.
#
# 1. `l1_unstructured(layer, "weight", amount=0.45)` on a `Linear(2, 5)`: how many weights are pruned?
# 2. Prune 50% of a weight, then 50% again: what fraction of it is zero?
# 3. A `Linear(256, 512)` pruned to 60% sparsity: how many bytes dense, how many in CSR (float32 values,
#    int32 indices)? Which is smaller?
# 4. With `temperature=2`, by what factor is the KL term multiplied? With `alpha=0`, what is
#    `distillation_loss` equal to?
# 5. From analysis 1, predict the time of a `Linear(256, 128)` (half the rows) on the same input, then
#    measure it.

# %%
from tinytorch.core.compression import L1Unstructured

print("1.", int((L1Unstructured(0.45).compute_mask(np.arange(1.0, 11.0).reshape(5, 2), np.ones((5, 2))) == 0).sum()),
      "weights (round(4.5) = 4: Python rounds halves to even)")
twice = Linear(8, 8)
prune.l1_unstructured(twice, "weight", amount=0.5)
prune.l1_unstructured(twice, "weight", amount=0.5)
print("2.", float((twice.weight.data == 0).mean()), "of the weights are zero (half of the surviving half again)")
wide = Linear(256, 512)
prune.l1_unstructured(wide, "weight", amount=0.6)
nnz = 256 * 512 - round(0.6 * 256 * 512)
print("3.", 256 * 512 * 4, "bytes dense;", nnz * 8 + (512 + 1) * 4, "bytes in CSR by the formula,",
      sparse_nbytes(wide.weight), "counted on the pruned weight: CSR is smaller at 60% sparsity")
logits, teacher_out = Tensor(np.array([[1.0, 2.0, 0.5]])), Tensor(np.array([[0.2, 1.5, 0.0]]))
target = Tensor(np.array([1]), dtype=np.int64)
print("4.", 2.0 ** 2, "; alpha=0 gives", float(distillation_loss(logits, teacher_out, target, 2.0, 0.0).data),
      "= cross-entropy", float(CrossEntropyLoss()(logits, target).data))
half_layer = Linear(256, 128)
with no_grad():
    half = time_per_call(lambda: half_layer(X))
print(f"5. Linear(256, 128): {half * 1e6:.1f} us (dense {timings['dense Linear(256, 256)'] * 1e6:.1f} us, "
      f"26 rows {timings['cut to Linear(256, 26)'] * 1e6:.1f} us)")

# %% [markdown]
# **Next:** 19 Benchmarking asks when a measured speed-up like the cut layer's is real: repeated runs,
# warm-up and the noise between runs.
