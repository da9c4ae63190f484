# %% [markdown]
# # Module 02 · Activations
#
# A layer of a network multiplies by a matrix. Stack two such layers and you still have one matrix
# multiplication — no matter how many you stack, the network can only draw straight lines.
# The small functions between the layers, **activations**, break that: they bend the output, and the
# bends are what let a network fit curved decision boundaries, images and text.
#
# ```text
# Connection map
#   Prerequisites : 01 Tensor (Tensor, .data, broadcasting, reductions)
#   Focus (02)    : ReLU, Sigmoid, Tanh, GELU, Softmax as numerically stable element-wise functions
#   Unlocks       : 03 Layers   (activations sit between Linear layers)
#                   04 Losses   (softmax and log-sum-exp become cross-entropy)
#                   12 Attention (softmax turns scores into attention weights)
# ```
#
# ## Learning objectives
# By the end you will be able to
# 1. show with numbers that two stacked linear maps collapse into one, and that a ReLU between them does not;
# 2. implement `ReLU`, `Sigmoid`, `Tanh`, `GELU` and `Softmax(dim)` with PyTorch's names and defaults;
# 3. explain why `exp` overflows and write the **stable** forms of sigmoid and softmax that never do;
# 4. build the error function `erf` from a polynomial approximation, accurate to 2e-7, for exact GELU;
# 5. **measure**: overflow of the naive formulas, time per element of each activation, and the memory
#    an activation allocates.
#
# Each activation is a small class with a `forward(input)` method, called like a function: `ReLU()(x)`.
# It reads the numbers of `input.data`, computes with numpy, and returns a **new** Tensor with the input's
# dtype, leaving the input untouched. (Module 06 will teach these same classes to compute gradients.)
#
# As in PyTorch, each activation is a subclass of `Module`, the base class of every layer. Module 03
# builds `Module` from scratch; here we take the package's finished one, which gives every activation
# `__call__` (so `ReLU()(x)` runs `forward`) and PyTorch's `print` format (`ReLU()`, `Softmax(dim=1)`).
# You write only `forward`.

# %% [markdown]
# ## Part 1 · Why non-linearity: ReLU
#
# A linear layer computes `x @ W.T`. Two in a row give `(x @ A.T) @ B.T = x @ (B @ A).T`: a single
# linear layer with weight `B @ A`. Depth buys nothing. You will check this with numbers in *Use it*.
#
# The simplest fix is the **rectified linear unit**, `ReLU(x) = max(x, 0)`: zero for negative inputs,
# the identity for positive ones. It costs one comparison per element and its slope is 0 or 1,
# which keeps gradients from shrinking as they pass back through many layers (module 06).
# Since AlexNet (2012) it has been the default activation of most vision networks.
#
# Every activation in this module follows the same pattern, which the first cell sets up:
# check that the input is a Tensor, compute on `input.data` with numpy, and wrap the result with
# `_like(result, input)`, which keeps the input's floating dtype (float64 in → float64 out, as in PyTorch).

# %%
#| export
#| default_exp core.activations
import math

import numpy as np

from tinytorch.core.layers import Module  # module 03 builds it; an activation only adds forward
from tinytorch.core.tensor import Tensor

