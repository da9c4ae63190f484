"""Checks for module 11 (Embeddings). Each takes the learner's function or class."""
import numpy as np

from tinytorch.checks import assert_close, assert_raises, check, numerical_gradient
from tinytorch.core.tensor import Tensor
from tinytorch.random import manual_seed


def _ids(values):
    return Tensor(np.array(values, dtype=np.int64), dtype=np.int64)


def _table(rows, dim, dtype=np.float32, requires_grad=False, seed=0):
    values = np.random.default_rng(seed).standard_normal((rows, dim)).astype(dtype)
    return Tensor(values, dtype=dtype, requires_grad=requires_grad)


@check("Part 1 · embedding lookup")
def check_embedding_lookup(embedding):
    weight = _table(5, 3)
    before = weight.data.copy()
    ids = _ids([[1, 4, 1], [0, 2, 2]])
    out = embedding(ids, weight)
    assert isinstance(out, Tensor), f"embedding should return a Tensor, got {type(out).__name__}"
    assert out.shape == (2, 3, 3), \
        f"ids of shape (2, 3) in a (5, 3) table should give shape (2, 3, 3) = ids.shape + (embedding_dim,), got {out.shape}"
    assert out.dtype == np.float32, f"the output should keep the table's dtype float32, got {out.dtype}"
    assert_close(out, before[[[1, 4, 1], [0, 2, 2]]], "embedding(ids [[1, 4, 1], [0, 2, 2]], weight): row t for each id t")
    one_hot = (np.array([[1, 4, 1], [0, 2, 2]])[..., None] == np.arange(5)).astype(np.float32)
    assert_close(out, one_hot @ before, "the lookup should equal one_hot(ids) @ weight")
    assert np.array_equal(weight.data, before), "embedding must not change the table"
    out.data[...] = 0
    assert np.array_equal(weight.data, before), \
        "the output should be a new array: writing into it changed the table (copy the rows, e.g. fancy indexing)"
    scalar = embedding(_ids(3), weight)
    assert scalar.shape == (3,), f"a 0-d id should give one vector of shape (3,), got {scalar.shape}"
    assert_close(scalar, before[3], "embedding(tensor(3), weight)")
    scalar.data[...] = 0
    assert np.array_equal(weight.data, before), \
        "embedding(tensor(3), weight) should be a new array: writing into it changed row 3 of the table (a view)"
    deep = embedding(_ids(np.zeros((2, 2, 2), dtype=np.int64) + 4), weight)
    assert deep.shape == (2, 2, 2, 3), f"ids of shape (2, 2, 2) should give (2, 2, 2, 3), got {deep.shape}"
    wide = _table(4, 2, dtype=np.float64)
    assert embedding(_ids([3, 0]), wide).dtype == np.float64, "a float64 table should give float64 vectors"
    assert_raises(IndexError, lambda: embedding(_ids([0, 5]), weight), "id 5 in a table of 5 rows (ids 0..4)",
                  must_mention=["5"])
    assert_raises(IndexError, lambda: embedding(_ids([2, -1]), weight),
                  "id -1 in a table of 5 rows (numpy would silently read the last row; PyTorch raises)",
                  must_mention=["-1", "5"])
    assert_raises(IndexError, lambda: embedding(_ids([[7, 1]]), weight), "id 7 in a table of 5 rows",
                  must_mention=["7", "5"])
    assert_raises(RuntimeError, lambda: embedding(Tensor(np.array([1.0, 2.0], dtype=np.float32)), weight),
                  "float32 ids [1.0, 2.0] (ids must be int64; a float would be truncated)", must_mention=["int"])


