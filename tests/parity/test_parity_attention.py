"""Embeddings (module 11) and attention (module 12) on tinytorch and torch: values, weights and gradients agree,
including PyTorch's two opposite boolean-mask conventions (SDPA: True = takes part; MultiheadAttention: True = NOT
allowed) and their handling of queries with every key masked."""
import numpy as np
import pytest

from parity import TORCH, as_tensor, assert_same_run, case, const, covers, error_case, to_numpy

import tinytorch

rng = np.random.default_rng(12)


def ids(*shape, high=7):
    return rng.integers(0, high, shape).astype(np.int64)


def bool_mask(array):
    return np.array(array, dtype=bool)


ALLOWED = bool_mask([[True, True, False, True, False]] * 3)           # SDPA convention, (L=3, S=5)
ONE_DEAD = ALLOWED.copy()
ONE_DEAD[1] = False                                                    # query 1 may attend nothing
FLOAT_MASK = const(rng.standard_normal((3, 5)).astype(np.float32))
F = "nn.functional.scaled_dot_product_attention"

EMBEDDING = [
    case("nn.functional.embedding", lambda m, i, w: m.nn.functional.embedding(i, w), ids(2, 3), (7, 4)),
    case("nn.functional.embedding", lambda m, i, w: m.nn.functional.embedding(i, w), np.array([1, 1, 1, 3]), (5, 2)),
    case("nn.functional.embedding", lambda m, i, w: m.nn.functional.embedding(i, w), np.array(4), (5, 3)),
    case("nn.functional.embedding", lambda m, i, w: m.nn.functional.embedding(i, w), ids(2, 2, 3, high=5),
         rng.standard_normal((5, 3))),  # float64 table
    error_case("nn.functional.embedding", lambda m, i, w: m.nn.functional.embedding(i, w), np.array([0, 5]), (5, 2)),
    error_case("nn.functional.embedding", lambda m, i, w: m.nn.functional.embedding(i, w), np.array([-1, 2]), (5, 2)),
    error_case("nn.functional.embedding", lambda m, i, w: m.nn.functional.embedding(i, w),
               const(np.float32([0.0, 1.0])), (5, 2)),
    error_case("Embedding", lambda m, i: m.Embedding(4, 2)(i), np.array([[0, 4]])),
    case("Embedding", lambda m: repr(m.Embedding(10, 3))),
    case("nn.Embedding", lambda m: [(n, tuple(p.shape)) for n, p in m.nn.Embedding(6, 2).named_parameters()]),
]

SDPA = [
    case(F, lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v), (2, 3, 4), (2, 5, 4), (2, 5, 6)),
    case(F, lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v), (4, 8), (6, 8), (6, 3)),
    case(F, lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v), (2, 2, 3, 4), (2, 2, 3, 4),
         (2, 2, 3, 4)),
    case(F, lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v, scale=0.3), (3, 4), (5, 4), (5, 2)),
    case(F, lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True),
         (2, 4, 4), (2, 4, 4), (2, 4, 3)),
    case(F, lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True),
         (3, 4), (5, 4), (5, 2)),  # L != S: top-left triangle
    case(F, lambda m, q, k, v, a: m.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=a),
         (2, 3, 4), (2, 5, 4), (2, 5, 2), ALLOWED),  # bool: True = takes part
    case(F, lambda m, q, k, v, a: m.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=a),
         (2, 3, 4), (2, 5, 4), (2, 5, 2), FLOAT_MASK),  # float: added
    case(F, lambda m, q, k, v, a: m.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=a),
         (2, 3, 4), (2, 5, 4), (2, 5, 2), ONE_DEAD),  # a query with nothing to attend to: zeros, zero gradient
    case(F, lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q * 1000, k, v), (3, 4), (5, 4), (5, 2)),
    case(F, lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v),
         rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 3))),
    case(F, lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=1.0),
         (3, 4), (5, 4), (5, 2)),
    error_case(F, lambda m, q, k, v, a: m.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=a,
                                                                                      is_causal=True),
               (3, 4), (3, 4), (3, 2), bool_mask(np.tril(np.ones((3, 3))))),
]


