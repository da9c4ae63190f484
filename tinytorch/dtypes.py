"""PyTorch's dtype names (`tinytorch.float32`, `tinytorch.long`, ...) as numpy dtypes, so
`Tensor(x, dtype=tinytorch.int64)` and `t.to(tinytorch.float64)` read as in PyTorch."""
import numpy as np

__all__ = ["float32", "float64", "int32", "int64", "bool", "float", "double", "long"]

float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool = np.dtype(np.bool_)
