"""Checks for module 13 (Transformers): layer_norm, the pre-norm block, GPT and sampling."""
import numpy as np

from tinytorch.checks import assert_close, assert_raises, check, numerical_gradient, without_numpy_warnings
from tinytorch.core.tensor import Tensor
from tinytorch.random import manual_seed


def _reference_layer_norm(x, dims, eps=1e-5):
    mean = x.mean(axis=dims, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=dims, keepdims=True)  # biased, as PyTorch
    return (x - mean) / np.sqrt(variance + eps)


@check("Part 1 · layer_norm and LayerNorm")
def check_layer_norm(layer_norm, LayerNorm):
    rng = np.random.default_rng(0)
    x_np = (rng.standard_normal((2, 3, 8)) * 3 + 1).astype(np.float32)
    assert_close(layer_norm(Tensor(x_np), 8), _reference_layer_norm(x_np, -1),
                 "layer_norm(x of shape (2, 3, 8), 8): mean 0 and biased variance 1 over the last dim "
                 "(divide by n, not n - 1; eps inside the square root)", rtol=1e-4, atol=1e-5)
    assert_close(layer_norm(Tensor(x_np), (3, 8)), _reference_layer_norm(x_np, (-2, -1)),
                 "layer_norm(x of shape (2, 3, 8), (3, 8)): statistics over the last TWO dims", rtol=1e-4, atol=1e-5)
    constant = layer_norm(Tensor(np.full((2, 4), 5.0, dtype=np.float32)), 4)
    assert np.all(np.isfinite(constant.data)) and np.allclose(constant.data, 0), \
        f"layer_norm of a constant row should be 0 (eps keeps the division finite), got {constant.data[0]}"
    tiny = np.array([[1e-3, -1e-3, 2e-3, 0.0]], dtype=np.float32)
    assert_close(layer_norm(Tensor(tiny), 4), _reference_layer_norm(tiny, -1),
                 "layer_norm of a row with a tiny spread (eps must be added to the variance, inside the root)",
                 rtol=1e-3, atol=1e-4)
    weight, bias = rng.standard_normal(8).astype(np.float32), rng.standard_normal(8).astype(np.float32)
    assert_close(layer_norm(Tensor(x_np), 8, Tensor(weight), Tensor(bias)),
                 _reference_layer_norm(x_np, -1) * weight + bias, "layer_norm with weight and bias", rtol=1e-4,
                 atol=1e-5)

    x64 = rng.standard_normal((3, 5))
    upstream = rng.standard_normal((3, 5))
    leaf = Tensor(x64, dtype=np.float64, requires_grad=True)
    normalized = layer_norm(leaf, 5)
    assert normalized.requires_grad, \
        "layer_norm of a tensor that requires grad should require grad: build it from Tensor operations so that gradients flow"
    (normalized * Tensor(upstream, dtype=np.float64)).sum().backward()
    numeric = numerical_gradient(lambda v: float(np.sum(upstream * _reference_layer_norm(v, -1))), x64)
    assert_close(leaf.grad, numeric, "gradient of layer_norm (float64, finite differences)", rtol=1e-4, atol=1e-6)

    norm = LayerNorm(8)
    assert [name for name, _ in norm.named_parameters()] == ["weight", "bias"], \
        "LayerNorm(8) should have parameters weight (ones) and bias (zeros)"
    assert_close(norm(Tensor(x_np)), _reference_layer_norm(x_np, -1), "LayerNorm(8) at initialisation",
                 rtol=1e-4, atol=1e-5)
    assert repr(norm) == "LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)", f"repr: {norm!r}"
    assert_raises(RuntimeError, lambda: layer_norm(Tensor(x_np), 6), "layer_norm(x of shape (2, 3, 8), 6)",
                  must_mention=["(6,)", "(2, 3, 8)"])