__all__ = ["ReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "erf"]


def _require_tensor(x, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} expects a Tensor, got {type(x).__name__}; wrap it: {name}()(Tensor(x))")


def _like(result, x):
    """A new Tensor holding `result`, with x's dtype when x is floating (float32 otherwise)."""
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32
    return Tensor(np.asarray(result, dtype=dtype), dtype=dtype)


class ReLU(Module):
    """max(x, 0) element-wise, as torch.nn.ReLU."""

    def forward(self, input):
        _require_tensor(input, "ReLU")
        # HINT 1: ReLU keeps the positive numbers and replaces the negative ones by 0. Compute a new array:
        # HINT 1: writing into `input.data` would change the learner's input behind their back.
        # HINT 2: `np.maximum` compares an array with a number element by element and returns a new array. Wrap
        # HINT 2: the result with `_like(result, input)`, which keeps the input's dtype.
        ### BEGIN SOLUTION
        return _like(np.maximum(input.data, 0), input)
        ### END SOLUTION


# %% [markdown]
# ### Check Part 1

# %%
from tinytorch.checks.activations import check_relu

check_relu(ReLU)

# %% [markdown]
# ## Part 2 · Sigmoid, and the overflow of `exp`
#
# The **sigmoid** squashes any number into (0, 1), so it can be read as a probability:
#
# $$\sigma(x) = \frac{1}{1 + e^{-x}}.$$
#
# Written exactly like that it breaks. float32 holds numbers up to about 3.4·10³⁸, and
# $e^{89} \approx 4.5 \cdot 10^{38}$ is already too big: for `x = -1000`, `exp(1000)` **overflows** to
# `inf`. Here `1 / (1 + inf)` happens to give the right answer, 0, but numpy prints an overflow warning,
# and the same `inf` inside a subtraction or a gradient turns into `nan` and poisons a whole training run.
#
# The cure is to never call `exp` on a large positive number. With $z = e^{-|x|}$, which lies in (0, 1]:
#
# $$\sigma(x) = \frac{1}{1 + z} \quad (x \ge 0), \qquad \sigma(x) = \frac{e^{x}}{1 + e^{x}} = \frac{z}{1 + z} \quad (x < 0).$$
#
# Both branches are the same function; only the order of operations differs. `np.where(cond, a, b)`
# picks element-wise between the two.

# %%
#| export
class Sigmoid(Module):
    """1 / (1 + exp(-x)) element-wise, computed without overflow for any x, as torch.nn.Sigmoid."""

    def forward(self, input):
        _require_tensor(input, "Sigmoid")
        # HINT 1: σ(x) = 1 / (1 + e^(−x)) overflows for large negative x, since e^(−x) becomes inf. Compute it
        # HINT 1: from e^(−|x|), which lies in (0, 1] for every x: one formula serves x ≥ 0 and an equal
        # HINT 1: rearranged one serves x < 0.
        # HINT 2: With z = e^(−|x|) (`np.exp`, `np.abs`), σ is 1 / (1 + z) where x ≥ 0 and z / (1 + z) where x <
        # HINT 2: 0. `np.where` picks between two arrays element by element. Wrap with `_like(result, input)`.
        ### BEGIN SOLUTION
        z = np.exp(-np.abs(input.data))
        return _like(np.where(input.data >= 0, 1 / (1 + z), z / (1 + z)), input)
        ### END SOLUTION


# %% [markdown]
# ### Check Part 2
# The check also feeds ±1000 and fails if numpy reports an overflow.

# %%
from tinytorch.checks.activations import check_sigmoid

check_sigmoid(Sigmoid)

# %% [markdown]
# ## Part 3 · Tanh
#
# The hyperbolic tangent, $\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}$, squashes into (-1, 1) and is
# centred on 0 (sigmoid is centred on 0.5). It is the activation inside classic recurrent networks and
# inside GELU's fast approximation (Part 4). It is a shifted, stretched sigmoid: $\tanh(x) = 2\sigma(2x) - 1$.
#
# The textbook formula has the same problem as sigmoid: at `x = 1000` it computes `inf / inf = nan`.
# numpy's `np.tanh` is implemented carefully (it never overflows and is accurate near 0, where
# `2σ(2x) - 1` would lose digits by subtracting two nearly equal numbers), so use it.

# %%
#| export
class Tanh(Module):
    """tanh(x) element-wise, as torch.nn.Tanh."""

    def forward(self, input):
        _require_tensor(input, "Tanh")
        # HINT 1: tanh squashes every number into (−1, 1); numpy already computes it without overflow for any
        # HINT 1: input.
        # HINT 2: `np.tanh` on `input.data`, wrapped with `_like(result, input)`.
        ### BEGIN SOLUTION
        return _like(np.tanh(input.data), input)
        ### END SOLUTION


# %% [markdown]
# ### Check Part 3

# %%
from tinytorch.checks.activations import check_tanh

check_tanh(Tanh)

# %% [markdown]
# ## Part 4 · GELU and the error function
#
# The **Gaussian error linear unit** (Hendrycks & Gimpel, 2016) is the activation of BERT, GPT and
# most transformers, and you will use it in module 13. It weighs x by the probability that a standard
# normal variable is below x:
#
# $$\mathrm{GELU}(x) = x\,\Phi(x) = \frac{x}{2}\left(1 + \operatorname{erf}\!\left(\frac{x}{\sqrt{2}}\right)\right).$$
#
# Like ReLU it is ≈ 0 for very negative x and ≈ x for large x, but it is smooth and dips slightly
# below zero around x ≈ -0.75.
#
# **The error function.** numpy has no `erf` (it lives in scipy, which the browser course does not ship),
# so we build one. Abramowitz & Stegun's *Handbook of Mathematical Functions* (1964), formula 7.1.26,
# gives for x ≥ 0
#
# $$\operatorname{erf}(x) \approx 1 - (a_1 t + a_2 t^2 + a_3 t^3 + a_4 t^4 + a_5 t^5)\,e^{-x^2}, \qquad t = \frac{1}{1 + p\,x},$$
#
# with p = 0.3275911, a₁ = 0.254829592, a₂ = −0.284496736, a₃ = 1.421413741, a₄ = −1.453152027,
# a₅ = 1.061405429, and an absolute error below 1.5·10⁻⁷. For negative x use that erf is odd:
# erf(−x) = −erf(x). Evaluate the polynomial with Horner's rule, `t*(a1 + t*(a2 + t*(...)))`: fewer
# multiplications and less rounding. One more guard: clip |x| at 6 before squaring (erf(6) is 1 to 16
# digits), so that x² cannot overflow for enormous inputs.

# %%
#| export
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)  # a1 ... a5


