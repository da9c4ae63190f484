# %% [markdown]
# # Milestone 1969 · Minsky & Papert and the XOR problem
#
# In 1969 Marvin Minsky and Seymour Papert published *Perceptrons: an introduction to computational
# geometry*, a careful mathematical study of what single-layer perceptrons can and cannot compute. Among
# its results: a threshold unit that sees its whole input at once can only draw **one straight line**
# (a hyperplane), so a function as small as XOR — "exactly one of the two inputs is on" — is beyond it,
# and some properties of images, like whether a figure is connected, need resources that grow with the
# image. Multi-layer networks could compute such functions, but nobody had a practical way to train
# their hidden layers; the book is often blamed (or credited) for the decade of scarce funding for neural
# networks that followed.
#
# ```text
# Milestone map
#   Uses       : 01–07 (Tensor, Tanh, Linear/Sequential, BCEWithLogitsLoss, DataLoader, autograd, Adam)
#                08 Training (Trainer.fit, evaluate)
#   Rebuilds   : the XOR argument, then its answer: one hidden layer trained by backpropagation
#   Target     : a single linear layer stays at or below 75% on XOR (measured over 10 seeds);
#                a 2-4-1 MLP with Tanh reaches 100%
#   Previous   : Milestone 1958 — the perceptron learned AND and OR but never finished an XOR epoch
#   Next       : Milestone 1986 — backpropagation at scale, on handwritten digits
# ```

# %%
import numpy as np

import tinytorch
from tinytorch import BCEWithLogitsLoss, Linear, Sequential, Tanh, Tensor
from tinytorch.optim import Adam
from tinytorch.training import Trainer
from tinytorch.utils.data import DataLoader, TensorDataset

# %% [markdown]
# ## The argument
#
# Suppose one unit with weights `w1, w2` and bias `b` outputs 1 when `w1·x1 + w2·x2 + b > 0`. XOR needs
#
# | input | wanted | condition |
# |---|---|---|
# | (0, 0) | 0 | b ≤ 0 |
# | (0, 1) | 1 | w2 + b > 0 |
# | (1, 0) | 1 | w1 + b > 0 |
# | (1, 1) | 0 | w1 + w2 + b ≤ 0 |
#
# Add the two middle rows: `w1 + w2 + 2b > 0`, so `w1 + w2 + b > −b ≥ 0` (the first row says −b ≥ 0) —
# which contradicts the last row. No weights satisfy all four, so every line gets at least one corner
# wrong: **at most 3 of 4, 75%**. Three corners are easy (any three points can be split as we like by a
# line), so 75% is exactly the ceiling.
#
# The proof covers every way of training the unit, so a better optimizer cannot help. Let's check that
# in practice anyway: train `Linear(2, 1)` with the full modern kit — the logistic loss
# `BCEWithLogitsLoss`, autograd and Adam, through module 08's `Trainer` — from 10 different random
# starts, and record the best accuracy any of them reaches.

# %%
corners = Tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32))
xor = Tensor(np.array([[0], [1], [1], [0]], dtype=np.float32))
xor_loader = DataLoader(TensorDataset(corners, xor), batch_size=4)  # the whole truth table, one batch
SEEDS = range(10)
EPOCHS = 300


def train_on_xor(make_model, seed):
    """Train a freshly initialised model on XOR; returns (model, history) with accuracy after each epoch."""
    tinytorch.manual_seed(seed)
    model = make_model()
    trainer = Trainer(model, Adam(model.parameters(), lr=0.05), BCEWithLogitsLoss())
    return model, trainer.fit(xor_loader, EPOCHS, val_loader=xor_loader, progress=False)


def single_layer():
    return Linear(2, 1)


linear_runs = [train_on_xor(single_layer, seed) for seed in SEEDS]
linear_final = [history["val_accuracy"][-1] for _, history in linear_runs]
linear_best = max(max(history["val_accuracy"]) for _, history in linear_runs)
print("single layer, final accuracy per seed:", " ".join(f"{a:.0%}" for a in linear_final))
print(f"single layer, best accuracy at any epoch of any seed: {linear_best:.0%}")
print(f"final loss {np.mean([h['val_loss'][-1] for _, h in linear_runs]):.4f} "
      f"(ln 2 = {np.log(2):.4f}: the loss of answering 'probability 1/2' everywhere)")

# %% [markdown]
# The loss settles at ln 2: the best the logistic loss can do with a line is to push the weights toward
# zero and answer "50%" for every corner — then whichever side of zero the tiny leftover scores fall on
# decides an accuracy of 50% or 75%, never more.
#
# ## The answer: a hidden layer
#
# Two units in a hidden layer can each draw a line — say one firing for "x1 OR x2" and one for
# "x1 AND x2" — and an output unit can combine them as "OR and not AND", which is XOR. The network has to
# discover such features itself, and that needs gradients through the hidden layer: the chain rule of
# module 06. We use 4 hidden Tanh units: 2 suffice in principle, but the loss surface of a tiny network
# has flat regions and poor local minima, and a few spare units make them much rarer (measured below).

# %%
def mlp_with_hidden(width):
    return lambda: Sequential(Linear(2, width), Tanh(), Linear(width, 1))


