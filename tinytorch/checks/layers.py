"""Checks for module 03 (Layers). Each takes the learner's classes."""
import numpy as np

from tinytorch.checks import assert_close, assert_raises, check
from tinytorch.core.tensor import Tensor
from tinytorch.random import manual_seed


def _relu(x):
    # A plain callable, like the activations of module 02: Sequential must accept it.
    return Tensor(np.maximum(x.data, 0), dtype=x.dtype)


@check("Part 1 · Parameter and Module")
def check_module(Module, Parameter):
    weight = Parameter(np.ones((2, 3)))
    assert weight.requires_grad is True, "a Parameter should have requires_grad == True"
    assert isinstance(weight, Tensor) and weight.shape == (2, 3), "a Parameter should be a Tensor of its data's shape"

    class Leaf(Module):
        def __init__(self):
            self.scale = Parameter(np.ones(3))
            self.constant = Tensor(np.ones(3))  # a plain Tensor is not a parameter
            self.shift = Parameter(np.zeros(3))

    class Tree(Module):
        def __init__(self):
            self.first = Leaf()
            self.blocks = [Leaf(), Leaf()]
            self.gain = Parameter(np.ones(1))
            self.blocks[1].scale = self.first.scale  # one Parameter in two places (tied): list it once

    tree = Tree()
    names = [name for name, _ in tree.named_parameters()]
    expected = ["gain", "first.scale", "first.shift", "blocks.0.scale", "blocks.0.shift", "blocks.1.shift"]
    missing = [name for name in expected if name not in names]
    assert not missing, (f"named_parameters() misses {missing}: look inside child Modules recursively, "
                         f"including Modules held in lists; got {names}")
    assert len(names) == len(expected), (f"named_parameters() should list each Parameter once and no plain "
                                         f"Tensors: expected {expected}, got {names}")
    assert names == expected, (f"named_parameters() order should be PyTorch's (a module's own parameters, "
                               f"then each child's, depth first): expected {expected}, got {names}")
    parameters = tree.parameters()
    assert iter(parameters) is parameters, "parameters() should return an iterator, like PyTorch"
    assert len(list(parameters)) == 6, "list(model.parameters()) should hold the 6 distinct Parameters"
    children = list(tree.children())
    assert children == [tree.first, *tree.blocks], "children() should be first, blocks[0], blocks[1]"


@check("Part 2 · Linear")
def check_linear(Linear):
    layer = Linear(4, 2)
    assert layer.weight.shape == (2, 4), \
        f"Linear(4, 2).weight should have shape (out_features, in_features) = (2, 4), like PyTorch; got {layer.weight.shape}"
    assert layer.bias is not None and layer.bias.shape == (2,), "Linear(4, 2).bias should have shape (2,)"
    assert getattr(layer.weight, "requires_grad", False) and getattr(layer.bias, "requires_grad", False), \
        "weight and bias should be Parameters"
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"], \
        "Linear's named_parameters() should be ['weight', 'bias']"
    x_np = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    output = layer(Tensor(x_np))
    assert isinstance(output, Tensor) and output.dtype == np.float32, "Linear should return a float32 Tensor"
    assert_close(output, x_np @ layer.weight.data.T + layer.bias.data, "Linear(4, 2) on a (3, 4) batch", rtol=1e-4)
    batched = np.random.default_rng(1).standard_normal((5, 3, 4)).astype(np.float32)
    assert_close(layer(Tensor(batched)), batched @ layer.weight.data.T + layer.bias.data,
                 "Linear(4, 2) on a (5, 3, 4) input", rtol=1e-4)
    no_bias = Linear(4, 2, bias=False)
    assert no_bias.bias is None and len(list(no_bias.parameters())) == 1, "bias=False should leave bias = None"
    assert_close(no_bias(Tensor(x_np)), x_np @ no_bias.weight.data.T, "Linear(4, 2, bias=False)", rtol=1e-4)
    assert_raises(ValueError, lambda: layer(Tensor(np.ones((3, 5)))), "Linear(4, 2) on a (3, 5) input",
                  must_mention=["Linear", "4", "(3, 5)"])

    manual_seed(0)
    wide = Linear(400, 50)
    bound = 1 / np.sqrt(400)
    for name in ("weight", "bias"):
        values = getattr(wide, name).data
        assert np.abs(values).max() <= bound + 1e-7, (
            f"Linear(400, 50).{name} should lie in PyTorch's U(-1/sqrt(in_features), 1/sqrt(in_features)) "
            f"= ±{bound:.3f}; found {np.abs(values).max():.3f}")
    std = wide.weight.data.std()
    assert abs(std - bound / np.sqrt(3)) < 0.1 * bound / np.sqrt(3), \
        f"the weight's std should be near {bound / np.sqrt(3):.4f} (uniform on ±{bound}); got {std:.4f}"
    assert wide.bias.data.std() > bound / 10, "the bias should be drawn from the same uniform, not zeros"
    manual_seed(7)
    first = Linear(3, 2).weight.data.copy()
    manual_seed(7)
    assert np.array_equal(first, Linear(3, 2).weight.data), \
        "after tinytorch.manual_seed(7) two Linear(3, 2) should get equal weights: draw from default_generator()"


