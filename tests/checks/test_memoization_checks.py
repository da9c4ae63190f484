"""Each module-18 check accepts the reference and rejects realistic wrong implementations (mutants)."""
import numpy as np

from tinytorch.autograd.grad_mode import no_grad
from tinytorch.checks import memoization as checks
from tinytorch.core import memoization as mem
from tinytorch.core.attention import scaled_dot_product_attention
from tinytorch.core.tensor import Tensor, arange
from tinytorch.core.transformers import GPT, CausalSelfAttention, sample_next

from mutants import make_mutant_tests


# Part 1 · KVCache.append
class AppendKeysNotValues(mem.KVCache):
    def append(self, layer, key, value):
        start, stop = self.lengths[layer], self.lengths[layer] + key.shape[2]
        self.keys[layer][:, :, start:stop] = key.data  # the values are never written
        self.lengths[layer] = stop
        return Tensor(self.keys[layer][:, :, :stop]), Tensor(self.values[layer][:, :, :stop])


class AppendReturnsOnlyTheNew(mem.KVCache):
    def append(self, layer, key, value):
        super().append(layer, key, value)
        return Tensor(key.data), Tensor(value.data)


class AppendWithoutAdvancing(mem.KVCache):
    def append(self, layer, key, value):
        size = key.shape[2]
        self.keys[layer][:, :, :size] = key.data  # always at slot 0
        self.values[layer][:, :, :size] = value.data
        self.lengths[layer] = max(self.lengths[layer], size)
        return Tensor(self.keys[layer][:, :, :self.lengths[layer]]), Tensor(self.values[layer][:, :, :self.lengths[layer]])


class AppendOneLengthForAllLayers(mem.KVCache):
    def append(self, layer, key, value):
        start, stop = self.lengths[0], self.lengths[0] + key.shape[2]  # layer 0's count used by every layer
        self.keys[layer][:, :, start:stop] = key.data
        self.values[layer][:, :, start:stop] = value.data
        self.lengths = [stop] * self.n_layer
        return Tensor(self.keys[layer][:, :, :stop]), Tensor(self.values[layer][:, :, :stop])


# Part 2 · attention against the cache
def _attention_with_mask(make_mask):
    class Attention(CausalSelfAttention):
        def forward_cached(self, x, cache, layer):
            B, L, E = x.shape
            q, k, v = self._heads(x)
            start = cache.lengths[layer]
            keys, values = cache.append(layer, k, v)
            mask = make_mask(L, start + L, start)
            if mask is None:
                y = scaled_dot_product_attention(q, keys, values)
            elif isinstance(mask, str):  # "is_causal"
                y = scaled_dot_product_attention(q, keys, values, is_causal=True)
            else:
                y = scaled_dot_product_attention(q, keys, values, attn_mask=Tensor(mask, dtype=np.bool_))
            return self.c_proj(y.transpose(1, 2).reshape(B, L, E))
    return Attention


AttentionIsCausalTopLeft = _attention_with_mask(lambda L, S, start: "is_causal")
AttentionIsCausalTopLeft.__name__ = "AttentionIsCausalTopLeft"
AttentionWithoutMask = _attention_with_mask(lambda L, S, start: None)
AttentionWithoutMask.__name__ = "AttentionWithoutMask"
AttentionWithoutItself = _attention_with_mask(lambda L, S, start: np.tril(np.ones((L, S), dtype=bool), k=start - 1))
AttentionWithoutItself.__name__ = "AttentionWithoutItself"


class AttentionToTheNewKeysOnly(CausalSelfAttention):
    """Appends to the cache but attends to this step's keys and values only."""

    def forward_cached(self, x, cache, layer):
        B, L, E = x.shape
        q, k, v = self._heads(x)
        cache.append(layer, k, v)
        y = scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).reshape(B, L, E))


# Part 3 · the GPT from a start position
def _gpt_with_positions(positions):
    class Model(GPT):
        def forward_cached(self, idx, cache):
            start, L = cache.length, idx.shape[1]
            with no_grad():
                x = self.drop(self.wte(idx) + self.wpe(positions(start, L)))
                for layer, block in enumerate(self.h):
                    x = block.forward_cached(x, cache, layer)
                return self.lm_head(self.ln_f(x))
    return Model


GPTEveryTokenAtPositionZero = _gpt_with_positions(lambda start, L: arange(L))
GPTEveryTokenAtPositionZero.__name__ = "GPTEveryTokenAtPositionZero"
GPTPositionsOffByOne = _gpt_with_positions(lambda start, L: arange(start + 1, start + L + 1))
GPTPositionsOffByOne.__name__ = "GPTPositionsOffByOne"


