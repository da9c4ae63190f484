"""tinytorch optimizers against an independent transcription of PyTorch's documented algorithms.

The reference below follows the pseudo-code of the torch.optim.SGD / Adam / AdamW documentation one
scalar at a time in float64 Python arithmetic, so it shares no code (and no vectorised shortcut) with
tinytorch.core.optimizers. Runs use several parameters of different shapes, random gradients, and
steps where a gradient is zero (the optimizer still steps) or None (the parameter is skipped).
"""
import math

import numpy as np
import pytest

from tinytorch import Tensor
from tinytorch.core.layers import Linear
from tinytorch.core.optimizers import SGD, Adam, AdamW, Optimizer

SHAPES = [(3, 4), (4,), (1,)]
STEPS = 6
# Per step and per parameter: "g" a random gradient, "0" a zero gradient, None no gradient.
SCHEDULE = [["g", "g", "g"], ["g", None, "0"], ["0", "g", "g"], ["g", "g", None], [None, "0", "g"],
            ["g", "g", "g"]]


def make_run(seed=0):
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(shape) for shape in SHAPES]
    grads = [[None if kind is None else (np.zeros(shape) if kind == "0" else rng.standard_normal(shape))
              for kind, shape in zip(kinds, SHAPES)] for kinds in SCHEDULE]
    return start, grads


def run_tinytorch(make_optimizer, seed=0):
    start, grads = make_run(seed)
    params = [Tensor(w.copy(), dtype=np.float64) for w in start]
    optimizer = make_optimizer(iter(params))
    for step_grads in grads:
        optimizer.zero_grad()
        for p, g in zip(params, step_grads):
            if g is not None:
                p.grad = Tensor(g, dtype=np.float64)
        optimizer.step()
    return [p.data for p in params]


def run_reference(update, seed=0):
    """Apply `update(w, g, state) -> w` to each scalar weight separately, skipping None gradients."""
    start, grads = make_run(seed)
    flat = [w.ravel().tolist() for w in start]
    states = [[{} for _ in w] for w in flat]
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            if g is None:
                continue
            for j, g_j in enumerate(g.ravel().tolist()):
                flat[i][j] = update(flat[i][j], g_j, states[i][j])
    return [np.array(w).reshape(shape) for w, shape in zip(flat, SHAPES)]


def sgd_reference(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    def update(w, g, state):
        if weight_decay != 0:
            g = g + weight_decay * w
        if momentum != 0:
            if "b" in state:
                state["b"] = momentum * state["b"] + (1 - dampening) * g
            else:
                state["b"] = g
            g = g + momentum * state["b"] if nesterov else state["b"]
        return w - lr * g
    return update


def adam_reference(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    def update(w, g, state):
        state.setdefault("t", 0)
        state.setdefault("m", 0.0)
        state.setdefault("v", 0.0)
        state["t"] += 1
        if decoupled:
            w = w * (1 - lr * weight_decay)
        elif weight_decay != 0:
            g = g + weight_decay * w
        state["m"] = betas[0] * state["m"] + (1 - betas[0]) * g
        state["v"] = betas[1] * state["v"] + (1 - betas[1]) * g * g
        m_hat = state["m"] / (1 - betas[0] ** state["t"])
        v_hat = state["v"] / (1 - betas[1] ** state["t"])
        return w - lr * m_hat / (math.sqrt(v_hat) + eps)
    return update


def assert_same_runs(make_optimizer, reference):
    for ours, theirs in zip(run_tinytorch(make_optimizer), run_reference(reference)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kwargs", [
    dict(lr=0.1),
    dict(lr=0.1, weight_decay=0.3),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.8, weight_decay=0.1, dampening=0.5),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.05, momentum=0.7, nesterov=True, weight_decay=0.2),
], ids=str)
def test_sgd_matches_pytorchs_documented_rule(kwargs):
    assert_same_runs(lambda ps: SGD(ps, **kwargs), sgd_reference(**kwargs))


