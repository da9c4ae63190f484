# %% [markdown]
# # Module 03 · Layers
#
# A neural network is a stack of layers, and almost every layer owns numbers that training will change:
# its **parameters**. This module builds the machinery PyTorch calls `torch.nn`: a `Parameter`, a
# `Module` base class that finds every parameter inside a model, the `Linear` layer that does nearly all
# the arithmetic of a multi-layer perceptron, `Sequential` to stack layers, and `Dropout`.
#
# ```text
# Connection map
#   Prerequisites : 01 Tensor (x @ W.T + b, broadcasting, views)
#                   02 Activations (ReLU between layers)
#   Focus (03)    : Parameter, Module (parameters, train/eval, state_dict), Linear, Sequential, Dropout
#   Unlocks       : 04 Losses     (a model's output to score)
#                   06 Autograd   (gradients for every Parameter)
#                   07 Optimizers (model.parameters() is what they update)
#                   09 Conv2d     (one more Module with a weight and a bias)
# ```
#
# ## Learning objectives
# By the end you will be able to
# 1. write a `Module` that finds every `Parameter` in a model, however deeply nested, with PyTorch's
#    names (`"0.weight"`, `"fc1.bias"`);
# 2. implement `Linear` exactly as PyTorch does: weight of shape `(out_features, in_features)`,
#    output `x @ W.T + b`, weights and bias drawn from U(−1/√in, 1/√in);
# 3. stack layers with `Sequential`, and switch `Dropout` between training and evaluation;
# 4. save and restore a model's numbers with `state_dict()` / `load_state_dict()`;
# 5. **measure**: parameter memory against activation memory as the batch grows, the FLOPs and
#    GFLOP/s of a forward pass, the cost of the `(out, in)` layout, and why initialisation scale matters.
#
# Work top to bottom: fill in the code where it says `# YOUR CODE HERE`, and run each check cell.

# %% [markdown]
# ## Part 1 · Parameters and the Module base class
#
# A `Linear` layer holds a weight matrix and a bias vector. An optimizer must find them, a checkpoint must
# save them, and module 06 must compute their gradients. So we mark them: a **`Parameter`** is a Tensor
# with `requires_grad = True`, a flag that says "training adjusts this". Any other Tensor an object holds
# (a cached mask, a constant) is not a parameter.
#
# A **`Module`** is the base class of every layer and every model. Writing a model is writing a subclass:
#
# ```python
# class MLP(Module):
#     def __init__(self):
#         self.fc1 = Linear(784, 128)
#         self.fc2 = Linear(128, 10)
#     def forward(self, x):
#         return self.fc2(relu(self.fc1(x)))
# ```
#
# `model(x)` calls `forward(x)`. Nothing registers the layers explicitly: the Module looks through its
# own attributes (`vars(self)`, in the order they were assigned) and treats every attribute that is a
# `Module` — or a list or tuple of Modules — as a **child**. Parameters are then found recursively:
#
# ```text
# MLP                      named_parameters()
#  ├─ fc1: Linear           fc1.weight  (128, 784)
#  │    ├─ weight           fc1.bias    (128,)
#  │    └─ bias             fc2.weight  (10, 128)
#  └─ fc2: Linear           fc2.bias    (10,)
# ```
#
# The order is PyTorch's: a module's own parameters first, then each child's, depth first; the name is
# the dotted path of attributes. A parameter shared by two layers (tied weights) is listed once — an
# optimizer must not update it twice. `parameters()` returns an iterator, like PyTorch; wrap it in
# `list()` to count.
#
# Your task: `named_parameters()`. The rest of `Module` is given; `train()` is yours in Part 4 and
# `load_state_dict()` in Part 5, each added to the class in its own cell.

# %%
#| export
#| default_exp core.layers
from collections import OrderedDict

import numpy as np

from tinytorch.core.tensor import Tensor
from tinytorch.random import default_generator


