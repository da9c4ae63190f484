"""Module 18: the KV cache gives the same tokens as recomputing, holds the bytes the formula says, refuses bad input."""
import inspect

import numpy as np
import pytest

import tinytorch
from tinytorch import GPT, Tensor
from tinytorch.core.memoization import KVCache, kv_cache_nbytes
from tinytorch.datasets import load_tinytalks_gpt


def trained_looking_gpt(vocab_size=17, block_size=8, n_layer=2, n_head=2, n_embd=16, seed=0):
    """A GPT with spread-out weights, so that its logits are peaked and differ from position to position."""
    tinytorch.manual_seed(seed)
    model = GPT(vocab_size, block_size, n_layer, n_head, n_embd)
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.data[...] = rng.normal(0.0, 0.4, p.shape)
    return model


def generate_both(model, ids, new, seed, **options):
    out = []
    for use_cache in (False, True):
        tinytorch.manual_seed(seed)
        out.append(model.generate(Tensor(np.asarray(ids, dtype=np.int64), dtype=np.int64), new, use_cache=use_cache,
                                  **options))
    return out


@pytest.mark.parametrize("options", [dict(top_k=1), dict(), dict(temperature=0.7), dict(temperature=1.3, top_k=5)],
                         ids=["greedy", "sampled", "cold", "hot-top-k"])
@pytest.mark.parametrize("prompt_length,new", [(1, 6), (3, 5), (7, 1), (3, 14), (8, 4), (13, 6)],
                         ids=["one-token", "short", "fills-block", "past-block", "prompt-at-block", "prompt-longer"])
def test_cache_gives_the_tokens_of_recomputation(options, prompt_length, new):
    model = trained_looking_gpt()
    ids = np.random.default_rng(prompt_length).integers(0, 17, (3, prompt_length))
    for seed in range(3):
        recomputed, cached = generate_both(model, ids, new, seed, **options)
        assert cached.dtype == tinytorch.int64 and cached.shape == (3, prompt_length + new)
        assert np.array_equal(cached.data, recomputed.data), (seed, cached.data, recomputed.data)
        assert np.array_equal(cached.data[:, :prompt_length], ids)


def test_sampled_generation_differs_between_seeds_so_the_comparison_above_means_something():
    model = trained_looking_gpt()
    _, first = generate_both(model, [[1, 2, 3]], 12, seed=0)
    _, second = generate_both(model, [[1, 2, 3]], 12, seed=1)
    assert not np.array_equal(first.data, second.data)


def test_trained_tinytalks_model_gives_identical_text():
    model, tokenizer = load_tinytalks_gpt()
    prompt = [tokenizer.encode("Q: how are you?\nA:")]
    for options in (dict(top_k=1), dict(temperature=0.8, top_k=10)):
        recomputed, cached = generate_both(model, prompt, 70, seed=18, **options)  # 19 + 70 > block_size 64
        assert tokenizer.decode(cached.data[0].tolist()) == tokenizer.decode(recomputed.data[0].tolist())


def test_cached_logits_match_the_full_forward():
    model = trained_looking_gpt(block_size=12)
    ids = np.random.default_rng(5).integers(0, 17, (2, 12))
    full = model(Tensor(ids, dtype=np.int64)).data
    cache = KVCache.for_model(model, 2)
    pieces = [model.forward_cached(Tensor(ids[:, a:b], dtype=np.int64), cache).data
              for a, b in [(0, 5), (5, 6), (6, 9), (9, 12)]]
    np.testing.assert_allclose(np.concatenate(pieces, axis=1), full, rtol=1e-4, atol=1e-5)
    assert cache.length == 12


def test_cached_forward_records_no_graph_even_with_grad_enabled():
    model = trained_looking_gpt()
    assert tinytorch.is_grad_enabled()
    logits = model.forward_cached(Tensor([[1, 2, 3]], dtype=tinytorch.int64), KVCache.for_model(model, 1))
    assert not logits.requires_grad and logits.grad_fn is None


def test_generate_restores_training_mode_and_uses_a_fresh_cache_each_call():
    model = trained_looking_gpt()
    model.train()
    first = model.generate(Tensor([[4, 5]], dtype=tinytorch.int64), 10, top_k=1, use_cache=True)
    second = model.generate(Tensor([[4, 5]], dtype=tinytorch.int64), 10, top_k=1, use_cache=True)
    assert model.training
    assert np.array_equal(first.data, second.data)


def test_each_step_after_the_prefill_feeds_one_position_until_block_size_then_recomputes():
    model = trained_looking_gpt(block_size=8)
    fed = []
    embed = model.wpe.forward
    model.wpe.forward = lambda positions: fed.append(positions.data.tolist()) or embed(positions)
    model.generate(Tensor([[1, 2, 3]], dtype=tinytorch.int64), 8, top_k=1, use_cache=True)
    del model.wpe.forward
    # prefill 0..2, then positions 3..7 one at a time; the 9th token (ids of length 9 > 8) recomputes the window
    assert fed[:6] == [[0, 1, 2], [3], [4], [5], [6], [7]]
    assert fed[6:] == [list(range(8))] * 2