@pytest.mark.parametrize("kwargs", [
    dict(), dict(lr=0.1), dict(lr=0.05, betas=(0.8, 0.95), eps=1e-4), dict(lr=0.1, weight_decay=0.3),
], ids=str)
def test_adam_matches_pytorchs_documented_rule(kwargs):
    assert_same_runs(lambda ps: Adam(ps, **kwargs), adam_reference(**kwargs))


@pytest.mark.parametrize("kwargs", [dict(lr=0.1), dict(lr=0.1, weight_decay=0.3), dict(betas=(0.5, 0.9))], ids=str)
def test_adamw_matches_pytorchs_documented_rule_with_decoupled_decay(kwargs):
    expected = adam_reference(**{"weight_decay": 1e-2, **kwargs}, decoupled=True)
    assert_same_runs(lambda ps: AdamW(ps, **kwargs), expected)


def test_adamw_differs_from_adam_with_the_same_weight_decay():
    adam = run_tinytorch(lambda ps: Adam(ps, lr=0.1, weight_decay=0.3))
    adamw = run_tinytorch(lambda ps: AdamW(ps, lr=0.1, weight_decay=0.3))
    assert not np.allclose(adam[0], adamw[0])


def test_sgd_momentum_on_a_constant_gradient_follows_the_geometric_series():
    # b_t = g (1 + mu + ... + mu^(t-1)), so after T steps p = p0 - lr g sum_t (1 - mu^t) / (1 - mu).
    lr, mu, g, steps = 0.1, 0.9, 2.0, 7
    p = Tensor(np.array([1.0]), dtype=np.float64)
    optimizer = SGD([p], lr=lr, momentum=mu)
    for _ in range(steps):
        p.grad = Tensor(np.array([g]), dtype=np.float64)
        optimizer.step()
    travelled = lr * g * sum((1 - mu ** t) / (1 - mu) for t in range(1, steps + 1))
    np.testing.assert_allclose(p.data, [1.0 - travelled], rtol=1e-12)


def test_adam_first_step_moves_each_weight_by_lr_against_the_gradient_sign():
    # With bias correction m_hat = g and v_hat = g^2 at step 1, so the step is lr * g / (|g| + eps).
    grad = np.array([3.0, -0.02, 1e3])
    p = Tensor(np.zeros(3), dtype=np.float64)
    p.grad = Tensor(grad, dtype=np.float64)
    Adam([p], lr=0.01).step()
    np.testing.assert_allclose(p.data, -0.01 * grad / (np.abs(grad) + 1e-8), rtol=1e-12)


def test_adamw_with_a_zero_gradient_only_decays_on_the_first_step():
    p = Tensor(np.array([2.0, -4.0]), dtype=np.float64)
    p.grad = Tensor(np.zeros(2), dtype=np.float64)
    AdamW([p], lr=0.1, weight_decay=0.5).step()
    np.testing.assert_allclose(p.data, [2.0 * 0.95, -4.0 * 0.95], rtol=1e-12)


def test_updates_are_in_place_and_keep_float32():
    p = Tensor(np.ones((2, 3)))
    storage = p.data
    for optimizer in [SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1), Adam([p], weight_decay=0.1), AdamW([p])]:
        for _ in range(2):
            p.grad = Tensor(np.full((2, 3), 0.5))
            optimizer.step()
    assert p.data is storage
    assert p.dtype == np.float32
    assert all(v.dtype == np.float32 for s in optimizer.state.values() for v in s.values() if isinstance(v, np.ndarray))


def test_state_holds_pytorchs_buffers_created_at_the_first_step():
    p = Tensor(np.ones(4))
    sgd, momentum, adam = SGD([p], lr=0.1), SGD([p], lr=0.1, momentum=0.9), Adam([p])
    assert sgd.state == {} and momentum.state == {} and adam.state == {}
    p.grad = Tensor(np.ones(4))
    for optimizer in (sgd, momentum, adam, adam):
        optimizer.step()
    assert sgd.state == {}
    assert momentum.state[p]["momentum_buffer"].shape == (4,)
    assert momentum.state[p]["momentum_buffer"] is not p.grad.data  # a copy: the grad must not change
    assert set(adam.state[p]) == {"step", "exp_avg", "exp_avg_sq"} and adam.state[p]["step"] == 2