class Parameter(Tensor):
    """A Tensor that training updates: `requires_grad` is True. A Tensor's dtype is kept (float64 for
    gradient checks); anything else becomes float32, as for Tensor."""

    def __init__(self, data, requires_grad=True):
        super().__init__(data, dtype=data.dtype if isinstance(data, Tensor) else None)
        self.requires_grad = requires_grad

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


def _dotted(prefix, name):
    return f"{prefix}.{name}" if prefix else name


class Module:
    """Base class of every layer and model, like torch.nn.Module. Subclasses define `forward`."""

    training = True  # train() and eval() set it on each instance

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def named_children(self):
        """(name, module) for each direct sub-module: attributes that are Modules or lists/tuples of them."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for index, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{index}", item

    def children(self):
        return (module for _, module in self.named_children())

    def named_modules(self, prefix=""):
        """This module and every module below it, depth first, with dotted names ("" for the root)."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(_dotted(prefix, name))

    def named_parameters(self):
        """(dotted name, Parameter) for every parameter below this module, each listed once."""
        # HINT: walk self.named_modules(); in each module look through vars(module).items() for values that
        # HINT: are Parameters; yield (_dotted(module_name, attribute_name), parameter), skipping any
        # HINT: parameter already yielded (keep a set of id(parameter)).
        ### BEGIN SOLUTION
        seen = set()
        for module_name, module in self.named_modules():
            for name, value in vars(module).items():
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    yield _dotted(module_name, name), value
        ### END SOLUTION

    def parameters(self):
        return (parameter for _, parameter in self.named_parameters())

    def zero_grad(self):
        """Forget every gradient (PyTorch's default sets them to None rather than to zeros)."""
        for parameter in self.parameters():
            parameter.grad = None

    def eval(self):
        return self.train(False)

    def state_dict(self):
        """Ordered name -> numpy array, copies of every parameter (what a checkpoint stores)."""
        return OrderedDict((name, parameter.data.copy()) for name, parameter in self.named_parameters())

    def extra_repr(self):
        return ""

    def __repr__(self):
        return _describe(self, self.named_children())


def _describe(module, named_items):
    """PyTorch-style repr: `Name(extra)` for a leaf, an indented list of `(name): item` otherwise."""
    items = [f"  ({name}): " + repr(item).replace("\n", "\n  ") for name, item in named_items]
    if not items:
        return f"{type(module).__name__}({module.extra_repr()})"
    return f"{type(module).__name__}(\n" + "\n".join(items) + "\n)"


# %% [markdown]
# ### Check Part 1

# %%
from tinytorch.checks.layers import check_module

check_module(Module, Parameter)

# %% [markdown]
# ## Part 2 · Linear: `y = x @ W.T + b`
#
# A linear (fully connected, dense) layer maps `in_features` numbers to `out_features` numbers: each
# output is a weighted sum of all inputs plus a bias. For a batch `x` of shape `(B, in_features)`:
#
# $$y = x W^\top + b, \qquad W \in \mathbb{R}^{\text{out} \times \text{in}},\; b \in \mathbb{R}^{\text{out}}$$
#
# **Layout.** PyTorch stores `W` as `(out_features, in_features)`: row `j` holds the weights of output
# `j`. So the forward pass multiplies by `W.T`. Storing `(in, out)` would give the same outputs with a
# different checkpoint — and every PyTorch checkpoint, tutorial and paper figure you will meet uses
# `(out, in)`. The transpose is free: Part 4 of module 01 showed that `.T` is a view (the systems
# analysis below measures it again).
#
# **Initialisation.** Weights cannot start at zero: every output would compute the same thing and get the
# same gradient forever. They cannot start large either: each layer sums `in_features` products, so the
# output's spread grows with the fan-in. PyTorch's default for `Linear` draws both weight and bias from
# the uniform distribution
#
# $$U\!\left(-\tfrac{1}{\sqrt{\text{in\_features}}},\; \tfrac{1}{\sqrt{\text{in\_features}}}\right),$$
#
# which keeps the sum's spread roughly independent of the fan-in. Draw from
# `default_generator()` (the generator `tinytorch.manual_seed` seeds), so runs are repeatable.
#
# **Errors.** Feeding 5 features into `Linear(4, 2)` must fail with a message that names the layer,
# the 4 it expected and the shape it got — the most common bug in writing a model.
#
# Batch dimensions broadcast: an input of shape `(B, T, in)` gives `(B, T, out)`.

