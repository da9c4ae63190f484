"""tinytorch.nn.utils.prune against torch.nn.utils.prune: the same pruning on modules with identical weights gives
the same masks, names, state_dict keys, outputs and gradients (weights are distinct, so no importance ties)."""
import numpy as np
import pytest

import tinytorch
import tinytorch.nn.utils.prune  # noqa: F401
from parity import as_tensor, assert_same_run, error_case, run_case, set_parameters, to_numpy

X = np.random.default_rng(16).standard_normal((3, 6)).astype(np.float32)
IMAGES = np.random.default_rng(17).standard_normal((2, 3, 5, 5)).astype(np.float32)


def P(m):
    """The prune namespace of framework m."""
    if m is tinytorch:
        return tinytorch.nn.utils.prune
    import torch.nn.utils.prune
    return torch.nn.utils.prune


def snapshot(m, module, name="weight", x=X):
    """What pruning changed: names, keys, the mask, the recomputed weight, the output and the gradients."""
    out = module(as_tensor(m, x))
    upstream = np.random.default_rng(5).standard_normal(tuple(out.shape)).astype(np.float32)
    (out * as_tensor(m, upstream)).sum().backward()
    return dict(parameters=[n for n, _ in module.named_parameters()], buffers=[n for n, _ in module.named_buffers()],
                state_dict=list(module.state_dict()), mask=to_numpy(getattr(module, name + "_mask")),
                weight=to_numpy(getattr(module, name)), output=to_numpy(out),
                grads={n: to_numpy(p.grad) for n, p in module.named_parameters()},
                hooks=[type(h).__name__ for h in module._forward_pre_hooks.values()],
                is_pruned=P(m).is_pruned(module), repr=repr(module))


def l1(amount, shape=(6, 4)):
    def scenario(m):
        layer = set_parameters(m.Linear(*shape))
        returned = P(m).l1_unstructured(layer, "weight", amount=amount)
        return snapshot(m, layer, x=X[:, :shape[0]]), returned is layer
    scenario.__name__ = f"l1_unstructured_amount={amount}_Linear{shape}"
    return scenario


def l1_twice_then_structured(m):
    layer = set_parameters(m.Linear(6, 5), seed=1)
    P(m).l1_unstructured(layer, "weight", amount=0.5)
    first = to_numpy(layer.weight_mask)
    P(m).l1_unstructured(layer, "weight", amount=4)
    second = to_numpy(layer.weight_mask)
    P(m).ln_structured(layer, "weight", amount=0.4, n=2, dim=0)
    container = next(iter(layer._forward_pre_hooks.values()))
    return (first, second, snapshot(m, layer), len(container), isinstance(container, P(m).PruningContainer),
            [type(method).__name__ for method in container])


def structured(amount, n, dim):
    def scenario(m):
        layer = set_parameters(m.Linear(6, 5), seed=2)
        P(m).ln_structured(layer, "weight", amount=amount, n=n, dim=dim)
        return snapshot(m, layer)
    scenario.__name__ = f"ln_structured_amount={amount}_n={n}_dim={dim}"
    return scenario


def conv_channels(m):
    conv = set_parameters(m.Conv2d(3, 6, 3, padding=1), seed=3)
    P(m).ln_structured(conv, "weight", amount=2, n=1, dim=0)
    P(m).ln_structured(conv, "weight", amount=1, n=float("inf"), dim=1)
    return snapshot(m, conv, x=IMAGES)


def fine_tune(optimizer, **options):
    def scenario(m):
        model = set_parameters(m.Sequential(m.Linear(6, 8), m.ReLU(), m.Linear(8, 3)), seed=4)
        P(m).l1_unstructured(model[0], "weight", amount=0.6)
        P(m).ln_structured(model[2], "weight", amount=1, n=2, dim=0)
        opt = getattr(m, optimizer)(model.parameters(), **options)
        x, target = as_tensor(m, X), as_tensor(m, np.array([0, 2, 1], dtype=np.int64))
        losses = []
        for _ in range(4):
            opt.zero_grad()
            loss = m.CrossEntropyLoss()(model(x), target)
            loss.backward()
            opt.step()
            losses.append(float(loss.item()))
        model(x)
        return losses, [(n, to_numpy(p)) for n, p in model.named_parameters()], to_numpy(model[0].weight)
    scenario.__name__ = f"fine_tune_{optimizer}"
    return scenario


