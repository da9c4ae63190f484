"""scaled_dot_product_attention and MultiheadAttention against numpy, gradients against finite differences."""
import math

import numpy as np
import pytest

import tinytorch
from tinytorch.checks import numerical_gradient
from tinytorch.core.attention import (MultiheadAttention, causal_mask, merge_heads, scaled_dot_product_attention,
                                      split_heads)
from tinytorch.core.tensor import Tensor


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def reference(q, k, v, bias=0.0):
    return softmax(q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1]) + bias) @ v


def test_sdpa_matches_numpy_with_bool_float_and_causal_masks():
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 2))
    T = lambda a: Tensor(a, dtype=np.float64)
    np.testing.assert_allclose(scaled_dot_product_attention(T(q), T(k), T(v)).data, reference(q, k, v), rtol=1e-10)
    allowed = rng.random((3, 5)) > 0.3
    allowed[:, 0] = True
    np.testing.assert_allclose(
        scaled_dot_product_attention(T(q), T(k), T(v), attn_mask=Tensor(allowed, dtype=np.bool_)).data,
        reference(q, k, v, np.where(allowed, 0, -np.inf)), rtol=1e-10)
    soft = rng.standard_normal((3, 5))
    np.testing.assert_allclose(scaled_dot_product_attention(T(q), T(k), T(v), attn_mask=T(soft)).data,
                               reference(q, k, v, soft), rtol=1e-10)
    np.testing.assert_allclose(scaled_dot_product_attention(T(q), T(k), T(v), is_causal=True).data,
                               reference(q, k, v, np.where(causal_mask(3, 5).data, 0, -np.inf)), rtol=1e-10)


def test_sdpa_gradients_match_finite_differences_with_a_fully_masked_query():
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in ((3, 2), (4, 2), (4, 3))]
    allowed = np.array([[True, False, True, True], [False] * 4, [True, True, False, False]])
    bias = np.where(allowed, 0, -np.inf)
    upstream = rng.standard_normal((3, 3))
    tensors = [Tensor(a.copy(), dtype=np.float64, requires_grad=True) for a in arrays]
    out = scaled_dot_product_attention(*tensors, attn_mask=Tensor(allowed, dtype=np.bool_))
    assert np.array_equal(out.data[1], np.zeros(3))  # nothing to attend to: zeros, as torch's SDPA
    (out * Tensor(upstream, dtype=np.float64)).sum().backward()

    def loss(index, value):
        inputs = [a.copy() for a in arrays]
        inputs[index] = value
        result = reference(*inputs, bias)
        result[1] = 0
        return float((np.nan_to_num(result) * upstream).sum())

    for index, tensor in enumerate(tensors):
        np.testing.assert_allclose(tensor.grad.data, numerical_gradient(lambda a: loss(index, a), arrays[index]),
                                   rtol=1e-6, atol=1e-8)


def test_sdpa_refuses_mask_with_is_causal_and_mismatched_shapes():
    q = Tensor(np.zeros((3, 4)))
    with pytest.raises(RuntimeError, match="is_causal"):
        scaled_dot_product_attention(q, q, q, attn_mask=causal_mask(3), is_causal=True)
    with pytest.raises(RuntimeError, match=r"\(2, 2\)"):
        scaled_dot_product_attention(q, q, q, attn_mask=Tensor(np.zeros((2, 2))))
    with pytest.raises(ValueError, match="same E"):
        scaled_dot_product_attention(q, Tensor(np.zeros((3, 5))), q)
    with pytest.raises(ValueError, match="number of keys"):
        scaled_dot_product_attention(q, q, Tensor(np.zeros((2, 4))))


def test_split_and_merge_heads_are_inverse_and_keep_positions():
    x = Tensor(np.arange(48, dtype=np.float32).reshape(2, 3, 8))
    heads = split_heads(x, 4)
    assert heads.shape == (2, 4, 3, 2)
    np.testing.assert_array_equal(heads.data[1, 3, 2], x.data[1, 2, 6:8])
    np.testing.assert_array_equal(merge_heads(heads).data, x.data)
    with pytest.raises(ValueError, match="num_heads=3"):
        split_heads(x, 3)


def test_multihead_attention_gradients_match_finite_differences():
    tinytorch.manual_seed(0)
    layer = MultiheadAttention(4, 2, batch_first=True)
    for p in layer.parameters():
        p.data = np.random.default_rng(2).uniform(-0.5, 0.5, p.shape)  # float64 parameters
    x0 = np.random.default_rng(3).standard_normal((2, 3, 4))
    x = Tensor(x0.copy(), dtype=np.float64, requires_grad=True)
    upstream = np.random.default_rng(4).standard_normal((2, 3, 4))
    out, _ = layer(x, x, x)
    (out * Tensor(upstream, dtype=np.float64)).sum().backward()

    def loss(value):
        with tinytorch.no_grad():
            t = Tensor(value, dtype=np.float64)
            return float((layer(t, t, t)[0].data * upstream).sum())

    np.testing.assert_allclose(x.grad.data, numerical_gradient(loss, x0), rtol=1e-6, atol=1e-8)
    w0 = layer.in_proj_weight.data.copy()
    grad_w = layer.in_proj_weight.grad.data.copy()

    def loss_w(value):
        layer.in_proj_weight.data = value
        return loss(x0)

    np.testing.assert_allclose(grad_w, numerical_gradient(loss_w, w0), rtol=1e-6, atol=1e-8)


def test_multihead_attention_validates_its_arguments():
    with pytest.raises(ValueError, match="embed_dim=6 must be divisible by num_heads=4"):
        MultiheadAttention(6, 4)
    layer = MultiheadAttention(4, 2)
    x = Tensor(np.zeros((3, 2, 4)))
    with pytest.raises(RuntimeError, match="is_causal"):
        layer(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match=r"key_padding_mask of shape \(3, 3\)"):
        layer(x, x, x, key_padding_mask=Tensor(np.zeros((3, 3), dtype=bool), dtype=np.bool_))
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \(2, 3\)"):
        layer(x, x, x, attn_mask=Tensor(np.zeros((2, 3), dtype=bool), dtype=np.bool_))
    with pytest.raises(ValueError, match=r"\(3, 2, 5\)"):
        layer(Tensor(np.zeros((3, 2, 5))), x, x)
    with pytest.raises(NotImplementedError, match="kdim"):
        MultiheadAttention(4, 2, kdim=3)