mlp_runs = [train_on_xor(mlp_with_hidden(4), seed) for seed in SEEDS]
mlp_final = [history["val_accuracy"][-1] for _, history in mlp_runs]
print("2-4-1 MLP, final accuracy per seed:", " ".join(f"{a:.0%}" for a in mlp_final))
mlp, mlp_history = mlp_runs[0]
epochs_to_solve = next(epoch for epoch, acc in enumerate(mlp_history["val_accuracy"], start=1) if acc == 1.0)
print(f"seed 0: 100% first reached after {epochs_to_solve} epochs, final loss {mlp_history['val_loss'][-1]:.4f}")
for name, model in [("single layer", linear_runs[0][0]), ("2-4-1 MLP", mlp)]:
    print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters")

# %% [markdown]
# Not every start succeeds: a run that ends at 50% has stalled in a flat region or a poor local minimum
# of the loss, where Adam's small steps no longer get it out. How often that happens depends on the width of the hidden layer — a measurement, over the
# same 10 seeds:

# %%
for width in (2, 4, 8):
    runs = mlp_runs if width == 4 else [train_on_xor(mlp_with_hidden(width), seed) for seed in SEEDS]
    solved = sum(history["val_accuracy"][-1] == 1.0 for _, history in runs)
    print(f"2-{width}-1 MLP: {solved}/{len(SEEDS)} seeds reach 100% within {EPOCHS} epochs")

# %% [markdown]
# ## Looking at the decision boundary
#
# Where in the plane does each model answer 1? A text map first — `#` where the model says 1, `.`
# where it says 0, and the four corners marked on top (`A` for a corner labelled 1, `o` for 0) — over
# the square [−0.5, 1.5]²:

# %%
def predict_grid(model, steps):
    """Model's 0/1 answers on a steps × steps grid over [-0.5, 1.5]², rows from top (x2 = 1.5) down."""
    axis = np.linspace(-0.5, 1.5, steps, dtype=np.float32)
    x1, x2 = np.meshgrid(axis, axis[::-1])
    with tinytorch.no_grad():
        logits = model(Tensor(np.stack([x1.ravel(), x2.ravel()], axis=1)))
    return axis, (logits.data.reshape(steps, steps) > 0)


def text_map(model, steps=17):
    _, answers = predict_grid(model, steps)
    rows = [["#" if answer else "." for answer in row] for row in answers]
    corner_cells = {(0, 0): "o", (0, 1): "A", (1, 0): "A", (1, 1): "o"}  # (x1, x2) -> mark
    for (x1, x2), mark in corner_cells.items():  # grid point k sits at -0.5 + 2k/(steps-1)
        rows[steps - 1 - round((x2 + 0.5) * (steps - 1) / 2)][round((x1 + 0.5) * (steps - 1) / 2)] = mark
    return ["".join(row) for row in rows]


for left, right in zip(["single layer (seed 0)"] + text_map(linear_runs[0][0]),
                       ["2-4-1 MLP (seed 0)"] + text_map(mlp)):
    print(f"{left:24s}   {right}")

# %% [markdown]
# The same picture with matplotlib (shaded: the model says 1). The line's half-plane cannot hold both
# triangles (XOR = 1) without a circle; the MLP bends its shaded region into a band that holds both
# triangles and neither circle.

# %%
import matplotlib.pyplot as plt

figure, axes = plt.subplots(1, 2, figsize=(8, 3.8))
for ax, (title, model) in zip(axes, [("single layer", linear_runs[0][0]), ("2-4-1 MLP", mlp)]):
    axis, answers = predict_grid(model, 101)
    ax.imshow(answers, extent=(axis[0], axis[-1], axis[0], axis[-1]), cmap="Blues", alpha=0.5, vmin=0, vmax=1)
    labels = xor.data.ravel()
    ax.scatter(*corners.data[labels == 1].T, marker="^", s=120, color="tab:blue", label="XOR = 1")
    ax.scatter(*corners.data[labels == 0].T, marker="o", s=120, color="tab:red", label="XOR = 0")
    ax.set(title=title, xlabel="x1", ylabel="x2")
axes[1].legend(loc="upper right")
figure.tight_layout()

# %% [markdown]
# ## Result
#
# Target: the single layer never above 75%, the MLP (seed 0) at 100%. Adding one hidden layer moved XOR
# from impossible to solved in a few hundred Adam steps — the step Minsky and Papert's readers lacked was
# not the architecture, but a way to train it. Milestone 1986 is that way, applied to real data.

# %%
assert linear_best <= 0.75, f"a single linear layer reached {linear_best:.0%} on XOR — impossible; check the data"
assert mlp_final[0] == 1.0, f"the 2-4-1 MLP reached only {mlp_final[0]:.0%} on XOR, target 100%"
print(f"RESULT 1969 xor: single layer best {linear_best:.1%} over {len(SEEDS)} seeds; "
      f"MLP 2-4-1 {mlp_final[0]:.1%} in {epochs_to_solve} epochs ({sum(a == 1.0 for a in mlp_final)}/{len(SEEDS)} seeds at 100%)")
