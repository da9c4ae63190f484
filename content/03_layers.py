# %% [markdown]
# # Module 03 · Layers
#
# A neural network is a stack of layers, and almost every layer owns numbers that training will change:
# its **parameters**. This module builds the machinery PyTorch calls `torch.nn`: a `Parameter`, a
# `Module` base class that finds every parameter inside a model, the `Linear` layer that does nearly all
# the arithmetic of a multi-layer perceptron, the containers `Sequential` and `ModuleList`, and `Dropout`.
#
# ```text
# Connection map
#   Prerequisites : 01 Tensor (x @ W.T + b, broadcasting, views)
#                   02 Activations (ReLU between layers; they are Modules too)
#   Focus (03)    : Parameter, Module (registration, parameters, train/eval, state_dict), Linear,
#                   Sequential, ModuleList, Dropout
#   Unlocks       : 04 Losses     (a model's output to score)
#                   06 Autograd   (gradients for every Parameter)
#                   07 Optimizers (model.parameters() is what they update)
#                   09 Conv2d     (one more Module with a weight and a bias)
# ```
#
# ## Learning objectives
# By the end you will be able to
# 1. explain how a `Module` registers the Parameters and sub-Modules assigned to it, why its subclasses
#    must call `super().__init__()`, and why a plain Python list of layers is not registered;
# 2. list every `Parameter` of a model, however deeply nested, with PyTorch's names (`"0.weight"`,
#    `"fc1.bias"`), each once, even when modules are shared or refer back to their parent;
# 3. implement `Linear` exactly as PyTorch does: weight of shape `(out_features, in_features)`,
#    output `x @ W.T + b`, weights and bias drawn from U(−1/√in, 1/√in);
# 4. stack layers with `Sequential` and `ModuleList`, and switch `Dropout` between training and evaluation;
# 5. save and restore a model's numbers with `state_dict()` / `load_state_dict()`;
# 6. **measure**: parameter memory against activation memory as the batch grows, the FLOPs and
#    GFLOP/s of a forward pass, the cost of the `(out, in)` layout, and why initialisation scale matters.
#
# Work top to bottom: fill in the code where it says `# YOUR CODE HERE`, and run each check cell.

# %% [markdown]
# ## Part 1 · Parameters and the Module base class
#
# A `Linear` layer holds a weight matrix and a bias vector. An optimizer must find them, a checkpoint must
# save them, and module 06 must compute their gradients. So we mark them: a **`Parameter`** is a Tensor
# with `requires_grad = True`, a flag that says "training adjusts this". Any other Tensor an object holds
# (a cached mask, a constant) is not a parameter.
#
# A **`Module`** is the base class of every layer and every model. Writing a model is writing a subclass:
#
# ```python
# class MLP(Module):
#     def __init__(self):
#         super().__init__()          # first: creates the registries below
#         self.fc1 = Linear(784, 128)
#         self.fc2 = Linear(128, 10)
#     def forward(self, x):
#         return self.fc2(F.relu(self.fc1(x)))
# ```
#
# `model(x)` calls `forward(x)`. Nothing registers the layers explicitly: `Module.__setattr__` runs on
# every `self.name = value`, and when the value is a `Parameter` it is recorded in the module's
# `_parameters` dict, when it is a `Module` in its `_modules` dict (the module's **children**); anything
# else is an ordinary attribute. Reading `model.fc1` finds it there again (`__getattr__`). Those dicts are
# created by `Module.__init__`, which is why every subclass must call `super().__init__()` before it
# assigns a layer — forget it, and the assignment raises
# `AttributeError: cannot assign module before Module.__init__() call`, exactly as in PyTorch.
#
# **A plain list is not registered.** `self.layers = [Linear(4, 4), Linear(4, 4)]` assigns a `list`, not a
# Module, so `__setattr__` stores it as an ordinary attribute: `parameters()` never sees those layers, the
# optimizer never updates them, and a checkpoint never saves them — silently. Looking inside every list
# would be guessing (a list may hold anything), so PyTorch doesn't, and neither do we. The fix is
# `ModuleList` (Part 3): a Module that holds a list of Modules and registers each one.
#
# Parameters are then found recursively, through `named_modules()`:
#
# ```text
# MLP                      named_parameters()
#  ├─ fc1: Linear           fc1.weight  (128, 784)
#  │    ├─ weight           fc1.bias    (128,)
#  │    └─ bias             fc2.weight  (10, 128)
#  └─ fc2: Linear           fc2.bias    (10,)
# ```
#
# The order is PyTorch's: a module's own parameters first, then each child's, depth first; the name is
# the dotted path of attributes. A module or parameter reached twice (shared layers, tied weights) is
# listed once — an optimizer must not update it twice — and a module that keeps a reference to its parent
# must not send the walk round in circles forever. One **memo** set of the modules already visited solves
# both. `parameters()` returns an iterator, like PyTorch; wrap it in `list()` to count.
#
# A module can also hold **buffers**: Tensors that are state but not trained (a running mean, a fixed
# mask). `register_buffer(name, tensor)` records them: they are saved in the `state_dict` (Part 5) but
# never returned by `parameters()`.
#
# Your task: `named_modules()`. The rest of `Module` is given: read `__setattr__` and `_named_members`;
# `train()` is yours in Part 4 and `load_state_dict()` in Part 5, each added to the class in its own cell.

# %%
#| export
#| default_exp core.layers
import math
import numbers
from collections import OrderedDict, namedtuple

