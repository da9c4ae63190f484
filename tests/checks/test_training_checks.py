"""Each module-08 check accepts the reference and rejects a deliberately wrong version (a mutant)."""
import json
import math

import numpy as np
import pytest

import tinytorch  # noqa: F401  (autograd on)
from tinytorch.checks import training as checks
from tinytorch.core import training
from tinytorch.core.autograd import no_grad
from tinytorch.core.tensor import Tensor

from mutants import make_mutant_tests


def train_epoch_without_zero_grad(model, loader, optimizer, loss_fn, scheduler=None, max_grad_norm=None,
                                  accumulation_steps=1):
    model.train()
    total, examples = 0.0, 0
    for inputs, targets in loader:
        loss = loss_fn(model(inputs), targets)
        total += loss.item() * len(inputs)
        examples += len(inputs)
        loss.backward()
        optimizer.step()  # forgot optimizer.zero_grad(): gradients pile up across steps
    return total / examples


def train_epoch_accumulating_without_scaling(model, loader, optimizer, loss_fn, scheduler=None,
                                             max_grad_norm=None, accumulation_steps=1):
    model.train()
    total, examples = 0.0, 0
    for index, (inputs, targets) in enumerate(loader):
        loss = loss_fn(model(inputs), targets)
        total += loss.item() * len(inputs)
        examples += len(inputs)
        loss.backward()  # not divided by accumulation_steps: the step is k times too large
        if (index + 1) % accumulation_steps == 0:
            optimizer.step()
            optimizer.zero_grad()
    return total / examples


def train_epoch_mean_of_batch_means(model, loader, optimizer, loss_fn, **options):
    losses = []
    model.train()
    for inputs, targets in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    return sum(losses) / len(losses)  # a last, smaller batch counts as much as a full one


def _train_epoch_variant(scheduler_per_batch=False, final_step=True, clip=True):
    """The reference loop with one thing changed."""
    def train_epoch(model, loader, optimizer, loss_fn, scheduler=None, max_grad_norm=None, accumulation_steps=1):
        model.train()
        optimizer.zero_grad()
        total, examples, pending = 0.0, 0, 0

        def optimizer_step():
            if clip and max_grad_norm is not None:
                training.clip_grad_norm_(model.parameters(), max_grad_norm)
            optimizer.step()
            optimizer.zero_grad()
            if scheduler is not None and not scheduler_per_batch:
                scheduler.step()

        for inputs, targets in loader:
            loss = loss_fn(model(inputs), targets)
            total += loss.item() * len(inputs)
            examples += len(inputs)
            (loss * (1.0 / accumulation_steps)).backward()
            pending += 1
            if pending == accumulation_steps:
                optimizer_step()
                pending = 0
            if scheduler is not None and scheduler_per_batch:
                scheduler.step()
        if pending and final_step:
            optimizer_step()
        return total / examples
    return train_epoch


train_epoch_scheduler_per_batch = _train_epoch_variant(scheduler_per_batch=True)
train_epoch_dropping_the_leftover_group = _train_epoch_variant(final_step=False)
train_epoch_never_clipping = _train_epoch_variant(clip=False)


def evaluate_forgetting_eval(model, loader, loss_fn):
    total, correct, examples = 0.0, 0, 0
    with no_grad():  # no model.eval(): Dropout keeps dropping, BatchNorm keeps using batch statistics
        for inputs, targets in loader:
            outputs = model(inputs)
            total += loss_fn(outputs, targets).item() * len(inputs)
            correct += training.correct_predictions(outputs, targets)
            examples += len(inputs)
    return total / examples, correct / examples


def evaluate_without_no_grad(model, loader, loss_fn):
    model.eval()
    total, correct, examples = 0.0, 0, 0
    for inputs, targets in loader:
        outputs = model(inputs)
        total += loss_fn(outputs, targets).item() * len(inputs)
        correct += training.correct_predictions(outputs, targets)
        examples += len(inputs)
    return total / examples, correct / examples


def evaluate_in_training_mode(model, loader, loss_fn):
    result = training.evaluate(model, loader, loss_fn)
    model.train()
    return result


def evaluate_mean_of_batch_means(model, loader, loss_fn):
    model.eval()
    losses, correct, examples = [], 0, 0
    with no_grad():
        for inputs, targets in loader:
            outputs = model(inputs)
            losses.append(loss_fn(outputs, targets).item())
            correct += training.correct_predictions(outputs, targets)
            examples += len(inputs)
    return sum(losses) / len(losses), correct / examples


