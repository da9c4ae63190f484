"""Module 08 package code: loop, accumulation, clipping, cosine schedule, checkpoints, progress, plots."""
import io
import json
import math
import os

import numpy as np
import pytest

import tinytorch
from tinytorch.core.activations import ReLU
from tinytorch.core.layers import Dropout, Linear, Sequential
from tinytorch.core.losses import CrossEntropyLoss, MSELoss
from tinytorch.core.optimizers import SGD, Adam, AdamW
from tinytorch.core.tensor import Tensor
from tinytorch.core.training import correct_predictions
from tinytorch.nn.utils import clip_grad_norm_
from tinytorch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, LRScheduler, SequentialLR
from tinytorch.training import (ProgressBar, Trainer, evaluate, load_checkpoint, plot_history, save_checkpoint,
                                train_epoch)

rng = np.random.default_rng(2024)
X = rng.standard_normal((24, 5)).astype(np.float32)
Y = rng.standard_normal((24, 3)).astype(np.float32)
LABELS = rng.integers(0, 3, 24)


def mlp(seed=0):
    tinytorch.manual_seed(seed)
    return Sequential(Linear(5, 8), ReLU(), Linear(8, 3))


def batches(batch_size, targets=Y, x=X):
    return [(Tensor(x[i:i + batch_size]), Tensor(targets[i:i + batch_size], dtype=targets.dtype))
            for i in range(0, len(x), batch_size)]


def weights(model):
    return [p.data.copy() for p in model.parameters()]


def with_grads(*grads):
    params = [Tensor(np.zeros(np.shape(g)), requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = Tensor(np.array(g, dtype=np.float32))
    return params


# ---------------------------------------------------------------- clip_grad_norm_

def test_clip_scales_all_gradients_by_the_global_norm():
    grads = [rng.standard_normal((4, 3)), rng.standard_normal(7)]
    params = with_grads(*grads)
    expected_norm = np.sqrt(sum((g.astype(np.float32).astype(np.float64) ** 2).sum() for g in grads))
    total = clip_grad_norm_(iter(params), max_norm=0.5)
    assert math.isclose(total.item(), expected_norm, rel_tol=1e-6)
    scale = 0.5 / (expected_norm + 1e-6)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad.data, g.astype(np.float32) * scale, rtol=1e-6)
    clipped_norm = np.sqrt(sum((p.grad.data.astype(np.float64) ** 2).sum() for p in params))
    assert clipped_norm == pytest.approx(0.5, rel=1e-5)


def test_clip_leaves_small_gradients_and_missing_grads_alone():
    small, missing = with_grads([0.1, -0.2], [0.0])
    missing.grad = None
    total = clip_grad_norm_([small, missing], max_norm=1.0)
    assert total.item() == pytest.approx(math.sqrt(0.05), rel=1e-6)
    np.testing.assert_array_equal(small.grad.data, np.array([0.1, -0.2], dtype=np.float32))
    assert missing.grad is None


def test_clip_accepts_a_single_tensor():
    single, = with_grads([3.0, 4.0])
    total = clip_grad_norm_(single, 1.0)
    assert isinstance(total, Tensor) and total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(single.grad.data, [0.6, 0.8], rtol=1e-5)


@pytest.mark.parametrize("norm_type", [1, 3.0, math.inf, "inf"])
def test_clip_with_other_norm_types(norm_type):
    grads = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    flat = np.concatenate([g.astype(np.float32).astype(np.float64).ravel() for g in grads])
    p = float(norm_type)
    expected = np.abs(flat).max() if p == math.inf else (np.abs(flat) ** p).sum() ** (1 / p)
    params = with_grads(*grads)
    total = clip_grad_norm_(params, max_norm=0.1, norm_type=norm_type)
    assert total.item() == pytest.approx(expected, rel=1e-6)
    for param, g in zip(params, grads):
        np.testing.assert_allclose(param.grad.data, g.astype(np.float32) * 0.1 / (expected + 1e-6), rtol=1e-5)


def test_clip_of_a_non_finite_norm_raises_only_when_asked():
    params = with_grads([np.inf, 1.0], [2.0])
    with pytest.raises(RuntimeError, match="norm of order 2.0 of the gradients is inf"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(params[1].grad.data, [2.0])  # nothing was scaled
    with np.errstate(invalid="ignore"):
        assert math.isinf(clip_grad_norm_(params, 1.0).item())


def test_clip_without_any_gradient_returns_zero():
    p, = with_grads([1.0])
    p.grad = None
    assert clip_grad_norm_([p], 1.0).item() == 0.0


@pytest.mark.parametrize("call, error, message", [
    (lambda model: clip_grad_norm_(model, 1.0), TypeError, "not the Sequential module: pass model.parameters()"),
    (lambda model: clip_grad_norm_([np.ones(2)], 1.0), TypeError, "parameter 0 is a ndarray, not a Tensor"),
    (lambda model: clip_grad_norm_(model.parameters(), 0), ValueError, "max_norm must be > 0"),
    (lambda model: clip_grad_norm_(model.parameters(), 1.0, norm_type=0), ValueError, "norm_type must be > 0"),
])
def test_clip_rejects_bad_arguments_before_touching_a_gradient(call, error, message):
    model = mlp()
    MSELoss()(model(Tensor(X)), Tensor(Y)).backward()
    before = [p.grad.data.copy() for p in model.parameters()]
    with pytest.raises(error, match=message):
        call(model)
    for p, g in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.grad.data, g)


def test_clip_grad_norm_has_no_alias_and_lives_in_nn_utils():
    import tinytorch.nn.utils as nn_utils
    assert nn_utils.clip_grad_norm_ is clip_grad_norm_ and nn_utils.__all__ == ["clip_grad_norm_"]
    assert not hasattr(nn_utils, "clip_grad_norm") and not hasattr(tinytorch, "clip_grad_norm_")


# ---------------------------------------------------------------- learning-rate schedulers

def cosine_annealing_recursive(base, t_max, eta_min, steps):
    """PyTorch's documented recursive CosineAnnealingLR rule, step by step, written out independently."""
    rates = [base]
    for t in range(1, steps + 1):
        previous = rates[-1]
        if (t - 1 - t_max) % (2 * t_max) == 0:
            rates.append(previous + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2)
        else:
            rates.append(eta_min + (previous - eta_min) * (1 + math.cos(math.pi * t / t_max))
                         / (1 + math.cos(math.pi * (t - 1) / t_max)))
    return rates


def cosine_annealing_closed_form(t, base, t_max, eta_min):
    """PyTorch's documented CosineAnnealingLR closed form, written out independently."""
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / t_max)) / 2


