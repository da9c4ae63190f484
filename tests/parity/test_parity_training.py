"""Optimizers, gradient clipping, schedules, data loading and a training loop on tinytorch and torch."""
import math

import numpy as np
import pytest

import tinytorch
import tinytorch.nn.utils  # noqa: F401
import tinytorch.utils.data  # noqa: F401
from parity import TORCH, as_tensor, assert_same_run, compare, covers, error_case, run_case, set_parameters, to_numpy

STEPS = 5


def optimizer_steps(name, **options):
    """Two parameters of different shapes, the same seeded gradients each step on both frameworks;
    the parameters after every step (and which gradients an empty grad skips) must agree."""
    def scenario(m):
        rng = np.random.default_rng(3)
        params = [m.Parameter(m.Tensor(rng.standard_normal(shape).astype(np.float32))) for shape in ((3, 2), (4,))]
        optimizer = getattr(m, name)(params, **options)
        history = []
        for step in range(STEPS):
            for p in params:
                p.grad = m.Tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32))
            if step == 2:
                params[1].grad = None  # a parameter without a gradient this step is left alone
            optimizer.step()
            history.append([to_numpy(p) for p in params])
        optimizer.zero_grad()
        return history, [p.grad for p in params]

    scenario.__name__ = "_".join([name] + [f"{key}={value}" for key, value in options.items()])
    return scenario


OPTIMIZERS = [
    run_case(("SGD", "Optimizer.step", "Optimizer.zero_grad"), optimizer_steps("SGD", lr=0.1)),
    run_case("SGD", optimizer_steps("SGD", lr=0.1, momentum=0.9)),
    run_case("SGD", optimizer_steps("SGD", lr=0.1, momentum=0.9, dampening=0.5)),
    run_case("SGD", optimizer_steps("SGD", lr=0.1, momentum=0.9, nesterov=True)),
    run_case("SGD", optimizer_steps("SGD", lr=0.05, weight_decay=0.1)),
    run_case("SGD", optimizer_steps("SGD", lr=0.05, momentum=0.5, weight_decay=0.01, nesterov=True)),
    run_case(("Adam", "Optimizer.step"), optimizer_steps("Adam")),
    run_case("Adam", optimizer_steps("Adam", lr=0.01, betas=(0.8, 0.9), eps=1e-6)),
    run_case("Adam", optimizer_steps("Adam", lr=0.01, weight_decay=0.1)),
    run_case("AdamW", optimizer_steps("AdamW", lr=0.01)),
    run_case("AdamW", optimizer_steps("AdamW", lr=0.01, betas=(0.5, 0.6), weight_decay=0.3)),
]

ERRORS = [
    error_case("SGD", lambda m: m.SGD([m.Parameter(m.Tensor([1.0]))], lr=-0.1)),
    error_case("SGD", lambda m: m.SGD([m.Parameter(m.Tensor([1.0]))], lr=0.1, momentum=-1)),
    error_case("SGD", lambda m: m.SGD([m.Parameter(m.Tensor([1.0]))], lr=0.1, weight_decay=-1)),
    error_case("SGD", lambda m: m.SGD([m.Parameter(m.Tensor([1.0]))], lr=0.1, nesterov=True)),
    error_case("SGD", lambda m: m.SGD([], lr=0.1)),
    error_case("SGD", lambda m: m.SGD(m.Parameter(m.Tensor([1.0])), lr=0.1)),  # a bare tensor, not a list
    error_case("Adam", lambda m: m.Adam([m.Parameter(m.Tensor([1.0]))], betas=(1.0, 0.999))),
    error_case("Adam", lambda m: m.Adam([m.Parameter(m.Tensor([1.0]))], lr=-1)),
    error_case("Adam", lambda m: m.Adam([m.Parameter(m.Tensor([1.0]))], eps=-1e-8)),
    error_case("AdamW", lambda m: m.AdamW([m.Parameter(m.Tensor([1.0]))], weight_decay=-0.1)),
    error_case("AdamW", lambda m: m.AdamW([m.Parameter(m.Tensor([1.0]))], betas=(0.9, -0.1))),
]


