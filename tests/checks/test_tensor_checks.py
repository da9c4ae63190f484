"""Each module-01 check accepts the reference Tensor and rejects a deliberately wrong one (a mutant)."""
import numpy as np

from tinytorch.checks import tensor as checks
from tinytorch.core.tensor import Tensor, result_type

from mutants import make_mutant_tests


class Float64ByDefault(Tensor):
    def __init__(self, data, dtype=None):
        super().__init__(data, dtype=np.float64 if dtype is None else dtype)


class InitIgnoresDtype(Tensor):
    def __init__(self, data, dtype=None, requires_grad=False):
        super().__init__(data, requires_grad=requires_grad)


class InitCopies(Tensor):
    def __init__(self, data, dtype=None, requires_grad=False):
        super().__init__(np.array(getattr(data, "data", data), dtype=dtype or np.float32), dtype=dtype,
                         requires_grad=requires_grad)


class ComparisonsKeepOperandDtype(Tensor):
    def _elementwise(self, other, op, name):
        result = super()._elementwise(other, op, name)
        return type(self)(result.data, dtype=result_type(self, other))  # the operands' dtype: bool -> float


class MatmulInnerFromFirstDim(Tensor):
    def __matmul__(self, other):
        if self.shape[-1] != other.shape[0]:  # right for 1-d and 2-d operands only
            raise ValueError(f"matmul: shapes {self.shape} and {other.shape} differ in their inner dimensions")
        return type(self)(np.matmul(self.data, other.data))


class FootprintCountsElements(Tensor):
    def memory_footprint(self):
        return self.numel()


class AddIgnoresBroadcastErrors(Tensor):
    def _elementwise(self, other, op, name):
        other = other if isinstance(other, Tensor) else Tensor(other)
        try:
            return Tensor(op(self.data, other.data))
        except ValueError:
            return Tensor(self.data)  # a silent wrong result instead of an error


class ElementwiseKeepsSelfDtype(Tensor):
    def _elementwise(self, other, op, name):
        other = other if isinstance(other, Tensor) else type(self)(other)
        return type(self)(op(self.data, other.data), dtype=self.dtype)  # int64 * 0.5 truncates to 0


class ElementwiseMatmul(Tensor):
    def __matmul__(self, other):
        return Tensor(self.data * other.data)


class MatmulVagueError(Tensor):
    def __matmul__(self, other):
        if self.shape[-1] != other.shape[0 if other.ndim == 1 else -2]:
            raise ValueError("shapes do not match")
        return Tensor(self.data @ other.data)


class ReshapeCopies(Tensor):
    def reshape(self, *shape):
        return Tensor(self.data.reshape(*shape).copy())


class TransposeReversesAll(Tensor):
    def transpose(self, dim0, dim1):
        return Tensor(self.data.T)


class MaxWithoutIndices(Tensor):
    def max(self, dim=None, keepdim=False):
        return Tensor(np.max(self.data, axis=dim, keepdims=keepdim))


class MeanIgnoresKeepdim(Tensor):
    def sum(self, dim=None, keepdim=False):
        return Tensor(np.sum(self.data, axis=dim))


class IndexingCopiesSlices(Tensor):
    def __getitem__(self, index):
        if isinstance(index, Tensor):
            index = index.data.astype(np.int64)
        return Tensor(np.array(self.data[index]))


class MatmulWithDot(Tensor):
    def __matmul__(self, other):
        other = other if isinstance(other, Tensor) else Tensor(other)
        dtype = result_type(self, other)
        inner = other.shape[0] if other.ndim == 1 else other.shape[-2]
        if self.shape[-1] != inner:
            raise ValueError(f"matmul: shapes {self.shape} and {other.shape} differ in their inner dimensions")
        return Tensor(np.dot(self.data, other.data), dtype=dtype)  # np.dot pairs batches differently


class MatmulLosesDtype(Tensor):
    def __matmul__(self, other):
        result = super().__matmul__(other)
        return type(self)(result.data)  # the float32 default: float64 @ float64 becomes float32


class ReshapeLosesDtype(Tensor):
    def reshape(self, *shape):
        return type(self)(super().reshape(*shape).data)  # the float32 default: int64 becomes float32


class TransposeLosesDtype(Tensor):
    def transpose(self, dim0, dim1):
        return type(self)(np.swapaxes(self.data, dim0, dim1))


class SumKeepsInputDtype(Tensor):
    def sum(self, dim=None, keepdim=False):
        return type(self)(np.sum(self.data, axis=dim, keepdims=keepdim), dtype=self.dtype)  # bool sums stay bool


class IndexingLosesDtype(Tensor):
    def __getitem__(self, index):
        return type(self)(super().__getitem__(index).data)  # the float32 default: int64 becomes float32


CASES = [
    (checks.check_creation, Tensor, [Float64ByDefault, FootprintCountsElements,
                                     (InitIgnoresDtype, "must use its dtype"), (InitCopies, "not copy it")]),
    (checks.check_arithmetic, Tensor, [AddIgnoresBroadcastErrors, (ElementwiseKeepsSelfDtype, "PyTorch promotes"),
                                       (ComparisonsKeepOperandDtype, "should give a bool tensor")]),
    (checks.check_matmul, Tensor, [ElementwiseMatmul, MatmulVagueError, (MatmulInnerFromFirstDim, "(5, 2, 3) and (5, 3, 4)"),
                                    (MatmulWithDot, "(5, 2, 3) @ (5, 3, 4)"), (MatmulLosesDtype, "float64")]),
    (checks.check_shape_ops, Tensor, [ReshapeCopies, TransposeReversesAll, (ReshapeLosesDtype, "int64"),
                                        (TransposeLosesDtype, "int64")]),
    (checks.check_reductions, Tensor, [MaxWithoutIndices, MeanIgnoresKeepdim, (SumKeepsInputDtype, "int64")]),
    (checks.check_indexing, Tensor, [IndexingCopiesSlices, (IndexingLosesDtype, "int64")]),
]


test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
