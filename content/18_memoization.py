# %% [markdown]
# # Module 18 · Memoization: a KV cache for generation
#
# Module 13's `generate` is wasteful. To produce token `n + 1` it runs the whole GPT on all `n` tokens of
# the context, although the keys and values of the first `n - 1` positions are exactly what the previous
# step computed. Causal attention guarantees it: position `t` only looks at positions `0..t`, so nothing a
# later token does can change what an earlier position computed. **Memoization** keeps a result instead of
# recomputing it. Here the results worth keeping are each layer's **keys and values**: with a **KV cache**
# a new token costs one position's work against the stored past, not a rerun of the whole context.
# Every production language model generates this way; the price is memory, and this module measures both.
#
# ```text
# Connection map
#   Prerequisites : 12 Attention (scaled dot-product attention, masks)
#                   13 Transformers (CausalSelfAttention, TransformerBlock, GPT, generate, sample_next)
#                   14 Profiling (timing a call, counting work)
#   Focus (18)    : KVCache (per-layer keys and values, append, length, bytes), attention of new queries
#                   against the cache, a cached GPT forward from a start position, generate(use_cache=True),
#                   what happens at block_size
#   Unlocks       : 19 Benchmarking (is the speed-up real?), 20 Capstone (an optimised generator)
# ```
#
# ## Learning objectives
# By the end you will be able to
# 1. store each layer's keys and values in a preallocated `KVCache` and say how many bytes it takes:
#    `2 · n_layer · B · T · n_embd · 4` in float32;
# 2. attend `L` new queries to `S` cached keys with a causal mask aligned at the **bottom right** (the
#    new query at absolute position `p` sees keys `0..p`, itself included);
# 3. run the GPT from a start position: new tokens get the position embeddings `start, start + 1, ...`;
# 4. write `generate(..., use_cache=True)` that gives **the same tokens** as recomputing, greedy or
#    sampled with the same seed, also past `block_size`;
# 5. **measure**: time per generated token against position with and without the cache, total work
#    `1 + 2 + ... + n` positions against `n`, and the cache's bytes for this model and a GPT-2-small shape.

# %% [markdown]
# ## Part 1 · The cache: per-layer keys and values
#
# In every layer, attention turns each position's vector into a query, a key and a value (module 13's
# `CausalSelfAttention._heads`, each `(B, n_head, T, head_size)`). A new token needs its own query, but
# the keys and values of **all** positions so far. The cache keeps, for every layer, a key buffer and a
# value buffer of shape `(B, n_head, max_length, head_size)`, and how many positions of it are filled.
#
# * **Preallocated**: the buffers are made once, at the longest length they can need (`block_size`), and
#   new positions are written into the next free slots. Growing an array by concatenation would copy the
#   whole cache at every token; writing into a slot copies only the new position.
# * **Per layer**: each layer has its own keys and values (they come from that layer's input), so
#   `append(layer, key, value)` names the layer, and each layer counts its own filled length. The cache's
#   `length` is the number of positions every layer holds: the position the next token will take.
# * **Bytes**: two buffers per layer, `B · n_head · max_length · head_size = B · max_length · n_embd`
#   numbers each, so `2 · n_layer · B · max_length · n_embd · 4` bytes in float32. Nothing else grows.
#
# `KVCache` is given except `append`, which you write: store the new keys and values after the ones the
# layer already holds, advance that layer's length, and return the layer's keys and values **so far**
# (old and new), which is what the new queries attend to.

# %%
#| export
#| default_exp core.memoization
import numbers

import numpy as np

from tinytorch.autograd.grad_mode import no_grad
from tinytorch.core.attention import scaled_dot_product_attention
from tinytorch.core.tensor import Tensor, arange
from tinytorch.core.transformers import GPT, CausalSelfAttention, TransformerBlock, sample_next
from tinytorch.core.transformers import generate as _generate_recomputing  # module 13's loop, kept as is
from tinytorch.patching import patch_to

__all__ = ["KVCache", "kv_cache_nbytes"]


def kv_cache_nbytes(n_layer, batch_size, length, n_embd, itemsize=4):
    """Bytes of the keys and values of `length` positions in every layer: 2 · n_layer · B · T · n_embd · itemsize."""
    return 2 * n_layer * batch_size * length * n_embd * itemsize


