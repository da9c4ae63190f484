"""Each module-16 check accepts the reference and rejects realistic wrong implementations (mutants)."""
import numbers

import numpy as np

from tinytorch.checks import compression as checks
from tinytorch.core import compression as comp
from tinytorch.core.compression import L1Unstructured, LnStructured, PruningContainer, _check_count, _ln_norm
from tinytorch.core.tensor import Tensor

from mutants import make_mutant_tests


# Part 1 · L1Unstructured.compute_mask
def _count(amount, size, rounding=round):
    return amount if isinstance(amount, numbers.Integral) else rounding(amount * size)


class PrunesTheLargest(L1Unstructured):
    def compute_mask(self, t, default_mask):
        t, mask = np.asarray(t), np.array(default_mask, dtype=np.asarray(t).dtype, copy=True)
        count = _count(self.amount, t.size)
        _check_count(count, t.size)
        mask.reshape(-1)[np.argsort(-np.abs(t), axis=None, kind="stable")[:count]] = 0
        return mask


class TruncatesTheFraction(L1Unstructured):
    def compute_mask(self, t, default_mask):
        t, mask = np.asarray(t), np.array(default_mask, dtype=np.asarray(t).dtype, copy=True)
        count = _count(self.amount, t.size, rounding=int)
        _check_count(count, t.size)
        mask.reshape(-1)[np.argsort(np.abs(t), axis=None, kind="stable")[:count]] = 0
        return mask


class SignedNotAbsolute(L1Unstructured):
    def compute_mask(self, t, default_mask):
        t, mask = np.asarray(t), np.array(default_mask, dtype=np.asarray(t).dtype, copy=True)
        count = _count(self.amount, t.size)
        _check_count(count, t.size)
        mask.reshape(-1)[np.argsort(t, axis=None, kind="stable")[:count]] = 0  # -9 counted as small
        return mask


class ThresholdByMean(L1Unstructured):
    def compute_mask(self, t, default_mask):  # "prune what is below average": ignores amount
        t = np.asarray(t)
        return (np.abs(t) >= np.abs(t).mean()).astype(t.dtype) * np.asarray(default_mask, dtype=t.dtype)


# Part 2 · reparametrize
def mask_applied_once(cls, module, name, *args, importance_scores=None, **kwargs):
    """Zeroes the weights once, in place: no weight_orig, no mask, no hook."""
    method = cls(*args, **kwargs)
    weight = getattr(module, name)
    mask = method.compute_mask(np.asarray(weight.data), np.ones(weight.shape, dtype=weight.data.dtype))
    weight.data[...] = weight.data * mask
    return method


def no_hook(cls, module, name, *args, importance_scores=None, **kwargs):
    """orig and mask registered, weight = orig * mask computed once, but no pre-hook to recompute it."""
    method = cls(*args, **kwargs)
    method._tensor_name = name
    current = getattr(module, name)
    mask = method.compute_mask(np.asarray(current.data), np.ones(current.shape, dtype=current.data.dtype))
    module.register_parameter(name + "_orig", current)
    del module._parameters[name]
    module.register_buffer(name + "_mask", Tensor(mask))
    setattr(module, name, method.apply_mask(module))
    return method


def mask_as_plain_attribute(cls, module, name, *args, importance_scores=None, **kwargs):
    """Everything right except the mask: a plain attribute, so state_dict() loses it."""
    method = cls(*args, **kwargs)
    method._tensor_name = name
    current = getattr(module, name)
    mask = method.compute_mask(np.asarray(current.data), np.ones(current.shape, dtype=current.data.dtype))
    module.register_parameter(name + "_orig", current)
    del module._parameters[name]
    object.__setattr__(module, name + "_mask", Tensor(mask))
    setattr(module, name, method.apply_mask(module))
    module.register_forward_pre_hook(method)
    return method


def reprune_ignores_the_mask(cls, module, name, *args, importance_scores=None, **kwargs):
    """Pruning again starts from a mask of ones over the original weights: the first mask is forgotten."""
    method = cls(*args, **kwargs)
    method._tensor_name = name
    old_key, old = comp._pruning_hook(module, name)
    current = module._parameters[name + "_orig"] if old is not None else getattr(module, name)
    mask = method.compute_mask(np.asarray(current.data), np.ones(current.shape, dtype=current.data.dtype))
    if old is None:
        module.register_parameter(name + "_orig", current)
        del module._parameters[name]
    else:
        module._forward_pre_hooks.pop(old_key)
    module.register_buffer(name + "_mask", Tensor(mask))
    setattr(module, name, method.apply_mask(module))
    module.register_forward_pre_hook(method)
    return method


def weight_stays_a_parameter(cls, module, name, *args, importance_scores=None, **kwargs):
    """Keeps Parameter `weight` and also registers weight_orig (a copy): the optimizer trains both."""
    method = cls(*args, **kwargs)
    method._tensor_name = name
    current = getattr(module, name)
    mask = method.compute_mask(np.asarray(current.data), np.ones(current.shape, dtype=current.data.dtype))
    module.register_parameter(name + "_orig", type(current)(current.data.copy()))
    module.register_buffer(name + "_mask", Tensor(mask))
    current.data[...] = current.data * mask
    return method


