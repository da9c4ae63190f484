"""tinytorch.nn and tinytorch.nn.functional: PyTorch's namespace, names and argument names, the same numbers
as the Module classes, and gradients checked against finite differences."""
import inspect

import numpy as np
import pytest

import tinytorch  # switches autograd on, as a user's `import tinytorch` does
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.checks import numerical_gradient
from tinytorch.core.losses import log_softmax as numpy_log_softmax
from tinytorch.core.tensor import Tensor

rng = np.random.default_rng(0)

# The argument names of torch.nn.functional (torch 2.x), for the arguments tinytorch supports.
PYTORCH_SIGNATURES = {
    "relu": ["input"], "sigmoid": ["input"], "tanh": ["input"], "gelu": ["input", "approximate"],
    "softmax": ["input", "dim"], "log_softmax": ["input", "dim"],
    "cross_entropy": ["input", "target", "reduction"], "mse_loss": ["input", "target", "reduction"],
    "binary_cross_entropy_with_logits": ["input", "target", "reduction"],
    "linear": ["input", "weight", "bias"], "dropout": ["input", "p", "training"],
}
PYTORCH_SIGNATURES.update({"embedding": ["input", "weight"],  # modules 11 and 12
                           "scaled_dot_product_attention": ["query", "key", "value", "attn_mask", "dropout_p",
                                                            "is_causal", "scale"]})
PYTORCH_SIGNATURES.update({"layer_norm": ["input", "normalized_shape", "weight", "bias", "eps"]})  # module 13
# Module 09's functions, and their defaults where they differ from the shared ones below.
PYTORCH_SIGNATURES.update({
    "conv2d": ["input", "weight", "bias", "stride", "padding"],
    "max_pool2d": ["input", "kernel_size", "stride", "padding"],
    "avg_pool2d": ["input", "kernel_size", "stride", "padding"],
    "batch_norm": ["input", "running_mean", "running_var", "weight", "bias", "training", "momentum", "eps"],
})
OWN_DEFAULTS = {"conv2d": {"stride": 1, "padding": 0}, "max_pool2d": {"stride": None, "padding": 0},
                "avg_pool2d": {"stride": None, "padding": 0},
                "batch_norm": {"weight": None, "training": False, "momentum": 0.1, "eps": 1e-5}}


def test_nn_is_an_attribute_of_the_package_and_exports_pytorchs_names():
    assert tinytorch.nn is nn and nn.functional is F
    for name in ["Module", "Parameter", "Linear", "Sequential", "ModuleList", "Dropout", "ReLU", "Sigmoid", "Tanh",
                 "GELU", "Softmax", "MSELoss", "CrossEntropyLoss", "BCEWithLogitsLoss"]:
        assert name in nn.__all__ and getattr(nn, name) is getattr(tinytorch, name)
    assert sorted(F.__all__) == sorted(PYTORCH_SIGNATURES)


@pytest.mark.parametrize("name, arguments", PYTORCH_SIGNATURES.items())
def test_functions_take_pytorchs_argument_names_and_defaults(name, arguments):
    parameters = inspect.signature(getattr(F, name)).parameters
    assert list(parameters) == arguments
    defaults = {"approximate": "none", "reduction": "mean", "bias": None, "p": 0.5, "training": True,
                **OWN_DEFAULTS.get(name, {})}
    for argument in arguments:
        if argument in defaults:
            assert parameters[argument].default == defaults[argument]
    assert getattr(F, name).__doc__


def test_functions_compute_what_their_modules_compute():
    x = Tensor(rng.standard_normal((4, 5)))
    target = rng.integers(0, 5, size=4)
    pairs = [(F.relu(x), nn.ReLU()(x)), (F.sigmoid(x), nn.Sigmoid()(x)), (F.tanh(x), nn.Tanh()(x)),
             (F.gelu(x, approximate="tanh"), nn.GELU(approximate="tanh")(x)), (F.softmax(x, dim=0), nn.Softmax(dim=0)(x)),
             (F.cross_entropy(x, target, reduction="sum"), nn.CrossEntropyLoss(reduction="sum")(x, target)),
             (F.mse_loss(x, x.data * 2), nn.MSELoss()(x, x.data * 2)),
             (F.binary_cross_entropy_with_logits(x, np.ones((4, 5)), reduction="none"),
              nn.BCEWithLogitsLoss(reduction="none")(x, np.ones((4, 5))))]
    for functional, module in pairs:
        np.testing.assert_array_equal(functional.data, module.data)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_log_softmax_matches_the_log_sum_exp_definition(dim):
    x = rng.standard_normal((3, 4)) * 50
    np.testing.assert_allclose(F.log_softmax(Tensor(x, dtype=np.float64), dim).data, numpy_log_softmax(x, dim),
                               rtol=1e-12, atol=1e-12)
    with pytest.raises(IndexError, match="dim=2"):
        F.log_softmax(Tensor(x), 2)


