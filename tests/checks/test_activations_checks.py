"""Each module-02 check accepts the reference activations and rejects realistic mistakes (mutants)."""
import numpy as np

from tinytorch.checks import activations as checks
from tinytorch.core import activations
from tinytorch.core.activations import GELU, ReLU, Sigmoid, Softmax, Tanh, erf
from tinytorch.core.layers import Module
from tinytorch.core.tensor import Tensor

from mutants import make_mutant_tests


class ReLUInPlace(ReLU):
    def forward(self, x):
        np.maximum(x.data, 0, out=x.data)  # overwrites the learner's input
        return x


class PlainReLU:
    """The pre-Module habit: a plain class with its own __call__ and __repr__, invisible to print(model)."""

    def forward(self, input):
        return Tensor(np.maximum(input.data, 0), dtype=input.dtype)

    def __call__(self, input):
        return self.forward(input)

    def __repr__(self):
        return "ReLU()"


class ReLUReturnsFloat64(ReLU):
    def forward(self, x):
        return Tensor(np.maximum(x.data, 0), dtype=np.float64)


class NaiveSigmoid(Sigmoid):
    def forward(self, x):
        activations._require_tensor(x, "Sigmoid")
        return Tensor(1 / (1 + np.exp(-x.data)), dtype=x.dtype)  # exp(1000) overflows at x = -1000


class TextbookTanh(Tanh):
    def forward(self, x):
        activations._require_tensor(x, "Tanh")
        e_pos, e_neg = np.exp(x.data), np.exp(-x.data)
        return Tensor((e_pos - e_neg) / (e_pos + e_neg), dtype=x.dtype)  # inf / inf at |x| = 1000


class TanhViaSigmoid(Tanh):
    def forward(self, x):
        activations._require_tensor(x, "Tanh")
        return Tensor(2 * Sigmoid()(Tensor(2 * x.data, dtype=x.dtype)).data - 1, dtype=x.dtype)  # loses digits near 0


def erf_without_sign(x):
    # The x >= 0 formula applied to every x: wrong (and > 1) for negative inputs.
    x = np.asarray(x)
    t = 1 / (1 + activations._ERF_P * x)
    poly = sum(a * t ** (i + 1) for i, a in enumerate(activations._ERF_A))
    return 1 - poly * np.exp(-x * x)


def erf_low_order(x):
    # Abramowitz & Stegun 7.1.25, a three-term formula: error up to 2.5e-5, too coarse.
    x = np.asarray(x)
    a = np.minimum(np.abs(x), 6.0)
    t = 1 / (1 + 0.47047 * a)
    return np.sign(x) * (1 - (0.3480242 * t - 0.0958798 * t ** 2 + 0.7478556 * t ** 3) * np.exp(-a * a))


class GELUTanhByDefault(GELU):
    def __init__(self, approximate="tanh"):
        super().__init__(approximate)

    def extra_repr(self):
        return "approximate='none'"  # hides the tanh default from print()


class GELUAcceptsAnything(GELU):
    def __init__(self, approximate="none"):
        Module.__init__(self)
        self.approximate = "tanh" if approximate == "tanh" else "none"


class SoftmaxWithoutMax(Softmax):
    def forward(self, x):
        activations._require_tensor(x, "Softmax")
        if not -x.ndim <= self.dim < x.ndim:
            raise IndexError(f"dim {self.dim} out of range for shape {x.shape}")
        exps = np.exp(x.data)
        return Tensor(exps / exps.sum(axis=self.dim, keepdims=True), dtype=x.dtype)


class SoftmaxGlobalMax(Softmax):
    def forward(self, x):
        activations._require_tensor(x, "Softmax")
        if not -x.ndim <= self.dim < x.ndim:
            raise IndexError(f"dim {self.dim} out of range for shape {x.shape}")
        exps = np.exp(x.data - x.data.max())  # the largest value of the whole tensor, not of each row
        return Tensor(exps / exps.sum(axis=self.dim, keepdims=True), dtype=x.dtype)


class SoftmaxAlwaysLastDim(Softmax):
    def forward(self, x):
        return Softmax(dim=-1).forward(x)


# (check, reference, [(mutant, a phrase the failure must contain, so it is rejected for the right reason)])
CASES = [
    (checks.check_relu, ReLU, [(ReLUInPlace, "changed its input"), (ReLUReturnsFloat64, "float32 output"),
                                (PlainReLU, "subclass of Module")]),
    (checks.check_sigmoid, Sigmoid, [(NaiveSigmoid, "overflow")]),
    (checks.check_tanh, Tanh, [(TextbookTanh, "overflow"), (TanhViaSigmoid, "tanh(1e-8)")]),
    (checks.check_erf, erf, [(erf_without_sign, "erf(-"), (erf_low_order, "> 2e-7")]),
    (checks.check_gelu, GELU, [(GELUTanhByDefault, "exact erf form by default"),
                               (GELUAcceptsAnything, "approximate='fast'")]),
    (checks.check_softmax, Softmax, [(SoftmaxWithoutMax, "overflow"), (SoftmaxGlobalMax, "each row's maximum"),
                                     (SoftmaxAlwaysLastDim, "Softmax(dim=0)")]),
]


test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