import numpy as np

from tinytorch.core.tensor import Tensor
from tinytorch.patching import patch_to
from tinytorch.random import default_generator

__all__ = ["Parameter", "Module", "Linear", "Sequential", "ModuleList", "Dropout", "check_size"]


class Parameter(Tensor):
    """A Tensor that training updates, as torch.nn.Parameter: `requires_grad` is True unless told otherwise.
    A Tensor's dtype is kept (float64 for gradient checks); anything else becomes float32, as for Tensor."""

    def __init__(self, data, requires_grad=True):
        super().__init__(data, dtype=data.dtype if isinstance(data, Tensor) else None)
        self.requires_grad = requires_grad

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def _dotted(prefix, name):
    return f"{prefix}.{name}" if prefix else name


def _require_module(value, what):
    """TypeError naming `what` unless value is a Module instance (or None, an empty slot)."""
    if value is None or isinstance(value, Module):
        return
    if isinstance(value, type) and issubclass(value, Module):
        raise TypeError(f"{what} is the class {value.__name__}, not a Module: create one with {value.__name__}()")
    named = callable(value) and hasattr(value, "__name__")
    kind = f"the function {value.__name__}" if named else f"{type(value).__name__} {value!r:.60}"
    raise TypeError(f"{what} is {kind}, not a Module: only Modules can be registered "
                    "(an activation is a Module whose forward calls the function)")


def _format(module, child_lines):
    """PyTorch's layout: `Name(extra)` on one line for a leaf; otherwise the extra_repr lines and the
    `(name): child` lines, each indented by two spaces, between `Name(` and `)`."""
    extra = module.extra_repr()
    lines = (extra.split("\n") if extra else []) + child_lines
    if not child_lines and len(lines) <= 1:
        return f"{type(module).__name__}({extra})"
    return f"{type(module).__name__}(\n  " + "\n".join(lines).replace("\n", "\n  ") + "\n)"