def remove_after_pruning(m):
    layer = set_parameters(m.Linear(6, 4), seed=5)
    P(m).l1_unstructured(layer, "weight", amount=0.5)
    P(m).l1_unstructured(layer, "bias", amount=1)
    P(m).remove(layer, "weight")
    out = layer(as_tensor(m, X))
    return ([n for n, _ in layer.named_parameters()], list(layer.state_dict()), to_numpy(layer.weight), to_numpy(out),
            isinstance(layer.weight, m.Parameter), P(m).is_pruned(layer),
            [type(h).__name__ for h in layer._forward_pre_hooks.values()])


def global_l1(m):
    a, b = set_parameters(m.Linear(6, 4), seed=6), set_parameters(m.Linear(4, 3), seed=7)
    P(m).l1_unstructured(b, "weight", amount=2)
    P(m).global_unstructured([(a, "weight"), (b, "weight"), (a, "bias")], pruning_method=P(m).L1Unstructured,
                             amount=0.4)
    return [to_numpy(a.weight_mask), to_numpy(b.weight_mask), to_numpy(a.bias_mask), list(a.state_dict()),
            [type(h).__name__ for h in b._forward_pre_hooks.values()]]


def importance_and_custom_mask(m):
    layer = set_parameters(m.Linear(5, 4), seed=8)
    scores = as_tensor(m, np.arange(20, dtype=np.float32)[::-1].reshape(4, 5).copy())
    P(m).l1_unstructured(layer, "weight", amount=6, importance_scores=scores)
    custom = np.ones((4, 5), dtype=np.float32)
    custom[:, 0] = 0
    P(m).custom_from_mask(layer, "weight", mask=as_tensor(m, custom))
    return snapshot(m, layer, x=X[:, :5])


def random_counts(m):
    layer = set_parameters(m.Linear(6, 4), seed=9)
    m.manual_seed(0)
    P(m).random_unstructured(layer, "weight", amount=0.3)
    P(m).random_unstructured(layer, "weight", amount=3)
    hook = next(iter(layer._forward_pre_hooks.values()))
    return (int((to_numpy(layer.weight_mask) == 0).sum()), list(layer.state_dict()),
            [type(method).__name__ for method in hook], bool(np.all(to_numpy(layer.weight)[to_numpy(layer.weight_mask) == 0] == 0)))


def method_classes(m):
    layer = set_parameters(m.Linear(6, 4), seed=10)
    method = P(m).L1Unstructured.apply(layer, "weight", amount=3)
    pruned = P(m).LnStructured(amount=1, n=2, dim=0).prune(as_tensor(m, X[:4]))
    random = P(m).RandomUnstructured(amount=0.5)
    return (type(method).__name__, method.amount, isinstance(method, P(m).BasePruningMethod), to_numpy(pruned),
            random.amount, isinstance(P(m).CustomFromMask(mask=as_tensor(m, np.ones(2, np.float32))),
                                      P(m).BasePruningMethod))


def module_hooks(m):
    layer = set_parameters(m.Linear(6, 4), seed=11)
    seen = []
    pre = layer.register_forward_pre_hook(lambda module, args: (args[0] * 2,))
    post = layer.register_forward_hook(lambda module, args, output: seen.append(tuple(args[0].shape)) or output + 1)
    both = to_numpy(layer(as_tensor(m, X)))
    pre.remove()
    only_post = to_numpy(layer(as_tensor(m, X)))
    post.remove()
    plain = to_numpy(layer(as_tensor(m, X)))
    return both, only_post, plain, seen


