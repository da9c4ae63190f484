"""Run the same code on tinytorch and on PyTorch and compare what comes out.

A parity case is written ONCE, as a function of `m`, the framework: `m` is the `tinytorch` package or
`TORCH`, a view of torch that answers tinytorch's top-level names (`m.ReLU` is `torch.nn.ReLU`,
`m.SGD` is `torch.optim.SGD`). So `lambda m, x, w: (x @ w.T).sum(dim=1)` runs on both.

- `assert_same(fn, *inputs)`: fn(m, *tensors); compares the result (values, dtype, shape,
  requires_grad), then backpropagates the same non-uniform upstream gradient through both and compares
  the gradient of every input.
- `assert_same_module(make, *inputs)`: make(m) builds a module; both get the same parameter values,
  then output, input gradients and parameter gradients (by name) are compared.
- `assert_same_run(fn)`: fn(m) runs a whole scenario (optimizer steps, a training loop, reprs) and
  returns what to compare.
- `assert_same_error(fn, *inputs)`: both must raise; tinytorch's error must be torch's type or a subclass.

Inputs: a shape (a tuple) is a seeded standard-normal float32 array, a numpy array is used as is (float64
stays float64, int64 and bool arrays become index tensors); floating inputs require grad unless wrapped
in `const(...)`. Anything else (numbers, strings) is passed to `fn` unchanged.

Each case declares the public names it exercises (`covers=`); `COVERED` collects them for the coverage
test, so a public name without a parity case fails the suite.
"""
import math

import numpy as np
import pytest

import tinytorch

try:
    import torch
except ImportError:  # conftest.py fails every parity test with MISSING_TORCH; never a silent skip
    torch = None

MISSING_TORCH = (
    "The PyTorch parity suite (tests/parity) needs torch, a test-only dependency: install it with\n"
    "    .venv/bin/pip install -r requirements/parity.txt\n"
    "(bash scripts/setup.sh does this unless TINYTORCH_PARITY=0; for the small CPU wheel elsewhere:\n"
    "    pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu)\n"
    "or leave the suite out: pytest --ignore=tests/parity")

# float32 sums and transcendental functions differ from torch's in the last bits; a few ulps relative,
# plus an absolute floor for values that cancel to near zero. Gradients pass through more operations.
TOLERANCES = {np.dtype(np.float32): dict(rtol=1e-5, atol=1e-6, grad_rtol=1e-4, grad_atol=1e-5),
              np.dtype(np.float64): dict(rtol=1e-10, atol=1e-12, grad_rtol=1e-9, grad_atol=1e-11)}

COVERED = set()  # every name a case declares in covers=


class _TorchAsTinytorch:
    """torch, answering tinytorch's flat top-level names from the torch namespace that holds them."""

    def __getattr__(self, name):
        for namespace in (torch, torch.nn, torch.nn.utils, torch.optim, torch.utils.data):
            if hasattr(namespace, name):
                return getattr(namespace, name)
        raise AttributeError(f"torch has no {name!r} in torch, torch.nn, torch.nn.utils, torch.optim "
                             "or torch.utils.data")

    def __repr__(self):
        return "torch"


TORCH = _TorchAsTinytorch()
FRAMEWORKS = (tinytorch, TORCH)


def covers(*names):
    """Decorator for a hand-written parity test: registers the public names it exercises."""
    COVERED.update(names)
    return lambda test: test


class const:
    """Marks an input that must not require grad (a target, a mask of floats)."""

    def __init__(self, value):
        self.value = value


def _array(spec, index):
    if isinstance(spec, tuple) and all(isinstance(d, int) for d in spec):
        return np.random.default_rng(100 + index).standard_normal(spec).astype(np.float32)
    return spec


def as_tensor(m, value, requires_grad=False):
    """The numpy array `value` as a tensor of framework m, dtype kept, its own copy of the numbers."""
    requires_grad = requires_grad and np.issubdtype(value.dtype, np.floating)
    if m is tinytorch:
        return tinytorch.Tensor(value.copy(), dtype=value.dtype, requires_grad=requires_grad)
    return torch.tensor(value, requires_grad=requires_grad)