class KVCache:
    """The keys and values every layer of a GPT has computed for the positions processed so far.

    keys[layer] and values[layer] are preallocated (batch_size, n_head, max_length, head_size) arrays; lengths[layer]
    counts the filled positions of that layer. Inference only: it stores numbers, never autograd graphs.
    PyTorch has no such class; Hugging Face transformers calls its equivalent a StaticCache."""

    def __init__(self, n_layer, batch_size, n_head, head_size, max_length, dtype=np.float32):
        for name, value in [("n_layer", n_layer), ("batch_size", batch_size), ("n_head", n_head),
                            ("head_size", head_size), ("max_length", max_length)]:
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"KVCache: {name} must be a positive int, got {value!r}")
        shape = (batch_size, n_head, max_length, head_size)
        self.keys = [np.zeros(shape, dtype=dtype) for _ in range(n_layer)]
        self.values = [np.zeros(shape, dtype=dtype) for _ in range(n_layer)]
        self.lengths = [0] * n_layer
        self.max_length = max_length

    @classmethod
    def for_model(cls, model, batch_size):
        """An empty cache shaped for `model` (a GPT): one layer per block, max_length = model.block_size."""
        attention = model.h[0].attn
        return cls(len(model.h), batch_size, attention.n_head, attention.n_embd // attention.n_head,
                   model.block_size, dtype=model.wte.weight.dtype)

    @property
    def n_layer(self):
        return len(self.keys)

    @property
    def length(self):
        """The number of positions every layer holds: the position the next token takes."""
        return min(self.lengths)

    @property
    def nbytes(self):
        """Bytes allocated for the keys and values of every layer (the whole max_length, filled or not)."""
        return sum(buffer.nbytes for buffer in self.keys + self.values)

    def reset(self):
        """Forget every position (the buffers stay allocated)."""
        self.lengths = [0] * self.n_layer

    def crop(self, length):
        """Keep only the first `length` positions of every layer."""
        self.lengths = [min(filled, length) for filled in self.lengths]

    def append(self, layer, key, value):
        """Store key and value (B, n_head, T_new, head_size) of `layer` after its filled positions; return that
        layer's keys and values so far, Tensors of shape (B, n_head, length + T_new, head_size)."""
        if isinstance(layer, bool) or not isinstance(layer, numbers.Integral) or not 0 <= layer < self.n_layer:
            raise IndexError(f"KVCache.append: layer {layer!r} is out of range for a cache of {self.n_layer} layers")
        key, value = getattr(key, "data", key), getattr(value, "data", value)
        B, H, _, D = self.keys[layer].shape
        if key.shape != value.shape or key.ndim != 4 or key.shape[:2] != (B, H) or key.shape[3] != D:
            raise ValueError(f"KVCache.append: key {key.shape} and value {value.shape} must both be "
                             f"({B}, {H}, T_new, {D}) for this cache")
        if self.lengths[layer] + key.shape[2] > self.max_length:
            raise ValueError(f"KVCache.append: layer {layer} holds {self.lengths[layer]} positions; {key.shape[2]} "
                             f"more would exceed max_length={self.max_length}")
        # HINT 1: The layer's filled positions are 0 .. lengths[layer] - 1; the new ones go right after them,
        # HINT 1: in both the key and the value buffer (the third axis is the position). Then that layer holds more
        # HINT 1: positions, and what attention needs back is everything it holds now, old and new, not just the new.
        # HINT 2: Slice assignment into `self.keys[layer][:, :, a:b]` (and the same in `self.values`) with `key`
        # HINT 2: and `value` (numpy arrays here); update `self.lengths[layer]`; return two Tensors built from the
        # HINT 2: buffers sliced up to the new length along axis 2.
        ### BEGIN SOLUTION
        start, stop = self.lengths[layer], self.lengths[layer] + key.shape[2]
        self.keys[layer][:, :, start:stop] = key
        self.values[layer][:, :, start:stop] = value
        self.lengths[layer] = stop
        return Tensor(self.keys[layer][:, :, :stop]), Tensor(self.values[layer][:, :, :stop])
        ### END SOLUTION

    def __repr__(self):
        B, H, T, D = self.keys[0].shape
        return (f"KVCache(n_layer={self.n_layer}, batch_size={B}, n_head={H}, head_size={D}, max_length={T}, "
                f"length={self.length}, nbytes={self.nbytes})")


