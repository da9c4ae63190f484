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


# --- PyTorch's dtype rules ---------------------------------------------------------------------------

@pytest.mark.parametrize("expression,dtype", [
    (lambda: Tensor([1, 2], dtype=np.int64) * 0.5, np.float32),  # int × Python float → float32, not [0, 0]
    (lambda: Tensor([1, 2], dtype=np.int64) * 2, np.int64),
    (lambda: Tensor([1, 2], dtype=np.int32) + 7, np.int32),  # a Python int never widens an int tensor
    (lambda: Tensor([1, 2], dtype=np.int64) / 2, np.float32),  # true division
    (lambda: 3 / Tensor([1, 2], dtype=np.int64), np.float32),
    (lambda: Tensor([1.0]) + Tensor([1.0], dtype=np.float64), np.float64),
    (lambda: Tensor([1.0]) + Tensor(1.0, dtype=np.float64), np.float32),  # 0-d of the same kind doesn't widen
    (lambda: Tensor([1], dtype=np.int64) + Tensor(1.5, dtype=np.float64), np.float64),  # higher kind wins
    (lambda: Tensor([1], dtype=np.int64) + Tensor([1.5]), np.float32),  # numpy would say float64
    (lambda: Tensor([True, False], dtype=np.bool_) + 1, np.int64),
    (lambda: Tensor([1, 2], dtype=np.int32).sum(), np.int64),
    (lambda: Tensor([1, 4], dtype=np.int64).sqrt(), np.float32),
    (lambda: Tensor([1, 4], dtype=np.int64).exp(), np.float32),
    (lambda: Tensor([1.0]) == 1.0, np.bool_),
])
def test_results_take_pytorchs_dtype(expression, dtype):
    assert expression().dtype == dtype


def test_int_features_scaled_by_a_float_keep_their_values():
    features = Tensor(np.array([0, 8, 16]), dtype=np.int64)
    np.testing.assert_allclose((features * (1 / 16)).data, [0, 0.5, 1.0])


@pytest.mark.parametrize("action,error,words", [
    (lambda: Tensor(None), TypeError, ["None"]),
    (lambda: Tensor([1, None, 3]), TypeError, ["None"]),
    (lambda: Tensor("2"), TypeError, ["str"]),
    (lambda: Tensor([[1, 2], [3]]), ValueError, ["rectangular"]),
    (lambda: Tensor([1.0]) + None, TypeError, ["add", "NoneType"]),
    (lambda: Tensor([1.0]) * "2", TypeError, ["mul", "str"]),
    (lambda: "2" * Tensor([1.0]), TypeError, ["str"]),
    (lambda: Tensor([1, 2], dtype=np.int64).mean(), RuntimeError, ["int64", ".float()"]),
    (lambda: Tensor([1.0, 2.0])[Tensor([0.5, 1.9])], IndexError, ["float32"]),
    (lambda: bool(Tensor([0.0, 1.0])), RuntimeError, ["ambiguous"]),
    (lambda: Tensor(np.ones((2, 3))).transpose(0, "a"), TypeError, ["int", "'a'"]),
    (lambda: Tensor(np.ones((2, 3))).transpose(0, 1).view(6), RuntimeError, ["reshape"]),
    (lambda: Tensor(np.ones((2, 3))).permute(0, 0), RuntimeError, ["(0, 0)"]),
    (lambda: Tensor(np.ones((2, 3))).unsqueeze(3), IndexError, ["3"]),
    (lambda: Tensor(np.ones(0)).max(), RuntimeError, ["empty"]),
    (lambda: Tensor([1, 2], dtype=np.int64).__iadd__(0.5), RuntimeError, ["int64"]),
    (lambda: Tensor(np.ones(3)).add_(Tensor(np.ones((2, 3)))), ValueError, ["(2, 3)", "(3,)"]),
    (lambda: Tensor(np.ones(3)).copy_(np.ones(4)), ValueError, ["(4,)", "(3,)"]),
    (lambda: Tensor([1.0]) ** "2", TypeError, ["exponent"]),
])
def test_bad_input_is_refused_not_turned_into_numbers(action, error, words):
    with pytest.raises(error) as raised:
        action()
    for word in words:
        assert word in str(raised.value)


def test_comparisons_give_bool_tensors_and_tensors_stay_hashable():
    a, b = Tensor([1.0, 2.0, 3.0]), Tensor([1.0, 0.0, 5.0])
    for ours, theirs in [(a == b, [True, False, False]), (a != b, [False, True, True]), (a < b, [False, False, True]),
                         (a <= 2, [True, True, False]), (a > b, [False, True, False]), (a >= 2, [False, True, True])]:
        assert ours.dtype == np.bool_
        np.testing.assert_array_equal(ours.data, theirs)
    assert (a == None) is False  # noqa: E711 (PyTorch answers False, it does not raise)
    assert len({a, b, a}) == 2


def test_truth_value_and_numpy_conversion():
    assert bool(Tensor([0.0])) is False and bool(Tensor(3.0)) is True
    array = np.array(Tensor([[1.0, 2.0]]))
    assert array.dtype == np.float32 and array.shape == (1, 2)