@pytest.mark.parametrize("check", OPTIMIZERS + ERRORS)
def test_optimizer_matches_torch(check):
    check()


@covers("Optimizer", "SGD", "Adam", "AdamW")
def test_optimizers_are_optimizers_and_adamw_defaults_match():
    def scenario(m):
        params = [m.Parameter(m.Tensor([1.0]))]
        adamw = m.AdamW(params)
        return [isinstance(o, m.Optimizer) for o in (m.SGD(params, lr=0.1), m.Adam(params), adamw)]

    assert_same_run(scenario)


def mlp_training(m):
    """The same MLP (weights copied by set_parameters), the same batches: the same losses and weights."""
    rng = np.random.default_rng(5)
    inputs = rng.standard_normal((32, 4)).astype(np.float32)
    classes = (inputs[:, 0] + inputs[:, 1] > 0).astype(np.int64) + (inputs[:, 2] > 1)
    model = set_parameters(m.Sequential(m.Linear(4, 16), m.ReLU(), m.Linear(16, 3)))
    optimizer = m.Adam(model.parameters(), lr=0.01)
    loss_fn = m.CrossEntropyLoss()
    losses = []
    for step in range(6):
        batch = slice(8 * (step % 4), 8 * (step % 4) + 8)
        optimizer.zero_grad()
        loss = loss_fn(model(as_tensor(m, inputs[batch])), as_tensor(m, classes[batch]))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, [p for p in model.parameters()]


