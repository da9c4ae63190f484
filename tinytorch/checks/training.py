"""Checks for module 08 (Training). Each takes the learner's function or class.

The other parts of a run (Linear, SGD, Adam) are tinytorch's own reference classes, and every expected
value is replayed in plain numpy (float64), so a check fails only because of the learner's code.
"""
import contextlib
import io
import math
import os
import tempfile

import numpy as np

import tinytorch  # noqa: F401  (importing the package switches autograd on)
from tinytorch.checks import assert_close, assert_raises, check
from tinytorch.core.layers import Linear
from tinytorch.core.losses import CrossEntropyLoss
from tinytorch.core.optimizers import SGD, Adam
from tinytorch.core.tensor import Tensor

_rng = np.random.default_rng(8)
_X = _rng.standard_normal((8, 3))
_Y = _rng.standard_normal((8, 2))
_W0 = _rng.uniform(-0.5, 0.5, (2, 3))
_B0 = _rng.uniform(-0.5, 0.5, 2)


def _linear_model(weight=_W0, bias=_B0):
    model = Linear(*weight.shape[::-1])
    model.weight.data[...] = weight
    model.bias.data[...] = bias
    return model


def _mse(outputs, targets):
    """Mean squared error written with Tensor operations, so autograd differentiates it."""
    diff = outputs - targets
    return (diff * diff).mean()


def _batches(sizes, x=_X, y=_Y):
    edges = np.cumsum([0] + list(sizes))
    return [(Tensor(x[a:b]), Tensor(y[a:b])) for a, b in zip(edges, edges[1:])]


def _mse_and_grads(weight, bias, x, y):
    """Plain-numpy MSE of x @ weight.T + bias against y, and its gradients (float64)."""
    error = x @ weight.T + bias - y
    d_out = 2 * error / error.size
    return float(np.mean(error ** 2)), d_out.T @ x, d_out.sum(axis=0)


def _replay_sgd(groups, lr):
    """Numpy SGD where each optimizer step sees the mean gradient of its group of rows."""
    weight, bias = _W0.copy(), _B0.copy()
    for rows in groups:
        _, grad_w, grad_b = _mse_and_grads(weight, bias, _X[rows], _Y[rows])
        weight, bias = weight - lr * grad_w, bias - lr * grad_b
    return weight, bias


class _HalveEachStep:
    """A duck-typed scheduler: halves every group's lr at each step() and counts the calls."""

    def __init__(self, optimizer):
        self.optimizer, self.calls = optimizer, 0

    def step(self):
        self.calls += 1
        for group in self.optimizer.param_groups:
            group["lr"] /= 2


def _replay(sizes, lr, accumulation_steps=1, max_grad_norm=None, halve=False):
    """Numpy train_epoch: losses divided by accumulation_steps, a step every accumulation_steps batches and after
    the last one, gradients clipped to one global norm before each step, lr halved after each step."""
    weight, bias = _W0.copy(), _B0.copy()
    edges = np.cumsum([0] + list(sizes))
    grad_w, grad_b, pending, largest_norm = 0.0, 0.0, 0, 0.0
    for index, (a, b) in enumerate(zip(edges, edges[1:])):
        _, gw, gb = _mse_and_grads(weight, bias, _X[a:b], _Y[a:b])
        grad_w, grad_b, pending = grad_w + gw / accumulation_steps, grad_b + gb / accumulation_steps, pending + 1
        if pending == accumulation_steps or index == len(sizes) - 1:
            if max_grad_norm is not None:
                total = math.sqrt(float(np.sum(grad_w ** 2) + np.sum(grad_b ** 2)))
                largest_norm = max(largest_norm, total)
                coefficient = max_grad_norm / (total + 1e-6)
                if coefficient < 1:
                    grad_w, grad_b = grad_w * coefficient, grad_b * coefficient
            weight, bias = weight - lr * grad_w, bias - lr * grad_b
            grad_w, grad_b, pending = 0.0, 0.0, 0
            lr = lr / 2 if halve else lr
    return weight, bias, largest_norm


