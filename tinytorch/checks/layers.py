"""Checks for module 03 (Layers). Each takes the learner's classes."""
from collections import OrderedDict
from itertools import islice

import numpy as np

from tinytorch.checks import assert_close, assert_raises, check
from tinytorch.core.tensor import Tensor
from tinytorch.random import manual_seed


def _names(pairs, limit=50):
    """The names of a (name, value) iterator, at most `limit` of them: a walk that never ends is cut short."""
    return [name for name, _ in islice(pairs, limit)]


@check("Part 1 · Parameter and Module")
def check_module(Module, Parameter):
    weight = Parameter(np.ones((2, 3)))
    assert weight.requires_grad is True, "a Parameter should have requires_grad == True"
    assert isinstance(weight, Tensor) and weight.shape == (2, 3), "a Parameter should be a Tensor of its data's shape"
    assert Parameter(np.ones(2), requires_grad=False).requires_grad is False, \
        "Parameter(data, requires_grad=False) should not require gradients"

    class Leaf(Module):
        def __init__(self):
            super().__init__()
            self.scale = Parameter(np.ones(3))
            self.constant = Tensor(np.ones(3))  # a plain Tensor is not a parameter
            self.shift = Parameter(np.zeros(3))
            self.register_buffer("count", Tensor(np.zeros(1)))

    class Tree(Module):
        def __init__(self):
            super().__init__()
            self.first = Leaf()
            self.second = Leaf()
            self.gain = Parameter(np.ones(1))
            self.second.scale = self.first.scale  # one Parameter in two places (tied): list it once
            self.again = self.first  # one module in two places: list it once
            self.first.owner = self  # a reference back to the parent: the walk must not go round forever
            self.blocks = [Leaf(), Leaf()]  # a plain list: not registered, as in PyTorch

    tree = Tree()
    modules = _names(tree.named_modules())
    assert len(modules) < 50, (f"named_modules() never ends on a model whose child refers back to its parent "
                               f"(it listed {modules[:6]}...): keep a memo set of the modules already visited")
    assert not any(name.startswith("blocks") for name in modules), (
        f"a plain Python list of Modules should not be registered (PyTorch neither: use ModuleList); "
        f"named_modules() gave {modules}")
    assert modules == ["", "first", "second"], (
        f"named_modules() should list each module once, depth first, with dotted names: expected "
        f"['', 'first', 'second'] (the second path to `first` and the way back to the parent are skipped), got {modules}")
    names = _names(tree.named_parameters())
    expected = ["gain", "first.scale", "first.shift", "second.shift"]
    assert names == expected, (f"named_parameters() should give {expected} (a module's own parameters first, "
                               f"then each child's, depth first; a tied Parameter once), got {names}")
    parameters = tree.parameters()
    assert iter(parameters) is parameters, "parameters() should return an iterator, like PyTorch"
    assert len(list(parameters)) == 4, "list(model.parameters()) should hold the 4 distinct Parameters"
    assert list(tree.children()) == [tree.first, tree.second], "children() should be first, second (each once)"
    buffers = _names(tree.named_buffers())
    assert buffers == ["first.count", "second.count"], f"named_buffers() should be ['first.count', 'second.count'], got {buffers}"
    assert tree.gain is list(tree.parameters())[0] and tree.first.owner is tree, \
        "a registered Parameter or Module should still read back as an attribute (tree.gain, tree.first)"

    del tree.gain
    assert _names(tree.named_parameters())[0] == "first.scale", "del model.gain should unregister the parameter"
    assert_raises(TypeError, lambda: setattr(tree.first, "shift", Tensor(np.zeros(3))),
                  "assigning a plain Tensor to the parameter name 'shift'", must_mention=["shift"])

    class Forgetful(Module):
        def __init__(self):
            self.leaf = Leaf()  # no super().__init__() first

    assert_raises(AttributeError, Forgetful, "a Module whose __init__ does not call super().__init__()",
                  must_mention=["Module.__init__()"])

    class ForgetfulParameter(Module):
        def __init__(self):
            self.weight = Parameter(np.ones(1))

    assert_raises(AttributeError, ForgetfulParameter, "a Parameter assigned before super().__init__()",
                  must_mention=["Module.__init__()"])
    visited = []
    leaf = Leaf()
    assert leaf.apply(lambda module: visited.append(module)) is leaf and visited == [leaf], \
        "apply(fn) should call fn on every module (here the one leaf) and return the module"


