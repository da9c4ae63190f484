# %% [markdown]
# # Milestone 1958 · Rosenblatt's perceptron
#
# In 1958 Frank Rosenblatt, a psychologist at the Cornell Aeronautical Laboratory, published
# *"The Perceptron: a probabilistic model for information storage and organization in the brain"*.
# His machine added up weighted inputs and fired when the sum passed a threshold — the artificial neuron
# McCulloch and Pitts had described in 1943 — but with one new idea: the weights were not wired by hand,
# they were **learned from examples** by a rule simple enough to build in hardware. The Mark I Perceptron
# that followed learned to tell apart simple shapes shown to a 20×20 grid of photocells, with
# potentiometers as weights turned by electric motors.
#
# ```text
# Milestone map
#   Uses       : 01 Tensor, 02 Activations, 03 Layers (Linear), 04 Losses (not needed: see below)
#   Rebuilds   : a single threshold unit, y = step(w·x + b), trained with the perceptron learning rule
#   Target     : 100% training accuracy on AND, OR and a linearly separable 2-D point set
#   Next       : Milestone 1969 — the problem this machine cannot learn
# ```

# %%
import numpy as np

import tinytorch
from tinytorch import Linear, Tensor

# %% [markdown]
# ## The machine
#
# A perceptron is one `Linear(2, 1)` layer followed by a **step**: output 1 when the weighted sum
# `w·x + b` is positive, else 0. The step has no useful derivative (zero almost everywhere), so the
# gradient methods of modules 06–07 would have nothing to follow through it. Rosenblatt did not need
# one. His rule looks at one example at a time and changes the weights only when the machine is wrong:
#
# $$w \leftarrow w + (y - \hat y)\,x, \qquad b \leftarrow b + (y - \hat y).$$
#
# If the answer should have been 1 but was 0, the input is added to the weights (the sum for this
# input grows); if it should have been 0 but was 1, it is subtracted. A correct answer changes nothing.
#
# **Why this rule and not a loss + SGD?** Two reasons. It is the historical algorithm this milestone
# rebuilds; and it needs nothing beyond what modules 01–04 gave us — no autograd, no optimizer. The
# weights are updated in place through `.data`, exactly as the optimizers of module 07 will do later.
# Starting from zero weights, the learning rate does not matter (every weight vector is just scaled
# by it, and the step only looks at the sign), so we use 1.

# %%
def step(scores):
    """The threshold unit's output: 1.0 where the weighted sum is positive, else 0.0."""
    return Tensor((scores.data > 0).astype(np.float32))


def train_perceptron(X, y, max_epochs=100):
    """Rosenblatt's rule, one example at a time; stops after the first epoch without a mistake.

    Returns (layer, epochs, mistakes): the epoch count includes that final error-free pass, mistakes is
    the number of weight updates made in total.
    """
    layer = Linear(X.shape[1], 1)
    layer.weight.data[...] = 0.0  # the convergence proof (below) starts from zero weights
    layer.bias.data[...] = 0.0
    mistakes = 0
    for epoch in range(1, max_epochs + 1):
        mistakes_this_epoch = 0
        for features, label in zip(X, y):
            x = Tensor(features.reshape(1, -1))
            error = Tensor([[label]]) - step(layer(x))  # +1, 0 or -1
            if error.item() != 0:
                layer.weight.data += (error.T @ x).data
                layer.bias.data += error.data.reshape(1)
                mistakes_this_epoch += 1
        mistakes += mistakes_this_epoch
        if mistakes_this_epoch == 0:
            return layer, epoch, mistakes
    return layer, None, mistakes  # None: no error-free epoch within max_epochs


def accuracy(layer, X, y):
    predictions = step(layer(Tensor(X))).data.reshape(-1)
    return float((predictions == y).mean())


# %% [markdown]
# ## Logic gates: AND and OR
#
# The four corners of the unit square, labelled by the gate. A single line separates the one corner that
# is 1 for AND (or 0 for OR) from the other three, so a threshold unit can compute both.

# %%
tinytorch.manual_seed(1958)
corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
gates = {
    "AND": np.array([0, 0, 0, 1], dtype=np.float32),
    "OR": np.array([0, 1, 1, 1], dtype=np.float32),
}
results = {}
for name, labels in gates.items():
    layer, epochs, mistakes = train_perceptron(corners, labels)
    results[name] = (accuracy(layer, corners, labels), epochs, mistakes)
    w1, w2 = layer.weight.data[0]
    print(f"{name:3s}: accuracy {results[name][0]:.0%} after {epochs} epochs ({mistakes} updates); "
          f"learned {w1:+.0f}·x1 {w2:+.0f}·x2 {layer.bias.data[0]:+.0f} > 0")

