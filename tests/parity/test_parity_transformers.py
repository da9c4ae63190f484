"""LayerNorm and F.layer_norm against torch."""
import numpy as np
import pytest

from parity import case, error_case, module_case

CASES = [
    case("nn.functional.layer_norm", lambda m, x: m.nn.functional.layer_norm(x, (8,)), (3, 8)),
    case("nn.functional.layer_norm", lambda m, x: m.nn.functional.layer_norm(x, (4, 8)), (2, 4, 8)),
    case("nn.functional.layer_norm", lambda m, x, w, b: m.nn.functional.layer_norm(x, (8,), w, b, eps=1e-3),
         (5, 8), (8,), (8,)),
    case("nn.functional.layer_norm", lambda m, x: m.nn.functional.layer_norm(x * 1e-3, (8,)), (3, 8)),
    module_case(("LayerNorm", "nn.LayerNorm"), lambda m: m.nn.LayerNorm(8), (2, 5, 8)),
    module_case("LayerNorm", lambda m: m.nn.LayerNorm((5, 8), eps=1e-6), (2, 5, 8)),
    module_case("LayerNorm", lambda m: m.nn.LayerNorm(8, elementwise_affine=False), (4, 8)),
    case("LayerNorm", lambda m: repr(m.nn.LayerNorm(8))),
    error_case("nn.functional.layer_norm", lambda m, x: m.nn.functional.layer_norm(x, (5,)), (3, 8)),
]


@pytest.mark.parametrize("check", CASES)
def test_layer_norm_matches_torch(check):
    check()
