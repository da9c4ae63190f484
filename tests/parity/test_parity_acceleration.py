"""Module 17 against PyTorch: the fused linear on every input rank, contiguity, and gradient checkpointing."""
import numpy as np
import pytest

from parity import as_tensor, case, const, module_case, run_case, set_parameters, to_numpy, torch

if torch is not None:
    import torch.utils.checkpoint  # noqa: F401 (torch.utils.checkpoint is not imported by `import torch`)

F = "nn.functional."

CASES = [
    case(F + "linear", lambda m, x, w, b: m.nn.functional.linear(x, w, b), (2, 3, 5), (4, 5), (4,)),
    case(F + "linear", lambda m, x, w: m.nn.functional.linear(x, w), (5,), (4, 5)),
    case(F + "linear", lambda m, x, w, b: m.nn.functional.linear(x, w, b), const((6, 5)), (4, 5), (4,)),
    case(F + "linear", lambda m, x, w, b: m.nn.functional.linear(x, w, b),
         np.random.default_rng(1).standard_normal((3, 5)), np.random.default_rng(2).standard_normal((4, 5)),
         np.random.default_rng(3).standard_normal(4)),
    case("Tensor.contiguous", lambda m, x: x.T.contiguous() * 2, (3, 4)),
    case("Tensor.contiguous", lambda m, x: x.permute(2, 0, 1).contiguous().reshape(-1) * 3, (2, 3, 4)),
]
MODULES = [
    module_case("Linear", lambda m: m.Linear(5, 3), (2, 4, 5)),
    module_case("Linear", lambda m: m.Linear(5, 3, bias=False), (5,)),
]


def layouts(m):
    base = m.arange(24.0).reshape(4, 6)
    views = [base, base.T, base[:, ::2], base[1:], base[:, 1:], base[1:2], base[:, :1], m.arange(24.0).unsqueeze(-1),
             base.reshape(2, 3, 4).permute(0, 2, 1), m.tensor(3.0)]
    return [v.is_contiguous() for v in views] + [base.contiguous() is base, base.T.contiguous().is_contiguous()]


def checkpointed_segment(m, input_requires_grad=True):
    """A block run through checkpoint: output, and the gradients of its input and parameters."""
    m.manual_seed(0)
    block = set_parameters(m.Sequential(m.Linear(4, 6), m.Tanh(), m.Linear(6, 3)), seed=1)
    x = as_tensor(m, np.random.default_rng(2).standard_normal((5, 4)).astype(np.float32), input_requires_grad)
    out = m.utils.checkpoint.checkpoint(block, x, use_reentrant=False)
    (out * as_tensor(m, np.random.default_rng(3).standard_normal((5, 3)).astype(np.float32))).sum().backward()
    grads = [to_numpy(p.grad) for p in block.parameters()]
    return [to_numpy(out), out.requires_grad, None if x.grad is None else to_numpy(x.grad)] + grads


SCENARIOS = [
    run_case("Tensor.is_contiguous", layouts),
    run_case("utils.checkpoint.checkpoint", checkpointed_segment),
    run_case("utils.checkpoint.checkpoint", lambda m: checkpointed_segment(m, input_requires_grad=False)),
]


@pytest.mark.parametrize("check", CASES + MODULES + SCENARIOS)
def test_acceleration_matches_torch(check):
    check()