def make_inputs(m, specs, grad=True):
    """The inputs of a case as framework m's objects: tensors for arrays and shapes, others unchanged."""
    made = []
    for index, spec in enumerate(specs):
        constant = isinstance(spec, const)
        value = _array(spec.value if constant else spec, index)
        made.append(as_tensor(m, value, grad and not constant) if isinstance(value, np.ndarray) else value)
    return made


def to_numpy(value):
    """The numbers of a tensor (either framework) or array, for scenario snapshots."""
    if torch is not None and isinstance(value, torch.Tensor):
        return value.detach().numpy().copy()
    return np.array(getattr(value, "data", value))


def set_parameters(module, seed=0):
    """Give every parameter of `module` (either framework) deterministic values drawn by name order,
    so a model built on each framework starts from identical weights."""
    rng = np.random.default_rng(seed)
    for _, p in module.named_parameters():
        values = rng.uniform(-0.5, 0.5, tuple(p.shape))
        if isinstance(p, tinytorch.Tensor):
            p.data[...] = values
        else:
            with torch.no_grad():
                p.copy_(torch.from_numpy(values))
    return module


def compare(actual, expected, where="result", rtol=None, atol=None):
    """Assert tinytorch's `actual` matches torch's `expected`: tensors by type, shape, dtype,
    requires_grad and values; sequences, dicts and numbers recursively; strings exactly."""
    if torch is not None and isinstance(expected, torch.Tensor):
        if isinstance(expected, torch.nn.Parameter):
            assert isinstance(actual, tinytorch.Parameter), \
                f"{where}: torch gives a Parameter, tinytorch a {type(actual).__name__}"
        assert isinstance(actual, tinytorch.Tensor), \
            f"{where}: torch gives a Tensor, tinytorch a {type(actual).__name__}: {actual!r}"
        want = expected.detach().numpy()
        got = np.asarray(actual.data)
        assert got.shape == want.shape, f"{where}: shape {got.shape}, torch has {tuple(want.shape)}"
        assert got.dtype == want.dtype, f"{where}: dtype {got.dtype}, torch has {expected.dtype}"
        assert bool(actual.requires_grad) == expected.requires_grad, \
            f"{where}: requires_grad={actual.requires_grad}, torch has {expected.requires_grad}"
        _compare_numbers(got, want, where, rtol, atol)
    elif isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray), f"{where}: torch gives an array, tinytorch a {type(actual).__name__}"
        assert actual.shape == expected.shape, f"{where}: shape {actual.shape}, torch has {expected.shape}"
        _compare_numbers(actual, expected, where, rtol, atol)
    elif isinstance(expected, (tuple, list)):  # also torch.Size and torch's named tuples (max(dim))
        # list and tuple are not told apart: unpacking code (`for x, y in loader`) sees no difference
        assert isinstance(actual, (tuple, list)), \
            f"{where}: torch gives a {type(expected).__name__}, tinytorch a {type(actual).__name__}: {actual!r}"
        assert len(actual) == len(expected), f"{where}: {len(actual)} items, torch has {len(expected)}"
        for index, (a, e) in enumerate(zip(actual, expected)):
            compare(a, e, f"{where}[{index}]", rtol, atol)
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: torch gives a dict, tinytorch a {type(actual).__name__}"
        assert list(actual) == list(expected), f"{where}: keys {list(actual)}, torch has {list(expected)}"
        for key in expected:
            compare(actual[key], expected[key], f"{where}[{key!r}]", rtol, atol)
    elif isinstance(expected, (bool, int, float, str, type(None))):
        assert type(actual) is type(expected), \
            f"{where}: tinytorch gives {type(actual).__name__} {actual!r}, torch {type(expected).__name__} {expected!r}"
        if isinstance(expected, float):
            tol = TOLERANCES[np.dtype(np.float32)]
            assert math.isclose(actual, expected, rel_tol=rtol or tol["rtol"], abs_tol=atol or tol["atol"]) \
                or (math.isnan(actual) and math.isnan(expected)), f"{where}: {actual!r}, torch has {expected!r}"
        else:
            assert actual == expected, f"{where}:\n{actual}\ntorch has\n{expected}"
    else:
        raise TypeError(f"compare: no rule for a {type(expected).__name__} from torch ({where})")


