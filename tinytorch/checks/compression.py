"""Checks for module 16 (Compression): L1 masks, the pruning reparametrisation, structured masks, distillation."""
import numpy as np

from tinytorch.checks import assert_close, assert_raises, check, numerical_gradient, trying


def _l1_reference(t, count):
    """A mask zeroing the `count` entries of smallest |t|, ties by lowest index: sorted in plain Python."""
    flat = np.abs(np.asarray(t, dtype=np.float64)).reshape(-1)
    order = sorted(range(flat.size), key=lambda i: (flat[i], i))
    mask = np.ones(flat.size)
    for i in order[:count]:
        mask[i] = 0
    return mask.reshape(np.shape(t))


@check("Part 1 · the L1 mask")
def check_l1_mask(L1Unstructured):
    rng = np.random.default_rng(16)
    w = rng.permutation(np.arange(1, 11, dtype=np.float32)) * np.where(rng.random(10) < 0.5, -1, 1).astype(np.float32)
    w2 = w.reshape(2, 5)
    cases = [(3, 3, "amount=3 (a count)"), (0.37, 4, "amount=0.37 of 10 weights (3.7 rounds to 4, as Python's round)"),
             (0.25, 2, "amount=0.25 of 10 weights (2.5 rounds to the even 2, as Python's round)"),
             (0, 0, "amount=0 (prune nothing)"), (10, 10, "amount=10 (prune all)"), (1.0, 10, "amount=1.0")]
    for amount, count, what in cases:
        with trying(f"L1Unstructured({amount!r}).compute_mask on a (2, 5) weight"):
            mask = L1Unstructured(amount).compute_mask(w2.copy(), np.ones_like(w2))
        mask = np.asarray(mask)
        expected = _l1_reference(w2, count)
        largest = np.ones(10)
        largest[np.argsort(-np.abs(w2).reshape(-1), kind="stable")[:count]] = 0
        if mask.shape == expected.shape and np.array_equal(mask, largest.reshape(2, 5)) and count not in (0, 10):
            raise AssertionError(f"{what}: your mask keeps the smallest |w| and prunes the largest; pruning removes "
                                 f"the SMALLEST magnitudes.\nweight\n{w2}\nexpected mask\n{expected}\ngot\n{mask}")
        if mask.shape == expected.shape and int((mask == 0).sum()) != count:
            advice = ("a fraction becomes round(amount * size), not int(): 3.7 -> 4" if isinstance(amount, float)
                      else "an int amount is the exact count of weights to prune")
            raise AssertionError(f"{what}: {count} entries should be pruned, your mask zeroes "
                                 f"{int((mask == 0).sum())} ({advice})")
        assert_close(mask, expected, f"{what}, weight\n{w2}\n(compare |w|: -9 is a large weight); mask")
    big = rng.standard_normal((3, 2, 2, 2)).astype(np.float32)
    with trying("L1Unstructured(0.5) on a (3, 2, 2, 2) weight"):
        mask = L1Unstructured(0.5).compute_mask(big.copy(), np.ones_like(big))
    assert_close(mask, _l1_reference(big, 12), "amount=0.5 on a 4-D weight (the 12 smallest |w| over ALL axes)")
    with trying("L1Unstructured(0.5) on a 1-D slice"):
        mask = L1Unstructured(2).compute_mask(w.copy(), np.ones_like(w))
    assert_close(mask, _l1_reference(w, 2), "amount=2 on a 1-D weight")
    assert_raises(ValueError, lambda: L1Unstructured(11).compute_mask(w2.copy(), np.ones_like(w2)),
                  "amount=11 on 10 weights", must_mention=["11"])
    assert_raises(ValueError, lambda: L1Unstructured(1.5), "amount=1.5", must_mention=["1.5"])
    assert_raises(ValueError, lambda: L1Unstructured(-1), "amount=-1", must_mention=["-1"])
    assert_raises(TypeError, lambda: L1Unstructured("half"), "amount='half'", must_mention=["half"])


def _linear(seed=0):
    import tinytorch
    tinytorch.manual_seed(seed)
    return tinytorch.nn.Linear(5, 4)


