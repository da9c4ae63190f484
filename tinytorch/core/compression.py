"""Generated from content/16_compression.py by scripts/build_content.py: edit the source, not this file."""
# From content/16_compression.py, cell 2 (Part 1 · Magnitude pruning: the L1 mask)
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
        count = self.amount if isinstance(self.amount, numbers.Integral) else round(self.amount * t.size)
        _check_count(count, t.size)
        smallest = np.argsort(np.abs(t), axis=None, kind="stable")[:count]
        mask.reshape(-1)[smallest] = 0
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


# From content/16_compression.py, cell 6 (Part 2 · The reparametrisation: `weight_orig`, `weight_mask` and a pre-hook)
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


# From content/16_compression.py, cell 10 (Part 3 · Structured pruning: whole rows and channels)
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
        norms = _ln_norm(t, self.n, axis=tuple(a for a in range(t.ndim) if a != dim))
        keep = np.zeros(size, dtype=t.dtype)
        keep[np.argsort(-norms, kind="stable")[:size - count]] = 1
        mask *= keep.reshape([-1 if a == dim else 1 for a in range(t.ndim)])
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


# From content/16_compression.py, cell 14 (Part 4 · Knowledge distillation)
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
    p = softmax(teacher / T, dim=1)
    kl = (p * (log_softmax(teacher / T, dim=1) - log_softmax(student_logits / T, dim=1))).sum() / batch
    return kl * (alpha * T * T) + cross_entropy(student_logits, target) * (1.0 - alpha)


def sparse_nbytes(weight, index_bytes=4, value_bytes=4):
    """Bytes of a 2-D weight (or a flattened one) stored in CSR: the non-zero values, their column indices and
    one row pointer per row plus one."""
    w = np.asarray(getattr(weight, "data", weight))
    w = w.reshape(w.shape[0], -1) if w.ndim > 1 else w.reshape(1, -1)
    nnz = int(np.count_nonzero(w))
    return nnz * (value_bytes + index_bytes) + (w.shape[0] + 1) * index_bytes
