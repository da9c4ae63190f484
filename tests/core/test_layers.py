"""tinytorch.core.layers against numpy references of PyTorch's documented behaviour."""
import numpy as np
import pytest

from tinytorch.core.activations import ReLU
from tinytorch.core.layers import Dropout, Linear, Module, Parameter, Sequential
from tinytorch.core.tensor import Tensor
from tinytorch.random import manual_seed


class TwoLayer(Module):
    def __init__(self):
        self.fc1 = Linear(3, 4)
        self.scale = Parameter(np.ones(4))
        self.heads = [Linear(4, 2), Linear(4, 1, bias=False)]
        self.note = Tensor(np.zeros(2))  # not a Parameter

    def forward(self, x):
        hidden = self.fc1(x) * self.scale
        return self.heads[0](hidden), self.heads[1](hidden)


def test_parameter_is_a_trainable_tensor_that_keeps_a_tensors_dtype():
    p = Parameter(np.ones((2, 3)))
    assert isinstance(p, Tensor) and p.requires_grad and p.dtype == np.float32
    assert Parameter(Tensor(np.ones(2), dtype=np.float64)).dtype == np.float64
    assert repr(p).startswith("Parameter containing:\ntensor(")


def test_linear_init_draws_weight_then_bias_from_pytorchs_uniform_with_the_shared_generator():
    manual_seed(123)
    layer = Linear(5, 3)
    reference = np.random.default_rng(123)
    bound = 1 / np.sqrt(5)
    np.testing.assert_allclose(layer.weight.data, reference.uniform(-bound, bound, (3, 5)).astype(np.float32))
    np.testing.assert_allclose(layer.bias.data, reference.uniform(-bound, bound, 3).astype(np.float32))


def test_linear_init_statistics_match_the_uniform_distribution():
    manual_seed(0)
    weight = Linear(1000, 200).weight.data
    bound = 1 / np.sqrt(1000)
    assert np.abs(weight).max() <= bound
    assert abs(weight.mean()) < 0.01 * bound
    assert weight.var() == pytest.approx(bound**2 / 3, rel=0.02)  # variance of U(-a, a) is a²/3


def test_linear_forward_is_x_times_weight_transposed_plus_bias():
    manual_seed(0)
    layer = Linear(4, 3)
    x = np.random.default_rng(1).standard_normal((2, 5, 4)).astype(np.float32)
    out = layer(Tensor(x))
    expected = np.einsum("bti,oi->bto", x, layer.weight.data) + layer.bias.data
    assert out.shape == (2, 5, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-6)
    no_bias = Linear(4, 3, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    np.testing.assert_allclose(no_bias(Tensor(x)).data, x @ no_bias.weight.data.T, rtol=1e-5, atol=1e-6)


def test_linear_keeps_float64_for_gradient_checks():
    layer = Linear(2, 2)
    layer.weight = Parameter(Tensor(layer.weight.data, dtype=np.float64))
    layer.bias = Parameter(Tensor(layer.bias.data, dtype=np.float64))
    assert layer(Tensor(np.ones((1, 2)), dtype=np.float64)).dtype == np.float64


@pytest.mark.parametrize("shape", [(3, 5), (5,), ()])
def test_linear_rejects_a_wrong_feature_count_naming_layer_and_shape(shape):
    with pytest.raises(ValueError) as raised:
        Linear(4, 2)(Tensor(np.ones(shape)))
    assert "Linear(4, 2)" in str(raised.value) and str(shape) in str(raised.value)


def test_linear_repr_matches_pytorch():
    assert repr(Linear(4, 2)) == "Linear(in_features=4, out_features=2, bias=True)"
    assert repr(Linear(4, 2, bias=False)) == "Linear(in_features=4, out_features=2, bias=False)"


def test_named_parameters_recurse_in_pytorch_order_and_skip_plain_tensors():
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "heads.0.weight", "heads.0.bias", "heads.1.weight"]
    assert sum(p.numel() for p in model.parameters()) == 4 + (3 * 4 + 4) + (4 * 2 + 2) + 4
    assert [name for name, _ in model.named_children()] == ["fc1", "heads.0", "heads.1"]
    assert [name for name, _ in model.named_modules()] == ["", "fc1", "heads.0", "heads.1"]


def test_parameters_is_an_iterator_and_lists_shared_parameters_once():
    first, second = Linear(3, 3), Linear(3, 3)
    second.weight = first.weight  # tied weights
    model = Sequential(first, second)
    parameters = model.parameters()
    assert iter(parameters) is parameters
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.bias"]


def test_train_and_eval_set_the_flag_on_every_submodule():
    model = Sequential(Linear(2, 2), Sequential(Dropout(0.5), ReLU()), Dropout(0.2))
    assert model.eval() is model
    modules = [m for _, m in model.named_modules()]
    assert len(modules) == 5 and not any(m.training for m in modules)
    model.train()
    assert all(m.training for m in modules)