@check("Part 2 · Linear")
def check_linear(Linear):
    layer = Linear(4, 2)
    assert layer.weight.shape == (2, 4), \
        f"Linear(4, 2).weight should have shape (out_features, in_features) = (2, 4), like PyTorch; got {layer.weight.shape}"
    assert layer.bias is not None and layer.bias.shape == (2,), "Linear(4, 2).bias should have shape (2,)"
    assert getattr(layer.weight, "requires_grad", False) and getattr(layer.bias, "requires_grad", False), \
        "weight and bias should be Parameters"
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"], \
        (f"Linear's named_parameters() should be ['weight', 'bias'] in this order, as PyTorch's, got "
         f"{[name for name, _ in layer.named_parameters()]}: a Module lists its parameters in the order they are "
         "assigned, so assign self.weight before self.bias in __init__")
    x_np = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    output = layer(Tensor(x_np))
    assert isinstance(output, Tensor) and output.dtype == np.float32, "Linear should return a float32 Tensor"
    assert_close(output, x_np @ layer.weight.data.T + layer.bias.data, "Linear(4, 2) on a (3, 4) batch", rtol=1e-4)
    batched = np.random.default_rng(1).standard_normal((5, 3, 4)).astype(np.float32)
    assert_close(layer(Tensor(batched)), batched @ layer.weight.data.T + layer.bias.data,
                 "Linear(4, 2) on a (5, 3, 4) input", rtol=1e-4)
    gradient_probe = Linear(4, 2)
    probe_output = gradient_probe(Tensor(x_np))
    assert probe_output.requires_grad, \
        ("Linear(4, 2)(x) should require grad (its weights do), but it does not: compute forward with Tensor "
         "operations (x @ self.weight.T + self.bias), not on the numpy .data, so gradients can reach the weights")
    probe_output.sum().backward()
    assert gradient_probe.weight.grad is not None and gradient_probe.bias.grad is not None, \
        ("Linear(4, 2)(x).sum().backward() left weight.grad or bias.grad at None: compute forward with Tensor "
         "operations (x @ self.weight.T + self.bias), not on the numpy .data, so gradients can reach the weights")
    assert_close(gradient_probe.weight.grad, np.ones((2, 1)) * x_np.sum(0), "weight.grad of sum(Linear(4, 2)(x))",
                 rtol=1e-4)
    no_bias = Linear(4, 2, bias=False)
    assert no_bias.bias is None and len(list(no_bias.parameters())) == 1, "bias=False should leave bias = None"
    assert_close(no_bias(Tensor(x_np)), x_np @ no_bias.weight.data.T, "Linear(4, 2, bias=False)", rtol=1e-4)
    assert_raises(ValueError, lambda: layer(Tensor(np.ones((3, 5)))), "Linear(4, 2) on a (3, 5) input",
                  must_mention=["Linear", "4", "(3, 5)"])
    assert_raises(TypeError, lambda: layer([1.0, 2.0, 3.0, 4.0]), "Linear(4, 2) on a list", must_mention=["list"])
    assert_raises(RuntimeError, lambda: Linear(-1, 3), "Linear(-1, 3)", must_mention=["in_features", "-1"])
    assert_raises(TypeError, lambda: Linear(2, 2.5), "Linear(2, 2.5)", must_mention=["out_features", "2.5"])
    empty = Linear(0, 3)
    assert_close(empty(Tensor(np.ones((2, 0)))), np.zeros((2, 3)), "Linear(0, 3) (allowed, as in PyTorch: a zero bias)")

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


