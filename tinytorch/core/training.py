"""Generated from content/08_training.py by scripts/build_content.py: edit the source, not this file."""
# From content/08_training.py, cell 3 (Part 1 · One epoch of training)
import bisect
import json
import math
import numbers
import os
import sys
import time
import zipfile

import numpy as np

from tinytorch.core.autograd import no_grad
from tinytorch.core.tensor import Tensor

__all__ = ["train_epoch", "evaluate", "correct_predictions", "clip_grad_norm_", "LRScheduler", "CosineAnnealingLR",
           "LinearLR", "SequentialLR", "ProgressBar", "Trainer", "plot_history", "save_checkpoint", "load_checkpoint"]


def _batch_size(inputs):
    return inputs.shape[0] if inputs.ndim else 1


def train_epoch(model, loader, optimizer, loss_fn, scheduler=None, max_grad_norm=None, accumulation_steps=1):
    """One pass over `loader` ((inputs, targets) batches); returns the mean training loss per example.

    The optimizer steps every `accumulation_steps` batches (and after the last one); before each step the
    gradients are clipped to `max_grad_norm` when it is given, after it `scheduler.step()` is called.
    """
    if not isinstance(accumulation_steps, int) or accumulation_steps < 1:
        raise ValueError(f"accumulation_steps must be an integer >= 1, got {accumulation_steps!r}")
    model.train()
    optimizer.zero_grad()
    total_loss, examples, pending = 0.0, 0, 0
    def optimizer_step():
        if max_grad_norm is not None:
            clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        optimizer.zero_grad()
        if scheduler is not None:
            scheduler.step()

    for inputs, targets in loader:
        loss = loss_fn(model(inputs), targets)
        total_loss += loss.item() * _batch_size(inputs)
        examples += _batch_size(inputs)
        (loss * (1.0 / accumulation_steps)).backward()
        pending += 1
        if pending == accumulation_steps:
            optimizer_step()
            pending = 0
    if pending:
        optimizer_step()
    if examples == 0:
        raise ValueError("train_epoch: the loader produced no batches")
    return total_loss / examples


# From content/08_training.py, cell 7 (Part 2 · Evaluation: eval() mode, no graph)
def correct_predictions(outputs, targets):
    """How many rows of `outputs` predict their target: argmax over classes, or logit > 0 for one column."""
    scores = np.asarray(getattr(outputs, "data", outputs))
    labels = np.asarray(getattr(targets, "data", targets)).reshape(-1)
    if scores.ndim == 2 and scores.shape[1] > 1:
        predictions = scores.argmax(axis=1)
    else:
        predictions = (scores.reshape(-1) > 0).astype(labels.dtype)
    return int((predictions == labels).sum())


def evaluate(model, loader, loss_fn):
    """(mean loss per example, accuracy) of `model` on `loader`, in eval mode and without a graph."""
    model.eval()
    total_loss, correct, examples = 0.0, 0, 0
    with no_grad():
        for inputs, targets in loader:
            outputs = model(inputs)
            total_loss += loss_fn(outputs, targets).item() * _batch_size(inputs)
            correct += correct_predictions(outputs, targets)
            examples += _batch_size(inputs)
    if examples == 0:
        raise ValueError("evaluate: the loader produced no batches")
    return total_loss / examples, correct / examples