class Module:
    """Base class of every layer and model, as torch.nn.Module. A subclass calls super().__init__() first,
    assigns its Parameters and sub-Modules as attributes (they are registered) and defines forward."""

    def __init__(self):
        # object.__setattr__ bypasses Module.__setattr__, which needs these registries to exist already
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # Registration: `self.name = value` records Parameters and Modules; other values are plain attributes.
    def __setattr__(self, name, value):
        state = self.__dict__
        if isinstance(value, (Parameter, Module)):
            if "_modules" not in state:
                kind = "parameters" if isinstance(value, Parameter) else "module"
                raise AttributeError(f"cannot assign {kind} before Module.__init__() call: "
                                     f"{type(self).__name__}.__init__ must start with super().__init__()")
            registry = self._parameters if isinstance(value, Parameter) else self._modules
            self._forget(name, keep=registry)  # a name lives in one place; a replaced one keeps its position
            registry[name] = value
        elif name in state.get("_parameters", ()):
            self.register_parameter(name, value)  # only a Parameter or None fits a parameter's name
        elif name in state.get("_modules", ()):
            _require_module(value, f"{type(self).__name__}.{name}")
            self._modules[name] = value
        elif name in state.get("_buffers", ()):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} (Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Python calls __getattr__ only when ordinary lookup fails: registered members live in the registries
        state = self.__dict__
        if "_modules" not in state and name in ("training", "_parameters", "_buffers", "_modules"):
            raise AttributeError(f"{type(self).__name__} has no {name}: its __init__ must call "
                                 "super().__init__() before anything else")
        for registry in ("_parameters", "_buffers", "_modules"):
            if name in state.get(registry, ()):
                return state[registry][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        if name in self._parameters or name in self._buffers or name in self._modules:
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def _forget(self, name, keep=None):
        """Remove `name` from the attributes and from every registry except `keep`."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def _check_new_name(self, name, registry, kind):
        """Validate a name before register_parameter/register_buffer/add_module store it in `registry`."""
        if "_modules" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call: "
                                 f"{type(self).__name__}.__init__ must start with super().__init__()")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f"{kind} name can't be empty or contain '.', got {name!r}")
        if hasattr(self, name) and name not in getattr(self, registry):
            raise KeyError(f"attribute {name!r} already exists")

    def register_parameter(self, name, param):
        """Record `param` (a Parameter, or None for an empty slot such as a missing bias) under `name`."""
        self._check_new_name(name, "_parameters", "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter {name!r} (Parameter or None expected)")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Record a Tensor that is state but not trained: in state_dict() when persistent, never in parameters()."""
        self._check_new_name(name, "_buffers", "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__} as buffer {name!r} (Tensor or None expected)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name, module):
        """Record `module` (or None) as the child `name`; containers use this with names "0", "1", ..."""
        self._check_new_name(name, "_modules", "module")
        _require_module(module, f"{type(self).__name__}: module {name!r}")
        self._modules[name] = module

    register_module = add_module

    # Traversal: every walk goes through named_modules(), so one memo set serves them all.
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """This module and every module below it, depth first, with dotted names ("" for the root). With
        remove_duplicate, a memo set of the modules seen lists each once and stops cycles."""
        # HINT 1: Walk the tree of modules depth first: this module first, under `prefix`, then each child's own
        # HINT 1: walk under the child's dotted name. A module reached twice (shared by two parents) is reported
        # HINT 1: once when `remove_duplicate`, so a shared layer is not counted twice.
        # HINT 2: It is a generator: `yield` (name, module) pairs and `yield from` each child's
        # HINT 2: `named_modules(...)`, passing the same `memo` (a set, made on the first call) and
        # HINT 2: `remove_duplicate`. Return at once when `self` is already in `memo`; add `self` to it only
        # HINT 2: when `remove_duplicate`. Children live in `self._modules` (skip None slots); `_dotted(prefix,
        # HINT 2: name)` builds the child's name.
        ### BEGIN SOLUTION
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, _dotted(prefix, name), remove_duplicate)
        ### END SOLUTION

    def modules(self):
        return (module for _, module in self.named_modules())

    def named_children(self):
        """(name, module) for each direct sub-module, in assignment order, each module once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        return (module for _, module in self.named_children())

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        """(dotted name, tensor) from the `registry` dict of this module (and of every module below it)."""
        seen = set()  # ids: a Tensor's == compares numbers, so tensors are not set members
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield _dotted(module_name, name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter): a module's own parameters first, then each child's, depth first."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        return (parameter for _, parameter in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        return (buffer for _, buffer in self.named_buffers(recurse=recurse))

    def zero_grad(self, set_to_none=True):
        """Forget every gradient: set it to None (PyTorch's default), or fill it with zeros."""
        for parameter in self.parameters():
            if set_to_none:
                parameter.grad = None
            elif parameter.grad is not None:
                parameter.grad.data[...] = 0

    def requires_grad_(self, requires_grad=True):
        """Switch gradient tracking of every parameter on or off (to freeze layers); returns self."""
        for parameter in self.parameters():
            parameter.requires_grad = requires_grad
        return self

    def eval(self):
        return self.train(False)

    def apply(self, fn):
        """Call fn on every child's modules, then on this module (to initialise weights); returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def extra_repr(self):
        """The text between the parentheses of this module's line in print(model); subclasses override it."""
        return ""

    def __repr__(self):
        return _format(self, [f"({name}): {module!r}" for name, module in self._modules.items()])


# %% [markdown]
# ### Check Part 1
# The check builds models that share a module, tie a weight, keep a reference to their parent, hold a
# plain list of layers and skip `super().__init__()`.

# %%
from tinytorch.checks.layers import check_module

check_module(Module, Parameter)

# %% [markdown]
# ## Part 2 · Linear: `y = x @ W.T + b`
#
# A linear (fully connected, dense) layer maps `in_features` numbers to `out_features` numbers: each
# output is a weighted sum of all inputs plus a bias. For a batch `x` of shape `(B, in_features)`:
#
# $$y = x W^\top + b, \qquad W \in \mathbb{R}^{\text{out} \times \text{in}},\; b \in \mathbb{R}^{\text{out}}$$
#
# **Layout.** PyTorch stores `W` as `(out_features, in_features)`: row `j` holds the weights of output
# `j`. So the forward pass multiplies by `W.T`. Storing `(in, out)` would give the same outputs with a
# different checkpoint — and every PyTorch checkpoint, tutorial and paper figure you will meet uses
# `(out, in)`. The transpose is free: Part 4 of module 01 showed that `.T` is a view (the systems
# analysis below measures it again).
#
# **Initialisation.** Weights cannot start at zero: every output would compute the same thing and get the
# same gradient forever. They cannot start large either: each layer sums `in_features` products, so the
# output's spread grows with the fan-in. PyTorch's default for `Linear` draws both weight and bias from
# the uniform distribution
#
# $$U\!\left(-\tfrac{1}{\sqrt{\text{in\_features}}},\; \tfrac{1}{\sqrt{\text{in\_features}}}\right),$$
#
# which keeps the sum's spread roughly independent of the fan-in. Draw from
# `default_generator()` (the generator `tinytorch.manual_seed` seeds), so runs are repeatable.
# (`Linear(0, 3)` is allowed, as in PyTorch: no weights, and a bias of zeros; the given code sets the
# bound to 0 then.)
#
# **Errors.** The constructor checks its sizes (given). Feeding 5 features into `Linear(4, 2)` must fail
# with a message that names the layer, the 4 it expected and the shape it got — the most common bug in
# writing a model.
#
# Batch dimensions broadcast: an input of shape `(B, T, in)` gives `(B, T, out)`.

# %%
#| export
def check_size(value, name, layer, least=0):
    """A layer's size argument (features, channels, table rows) as an int, or an error naming it: a TypeError
    for a non-int, a RuntimeError (PyTorch's type for a bad dimension) below `least`. Later layers use it too."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{layer}: {name} must be an int, got {value!r} ({type(value).__name__})")
    if value < least:
        raise RuntimeError(f"{layer}: {name} must be >= {least}, got {value}")
    return int(value)


class Linear(Module):
    """y = x @ weight.T + bias, with weight (out_features, in_features), as torch.nn.Linear."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        check_size(in_features, "in_features", "Linear")
        check_size(out_features, "out_features", "Linear")
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features) if in_features > 0 else 0.0
        rng = default_generator()
        # HINT 1: A Linear layer owns a weight matrix with one row per output feature, and optionally a bias
        # HINT 1: with one number per output, both drawn uniformly in ±bound so the outputs start at a sensible
        # HINT 1: scale. Without a bias the slot still exists but holds None, as in PyTorch.
        # HINT 2: `rng.uniform(-bound, bound, shape)` draws the numbers; wrap them in `Parameter` and assign
        # HINT 2: them to `self.weight`, shape (out_features, in_features), and `self.bias`, shape
        # HINT 2: (out_features,). Without a bias, register an empty slot named "bias" with
        # HINT 2: `self.register_parameter` (value None).
        ### BEGIN SOLUTION
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features)))
        if bias:
            self.bias = Parameter(rng.uniform(-bound, bound, out_features))
        else:
            self.register_parameter("bias", None)
        ### END SOLUTION

    def forward(self, input):
        if not isinstance(input, Tensor):
            raise TypeError(f"Linear expects a Tensor input, got {type(input).__name__}; wrap it: Tensor(x)")
        # HINT 1: The layer computes x·Wᵀ + b over the last dimension of the input, whatever batch dimensions
        # HINT 1: come before. Check that last dimension first, so a wrong input names the layer instead of
        # HINT 1: failing inside matmul.
        # HINT 2: Raise ValueError when `input.ndim` is 0 or `input.shape[-1]` differs from `self.in_features`;
        # HINT 2: mention the layer as `Linear(in, out)`, the expected size and `input.shape`. Then use Tensor
        # HINT 2: operations only (`@`, `.T`, `+`) so module 06 can differentiate them; add the bias only when
        # HINT 2: `self.bias` is not None.
        ### BEGIN SOLUTION
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}) expects inputs whose last "
                             f"dimension is {self.in_features}, got an input of shape {input.shape}")
        output = input @ self.weight.T
        return output if self.bias is None else output + self.bias
        ### END SOLUTION

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


