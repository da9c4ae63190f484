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
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-10)  # float64; attention sums in another order


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


def attention_inputs(L=5, S=5, batch=(2, 3), size=4, seed=11):
    rng = np.random.default_rng(seed)
    return [Tensor(rng.standard_normal(batch + (n, size)), dtype=np.float64, requires_grad=True) for n in (L, S, S)]


def boolean_mask_with_a_dead_row(L, S):
    mask = np.random.default_rng(12).random((L, S)) > 0.4
    mask[1] = False  # query 1 may attend nothing: its output is zeros, as in PyTorch
    return Tensor(mask, dtype=np.bool_)


@pytest.mark.parametrize("L, S, options", [
    (5, 5, dict(is_causal=True)),
    (4, 6, dict(is_causal=True)),
    (5, 5, dict()),
    (5, 7, dict(scale=0.25)),  # exact in float32: module 06 keeps a Python-number operand as float32
    (5, 6, dict(attn_mask=boolean_mask_with_a_dead_row(5, 6))),
    (5, 6, dict(attn_mask=Tensor(np.random.default_rng(13).standard_normal((5, 6)), dtype=np.float64))),
    (5, 5, dict(is_causal=True, dropout_p=0.3)),
], ids=["causal", "causal-L<S", "no-mask", "scale", "bool-mask-dead-row", "float-mask", "dropout"])
def test_fused_attention_gives_module_12s_values_and_gradients(L, S, options):
    from tinytorch.core import attention  # looked up at each call: unaccelerated() swaps it
    inputs = attention_inputs(L, S)
    upstream = Tensor(np.random.default_rng(14).standard_normal((2, 3, L, 4)), dtype=np.float64)

    def run():
        tinytorch.manual_seed(15)  # the same dropout draws on both sides
        return attention.scaled_dot_product_attention(*inputs, **options)

    fast_out = run()
    assert type(fast_out.grad_fn).__name__ == "ScaledDotProductFlashAttentionForCpuBackward0"
    fast = gradients(lambda: (run() * upstream).sum(), *inputs)
    with acc.unaccelerated():
        slow_out = run()
        assert type(slow_out.grad_fn).__name__ != "ScaledDotProductFlashAttentionForCpuBackward0"
        slow = gradients(lambda: (run() * upstream).sum(), *inputs)
    np.testing.assert_allclose(fast_out.data, slow_out.data, rtol=1e-12, atol=1e-12)
    for got, want in zip(fast, slow):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_fused_attention_gradients_match_finite_differences():
    from tinytorch.checks import numerical_gradient
    from tinytorch.nn.functional import scaled_dot_product_attention
    query, key, value = attention_inputs(L=3, S=4, batch=(2,), size=2, seed=16)
    mask = boolean_mask_with_a_dead_row(3, 4)
    upstream = np.random.default_rng(17).standard_normal((2, 3, 2))
    (scaled_dot_product_attention(query, key, value, attn_mask=mask) * Tensor(upstream, dtype=np.float64)).sum().backward()
    arrays = [query.data, key.data, value.data]
    for position, tensor in enumerate((query, key, value)):
        def loss(array, position=position):
            parts = [Tensor(a, dtype=np.float64) for a in arrays]
            parts[position] = Tensor(array, dtype=np.float64)
            return float((scaled_dot_product_attention(*parts, attn_mask=mask).data * upstream).sum())
        np.testing.assert_allclose(tensor.grad.data, numerical_gradient(loss, arrays[position]), rtol=1e-6, atol=1e-8)