def erf(x):
    """The error function of a numpy array, element-wise (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7)."""
    x = np.asarray(x)
    # HINT 1: erf is odd (erf(−x) = −erf(x)), so compute it for |x| with the polynomial approximation above and
    # HINT 1: give it x's sign back. Beyond |x| = 6, erf is 1 to float precision, so clip |x| there to keep the
    # HINT 1: exponential tame.
    # HINT 2: Let a be |x| clipped at 6.0 (`np.abs`, `np.minimum`) and t = 1 / (1 + `_ERF_P`·a). The polynomial
    # HINT 2: t·(a1 + t·(a2 + … + t·a5)) is cheapest by Horner's rule: loop over `_ERF_A` from the last
    # HINT 2: coefficient to the first, each time adding the coefficient and multiplying by t. Then apply the
    # HINT 2: formula above with `np.exp` and restore the sign with `np.sign(x)`.
    ### BEGIN SOLUTION
    a = np.minimum(np.abs(x), 6.0)
    t = 1 / (1 + _ERF_P * a)
    poly = 0.0
    for coefficient in reversed(_ERF_A):
        poly = t * (coefficient + poly)
    return np.sign(x) * (1 - poly * np.exp(-a * a))
    ### END SOLUTION


# %% [markdown]
# ### Check Part 4a · erf
# The check compares your `erf` with Python's `math.erf` on 20,001 points and allows 2e-7.

# %%
from tinytorch.checks.activations import check_erf

check_erf(erf)

# %% [markdown]
# ### GELU, exact and approximate
#
# Before fast erf implementations were common, GELU was often computed with a tanh approximation from
# the same paper, and GPT-2 was trained with it:
#
# $$\mathrm{GELU}_{\tanh}(x) = \frac{x}{2}\left(1 + \tanh\!\left(\sqrt{2/\pi}\,(x + 0.044715\,x^3)\right)\right).$$
#
# PyTorch follows the same split: `nn.GELU()` is exact (`approximate='none'`) and
# `nn.GELU(approximate='tanh')` is the approximation. The two differ by up to about 5·10⁻⁴ — small, but
# a model trained with one and run with the other gives slightly different outputs, so the default matters.
# Any other value of `approximate` must raise a `ValueError` that names it.
#
# A dtype trap: under numpy 2's promotion rules a Python float such as `math.sqrt(2)` adapts to the
# array's dtype, but a numpy scalar such as `np.sqrt(2)` is a float64 and silently turns a float32 array
# into float64 — twice the memory and slower. Write constants as Python floats. (Likewise `v * v * v`
# is a plain multiply, while `v ** 3` may go through a slower general power routine.)

