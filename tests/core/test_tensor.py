"""tinytorch.Tensor against numpy: one helper runs the same expression on both and compares."""
import numpy as np
import pytest

from tinytorch import Tensor

rng = np.random.default_rng(0)


def same(expression, *arrays, numpy_expression=None, atol=1e-5):
    """Run `expression` on Tensors and on the numpy arrays (or `numpy_expression` where numpy spells
    it differently); values, shapes and dtypes must agree."""
    ours = expression(*[Tensor(a) for a in arrays])
    theirs = (numpy_expression or expression)(*[a.astype(np.float32) for a in arrays])
    assert isinstance(ours, Tensor)
    assert ours.shape == np.shape(theirs)
    assert ours.dtype == np.asarray(theirs).dtype
    np.testing.assert_allclose(ours.data, theirs, atol=atol, rtol=1e-5)


A, B, ROW, COL = (rng.standard_normal(s) for s in [(3, 4), (3, 4), (4,), (3, 1)])


@pytest.mark.parametrize("expression", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / (b * b + 1),
    lambda a, b: 2 * a - b / 3, lambda a, b: 1 - a, lambda a, b: -a + 0.5,
])
def test_elementwise_matches_numpy(expression):
    same(expression, A, B)


@pytest.mark.parametrize("other", [ROW, COL])
def test_broadcasting_matches_numpy(other):
    same(lambda a, o: a * o + o, A, other)


def test_matmul_matches_numpy():
    same(lambda a, b: a @ b, A, rng.standard_normal((4, 5)))
    same(lambda a, b: a @ b, rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 2)))
    same(lambda a, v: a @ v, A, ROW)


@pytest.mark.parametrize("expression", [
    lambda a: a.sum(), lambda a: a.sum(0), lambda a: a.sum((0, 1)), lambda a: a.mean(1), lambda a: a.max(),
    lambda a: a.reshape(2, 6), lambda a: a.reshape(-1),
    
    lambda a: a[1], lambda a: a[:, 1:3], lambda a: a[np.array([2, 0])],
])
def test_shape_ops_and_reductions_match_numpy(expression):
    same(expression, A)


@pytest.mark.parametrize("ours,theirs", [
    (lambda a: a.sum(dim=(0, 1)), lambda a: a.sum(axis=(0, 1))),
    (lambda a: a.mean(dim=1, keepdim=True), lambda a: a.mean(axis=1, keepdims=True)),
    (lambda a: a.T, lambda a: a.T),
    (lambda a: a.transpose(0, 1), lambda a: a.swapaxes(0, 1)),
])
def test_pytorch_keyword_arguments_match_numpy(ours, theirs):
    same(ours, A, numpy_expression=theirs)


def test_max_over_a_dim_returns_values_and_indices_like_pytorch():
    values, indices = Tensor(A).max(1)
    np.testing.assert_allclose(values.data, A.astype(np.float32).max(1))
    np.testing.assert_array_equal(indices.data, A.argmax(1))
    assert Tensor(A).max(dim=0, keepdim=True).indices.shape == (1, 4)
    assert indices.dtype == np.int64


def test_dtype_is_float32_by_default_and_kept_when_asked():
    assert Tensor([1, 2]).dtype == np.float32
    assert Tensor(np.ones(2)).dtype == np.float32
    wide = Tensor(np.ones(2), dtype=np.float64)
    assert (wide + wide).dtype == np.float64 and (wide @ wide).dtype == np.float64
    assert wide.sum().dtype == np.float64


def test_memory_footprint_is_elements_times_itemsize():
    assert Tensor(np.zeros((1000, 1000))).memory_footprint() == 4_000_000
    assert Tensor(np.zeros((1000, 1000)), dtype=np.float64).memory_footprint() == 8_000_000


def test_views_share_memory_and_fancy_indexing_copies():
    t = Tensor(np.arange(6.0))
    assert np.shares_memory(t.reshape(2, 3).data, t.data)
    assert np.shares_memory(t[1:4].data, t.data)
    assert not np.shares_memory(t[np.array([0, 1])].data, t.data)


def test_numpy_scalars_defer_to_tensor_operators():
    result = np.float32(2.0) * Tensor([1.0, 2.0])
    assert isinstance(result, Tensor)
    np.testing.assert_allclose(result.data, [2.0, 4.0])


@pytest.mark.parametrize("action,error,words", [
    (lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5))), ValueError, ["(2, 3)", "(4, 5)"]),
    (lambda: Tensor(np.ones((2, 3))) + Tensor(np.ones(4)), ValueError, ["(2, 3)", "(4,)"]),
    (lambda: Tensor(np.ones((2, 3))).reshape(4, 2), ValueError, ["(2, 3)", "(4, 2)"]),
    (lambda: Tensor(np.ones((2, 3))).transpose(0, 2), IndexError, ["2", "(2, 3)"]),
    (lambda: Tensor(np.ones((2, 3))).sum(dim=2), IndexError, ["2", "(2, 3)"]),
    (lambda: Tensor(np.ones((2, 3)))[3], IndexError, ["(2, 3)"]),
    (lambda: Tensor(np.ones(3)).item(), ValueError, ["(3,)"]),
    (lambda: Tensor(np.ones((2, 2, 2))).T, ValueError, ["(2, 2, 2)"]),
])
def test_bad_input_errors_name_what_is_wrong(action, error, words):
    with pytest.raises(error) as raised:
        action()
    for word in words:
        assert word in str(raised.value)