# %%
#| export
class Linear(Module):
    """y = x @ weight.T + bias, with weight (out_features, in_features), as torch.nn.Linear."""

    def __init__(self, in_features, out_features, bias=True):
        self.in_features, self.out_features = in_features, out_features
        # HINT: bound = 1 / np.sqrt(in_features); rng = default_generator(); self.weight is a Parameter of
        # HINT: rng.uniform(-bound, bound, (out_features, in_features)); self.bias a Parameter of
        # HINT: rng.uniform(-bound, bound, out_features) when bias is True, else None.
        ### BEGIN SOLUTION
        bound = 1 / np.sqrt(in_features)
        rng = default_generator()
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features)))
        self.bias = Parameter(rng.uniform(-bound, bound, out_features)) if bias else None
        ### END SOLUTION

    def forward(self, x):
        # HINT: if x.ndim == 0 or x.shape[-1] != self.in_features raise ValueError naming
        # HINT: Linear(in, out), the expected in_features and x.shape; then return x @ self.weight.T,
        # HINT: plus self.bias when there is one (use Tensor operations only, so 06 can differentiate them).
        ### BEGIN SOLUTION
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}) expects inputs whose last "
                             f"dimension is {self.in_features}, got an input of shape {x.shape}")
        output = x @ self.weight.T
        return output if self.bias is None else output + self.bias
        ### END SOLUTION

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


# %% [markdown]
# ### Check Part 2

# %%
from tinytorch.checks.layers import check_linear

check_linear(Linear)

# %% [markdown]
# ## Part 3 · Sequential: a stack of layers
#
# Most models of this first half of the course are a chain: the output of one layer is the input of the
# next. `Sequential(layer0, layer1, ...)` stores the layers in order and its `forward` passes `x`
# through each. Its layers may be Modules or any callable — the activations of module 02 are plain
# callables, and they have no parameters.
#
# PyTorch names a Sequential's layers by position, so parameters are called `"0.weight"`, `"2.bias"`,
# and a model indexes like a list: `model[0]`, `len(model)`, `for layer in model`, `model[1:]`.

# %%
#| export
class Sequential(Module):
    """Apply layers in order, as torch.nn.Sequential; layers may be Modules or plain callables."""

    def __init__(self, *layers):
        self.layers = list(layers)

    def named_children(self):
        # PyTorch names a Sequential's layers by position: "0", "1", ... (so "0.weight" in state_dict)
        return ((str(index), layer) for index, layer in enumerate(self.layers) if isinstance(layer, Module))

    def forward(self, x):
        # HINT: x = layer(x) for each layer in self.layers, then return x.
        ### BEGIN SOLUTION
        for layer in self.layers:
            x = layer(x)
        return x
        ### END SOLUTION

    def __getitem__(self, index):
        return Sequential(*self.layers[index]) if isinstance(index, slice) else self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        return _describe(self, enumerate(self.layers))


# %% [markdown]
# ### Check Part 3

# %%
from tinytorch.checks.layers import check_sequential

check_sequential(Sequential, Linear)

