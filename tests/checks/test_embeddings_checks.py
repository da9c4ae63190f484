"""Each module-11 check accepts the reference and rejects a deliberately wrong implementation (a mutant)."""
import numpy as np

from tinytorch.checks import embeddings as checks
from tinytorch.core.autograd import Function, record
from tinytorch.core.embeddings import (Embedding, EmbeddingBackward0, LearnedPositionalEmbedding, _check_positions,
                                       _index_array, embedding, sinusoidal_positional_encoding)
from tinytorch.core.layers import Parameter
from tinytorch.core.tensor import Tensor

from mutants import make_mutant_tests


def embedding_wrapping_negative_ids(input, weight):
    """Only checks the upper bound: -1 silently reads the last row, as numpy does."""
    indices = _index_array(input)
    if (indices >= weight.shape[0]).any():
        raise IndexError(f"index out of range for a table of {weight.shape[0]} rows")
    return record(Tensor(weight.data[indices], dtype=weight.dtype), EmbeddingBackward0, weight, indices=indices)


def embedding_without_message(input, weight):
    """Lets numpy raise: an IndexError that names neither the id nor the table size helpfully."""
    indices = _index_array(input)
    if (indices < 0).any():
        raise IndexError("bad index")
    return record(Tensor(weight.data[indices], dtype=weight.dtype), EmbeddingBackward0, weight, indices=indices)


def embedding_truncating_floats(input, weight):
    indices = np.asarray(input.data).astype(np.int64)
    return embedding(Tensor(indices, dtype=np.int64), weight)


def embedding_returning_a_view(input, weight):
    """Basic slicing for a single id: a view into the table, so writing into the output changes the weight."""
    output = embedding(input, weight)
    if input.ndim == 0:
        return Tensor(weight.data[int(input.data)], dtype=weight.dtype)
    return output


class AssigningBackward(Function):
    def backward(self, grad):
        grad_weight = np.zeros(self.inputs[0].shape, dtype=grad.dtype)
        grad_weight[self.indices] = grad  # a repeated id keeps only its last write
        return (grad_weight,)


class PlusEqualsBackward(Function):
    def backward(self, grad):
        grad_weight = np.zeros(self.inputs[0].shape, dtype=grad.dtype)
        grad_weight[self.indices] += grad  # buffered: repeats still counted once
        return (grad_weight,)


class DenseOnesBackward(Function):
    """Gives every row the mean upstream gradient: rows never looked up move too."""

    def backward(self, grad):
        rows = grad.reshape(-1, grad.shape[-1]).mean(axis=0)
        return (np.broadcast_to(rows, self.inputs[0].shape).copy(),)


def with_backward(rule):
    named = type("EmbeddingBackward0", (rule,), {})  # PyTorch's node name, the learner's wrong rule
    def embedding_with(input, weight):
        output = embedding(input, weight)
        return record(Tensor(output.data, dtype=output.dtype), named, weight, indices=_index_array(input))
    embedding_with.__name__ = f"embedding_with_{rule.__name__}"
    return embedding_with


class UniformEmbedding(Embedding):
    def __init__(self, num_embeddings, embedding_dim):
        super().__init__(num_embeddings, embedding_dim)
        from tinytorch.random import default_generator
        bound = 1 / np.sqrt(embedding_dim)
        self.weight = Parameter(default_generator().uniform(-bound, bound, (num_embeddings, embedding_dim)))


class UnseededEmbedding(Embedding):
    def __init__(self, num_embeddings, embedding_dim):
        super().__init__(num_embeddings, embedding_dim)
        self.weight = Parameter(np.random.default_rng().standard_normal((num_embeddings, embedding_dim)))


class UnitVarianceUniformEmbedding(Embedding):
    """Uniform with std 1 (±sqrt(3)): right mean and spread, never beyond ±1.74."""

    def __init__(self, num_embeddings, embedding_dim):
        super().__init__(num_embeddings, embedding_dim)
        from tinytorch.random import default_generator
        self.weight = Parameter(default_generator().uniform(-np.sqrt(3), np.sqrt(3), (num_embeddings, embedding_dim)))


def sinusoid_swapped(max_len, d_model):
    """cos on even dims, sin on odd ones."""
    positions = np.arange(max_len)[:, None]
    dims = np.arange(d_model)
    angles = positions / 10000 ** (2 * (dims // 2) / d_model)
    return Tensor(np.where(dims % 2 == 0, np.cos(angles), np.sin(angles)).astype(np.float32))


def sinusoid_per_dim_exponent(max_len, d_model):
    """Exponent j / d for every dimension j instead of 2i / d shared by the pair."""
    positions = np.arange(max_len)[:, None]
    dims = np.arange(d_model)
    angles = positions / 10000 ** (dims / d_model)
    return Tensor(np.where(dims % 2 == 0, np.sin(angles), np.cos(angles)).astype(np.float32))


def sinusoid_halves(max_len, d_model):
    """sin in the first half of the dimensions, cos in the second (another published layout, not the paper's)."""
    half = d_model // 2
    positions = np.arange(max_len)[:, None]
    angles = positions / 10000 ** (2 * np.arange(d_model - half) / d_model)
    return Tensor(np.concatenate([np.sin(angles), np.cos(angles[:, :half])], axis=1).astype(np.float32))


class PositionsWithoutLengthCheck(LearnedPositionalEmbedding):
    def forward(self, x):
        length = x.shape[-2]
        positions = np.arange(length, dtype=np.int64) % self.num_embeddings  # wraps around silently
        return x + embedding(Tensor(positions, dtype=np.int64), self.weight)


class PositionsFromOne(LearnedPositionalEmbedding):
    def forward(self, x):
        length = _check_positions(x, self.embedding_dim, self.num_embeddings, "PositionsFromOne")
        positions = np.minimum(np.arange(1, length + 1), self.num_embeddings - 1).astype(np.int64)
        return x + embedding(Tensor(positions, dtype=np.int64), self.weight)


class PositionsDetached(LearnedPositionalEmbedding):
    """Adds the raw rows as a constant: the position table never learns."""

    def forward(self, x):
        length = _check_positions(x, self.embedding_dim, self.num_embeddings, "PositionsDetached")
        return x + Tensor(self.weight.data[:length])


CASES = [
    (checks.check_embedding_lookup, embedding,
     [(embedding_wrapping_negative_ids, "-1"), (embedding_without_message, "should mention"),
      (embedding_truncating_floats, "float32 ids"), (embedding_returning_a_view, "new array")]),
    (checks.check_embedding_gradient, embedding,
     [(with_backward(AssigningBackward), "repeated ids must accumulate"),
      (with_backward(PlusEqualsBackward), "repeated ids must accumulate"),
      (with_backward(DenseOnesBackward), "never looked up")]),
    (checks.check_embedding_module, Embedding,
     [(UniformEmbedding, "N(0, 1)"), (UnseededEmbedding, "manual_seed"), (UnitVarianceUniformEmbedding, "uniform")]),
    (checks.check_sinusoidal, sinusoidal_positional_encoding,
     [(sinusoid_swapped, "position 0"), (sinusoid_per_dim_exponent, "odd dimensions"),
      (sinusoid_halves, "position 0")]),
    (checks.check_learned_positions, LearnedPositionalEmbedding,
     [(PositionsWithoutLengthCheck, "9 positions with max_len = 8"), (PositionsFromOne, "x + weight[:5]"),
      (PositionsDetached, "should get a gradient")]),
]

test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