# %% [markdown]
# ### Check Part 2

# %%
from tinytorch.checks.layers import check_linear

check_linear(Linear)

# %% [markdown]
# ## Part 3 · Containers: Sequential and ModuleList
#
# **Activations are Modules too.** Module 02's `ReLU`, `Softmax`, ... are `Module` subclasses with no
# parameters: their `forward` computes the function. PyTorch offers each twice, as a Module for
# `Sequential` and `print(model)` (`nn.ReLU()`) and as a plain function (`F.relu`, in
# `tinytorch.nn.functional`). Here is that whole idea in three lines, built on *your* `Module` (the package's
# `ReLU` subclasses the package's `Module`, which is a different class from the one in this notebook):

# %%
import tinytorch.nn.functional as F


class ReLU(Module):
    """max(x, 0) as a Module: no parameters, forward calls the function."""

    def forward(self, input):
        return F.relu(input)


print(ReLU(), "has", len(list(ReLU().parameters())), "parameters")

# %% [markdown]
# **Sequential.** Most models of this first half of the course are a chain: the output of one layer is
# the input of the next. `Sequential(layer0, layer1, ...)` registers its layers as children named
# `"0"`, `"1"`, ... (with `add_module`), so parameters are called `"0.weight"`, `"2.bias"`, and its
# `forward` passes the input through each in turn. It accepts Modules only, like PyTorch: writing
# `Sequential(Linear(2, 3), Softmax)` — the class, not an instance — raises a `TypeError` naming it,
# instead of failing later inside `forward`. A model indexes like a list: `model[0]`, `len(model)`,
# `for layer in model`, `model[1:]` (a `Sequential` again). It also accepts an `OrderedDict` of named
# layers.
#
# **ModuleList** is the registered list of Part 1: it holds Modules for a `forward` you write yourself
# (a loop over blocks, layers that skip some steps) and supports `append`, `extend`, `insert`, indexing,
# slicing, `len` and iteration. Its `print` groups identical neighbours, `(0-2): 3 x Linear(...)`, as
# PyTorch does. Your task: `Sequential.forward`.

# %%
#| export
def _index(container, index):
    """An int index into `container`, negative ones counted from the end; IndexError when out of range."""
    if not -len(container) <= index < len(container):
        raise IndexError(f"index {index} is out of range for {type(container).__name__} of length {len(container)}")
    return index % len(container)


class Sequential(Module):
    """Apply modules in order, as torch.nn.Sequential: Sequential(m0, m1, ...) or Sequential(OrderedDict)."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

    def forward(self, input):
        # HINT 1: A Sequential feeds each module's output to the next, in the order they were given; its output
        # HINT 1: is the last module's.
        # HINT 2: Iterating over `self` gives the modules in order; call each (`module(x)`, which runs its
        # HINT 2: forward) and keep the result for the next one.
        ### BEGIN SOLUTION
        for module in self:
            input = module(input)
        return input
        ### END SOLUTION

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return type(self)(OrderedDict(items[index]))  # keeps the names, as PyTorch does
        return items[_index(self, index)][1]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleList(Module):
    """A list of Modules, each registered (named "0", "1", ...), as torch.nn.ModuleList."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        _require_module(module, "ModuleList.insert: module")
        modules = list(self)
        modules.insert(index, module)
        self._modules.clear()
        self.extend(modules)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(list(self)[index])
        return self._modules[str(_index(self, index))]

    def __setitem__(self, index, module):
        _require_module(module, f"ModuleList[{index}]")
        self._modules[str(_index(self, index))] = module

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __repr__(self):
        groups = []  # [first index, last index, repr] of each run of neighbours that print the same
        for index, module in enumerate(self):
            text = repr(module)
            if groups and groups[-1][2] == text:
                groups[-1][1] = index
            else:
                groups.append([index, index, text])
        return _format(self, [f"({first}): {text}" if first == last else f"({first}-{last}): {last - first + 1} x {text}"
                              for first, last, text in groups])