def test_steps_never_modify_the_gradient():
    p = Tensor(np.ones(3))
    p.grad = Tensor(np.array([1.0, 2.0, 3.0]))
    for optimizer in [SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1), Adam([p], weight_decay=0.1), AdamW([p])]:
        for _ in range(3):
            optimizer.step()
    np.testing.assert_array_equal(p.grad.data, [1.0, 2.0, 3.0])


def test_zero_grad_sets_none_by_default_and_zeros_in_place_on_request():
    a, b = Tensor(np.ones(2)), Tensor(np.ones(2))
    optimizer = SGD([a, b], lr=0.1)
    a.grad, b.grad = Tensor(np.ones(2)), None
    kept = a.grad
    optimizer.zero_grad(set_to_none=False)
    assert a.grad is kept and np.all(kept.data == 0) and b.grad is None
    optimizer.zero_grad()
    assert a.grad is None and b.grad is None


def test_defaults_are_pytorchs_and_every_group_holds_them():
    p = [Tensor(np.ones(1))]
    adam, adamw, sgd = Adam(p), AdamW(p), SGD(p)
    assert {k: v for k, v in adam.param_groups[0].items() if k != "params"} == \
        dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
    assert adamw.param_groups[0]["weight_decay"] == 1e-2 and adamw.defaults["weight_decay"] == 1e-2
    assert {k: v for k, v in sgd.param_groups[0].items() if k != "params"} == \
        dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False)


@pytest.mark.parametrize("make,mentions", [
    (lambda ps: SGD(ps, lr=-0.1), "lr"),
    (lambda ps: SGD(ps, lr=0.1, momentum=-0.5), "momentum"),
    (lambda ps: SGD(ps, lr=0.1, weight_decay=-1), "weight_decay"),
    (lambda ps: SGD(ps, lr=0.1, nesterov=True), "nesterov"),
    (lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    (lambda ps: Adam(ps, lr=-1), "lr"),
    (lambda ps: Adam(ps, betas=(1.0, 0.999)), "beta"),
    (lambda ps: Adam(ps, betas=(0.9, -0.1)), "beta"),
    (lambda ps: Adam(ps, eps=-1e-8), "eps"),
    (lambda ps: AdamW(ps, weight_decay=-0.01), "weight_decay"),
])
def test_bad_hyperparameters_raise_value_error_naming_them(make, mentions):
    with pytest.raises(ValueError, match=mentions):
        make([Tensor(np.ones(2))])


def test_bad_parameter_lists_are_refused():
    with pytest.raises(ValueError, match="empty"):
        SGD(iter([]), lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        Adam(Tensor(np.ones(2)))
    with pytest.raises(TypeError, match="parameter 1 is a list"):
        Optimizer([Tensor(np.ones(2)), [1.0, 2.0]], {})


def test_a_gradient_of_the_wrong_shape_is_an_error_not_a_broadcast():
    p = Tensor(np.ones((2, 3)))
    p.grad = Tensor(np.ones(3))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3,\)"):
        SGD([p], lr=0.1).step()


def test_base_class_step_must_be_overridden():
    with pytest.raises(NotImplementedError, match="Optimizer"):
        Optimizer([Tensor(np.ones(1))], {}).step()


def test_optimizers_update_a_linear_layer_the_module_keeps_seeing():
    layer = Linear(3, 2)
    x = Tensor(np.ones((1, 3)))
    before = layer(x).data.copy()
    optimizer = SGD(layer.parameters(), lr=0.5)  # a generator, as in PyTorch
    for p in layer.parameters():
        p.grad = Tensor(np.ones(p.shape))
    optimizer.step()
    # Every weight and bias dropped by 0.5, so each output drops by 0.5 * (3 inputs + 1 bias) = 2.
    np.testing.assert_allclose(layer(x).data, before - 2.0, rtol=1e-6)
    layer.zero_grad()
    optimizer.step()  # no gradients: nothing moves
    np.testing.assert_allclose(layer(x).data, before - 2.0, rtol=1e-6)


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps, lr=0.1),
                                  lambda ps: AdamW(ps, lr=0.1, weight_decay=0.0)])