def test_sequential_applies_layers_in_order_and_behaves_like_a_list():
    manual_seed(0)
    first, last = Linear(3, 4), Linear(4, 2)
    model = Sequential(first, ReLU(), last)
    x = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    hidden = np.maximum(x @ first.weight.data.T + first.bias.data, 0)
    np.testing.assert_allclose(model(Tensor(x)).data, hidden @ last.weight.data.T + last.bias.data,
                               rtol=1e-5, atol=1e-6)
    assert len(model) == 3 and model[-1] is last and list(model)[0] is first
    tail = model[1:]
    assert isinstance(tail, Sequential) and len(tail) == 2 and tail[1] is last
    assert repr(model) == ("Sequential(\n  (0): Linear(in_features=3, out_features=4, bias=True)\n"
                           "  (1): ReLU()\n  (2): Linear(in_features=4, out_features=2, bias=True)\n)")
    nested = repr(Sequential(Sequential(Dropout(0.1))))
    assert nested == "Sequential(\n  (0): Sequential(\n    (0): Dropout(p=0.1)\n  )\n)"


def test_dropout_zeroes_with_probability_p_and_rescales_survivors():
    manual_seed(0)
    x = np.full((400, 250), 2.0, dtype=np.float32)
    y = Dropout(0.3)(Tensor(x)).data
    kept = y != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.01)
    np.testing.assert_allclose(y[kept], 2.0 / 0.7, rtol=1e-6)
    assert y.mean() == pytest.approx(2.0, rel=0.02)
    assert y.dtype == np.float32


def test_dropout_is_the_identity_in_eval_and_keeps_float64():
    x = Tensor(np.random.default_rng(0).standard_normal((3, 4)), dtype=np.float64)
    assert Dropout(0.5).eval()(x) is x
    assert Dropout(0.5)(x).dtype == np.float64


def test_dropout_edge_probabilities_and_seeding():
    x = Tensor(np.ones((10, 10)))
    np.testing.assert_array_equal(Dropout(0.0)(x).data, x.data)
    np.testing.assert_array_equal(Dropout(1.0)(x).data, np.zeros((10, 10)))
    manual_seed(5)
    first = Dropout(0.5)(x).data
    manual_seed(5)
    np.testing.assert_array_equal(Dropout(0.5)(x).data, first)
    for bad in (-0.5, 1.01):
        with pytest.raises(ValueError, match=str(bad)):
            Dropout(bad)
    assert repr(Dropout(0.25)) == "Dropout(p=0.25)"


def test_state_dict_copies_and_load_state_dict_copies_in_place():
    manual_seed(0)
    source, target = TwoLayer(), TwoLayer()
    state = source.state_dict()
    assert list(state) == [name for name, _ in source.named_parameters()]
    state["fc1.bias"][:] = 99  # editing the copy leaves the model alone
    assert not np.any(source.fc1.bias.data == 99)
    held = target.fc1.weight.data
    target.load_state_dict({name: Tensor(value) for name, value in source.state_dict().items()})
    assert target.fc1.weight.data is held
    for (name, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)


def test_load_state_dict_lists_every_problem_and_changes_nothing():
    model = TwoLayer()
    before = model.state_dict()
    state = model.state_dict()
    del state["scale"]
    state["extra.weight"] = np.ones(2)
    state["fc1.weight"] = np.zeros((3, 4))
    with pytest.raises(RuntimeError) as raised:  # PyTorch raises RuntimeError here too
        model.load_state_dict(state)
    message = str(raised.value)
    for word in ["'scale'", "'extra.weight'", "'fc1.weight'", "(3, 4)", "(4, 3)"]:
        assert word in message
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_zero_grad_sets_every_grad_to_none():
    model = TwoLayer()
    for p in model.parameters():
        p.grad = Tensor(np.ones(p.shape))
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match="forward"):
        Module()(Tensor(1.0))


def test_linear_and_dropout_pass_gradients_once_autograd_is_enabled():
    from tinytorch.core.autograd import enable_autograd

    enable_autograd()  # idempotent; layers use Tensor ops only, so no layer code changes
    manual_seed(0)
    layer = Linear(3, 2)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    layer(Tensor(x)).sum().backward()
    # d(sum of x @ W.T + b)/dW[j, i] = sum over the batch of x[:, i]; d/db[j] = batch size
    np.testing.assert_allclose(layer.weight.grad.data, np.tile(x.sum(0), (2, 1)), rtol=1e-5)
    np.testing.assert_allclose(layer.bias.grad.data, [4.0, 4.0])
    ones = Tensor(np.ones((5, 6)), requires_grad=True)
    dropped = Dropout(0.4)(ones)
    dropped.sum().backward()
    np.testing.assert_allclose(ones.grad.data, dropped.data)  # the gradient is the scaled mask itself
