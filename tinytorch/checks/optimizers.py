"""Checks for module 07 (Optimizers). Each takes the learner's optimizer class.

The learner's optimizer minimises f(w) = ||w - target||^2 for a few steps with gradients set by hand
(2 (w - target)), and every step is compared with a small numpy transcription of the update rule that
PyTorch documents for torch.optim.SGD / Adam / AdamW.
"""
import numpy as np

from tinytorch.checks import assert_close, assert_raises, check
from tinytorch.core.tensor import Tensor

# Three parameters, each minimising its own ||w - target||^2: two of the same shape (so a state shared between
# parameters gives wrong numbers rather than a crash) and one of another shape.
PARAMETERS = [
    (np.array([0.0, 0.5, 3.0]), np.array([1.0, -2.0, 0.5])),
    (np.array([[1.0, -1.0], [0.25, 2.0]]), np.array([[0.0, 3.0], [-1.0, 1.0]])),
    (np.array([-2.0, 4.0, 1.5]), np.array([0.5, 0.5, -3.0])),
]
STEPS = 5


def _gradient(w, target):
    return 2 * (w - target)


def _learner_path(make_optimizer, skip=(), in_place=False):
    """Each parameter after each step of the learner's optimizer: a list of (STEPS, ...) arrays.

    At the steps in `skip` parameter 0's grad is None (the others keep theirs). With `in_place`, the
    gradients live in one array per parameter that is zeroed and refilled before each step, as
    zero_grad(set_to_none=False) and backward() do."""
    params = [Tensor(start.copy(), dtype=np.float64) for start, _ in PARAMETERS]
    storages = [p.data for p in params]
    optimizer = make_optimizer(params)
    paths = [[] for _ in params]
    for t in range(STEPS):
        for index, (p, (_, target)) in enumerate(zip(params, PARAMETERS)):
            g = _gradient(p.data, target)
            if index == 0 and t in skip:
                p.grad = None
            elif in_place and p.grad is not None:
                p.grad.data.fill(0)
                p.grad.data += g
            else:
                p.grad = Tensor(g, dtype=np.float64)
        given = [None if p.grad is None else p.grad.data.copy() for p in params]
        optimizer.step()
        for index, (p, storage, before) in enumerate(zip(params, storages, given)):
            assert p.data is storage, ("step() replaced p.data by a new array; update it in place "
                                       "(p.data -= ...) so the model keeps seeing its parameters")
            assert before is None or np.array_equal(p.grad.data, before), \
                (f"step() changed p.grad of parameter {index} (shape {p.shape}) at step {t}: compute on new arrays "
                 "(grad = grad + weight_decay * p.data, not grad += ...), and keep copies in self.state (a buffer that "
                 "is the gradient array itself, not grad.copy(), changes p.grad when it is updated); the gradient "
                 "belongs to the caller")
            paths[index].append(p.data.copy())
    return [np.array(path) for path in paths]


def _expected_paths(update, skip=()):
    """The same run with PyTorch's rule `update(w, g, state) -> new w`, one state per parameter; a None grad
    leaves w (and its state) alone."""
    paths = []
    for index, (start, target) in enumerate(PARAMETERS):
        w, state, path = start.copy(), {}, []
        for t in range(STEPS):
            if not (index == 0 and t in skip):
                w = update(w, _gradient(w, target), state)
            path.append(w.copy())
        paths.append(np.array(path))
    return paths


