"""Checks for module 18 (Memoization): the KV cache, cached attention, the cached GPT forward and generate."""
import numpy as np

from tinytorch.checks import assert_close, assert_raises, check, trying
from tinytorch.core.attention import scaled_dot_product_attention
from tinytorch.core.tensor import Tensor
from tinytorch.random import manual_seed


@check("Part 1 · KVCache.append")
def check_kv_cache(KVCache):
    rng = np.random.default_rng(0)
    B, H, D, T_max = 2, 2, 3, 8
    cache = KVCache(2, B, H, D, T_max)
    expected_bytes = 2 * 2 * B * T_max * H * D * 4
    assert cache.nbytes == expected_bytes, \
        f"KVCache(n_layer=2, B=2, n_head=2, head_size=3, max_length=8).nbytes should be 2·2·2·8·(2·3)·4 = " \
        f"{expected_bytes}, got {cache.nbytes}"
    appended = {0: ([], []), 1: ([], [])}
    for layer, size in [(0, 3), (1, 3), (0, 1), (0, 2), (1, 1)]:
        key = rng.standard_normal((B, H, size, D)).astype(np.float32)
        value = rng.standard_normal((B, H, size, D)).astype(np.float32)
        before = len(np.concatenate(appended[layer][0], axis=2)[0, 0]) if appended[layer][0] else 0
        case = f"append(layer={layer}, {size} new positions) to a layer holding {before}"
        with trying(case):
            keys, values = cache.append(layer, Tensor(key.copy()), Tensor(value.copy()))
        appended[layer][0].append(key)
        appended[layer][1].append(value)
        all_keys = np.concatenate(appended[layer][0], axis=2)
        all_values = np.concatenate(appended[layer][1], axis=2)
        for name, got in (("keys", keys), ("values", values)):
            assert isinstance(got, Tensor), f"{case}: append should return two Tensors, got {type(got).__name__}"
        if keys.shape == key.shape and before:
            raise AssertionError(f"{case}: returned only the {size} new positions; return all cached keys and values "
                                 f"of the layer, old and new ({before + size} positions): the new queries attend to all")
        if before and keys.shape[2] >= size and np.allclose(keys.data[:, :, :size], key) and \
                (keys.shape[2] < before + size or not np.allclose(keys.data[:, :, before:], key)):
            raise AssertionError(f"{case}: the new keys were written at position 0, over the old ones; write them after "
                                 f"the {before} filled positions and advance the layer's length")
        assert keys.shape == values.shape == all_keys.shape, \
            f"{case}: keys and values should have shape {all_keys.shape} (B, n_head, {before + size}, head_size), " \
            f"got {keys.shape} and {values.shape}"
        assert_close(keys, all_keys, f"{case}: the keys so far (old, then new)")
        if not np.allclose(values.data, all_values):
            if not np.any(values.data[:, :, before:]) or np.allclose(values.data, all_keys):
                raise AssertionError(f"{case}: the new values were not stored (only the keys were appended): "
                                     "write the values into the value buffer too")
            assert_close(values, all_values, f"{case}: the values so far (old, then new)")
        assert cache.lengths[layer] == before + size, \
            f"{case}: lengths[{layer}] should be {before + size}, got {cache.lengths[layer]}"
        other = 1 - layer
        held = sum(k.shape[2] for k in appended[other][0])
        assert cache.lengths[other] == held, \
            f"{case}: changed layer {other}'s length to {cache.lengths[other]} (it holds {held}); each layer counts " \
            "its own positions in lengths[layer]"
    assert cache.length == 4, f"after layer 0 got 6 positions and layer 1 got 4, cache.length should be 4, got {cache.length}"
    full = np.zeros((B, H, 3, D), dtype=np.float32)
    assert_raises(ValueError, lambda: cache.append(0, Tensor(full), Tensor(full)),
                  "append(layer=0, 3 positions) to a layer holding 6 of max_length 8", must_mention=["max_length=8"])
    cache.reset()
    assert cache.length == 0 and cache.lengths == [0, 0], f"after reset() every length should be 0, got {cache.lengths}"