# %% [markdown]
# ### Check Part 1
# Appends to two layers in chunks of 3, 1 and 2 positions, the returned keys and values against
# everything appended so far, `length` and `nbytes`, and the overflow error.

# %%
from tinytorch.checks.memoization import check_kv_cache

check_kv_cache(KVCache)

# %% [markdown]
# ## Part 2 · Attention of new queries against the cache
#
# With the cache, a layer receives only the **new** positions, `x` of shape `(B, L, E)` (`L = 1` when
# generating, `L` = the prompt length for the first call, the *prefill*). It computes their queries,
# keys and values, appends the keys and values to the cache, and attends the `L` queries to all
# `S = start + L` keys the layer now holds, where `start` is how many positions the layer held before.
#
# The mask is where the course's earlier code would mislead. Module 12's `is_causal=True` is PyTorch's:
# `causal_mask(L, S)` is aligned at the **top left** (query `i` sees keys `0..i`), right when queries and
# keys are the same positions. Here new query `i` is the absolute position `start + i`, so it must see keys
# `0..start + i`: the mask is aligned at the **bottom right**. With `is_causal=True` the single new query
# (`L = 1`) would see key 0 only, and the model would forget everything but the first token.
#
# ```text
#   start = 3, L = 2 new queries, S = 5 keys      allowed (1) / masked (0)
#                        keys:  0 1 2 3 4
#   query 0 = position 3        1 1 1 1 0
#   query 1 = position 4        1 1 1 1 1
# ```
#
# Note that the new token attends to **itself**: its key and value must be in the cache before attention
# runs. You write `CausalSelfAttention.forward_cached`; `TransformerBlock.forward_cached` (the same
# residual block, passing the cache and the layer index down) is given.

# %%
#| export
@patch_to(CausalSelfAttention)
def forward_cached(self, x, cache, layer):
    """Attention for new positions x (B, L, E) that come after the `cache.lengths[layer]` positions the cache
    holds for this layer: appends their keys and values, and lets new position start + i attend to positions
    0 .. start + i. Returns (B, L, E), the rows forward() would give for these positions on the whole sequence."""
    B, L, E = x.shape
    q, k, v = self._heads(x)
    # HINT 1: Note how many positions the layer held before, append this step's keys and values, then attend the
    # HINT 1: new queries to everything the layer holds now. New query i is position start + i, so it may see the
    # HINT 1: keys 0 .. start + i, itself included: a causal mask aligned at the bottom right, not module 12's
    # HINT 1: is_causal (aligned at the top left, which lets a single new query see key 0 only).
    # HINT 2: `cache.lengths[layer]` before `cache.append(layer, k, v)`; a boolean (L, S) mask from `np.tril`
    # HINT 2: of ones with its diagonal offset `k=` chosen so row i allows columns up to start + i, as a bool
    # HINT 2: Tensor; pass it as `attn_mask` to `scaled_dot_product_attention`. Call the result `y`,
    # HINT 2: shape (B, n_head, L, head_size).
    ### BEGIN SOLUTION
    start = cache.lengths[layer]
    keys, values = cache.append(layer, k, v)
    allowed = np.tril(np.ones((L, start + L), dtype=np.bool_), k=start)
    y = scaled_dot_product_attention(q, keys, values, attn_mask=Tensor(allowed, dtype=np.bool_))
    ### END SOLUTION
    return self.dropout(self.c_proj(y.transpose(1, 2).reshape(B, L, E)))


@patch_to(TransformerBlock)
def forward_cached(self, x, cache, layer):
    """The block's forward for new positions x (B, L, E), its attention reading and extending the cache."""
    x = x + self.attn.forward_cached(self.ln_1(x), cache, layer)
    return x + self.mlp(self.ln_2(x))


# %% [markdown]
# ### Check Part 2
# A prefill of 3 positions, then chunks of 1 and 2, compared row by row with module 13's `forward` on the
# whole sequence; when they differ the check says which mistake matches (top-left mask, no mask, a query
# that cannot see itself).

# %%
from tinytorch.checks.memoization import check_cached_attention

check_cached_attention(CausalSelfAttention, KVCache)