def _sgd_rule(lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    def update(w, g, state):
        g = g + weight_decay * w
        if momentum:
            buffer = g.copy() if "buffer" not in state else momentum * state["buffer"] + (1 - dampening) * g
            state["buffer"] = buffer
            g = g + momentum * buffer if nesterov else buffer
        return w - lr * g
    return update


def _adam_rule(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    beta1, beta2 = betas

    def update(w, g, state):
        t = state["t"] = state.get("t", 0) + 1
        if decoupled:
            w = w * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * w
        m = state["m"] = beta1 * state.get("m", 0.0) + (1 - beta1) * g
        v = state["v"] = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
        return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return update


def _compare(make_optimizer, rule, what, skip=(), in_place=False):
    learner, expected = _learner_path(make_optimizer, skip, in_place), _expected_paths(rule, skip)
    for index, (ours, theirs) in enumerate(zip(learner, expected)):
        assert_close(ours, theirs, f"{what}: parameter {index} of 3 (shape {PARAMETERS[index][0].shape}) after each "
                     f"of {STEPS} steps (one row per step; each parameter keeps its own state in self.state[p])",
                     rtol=1e-9, atol=1e-12)


@check("Part 1 · optimizer base")
def check_optimizer_base(Optimizer):
    a = Tensor(np.ones((2, 3)))
    b = Tensor(np.ones(3))
    optimizer = Optimizer((p for p in [a, b]), {"lr": 0.1})
    groups = getattr(optimizer, "param_groups", None)
    assert isinstance(groups, list) and len(groups) == 1 and isinstance(groups[0], dict), \
        f"Optimizer(generator, defaults) should make one parameter group, a list with one dict; got {groups!r}"
    assert [id(p) for p in groups[0].get("params", [])] == [id(a), id(b)], \
        ("Optimizer(generator, defaults): param_groups[0]['params'] should list both parameters "
         "(read the generator once into a list: it is used up after one pass)")
    assert groups[0].get("lr") == 0.1, "the group should take the default lr=0.1 (add_param_group fills it in)"
    assert optimizer.state == {}, f"state should start as an empty dict, got {optimizer.state!r}"
    assert_raises(ValueError, lambda: Optimizer([], {}), "Optimizer([], {})", must_mention=["empty"])
    c = Tensor(np.ones(1))
    two = Optimizer([{"params": [a]}, {"params": [b, c], "lr": 0.01}], {"lr": 0.1})
    assert [len(g["params"]) for g in two.param_groups] == [1, 2] and \
        [g["lr"] for g in two.param_groups] == [0.1, 0.01], \
        ("Optimizer([{'params': [a]}, {'params': [b, c], 'lr': 0.01}], {'lr': 0.1}) should keep the two groups, "
         f"with lr 0.1 and 0.01; got {[(len(g['params']), g.get('lr')) for g in two.param_groups]}")

    a.grad, b.grad, c.grad = Tensor(np.full((2, 3), 5.0)), None, Tensor(np.full(1, 2.0))
    kept = a.grad
    two.zero_grad(set_to_none=False)
    assert a.grad is kept and np.all(a.grad.data == 0), "zero_grad(set_to_none=False) should fill p.grad with zeros in place"
    assert b.grad is None, "zero_grad(set_to_none=False) should leave a None grad as None"
    assert np.all(c.grad.data == 0), "zero_grad(set_to_none=False) should zero the gradients of every group, not only the first"
    two.zero_grad()
    assert a.grad is None and c.grad is None, \
        "zero_grad() should set every p.grad of every group to None (PyTorch's default, set_to_none=True)"

    a.grad, b.grad, c.grad = Tensor(np.full((2, 3), 0.5)), None, Tensor(np.full(1, 2.0))
    found = list(two._params_with_grads())
    assert [(id(g), id(p)) for g, p, _ in found] == [(id(two.param_groups[0]), id(a)), (id(two.param_groups[1]), id(c))], \
        ("_params_with_grads() should give (group, p, grad array) for the parameters whose grad is not None, "
         "in every group (here: a in group 0, c in group 1)")
    assert_close(found[0][2], a.grad.data, "the gradient array given with the first parameter")
    b.grad = Tensor(np.ones(1))
    assert_raises(ValueError, lambda: two._params_with_grads(),
                  "a (1,) gradient for a (3,) parameter (numpy would broadcast it silently)",
                  must_mention=["(3,)", "(1,)"])
    a.grad, b.grad = Tensor(np.full((2, 3), 0.5)), Tensor(np.ones(3))
    c.grad = Tensor(np.ones(1), dtype=np.float64)
    assert_raises(TypeError, lambda: two._params_with_grads(),
                  "a float64 gradient for a float32 parameter in the last group (check every gradient first)",
                  must_mention=["float64"])


@check("Part 2 · SGD and weight decay")
def check_sgd(SGD):
    _compare(lambda ps: SGD(ps, lr=0.1), _sgd_rule(0.1), "SGD(lr=0.1)")
    _compare(lambda ps: SGD(ps, lr=0.1, weight_decay=0.5), _sgd_rule(0.1, weight_decay=0.5),
             "SGD(lr=0.1, weight_decay=0.5): weight decay adds +weight_decay * p to the gradient")
    _compare(lambda ps: SGD(ps, lr=0.1, weight_decay=0.5), _sgd_rule(0.1, weight_decay=0.5),
             "SGD with grad None at steps 1 and 2 (those steps must leave the parameter untouched)", skip=(1, 2))
    _compare(lambda ps: SGD([{"params": ps, "lr": 0.1, "weight_decay": 0.5}], lr=0.9),
             _sgd_rule(0.1, weight_decay=0.5),
             "SGD([{'params': [w], 'lr': 0.1, 'weight_decay': 0.5}], lr=0.9): read lr and weight_decay from the "
             "parameter's group")
    assert_raises(ValueError, lambda: SGD([Tensor(np.ones(2))], lr=-0.1), "SGD(lr=-0.1)", must_mention=["lr"])


@check("Part 3 · momentum and Nesterov")
def check_sgd_momentum(SGD):
    _compare(lambda ps: SGD(ps, lr=0.05, momentum=0.9), _sgd_rule(0.05, momentum=0.9), "SGD(momentum=0.9)")
    _compare(lambda ps: SGD(ps, lr=0.05, momentum=0.9, dampening=0.5), _sgd_rule(0.05, 0.9, dampening=0.5),
             "SGD(momentum=0.9, dampening=0.5): the first step must set the buffer to the gradient itself")
    _compare(lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True), _sgd_rule(0.05, 0.9, nesterov=True),
             "SGD(momentum=0.9, nesterov=True): step along grad + momentum * buffer")
    _compare(lambda ps: SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.1), _sgd_rule(0.05, 0.9, weight_decay=0.1),
             "SGD(momentum=0.9, weight_decay=0.1), grad None at step 2", skip=(2,))
    _compare(lambda ps: SGD(ps, lr=0.05, momentum=0.9), _sgd_rule(0.05, momentum=0.9),
             "SGD(momentum=0.9) with gradients zeroed in place between steps (zero_grad(set_to_none=False)): the "
             "first buffer must be a copy of the gradient (grad.copy()), not the gradient array itself",
             in_place=True)
    assert_raises(ValueError, lambda: SGD([Tensor(np.ones(2))], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
                  "SGD(nesterov=True, dampening=0.1)", must_mention=["nesterov"])


@check("Part 4 · Adam")
def check_adam(Adam):
    optimizer = Adam([Tensor(np.ones(2))])
    group = optimizer.param_groups[0]
    defaults = (group["lr"], tuple(group["betas"]), group["eps"], group["weight_decay"])
    assert defaults == (1e-3, (0.9, 0.999), 1e-8, 0), \
        f"Adam's defaults should be lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, got {defaults}"
    _compare(lambda ps: Adam(ps, lr=0.1), _adam_rule(0.1),
             "Adam(lr=0.1) (is the bias correction 1 - beta ** step there, with step counting from 1?)")
    _compare(lambda ps: Adam(ps, lr=0.1, betas=(0.8, 0.9), eps=1e-3), _adam_rule(0.1, (0.8, 0.9), 1e-3),
             "Adam(lr=0.1, betas=(0.8, 0.9), eps=1e-3)")
    _compare(lambda ps: Adam(ps, lr=0.1, weight_decay=0.5), _adam_rule(0.1, weight_decay=0.5),
             "Adam(lr=0.1, weight_decay=0.5): L2 adds +weight_decay * p to the gradient")
    _compare(lambda ps: Adam(ps, lr=0.1), _adam_rule(0.1), "Adam with grad None at step 2 for parameter 0 "
             "(its step count must not advance)", skip=(2,))
    _compare(lambda ps: Adam(ps, lr=0.1, weight_decay=0.5), _adam_rule(0.1, weight_decay=0.5),
             "Adam(lr=0.1, weight_decay=0.5) with gradients zeroed in place between steps", in_place=True)
    assert_raises(ValueError, lambda: Adam([Tensor(np.ones(2))], betas=(0.9, 1.0)), "Adam(betas=(0.9, 1.0))",
                  must_mention=["beta"])


@check("Part 5 · AdamW")
def check_adamw(AdamW):
    assert AdamW([Tensor(np.ones(2))]).param_groups[0]["weight_decay"] == 1e-2, "AdamW's default weight_decay is 1e-2"
    _compare(lambda ps: AdamW(ps, lr=0.1, weight_decay=0.5), _adam_rule(0.1, weight_decay=0.5, decoupled=True),
             "AdamW(lr=0.1, weight_decay=0.5): first p *= 1 - lr * weight_decay, then Adam with the plain gradient")
    _compare(lambda ps: AdamW(ps, lr=0.1), _adam_rule(0.1, weight_decay=1e-2, decoupled=True),
             "AdamW(lr=0.1) with the default weight_decay")
    _compare(lambda ps: AdamW(ps, lr=0.1, weight_decay=0.5), _adam_rule(0.1, weight_decay=0.5, decoupled=True),
             "AdamW with grad None at steps 1 and 3 (no decay either on those steps)", skip=(1, 3))
