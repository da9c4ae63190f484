"""Module 13: layer_norm against numpy and finite differences, GPT's contract, generation."""
import numpy as np
import pytest

import tinytorch
from tinytorch.checks import numerical_gradient
from tinytorch.core.tensor import Tensor
from tinytorch.core.transformers import GPT, LayerNorm, TransformerBlock, layer_norm, sample_next

rng = np.random.default_rng(0)


def reference_layer_norm(x, dims, eps=1e-5):
    mean = x.mean(axis=dims, keepdims=True)
    return (x - mean) / np.sqrt(((x - mean) ** 2).mean(axis=dims, keepdims=True) + eps)


@pytest.mark.parametrize("shape, normalized", [((4, 6), 6), ((2, 3, 5), (3, 5)), ((2, 3, 5), [5])])
def test_layer_norm_matches_numpy_and_finite_differences(shape, normalized):
    x = rng.standard_normal(shape) * 2 + 0.5
    dims = tuple(range(-len(np.atleast_1d(normalized)), 0))
    np.testing.assert_allclose(layer_norm(Tensor(x, dtype=np.float64), normalized).data,
                               reference_layer_norm(x, dims), rtol=1e-10)
    upstream = rng.standard_normal(shape)
    leaf = Tensor(x, dtype=np.float64, requires_grad=True)
    (layer_norm(leaf, normalized) * Tensor(upstream, dtype=np.float64)).sum().backward()
    numeric = numerical_gradient(lambda v: float(np.sum(upstream * reference_layer_norm(v, dims))), x)
    np.testing.assert_allclose(leaf.grad.data, numeric, rtol=1e-5, atol=1e-7)


def test_layer_norm_module_parameters_and_gradients():
    norm = LayerNorm(4)
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    norm(x).sum().backward()
    assert norm.weight.grad is not None and norm.bias.grad is not None and x.grad is not None
    np.testing.assert_allclose(norm.bias.grad.data, [3.0] * 4)
    assert LayerNorm(4, elementwise_affine=False).weight is None
    assert list(dict(LayerNorm(4, bias=False).named_parameters())) == ["weight"]


@pytest.mark.parametrize("action, error, words", [
    (lambda: layer_norm(Tensor(np.ones((2, 3))), 4), RuntimeError, ["(4,)", "(2, 3)"]),
    (lambda: layer_norm(np.ones((2, 3)), 3), TypeError, ["ndarray"]),
    (lambda: LayerNorm(0), ValueError, ["normalized_shape"]),
    (lambda: LayerNorm(4, eps=0), ValueError, ["eps"]),
    (lambda: GPT(10, 8, 1, 3, 16), ValueError, ["n_embd=16", "n_head=3"]),
    (lambda: GPT(10, 0, 1, 2, 16), ValueError, ["block_size"]),
    (lambda: GPT(10, 8, 1, 2, 16)(Tensor(np.zeros((1, 9)), dtype=np.int64)), ValueError, ["9", "block_size=8"]),
    (lambda: GPT(10, 8, 1, 2, 16)(Tensor(np.zeros((1, 3)))), TypeError, ["float32"]),
    (lambda: GPT(10, 8, 1, 2, 16)(Tensor(np.zeros(3), dtype=np.int64)), TypeError, ["(B, T)"]),
    (lambda: GPT(10, 8, 1, 2, 16).generate(Tensor(np.zeros((1, 2)), dtype=np.int64), -1), ValueError,
     ["max_new_tokens"]),
    (lambda: sample_next(np.zeros((1, 3)), temperature=-1), ValueError, ["temperature"]),
    (lambda: sample_next(np.zeros((1, 3)), top_k=0), ValueError, ["top_k"]),
])
def test_bad_input_names_the_values_at_fault(action, error, words):
    with pytest.raises(error) as raised:
        action()
    for word in words:
        assert word in str(raised.value)


def test_gpt_is_causal_and_gradients_reach_every_parameter():
    tinytorch.manual_seed(0)
    model = GPT(vocab_size=7, block_size=6, n_layer=2, n_head=2, n_embd=8)
    ids = rng.integers(0, 7, (2, 6))
    logits = model(Tensor(ids, dtype=np.int64))
    changed = ids.copy()
    changed[:, 3] = (changed[:, 3] + 1) % 7
    np.testing.assert_allclose(model(Tensor(changed, dtype=np.int64)).data[:, :3], logits.data[:, :3], rtol=1e-5)
    tinytorch.nn.functional.cross_entropy(logits.reshape(-1, 7), Tensor(ids.reshape(-1), dtype=np.int64)).backward()
    assert all(p.grad is not None and np.any(p.grad.data) for p in model.parameters())


def test_gpt_initialisation_scales_the_residual_projections():
    tinytorch.manual_seed(1)
    model = GPT(vocab_size=50, block_size=16, n_layer=8, n_head=4, n_embd=64)
    stds = {name: p.data.std() for name, p in model.named_parameters()}
    assert abs(stds["wte.weight"] - 0.02) < 0.003 and abs(stds["h.0.mlp.c_fc.weight"] - 0.02) < 0.002
    assert abs(stds["h.0.mlp.c_proj.weight"] - 0.02 / 4) < 0.0005  # 0.02 / sqrt(2 * 8 layers)
    assert stds["h.0.attn.c_attn.bias"] == 0 and np.all(model.h[0].ln_1.weight.data == 1)


def test_generate_extends_greedily_and_repeatably_past_block_size():
    tinytorch.manual_seed(2)
    model = GPT(vocab_size=9, block_size=4, n_layer=1, n_head=1, n_embd=8)
    model.train()
    prompt = Tensor(np.array([[1, 2], [3, 4]]), dtype=np.int64)
    greedy = model.generate(prompt, 7, top_k=1)
    assert greedy.shape == (2, 9) and greedy.dtype == np.int64 and model.training
    np.testing.assert_array_equal(greedy.data[:, :2], prompt.data)
    ids = prompt.data
    for _ in range(7):  # greedy by hand: argmax of the last position, context cropped to block_size
        logits = model(Tensor(ids[:, -4:], dtype=np.int64)).data[:, -1]
        ids = np.concatenate([ids, logits.argmax(-1)[:, None]], axis=1)
    np.testing.assert_array_equal(greedy.data, ids)
    tinytorch.manual_seed(5)
    first = model.generate(prompt, 6, temperature=1.5).data
    tinytorch.manual_seed(5)
    np.testing.assert_array_equal(model.generate(prompt, 6, temperature=1.5).data, first)
