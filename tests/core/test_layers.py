"""tinytorch.core.layers against numpy references of PyTorch's documented behaviour."""
import copy
from collections import OrderedDict

import numpy as np
import pytest

from tinytorch.core.activations import GELU, ReLU, Softmax
from tinytorch.core.layers import Dropout, Linear, Module, ModuleList, Parameter, Sequential
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.tensor import Tensor
from tinytorch.random import manual_seed


class TwoLayer(Module):
    def __init__(self):
        super().__init__()
        self.fc1 = Linear(3, 4)
        self.scale = Parameter(np.ones(4))
        self.heads = ModuleList([Linear(4, 2), Linear(4, 1, bias=False)])
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
    assert [name for name, _ in model.named_children()] == ["fc1", "heads"]
    assert [name for name, _ in model.named_modules()] == ["", "fc1", "heads", "heads.0", "heads.1"]
    assert [name for name, _ in model.named_parameters(recurse=False)] == ["scale"]
    assert [name for name, _ in model.fc1.named_parameters(prefix="fc1")] == ["fc1.weight", "fc1.bias"]


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
    assert len(modules) == 6 and not any(m.training for m in modules)
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
    assert list(tail.named_children()) == [("1", model[1]), ("2", last)]  # PyTorch keeps the names


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
    assert repr(Dropout(0.25)) == "Dropout(p=0.25, inplace=False)"


def test_state_dict_holds_detached_tensors_sharing_memory_and_load_copies_in_place():
    manual_seed(0)
    source, target = TwoLayer(), TwoLayer()
    state = source.state_dict()
    assert isinstance(state, OrderedDict) and list(state) == [name for name, _ in source.named_parameters()]
    for name, value in state.items():
        assert type(value) is Tensor and not value.requires_grad, name
    state["fc1.bias"].data[:] = 99  # as in PyTorch, the values are views of the model's numbers
    assert np.all(source.fc1.bias.data == 99)
    assert source.state_dict(keep_vars=True)["fc1.bias"] is source.fc1.bias
    held = target.fc1.weight.data
    assert target.load_state_dict({name: value.numpy().copy() for name, value in state.items()}) == ([], [])
    assert target.fc1.weight.data is held
    for (name, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)


def test_load_state_dict_lists_every_problem_and_changes_nothing():
    model = TwoLayer()
    before = {name: value.numpy().copy() for name, value in model.state_dict().items()}
    state = {name: value.numpy().copy() for name, value in model.state_dict().items()}
    del state["scale"]
    state["extra.weight"] = np.ones(2)
    state["fc1.weight"] = np.zeros((3, 4))
    with pytest.raises(RuntimeError) as raised:  # PyTorch raises RuntimeError here too
        model.load_state_dict(state)
    message = str(raised.value)
    for word in ["'scale'", "'extra.weight'", "'fc1.weight'", "(3, 4)", "(4, 3)"]:
        assert word in message
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.data, before[name])


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


# PyTorch 2.x's print() of the same model, written out by hand from torch's output.
PYTORCH_REPR = """Net(
  (body): Sequential(
    (0): Linear(in_features=2, out_features=3, bias=True)
    (1): ReLU()
    (2): Dropout(p=0.1, inplace=False)
  )
  (heads): ModuleList(
    (0-1): 2 x Linear(in_features=3, out_features=3, bias=True)
    (2): GELU(approximate='none')
    (3): Linear(in_features=3, out_features=1, bias=True)
  )
  (soft): Softmax(dim=1)
  (loss): CrossEntropyLoss()
  (empty): ModuleList()
)"""


class Net(Module):
    def __init__(self):
        super().__init__()
        self.body = Sequential(Linear(2, 3), ReLU(), Dropout(0.1))
        self.heads = ModuleList([Linear(3, 3), Linear(3, 3), GELU(), Linear(3, 1)])
        self.soft = Softmax(dim=1)
        self.loss = CrossEntropyLoss()
        self.empty = ModuleList()
        self.register_buffer("running", Tensor(np.zeros(2)))
        self.register_buffer("scratch", Tensor(np.zeros(2)), persistent=False)


def test_print_model_matches_pytorchs_nested_format():
    assert repr(Net()) == PYTORCH_REPR
    assert repr(Sequential(OrderedDict(act=ReLU()))) == "Sequential(\n  (act): ReLU()\n)"