@check("Part 2 · the reparametrisation (weight_orig, weight_mask, pre-hook)")
def check_reparametrization(reparametrize, L1Unstructured):
    import tinytorch
    from tinytorch.core.layers import Parameter

    layer = _linear()
    w = layer.weight.data.copy()
    with trying("reparametrize(L1Unstructured, linear, 'weight', amount=0.5)"):
        reparametrize(L1Unstructured, layer, "weight", amount=0.5)
    params = dict(layer.named_parameters())
    assert "weight_orig" in params and isinstance(params["weight_orig"], Parameter), \
        f"after pruning, weight_orig must be a Parameter of the layer (its parameters: {list(params)})"
    assert "weight" not in params, ("after pruning, 'weight' must no longer be a Parameter (the optimizer trains "
                                    "weight_orig; weight is orig * mask)")
    assert_close(params["weight_orig"], w, "weight_orig (the original values, untouched)")
    state = layer.state_dict()
    assert "weight_mask" in state, (f"the mask must be a buffer, so state_dict() saves it (register_buffer); "
                                    f"state_dict keys: {list(state)}")
    expected_mask = _l1_reference(w, 10)
    assert_close(state["weight_mask"], expected_mask, "weight_mask after amount=0.5 of 20 weights")
    assert_close(layer.weight, w * expected_mask, "layer.weight right after pruning (orig * mask)")
    hooks = getattr(layer, "_forward_pre_hooks", {})
    assert any(callable(h) for h in hooks.values()), \
        ("no forward pre-hook is registered: weight must be recomputed as weight_orig * weight_mask before every "
         "forward (register_forward_pre_hook(method))")

    # the forward uses orig * mask, recomputed after orig changes
    x = np.random.default_rng(1).standard_normal((3, 5)).astype(np.float32)
    with tinytorch.no_grad():
        layer.weight_orig.data[...] = layer.weight_orig.data + 1.0
    with trying("the pruned layer's forward after weight_orig changed"):
        out = layer(tinytorch.Tensor(x))
    new_w = (w + 1.0) * expected_mask
    if not np.allclose(out.data, x @ new_w.T + layer.bias.data, atol=1e-5):
        raise AssertionError("the forward after weight_orig changed does not use weight_orig * weight_mask: the "
                             "weight used in forward is not recomputed before each forward (it was set once)")

    # gradients reach weight_orig through the mask, zero where pruned
    layer = _linear(1)
    reparametrize(L1Unstructured, layer, "weight", amount=8)
    mask = layer.weight_mask.data.copy()
    upstream = np.random.default_rng(2).standard_normal((3, 4))
    with trying("backward through a pruned layer"):
        (layer(tinytorch.Tensor(x)) * tinytorch.Tensor(upstream.astype(np.float32))).sum().backward()
    grad = layer.weight_orig.grad
    assert grad is not None, "weight_orig got no gradient: weight must be computed from weight_orig with Tensor ops"
    orig64 = layer.weight_orig.data.astype(np.float64)
    expected = numerical_gradient(lambda o: (x.astype(np.float64) @ (o * mask).T * upstream).sum(), orig64)
    assert_close(grad.data, expected, "weight_orig.grad (zero where pruned)", rtol=1e-3, atol=1e-4)

    # fine-tuning keeps the pruned weights at zero, with SGD and Adam
    for name, make in (("SGD", lambda p: tinytorch.optim.SGD(p, lr=0.1, momentum=0.9)),
                       ("Adam", lambda p: tinytorch.optim.Adam(p, lr=0.05))):
        layer = _linear(2)
        reparametrize(L1Unstructured, layer, "weight", amount=0.6)
        mask = layer.weight_mask.data.copy()
        optimizer = make(layer.parameters())
        target = tinytorch.Tensor(np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32))
        with trying(f"5 {name} steps on a pruned Linear"):
            for _ in range(5):
                optimizer.zero_grad()
                ((layer(tinytorch.Tensor(x)) - target) ** 2).sum().backward()
                optimizer.step()
            out = layer(tinytorch.Tensor(x))
        regrown = int(((layer.weight.data != 0) & (mask == 0)).sum())
        assert regrown == 0, (f"after 5 {name} steps, {regrown} pruned weights are no longer zero in layer.weight: "
                              "the mask must stay in the computation (weight = weight_orig * weight_mask before "
                              "every forward), not be applied once")
        assert_close(out, x @ (layer.weight_orig.data * mask).T + layer.bias.data,
                     f"the output after 5 {name} steps (weight_orig * weight_mask)", atol=1e-5)

    # pruning twice: the second amount applies to the survivors, the first mask stays
    layer = _linear(3)
    w = layer.weight.data.copy()
    with trying("pruning the same weight twice (amount=0.5, then amount=0.5)"):
        reparametrize(L1Unstructured, layer, "weight", amount=0.5)
        reparametrize(L1Unstructured, layer, "weight", amount=0.5)
    survivors = _l1_reference(w, 10)
    alive = np.flatnonzero(survivors.reshape(-1))
    second = _l1_reference(w.reshape(-1)[alive], 5)
    expected = survivors.reshape(-1).copy()
    expected[alive] = second
    got = np.asarray(layer.weight_mask.data)
    if int((got == 0).sum()) == 10:
        raise AssertionError("pruning twice with amount=0.5 left 10 of 20 weights pruned: the second pruning must "
                             "start from the existing weight_mask and prune half of the 10 survivors (15 pruned)")
    assert_close(got.reshape(-1), expected, "weight_mask after pruning twice (the first mask kept, half of the "
                 "survivors pruned)")
    assert len([h for h in getattr(layer, "_forward_pre_hooks", {}).values()]) == 1, \
        "after pruning twice there must be ONE pruning hook for weight (the old one is replaced)"
    params = [name for name, _ in layer.named_parameters()]
    assert params.count("weight_orig") == 1 and "weight" not in params, \
        f"pruning twice must keep one weight_orig and no Parameter weight, got parameters {params}"
    assert_close(layer.weight_orig, w, "weight_orig after pruning twice (still the original values)")