# %% [markdown]
# ### Check Part 3

# %%
from tinytorch.checks.layers import check_sequential

check_sequential(Sequential, ModuleList, Linear, ReLU)

# %% [markdown]
# ## Part 4 · Dropout, training mode and evaluation mode
#
# Dropout (Srivastava et al., 2014) fights overfitting: during training, each number of the input is
# set to zero with probability `p`, a fresh random choice at every call, so no unit can rely on any
# other. At evaluation time nothing is dropped.
#
# That changes the scale: with `p = 0.5`, a training-time sum sees half the inputs. **Inverted dropout**
# (what PyTorch does) fixes it during training, by multiplying the survivors by `1 / (1 − p)`, so the
# expected value of every output equals its input and evaluation is the identity:
#
# $$y = x \cdot \frac{m}{1-p}, \quad m \sim \text{Bernoulli}(1-p) \qquad\text{(training)};\qquad y = x \quad\text{(evaluation)}$$
#
# Like PyTorch, `p` must be a number in `[0, 1]`; `p = 1` drops everything and gives zeros (avoid the
# division by zero). Build the mask with numpy from `default_generator()` and apply it with a Tensor
# multiplication (`x * Tensor(mask)`), keeping `x`'s dtype; module 06 will then differentiate it for free.
# (PyTorch's `inplace=True` overwrites the input; tinytorch never does, so it refuses that option.)
#
# Which mode a layer is in is its `training` flag. `model.train()` and `model.eval()` set it on the
# model **and every module inside it**: like PyTorch, `train(mode)` sets its own flag and calls
# `train(mode)` on each child, so a layer that overrides `train` is still asked. Write `Dropout.forward`,
# then `train` (attached to `Module` after the class, as `Module.eval()` already expects: `eval()` is
# `train(False)`).

# %%
#| export
class Dropout(Module):
    """Inverted dropout, as torch.nn.Dropout: zero with probability p and scale by 1/(1-p) in training."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not isinstance(p, numbers.Real):
            raise TypeError(f"Dropout: p must be a number between 0 and 1, got {p!r} ({type(p).__name__})")
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        if inplace:
            raise NotImplementedError("Dropout(inplace=True) is not supported: tinytorch never overwrites an "
                                      "input that autograd may need; use inplace=False")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        if isinstance(input, Tensor) and not np.issubdtype(input.dtype, np.floating):
            raise RuntimeError(f"Dropout: the input must be floating point, got dtype {input.dtype} "
                               "(scaling the kept values by 1/(1-p) would round them)")
        # HINT 1: During training, dropout zeroes each element with probability p and scales the survivors by
        # HINT 1: 1/(1 − p), so the expected output equals the input; in eval mode it does nothing. With p = 1
        # HINT 1: everything is dropped.
        # HINT 2: `self.training` says which mode. `default_generator().random(input.shape)` gives uniform
        # HINT 2: numbers in [0, 1): keep an element where its number is at least `self.p`. Build the mask of
        # HINT 2: scales as an array (0 for p = 1, no division by zero) and multiply `input` by `Tensor(mask,
        # HINT 2: dtype=input.dtype)`: a Tensor operation, so the gradient flows.
        ### BEGIN SOLUTION
        if not self.training or self.p == 0:  # p = 0 keeps everything: no mask to draw (PyTorch skips it too)
            return input
        scale = 1 / (1 - self.p) if self.p < 1 else 0.0
        keep = default_generator().random(input.shape) >= self.p
        return input * Tensor(keep * scale, dtype=input.dtype)
        ### END SOLUTION

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


@patch_to(Module)
def train(self, mode=True):
    """Set the `training` flag of this module and, through each child's train(), of every module below it."""
    if not isinstance(mode, bool):
        raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
    # HINT 1: `train(mode)` switches this module and every module inside it to training (True) or eval (False)
    # HINT 1: mode, and returns the module itself so calls can be chained.
    # HINT 2: Set `self.training`, call `train(mode)` on each of `self.children()` (each child then handles its
    # HINT 2: own children), and return `self`.
    ### BEGIN SOLUTION
    self.training = mode
    for module in self.children():
        module.train(mode)
    return self
    ### END SOLUTION


# %% [markdown]
# ### Check Part 4

# %%
from tinytorch.checks.layers import check_dropout

check_dropout(Dropout, Module)

# %% [markdown]
# ## Part 5 · Saving and loading: `state_dict`
#
# A trained model is its parameters, plus its persistent buffers. `state_dict()` (given) returns an
# ordered mapping from each one's dotted name to a Tensor, in the order of `named_parameters()` with each
# module's buffers after its parameters. Like PyTorch, the Tensors are *detached*: `requires_grad` is
# off, but they share memory with the model, so they change when training changes the model. A
# checkpoint copies them — module 08 writes them to disk with `np.savez` (never with pickle). Tied
# weights appear under each of their names, as in PyTorch, so any model of the same shape can load them.
#
# `load_state_dict(state_dict, strict=True)` does the reverse, and it must be careful, because a
# silently half-loaded model is the worst kind of bug:
#
# * with `strict=True` (the default), a name the model has but the checkpoint lacks (**missing**) or a
#   name the checkpoint has but the model lacks (**unexpected**) is an error; with `strict=False` they
#   are only reported;
# * a value that is not numbers (`_checkpoint_array` returns None) or has the wrong shape is always an error;
# * every problem is collected and reported in one `RuntimeError` (PyTorch's choice) **before anything is
#   copied**: a failed load leaves the model as it was;
# * then the numbers are copied **into** the existing arrays (`tensor.data[...] = value`), so the
#   Parameter objects an optimizer already holds see the new values;
# * it returns PyTorch's named tuple `(missing_keys, unexpected_keys)`.

