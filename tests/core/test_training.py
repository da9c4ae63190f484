"""Module 08 package code: loop, accumulation, clipping, cosine schedule, checkpoints, progress, plots."""
import io
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
from tinytorch.core.training import (CosineSchedule, ProgressBar, Trainer, clip_grad_norm, clip_grad_norm_,
                                     correct_predictions, evaluate, load_checkpoint, plot_history,
                                     save_checkpoint, train_epoch)

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


def test_clip_accepts_a_single_tensor_and_has_the_old_alias():
    single, = with_grads([3.0, 4.0])
    assert clip_grad_norm is clip_grad_norm_
    assert clip_grad_norm(single, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(single.grad.data, [0.6, 0.8], rtol=1e-5)


def test_clip_rejects_a_non_positive_max_norm():
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm_(with_grads([1.0]), 0)


# ---------------------------------------------------------------- CosineSchedule

def cosine_annealing_closed_form(t, base, t_max, eta_min):
    """PyTorch's documented CosineAnnealingLR closed form, written out independently."""
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / t_max)) / 2


@pytest.mark.parametrize("base, t_max, eta_min", [(0.1, 50, 0.0), (3e-3, 7, 1e-4), (1.0, 1, 0.5)])
def test_schedule_equals_pytorch_cosine_annealing(base, t_max, eta_min):
    optimizer = SGD(with_grads([0.0]), lr=base)
    schedule = CosineSchedule(optimizer, total_steps=t_max, min_lr=eta_min)
    seen = [schedule.get_last_lr()[0]]
    for _ in range(t_max):
        schedule.step()
        seen.append(schedule.get_last_lr()[0])
    expected = [cosine_annealing_closed_form(t, base, t_max, eta_min) for t in range(t_max + 1)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12, atol=1e-15)
    assert seen[-1] == pytest.approx(eta_min, abs=1e-15)


def test_schedule_holds_min_lr_after_the_end():
    optimizer = SGD(with_grads([0.0]), lr=0.1)
    schedule = CosineSchedule(optimizer, total_steps=4, min_lr=0.02)
    for _ in range(9):
        schedule.step()
    assert optimizer.lr == pytest.approx(0.02) and schedule.last_epoch == 9


def test_warmup_is_linear_from_zero_then_cosine_over_the_rest():
    optimizer = SGD(with_grads([0.0]), lr=0.2)
    schedule = CosineSchedule(optimizer, total_steps=10, warmup_steps=4)
    seen = [optimizer.lr]
    for _ in range(10):
        schedule.step()
        seen.append(optimizer.lr)
    expected = [0.0, 0.05, 0.1, 0.15] + [cosine_annealing_closed_form(t, 0.2, 6, 0.0) for t in range(7)]
    np.testing.assert_allclose(seen, expected, rtol=1e-12, atol=1e-15)


def test_the_optimizer_steps_with_the_scheduled_rate():
    p, = with_grads([1.0])
    optimizer = SGD([p], lr=0.1)
    schedule = CosineSchedule(optimizer, total_steps=2)
    optimizer.step()  # lr 0.1
    schedule.step()   # lr 0.05
    optimizer.step()
    assert p.data[0] == pytest.approx(-0.15)


def test_schedule_state_dict_resumes_the_rate():
    optimizer = SGD(with_grads([0.0]), lr=0.1)
    schedule = CosineSchedule(optimizer, total_steps=10)
    for _ in range(3):
        schedule.step()
    fresh_optimizer = SGD(with_grads([0.0]), lr=0.1)
    fresh = CosineSchedule(fresh_optimizer, total_steps=10)
    fresh.load_state_dict(schedule.state_dict())
    assert fresh_optimizer.lr == optimizer.lr and fresh.last_epoch == 3


@pytest.mark.parametrize("kwargs, name", [(dict(total_steps=0), "total_steps"),
                                          (dict(total_steps=5, warmup_steps=5), "warmup_steps"),
                                          (dict(total_steps=5, min_lr=0.5), "min_lr")])
def test_schedule_rejects_bad_settings(kwargs, name):
    with pytest.raises(ValueError, match=name):
        CosineSchedule(SGD(with_grads([0.0]), lr=0.1), **kwargs)


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
    schedule = CosineSchedule(optimizer, total_steps=10)
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
        reference_optimizer.lr = cosine_annealing_closed_form(step, 0.1, 10, 0.0)
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
    schedule = CosineSchedule(optimizer, total_steps=3 * 3)
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
    resumed_optimizer.lr = 123.0
    metadata = load_checkpoint(path, resumed, resumed_optimizer)
    assert metadata == {"epoch": 1, "history": {"loss": [0.5, 0.25]}}
    assert resumed_optimizer.lr == optimizer.lr
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
    assert arrays["optimizer/0/step"].shape == () and arrays["optimizer/0/step"] == 1
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
    with pytest.raises(ValueError, match="optimizer state"):
        load_checkpoint(path, model, Adam(small.parameters()))
    for a, b in zip(weights(model), before):  # nothing was changed by the failed load
        np.testing.assert_array_equal(a, b)