# %% [markdown]
# ## Part 3 · The GPT from a start position
#
# `GPT.forward_cached(idx, cache)` takes only the new token ids `(B, L)`. Everything is as in module 13's
# forward except the positions: the new tokens are not at positions `0..L-1` but at
# `start, start + 1, ..., start + L - 1`, with `start = cache.length`, the number of positions already
# processed. Forgetting the offset puts every generated token at position 0; an off-by-one gives the
# model positions it never saw in training.
#
# The cached forward is **inference only**: it runs under `no_grad()` (a cache of plain numbers cannot
# carry a graph), and it refuses to run past `block_size`, since `wpe` has no row there.

# %%
#| export
@patch_to(GPT)
def forward_cached(self, idx, cache):
    """Logits (B, L, vocab_size) for the new token ids idx (B, L) at positions cache.length .. cache.length + L - 1,
    reading and extending `cache` (a KVCache with one layer per block). Inference only: runs under no_grad()."""
    if not isinstance(idx, Tensor) or idx.ndim != 2 or idx.dtype.kind not in "iu":
        raise TypeError(f"GPT.forward_cached expects token ids as an integer Tensor of shape (B, L), got "
                        f"{getattr(idx, 'dtype', type(idx).__name__)} of shape {getattr(idx, 'shape', None)}")
    if cache.n_layer != len(self.h):
        raise ValueError(f"GPT.forward_cached: the cache has {cache.n_layer} layers, the model {len(self.h)}")
    start, L = cache.length, idx.shape[1]
    if start + L > self.block_size:
        raise ValueError(f"GPT.forward_cached: {start} cached positions + {L} new ones exceed "
                         f"block_size={self.block_size}")
    with no_grad():
        # HINT 1: The same model as module 13's forward; only the positions change: the new tokens continue the
        # HINT 1: sequence the cache holds, so they sit at start, start + 1, ..., not at 0, 1, ... Each block is
        # HINT 1: told which layer of the cache is its own.
        # HINT 2: `arange` with a start and an end gives the int64 positions for `self.wpe`; `self.wte`,
        # HINT 2: `self.drop`; `enumerate(self.h)` gives each block its layer index for `block.forward_cached`;
        # HINT 2: then `self.ln_f` and `self.lm_head`. Return the logits.
        ### BEGIN SOLUTION
        x = self.drop(self.wte(idx) + self.wpe(arange(start, start + L)))
        for layer, block in enumerate(self.h):
            x = block.forward_cached(x, cache, layer)
        return self.lm_head(self.ln_f(x))
        ### END SOLUTION


# %% [markdown]
# ### Check Part 3
# The check watches which positions reach `wpe`, and compares the logits of a prefill and of single new
# tokens with module 13's forward on the whole sequence.

# %%
from tinytorch.checks.memoization import check_cached_gpt

check_cached_gpt(GPT, KVCache)

# %% [markdown]
# ## Part 4 · generate with the cache, and what happens at block_size
#
# The loop is module 13's with one change in what goes in: the first step feeds the whole prompt (the
# prefill, filling the cache), each later step feeds only the token just sampled. Sampling is unchanged
# (`sample_next`), so with the same seed the random draws are the same and the tokens are too.
#
# **At `block_size`.** Module 13 feeds back the last `block_size` tokens. Once the text is longer, that
# window slides by one at every step: every token in it moves to a new position, and its keys and values,
# which depend on its position embedding and on the tokens before it in the window, are no longer the
# ones in the cache. Dropping the oldest cache entry would keep stale numbers: the output would differ
# from `use_cache=False`. This course's rule is exactness, so when the cache is full the step **falls
# back to recomputing**: reset the cache and prefill the cropped window, just as module 13 does. Past
# `block_size` the cache then saves nothing; it pays off up to `block_size`, which for real models (1024
# to 128k tokens) is where nearly all generation happens. (Models with relative position schemes and
# "attention sinks" keep sliding caches, accepting outputs that differ from a recompute.)
#
# Each call makes a **fresh cache**: a cache left over from an earlier call holds another text.
#
# `use_cache` defaults to `False` here, so `generate` keeps module 13's behaviour wherever it was already
# called; Hugging Face's `generate` defaults to `True`. You write the loop.

