"""Generated from content/03_layers.py by scripts/build_content.py: edit the source, not this file."""
# From content/03_layers.py, cell 2 (Part 1 · Parameters and the Module base class)
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


# From content/03_layers.py, cell 6 (Part 2 · Linear: `y = x @ W.T + b`)
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
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features)))
        if bias:
            self.bias = Parameter(rng.uniform(-bound, bound, out_features))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        if not isinstance(input, Tensor):
            raise TypeError(f"Linear expects a Tensor input, got {type(input).__name__}; wrap it: Tensor(x)")
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}) expects inputs whose last "
                             f"dimension is {self.in_features}, got an input of shape {input.shape}")
        output = input @ self.weight.T
        return output if self.bias is None else output + self.bias

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


# From content/03_layers.py, cell 12 (Part 3 · Containers: Sequential and ModuleList)
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
        for module in self:
            input = module(input)
        return input

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


# From content/03_layers.py, cell 16 (Part 4 · Dropout, training mode and evaluation mode)
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
        if not self.training or self.p == 0:  # p = 0 keeps everything: no mask to draw (PyTorch skips it too)
            return input
        scale = 1 / (1 - self.p) if self.p < 1 else 0.0
        keep = default_generator().random(input.shape) >= self.p
        return input * Tensor(keep * scale, dtype=input.dtype)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


@patch_to(Module)
def train(self, mode=True):
    """Set the `training` flag of this module and, through each child's train(), of every module below it."""
    if not isinstance(mode, bool):
        raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
    self.training = mode
    for module in self.children():
        module.train(mode)
    return self


# From content/03_layers.py, cell 20 (Part 5 · Saving and loading: `state_dict`)
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
