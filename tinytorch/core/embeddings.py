"""Generated from content/11_embeddings.py by scripts/build_content.py: edit the source, not this file."""
# From content/11_embeddings.py, cell 2 (Part 1 · A table of vectors, and a lookup)
import math

import numpy as np

from tinytorch.core.autograd import Function, record
from tinytorch.core.layers import Module, Parameter, check_size
from tinytorch.core.tensor import Tensor
from tinytorch.patching import patch_to
from tinytorch.random import default_generator

__all__ = ["embedding", "EmbeddingBackward0", "Embedding", "sinusoidal_positional_encoding",
           "SinusoidalPositionalEncoding", "LearnedPositionalEmbedding"]


class EmbeddingBackward0(Function):
    """The gradient of an embedding lookup with respect to the table (`self.indices` saved); the rule,
    backward(), is written in Part 2."""


def _index_array(input, op="embedding"):
    """The int64 numpy array of a Tensor of token ids; float or bool ids are refused, as PyTorch does."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): the indices must be a Tensor of int64 token ids, got {type(input).__name__}; "
                        "wrap them: tinytorch.tensor([...])")
    if input.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): the indices must be an integer tensor (int64, as torch.long), got dtype "
                           f"{input.dtype}; token ids are whole numbers: convert them with .long()")
    return input.data.astype(np.int64, copy=False)


def embedding(input, weight):
    """Row lookup: `weight[input]`, of shape input.shape + (embedding_dim,), as torch.nn.functional.embedding.

    `input` holds int64 ids in 0 .. num_embeddings - 1 (IndexError otherwise); `weight` is the
    (num_embeddings, embedding_dim) table. Gradients flow to `weight` only (EmbeddingBackward0)."""
    indices = _index_array(input)
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        raise ValueError(f"embedding(): weight must be a 2-d Tensor (num_embeddings, embedding_dim), got "
                         f"{getattr(weight, 'shape', type(weight).__name__)}")
    bad = (indices < 0) | (indices >= weight.shape[0])
    if bad.any():
        raise IndexError(f"embedding(): index {int(indices[bad][0])} is out of range for a table of "
                         f"{weight.shape[0]} rows (valid ids: 0 to {weight.shape[0] - 1})")
    output = Tensor(weight.data[indices], dtype=weight.dtype)
    return record(output, EmbeddingBackward0, weight, indices=indices)


# From content/11_embeddings.py, cell 8 (Part 2 · The gradient is sparse, and it accumulates)
@patch_to(EmbeddingBackward0)
def backward(self, grad):
    """dLoss/dweight: the upstream rows added into the rows they were read from (repeats accumulate)."""
    (weight,) = self.inputs
    grad_weight = np.zeros(weight.shape, dtype=grad.dtype)
    np.add.at(grad_weight, self.indices, grad)
    return (grad_weight,)


# From content/11_embeddings.py, cell 12 (Part 3 · `nn.Embedding`)
class Embedding(Module):
    """A lookup table of `num_embeddings` vectors of size `embedding_dim`, as torch.nn.Embedding: int64 ids
    of any shape (...) give (..., embedding_dim); the table is drawn from N(0, 1)."""

    def __init__(self, num_embeddings, embedding_dim):
        super().__init__()
        self.num_embeddings = check_size(num_embeddings, "num_embeddings", "Embedding")
        self.embedding_dim = check_size(embedding_dim, "embedding_dim", "Embedding")
        self.weight = Parameter(default_generator().standard_normal((self.num_embeddings, self.embedding_dim)))

    def forward(self, input):
        return embedding(input, self.weight)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"


# From content/11_embeddings.py, cell 16 (Part 4 · Where is each token? Positional encodings)
def sinusoidal_positional_encoding(max_len, d_model, base=10000.0):
    """The (max_len, d_model) float32 table of "Attention Is All You Need": PE[pos, 2i] = sin(pos / base^(2i/d))
    and PE[pos, 2i+1] = cos(pos / base^(2i/d)), i = dim // 2 (an odd d_model ends with a sine)."""
    max_len = check_size(max_len, "max_len", "sinusoidal_positional_encoding")
    d_model = check_size(d_model, "d_model", "sinusoidal_positional_encoding")
    positions = np.arange(max_len, dtype=np.float64)[:, None]
    dims = np.arange(d_model, dtype=np.int64)
    angles = positions / base ** (2 * (dims // 2) / d_model)
    table = np.where(dims % 2 == 0, np.sin(angles), np.cos(angles))
    return Tensor(table.astype(np.float32))


def _check_positions(x, d_model, max_len, owner):
    """The sequence length of x (..., L, d_model), or a clear error when x does not fit."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{owner}: expected a Tensor of token vectors (..., seq_len, {d_model}), got {type(x).__name__}")
    if x.ndim < 2 or x.shape[-1] != d_model:
        raise ValueError(f"{owner}: expected token vectors of shape (..., seq_len, {d_model}), got {x.shape}")
    length = x.shape[-2]
    if length > max_len:
        raise ValueError(f"{owner}: the sequence has {length} positions but max_len is {max_len}: there is no "
                         f"position vector beyond {max_len - 1}; cut the sequence or build it with a larger max_len")
    return length


class SinusoidalPositionalEncoding(Module):
    """x + PE[:L] for x of shape (..., L, d_model), PE the fixed sinusoidal table (a non-persistent buffer)."""

    def __init__(self, d_model, max_len=5000):
        super().__init__()
        self.d_model, self.max_len = d_model, max_len
        self.register_buffer("pe", sinusoidal_positional_encoding(max_len, d_model), persistent=False)

    def forward(self, x):
        length = _check_positions(x, self.d_model, self.max_len, type(self).__name__)
        return x + Tensor(self.pe.data[:length], dtype=x.dtype)

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}"


class LearnedPositionalEmbedding(Embedding):
    """An Embedding over positions 0 .. max_len - 1 (GPT-2's `wpe`): forward(x) returns x + weight[:L] for token
    vectors x of shape (..., L, embedding_dim); ValueError when L > max_len."""

    def __init__(self, max_len, embedding_dim):
        super().__init__(max_len, embedding_dim)

    def forward(self, x):
        length = _check_positions(x, self.embedding_dim, self.num_embeddings, type(self).__name__)
        positions = Tensor(np.arange(length, dtype=np.int64), dtype=np.int64)
        return x + embedding(positions, self.weight)