# %% [markdown]
# ## Part 4 · Dropout, training mode and evaluation mode
#
# Dropout (Srivastava et al., 2014) fights overfitting: during training, each number of the input is
# set to zero with probability `p`, a fresh random choice at every call, so no unit can rely on any
# other. At evaluation time nothing is dropped.
#
# That changes the scale: with `p = 0.5`, a training-time sum sees half the inputs. **Inverted dropout**
# (what PyTorch does) fixes it during training, by multiplying the survivors by `1 / (1 − p)`, so the
# expected value of every output equals its input and evaluation is the identity:
#
# $$y = x \cdot \frac{m}{1-p}, \quad m \sim \text{Bernoulli}(1-p) \qquad\text{(training)};\qquad y = x \quad\text{(evaluation)}$$
#
# Like PyTorch, `p` must lie in `[0, 1]`; `p = 1` drops everything and gives zeros (avoid the division by
# zero). Build the mask with numpy from `default_generator()` and apply it with a Tensor multiplication
# (`x * Tensor(mask)`), keeping `x`'s dtype; module 06 will then differentiate it for free.
#
# Which mode a layer is in is its `training` flag. `model.train()` and `model.eval()` set it on the
# model **and every module inside it**. Write `Dropout.forward`, then `train` (attached to `Module` after
# the class, as `Module.eval()` already expects: `eval()` is `train(False)`).

# %%
#| export
class Dropout(Module):
    """Inverted dropout, as torch.nn.Dropout: zero with probability p and scale by 1/(1-p) in training."""

    def __init__(self, p=0.5):
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p

    def forward(self, x):
        # HINT: in eval mode (not self.training) return x unchanged. Otherwise keep each element when
        # HINT: default_generator().random(x.shape) >= self.p, scale kept ones by 1 / (1 - p) (by 0 when
        # HINT: p == 1), and return x * Tensor(mask, dtype=x.dtype).
        ### BEGIN SOLUTION
        if not self.training:
            return x
        scale = 1 / (1 - self.p) if self.p < 1 else 0.0
        keep = default_generator().random(x.shape) >= self.p
        return x * Tensor(keep * scale, dtype=x.dtype)
        ### END SOLUTION

    def extra_repr(self):
        return f"p={self.p}"


def train(self, mode=True):
    """Set the `training` flag of this module and of every module below it; returns self."""
    # HINT: set module.training = mode for every module in self.named_modules(), then return self.
    ### BEGIN SOLUTION
    for _, module in self.named_modules():
        module.training = mode
    return self
    ### END SOLUTION


Module.train = train


# %% [markdown]
# ### Check Part 4

# %%
from tinytorch.checks.layers import check_dropout

check_dropout(Dropout, Module)

# %% [markdown]
# ## Part 5 · Saving and loading: `state_dict`
#
# A trained model is its parameters. `state_dict()` (given in Part 1) returns an ordered mapping from
# each parameter's name to a **copy** of its numbers; a checkpoint is that mapping written to disk
# (module 08 does this with `np.savez`, never with pickle). `load_state_dict(state_dict)` does the
# reverse, and it must be strict, because a silently half-loaded model is the worst kind of bug:
#
# * a name the model has but the checkpoint lacks (**missing**), a name the checkpoint has but the model
#   lacks (**unexpected**), or a shape that differs — raise `RuntimeError` (PyTorch's choice) listing
#   every problem;
# * otherwise copy the numbers **into** the existing arrays (`parameter.data[...] = value`), so the
#   Parameter objects an optimizer already holds see the new values.
#
# Values may be numpy arrays or Tensors (use `.data` of a Tensor).

