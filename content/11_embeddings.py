# %% [markdown]
# # Module 11 · Embeddings
#
# A language model reads token ids: whole numbers such as `17` or `4031`. Numbers like these have no
# useful arithmetic (token 18 is not "a bit more" than token 17), so the first layer of every language
# model turns each id into a vector of learned floats: an **embedding**. It is the simplest layer in the
# course (a table lookup), and in large models one of the biggest: GPT-2's token table alone holds
# 38 million of its 124 million parameters. This module builds PyTorch's `nn.Embedding`, its gradient,
# and the two ways of telling a model *where* in the sequence a token stands.
#
# ```text
# Connection map
#   Prerequisites : 01 Tensor (fancy indexing), 03 Layers (Module, Parameter),
#                   06 Autograd (Function, record), 10 Tokenization (text -> token ids)
#   Focus (11)    : embedding lookup = one-hot @ weight, its sparse gradient (np.add.at),
#                   nn.Embedding, sinusoidal and learned positional encodings
#   Unlocks       : 12 Attention (it compares these vectors), 13 Transformers (token + position input)
# ```
#
# ## Learning objectives
# 1. Implement `F.embedding(input, weight)` as a row lookup, and show that it equals `one_hot @ weight`.
# 2. Write its backward rule so that a token appearing several times **accumulates** gradient.
# 3. Build `nn.Embedding(num_embeddings, embedding_dim)` as PyTorch does (weights drawn from N(0, 1)).
# 4. Add position information: the sinusoidal encoding of "Attention Is All You Need" and a learned
#    positional embedding.
# 5. **Measure**: the time and memory of a lookup against a one-hot matmul, the fraction of the table a
#    batch's gradient touches, and the bytes of an embedding table (vocab × dim × 4).
#
# Module 10 builds proper tokenizers. Here a short string and a character-to-id dictionary written in a
# cell are enough. Fill in the code where it says `# YOUR CODE HERE`, and run each check cell.

# %% [markdown]
# ## Part 1 · A table of vectors, and a lookup
#
# An embedding layer owns a matrix `weight` of shape `(num_embeddings, embedding_dim)`: one row per token
# id. Embedding token `t` means reading row `t`. A batch of ids of any shape `(...)` becomes a tensor of
# shape `(..., embedding_dim)`:
#
# ```text
# ids  (2, 3)            weight (5, 4)                 output (2, 3, 4)
# [[1, 4, 1],     row 0: [ .  .  .  . ]         [[w1, w4, w1],
#  [0, 2, 2]]     row 1: [ .  .  .  . ]  ---->   [w0, w2, w2]]    (each w_i is a row of 4 numbers)
#                 ...
# ```
#
# The same thing can be written as a matrix product: make a **one-hot** vector for each id (a row of
# zeros with a single 1 at position `t`) and multiply it by `weight`. The 1 picks out row `t`, every 0
# cancels another row. So an embedding is a linear layer whose input happens to be one-hot. The lookup
# gives the same numbers without building the one-hot matrix and without the `vocab`-long dot products;
# the systems analysis measures how much that saves.
#
# Token ids are whole numbers, so the indices are **int64** tensors; PyTorch refuses float indices, and
# so do we (a float index would be silently truncated). An id outside `0 … num_embeddings − 1` is a bug in
# the tokenizer or the vocabulary size. numpy would read `-1` as "the last row" without complaint; PyTorch
# raises `IndexError`, and so must we, naming the index and the table's size.
#
# The result is a new Tensor; when `weight` requires grad it records an `EmbeddingBackward0` node (the
# name PyTorch gives it), whose rule you write in Part 2.
#
# Your task: the body of `embedding`: the range check and the lookup.

# %%
#| export
#| default_exp core.embeddings
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
    # HINT 1: An embedding is a table lookup: id k selects row k of the weight matrix, so a batch of ids of any
    # HINT 1: shape becomes that shape plus one dimension of size embedding_dim. Check the ids first: numpy
    # HINT 1: would silently read a negative id from the end of the table.
    # HINT 2: `indices` is the ids' int64 array. A boolean array of the ids below 0 or at least
    # HINT 2: `weight.shape[0]`; if `.any()`, raise IndexError naming the first bad id and the number of rows.
    # HINT 2: Indexing `weight.data` with `indices` (numpy fancy indexing) gives one row per id; assign `output`
    # HINT 2: a Tensor of it in `weight.dtype`.
    ### BEGIN SOLUTION
    bad = (indices < 0) | (indices >= weight.shape[0])
    if bad.any():
        raise IndexError(f"embedding(): index {int(indices[bad][0])} is out of range for a table of "
                         f"{weight.shape[0]} rows (valid ids: 0 to {weight.shape[0] - 1})")
    output = Tensor(weight.data[indices], dtype=weight.dtype)
    ### END SOLUTION
    return record(output, EmbeddingBackward0, weight, indices=indices)

