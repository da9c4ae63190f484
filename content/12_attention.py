# %% [markdown]
# # Module 12 · Attention
#
# After module 11 every token is a vector, but each vector knows only its own token (and position). To
# understand "it" in "the cat sat because it was tired", the vector of "it" must gather information from
# "cat". **Attention** does this: every position asks a question (a *query*), every position offers a
# label (a *key*) and some content (a *value*); each query takes a weighted average of the values, with
# weights given by how well its question matches each key. It is the core of the transformer, and its
# cost, quadratic in the sequence length, is what limits how much text a model can read at once.
#
# ```text
# Connection map
#   Prerequisites : 01 Tensor (batched matmul, transpose, reshape), 02 Softmax, 03 Linear,
#                   06 Autograd (gradients of compositions), 11 Embeddings (the vectors attended over)
#   Focus (12)    : scores q·k, scaling by 1/sqrt(d), masks (causal, padding), softmax over keys,
#                   F.scaled_dot_product_attention, multi-head = reshape + transpose, nn.MultiheadAttention
#   Unlocks       : 13 Transformers (attention + MLP blocks), 18 Memoization (the KV cache)
# ```
#
# ## Learning objectives
# 1. Compute attention scores `q · k / √d` and explain, with a measurement, why the `√d` is there.
# 2. Build causal and padding masks, and apply PyTorch's two **opposite** boolean-mask conventions.
# 3. Implement `F.scaled_dot_product_attention(query, key, value, attn_mask, dropout_p, is_causal, scale)`
#    with PyTorch's signature and numerics, gradients included.
# 4. Split an embedding into heads with reshape + transpose, and build `nn.MultiheadAttention` with
#    PyTorch's parameter layout (`in_proj_weight`, `in_proj_bias`, `out_proj`).
# 5. **Measure** the O(N²) memory and time of the score matrix: doubling the sequence length quadruples
#    both; and the memory each extra head adds.
#
# Fill in the code where it says `# YOUR CODE HERE`, and run each check cell.

# %% [markdown]
# ## Part 1 · Scores, and why we divide by √d
#
# Take `L` queries and `S` keys, each a vector of size `E` (shapes `(..., L, E)` and `(..., S, E)`; the
# `...` are batch dimensions, later also heads). The **score** of query `i` for key `j` is their dot
# product: large when they point the same way. All of them at once is one batched matrix product:
#
# ```text
# scores = query @ key^T          (..., L, E) @ (..., E, S) -> (..., L, S)
#                                 row i: how much query i likes each of the S keys
# ```
#
# Then comes a softmax over each row (Part 3), which turns scores into weights. Softmax is sensitive to
# the *size* of its inputs: scores of ±1 give a soft spread of weights, scores of ±30 give a one-hot
# vector that picks a single key and has almost no gradient (a saturated softmax barely learns). And
# dot products grow with `E`: for query and key entries with mean 0 and variance 1, `q · k` is a sum of
# `E` products with variance 1 each, so its variance is `E` (standard deviation `√E`). At `E = 64` a
# typical score is ±8. Dividing by `√E` brings the variance back to 1 whatever the width. That is the
# "scaled" of scaled dot-product attention (Vaswani et al., 2017); PyTorch lets you override it with
# `scale=`. Below the check, you measure both claims.
#
# Your task: `attention_scores(query, key, scale=None)`. Use `key.transpose(-2, -1)` (the last two
# dimensions; `.T` is only for matrices), so any batch dimensions pass through.

# %%
#| export
#| default_exp core.attention
import math
import numbers

import numpy as np

from tinytorch.core.activations import Softmax
from tinytorch.core.layers import Dropout, Linear, Module, Parameter
from tinytorch.core.tensor import Tensor
from tinytorch.random import default_generator

__all__ = ["attention_scores", "causal_mask", "attention_bias", "scaled_dot_product_attention", "split_heads",
           "merge_heads", "MultiheadAttention"]


def _require_tensor(value, name, op):
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): {name} must be a Tensor, got {type(value).__name__}")
    if value.dtype.kind != "f":
        raise TypeError(f"{op}(): {name} must be floating point, got dtype {value.dtype}")