def lrs(optimizer):
    return [group["lr"] for group in optimizer.param_groups]


def run_schedule(scheduler, optimizer, steps):
    seen = [lrs(optimizer)]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        seen.append(lrs(optimizer))
    return seen


@pytest.mark.parametrize("base, t_max, eta_min", [(0.1, 50, 0.0), (3e-3, 7, 1e-4), (1.0, 1, 0.5), (0.2, 4, 0.05)])
def test_cosine_annealing_equals_pytorchs_recursive_rule_also_after_t_max(base, t_max, eta_min):
    optimizer = SGD(with_grads([0.0]), lr=base)
    seen = run_schedule(CosineAnnealingLR(optimizer, T_max=t_max, eta_min=eta_min), optimizer, 3 * t_max + 2)
    np.testing.assert_allclose([row[0] for row in seen], cosine_annealing_recursive(base, t_max, eta_min, 3 * t_max + 2),
                               rtol=1e-9, atol=1e-12)
    assert seen[t_max][0] == pytest.approx(eta_min, abs=1e-15)
    assert seen[2 * t_max][0] == pytest.approx(base)  # the cosine climbs back, as in PyTorch


def test_cosine_annealing_treats_each_param_group_from_its_own_initial_lr():
    a, b = with_grads([0.0], [0.0])
    optimizer = Adam([{"params": [a]}, {"params": [b], "lr": 0.01}], lr=0.1)
    scheduler = CosineAnnealingLR(optimizer, T_max=5, eta_min=0.001)
    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.1, 0.01] and scheduler.base_lrs == [0.1, 0.01]
    seen = run_schedule(scheduler, optimizer, 3)
    assert seen[3] == [pytest.approx(cosine_annealing_closed_form(3, base, 5, 0.001)) for base in (0.1, 0.01)]
    assert scheduler.get_last_lr() == seen[3] and scheduler.last_epoch == 3


