"""Each module-03 check accepts the reference classes and rejects a deliberately wrong one (a mutant)."""
from collections import OrderedDict

import numpy as np

from tinytorch.checks import layers as checks
from tinytorch.core.activations import ReLU
from tinytorch.core.layers import (Dropout, Linear, Module, ModuleList, Parameter, Sequential, _dotted,
                                   _IncompatibleKeys, _named_state)
from tinytorch.core.tensor import Tensor
from tinytorch.random import default_generator

from mutants import make_mutant_tests


class ShallowModule(Module):
    """parameters() that forgets nested modules: only the module's own parameters."""

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        return iter(list(self._parameters.items()))


class ModuleRegisteringLists(Module):
    """Registers the Modules inside a plain list too, as the pre-PyTorch habit of this course did."""

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if isinstance(value, (list, tuple)) and "_modules" in self.__dict__:
            for index, item in enumerate(value):
                if isinstance(item, Module):
                    self._modules[f"{name}.{index}"] = item


class ModuleWithoutMemo(Module):
    """named_modules() that recurses without remembering where it has been."""

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        yield prefix, self
        for name, module in self._modules.items():
            yield from module.named_modules(prefix=_dotted(prefix, name))


class ModuleListingTiedTwice(Module):
    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        for module_name, module in self.named_modules():
            for name, value in module._parameters.items():
                yield _dotted(module_name, name), value


class ModuleWithoutInitCheck(Module):
    """Creates its registries on first use, so a forgotten super().__init__() goes unnoticed."""

    def __setattr__(self, name, value):
        if "_modules" not in self.__dict__:
            Module.__init__(self)
        super().__setattr__(name, value)


class InOutLinear(Linear):
    """Weight stored (in, out), used as x @ W: same outputs, wrong layout."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__(in_features, out_features, bias)
        self.weight = Parameter(self.weight.data.T.copy())

    def forward(self, x):
        output = x @ self.weight
        return output if self.bias is None else output + self.bias


class StandardNormalLinear(Linear):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__(in_features, out_features, bias)
        self.weight = Parameter(default_generator().standard_normal((out_features, in_features)))


class ZeroBiasLinear(Linear):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__(in_features, out_features, bias)
        if bias:
            self.bias = Parameter(np.zeros(out_features))


class UnseededLinear(Linear):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__(in_features, out_features, bias)
        self.weight = Parameter(np.random.default_rng().uniform(-1, 1, (out_features, in_features)) / np.sqrt(in_features))


class SilentLinear(Linear):
    """No shape check of its own: matmul's error names the shapes but not the layer."""

    def forward(self, x):
        output = x @ self.weight.T
        return output if self.bias is None else output + self.bias


class SequentialAcceptingCallables(Sequential):
    """Stores anything it is given, so a class or a function passed by mistake fails later, in forward."""

    def __init__(self, *layers):
        super().__init__()
        self.layers = list(layers)

    def __iter__(self):
        return iter(self.layers)

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, index):
        return type(self)(*self.layers[index]) if isinstance(index, slice) else self.layers[index]

    def named_children(self):
        return ((str(i), layer) for i, layer in enumerate(self.layers) if isinstance(layer, Module))

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(memo, _dotted(prefix, name), remove_duplicate)


class SequentialNamedLikeAList(Sequential):
    """Holds its layers in a ModuleList attribute: names become 'layers.0.weight' instead of '0.weight'."""

    def __init__(self, *layers):
        Module.__init__(self)
        self.layers = ModuleList(layers)

    def __iter__(self):
        return iter(self.layers)

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, index):
        return type(self)(*self.layers[index]) if isinstance(index, slice) else self.layers[index]


class SequentialFeedingTheInputToEachLayer(Sequential):
    def forward(self, input):
        output = input
        for module in self:
            output = module(input)  # every layer sees the original input, not the previous output
        return output


class ModuleListAppendingOnInsert(ModuleList):
    def insert(self, index, module):
        self.append(module)


class NonRescalingDropout(Dropout):
    def forward(self, x):
        if not self.training:
            return x
        return x * Tensor(default_generator().random(x.shape) >= self.p)


class AlwaysOnDropout(Dropout):
    def forward(self, x):
        scale = 1 / (1 - self.p) if self.p < 1 else 0.0
        return x * Tensor((default_generator().random(x.shape) >= self.p) * scale)


class DropoutOnData(Dropout):
    def forward(self, x):
        if not self.training:
            return x
        scale = 1 / (1 - self.p) if self.p < 1 else 0.0
        keep = default_generator().random(x.shape) >= self.p
        return Tensor(x.data * keep * scale, dtype=x.dtype)  # right numbers, but no gradient reaches x


