"""Checks for module 17 (Acceleration): needs_input_grad in MmBackward0, the fused linear, contiguity,
gradient checkpointing."""
import numpy as np

from tinytorch.checks import assert_close, check, numerical_gradient, trying
from tinytorch.core.activations import Tanh
from tinytorch.core.autograd import graph_footprint
from tinytorch.core.layers import Dropout, Module, Parameter
from tinytorch.core.tensor import Tensor

PackageTensor = Tensor  # check_contiguous's argument is called Tensor: the learner's class (or a subclass)
from tinytorch.random import default_generator, manual_seed

MATMUL_SHAPES = [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((1, 3, 4), (2, 4, 5)),
                 ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,))]


def _product_gradients(a, b, grad):
    """d sum(grad * (a @ b)) / da and / db by finite differences (float64): independent of any rule."""
    return (numerical_gradient(lambda v: np.sum(grad * np.matmul(v, b)), a),
            numerical_gradient(lambda v: np.sum(grad * np.matmul(a, v)), b))


@check("Part 2 · MmBackward0 with needs_input_grad")
def check_mm_backward(MmBackward0):
    rng = np.random.default_rng(2)
    for shape_a, shape_b in MATMUL_SHAPES:
        a_np, b_np = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
        grad = rng.standard_normal(np.matmul(a_np, b_np).shape)
        expected = _product_gradients(a_np, b_np, grad)
        for needs in ((True, True), (False, True), (True, False)):
            a = Tensor(a_np.copy(), dtype=np.float64, requires_grad=needs[0])
            b = Tensor(b_np.copy(), dtype=np.float64, requires_grad=needs[1])
            case = (f"{shape_a} @ {shape_b} with a.requires_grad={needs[0]}, b.requires_grad={needs[1]}")
            with trying(case):
                got = MmBackward0(a, b).backward(np.array(grad))
            assert isinstance(got, tuple) and len(got) == 2, \
                f"{case}: backward should return a pair (grad_a, grad_b), got {type(got).__name__} {got!r:.80}"
            for name, need, value, want, shape in zip("ab", needs, got, expected, (shape_a, shape_b)):
                if not need:
                    assert value is None, \
                        f"{case}: computed the gradient of {name} although {name}.requires_grad is False; return " \
                        f"None in its place (self.needs_input_grad[{'ab'.index(name)}] is False): that product is wasted work"
                    continue
                assert value is not None, f"{case}: returned None for {name}, which requires grad"
                assert np.shape(value) == shape, \
                    f"{case}: the gradient of {name} should have {name}'s shape {shape}, got {np.shape(value)}" + \
                    (" (squeeze the dim a 1-D operand was given)" if len(shape) == 1 else
                     " (sum over the batch dims it was broadcast along: unbroadcast)")
                assert_close(value, want, f"{case}: the gradient of {name}", rtol=1e-6, atol=1e-6)


def _linear_cases():
    for shape in ((5,), (4, 5), (2, 3, 5)):
        for with_bias in (True, False):
            for dtype in (np.float32, np.float64):
                yield shape, with_bias, dtype