def test_each_optimizer_minimises_a_quadratic(make):
    target = np.array([1.0, -2.0, 3.0])
    w = Tensor(np.zeros(3), dtype=np.float64)
    optimizer = make([w])
    for _ in range(300):
        w.grad = Tensor(2 * (w.data - target), dtype=np.float64)
        optimizer.step()
    np.testing.assert_allclose(w.data, target, atol=1e-2)


@pytest.mark.parametrize("make,error,message", [
    (lambda ps: SGD(ps, lr="0.1"), TypeError, "SGD: lr must be a number, got '0.1'"),
    (lambda ps: SGD(ps, momentum=None), TypeError, "SGD: momentum must be a number"),
    (lambda ps: Adam(ps, betas=(0.9,)), ValueError, r"Adam: betas must be a pair \(beta1, beta2\), got \(0.9,\)"),
    (lambda ps: Adam(ps, betas=0.9), ValueError, "betas must be a pair"),
    (lambda ps: AdamW(ps, eps="tiny"), TypeError, "AdamW: eps must be a number"),
    (lambda ps: SGD([{"params": ps, "lr": -1.0}]), ValueError, r"SGD: invalid lr=-1.0"),
])
def test_hyperparameters_of_the_wrong_type_or_form_fail_in_the_constructor(make, error, message):
    with pytest.raises(error, match=message):
        make([Tensor(np.ones(2))])


def test_param_groups_keep_their_own_options_and_fill_the_rest_from_the_defaults():
    a, b = Tensor(np.ones(2)), Tensor(np.ones(3))
    optimizer = SGD([{"params": [a]}, {"params": iter([b]), "lr": 0.01, "momentum": 0.5}], lr=0.1, momentum=0.9)
    first, second = optimizer.param_groups
    assert first["params"] == [a] and (first["lr"], first["momentum"]) == (0.1, 0.9)
    assert second["params"] == [b] and (second["lr"], second["momentum"]) == (0.01, 0.5)
    a.grad, b.grad = Tensor(np.ones(2)), Tensor(np.ones(3))
    optimizer.step()
    np.testing.assert_allclose(a.data, 1 - 0.1)
    np.testing.assert_allclose(b.data, 1 - 0.01)


def test_the_step_reads_the_learning_rate_from_the_group_each_time():
    p = Tensor(np.zeros(1), dtype=np.float64)
    optimizer = Adam([p], lr=0.1)
    p.grad = Tensor(np.ones(1), dtype=np.float64)
    optimizer.step()
    optimizer.param_groups[0]["lr"] = 0.01  # what a scheduler does
    optimizer.step()
    np.testing.assert_allclose(p.data, [-0.1 - 0.01], rtol=1e-6)


def test_add_param_group_adds_a_group_with_the_defaults():
    a, b = Tensor(np.ones(1)), Tensor(np.ones(1))
    optimizer = Adam([a], lr=0.5)
    optimizer.add_param_group({"params": b, "betas": (0.5, 0.5)})
    assert optimizer.param_groups[1]["params"] == [b]
    assert (optimizer.param_groups[1]["lr"], optimizer.param_groups[1]["betas"]) == (0.5, (0.5, 0.5))
    with pytest.raises(TypeError, match="must be a dict with a 'params' key"):
        optimizer.add_param_group([b])


def test_a_non_leaf_tensor_cannot_be_optimized():
    w = Tensor(np.ones(2), requires_grad=True)
    doubled = w * 2
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        SGD([w, doubled], lr=0.1)


def test_a_parameter_listed_twice_is_refused():
    w = Tensor(np.ones(2))
    with pytest.raises(ValueError, match="parameter 1 appears twice in one parameter group"):
        SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    optimizer = SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optimizer.add_param_group({"params": [w]})
    assert len(optimizer.param_groups) == 1