# Part 3 · LnStructured.compute_mask
def _structured(norm_axes):
    class Mutant(LnStructured):
        def compute_mask(self, t, default_mask):
            t = np.asarray(t)
            dim = self.dim % t.ndim
            size = t.shape[dim]
            count = _count(self.amount, size)
            _check_count(count, size)
            mask = np.array(default_mask, dtype=t.dtype, copy=True)
            norms = norm_axes(self, t, dim)
            keep = np.zeros(size, dtype=t.dtype)
            keep[np.argsort(-norms, kind="stable")[:size - count]] = 1
            mask *= keep.reshape([-1 if a == dim else 1 for a in range(t.ndim)])
            return mask
    return Mutant


def _named(cls, name):
    cls.__name__ = cls.__qualname__ = name
    return cls


class NormOverTheWrongDim(LnStructured):
    def compute_mask(self, t, default_mask):
        t = np.asarray(t)
        dim = self.dim % t.ndim
        size = t.shape[dim]
        count = _count(self.amount, size)
        _check_count(count, size)
        mask = np.array(default_mask, dtype=t.dtype, copy=True)
        norms = _ln_norm(t, self.n, axis=(dim,))  # reduces over dim itself: one norm per entry of the other axes
        flat = norms.reshape(-1)
        keep = np.zeros(flat.size, dtype=t.dtype)
        keep[np.argsort(-flat, kind="stable")[:max(flat.size - count, 0)]] = 1
        shape = [1 if a == dim else t.shape[a] for a in range(t.ndim)]
        return mask * keep.reshape(shape)


def _other_axes(t, dim):
    return tuple(a for a in range(t.ndim) if a != dim)


L2Always = _named(_structured(lambda self, t, dim: _ln_norm(t, 2, axis=_other_axes(t, dim))), "L2Always")
KeepsTheSmallest = _named(_structured(lambda self, t, dim: -_ln_norm(t, self.n, axis=_other_axes(t, dim))),
                          "KeepsTheSmallest")


class IgnoresTheDefaultMask(LnStructured):
    def compute_mask(self, t, default_mask):
        return super().compute_mask(t, np.ones_like(np.asarray(t)))


# Part 4 · distillation_loss
def _distillation(kl_term, name):
    def distillation_loss(student_logits, teacher_logits, target, temperature=4.0, alpha=0.9):
        from tinytorch.nn.functional import cross_entropy, log_softmax, softmax
        teacher = teacher_logits.detach()
        T, batch = float(temperature), student_logits.shape[0]
        kl = kl_term(student_logits, teacher, T, batch, softmax, log_softmax)
        return kl * alpha + cross_entropy(student_logits, target) * (1.0 - alpha)
    distillation_loss.__name__ = name
    return distillation_loss


def _kl(s, t, T, batch, softmax, log_softmax):
    return (softmax(t / T, dim=1) * (log_softmax(t / T, dim=1) - log_softmax(s / T, dim=1))).sum() / batch


no_t_squared = _distillation(_kl, "no_t_squared")
kl_swapped = _distillation(lambda s, t, T, batch, softmax, log_softmax: T * T * (
    softmax(s / T, dim=1) * (log_softmax(s / T, dim=1) - log_softmax(t / T, dim=1))).sum() / batch, "kl_swapped")
softmax_student = _distillation(lambda s, t, T, batch, softmax, log_softmax: T * T * (
    softmax(t / T, dim=1) * (log_softmax(t / T, dim=1) - softmax(s / T, dim=1))).sum() / batch, "softmax_student")
mean_over_classes = _distillation(lambda s, t, T, batch, softmax, log_softmax: T * T * _kl(
    s, t, T, batch, softmax, log_softmax) / s.shape[1], "mean_over_classes")


def teacher_not_detached(student_logits, teacher_logits, target, temperature=4.0, alpha=0.9):
    from tinytorch.nn.functional import cross_entropy, log_softmax, softmax
    T, batch = float(temperature), student_logits.shape[0]
    kl = _kl(student_logits, teacher_logits, T, batch, softmax, log_softmax)
    return kl * (alpha * T * T) + cross_entropy(student_logits, target) * (1.0 - alpha)


CASES = [
    (checks.check_l1_mask, L1Unstructured, [
        (PrunesTheLargest, "prunes the largest"), (TruncatesTheFraction, "not int()"),
        (SignedNotAbsolute, "amount=3 (a count)"), (ThresholdByMean, "exact count")]),
    (checks.check_reparametrization, (comp.reparametrize, L1Unstructured), [
        ((mask_applied_once, L1Unstructured), "weight_orig must be a Parameter"),
        ((no_hook, L1Unstructured), "no forward pre-hook"),
        ((mask_as_plain_attribute, L1Unstructured), "must be a buffer"),
        ((reprune_ignores_the_mask, L1Unstructured), "must start from the existing weight_mask"),
        ((weight_stays_a_parameter, L1Unstructured), "no longer be a Parameter")]),
    (checks.check_ln_structured, LnStructured, [
        (NormOverTheWrongDim, "wrong dim"), (L2Always, "n=1"), (KeepsTheSmallest, "keep the largest"),
        (IgnoresTheDefaultMask, "default mask")]),
    (checks.check_distillation_loss, comp.distillation_loss, [
        (no_t_squared, "T² factor is missing"), (kl_swapped, "KL direction is swapped"),
        (softmax_student, "softmax where it needs log_softmax"), (mean_over_classes, "batchmean"),
        (teacher_not_detached, "detach")]),
]

test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)


def test_pruning_container_mutant_helpers_are_the_real_ones():
    """The mutants reuse the module's own helpers, so only their one mistake differs from the reference."""
    assert comp.PruningContainer is PruningContainer and comp._check_count is _check_count
