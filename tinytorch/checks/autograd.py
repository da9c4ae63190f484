"""Checks for module 06 (Autograd): every rule is compared with finite differences in float64."""
import numpy as np

from tinytorch.checks import assert_close, assert_raises, check, numerical_gradient, trying, without_numpy_warnings
from tinytorch.core.tensor import Tensor


def _float64(array):
    """An input whose gradient the check asks for: so it requires grad, as it would in a real graph."""
    return Tensor(np.asarray(array, dtype=np.float64), dtype=np.float64, requires_grad=True)


def _rule_matches_finite_differences(function_class, forward, arrays, what, grad_seed=0, **saved):
    """function_class(*inputs, **saved).backward(g) must equal the numerical gradient of sum(g * forward)."""
    rng = np.random.default_rng(grad_seed)
    inputs = [_float64(a) for a in arrays]
    output = forward(*arrays)
    upstream = rng.standard_normal(np.shape(output))
    with trying(what):
        grads = function_class(*inputs, **saved).backward(upstream.copy())  # a copy: a rule may not change it
    assert len(grads) == len(arrays), f"{what}: backward should return {len(arrays)} gradients, got {len(grads)}"
    for position, (grad, array) in enumerate(zip(grads, arrays)):
        def loss(varied, position=position):
            values = list(arrays)
            values[position] = varied
            return float(np.sum(upstream * forward(*values)))
        assert_close(grad, numerical_gradient(loss, np.asarray(array, dtype=np.float64)),
                     f"{what}: gradient of input {position} (shape {np.shape(array)})", rtol=1e-5, atol=1e-6)


@check("Part 7 · topological order")
def check_topological_order(topological_order):
    # y = y + y twelve times: 13 tensors, but 2**12 paths from the top to the leaf
    leaf = Tensor([1.0], requires_grad=True)
    y = leaf
    for _ in range(12):
        y = y + y
    order = topological_order(y)
    assert len({id(t) for t in order}) == len(order), \
        (f"y = y + y repeated 12 times: the order lists {len(order)} entries but only "
         f"{len({id(t) for t in order})} different tensors; mark a tensor visited and skip it when it comes "
         "again (without that, a graph that reuses values, like a residual network, grows exponentially)")
    assert len(order) == 13, f"y = y + y repeated 12 times has 13 tensors; the order has {len(order)}"
    # a diamond with branches of unequal depth: d = a + ((a * 2) * 3)
    a = Tensor([1.0], requires_grad=True)
    b = a * 2
    c = b * 3
    d = a + c
    order = topological_order(d)
    place = {id(t): i for i, t in enumerate(order)}
    for tensor, name in [(a, "a"), (b, "b = a * 2"), (c, "c = b * 3"), (d, "d = a + c")]:
        assert id(tensor) in place, f"d = a + ((a * 2) * 3): {name} is missing from the order"
    for tensor, inputs, name in [(b, [a], "b = a * 2"), (c, [b], "c = b * 3"), (d, [a, c], "d = a + c")]:
        for earlier in inputs:
            assert place[id(earlier)] < place[id(tensor)], \
                (f"d = a + ((a * 2) * 3): {name} comes before one of its inputs; emit a tensor only after all of "
                 "its inputs are done (mark it visited when it is first popped, not when it is pushed)")
    assert order[-1] is d, "the root comes last in a topological order"


@check("Part 2 · unbroadcast")
def check_unbroadcast(unbroadcast):
    grad = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    for shape in [(2, 3, 4), (4,), (3, 4), (3, 1), (1, 4), (2, 1, 4), (1,), ()]:
        expected = grad
        while expected.ndim > len(shape):
            expected = expected.sum(0)
        for dim, size in enumerate(shape):
            if size == 1:
                expected = expected.sum(dim, keepdims=True)
        assert_close(unbroadcast(grad, shape), expected, f"unbroadcast(grad of shape (2, 3, 4), {shape})")


@check("Part 3 · backward of + - * /")
def check_arithmetic_backward(AddBackward0, SubBackward0, MulBackward0, DivBackward0):
    rng = np.random.default_rng(3)
    a, b, row = rng.standard_normal((3, 4)), rng.uniform(0.5, 2.0, (3, 4)), rng.uniform(0.5, 2.0, (4,))
    for name, rule, forward in [("AddBackward0", AddBackward0, np.add), ("SubBackward0", SubBackward0, np.subtract),
                                ("MulBackward0", MulBackward0, np.multiply), ("DivBackward0", DivBackward0, np.divide)]:
        _rule_matches_finite_differences(rule, forward, [a, b], f"{name}, shapes (3, 4) and (3, 4)")
        _rule_matches_finite_differences(rule, forward, [a, row], f"{name}, shapes (3, 4) and (4,) (broadcast)")