@check("Part 2 · the embedding gradient")
def check_embedding_gradient(embedding):
    ids = [[1, 1, 3], [1, 0, 3]]
    weight = _table(5, 2, dtype=np.float64, requires_grad=True)
    start = weight.data.copy()
    upstream = np.random.default_rng(1).standard_normal((2, 3, 2))
    out = embedding(_ids(ids), weight)
    assert out.requires_grad and out.grad_fn is not None, \
        "with a table that requires grad, the output should record a grad_fn (record(..., EmbeddingBackward0, weight, ...))"
    assert type(out.grad_fn).__name__ == "EmbeddingBackward0", \
        f"the node should be named as PyTorch's, EmbeddingBackward0; got {type(out.grad_fn).__name__}"
    (out * Tensor(upstream, dtype=np.float64)).sum().backward()
    assert weight.grad is not None, "after backward(), weight.grad should hold the gradient"
    expected = numerical_gradient(lambda w: float((w[np.array(ids)] * upstream).sum()), start)
    got = weight.grad.data
    assert got.shape == (5, 2), f"weight.grad should have the table's shape (5, 2), got {got.shape}"
    flat = np.array(ids).ravel()
    single = upstream.reshape(-1, 2)
    assert np.allclose(got[[2, 4]], 0), \
        f"rows 2 and 4 are never looked up: their gradient should be exactly 0, got {got[[2, 4]]}"
    assert np.allclose(got[1], expected[1], atol=1e-6), (
        f"id 1 is looked up 3 times (ids {ids}): row 1 of the gradient should be the SUM of its three upstream "
        f"rows, {np.round(expected[1], 4)}, got {np.round(got[1], 4)} (one of them is "
        f"{np.round(single[flat == 1][-1], 4)}): repeated ids must accumulate, use np.add.at, not grad_weight[ids] = grad")
    assert_close(got, expected, f"the gradient of sum(embedding(ids {ids}) * upstream) against finite differences",
                 rtol=1e-5, atol=1e-7)
    assert weight.grad.dtype == np.float64, f"a float64 table should get a float64 gradient, got {weight.grad.dtype}"

    second = _table(4, 3, requires_grad=True, seed=2)
    embedding(_ids([2, 2, 2, 2]), second).sum().backward()
    expected_rows = np.zeros((4, 3), dtype=np.float32)
    expected_rows[2] = 4
    assert_close(second.grad, expected_rows,
                 "the gradient of embedding(ids [2, 2, 2, 2]).sum(): row 2 is used 4 times, so it gets 4 in each entry")


@check("Part 3 · nn.Embedding")
def check_embedding_module(Embedding):
    layer = Embedding(10, 4)
    assert [name for name, _ in layer.named_parameters()] == ["weight"], \
        "Embedding's only parameter should be named 'weight' (as PyTorch's)"
    assert layer.weight.shape == (10, 4), f"Embedding(10, 4).weight should have shape (10, 4), got {layer.weight.shape}"
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad, \
        "the weight should be a float32 Parameter (requires_grad True)"
    ids = _ids([[9, 0], [3, 3]])
    assert_close(layer(ids), layer.weight.data[[[9, 0], [3, 3]]], "Embedding(10, 4) on ids [[9, 0], [3, 3]]")
    assert repr(layer) == f"{type(layer).__name__}(10, 4)", \
        f"print(Embedding(10, 4)) should show 'Embedding(10, 4)' like PyTorch, got {layer!r}"
    manual_seed(0)
    big = Embedding(2000, 32).weight.data
    assert abs(big.std() - 1) < 0.03 and abs(big.mean()) < 0.03, (
        f"the table should be drawn from PyTorch's N(0, 1): mean 0 and std 1; Embedding(2000, 32) has mean "
        f"{big.mean():.3f} and std {big.std():.3f}")
    assert (np.abs(big) > 3).any(), \
        "N(0, 1) draws a few values beyond ±3 among 64,000; none found: is it a uniform distribution?"
    manual_seed(5)
    first = Embedding(6, 3).weight.data.copy()
    manual_seed(5)
    assert np.array_equal(first, Embedding(6, 3).weight.data), \
        "after tinytorch.manual_seed(5) two Embedding(6, 3) should get equal tables: draw from default_generator()"
    layer(ids).sum().backward()
    assert layer.weight.grad is not None and layer.weight.grad.data[3].tolist() == [2.0] * 4, \
        "after Embedding(10, 4)(ids [[9, 0], [3, 3]]).sum().backward(), row 3 of weight.grad should be 2s"
    assert_raises(IndexError, lambda: layer(_ids([10])), "Embedding(10, 4) on id 10", must_mention=["10"])