def attention_scores(query, key, scale=None):
    """query @ key^T * scale for query (..., L, E) and key (..., S, E) -> (..., L, S); scale defaults to 1/sqrt(E)."""
    _require_tensor(query, "query", "attention_scores")
    _require_tensor(key, "key", "attention_scores")
    if query.ndim < 2 or key.ndim < 2 or query.shape[-1] != key.shape[-1]:
        raise ValueError(f"attention_scores(): query {query.shape} and key {key.shape} must be (..., L, E) and "
                         "(..., S, E) with the same E")
    # HINT 1: A score says how well a query matches a key: their dot product, for every query against every key.
    # HINT 1: Dividing by √E (the vector size) keeps the scores' spread near 1 however large E is, so the
    # HINT 1: softmax that follows does not saturate.
    # HINT 2: `query @ key` with key's last two dimensions swapped (`.transpose(-2, -1)`) gives shape (…, L, S)
    # HINT 2: for every batch. The default scale is 1 / `math.sqrt(query.shape[-1])`.
    ### BEGIN SOLUTION
    if scale is None:
        scale = 1 / math.sqrt(query.shape[-1])
    return (query @ key.transpose(-2, -1)) * scale
    ### END SOLUTION

# %% [markdown]
# ### Check Part 1

# %%
from tinytorch.checks.attention import check_attention_scores

check_attention_scores(attention_scores)

# %% [markdown]
# **Measured: why √d.** Random queries and keys with N(0, 1) entries, 64 keys per query. For each width
# `E` we print the variance of the raw scores, the variance after dividing by `√E`, and how peaked the
# softmax of a row is (its largest weight, averaged over rows: 1/64 ≈ 0.016 means uniform, 1.0 one-hot).

# %%
import tinytorch
from tinytorch.nn.functional import softmax

rng = np.random.default_rng(0)
print(f"{'E':>5} {'var(q.k)':>9} {'var(q.k/sqrt(E))':>17} {'max weight, raw':>16} {'max weight, scaled':>19}")
for E in [4, 16, 64, 256]:
    q = Tensor(rng.standard_normal((256, E)).astype(np.float32))
    k = Tensor(rng.standard_normal((64, E)).astype(np.float32))
    raw, scaled = attention_scores(q, k, scale=1.0), attention_scores(q, k)
    peak_raw = softmax(raw, dim=-1).data.max(axis=-1).mean()
    peak_scaled = softmax(scaled, dim=-1).data.max(axis=-1).mean()
    print(f"{E:>5} {raw.data.var():>9.1f} {scaled.data.var():>17.2f} {peak_raw:>16.2f} {peak_scaled:>19.2f}")

# %% [markdown]
# The raw variance tracks `E`, the scaled one stays near 1. Without scaling, at `E = 256` almost every
# row puts nearly all its weight on one key: the softmax is saturated, and its gradient, `s·(g − Σ s·g)`,
# is close to zero for every entry. Scaling keeps attention soft and trainable at any width.
#
# ## Part 2 · Masks: who may look at whom
#
# Two situations forbid some (query, key) pairs:
#
# * **causal** (a language model predicting the next token): position `i` may look at keys `0 … i`,
#   itself included, never at the future. The allowed pairs form the lower triangle, diagonal included:
#
#   ```text
#   keys ->   0 1 2 3
#   query 0 [ 1 0 0 0 ]      1 = may attend
#   query 1 [ 1 1 0 0 ]      a query always sees itself: hide the diagonal and query 0 sees nothing
#   query 2 [ 1 1 1 0 ]
#   query 3 [ 1 1 1 1 ]
#   ```
#   When there are more keys than queries (`L ≠ S`), PyTorch's `is_causal` keeps this same top-left
#   triangle, `j ≤ i`.
# * **padding**: sequences of different lengths share a batch by padding the short ones; no query may
#   attend to a pad.
#
# A mask is applied by **adding** to the scores before the softmax: 0 where attention is allowed,
# `-inf` where it is not, since `exp(-inf) = 0` gives those keys exactly zero weight. A float mask is
# added as it is (so it can also carry soft preferences, e.g. ALiBi's distance penalties).
#
# **Boolean masks: PyTorch has two opposite conventions. Learn both.**
#
# | function | `True` in a boolean mask means |
# |---|---|
# | `F.scaled_dot_product_attention(attn_mask=...)` | this pair **takes part** in attention |
# | `nn.MultiheadAttention(attn_mask=..., key_padding_mask=...)` | this pair is **NOT allowed** to attend |
#
# So the same boolean causal mask must be `tril` for the function and `~tril` (the upper triangle) for the
# module. Passing one where the other is expected does not crash: it silently attends to exactly the
# wrong keys. We convert every mask to its additive float form at the boundary of each API.
#
# Your tasks: `causal_mask(L, S)` (a boolean Tensor, True = may attend) and `attention_bias(attn_mask,
# dtype)`, which turns an SDPA-convention mask into the float to add.