# From content/08_training.py, cell 11 (Part 3 · Gradient clipping)
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients in place so their global norm is at most max_norm; return the norm before, a Tensor."""
    if callable(getattr(parameters, "parameters", None)):
        raise TypeError(f"clip_grad_norm_ expects the parameters, not the {type(parameters).__name__} module: "
                        f"pass model.parameters()")
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for index, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"clip_grad_norm_: parameter {index} is a {type(p).__name__}, not a Tensor")
    max_norm, norm_type = float(max_norm), float(norm_type)
    if max_norm <= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be > 0, got {max_norm!r}")
    if norm_type <= 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 (or inf), got {norm_type!r}")
    grads = [p.grad.data for p in parameters if getattr(p, "grad", None) is not None]
    magnitudes = [np.abs(g.astype(np.float64)) for g in grads]
    if norm_type == math.inf:
        total = max((float(m.max()) for m in magnitudes if m.size), default=0.0)
    else:
        total = sum(float(np.sum(m ** norm_type)) for m in magnitudes) ** (1 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {total}, "
                           f"which cannot be clipped; pass error_if_nonfinite=False to scale by it anyway")
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1:
        for g in grads:
            g *= coefficient
    return Tensor(total)


# From content/08_training.py, cell 15 (Part 4 · Learning-rate schedules)
def _check_optimizer(owner, optimizer):
    """TypeError unless `optimizer` looks like an optimizer (it has param_groups and step)."""
    if not isinstance(getattr(optimizer, "param_groups", None), list) or not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"{owner} needs an optimizer such as SGD(model.parameters(), lr=0.1), "
                        f"got {type(optimizer).__name__}")


def _check_count(owner, name, value, least):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an integer, got {value!r}")
    if value < least:
        raise ValueError(f"{owner}: {name} must be >= {least}, got {value!r}")


class LRScheduler:
    """Base class, as torch.optim.lr_scheduler.LRScheduler: step() writes get_lr() into every param_groups[i]["lr"]."""

    def __init__(self, optimizer, last_epoch=-1):
        name = type(self).__name__
        _check_optimizer(name, optimizer)
        _check_count(name, "last_epoch", last_epoch, -1)
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for index, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{name}: param 'initial_lr' is not specified in param_groups[{index}] when "
                                   f"resuming with last_epoch={last_epoch} (create the scheduler with last_epoch=-1)")
        self.optimizer = optimizer
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()  # the rates for step last_epoch + 1: step 0 of a fresh schedule

    def get_lr(self):
        """The learning rate of each param group at step self.last_epoch."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr()")

    def step(self):
        """Advance one step and write the new rates into the optimizer's param groups."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The rates the last step() set, one per param group."""
        return list(self._last_lr)

    def state_dict(self):
        """Every attribute but the optimizer (numbers and lists: JSON-friendly), as PyTorch's state_dict."""
        return {key: value for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        expected = set(self.state_dict())
        if set(state_dict) != expected:
            raise ValueError(f"{type(self).__name__}.load_state_dict: expected the keys {sorted(expected)}, "
                             f"got {sorted(state_dict)}")
        self.__dict__.update(state_dict)


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from each group's initial lr to eta_min over T_max steps, as PyTorch's CosineAnnealingLR."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        _check_count("CosineAnnealingLR", "T_max", T_max, 1)
        if isinstance(eta_min, bool) or not isinstance(eta_min, numbers.Real):
            raise TypeError(f"CosineAnnealingLR: eta_min must be a number, got {eta_min!r}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        cosine = math.cos(math.pi * self.last_epoch / self.T_max)
        return [self.eta_min + (base_lr - self.eta_min) * (1 + cosine) / 2 for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """The initial lr times a factor going linearly from start_factor to end_factor over total_iters steps."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        for name, value in [("start_factor", start_factor), ("end_factor", end_factor)]:
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"LinearLR: {name} must be a number, got {value!r}")
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}")
        _check_count("LinearLR", "total_iters", total_iters, 1)
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        progress = min(self.last_epoch, self.total_iters) / self.total_iters
        factor = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base_lr * factor for base_lr in self.base_lrs]


class SequentialLR(LRScheduler):
    """Runs schedulers[0] until milestones[0], then schedulers[1] restarted from its step 0, and so on."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        _check_optimizer("SequentialLR", optimizer)
        schedulers, milestones = list(schedulers), list(milestones)
        if not schedulers or not all(isinstance(s, LRScheduler) for s in schedulers):
            raise TypeError("SequentialLR expects a non-empty list of schedulers")
        if any(s.optimizer is not optimizer for s in schedulers):
            raise ValueError("SequentialLR expects all schedulers to belong to the optimizer given to it")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR expects one milestone fewer than schedulers, got {len(schedulers)} "
                             f"schedulers and {len(milestones)} milestones")
        for previous, milestone in zip([0] + milestones, milestones):
            _check_count("SequentialLR", "each milestone", milestone, previous + 1)
        _check_count("SequentialLR", "last_epoch", last_epoch, -1)
        self.optimizer, self._schedulers, self._milestones = optimizer, schedulers, milestones
        self.last_epoch = last_epoch + 1
        # Each scheduler's constructor already set a rate for its step 0: undo them, and start the first one.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for scheduler in schedulers:
            scheduler.last_epoch -= 1
        schedulers[0].step()
        self._last_lr = schedulers[0].get_last_lr()

    def step(self):
        self.last_epoch += 1
        index = bisect.bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler.last_epoch = -1  # the hand-over: the next schedule starts from its own step 0
        scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        state = {key: value for key, value in vars(self).items() if key not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        expected = set(self.state_dict())
        if set(state_dict) != expected or len(state_dict["_schedulers"]) != len(self._schedulers):
            raise ValueError(f"SequentialLR.load_state_dict: expected the keys {sorted(expected)} and the states "
                             f"of {len(self._schedulers)} schedulers")
        for scheduler, state in zip(self._schedulers, state_dict["_schedulers"]):  # check every part first
            if set(state) != set(scheduler.state_dict()):
                raise ValueError(f"SequentialLR.load_state_dict: the saved state of a {type(scheduler).__name__} "
                                 f"has the keys {sorted(state)}, expected {sorted(scheduler.state_dict())}")
        self.__dict__.update({key: value for key, value in state_dict.items() if key != "_schedulers"})
        for scheduler, state in zip(self._schedulers, state_dict["_schedulers"]):
            scheduler.load_state_dict(state)


# From content/08_training.py, cell 19 (Part 5 · A `Trainer`: epochs, validation, history, progress)
class ProgressBar:
    """A one-line text progress bar: `update()` redraws it with '\\r', `close()` ends the line."""

    def __init__(self, total, description="", width=24, file=None):
        self.total, self.description, self.width = total, description, width
        self.file = file if file is not None else sys.stdout
        self.count = 0

    def update(self, n=1, **info):
        """Advance by n and redraw; `info` (e.g. loss=0.12) is shown after the bar."""
        self.count = min(self.count + n, self.total)
        filled = self.width * self.count // self.total if self.total else self.width
        details = " ".join(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}"
                           for key, value in info.items())
        bar = "#" * filled + "." * (self.width - filled)
        self.file.write(f"\r{self.description} [{bar}] {self.count}/{self.total} {details}".rstrip())
        self.file.flush()

    def close(self):
        self.file.write("\n")
        self.file.flush()


class Trainer:
    """Trains `model` with `optimizer` on `loss_fn`; optional per-step schedule, clipping, accumulation."""

    def __init__(self, model, optimizer, loss_fn, scheduler=None, max_grad_norm=None, accumulation_steps=1):
        if not callable(getattr(model, "parameters", None)):
            raise TypeError(f"Trainer: model must be a Module, got {type(model).__name__}")
        _check_optimizer("Trainer", optimizer)
        if not callable(loss_fn):
            raise TypeError(f"Trainer: loss_fn must be callable, such as CrossEntropyLoss(), got {type(loss_fn).__name__}")
        if scheduler is not None and not callable(getattr(scheduler, "step", None)):
            raise TypeError(f"Trainer: scheduler must have a step() method, such as CosineAnnealingLR(optimizer, "
                            f"T_max), got {type(scheduler).__name__}")
        if max_grad_norm is not None and max_grad_norm <= 0:
            raise ValueError(f"Trainer: max_grad_norm must be > 0 or None, got {max_grad_norm!r}")
        if not isinstance(accumulation_steps, int) or accumulation_steps < 1:
            raise ValueError(f"Trainer: accumulation_steps must be an integer >= 1, got {accumulation_steps!r}")
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.scheduler, self.max_grad_norm, self.accumulation_steps = scheduler, max_grad_norm, accumulation_steps

    def fit(self, train_loader, epochs, val_loader=None, progress=True):
        """Train for `epochs` epochs; returns the history dict of per-epoch lists."""
        _check_count("Trainer.fit", "epochs", epochs, 1)
        history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "lr": [], "time": []}
        bar = ProgressBar(epochs, "epoch") if progress else None
        for _ in range(epochs):
            start, lr = time.perf_counter(), self.optimizer.param_groups[0]["lr"]
            train_loss = train_epoch(self.model, train_loader, self.optimizer, self.loss_fn, self.scheduler,
                                     self.max_grad_norm, self.accumulation_steps)
            val_loss, val_accuracy = (evaluate(self.model, val_loader, self.loss_fn) if val_loader is not None
                                      else (None, None))
            for key, value in [("train_loss", train_loss), ("val_loss", val_loss),
                               ("val_accuracy", val_accuracy), ("lr", lr), ("time", time.perf_counter() - start)]:
                history[key].append(value)
            if bar:
                shown = {"train_loss": train_loss}
                if val_loader is not None:
                    shown.update(val_loss=val_loss, val_acc=val_accuracy)
                bar.update(1, **shown)
        if bar:
            bar.close()
        return history


# From content/08_training.py, cell 23 (Check Part 5)
def plot_history(history, path=None):
    """Plot a Trainer history (losses, validation accuracy, learning rate); save to `path` if given."""
    try:
        import matplotlib
    except ModuleNotFoundError:
        # In the browser Pyodide loads a package only when a cell's own code imports it.
        raise ModuleNotFoundError("plot_history needs matplotlib. In the browser, run `import matplotlib.pyplot "
                                  "as plt` in a cell (that makes Pyodide load it), then call plot_history "
                                  "again; under CPython, pip install matplotlib.") from None

    if path is not None and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")  # no screen needed just to write a file
    import matplotlib.pyplot as plt

    epochs = range(1, len(history["train_loss"]) + 1)
    has_val = any(v is not None for v in history.get("val_loss", []))
    figure, (loss_axes, lr_axes) = plt.subplots(1, 2, figsize=(10, 3.5))
    loss_axes.plot(epochs, history["train_loss"], label="train loss")
    if has_val:
        loss_axes.plot(epochs, history["val_loss"], label="validation loss")
        accuracy_axes = loss_axes.twinx()
        accuracy_axes.plot(epochs, history["val_accuracy"], "g--", label="validation accuracy")
        accuracy_axes.set_ylabel("accuracy")
        accuracy_axes.legend(loc="center right")
    loss_axes.set(xlabel="epoch", ylabel="loss", title="loss per epoch")
    loss_axes.legend(loc="upper right")
    lr_axes.plot(epochs, history["lr"])
    lr_axes.set(xlabel="epoch", ylabel="learning rate", title="learning rate at the start of each epoch")
    figure.tight_layout()
    if path is not None:
        figure.savefig(path)
    return figure


# From content/08_training.py, cell 25 (Part 6 · Checkpoints that resume exactly)
def save_checkpoint(path, model, optimizer=None, **metadata):
    """Write model (and optimizer) state and JSON metadata to an .npz file at `path` (no pickle)."""
    arrays = {f"model/{name}": value.numpy() for name, value in model.state_dict().items()}
    if optimizer is not None:
        state = optimizer.state_dict()
        for index, per_param in state["state"].items():
            for key, value in per_param.items():
                arrays[f"optimizer/state/{index}/{key}"] = np.asarray(value)
        config = {"class": type(optimizer).__name__, "param_groups": state["param_groups"]}
        arrays["optimizer"] = np.array(json.dumps(config))
    arrays["metadata"] = np.array(json.dumps(metadata))
    with open(path, "wb") as file:
        np.savez(file, **arrays)
    return path


_UNREADABLE = (OSError, ValueError, EOFError, zipfile.BadZipFile)  # what numpy raises for a damaged file


def _read_checkpoint(path):
    """name -> array of every entry of the checkpoint at `path`; a clear error naming the file otherwise."""
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"no checkpoint file at {path!r}") from None
    except _UNREADABLE:
        # numpy's own message would be misleading here (random bytes "contain pickled data")
        what = ("it is empty" if os.path.getsize(path) == 0 else
                "its bytes are not a readable .npz archive (damaged, truncated or another kind of file)")
        raise ValueError(f"{path!r} is not a checkpoint written by save_checkpoint: {what}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{path!r} holds a single array (an .npy file), not a checkpoint written by save_checkpoint")
    with archive:
        try:
            arrays = {name: archive[name] for name in archive.files}
        except _UNREADABLE as err:
            raise ValueError(f"{path!r} is a damaged checkpoint (truncated or corrupt): {err}") from None
    if "metadata" not in arrays:
        raise ValueError(f"{path!r} has no 'metadata' entry: it is not a checkpoint written by save_checkpoint")
    return arrays


