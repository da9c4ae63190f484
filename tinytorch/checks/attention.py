"""Checks for module 12 (Attention). Each takes the learner's functions or class."""
import math

import numpy as np

from tinytorch.checks import assert_close, assert_raises, check, numerical_gradient
from tinytorch.core.tensor import Tensor
from tinytorch.random import manual_seed


def _normal(shape, seed, dtype=np.float32, requires_grad=False):
    values = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return Tensor(values, dtype=dtype, requires_grad=requires_grad)


def _softmax(x, axis=-1):
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def _sdpa(q, k, v, bias=None, scale=None):
    """Reference attention on numpy arrays; bias is the additive float mask."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if bias is not None:
        scores = scores + bias
    return _softmax(scores) @ v


@check("Part 1 · attention scores")
def check_attention_scores(attention_scores):
    q, k = _normal((2, 3, 4), 0), _normal((2, 5, 4), 1)
    raw = q.data @ np.swapaxes(k.data, -1, -2)
    scores = attention_scores(q, k)
    assert isinstance(scores, Tensor), f"attention_scores should return a Tensor, got {type(scores).__name__}"
    assert scores.shape == (2, 3, 5), \
        f"query (2, 3, 4) and key (2, 5, 4) should give scores (2, L, S) = (2, 3, 5), got {scores.shape}"
    ratio = float(np.median(scores.data / raw))
    assert np.isclose(ratio, 0.5, rtol=1e-3), (
        f"the scores should be q @ k^T scaled by 1/sqrt(E) = 1/sqrt(4) = 0.5 by default; yours are q @ k^T times "
        f"{ratio:.4g}" + (" (that is 1/E: divide by the square root of E)" if np.isclose(ratio, 0.25) else "")
        + (" (not scaled at all)" if np.isclose(ratio, 1) else ""))
    assert_close(scores, raw * 0.5, "attention_scores(q (2, 3, 4), k (2, 5, 4))", rtol=1e-5)
    wide_q, wide_k = _normal((6, 16), 2), _normal((7, 16), 3)
    assert_close(attention_scores(wide_q, wide_k), wide_q.data @ wide_k.data.T / 4,
                 "2-d q (6, 16), k (7, 16): scale 1/sqrt(16) = 0.25", rtol=1e-5)
    assert_close(attention_scores(q, k, scale=0.1), raw * 0.1, "attention_scores(q, k, scale=0.1) (an explicit scale is used as given)",
                 rtol=1e-5)
    assert_close(attention_scores(q, k, scale=1.0), raw, "scale=1.0", rtol=1e-5)
    assert_close(attention_scores(q, k, scale=0.0), raw * 0.0,
                 "attention_scores(q, k, scale=0.0) (0.0 is a scale like any other: test `scale is None`, "
                 "not `scale or ...`)", rtol=1e-5)
    heads = _normal((2, 3, 4, 8), 4), _normal((2, 3, 6, 8), 5)
    assert attention_scores(*heads).shape == (2, 3, 4, 6), \
        "batch and head dimensions (2, 3, L=4, E=8) and (2, 3, S=6, E=8) should pass through: (2, 3, 4, 6)"
    q64, k64 = _normal((3, 2), 6, np.float64, True), _normal((4, 2), 7, np.float64, True)
    upstream = np.random.default_rng(8).standard_normal((3, 4))
    scores64 = attention_scores(q64, k64)
    assert scores64.requires_grad, \
        "for a query that requires grad the scores should too: build them from Tensor ops (@, transpose, *) so a gradient flows"
    (scores64 * Tensor(upstream, dtype=np.float64)).sum().backward()
    expected = numerical_gradient(lambda a: float(((a @ k64.data.T) / math.sqrt(2) * upstream).sum()), q64.data)
    assert q64.grad is not None, "the scores should be built from Tensor ops so gradients reach the query"
    assert_close(q64.grad, expected, "the query's gradient against finite differences", rtol=1e-5, atol=1e-7)


@check("Part 2 · causal mask and attention bias")
def check_masks(causal_mask, attention_bias):
    mask = causal_mask(4)
    values = np.asarray(getattr(mask, "data", mask))
    assert values.dtype == np.bool_, f"causal_mask should be boolean, got dtype {values.dtype}"
    expected = np.tril(np.ones((4, 4), dtype=bool))
    assert values[0, 0] and values.diagonal().all(), (
        f"each query may attend to ITSELF: the diagonal of causal_mask(4) should be True (j <= i), got\n{values.astype(int)}\n"
        "(hiding the diagonal leaves query 0 with no key at all)")
    assert not values[0, 1:].any(), \
        f"query 0 must not see the future (keys 1, 2, 3): row 0 should be [1, 0, 0, 0], got {values[0].astype(int)}"
    assert np.array_equal(values, expected), f"causal_mask(4) should be the lower triangle, diagonal included:\n" \
                                             f"{expected.astype(int)}\ngot\n{values.astype(int)}"
    wide = np.asarray(getattr(causal_mask(2, 4), "data", None))
    assert np.array_equal(wide, [[1, 0, 0, 0], [1, 1, 0, 0]]), \
        f"causal_mask(2, 4) (more keys than queries) should be top-left aligned like PyTorch's: [[1,0,0,0],[1,1,0,0]], got {wide}"

    allowed = Tensor(np.array([[True, False, True]]), dtype=np.bool_)
    bias = attention_bias(allowed, np.float32)
    assert isinstance(bias, Tensor) and bias.dtype == np.float32, "attention_bias should return a float32 Tensor"
    got = bias.data.tolist()
    assert got == [[0.0, -np.inf, 0.0]], (
        f"in F.scaled_dot_product_attention a boolean mask is True where the pair TAKES PART: [[True, False, True]] "
        f"should add [[0, -inf, 0]], got {got}" + (" (the convention is inverted: that is nn.MultiheadAttention's)"
                                                   if got == [[-np.inf, 0.0, -np.inf]] else ""))
    assert attention_bias(allowed, np.float64).dtype == np.float64, "attention_bias(mask, np.float64) should be float64"
    soft = Tensor(np.array([[0.5, -2.0, 0.0]], dtype=np.float32))
    assert_close(attention_bias(soft, np.float32), soft.data, "a float mask is added as it is")


@check("Part 3 · scaled dot-product attention")
def check_scaled_dot_product_attention(sdpa):
    q, k, v = _normal((2, 3, 4), 0), _normal((2, 5, 4), 1), _normal((2, 5, 6), 2)
    identity = Tensor(np.eye(5, dtype=np.float32))
    weights = sdpa(q, k, identity).data  # with value = I, the output is the weight matrix itself
    assert weights.shape == (2, 3, 5), f"with value = eye(5), output should have shape (2, 3, 5), got {weights.shape}"
    assert np.allclose(weights.sum(-1), 1, atol=1e-5), (
        "with value = identity the output IS the weight matrix, and each query's row should sum to 1 over the "
        f"keys (softmax over dim=-1, the keys); row sums are {np.round(weights.sum(-1), 3).tolist()}"
        + (" (the columns sum to 1: softmax over the queries, dim=-2)" if np.allclose(weights.sum(-2), 1, atol=1e-5) else ""))
    out = sdpa(q, k, v)
    assert out.shape == (2, 3, 6) and out.dtype == np.float32, \
        f"query (2, 3, 4), key (2, 5, 4), value (2, 5, 6) should give a float32 (2, 3, 6), got {out.dtype} {out.shape}"
    assert_close(out, _sdpa(q.data, k.data, v.data), "softmax(q k^T / sqrt(4)) @ v", rtol=1e-4, atol=1e-5)
    assert_close(sdpa(q, k, v, scale=0.3), _sdpa(q.data, k.data, v.data, scale=0.3), "scale=0.3", rtol=1e-4, atol=1e-5)
    allowed = np.array([[True, True, False, False, True]] * 3)
    assert_close(sdpa(q, k, v, attn_mask=Tensor(allowed, dtype=np.bool_)),
                 _sdpa(q.data, k.data, v.data, np.where(allowed, 0, -np.inf)),
                 "a boolean attn_mask (True = takes part) hiding keys 2 and 3", rtol=1e-4, atol=1e-5)
    soft = np.random.default_rng(3).standard_normal((3, 5)).astype(np.float32)
    assert_close(sdpa(q, k, v, attn_mask=Tensor(soft)), _sdpa(q.data, k.data, v.data, soft),
                 "a float attn_mask (added to the scores)", rtol=1e-4, atol=1e-5)
    causal = np.where(np.tril(np.ones((3, 5), dtype=bool)), 0, -np.inf)
    assert_close(sdpa(q, k, v, is_causal=True), _sdpa(q.data, k.data, v.data, causal),
                 "is_causal=True with L=3, S=5 (top-left triangle)", rtol=1e-4, atol=1e-5)
    dead = allowed.copy()
    dead[1] = False
    result = sdpa(q, k, v, attn_mask=Tensor(dead, dtype=np.bool_)).data
    assert not np.isnan(result).any(), "a query whose every key is masked should get zeros (PyTorch's SDPA), not NaN"
    assert np.allclose(result[:, 1], 0), "a query whose every key is masked should get an output of zeros"
    big = Tensor(q.data * 1000)
    assert not np.isnan(sdpa(big, k, v).data).any(), "queries of size ~1000 should not overflow (a stable softmax)"
    assert_raises(RuntimeError, lambda: sdpa(q, k, v, attn_mask=Tensor(allowed, dtype=np.bool_), is_causal=True),
                  "attn_mask together with is_causal=True")

    manual_seed(0)
    dropped = sdpa(q, k, identity, dropout_p=0.5).data
    kept = dropped != 0
    assert 0.2 < 1 - kept.mean() < 0.8, f"dropout_p=0.5 should zero about half the weights, zeroed {1 - kept.mean():.0%}"
    assert np.allclose(dropped[kept], 2 * weights[kept], rtol=1e-4), \
        "dropout_p=0.5 should scale the kept weights by 1 / (1 - 0.5) = 2"

    q64, k64, v64 = (_normal(shape, seed, np.float64, True) for shape, seed in (((2, 3, 2), 4), ((2, 4, 2), 5), ((2, 4, 3), 6)))
    mask = Tensor(np.array([[True, True, False, True]] * 3), dtype=np.bool_)
    upstream = np.random.default_rng(7).standard_normal((2, 3, 3))
    out64 = sdpa(q64, k64, v64, attn_mask=mask)
    assert out64.requires_grad, \
        "the output should require grad when the inputs do: no gradient would flow (compose Tensor ops, not numpy arrays)"
    (out64 * Tensor(upstream, dtype=np.float64)).sum().backward()
    bias = np.where(mask.data, 0, -np.inf)
    for name, tensor, rebuild in (("query", q64, lambda a: _sdpa(a, k64.data, v64.data, bias)),
                                  ("key", k64, lambda a: _sdpa(q64.data, a, v64.data, bias)),
                                  ("value", v64, lambda a: _sdpa(q64.data, k64.data, a, bias))):
        assert tensor.grad is not None, f"no gradient reached the {name}: compose Tensor operations"
        assert_close(tensor.grad, numerical_gradient(lambda a: float((rebuild(a) * upstream).sum()), tensor.data),
                     f"the gradient of the {name} (masked, float64) against finite differences", rtol=1e-5, atol=1e-7)


@check("Part 4 · split and merge heads")
def check_heads(split_heads, merge_heads):
    x = Tensor(np.arange(2 * 3 * 8, dtype=np.float32).reshape(2, 3, 8))
    heads = split_heads(x, 2)
    assert heads.shape == (2, 2, 3, 4), f"split_heads((2, 3, 8), 2) should give (B, H, L, D) = (2, 2, 3, 4), got {heads.shape}"
    for b, h, pos in [(0, 1, 0), (1, 0, 2), (0, 0, 1)]:
        assert np.array_equal(heads.data[b, h, pos], x.data[b, pos, h * 4:(h + 1) * 4]), (
            f"head {h} of position {pos} should be x[{b}, {pos}, {h * 4}:{(h + 1) * 4}] = {x.data[b, pos, h * 4:(h + 1) * 4]}, "
            f"got {heads.data[b, h, pos]}: reshape to (B, L, H, D) and THEN transpose(1, 2); reshaping straight to "
            "(B, H, L, D) mixes positions into heads")
    assert np.array_equal(merge_heads(heads).data, x.data), "merge_heads(split_heads(x, 2)) should give x back"
    four = split_heads(x, 4)
    assert four.shape == (2, 4, 3, 2) and np.array_equal(merge_heads(four).data, x.data), \
        "with 4 heads of size 2: split gives (2, 4, 3, 2) and merge gives x back"
    single = Tensor(x.data[0])
    assert split_heads(single, 2).shape == (2, 3, 4), "an unbatched (L, E) = (3, 8) should split into (H, L, D) = (2, 3, 4)"


def _reference_mha(layer, q, k, v, bias=None):
    """numpy multi-head attention with the layer's parameters; q, k, v (N, L, E). Returns output, per-head weights."""
    E, H = layer.embed_dim, layer.num_heads
    W = layer.in_proj_weight.data
    b = np.zeros(3 * E) if layer.in_proj_bias is None else layer.in_proj_bias.data
    proj = [x @ W[i * E:(i + 1) * E].T + b[i * E:(i + 1) * E] for i, x in enumerate((q, k, v))]
    split = [p.reshape(p.shape[0], p.shape[1], H, E // H).transpose(0, 2, 1, 3) for p in proj]
    scores = split[0] @ split[1].transpose(0, 1, 3, 2) / math.sqrt(E // H)
    weights = _softmax(scores if bias is None else scores + bias)
    heads = weights @ split[2]
    merged = heads.transpose(0, 2, 1, 3).reshape(q.shape[0], q.shape[1], E)
    out = merged @ layer.out_proj.weight.data.T
    return (out if layer.out_proj.bias is None else out + layer.out_proj.bias.data), weights


@check("Part 4 · nn.MultiheadAttention")
def check_multihead_attention(MultiheadAttention):
    manual_seed(0)
    layer = MultiheadAttention(8, 2, batch_first=True)
    names = [(name, p.shape) for name, p in layer.named_parameters()]
    assert names == [("in_proj_weight", (24, 8)), ("in_proj_bias", (24,)), ("out_proj.weight", (8, 8)),
                     ("out_proj.bias", (8,))], f"parameters should follow PyTorch's layout, got {names}"
    assert not layer.in_proj_bias.data.any() and not layer.out_proj.bias.data.any(), \
        "in_proj_bias and out_proj.bias start at zero (PyTorch's initialisation)"
    bound = math.sqrt(6 / (8 + 24))
    assert np.abs(layer.in_proj_weight.data).max() <= bound + 1e-6, \
        f"in_proj_weight is Xavier-uniform on (3E, E): within ±sqrt(6 / (E + 3E)) = ±{bound:.3f}"
    rng = np.random.default_rng(1)
    for p in layer.parameters():  # non-zero biases, so a forgotten bias shows
        p.data[...] = rng.uniform(-0.5, 0.5, p.shape)
    x = _normal((2, 3, 8), 2)
    kv = _normal((2, 4, 8), 3)

    one_head = MultiheadAttention(8, 1, batch_first=True)
    for p in one_head.parameters():
        p.data[...] = rng.uniform(-0.5, 0.5, p.shape)
    out1, _ = one_head(x, kv, kv)
    assert_close(out1, _reference_mha(one_head, x.data, kv.data, kv.data)[0],
                 "MultiheadAttention(8, 1) (one head), query (2, 3, 8), key/value (2, 4, 8)", rtol=1e-4, atol=1e-5)
    out, weights = layer(x, kv, kv)
    expected, expected_weights = _reference_mha(layer, x.data, kv.data, kv.data)
    assert out.shape == (2, 3, 8), f"batch_first=True: output should be (N, L, E) = (2, 3, 8), got {out.shape}"
    assert np.allclose(out.data, expected, rtol=1e-4, atol=1e-5), (
        "with one head the output is right, with two heads it is not: the heads are split or merged wrongly "
        "(reshape (N, L, E) -> (N, L, H, D), then transpose(1, 2); merge in reverse)")
    assert weights.shape == (2, 3, 4), f"the weights averaged over heads should be (N, L, S) = (2, 3, 4), got {weights.shape}"
    assert_close(weights, expected_weights.mean(axis=1), "the attention weights averaged over heads", rtol=1e-4, atol=1e-5)
    _, per_head = layer(x, kv, kv, average_attn_weights=False)
    assert per_head.shape == (2, 2, 3, 4), f"average_attn_weights=False: (N, H, L, S) = (2, 2, 3, 4), got {per_head.shape}"
    no_weights = layer(x, kv, kv, need_weights=False)
    assert no_weights[1] is None, "need_weights=False should return (output, None)"
    assert_close(no_weights[0], expected, "the output with need_weights=False", rtol=1e-4, atol=1e-5)

    padded = np.array([[False, False, True, True], [False, False, False, True]])
    out_pad, w_pad = layer(x, kv, kv, key_padding_mask=Tensor(padded, dtype=np.bool_))
    assert np.allclose(w_pad.data[0, :, 2:], 0) and np.allclose(w_pad.data[1, :, 3], 0), (
        "in nn.MultiheadAttention a boolean key_padding_mask is True where the key is NOT allowed (a pad): keys 2, 3 of "
        "sequence 0 should get weight 0" + (" (your weights put everything ON the pads: the convention is inverted; "
                                            "SDPA's is the opposite one)" if np.allclose(w_pad.data[0, :, :2], 0) else ""))
    bias = np.where(padded, -np.inf, 0)[:, None, None, :]
    assert_close(out_pad, _reference_mha(layer, x.data, kv.data, kv.data, bias)[0], "key_padding_mask", rtol=1e-4, atol=1e-5)
    blocked = ~np.tril(np.ones((3, 3), dtype=bool))
    out_causal, w_causal = layer(x, x, x, attn_mask=Tensor(blocked, dtype=np.bool_))
    assert np.allclose(np.triu(w_causal.data, 1), 0), \
        "attn_mask True above the diagonal (True = NOT allowed in MultiheadAttention) should give zero weight there"
    assert_close(out_causal, _reference_mha(layer, x.data, x.data, x.data, np.where(blocked, -np.inf, 0))[0],
                 "a causal attn_mask (L, S)", rtol=1e-4, atol=1e-5)

    seq_first = MultiheadAttention(8, 2)
    assert seq_first.batch_first is False, "MultiheadAttention(8, 2) should default to batch_first=False, as PyTorch"
    for mine, theirs in zip(seq_first.parameters(), layer.parameters()):
        mine.data[...] = theirs.data
    out_seq, w_seq = seq_first(Tensor(x.data.transpose(1, 0, 2)), Tensor(kv.data.transpose(1, 0, 2)),
                               Tensor(kv.data.transpose(1, 0, 2)))
    assert out_seq.shape == (3, 2, 8), f"batch_first=False (the default): input and output are (L, N, E); got {out_seq.shape}"
    assert_close(out_seq, expected.transpose(1, 0, 2), "batch_first=False", rtol=1e-4, atol=1e-5)

    x_grad = Tensor(x.data.copy(), requires_grad=True)
    layer(x_grad, x_grad, x_grad)[0].sum().backward()
    assert x_grad.grad is not None and all(p.grad is not None for p in layer.parameters()), \
        "gradients should reach the input and every parameter"
    assert_raises(ValueError, lambda: MultiheadAttention(10, 3), "MultiheadAttention(10, 3)", must_mention=["10", "3"])