@pytest.mark.parametrize("bad_grad,error,message", [
    (Tensor(np.ones(3)), ValueError, r"shape \(2,\) has a gradient of shape \(3,\)"),
    (Tensor(np.ones(2), dtype=np.float64), TypeError, "a float32 parameter has a float64 gradient"),
])
def test_a_step_with_one_bad_gradient_changes_nothing(bad_grad, error, message):
    params = [Tensor(np.ones(2)) for _ in range(3)]
    for make in [lambda: SGD(params, lr=0.1, momentum=0.9), lambda: Adam(params), lambda: AdamW(params)]:
        optimizer = make()
        params[0].grad, params[1].grad, params[2].grad = Tensor(np.ones(2)), Tensor(np.ones(2)), bad_grad
        with pytest.raises(error, match=message):
            optimizer.step()
        assert all(np.array_equal(p.data, np.ones(2)) for p in params) and optimizer.state == {}


def adam_after_steps(params, steps, lr=0.1):
    optimizer = Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.01}], lr=lr)
    for _ in range(steps):
        for p in params:
            p.grad = Tensor(np.cos(p.data) + 0.5)
        optimizer.step()
    return optimizer


def test_state_dict_has_pytorchs_layout():
    params = [Tensor(np.ones(2)), Tensor(np.ones(3)), Tensor(np.ones(1))]
    optimizer = adam_after_steps(params, 2)
    params[2].grad = None
    state = optimizer.state_dict()
    assert set(state) == {"state", "param_groups"}
    assert [group["params"] for group in state["param_groups"]] == [[0], [1, 2]]
    assert [group["lr"] for group in state["param_groups"]] == [0.1, 0.01]
    assert set(state["state"]) == {0, 1, 2}
    assert state["state"][1]["step"] == 2 and state["state"][1]["exp_avg"].shape == (3,)


def test_load_state_dict_resumes_exactly():
    start = [np.linspace(-1, 1, n).astype(np.float32) for n in (2, 3, 1)]
    params = [Tensor(a.copy()) for a in start]
    optimizer = adam_after_steps(params, 3)
    resumed_params = [Tensor(p.data.copy()) for p in params]
    resumed = Adam([{"params": resumed_params[:1]}, {"params": resumed_params[1:]}], lr=123.0)
    resumed.load_state_dict(optimizer.state_dict())
    assert [g["lr"] for g in resumed.param_groups] == [0.1, 0.01]
    assert resumed.param_groups[1]["params"] == resumed_params[1:]
    for _ in range(2):
        for ps, opt in [(params, optimizer), (resumed_params, resumed)]:
            for p in ps:
                p.grad = Tensor(np.cos(p.data) + 0.5)
            opt.step()
    for a, b in zip(params, resumed_params):
        np.testing.assert_array_equal(a.data, b.data)
    assert resumed.state[resumed_params[0]]["exp_avg"] is not optimizer.state[params[0]]["exp_avg"]


@pytest.mark.parametrize("edit,message", [
    (lambda sd: sd["param_groups"].pop(), "has 1 parameter groups, this optimizer has 2"),
    (lambda sd: sd["param_groups"][1]["params"].pop(), "loaded parameter group 1 has 1 parameters, this optimizer's group 1 has 2"),
    (lambda sd: sd["state"][1].update(exp_avg=np.zeros(5, np.float32)), r"shape \(5,\), the parameter has shape \(3,\)"),
    (lambda sd: sd["state"].update({7: {"step": 1}}), "state for parameter 7"),
    (lambda sd: sd["param_groups"][0].update(lr=-1.0), "invalid lr=-1.0"),
    (lambda sd: sd.pop("state"), "the keys 'state' and 'param_groups'"),
])
def test_load_state_dict_checks_everything_before_changing_anything(edit, message):
    saved = adam_after_steps([Tensor(np.ones(2)), Tensor(np.ones(3)), Tensor(np.ones(1))], 1).state_dict()
    edit(saved)
    params = [Tensor(np.ones(2)), Tensor(np.ones(3)), Tensor(np.ones(1))]
    optimizer = adam_after_steps(params, 2)
    before = optimizer.state_dict()
    with pytest.raises(ValueError, match=message):
        optimizer.load_state_dict(saved)
    assert optimizer.state_dict()["param_groups"] == before["param_groups"]
    assert optimizer.state[params[1]]["step"] == 2