def test_state_dict_orders_each_modules_parameters_then_persistent_buffers_as_pytorch():
    net = Net()
    assert list(net.state_dict()) == ["running", "body.0.weight", "body.0.bias", "heads.0.weight", "heads.0.bias",
                                      "heads.1.weight", "heads.1.bias", "heads.3.weight", "heads.3.bias"]
    assert [name for name, _ in net.named_buffers()] == ["running", "scratch"]
    assert all(not any(b is p for p in net.parameters()) for b in net.buffers())


def test_a_subclass_that_skips_super_init_gets_pytorchs_error():
    class NoInit(Module):
        def __init__(self):
            self.fc = Linear(1, 1)

    class NoInitParameter(Module):
        def __init__(self):
            self.w = Parameter(np.ones(1))

    class NoInitPlain(Module):
        def __init__(self):
            self.k = 3  # a plain attribute is allowed, as in PyTorch; the first registry use explains

    with pytest.raises(AttributeError, match=r"cannot assign module before Module.__init__\(\) call"):
        NoInit()
    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__\(\) call"):
        NoInitParameter()
    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        list(NoInitPlain().parameters())


def test_plain_lists_are_not_registered_but_module_list_is():
    class Holder(Module):
        def __init__(self):
            super().__init__()
            self.plain = [Linear(2, 2)]
            self.listed = ModuleList([Linear(2, 2)])

    assert [name for name, _ in Holder().named_parameters()] == ["listed.0.weight", "listed.0.bias"]


def test_a_module_referring_to_its_parent_does_not_loop_forever():
    class Child(Module):
        def __init__(self, parent):
            super().__init__()
            self.parent = parent
            self.fc = Linear(2, 2)

    class Parent(Module):
        def __init__(self):
            super().__init__()
            self.child = Child(self)

    parent = Parent()
    assert [name for name, _ in parent.named_modules()] == ["", "child", "child.fc"]
    assert [name for name, _ in parent.named_parameters()] == ["child.fc.weight", "child.fc.bias"]


def test_shared_modules_are_listed_once_but_saved_under_each_name_as_pytorch():
    shared = Linear(2, 2)
    model = Sequential(shared, ReLU(), shared)
    assert [name for name, _ in model.named_modules()] == ["", "0", "1"]
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(list(model.children())) == 2


def test_attribute_registration_rules_match_pytorch():
    layer = Linear(2, 3)
    with pytest.raises(TypeError, match="'weight'"):
        layer.weight = Tensor(np.ones((3, 2)))  # a plain Tensor cannot replace a Parameter
    layer.bias = None  # None empties the slot
    assert [name for name, _ in layer.named_parameters()] == ["weight"] and layer.bias is None
    with pytest.raises(KeyError, match="already exists"):
        layer.register_buffer("weight", Tensor(np.ones(1)))
    with pytest.raises(KeyError, match="'a.b'"):
        layer.add_module("a.b", ReLU())
    with pytest.raises(TypeError, match="Tensor or None"):
        layer.register_buffer("count", 3)
    with pytest.raises(AttributeError, match="'nope'"):
        layer.nope
    layer.register_module("act", ReLU())
    assert isinstance(layer.act, ReLU)
    del layer.act
    assert list(layer.children()) == []
    layer.register_buffer("mask", Tensor(np.ones(2)))
    layer.mask = Tensor(np.zeros(2))
    assert np.array_equal(layer.state_dict()["mask"].data, np.zeros(2))
    with pytest.raises(TypeError, match="'mask'"):
        layer.mask = [1, 2]


@pytest.mark.parametrize("make, error, words", [
    (lambda: Sequential(Linear(2, 3), Softmax), TypeError, ["'1'", "class Softmax", "Softmax()"]),
    (lambda: Sequential(np.tanh), TypeError, ["function tanh"]),
    (lambda: ModuleList([ReLU(), 3]), TypeError, ["'1'", "int"]),
    (lambda: ModuleList([ReLU()]).insert(0, "relu"), TypeError, ["str"]),
    (lambda: ModuleList([ReLU()])[1], IndexError, ["1"]),
    (lambda: Sequential(ReLU())[-2], IndexError, ["-2"]),
    (lambda: Linear(-1, 3), RuntimeError, ["in_features", "-1"]),
    (lambda: Linear(3, 2.5), TypeError, ["out_features", "2.5"]),
    (lambda: Linear(3, 2)([1.0, 2.0, 3.0]), TypeError, ["list", "Tensor"]),
    (lambda: Dropout("0.5"), TypeError, ["'0.5'"]),
    (lambda: Dropout(0.5, inplace=True), NotImplementedError, ["inplace"]),
    (lambda: Linear(2, 2).train("yes"), ValueError, ["boolean"]),
])
def test_bad_arguments_raise_naming_what_was_wrong(make, error, words):
    with pytest.raises(error) as raised:
        make()
    for word in words:
        assert word in str(raised.value)


