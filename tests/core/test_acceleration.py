"""Module 17's package changes: what they compute is what modules 03, 06 and 09 computed, and unaccelerated()
brings those back; checkpoint's contract beyond the in-page check."""
import numpy as np
import pytest

import tinytorch
from tinytorch import Tensor, nn
from tinytorch.core import acceleration as acc
from tinytorch.core.autograd import (AddBackward0, CrossEntropyLossBackward0, DivBackward0, IndexBackward0, MmBackward0, MulBackward0,
                                     SubBackward0)
from tinytorch.core.convolutions import ConvolutionBackward0, MaxPool2DWithIndicesBackward0
from tinytorch.core.layers import Linear
from tinytorch.utils.checkpoint import checkpoint


def gradients(make_loss, *leaves):
    for leaf in leaves:
        leaf.grad = None
    make_loss().backward()
    return [None if leaf.grad is None else leaf.grad.data.copy() for leaf in leaves]


def test_unaccelerated_restores_every_replaced_rule_and_then_the_fast_ones():
    fast = {cls: vars(cls)[name] for cls, name in [(MmBackward0, "backward"), (Linear, "forward"),
                                                    (IndexBackward0, "backward"), (ConvolutionBackward0, "backward"),
                                                    (MaxPool2DWithIndicesBackward0, "backward"),
                                                    (AddBackward0, "backward"), (SubBackward0, "backward"),
                                                    (MulBackward0, "backward"), (DivBackward0, "backward"),
                                                    (CrossEntropyLossBackward0, "backward")]}
    with acc.unaccelerated():
        for cls, function in fast.items():
            now = vars(cls)["backward" if cls is not Linear else "forward"]
            assert now is not function and now is vars(cls)["_before_acceleration"][now.__name__]
    assert all(vars(cls)["backward" if cls is not Linear else "forward"] is f for cls, f in fast.items())


@pytest.mark.parametrize("build", [
    lambda: nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3)),
    lambda: nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3 * 4 * 4, 2)),
    lambda: nn.Sequential(nn.Conv2d(2, 3, 3), nn.MaxPool2d(3, stride=2)),  # overlapping windows
    lambda: nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU()),
    lambda: nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3, affine=False)),
], ids=["mlp", "cnn", "overlapping-pool", "batch-norm", "batch-norm-no-affine"])
@pytest.mark.parametrize("input_requires_grad", [False, True])
def test_accelerated_gradients_equal_the_original_rules(build, input_requires_grad):
    tinytorch.manual_seed(0)
    model = build()
    shape = (4, 6) if isinstance(model[0], nn.Linear) else (2, 2, 8, 8)
    x = Tensor(np.random.default_rng(1).standard_normal(shape), dtype=np.float64, requires_grad=input_requires_grad)
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    leaves = [x] + list(model.parameters())
    after = gradients(lambda: (model(x) ** 2).sum(), *leaves)
    with acc.unaccelerated():
        before = gradients(lambda: (model(x) ** 2).sum(), *leaves)
    for got, want in zip(after, before):
        assert (got is None) == (want is None)
        if want is not None:
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_a_gpt_step_has_the_same_gradients_with_and_without_module_17():
    tinytorch.manual_seed(3)
    gpt = tinytorch.GPT(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16)
    for p in gpt.parameters():
        p.data = p.data.astype(np.float64)
    ids = Tensor(np.random.default_rng(4).integers(0, 11, (3, 9)), dtype=np.int64)
    loss = lambda: tinytorch.nn.functional.cross_entropy(gpt(ids[:, :-1]).reshape(-1, 11), ids[:, 1:].reshape(-1))  # noqa: E731
    gpt.eval()  # no dropout: the two runs must draw nothing
    parameters = list(gpt.parameters())
    after = gradients(loss, *parameters)
    with acc.unaccelerated():
        before = gradients(loss, *parameters)
    for got, want in zip(after, before):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_elementwise_rules_skip_constant_operands_and_keep_the_others_exact():
    x = Tensor(np.array([[1.0, -2.0], [3.0, 0.5]]), dtype=np.float64, requires_grad=True)
    row = Tensor(np.array([2.0, 4.0]), dtype=np.float64)  # a constant, broadcast over rows
    for op in (lambda a, b: a + b, lambda a, b: a - b, lambda a, b: b - a, lambda a, b: a * b, lambda a, b: a / b,
               lambda a, b: b / a):
        out = op(x, row)
        fast = out.grad_fn.backward(np.ones((2, 2)))
        with acc.unaccelerated():
            slow = out.grad_fn.backward(np.ones((2, 2)))
        constant = 1 if out.grad_fn.inputs[1] is row else 0
        assert fast[constant] is None and slow[constant] is not None
        np.testing.assert_array_equal(fast[1 - constant], slow[1 - constant])