def test_the_optimizer_steps_with_the_scheduled_rate():
    p, = with_grads([1.0])
    optimizer = SGD([p], lr=0.1)
    schedule = CosineAnnealingLR(optimizer, T_max=2)
    optimizer.step()  # lr 0.1
    schedule.step()   # lr 0.05
    optimizer.step()
    assert p.data[0] == pytest.approx(-0.15)


def test_linear_lr_ramps_the_factor_then_holds_it():
    optimizer = SGD(with_grads([0.0]), lr=0.3)
    seen = run_schedule(LinearLR(optimizer, start_factor=0.1, end_factor=0.9, total_iters=4), optimizer, 6)
    expected = [0.3 * (0.1 + 0.8 * min(t, 4) / 4) for t in range(7)]
    np.testing.assert_allclose([row[0] for row in seen], expected, rtol=1e-12)
    optimizer = SGD(with_grads([0.0]), lr=0.3)
    default = LinearLR(optimizer)  # PyTorch's defaults: 1/3 -> 1 over 5 steps
    assert (default.start_factor, default.end_factor, default.total_iters) == (1 / 3, 1.0, 5)
    assert lrs(optimizer) == [pytest.approx(0.1)]


def test_sequential_lr_warms_up_then_restarts_the_cosine_at_the_milestone():
    optimizer = SGD(with_grads([0.0]), lr=1.0)
    warmup = LinearLR(optimizer, start_factor=0.1, total_iters=3)
    cosine = CosineAnnealingLR(optimizer, T_max=5)
    scheduler = SequentialLR(optimizer, [warmup, cosine], milestones=[3])
    seen = [row[0] for row in run_schedule(scheduler, optimizer, 10)]
    expected = [0.1 + 0.9 * t / 3 for t in range(3)] + [cosine_annealing_closed_form(t, 1.0, 5, 0.0) for t in range(8)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12, atol=1e-15)
    assert scheduler.last_epoch == 10 and scheduler.get_last_lr() == [seen[-1]]


def test_scheduler_state_dict_resumes_the_schedule():
    optimizer = SGD(with_grads([0.0]), lr=1.0)
    scheduler = SequentialLR(optimizer, [LinearLR(optimizer, 0.1, total_iters=3), CosineAnnealingLR(optimizer, 5)], [3])
    run_schedule(scheduler, optimizer, 4)
    saved_scheduler, saved_optimizer = scheduler.state_dict(), optimizer.state_dict()
    assert saved_scheduler["last_epoch"] == 4 and saved_scheduler["_schedulers"][1]["last_epoch"] == 1
    resumed_optimizer = SGD(with_grads([0.0]), lr=1.0)
    resumed = SequentialLR(resumed_optimizer, [LinearLR(resumed_optimizer, 0.1, total_iters=3),
                                               CosineAnnealingLR(resumed_optimizer, 5)], [3])
    resumed_optimizer.load_state_dict(saved_optimizer)
    resumed.load_state_dict(saved_scheduler)
    assert run_schedule(resumed, resumed_optimizer, 4) == run_schedule(scheduler, optimizer, 4)
    with pytest.raises(ValueError, match="expected the keys"):
        CosineAnnealingLR(resumed_optimizer, 5).load_state_dict({"last_epoch": 3})