def test_use_cache_is_documented_and_off_by_default():
    parameter = inspect.signature(GPT.generate).parameters["use_cache"]
    assert parameter.default is False
    assert "use_cache" in GPT.generate.__doc__ and GPT.generate.__qualname__ == "GPT.generate"
    assert GPT.forward_cached.__qualname__ == "GPT.forward_cached"


def test_cache_bytes_follow_the_formula():
    model = GPT(vocab_size=20, block_size=16, n_layer=3, n_head=4, n_embd=32)
    cache = KVCache.for_model(model, 5)
    assert cache.nbytes == 2 * 3 * 5 * 16 * 32 * 4 == kv_cache_nbytes(3, 5, 16, 32)
    assert len(cache.keys) == len(cache.values) == 3
    assert cache.keys[0].shape == (5, 4, 16, 8) and cache.keys[0].dtype == np.float32
    assert KVCache(1, 1, 12, 64, 1024).nbytes == 2 * 1024 * 768 * 4  # one GPT-2-small layer: 6.29 MB
    assert kv_cache_nbytes(12, 1, 1024, 768, itemsize=2) == 2 * 12 * 1024 * 768 * 2


def test_append_crop_reset_and_length():
    cache = KVCache(2, 1, 2, 3, 6)
    k = np.arange(1 * 2 * 4 * 3, dtype=np.float32).reshape(1, 2, 4, 3)
    keys, values = cache.append(0, Tensor(k), Tensor(-k))
    assert keys.shape == (1, 2, 4, 3) and np.array_equal(values.data, -k)
    assert cache.lengths == [4, 0] and cache.length == 0
    cache.append(1, Tensor(k[:, :, :2]), Tensor(k[:, :, :2]))
    assert cache.length == 2
    cache.crop(3)
    assert cache.lengths == [3, 2]
    keys, _ = cache.append(0, Tensor(k[:, :, :1] + 100), Tensor(k[:, :, :1]))
    assert np.array_equal(keys.data[:, :, :3], k[:, :, :3]) and np.array_equal(keys.data[:, :, 3], k[:, :, 0] + 100)
    cache.reset()
    assert cache.lengths == [0, 0]
    assert "length=0" in repr(cache)


def test_errors_name_the_values_at_fault():
    cache = KVCache(2, 1, 2, 3, 4)
    x = Tensor(np.zeros((1, 2, 3, 3), dtype=np.float32))
    with pytest.raises(IndexError, match="layer 2 is out of range for a cache of 2 layers"):
        cache.append(2, x, x)
    with pytest.raises(ValueError, match=r"\(1, 2, T_new, 3\)"):
        cache.append(0, Tensor(np.zeros((1, 3, 1, 3))), Tensor(np.zeros((1, 3, 1, 3))))
    with pytest.raises(ValueError, match=r"key \(1, 2, 3, 3\) and value \(1, 2, 2, 3\)"):
        cache.append(0, x, Tensor(np.zeros((1, 2, 2, 3))))
    cache.append(0, x, x)
    with pytest.raises(ValueError, match="layer 0 holds 3 positions; 3 more would exceed max_length=4"):
        cache.append(0, x, x)
    with pytest.raises(ValueError, match="max_length must be a positive int, got 0"):
        KVCache(1, 1, 1, 1, 0)
    with pytest.raises(ValueError, match="n_layer must be a positive int, got True"):
        KVCache(True, 1, 1, 1, 4)

    model = trained_looking_gpt(block_size=8)
    with pytest.raises(ValueError, match="5 cached positions \\+ 4 new ones exceed block_size=8"):
        c = KVCache.for_model(model, 1)
        model.forward_cached(Tensor([[1] * 5], dtype=tinytorch.int64), c)
        model.forward_cached(Tensor([[1] * 4], dtype=tinytorch.int64), c)
    with pytest.raises(ValueError, match="the cache has 1 layers, the model 2"):
        model.forward_cached(Tensor([[1]], dtype=tinytorch.int64), KVCache(1, 1, 2, 8, 8))
    with pytest.raises(TypeError, match="integer Tensor of shape \\(B, L\\)"):
        model.forward_cached(Tensor([[1.0]]), KVCache.for_model(model, 1))
    with pytest.raises(ValueError, match="max_new_tokens must be a non-negative int, got -1"):
        model.generate(Tensor([[1]], dtype=tinytorch.int64), -1, use_cache=True)
    with pytest.raises(TypeError, match="T >= 1"):
        model.generate(Tensor(np.zeros((1, 0), dtype=np.int64), dtype=tinytorch.int64), 2, use_cache=True)
    with pytest.raises(TypeError, match="integers of shape \\(B, T\\)"):
        model.generate(Tensor([1, 2], dtype=tinytorch.int64), 2, use_cache=True)
