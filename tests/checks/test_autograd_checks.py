"""Each module-06 check accepts the reference rules and rejects a deliberately wrong one (a mutant)."""
import numpy as np
import pytest

import tinytorch.core.autograd as ag
from tinytorch import Tensor
from tinytorch.checks import autograd as checks


def unbroadcast_leading_only(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(0)
    return grad


class MulSwapped(ag.Function):
    def backward(self, grad):
        a, b = self.inputs
        return ag.unbroadcast(grad * a.data, a.shape), ag.unbroadcast(grad * b.data, b.shape)


class DivMissingSign(ag.Function):
    def backward(self, grad):
        a, b = self.inputs
        return ag.unbroadcast(grad / b.data, a.shape), ag.unbroadcast(grad * a.data / b.data ** 2, b.shape)


class MatmulUntransposed(ag.Function):
    def backward(self, grad):
        a, b = self.inputs
        return grad @ b.data, a.data @ grad


class SumIgnoresKeepdim(ag.Function):
    def backward(self, grad):
        (x,) = self.inputs
        return (np.broadcast_to(grad, x.shape),)


class SigmoidWithoutOneMinus(ag.Function):
    def backward(self, grad):
        return (grad * self.output,)


class CrossEntropyNotAveraged(ag.CrossEntropyLossBackward0):
    def backward(self, grad):
        (result,) = super().backward(grad)
        return (result * len(self.inputs[0].data),) if self.reduction == "mean" else (result,)


class CrossEntropyWithoutMax(ag.CrossEntropyLossBackward0):
    def backward(self, grad):
        logits = self.inputs[0].data
        exps = np.exp(logits)  # no max subtracted: exp(1000) overflows
        probabilities = exps / exps.sum(axis=1, keepdims=True)
        probabilities[np.arange(len(logits)), self.target] -= 1
        scale = grad.reshape(-1, 1) if self.reduction == "none" else grad
        return (ag._reduce_scale(scale, self.reduction, len(logits)) * probabilities,)


class CrossEntropyGlobalMax(ag.CrossEntropyLossBackward0):
    def backward(self, grad):
        logits = self.inputs[0].data
        exps = np.exp(logits - logits.max())  # the largest logit of the batch, not of each row
        probabilities = exps / exps.sum(axis=1, keepdims=True)
        probabilities[np.arange(len(logits)), self.target] -= 1
        scale = grad.reshape(-1, 1) if self.reduction == "none" else grad
        return (ag._reduce_scale(scale, self.reduction, len(logits)) * probabilities,)


@pytest.mark.parametrize("mutant", [CrossEntropyWithoutMax, CrossEntropyGlobalMax])
def test_fused_backward_check_rejects_an_unstable_cross_entropy(mutant):
    with pytest.raises(AssertionError, match="each row's own max"):
        checks.check_fused_backward(ag.SigmoidBackward0, mutant)


class NoGradThatRecords:
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


RULES = dict(add=ag.AddBackward0, sub=ag.SubBackward0, mul=ag.MulBackward0, div=ag.DivBackward0)


def test_reference_rules_pass(capsys):
    checks.check_unbroadcast(ag.unbroadcast)
    checks.check_arithmetic_backward(*RULES.values())
    checks.check_matmul_and_sum_backward(ag.MmBackward0, ag.SumBackward0)
    checks.check_fused_backward(ag.SigmoidBackward0, ag.CrossEntropyLossBackward0)
    checks.check_autograd_engine(Tensor, ag.no_grad)
    assert capsys.readouterr().out.count("✅") == 5


@pytest.mark.parametrize("run", [
    lambda: checks.check_unbroadcast(unbroadcast_leading_only),
    lambda: checks.check_arithmetic_backward(*dict(RULES, mul=MulSwapped).values()),
    lambda: checks.check_arithmetic_backward(*dict(RULES, div=DivMissingSign).values()),
    lambda: checks.check_matmul_and_sum_backward(MatmulUntransposed, ag.SumBackward0),
    lambda: checks.check_matmul_and_sum_backward(ag.MmBackward0, SumIgnoresKeepdim),
    lambda: checks.check_fused_backward(SigmoidWithoutOneMinus, ag.CrossEntropyLossBackward0),
    lambda: checks.check_fused_backward(ag.SigmoidBackward0, CrossEntropyNotAveraged),
    lambda: checks.check_autograd_engine(Tensor, NoGradThatRecords),
], ids=["unbroadcast", "mul", "div", "matmul", "sum", "sigmoid", "cross_entropy", "no_grad"])
def test_check_rejects_a_wrong_rule(run):
    with pytest.raises(AssertionError, match="Part"):
        run()


def _assigning_backward(self, gradient=None):
    """The engine with one bug: leaves' .grad is assigned, not accumulated."""
    grads = {id(self): np.ones(self.shape, dtype=self.dtype)}
    for tensor in reversed(ag.topological_order(self)):
        grad = grads.pop(id(tensor), None)
        if grad is None:
            continue
        if tensor.grad_fn is None:
            tensor.grad = Tensor(np.array(grad), dtype=tensor.dtype)
            continue
        for parent, parent_grad in zip(tensor.grad_fn.inputs, tensor.grad_fn.backward(grad)):
            if parent_grad is not None and parent.requires_grad:
                grads[id(parent)] = grads.get(id(parent), 0) + parent_grad


def _recursive_topological_order(root, seen=None, order=None):
    seen, order = (set(), []) if seen is None else (seen, order)
    if id(root) not in seen:
        seen.add(id(root))
        for parent in (root.grad_fn.inputs if root.grad_fn else ()):
            if parent.requires_grad:
                _recursive_topological_order(parent, seen, order)
        order.append(root)
    return order


def test_engine_check_rejects_assignment_instead_of_accumulation(monkeypatch):
    monkeypatch.setattr(Tensor, "backward", _assigning_backward)
    with pytest.raises(AssertionError, match="accumulates"):
        checks.check_autograd_engine(Tensor, ag.no_grad)


def test_engine_check_rejects_a_recursive_sort(monkeypatch):
    monkeypatch.setattr(ag, "topological_order", _recursive_topological_order)
    with pytest.raises(AssertionError, match="10,000"):
        checks.check_autograd_engine(Tensor, ag.no_grad)


def topological_order_without_visited_set(root):
    order, stack = [], [(root, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        stack.append((tensor, True))
        if tensor.grad_fn is not None:
            stack.extend((t, False) for t in tensor.grad_fn.inputs if t.requires_grad)
    return order


def topological_order_marking_on_push(root):
    order, visited, stack = [], {id(root)}, [(root, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        stack.append((tensor, True))
        for t in (tensor.grad_fn.inputs if tensor.grad_fn is not None else ()):
            if t.requires_grad and id(t) not in visited:
                visited.add(id(t))
                stack.append((t, False))
    return order


@pytest.mark.parametrize("mutant, reason", [
    (topological_order_without_visited_set, "mark a tensor visited"),
    (topological_order_marking_on_push, "comes before one of its inputs"),
])
def test_topological_order_check_rejects_realistic_sorts(mutant, reason):
    with pytest.raises(AssertionError, match=reason):
        checks.check_topological_order(mutant)


def test_topological_order_check_accepts_the_reference(capsys):
    checks.check_topological_order(ag.topological_order)
    assert "✅" in capsys.readouterr().out


def test_a_crashing_rule_is_reported_with_the_case_tried_and_the_learners_own_line():
    class SumWithoutRestoringDims(ag.SumBackward0):
        def backward(self, grad):
            (x,) = self.inputs
            return (np.broadcast_to(grad, x.shape),)  # THE LEARNER'S LINE

    with pytest.raises(AssertionError) as raised:
        checks.check_matmul_and_sum_backward(ag.MmBackward0, SumWithoutRestoringDims)
    message = str(raised.value)
    assert "while trying SumBackward0, sum(dim=1, keepdim=False)" in message
    assert "THE LEARNER'S LINE" in message and "in backward" in message
    assert "tinytorch/checks" not in message  # the check's own frames stay out


def test_a_rule_that_changes_its_upstream_gradient_cannot_fake_the_expected_value():
    class MulScalingGradInPlace(ag.MulBackward0):
        def backward(self, grad):
            grad *= 2  # mutates the array it was handed
            return super().backward(grad)

    with pytest.raises(AssertionError, match="MulBackward0"):
        checks.check_arithmetic_backward(ag.AddBackward0, ag.SubBackward0, MulScalingGradInPlace, ag.DivBackward0)