def _expected_rows(attn, x, start, stop, allowed, first_key=0):
    """Rows start..stop-1 of attention over keys first_key..stop-1 with the boolean mask `allowed`."""
    q, k, v = attn._heads(x[:, :stop])
    y = scaled_dot_product_attention(q[:, :, start:stop], k[:, :, first_key:], v[:, :, first_key:],
                                     attn_mask=Tensor(allowed, dtype=np.bool_))
    B, L, E = x.shape[0], stop - start, x.shape[2]
    return attn.c_proj(y.transpose(1, 2).reshape(B, L, E)).data


@check("Part 2 · attention of new queries against the cache")
def check_cached_attention(CausalSelfAttention, KVCache):
    manual_seed(2)
    attn = CausalSelfAttention(16, 4)
    attn.eval()
    rng = np.random.default_rng(2)
    for p in attn.parameters():  # weights that make every key matter, so a wrong mask shows
        p.data[...] = rng.normal(0.0, 0.4, p.shape)
    x = Tensor(rng.standard_normal((2, 6, 16)).astype(np.float32))
    full = attn(x).data  # module 13's forward on the whole sequence
    cache = KVCache(1, 2, 4, 4, 8)
    for start, stop in [(0, 3), (3, 4), (4, 6)]:
        L = stop - start
        case = (f"a prefill of positions 0-2 into an empty cache" if start == 0 else
                f"{L} new position(s) {start}..{stop - 1} after {start} cached ones")
        with trying(case):
            out = attn.forward_cached(Tensor(x.data[:, start:stop].copy()), cache, 0)
        assert isinstance(out, Tensor) and out.shape == (2, L, 16), \
            f"{case}: forward_cached should return (B, L, E) = (2, {L}, 16), got {getattr(out, 'shape', type(out).__name__)}"
        if np.allclose(out.data, full[:, start:stop], rtol=1e-4, atol=1e-5):
            continue
        wrong = {
            "the causal mask is aligned at the top left (module 12's is_causal / causal_mask(L, S)): new query i is "
            f"position start + i and must see keys 0..start + i; align the mask at the bottom right (np.tril with k=start)":
                np.tril(np.ones((L, stop), dtype=bool)),
            "the new queries see later positions (no causal mask): in a prefill query i must not see keys after i "
            "(the future)": np.ones((L, stop), dtype=bool),
            "a new query cannot see itself: its own key and value are in the cache and position start + i must attend "
            "to keys 0..start + i, the new token itself included": np.tril(np.ones((L, stop), dtype=bool), k=start - 1),
        }
        for reason, allowed in wrong.items():
            if np.allclose(out.data, _expected_rows(attn, x, start, stop, allowed), rtol=1e-4, atol=1e-5):
                raise AssertionError(f"{case}: {reason}")
        if np.allclose(out.data, _expected_rows(attn, x, start, stop, np.tril(np.ones((L, L), dtype=bool)), start),
                       rtol=1e-4, atol=1e-5):
            raise AssertionError(f"{case}: the new queries attended only to the new positions' keys, ignoring the "
                                 f"{start} cached ones: attend to the keys and values cache.append returns")
        assert_close(out, full[:, start:stop], f"{case}: the rows module 13's forward gives these positions on the "
                     "whole sequence", rtol=1e-4, atol=1e-5)
    assert cache.lengths[0] == 6, f"after 6 positions the cache's layer 0 should hold 6, got {cache.lengths[0]}"