def _json_entry(arrays, name, path):
    try:
        return json.loads(str(arrays[name]))
    except ValueError as err:
        raise ValueError(f"{path!r}: the {name!r} entry is not valid JSON: {err}") from None


def _optimizer_state_dict(arrays, config):
    """The optimizer's state_dict() rebuilt from the file: JSON lists back to tuples, 0-d arrays to numbers."""
    state = {}
    for name, value in arrays.items():
        if name.startswith("optimizer/state/"):
            index, key = name[len("optimizer/state/"):].split("/", 1)
            state.setdefault(int(index), {})[key] = value if value.ndim else value.item()
    groups = [{key: value if key == "params" or not isinstance(value, list) else tuple(value)
               for key, value in group.items()} for group in config["param_groups"]]
    return {"state": state, "param_groups": groups}


def load_checkpoint(path, model, optimizer=None):
    """Restore model (and optimizer) from a save_checkpoint file, in place; returns the metadata dict."""
    arrays = _read_checkpoint(path)
    metadata = _json_entry(arrays, "metadata", path)
    model_state = {name[len("model/"):]: value for name, value in arrays.items() if name.startswith("model/")}
    if optimizer is not None:
        if "optimizer" not in arrays:
            raise ValueError(f"{path!r}: the checkpoint holds no optimizer state (it was saved without an optimizer)")
        config = _json_entry(arrays, "optimizer", path)
        if config.get("class") != type(optimizer).__name__:
            raise ValueError(f"{path!r}: the checkpoint's optimizer is {config.get('class')}, "
                             f"the given one is {type(optimizer).__name__}")
        try:
            restored = optimizer._restored(_optimizer_state_dict(arrays, config))
        except ValueError as err:
            raise ValueError(f"{path!r}: {err}") from None
    model.load_state_dict(model_state)
    if optimizer is not None:
        optimizer.state, optimizer.param_groups = restored
    return metadata