def _reference_sinusoid(max_len, d_model):
    table = np.zeros((max_len, d_model))
    for pos in range(max_len):
        for j in range(d_model):
            angle = pos / 10000 ** (2 * (j // 2) / d_model)
            table[pos, j] = np.sin(angle) if j % 2 == 0 else np.cos(angle)
    return table


@check("Part 4 · sinusoidal positional encoding")
def check_sinusoidal(sinusoidal_positional_encoding):
    table = sinusoidal_positional_encoding(6, 4)
    assert isinstance(table, Tensor) and table.shape == (6, 4), \
        f"sinusoidal_positional_encoding(6, 4) should be a Tensor of shape (max_len, d_model) = (6, 4), got {getattr(table, 'shape', table)}"
    assert table.dtype == np.float32, f"the table should be float32, got {table.dtype}"
    assert_close(table.data[0], [0, 1, 0, 1], "position 0: sin(0) = 0 on even dims, cos(0) = 1 on odd dims")
    expected = _reference_sinusoid(6, 4)
    assert_close(table.data[:, 0::2], expected[:, 0::2],
                 "the even dimensions 2i (sin(pos / 10000^(2i/d)); the pair (2i, 2i+1) shares one frequency, "
                 "so dims 0 and 1 use i = 0, dims 2 and 3 use i = 1)", atol=1e-6)
    assert_close(table.data[:, 1::2], expected[:, 1::2],
                 "the odd dimensions 2i+1 (cos(pos / 10000^(2i/d)), the same frequency as dim 2i)", atol=1e-6)
    big = sinusoidal_positional_encoding(50, 16)
    assert_close(big, _reference_sinusoid(50, 16), "sinusoidal_positional_encoding(50, 16)", atol=1e-6)
    odd = sinusoidal_positional_encoding(7, 5)
    assert_close(odd, _reference_sinusoid(7, 5), "an odd d_model = 5 (dims 0, 2, 4 sin; 1, 3 cos)", atol=1e-6)


@check("Part 4 · learned positional embedding")
def check_learned_positions(LearnedPositionalEmbedding):
    manual_seed(0)
    positions = LearnedPositionalEmbedding(8, 3)
    assert positions.weight.shape == (8, 3), f"LearnedPositionalEmbedding(8, 3).weight should be (8, 3), got {positions.weight.shape}"
    x_np = np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)
    x = Tensor(x_np.copy(), requires_grad=True)
    out = positions(x)
    assert out.shape == (2, 5, 3), f"the output should keep x's shape (2, 5, 3), got {out.shape}"
    table = positions.weight.data
    assert_close(out, x_np + table[:5], "x + weight[:5] for x of shape (2, 5, 3): position p adds row p to every sequence")
    out.sum().backward()
    grad = positions.weight.grad
    assert grad is not None, "the position table should get a gradient (look the positions up with embedding)"
    assert_close(grad, np.r_[np.full((5, 3), 2.0), np.zeros((3, 3))],
                 "weight.grad after out.sum().backward(): rows 0..4 used by 2 sequences each (2s), rows 5..7 unused (0s)")
    assert_close(x.grad, np.ones((2, 5, 3)), "x.grad after out.sum().backward()")
    full = positions(Tensor(np.zeros((8, 3), dtype=np.float32)))
    assert_close(full, table, "a sequence of exactly max_len = 8 positions (shape (8, 3)) gets every row")
    assert_raises(ValueError, lambda: positions(Tensor(np.zeros((1, 9, 3), dtype=np.float32))),
                  "9 positions with max_len = 8", must_mention=["9", "8"])