def _copy_mha(m, embed_dim, num_heads, batch_first, bias=True, seed=0):
    """A MultiheadAttention of framework m whose in_proj/out_proj weights are the same seeded numbers on both."""
    layer = m.MultiheadAttention(embed_dim, num_heads, bias=bias, batch_first=batch_first)
    values = np.random.default_rng(seed)
    for _, p in layer.named_parameters():
        data = values.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)
        if m is tinytorch:
            p.data[...] = data
        else:
            import torch
            with torch.no_grad():
                p.copy_(torch.from_numpy(data))
    return layer


def mha_run(batch_first, heads=2, masks=None, need_weights=True, average=True, bias=True, shapes=((3, 2, 8), (4, 2, 8))):
    """A scenario: forward with the given masks, backward of sum(output * weights), everything compared."""
    def scenario(m):
        layer = _copy_mha(m, shapes[0][-1], heads, batch_first, bias)
        q_shape, kv_shape = shapes
        if batch_first:
            q_shape, kv_shape = (q_shape[1], q_shape[0], q_shape[2]), (kv_shape[1], kv_shape[0], kv_shape[2])
        values = np.random.default_rng(1)
        q = as_tensor(m, values.standard_normal(q_shape).astype(np.float32), requires_grad=True)
        kv = as_tensor(m, values.standard_normal(kv_shape).astype(np.float32), requires_grad=True)
        kwargs = {name: as_tensor(m, value) for name, value in (masks or {}).items()}
        out, weights = layer(q, kv, kv, need_weights=need_weights, average_attn_weights=average, **kwargs)
        upstream = np.random.default_rng(2).standard_normal(tuple(out.shape)).astype(np.float32)
        loss = (out * as_tensor(m, upstream)).sum()
        if weights is not None:
            loss = loss + (weights * as_tensor(m, np.linspace(-1, 1, weights.numel(), dtype=np.float32)
                                                .reshape(tuple(weights.shape)))).sum()
        loss.backward()
        grads = [(name, p.grad) for name, p in layer.named_parameters()]
        return out.detach(), None if weights is None else weights.detach(), q.grad, kv.grad, grads
    return scenario


PADDING = bool_mask([[False, False, True, True], [False, False, False, True]])   # True = a pad, NOT allowed
CAUSAL_BLOCKED = ~bool_mask(np.tril(np.ones((3, 3))))                            # True = NOT allowed
HEADS_MASK = rng.standard_normal((4, 3, 4)).astype(np.float32)                   # (N * H, L, S), float: added

MHA = [
    ("batch_first", mha_run(True)),
    ("seq_first", mha_run(False)),
    ("per_head_weights", mha_run(True, average=False)),
    ("no_weights", mha_run(False, need_weights=False)),
    ("four_heads", mha_run(True, heads=4)),
    ("no_bias", mha_run(False, bias=False)),
    ("key_padding_bool", mha_run(True, masks={"key_padding_mask": PADDING})),
    ("key_padding_bool_no_weights", mha_run(False, masks={"key_padding_mask": PADDING}, need_weights=False)),
    ("key_padding_float", mha_run(True, masks={"key_padding_mask": np.where(PADDING, -1e9, 0).astype(np.float32)})),
    ("attn_mask_float_3d", mha_run(True, masks={"attn_mask": HEADS_MASK})),
    ("causal_bool", mha_run(True, masks={"attn_mask": CAUSAL_BLOCKED}, shapes=((3, 2, 8), (3, 2, 8)))),
    ("causal_bool_seq_first", mha_run(False, masks={"attn_mask": CAUSAL_BLOCKED}, average=False,
                                      shapes=((3, 2, 8), (3, 2, 8)))),
    ("unbatched", mha_run(False, shapes=((3, 8), (4, 8)))),
]


