"""Module 16: pruning masks, the weight_orig/weight_mask reparametrisation, Module hooks, distillation loss."""
import copy

import numpy as np
import pytest

import tinytorch
from tinytorch import Linear, ReLU, Sequential, Tensor, no_grad
from tinytorch.checks import numerical_gradient
from tinytorch.core.compression import distillation_loss, sparse_nbytes
from tinytorch.nn import Conv2d
from tinytorch.nn.utils import prune


def linear(seed=0, shape=(5, 4)):
    tinytorch.manual_seed(seed)
    return Linear(*shape)


# Module hooks
def test_forward_pre_hook_runs_before_forward_and_can_replace_the_arguments():
    layer = linear()
    seen = []
    handle = layer.register_forward_pre_hook(lambda module, args: seen.append((module, args[0].shape)))
    x = Tensor(np.ones((2, 5), dtype=np.float32))
    layer(x)
    assert seen == [(layer, (2, 5))]
    handle.remove()
    layer(x)
    assert len(seen) == 1
    layer.register_forward_pre_hook(lambda module, args: args[0] * 0)  # a non-tuple result becomes (result,)
    np.testing.assert_allclose(layer(x).data, np.broadcast_to(layer.bias.data, (2, 4)))


def test_forward_hook_sees_the_output_and_can_replace_it():
    layer = linear()
    x = Tensor(np.ones((2, 5), dtype=np.float32))
    expected = layer(x).data
    outputs = []
    layer.register_forward_hook(lambda module, args, output: outputs.append(output.data.copy()))
    handle = layer.register_forward_hook(lambda module, args, output: output * 2)
    np.testing.assert_allclose(layer(x).data, 2 * expected, rtol=1e-6)
    np.testing.assert_allclose(outputs[0], expected)
    handle.remove()
    np.testing.assert_allclose(layer(x).data, expected)


def test_hooks_reject_what_is_not_callable():
    with pytest.raises(TypeError, match="callable"):
        linear().register_forward_pre_hook(3)
    with pytest.raises(TypeError, match="callable"):
        linear().register_forward_hook("hook")


def test_a_removable_handle_works_as_a_context_manager():
    layer = linear()
    calls = []
    with layer.register_forward_pre_hook(lambda module, args: calls.append(1)):
        layer(Tensor(np.ones((1, 5), dtype=np.float32)))
    layer(Tensor(np.ones((1, 5), dtype=np.float32)))
    assert calls == [1]


# L1 masks
@pytest.mark.parametrize("amount,count", [(3, 3), (0.37, 4), (0.25, 2), (0.35, 4), (0.0, 0), (1.0, 10), (10, 10)])
def test_l1_mask_zeroes_the_smallest_magnitudes(amount, count):
    w = np.array([[3.0, -0.5, 2.0, -4.0, 0.1], [-1.0, 6.0, -0.2, 5.0, 0.7]], dtype=np.float32)
    mask = prune.L1Unstructured(amount).compute_mask(w, np.ones_like(w))
    order = np.argsort(np.abs(w).reshape(-1))  # the values are distinct
    expected = np.ones(10)
    expected[order[:count]] = 0
    np.testing.assert_array_equal(mask.reshape(-1), expected)


def test_ties_go_lowest_index_first():
    w = np.array([1.0, -1.0, 1.0, 2.0], dtype=np.float32)
    np.testing.assert_array_equal(prune.L1Unstructured(2).compute_mask(w, np.ones(4)), [0, 0, 1, 1])


@pytest.mark.parametrize("amount,error,phrase", [(1.5, ValueError, "1.5"), (-1, ValueError, "-1"),
                                                 ("0.5", TypeError, "0.5"), (None, TypeError, "None")])
def test_bad_amounts_are_refused(amount, error, phrase):
    with pytest.raises(error, match=phrase):
        prune.l1_unstructured(linear(), "weight", amount)


def test_a_count_larger_than_the_weight_is_refused_and_leaves_the_module_unchanged():
    layer = linear()
    with pytest.raises(ValueError, match="21"):
        prune.l1_unstructured(layer, "weight", 21)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert not prune.is_pruned(layer)