# %% [markdown]
# ### Check Part 1

# %%
from tinytorch.checks.embeddings import check_embedding_lookup

check_embedding_lookup(embedding)

# %% [markdown]
# The lookup and the one-hot product give the same numbers, exactly: each output is one row times 1 plus
# other rows times 0.

# %%
import tinytorch

table = Tensor(np.arange(15, dtype=np.float32).reshape(5, 3))
ids = tinytorch.tensor([[1, 4, 1], [0, 2, 2]])
one_hot = Tensor((ids.data[..., None] == np.arange(5)).astype(np.float32))  # (2, 3, 5)
print("lookup:\n", embedding(ids, table).data)
print("one_hot @ weight equals the lookup:", np.array_equal((one_hot @ table).data, embedding(ids, table).data))

# %% [markdown]
# ## Part 2 · The gradient is sparse, and it accumulates
#
# Each output vector is a copy of one row. So the gradient of the loss with respect to row `t` is the sum
# of the upstream gradients of **every position that looked up `t`**. Rows that no id in the batch
# touched get exactly zero.
#
# ```text
# ids  [1, 4, 1]     upstream grad g0, g1, g2     grad of weight:  row 1 = g0 + g2
#                                                                  row 4 = g1
#                                                                  every other row = 0
# ```
#
# The tempting numpy line `grad_weight[indices] = grad` is wrong: with a repeated index, fancy assignment
# keeps only *one* of the writes (the last), so a token that appears twice learns half as fast as it
# should, silently. Even `grad_weight[indices] += grad` does the same (it reads, adds and writes each
# index once). `np.add.at(grad_weight, indices, grad)` adds every entry, repeats included. (In the
# one-hot view, the gradient is `one_hot.T @ grad`, which sums the repeats for us, at the cost of a
# vocab-sized matrix.)
#
# Your task: `EmbeddingBackward0.backward`. It receives `grad` of shape `indices.shape + (embedding_dim,)`
# and returns one gradient per input: here only the weight's.

# %%
#| export
@patch_to(EmbeddingBackward0)
def backward(self, grad):
    """dLoss/dweight: the upstream rows added into the rows they were read from (repeats accumulate)."""
    (weight,) = self.inputs
    # HINT 1: Each looked-up row sent its gradient back to the row of the table it came from. An id used twice
    # HINT 1: sends two gradients to the same row, and they must add up; rows never looked up get zero.
    # HINT 2: Start from `np.zeros` of `weight.shape` in `grad.dtype`. `np.add.at(target, self.indices, grad)`
    # HINT 2: adds every occurrence, where `target[indices] += grad` would keep only one per repeated id. Return
    # HINT 2: a one-element tuple.
    ### BEGIN SOLUTION
    grad_weight = np.zeros(weight.shape, dtype=grad.dtype)
    np.add.at(grad_weight, self.indices, grad)
    return (grad_weight,)
    ### END SOLUTION

# %% [markdown]
# ### Check Part 2

# %%
from tinytorch.checks.embeddings import check_embedding_gradient

check_embedding_gradient(embedding)

# %% [markdown]
# ## Part 3 · `nn.Embedding`
#
# The layer holds the table as a `Parameter` and calls `embedding` in `forward`. PyTorch initialises the
# table from the standard normal N(0, 1), not with `Linear`'s small uniform: an embedding's output is a
# row, not a sum over many inputs, so there is no fan-in to divide by. Draw it from tinytorch's shared
# generator (`default_generator()`), so `tinytorch.manual_seed` makes it repeatable. `print(layer)` shows
# `Embedding(10, 4)`, as PyTorch does.
#
# Your task: create the weight in `__init__`.