# %%
#| export
class GELU(Module):
    """x * Phi(x), exact via erf (approximate='none', the default) or the tanh formula, as torch.nn.GELU."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        _require_tensor(input, "GELU")
        # HINT 1: GELU weighs each input by the probability that a standard normal is below it: x·Φ(x), with Φ
        # HINT 1: written through erf. The "tanh" variant replaces Φ by the cheaper tanh curve given above;
        # HINT 1: `self.approximate` says which one.
        # HINT 2: Φ(v) = (1 + erf(v / √2)) / 2, using `erf` from above. The tanh form is the formula in the
        # HINT 2: text, with `np.tanh`. Take √2 and √(2/π) from `math.sqrt`: a Python float keeps float32 as
        # HINT 2: float32, where a numpy float64 scalar would not. Wrap with `_like(result, input)`.
        ### BEGIN SOLUTION
        v = input.data
        if self.approximate == "tanh":
            result = 0.5 * v * (1 + np.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v * v * v)))
        else:
            result = 0.5 * v * (1 + erf(v / math.sqrt(2)))
        return _like(result, input)
        ### END SOLUTION

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


# %% [markdown]
# ### Check Part 4b · GELU

# %%
from tinytorch.checks.activations import check_gelu

check_gelu(GELU)

# %% [markdown]
# ## Part 5 · Softmax
#
# A classifier's last layer outputs one score (**logit**) per class. Softmax turns a row of scores into
# probabilities — positive and summing to 1 — while keeping their order:
#
# $$\mathrm{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}.$$
#
# It is not element-wise: each output depends on the whole row. `Softmax(dim=-1)` normalises along one
# dimension (PyTorch's argument name `dim`), the last one by default — the class dimension of a
# `(batch, classes)` tensor, or the key dimension of attention scores in module 12. (PyTorch's
# `nn.Softmax()` without a `dim` guesses one and warns; always pass `dim`, and the code runs on both.)
#
# **Overflow again.** Logits of 1000 give `exp(1000) = inf` and `inf / inf = nan`. The fix: softmax does not
# change when the same constant c is subtracted from every score in the row,
#
# $$\frac{e^{x_i - c}}{\sum_j e^{x_j - c}} = \frac{e^{-c}\,e^{x_i}}{e^{-c}\sum_j e^{x_j}},$$
#
# so choose c = the row's maximum. Then every exponent is ≤ 0, every `exp` lies in (0, 1], and the largest
# is exactly 1, so the denominator is at least 1 and never 0. Scores of `-inf` (used in module 12 to mask
# positions out) simply get probability 0.
#
# A `dim` outside the tensor's dimensions must raise `IndexError` naming the dim and the shape.

# %%
#| export
class Softmax(Module):
    """exp(x) / sum(exp(x)) along `dim`, with the row maximum subtracted first, as torch.nn.Softmax."""

    def __init__(self, dim=-1):
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"Softmax: dim must be an int, got {dim!r} ({type(dim).__name__})")
        self.dim = dim

    def forward(self, input):
        _require_tensor(input, "Softmax")
        if not -input.ndim <= self.dim < input.ndim:
            raise IndexError(f"Softmax(dim={self.dim}): dim is out of range for a tensor of shape {input.shape}")
        # HINT 1: Softmax turns each slice along `dim` into probabilities: exponentiate, then divide by the
        # HINT 1: slice's sum. Subtracting the slice's maximum first changes nothing in the result but keeps
        # HINT 1: `exp` from overflowing.
        # HINT 2: `np.max`, `np.exp` and `np.sum` along `axis=self.dim`, with `keepdims=True` so the max and the
        # HINT 2: sum broadcast back against the slice. Wrap with `_like(result, input)`.
        ### BEGIN SOLUTION
        shifted = input.data - np.max(input.data, axis=self.dim, keepdims=True)
        exps = np.exp(shifted)
        return _like(exps / np.sum(exps, axis=self.dim, keepdims=True), input)
        ### END SOLUTION

    def extra_repr(self):
        return f"dim={self.dim}"


# %% [markdown]
# ### Check Part 5

# %%
from tinytorch.checks.activations import check_softmax

check_softmax(Softmax)

# %% [markdown]
# ## Use it
#
# **Two linear maps collapse into one.** Apply two random weight matrices in a row, then apply their
# product once: the outputs agree to rounding error. Put a ReLU between them and they no longer do —
# the network now computes something no single matrix can.

# %%
rng = np.random.default_rng(0)
x = Tensor(rng.standard_normal((5, 4)))
A = Tensor(rng.standard_normal((8, 4)))   # layer 1: 4 -> 8 features, PyTorch's (out, in) layout
B = Tensor(rng.standard_normal((3, 8)))   # layer 2: 8 -> 3 features
combined = B @ A                          # one (3, 4) matrix

two_layers = (x @ A.T) @ B.T
one_layer = x @ combined.T
print("max |two linear layers - one combined layer| =", np.abs((two_layers - one_layer).data).max())

with_relu = ReLU()(x @ A.T) @ B.T
print("max |with ReLU in between - one combined layer| =", np.abs((with_relu - one_layer).data).max())

# %% [markdown]
# **A tiny classifier's forward pass.** Linear → GELU → Linear → Softmax turns 5 examples into class
# probabilities; every row sums to 1. (Module 03 wraps the matrices into `Linear` layers.)

# %%
probabilities = Softmax(dim=-1)(GELU()(x @ A.T) @ B.T)
print(probabilities)
print("row sums:", probabilities.sum(dim=1))
print("modules print like PyTorch's:", ReLU(), Sigmoid(), Tanh(), GELU(), GELU(approximate="tanh"), Softmax(dim=1))

# %% [markdown]
# ## Systems analysis · measured
#
# ### 1. Overflow: the naive formulas against the stable ones
# Prediction first: what do the naive softmax of `[1000, 1001, 1002]` and the naive sigmoid of `-1000`
# return, and how many warnings does numpy raise? We count warnings with `warnings.catch_warnings`.

# %%
from tinytorch.timing import time_per_call  # best of several rounds, long enough for a coarse clock
import warnings


def naive_sigmoid(values):
    return 1 / (1 + np.exp(-values))


def naive_softmax(values):
    exps = np.exp(values)
    return exps / exps.sum(axis=-1, keepdims=True)


def run_counting_warnings(fn, *args):
    """fn(*args) and the number of numpy RuntimeWarnings (overflow, invalid value) it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(*args)
    return result, len(caught), sorted({str(w.message) for w in caught})