@check("Part 1 · train_epoch")
def check_train_step(train_epoch):
    lr = 0.1
    model = _linear_model()
    model.eval()
    mean_loss = train_epoch(model, _batches([3, 3, 2]), SGD(model.parameters(), lr=lr), _mse)
    assert model.training, "train_epoch should put the model in training mode: call model.train() first"
    weight, bias = _W0.copy(), _B0.copy()
    losses = []
    for rows in (slice(0, 3), slice(3, 6), slice(6, 8)):
        loss, grad_w, grad_b = _mse_and_grads(weight, bias, _X[rows], _Y[rows])
        losses.append(loss)
        weight, bias = weight - lr * grad_w, bias - lr * grad_b
    assert_close(model.weight, weight, "weights after 3 SGD steps on batches of 3, 3, 2 (if only the first step "
                 "is right, the gradients add up across steps: call optimizer.zero_grad() after each step)",
                 rtol=1e-4, atol=1e-6)
    assert_close(model.bias, bias, "bias after 3 SGD steps", rtol=1e-4, atol=1e-6)
    expected_loss = (3 * losses[0] + 3 * losses[1] + 2 * losses[2]) / 8
    assert mean_loss is not None and math.isclose(mean_loss, expected_loss, rel_tol=1e-4), \
        (f"train_epoch should return the mean loss per example, each batch's loss weighted by its size "
         f"(computed before each step): expected {expected_loss:.6f}, got {mean_loss}")

    model = _linear_model()
    train_epoch(model, _batches([2, 2, 2, 2]), SGD(model.parameters(), lr=lr), _mse, accumulation_steps=2)
    weight, bias = _replay_sgd([slice(0, 4), slice(4, 8)], lr)
    assert_close(model.weight, weight, "weights after 4 micro-batches of 2 with accumulation_steps=2 (should "
                 "equal 2 steps on batches of 4: divide each loss by accumulation_steps and step every 2 "
                 "batches)", rtol=1e-4, atol=1e-6)

    # 4 batches with accumulation_steps=3: a step after batch 3, and one for the batch left over at the end
    model = _linear_model()
    optimizer = SGD(model.parameters(), lr=0.4)
    schedule = _HalveEachStep(optimizer)
    train_epoch(model, _batches([2, 2, 2, 2]), optimizer, _mse, scheduler=schedule, accumulation_steps=3)
    setting = "train_epoch on 4 batches with accumulation_steps=3 and a scheduler"
    assert schedule.calls <= 2, \
        (f"{setting}: scheduler.step() ran {schedule.calls} times; it should run once after each optimizer step "
         "(2 here: after batch 3 and after the last batch), not after every batch")
    assert schedule.calls == 2, \
        (f"{setting}: the optimizer should step twice, after batch 3 and after batch 4, the group left over at "
         f"the end of the epoch (then scheduler.step() each time); scheduler.step() ran {schedule.calls} time(s)")
    weight, bias, _ = _replay([2, 2, 2, 2], 0.4, accumulation_steps=3, halve=True)
    assert_close(model.weight, weight, f"{setting} (each step at the lr the scheduler left, the last step "
                 "with the one batch left over)", rtol=1e-4, atol=1e-6)


@check("Part 2 · evaluate")
def check_evaluate(evaluate):
    labels = np.array([1, 0, 1, 1])
    model = _linear_model(_W0, np.array([0.3, -0.2]))
    seen_graph = []

    def loss_fn(outputs, targets):
        seen_graph.append(bool(getattr(outputs, "requires_grad", False)))
        return (outputs * outputs).mean()

    loader = [(Tensor(_X[:3]), labels[:3]), (Tensor(_X[3:4]), labels[3:4])]
    result = evaluate(model, loader, loss_fn)
    assert isinstance(result, tuple) and len(result) == 2, f"evaluate should return (loss, accuracy), got {result!r}"
    loss, accuracy = result
    outputs = _X[:4] @ model.weight.data.T.astype(np.float64) + model.bias.data
    per_batch = [np.mean(outputs[:3] ** 2), np.mean(outputs[3:4] ** 2)]
    expected_loss = (3 * per_batch[0] + per_batch[1]) / 4
    assert math.isclose(loss, expected_loss, rel_tol=1e-4), \
        (f"mean loss per example: expected {expected_loss:.6f}, got {loss} (batches of 3 and 1 count for "
         "3 and 1 examples: multiply each batch's loss by its size, divide by the number of examples)")
    expected_accuracy = float(np.mean(outputs.argmax(axis=1) == labels))
    assert math.isclose(accuracy, expected_accuracy), \
        f"accuracy (argmax of the outputs vs the labels): expected {expected_accuracy}, got {accuracy}"
    assert not any(seen_graph), \
        "the model's outputs required grad during evaluate: run the forward passes inside `with no_grad():`"
    assert not model.training, "evaluate should put the model in eval mode: call model.eval()"
    assert_close(model.weight, _W0, "weights after evaluate (evaluation must not change them)")
    assert all(p.grad is None for p in model.parameters()), "evaluate should not compute gradients"