# %%
#| export
def causal_mask(L, S=None):
    """(L, S) boolean Tensor, True where query i may attend key j (j <= i: itself and the past), as the mask
    F.scaled_dot_product_attention(is_causal=True) uses (top-left aligned when L != S)."""
    S = L if S is None else S
    # HINT 1: A causal mask lets position i attend to positions 0 .. i only, never to the future: True on and
    # HINT 1: below the main diagonal, False above.
    # HINT 2: `np.ones((L, S), dtype=np.bool_)` and `np.tril` keeps its lower triangle including the diagonal.
    # HINT 2: Return it as a Tensor with `dtype=np.bool_`.
    ### BEGIN SOLUTION
    return Tensor(np.tril(np.ones((L, S), dtype=np.bool_)), dtype=np.bool_)
    ### END SOLUTION


def attention_bias(attn_mask, dtype=np.float32):
    """The float to add to the scores for an F.scaled_dot_product_attention mask: a boolean mask gives 0 where
    True (take part) and -inf where False; a float mask is added as it is."""
    if not isinstance(attn_mask, Tensor):
        raise TypeError(f"attn_mask must be a Tensor (bool or float), got {type(attn_mask).__name__}")
    if attn_mask.dtype.kind == "f":
        return Tensor(attn_mask.data, dtype=dtype)
    if attn_mask.dtype != np.bool_:
        raise TypeError(f"attn_mask must be bool or floating point, got dtype {attn_mask.dtype}")
    # HINT 1: A boolean mask becomes an additive bias: 0 where a pair may attend (the score is unchanged) and −∞
    # HINT 1: where it may not (after softmax its weight is exactly 0).
    # HINT 2: `np.where` over `attn_mask.data` with 0.0 and `-np.inf`; return a Tensor of `dtype`.
    ### BEGIN SOLUTION
    return Tensor(np.where(attn_mask.data, 0.0, -np.inf), dtype=dtype)
    ### END SOLUTION

# %% [markdown]
# ### Check Part 2

# %%
from tinytorch.checks.attention import check_masks

check_masks(causal_mask, attention_bias)

# %%
print("causal_mask(4):\n", causal_mask(4).data.astype(int))
print("its additive form:\n", attention_bias(causal_mask(4)).data)
print("the same mask in nn.MultiheadAttention's convention (True = blocked):\n", (~causal_mask(4).data).astype(int))

# %% [markdown]
# ## Part 3 · Softmax over the keys, then a weighted sum of values
#
# With the (scaled, masked) scores of shape `(..., L, S)`, each query's row becomes weights by a softmax
# **over the keys**, the last dimension: row `i` sums to 1 across the `S` keys. (A softmax over `dim=-2`
# normalises each key's column over the queries instead: the shapes still work, the numbers are
# meaningless.) The output of query `i` is the weighted average of the value vectors:
#
# ```text
# weights = softmax(scores + bias, dim=-1)      (..., L, S)
# output  = weights @ value                     (..., L, S) @ (..., S, Ev) -> (..., L, Ev)
# ```
#
# That is PyTorch's `F.scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
# is_causal=False, scale=None)`. Its details, which your version must share:
#
# * `is_causal=True` applies `causal_mask(L, S)`; giving `attn_mask` as well is an error.
# * `dropout_p` drops attention weights (scaling the survivors by `1/(1 − p)`) every time it is > 0: the
#   function has no training mode; a module passes 0 when evaluating.
# * A query whose every key is masked has nothing to average. PyTorch's function returns **zeros** for
#   it (not the NaN a plain softmax of all `-inf` gives). The given code handles this: it zeroes those
#   rows' bias (so the softmax stays finite) and gives you `alive`, a `(..., L, 1)` tensor of 1s and 0s
#   to multiply the weights by.
#
# Everything is a composition of Tensor operations (matmul, add, the package's softmax, dropout), so
# gradients flow without a single new backward rule.
#
# Your task: the part of `scaled_dot_product_attention` after the scores and the bias.