# %%
#| export
@patch_to(GPT)
def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=False):
    """Extend the ids idx (B, T) by max_new_tokens sampled tokens; returns an int64 Tensor (B, T + new).

    use_cache=False (the default) recomputes the last block_size tokens at every step (module 13). use_cache=True
    keeps every layer's keys and values in a fresh KVCache, so each new token costs one position; it gives the same
    tokens (greedy, or sampled after the same tinytorch.manual_seed). When the text outgrows block_size the window
    slides and every position changes, so each such step recomputes the cropped window (exact, not faster)."""
    if not use_cache:
        return _generate_recomputing(self, idx, max_new_tokens, temperature, top_k)
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be a non-negative int, got {max_new_tokens!r}")
    ids = np.asarray(getattr(idx, "data", idx))
    if ids.ndim != 2 or ids.dtype.kind not in "iu" or ids.shape[1] == 0:
        raise TypeError(f"generate expects token ids as integers of shape (B, T) with T >= 1, got {ids.dtype} "
                        f"{ids.shape}")
    ids = ids.astype(np.int64)
    cache = KVCache.for_model(self, ids.shape[0])
    was_training = self.training
    self.eval()
    try:
        with no_grad():
            # HINT 1: As module 13's loop: logits of the last position, sample one token per row, append it. What
            # HINT 1: goes in changes: the first step, and any step where the cache already holds block_size
            # HINT 1: positions (the window slides), forgets the cache and feeds the last block_size ids; every
            # HINT 1: other step feeds only the newest id, which the cache continues.
            # HINT 2: `cache.reset()`, `cache.length`, `self.block_size`; the ids to feed as an int64 Tensor of shape
            # HINT 2: (B, L) to `self.forward_cached(..., cache)`; `.data[:, -1, :]` for the last position's logits;
            # HINT 2: `sample_next(logits, temperature, top_k)` and `np.concatenate` along axis 1 to grow `ids`.
            ### BEGIN SOLUTION
            for step in range(max_new_tokens):
                if step == 0 or cache.length == self.block_size:
                    cache.reset()
                    window = ids[:, -self.block_size:]
                else:
                    window = ids[:, -1:]
                logits = self.forward_cached(Tensor(window, dtype=np.int64), cache).data[:, -1, :]
                ids = np.concatenate([ids, sample_next(logits, temperature, top_k)[:, None]], axis=1)
            ### END SOLUTION
    finally:
        self.train(was_training)
    return Tensor(ids, dtype=np.int64)


# %% [markdown]
# ### Check Part 4
# Greedy, sampled and top-k generation with and without the cache, prompts shorter and longer than
# `block_size`, generation running past it, and two calls in a row.

# %%
from tinytorch.checks.memoization import check_generate

check_generate(GPT)

# %% [markdown]
# ## Use it · the TinyTalks GPT with and without the cache
#
# The 2017 milestone trained a GPT on TinyTalks; `tinytorch.datasets.load_tinytalks_gpt()` returns it
# with its character tokenizer. Generate the same answer twice, recomputing and with the cache, greedy
# and sampled from the same seed: the text must be identical, and the time is not.

# %%
import time

import tinytorch
from tinytorch.datasets import load_tinytalks_gpt

model, tokenizer = load_tinytalks_gpt()
print(f"the model: {len(model.h)} layers, n_embd {model.wte.weight.shape[1]}, block_size {model.block_size}, "
      f"{sum(p.numel() for p in model.parameters()):,} parameters")
prompt = Tensor(np.array([tokenizer.encode("Q: what is a cache?\nA:")], dtype=np.int64), dtype=np.int64)
new_tokens = 40
texts, seconds = {}, {}
for use_cache in (False, True):
    for mode, options in {"greedy": dict(top_k=1), "sampled": dict(temperature=0.8, top_k=10)}.items():
        tinytorch.manual_seed(18)
        start = time.perf_counter()
        out = model.generate(prompt, new_tokens, use_cache=use_cache, **options)
        seconds[use_cache, mode] = time.perf_counter() - start
        texts[use_cache, mode] = tokenizer.decode(out.data[0].tolist())
for mode in ("greedy", "sampled"):
    same = texts[False, mode] == texts[True, mode]
    print(f"{mode:>8}: identical text with and without the cache: {same}   "
          f"recompute {seconds[False, mode]:.2f} s, cache {seconds[True, mode]:.2f} s "
          f"({seconds[False, mode] / seconds[True, mode]:.1f}x)")
    print("          " + repr(texts[True, mode]))
assert all(texts[False, mode] == texts[True, mode] for mode in ("greedy", "sampled"))