def test_shape_operations_match_numpy():
    x = rng.standard_normal((2, 1, 3, 1))
    same(lambda t: t.squeeze(), x, numpy_expression=lambda a: a.squeeze())
    same(lambda t: t.squeeze(1), x, numpy_expression=lambda a: a.squeeze(1))
    same(lambda t: t.squeeze(0), x, numpy_expression=lambda a: a)  # size 2: unchanged, as in PyTorch
    same(lambda t: t.unsqueeze(0), A, numpy_expression=lambda a: a[None])
    same(lambda t: t.unsqueeze(-1), A, numpy_expression=lambda a: a[..., None])
    same(lambda t: t.flatten(), x, numpy_expression=lambda a: a.reshape(-1))
    same(lambda t: t.flatten(1), x, numpy_expression=lambda a: a.reshape(2, -1))
    same(lambda t: t.flatten(1, 2), x, numpy_expression=lambda a: a.reshape(2, 3, 1))
    same(lambda t: t.permute(2, 0, 3, 1), x, numpy_expression=lambda a: a.transpose(2, 0, 3, 1))
    same(lambda t: t.view(3, 4), A, numpy_expression=lambda a: a.reshape(3, 4))
    same(lambda t: t.min(), A, numpy_expression=lambda a: a.min())
    same(lambda t: t.min(1).values, A, numpy_expression=lambda a: a.min(1))
    same(lambda t: t.abs(), A, numpy_expression=np.abs)
    assert Tensor(A).argmin(1).dtype == np.int64
    np.testing.assert_array_equal(Tensor(A).argmin(1).data, A.argmin(1))


def test_clone_copies_detach_shares_and_view_shares():
    t = Tensor(np.arange(6.0))
    assert not np.shares_memory(t.clone().data, t.data)
    assert np.shares_memory(t.detach().data, t.data) and np.shares_memory(t.view(2, 3).data, t.data)


def test_in_place_updates_keep_the_object_and_its_memory():
    t = Tensor(np.ones(3))
    memory, same_object = t.data, t
    t += 1
    t.mul_(Tensor([1.0, 2.0, 3.0])).sub_(1).div_(2)
    assert t is same_object and t.data is memory
    np.testing.assert_allclose(t.data, [0.5, 1.5, 2.5])
    t.copy_(np.array([7.0, 8.0, 9.0]))
    np.testing.assert_allclose(t.data, [7, 8, 9])
    assert t.zero_().data.sum() == 0 and t.fill_(2).data.tolist() == [2, 2, 2]


def test_factories_infer_dtypes_like_torch_and_copy():
    import tinytorch
    assert tinytorch.tensor([1, 2]).dtype == np.int64
    assert tinytorch.tensor([1.5, 2]).dtype == np.float32
    assert tinytorch.tensor([True]).dtype == np.bool_
    source = np.ones(3, dtype=np.float64)
    copied, shared = tinytorch.tensor(source), tinytorch.from_numpy(source)
    assert copied.dtype == np.float64 and not np.shares_memory(copied.data, source)
    assert np.shares_memory(shared.data, source)
    assert tinytorch.zeros(2, 3).shape == (2, 3) and tinytorch.ones((2,)).dtype == np.float32
    assert tinytorch.zeros(2, dtype=tinytorch.int64).dtype == np.int64
    assert tinytorch.full((2,), 7).dtype == np.int64 and tinytorch.full((2,), 0.5).dtype == np.float32
    assert tinytorch.arange(5).dtype == np.int64 and tinytorch.arange(5).tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(tinytorch.arange(0, 1, 0.25).data, [0, 0.25, 0.5, 0.75])
    assert tinytorch.arange(0, 1, 0.25).dtype == np.float32
    np.testing.assert_array_equal(tinytorch.eye(2).data, np.eye(2))
    assert tinytorch.zeros_like(Tensor(np.ones((2, 2)), dtype=np.float64)).dtype == np.float64
    tinytorch.manual_seed(3)
    first = tinytorch.randn(4)
    tinytorch.manual_seed(3)
    np.testing.assert_array_equal(tinytorch.randn(4).data, first.data)
    assert tinytorch.rand(100).data.min() >= 0 and tinytorch.rand(100).data.max() < 1
    with pytest.raises(TypeError, match="non-negative"):
        tinytorch.zeros(-1)


def test_repr_shows_dtype_and_gradient_state_like_pytorch():
    assert repr(Tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(Tensor([1, 2], dtype=np.int64)) == "tensor([1, 2])"
    assert "dtype=float64" in repr(Tensor([1.0], dtype=np.float64))
    leaf = Tensor([1.0], requires_grad=True)
    assert repr(leaf) == "tensor([1.], requires_grad=True)"
    assert repr(leaf * 2) == "tensor([2.], grad_fn=<MulBackward0>)"


def test_help_shows_each_methods_own_name_and_docstring():
    for name in ["sum", "max", "min", "abs", "__add__", "reshape", "__getitem__", "exp", "add_", "__eq__"]:
        method = getattr(Tensor, name)
        assert method.__name__ == name and method.__qualname__ == f"Tensor.{name}"
        assert method.__doc__, f"Tensor.{name} has no docstring"
    import inspect
    assert list(inspect.signature(Tensor.sum).parameters) == ["self", "dim", "keepdim"]