@pytest.mark.parametrize("make, error, message", [
    (lambda o: CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be >= 1, got 0"),
    (lambda o: CosineAnnealingLR(o, T_max=2.5), TypeError, "T_max must be an integer, got 2.5"),
    (lambda o: CosineAnnealingLR(o, 10, eta_min="0"), TypeError, "eta_min must be a number"),
    (lambda o: CosineAnnealingLR(o.param_groups[0]["params"][0], 10), TypeError,
     "CosineAnnealingLR needs an optimizer such as SGD"),
    (lambda o: LinearLR(o, start_factor=0), ValueError, r"start_factor must be in \(0, 1\]"),
    (lambda o: LinearLR(o, end_factor=1.5), ValueError, r"end_factor must be in \[0, 1\]"),
    (lambda o: CosineAnnealingLR(o, 10, last_epoch=4), KeyError, "initial_lr"),
    (lambda o: SequentialLR(o, [LinearLR(o), CosineAnnealingLR(o, 5)], milestones=[]), ValueError,
     "one milestone fewer than schedulers"),
    (lambda o: SequentialLR(o, [LinearLR(SGD(with_grads([0.0]), lr=0.1))], milestones=[]), ValueError,
     "belong to the optimizer"),
])
def test_schedulers_reject_bad_settings(make, error, message):
    with pytest.raises(error, match=message):
        make(SGD(with_grads([0.0]), lr=0.1))


def test_lr_scheduler_base_needs_get_lr_and_the_namespace_is_pytorchs():
    import tinytorch.optim.lr_scheduler as lr_scheduler
    with pytest.raises(NotImplementedError, match="get_lr"):
        LRScheduler(SGD(with_grads([0.0]), lr=0.1))
    assert set(lr_scheduler.__all__) == {"LRScheduler", "CosineAnnealingLR", "LinearLR", "SequentialLR"}
    assert tinytorch.optim.lr_scheduler is lr_scheduler and tinytorch.optim.SGD is SGD
    assert not hasattr(tinytorch, "CosineSchedule") and not hasattr(tinytorch, "Trainer")


# ---------------------------------------------------------------- train_epoch and accumulation

def mse_by_hand(model, x, y):
    return float(np.mean((model(Tensor(x)).data - y) ** 2))


def test_train_epoch_returns_the_per_example_mean_of_the_pre_step_losses():
    model, reference = mlp(), mlp()
    optimizer, reference_optimizer = SGD(model.parameters(), lr=0.05), SGD(reference.parameters(), lr=0.05)
    loss = train_epoch(model, batches(10), optimizer, MSELoss())  # batches of 10, 10, 4
    expected, loss_fn = 0.0, MSELoss()
    for x, y in batches(10):
        expected += mse_by_hand(reference, x.data, y.data) * len(x)
        reference_optimizer.zero_grad()
        loss_fn(reference(x), y).backward()
        reference_optimizer.step()
    assert loss == pytest.approx(expected / 24, rel=1e-6)
    for a, b in zip(weights(model), weights(reference)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make_optimizer", [lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps, lr=0.01)])
@pytest.mark.parametrize("loss_fn, targets", [(MSELoss(), Y), (CrossEntropyLoss(), LABELS)])
def test_k_micro_batches_equal_one_batch_of_k_times_b(make_optimizer, loss_fn, targets):
    k, micro = 3, 4
    accumulated, whole = mlp(), mlp()
    train_epoch(accumulated, batches(micro, targets), make_optimizer(accumulated.parameters()), loss_fn,
                accumulation_steps=k)
    train_epoch(whole, batches(k * micro, targets), make_optimizer(whole.parameters()), loss_fn)
    for a, b in zip(weights(accumulated), weights(whole)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_a_leftover_micro_batch_is_applied_at_the_end_of_the_epoch():
    model = mlp()
    optimizer = SGD(model.parameters(), lr=0.1)
    steps = []
    original_step = optimizer.step
    optimizer.step = lambda: (steps.append(1), original_step())
    train_epoch(model, batches(4), optimizer, MSELoss(), accumulation_steps=4)  # 6 batches: steps after 4 and 6
    assert len(steps) == 2
    assert all(p.grad is None for p in model.parameters()), "no gradient may leak into the next epoch"


def test_train_epoch_clips_before_each_step_and_steps_the_schedule():
    model, reference = mlp(), mlp()
    optimizer = SGD(model.parameters(), lr=0.1)
    schedule = CosineAnnealingLR(optimizer, T_max=10)
    train_epoch(model, batches(8), optimizer, MSELoss(), scheduler=schedule, max_grad_norm=0.01)
    assert schedule.last_epoch == 3
    reference_optimizer = SGD(reference.parameters(), lr=0.1)
    for step, (x, y) in enumerate(batches(8)):
        reference_optimizer.zero_grad()
        MSELoss()(reference(x), y).backward()
        grads = [p.grad.data for p in reference.parameters()]
        norm = np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in grads))
        for g in grads:
            g *= min(1.0, 0.01 / (norm + 1e-6))
        reference_optimizer.param_groups[0]["lr"] = cosine_annealing_closed_form(step, 0.1, 10, 0.0)
        reference_optimizer.step()
    for a, b in zip(weights(model), weights(reference)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_train_epoch_rejects_bad_accumulation_and_empty_loaders():
    model = mlp()
    with pytest.raises(ValueError, match="accumulation_steps"):
        train_epoch(model, batches(4), SGD(model.parameters(), lr=0.1), MSELoss(), accumulation_steps=0)
    with pytest.raises(ValueError, match="no batches"):
        train_epoch(model, [], SGD(model.parameters(), lr=0.1), MSELoss())


# ---------------------------------------------------------------- evaluate

def test_evaluate_uses_eval_mode_no_graph_and_per_example_means():
    tinytorch.manual_seed(1)
    model = Sequential(Linear(5, 8), Dropout(0.5), ReLU(), Linear(8, 3))
    loader = batches(10, LABELS)
    first = evaluate(model, loader, CrossEntropyLoss())
    assert not model.training
    assert evaluate(model, loader, CrossEntropyLoss()) == first  # Dropout is off: repeatable
    logits = model(Tensor(X)).data.astype(np.float64)
    log_probs = logits - logits.max(1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(1, keepdims=True))
    assert first[0] == pytest.approx(-log_probs[np.arange(24), LABELS].mean(), rel=1e-5)
    assert first[1] == pytest.approx(np.mean(logits.argmax(1) == LABELS))
    assert all(p.grad is None for p in model.parameters())


def test_correct_predictions_for_class_logits_and_single_logits():
    assert correct_predictions(Tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]]), np.array([0, 1, 1])) == 2
    assert correct_predictions(Tensor([[0.7], [-0.2], [-1.0]]), Tensor([1.0, 1.0, 0.0])) == 2