# %%
#| export
def load_state_dict(self, state_dict):
    """Copy a state_dict's arrays (or Tensors) into this module's parameters, in place."""
    # HINT: own = dict(self.named_parameters()); values = {name: v.data if a Tensor else np.asarray(v)}.
    # HINT: Collect missing names, unexpected names and shape mismatches (name, both shapes); if any,
    # HINT: raise RuntimeError listing them all. Then own[name].data[...] = value for each entry.
    ### BEGIN SOLUTION
    own = dict(self.named_parameters())
    values = {name: value.data if isinstance(value, Tensor) else np.asarray(value)
              for name, value in state_dict.items()}
    problems = [f"missing key {name!r}" for name in own if name not in values]
    problems += [f"unexpected key {name!r}" for name in values if name not in own]
    problems += [f"size mismatch for {name!r}: checkpoint has shape {value.shape}, model has {own[name].shape}"
                 for name, value in values.items() if name in own and value.shape != own[name].shape]
    if problems:
        raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}: " + "; ".join(problems))
    for name, value in values.items():
        own[name].data[...] = value
    ### END SOLUTION


Module.load_state_dict = load_state_dict

# %% [markdown]
# ### Check Part 5

# %%
from tinytorch.checks.layers import check_state_dict

check_state_dict(Sequential, Linear)

# %% [markdown]
# ## Use it
#
# A two-layer perceptron for TinyDigits (8×8 images of handwritten digits, flattened to 64 numbers)
# with the ReLU of module 02 between the layers. Untrained, it guesses: expect accuracy near 10 %
# (one class in ten). Module 08 trains it. We also save its `state_dict` to a `.npz` file (no pickle),
# load it into a fresh model and confirm the two models agree.

# %%
import io

import tinytorch
from tinytorch.core.activations import ReLU
from tinytorch.datasets import load_tinydigits

(_, _), (X_test, y_test) = load_tinydigits()
tinytorch.manual_seed(0)
model = Sequential(Linear(64, 32), ReLU(), Dropout(0.1), Linear(32, 10))
print(model)
print("parameters:", sum(p.numel() for p in model.parameters()))
for name, parameter in model.named_parameters():
    print(f"  {name:<10} {parameter.shape}")

model.eval()  # no dropout while measuring
logits = model(Tensor(X_test.reshape(len(X_test), -1)))
accuracy = (logits.argmax(dim=1).data == y_test).mean()
print(f"logits {logits.shape}; untrained accuracy {accuracy:.1%}")

buffer = io.BytesIO()
np.savez(buffer, **model.state_dict())
buffer.seek(0)
restored = Sequential(Linear(64, 32), ReLU(), Dropout(0.1), Linear(32, 10)).eval()
with np.load(buffer, allow_pickle=False) as checkpoint:
    restored.load_state_dict(dict(checkpoint))
same = np.array_equal(restored(Tensor(X_test.reshape(len(X_test), -1))).data, logits.data)
print(f"checkpoint: {buffer.getbuffer().nbytes:,} bytes; restored model gives identical logits: {same}")

# %% [markdown]
# ## Systems analysis · measured
#
# We study the classic MNIST-sized MLP **784 → 256 → 128 → 10** (ReLU between the layers).
#
# ### 1. How many parameters, and how much memory?
# A `Linear(in, out)` has `in·out` weights and `out` biases. Predict the total for 784-256-128-10 before
# running the cell, then compare with the count from `parameters()`.

# %%
from tinytorch.timing import time_per_call  # best of several rounds, long enough for a coarse clock

WIDTHS = [784, 256, 128, 10]


def make_mlp(widths, seed=0):
    tinytorch.manual_seed(seed)
    layers = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        layers += [Linear(fan_in, fan_out), ReLU()]
    return Sequential(*layers[:-1])  # no ReLU after the last layer: it outputs logits


def parameter_bytes(model):
    return sum(p.memory_footprint() for p in model.parameters())


mlp = make_mlp(WIDTHS)
formula = sum(fan_in * fan_out + fan_out for fan_in, fan_out in zip(WIDTHS[:-1], WIDTHS[1:]))
counted = sum(p.numel() for p in mlp.parameters())
print(f"formula sum(in*out + out) = {formula:,}; counted = {counted:,}")
print(f"parameter memory: {parameter_bytes(mlp):,} bytes = {parameter_bytes(mlp) / 1e6:.2f} MB (float32)")