big_logits = np.array([[1000.0, 1001.0, 1002.0]], dtype=np.float32)
extremes = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=np.float32)
for name, fn, values in [("naive softmax", naive_softmax, big_logits), ("naive sigmoid", naive_sigmoid, extremes)]:
    result, count, messages = run_counting_warnings(fn, values)
    print(f"{name:<14} -> {result.ravel()}  warnings: {count} {messages}")

# %%
for name, fn, values in [("Softmax", Softmax(), big_logits), ("Sigmoid", Sigmoid(), extremes)]:
    result, count, messages = run_counting_warnings(fn, Tensor(values))
    print(f"{name:<14} -> {result.data.ravel()}  warnings: {count}")
print("softmax of [0, 1, 2] for comparison:", Softmax()(Tensor([[0.0, 1.0, 2.0]])).data)

# %% [markdown]
# The naive softmax returns `nan` for every entry; the stable one returns the same probabilities as the
# scores `[0, 1, 2]`, since only differences between scores matter. In float32, `exp` overflows once its
# argument passes ≈ 88.7, so even ordinary logits from an un-normalised network can hit this.
#
# ### 2. Element-wise cost: time per element
# Each activation touches every element once, so its time should grow linearly with the number of
# elements: constant time *per element*. How do they compare? Predict an order from cheapest to most
# expensive before running.

# %%
activations = {"ReLU": ReLU(), "Sigmoid": Sigmoid(), "Tanh": Tanh(), "GELU exact": GELU(),
               "GELU tanh": GELU(approximate="tanh"), "Softmax": Softmax()}