@check("Part 3 · GPT.forward_cached from a start position")
def check_cached_gpt(GPT, KVCache):
    from tinytorch.core.tensor import arange  # noqa: F401 (the learner's code uses it; here only to be explicit)

    manual_seed(3)
    model = GPT(vocab_size=13, block_size=10, n_layer=2, n_head=2, n_embd=16)
    model.eval()
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 13, (2, 7)).astype(np.int64)
    full = model(Tensor(ids, dtype=np.int64)).data
    seen = []
    embed = model.wpe.forward
    model.wpe.forward = lambda input: seen.append(np.asarray(input.data).reshape(-1).tolist()) or embed(input)
    try:
        cache = KVCache.for_model(model, 2)
        for start, stop in [(0, 4), (4, 5), (5, 7)]:
            case = (f"a prefill of 4 tokens" if start == 0 else
                    f"{stop - start} new token(s) after {start} cached positions")
            seen.clear()
            with trying(case):
                logits = model.forward_cached(Tensor(ids[:, start:stop], dtype=np.int64), cache)
            expected = list(range(start, stop))
            if seen and seen[0] != expected:
                got = seen[0]
                if got == [p + 1 for p in expected] or got == [p - 1 for p in expected]:
                    raise AssertionError(f"{case}: the positions are off by one: got {got}, expected {expected} "
                                         "(the first new token takes position cache.length)")
                raise AssertionError(f"{case}: the new tokens were embedded at positions {got}; they continue the "
                                     f"cached sequence, at positions {expected}. Without start = cache.length every "
                                     "new token lands at position 0")
            assert isinstance(logits, Tensor) and logits.shape == (2, stop - start, 13), \
                f"{case}: logits should have shape (2, {stop - start}, 13), got {getattr(logits, 'shape', None)}"
            assert not logits.requires_grad, f"{case}: forward_cached is inference only; its logits must not " \
                "require grad (it runs under no_grad())"
            assert_close(logits, full[:, start:stop], f"{case}: the logits module 13's forward gives these positions "
                         "on the whole sequence", rtol=1e-4, atol=1e-5)
    finally:
        del model.wpe.forward
    assert cache.length == 7, f"after 7 tokens cache.length should be 7, got {cache.length}"
    more = Tensor(np.zeros((2, 4), dtype=np.int64), dtype=np.int64)
    assert_raises(ValueError, lambda: model.forward_cached(more, cache),
                  "4 more tokens after 7 cached with block_size 10", must_mention=["block_size=10"])


@check("Part 4 · generate(use_cache=True)")
def check_generate(GPT):
    manual_seed(4)
    model = GPT(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16)
    rng = np.random.default_rng(4)
    for p in model.parameters():  # peaked, varied logits, as a trained model has
        p.data[...] = rng.normal(0.0, 0.4, p.shape)
    prompt = rng.integers(0, 11, (2, 3)).astype(np.int64)

    def both(case, idx, new, seed, **options):
        results = []
        for use_cache in (False, True):
            manual_seed(seed)
            with trying(f"{case}, use_cache={use_cache}"):
                results.append(np.asarray(model.generate(Tensor(idx, dtype=np.int64), new, use_cache=use_cache,
                                                         **options).data))
        recomputed, cached = results
        assert cached.dtype == np.int64 and cached.shape == recomputed.shape, \
            f"{case}: use_cache=True should return int64 ids of shape {recomputed.shape}, got {cached.dtype} {cached.shape}"
        assert np.array_equal(cached, recomputed), \
            f"{case}: use_cache=True gave {cached.tolist()}, recomputing gives {recomputed.tolist()}; they must be identical"
        return cached

    first = both("greedy, prompt of 3, 4 new tokens", prompt, 4, 0, top_k=1)
    manual_seed(0)
    with trying("a second generate call with the same arguments (each call needs a fresh cache)"):
        again = np.asarray(model.generate(Tensor(prompt, dtype=np.int64), 4, top_k=1, use_cache=True).data)
    assert np.array_equal(again, first), \
        f"a second generate call gave {again.tolist()} after {first.tolist()}: start every call with a fresh (reset) cache"

    seen = []
    embed = model.wpe.forward
    model.wpe.forward = lambda input: seen.append(int(input.numel())) or embed(input)
    try:
        model.generate(Tensor(prompt, dtype=np.int64), 4, top_k=1, use_cache=True)
    finally:
        del model.wpe.forward
    assert seen == [3, 1, 1, 1], \
        f"with use_cache=True a prompt of 3 and 4 new tokens should feed 3 positions, then only the newest token " \
        f"(1 position) per step: [3, 1, 1, 1]; it fed {seen}"

    both("sampled at temperature 1.0 after manual_seed(1)", prompt, 5, 1)
    both("top_k=3 at temperature 0.7 after manual_seed(2)", prompt, 5, 2, temperature=0.7, top_k=3)
    both("greedy from a prompt of 3 with 12 new tokens, generating past block_size=8", prompt, 12, 3, top_k=1)
    both("sampled from a prompt of 3 with 12 new tokens, generating past block_size=8", prompt, 12, 5, top_k=4)
    both("a prompt of 11 tokens, longer than block_size=8", rng.integers(0, 11, (1, 11)).astype(np.int64), 3, 6)
    both("max_new_tokens=0", prompt, 0, 7)
