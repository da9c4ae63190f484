"""Each module-03 check accepts the reference classes and rejects a deliberately wrong one (a mutant)."""
import numpy as np

from tinytorch.checks import layers as checks
from tinytorch.core.layers import Dropout, Linear, Module, Parameter, Sequential, _dotted
from tinytorch.core.tensor import Tensor
from tinytorch.random import default_generator

from mutants import make_mutant_tests


class ShallowModule(Module):
    """parameters() that forgets nested modules: only the module's own attributes."""

    def named_parameters(self):
        return ((name, value) for name, value in vars(self).items() if isinstance(value, Parameter))


class ModuleIgnoringLists(Module):
    def named_children(self):
        return ((name, value) for name, value in vars(self).items() if isinstance(value, Module))


class ModuleListingTiedTwice(Module):
    def named_parameters(self):
        for module_name, module in self.named_modules():
            for name, value in vars(module).items():
                if isinstance(value, Parameter):
                    yield _dotted(module_name, name), value


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


class SequentialSkippingCallables(Sequential):
    def forward(self, x):
        for layer in self.layers:
            if isinstance(layer, Module):
                x = layer(x)
        return x


class SequentialNamedLikeAList(Sequential):
    def named_children(self):
        return Module.named_children(self)  # "layers.0.weight" instead of PyTorch's "0.weight"


class NonRescalingDropout(Dropout):
    def forward(self, x):
        if not self.training:
            return x
        return x * Tensor(default_generator().random(x.shape) >= self.p)


class AlwaysOnDropout(Dropout):
    def forward(self, x):
        scale = 1 / (1 - self.p) if self.p < 1 else 0.0
        return x * Tensor((default_generator().random(x.shape) >= self.p) * scale)


class NonRecursiveTrainModule(Module):
    def train(self, mode=True):
        self.training = mode
        return self


class DropoutOnNonRecursiveModule(Dropout, NonRecursiveTrainModule):
    pass


class AliasingStateDictSequential(Sequential):
    def state_dict(self):
        return {name: p.data for name, p in self.named_parameters()}


class LenientLoadSequential(Sequential):
    def load_state_dict(self, state_dict):
        own = dict(self.named_parameters())
        for name, value in state_dict.items():
            value = getattr(value, "data", value)
            if name in own and np.shape(value) == own[name].shape:
                own[name].data[...] = value


class ReplacingLoadSequential(Sequential):
    def load_state_dict(self, state_dict):
        for name, parameter in self.named_parameters():
            parameter.data = np.array(getattr(state_dict[name], "data", state_dict[name]), dtype=np.float32)


CASES = [
    (checks.check_module, (Module, Parameter),
     [(ShallowModule, Parameter), (ModuleIgnoringLists, Parameter), (ModuleListingTiedTwice, Parameter)]),
    (checks.check_linear, Linear,
     [InOutLinear, StandardNormalLinear, ZeroBiasLinear, UnseededLinear, SilentLinear]),
    (checks.check_sequential, (Sequential, Linear),
     [(SequentialSkippingCallables, Linear), (SequentialNamedLikeAList, Linear)]),
    (checks.check_dropout, (Dropout, Module),
     [(NonRescalingDropout, Module), (AlwaysOnDropout, Module),
      (DropoutOnNonRecursiveModule, NonRecursiveTrainModule)]),
    (checks.check_state_dict, (Sequential, Linear),
     [(AliasingStateDictSequential, Linear), (LenientLoadSequential, Linear), (ReplacingLoadSequential, Linear)]),
]


test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
