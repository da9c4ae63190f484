"""Checks for module 01 (Tensor). Each takes the learner's Tensor class."""
import numpy as np

from tinytorch.checks import assert_close, assert_raises, check


@check("Part 1 · creating tensors")
def check_creation(Tensor):
    t = Tensor([[1, 2, 3], [4, 5, 6]])
    assert isinstance(t.data, np.ndarray), f"t.data should be a numpy array, got {type(t.data).__name__}"
    asked = Tensor(np.zeros(3), dtype=np.float64)
    assert asked.dtype == np.float64, \
        f"Tensor(np.zeros(3), dtype=np.float64) should be float64, got {asked.dtype}: __init__ must use its dtype argument"
    shared = np.ones(3, dtype=np.float32)
    assert np.shares_memory(Tensor(shared).data, shared), \
        ("Tensor(a float32 numpy array) should use that array as it is, not copy it (np.asarray shares, "
         "np.array copies): __init__")
    assert t.dtype == np.float32, f"Tensor([[1, 2, 3], [4, 5, 6]]) should be float32 by default, got {t.dtype}"
    assert t.shape == (2, 3), f"shape should be (2, 3), got {t.shape}"
    assert t.size() == (2, 3) and t.size(1) == 3, "size() should return the shape and size(dim) one dimension"
    assert t.numel() == 6, f"numel() should be 6, got {t.numel()}"
    assert t.memory_footprint() == 24, \
        f"6 float32 numbers take 6 × 4 = 24 bytes; memory_footprint() returned {t.memory_footprint()}"
    wide = Tensor(np.zeros((10, 10)), dtype=np.float64)
    assert wide.memory_footprint() == 800, \
        f"100 float64 numbers take 800 bytes; memory_footprint() returned {wide.memory_footprint()}"
    assert Tensor(np.ones(3)).dtype == np.float32, "a float64 numpy array should become float32 by default"
    assert Tensor(3.5).shape == () and Tensor(3.5).item() == 3.5, "Tensor(3.5) should be a 0-d tensor"
    copy = Tensor(t)
    assert_close(copy, t.data, "Tensor(another_tensor)")


@check("Part 2 · arithmetic and broadcasting")
def check_arithmetic(Tensor):
    a_np = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    b_np = np.array([10.0, 20.0, 30.0], dtype=np.float32)
    a, b = Tensor(a_np), Tensor(b_np)
    counts = Tensor(np.array([1, 2]), dtype=np.int64)
    half = counts * 0.5
    assert half.dtype == np.float32 and np.allclose(half.data, [0.5, 1.0]), \
        (f"int64 tensor [1, 2] * 0.5 should be float32 [0.5, 1.0] (PyTorch promotes), got {half.dtype} "
         f"{half.data}: compute in result_type(self, other)'s dtype, and keep the result's dtype")
    assert (counts + 1).dtype == np.int64, f"int64 tensor + 1 should stay int64, got {(counts + 1).dtype}"
    compared = a > b
    assert compared.dtype == np.bool_, \
        (f"(2, 3) > (3,) should give a bool tensor, got {compared.dtype}: keep the dtype numpy's result has "
         "(Tensor(result, dtype=result.dtype)), not the operands' dtype")
    assert_close(compared, a_np > b_np, "(2, 3) > (3,)")
    for symbol, ours, expected in [("+", a + b, a_np + b_np), ("-", a - b, a_np - b_np),
                                   ("*", a * b, a_np * b_np), ("/", a / b, a_np / b_np),
                                   ("* 2", a * 2, a_np * 2), ("2 *", 2 * a, 2 * a_np),
                                   ("1 -", 1 - a, 1 - a_np), ("1 /", 1 / a, 1 / a_np),
                                   ("unary -", -a, -a_np)]:
        assert isinstance(ours, Tensor), f"a {symbol} b should return a Tensor, got {type(ours).__name__}"
        assert_close(ours, expected, f"(2, 3) {symbol} (3,)")
    column = Tensor(np.array([[1.0], [2.0]], dtype=np.float32))
    assert_close(column * b, np.array([[1.0], [2.0]]) * b_np, "(2, 1) * (3,) broadcasts to (2, 3)")
    assert (a + b).dtype == np.float32, f"float32 + float32 should stay float32, got {(a + b).dtype}"
    assert_raises(ValueError, lambda: a + Tensor(np.ones(4)), "adding shapes (2, 3) and (4,)",
                  must_mention=["(2, 3)", "(4,)"])


@check("Part 3 · matrix multiplication")
def check_matmul(Tensor):
    rng = np.random.default_rng(1)
    a_np, b_np = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
    assert_close(Tensor(a_np) @ Tensor(b_np), a_np @ b_np, "(2, 3) @ (3, 4)", rtol=1e-4)
    v_np = rng.standard_normal(3).astype(np.float32)
    assert_close(Tensor(a_np) @ Tensor(v_np), a_np @ v_np, "(2, 3) @ (3,)", rtol=1e-4)
    batch_np = rng.standard_normal((5, 2, 3)).astype(np.float32)
    assert_close(Tensor(batch_np) @ Tensor(b_np), batch_np @ b_np, "(5, 2, 3) @ (3, 4)", rtol=1e-4)
    batch_b = rng.standard_normal((5, 3, 4)).astype(np.float32)
    assert_close(Tensor(batch_np) @ Tensor(batch_b), batch_np @ batch_b,
                 "(5, 2, 3) @ (5, 3, 4) (batched on both sides: the inner size of a matrix is shape[-2])", rtol=1e-4)
    wide_np = rng.standard_normal((2, 3))
    wide = Tensor(wide_np, dtype=np.float64) @ Tensor(b_np.astype(np.float64), dtype=np.float64)
    assert wide.dtype == np.float64, \
        (f"float64 (2, 3) @ float64 (3, 4) should stay float64, got {wide.dtype}: give the result the "
         "operands' result_type (Tensor(result, dtype=dtype)), not Tensor's float32 default")
    assert_close(wide, wide_np @ b_np.astype(np.float64), "float64 (2, 3) @ float64 (3, 4)")
    assert_raises(ValueError, lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5))),
                  "multiplying (2, 3) by (4, 5)", must_mention=["(2, 3)", "(4, 5)"])