def _params_with_grads(*grads):
    params = [Tensor(np.zeros(len(g)), requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = Tensor(np.array(g, dtype=np.float32))
    return params


@check("Part 3 · clip_grad_norm_")
def check_clip_grad_norm(clip_grad_norm_, train_epoch=None):
    a, b, no_grad_yet = _params_with_grads([3.0, 0.0], [0.0, 4.0], [0.0, 0.0])
    no_grad_yet.grad = None
    # a one-shot generator, as model.parameters() is: read it only once
    total = clip_grad_norm_((p for p in [a, b, no_grad_yet]), max_norm=1.0)
    assert isinstance(total, Tensor) and total.shape == (), \
        (f"clip_grad_norm_ should return the total norm as a 0-d Tensor, as PyTorch does (Tensor(total)); "
         f"got {type(total).__name__} {total!r}")
    total = float(total.data)
    assert math.isclose(total, 5.0, rel_tol=1e-6), \
        (f"gradients [3, 0] and [0, 4] have a global norm of sqrt(3² + 4²) = 5; clip_grad_norm_ returned {total} "
         "(return the norm before clipping, over ALL gradients; if you got 0, list(parameters) before looping twice)")
    scale = 1.0 / (5.0 + 1e-6)
    assert_close(a.grad, [3.0 * scale, 0.0], "first gradient after clipping to max_norm=1 (every gradient is "
                 "scaled by the same max_norm / (total + 1e-6), so [3, 0] becomes [0.6, 0]; clipping each "
                 "parameter on its own would give [1, 0])", rtol=1e-6, atol=1e-7)
    assert_close(b.grad, [0.0, 4.0 * scale], "second gradient after clipping", rtol=1e-6, atol=1e-7)
    assert no_grad_yet.grad is None, "a parameter whose grad is None should be skipped"

    small, = _params_with_grads([0.3, -0.4])
    total = float(clip_grad_norm_([small], max_norm=1.0).data)
    assert math.isclose(total, 0.5, rel_tol=1e-6), f"the norm of [0.3, -0.4] is 0.5, got {total}"
    assert_close(small.grad, [0.3, -0.4], "a gradient whose norm 0.5 is below max_norm=1 (must stay unchanged)")

    a, b = _params_with_grads([3.0, -6.0], [2.0, 0.0])
    total = float(clip_grad_norm_([a, b], max_norm=3.0, norm_type=math.inf).data)
    assert math.isclose(total, 6.0, rel_tol=1e-6), \
        f"with norm_type=inf the total norm is the largest |g| over all gradients, 6; got {total}"
    assert_close(a.grad, [1.5, -3.0], "[3, -6] clipped to max_norm=3 with norm_type=inf (scaled by 3 / 6)",
                 rtol=1e-5, atol=1e-7)
    a, b = _params_with_grads([1.0, 1.0], [2.0, 0.0])
    total = float(clip_grad_norm_([a, b], max_norm=100.0, norm_type=1).data)
    assert math.isclose(total, 4.0, rel_tol=1e-6), \
        f"with norm_type=1 the total norm is the sum of all |g|, 1 + 1 + 2 = 4; got {total}"
    a, = _params_with_grads([np.inf, 1.0])
    assert_raises(RuntimeError, lambda: clip_grad_norm_([a], 1.0, error_if_nonfinite=True),
                  "a gradient holding inf with error_if_nonfinite=True", must_mention=["inf"])

    if train_epoch is not None:  # now that clip_grad_norm_ exists, Part 1's max_grad_norm can be tried
        model = _linear_model()
        train_epoch(model, _batches([3, 3, 2]), SGD(model.parameters(), lr=0.5), _mse, max_grad_norm=0.05)
        weight, _, largest = _replay([3, 3, 2], 0.5, max_grad_norm=0.05)
        assert largest > 0.05  # the replay's gradients are long enough for clipping to matter
        assert_close(model.weight, weight, "train_epoch (Part 1) with max_grad_norm=0.05: weights after 3 SGD "
                     "steps (clip with clip_grad_norm_(model.parameters(), max_grad_norm) after backward and "
                     "before each optimizer.step())", rtol=1e-4, atol=1e-6)


def _cosine(step, base, t_max, eta_min=0.0):
    """PyTorch's CosineAnnealingLR rate at `step`, written independently (the cosine goes on past T_max)."""
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * step / t_max)) / 2