def _ln_reference(t, amount, n, dim):
    """Channels along dim kept by largest Ln norm, computed with a loop over channels."""
    t = np.asarray(t, dtype=np.float64)
    channels = np.moveaxis(t, dim, 0)
    if n == np.inf:
        norms = [np.abs(c).max() for c in channels]
    else:
        norms = [(np.abs(c) ** n).sum() ** (1 / n) for c in channels]
    size = len(norms)
    count = amount if isinstance(amount, int) else round(amount * size)
    order = sorted(range(size), key=lambda i: (-norms[i], i))
    mask = np.zeros_like(channels)
    for i in order[:size - count]:
        mask[i] = 1
    return np.moveaxis(mask, 0, dim)


@check("Part 3 · structured (Ln) masks")
def check_ln_structured(LnStructured):
    rng = np.random.default_rng(160)
    # a weight whose row norms and column norms rank differently, so the wrong dim is caught
    w = rng.standard_normal((6, 4)).astype(np.float32) * np.array([[1], [3], [0.2], [2], [0.5], [4]], np.float32)
    w[:, 1] *= 5
    conv = rng.standard_normal((5, 3, 2, 2)).astype(np.float32)
    # L1 keeps row 1 (norms 3, 4.8, 0.2), L2 keeps row 0 (norms 3, 2.4, 0.14): n must be used
    spread = np.array([[3, 0, 0, 0], [1.2, 1.2, 1.2, 1.2], [0.1, 0.1, 0, 0]], dtype=np.float32)
    cases = [(spread, 2, 1, 0, "weight (3, 4) whose L1 and L2 row norms rank differently, amount=2, n=1, dim=0"),
             (w, 2, 2, 0, "Linear weight (6, 4), amount=2 rows, n=2, dim=0"),
             (w, 0.5, 1, 0, "Linear weight (6, 4), amount=0.5 (3 rows), n=1, dim=0"),
             (w, 1, 2, 1, "Linear weight (6, 4), amount=1 column, n=2, dim=1"),
             (w, 0.34, np.inf, -1, "Linear weight (6, 4), amount=0.34 of 4 columns (1.36 -> 1), n=inf, dim=-1"),
             (conv, 2, 2, 0, "Conv2d weight (5, 3, 2, 2), amount=2 output channels, n=2, dim=0"),
             (conv, 0, 1, 0, "Conv2d weight (5, 3, 2, 2), amount=0")]
    for t, amount, n, dim, what in cases:
        with trying(f"LnStructured({amount}, n={n}, dim={dim}).compute_mask, {what}"):
            mask = np.asarray(LnStructured(amount, n, dim).compute_mask(t.copy(), np.ones_like(t)))
        expected = _ln_reference(t, amount, n, dim)
        wrong_dim = [d for d in range(t.ndim) if d != dim % t.ndim]
        if mask.shape == expected.shape and not np.array_equal(mask, expected):
            kept = mask.sum(axis=tuple(wrong_dim))
            if not np.all((kept == 0) | (kept == mask.size // t.shape[dim % t.ndim])):
                raise AssertionError(f"{what}: the mask must zero WHOLE channels along dim={dim}; yours cuts across "
                                     f"them (is the norm taken over the wrong dim?)\nexpected\n{expected}\ngot\n{mask}")
        assert_close(mask, expected, f"{what} (one norm per channel over every OTHER axis; keep the largest); mask")
    # on top of an earlier mask: entries already pruned stay pruned
    default = np.ones_like(w)
    default[0, 0] = 0
    with trying("LnStructured(1, n=2, dim=0) with a default mask that already prunes w[0, 0]"):
        mask = np.asarray(LnStructured(1, 2, 0).compute_mask(w.copy(), default))
    assert_close(mask, _ln_reference(w, 1, 2, 0) * default, "the mask on top of a default mask (its zeros stay)")
    assert_raises(ValueError, lambda: LnStructured(7, 2, 0).compute_mask(w.copy(), np.ones_like(w)),
                  "amount=7 rows of a (6, 4) weight", must_mention=["7"])


def _np_log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _np_distillation(s, t, y, T, alpha):
    log_p, log_q = _np_log_softmax(t / T), _np_log_softmax(s / T)
    kl = (np.exp(log_p) * (log_p - log_q)).sum() / len(s)
    ce = -_np_log_softmax(s)[np.arange(len(s)), y].mean()
    return alpha * T * T * kl + (1 - alpha) * ce


def _known_mistakes(s, t, y, T, alpha):
    """What the usual mistakes give, to name the one a wrong value matches."""
    log_p, log_q = _np_log_softmax(t / T), _np_log_softmax(s / T)
    p, q = np.exp(log_p), np.exp(log_q)
    ce = -_np_log_softmax(s)[np.arange(len(s)), y].mean()
    kl = (p * (log_p - log_q)).sum() / len(s)
    return {
        "the T² factor is missing (the soft term's gradient shrinks like 1/T²; multiply it by T²)":
            alpha * kl + (1 - alpha) * ce,
        "the KL direction is swapped: it is KL(teacher ‖ student) = Σ p_teacher · (log p_teacher − log q_student)":
            alpha * T * T * (q * (log_q - log_p)).sum() / len(s) + (1 - alpha) * ce,
        "the student side uses softmax where it needs log_softmax (log-probabilities)":
            alpha * T * T * (p * (log_p - q)).sum() / len(s) + (1 - alpha) * ce,
        "the KL is averaged over batch × classes, not over the batch (reduction='batchmean')":
            alpha * T * T * kl / s.shape[1] + (1 - alpha) * ce,
        "the cross-entropy term uses the softened logits (student / T); it takes the raw logits":
            alpha * T * T * kl + (1 - alpha) * (-log_q[np.arange(len(s)), y].mean()),
    }


@check("Part 4 · the distillation loss")
def check_distillation_loss(distillation_loss):
    from tinytorch.core.tensor import Tensor
    rng = np.random.default_rng(1600)
    s = rng.standard_normal((4, 5)) * 2
    t = rng.standard_normal((4, 5)) * 3
    y = np.array([0, 3, 1, 4], dtype=np.int64)
    for T, alpha in ((4.0, 0.9), (2.0, 0.5), (1.0, 0.0), (1.0, 1.0), (8.0, 0.7)):
        what = f"distillation_loss(student, teacher, target, temperature={T}, alpha={alpha})"
        with trying(what):
            got = distillation_loss(Tensor(s.astype(np.float32)), Tensor(t.astype(np.float32)),
                                    Tensor(y, dtype=np.int64), temperature=T, alpha=alpha)
        value = float(np.asarray(got.data))
        expected = _np_distillation(s, t, y, T, alpha)
        if not np.isclose(value, expected, rtol=1e-4, atol=1e-5):
            for mistake, wrong in _known_mistakes(s, t, y, T, alpha).items():
                if np.isclose(value, wrong, rtol=1e-4, atol=1e-5):
                    raise AssertionError(f"{what} = {value:.6f}, expected {expected:.6f}: {mistake}")
            raise AssertionError(f"{what} = {value:.6f}, expected {expected:.6f} "
                                 f"(alpha · T² · KL(softmax(t/T) ‖ softmax(s/T)) + (1 − alpha) · CE(s, y))")
    # gradient of the student's logits (float64), none for the teacher
    student = Tensor(s.copy(), dtype=np.float64)
    student.requires_grad = True
    teacher = Tensor(t.copy(), dtype=np.float64)
    teacher.requires_grad = True
    with trying("backward of distillation_loss (temperature=3, alpha=0.6) in float64"):
        distillation_loss(student, teacher, Tensor(y, dtype=np.int64), temperature=3.0, alpha=0.6).backward()
    expected = numerical_gradient(lambda z: _np_distillation(z, t, y, 3.0, 0.6), s.copy())
    assert student.grad is not None, "the student's logits got no gradient"
    assert_close(student.grad.data, expected, "d loss / d student_logits (T=3, alpha=0.6)", rtol=1e-4, atol=1e-6)
    assert teacher.grad is None, "the teacher's logits got a gradient: detach them (the teacher is not trained)"