@check("Part 3 · Sequential and ModuleList")
def check_sequential(Sequential, ModuleList, Linear, ReLU):
    manual_seed(0)
    first, last = Linear(4, 3), Linear(3, 2)
    relu = ReLU()
    model = Sequential(first, relu, last)
    x = Tensor(np.random.default_rng(0).standard_normal((5, 4)))
    hidden = np.maximum(x.data @ first.weight.data.T + first.bias.data, 0)
    assert_close(model(x), hidden @ last.weight.data.T + last.bias.data, "Sequential(Linear, ReLU(), Linear)(x)",
                 rtol=1e-5)
    assert len(model) == 3 and model[0] is first and model[-1] is last, "len(model) and model[i] should work"
    assert list(model) == [first, relu, last], "iterating a Sequential should give its layers in order"
    tail = model[1:]
    assert isinstance(tail, Sequential) and list(tail) == [relu, last], "model[1:] should be a Sequential of the rest"
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"], \
        f"a Sequential names parameters by layer position, like PyTorch: expected ['0.weight', '0.bias', " \
        f"'2.weight', '2.bias'], got {names}"
    nested = Sequential(Sequential(first, relu), last)
    nested_names = [name for name, _ in nested.named_parameters()]
    assert nested_names == ["0.0.weight", "0.0.bias", "1.weight", "1.bias"], \
        f"a Sequential inside a Sequential: expected names ['0.0.weight', '0.0.bias', '1.weight', '1.bias'], got {nested_names}"
    assert_close(nested(x), model(x), "a nested Sequential computing the same function")
    assert_raises(TypeError, lambda: Sequential(Linear(4, 3), ReLU), "Sequential(Linear(4, 3), ReLU) (a class)",
                  must_mention=["ReLU"])
    assert_raises(TypeError, lambda: Sequential(Linear(4, 3), np.tanh), "Sequential(Linear(4, 3), np.tanh)",
                  must_mention=["tanh"])
    named = Sequential(OrderedDict([("encoder", first), ("act", relu)]))
    assert [name for name, _ in named.named_children()] == ["encoder", "act"], \
        "Sequential(OrderedDict(...)) should name its layers by the dict's keys"

    blocks = ModuleList([Linear(2, 2), Linear(2, 2)])
    blocks.append(relu)
    blocks.insert(0, last)
    blocks.extend([first])
    assert len(blocks) == 5 and blocks[0] is last and blocks[-2] is relu and blocks[4] is first, \
        "ModuleList: append, insert(0, m) and extend should give [last, Linear, Linear, relu, first]"
    assert list(blocks[3:]) == [relu, first] and isinstance(blocks[3:], ModuleList), "a slice of a ModuleList is a ModuleList"
    holder = Sequential(blocks)
    block_names = [name for name, _ in holder.named_parameters()][:4]
    assert block_names == ["0.0.weight", "0.0.bias", "0.1.weight", "0.1.bias"], \
        f"a ModuleList registers its modules as '0', '1', ... (renumbered after insert): got {block_names}"
    assert_raises(TypeError, lambda: ModuleList([relu, 3]), "ModuleList([relu, 3])", must_mention=["int"])
    assert_raises(IndexError, lambda: blocks[5], "a ModuleList of 5 indexed at 5")
    text = repr(ModuleList([Linear(2, 2), Linear(2, 2), relu]))
    expected = ("ModuleList(\n  (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)\n"
                f"  (2): {relu!r}\n)")
    assert text == expected, f"print(ModuleList) should group identical neighbours like PyTorch:\n{expected}\ngot\n{text}"


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
    leaf = Tensor(x_np.copy(), requires_grad=True)
    out = Dropout(0.25)(leaf)
    assert getattr(out, "requires_grad", False), \
        ("Dropout(0.25)(x) with x.requires_grad should require grad: multiply the input Tensor by a mask Tensor "
         "(input * Tensor(mask)), not the numpy .data, so the gradient reaches x")
    out.sum().backward()
    assert leaf.grad is not None, \
        ("Dropout(0.25)(x).sum().backward(): no gradient reached x: multiply the input Tensor by a mask Tensor "
         "(input * Tensor(mask)), not the numpy .data")
    assert_close(leaf.grad, (out.data != 0) / 0.75, "x.grad of Dropout(0.25)(x).sum() (1 / (1 - p) where kept, "
                 "0 where dropped)", rtol=1e-5)
    manual_seed(5)
    first = Dropout(0.5)(x).data.copy()
    manual_seed(5)
    assert np.array_equal(first, Dropout(0.5)(x).data), \
        ("after tinytorch.manual_seed(5) two Dropout(0.5) calls should drop the same elements: draw the mask from "
         "tinytorch's default_generator(), not from np.random")
    assert dropout.eval() is dropout and dropout.training is False, "eval() should set training = False and return self"
    assert np.array_equal(dropout(x).data, x_np), "in eval mode Dropout should be the identity"
    dropout.train()
    assert dropout.training is True, "train() should set training = True"
    assert np.array_equal(Dropout(0.0)(x).data, x_np), "Dropout(p=0) should change nothing"
    assert np.array_equal(Dropout(1.0)(x).data, np.zeros_like(x_np)), "Dropout(p=1) should give zeros, like PyTorch"
    for bad in (-0.1, 1.5):
        assert_raises(ValueError, lambda: Dropout(bad), f"Dropout({bad})", must_mention=[str(bad)])
    assert_raises(TypeError, lambda: Dropout("0.5"), "Dropout('0.5')", must_mention=["0.5"])

    class Inner(Module):
        def __init__(self):
            super().__init__()
            self.drop = Dropout(0.1)

    class Block(Module):
        def __init__(self):
            super().__init__()
            self.drop = Dropout(0.5)
            self.inner = Inner()

    block = Block()
    block.eval()
    assert not block.drop.training and not block.inner.training and not block.inner.drop.training, \
        "model.eval() should switch every module inside the model to evaluation mode, however deep"
    block.train()
    assert block.drop.training and block.inner.drop.training, "model.train() should switch every module back"

    class CountsTrainCalls(Module):
        calls = 0

        def train(self, mode=True):
            type(self).calls += 1
            return super().train(mode)

    class Holder(Module):
        def __init__(self):
            super().__init__()
            self.child = CountsTrainCalls()

    Holder().eval()
    assert CountsTrainCalls.calls == 1, \
        ("model.eval() should call train(False) on each child (a layer that overrides train() must be asked), "
         f"not just set child.training; the child's own train() ran {CountsTrainCalls.calls} times")