@check("Part 3 · Sequential")
def check_sequential(Sequential, Linear):
    manual_seed(0)
    first, last = Linear(4, 3), Linear(3, 2)
    model = Sequential(first, _relu, last)
    x = Tensor(np.random.default_rng(0).standard_normal((5, 4)))
    assert_close(model(x), last(_relu(first(x))), "Sequential(Linear, relu, Linear)(x)", rtol=1e-5)
    assert len(model) == 3 and model[0] is first and model[2] is last, "len(model) and model[i] should work"
    assert list(model) == [first, _relu, last], "iterating a Sequential should give its layers in order"
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"], \
        f"a Sequential names parameters by layer position, like PyTorch: expected ['0.weight', '0.bias', " \
        f"'2.weight', '2.bias'], got {names}"
    nested = Sequential(Sequential(first, _relu), last)
    nested_names = [name for name, _ in nested.named_parameters()]
    assert nested_names == ["0.0.weight", "0.0.bias", "1.weight", "1.bias"], \
        f"a Sequential inside a Sequential: expected names ['0.0.weight', '0.0.bias', '1.weight', '1.bias'], got {nested_names}"
    assert_close(nested(x), model(x), "a nested Sequential computing the same function")


@check("Part 4 · Dropout, train() and eval()")
def check_dropout(Dropout, Module):
    manual_seed(0)
    dropout = Dropout(0.25)
    x_np = np.full((200, 100), 3.0, dtype=np.float32)
    x = Tensor(x_np)
    y = dropout(x)
    assert isinstance(y, Tensor) and y.shape == x.shape and y.dtype == np.float32, \
        "Dropout should return a float32 Tensor of the input's shape"
    assert np.array_equal(x.data, x_np), "Dropout must not change its input"
    values = set(np.unique(y.data).round(4).tolist())
    assert values <= {0.0, 4.0}, (f"with p = 0.25 an input of 3s should become 0 or 3 / (1 - 0.25) = 4 "
                                  f"(inverted dropout scales the survivors); got values {sorted(values)[:5]}")
    dropped = float((y.data == 0).mean())
    assert abs(dropped - 0.25) < 0.02, f"about 25% of the values should be dropped, got {dropped:.1%}"
    assert abs(float(y.data.mean()) - 3.0) < 0.1, "the mean should stay near the input's (3.0)"
    assert not np.array_equal(dropout(x).data, y.data), "each call should draw a fresh mask"
    assert dropout.eval() is dropout and dropout.training is False, "eval() should set training = False and return self"
    assert np.array_equal(dropout(x).data, x_np), "in eval mode Dropout should be the identity"
    dropout.train()
    assert dropout.training is True, "train() should set training = True"
    assert np.array_equal(Dropout(0.0)(x).data, x_np), "Dropout(p=0) should change nothing"
    assert np.array_equal(Dropout(1.0)(x).data, np.zeros_like(x_np)), "Dropout(p=1) should give zeros, like PyTorch"
    for bad in (-0.1, 1.5):
        assert_raises(ValueError, lambda: Dropout(bad), f"Dropout({bad})", must_mention=[str(bad)])

    class Block(Module):
        def __init__(self):
            self.drop = Dropout(0.5)
            self.stages = [Dropout(0.1)]

    block = Block()
    block.eval()
    assert not block.drop.training and not block.stages[0].training, \
        "model.eval() should switch every module inside the model to evaluation mode"
    block.train()
    assert block.drop.training and block.stages[0].training, "model.train() should switch every module back"


@check("Part 5 · state_dict and load_state_dict")
def check_state_dict(Sequential, Linear):
    manual_seed(0)
    model = Sequential(Linear(3, 4), Linear(4, 2))
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias"], \
        f"state_dict() keys should be ['0.weight', '0.bias', '1.weight', '1.bias'], got {list(state)}"
    assert isinstance(state["0.weight"], np.ndarray), "state_dict() values should be numpy arrays"
    assert not np.shares_memory(state["0.weight"], model[0].weight.data), \
        "state_dict() should hold copies: training later must not change a saved checkpoint"
    other = Sequential(Linear(3, 4), Linear(4, 2))
    held = other[0].weight.data
    other.load_state_dict(state)
    x = Tensor(np.ones((2, 3)))
    assert_close(other(x), model(x), "a model after load_state_dict(another model's state_dict())")
    assert np.shares_memory(other[0].weight.data, held), \
        "load_state_dict should copy into the existing arrays (parameter.data[...] = value), not replace them"
    as_tensors = {name: Tensor(value * 2) for name, value in state.items()}
    other.load_state_dict(as_tensors)
    assert_close(other[1].bias, state["1.bias"] * 2, "load_state_dict with Tensor values")

    missing = {k: v for k, v in state.items() if k != "1.bias"}
    assert_raises(RuntimeError, lambda: other.load_state_dict(missing), "a state_dict without '1.bias'",
                  must_mention=["1.bias"])
    unexpected = dict(state, extra=np.ones(1))
    assert_raises(RuntimeError, lambda: other.load_state_dict(unexpected), "a state_dict with an extra key",
                  must_mention=["extra"])
    wrong_shape = dict(state, **{"0.weight": np.ones((4, 4))})
    assert_raises(RuntimeError, lambda: other.load_state_dict(wrong_shape), "a (4, 4) array for '0.weight'",
                  must_mention=["0.weight", "(4, 4)", "(4, 3)"])

    for parameter in model.parameters():
        parameter.grad = Tensor(np.ones(parameter.shape))
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters()), "zero_grad() should set every grad to None"
