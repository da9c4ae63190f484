"""Where tinytorch differs from torch today: each case is asserted to STILL differ, with the message it
fails with, so the list can only shrink. When the framework is fixed the case fails here: move it to its
topic's file. The lead decides, case by case, whether to fix the framework or keep a deliberate
difference (marked DELIBERATE below: tinytorch is stricter than torch on purpose, for learners).
"""
import numpy as np
import pytest

from parity import as_tensor, case, error_case, run_case, set_parameters


def known(check, still):
    """A parity case that fails today with `still` in its assertion message."""
    return pytest.param(check.values[0], still, id=check.id)


def softmax_without_dim(m):
    # torch's Softmax() (dim=None) picks dim 0 for 3-d input (with a deprecation warning); tinytorch -1
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return m.Softmax()(as_tensor(m, np.arange(24, dtype=np.float32).reshape(2, 3, 4))).detach()


def clip_with_negative_max_norm(m):
    p = m.Parameter(m.Tensor([3.0, 4.0]))
    p.grad = m.Tensor([3.0, 4.0])
    return m.nn.utils.clip_grad_norm_([p], -1.0)


KNOWN_DIFFERENCES = [
    # Error TYPES: torch raises RuntimeError for shape mismatches, tinytorch ValueError. A tinytorch error
    # class deriving from both (class ShapeError(ValueError, RuntimeError)) would satisfy either `except`.
    known(error_case("Tensor.__add__", lambda m, x, y: x + y, (3, 4), (5,)), "tinytorch raised ValueError"),
    known(error_case("Tensor.__matmul__", lambda m, x, y: x @ y, (2, 3), (2, 3)), "tinytorch raised ValueError"),
    known(error_case("Tensor.reshape", lambda m, x: x.reshape(7), (2, 3)), "tinytorch raised ValueError"),
    known(error_case("Linear", lambda m, x: m.Linear(3, 2)(x), (4, 4)), "tinytorch raised ValueError"),
    known(error_case("Tensor.item", lambda m, x: x.item(), (3,)), "tinytorch raised ValueError"),
    known(error_case("Tensor.requires_grad", lambda m, i: setattr(i, "requires_grad", True), np.array([1, 2])),
          "tinytorch raised nothing"),
    known(error_case("GELU", lambda m, x: m.GELU(approximate="fast")(x), (3,)), "tinytorch raised ValueError"),
    known(error_case("Dataset", lambda m: len(m.Dataset())), "tinytorch raised NotImplementedError"),
    # DELIBERATE: torch raises AssertionError (an assert statement) for this user error
    known(error_case("TensorDataset", lambda m, x, y: m.TensorDataset(x, y), (3, 2), (4,)),
          "tinytorch raised ValueError"),

    # Results
    # torch reverses all dims of a 3-d tensor with a deprecation warning (an error in a future release)
    known(case("Tensor.T", lambda m, x: x.T, (2, 3, 4)), "tinytorch raised ValueError"),
    known(case("Tensor.__pow__", lambda m, x, y: x ** y, np.float32([1.5, 2.0]), np.float32([2.0, 0.5])),
          "tinytorch raised TypeError"),
    known(error_case("Tensor.__rmatmul__", lambda m, x: [[1.0, 2.0]] @ x, (2, 2)), "tinytorch raised nothing"),
    known(run_case("Softmax", softmax_without_dim), "Not equal to tolerance"),
    # erf by Abramowitz & Stegun 7.1.26 is exact to ~1e-7: enough for float32, not for float64
    known(case("GELU", lambda m, x: m.GELU()(x), np.random.default_rng(0).standard_normal(6)),
          "Not equal to tolerance rtol=1e-10"),
    # DELIBERATE: torch broadcasts mismatched shapes (with a warning); tinytorch refuses the silent bug
    known(case("MSELoss", lambda m, x, y: m.MSELoss()(x, y), (4, 1), (4,)), "tinytorch raised ValueError"),
    # DELIBERATE: torch accepts soft targets outside [0, 1]; tinytorch rejects them
    known(case("BCEWithLogitsLoss", lambda m, x, y: m.BCEWithLogitsLoss()(x, y), (3,), np.float32([0.0, 2.0, -1.0])),
          "tinytorch raised ValueError"),
    # torch requires int64 class indices; tinytorch accepts whole-number floats
    known(error_case("CrossEntropyLoss", lambda m, x, t: m.CrossEntropyLoss()(x, t), (3, 4), np.float32([0, 1, 2]),
                     grad=False), "tinytorch raised nothing"),
    # torch also takes class-probability targets (N, C) and logits (N, C, d1, ...)
    known(case("CrossEntropyLoss", lambda m, x, t: m.CrossEntropyLoss()(x, t), (3, 4),
               np.full((3, 4), 0.25, dtype=np.float32)), "tinytorch raised ValueError"),
    known(case("CrossEntropyLoss", lambda m, x, t: m.CrossEntropyLoss()(x, t), (2, 4, 3), np.array([[0, 1, 3]] * 2)),
          "tinytorch raised ValueError"),
    # DELIBERATE: a negative max_norm flips every gradient's sign in torch; tinytorch raises ValueError
    known(run_case("nn.utils.clip_grad_norm_", clip_with_negative_max_norm), "tinytorch raised ValueError"),

    # Reprs: torch prints every float with the same number of decimals (4 when any is not whole),
    # adds requires_grad=True, and names dtypes torch.float64 / leaves int64 implicit.
    known(case("Tensor.__repr__", lambda m, x: repr(x), np.float32([0.5, -1.25, 3.0]), grad=False),
          "tensor([ 0.5 , -1.25,  3.  ])"),
    known(case("Tensor.__repr__", lambda m, x: repr(x), np.array(2.5, dtype=np.float32), grad=False), "tensor(2.5)\n"),
    known(case("Tensor.__repr__", lambda m, x: repr(x), np.float64([1.0, 2.0]), grad=False), "dtype=torch.float64"),
]


@pytest.mark.parametrize("check, still", KNOWN_DIFFERENCES)
def test_known_difference_still_differs(check, still):
    try:
        check()
    except AssertionError as difference:
        assert still in str(difference), f"this known difference now fails differently:\n{difference}"
    else:
        pytest.fail("tinytorch now matches torch here: move this case out of KNOWN_DIFFERENCES into its "
                    "topic's test file")
