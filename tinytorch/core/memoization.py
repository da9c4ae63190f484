"""Generated from content/18_memoization.py by scripts/build_content.py: edit the source, not this file."""
# From content/18_memoization.py, cell 2 (Part 1 · The cache: per-layer keys and values)
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
        start, stop = self.lengths[layer], self.lengths[layer] + key.shape[2]
        self.keys[layer][:, :, start:stop] = key
        self.values[layer][:, :, start:stop] = value
        self.lengths[layer] = stop
        return Tensor(self.keys[layer][:, :, :stop]), Tensor(self.values[layer][:, :, :stop])

    def __repr__(self):
        B, H, T, D = self.keys[0].shape
        return (f"KVCache(n_layer={self.n_layer}, batch_size={B}, n_head={H}, head_size={D}, max_length={T}, "
                f"length={self.length}, nbytes={self.nbytes})")


# From content/18_memoization.py, cell 6 (Part 2 · Attention of new queries against the cache)
@patch_to(CausalSelfAttention)
def forward_cached(self, x, cache, layer):
    """Attention for new positions x (B, L, E) that come after the `cache.lengths[layer]` positions the cache
    holds for this layer: appends their keys and values, and lets new position start + i attend to positions
    0 .. start + i. Returns (B, L, E), the rows forward() would give for these positions on the whole sequence."""
    B, L, E = x.shape
    q, k, v = self._heads(x)
    start = cache.lengths[layer]
    keys, values = cache.append(layer, k, v)
    allowed = np.tril(np.ones((L, start + L), dtype=np.bool_), k=start)
    y = scaled_dot_product_attention(q, keys, values, attn_mask=Tensor(allowed, dtype=np.bool_))
    return self.dropout(self.c_proj(y.transpose(1, 2).reshape(B, L, E)))


@patch_to(TransformerBlock)
def forward_cached(self, x, cache, layer):
    """The block's forward for new positions x (B, L, E), its attention reading and extending the cache."""
    x = x + self.attn.forward_cached(self.ln_1(x), cache, layer)
    return x + self.mlp(self.ln_2(x))


# From content/18_memoization.py, cell 10 (Part 3 · The GPT from a start position)
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
        x = self.drop(self.wte(idx) + self.wpe(arange(start, start + L)))
        for layer, block in enumerate(self.h):
            x = block.forward_cached(x, cache, layer)
        return self.lm_head(self.ln_f(x))


# From content/18_memoization.py, cell 14 (Part 4 · generate with the cache, and what happens at block_size)
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
            for step in range(max_new_tokens):
                if step == 0 or cache.length == self.block_size:
                    cache.reset()
                    window = ids[:, -self.block_size:]
                else:
                    window = ids[:, -1:]
                logits = self.forward_cached(Tensor(window, dtype=np.int64), cache).data[:, -1, :]
                ids = np.concatenate([ids, sample_next(logits, temperature, top_k)[:, None]], axis=1)
    finally:
        self.train(was_training)
    return Tensor(ids, dtype=np.int64)