# %% [markdown]
# ### 2. Parameter memory vs activation memory
# Parameter memory is fixed. Every forward pass also creates **activations**: each layer's output. They
# grow with the batch size `B`, and module 06 must keep them all until the backward pass. We run the
# model layer by layer and add up the bytes of every output it produces.

# %%
def activation_bytes(model, x):
    """Bytes of every tensor the layers produce in one forward pass of x."""
    total = 0
    for layer in model:
        x = layer(x)
        total += x.memory_footprint()
    return total


mlp = make_mlp(WIDTHS)
param_bytes = parameter_bytes(mlp)
rng = np.random.default_rng(0)
print(f"{'batch':>6} {'activations (bytes)':>20} {'parameters (bytes)':>19} {'act / param':>12}")
for batch in [1, 16, 64, 256, 1024]:
    x = Tensor(rng.standard_normal((batch, WIDTHS[0])))
    act = activation_bytes(mlp, x)
    print(f"{batch:>6} {act:>20,} {param_bytes:>19,} {act / param_bytes:>12.2f}")

per_sample = activation_bytes(mlp, Tensor(np.zeros((1, WIDTHS[0]))))
print(f"\nactivations per sample: {per_sample:,} bytes -> they equal the parameters at batch "
      f"{param_bytes / per_sample:.0f}")

# %% [markdown]
# Per sample the activations are small (4 bytes × (256 + 256 + 128 + 128 + 10)), but they scale with `B`
# and the parameters do not: beyond a batch of about 300 this model's activations outweigh its weights.
# For large models trained on long sequences, activations dominate training memory — which is why
# module 13 sizes them per layer.
#
# ### 3. FLOPs and speed of a forward pass
# A `Linear(in, out)` on a batch of `B` does `B·out` dot products of length `in`: **2·B·in·out FLOPs**
# (a multiply and an add each). The biases and ReLUs add only O(B·out). We time the forward pass and
# convert to GFLOP/s.

# %%
def forward_flops(widths, batch):
    return sum(2 * batch * fan_in * fan_out for fan_in, fan_out in zip(widths[:-1], widths[1:]))


mlp = make_mlp(WIDTHS)
print(f"{'batch':>6} {'MFLOPs':>9} {'time (ms)':>10} {'GFLOP/s':>8}")
for batch in [1, 32, 256]:
    x = Tensor(np.random.default_rng(0).standard_normal((batch, WIDTHS[0])))
    seconds = time_per_call(lambda: mlp(x))
    flops = forward_flops(WIDTHS, batch)
    print(f"{batch:>6} {flops / 1e6:>9.2f} {seconds * 1e3:>10.3f} {flops / seconds / 1e9:>8.2f}")

# %% [markdown]
# The GFLOP/s climb with the batch: a batch of 1 is a matrix–*vector* product that reads every weight
# to use it once, so memory traffic and Python overhead dominate; a batch of 256 reuses each weight 256
# times from cache. Batching is how a GPU — or numpy — gets fed.
#
# ### 4. The `(out, in)` layout: is `W.T` a copy?
# `x @ W.T` looks as if it transposes the weight every call. It does not: `.T` is a view with swapped
# strides, and the matrix-multiply library reads the transposed layout directly.

# %%
layer = make_mlp(WIDTHS)[0]
weight_t = layer.weight.T
print("W.T shares memory with W:", np.shares_memory(weight_t.data, layer.weight.data))
print("W strides:", layer.weight.data.strides, "| W.T strides:", weight_t.data.strides)
weight_in_out = Tensor(np.ascontiguousarray(weight_t.data))  # the (in, out) layout, stored as such
x = Tensor(np.random.default_rng(0).standard_normal((256, 784)))
t_view = time_per_call(lambda: x @ layer.weight.T, repeat=10)
t_contig = time_per_call(lambda: x @ weight_in_out, repeat=10)
print(f"x @ W.T (view): {t_view * 1e3:.3f} ms | x @ W_in_out (contiguous copy): {t_contig * 1e3:.3f} ms "
      f"| ratio {t_view / t_contig:.2f}")

