"""tinytorch.core.activations against independent formulas (math module, hand-written PyTorch definitions)."""
import math
import warnings

import numpy as np
import pytest

from tinytorch.core.activations import GELU, ReLU, Sigmoid, Softmax, Tanh, erf
from tinytorch.core.layers import Module, Sequential
from tinytorch.core.tensor import Tensor

rng = np.random.default_rng(0)
GRID = np.linspace(-8, 8, 321)


def elementwise(fn, values):
    return np.array([fn(float(v)) for v in values])


def sigmoid_scalar(t):
    return 1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))


def gelu_exact_scalar(t):  # PyTorch's documented GELU(approximate='none')
    return t * 0.5 * (1 + math.erf(t / math.sqrt(2)))


def gelu_tanh_scalar(t):  # PyTorch's documented GELU(approximate='tanh')
    return 0.5 * t * (1 + math.tanh(math.sqrt(2 / math.pi) * (t + 0.044715 * t ** 3)))


@pytest.mark.parametrize("activation,scalar", [
    (ReLU(), lambda t: max(t, 0.0)), (Sigmoid(), sigmoid_scalar), (Tanh(), math.tanh),
    (GELU(), gelu_exact_scalar), (GELU(approximate="tanh"), gelu_tanh_scalar),
])
def test_elementwise_activations_match_their_formulas(activation, scalar):
    out = activation(Tensor(GRID, dtype=np.float64))
    assert out.dtype == np.float64 and out.shape == GRID.shape
    np.testing.assert_allclose(out.data, elementwise(scalar, GRID), atol=1e-6, rtol=0)


def test_erf_is_within_2e7_of_math_erf_and_odd():
    x = np.linspace(-7, 7, 140001)
    assert np.abs(erf(x) - elementwise(math.erf, x)).max() <= 2e-7
    np.testing.assert_array_equal(erf(-x), -erf(x))
    assert erf(np.array(0.0)) == 0.0


def test_erf_keeps_float32_and_survives_huge_inputs():
    assert erf(np.ones(3, dtype=np.float32)).dtype == np.float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(erf(np.array([-1e300, 1e300, -np.inf, np.inf])), [-1, 1, -1, 1])
    assert np.isnan(erf(np.array([np.nan]))[0])


def test_gelu_default_is_exact_and_differs_from_tanh_approximation():
    x = Tensor(GRID, dtype=np.float64)
    gap = np.abs(GELU()(x).data - GELU(approximate="tanh")(x).data).max()
    assert 1e-4 < gap < 1e-3  # the two formulas really differ, by a few 1e-4
    assert repr(GELU()) == "GELU(approximate='none')" and GELU().approximate == "none"
    with pytest.raises(ValueError, match="'erf'"):
        GELU(approximate="erf")


@pytest.mark.parametrize("activation", [Sigmoid(), Tanh(), GELU(), GELU(approximate="tanh"), Softmax(), ReLU()])
def test_extreme_inputs_give_finite_values_without_warnings(activation):
    x = Tensor(np.array([[-1000.0, -88.0, 0.0, 89.0, 1000.0]], dtype=np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow / invalid-value RuntimeWarning fails the test
        out = activation(x)
    assert np.all(np.isfinite(out.data))


def test_sigmoid_and_tanh_saturate_exactly():
    np.testing.assert_array_equal(Sigmoid()(Tensor([-1000.0, 1000.0])).data, [0.0, 1.0])
    np.testing.assert_array_equal(Tanh()(Tensor([-1000.0, 1000.0])).data, [-1.0, 1.0])
    np.testing.assert_allclose(Sigmoid()(Tensor([-50.0], dtype=np.float64)).data, [math.exp(-50)], rtol=1e-12)


def softmax_reference(v, axis):
    shifted = v - v.max(axis=axis, keepdims=True)
    return np.exp(shifted) / np.exp(shifted).sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("dim", [-1, 0, 1, 2, -3])
def test_softmax_matches_the_formula_along_any_dim(dim):
    x = rng.standard_normal((2, 3, 4)) * 4
    out = Softmax(dim=dim)(Tensor(x, dtype=np.float64))
    np.testing.assert_allclose(out.data, softmax_reference(x, dim), rtol=1e-12)
    np.testing.assert_allclose(out.data.sum(axis=dim), 1.0, rtol=1e-12)


def test_softmax_is_shift_invariant_and_handles_large_and_masked_logits():
    row = np.array([[1.0, 2.0, 3.0]])
    small = Softmax()(Tensor(row, dtype=np.float64)).data
    large = Softmax()(Tensor(row + 1000.0, dtype=np.float64)).data
    np.testing.assert_allclose(large, small, rtol=1e-12)
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(small[0], e / e.sum(), rtol=1e-12)
    np.testing.assert_array_equal(Softmax()(Tensor([[0.0, -np.inf]])).data, [[1.0, 0.0]])


def test_softmax_bad_dim_names_dim_and_shape():
    with pytest.raises(IndexError, match=r"dim=2.*\(2, 3\)"):
        Softmax(dim=2)(Tensor(np.ones((2, 3))))
    assert repr(Softmax()) == "Softmax(dim=-1)"


@pytest.mark.parametrize("activation", [ReLU(), Sigmoid(), Tanh(), GELU(), Softmax()])
def test_activations_return_new_tensors_and_keep_inputs(activation):
    x = Tensor(rng.standard_normal((4, 5)))
    before = x.data.copy()
    out = activation(x)
    assert isinstance(out, Tensor) and out.dtype == np.float32 and out.shape == (4, 5)
    assert not np.shares_memory(out.data, x.data)
    np.testing.assert_array_equal(x.data, before)
    assert out.memory_footprint() == x.memory_footprint()
    assert activation(Tensor(before, dtype=np.float64)).dtype == np.float64


@pytest.mark.parametrize("activation", [ReLU(), Sigmoid(), Tanh(), GELU(), Softmax()])
def test_non_tensor_input_raises_type_error(activation):
    with pytest.raises(TypeError, match="expects a Tensor"):
        activation([1.0, 2.0])


def test_integer_input_gives_float32_output():
    assert Sigmoid()(Tensor(np.array([0, 1]), dtype=np.int64)).dtype == np.float32
    np.testing.assert_allclose(Sigmoid()(Tensor(np.array([0]), dtype=np.int64)).data, [0.5])


def test_reprs_match_pytorch():
    assert [repr(a) for a in (ReLU(), Sigmoid(), Tanh(), GELU(approximate="tanh"), Softmax(dim=0))] == \
        ["ReLU()", "Sigmoid()", "Tanh()", "GELU(approximate='tanh')", "Softmax(dim=0)"]


@pytest.mark.parametrize("activation", [ReLU(), Sigmoid(), Tanh(), GELU(), Softmax()])
def test_activations_are_parameter_free_modules_that_print_inside_a_model(activation):
    assert isinstance(activation, Module) and list(activation.parameters()) == [] and activation.state_dict() == {}
    assert repr(Sequential(activation)) == f"Sequential(\n  (0): {activation!r}\n)"
    assert activation.eval().training is False


def test_softmax_dim_must_be_an_int():
    with pytest.raises(TypeError, match="'1'"):
        Softmax(dim="1")