@pytest.mark.parametrize("check", EMBEDDING + SDPA)
def test_embedding_and_sdpa_match_torch(check):
    check()


@covers("MultiheadAttention", "nn.MultiheadAttention")
@pytest.mark.parametrize("name, scenario", MHA, ids=[name for name, _ in MHA])
def test_multihead_attention_matches_torch_outputs_weights_and_gradients(name, scenario):
    assert_same_run(scenario, rtol=1e-4, atol=1e-5)


@covers("Embedding", "nn.Embedding")
def test_embedding_module_gradient_accumulates_over_repeated_ids_as_torch():
    def scenario(m):
        layer = m.Embedding(6, 3)
        with_weights = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
        if m is tinytorch:
            layer.weight.data[...] = with_weights
        else:
            import torch
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(with_weights))
        out = layer(as_tensor(m, np.array([[1, 1, 5], [1, 0, 5]])))
        (out * as_tensor(m, np.arange(18, dtype=np.float32).reshape(2, 3, 3))).sum().backward()
        return out.detach(), layer.weight.grad, type(out.grad_fn).__name__
    assert_same_run(scenario)


@covers("Embedding")
def test_embedding_init_is_standard_normal_on_both():
    def statistics(m):
        m.manual_seed(0)
        weight = to_numpy(m.Embedding(3000, 20).weight)
        return bool(abs(weight.mean()) < 0.02), bool(abs(weight.std() - 1) < 0.02)
    assert_same_run(statistics)


@covers("MultiheadAttention")
def test_multihead_attention_layout_init_and_repr_match_torch():
    def layout(m):
        m.manual_seed(0)
        layer = m.MultiheadAttention(16, 4)
        w = to_numpy(layer.in_proj_weight)
        bound = np.sqrt(6 / (16 + 48))
        return ([(n, tuple(p.shape)) for n, p in layer.named_parameters()], repr(layer),
                to_numpy(layer.in_proj_bias), to_numpy(layer.out_proj.bias),
                bool(np.abs(w).max() <= bound), bool(abs(w.std() - bound / np.sqrt(3)) < 0.1 * bound))
    assert_same_run(layout)


@covers("MultiheadAttention")
def test_mha_with_need_weights_gives_nan_for_a_fully_padded_sequence_as_torch():
    """torch's MultiheadAttention computes the returned weights with a plain softmax: a query whose every key is
    padded gets NaN there, while need_weights=False (which goes through SDPA) gives zeros."""
    def scenario(m):
        layer = _copy_mha(m, 4, 2, True)
        x = as_tensor(m, np.random.default_rng(3).standard_normal((2, 3, 4)).astype(np.float32))
        padding = as_tensor(m, bool_mask([[False, False, False], [True, True, True]]))
        out, weights = layer(x, x, x, key_padding_mask=padding)
        fast, _ = layer(x, x, x, key_padding_mask=padding, need_weights=False)
        return out.detach(), weights.detach(), fast.detach()
    assert_same_run(scenario)


@covers("MultiheadAttention")
def test_mha_embed_dim_not_divisible_by_heads_is_refused_naming_both():
    import torch
    with pytest.raises(AssertionError):  # torch asserts
        torch.nn.MultiheadAttention(10, 3)
    # tinytorch raises ValueError (a user error, not an internal assertion), naming both numbers
    with pytest.raises(ValueError, match="embed_dim=10.*num_heads=3"):
        tinytorch.MultiheadAttention(10, 3)


@covers("MultiheadAttention")
def test_mha_is_causal_without_a_mask_is_refused_as_torch():
    def attempt(m):
        layer = m.MultiheadAttention(4, 2)
        x = as_tensor(m, np.ones((3, 1, 4), dtype=np.float32))
        try:
            layer(x, x, x, is_causal=True)
        except RuntimeError:
            return "RuntimeError"
        return "nothing raised"
    assert_same_run(attempt)