def test_linear_is_x_times_weight_transposed_plus_bias_and_checks_shapes():
    x, w, b = rng.standard_normal((2, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    out = F.linear(Tensor(x, dtype=np.float64), Tensor(w, dtype=np.float64), Tensor(b, dtype=np.float64))
    np.testing.assert_allclose(out.data, x @ w.T + b)
    assert F.linear(Tensor(x), Tensor(w)).shape == (2, 4)
    with pytest.raises(ValueError, match=r"\(4, 2\)"):
        F.linear(Tensor(x), Tensor(np.ones((4, 2))))
    with pytest.raises(TypeError, match="list"):
        F.linear([1.0, 2.0, 3.0], Tensor(w))


def test_dropout_is_the_identity_when_not_training():
    x = Tensor(np.ones((50, 40)))
    assert F.dropout(x, p=0.5, training=False) is x
    tinytorch.manual_seed(0)
    dropped = F.dropout(x, p=0.5).data
    assert set(np.unique(dropped)) == {0.0, 2.0}


WEIGHTS = rng.standard_normal((3, 4))  # a fixed weighting makes every output element matter to the gradient
TARGET_CLASSES = np.array([1, 0, 3])
TARGET_VALUES = rng.uniform(0, 1, (3, 4))
FUNCTIONS = {
    "relu": lambda x: F.relu(x), "sigmoid": lambda x: F.sigmoid(x), "tanh": lambda x: F.tanh(x),
    "gelu": lambda x: F.gelu(x), "gelu tanh": lambda x: F.gelu(x, approximate="tanh"),
    "softmax": lambda x: F.softmax(x, dim=1), "log_softmax": lambda x: F.log_softmax(x, dim=0),
    "linear": lambda x: F.linear(x, Tensor(np.arange(16.0).reshape(4, 4) / 10, dtype=np.float64),
                                 Tensor(np.arange(4.0), dtype=np.float64)),
    "dropout (eval)": lambda x: F.dropout(x, p=0.3, training=False),
}
LOSSES = {
    "cross_entropy": lambda x: F.cross_entropy(x, TARGET_CLASSES),
    "mse_loss": lambda x: F.mse_loss(x, TARGET_VALUES, reduction="sum"),
    "binary_cross_entropy_with_logits": lambda x: F.binary_cross_entropy_with_logits(x, TARGET_VALUES),
}


@pytest.mark.parametrize("name", list(FUNCTIONS) + list(LOSSES))
def test_gradients_flow_through_every_function_and_match_finite_differences(name):
    def scalar(tensor):
        if name in LOSSES:
            return LOSSES[name](tensor)
        return (FUNCTIONS[name](tensor) * Tensor(WEIGHTS, dtype=np.float64)).sum()

    x_np = rng.standard_normal((3, 4)) + 0.05  # away from ReLU's kink at 0
    x = Tensor(x_np, dtype=np.float64, requires_grad=True)
    scalar(x).backward()
    expected = numerical_gradient(lambda v: scalar(Tensor(v, dtype=np.float64)).item(), x_np)
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-5, atol=1e-7)


def test_linear_passes_gradients_to_weight_and_bias():
    x = Tensor(rng.standard_normal((5, 3)), dtype=np.float64)
    weight = Tensor(rng.standard_normal((2, 3)), dtype=np.float64, requires_grad=True)
    bias = Tensor(np.zeros(2), dtype=np.float64, requires_grad=True)
    F.linear(x, weight, bias).sum().backward()
    np.testing.assert_allclose(weight.grad.data, np.tile(x.data.sum(0), (2, 1)))
    np.testing.assert_allclose(bias.grad.data, [5.0, 5.0])