sizes = [10_000, 100_000, 1_000_000]
per_element = {name: [] for name in activations}
print(f"{'activation':<12}" + "".join(f"{n:>14,}" for n in sizes) + "   (ns per element)")
for name, activation in activations.items():
    for n in sizes:
        x_big = Tensor(rng.standard_normal((n // 100, 100)))
        per_element[name].append(time_per_call(lambda: activation(x_big), repeat=3) / n * 1e9)
    print(f"{name:<12}" + "".join(f"{ns:>14.2f}" for ns in per_element[name]))

print()
for name in activations:
    growth = np.polyfit(np.log(sizes), np.log(np.array(per_element[name]) * sizes), 1)[0]
    print(f"{name:<12} time grows as n^{growth:.2f}; at 1M elements {per_element[name][-1] / per_element['ReLU'][-1]:5.1f}x ReLU")

# %% [markdown]
# Time grows about linearly with the element count: the per-element cost stays roughly flat. The smallest
# size carries a fixed Python overhead per call, which lowers the fitted exponent a little; an exponent
# clearly above 1 (exact GELU, typically) is a memory effect: at 1M elements its temporaries no longer fit
# in the CPU cache, so every pass waits for main memory. ReLU is one comparison per element and `np.tanh`
# is a single vectorised routine; sigmoid computes `exp`, two divisions and a select; exact GELU runs
# `abs`, `minimum`, a division, five multiply-adds, `exp`, `sign` and the outer formula — over a dozen passes,
# each writing a full-size temporary — so it is by far the most expensive, and the tanh approximation is
# several times cheaper. That gap is why the approximation was popular, and why compiled frameworks
# *fuse* such chains into one pass over memory (module 17). In the browser all numbers are larger, but
# the ranking is the same.
#
# ### 3. Memory: every activation allocates a new output
# Our activations never modify their input, so each call allocates an output the size of its input.
# (PyTorch offers `ReLU(inplace=True)` to save that memory, at the cost of losing the input, which
# backpropagation often needs.) `tracemalloc` also sees numpy's temporaries, so we can measure the
# peak memory during a call, not only what survives it.

# %%
import tracemalloc

def peak_bytes(fn):
    """fn()'s result and the peak bytes numpy and Python allocated while it ran."""
    tracemalloc.start()
    try:
        return fn(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


x_mem = Tensor(rng.standard_normal((1000, 1000)))
print(f"input: {x_mem.memory_footprint() / 1e6:.1f} MB ({x_mem.dtype})")
for name, activation in activations.items():
    out, peak = peak_bytes(lambda: activation(x_mem))
    print(f"{name:<12} output {out.memory_footprint() / 1e6:.1f} MB, shares memory with input: "
          f"{np.shares_memory(out.data, x_mem.data)}, peak during the call {peak / 1e6:5.1f} MB "
          f"({peak / x_mem.memory_footprint():.1f}x the input)")

depth, batch, width = 20, 64, 1024
print(f"\nA {depth}-layer network on a batch of {batch}x{width} keeps {depth} activations for backprop: "
      f"{depth * batch * width * 4 / 1e6:.1f} MB in float32")

# %% [markdown]
# Every output is exactly the input's size and a fresh array. The peak column shows the hidden cost of
# chaining numpy calls: exact GELU holds several full-size temporaries at once. Module 06 will keep
# each layer's activation alive until the backward pass, which is why activation memory, not weight
# memory, often limits the batch size.
#
# ## Reflect
#
# Answer each with a number first, then check it by running code in a new cell.
#
# 1. In float32, what is the largest x for which `np.exp(np.float32(x))` is finite? Predict from
#    3.4·10³⁸, then find it with `np.log(np.finfo(np.float32).max)` and test x just above and below.
# 2. Predict `Softmax()(Tensor([[1.0, 2.0, 3.0]]))` and `Softmax()(Tensor([[101.0, 102.0, 103.0]]))`.
#    Why are they equal? What does `Softmax(dim=0)` return for the same 1×3 tensor?
# 3. Where is the largest difference between exact GELU and the tanh approximation? Compute both on
#    `np.linspace(-6, 6, 10001)` and report the x and the difference.
# 4. Using your measured ns per element, predict the time of exact GELU on a `(64, 3072)` tensor
#    (an MLP block of a small GPT), then time it.
# 5. `tanh(x) = 2σ(2x) − 1` is exact mathematics. Evaluate both sides at x = 1e-8 in float32: how many
#    correct digits does the right-hand side keep, and why?
#
# **Next:** 03 Layers puts `Linear` layers around these activations and counts the parameters they hold.