def clip_each_parameter(parameters, max_norm):
    grads = [p.grad.data for p in parameters if p.grad is not None]
    total = math.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads))
    for g in grads:
        norm = float(np.sqrt((g ** 2).sum()))
        if norm > max_norm:
            g *= max_norm / (norm + 1e-6)
    return Tensor(total)


def clip_reading_generator_twice(parameters, max_norm):
    total = math.sqrt(sum(float((p.grad.data ** 2).sum()) for p in parameters if p.grad is not None))
    if total > max_norm:
        for p in parameters:  # a generator is already used up here: nothing is scaled
            if p.grad is not None:
                p.grad.data *= max_norm / (total + 1e-6)
    return Tensor(total)


def clip_always_rescales(parameters, max_norm):
    grads = [p.grad.data for p in parameters if p.grad is not None]
    total = math.sqrt(sum(float((g ** 2).sum()) for g in grads))
    for g in grads:
        g *= max_norm / (total + 1e-6)  # also scales small gradients UP to max_norm
    return Tensor(total)


def clip_returning_a_float(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    return float(training.clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite).item())


def clip_ignoring_norm_type(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    return training.clip_grad_norm_(parameters, max_norm, error_if_nonfinite=error_if_nonfinite)


def clip_ignoring_nonfinite(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    return training.clip_grad_norm_(parameters, max_norm, norm_type)


class CosineOneStepAhead(training.CosineAnnealingLR):
    def get_lr(self):
        t = self.last_epoch + 1
        return [self.eta_min + (b - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2 for b in self.base_lrs]


class CosineHoldsEtaMinAfterTMax(training.CosineAnnealingLR):
    def get_lr(self):
        t = min(self.last_epoch, self.T_max)
        return [self.eta_min + (b - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2 for b in self.base_lrs]


class CosineFirstGroupOnly(training.CosineAnnealingLR):
    def get_lr(self):
        rate = training.CosineAnnealingLR.get_lr(self)[0]
        return [rate for _ in self.base_lrs]


class CosineFromTheCurrentLr(training.CosineAnnealingLR):
    def get_lr(self):  # compounds: the current rate is already decayed
        t = self.last_epoch
        return [self.eta_min + (group["lr"] - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2
                for group in self.optimizer.param_groups]


class TrainerRecordsLrAfterEpoch(training.Trainer):
    def fit(self, train_loader, epochs, val_loader=None, progress=True):
        history = {"train_loss": [], "val_loss": [], "val_accuracy": [], "lr": [], "time": []}
        for _ in range(epochs):
            history["train_loss"].append(training.train_epoch(self.model, train_loader, self.optimizer,
                                                              self.loss_fn, self.scheduler))
            val = training.evaluate(self.model, val_loader, self.loss_fn) if val_loader else (None, None)
            history["val_loss"].append(val[0])
            history["val_accuracy"].append(val[1])
            history["lr"].append(self.optimizer.param_groups[0]["lr"])
            history["time"].append(1.0)
        print("\rdone")
        return history


class TrainerWithoutScheduler(training.Trainer):
    def __init__(self, model, optimizer, loss_fn, scheduler=None, max_grad_norm=None, accumulation_steps=1):
        super().__init__(model, optimizer, loss_fn, None, max_grad_norm, accumulation_steps)


class TrainerWithoutEpochCheck(training.Trainer):
    def fit(self, train_loader, epochs, val_loader=None, progress=True):
        if epochs < 1:  # quietly trains nothing
            return {"train_loss": [], "val_loss": [], "val_accuracy": [], "lr": [], "time": []}
        return super().fit(train_loader, epochs, val_loader, progress)


def load_model_only(path, model, optimizer=None):
    return training.load_checkpoint(path, model)  # optimizer state silently not restored


def load_state_but_not_hyper_parameters(path, model, optimizer=None):
    lr = optimizer.param_groups[0]["lr"]
    metadata = training.load_checkpoint(path, model, optimizer)
    optimizer.param_groups[0]["lr"] = lr  # the saved learning rate is lost
    return metadata


def load_model_before_checking_the_optimizer(path, model, optimizer=None):
    training.load_checkpoint(path, model)  # the weights change even if the optimizer state turns out not to fit
    return training.load_checkpoint(path, model, optimizer)


def load_trusting_the_metadata_is_there(path, model, optimizer=None):
    with np.load(path, allow_pickle=False) as archive:
        if "metadata" not in archive.files:
            model.load_state_dict({name[len("model/"):]: archive[name] for name in archive.files})
            raise KeyError("metadata")
    return training.load_checkpoint(path, model, optimizer)


def load_ignoring_the_optimizer_class(path, model, optimizer=None):
    arrays = training._read_checkpoint(path)
    model.load_state_dict({name[len("model/"):]: value for name, value in arrays.items() if name.startswith("model/")})
    if optimizer is not None:  # never compares the saved optimizer's class with the given one's
        config = json.loads(str(arrays["optimizer"]))
        optimizer.load_state_dict(training._optimizer_state_dict(arrays, config))
    return json.loads(str(arrays["metadata"]))


def save_with_savez_on_the_path(path, model, optimizer=None, **metadata):
    training.save_checkpoint(path, model, optimizer, **metadata)
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    import os
    os.remove(path)
    np.savez(path, **arrays)  # writes path + ".npz" when path does not end in .npz


def save_metadata_with_pickle(path, model, optimizer=None, **metadata):
    training.save_checkpoint(path, model, optimizer)
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["metadata"] = np.array([metadata], dtype=object)  # needs pickle to load
    with open(path, "wb") as file:
        np.savez(file, **arrays)


CASES = [
    (checks.check_train_step, (training.train_epoch,),
     [(train_epoch_without_zero_grad,), (train_epoch_accumulating_without_scaling,),
      (train_epoch_mean_of_batch_means,),
      (train_epoch_scheduler_per_batch, "not after every batch"),
      (train_epoch_dropping_the_leftover_group, "left over at the end of the epoch")]),
    (checks.check_evaluate, (training.evaluate,),
     [(evaluate_without_no_grad,), (evaluate_in_training_mode,), (evaluate_mean_of_batch_means,),
      (evaluate_forgetting_eval, "model.eval()")]),
    (checks.check_clip_grad_norm, (training.clip_grad_norm_, training.train_epoch),
     [((training.clip_grad_norm_, train_epoch_never_clipping), "with max_grad_norm=0.05")]),
    (checks.check_clip_grad_norm, (training.clip_grad_norm_,),
     [(clip_each_parameter,), (clip_reading_generator_twice,), (clip_always_rescales,),
      (clip_ignoring_norm_type, "norm_type=inf"), (clip_ignoring_nonfinite, "error_if_nonfinite=True"),
      (clip_returning_a_float, "0-d Tensor")]),
    (checks.check_cosine_annealing, (training.CosineAnnealingLR,),
     [(CosineOneStepAhead, "after each step()"), (CosineHoldsEtaMinAfterTMax, "climb back"),
      (CosineFirstGroupOnly, "param group lrs [0.05, 0.2]"), (CosineFromTheCurrentLr, "after each step()")]),
    (checks.check_trainer, (training.Trainer,), [(TrainerRecordsLrAfterEpoch,), (TrainerWithoutScheduler,),
                                                 (TrainerWithoutEpochCheck, "epochs=-3")]),
    (checks.check_checkpoint, (training.save_checkpoint, training.load_checkpoint),
     [(training.save_checkpoint, load_model_only), (training.save_checkpoint, load_state_but_not_hyper_parameters),
      (save_metadata_with_pickle, training.load_checkpoint),
      ((save_with_savez_on_the_path, training.load_checkpoint), "appends '.npz'"),
      ((training.save_checkpoint, load_ignoring_the_optimizer_class), "an Adam checkpoint with an SGD optimizer"),
      ((training.save_checkpoint, load_model_before_checking_the_optimizer), "after a load that failed"),
      ((training.save_checkpoint, load_trusting_the_metadata_is_there), "without 'metadata'")]),
]


test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)



def test_check_reports_a_stub_as_not_implemented():
    def stub(*args, **kwargs):
        raise NotImplementedError("Implement train_epoch: see the hints above this cell (open Hint 1 first).")

    with pytest.raises(AssertionError, match="not implemented yet. Implement train_epoch: see the hints above"):
        checks.check_train_step(stub)
