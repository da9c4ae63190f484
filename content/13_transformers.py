# %% [markdown]
# # Module 13 · Transformers
#
# Module 12 built attention: every position of a sequence looks at every earlier one and takes a weighted
# mix of what it finds. A **transformer** is attention plus three ideas that make it trainable when
# stacked many layers deep: **layer normalisation**, a position-wise **MLP**, and **residual connections**.
# Stack a few such blocks on top of token and position embeddings, put a linear layer on top that scores
# every token of the vocabulary, and you have a GPT: a model that reads a sequence of token ids and predicts
# the next one, and generates text by feeding its own predictions back in.
#
# ```text
# Connection map
#   Prerequisites : 10 Tokenization (text -> token ids), 11 Embeddings (ids -> vectors, positions)
#                   12 Attention (scaled dot-product, causal mask, heads)
#                   03 Layers, 06 Autograd, 07 Optimizers, 08 Training (the machinery underneath)
#   Focus (13)    : LayerNorm, the MLP block, residual pre-norm blocks, GPT, sampling
#                   (temperature, top-k)
#   Unlocks       : Milestone 2017 Transformer (a GPT trained on TinyTalks)
#                   14 Profiling, 15 Quantization, 17 Acceleration, 18 KV cache (all measure this model)
# ```
#
# ## Learning objectives
# By the end you will be able to
# 1. implement `layer_norm` and `LayerNorm` as PyTorch does (biased variance, `eps` inside the square root,
#    over the last dimensions), and say why it normalises each token on its own;
# 2. write a pre-norm transformer block, `x + attn(ln_1(x))` then `x + mlp(ln_2(x))`, and explain what the
#    residual path does for gradients;
# 3. assemble `GPT(vocab_size, block_size, n_layer, n_head, n_embd)`: ids `(B, T)` in, logits
#    `(B, T, vocab_size)` out, each position seeing only itself and the past;
# 4. sample text with `generate(idx, max_new_tokens, temperature, top_k)`;
# 5. **measure**: where the parameters are, how activation memory grows per layer and with sequence
#    length, and how big a KV cache would be.

# %% [markdown]
# ## Part 1 · Layer normalisation
#
# Deep stacks are fragile: if each layer scales its input a little up or down, after twelve layers the
# numbers explode or vanish, and so do the gradients. **Layer normalisation** resets each token's vector
# to mean 0 and variance 1 before a sub-layer uses it, then lets training choose a scale and a shift:
#
# $$\mathrm{LN}(x) = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} \cdot w + b, \qquad
#   \mu = \frac{1}{n}\sum_i x_i, \quad \sigma^2 = \frac{1}{n}\sum_i (x_i - \mu)^2$$
#
# over the last dimension(s), the `normalized_shape`. Three details are PyTorch's and matter for matching
# it number for number:
#
# * the variance is the **biased** one (divide by `n`, not `n - 1`);
# * `eps` (1e-5) goes **inside** the square root: it keeps a constant vector (variance 0) finite;
# * statistics are per token: unlike BatchNorm (module 09) nothing is shared across the batch, so a
#   sequence of any length and a batch of one behave the same in training and in evaluation.
#
# `layer_norm` is written with Tensor operations (`mean`, `-`, `*`, `sqrt`, `/`), so its gradient comes
# from module 06 for free.

# %%
#| export
#| default_exp core.transformers
import math

import numpy as np

from tinytorch.autograd.grad_mode import no_grad
from tinytorch.core.activations import GELU, Softmax
from tinytorch.core.attention import scaled_dot_product_attention
from tinytorch.core.embeddings import Embedding
from tinytorch.core.layers import Dropout, Linear, Module, ModuleList, Parameter
from tinytorch.core.tensor import Tensor, arange
from tinytorch.patching import patch_to
from tinytorch.random import default_generator

__all__ = ["layer_norm", "LayerNorm", "MLP", "CausalSelfAttention", "TransformerBlock", "GPT", "sample_next"]