@check("Part 2 · the pre-norm transformer block")
def check_transformer_block(TransformerBlock):
    manual_seed(1)
    block = TransformerBlock(16, 4)
    rng = np.random.default_rng(2)
    for norm in (block.ln_1, block.ln_2):  # trained-looking LayerNorms, so that mixing them up shows
        norm.weight.data[...] = rng.uniform(0.5, 1.5, 16)
        norm.bias.data[...] = rng.normal(0, 0.3, 16)
    x = Tensor(rng.standard_normal((2, 5, 16)).astype(np.float32))
    out = block(x)
    assert isinstance(out, Tensor) and out.shape == (2, 5, 16), \
        f"a block maps (B, T, E) = (2, 5, 16) to the same shape, got {getattr(out, 'shape', type(out).__name__)}"
    after_attention = x + block.attn(block.ln_1(x))
    expected = after_attention + block.mlp(block.ln_2(after_attention))
    if not np.allclose(out.data, expected.data, rtol=1e-4, atol=1e-5):
        post_norm = block.ln_1(x + block.attn(x))
        post_norm = block.ln_2(post_norm + block.mlp(post_norm))
        no_residual = block.mlp(block.ln_2(block.attn(block.ln_1(x))))
        if np.allclose(out.data, post_norm.data, rtol=1e-4, atol=1e-5):
            raise AssertionError("the block normalises after adding (post-norm); this course's GPT normalises "
                                 "each sub-layer's input: x + attn(ln_1(x)), then + mlp(ln_2(...))")
        if np.allclose(out.data, no_residual.data, rtol=1e-4, atol=1e-5):
            raise AssertionError("the block has no residual connections: add each sub-layer's output to its input")
        assert_close(out, expected, "block(x) = x + attn(ln_1(x)), then that + mlp(ln_2(that))", rtol=1e-4,
                     atol=1e-5)
    later = x.data.copy()
    later[:, -1] += 10.0
    changed = block(Tensor(later)).data
    assert np.allclose(changed[:, :-1], out.data[:, :-1], rtol=1e-4, atol=1e-5), \
        "changing the last position changed earlier outputs: the block's attention must be causal"


@check("Part 3 · GPT")
def check_gpt(GPT):
    manual_seed(3)
    model = GPT(vocab_size=11, block_size=12, n_layer=2, n_head=2, n_embd=16)
    rng = np.random.default_rng(4)
    ids = rng.integers(0, 11, (3, 6))
    logits = model(Tensor(ids, dtype=np.int64))
    assert isinstance(logits, Tensor) and logits.shape == (3, 6, 11), \
        f"GPT on ids of shape (3, 6) with vocab_size 11 should give logits (3, 6, 11), got {getattr(logits, 'shape', None)}"
    with_positions = model.wte(Tensor(ids, dtype=np.int64)) + model.wpe(Tensor(np.arange(6), dtype=np.int64))
    hidden = with_positions
    for block in model.h:
        hidden = block(hidden)
    expected = model.lm_head(model.ln_f(hidden))
    if not np.allclose(logits.data, expected.data, rtol=1e-4, atol=1e-5):
        def through(x):
            for block in model.h:
                x = block(x)
            return model.lm_head(model.ln_f(x))
        token_only = through(model.wte(Tensor(ids, dtype=np.int64)))
        assert not np.allclose(logits.data, token_only.data, rtol=1e-4, atol=1e-5), \
            "the logits ignore the position embeddings: add wpe of the positions 0..T-1 to the token embeddings"
        ids_as_positions = through(model.wte(Tensor(ids, dtype=np.int64)) + model.wpe(Tensor(ids, dtype=np.int64)))
        assert not np.allclose(logits.data, ids_as_positions.data, rtol=1e-4, atol=1e-5), \
            "wpe was looked up with the token ids: look up wpe of the positions 0..T-1 (arange(T)) instead"
        without_final_norm = model.lm_head(hidden)
        assert not np.allclose(logits.data, without_final_norm.data, rtol=1e-4, atol=1e-5), \
            "the logits skip the final LayerNorm: apply ln_f to the last block's output before lm_head"
        assert_close(logits, expected, "GPT(ids) = lm_head(ln_f(blocks(wte(ids) + wpe(0..T-1))))", rtol=1e-4,
                     atol=1e-5)
    later = ids.copy()
    later[:, 4] = (later[:, 4] + 1) % 11
    changed = model(Tensor(later, dtype=np.int64)).data
    assert np.allclose(changed[:, :4], logits.data[:, :4], rtol=1e-4, atol=1e-5), \
        "changing token 4 changed the logits of positions 0-3: a position must only see itself and the past"
    assert not np.allclose(changed[:, 4], logits.data[:, 4]), "changing token 4 should change position 4's logits"
    same_token = np.full((1, 6), 3)
    repeated = model(Tensor(same_token, dtype=np.int64)).data[0]
    assert not np.allclose(repeated[0], repeated[5], atol=1e-4), \
        ("the same token at positions 0 and 5 gave the same logits: add the position embeddings of 0..T-1 "
         "(wpe of the positions, not of the token ids)")
    assert_raises(ValueError, lambda: model(Tensor(rng.integers(0, 11, (1, 13)), dtype=np.int64)),
                  "GPT with block_size 12 on a sequence of length 13", must_mention=["13", "12"])

    manual_seed(9)
    dropping = GPT(vocab_size=11, block_size=12, n_layer=1, n_head=2, n_embd=16, dropout=0.5)
    for block in dropping.h:  # only the embedding dropout left active
        block.attn.dropout.p = block.attn.dropout_p = block.mlp.dropout.p = 0.0
    dropping.train()
    first, second = (dropping(Tensor(ids, dtype=np.int64)).data for _ in range(2))
    assert not np.allclose(first, second), \
        ("GPT(dropout=0.5) in training mode gave the same logits twice: apply self.drop to the summed token and "
         "position embeddings")
    manual_seed(10)  # the same draws twice: once in the learner's forward, once in the order the model defines
    got = dropping(Tensor(ids, dtype=np.int64)).data
    manual_seed(10)
    hidden = dropping.drop(dropping.wte(Tensor(ids, dtype=np.int64)) + dropping.wpe(Tensor(np.arange(6), dtype=np.int64)))
    for block in dropping.h:
        hidden = block(hidden)
    assert np.allclose(got, dropping.lm_head(dropping.ln_f(hidden)).data, rtol=1e-4, atol=1e-5), \
        ("GPT(dropout=0.5) in training mode: with the same seed, your logits differ from dropout applied once to "
         "the SUM of the token and position embeddings (not to one of them, nor later), before the blocks")

    targets = Tensor(rng.integers(0, 11, (3 * 6,)), dtype=np.int64)
    from tinytorch.nn.functional import cross_entropy
    model.zero_grad()
    cross_entropy(logits.reshape(-1, 11), targets).backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or not np.any(p.grad.data)]
    assert not missing, f"after loss.backward() these parameters got no gradient: {missing[:4]}"