def regression_training(m):
    """Linear regression with MSELoss and SGD+momentum, gradients clipped each step."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((16, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32) + 0.3).astype(np.float32)
    model = set_parameters(m.Linear(3, 1))
    optimizer = m.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses, norms = [], []
    for _ in range(5):
        optimizer.zero_grad()
        loss = m.MSELoss()(model(m.Tensor(x)), m.Tensor(y))
        loss.backward()
        norms.append(m.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0))
        optimizer.step()
        losses.append(loss.item())
    return losses, norms, model.weight, model.bias


TRAINING = [
    run_case(("Sequential", "Adam", "CrossEntropyLoss", "Module.parameters"), mlp_training),
    run_case(("Linear", "SGD", "MSELoss", "nn.utils.clip_grad_norm_"), regression_training),
]


@pytest.mark.parametrize("check", TRAINING)
def test_training_matches_torch(check):
    check()


def clipping(max_norm, norm_type=2.0):
    def scenario(m):
        params = [m.Parameter(m.Tensor(np.zeros(shape, dtype=np.float32))) for shape in ((2, 2), (3,))]
        for p, grad in zip(params, ([[3.0, 0.0], [4.0, 1.0]], [2.0, -2.0, 1.0])):
            p.grad = m.Tensor(np.array(grad, dtype=np.float32))
        total = m.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        return total, [p.grad for p in params]

    scenario.__name__ = f"clip_grad_norm__max_norm={max_norm}_norm_type={norm_type}"
    return scenario


CLIPPING = [
    run_case("nn.utils.clip_grad_norm_", clipping(1.0)),
    run_case("nn.utils.clip_grad_norm_", clipping(100.0)),  # below max_norm: unchanged
    run_case("nn.utils.clip_grad_norm_", clipping(1.0, norm_type=1.0)),
    run_case("nn.utils.clip_grad_norm_", clipping(1.0, norm_type=float("inf"))),
]


@pytest.mark.parametrize("check", CLIPPING)
def test_gradient_clipping_matches_torch(check):
    check()


def schedule(make, steps=12):
    """The learning rates a schedule gives over `steps` optimizer steps, starting from lr 0.5."""
    def scenario(m):
        optimizer = m.SGD([m.Parameter(m.Tensor([1.0]))], lr=0.5)
        scheduler = make(m, optimizer)
        seen = [scheduler.get_last_lr()]
        for _ in range(steps):
            optimizer.step()
            scheduler.step()
            seen.append(scheduler.get_last_lr() + [optimizer.param_groups[0]["lr"]])
        return seen

    return scenario


SCHEDULES = [
    # past T_max the cosine climbs back up, as PyTorch's does
    run_case("optim.lr_scheduler.CosineAnnealingLR",
             schedule(lambda m, o: m.optim.lr_scheduler.CosineAnnealingLR(o, T_max=5))),
    run_case("optim.lr_scheduler.CosineAnnealingLR",
             schedule(lambda m, o: m.optim.lr_scheduler.CosineAnnealingLR(o, 4, eta_min=0.01))),
    run_case("optim.lr_scheduler.LinearLR", schedule(lambda m, o: m.optim.lr_scheduler.LinearLR(o))),
    run_case("optim.lr_scheduler.LinearLR",
             schedule(lambda m, o: m.optim.lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=0.5, total_iters=3))),
    run_case(("optim.lr_scheduler.SequentialLR", "optim.lr_scheduler.LRScheduler"), schedule(
        lambda m, o: m.optim.lr_scheduler.SequentialLR(o, [
            m.optim.lr_scheduler.LinearLR(o, start_factor=0.2, total_iters=3),
            m.optim.lr_scheduler.CosineAnnealingLR(o, T_max=8)], milestones=[3]))),
]


@pytest.mark.parametrize("check", SCHEDULES)
def test_learning_rate_schedules_match_torch(check):
    check()


def optimizer_param_groups(m):
    weight, bias = m.Parameter(m.Tensor([1.0, -2.0])), m.Parameter(m.Tensor([0.5]))
    optimizer = m.optim.SGD([{"params": [weight]}, {"params": [bias], "lr": 0.01}], lr=0.1, momentum=0.9)
    for step in range(3):
        weight.grad, bias.grad = m.Tensor([0.3, -0.1 * step]), m.Tensor([1.0])
        optimizer.step()
    return ([(group["lr"], group["momentum"], len(group["params"])) for group in optimizer.param_groups],
            weight, bias)


def optimizer_state_dict_round_trip(m):
    """Adam's state_dict: the same keys and per-parameter state as torch, and a loaded copy steps the same."""
    def fresh():
        return [m.Parameter(m.Tensor([1.0, 2.0])), m.Parameter(m.Tensor([[0.5]]))]

    params = fresh()
    optimizer = m.optim.Adam(params, lr=0.1, weight_decay=0.01)
    for p in params:
        p.grad = m.Tensor(np.ones(p.shape, dtype=np.float32))
    optimizer.step()
    state = optimizer.state_dict()
    copies = fresh()
    with m.no_grad():
        for copy, p in zip(copies, params):
            copy.copy_(p)
    restored = m.optim.Adam(copies, lr=0.1, weight_decay=0.01)
    restored.load_state_dict(state)
    for p in copies:  # only the restored optimizer steps on: torch's loaded state aliases the original's
        p.grad = m.Tensor(np.full(p.shape, 0.5, dtype=np.float32))
    restored.step()
    return (sorted(state), sorted(state["state"]), sorted(state["state"][0]), state["param_groups"][0]["params"],
            params, copies)


def optimizer_subclass_with_defaults(m):
    # PyTorch's Optimizer takes (params, defaults) and builds param_groups from them
    class Plain(m.optim.Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, dict(lr=lr))

    optimizer = Plain([m.Parameter(m.Tensor([1.0]))], lr=0.1)
    return optimizer.param_groups[0]["lr"], optimizer.defaults