# ---------------------------------------------------------------- Trainer and progress

def test_fit_records_one_entry_per_epoch_and_leaves_the_model_trained():
    model = mlp()
    optimizer = Adam(model.parameters(), lr=0.01)
    schedule = CosineAnnealingLR(optimizer, T_max=3 * 3)
    output = io.StringIO()
    history = Trainer(model, optimizer, CrossEntropyLoss(), scheduler=schedule).fit(
        batches(8, LABELS), 3, val_loader=batches(12, LABELS), progress=False)
    assert set(history) == {"train_loss", "val_loss", "val_accuracy", "lr", "time"}
    assert all(len(values) == 3 for values in history.values())
    np.testing.assert_allclose(history["lr"], [cosine_annealing_closed_form(t, 0.01, 9, 0.0) for t in (0, 3, 6)])
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history["val_loss"][-1] == pytest.approx(evaluate(model, batches(12, LABELS), CrossEntropyLoss())[0])
    assert output.getvalue() == ""


@pytest.mark.parametrize("kwargs, name", [(dict(max_grad_norm=0), "max_grad_norm"),
                                          (dict(accumulation_steps=1.5), "accumulation_steps")])
def test_trainer_rejects_bad_settings(kwargs, name):
    model = mlp()
    with pytest.raises(ValueError, match=name):
        Trainer(model, SGD(model.parameters(), lr=0.1), MSELoss(), **kwargs)


@pytest.mark.parametrize("make, message", [
    (lambda model: Trainer(model, model.parameters(), MSELoss()), "Trainer needs an optimizer such as SGD"),
    (lambda model: Trainer(model.parameters(), SGD(model.parameters(), lr=0.1), MSELoss()), "model must be a Module"),
    (lambda model: Trainer(model, SGD(model.parameters(), lr=0.1), "mse"), "loss_fn must be callable"),
    (lambda model: Trainer(model, SGD(model.parameters(), lr=0.1), MSELoss(), scheduler=0.1), "scheduler must have"),
])
def test_trainer_arguments_of_the_wrong_kind_are_type_errors(make, message):
    with pytest.raises(TypeError, match=message):
        make(mlp())


@pytest.mark.parametrize("epochs, error, message", [(-3, ValueError, "epochs must be >= 1, got -3"),
                                                    (0, ValueError, "epochs must be >= 1"),
                                                    (2.0, TypeError, "epochs must be an integer")])