class DropoutNumpyGlobalRandom(Dropout):
    def forward(self, x):
        if not self.training:
            return x
        scale = 1 / (1 - self.p) if self.p < 1 else 0.0
        keep = np.random.random(x.shape) >= self.p  # numpy's global generator: manual_seed does not repeat it
        return x * Tensor(keep * scale, dtype=x.dtype)


class BiasFirstLinear(Linear):
    def __init__(self, in_features, out_features, bias=True):
        Module.__init__(self)
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / np.sqrt(in_features) if in_features > 0 else 0.0
        rng = default_generator()
        if bias:
            self.bias = Parameter(rng.uniform(-bound, bound, out_features))
        else:
            self.register_parameter("bias", None)
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features)))


class NonRecursiveTrainModule(Module):
    def train(self, mode=True):
        self.training = mode
        return self


class DropoutOnNonRecursiveModule(Dropout, NonRecursiveTrainModule):
    pass


class NumpyForwardLinear(Linear):
    def forward(self, input):
        return Tensor(input.data @ self.weight.data.T + self.bias.data)  # right numbers, no graph


class FlagSettingTrainModule(Module):
    def train(self, mode=True):
        for _, module in self.named_modules():
            module.training = mode  # skips any child's own train()
        return self


class DropoutOnFlagSettingModule(Dropout, FlagSettingTrainModule):
    pass


class ArrayStateDictSequential(Sequential):
    """state_dict() of numpy copies, as this course's first version returned."""

    def state_dict(self):
        return OrderedDict((name, value.data.copy()) for name, value in _named_state(self))


class LenientLoadSequential(Sequential):
    def load_state_dict(self, state_dict, strict=True):
        own = dict(_named_state(self))
        for name, value in state_dict.items():
            value = getattr(value, "data", value)
            if name in own and np.shape(value) == own[name].shape:
                own[name].data[...] = value


class CopyAsYouGoLoadSequential(Sequential):
    """Checks each entry just before copying it: a bad entry late in the dict leaves the model half-loaded."""

    def load_state_dict(self, state_dict, strict=True):
        own = dict(_named_state(self))
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        if strict and (missing or unexpected):
            raise RuntimeError(f"Missing key(s): {missing}; unexpected key(s): {unexpected}")
        for name, value in state_dict.items():
            if name in own:
                array = np.asarray(getattr(value, "data", value))
                if array.dtype.kind not in "biuf" or array.shape != own[name].shape:
                    raise RuntimeError(f"cannot load {name!r}: shape {array.shape} vs {own[name].shape}")
                own[name].data[...] = array
        return _IncompatibleKeys(missing, unexpected)


class ReplacingLoadSequential(Sequential):
    def load_state_dict(self, state_dict, strict=True):
        for name, parameter in self.named_parameters():
            parameter.data = np.array(getattr(state_dict[name], "data", state_dict[name]), dtype=np.float32)


CASES = [
    (checks.check_module, (Module, Parameter),
     [((ShallowModule, Parameter), "named_parameters()"),
      ((ModuleRegisteringLists, Parameter), "plain Python list"),
      ((ModuleWithoutMemo, Parameter), "memo set"),
      ((ModuleListingTiedTwice, Parameter), "a tied Parameter once"),
      ((ModuleWithoutInitCheck, Parameter), "super().__init__()")]),
    (checks.check_linear, Linear,
     [InOutLinear, StandardNormalLinear, ZeroBiasLinear, UnseededLinear, SilentLinear,
      (NumpyForwardLinear, "not on the numpy .data"), (BiasFirstLinear, "before self.bias")]),
    (checks.check_sequential, (Sequential, ModuleList, Linear, ReLU),
     [((SequentialAcceptingCallables, ModuleList, Linear, ReLU), "(a class)"),
      ((SequentialNamedLikeAList, ModuleList, Linear, ReLU), "by layer position"),
      ((SequentialFeedingTheInputToEachLayer, ModuleList, Linear, ReLU), "Linear(3, 2) expects"),
      ((Sequential, ModuleListAppendingOnInsert, Linear, ReLU), "insert(0, m)")]),
    (checks.check_dropout, (Dropout, Module),
     [(NonRescalingDropout, Module), (AlwaysOnDropout, Module),
      ((DropoutOnData, Module), "so the gradient reaches x"), ((DropoutNumpyGlobalRandom, Module), "manual_seed"),
      ((DropoutOnNonRecursiveModule, NonRecursiveTrainModule), "every module inside the model"),
      ((DropoutOnFlagSettingModule, FlagSettingTrainModule), "overrides train()")]),
    (checks.check_state_dict, (Sequential, Linear),
     [((ArrayStateDictSequential, Linear), "plain Tensors"),
      ((LenientLoadSequential, Linear), "without '1.bias'"),
      ((CopyAsYouGoLoadSequential, Linear), "should change nothing"),
      ((ReplacingLoadSequential, Linear), "copy into the existing arrays")]),
]


test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