def test_fused_batch_norm_updates_the_running_statistics_as_module_09_does_and_eval_is_unchanged():
    x = Tensor(np.random.default_rng(5).standard_normal((4, 3, 5, 5)).astype(np.float32) * 3 + 1)
    fused, composed = nn.BatchNorm2d(3, momentum=0.3), nn.BatchNorm2d(3, momentum=0.3)
    out_fused = fused(x)
    with acc.unaccelerated():
        out_composed = composed(x)
    assert type(out_fused.grad_fn).__name__ == "NativeBatchNormBackward0"
    np.testing.assert_allclose(out_fused.data, out_composed.data, rtol=1e-5, atol=1e-5)
    for (name, a), (_, b) in zip(fused.named_buffers(), composed.named_buffers()):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-6, err_msg=name)
    fused.eval()
    assert type(fused(x).grad_fn).__name__ != "NativeBatchNormBackward0"  # running statistics: module 09's path
    with pytest.raises(RuntimeError, match="has 2 channels, expected 3"):
        nn.BatchNorm2d(3)(Tensor(np.ones((2, 2, 3, 3), dtype=np.float32)))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_keeps_the_forwards_softmax_and_gives_module_06s_gradients(reduction):
    logits = Tensor(np.random.default_rng(6).standard_normal((5, 4)) * 20, dtype=np.float64, requires_grad=True)
    target = Tensor(np.array([0, 3, 1, 1, 2]), dtype=np.int64)
    upstream = Tensor(np.arange(1.0, 6.0) if reduction == "none" else np.array(1.5), dtype=np.float64)
    loss_fn = nn.CrossEntropyLoss(reduction=reduction)
    fast = loss_fn(logits, target)
    assert "probabilities" in vars(fast.grad_fn)
    fast.backward(upstream, retain_graph=True)
    first = logits.grad.data.copy()
    fast.backward(upstream)  # the kept softmax is not changed by a backward
    np.testing.assert_allclose(logits.grad.data, 2 * first)
    logits.grad = None
    with acc.unaccelerated():
        slow = loss_fn(logits, target)
        assert "probabilities" not in vars(slow.grad_fn)
        slow.backward(upstream)
    np.testing.assert_allclose(first, logits.grad.data, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(fast.data, slow.data, rtol=1e-12)


@pytest.mark.parametrize("approximate", ["tanh", "none"])
def test_gelu_keeps_its_slope_only_in_the_tanh_form_and_gives_module_06s_gradients(approximate):
    x = Tensor(np.linspace(-4, 4, 12).reshape(3, 4), dtype=np.float64, requires_grad=True)
    gelu = nn.GELU(approximate=approximate)
    out = gelu(x)
    assert ("slope" in vars(out.grad_fn)) == (approximate == "tanh")
    out.backward(Tensor(np.arange(12.0).reshape(3, 4), dtype=np.float64))
    fast = x.grad.data.copy()
    x.grad = None
    with acc.unaccelerated():
        slow_out = gelu(x)
        slow_out.backward(Tensor(np.arange(12.0).reshape(3, 4), dtype=np.float64))
    np.testing.assert_allclose(out.data, slow_out.data, rtol=1e-14)
    np.testing.assert_allclose(fast, x.grad.data, rtol=1e-12, atol=1e-14)
    with tinytorch.no_grad():
        assert gelu(x).grad_fn is None


@pytest.mark.parametrize("make", [lambda: nn.LayerNorm(6), lambda: nn.LayerNorm((3, 6)),
                                  lambda: nn.LayerNorm(6, elementwise_affine=False), lambda: nn.LayerNorm(6, bias=False)],
                         ids=["last-dim", "last-two-dims", "no-affine", "no-bias"])
def test_fused_layer_norm_gives_module_13s_values_and_gradients(make):
    tinytorch.manual_seed(7)
    norm = make()
    for p in norm.parameters():
        p.data = np.random.default_rng(8).standard_normal(p.shape)
    x = Tensor(np.random.default_rng(9).standard_normal((2, 3, 6)) * 4 + 1, dtype=np.float64, requires_grad=True)
    upstream = Tensor(np.random.default_rng(10).standard_normal((2, 3, 6)), dtype=np.float64)
    leaves = [x] + list(norm.parameters())
    fast_out = norm(x)
    assert type(fast_out.grad_fn).__name__ == "NativeLayerNormBackward0"
    fast = gradients(lambda: (norm(x) * upstream).sum(), *leaves)
    with acc.unaccelerated():
        slow_out = norm(x)
        slow = gradients(lambda: (norm(x) * upstream).sum(), *leaves)
    np.testing.assert_allclose(fast_out.data, slow_out.data, rtol=1e-12, atol=1e-12)
    for got, want in zip(fast, slow):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_indexing_by_ints_and_slices_assigns_and_index_arrays_still_add_up():
    x = Tensor(np.arange(6.0), dtype=np.float64, requires_grad=True)
    assert gradients(lambda: (x[1:4] * Tensor([1.0, 2.0, 3.0], dtype=np.float64)).sum(), x)[0].tolist() == \
        [0, 1, 2, 3, 0, 0]
    repeated = Tensor(np.array([2, 2, 5]), dtype=np.int64)
    assert gradients(lambda: x[repeated].sum(), x)[0].tolist() == [0, 0, 2, 0, 0, 1]


def test_linear_refuses_what_does_not_fit_and_names_it():
    w = Tensor(np.ones((3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"input of shape \(2, 5\) does not fit a weight of shape \(3, 4\)"):
        acc.linear(Tensor(np.ones((2, 5), dtype=np.float32)), w)
    with pytest.raises(ValueError, match=r"bias of shape \(4,\) does not fit 3 output features"):
        acc.linear(Tensor(np.ones((2, 4), dtype=np.float32)), w, Tensor(np.ones(4, dtype=np.float32)))
    with pytest.raises(TypeError, match="weight should be a Tensor, got ndarray"):
        acc.linear(Tensor(np.ones((2, 4), dtype=np.float32)), np.ones((3, 4)))


def test_checkpoint_of_a_plain_function_gives_its_tensor_arguments_and_inner_parameters_gradients():
    w = Tensor(np.array([0.5, -1.0, 2.0]), dtype=np.float64, requires_grad=True)
    x = Tensor(np.array([1.0, 2.0, 3.0]), dtype=np.float64, requires_grad=True)
    segment = lambda t, power: ((t * w) ** power).sum()  # noqa: E731 (a closure over a parameter)
    plain = gradients(lambda: segment(x, 2), x, w)
    kept = gradients(lambda: checkpoint(segment, x, 2, use_reentrant=True), x, w)
    for got, want in zip(kept, plain):
        np.testing.assert_allclose(got, want)
    assert type(checkpoint(segment, x, 2, use_reentrant=False).grad_fn).__name__ == "CheckpointFunctionBackward"


def test_checkpoint_adds_to_gradients_a_parameter_already_has():
    tinytorch.manual_seed(0)
    layer = nn.Linear(3, 2)
    x = Tensor(np.ones((4, 3), dtype=np.float32))
    checkpoint(layer, x, use_reentrant=False).sum().backward()
    once = layer.weight.grad.data.copy()
    checkpoint(layer, x, use_reentrant=False).sum().backward()
    np.testing.assert_allclose(layer.weight.grad.data, 2 * once)


def test_checkpoint_refuses_bad_arguments_by_name():
    with pytest.raises(TypeError, match="function should be callable, got int"):
        checkpoint(3, Tensor([1.0]))
    with pytest.raises(TypeError, match="should return one Tensor, got tuple"):
        checkpoint(lambda t: (t, t), Tensor([1.0], requires_grad=True), use_reentrant=False)
    with pytest.raises(ValueError, match="preserve_rng_state=False is not supported"):
        checkpoint(lambda t: t * 2, Tensor([1.0]), preserve_rng_state=False)
