"""nn.Embedding, F.embedding and the positional encodings against numpy, gradients against finite differences."""
import numpy as np
import pytest

import tinytorch
from tinytorch.checks import numerical_gradient
from tinytorch.core.embeddings import (Embedding, LearnedPositionalEmbedding, SinusoidalPositionalEncoding, embedding,
                                       sinusoidal_positional_encoding)
from tinytorch.core.tensor import Tensor


def ids(values):
    return Tensor(np.array(values, dtype=np.int64), dtype=np.int64)


def test_lookup_equals_one_hot_matmul_for_any_index_shape():
    weight = Tensor(np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32))
    index = np.array([[[0, 5], [5, 2]], [[1, 1], [3, 4]]])
    one_hot = (index[..., None] == np.arange(6)).astype(np.float32)
    np.testing.assert_array_equal(embedding(ids(index), weight).data, one_hot @ weight.data)


def test_gradient_of_repeated_ids_accumulates_and_matches_finite_differences():
    rng = np.random.default_rng(1)
    start = rng.standard_normal((5, 3))
    weight = Tensor(start.copy(), dtype=np.float64, requires_grad=True)
    index = np.array([[4, 4, 0], [4, 2, 0]])
    upstream = rng.standard_normal((2, 3, 3))
    (embedding(ids(index), weight) * Tensor(upstream, dtype=np.float64)).sum().backward()
    expected = numerical_gradient(lambda w: float((w[index] * upstream).sum()), start)
    np.testing.assert_allclose(weight.grad.data, expected, rtol=1e-6, atol=1e-8)
    assert not weight.grad.data[[1, 3]].any()
    assert weight.grad_fn is None and type(embedding(ids(index), weight).grad_fn).__name__ == "EmbeddingBackward0"


@pytest.mark.parametrize("bad", [5, -1, 100])
def test_out_of_range_ids_raise_index_error_naming_the_id_and_the_table_size(bad):
    with pytest.raises(IndexError, match=rf"index {bad} .*5 rows"):
        embedding(ids([0, bad]), Tensor(np.zeros((5, 2))))


def test_float_and_non_tensor_ids_are_refused():
    with pytest.raises(RuntimeError, match="int64"):
        embedding(Tensor([1.0, 2.0]), Tensor(np.zeros((5, 2))))
    with pytest.raises(TypeError, match="list"):
        embedding([1, 2], Tensor(np.zeros((5, 2))))
    with pytest.raises(ValueError, match="2-d"):
        embedding(ids([1]), Tensor(np.zeros(5)))


def test_embedding_module_is_seeded_standard_normal_with_torch_repr():
    tinytorch.manual_seed(3)
    first = Embedding(4000, 8)
    tinytorch.manual_seed(3)
    assert np.array_equal(first.weight.data, Embedding(4000, 8).weight.data)
    assert abs(first.weight.data.std() - 1) < 0.02 and abs(first.weight.data.mean()) < 0.02
    assert repr(first) == "Embedding(4000, 8)" and first.weight.dtype == np.float32
    with pytest.raises(TypeError, match="embedding_dim"):
        Embedding(3, 2.5)
    with pytest.raises(RuntimeError, match="num_embeddings"):
        Embedding(-1, 2)


def test_sinusoidal_table_follows_the_paper_formula():
    table = sinusoidal_positional_encoding(20, 6).data
    pos, i = 7, 1
    np.testing.assert_allclose(table[pos, 2 * i], np.sin(pos / 10000 ** (2 * i / 6)), rtol=1e-6)
    np.testing.assert_allclose(table[pos, 2 * i + 1], np.cos(pos / 10000 ** (2 * i / 6)), rtol=1e-6)
    assert table.dtype == np.float32 and sinusoidal_positional_encoding(4, 5).shape == (4, 5)


def test_positional_modules_add_position_rows_and_refuse_long_sequences():
    x = Tensor(np.ones((2, 4, 6), dtype=np.float32))
    sinusoid = SinusoidalPositionalEncoding(6, max_len=10)
    np.testing.assert_allclose(sinusoid(x).data, np.broadcast_to(1 + sinusoidal_positional_encoding(4, 6).data, (2, 4, 6)))
    assert list(sinusoid.state_dict()) == []  # recomputable: not saved
    learned = LearnedPositionalEmbedding(4, 6)
    np.testing.assert_allclose(learned(x).data, np.broadcast_to(1 + learned.weight.data, (2, 4, 6)))
    with pytest.raises(ValueError, match="11 positions but max_len is 10"):
        sinusoid(Tensor(np.ones((1, 11, 6), dtype=np.float32)))
    with pytest.raises(ValueError, match="5 positions but max_len is 4"):
        learned(Tensor(np.ones((1, 5, 6), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"\(\.\.\., seq_len, 6\)"):
        learned(Tensor(np.ones((2, 3, 5), dtype=np.float32)))