# %%
#| export
class Embedding(Module):
    """A lookup table of `num_embeddings` vectors of size `embedding_dim`, as torch.nn.Embedding: int64 ids
    of any shape (...) give (..., embedding_dim); the table is drawn from N(0, 1)."""

    def __init__(self, num_embeddings, embedding_dim):
        super().__init__()
        self.num_embeddings = check_size(num_embeddings, "num_embeddings", "Embedding")
        self.embedding_dim = check_size(embedding_dim, "embedding_dim", "Embedding")
        # HINT 1: The layer's only parameter is the table, one row per id, drawn from a standard normal
        # HINT 1: distribution as PyTorch does. Draw from the course's generator so that `tinytorch.manual_seed`
        # HINT 1: makes it repeatable.
        # HINT 2: `default_generator().standard_normal(shape)` with shape (`self.num_embeddings`,
        # HINT 2: `self.embedding_dim`), wrapped in `Parameter` and assigned to `self.weight`.
        ### BEGIN SOLUTION
        self.weight = Parameter(default_generator().standard_normal((self.num_embeddings, self.embedding_dim)))
        ### END SOLUTION

    def forward(self, input):
        return embedding(input, self.weight)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"

# %% [markdown]
# ### Check Part 3

# %%
from tinytorch.checks.embeddings import check_embedding_module

check_embedding_module(Embedding)

# %% [markdown]
# ## Part 4 · Where is each token? Positional encodings
#
# An embedding depends only on the token: "dog" gets the same vector at the start of a sentence and at
# its end. Attention (module 12) compares every vector with every other, and that comparison does not
# see order either: shuffle the tokens and each one gets the same answer, shuffled. So we add to each
# token's vector a vector that depends on its **position** `pos = 0, 1, 2, …`. Two classic choices:
#
# **Sinusoidal** (Vaswani et al., 2017, "Attention Is All You Need"): no parameters. For a model width
# `d`, dimension pair `(2i, 2i + 1)` oscillates with its own wavelength:
#
# ```text
# PE[pos, 2i]     = sin(pos / 10000^(2i / d))
# PE[pos, 2i + 1] = cos(pos / 10000^(2i / d))        i = 0, 1, ..., d/2 - 1
# ```
#
# The first pair turns fast (wavelength 2π positions), the last slowly (about 2π·10000), like the hands
# of a clock. Each position gets a distinct pattern, and for any fixed shift `k`, `PE[pos + k]` is a
# rotation of `PE[pos]` (pair by pair), which makes relative offsets easy to read off with a linear map.
# Both dimensions of a pair share the exponent `2i / d`: dimension `j` uses `i = j // 2`.
#
# **Learned**: an `Embedding(max_len, d)` indexed by the position instead of the token (GPT-2 does this,
# with 1024 positions). It can fit whatever the data needs, but it only knows the positions it has a row
# for: a sequence longer than `max_len` has no vector for its later tokens. That must be a clear error,
# not an `IndexError` from deep inside the lookup.
#
# Both are Modules with the same forward: given token vectors `x` of shape `(..., L, d)` they return
# `x + P[:L]`, the position vectors broadcast over the batch.
#
# Your tasks: `sinusoidal_positional_encoding(max_len, d_model)` and the forward of
# `LearnedPositionalEmbedding`. `SinusoidalPositionalEncoding` is given: it stores your table as a buffer
# (state, not trained; not saved in the `state_dict`, since it can be recomputed).