# %% [markdown]
# The two times should be close (a ratio near 1; timings of a few milliseconds vary by 10–30 % from run to
# run). The layout is a convention for checkpoints and readability, not a speed choice.
#
# ### 5. Why the initialisation scale matters
# Push a batch through 10 layers of width 256 with ReLU, and print the standard deviation of the
# activations after each layer, for three initialisations of the same layers:
#
# * **N(0, 1)**: each output sums 256 products of size ~1, so its spread grows by about √256 / √2 ≈ 11
#   per layer;
# * **PyTorch's default** U(±1/√in): weight variance 1/(3·in), so the spread shrinks by about √6 ≈ 2.4
#   per layer with ReLU;
# * **Kaiming (He) normal** N(0, 2/in), designed for ReLU: the spread stays roughly constant.

# %%
def std_through_depth(weight_std_fn, depth=10, width=256, batch=64):
    """Replace each layer's weight by N(0, weight_std_fn(in)^2) (None: keep PyTorch's init); record stds."""
    model = make_mlp([width] * (depth + 1), seed=1)
    x = Tensor(np.random.default_rng(2).standard_normal((batch, width)))
    weight_rng = np.random.default_rng(3)
    stds = []
    for layer in model:
        if isinstance(layer, Linear) and weight_std_fn is not None:
            std = weight_std_fn(layer.in_features)
            layer.weight.data[...] = weight_rng.standard_normal(layer.weight.shape) * std
        x = layer(x)
        if isinstance(layer, Linear):
            stds.append(float(x.data.std()))
    return stds


inits = {"N(0,1)": lambda fan_in: 1.0, "PyTorch default": None, "Kaiming N(0,2/in)": lambda fan_in: np.sqrt(2 / fan_in)}
results = {name: std_through_depth(fn) for name, fn in inits.items()}
print(f"{'layer':>5} " + " ".join(f"{name:>18}" for name in results))
for depth in range(10):
    print(f"{depth + 1:>5} " + " ".join(f"{stds[depth]:>18.3g}" for stds in results.values()))

# %% [markdown]
# With N(0, 1) the activations grow about 11× per layer and reach around 10¹⁰ after ten layers; float32
# overflows to `inf` near 3·10³⁸, about 35 such layers, and gradients explode the same way. PyTorch's
# default shrinks the spread about 2.4× per layer until it reaches the level of the biases (std
# 1/(16·√3) ≈ 0.036 at width 256), where it stays: deep down, the input's signal is drowned out. Fine for
# the shallow MLPs of this course; deep ReLU networks use Kaiming init, which keeps the spread near 1.
# Initialisation is a numerical-range decision, made before any training happens.

# %% [markdown]
# ## Reflect
#
# Answer with a number first, then check it in a new cell.
#
# 1. How many parameters does `Linear(512, 512)` have? How many bytes in float32? Check with
#    `parameters()` and `memory_footprint()`.
# 2. For the 784-256-128-10 MLP, at which batch size do the activations reach 10× the parameter memory?
#    Predict from the per-sample bytes measured above, then check with `activation_bytes`.
# 3. How many FLOPs does one forward pass of the MLP take for a batch of 64? From your GFLOP/s table,
#    predict its time, then measure it.
# 4. A `Dropout(0.2)` in training mode receives a tensor of ones of shape `(1000,)`. What values appear,
#    in roughly what proportions, and what is the mean? Run it to check.
# 5. With N(0, 1) init, by what factor does the activation std grow per layer at width 64 instead of
#    256? Predict (√64 / √2), then run `std_through_depth(lambda fan_in: 1.0, width=64)`.
#
# **Next:** 04 Losses turns a model's output and the right answers into one number to minimise.