def _normalized_dims(input, normalized_shape, op):
    """normalized_shape as a tuple, checked against the input's last dimensions; the dims to reduce."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not isinstance(input, Tensor):
        raise TypeError(f"{op} expects a Tensor input, got {type(input).__name__}")
    if len(shape) == 0 or input.shape[input.ndim - len(shape):] != shape:
        raise RuntimeError(f"{op}: normalized_shape {shape} must match the input's last dimensions; "
                           f"the input has shape {input.shape}")
    return shape, tuple(range(-len(shape), 0))


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last len(normalized_shape) dims, then scale and shift, as F.layer_norm."""
    shape, dims = _normalized_dims(input, normalized_shape, "layer_norm")
    # HINT 1: Layer norm standardises each example's features: subtract their mean and divide by the square root
    # HINT 1: of their (biased) variance plus eps, over the last dims given by `normalized_shape`. Written with
    # HINT 1: Tensor operations, autograd differentiates it for free.
    # HINT 2: `mean(dim=dims, keepdim=True)` (keepdim, so the statistics broadcast back), the mean of the
    # HINT 2: centred values squared for the variance, and `.sqrt()` from module 01. Assign the result to
    # HINT 2: `normalized`.
    ### BEGIN SOLUTION
    mean = input.mean(dim=dims, keepdim=True)
    centered = input - mean
    variance = (centered * centered).mean(dim=dims, keepdim=True)
    normalized = centered / (variance + eps).sqrt()
    ### END SOLUTION
    if weight is not None:
        normalized = normalized * weight
    if bias is not None:
        normalized = normalized + bias
    return normalized