# %% [markdown]
# ## Systems analysis · measured
#
# ### 1. Time per generated token against its position
# Without the cache, the token at position `p` costs a forward pass over `p + 1` positions; with it, one
# position attending to `p + 1` keys. Time one step of each at growing `p`: the first should grow about
# linearly with `p`, the second much more slowly (only its attention grows with `p`; the projections and
# the MLP work on one position whatever `p` is).

# %%
from tinytorch.timing import time_per_call

cell_start = time.perf_counter()
rng = np.random.default_rng(18)
ids = rng.integers(0, model.vocab_size, (1, model.block_size)).astype(np.int64)
cache = KVCache.for_model(model, 1)
print(f"{'position':>8} {'recompute (ms)':>15} {'cached step (ms)':>17} {'ratio':>6}")
step_times = {}
for p in (8, 16, 32, 63):
    recompute = time_per_call(lambda: model(Tensor(ids[:, :p + 1], dtype=np.int64)), repeat=2)
    cache.reset()
    model.forward_cached(Tensor(ids[:, :p], dtype=np.int64), cache)  # the cache holds positions 0 .. p - 1

    def cached_step():
        cache.crop(p)  # forget the step's own position, so every call appends position p again
        model.forward_cached(Tensor(ids[:, p:p + 1], dtype=np.int64), cache)

    cached = time_per_call(cached_step, repeat=2)
    step_times[p] = (recompute, cached)
    print(f"{p:>8} {recompute * 1e3:>15.2f} {cached * 1e3:>17.2f} {recompute / cached:>6.1f}")
print(f"(cell took {time.perf_counter() - cell_start:.1f} s)")

# %% [markdown]
# ### 2. Total work: `1 + 2 + ... + n` positions against `n`
# Generating `n` tokens after a one-token prompt, recomputation processes `1 + 2 + ... + n = n(n + 1)/2`
# token-positions, the cache `n`. Count them by watching how many positions reach the position embedding,
# and time the whole generation at a few `n`: the ratio of the counts is `(n + 1)/2`, and the measured
# speed-up should follow it, below it because the cached step still pays a fixed cost per call.

# %%
cell_start = time.perf_counter()
one = Tensor(np.array([[tokenizer.encode("Q")[0]]], dtype=np.int64), dtype=np.int64)
seen = []
original_wpe_forward = model.wpe.forward
model.wpe.forward = lambda input: seen.append(input.numel()) or original_wpe_forward(input)  # a spy on this model's wpe
try:
    print(f"{'n':>4} {'positions, recompute':>21} {'positions, cache':>17} {'n(n+1)/2':>9} "
          f"{'recompute (s)':>14} {'cache (s)':>10} {'speed-up':>9}")
    for n in (8, 16, 32, 60):
        counts, times = [], []
        for use_cache in (False, True):
            seen.clear()
            start = time.perf_counter()
            model.generate(one, n, top_k=1, use_cache=use_cache)
            times.append(time.perf_counter() - start)
            counts.append(sum(seen))
        print(f"{n:>4} {counts[0]:>21} {counts[1]:>17} {n * (n + 1) // 2:>9} {times[0]:>14.3f} {times[1]:>10.3f} "
              f"{times[0] / times[1]:>8.1f}x")
finally:
    del model.wpe.forward  # back to Embedding.forward
print(f"(cell took {time.perf_counter() - cell_start:.1f} s)")

# %% [markdown]
# The counts are exact: `n(n + 1)/2` against `n`. The time saved is smaller than the count ratio because a
# cached step is not `1/p` of a full forward: each call pays a fixed cost (Python, small matrix products,
# the per-layer bookkeeping) that does not shrink with the number of positions. For 60 tokens we measured
# a speed-up of about 1.4x under CPython and about 3x under Pyodide (Node, the browser's engine), where
# matrix products are slower and so recomputation hurts more; your numbers are printed above. The larger
# the model and the longer the text, the closer the speed-up gets to the count ratio
# (`benchmarks/kv_cache.py` measures a wider model).
#
# ### 3. What the cache costs: bytes per layer
# The price of the speed is memory, `2 · B · T · n_embd · 4` bytes per layer. Measure `nbytes` of a cache
# for this model, and of one layer of a GPT-2-small shape (12 layers, `n_embd = 768`, 12 heads,
# `block_size = 1024`), and compare with the weights.