@check("Part 4 · sample_next: temperature and top-k")
def check_sampling(sample_next):
    logits = np.array([[2.0, 1.0, 0.0, -1.0], [0.0, 3.0, 1.0, 0.5]])
    manual_seed(5)
    greedy = np.asarray(sample_next(Tensor(logits), top_k=1))
    assert greedy.shape == (2,) and greedy.dtype == np.int64, \
        f"sample_next on logits (2, 4) should return 2 int64 ids, got {greedy.dtype} {greedy.shape}"
    assert greedy.tolist() == [0, 1], f"top_k=1 is greedy: the ids should be [0, 1] (each row's argmax), got {greedy.tolist()}"

    def frequencies(temperature, top_k=None, draws=4000):
        manual_seed(6)
        counts = np.zeros(4)
        for _ in range(draws // 50):
            ids = np.asarray(sample_next(np.repeat(logits[:1], 50, axis=0), temperature, top_k))
            counts += (ids.reshape(-1, 1) == np.arange(4)).sum(axis=0)  # (np.bincount refuses int64 in wasm32)
        return counts / counts.sum()

    for temperature in (1.0, 0.5, 2.0):
        expected = np.exp(logits[0] / temperature) / np.exp(logits[0] / temperature).sum()
        seen = frequencies(temperature)
        assert np.abs(seen - expected).max() < 0.035, \
            (f"at temperature {temperature}, logits [2, 1, 0, -1] should be drawn with probabilities "
             f"{np.round(expected, 3).tolist()} (softmax of logits / temperature); 4,000 draws gave "
             f"{np.round(seen, 3).tolist()}")
    seen = frequencies(1.0, top_k=2)
    expected = np.exp([2.0, 1.0]) / np.exp([2.0, 1.0]).sum()
    assert seen[2:].sum() == 0 and np.abs(seen[:2] - expected).max() < 0.035, \
        (f"top_k=2 on logits [2, 1, 0, -1] should draw only ids 0 and 1, with probabilities "
         f"{np.round(expected, 3).tolist()}; 4,000 draws gave {np.round(seen, 3).tolist()}")
    extreme = np.array([[1000.0, -1000.0, 999.0]])
    manual_seed(7)
    drawn = without_numpy_warnings(sample_next, extreme,
                                   advice="on logits [1000, -1000, 999]: they must not overflow; subtract each "
                                          "row's largest logit before exp")
    assert np.asarray(drawn).tolist()[0] in (0, 2), "logits [1000, -1000, 999] should draw id 0 or 2"
    manual_seed(8)
    first = np.asarray(sample_next(np.repeat(logits, 20, axis=0))).tolist()
    manual_seed(8)
    assert np.asarray(sample_next(np.repeat(logits, 20, axis=0))).tolist() == first, \
        "the same seed should draw the same ids: draw from tinytorch's default_generator()"
    assert_raises(ValueError, lambda: sample_next(logits, temperature=0), "sample_next(temperature=0)",
                  must_mention=["temperature"])