def test_fused_attention_leaves_other_calls_and_errors_to_module_12():
    from tinytorch.nn.functional import scaled_dot_product_attention
    query, key, value = attention_inputs(L=4, S=4, batch=(2, 3))
    broadcast_key = Tensor(np.ones((1, 3, 4, 4)), dtype=np.float64, requires_grad=True)  # batch dims broadcast
    assert type(scaled_dot_product_attention(query, broadcast_key, value).grad_fn).__name__ != \
        "ScaledDotProductFlashAttentionForCpuBackward0"
    wide_mask = Tensor(np.ones((2, 2, 3, 4, 4), dtype=bool), dtype=np.bool_)  # adds a batch dim
    assert scaled_dot_product_attention(query, key, value, attn_mask=wide_mask).shape == (2, 2, 3, 4, 4)
    with pytest.raises(RuntimeError, match="should not be set when is_causal=True"):
        scaled_dot_product_attention(query, key, value, attn_mask=wide_mask, is_causal=True)
    with pytest.raises(ValueError, match="dropout_p must be between 0 and 1"):
        scaled_dot_product_attention(query, key, value, dropout_p=1.5)
    with pytest.raises(TypeError, match="attn_mask must be bool or floating point"):
        scaled_dot_product_attention(query, key, value, attn_mask=Tensor(np.ones((4, 4), dtype=np.int64), dtype=np.int64))
    with tinytorch.no_grad():
        assert scaled_dot_product_attention(query, key, value, is_causal=True).grad_fn is None


def test_the_gpt_and_multihead_attention_use_the_fused_attention_and_unaccelerated_brings_module_12s_back():
    from tinytorch.core import attention, transformers
    fused = attention.scaled_dot_product_attention  # module 17's (a notebook re-running its cell installs anew)
    original = acc.before_acceleration(attention, "scaled_dot_product_attention")
    assert transformers.scaled_dot_product_attention is fused and fused is not original
    assert acc.before_acceleration(transformers, "scaled_dot_product_attention") is original
    with acc.unaccelerated():
        assert transformers.scaled_dot_product_attention is original and attention.scaled_dot_product_attention is original
    assert transformers.scaled_dot_product_attention is fused and attention.scaled_dot_product_attention is fused
    tinytorch.manual_seed(18)
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    x = Tensor(np.random.default_rng(19).standard_normal((2, 5, 8)), requires_grad=True)
    out, _ = mha(x, x, x, need_weights=False)
    with acc.unaccelerated():
        slow, _ = mha(x, x, x, need_weights=False)
    np.testing.assert_allclose(out.data, slow.data, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kernel, shape", [(2, (2, 3, 8, 8)), (2, (2, 3, 7, 9)), (3, (1, 2, 9, 6)), ((2, 3), (2, 2, 6, 7))],
                         ids=["2x2", "2x2-cropped", "3x3", "2x3"])
def test_tiling_max_pool_gives_module_09s_values_and_gradients_with_ties_to_the_first_maximum(kernel, shape):
    rng = np.random.default_rng(20)
    values = np.maximum(rng.standard_normal(shape), 0)  # after a ReLU: many windows are all zeros, a tie
    values[0, 0, :2, :2] = 1.5  # a tie at a window's maximum, not at zero
    x = Tensor(values, dtype=np.float64, requires_grad=True)
    pool = nn.MaxPool2d(kernel)
    out = pool(x)
    upstream = Tensor(rng.standard_normal(out.shape), dtype=np.float64)
    assert "maximum" in vars(out.grad_fn)
    fast = gradients(lambda: (pool(x) * upstream).sum(), x)[0]
    with acc.unaccelerated():
        slow_out = pool(x)
        slow = gradients(lambda: (pool(x) * upstream).sum(), x)[0]
    np.testing.assert_array_equal(out.data, slow_out.data)
    np.testing.assert_array_equal(fast, slow)
    assert (fast != 0).sum() == out.numel() - (upstream.data == 0).sum()  # one winner per window


def test_tiling_max_pool_leaves_nan_overlaps_and_padding_to_module_09():
    x = Tensor(np.array([[[[1.0, np.nan], [0.0, 2.0]]]]), dtype=np.float64, requires_grad=True)
    out = nn.MaxPool2d(2)(x)
    assert np.isnan(out.item()) and "argmax" in vars(out.grad_fn)  # module 09's node: NaN wins, as in PyTorch
    out.backward()
    np.testing.assert_array_equal(x.grad.data, [[[[0.0, 1.0], [0.0, 0.0]]]])
    for pool in (nn.MaxPool2d(3, stride=2), nn.MaxPool2d(2, padding=1)):
        assert "argmax" in vars(pool(Tensor(np.ones((1, 1, 6, 6)), requires_grad=True)).grad_fn)