@check("Part 4 · backward of matmul and sum")
def check_matmul_and_sum_backward(MmBackward0, SumBackward0):
    rng = np.random.default_rng(4)
    for shapes in [((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,))]:
        arrays = [rng.standard_normal(s) for s in shapes]
        _rule_matches_finite_differences(MmBackward0, np.matmul, arrays, f"MmBackward0, {shapes[0]} @ {shapes[1]}")
    x = rng.standard_normal((2, 3, 4))
    for dim, keepdim in [(None, False), (1, False), (-1, True), ((0, 2), False)]:
        _rule_matches_finite_differences(SumBackward0, lambda v: np.sum(v, axis=dim, keepdims=keepdim), [x],
                                         f"SumBackward0, sum(dim={dim}, keepdim={keepdim})", dim=dim, keepdim=keepdim)


@check("Part 6 · fused backward of Sigmoid and CrossEntropyLoss")
def check_fused_backward(SigmoidBackward0, CrossEntropyLossBackward0):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 5)) * 3
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    _rule_matches_finite_differences(SigmoidBackward0, sigmoid, [x], "SigmoidBackward0", output=sigmoid(x))
    target = np.array([0, 4, 2, 2])

    def cross_entropy(logits, reduction):
        shifted = logits - logits.max(1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
        per_row = -log_probs[np.arange(len(logits)), target]
        return {"mean": per_row.mean(), "sum": per_row.sum(), "none": per_row}[reduction]

    for reduction in ("mean", "sum", "none"):
        _rule_matches_finite_differences(CrossEntropyLossBackward0, lambda v: cross_entropy(v, reduction), [x],
                                         f"CrossEntropyLossBackward0, reduction={reduction!r}",
                                         target=target, reduction=reduction)
    # Rows of very different scale: the rule must subtract each row's own max, as the forward does.
    apart = np.array([[1000.0, 999.0, 998.0, 1000.5], [-1000.0, -1001.0, -999.0, -1002.0]])
    apart_target = np.array([0, 2])
    shifted = np.exp(apart - apart.max(1, keepdims=True))
    expected = shifted / shifted.sum(1, keepdims=True)
    expected[np.arange(2), apart_target] -= 1
    what = f"CrossEntropyLossBackward0, reduction='sum', at logits {apart.tolist()}"
    advice = (f"({what}): subtract each row's own max before exp (logits.max(axis=1, keepdims=True)), not the "
              "largest logit of the batch")
    with trying(what):
        (grad,) = without_numpy_warnings(
            lambda: CrossEntropyLossBackward0(_float64(apart), target=apart_target, reduction="sum").backward(
                np.array(1.0)), advice=advice)
    assert_close(grad, expected, f"{what}: expected softmax - one_hot; subtract each row's own max", rtol=1e-6,
                 atol=1e-9)


@check("Part 8 · the autograd engine")
def check_autograd_engine(Tensor, no_grad):
    rng = np.random.default_rng(8)
    # y = a*b + a: a is used twice, so its two contributions must add up.
    a = Tensor(np.array([2.0, -1.0]), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    (a * b + a).sum().backward()
    assert_close(a.grad, [4.0, 5.0], "d/da of sum(a*b + a) = b + 1 (a is used twice: contributions add)")
    assert_close(b.grad, [2.0, -1.0], "d/db of sum(a*b + a) = a")
    (a * b + a).sum().backward()
    assert_close(a.grad, [8.0, 10.0], "a second backward() accumulates into .grad (PyTorch does)")

    # A composite expression in float64 against finite differences.
    w_np, x_np = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))

    def expression(w):
        z = Tensor(x_np, dtype=np.float64) @ w.transpose(0, 1)
        return ((z * z).mean(dim=0) / (z.exp().sum() + 1.0)).sum()

    w = Tensor(w_np, dtype=np.float64, requires_grad=True)
    expression(w).backward()
    numeric = numerical_gradient(lambda v: expression(Tensor(v, dtype=np.float64)).item(), w_np)
    assert_close(w.grad, numeric, "gradient of ((x @ w.T)² mean / (sum exp + 1)) vs finite differences", rtol=1e-5)

    # A 10,000-op chain must not hit the recursion limit.
    x = Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y + 1.0
    try:
        y.sum().backward()
    except RecursionError:
        raise AssertionError("backward() through a 10,000-op chain hit Python's recursion limit: sort the "
                             "graph with an explicit stack, not recursion") from None
    assert_close(x.grad, [1.0], "gradient through a 10,000-op chain")

    # no_grad and plain tensors record nothing; module-01 results are unchanged.
    with no_grad():
        assert not (a * b).requires_grad, "inside no_grad() results must not require grad"
    plain = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert not (plain @ plain).requires_grad, "tensors without requires_grad must not build a graph"
    assert_close(plain @ plain, [[7.0, 10.0], [15.0, 22.0]], "module-01 matmul still computes the same values")
    assert_raises(RuntimeError, lambda: Tensor(np.ones(3), requires_grad=True).exp().backward(),
                  "backward() on a non-scalar output without a gradient", must_mention=["(3,)"])
