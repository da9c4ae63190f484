"""Checks for module 02 (Activations). Each takes the learner's class (or function) and compares it with
independent numpy / math formulas, at ordinary and at extreme inputs."""
import math

import numpy as np

from tinytorch.checks import assert_close, assert_raises, check, without_numpy_warnings
from tinytorch.core.layers import Module
from tinytorch.core.tensor import Tensor

_rng = np.random.default_rng(2)
_EXTREMES = np.array([-1000.0, -100.0, -20.0, -1.0, 0.0, 1.0, 20.0, 100.0, 1000.0], dtype=np.float32)


def _quietly(fn, *args):
    """fn(*args), failing with a clear message if numpy warns (an exp() overflowing at ±1000)."""
    return without_numpy_warnings(fn, *args, advice="at inputs as large as ±1000: some exp() overflowed. "
                                                    "Rewrite the formula so exp only ever sees numbers <= 0")


def _behaves_like_a_module(Activation, instance, name):
    assert isinstance(instance, Module), \
        f"{name} should be a subclass of Module (class {name}(Module)), as torch.nn.{name} is; " \
        f"its bases are {[base.__name__ for base in type(instance).__mro__[1:]]}"
    assert list(instance.parameters()) == [], f"{name} has no parameters, so {name}().parameters() should be empty"
    x_np = _rng.standard_normal((3, 4)).astype(np.float32)
    x = Tensor(x_np)
    before = x.data.copy()
    out = instance(x)
    assert isinstance(out, Tensor), f"{name}()(x) should return a Tensor, got {type(out).__name__}"
    assert out.shape == x.shape, f"{name} should keep the shape {x.shape}, got {out.shape}"
    assert out.dtype == np.float32, f"a float32 input should give a float32 output, got {out.dtype}"
    assert np.array_equal(x.data, before), f"{name} changed its input x: build a new array instead of writing into x.data"
    assert not np.shares_memory(out.data, x.data), f"{name}'s output shares memory with its input: return a new array"
    wide = instance(Tensor(x_np, dtype=np.float64))
    assert wide.dtype == np.float64, f"a float64 input should give a float64 output, got {wide.dtype}"
    assert_close(instance.forward(x), out, f"{name}().forward(x) and {name}()(x)")
    assert_raises(TypeError, lambda: instance(x_np), f"{name}()(a numpy array instead of a Tensor)")


def _elementwise(Activation, name, reference, atol=1e-6):
    _behaves_like_a_module(Activation, Activation(), name)
    x_np = np.linspace(-6, 6, 97)
    assert_close(Activation()(Tensor(x_np, dtype=np.float64)), reference(x_np), f"{name} on [-6, 6]", atol=atol)
    out = _quietly(Activation(), Tensor(_EXTREMES))
    assert np.all(np.isfinite(out.data)), f"{name} of {_EXTREMES} gave {out.data}: expected finite numbers"
    assert_close(out, reference(_EXTREMES.astype(np.float64)), f"{name} at extreme inputs", atol=atol)
    expected = f"{Activation.__name__}()"
    assert repr(Activation()) == expected, f"repr should be {expected} like PyTorch's, got {Activation()!r}"


@check("Part 1 · ReLU")
def check_relu(ReLU):
    _elementwise(ReLU, "ReLU", lambda v: np.where(v > 0, v, 0.0))


def _reference_sigmoid(v):
    return np.array([1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t)) for t in v])


@check("Part 2 · Sigmoid")
def check_sigmoid(Sigmoid):
    _elementwise(Sigmoid, "Sigmoid", _reference_sigmoid)
    out = Sigmoid()(Tensor([-1000.0, 1000.0]))
    assert out.data[0] == 0.0 and out.data[1] == 1.0, f"Sigmoid of [-1000, 1000] should be [0, 1], got {out.data}"


@check("Part 3 · Tanh")
def check_tanh(Tanh):
    _elementwise(Tanh, "Tanh", lambda v: np.array([math.tanh(t) for t in v]))
    tiny = Tanh()(Tensor([1e-8]))
    assert abs(tiny.data[0] - 1e-8) < 1e-14, f"tanh(1e-8) should be 1e-8 to float32 precision, got {tiny.data[0]}"