# %%
#| export
def _broadcast_bias(bias, L, S, op):
    """Check that a float bias broadcasts to (..., L, S); RuntimeError naming the shapes otherwise."""
    if bias.ndim < 1 or bias.shape[-1] not in (1, S) or (bias.ndim >= 2 and bias.shape[-2] not in (1, L)):
        raise RuntimeError(f"{op}: attn_mask of shape {bias.shape} does not broadcast to the scores' (..., {L}, {S})")
    return bias


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """softmax(query @ key^T * scale + mask) @ value, as torch.nn.functional.scaled_dot_product_attention.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev). A boolean attn_mask is True where
    a pair TAKES PART; a float attn_mask is added to the scores. is_causal applies causal_mask(L, S). A query
    with every key masked gets zeros (PyTorch's behaviour), not NaN. dropout_p > 0 drops weights every call."""
    op = "scaled_dot_product_attention()"
    for name, tensor in (("query", query), ("key", key), ("value", value)):
        _require_tensor(tensor, name, "scaled_dot_product_attention")
    L, S = query.shape[-2], key.shape[-2]
    if value.ndim < 2 or value.shape[-2] != S:
        raise ValueError(f"{op}: key {key.shape} and value {value.shape} must have the same number of keys S")
    if is_causal and attn_mask is not None:
        raise RuntimeError(f"{op}: explicit attn_mask should not be set when is_causal=True")
    if not 0 <= dropout_p <= 1:
        raise ValueError(f"{op}: dropout_p must be between 0 and 1, got {dropout_p}")
    scores = attention_scores(query, key, scale)
    mask = causal_mask(L, S) if is_causal else attn_mask
    bias_values = np.zeros((1, 1), dtype=query.dtype) if mask is None else \
        _broadcast_bias(attention_bias(mask, query.dtype), L, S, op).data
    dead = np.all(np.isneginf(bias_values), axis=-1, keepdims=True)  # queries with nothing to attend to
    bias = Tensor(np.where(dead, 0, bias_values), dtype=query.dtype)
    alive = Tensor(~dead, dtype=query.dtype)
    # HINT 1: The weights are a softmax of the biased scores over the keys, so each query's weights sum to 1;
    # HINT 1: multiplying by `alive` zeroes the rows of a query that may see no key at all (they would be NaN).
    # HINT 1: Dropout on the weights in training, then the output is the weighted sum of the values.
    # HINT 2: A `Softmax` layer over the last dimension (the keys), applied to the scores with the bias added;
    # HINT 2: then multiply by `alive`. When `dropout_p > 0`, a `Dropout` layer with that probability. The
    # HINT 2: output is the weights matrix-multiplied with `value`.
    ### BEGIN SOLUTION
    weights = Softmax(dim=-1)(scores + bias) * alive
    if dropout_p > 0:
        weights = Dropout(dropout_p)(weights)
    return weights @ value
    ### END SOLUTION

# %% [markdown]
# ### Check Part 3

# %%
from tinytorch.checks.attention import check_scaled_dot_product_attention

check_scaled_dot_product_attention(scaled_dot_product_attention)