class LayerNorm(Module):
    """Layer normalisation with a learned scale (ones) and shift (zeros), as torch.nn.LayerNorm."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        if not shape or not all(isinstance(n, int) and n > 0 for n in shape):
            raise ValueError(f"LayerNorm: normalized_shape must be positive ints, got {normalized_shape!r}")
        if not eps > 0:
            raise ValueError(f"LayerNorm: eps must be positive, got {eps!r}")
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        self.weight = Parameter(np.ones(shape, dtype=np.float32)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(shape, dtype=np.float32)) if elementwise_affine and bias else None

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


# %% [markdown]
# ### Check Part 1

# %%
from tinytorch.checks.transformers import check_layer_norm

check_layer_norm(layer_norm, LayerNorm)

# %% [markdown]
# ## Part 2 · The blocks: MLP, causal self-attention, residuals
#
# A transformer block has two sub-layers, each wrapped the same way:
#
# ```text
#   x ──► LayerNorm ──► causal self-attention ──► + ──► LayerNorm ──► MLP ──► + ──► out
#   └──────────────── residual ───────────────────┘└──────── residual ──────┘
# ```
#
# * **Causal self-attention** (module 12) lets each position mix in information from itself and the
#   positions before it. One `Linear(E, 3E)` makes queries, keys and values for all heads at once; after
#   attention, a `Linear(E, E)` projects the heads' concatenated outputs back.
# * The **MLP** works on each position separately: `Linear(E, 4E)`, GELU, `Linear(4E, E)`. Most of a GPT's
#   parameters sit here.
# * The **residual** `x + sublayer(LN(x))` keeps a straight path from the output back to the input.
#   Its gradient is the identity plus whatever the sub-layer adds, so even at initialisation, in a deep
#   stack, every layer receives a useful gradient. This arrangement, normalising the input of each
#   sub-layer ("pre-norm"), is what GPT-2 and later models use; the original 2017 transformer normalised
#   after the addition ("post-norm"), which trains less stably when deep.
#
# `MLP` and `CausalSelfAttention` are given; you write the block's `forward`.

# %%
#| export
class MLP(Module):
    """The position-wise feed-forward block: Linear(E, 4E) -> GELU (tanh form) -> Linear(4E, E) -> Dropout."""

    def __init__(self, n_embd, dropout=0.0):
        super().__init__()
        self.c_fc = Linear(n_embd, 4 * n_embd)
        self.gelu = GELU(approximate="tanh")
        self.c_proj = Linear(4 * n_embd, n_embd)
        self.dropout = Dropout(dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class CausalSelfAttention(Module):
    """Multi-head self-attention in which position t sees positions 0..t only (module 12's
    scaled_dot_product_attention with is_causal=True); queries, keys and values from one Linear(E, 3E)."""

    def __init__(self, n_embd, n_head, dropout=0.0):
        super().__init__()
        if n_embd % n_head:
            raise ValueError(f"CausalSelfAttention: n_embd={n_embd} must be divisible by n_head={n_head}")
        self.n_embd, self.n_head, self.dropout_p = n_embd, n_head, dropout
        self.c_attn = Linear(n_embd, 3 * n_embd)
        self.c_proj = Linear(n_embd, n_embd)
        self.dropout = Dropout(dropout)

    def _heads(self, x):
        """Queries, keys and values, each (B, n_head, T, head_size), from x of shape (B, T, E)."""
        B, T, E = x.shape
        qkv = self.c_attn(x).reshape(B, T, 3, self.n_head, E // self.n_head).permute(2, 0, 3, 1, 4)
        return qkv[0], qkv[1], qkv[2]

    def forward(self, x):
        B, T, E = x.shape
        q, k, v = self._heads(x)
        y = scaled_dot_product_attention(q, k, v, dropout_p=self.dropout_p if self.training else 0.0,
                                         is_causal=True)
        return self.dropout(self.c_proj(y.transpose(1, 2).reshape(B, T, E)))

    def attention_weights(self, x):
        """The attention probabilities (B, n_head, T, T) this layer uses on x, for plots (no graph)."""
        with no_grad():
            q, k, _ = self._heads(x)
            T = x.shape[1]
            scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
            future = np.triu(np.ones((T, T), dtype=bool), k=1)
            scores = Tensor(np.where(future, -np.inf, scores.data), dtype=scores.dtype)
            return Softmax(dim=-1)(scores)


class TransformerBlock(Module):
    """A pre-norm transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x))."""

    def __init__(self, n_embd, n_head, dropout=0.0):
        super().__init__()
        self.ln_1 = LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, dropout)
        self.ln_2 = LayerNorm(n_embd)
        self.mlp = MLP(n_embd, dropout)

    def forward(self, x):
        # HINT 1: A GPT-2 block is two residual steps: attention, then the MLP. Each sub-layer reads a
        # HINT 1: layer-normalised copy of what came in (pre-norm), and its output is added to the residual
        # HINT 1: stream; the stream itself is never normalised in place.
        # HINT 2: `self.ln_1`, `self.attn`, `self.ln_2`, `self.mlp` are the sub-layers; each step adds the
        # HINT 2: sub-layer's output to `x` with `+`. Return `x`.
        ### BEGIN SOLUTION
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x
        ### END SOLUTION


# %% [markdown]
# ### Check Part 2

# %%
from tinytorch.checks.transformers import check_transformer_block

check_transformer_block(TransformerBlock)

# %% [markdown]
# ## Part 3 · GPT
#
# The whole model:
#
# ```text
#   idx (B, T) int64 ──► wte (token embedding) ─┐
#   positions 0..T-1 ──► wpe (position emb.)  ──┴─► + ─► dropout ─► block × n_layer ─► ln_f ─► lm_head ─► logits (B, T, V)
# ```
#
# * `wte` is an `Embedding(vocab_size, n_embd)`, `wpe` an `Embedding(block_size, n_embd)` over the
#   positions `0, 1, ..., T-1` (`arange(T)`): attention by itself does not know the order of its inputs,
#   the position embedding tells it.
# * `block_size` is the longest context the model was built for: `wpe` has no row for position
#   `block_size`, so a longer input is an error (naming both numbers), not a silent truncation.
# * `lm_head` is `Linear(n_embd, vocab_size, bias=False)`: one score (logit) per vocabulary entry, at every
#   position. Position `t`'s logits predict token `t + 1`, so one forward pass trains on all `T`
#   predictions of a sequence at once, and the causal mask makes sure none of them can peek at its answer.
#
# The initialisation is GPT-2's: normal with standard deviation 0.02 for weights and embeddings, zero
# biases, and the two projections that write into the residual stream (`c_proj`) scaled down by
# `sqrt(2 * n_layer)`, so the stream's variance does not grow with depth. `GPT` is this course's own model
# (PyTorch has no GPT class); it lives at `tinytorch.GPT`.

# %%
#| export
class GPT(Module):
    """A decoder-only transformer language model: token ids (B, T) -> next-token logits (B, T, vocab_size)."""

    def __init__(self, vocab_size, block_size, n_layer, n_head, n_embd, dropout=0.0):
        super().__init__()
        for name, value in [("vocab_size", vocab_size), ("block_size", block_size), ("n_layer", n_layer),
                            ("n_head", n_head), ("n_embd", n_embd)]:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"GPT: {name} must be a positive int, got {value!r}")
        if n_embd % n_head:
            raise ValueError(f"GPT: n_embd={n_embd} must be divisible by n_head={n_head}")
        self.vocab_size, self.block_size = vocab_size, block_size
        self.wte = Embedding(vocab_size, n_embd)
        self.wpe = Embedding(block_size, n_embd)
        self.drop = Dropout(dropout)
        self.h = ModuleList([TransformerBlock(n_embd, n_head, dropout) for _ in range(n_layer)])
        self.ln_f = LayerNorm(n_embd)
        self.lm_head = Linear(n_embd, vocab_size, bias=False)
        self._init_weights(n_layer)

    def _init_weights(self, n_layer):
        rng = default_generator()
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                p.data[...] = 0
            elif name.startswith("ln") or ".ln_" in name:
                continue  # LayerNorm: weight ones, bias zeros
            else:
                std = 0.02 / math.sqrt(2 * n_layer) if name.endswith("c_proj.weight") else 0.02
                p.data[...] = rng.normal(0.0, std, p.shape)

    def forward(self, idx):
        if not isinstance(idx, Tensor) or idx.ndim != 2 or idx.dtype.kind not in "iu":
            raise TypeError(f"GPT expects token ids as an integer Tensor of shape (B, T), got "
                            f"{getattr(idx, 'dtype', type(idx).__name__)} of shape {getattr(idx, 'shape', None)}")
        B, T = idx.shape
        if T > self.block_size:
            raise ValueError(f"GPT: a sequence of length {T} is longer than block_size={self.block_size}")
        # HINT 1: The model: embed the tokens, add an embedding of each position, apply dropout, run the blocks
        # HINT 1: in order, normalise once more and map each position to logits over the vocabulary.
        # HINT 2: `self.wte(idx)` for the tokens; `self.wpe` of the positions 0 .. T − 1 (`arange(T)`, int64);
        # HINT 2: `self.drop`; loop over `self.h`; then `self.ln_f` and `self.lm_head`.
        ### BEGIN SOLUTION
        x = self.drop(self.wte(idx) + self.wpe(arange(T)))
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))
        ### END SOLUTION

    def extra_repr(self):
        return f"vocab_size={self.vocab_size}, block_size={self.block_size}"


# %% [markdown]
# ### Check Part 3
# Shapes, causality (changing a later token never changes an earlier position's logits), that positions
# matter, the `block_size` error, and that a loss reaches every parameter.

# %%
from tinytorch.checks.transformers import check_gpt

check_gpt(GPT)

# %% [markdown]
# ## Part 4 · Generating text: temperature and top-k
#
# To generate, run the model on the context, take the logits of the **last** position, turn them into
# probabilities, draw the next token, append it, and repeat. Two knobs shape the draw:
#
# * **temperature** `τ` divides the logits before the softmax: `τ < 1` sharpens the distribution towards
#   the most likely tokens, `τ > 1` flattens it; as `τ → 0` sampling becomes greedy.
# * **top-k** keeps only the `k` highest logits (the rest get probability 0) so a long tail of unlikely
#   tokens cannot derail the text. `top_k=1` is greedy decoding: always the most likely token.
#
# The draw uses tinytorch's generator, so `tinytorch.manual_seed(s)` makes generation repeatable.
# `generate` feeds at most the last `block_size` tokens back in, and recomputes the whole context at every
# step: module 18 (Memoization) removes that repeated work with a KV cache.
#
# You write `sample_next`: from logits `(B, V)` to one token id per row.

# %%
#| export
def sample_next(logits, temperature=1.0, top_k=None):
    """One token id per row of `logits` (B, V), drawn from softmax(logits / temperature) restricted to the
    top_k highest logits; returns an int64 numpy array of shape (B,)."""
    logits = np.asarray(getattr(logits, "data", logits), dtype=np.float64)
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top_k must be a positive int or None, got {top_k!r}")
    # HINT 1: Sampling: divide the logits by the temperature (below 1 sharpens, above 1 flattens). With top_k,
    # HINT 1: every logit below the k-th largest of its row gets probability 0. Turn each row into probabilities
    # HINT 1: with a softmax that cannot overflow, then draw one index per row: the first index where the
    # HINT 1: cumulative probability passes a uniform random number.
    # HINT 2: Tools: `np.sort` or `np.partition` along the last axis (a row's k-th largest), `np.where` and
    # HINT 2: `-np.inf`; `max`, `sum` with `keepdims=True` and `np.exp` for the softmax; one number per row from
    # HINT 2: `default_generator().random(...)` and the rows' `.cumsum(axis=-1)` for the draw (rounding can leave
    # HINT 2: a cumulative sum just below 1: keep the index in range). The result: int64, shape (B,).
    ### BEGIN SOLUTION
    scaled = logits / temperature
    if top_k is not None and top_k < scaled.shape[-1]:
        kth = np.sort(scaled, axis=-1)[:, -top_k][:, None]
        scaled = np.where(scaled < kth, -np.inf, scaled)
    shifted = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    probabilities = shifted / shifted.sum(axis=-1, keepdims=True)
    uniform = default_generator().random((len(probabilities), 1))
    chosen = (probabilities.cumsum(axis=-1) < uniform).sum(axis=-1)
    return np.minimum(chosen, probabilities.shape[-1] - 1).astype(np.int64)
    ### END SOLUTION


@patch_to(GPT)
def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
    """Extend the ids idx (B, T) by max_new_tokens sampled tokens; returns an int64 Tensor (B, T + new)."""
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be a non-negative int, got {max_new_tokens!r}")
    ids = np.asarray(getattr(idx, "data", idx))
    if ids.ndim != 2 or ids.dtype.kind not in "iu":
        raise TypeError(f"generate expects token ids as integers of shape (B, T), got {ids.dtype} {ids.shape}")
    ids = ids.astype(np.int64)
    was_training = self.training
    self.eval()
    try:
        with no_grad():
            for _ in range(max_new_tokens):
                context = Tensor(ids[:, -self.block_size:], dtype=np.int64)
                logits = self(context).data[:, -1, :]
                ids = np.concatenate([ids, sample_next(logits, temperature, top_k)[:, None]], axis=1)
    finally:
        self.train(was_training)
    return Tensor(ids, dtype=np.int64)

# %% [markdown]
# ### Check Part 4

# %%
from tinytorch.checks.transformers import check_sampling

check_sampling(sample_next)

# %% [markdown]
# ## Use it · a tiny GPT learns a text
#
# Train a GPT of two layers on a short text, character by character, with the loop from module 08:
# AdamW, a cosine schedule, gradient clipping. The text is small and the model tiny so that it trains in
# seconds in the browser; the 2017 milestone trains a bigger one on TinyTalks. Watch the loss fall from
# about `ln(vocab_size)` (a uniform guess) and the samples turn from noise into the text's words.

# %%
import time

import tinytorch
from tinytorch import nn, optim
from tinytorch.nn import functional as F

text = ("the model reads the past and predicts the next character. "
        "attention lets every position look back at the positions before it. "
        "layer norm keeps the numbers in range and the residual path keeps the gradient alive. ") * 4
characters = sorted(set(text))
to_id = {c: i for i, c in enumerate(characters)}
data = np.array([to_id[c] for c in text], dtype=np.int64)
decode = lambda ids: "".join(characters[i] for i in ids)  # noqa: E731 (a one-line helper for the prints)

tinytorch.manual_seed(13)
block_size, batch_size = 32, 16
model = GPT(vocab_size=len(characters), block_size=block_size, n_layer=2, n_head=2, n_embd=32)
optimizer = optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
steps = 300
schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
rng = np.random.default_rng(13)


def batch():
    """batch_size random windows of the text: inputs and the same windows shifted by one (the targets)."""
    starts = rng.integers(0, len(data) - block_size - 1, size=batch_size)
    windows = np.stack([data[s:s + block_size + 1] for s in starts])
    return Tensor(windows[:, :-1], dtype=np.int64), Tensor(windows[:, 1:], dtype=np.int64)


print(f"vocabulary: {len(characters)} characters | parameters: {sum(p.numel() for p in model.parameters()):,} "
      f"| uniform-guess loss ln({len(characters)}) = {math.log(len(characters)):.2f}")
start = time.perf_counter()
for step in range(steps + 1):
    x, y = batch()
    logits = model(x)
    loss = F.cross_entropy(logits.reshape(-1, len(characters)), y.reshape(-1))
    if step % 100 == 0:
        print(f"step {step:>3}  loss {loss.item():.3f}  ({time.perf_counter() - start:.1f} s)")
    if step == steps:
        break
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    schedule.step()
print(f"training: {time.perf_counter() - start:.1f} s for {steps} steps")

prompt = Tensor(np.array([[to_id[c] for c in "attention lets "]]), dtype=np.int64)
tinytorch.manual_seed(0)
print("greedy (top_k=1):   ", repr(decode(model.generate(prompt, 60, top_k=1).data[0])))
print("sampled (τ=0.8, k=5):", repr(decode(model.generate(prompt, 60, temperature=0.8, top_k=5).data[0])))
print(model)

# %% [markdown]
# ## Systems analysis · measured
#
# ### 1. Where the parameters are
# Per block: attention has `4E² + 4E` (the `3E`-wide input projection and the output projection), the MLP
# `8E² + 5E`, the two LayerNorms `4E`: about **12E²** per layer. The embeddings add `V·E + T_max·E`, the
# head `V·E`. Predict the split for a GPT-2-small-like shape (V=50257, T=1024, 12 layers, E=768) from the
# formula, and check the formula on a model we can build.

# %%
def parameter_split(model):
    """Parameters by component: token/position embeddings, attention, MLP, LayerNorms, head."""
    groups = {"embeddings": 0, "attention": 0, "mlp": 0, "layer norms": 0, "head": 0}
    for name, p in model.named_parameters():
        key = ("embeddings" if name.startswith(("wte", "wpe")) else "attention" if ".attn." in name
               else "mlp" if ".mlp." in name else "head" if name.startswith("lm_head") else "layer norms")
        groups[key] += p.numel()
    return groups


def formula_split(V, T, L, E):
    return {"embeddings": V * E + T * E, "attention": L * (4 * E * E + 4 * E), "mlp": L * (8 * E * E + 5 * E),
            "layer norms": L * 4 * E + 2 * E, "head": V * E}


V, T, L, E = 65, 64, 4, 64
measured, predicted = parameter_split(GPT(V, T, L, 4, E)), formula_split(V, T, L, E)
print(f"{'component':<12} {'measured':>10} {'formula':>10}")
for key in measured:
    print(f"{key:<12} {measured[key]:>10,} {predicted[key]:>10,}")
gpt2 = formula_split(50257, 1024, 12, 768)
total = sum(gpt2.values())
print("\nGPT-2-small shape by the formula: " + ", ".join(f"{k} {v / total:.0%}" for k, v in gpt2.items())
      + f" of {total / 1e6:.0f} M (its real head shares the token embedding's weights: {(total - gpt2['head']) / 1e6:.0f} M)")

# %% [markdown]
# ### 2. Activation memory per layer, and with sequence length
# Training keeps every intermediate result until `backward()` (module 06). Count the bytes of the arrays
# the graph of one forward pass holds, for 1, 2 and 4 layers (memory should grow linearly with depth) and
# for growing `T` at fixed depth: the attention scores `(B, H, T, T)` make part of it grow as `T²`.

# %%
from tinytorch.core.autograd import graph_footprint  # module 06: the memory a graph keeps alive


def training_graph_bytes(n_layer, T, B=8, E=64, n_head=4, V=65):
    model = GPT(V, 256, n_layer, n_head, E)
    ids = Tensor(np.random.default_rng(0).integers(0, V, (B, T)), dtype=np.int64)
    weights = sum(p.data.nbytes for p in model.parameters())
    return graph_footprint(model(ids).sum())[1] - weights  # activations only: the weights are counted apart


print(f"{'layers':>6} {'T':>5} {'activations (MB)':>17} {'per layer (MB)':>15}")
for n_layer in (1, 2, 4):
    kept = training_graph_bytes(n_layer, 64)
    print(f"{n_layer:>6} {64:>5} {kept / 1e6:>17.2f} {kept / n_layer / 1e6:>15.2f}")
for T in (32, 64, 128):
    kept = training_graph_bytes(2, T)
    print(f"{2:>6} {T:>5} {kept / 1e6:>17.2f} {kept / 2 / 1e6:>15.2f}")

# %% [markdown]
# Depth adds the same amount per layer; doubling `T` at least doubles it, and a little more, because the
# `(B, H, T, T)` scores and their softmax grow four-fold. At `T = 128`, `B = 8`, 4 heads, one layer's scores
# are `8·4·128·128·4 B = 2.1 MB` per copy; at GPT-2's `T = 1024`, 12 heads and a batch of 8, 400 MB per layer.
#
# ### 3. Time per step and the size of a KV cache
# Time a training step at growing `T`. Then the memory module 18 will trade for speed: during generation a
# KV cache keeps every layer's keys and values, `2 · n_layer · B · T · E` numbers.

# %%
from tinytorch.timing import time_per_call

step_model = GPT(65, 256, 2, 4, 64)
step_optimizer = optim.AdamW(step_model.parameters(), lr=1e-3)
print(f"{'T':>5} {'train step (ms)':>16} {'ms per token':>13}")
for T in (16, 32, 64):
    ids = Tensor(np.random.default_rng(1).integers(0, 65, (8, T + 1)), dtype=np.int64)

    def train_step():
        step_optimizer.zero_grad()
        logits = step_model(ids[:, :-1])
        F.cross_entropy(logits.reshape(-1, 65), ids[:, 1:].reshape(-1)).backward()
        step_optimizer.step()

    seconds = time_per_call(train_step, repeat=2)
    print(f"{T:>5} {seconds * 1e3:>16.1f} {seconds * 1e3 / (8 * T):>13.3f}")

for name, (n_layer, E, T) in {"this notebook's model": (2, 32, 32), "GPT-2 small": (12, 768, 1024)}.items():
    print(f"KV cache of {name}, batch 1, full context: {2 * n_layer * T * E * 4 / 1e6:.2f} MB (float32)")

# %% [markdown]
# ## Reflect
#
# Answer with a number first, then check it in a new cell.
#
# 1. How many parameters does `GPT(vocab_size=100, block_size=64, n_layer=3, n_head=4, n_embd=48)` have?
#    Use the formula from the analysis, then `sum(p.numel() for p in model.parameters())`.
# 2. `layer_norm` of the vector `[1, 2, 3, 4]` (no weight or bias): predict the four numbers, then run it.
#    What does a constant vector `[5, 5, 5, 5]` give, and why does `eps` matter there?
# 3. Remove the residual (`x = self.attn(self.ln_1(x))`) in a copy of the block and train the Use-it model
#    for the same steps. Predict whether the final loss is higher or lower, then measure it.
# 4. With logits `[2.0, 1.0, 0.0]`, what are the sampling probabilities at temperature 1, 0.5 and 2? Compute
#    them, then check with many `sample_next` draws.
# 5. From the activation table, predict the activation memory of a 6-layer model at `T = 128`, then
#    measure it with `training_graph_bytes(6, 128)`.
#
# **Next:** the 2017 Transformer milestone trains a GPT on TinyTalks and talks back; then 14 Profiling
# measures where this model spends its time.