# %% [markdown]
# ## A cloud of points
#
# Now 120 points in the plane: 60 around (0.8, 0.4) labelled 0 and 60 around (3.2, 1.6) labelled 1, drawn
# with a seeded numpy generator so every run sees the same set. The cloud sits away from the origin, so
# the bias has to be learned as well as the direction. Before training, we make sure the set
# really is linearly separable by exhibiting one separating line: the perpendicular bisector of the two
# class means. Its **margin** γ — the smallest distance from a point to the line, on the correct side —
# must be positive.

# %%
rng = np.random.default_rng(1958)
points_per_class = 60
cloud = np.concatenate([rng.normal((0.8, 0.4), 0.45, (points_per_class, 2)),
                        rng.normal((3.2, 1.6), 0.45, (points_per_class, 2))]).astype(np.float32)
cloud_labels = np.repeat(np.array([0, 1], dtype=np.float32), points_per_class)
order = rng.permutation(len(cloud))  # interleave the classes, as the examples would arrive
cloud, cloud_labels = cloud[order], cloud_labels[order]


def margin_of(direction, offset, X, y):
    """Smallest signed distance to the line direction·x + offset = 0 (positive: all points on their side)."""
    norm = np.linalg.norm(np.append(direction, offset))  # unit vector in the (x, 1) space of the proof
    signs = 2 * y - 1
    return float(np.min(signs * (X @ direction + offset)) / norm)


mean_0, mean_1 = cloud[cloud_labels == 0].mean(axis=0), cloud[cloud_labels == 1].mean(axis=0)
bisector = mean_1 - mean_0
gamma = margin_of(bisector, -bisector @ (mean_0 + mean_1) / 2, cloud, cloud_labels)
assert gamma > 0, f"the bisector does not separate the generated cloud (margin {gamma:.3f}); pick another seed"
print(f"separating line found: margin γ = {gamma:.3f} > 0, so the set is linearly separable")

layer, epochs, mistakes = train_perceptron(cloud, cloud_labels)
results["blobs"] = (accuracy(layer, cloud, cloud_labels), epochs, mistakes)
print(f"blobs: accuracy {results['blobs'][0]:.0%} after {epochs} epochs ({mistakes} updates)")

# %% [markdown]
# ## Measured against the convergence theorem
#
# Rosenblatt's perceptron convergence theorem (proved in its clean modern form by Novikoff in 1962) says:
# if some unit-length weight vector `u` separates the data with margin γ, and every input — with a 1
# appended for the bias — has length at most R, the rule starting from zero makes **at most (R/γ)²
# mistakes**, whatever the order of the examples. Any separating line gives a valid bound; a line with a
# larger margin gives a tighter one. Let's compare the bound with what we measured.

# %%
def mistake_bound(gamma, X):
    radius = np.max(np.linalg.norm(np.hstack([X, np.ones((len(X), 1), dtype=X.dtype)]), axis=1))
    return (radius / gamma) ** 2


# For the gates, the line x1 + x2 = 1.5 (AND) and x1 + x2 = 0.5 (OR) separate the corners.
gate_lines = {"AND": -1.5, "OR": -0.5}
for name, offset in gate_lines.items():
    bound = mistake_bound(margin_of(np.array([1.0, 1.0]), offset, corners, gates[name]), corners)
    print(f"{name:5s}: {results[name][2]:3d} updates made, theorem allows at most {bound:6.0f}")
print(f"blobs: {results['blobs'][2]:3d} updates made, theorem allows at most "
      f"{mistake_bound(gamma, cloud):6.0f}")

# %% [markdown]
# The bound is loose — it has to hold for the worst possible order of examples — but it is finite, and
# that was the point: on separable data, learning **must** stop. Nothing here needed a gradient.
#
# What the theorem does not promise is anything for data that *no* line separates. The XOR gate
# (1 when exactly one input is 1) is the smallest such set; the same rule never finds an error-free epoch:

# %%
xor_labels = np.array([0, 1, 1, 0], dtype=np.float32)
layer, epochs, mistakes = train_perceptron(corners, xor_labels)
print(f"XOR: error-free epoch found: {epochs is not None}; {mistakes} updates in 100 epochs; "
      f"final accuracy {accuracy(layer, corners, xor_labels):.0%}")

# %% [markdown]
# ## Result
#
# The target: 100% on AND, OR and the point cloud. Milestone 1969 shows why XOR is out of reach for any
# single threshold unit — not only this rule — and what fixes it.

# %%
for name, (acc, epochs, _) in results.items():
    assert acc == 1.0 and epochs is not None, f"{name}: accuracy {acc:.1%}, target 100%"
print("RESULT 1958 perceptron: " + ", ".join(
    f"{name} {acc:.1%} in {epochs} epochs" for name, (acc, epochs, _) in results.items()))