@check("Part 4 · CosineAnnealingLR")
def check_cosine_annealing(CosineAnnealingLR):
    for bases, t_max, eta_min in [((0.1,), 10, 0.0), ((0.1,), 10, 0.01), ((0.05, 0.2), 7, 0.001)]:
        groups = [{"params": [Tensor(np.zeros(2), requires_grad=True)], "lr": base} for base in bases]
        optimizer = SGD(groups, lr=1.0)
        schedule = CosineAnnealingLR(optimizer, T_max=t_max, eta_min=eta_min)
        seen = [[group["lr"] for group in optimizer.param_groups]]
        for _ in range(2 * t_max + 3):
            schedule.step()
            seen.append([group["lr"] for group in optimizer.param_groups])
        expected = [[_cosine(t, base, t_max, eta_min) for base in bases] for t in range(2 * t_max + 4)]
        setting = f"param group lrs {list(bases)}, T_max={t_max}, eta_min={eta_min}"
        assert_close(np.array(seen), np.array(expected),
                     f"every param_groups[i]['lr'] at construction and after each step() with {setting}, one row "
                     f"per step (it should start at each group's own lr, reach eta_min exactly at step {t_max}, "
                     f"then climb back as PyTorch's does)", rtol=1e-9, atol=1e-12)
        assert schedule.get_last_lr() == seen[-1], \
            f"get_last_lr() should return the rates of the groups, {seen[-1]}, got {schedule.get_last_lr()!r}"


@check("Part 5 · Trainer.fit")
def check_trainer(Trainer):
    from tinytorch.core.training import evaluate, train_epoch  # the package's reference, to replay the run

    class HalveEachStep:
        def __init__(self, optimizer):
            self.optimizer = optimizer

        def step(self):
            self.optimizer.param_groups[0]["lr"] /= 2

    labels = (_Y[:, 0] > 0).astype(np.int64)
    train = [(Tensor(_X[rows]), labels[rows]) for rows in (slice(0, 3), slice(3, 6), slice(6, 8))]
    val = [(Tensor(_X[:5]), labels[:5])]
    loss_fn = CrossEntropyLoss()
    model = _linear_model()
    optimizer = SGD(model.parameters(), lr=0.2)
    trainer = Trainer(model, optimizer, loss_fn, scheduler=HalveEachStep(optimizer))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        history = trainer.fit(train, 2, val_loader=val)
    keys = {"train_loss", "val_loss", "val_accuracy", "lr", "time"}
    assert isinstance(history, dict) and keys <= set(history), \
        f"fit should return a dict with the lists {sorted(keys)}, got {history!r}"
    for key in keys:
        assert len(history[key]) == 2, f"history[{key!r}] should hold one value per epoch (2), got {history[key]!r}"

    replay_model = _linear_model()
    replay_optimizer = SGD(replay_model.parameters(), lr=0.2)
    schedule = HalveEachStep(replay_optimizer)
    for epoch in range(2):
        lr = replay_optimizer.param_groups[0]["lr"]
        train_loss = train_epoch(replay_model, train, replay_optimizer, loss_fn, scheduler=schedule)
        val_loss, val_accuracy = evaluate(replay_model, val, loss_fn)
        assert math.isclose(history["lr"][epoch], lr), \
            f"history['lr'][{epoch}] should be the rate at the START of the epoch, {lr}; got {history['lr'][epoch]}"
        for key, value in [("train_loss", train_loss), ("val_loss", val_loss), ("val_accuracy", val_accuracy)]:
            assert history[key][epoch] is not None and math.isclose(history[key][epoch], value, rel_tol=1e-5), \
                (f"history[{key!r}][{epoch}] should be {value:.6f}, got {history[key][epoch]} (call train_epoch "
                 "with the trainer's scheduler, clipping and accumulation, then evaluate on val_loader)")
    assert all(t > 0 for t in history["time"]), f"history['time'] should hold seconds per epoch, got {history['time']}"
    assert "\r" in printed.getvalue() and printed.getvalue().endswith("\n"), \
        "fit(progress=True) should draw the progress bar ('\\r' updates and a final newline)"

    model = _linear_model()
    history = Trainer(model, SGD(model.parameters(), lr=0.1), loss_fn).fit(train, 1, progress=False)
    assert history["val_loss"] == [None] and history["val_accuracy"] == [None], \
        f"without val_loader the validation entries should be None, got {history['val_loss']!r}"
    assert_raises(ValueError, lambda: Trainer(model, SGD(model.parameters(), lr=0.1), loss_fn).fit(train, -3),
                  "fit(train_loader, epochs=-3) (training nothing quietly hides a bug)", must_mention=["epochs"])


