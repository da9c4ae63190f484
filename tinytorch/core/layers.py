"""Generated from content/03_layers.py by scripts/build_content.py: edit the source, not this file."""
# From content/03_layers.py, cell 2 (Part 1 · Parameters and the Module base class)
from collections import OrderedDict

import numpy as np

from tinytorch.core.tensor import Tensor
from tinytorch.random import default_generator


class Parameter(Tensor):
    """A Tensor that training updates: `requires_grad` is True. A Tensor's dtype is kept (float64 for
    gradient checks); anything else becomes float32, as for Tensor."""

    def __init__(self, data, requires_grad=True):
        super().__init__(data, dtype=data.dtype if isinstance(data, Tensor) else None)
        self.requires_grad = requires_grad

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def _dotted(prefix, name):
    return f"{prefix}.{name}" if prefix else name


class Module:
    """Base class of every layer and model, like torch.nn.Module. Subclasses define `forward`."""

    training = True  # train() and eval() set it on each instance

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def named_children(self):
        """(name, module) for each direct sub-module: attributes that are Modules or lists/tuples of them."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for index, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{index}", item

    def children(self):
        return (module for _, module in self.named_children())

    def named_modules(self, prefix=""):
        """This module and every module below it, depth first, with dotted names ("" for the root)."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(_dotted(prefix, name))

    def named_parameters(self):
        """(dotted name, Parameter) for every parameter below this module, each listed once."""
        seen = set()
        for module_name, module in self.named_modules():
            for name, value in vars(module).items():
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    yield _dotted(module_name, name), value

    def parameters(self):
        return (parameter for _, parameter in self.named_parameters())

    def zero_grad(self):
        """Forget every gradient (PyTorch's default sets them to None rather than to zeros)."""
        for parameter in self.parameters():
            parameter.grad = None

    def eval(self):
        return self.train(False)

    def state_dict(self):
        """Ordered name -> numpy array, copies of every parameter (what a checkpoint stores)."""
        return OrderedDict((name, parameter.data.copy()) for name, parameter in self.named_parameters())

    def extra_repr(self):
        return ""

    def __repr__(self):
        return _describe(self, self.named_children())


def _describe(module, named_items):
    """PyTorch-style repr: `Name(extra)` for a leaf, an indented list of `(name): item` otherwise."""
    items = [f"  ({name}): " + repr(item).replace("\n", "\n  ") for name, item in named_items]
    if not items:
        return f"{type(module).__name__}({module.extra_repr()})"
    return f"{type(module).__name__}(\n" + "\n".join(items) + "\n)"


# From content/03_layers.py, cell 6 (Part 2 · Linear: `y = x @ W.T + b`)
class Linear(Module):
    """y = x @ weight.T + bias, with weight (out_features, in_features), as torch.nn.Linear."""

    def __init__(self, in_features, out_features, bias=True):
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / np.sqrt(in_features)
        rng = default_generator()
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features)))
        self.bias = Parameter(rng.uniform(-bound, bound, out_features)) if bias else None

    def forward(self, x):
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}) expects inputs whose last "
                             f"dimension is {self.in_features}, got an input of shape {x.shape}")
        output = x @ self.weight.T
        return output if self.bias is None else output + self.bias

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


# From content/03_layers.py, cell 10 (Part 3 · Sequential: a stack of layers)
class Sequential(Module):
    """Apply layers in order, as torch.nn.Sequential; layers may be Modules or plain callables."""

    def __init__(self, *layers):
        self.layers = list(layers)

    def named_children(self):
        # PyTorch names a Sequential's layers by position: "0", "1", ... (so "0.weight" in state_dict)
        return ((str(index), layer) for index, layer in enumerate(self.layers) if isinstance(layer, Module))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, index):
        return Sequential(*self.layers[index]) if isinstance(index, slice) else self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        return _describe(self, enumerate(self.layers))


# From content/03_layers.py, cell 14 (Part 4 · Dropout, training mode and evaluation mode)
class Dropout(Module):
    """Inverted dropout, as torch.nn.Dropout: zero with probability p and scale by 1/(1-p) in training."""

    def __init__(self, p=0.5):
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, x):
        if not self.training:
            return x
        scale = 1 / (1 - self.p) if self.p < 1 else 0.0
        keep = default_generator().random(x.shape) >= self.p
        return x * Tensor(keep * scale, dtype=x.dtype)

    def extra_repr(self):
        return f"p={self.p}"


def train(self, mode=True):
    """Set the `training` flag of this module and of every module below it; returns self."""
    for _, module in self.named_modules():
        module.training = mode
    return self


Module.train = train


# From content/03_layers.py, cell 18 (Part 5 · Saving and loading: `state_dict`)
def load_state_dict(self, state_dict):
    """Copy a state_dict's arrays (or Tensors) into this module's parameters, in place."""
    own = dict(self.named_parameters())
    values = {name: value.data if isinstance(value, Tensor) else np.asarray(value)
              for name, value in state_dict.items()}
    problems = [f"missing key {name!r}" for name in own if name not in values]
    problems += [f"unexpected key {name!r}" for name in values if name not in own]
    problems += [f"size mismatch for {name!r}: checkpoint has shape {value.shape}, model has {own[name].shape}"
                 for name, value in values.items() if name in own and value.shape != own[name].shape]
    if problems:
        raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}: " + "; ".join(problems))
    for name, value in values.items():
        own[name].data[...] = value


Module.load_state_dict = load_state_dict
