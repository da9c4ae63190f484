"""Generated from content/08_training.py by scripts/build_content.py: edit the source, not this file."""
import json
import math
import sys
import time

import numpy as np

from tinytorch.core.autograd import no_grad
from tinytorch.core.tensor import Tensor


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
            clip_grad_norm_(optimizer.params, max_grad_norm)
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


def clip_grad_norm_(parameters, max_norm):
    """Scale all gradients in place so their global L2 norm is at most max_norm; return the norm before."""
    if max_norm <= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be > 0, got {max_norm!r}")
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad.data for p in parameters if getattr(p, "grad", None) is not None]
    total = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads))
    if total > max_norm:
        scale = max_norm / (total + 1e-6)
        for g in grads:
            g *= scale
    return Tensor(total)


clip_grad_norm = clip_grad_norm_  # PyTorch keeps the old name without the underscore as an alias


class CosineSchedule:
    """Cosine decay of optimizer.lr from its value at construction to min_lr over total_steps steps,
    after an optional linear warmup from 0; the same rates as PyTorch's CosineAnnealingLR when warmup_steps=0."""

    def __init__(self, optimizer, total_steps, min_lr=0.0, warmup_steps=0):
        if not isinstance(total_steps, int) or total_steps < 1:
            raise ValueError(f"CosineSchedule: total_steps must be an integer >= 1, got {total_steps!r}")
        if not isinstance(warmup_steps, int) or not 0 <= warmup_steps < total_steps:
            raise ValueError(f"CosineSchedule: warmup_steps must be an integer in [0, total_steps={total_steps}), "
                             f"got {warmup_steps!r}")
        if not 0 <= min_lr <= optimizer.lr:
            raise ValueError(f"CosineSchedule: min_lr must be in [0, lr={optimizer.lr}], got {min_lr!r}")
        self.optimizer, self.total_steps = optimizer, total_steps
        self.min_lr, self.warmup_steps = min_lr, warmup_steps
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        optimizer.lr = self.lr_at(0)

    def lr_at(self, step):
        """The learning rate for optimizer step number `step` (0-based)."""
        if step < self.warmup_steps:
            return self.base_lr * step / self.warmup_steps
        progress = (min(step, self.total_steps) - self.warmup_steps) / (self.total_steps - self.warmup_steps)
        return self.min_lr + (self.base_lr - self.min_lr) * (1 + math.cos(math.pi * progress)) / 2

    def step(self):
        """Advance one optimizer step and set the optimizer's learning rate for the next one."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def get_last_lr(self):
        return [self.optimizer.lr]

    def state_dict(self):
        """What a checkpoint needs to resume the schedule (JSON-friendly numbers)."""
        return {"base_lr": self.base_lr, "last_epoch": self.last_epoch}

    def load_state_dict(self, state):
        self.base_lr, self.last_epoch = state["base_lr"], state["last_epoch"]
        self.optimizer.lr = self.lr_at(self.last_epoch)


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
        if max_grad_norm is not None and max_grad_norm <= 0:
            raise ValueError(f"Trainer: max_grad_norm must be > 0 or None, got {max_grad_norm!r}")
        if not isinstance(accumulation_steps, int) or accumulation_steps < 1:
            raise ValueError(f"Trainer: accumulation_steps must be an integer >= 1, got {accumulation_steps!r}")
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.scheduler, self.max_grad_norm, self.accumulation_steps = scheduler, max_grad_norm, accumulation_steps

    def fit(self, train_loader, epochs, val_loader=None, progress=True):
        """Train for `epochs` epochs; returns the history dict of per-epoch lists."""
        history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "lr": [], "time": []}
        bar = ProgressBar(epochs, "epoch") if progress else None
        for _ in range(epochs):
            start, lr = time.perf_counter(), self.optimizer.lr
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


def _hyper_parameters(optimizer):
    """The optimizer's plain-number settings (lr, betas, eps, momentum, ...) as a JSON-friendly dict."""
    def plain(value):
        return isinstance(value, (bool, int, float)) or (
            isinstance(value, tuple) and all(isinstance(v, (int, float)) for v in value))
    return {name: value for name, value in vars(optimizer).items() if plain(value)}


def _optimizer_arrays(optimizer):
    """optimizer/<index>/<key> -> array for the state of every parameter (numbers become 0-d arrays)."""
    arrays = {}
    for index, p in enumerate(optimizer.params):
        for key, value in optimizer.state.get(p, {}).items():
            arrays[f"optimizer/{index}/{key}"] = np.asarray(value)
    return arrays


def save_checkpoint(path, model, optimizer=None, **metadata):
    """Write model (and optimizer) state and JSON metadata to an .npz file at `path` (no pickle)."""
    arrays = {f"model/{name}": value.numpy() for name, value in model.state_dict().items()}  # Tensors -> arrays
    if optimizer is not None:
        arrays.update(_optimizer_arrays(optimizer))
        config = {"class": type(optimizer).__name__, "hyper": _hyper_parameters(optimizer)}
        arrays["optimizer_config"] = np.array(json.dumps(config))
    arrays["metadata"] = np.array(json.dumps(metadata))
    with open(path, "wb") as file:
        np.savez(file, **arrays)
    return path


def _restored_optimizer_state(optimizer, arrays, path):
    """{parameter: state dict} rebuilt from the file's optimizer/<i>/<key> arrays, after checking shapes."""
    state = {}
    for name, value in arrays.items():
        _, index, key = name.split("/", 2)
        index = int(index)
        if index >= len(optimizer.params):
            raise ValueError(f"{path}: the checkpoint has optimizer state for parameter {index}, but this "
                             f"optimizer has {len(optimizer.params)} parameters")
        p = optimizer.params[index]
        if value.ndim and value.shape != p.shape:
            raise ValueError(f"{path}: optimizer state {name!r} has shape {value.shape}, "
                             f"parameter {index} has shape {p.shape}")
        state.setdefault(p, {})[key] = value if value.ndim else value.item()  # 0-d: a step count
    return state


def load_checkpoint(path, model, optimizer=None):
    """Restore model (and optimizer) from a save_checkpoint file, in place; returns the metadata dict."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"no checkpoint file at {path!r}") from None
    model_state = {name[len("model/"):]: value for name, value in arrays.items() if name.startswith("model/")}
    if optimizer is not None:
        if "optimizer_config" not in arrays:
            raise ValueError(f"{path}: the checkpoint holds no optimizer state (it was saved without an optimizer)")
        config = json.loads(str(arrays["optimizer_config"]))
        if config["class"] != type(optimizer).__name__:
            raise ValueError(f"{path}: the checkpoint's optimizer is {config['class']}, "
                             f"the given one is {type(optimizer).__name__}")
        state = _restored_optimizer_state(
            optimizer, {name: value for name, value in arrays.items() if name.startswith("optimizer/")}, path)
    model.load_state_dict(model_state)
    if optimizer is not None:
        optimizer.state = state
        for name, value in config["hyper"].items():
            setattr(optimizer, name, tuple(value) if isinstance(value, list) else value)
    return json.loads(str(arrays["metadata"]))