class GPTWithGradients(GPT):
    def forward_cached(self, idx, cache):
        start, L = cache.length, idx.shape[1]
        x = self.drop(self.wte(idx) + self.wpe(arange(start, start + L)))  # no no_grad(): records a graph
        for layer, block in enumerate(self.h):
            x = block.forward_cached(x, cache, layer)
        return self.lm_head(self.ln_f(x))


# Part 4 · generate
def _generate(self, idx, max_new_tokens, temperature, top_k, cache, step_input):
    ids = np.asarray(idx.data).astype(np.int64)
    self.eval()
    with no_grad():
        for step in range(max_new_tokens):
            window = step_input(self, ids, step, cache)
            logits = self.forward_cached(Tensor(window, dtype=np.int64), cache).data[:, -1, :]
            ids = np.concatenate([ids, sample_next(logits, temperature, top_k)[:, None]], axis=1)
    return Tensor(ids, dtype=np.int64)


class GPTCacheKeptBetweenCalls(GPT):
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=False):
        if not use_cache:
            return super().generate(idx, max_new_tokens, temperature, top_k)
        if getattr(self, "_kv", None) is None:
            self._kv = mem.KVCache.for_model(self, idx.shape[0])  # made once, never reset

        def step_input(model, ids, step, cache):
            if cache.length == model.block_size:
                cache.reset()
                return ids[:, -model.block_size:]
            return ids[:, -model.block_size:] if step == 0 else ids[:, -1:]
        return _generate(self, idx, max_new_tokens, temperature, top_k, self._kv, step_input)


class GPTNoFallbackAtBlockSize(GPT):
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=False):
        if not use_cache:
            return super().generate(idx, max_new_tokens, temperature, top_k)
        return _generate(self, idx, max_new_tokens, temperature, top_k, mem.KVCache.for_model(self, idx.shape[0]),
                         lambda model, ids, step, cache: ids[:, -model.block_size:] if step == 0 else ids[:, -1:])


class GPTDropsTheOldestEntry(GPT):
    """At block_size, shifts the cache by one position and keeps going: stale keys, different tokens."""

    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=False):
        if not use_cache:
            return super().generate(idx, max_new_tokens, temperature, top_k)

        def step_input(model, ids, step, cache):
            if step == 0:
                return ids[:, -model.block_size:]
            if cache.length == model.block_size:
                for buffers in (cache.keys, cache.values):
                    for layer, buffer in enumerate(buffers):
                        buffers[layer] = np.roll(buffer, -1, axis=2)
                cache.crop(model.block_size - 1)
            return ids[:, -1:]
        return _generate(self, idx, max_new_tokens, temperature, top_k, mem.KVCache.for_model(self, idx.shape[0]),
                         step_input)


class GPTFeedsTheWholeWindowEveryStep(GPT):
    """Correct tokens, but resets and recomputes the whole window at every step: no cache at all."""

    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=False):
        if not use_cache:
            return super().generate(idx, max_new_tokens, temperature, top_k)

        def step_input(model, ids, step, cache):
            cache.reset()
            return ids[:, -model.block_size:]
        return _generate(self, idx, max_new_tokens, temperature, top_k, mem.KVCache.for_model(self, idx.shape[0]),
                         step_input)


CASES = [
    (checks.check_kv_cache, mem.KVCache,
     [(AppendKeysNotValues, "values were not stored"), (AppendReturnsOnlyTheNew, "old and new"),
      (AppendWithoutAdvancing, "advance the layer's length"), (AppendOneLengthForAllLayers, "its own positions")]),
    (checks.check_cached_attention, (CausalSelfAttention, mem.KVCache),
     [((AttentionIsCausalTopLeft, mem.KVCache), "bottom right"), ((AttentionWithoutMask, mem.KVCache), "future"),
      ((AttentionWithoutItself, mem.KVCache), "cannot see itself"),
      ((AttentionToTheNewKeysOnly, mem.KVCache), "ignoring the 3 cached ones")]),
    (checks.check_cached_gpt, (GPT, mem.KVCache),
     [((GPTEveryTokenAtPositionZero, mem.KVCache), "position 0"), ((GPTPositionsOffByOne, mem.KVCache), "off by one"),
      ((GPTWithGradients, mem.KVCache), "no_grad")]),
    (checks.check_generate, GPT,
     [(GPTCacheKeptBetweenCalls, "fresh"), (GPTNoFallbackAtBlockSize, "block_size=8"),
      (GPTDropsTheOldestEntry, "past block_size=8"), (GPTFeedsTheWholeWindowEveryStep, "only the newest token")]),
]

test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