# %%
#| export
_IncompatibleKeys = namedtuple("_IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _named_state(module):
    """(dotted name, tensor) of every parameter and persistent buffer, each module's own first; a tensor
    reached under two names (tied weights, a shared layer) is listed under each, as PyTorch saves it."""
    for module_name, owner in module.named_modules(remove_duplicate=False):
        for name, value in owner._parameters.items():
            if value is not None:
                yield _dotted(module_name, name), value
        for name, value in owner._buffers.items():
            if value is not None and name not in owner._non_persistent_buffers:
                yield _dotted(module_name, name), value


@patch_to(Module)
def state_dict(self, *, prefix="", keep_vars=False):
    """OrderedDict name -> Tensor of every parameter and persistent buffer; detached (sharing memory with
    the model) unless keep_vars, which returns the Parameters themselves."""
    return OrderedDict((prefix + name, value if keep_vars else Tensor(value.data, dtype=value.dtype))
                       for name, value in _named_state(self))


def _checkpoint_array(value):
    """A checkpoint value (Tensor, numpy array or nested list) as a numeric numpy array, or None when it is
    not numbers (a string, an object, a ragged list)."""
    try:
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
    except (TypeError, ValueError):
        return None
    return array if array.dtype.kind in "biuf" else None


@patch_to(Module)
def load_state_dict(self, state_dict, strict=True):
    """Check every entry, then copy the state_dict's values into this module's tensors, in place; returns
    _IncompatibleKeys(missing_keys, unexpected_keys)."""
    own = dict(_named_state(self))
    # HINT 1: Loading must be all or nothing: collect every problem first (missing or unexpected names when
    # HINT 1: strict, a value that is not numeric, a shape that differs), raise them together, and copy values
    # HINT 1: in only when there is none. A half-loaded model is worse than an error.
    # HINT 2: Missing = names in `own` but not in `state_dict`; unexpected = the reverse.
    # HINT 2: `_checkpoint_array(value)` gives an array, or None for a value that is not one (that problem names
    # HINT 2: the key and the value's type). Word the problems as PyTorch does: "Missing key(s) in state_dict:",
    # HINT 2: "Unexpected key(s) in state_dict:", and "size mismatch for 'name'" with both shapes. Raise
    # HINT 2: RuntimeError starting "Error(s) in loading state_dict for" and the class name. Copy each array
    # HINT 2: into its parameter in place (assign to `.data[...]`), and return `_IncompatibleKeys(missing,
    # HINT 2: unexpected)`.
    ### BEGIN SOLUTION
    missing = [name for name in own if name not in state_dict]
    unexpected = [name for name in state_dict if name not in own]
    problems = []
    if strict and missing:
        problems.append("Missing key(s) in state_dict: " + ", ".join(map(repr, missing)) + ".")
    if strict and unexpected:
        problems.append("Unexpected key(s) in state_dict: " + ", ".join(map(repr, unexpected)) + ".")
    arrays = {name: _checkpoint_array(state_dict[name]) for name in own if name in state_dict}
    for name, array in arrays.items():
        if array is None:
            problems.append(f"while copying {name!r}, expected a Tensor or numeric array from the checkpoint, "
                            f"got {type(state_dict[name]).__name__}")
        elif array.shape != own[name].shape:
            problems.append(f"size mismatch for {name!r}: copying a param with shape {array.shape} from "
                            f"checkpoint, the shape in current model is {own[name].shape}.")
    if problems:
        raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(problems))
    for name, array in arrays.items():
        own[name].data[...] = array
    return _IncompatibleKeys(missing, unexpected)
    ### END SOLUTION


# %% [markdown]
# ### Check Part 5

# %%
from tinytorch.checks.layers import check_state_dict

check_state_dict(Sequential, Linear)

# %% [markdown]
# ## Use it
#
# A two-layer perceptron for TinyDigits (8×8 images of handwritten digits, flattened to 64 numbers)
# with the ReLU Module of Part 3 between the layers. Untrained, it guesses: expect accuracy near 10 %
# (one class in ten). Module 08 trains it. We also save its `state_dict` to a `.npz` file (no pickle),
# load it into a fresh model and confirm the two models agree.

# %%
import io

import tinytorch
from tinytorch.datasets import load_tinydigits

(_, _), (X_test, y_test) = load_tinydigits()
tinytorch.manual_seed(0)
model = Sequential(Linear(64, 32), ReLU(), Dropout(0.1), Linear(32, 10))
print(model)
print("parameters:", sum(p.numel() for p in model.parameters()))
for name, parameter in model.named_parameters():
    print(f"  {name:<10} {parameter.shape}")

model.eval()  # no dropout while measuring
logits = model(Tensor(X_test.reshape(len(X_test), -1)))
accuracy = (logits.argmax(dim=1).data == y_test).mean()
print(f"logits {logits.shape}; untrained accuracy {accuracy:.1%}")

buffer = io.BytesIO()
np.savez(buffer, **{name: tensor.numpy() for name, tensor in model.state_dict().items()})
buffer.seek(0)
restored = Sequential(Linear(64, 32), ReLU(), Dropout(0.1), Linear(32, 10)).eval()
with np.load(buffer, allow_pickle=False) as checkpoint:
    restored.load_state_dict(dict(checkpoint))