OPTIMIZER_API = [
    run_case(("optim.SGD", "Optimizer"), optimizer_param_groups),
    run_case(("optim.Adam", "Optimizer"), optimizer_state_dict_round_trip),
    run_case(("optim.Optimizer", "Optimizer"), optimizer_subclass_with_defaults),
]


@pytest.mark.parametrize("check", OPTIMIZER_API)
def test_optimizer_api_matches_torch(check):
    check()


def tensor_dataset(m):
    x = m.Tensor(np.arange(12, dtype=np.float32).reshape(6, 2))
    y = as_tensor(m, np.arange(6))
    dataset = m.TensorDataset(x, y)
    return len(dataset), dataset[4], isinstance(dataset, m.Dataset)


def loader_batches(batch_size, drop_last):
    def scenario(m):
        x = np.arange(14, dtype=np.float32).reshape(7, 2)
        y = np.arange(7, dtype=np.int64)
        loader = m.DataLoader(m.TensorDataset(as_tensor(m, x), as_tensor(m, y)), batch_size=batch_size,
                              drop_last=drop_last)
        return len(loader), [batch for batch in loader]

    scenario.__name__ = f"batch_size={batch_size}_drop_last={drop_last}"
    return scenario


def custom_dataset(m):
    """A Dataset subclass returning numpy arrays and Python ints: default collation stacks them."""
    class Squares(m.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, index):
            return np.full(3, index, dtype=np.float32), index * index

    return [batch for batch in m.DataLoader(Squares(), batch_size=2)]


def shuffled_epoch(m):
    m.manual_seed(0)
    data = np.arange(10, dtype=np.float32)
    seen = [to_numpy(x) for (x,) in m.DataLoader(m.TensorDataset(as_tensor(m, data)), batch_size=3, shuffle=True)]
    # the order is each framework's own random stream; a shuffle is a permutation in batches of 3
    return [len(x) for x in seen], sorted(np.concatenate(seen).tolist())


def collated(m):
    """default_collate of numbers, arrays, tuples and dicts: batches with torch's dtypes and structure."""
    samples = [{"x": np.full(2, i, dtype=np.float32), "label": i, "weight": 0.5 * i, "pair": (i, float(i))}
               for i in range(3)]
    return m.utils.data.default_collate(samples)


DATA = [
    run_case("utils.data.default_collate", collated),
    run_case(("TensorDataset", "Dataset"), tensor_dataset),
    run_case(("DataLoader", "TensorDataset"), loader_batches(3, False)),
    run_case(("DataLoader", "TensorDataset"), loader_batches(3, True)),
    run_case(("DataLoader", "TensorDataset"), loader_batches(7, False)),
    run_case(("DataLoader", "Dataset"), custom_dataset),
    run_case(("DataLoader", "manual_seed"), shuffled_epoch),
]


@pytest.mark.parametrize("check", DATA)
def test_data_loading_matches_torch(check):
    check()


def grad_mode(m):
    x = m.Tensor(np.ones(3, dtype=np.float32))
    x.requires_grad = True
    with m.no_grad():
        inside, inside_flag = x * 2, m.is_grad_enabled()
    return inside.requires_grad, inside_flag, m.is_grad_enabled(), (x * 2).requires_grad


def reseeding_repeats_initialisation(m):
    m.manual_seed(42)
    first = to_numpy(m.Linear(5, 3).weight)
    m.manual_seed(42)
    again = to_numpy(m.Linear(5, 3).weight)
    bound = 1 / math.sqrt(5)  # PyTorch's default Linear init: U(-1/sqrt(in), 1/sqrt(in))
    return bool(np.array_equal(first, again)), bool(np.all(np.abs(first) <= bound))


MISC = [
    run_case(("no_grad", "is_grad_enabled"), grad_mode),
    run_case(("manual_seed", "Linear"), reseeding_repeats_initialisation),
]


@pytest.mark.parametrize("check", MISC)
def test_grad_mode_and_seeding_match_torch(check):
    check()