@check("Part 4 · reshape and transpose")
def check_shape_ops(Tensor):
    base_np = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = Tensor(base_np)
    assert_close(t.reshape(6, 4), base_np.reshape(6, 4), "reshape(6, 4)")
    assert_close(t.reshape((4, -1)), base_np.reshape(4, -1), "reshape((4, -1))")
    assert_close(t.transpose(0, 2), np.swapaxes(base_np, 0, 2), "transpose(0, 2)")
    assert_close(t.transpose(-1, -2), np.swapaxes(base_np, -1, -2), "transpose(-1, -2)")
    assert np.shares_memory(t.reshape(24).data, t.data), "reshape of a contiguous tensor should be a view, not a copy"
    assert np.shares_memory(t.transpose(0, 1).data, t.data), "transpose should be a view, not a copy"
    ids = Tensor(np.arange(6).reshape(2, 3), dtype=np.int64)
    for what, result in [("reshape(3, 2)", lambda: ids.reshape(3, 2)), ("transpose(0, 1)", lambda: ids.transpose(0, 1))]:
        out = result()
        assert out.dtype == np.int64, \
            (f"an int64 tensor's {what} should stay int64 (token ids must stay integers), got {out.dtype}: "
             "pass dtype=self.dtype to the Tensor you return")
    assert_raises(ValueError, lambda: t.reshape(5, 5), "reshape of 24 elements to (5, 5)",
                  must_mention=["(2, 3, 4)", "(5, 5)"])
    assert_raises(IndexError, lambda: t.transpose(0, 3), "transpose(0, 3) of a 3-d tensor", must_mention=["3"])


@check("Part 5 · sum, mean, max")
def check_reductions(Tensor):
    x_np = np.array([[1.0, 5.0, 3.0], [4.0, 2.0, 6.0]], dtype=np.float32)
    x = Tensor(x_np)
    assert x.sum().shape == () and np.isclose(x.sum().item(), 21.0), "sum() should be a 0-d tensor holding 21"
    assert_close(x.sum(0), x_np.sum(0), "sum(0)")
    assert_close(x.sum(dim=1, keepdim=True), x_np.sum(1, keepdims=True), "sum(dim=1, keepdim=True)")
    assert_close(x.sum(dim=(0, 1)), x_np.sum(), "sum(dim=(0, 1))")
    assert_close(x.mean(1), x_np.mean(1), "mean(1)")
    assert_close(x.mean(), x_np.mean(), "mean()")
    assert np.isclose(x.max().item(), 6.0), "max() should be the largest element, 6"
    result = x.max(1)
    values, indices = result
    assert_close(values, [5.0, 6.0], "max(1).values")
    assert_close(result.indices, [1, 2], "max(1).indices")
    assert_close(x.max(dim=0, keepdim=True).values, x_np.max(0, keepdims=True), "max(dim=0, keepdim=True).values")
    assert np.isclose(x.min().item(), 1.0), "min() should be the smallest element, 1 (max and min share _extreme)"
    assert_close(x.min(1).indices, [0, 1], "min(1).indices")
    count = Tensor(x_np > 2.0, dtype=np.bool_).sum()
    assert count.dtype == np.int64 and count.item() == 4, \
        (f"Tensor(x > 2).sum() counts the True values of a bool tensor: it should be the int64 4, as in PyTorch "
         f"(bools and integers sum to int64), got {count.dtype} {count.data}")
    assert_raises(IndexError, lambda: x.sum(2), "sum(2) of a 2-d tensor", must_mention=["2"])
    assert_raises(IndexError, lambda: x.mean(dim=5), "mean(dim=5) of a 2-d tensor", must_mention=["5"])


@check("Part 6 · indexing and slicing")
def check_indexing(Tensor):
    x_np = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = Tensor(x_np)
    for index in [0, (1, 2), (slice(None), 1), (slice(1, 3), slice(None, None, 2)), -1]:
        assert_close(x[index], x_np[index], f"x[{index!r}]")
    assert_close(x[np.array([2, 0])], x_np[[2, 0]], "x[np.array([2, 0])]")
    assert_close(x[Tensor(np.array([2, 0]), dtype=np.int64)], x_np[[2, 0]], "x[Tensor([2, 0], dtype=int64)] (a Tensor as index)")
    assert_raises(IndexError, lambda: x[Tensor([0.5, 1.9])], "x[Tensor([0.5, 1.9])] (a float index)",
                  must_mention=["float32"])
    assert_close(x[x_np > 5], x_np[x_np > 5], "x[boolean mask]")
    assert isinstance(x[0], Tensor), "indexing should return a Tensor"
    ids = Tensor(np.arange(6), dtype=np.int64)
    assert ids[1:4].dtype == np.int64 and ids[np.array([0, 2])].dtype == np.int64, \
        (f"slicing an int64 tensor should keep int64, got {ids[1:4].dtype}: pass dtype=self.dtype to the "
         "Tensor you return")
    assert np.shares_memory(x[1:].data, x.data), "a slice should be a view, not a copy"
    assert_raises(IndexError, lambda: x[5], "x[5] of a (3, 4) tensor", must_mention=["(3, 4)"])