def _compare_numbers(got, want, where, rtol, atol):
    tol = TOLERANCES.get(want.dtype, dict(rtol=0, atol=0))  # integers and booleans: exact
    np.testing.assert_allclose(got, want, rtol=tol["rtol"] if rtol is None else rtol,
                               atol=tol["atol"] if atol is None else atol, equal_nan=True, err_msg=where)


def _leaves(value):
    """The tensors inside a (possibly nested) result, in order."""
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _leaves(item)]
    return [value] if isinstance(value, (tinytorch.Tensor, torch.Tensor)) else []


def _backward(m, outputs):
    """Backpropagate sum(output * upstream) over every output that requires grad; the upstream weights
    are seeded normals (not all ones, so a gradient summed or broadcast the wrong way shows)."""
    loss = None
    for index, out in enumerate(outputs):
        upstream = np.random.default_rng(200 + index).standard_normal(tuple(out.shape)).astype(to_numpy(out).dtype)
        term = (out * as_tensor(m, upstream, requires_grad=False)).sum()
        loss = term if loss is None else loss + term
    if loss is not None:
        loss.backward()


def _run_tinytorch(run, torch_did):
    """Run the tinytorch side; an exception there is a parity failure that says what torch did instead."""
    try:
        return run()
    except Exception as error:
        raise AssertionError(f"tinytorch raised {type(error).__name__}: {error}\nwhere torch {torch_did}") from error


def assert_same(fn, *inputs, grad=True, rtol=None, atol=None, grad_rtol=None, grad_atol=None):
    """fn(m, *tensors) gives the same result on tinytorch and torch, and (with grad) the same gradients."""
    def run(m):
        tensors = make_inputs(m, inputs, grad)
        return tensors, fn(m, *tensors)

    torch_inputs, expected = run(TORCH)
    tt_inputs, actual = _run_tinytorch(lambda: run(tinytorch), f"returned {expected!r}")
    compare(actual, expected, "forward", rtol, atol)
    if grad:
        _backward_both(actual, expected)
        _compare_grads(enumerate(tt_inputs), enumerate(torch_inputs), "input", grad_rtol, grad_atol)


def assert_same_module(make, *inputs, grad=True):
    """make(m) builds a module; with identical parameter values (set_parameters) both give the same
    parameter names and shapes, output, and gradients of inputs and parameters."""
    def build(m):
        module = set_parameters(make(m))
        tensors = make_inputs(m, inputs, grad)
        return module, tensors, module(*tensors)

    torch_module, torch_inputs, expected = build(TORCH)
    tt_module, tt_inputs, actual = _run_tinytorch(lambda: build(tinytorch), f"returned {expected!r}")
    compare([(n, tuple(p.shape)) for n, p in tt_module.named_parameters()],
            [(n, tuple(p.shape)) for n, p in torch_module.named_parameters()], "named_parameters")
    compare(actual, expected, "forward")
    if grad:
        _backward_both(actual, expected)
        _compare_grads(enumerate(tt_inputs), enumerate(torch_inputs), "input")
        _compare_grads(tt_module.named_parameters(), torch_module.named_parameters(), "parameter")


def _backward_both(actual, expected):
    _backward(TORCH, [t for t in _leaves(expected) if t.requires_grad])
    _run_tinytorch(lambda: _backward(tinytorch, [t for t in _leaves(actual) if t.requires_grad]),
                   "backpropagated without error")