@check("Part 3 · linear and AddmmBackward0")
def check_linear(linear, AddmmBackward0):
    rng = np.random.default_rng(3)
    for shape, with_bias, dtype in _linear_cases():
        x_np, w_np, b_np = rng.standard_normal(shape), rng.standard_normal((3, 5)), rng.standard_normal(3)
        x = Tensor(x_np.astype(dtype), dtype=dtype, requires_grad=True)
        w = Tensor(w_np.astype(dtype), dtype=dtype, requires_grad=True)
        b = Tensor(b_np.astype(dtype), dtype=dtype, requires_grad=True) if with_bias else None
        kept = [x.data.copy(), w.data.copy()] + ([b.data.copy()] if with_bias else [])
        case = (f"linear(input {shape}, weight (3, 5){', bias (3,)' if with_bias else ''}) in "
                f"{np.dtype(dtype).name}")
        with trying(case):
            out = linear(x, w, b)
        assert isinstance(out, Tensor), f"{case}: should return a Tensor, got {type(out).__name__}"
        for name, before, now in zip(("input", "weight", "bias"), kept, (x, w, b)):
            assert np.array_equal(before, now.data), \
                f"{case}: changed the {name} in place; add the bias into the product's fresh result, not into {name}.data"
        expected = x_np @ w_np.T + (b_np if with_bias else 0)
        assert out.shape == expected.shape, \
            f"{case}: the output should have shape {expected.shape} (the input's leading dims, then out_features), " \
            f"got {out.shape}"
        assert out.dtype == dtype, f"{case}: the output should stay {np.dtype(dtype).name}, got {out.dtype}"
        tolerance = 1e-4 if dtype == np.float32 else 1e-9
        assert_close(out, expected, f"{case}: the output (input @ weight.T + bias)", rtol=tolerance, atol=tolerance)
        node = out.grad_fn
        assert isinstance(node, AddmmBackward0), \
            f"{case}: the output's grad_fn should be one AddmmBackward0 node, got {type(node).__name__}: compute with " \
            "numpy arrays and record one node, instead of composing Tensor ops (which records one node per op)"
        inputs = (x, w, b) if with_bias else (x, w)
        assert len(node.inputs) == len(inputs) and all(i is j for i, j in zip(node.inputs, inputs)), \
            f"{case}: the node's inputs should be the input, the weight" + (" and the bias" if with_bias else "") + \
            f", in that order, got {len(node.inputs)} tensors"
        grad = rng.standard_normal(expected.shape)
        wanted = [numerical_gradient(lambda v: np.sum(grad * (v @ w_np.T)), x_np),
                  numerical_gradient(lambda v: np.sum(grad * (x_np @ v.T)), w_np)]
        if with_bias:
            wanted.append(grad.reshape(-1, 3).sum(axis=0))
        with trying(f"AddmmBackward0.backward for {case}"):
            got = node.backward(grad.astype(dtype))
        for name, value, want in zip(("input", "weight", "bias"), got, wanted):
            assert value is not None, f"{case}: backward returned None for the {name}, which requires grad"
            assert np.shape(value) == want.shape, \
                f"{case}: the {name}'s gradient should have the {name}'s shape {want.shape}, got {np.shape(value)}"
            assert_close(value, want, f"{case}: the {name}'s gradient", rtol=max(tolerance, 1e-6), atol=tolerance)
    data = Tensor(np.ones((4, 5), dtype=np.float32))
    weight = Tensor(np.ones((3, 5), dtype=np.float32), requires_grad=True)
    with trying("linear(a data batch that requires no grad, weight, bias)"):
        grads = linear(data, weight, Tensor(np.zeros(3, dtype=np.float32), requires_grad=True)).grad_fn.backward(
            np.ones((4, 3), dtype=np.float32))
    assert grads[0] is None, \
        "linear(a data batch that requires no grad, ...): computed the input's gradient anyway; return None when " \
        "self.needs_input_grad[0] is False (that product is wasted work in every first layer)"


@check("Part 4 · is_contiguous and contiguous")
def check_contiguous(Tensor):
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    layouts = [("a (4, 6) array", base, True), ("its transpose .T", base.T, False),
               ("every other column [:, ::2]", base[:, ::2], False), ("rows 1.. [1:]", base[1:], True),
               ("columns 1.. [:, 1:]", base[:, 1:], False), ("one row [1:2]", base[1:2], True),
               ("one column [:, :1]", base[:, :1], False), ("a 1-d tensor unsqueezed to (24, 1)", np.arange(24.0)[:, None], True),
               ("a row broadcast to (3, 6)", np.broadcast_to(base[0], (3, 6)), False),
               ("a 0-d tensor", np.float32(3.0) * np.ones((), dtype=np.float32), True),
               ("a (2, 3, 4) array permuted to (2, 4, 3)", base.reshape(2, 3, 4).transpose(0, 2, 1), False)]
    for name, array, expected in layouts:
        t = Tensor(array, dtype=array.dtype)
        with trying(f"is_contiguous() of {name}"):
            got = Tensor.is_contiguous(t)
        assert got is expected or (isinstance(got, (bool, np.bool_)) and bool(got) == expected), \
            f"is_contiguous() of {name} (shape {array.shape}, strides {array.strides}) should be {expected}, got {got!r}" + \
            (" (a dimension of size 1 is never stepped along: its stride does not matter)" if 1 in array.shape else "")
    contiguous = Tensor(base.copy())
    with trying("contiguous() of a tensor that is already contiguous"):
        same = Tensor.contiguous(contiguous)
    assert same is contiguous, "contiguous() of a tensor that is already contiguous should return the tensor itself, " \
                               "not a copy (copying costs time and memory for nothing)"
    leaf = Tensor(base.copy(), requires_grad=True)
    transposed = leaf.T
    with trying("contiguous() of a transposed tensor"):
        packed = Tensor.contiguous(transposed)  # the method of the class given, on a view made by .T
    assert isinstance(packed, PackageTensor) and packed.is_contiguous() and packed.data.flags["C_CONTIGUOUS"], \
        "contiguous() of a transposed tensor should return a row-major copy"
    assert_close(packed, base.T, "contiguous() of a transposed tensor: the values")
    assert not np.shares_memory(packed.data, leaf.data), "contiguous() of a transposed tensor should copy"
    assert packed.requires_grad and packed.grad_fn is not None, \
        "contiguous() of a transposed tensor that requires grad returned a tensor without grad_fn: gradients would " \
        "stop there; copy with an op that autograd records (clone)"
    (packed * PackageTensor(np.arange(24, dtype=np.float32).reshape(6, 4))).sum().backward()
    assert_close(leaf.grad, np.arange(24, dtype=np.float32).reshape(6, 4).T,
                 "the gradient through contiguous() of a transposed tensor")


