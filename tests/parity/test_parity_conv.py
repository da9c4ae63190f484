"""Module 09 on tinytorch and torch: convolution, pooling, batch normalisation and Flatten give the same
outputs, gradients, buffers, reprs and error types."""
import numpy as np
import pytest

from parity import assert_same_run, case, const, error_case, module_case, run_case, set_parameters, to_numpy

rng = np.random.default_rng(9)
NEGATIVE = (rng.standard_normal((2, 3, 5, 6)) - 5).astype(np.float32)  # max pooling's padding must never win
F = "nn.functional."

FUNCTIONAL = [
    case(F + "conv2d", lambda m, x, w: m.nn.functional.conv2d(x, w), (2, 3, 8, 8), (4, 3, 3, 3)),
    case(F + "conv2d", lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, stride=2, padding=1),
         (2, 3, 8, 7), (4, 3, 3, 3), (4,)),
    case(F + "conv2d", lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, stride=(2, 1), padding=(0, 2)),
         (1, 2, 7, 9), (3, 2, 2, 3), (3,)),
    case(F + "conv2d", lambda m, x, w: m.nn.functional.conv2d(x, w, padding=1), (3, 6, 5), (2, 3, 3, 3)),  # unbatched
    case(F + "conv2d", lambda m, x, w, b: m.nn.functional.conv2d(x, w, b, 1, 2),
         rng.standard_normal((1, 2, 4, 4)), rng.standard_normal((2, 2, 3, 3)), rng.standard_normal(2)),  # float64
    case(F + "max_pool2d", lambda m, x: m.nn.functional.max_pool2d(x, 2), (2, 3, 6, 8)),
    case(F + "max_pool2d", lambda m, x: m.nn.functional.max_pool2d(x, 3, stride=1, padding=1), NEGATIVE),
    case(F + "max_pool2d", lambda m, x: m.nn.functional.max_pool2d(x, (2, 3), stride=(1, 2), padding=(1, 1)), (1, 2, 5, 7)),
    case(F + "max_pool2d", lambda m, x: m.nn.functional.max_pool2d(x, 2), (3, 5, 5)),  # unbatched, odd size
    case(F + "max_pool2d", lambda m, x: m.nn.functional.max_pool2d(x, 2, 1),
         np.array([[[[1, 1, 0], [1, 1, 0], [0, 0, 0]]]], dtype=np.float32)),  # ties: the first maximum wins
    case(F + "avg_pool2d", lambda m, x: m.nn.functional.avg_pool2d(x, 2), (2, 3, 6, 8)),
    case(F + "avg_pool2d", lambda m, x: m.nn.functional.avg_pool2d(x, 3, stride=2, padding=1), (2, 2, 7, 6)),
    case(F + "avg_pool2d", lambda m, x: m.nn.functional.avg_pool2d(x, (3, 2), stride=1), (1, 2, 5, 4)),
    case(F + "batch_norm", lambda m, x, rm, rv, w, b: m.nn.functional.batch_norm(x, rm, rv, w, b, training=True),
         (4, 3, 5, 5), const(np.zeros(3, np.float32)), const(np.ones(3, np.float32)), (3,), (3,)),
    case(F + "batch_norm", lambda m, x, rm, rv: m.nn.functional.batch_norm(x, rm, rv, training=True, momentum=0.3),
         (6, 2), const(np.zeros(2, np.float32)), const(np.ones(2, np.float32))),
    case(F + "batch_norm", lambda m, x, rm, rv, w, b: m.nn.functional.batch_norm(x, rm, rv, w, b),
         (2, 3, 4, 4), const(rng.standard_normal(3).astype(np.float32)),
         const(rng.random(3).astype(np.float32) + 0.5), (3,), (3,)),
]

MODULES = [
    module_case("Conv2d", lambda m: m.Conv2d(3, 4, 3), (2, 3, 6, 6)),
    module_case("Conv2d", lambda m: m.Conv2d(2, 5, (3, 2), stride=2, padding=1), (2, 2, 7, 8)),
    module_case("Conv2d", lambda m: m.Conv2d(2, 3, 1, bias=False), (1, 2, 4, 4)),
    module_case("Conv2d", lambda m: m.Conv2d(3, 2, 3, padding=(1, 0)), (3, 5, 5)),
    module_case("MaxPool2d", lambda m: m.MaxPool2d(2), (2, 3, 6, 6)),
    module_case("MaxPool2d", lambda m: m.MaxPool2d(3, stride=2, padding=1), NEGATIVE),
    module_case("AvgPool2d", lambda m: m.AvgPool2d(2), (2, 3, 6, 6)),
    module_case("AvgPool2d", lambda m: m.AvgPool2d((2, 3), stride=1, padding=(1, 1)), (1, 2, 4, 5)),
    module_case("BatchNorm2d", lambda m: m.BatchNorm2d(3), (4, 3, 5, 5)),
    module_case("BatchNorm2d", lambda m: m.BatchNorm2d(2, affine=False), (3, 2, 2, 2)),
    module_case(("BatchNorm2d", "Module.eval"), lambda m: m.BatchNorm2d(3).eval(), (2, 3, 4, 4)),
    module_case("Flatten", lambda m: m.Flatten(), (2, 3, 4, 4)),
    module_case("Flatten", lambda m: m.Flatten(0, 2), (2, 3, 4, 5)),
    module_case(("Sequential", "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Flatten", "Linear"),
                lambda m: m.Sequential(m.Conv2d(1, 4, 3, padding=1), m.BatchNorm2d(4), m.ReLU(), m.MaxPool2d(2),
                                       m.Conv2d(4, 8, 3, padding=1), m.ReLU(), m.MaxPool2d(2), m.Flatten(),
                                       m.Linear(8 * 2 * 2, 10)), (5, 1, 8, 8)),
]