def _adam_run(model, optimizer, steps):
    for rows in [slice(0, 4), slice(4, 8), slice(2, 7)][:steps]:
        optimizer.zero_grad()
        _mse(model(Tensor(_X[rows])), Tensor(_Y[rows])).backward()
        optimizer.step()


@check("Part 6 · save_checkpoint / load_checkpoint")
def check_checkpoint(save_checkpoint, load_checkpoint):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "run.npz")
        model = _linear_model()
        optimizer = Adam(model.parameters(), lr=0.05)
        _adam_run(model, optimizer, 2)
        saved_weight = model.weight.data.copy()
        save_checkpoint(path, model, optimizer, epoch=2, note="digits")
        assert os.path.isfile(path), f"save_checkpoint should write the file {path}"
        with np.load(path, allow_pickle=False) as archive:
            for name in archive.files:
                try:
                    archive[name]
                except ValueError:
                    raise AssertionError(f"the array {name!r} in the checkpoint needs pickle to load: store "
                                         "numbers as numeric arrays and text as np.array(json.dumps(...))") from None
        _adam_run(model, optimizer, 3)  # the run goes on without interruption

        resumed = _linear_model(_W0 * 0 + 1.0, _B0 * 0)
        resumed_optimizer = Adam(resumed.parameters(), lr=0.001)
        metadata = load_checkpoint(path, resumed, resumed_optimizer)
        assert metadata == {"epoch": 2, "note": "digits"}, \
            f"load_checkpoint should return the metadata {{'epoch': 2, 'note': 'digits'}}, got {metadata!r}"
        assert_close(resumed.weight, saved_weight, "weights after load_checkpoint", rtol=0, atol=0)
        _adam_run(resumed, resumed_optimizer, 3)
        assert_close(resumed.weight, model.weight, "weights after loading and training the same steps again "
                     "(they differ when Adam's state — exp_avg, exp_avg_sq, step — or its lr is not restored)",
                     rtol=0, atol=1e-7)

        odd = os.path.join(folder, "run.ckpt")
        save_checkpoint(odd, model, optimizer, epoch=5)
        assert os.path.isfile(odd) and not os.path.exists(odd + ".npz"), \
            ("save_checkpoint('run.ckpt', ...) should write exactly that file; np.savez(path, ...) appends "
             f"'.npz' to a path without it (found {sorted(os.listdir(folder))}): open(path, 'wb') and "
             "np.savez(file, ...)")
        assert load_checkpoint(odd, _linear_model(), Adam(_linear_model().parameters())) == {"epoch": 5}, \
            "load_checkpoint('run.ckpt', ...) should read back the metadata {'epoch': 5}"
        assert_raises(FileNotFoundError, lambda: load_checkpoint(os.path.join(folder, "missing.npz"), resumed),
                      "loading a file that does not exist", must_mention=["missing.npz"])
        assert_raises(RuntimeError, lambda: load_checkpoint(path, Linear(4, 2)),
                      "loading a Linear(3, 2) checkpoint into Linear(4, 2)", must_mention=["weight"])
        other = Linear(3, 2)
        other_optimizer = SGD(other.parameters(), lr=0.1)
        before = other.weight.data.copy()
        assert_raises(ValueError, lambda: load_checkpoint(path, other, other_optimizer),
                      "loading an Adam checkpoint with an SGD optimizer", must_mention=["Adam", "SGD"])
        assert_close(other.weight, before, "the model's weights after a load that failed on the optimizer (check "
                     "everything before changing anything: load the model only once the optimizer state is known "
                     "to fit)", rtol=0, atol=0)
        bare = os.path.join(folder, "weights_only.npz")
        np.savez(bare, **{f"model/{name}": value for name, value in model.state_dict().items()})
        assert_raises(ValueError, lambda: load_checkpoint(bare, other), "loading an .npz without 'metadata'",
                      must_mention=["weights_only.npz", "metadata"])
        assert_close(other.weight, before, "the model's weights after loading a file without 'metadata' failed",
                     rtol=0, atol=0)