# %% [markdown]
# ## Part 4 · Many heads: reshape and transpose
#
# One attention computes one kind of weighted average per query. **Multi-head** attention runs `H` of them
# side by side, each on its own slice of the width: with `E = 8` and `H = 2`, head 0 works with
# dimensions 0–3 of the projected queries, keys and values, head 1 with 4–7. Each head attends its own
# way (one may track the previous token, another the subject of the sentence), and the heads' outputs
# are concatenated back to width `E`. The cost of `H` heads of size `E/H` equals one head of size `E`,
# except for the score matrices: **each head has its own `(L, S)` scores** (the systems analysis measures it).
#
# No loop over heads: a reshape and a transpose make the heads a batch dimension.
#
# ```text
# x (B, L, E) --reshape--> (B, L, H, D) --transpose(1, 2)--> (B, H, L, D)     D = E / H
#   position l, head h  =  x[b, l, h*D : (h+1)*D]
# ```
#
# Reshaping `(B, L, E)` directly to `(B, H, L, D)` has the right shape and the wrong numbers: memory holds
# position 0's `E` numbers, then position 1's, and so on, so the first "head" would get positions
# `0 … L/H − 1` whole, mixing positions into what should be dimensions. The transpose is what
# keeps each head's slice at its own position. `merge_heads` undoes both steps.
#
# `nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True, batch_first=False)` is given below
# the exercise. Read it: PyTorch's layout stacks the three input projections in one parameter,
# `in_proj_weight` of shape `(3E, E)` (rows `0…E−1` for queries, then keys, then values) with
# `in_proj_bias` `(3E,)`, and the output projection is a Linear named `out_proj`. Initialisation is
# PyTorch's too: Xavier-uniform `U(±√(6 / (E + 3E)))` for `in_proj_weight`, zeros for both biases,
# `Linear`'s default for `out_proj.weight`. Inputs are `(L, N, E)` unless `batch_first=True` gives
# `(N, L, E)`. It returns `(output, weights)`, the weights averaged over heads (`(N, L, S)`), per head with
# `average_attn_weights=False`, or `None` with `need_weights=False`. Its masks use the module's
# convention, **True = not allowed**: `attn_mask` `(L, S)` or `(N·H, L, S)`, and `key_padding_mask`
# `(N, S)` marking the pads.
#
# Your tasks: `split_heads(x, num_heads)` and `merge_heads(x)`.