P_ = "nn.utils.prune."
CASES = [
    run_case((P_ + "l1_unstructured", P_ + "is_pruned"), l1(0.5)),
    run_case(P_ + "l1_unstructured", l1(0.37)),  # 8.88 of 24 rounds to 9
    run_case(P_ + "l1_unstructured", l1(0.125, (5, 4))),  # 2.5 of 20 rounds to the even 2
    run_case(P_ + "l1_unstructured", l1(7)),
    run_case(P_ + "l1_unstructured", l1(0)),
    run_case(P_ + "l1_unstructured", l1(1.0)),
    run_case((P_ + "PruningContainer", P_ + "ln_structured"), l1_twice_then_structured),
    run_case(P_ + "ln_structured", structured(2, 2, 0)),
    run_case(P_ + "ln_structured", structured(0.5, 1, 1)),
    run_case(P_ + "ln_structured", structured(0.34, float("inf"), -1)),
    run_case(P_ + "ln_structured", conv_channels),
    run_case(("SGD", P_ + "l1_unstructured"), fine_tune("SGD", lr=0.1, momentum=0.9)),
    run_case(("Adam", P_ + "l1_unstructured"), fine_tune("Adam", lr=0.05)),
    run_case(P_ + "remove", remove_after_pruning),
    run_case((P_ + "global_unstructured", P_ + "L1Unstructured"), global_l1),
    run_case((P_ + "custom_from_mask", P_ + "CustomFromMask"), importance_and_custom_mask),
    run_case((P_ + "random_unstructured", P_ + "RandomUnstructured"), random_counts),
    run_case((P_ + "BasePruningMethod", P_ + "L1Unstructured", P_ + "LnStructured", P_ + "RandomUnstructured"),
             method_classes),
    run_case(("Module.register_forward_pre_hook", "Module.register_forward_hook"), module_hooks),
]

ERRORS = [
    error_case(P_ + "l1_unstructured", lambda m: P(m).l1_unstructured(m.Linear(3, 2), "weight", amount=1.5)),
    error_case(P_ + "l1_unstructured", lambda m: P(m).l1_unstructured(m.Linear(3, 2), "weight", amount=-1)),
    error_case(P_ + "l1_unstructured", lambda m: P(m).l1_unstructured(m.Linear(3, 2), "weight", amount="half")),
    error_case(P_ + "l1_unstructured", lambda m: P(m).l1_unstructured(m.Linear(3, 2), "weight", amount=7)),
    error_case(P_ + "l1_unstructured", lambda m: P(m).l1_unstructured(
        m.Linear(3, 2), "weight", amount=1, importance_scores=m.ones(3, 2))),
    error_case(P_ + "ln_structured", lambda m: P(m).ln_structured(m.Linear(3, 2), "bias", amount=1, n=2, dim=0)),
    error_case(P_ + "ln_structured", lambda m: P(m).ln_structured(m.Linear(3, 2), "weight", amount=3, n=2, dim=0)),
    error_case(P_ + "remove", lambda m: P(m).remove(m.Linear(3, 2), "weight")),
    error_case(P_ + "global_unstructured", lambda m: P(m).global_unstructured(
        [(m.Linear(3, 2), "weight")], pruning_method=P(m).LnStructured, amount=1, n=2, dim=0)),
]


@pytest.mark.parametrize("check", CASES + ERRORS)
def test_prune_matches_torch(check):
    check()


def test_pruning_leaves_the_module_as_it_was_when_the_amount_is_too_large():
    """Both keep the parameter (torch rolls back and re-registers it last; tinytorch computes the mask before
    touching the module, so the order is kept too: the names are compared sorted)."""
    def scenario(m):
        layer = set_parameters(m.Linear(3, 2))
        try:
            P(m).l1_unstructured(layer, "weight", amount=7)
        except ValueError:
            pass
        return (sorted(n for n, _ in layer.named_parameters()), sorted(layer.state_dict()), P(m).is_pruned(layer),
                [type(h).__name__ for h in layer._forward_pre_hooks.values()])
    assert_same_run(scenario)