def _compare_grads(tt_named, torch_named, kind, rtol=None, atol=None):
    """The .grad of each torch tensor that requires grad against its tinytorch counterpart."""
    for (name, a), (_, e) in zip(tt_named, torch_named):
        if not (isinstance(e, torch.Tensor) and e.requires_grad):
            continue
        where = f"grad of {kind} {name}"
        if e.grad is None:
            assert a.grad is None, f"{where}: tinytorch has a gradient where torch has None"
            continue
        assert a.grad is not None, f"{where}: tinytorch has no gradient (None), torch has one"
        tol = TOLERANCES.get(to_numpy(e).dtype, {})
        compare(a.grad, e.grad, where, tol.get("grad_rtol") if rtol is None else rtol,
                tol.get("grad_atol") if atol is None else atol)


def assert_same_run(fn, rtol=None, atol=None):
    """fn(m) runs a scenario on each framework; what it returns must compare equal."""
    expected = fn(TORCH)
    compare(_run_tinytorch(lambda: fn(tinytorch), f"returned {expected!r}"), expected, "scenario", rtol, atol)


def assert_same_error(fn, *inputs, grad=True):
    """fn(m, *tensors) raises on both; tinytorch's error is torch's type or a subclass of it (so
    `except <torch's type>` code catches it), with a message."""
    try:
        fn(TORCH, *make_inputs(TORCH, inputs, grad))
    except Exception as error:
        expected = error
    else:
        raise AssertionError("torch raised nothing: this error case is wrong")
    try:
        fn(tinytorch, *make_inputs(tinytorch, inputs, grad))
    except Exception as error:
        assert isinstance(error, type(expected)), \
            f"tinytorch raised {type(error).__name__}: {error}\ntorch raises {type(expected).__name__}: {expected}"
        assert str(error), f"tinytorch raised {type(error).__name__} without a message"
    else:
        raise AssertionError(f"tinytorch raised nothing; torch raises {type(expected).__name__}: {expected}")


class Case:
    """One parity case: which check to run, on what, and the names it covers."""

    def __init__(self, check, names, *args, **options):
        self.check, self.names, self.args, self.options = check, names, args, options
        COVERED.update(names)

    def __call__(self):
        self.check(*self.args, **self.options)


def _id(names, inputs):
    shapes = [str(spec).replace(" ", "") for spec in inputs
              if isinstance(spec, tuple) or np.isscalar(spec)]
    arrays = [f"{s.dtype}{list(s.shape)}".replace(" ", "") for s in inputs if isinstance(s, np.ndarray)]
    return "/".join(names) + ("-" + "-".join(shapes + arrays) if shapes or arrays else "")


def _names(names):
    return (names,) if isinstance(names, str) else tuple(names)


def case(names, fn, *inputs, **options):
    """A pytest parameter for assert_same: case("Tensor.exp", lambda m, x: x.exp(), (3, 4))."""
    names = _names(names)
    return _param(Case(assert_same, names, fn, *inputs, **options), _id(names, inputs))


def module_case(names, make, *inputs, **options):
    """A pytest parameter for assert_same_module: module_case("Linear", lambda m: m.Linear(4, 3), (5, 4))."""
    names = _names(names)
    return _param(Case(assert_same_module, names, make, *inputs, **options), _id(names, inputs))


def error_case(names, fn, *inputs, **options):
    """A pytest parameter for assert_same_error: error_case("Tensor.reshape", lambda m, x: x.reshape(7), (2, 3))."""
    names = _names(names)
    return _param(Case(assert_same_error, names, fn, *inputs, **options), _id(names, inputs))


def run_case(names, fn, **options):
    """A pytest parameter for assert_same_run: run_case("SGD", scenario_function)."""
    names = _names(names)
    return _param(Case(assert_same_run, names, fn, **options), "/".join(names) + "-" + fn.__name__)


def _param(value, id):
    return pytest.param(value, id=id)