def test_pruning_a_missing_parameter_names_the_ones_there_are():
    with pytest.raises(AttributeError, match="bias, weight|weight, bias"):
        prune.l1_unstructured(linear(), "kernel", 0.5)


# the reparametrisation
def test_pruning_moves_the_parameter_and_registers_a_mask_buffer():
    layer = linear()
    w = layer.weight.data.copy()
    before = repr(layer)
    prune.l1_unstructured(layer, "weight", amount=0.5)
    assert [name for name, _ in layer.named_parameters()] == ["bias", "weight_orig"]
    assert [name for name, _ in layer.named_buffers()] == ["weight_mask"]
    assert list(layer.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    np.testing.assert_array_equal(layer.weight_orig.data, w)
    assert layer.weight_mask.data.sum() == 10 and layer.weight_mask.dtype == np.float32
    np.testing.assert_array_equal(layer.weight.data, w * layer.weight_mask.data)
    assert repr(layer) == before
    assert prune.is_pruned(layer) and prune.is_pruned(Sequential(layer, ReLU()))


def test_the_gradient_reaches_weight_orig_through_the_mask():
    layer = linear(1)
    prune.l1_unstructured(layer, "weight", amount=9)
    mask = layer.weight_mask.data.astype(np.float64)
    x = np.random.default_rng(0).standard_normal((3, 5))
    upstream = np.random.default_rng(1).standard_normal((3, 4))
    (layer(Tensor(x.astype(np.float32))) * Tensor(upstream.astype(np.float32))).sum().backward()
    expected = numerical_gradient(lambda o: (x @ (o * mask).T * upstream).sum(), layer.weight_orig.data.astype(np.float64))
    np.testing.assert_allclose(layer.weight_orig.grad.data, expected, rtol=1e-3, atol=1e-4)
    assert np.all(layer.weight_orig.grad.data[mask == 0] == 0)


@pytest.mark.parametrize("make", [lambda p: tinytorch.optim.SGD(p, lr=0.1, momentum=0.9),
                                  lambda p: tinytorch.optim.Adam(p, lr=0.05),
                                  lambda p: tinytorch.optim.AdamW(p, lr=0.05, weight_decay=0.0)],
                         ids=["SGD-momentum", "Adam", "AdamW"])
def test_fine_tuning_keeps_the_pruned_weights_at_zero(make):
    tinytorch.manual_seed(0)
    model = Sequential(Linear(6, 8), ReLU(), Linear(8, 3))
    prune.l1_unstructured(model[0], "weight", amount=0.7)
    mask = model[0].weight_mask.data.copy()
    orig_pruned = model[0].weight_orig.data[mask == 0].copy()
    optimizer = make(model.parameters())
    rng = np.random.default_rng(2)
    x, y = Tensor(rng.standard_normal((10, 6)).astype(np.float32)), Tensor(rng.integers(0, 3, 10), dtype=np.int64)
    for _ in range(10):
        optimizer.zero_grad()
        tinytorch.CrossEntropyLoss()(model(x), y).backward()
        optimizer.step()
    model(x)
    assert np.all(model[0].weight.data[mask == 0] == 0)
    np.testing.assert_array_equal(model[0].weight_orig.data[mask == 0], orig_pruned)  # zero gradient: untouched
    assert np.any(model[0].weight_orig.data[mask == 1] != 0)


def test_pruning_twice_applies_the_amount_to_the_survivors():
    layer = linear(2, (10, 2))  # weight (2, 10)
    w = layer.weight.data.copy()
    prune.l1_unstructured(layer, "weight", amount=0.5)
    first = layer.weight_mask.data.copy()
    hook = prune.l1_unstructured(layer, "weight", amount=0.4)
    second = layer.weight_mask.data
    assert first.sum() == 10 and second.sum() == 6  # 4 of the 10 survivors go
    assert np.all(second <= first)
    survivors = np.abs(w[first == 1])
    np.testing.assert_array_equal(np.sort(np.abs(w[second == 1])), np.sort(survivors)[4:])
    hooks = list(layer._forward_pre_hooks.values())
    assert len(hooks) == 1 and isinstance(hooks[0], prune.PruningContainer) and len(hooks[0]) == 2
    assert hook is layer  # the functions return the module, as torch's


def test_structured_pruning_after_unstructured_only_considers_live_rows():
    layer = linear(3, (3, 4))  # weight (4, 3)
    prune.ln_structured(layer, "weight", amount=1, n=2, dim=0)
    dead = np.flatnonzero(layer.weight_mask.data.sum(axis=1) == 0)
    prune.ln_structured(layer, "weight", amount=0.5, n=2, dim=0)  # half of the 3 live rows: round(1.5) = 2
    rows = layer.weight_mask.data.sum(axis=1)
    assert (rows == 0).sum() == 3 and rows[dead] == 0


def test_remove_makes_the_pruning_permanent():
    layer = linear()
    prune.l1_unstructured(layer, "weight", amount=0.5)
    pruned = layer.weight.data.copy()
    orig = layer.weight_orig
    prune.remove(layer, "weight")
    assert [name for name, _ in layer.named_parameters()] == ["bias", "weight"]
    assert list(layer.state_dict()) == ["bias", "weight"]
    assert layer.weight is orig and isinstance(layer.weight, tinytorch.Parameter)
    np.testing.assert_array_equal(layer.weight.data, pruned)
    assert not prune.is_pruned(layer) and not layer._forward_pre_hooks
    with pytest.raises(ValueError, match="has to be pruned"):
        prune.remove(layer, "weight")


def test_a_pruned_state_dict_loads_into_a_pruned_model_and_deepcopy_keeps_the_hook():
    a, b = linear(0), linear(1)
    prune.l1_unstructured(a, "weight", 0.5)
    prune.l1_unstructured(b, "weight", 0.2)
    b.load_state_dict(a.state_dict())
    x = Tensor(np.ones((2, 5), dtype=np.float32))
    np.testing.assert_allclose(b(x).data, a(x).data)
    c = copy.deepcopy(a)
    with no_grad():
        c.weight_orig.data[...] += 1
    np.testing.assert_allclose(c(x).data, x.data @ ((a.weight_orig.data + 1) * a.weight_mask.data).T + a.bias.data,
                               rtol=1e-6)


def test_ln_structured_prunes_conv_output_channels_and_importance_scores_steer_it():
    tinytorch.manual_seed(0)
    conv = Conv2d(2, 6, 3)
    prune.ln_structured(conv, "weight", amount=0.5, n=1, dim=0)
    channels = conv.weight_mask.data.reshape(6, -1)
    assert set(channels.min(axis=1)) == {0, 1} and (channels.max(axis=1) == channels.min(axis=1)).all()
    norms = np.abs(conv.weight_orig.data).reshape(6, -1).sum(axis=1)
    np.testing.assert_array_equal(np.flatnonzero(channels[:, 0]), np.sort(np.argsort(-norms)[:3]))
    layer = linear()
    scores = Tensor(np.arange(20, dtype=np.float32).reshape(4, 5))
    prune.l1_unstructured(layer, "weight", amount=5, importance_scores=scores)
    np.testing.assert_array_equal(layer.weight_mask.data.reshape(-1), [0] * 5 + [1] * 15)
    with pytest.raises(AssertionError, match="same shape"):
        prune.l1_unstructured(linear(), "weight", 1, importance_scores=Tensor(np.ones((5, 4))))
    with pytest.raises(ValueError, match="multidimensional"):
        prune.ln_structured(linear(), "bias", 1, n=2, dim=0)


def test_global_unstructured_prunes_the_smallest_over_all_tensors():
    a, b = linear(0, (4, 3)), linear(1, (3, 2))
    everything = np.concatenate([np.abs(a.weight.data).ravel(), np.abs(b.weight.data).ravel()])
    threshold = np.sort(everything)[9]
    prune.global_unstructured([(a, "weight"), (b, "weight")], pruning_method=prune.L1Unstructured, amount=10)
    assert a.weight_mask.data.sum() + b.weight_mask.data.sum() == 18 - 10
    for layer in (a, b):
        np.testing.assert_array_equal(layer.weight_mask.data, (np.abs(layer.weight_orig.data) > threshold).astype(np.float32))
    with pytest.raises(TypeError, match="unstructured"):
        prune.global_unstructured([(a, "weight")], pruning_method=prune.LnStructured, amount=1, n=2, dim=0)


def test_random_unstructured_prunes_the_count_and_repeats_with_the_seed():
    masks = []
    for _ in range(2):
        layer = linear()
        tinytorch.manual_seed(5)
        prune.random_unstructured(layer, "weight", amount=0.3)
        masks.append(layer.weight_mask.data.copy())
    assert masks[0].sum() == 14
    np.testing.assert_array_equal(masks[0], masks[1])


def test_profiling_a_pruned_model_counts_the_hook_and_restores_call():
    call = tinytorch.Module.__dict__["__call__"]
    tinytorch.manual_seed(0)
    model = Sequential(Linear(4, 6), ReLU(), Linear(6, 2))
    prune.l1_unstructured(model[0], "weight", amount=0.5)
    prune.l1_unstructured(model[2], "weight", amount=0.5)
    x = Tensor(np.ones((3, 4), dtype=np.float32))
    expected = model(x).data
    with tinytorch.profiler.profile() as prof:
        out = model(x)
    np.testing.assert_allclose(out.data, expected)
    rows = {row.key: row.count for row in prof.key_averages()}
    assert rows["Tensor.__mul__"] == 2 and rows["nn.Module: Linear"] == 2
    assert tinytorch.Module.__dict__["__call__"] is call
    with no_grad():
        model[0].weight_orig.data[...] = 1.0
    hidden = np.maximum(x.data @ model[0].weight_mask.data.T + model[0].bias.data, 0)  # the hook still runs
    second = model[2].weight_orig.data * model[2].weight_mask.data
    np.testing.assert_allclose(model(x).data, hidden @ second.T + model[2].bias.data, rtol=1e-5)


# distillation
def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("T,alpha", [(4.0, 0.9), (1.0, 0.5), (2.5, 0.0), (3.0, 1.0)])
def test_distillation_loss_matches_the_formula(T, alpha):
    rng = np.random.default_rng(7)
    s, t = rng.standard_normal((6, 4)) * 3, rng.standard_normal((6, 4)) * 3
    y = rng.integers(0, 4, 6)
    log_p, log_q = _log_softmax(t / T), _log_softmax(s / T)
    expected = (alpha * T * T * (np.exp(log_p) * (log_p - log_q)).sum() / 6
                - (1 - alpha) * _log_softmax(s)[np.arange(6), y].mean())
    got = distillation_loss(Tensor(s), Tensor(t), Tensor(y, dtype=np.int64), temperature=T, alpha=alpha)
    np.testing.assert_allclose(float(got.data), expected, rtol=1e-5)


def test_distillation_loss_is_zero_kl_when_student_equals_teacher():
    z = Tensor(np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32))
    assert abs(float(distillation_loss(z, z, Tensor(np.array([0, 1, 2]), dtype=np.int64), 3.0, 1.0).data)) < 1e-6


@pytest.mark.parametrize("kwargs,phrase", [(dict(temperature=0), "temperature"), (dict(alpha=1.5), "alpha"),
                                           (dict(temperature=-2.0), "temperature")])
def test_distillation_loss_refuses_bad_settings(kwargs, phrase):
    z = Tensor(np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=phrase):
        distillation_loss(z, z, Tensor(np.array([0, 1]), dtype=np.int64), **kwargs)
    with pytest.raises(ValueError, match="must both be"):
        distillation_loss(z, Tensor(np.zeros((2, 4), dtype=np.float32)), Tensor(np.array([0, 1]), dtype=np.int64))


def test_sparse_nbytes_counts_values_indices_and_row_pointers():
    w = np.zeros((4, 6), dtype=np.float32)
    w[0, 1] = w[2, 5] = w[3, 0] = 1.0
    assert sparse_nbytes(w) == 3 * 8 + 5 * 4
    assert sparse_nbytes(np.ones((2, 3, 2, 2))) == 24 * 8 + 3 * 4