@check("Part 4a · erf")
def check_erf(erf):
    x = np.linspace(-5, 5, 20001)
    out = erf(x)
    assert isinstance(out, np.ndarray) and out.shape == x.shape, \
        f"erf(array of shape {x.shape}) should return a numpy array of the same shape"
    expected = np.array([math.erf(t) for t in x])
    worst = np.argmax(np.abs(out - expected))
    error = abs(out[worst] - expected[worst])
    assert error <= 2e-7, (f"erf({x[worst]:.4f}) = {out[worst]:.9f}, math.erf gives {expected[worst]:.9f} "
                           f"(error {error:.2e} > 2e-7). Check the coefficients, and erf(-x) = -erf(x)")
    big = _quietly(erf, np.array([-1e200, -1000.0, 0.0, 1000.0, 1e200]))
    assert np.array_equal(np.round(big, 6), [-1, -1, 0, 1, 1]), f"erf of huge inputs should be ±1, got {big}"


def _reference_gelu(v):
    return np.array([0.5 * t * (1 + math.erf(t / math.sqrt(2))) for t in v])


def _reference_gelu_tanh(v):
    return np.array([0.5 * t * (1 + math.tanh(math.sqrt(2 / math.pi) * (t + 0.044715 * t ** 3))) for t in v])


@check("Part 4b · GELU")
def check_gelu(GELU):
    _behaves_like_a_module(GELU, GELU(), "GELU")
    x_np = np.linspace(-6, 6, 241)
    exact = GELU()(Tensor(x_np, dtype=np.float64))
    uses_tanh = np.allclose(exact.data, _reference_gelu_tanh(x_np), atol=1e-6)
    assert not uses_tanh, "GELU() should be the exact erf form by default; the tanh formula is for approximate='tanh'"
    assert_close(exact, _reference_gelu(x_np), "GELU() (exact, erf-based) on [-6, 6]", atol=1e-6)
    assert_close(GELU(approximate="tanh")(Tensor(x_np, dtype=np.float64)), _reference_gelu_tanh(x_np),
                 "GELU(approximate='tanh') on [-6, 6]", atol=1e-6)
    out = _quietly(GELU(), Tensor(_EXTREMES))
    assert_close(out, _reference_gelu(_EXTREMES.astype(np.float64)), "GELU() at extreme inputs", atol=1e-4)
    expected = f"{GELU.__name__}(approximate='none')"
    assert repr(GELU()) == expected, f"repr should be {expected} like PyTorch's, got {GELU()!r}"
    assert_raises(ValueError, lambda: GELU(approximate="fast"), "GELU(approximate='fast')", must_mention=["fast"])


def _reference_softmax(v, axis):
    # Independent form: exp(v - logsumexp(v)), with logsumexp written from its definition via the max.
    top = v.max(axis=axis, keepdims=True)
    lse = top + np.log(np.sum(np.exp(v - top), axis=axis, keepdims=True))
    return np.exp(v - lse)


@check("Part 5 · Softmax")
def check_softmax(Softmax):
    _behaves_like_a_module(Softmax, Softmax(), "Softmax")
    x_np = _rng.standard_normal((2, 3, 4)) * 3
    for dim in (-1, 0, 1, 2):
        out = Softmax(dim=dim)(Tensor(x_np, dtype=np.float64))
        assert_close(out, _reference_softmax(x_np, dim), f"Softmax(dim={dim}) on a (2, 3, 4) tensor")
    big = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]], dtype=np.float32)
    out = _quietly(Softmax(), Tensor(big))
    assert np.all(np.isfinite(out.data)), \
        f"Softmax of {big.tolist()} gave {out.data.tolist()}: subtract each row's maximum before exp"
    assert_close(out, _reference_softmax(big.astype(np.float64), -1), "Softmax of logits near ±1000")
    apart = np.array([[1000.0, 1001.0, 1002.0], [-1002.0, -1001.0, -1000.0]], dtype=np.float32)
    advice = (f"on rows of very different scale, {apart.tolist()}: subtract each row's maximum (np.max along "
              "self.dim with keepdims=True), not the largest value of the whole tensor")
    out = without_numpy_warnings(Softmax(), Tensor(apart), advice=advice)
    assert np.all(np.isfinite(out.data)), f"Softmax gave {out.data.tolist()} {advice}"
    assert_close(out, _reference_softmax(apart.astype(np.float64), -1), f"Softmax {advice}")
    masked = Softmax()(Tensor([[0.0, -np.inf, 0.0]]))
    assert_close(masked, [[0.5, 0.0, 0.5]], "Softmax with a -inf (masked) score")
    expected = f"{Softmax.__name__}(dim=1)"
    assert repr(Softmax(dim=1)) == expected, f"repr should be {expected} like PyTorch's, got {Softmax(dim=1)!r}"
    assert_raises(IndexError, lambda: Softmax(dim=2)(Tensor(np.ones((2, 3)))),
                  "Softmax(dim=2) on a (2, 3) tensor", must_mention=["2", "(2, 3)"])
