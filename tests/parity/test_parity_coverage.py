"""Every public name of tinytorch is named by at least one parity case (or exempted below, with why).

Public names: tinytorch.__all__, the __all__ of PyTorch-style namespaces when they exist
(tinytorch.nn, nn.functional, nn.utils, nn.utils.prune, optim, optim.lr_scheduler, utils.data, utils.checkpoint,
utils.benchmark, quantization), and tinytorch.Tensor's public attributes and operator dunders. A name is
covered when a case names it (covers=...) or names the same object under another name (nn.Linear is
tinytorch.Linear).
"""
import importlib
import inspect
from pathlib import Path

import tinytorch
from parity import COVERED

NAMESPACES = ["nn", "nn.functional", "nn.utils", "nn.utils.prune", "optim", "optim.lr_scheduler", "utils.data",
              "utils.checkpoint", "utils.benchmark", "quantization"]

# Names with no PyTorch counterpart to compare against.
EXEMPT = {
    "enable_autograd": "the course switches autograd on at import (module 06); torch is always on",
    "use_my_modules": "the course's own-mode switch (the learner's notebooks as the package): no torch counterpart",
    "use_reference": "switches the course's own mode off: no torch counterpart",
    "Tensor.memory_footprint": "the course's bytes-per-tensor measurement; torch has no such method",
    "GPT": "the course's own model (module 13); torch has no GPT class, its parts are compared one by one",
    "training": "the course's own helpers (Trainer, checkpoints, plots): not a PyTorch namespace",
    "CharTokenizer": "module 10's tokenizer: text processing, PyTorch has no tokenizer to compare with",
    "BPETokenizer": "module 10's tokenizer: text processing, PyTorch has no tokenizer to compare with",
    "quantization.model_nbytes": "module 15's byte count of a model (float and int8 weights): torch has no such function",
    "capstone": "module 20's submission format (JSON Schema, validator, latency and size measurements): the "
                "course's own benchmark tooling, PyTorch has no counterpart",
    "utils.benchmark.median_ci": "module 19's order-statistic interval for the median: torch.utils.benchmark has none",
    "utils.benchmark.ab_test": "module 19's permutation test and ratio of medians: torch.utils.benchmark has no test",
    "utils.benchmark.ABResult": "the result of module 19's ab_test: no torch counterpart",
    "utils.benchmark.interleaved_autorange": "module 19's A, B, A, B block order against drift: torch has none",
    "utils.benchmark.clock_resolution": "module 19's measurement of the clock's step (the browser's is coarse): "
                                        "torch has none",
}

# Dunders of Tensor that are machinery, not operators a script calls.
NOT_OPERATORS = {"__init__", "__module__", "__doc__", "__dict__", "__weakref__", "__qualname__", "__hash__",
                 "__firstlineno__", "__static_attributes__",  # class bookkeeping (Python 3.13 adds these two)
                 "__array_ufunc__",  # tells numpy to defer to Tensor's reflected operators
                 "__slotnames__"}  # copyreg's cache, set on the class by the first copy.deepcopy of a Tensor


def public_names():
    names = list(tinytorch.__all__)
    for namespace in NAMESPACES:
        try:
            module = importlib.import_module(f"tinytorch.{namespace}")
        except ModuleNotFoundError as missing:
            if f"tinytorch.{namespace}".startswith(f"{missing.name}.") or missing.name == f"tinytorch.{namespace}":
                continue  # not written yet
            raise
        assert hasattr(module, "__all__"), f"tinytorch.{namespace} has no __all__ listing its public names"
        names += [f"{namespace}.{name}" for name in module.__all__]
    names = [name for name in names if not _is_namespace(name) or name in EXEMPT]  # covered by their contents
    names += [f"Tensor.{name}" for name in dir(tinytorch.Tensor) if not name.startswith("_")]
    names += [f"Tensor.{name}" for name in vars(tinytorch.Tensor(0.0))]  # data, requires_grad, grad, grad_fn
    names += [f"Tensor.{name}" for name in vars(tinytorch.Tensor)
              if name.startswith("__") and name.endswith("__") and name not in NOT_OPERATORS]
    return names


def _is_namespace(name):
    return inspect.ismodule(resolve(name))


def resolve(name):
    """The object a dotted public name stands for; Tensor's instance attributes resolve on an instance."""
    value = tinytorch
    for part in name.split("."):
        if value is tinytorch.Tensor and not hasattr(value, part):
            value = tinytorch.Tensor(0.0)
        value = getattr(value, part)
    return value


def identity(name):
    """What a name stands for, when that is a class, function or property: re-exports share it. Plain
    values (Tensor.grad is None on the class) have no identity worth matching."""
    value = resolve(name)
    return id(value) if callable(value) or isinstance(value, property) else name


def load_every_case():
    """Import every parity test module, so COVERED holds the cases of the whole suite even when only
    this file runs (pytest has already imported them otherwise: importing again changes nothing)."""
    for path in sorted(Path(__file__).parent.glob("test_parity_*.py")):
        importlib.import_module(path.stem)


def test_every_public_name_has_a_parity_case():
    load_every_case()
    covered = {identity(name) for name in COVERED}
    missing = [name for name in public_names() if identity(name) not in covered and name not in EXEMPT]
    assert not missing, ("public names without a PyTorch parity case (add one in tests/parity, e.g. "
                         "case(\"Tensor.name\", lambda m, x: x.name(), (3, 4)), or exempt it with a reason "
                         "in test_parity_coverage.EXEMPT): " + ", ".join(missing))


def test_every_name_a_case_covers_exists():
    load_every_case()
    unknown = []
    for name in sorted(COVERED):
        try:
            resolve(name)
        except AttributeError:
            unknown.append(name)
    assert not unknown, f"cases cover names tinytorch does not have (a typo?): {unknown}"


def test_exemptions_are_public_names_without_a_case():
    load_every_case()
    public = set(public_names())
    stale = [name for name in EXEMPT if name not in public or name in COVERED]
    assert not stale, f"exempt names that are no longer public or now have a parity case: {stale}"