same = np.array_equal(restored(Tensor(X_test.reshape(len(X_test), -1))).data, logits.data)
print(f"checkpoint: {buffer.getbuffer().nbytes:,} bytes; restored model gives identical logits: {same}")

# %% [markdown]
# **A model written as a class**, the way most PyTorch code is: `super().__init__()` first, a `ModuleList`
# for a variable number of hidden layers. The same model with its hidden layers in a plain Python list
# runs just as well — but `parameters()` no longer sees them, so an optimizer would never train them.

# %%
class MLP(Module):
    def __init__(self, widths):
        super().__init__()
        self.hidden = ModuleList([Linear(a, b) for a, b in zip(widths[:-2], widths[1:-1])])
        self.act = ReLU()
        self.out = Linear(widths[-2], widths[-1])

    def forward(self, x):
        for layer in self.hidden:
            x = self.act(layer(x))
        return self.out(x)


class PlainListMLP(MLP):
    def __init__(self, widths):
        super().__init__(widths)
        self.layers = list(self.hidden)  # the same layers, in a plain list...
        del self.hidden                  # ...and no longer in the registered ModuleList

    def forward(self, x):
        for layer in self.layers:
            x = self.act(layer(x))
        return self.out(x)


mlp = MLP([64, 32, 32, 10])
print(mlp)
for model_class in (MLP, PlainListMLP):
    candidate = model_class([64, 32, 32, 10])
    print(f"{model_class.__name__:<13} output {candidate(Tensor(X_test[:5].reshape(5, -1))).shape}, "
          f"parameters() sees {sum(p.numel() for p in candidate.parameters()):>5} numbers: "
          f"{[name for name, _ in candidate.named_parameters()]}")

# %% [markdown]
# ## Systems analysis · measured
#
# We study the classic MNIST-sized MLP **784 → 256 → 128 → 10** (ReLU between the layers).
#
# ### 1. How many parameters, and how much memory?
# A `Linear(in, out)` has `in·out` weights and `out` biases. Predict the total for 784-256-128-10 before
# running the cell, then compare with the count from `parameters()`.

# %%
from tinytorch.timing import time_per_call  # best of several rounds, long enough for a coarse clock

WIDTHS = [784, 256, 128, 10]


def make_mlp(widths, seed=0):
    tinytorch.manual_seed(seed)
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [Linear(fan_in, fan_out), ReLU()]
    return Sequential(*layers[:-1])  # no ReLU after the last layer: it outputs logits


def parameter_bytes(model):
    return sum(p.memory_footprint() for p in model.parameters())


mlp = make_mlp(WIDTHS)
formula = sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(WIDTHS[:-1], WIDTHS[1:]))
counted = sum(p.numel() for p in mlp.parameters())
print(f"formula sum(in*out + out) = {formula:,}; counted = {counted:,}")
print(f"parameter memory: {parameter_bytes(mlp):,} bytes = {parameter_bytes(mlp) / 1e6:.2f} MB (float32)")

# %% [markdown]
# ### 2. Parameter memory vs activation memory
# Parameter memory is fixed. Every forward pass also creates **activations**: each layer's output. They
# grow with the batch size `B`, and module 06 must keep them all until the backward pass. We run the
# model layer by layer and add up the bytes of every output it produces.

# %%
def activation_bytes(model, x):
    """Bytes of every tensor the layers produce in one forward pass of x."""
    total = 0
    for layer in model:
        x = layer(x)
        total += x.memory_footprint()
    return total


mlp = make_mlp(WIDTHS)
param_bytes = parameter_bytes(mlp)
rng = np.random.default_rng(0)
print(f"{'batch':>6} {'activations (bytes)':>20} {'parameters (bytes)':>19} {'act / param':>12}")
for batch in [1, 16, 64, 256, 1024]:
    x = Tensor(rng.standard_normal((batch, WIDTHS[0])))
    act = activation_bytes(mlp, x)
    print(f"{batch:>6} {act:>20,} {param_bytes:>19,} {act / param_bytes:>12.2f}")

per_sample = activation_bytes(mlp, Tensor(np.zeros((1, WIDTHS[0]))))
print(f"\nactivations per sample: {per_sample:,} bytes -> they equal the parameters at batch "
      f"{param_bytes / per_sample:.0f}")

# %% [markdown]
# Per sample the activations are small (4 bytes × (256 + 256 + 128 + 128 + 10)), but they scale with `B`
# and the parameters do not: beyond a batch of about 300 this model's activations outweigh its weights.
# For large models trained on long sequences, activations dominate training memory — which is why
# module 13 sizes them per layer.
#
# ### 3. FLOPs and speed of a forward pass
# A `Linear(in, out)` on a batch of `B` does `B·out` dot products of length `in`: **2·B·in·out FLOPs**
# (a multiply and an add each). The biases and ReLUs add only O(B·out). We time the forward pass and
# convert to GFLOP/s.

# %%
def forward_flops(widths, batch):
    return sum(2 * batch * fan_in * fan_out for fan_in, fan_out in zip(widths[:-1], widths[1:]))