# %%
#| export
def sinusoidal_positional_encoding(max_len, d_model, base=10000.0):
    """The (max_len, d_model) float32 table of "Attention Is All You Need": PE[pos, 2i] = sin(pos / base^(2i/d))
    and PE[pos, 2i+1] = cos(pos / base^(2i/d)), i = dim // 2 (an odd d_model ends with a sine)."""
    max_len = check_size(max_len, "max_len", "sinusoidal_positional_encoding")
    d_model = check_size(d_model, "d_model", "sinusoidal_positional_encoding")
    # HINT 1: Position pos and dimension j get the angle pos / base^(2i/d_model), where i = j // 2 pairs the
    # HINT 1: dimensions: even dimensions take its sine, odd ones its cosine. Low dimensions turn fast, high
    # HINT 1: ones slowly, so every position gets a distinct pattern.
    # HINT 2: Positions as a float64 column, `np.arange(max_len, dtype=np.float64)[:, None]`, and the dimension
    # HINT 2: numbers as an int64 row; broadcasting makes the (max_len, d_model) grid of angles. `np.sin`,
    # HINT 2: `np.cos`, and `np.where` on whether j is even. Assign the grid to `table` (the given code returns
    # HINT 2: it as a float32 Tensor).
    ### BEGIN SOLUTION
    positions = np.arange(max_len, dtype=np.float64)[:, None]
    dims = np.arange(d_model, dtype=np.int64)
    angles = positions / base ** (2 * (dims // 2) / d_model)
    table = np.where(dims % 2 == 0, np.sin(angles), np.cos(angles))
    ### END SOLUTION
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
        # HINT 1: Learned positions: position p has its own trainable row in `self.weight`. Look up the rows for
        # HINT 1: positions 0 .. length − 1 and add them to x, the same rows for every sequence in the batch;
        # HINT 1: since the lookup is recorded, the gradient reaches exactly the rows used.
        # HINT 2: `np.arange(length, dtype=np.int64)` wrapped in a Tensor of int64 are the ids; `embedding(ids,
        # HINT 2: self.weight)` looks them up, shape (length, d); `+` broadcasts it over the batch dimensions of
        # HINT 2: x.
        ### BEGIN SOLUTION
        positions = Tensor(np.arange(length, dtype=np.int64), dtype=np.int64)
        return x + embedding(positions, self.weight)
        ### END SOLUTION

# %% [markdown]
# ### Check Part 4

# %%
from tinytorch.checks.embeddings import check_learned_positions, check_sinusoidal

check_sinusoidal(sinusoidal_positional_encoding)
check_learned_positions(LearnedPositionalEmbedding)

# %% [markdown]
# ## Use it
#
# A short text, a character vocabulary made on the spot (module 10 builds real tokenizers), token
# vectors plus position vectors: the input a transformer receives. Every `t` of the text shares one
# embedding row; after the positions are added, no two of them are alike.

# %%
text = "tinytorch reads the text one token at a time"
vocabulary = sorted(set(text))
char_to_id = {char: index for index, char in enumerate(vocabulary)}
ids = tinytorch.tensor([[char_to_id[char] for char in text]])  # (1, 44) int64
print(f"{len(vocabulary)} distinct characters; ids {ids.shape} {ids.dtype}: {ids.data[0, :12].tolist()} ...")

tinytorch.manual_seed(0)
tokens = Embedding(len(vocabulary), 16)
positions = SinusoidalPositionalEncoding(16, max_len=64)
x = positions(tokens(ids))
print(tokens, positions, f"-> model input {x.shape}", sep="\n")

first_t, second_t = text.index("t"), text.index("t", 1)
same_token = np.array_equal(tokens(ids).data[0, first_t], tokens(ids).data[0, second_t])
same_input = np.array_equal(x.data[0, first_t], x.data[0, second_t])
print(f"'t' at positions {first_t} and {second_t}: same embedding {same_token}, same input after positions {same_input}")

learned = LearnedPositionalEmbedding(32, 16)
try:
    learned(tokens(ids))
except ValueError as error:
    print("LearnedPositionalEmbedding(32, 16) on 44 tokens:", error)

# %% [markdown]
# ## Systems analysis · measured
#
# ### 1. Lookup against one-hot matmul
# Both give the same numbers. The one-hot route builds a `(tokens, vocab)` matrix and does
# `2 · tokens · vocab · dim` FLOPs; the lookup copies `tokens · dim` numbers. Predict how the ratio grows
# with the vocabulary, then measure (128 tokens, dim 64).

# %%
import time

from tinytorch.timing import time_per_call

start = time.perf_counter()
rng = np.random.default_rng(0)
dim, n_tokens = 64, 128
print(f"{'vocab':>6} {'one-hot bytes':>14} {'lookup (ms)':>12} {'one-hot @ W (ms)':>17} {'ratio':>7} {'equal':>6}")
for vocab in [100, 1000, 4000]:
    weight = Tensor(rng.standard_normal((vocab, dim)).astype(np.float32))
    batch = Tensor(rng.integers(0, vocab, n_tokens), dtype=np.int64)

    def one_hot_matmul():
        hot = np.zeros((n_tokens, vocab), dtype=np.float32)
        hot[np.arange(n_tokens), batch.data] = 1.0
        return Tensor(hot) @ weight

    t_lookup = time_per_call(lambda: embedding(batch, weight))
    t_matmul = time_per_call(one_hot_matmul)
    equal = np.array_equal(one_hot_matmul().data, embedding(batch, weight).data)
    print(f"{vocab:>6} {n_tokens * vocab * 4:>14,} {t_lookup * 1e3:>12.4f} {t_matmul * 1e3:>17.3f} "
          f"{t_matmul / t_lookup:>7.0f} {str(equal):>6}")
print(f"(cell took {time.perf_counter() - start:.1f} s)")

# %% [markdown]
# The lookup's time hardly depends on the vocabulary; the one-hot product grows in proportion to it,
# and so does its scratch matrix. That is why every framework implements embeddings as a gather, even
# though the maths is a matrix product.
#
# ### 2. The gradient touches few rows
# One batch of 8 sequences of 32 tokens, from a vocabulary of 5,000: at most 256 distinct rows can get a
# gradient. What fraction of the table is that? Measure it from `weight.grad`.

# %%
tinytorch.manual_seed(0)
vocab, dim = 5000, 32
layer = Embedding(vocab, dim)
batch = Tensor(np.random.default_rng(1).integers(0, vocab, (8, 32)), dtype=np.int64)
layer(batch).sum().backward()
touched = np.any(layer.weight.grad.data != 0, axis=1)
print(f"{batch.numel()} token positions, {len(np.unique(batch.data))} distinct ids")
print(f"rows with a nonzero gradient: {touched.sum()} of {vocab} = {touched.mean():.1%} of the table")
print(f"the dense gradient array is still {layer.weight.grad.memory_footprint():,} bytes, "
      f"{1 - touched.mean():.1%} of them zeros")

# %% [markdown]
# About 5 % of the rows get a gradient; the rest of the dense gradient is zeros that plain SGD still
# reads and adds. PyTorch offers `Embedding(..., sparse=True)` and sparse optimizers for this case;
# Adam, note, still decays its momentum on every row, so in a dense Adam even untouched rows move.
#
# ### 3. The size of an embedding table
# `bytes = vocab × dim × 4` in float32. Check it on a layer, then compute it for real models.

# %%
layer = Embedding(1000, 64)
print(f"Embedding(1000, 64): {layer.weight.memory_footprint():,} bytes; formula 1000 * 64 * 4 = {1000 * 64 * 4:,}")
models = [("this module's demo", len(vocabulary), 16), ("GPT-2 small", 50257, 768), ("GPT-2 XL", 50257, 1600),
          ("Llama-2 7B", 32000, 4096)]
for name, vocab, dim in models:
    print(f"{name:<20} vocab {vocab:>6,} x dim {dim:>5,} = {vocab * dim:>12,} parameters, "
          f"{vocab * dim * 4 / 2**20:>8.1f} MiB")

# %% [markdown]
# GPT-2 small's token table is 154 MB of its roughly 500 MB of float32 weights (38.6 M of 124 M
# parameters). A vocabulary choice (module 10) is a memory choice: doubling the vocabulary doubles this
# table, and the output layer that predicts the next token, which usually shares it.
#
# ### 4. What the sinusoidal encoding looks like
# The dot product of two position vectors depends only on their distance (the sum of `cos(k · ω_i)`
# over the pairs), and it falls, though not strictly, as positions move apart: nearby positions look alike.

# %%
table = sinusoidal_positional_encoding(128, 64).data
for offset in [0, 1, 2, 4, 8, 16, 32]:
    dots = [float(table[p] @ table[p + offset]) for p in (0, 40, 90)]
    print(f"offset {offset:>3}: PE[p] . PE[p+offset] for p = 0, 40, 90: " + ", ".join(f"{d:6.2f}" for d in dots))

# %% [markdown]
# The three columns agree: the similarity is a function of the offset alone, the property that lets
# attention learn "look two tokens back" once, for every position.
#
# ## Reflect
#
# Answer with a number first, then check it in a new cell.
#
# 1. How many bytes does `Embedding(32000, 512)` hold in float32? Check with `memory_footprint()`.
# 2. A batch holds the ids `[[3, 3, 3], [3, 7, 3]]` and the loss is `out.sum()`. What is row 3 of
#    `weight.grad`? Row 7? Row 0? Run it.
# 3. With a vocabulary of 50,000 and a batch of 4,096 random ids, about what fraction of rows gets a
#    gradient? (Each row is missed with probability (1 − 1/50,000)^4,096.) Measure it.
# 4. For the one-hot route at vocab 50,000, 1,024 tokens and dim 768: how many bytes does the one-hot
#    matrix take, and how many FLOPs does the product cost? Compute it; don't run it in the browser.
# 5. What is `sinusoidal_positional_encoding(3, 4)` row 1? Work out `sin(1)`, `cos(1)`,
#    `sin(1/100)`, `cos(1/100)`, then print the table.
#
# **Next:** 12 Attention lets each of these vectors look at the others and decide which matter.