@check("Part 5 · state_dict and load_state_dict")
def check_state_dict(Sequential, Linear):
    manual_seed(0)
    model = Sequential(Linear(3, 4), Linear(4, 2))
    model[1].register_buffer("running", Tensor(np.arange(2.0)))
    model[1].register_buffer("scratch", Tensor(np.zeros(2)), persistent=False)
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running"], \
        f"state_dict() keys should be ['0.weight', '0.bias', '1.weight', '1.bias', '1.running'] (parameters, then " \
        f"persistent buffers, module by module), got {list(state)}"
    value = state["0.weight"]
    assert isinstance(value, Tensor) and not isinstance(value, type(model[0].weight)), \
        f"state_dict() values should be plain Tensors, as in PyTorch (not numpy arrays, not Parameters); got {type(value).__name__}"
    assert not value.requires_grad, "state_dict() values should be detached: requires_grad False"
    assert np.shares_memory(value.data, model[0].weight.data), \
        "state_dict() values should share memory with the model, like PyTorch's detached tensors"

    other = Sequential(Linear(3, 4), Linear(4, 2))
    other[1].register_buffer("running", Tensor(np.zeros(2)))
    held = other[0].weight.data
    result = other.load_state_dict(state)
    x = Tensor(np.ones((2, 3)))
    assert_close(other(x), model(x), "a model after load_state_dict(another model's state_dict())")
    assert np.shares_memory(other[0].weight.data, held), \
        "load_state_dict should copy into the existing arrays (tensor.data[...] = value), not replace them"
    assert_close(other[1].running, [0.0, 1.0], "a persistent buffer after load_state_dict")
    as_arrays = {name: value.data * 2 for name, value in state.items()}
    other.load_state_dict(as_arrays)
    assert_close(other[1].bias, state["1.bias"].data * 2, "load_state_dict with numpy array values")

    before = {name: value.data.copy() for name, value in other.state_dict().items()}
    missing = {k: v for k, v in state.items() if k != "1.bias"}
    assert_raises(RuntimeError, lambda: other.load_state_dict(missing), "a state_dict without '1.bias'",
                  must_mention=["1.bias"])
    unexpected = dict(state, extra=np.ones(1))
    assert_raises(RuntimeError, lambda: other.load_state_dict(unexpected), "a state_dict with an extra key",
                  must_mention=["extra"])
    wrong_shape = dict(state, **{"0.weight": np.ones((4, 4))})
    assert_raises(RuntimeError, lambda: other.load_state_dict(wrong_shape), "a (4, 4) array for '0.weight'",
                  must_mention=["0.weight", "(4, 4)", "(4, 3)"])
    not_numbers = dict(state, **{"1.weight": "weights"})
    assert_raises(RuntimeError, lambda: other.load_state_dict(not_numbers), "a string for '1.weight'",
                  must_mention=["1.weight"])
    changed = [name for name, value in other.state_dict().items() if not np.array_equal(value.data, before[name])]
    assert not changed, f"a load_state_dict that raises should change nothing; it changed {changed}: check every entry first"
    assert tuple(result) == ([], []) and result.missing_keys == [] and result.unexpected_keys == [], \
        f"load_state_dict should return (missing_keys, unexpected_keys), both empty here; got {result!r}"
    lenient = other.load_state_dict(unexpected, strict=False)
    assert lenient.unexpected_keys == ["extra"] and lenient.missing_keys == [], \
        f"strict=False should load what matches and report the rest: expected ([], ['extra']), got {lenient!r}"
    partial = other.load_state_dict(missing, strict=False)
    assert partial.missing_keys == ["1.bias"], f"strict=False should report missing keys, got {partial!r}"

    for parameter in model.parameters():
        parameter.grad = Tensor(np.ones(parameter.shape))
    model.zero_grad(set_to_none=False)
    assert all(np.array_equal(p.grad.data, np.zeros(p.shape)) for p in model.parameters()), \
        "zero_grad(set_to_none=False) should fill every grad with zeros"
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters()), "zero_grad() should set every grad to None"