mlp = make_mlp(WIDTHS)
print(f"{'batch':>6} {'MFLOPs':>9} {'time (ms)':>10} {'GFLOP/s':>8}")
for batch in [1, 32, 256]:
    x = Tensor(np.random.default_rng(0).standard_normal((batch, WIDTHS[0])))
    seconds = time_per_call(lambda: mlp(x))
    flops = forward_flops(WIDTHS, batch)
    print(f"{batch:>6} {flops / 1e6:>9.2f} {seconds * 1e3:>10.3f} {flops / seconds / 1e9:>8.2f}")

# %% [markdown]
# The GFLOP/s climb with the batch: a batch of 1 is a matrix–*vector* product that reads every weight
# to use it once, so memory traffic and Python overhead dominate; a batch of 256 reuses each weight 256
# times from cache. Batching is how a GPU — or numpy — gets fed.
#
# ### 4. The `(out, in)` layout: is `W.T` a copy?
# `x @ W.T` looks as if it transposes the weight every call. It does not: `.T` is a view with swapped
# strides, and the matrix-multiply library reads the transposed layout directly.

# %%
layer = make_mlp(WIDTHS)[0]
weight_t = layer.weight.T
print("W.T shares memory with W:", np.shares_memory(weight_t.data, layer.weight.data))
print("W strides:", layer.weight.data.strides, "| W.T strides:", weight_t.data.strides)
weight_in_out = Tensor(np.ascontiguousarray(weight_t.data))  # the (in, out) layout, stored as such
x = Tensor(np.random.default_rng(0).standard_normal((256, 784)))
t_view = time_per_call(lambda: x @ layer.weight.T, repeat=10)
t_contig = time_per_call(lambda: x @ weight_in_out, repeat=10)
print(f"x @ W.T (view): {t_view * 1e3:.3f} ms | x @ W_in_out (contiguous copy): {t_contig * 1e3:.3f} ms "
      f"| ratio {t_view / t_contig:.2f}")

# %% [markdown]
# The two times should be close (a ratio near 1; timings of a few milliseconds vary by 10–30 % from run to
# run). The layout is a convention for checkpoints and readability, not a speed choice.
#
# ### 5. Why the initialisation scale matters
# Push a batch through 10 layers of width 256 with ReLU, and print the standard deviation of the
# activations after each layer, for three initialisations of the same layers:
#
# * **N(0, 1)**: each output sums 256 products of size ~1, so its spread grows by about √256 / √2 ≈ 11
#   per layer;
# * **PyTorch's default** U(±1/√in): weight variance 1/(3·in), so the spread shrinks by about √6 ≈ 2.4
#   per layer with ReLU;
# * **Kaiming (He) normal** N(0, 2/in), designed for ReLU: the spread stays roughly constant.

# %%
def std_through_depth(weight_std_fn, depth=10, width=256, batch=64):
    """Replace each layer's weight by N(0, weight_std_fn(in)^2) (None: keep PyTorch's init); record stds."""
    model = make_mlp([width] * (depth + 1), seed=1)
    x = Tensor(np.random.default_rng(2).standard_normal((batch, width)))
    weight_rng = np.random.default_rng(3)
    stds = []
    for layer in model:
        if isinstance(layer, Linear) and weight_std_fn is not None:
            std = weight_std_fn(layer.in_features)
            layer.weight.data[...] = weight_rng.standard_normal(layer.weight.shape) * std
        x = layer(x)
        if isinstance(layer, Linear):
            stds.append(float(x.data.std()))
    return stds


inits = {"N(0,1)": lambda fan_in: 1.0, "PyTorch default": None, "Kaiming N(0,2/in)": lambda fan_in: np.sqrt(2 / fan_in)}
results = {name: std_through_depth(fn) for name, fn in inits.items()}
print(f"{'layer':>5} " + " ".join(f"{name:>18}" for name in results))
for depth in range(10):
    print(f"{depth + 1:>5} " + " ".join(f"{stds[depth]:>18.3g}" for stds in results.values()))

# %% [markdown]
# With N(0, 1) the activations grow about 11× per layer and reach around 10¹⁰ after ten layers; float32
# overflows to `inf` near 3·10³⁸, about 35 such layers, and gradients explode the same way. PyTorch's
# default shrinks the spread about 2.4× per layer until it reaches the level of the biases (std
# 1/(16·√3) ≈ 0.036 at width 256), where it stays: deep down, the input's signal is drowned out. Fine for
# the shallow MLPs of this course; deep ReLU networks use Kaiming init, which keeps the spread near 1.
# Initialisation is a numerical-range decision, made before any training happens.

# %% [markdown]
# ## Reflect
#
# Answer with a number first, then check it in a new cell.
#
# 1. How many parameters does `Linear(512, 512)` have? How many bytes in float32? Check with
#    `parameters()` and `memory_footprint()`.
# 2. For the 784-256-128-10 MLP, at which batch size do the activations reach 10× the parameter memory?
#    Predict from the per-sample bytes measured above, then check with `activation_bytes`.
# 3. How many FLOPs does one forward pass of the MLP take for a batch of 64? From your GFLOP/s table,
#    predict its time, then measure it.
# 4. A `Dropout(0.2)` in training mode receives a tensor of ones of shape `(1000,)`. What values appear,
#    in roughly what proportions, and what is the mean? Run it to check.
# 5. With N(0, 1) init, by what factor does the activation std grow per layer at width 64 instead of
#    256? Predict (√64 / √2), then run `std_through_depth(lambda fan_in: 1.0, width=64)`.
#
# **Next:** 04 Losses turns a model's output and the right answers into one number to minimise.