def test_fit_refuses_a_bad_number_of_epochs(epochs, error, message):
    model = mlp()
    before = weights(model)
    with pytest.raises(error, match=message):
        Trainer(model, SGD(model.parameters(), lr=0.1), MSELoss()).fit(batches(8), epochs, progress=False)
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(model)))


def test_progress_bar_redraws_one_line_and_ends_it():
    out = io.StringIO()
    bar = ProgressBar(4, "epoch", width=8, file=out)
    bar.update(loss=0.5)
    bar.update(3, loss=0.25, note="ok")
    bar.close()
    assert out.getvalue() == "\repoch [##......] 1/4 loss=0.5\repoch [########] 4/4 loss=0.25 note=ok\n"


def test_fit_prints_the_progress_bar(capsys):
    model = mlp()
    Trainer(model, SGD(model.parameters(), lr=0.1), MSELoss()).fit(batches(8), 2)
    printed = capsys.readouterr().out
    assert printed.count("\r") == 2 and printed.endswith("\n") and "2/2" in printed


def test_plot_history_returns_the_figure_and_saves_it(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    history = {"train_loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6], "val_accuracy": [0.5, 0.7, 0.8],
               "lr": [0.1, 0.05, 0.0], "time": [0.1, 0.1, 0.1]}
    path = tmp_path / "history.png"
    figure = plot_history(history, path=str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [line.get_label() for line in figure.axes[0].lines] == ["train loss", "validation loss"]
    no_val = dict(history, val_loss=[None] * 3, val_accuracy=[None] * 3)
    assert len(plot_history(no_val).axes) == 2


# ---------------------------------------------------------------- checkpoints

def run_steps(model, optimizer, loader):
    for x, y in loader:
        optimizer.zero_grad()
        CrossEntropyLoss()(model(x), y).backward()
        optimizer.step()


@pytest.mark.parametrize("make_optimizer", [lambda ps: Adam(ps, lr=0.02), lambda ps: AdamW(ps, lr=0.02),
                                            lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True)])
def test_training_after_load_continues_exactly(tmp_path, make_optimizer):
    path = str(tmp_path / "run.npz")
    model = mlp(0)
    optimizer = make_optimizer(model.parameters())
    run_steps(model, optimizer, batches(6, LABELS)[:2])
    save_checkpoint(path, model, optimizer, epoch=1, history={"loss": [0.5, 0.25]})
    run_steps(model, optimizer, batches(6, LABELS)[2:])

    resumed = mlp(99)
    resumed_optimizer = make_optimizer(resumed.parameters())
    resumed_optimizer.param_groups[0]["lr"] = 123.0
    metadata = load_checkpoint(path, resumed, resumed_optimizer)
    assert metadata == {"epoch": 1, "history": {"loss": [0.5, 0.25]}}
    assert resumed_optimizer.param_groups[0] == {**optimizer.param_groups[0], "params": list(resumed.parameters())}
    run_steps(resumed, resumed_optimizer, batches(6, LABELS)[2:])
    for a, b in zip(weights(resumed), weights(model)):
        np.testing.assert_array_equal(a, b)


def test_checkpoint_is_a_pickle_free_npz_at_the_exact_path(tmp_path):
    path = str(tmp_path / "no_extension")
    model = mlp()
    optimizer = Adam(model.parameters())
    run_steps(model, optimizer, batches(24, LABELS))
    assert save_checkpoint(path, model, optimizer, note="x") == path and os.path.isfile(path)
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    assert all(a.dtype != object for a in arrays.values())
    np.testing.assert_array_equal(arrays["model/0.weight"], model.state_dict()["0.weight"].numpy())
    assert arrays["optimizer/state/0/step"].shape == () and arrays["optimizer/state/0/step"] == 1
    assert json.loads(str(arrays["optimizer"])) == {
        "class": "Adam", "param_groups": [{"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0,
                                           "params": list(range(4))}]}
    assert arrays["metadata"].dtype.kind == "U" and str(arrays["metadata"]) == '{"note": "x"}'
    parameter_bytes = sum(p.data.nbytes for p in model.parameters())
    assert 3 * parameter_bytes < os.path.getsize(path) < 3 * parameter_bytes + 20_000


def test_load_errors_name_the_problem(tmp_path):
    path = str(tmp_path / "ckpt.npz")
    model = mlp()
    save_checkpoint(path, model)
    with pytest.raises(FileNotFoundError, match="nothing_here.npz"):
        load_checkpoint(str(tmp_path / "nothing_here.npz"), model)
    with pytest.raises(RuntimeError, match=r"0\.weight.*\(8, 5\)"):
        load_checkpoint(path, Sequential(Linear(6, 8), ReLU(), Linear(8, 3)))
    with pytest.raises(RuntimeError, match="Missing key.*'4.weight'"):
        load_checkpoint(path, Sequential(Linear(5, 8), ReLU(), Linear(8, 3), ReLU(), Linear(3, 3)))
    with pytest.raises(ValueError, match="without an optimizer"):
        load_checkpoint(path, model, SGD(model.parameters(), lr=0.1))

    optimizer = Adam(model.parameters())
    run_steps(model, optimizer, batches(24, LABELS))
    save_checkpoint(path, model, optimizer)
    with pytest.raises(ValueError, match="Adam.*SGD"):
        load_checkpoint(path, model, SGD(model.parameters(), lr=0.1))
    before = weights(model)
    small = Linear(5, 8)
    with pytest.raises(ValueError, match="group 0 has 4 parameters, this optimizer's group 0 has 2"):
        load_checkpoint(path, model, Adam(small.parameters()))
    for a, b in zip(weights(model), before):  # nothing was changed by the failed load
        np.testing.assert_array_equal(a, b)


def test_a_failed_optimizer_load_leaves_model_and_optimizer_unchanged(tmp_path):
    path = str(tmp_path / "ckpt.npz")
    model = mlp(0)
    optimizer = Adam(model.parameters(), lr=0.02)
    run_steps(model, optimizer, batches(6, LABELS))
    save_checkpoint(path, model, optimizer)
    other = mlp(1)
    other_optimizer = Adam([{"params": list(other.parameters())[:2]}, {"params": list(other.parameters())[2:]}])
    before = weights(other)
    with pytest.raises(ValueError, match="ckpt.npz': Adam: the loaded state dict has 1 parameter groups, this optimizer has 2"):
        load_checkpoint(path, other, other_optimizer)
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(other))) and other_optimizer.state == {}