ERRORS = [
    error_case(F + "conv2d", lambda m, x, w: m.nn.functional.conv2d(x, w), (1, 2, 8, 8), (4, 3, 3, 3)),
    error_case(F + "conv2d", lambda m, x, w: m.nn.functional.conv2d(x, w), (1, 3, 2, 2), (4, 3, 3, 3)),
    error_case(F + "conv2d", lambda m, x, w: m.nn.functional.conv2d(x, w), (8, 8), (4, 3, 3, 3)),
    error_case(F + "conv2d", lambda m, x, w: m.nn.functional.conv2d(x, w, stride=0), (1, 3, 8, 8), (4, 3, 3, 3)),
    error_case(F + "conv2d", lambda m, x, w: m.nn.functional.conv2d(x, w, padding=-1), (1, 3, 8, 8), (4, 3, 3, 3)),
    error_case("Conv2d", lambda m, x: m.Conv2d(3, 4, 3)(x), (1, 4, 8, 8)),
    error_case("Conv2d", lambda m, x: m.Conv2d(3, 4, 5)(x), (1, 3, 4, 4)),
    error_case(F + "max_pool2d", lambda m, x: m.nn.functional.max_pool2d(x, 2, padding=2), (1, 1, 6, 6)),
    error_case(F + "max_pool2d", lambda m, x: m.nn.functional.max_pool2d(x, 4), (1, 1, 3, 3)),
    error_case(F + "max_pool2d", lambda m, x: m.nn.functional.max_pool2d(x, 2), (6, 6)),
    error_case(F + "avg_pool2d", lambda m, x: m.nn.functional.avg_pool2d(x, 3, padding=2), (1, 1, 6, 6)),
    error_case("MaxPool2d", lambda m, x: m.MaxPool2d(0)(x), (1, 1, 4, 4)),
    error_case("AvgPool2d", lambda m, x: m.AvgPool2d(2, stride=0)(x), (1, 1, 4, 4)),
    error_case("BatchNorm2d", lambda m, x: m.BatchNorm2d(3)(x), (3, 4, 4)),
    error_case("BatchNorm2d", lambda m, x: m.BatchNorm2d(3)(x), (1, 3, 1, 1)),
    error_case("BatchNorm2d", lambda m, x: m.BatchNorm2d(3)(x), (2, 4, 2, 2)),
]


@pytest.mark.parametrize("check", FUNCTIONAL + MODULES + ERRORS)
def test_convolutions_match_torch(check):
    check()


def batch_norm_running_statistics(m):
    """Three training batches, then eval: the buffers (running_var unbiased) and the eval output agree."""
    layer = set_parameters(m.BatchNorm2d(3, momentum=0.2))
    data = np.random.default_rng(3)
    for _ in range(3):
        layer(m.Tensor((data.standard_normal((4, 3, 3, 3)) * 2 + 1).astype(np.float32)))
    buffers = {name: to_numpy(value) for name, value in layer.named_buffers()}
    layer.eval()
    out = layer(m.Tensor(data.standard_normal((2, 3, 3, 3)).astype(np.float32)))
    return buffers, to_numpy(out), list(layer.state_dict()), int(layer.num_batches_tracked.item())


def conv_initialisation(m):
    """PyTorch's default init: weight and bias within ±1/sqrt(fan_in), spread like the uniform distribution."""
    m.manual_seed(0)
    layer = m.Conv2d(16, 64, 3)
    bound = 1 / np.sqrt(16 * 9)
    weight, bias = to_numpy(layer.weight), to_numpy(layer.bias)
    return (bool(np.abs(weight).max() <= bound), bool(np.abs(weight).max() > 0.99 * bound),
            bool(abs(weight.std() - bound / np.sqrt(3)) < 0.02 * bound), bool(np.abs(bias).max() <= bound),
            tuple(layer.weight.shape), layer.weight.requires_grad, layer.kernel_size, layer.stride, layer.padding)


def reprs(m):
    return [repr(m.Conv2d(3, 32, 3)), repr(m.Conv2d(3, 8, (3, 2), stride=2, padding=1, bias=False)),
            repr(m.MaxPool2d(2)), repr(m.MaxPool2d((3, 3), stride=1, padding=1)), repr(m.AvgPool2d(2)),
            repr(m.AvgPool2d(3, 2, 1)), repr(m.BatchNorm2d(16)), repr(m.BatchNorm2d(4, eps=1e-3, momentum=0.5)),
            repr(m.BatchNorm2d(2, affine=False)), repr(m.Flatten()), repr(m.Flatten(0, 2))]


def grad_fn_names(m):
    x = m.ones(1, 1, 4, 4, requires_grad=True)
    w = m.ones(1, 1, 3, 3, requires_grad=True)
    return [type(m.nn.functional.conv2d(x, w).grad_fn).__name__,
            type(m.nn.functional.max_pool2d(x, 2).grad_fn).__name__,
            type(m.nn.functional.avg_pool2d(x, 2).grad_fn).__name__]


SCENARIOS = [
    run_case(("BatchNorm2d", "Module.eval", "Module.named_buffers", "Module.state_dict"), batch_norm_running_statistics),
    run_case("Conv2d", conv_initialisation),
    run_case(("Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm2d", "Flatten"), reprs),
    run_case((F + "conv2d", F + "max_pool2d", F + "avg_pool2d"), grad_fn_names),
]


@pytest.mark.parametrize("check", SCENARIOS)
def test_convolution_scenarios_match_torch(check):
    check()