def test_linear_with_no_inputs_is_allowed_and_outputs_its_zero_bias():
    layer = Linear(0, 3)
    assert layer.weight.shape == (3, 0)
    np.testing.assert_array_equal(layer(Tensor(np.ones((2, 0)))).data, np.zeros((2, 3)))


def test_module_list_appends_extends_inserts_and_slices_with_pytorch_names():
    a, b, c, d = Linear(1, 1), ReLU(), Linear(1, 2), GELU()
    blocks = ModuleList([a])
    assert blocks.append(b) is blocks and blocks.extend([c]) is blocks
    blocks.insert(1, d)
    assert list(blocks) == [a, d, b, c] and len(blocks) == 4 and blocks[-1] is c
    assert [name for name, _ in blocks.named_children()] == ["0", "1", "2", "3"]
    assert isinstance(blocks[1:3], ModuleList) and list(blocks[1:3]) == [d, b]
    blocks[0] = Linear(1, 1)
    assert blocks[0] is not a
    with pytest.raises(NotImplementedError, match="forward"):
        blocks(Tensor(1.0))


def test_load_state_dict_validates_every_entry_before_copying_and_reports_keys():
    manual_seed(0)
    model = Sequential(Linear(2, 3), Linear(3, 1))
    before = {name: value.numpy().copy() for name, value in model.state_dict().items()}
    bad = {"0.weight": np.ones((3, 2)), "0.bias": np.ones(3), "1.weight": np.ones((1, 3)), "1.bias": "oops"}
    with pytest.raises(RuntimeError, match="'1.bias'"):
        model.load_state_dict(bad)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.data, before[name], err_msg=name)
    result = model.load_state_dict({"0.weight": np.ones((3, 2)), "extra": np.ones(1)}, strict=False)
    assert result.missing_keys == ["0.bias", "1.weight", "1.bias"] and result.unexpected_keys == ["extra"]
    assert type(result).__name__ == "_IncompatibleKeys"
    np.testing.assert_array_equal(model[0].weight.data, np.ones((3, 2)))
    with pytest.raises(RuntimeError, match="size mismatch"):  # shapes are checked even when not strict
        model.load_state_dict({"0.weight": np.ones((2, 2))}, strict=False)


def test_zero_grad_can_fill_with_zeros_and_requires_grad_freezes():
    model = TwoLayer()
    for p in model.parameters():
        p.grad = Tensor(np.ones(p.shape))
    model.zero_grad(set_to_none=False)
    assert all(np.array_equal(p.grad.data, np.zeros(p.shape)) for p in model.parameters())
    assert model.requires_grad_(False) is model and not any(p.requires_grad for p in model.parameters())


def test_apply_visits_children_before_their_parent_and_train_reaches_overrides():
    visited = []
    model = Sequential(Linear(1, 1), Sequential(ReLU()))
    model.apply(lambda module: visited.append(type(module).__name__))
    assert visited == ["Linear", "ReLU", "Sequential", "Sequential"]

    class Frozen(Linear):
        def train(self, mode=True):  # PyTorch calls each child's train(), so an override is honoured
            return super().train(False)

    frozen = Sequential(Frozen(1, 1)).train()
    assert frozen.training and not frozen[0].training


def test_a_model_deep_copies_into_independent_parameters():
    model = Sequential(Linear(2, 2), ReLU())
    clone = copy.deepcopy(model)
    assert repr(clone) == repr(model) and clone[0].weight is not model[0].weight
    np.testing.assert_array_equal(clone[0].weight.data, model[0].weight.data)


def test_dropout_refuses_integer_input_instead_of_rounding_the_scaled_values():
    with pytest.raises(RuntimeError, match="floating point.*int64"):
        Dropout(0.5)(Tensor([1, 4], dtype=np.int64))