# %%
def cache_report(name, n_layer, n_head, n_embd, block_size, batch_size=1, weights_bytes=None):
    one_layer = KVCache(1, batch_size, n_head, n_embd // n_head, block_size)
    per_layer = one_layer.nbytes
    assert per_layer == kv_cache_nbytes(1, batch_size, block_size, n_embd)  # the formula, measured
    line = (f"{name:<22} per layer {per_layer / 1e6:8.3f} MB, all {n_layer} layers {n_layer * per_layer / 1e6:8.2f} MB "
            f"(batch {batch_size}, {block_size} positions)")
    if weights_bytes:
        line += f"; weights {weights_bytes / 1e6:.2f} MB"
    print(line)


weights = sum(p.data.nbytes for p in model.parameters())
full = KVCache.for_model(model, 1)
print(f"KVCache.for_model(TinyTalks GPT, 1).nbytes = {full.nbytes:,} bytes = 2 · {len(model.h)} · 1 · "
      f"{model.block_size} · {model.wte.weight.shape[1]} · 4 = {kv_cache_nbytes(len(model.h), 1, model.block_size, 64):,}")
cache_report("TinyTalks GPT", len(model.h), model.h[0].attn.n_head, 64, model.block_size, weights_bytes=weights)
cache_report("GPT-2-small shape", 12, 12, 768, 1024, weights_bytes=124_439_808 * 4)
print(f"GPT-2-small shape, batch 16: {kv_cache_nbytes(12, 16, 1024, 768) / 1e9:.2f} GB of cache "
      "(more than the 0.50 GB of weights)")

# %% [markdown]
# For this model the cache (131 kB) is small next to its weights (0.85 MB); for a GPT-2-small shape one
# sequence of 1024 tokens needs 75 MB of cache, and a batch of 16 more memory than the weights: serving
# many long conversations is limited by cache memory, which is why the cache is often stored in 16 or
# 8 bits (module 15) and why newer models share keys and values between heads.
#
# ## Reflect
#
# Answer with a number first, then run the cell below to check.
#
# 1. How many token-positions does recomputation process to generate 100 tokens from a one-token prompt
#    (`block_size` large enough)? With the cache?
# 2. A model with `n_layer = 24`, `n_embd = 1024`, `block_size = 2048`: how many MB of float32 cache per
#    sequence? How many sequences fit in 4 GB?
# 3. Predict the first row of the bottom-right mask for `start = 2, L = 3`, then build it with `np.tril`.
# 4. The TinyTalks GPT has `block_size = 64`. A prompt of 30 tokens and 60 new tokens: how many steps can
#    continue the cache, and how many must recompute the window? Count with the spy on `wpe` from analysis 2.
# 5. From the table in analysis 1, predict the recompute time per token at position 127 of a model with
#    `block_size = 128` (linear growth), and the cached step.

# %%
print("1.", sum(range(1, 101)), "positions recomputing;", 100, "with the cache")
print("2.", kv_cache_nbytes(24, 1, 2048, 1024) / 1e6, "MB per sequence;", int(4e9 // kv_cache_nbytes(24, 1, 2048, 1024)),
      "sequences in 4 GB")
print("3.", np.tril(np.ones((3, 5), dtype=np.int64), k=2)[0], "(query 0 is position 2: keys 0, 1, 2)")
fed = []
model.wpe.forward = lambda input: fed.append(input.numel()) or original_wpe_forward(input)  # the spy of analysis 2
try:
    model.generate(Tensor(ids[:, :30], dtype=np.int64), 60, top_k=1, use_cache=True)
finally:
    del model.wpe.forward
recomputed = sum(1 for positions in fed if positions > 1)
print(f"4. {recomputed} of 60 steps fed the whole window (the prefill, then every step once 30 + 60 tokens passed "
      f"block_size 64), {60 - recomputed} continued the cache with one position")
slope = (step_times[63][0] - step_times[8][0]) / (63 - 8)
print(f"5. recompute at position 127 ≈ {(step_times[63][0] + slope * 64) * 1e3:.1f} ms by the line through the "
      f"table; cached step ≈ {step_times[63][1] * 1e3:.1f} ms")

# %% [markdown]
# **Next:** 19 Benchmarking asks when a speed-up like this one is real: repeated runs, warm-up and the
# noise between runs.