class _Block(Module):
    """y = dropout(tanh(x * weight + bias)): parameters and randomness, and no matrix product."""

    def __init__(self, width):
        super().__init__()
        rng = np.random.default_rng(4)
        self.weight = Parameter(rng.standard_normal(width))
        self.bias = Parameter(rng.standard_normal(width))
        self.tanh, self.dropout = Tanh(), Dropout(0.5)

    def forward(self, x):
        return self.dropout(self.tanh(x * self.weight + self.bias))


def _gradients(block, x, run, seed, weights):
    """The output, the gradients of sum(weights * run(block, x)) for x, weight and bias, and whether backward
    left the random generator where the forward pass left it."""
    block.zero_grad()
    manual_seed(seed)
    out = run(block, x)
    after_forward = default_generator().bit_generator.state
    (out * Tensor(weights)).sum().backward()
    grads = [None if t.grad is None else t.grad.data.copy() for t in (x, block.weight, block.bias)]
    return out, grads, default_generator().bit_generator.state == after_forward


@check("Part 5 · checkpoint")
def check_checkpoint(checkpoint):
    width = 6
    block = _Block(width)
    rng = np.random.default_rng(5)
    x_np, weights = rng.standard_normal((4, width)).astype(np.float32), rng.standard_normal((4, width)).astype(np.float32)
    plain = _gradients(block, Tensor(x_np.copy(), requires_grad=True), lambda m, x: m(x), 7, weights)
    case = "checkpoint(block, x) where block = dropout(tanh(x * weight + bias)) in training mode"
    with trying(case):
        got = _gradients(block, Tensor(x_np.copy(), requires_grad=True),
                         lambda m, x: checkpoint(m, x, use_reentrant=False), 7, weights)
    assert_close(got[0], plain[0], f"{case}: the output (the same as block(x), with the same seed)")
    for name, value, want in zip(("x", "weight", "bias"), got[1], plain[1]):
        assert value is not None, \
            f"{case}: {name} got no gradient; recompute the segment with gradients recorded (enable_grad), then call " \
            "backward on its output with this node's output gradient"
        if not np.allclose(value, want, rtol=1e-5, atol=1e-6) and np.allclose(value, 2 * want, rtol=1e-5, atol=1e-6):
            raise AssertionError(f"{case}: the gradient of {name} is twice the right one: the recomputation must use "
                                 "detached copies of the arguments, so the graph ends at the segment's edge")
        if not np.allclose(value, want, rtol=1e-5, atol=1e-6):
            dropped_where = np.count_nonzero(got[0].data == 0), np.count_nonzero(plain[0].data == 0)
            assert_close(value, want, f"{case}: the gradient of {name} (did the recomputation draw the same dropout "
                                      f"mask? the random generator's state must be restored first; zeros in output "
                                      f"{dropped_where[0]} vs {dropped_where[1]})")
        assert_close(value, want, f"{case}: the gradient of {name}")
    assert got[2], \
        f"{case}: after backward the random generator is not where the forward pass left it (a later Dropout would " \
        "draw different masks): put its state back after the recomputation"
    kept = graph_footprint((checkpoint(block, Tensor(x_np, requires_grad=True), use_reentrant=False) * 2).sum())[1]
    full = graph_footprint((block(Tensor(x_np, requires_grad=True)) * 2).sum())[1]
    assert kept < full, f"{case}: the checkpointed graph keeps {kept} bytes, no fewer than the plain one ({full}): " \
                        "run the first forward under no_grad()"
    data_only = "checkpoint(block, x) where x is data that requires no grad"
    block.zero_grad()
    with trying(data_only):
        checkpoint(block, Tensor(x_np), use_reentrant=False).sum().backward()
    assert block.weight.grad is not None, f"{data_only}: the block's parameters got no gradient"