# %%
#| export
def split_heads(x, num_heads):
    """(..., L, E) -> (..., H, L, E // H): head h of position l holds x[..., l, h*D:(h+1)*D]."""
    if x.shape[-1] % num_heads:
        raise ValueError(f"split_heads(): the width {x.shape[-1]} is not divisible by num_heads={num_heads}")
    # HINT 1: Heads split the embedding: each of the H heads gets its own slice of E / H numbers per position,
    # HINT 1: and attention runs per head, so the head dimension must come before the length. Split first, then
    # HINT 1: move the axis: a direct reshape to (…, H, L, D) has the right shape but mixes numbers from
    # HINT 1: different positions.
    # HINT 2: `.reshape` so that the last dimension E becomes two, `num_heads` and E // `num_heads` (keep the
    # HINT 2: dimensions before it), then `.transpose` the axes −3 and −2 to swap length and heads.
    ### BEGIN SOLUTION
    return x.reshape(*x.shape[:-1], num_heads, x.shape[-1] // num_heads).transpose(-3, -2)
    ### END SOLUTION


def merge_heads(x):
    """(..., H, L, D) -> (..., L, H * D): the inverse of split_heads."""
    # HINT 1: Merging undoes splitting in reverse order: move the head dimension back after the length, then
    # HINT 1: join each position's H slices of D numbers into one vector of H·D.
    # HINT 2: Read H, L, D from `x.shape[-3:]`; `.transpose(-3, -2)`, then `.reshape` keeping `x.shape[:-3]` and
    # HINT 2: ending with (L, H·D).
    ### BEGIN SOLUTION
    heads, length, size = x.shape[-3:]
    return x.transpose(-3, -2).reshape(*x.shape[:-3], length, heads * size)
    ### END SOLUTION


class NonDynamicallyQuantizableLinear(Linear):
    """A plain Linear; PyTorch gives out_proj this class name (so its quantization tools leave it alone), and
    print(model) shows it, so tinytorch does too."""


def _module_mask(mask, dtype, what):
    """nn.MultiheadAttention's convention: a boolean mask is True where attention is NOT allowed (-inf), a float
    mask is added as it is."""
    if mask.dtype == np.bool_:
        return Tensor(np.where(mask.data, -np.inf, 0.0), dtype=dtype)
    if mask.dtype.kind != "f":
        raise TypeError(f"MultiheadAttention: {what} must be bool or floating point, got dtype {mask.dtype}")
    return Tensor(mask.data, dtype=dtype)


class MultiheadAttention(Module):
    """torch.nn.MultiheadAttention: H heads of size embed_dim // H, in_proj_weight (3E, E), in_proj_bias (3E,),
    out_proj Linear(E, E). forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False) -> (output, weights or None). Boolean masks: True = NOT allowed."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False):
        super().__init__()
        for name, value in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
                raise ValueError(f"MultiheadAttention: {name} must be a positive int, got {value!r}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim={embed_dim} must be divisible by num_heads={num_heads} "
                             f"(each head gets embed_dim // num_heads dimensions)")
        if not 0 <= dropout <= 1:
            raise ValueError(f"MultiheadAttention: dropout must be between 0 and 1, got {dropout}")
        if add_bias_kv or add_zero_attn or kdim not in (None, embed_dim) or vdim not in (None, embed_dim):
            raise NotImplementedError("MultiheadAttention: add_bias_kv, add_zero_attn and kdim/vdim other than "
                                      "embed_dim are not supported by tinytorch")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout, self.batch_first = dropout, batch_first
        bound = math.sqrt(6 / (embed_dim + 3 * embed_dim))  # Xavier-uniform on (3E, E): fan_in E, fan_out 3E
        self.in_proj_weight = Parameter(default_generator().uniform(-bound, bound, (3 * embed_dim, embed_dim)))
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * embed_dim))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias)
        if bias:
            self.out_proj.bias.data[...] = 0

    def _project(self, x, index):
        """The query (0), key (1) or value (2) projection: x @ W_i^T + b_i with W_i rows i*E .. (i+1)*E of in_proj."""
        rows = slice(index * self.embed_dim, (index + 1) * self.embed_dim)
        out = x @ self.in_proj_weight[rows].T
        return out if self.in_proj_bias is None else out + self.in_proj_bias[rows]

    def _mask_bias(self, attn_mask, key_padding_mask, batch, L, S, dtype):
        """The float to add to the (N, H, L, S) scores, from masks in the module's convention (True = blocked)."""
        bias = None
        if attn_mask is not None:
            if attn_mask.shape not in ((L, S), (batch * self.num_heads, L, S)):
                raise RuntimeError(f"MultiheadAttention: attn_mask of shape {attn_mask.shape} should be ({L}, {S}) "
                                   f"or ({batch * self.num_heads}, {L}, {S}) (batch * num_heads, L, S)")
            bias = _module_mask(attn_mask, dtype, "attn_mask")
            if bias.ndim == 3:
                bias = bias.reshape(batch, self.num_heads, L, S)
        if key_padding_mask is not None:
            if key_padding_mask.shape != (batch, S):
                raise RuntimeError(f"MultiheadAttention: key_padding_mask of shape {key_padding_mask.shape} "
                                   f"should be (batch, S) = ({batch}, {S})")
            padding = _module_mask(key_padding_mask, dtype, "key_padding_mask").reshape(batch, 1, 1, S)
            bias = padding if bias is None else bias + padding
        return bias

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        for name, tensor in (("query", query), ("key", key), ("value", value)):
            _require_tensor(tensor, name, "MultiheadAttention")
            if tensor.ndim not in (2, 3) or tensor.shape[-1] != self.embed_dim:
                raise ValueError(f"MultiheadAttention: {name} of shape {tensor.shape} should be (L, N, "
                                 f"{self.embed_dim}) (or (N, L, {self.embed_dim}) with batch_first, (L, "
                                 f"{self.embed_dim}) unbatched)")
        if is_causal and attn_mask is None:
            raise RuntimeError("MultiheadAttention: is_causal=True is only a hint: pass the causal attn_mask too "
                               "(True above the diagonal, the module's convention)")
        batched = query.ndim == 3
        if not batched:  # one sequence: add a batch dimension of 1 and take it off at the end
            query, key, value = (t.reshape(1, *t.shape) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.reshape(1, *key_padding_mask.shape)
        elif not self.batch_first:  # (L, N, E) -> (N, L, E)
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        batch, L, S = query.shape[0], query.shape[1], key.shape[1]
        if key.shape != value.shape or key.shape[0] != batch:
            raise ValueError(f"MultiheadAttention: key {key.shape} and value {value.shape} must match, with the "
                             f"query's batch size {batch}")
        q, k, v = (split_heads(self._project(t, i), self.num_heads) for i, t in enumerate((query, key, value)))
        bias = self._mask_bias(attn_mask, key_padding_mask, batch, L, S, query.dtype)
        dropout_p = self.dropout if self.training else 0.0
        if need_weights:  # the weights are returned, so they are computed here (a fully masked row gives NaN, as torch)
            scores = attention_scores(q, k)
            weights = Softmax(dim=-1)(scores if bias is None else scores + bias)
            if dropout_p > 0:
                weights = Dropout(dropout_p)(weights)  # torch returns the weights after dropout too
            heads = weights @ v
        else:
            heads = scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=dropout_p)
            weights = None
        output = self.out_proj(merge_heads(heads))
        if weights is not None and average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            output = output.reshape(*output.shape[1:])
            weights = None if weights is None else weights.reshape(*weights.shape[1:])
        elif not self.batch_first:
            output = output.transpose(0, 1)
        return output, weights

# %% [markdown]
# ### Check Part 4

# %%
from tinytorch.checks.attention import check_heads, check_multihead_attention

check_heads(split_heads, merge_heads)
check_multihead_attention(MultiheadAttention)

# %% [markdown]
# ## Use it
#
# Self-attention over a short text: characters as ids (module 10 builds real tokenizers), module 11's
# embeddings plus sinusoidal positions, then one causal multi-head attention. The model is untrained,
# so the weights mean nothing yet, but their *structure* is already right: each row sums to 1 and
# nothing lies above the diagonal.

# %%
from tinytorch.core.embeddings import Embedding, SinusoidalPositionalEncoding

text = "attention looks back"
vocabulary = sorted(set(text))
ids = tinytorch.tensor([[vocabulary.index(char) for char in text]])  # (1, 20) int64
tinytorch.manual_seed(0)
embed, positions = Embedding(len(vocabulary), 16), SinusoidalPositionalEncoding(16, max_len=64)
attention = MultiheadAttention(16, num_heads=4, batch_first=True)
print(attention)
x = positions(embed(ids))
L = x.shape[1]
blocked = ~causal_mask(L).data  # the module's convention: True = NOT allowed
output, weights = attention(x, x, x, attn_mask=Tensor(blocked, dtype=np.bool_))
print(f"input {x.shape} -> output {output.shape}, weights averaged over heads {weights.shape}")
np.set_printoptions(precision=2, suppress=True)
print("weights of the first 6 queries over the first 6 keys:\n", weights.data[0, :6, :6])
print("rows sum to 1:", np.allclose(weights.data.sum(-1), 1), "| weight above the diagonal:",
      float(np.abs(np.triu(weights.data[0], 1)).max()))
output.sum().backward()
print("gradient reaches the embedding table:", embed.weight.grad is not None,
      "| and in_proj_weight:", attention.in_proj_weight.grad.shape)

# %% [markdown]
# **Attention alone does not see order.** Shuffle the tokens (without positions, without a mask) and every
# output is the same vector, shuffled along: attention is permutation-equivariant. That is why module 11
# adds positions.

# %%
plain = embed(ids)
order = np.random.default_rng(0).permutation(L)
shuffled = Tensor(plain.data[:, order])
out_plain, _ = attention(plain, plain, plain)
out_shuffled, _ = attention(shuffled, shuffled, shuffled)
print("attention(shuffled x) == shuffled attention(x):",
      np.allclose(out_shuffled.data, out_plain.data[:, order], atol=1e-5))

# %% [markdown]
# ## Systems analysis · measured
#
# ### 1. The score matrix grows as N²
# For a sequence of `N` tokens, attention builds an `N × N` score matrix (and a weight matrix of the same
# size) per head and per sequence. Everything else, the `(N, E)` queries, keys and values, grows as `N`.
# Predict: doubling `N` multiplies the score bytes by 4, and the time of the two `N × N × E` matmuls by
# about 4 as well. Measure with one sequence, one head, `E = 32`.

# %%
import time

from tinytorch.timing import time_per_call

start = time.perf_counter()
E = 32
rng = np.random.default_rng(0)
print(f"{'N':>5} {'q,k,v bytes':>12} {'score bytes':>12} {'x prev':>7} {'SDPA time (ms)':>15} {'x prev':>7}")
previous = None
for N in [64, 128, 256, 512]:
    q, k, v = (Tensor(rng.standard_normal((1, N, E)).astype(np.float32)) for _ in range(3))
    score_bytes = attention_scores(q, k).memory_footprint()
    seconds = time_per_call(lambda: scaled_dot_product_attention(q, k, v), repeat=3)
    print(f"{N:>5} {3 * q.memory_footprint():>12,} {score_bytes:>12,} " +
          (f"{score_bytes / previous[0]:>7.1f} {seconds * 1e3:>15.2f} {seconds / previous[1]:>7.1f}"
           if previous else f"{'':>7} {seconds * 1e3:>15.2f}"))
    previous = (score_bytes, seconds)
print(f"(cell took {time.perf_counter() - start:.1f} s)")

# %% [markdown]
# The score bytes quadruple exactly at each doubling. The time grows by less than 4× while fixed per-call
# costs (Python, small-array overheads) dominate, and by about 4× or more once the `N²` work does (more, when
# the matrices outgrow the processor's cache; in the browser, whose numpy is much slower, the `N²` part
# dominates sooner). At `N = 512` the scores already outweigh `q`, `k` and `v` together; at a context of
# 8,192 tokens one head's score matrix is 8192² × 4 bytes = 268 MB, per layer and per sequence. This is
# the wall that FlashAttention works around: it never stores the full matrix, computing the softmax
# block by block.
#
# ### 2. Memory per head
# Fix `E = 64` and `N = 256` and vary the number of heads. The projections and the output cost the same
# for any `H`; the scores are `H × N²`.

# %%
E, N = 64, 256
x = Tensor(np.random.default_rng(1).standard_normal((1, N, E)).astype(np.float32))
print(f"{'heads':>5} {'head dim':>9} {'q/k/v bytes (each)':>19} {'score bytes':>12} {'per head':>10}")
for heads in [1, 2, 4, 8]:
    q = split_heads(x, heads)  # (1, H, N, E/H)
    score_bytes = attention_scores(q, q).memory_footprint()
    print(f"{heads:>5} {E // heads:>9} {q.memory_footprint():>19,} {score_bytes:>12,} {score_bytes // heads:>10,}")

# %% [markdown]
# Each head adds one `N × N` matrix (262 kB at `N = 256`) while the per-head `q`, `k`, `v` shrink, so
# their total stays 64 kB each. Training keeps the weights of every head of every layer for the
# backward pass: for a GPT-2-sized model (12 layers, 12 heads, N = 1024, float32) that is
# 12 × 12 × 1024² × 4 bytes ≈ 604 MB per sequence, for the attention weights alone.
#
# ## Reflect
#
# Answer with a number first, then check it in a new cell.
#
# 1. For `E = 128` and N(0, 1) queries and keys, what is the standard deviation of `q · k`? Of the scaled
#    score? Measure with `attention_scores`.
# 2. How many bytes do the scores of a batch of 8 sequences, 4 heads, `N = 300` take in float32? Check with
#    `memory_footprint()`.
# 3. `causal_mask(3, 5)`: write it out (0s and 1s) before printing it. And the boolean `attn_mask` you would
#    give `nn.MultiheadAttention` for the same rule?
# 4. In `F.scaled_dot_product_attention`, `attn_mask = tinytorch.tensor([[True, False], [False, False]])`
#    for `L = S = 2`: what is the output row of query 1? Run it. What does `nn.MultiheadAttention` return
#    for a query whose keys are all padded, with `need_weights=True`? Try it.
# 5. From the table above, predict the time of SDPA at `N = 1024`, then measure it.
#
# **Next:** 13 Transformers stacks attention with an MLP, layer normalisation and residual connections
# into a GPT.