def write(path, content):
    with open(path, "wb") as file:
        file.write(content)
    return str(path)


@pytest.mark.parametrize("make_file, message", [
    (lambda folder: write(folder / "random.npz", bytes(range(256)) * 4), "random.npz' is not a checkpoint.*not a readable"),
    (lambda folder: write(folder / "empty.npz", b""), "empty.npz' is not a checkpoint.*it is empty"),
    (lambda folder: write(folder / "cut.npz", open(folder / "ckpt.npz", "rb").read()[:300]),
     "cut.npz' is (not a checkpoint|a damaged checkpoint)"),
    (lambda folder: (np.save(folder / "weights.npy", np.ones(3)), str(folder / "weights.npy"))[1],
     r"weights.npy' holds a single array \(an .npy file\)"),
    (lambda folder: (np.savez(folder / "bare.npz", **{"model/0.weight": np.zeros((8, 5), np.float32)}),
                     str(folder / "bare.npz"))[1], "bare.npz' has no 'metadata' entry"),
])
def test_load_of_a_file_that_is_not_a_checkpoint_names_the_file_and_changes_nothing(tmp_path, make_file, message):
    model = mlp()
    save_checkpoint(str(tmp_path / "ckpt.npz"), model)
    before = weights(model)
    with pytest.raises(ValueError, match=message) as raised:
        load_checkpoint(make_file(tmp_path), model)
    assert "pickled" not in str(raised.value)  # numpy's guess for unknown bytes; these files hold no pickle
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(model)))


def test_training_namespace_holds_the_course_helpers():
    import tinytorch.training as namespace
    assert set(namespace.__all__) == {"Trainer", "train_epoch", "evaluate", "ProgressBar", "plot_history",
                                      "save_checkpoint", "load_checkpoint"}
    assert all(callable(getattr(namespace, name)) for name in namespace.__all__)
