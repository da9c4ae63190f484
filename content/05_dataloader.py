# %% [markdown]
# # Module 05 · DataLoader
#
# Training never looks at the whole dataset at once. It takes a **batch** — 32, 64, 256 examples —
# computes the loss and the gradients on it, updates the weights, and moves on; one pass over every
# example is an **epoch**, and each epoch visits the examples in a new random order. This module builds
# the two PyTorch classes that do that bookkeeping: a `Dataset` (what one example is) and a `DataLoader`
# (which examples form each batch, and how they are packed into Tensors).
#
# ```text
# Connection map
#   Prerequisites : 01 Tensor (fancy indexing, dtypes)
#                   03 Layers (a model to feed in "Use it")
#   Focus (05)    : Dataset, TensorDataset, collation, DataLoader (batch_size, shuffle, drop_last)
#   Unlocks       : 08 Training (for epoch in ...: for x, y in loader: ...)
# ```
#
# ## Learning objectives
# By the end you will be able to
# 1. wrap arrays in a `TensorDataset` and write your own `Dataset` with `__len__` and `__getitem__`;
# 2. **collate** a list of examples into batch Tensors, keeping integer labels int64;
# 3. build a `DataLoader` with PyTorch's arguments: `batch_size`, `shuffle` (a new, seedable order each
#    epoch), `drop_last`, and `len(loader)` = the number of batches;
# 4. explain why a loader is an iterator that produces batches on demand;
# 5. **measure**: item-by-item collation against one vectorised gather, throughput against batch size,
#    and the memory of a batch against the whole dataset.

# %% [markdown]
# ## Part 1 · Dataset and TensorDataset
#
# PyTorch's contract for a dataset is two methods:
#
# * `len(dataset)` — how many examples;
# * `dataset[i]` — example `i`, usually a tuple `(features, label)`.
#
# Anything with those two methods works: a folder of image files read on demand, a text corpus cut
# into windows, a generated toy problem. `Dataset` is the (almost empty) base class to subclass.
#
# The most common dataset is data already in memory: **`TensorDataset(X, y)`**. Example `i` is
# `(X[i], y[i])`. All tensors must have the same first dimension (one row per example); if not, the error
# names the sizes. Numpy arrays are accepted too, and keep their dtype — labels must stay integers.
#
# `TensorDataset` has a second, faster door: because its data are arrays, it can return a whole batch
# for an **array of indices** in one fancy-indexing gather, `(X[idx], y[idx])` — no Python loop over
# examples. It offers that through `__getitems__(indices)`, the hook name PyTorch 2 uses for
# batch-capable datasets. The DataLoader (Part 3) uses it when a dataset has it; the systems analysis
# measures what it saves.

# %%
#| export
#| default_exp core.dataloader
import numpy as np

from tinytorch.core.tensor import Tensor
from tinytorch.random import default_generator

__all__ = ["Dataset", "TensorDataset", "DataLoader", "default_collate"]


class Dataset:
    """A map-style dataset, as torch.utils.data.Dataset: subclasses define __len__ and __getitem__."""

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")


def _as_array(values):
    """The values as a numpy array of their own dtype; Python integers become int64, as in PyTorch
    (numpy's default integer is 32-bit in the browser's WebAssembly build)."""
    if isinstance(values, Tensor):
        return values.data
    array = np.asarray(values)
    if not isinstance(values, (np.ndarray, np.generic)) and array.dtype.kind == "i":
        array = array.astype(np.int64)
    return array


def _as_tensor(values):
    """A Tensor that keeps the values' dtype (int64 labels stay int64), like torch.from_numpy."""
    if isinstance(values, Tensor):
        return values
    array = _as_array(values)
    return Tensor(array, dtype=array.dtype)


class TensorDataset(Dataset):
    """Example i is (tensors[0][i], tensors[1][i], ...), as torch.utils.data.TensorDataset."""

    def __init__(self, *tensors):
        # HINT 1: A TensorDataset pairs tensors row by row: example i is row i of each. So there must be at
        # HINT 1: least one tensor, and all must have the same number of rows; refuse anything else with a
        # HINT 1: message naming the sizes.
        # HINT 2: Convert each argument with `_as_tensor`. Raise ValueError when `tensors` is empty, and when
        # HINT 2: the `len` of the tensors (their first dimensions) are not all equal, listing every size. Store
        # HINT 2: the converted tensors as a tuple in `self.tensors`.
        ### BEGIN SOLUTION
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.tensors = tuple(_as_tensor(t) for t in tensors)
        sizes = [len(t) for t in self.tensors]
        if len(set(sizes)) > 1:
            raise ValueError(f"TensorDataset: all tensors need the same first dimension (one row per example), "
                             f"got sizes {sizes}")
        ### END SOLUTION

    def __len__(self):
        return len(self.tensors[0])

    def __getitem__(self, index):
        # HINT 1: Example `index` is the row `index` of every stored tensor, returned together as a tuple
        # HINT 1: (inputs, targets, …).
        # HINT 2: Index each tensor of `self.tensors` with `index` (Tensor indexing keeps the dtype) and build a
        # HINT 2: `tuple` of the results.
        ### BEGIN SOLUTION
        return tuple(t[index] for t in self.tensors)
        ### END SOLUTION

    def __getitems__(self, indices):
        """A whole batch in one gather per tensor (indexing with an integer array): the list of batch
        Tensors that default_collate would build from the examples one by one."""
        return list(self[np.asarray(indices, dtype=np.int64)])


# %% [markdown]
# ### Check Part 1

# %%
from tinytorch.checks.dataloader import check_tensor_dataset

check_tensor_dataset(TensorDataset)

# %% [markdown]
# ## Part 2 · Collation: a list of examples → one batch
#
# A dataset without `__getitems__` (most hand-written ones) returns one example at a time. The loader
# then has a list like `[(x0, y0), (x1, y1), (x2, y2)]` and must turn it into what a model takes: one
# Tensor of features with a new leading batch dimension, and one of labels — `[X_batch, y_batch]`.
# PyTorch calls this step **collation** (`default_collate`):
#
# ```text
# [(x0, y0), (x1, y1), (x2, y2)]   each x of shape (8, 8), each y an int
#          │ transpose: group the fields
#          ▼
# [(x0, x1, x2), (y0, y1, y2)]
#          │ np.stack each field
#          ▼
# [Tensor (3, 8, 8) float32,  Tensor (3,) int64]
# ```
#
# The dtype rule matters: stacking integer labels must give **int64**, as PyTorch does — turn them into
# float32 and a cross-entropy loss cannot index with them. PyTorch's rules, which we copy: a Python
# `int` becomes int64, a Python `float` float64 and a `bool` bool; Tensors and numpy arrays keep their
# dtype. The structure of an example is kept, one level at a time (the function calls itself):
#
# * a **tuple or list** of fields becomes a **list** of batches, one per field (PyTorch returns a list
#   even for tuples; `x, y = batch` unpacks either). Examples of different lengths are an error;
# * a **dict** becomes a dict of batches with the same keys, `{"image": x, "label": y}` →
#   `{"image": X, "label": Y}`: many real datasets return dicts;
# * strings are not stacked: a batch of file names stays a list of strings.

# %%
#| export
def default_collate(samples):
    """Stack a list of examples into a batch, as torch.utils.data.default_collate.

    Tensors, arrays and numbers are stacked along a new first dimension into a Tensor that keeps the dtype
    (Python int -> int64, float -> float64); dicts are collated key by key into a dict, tuples and lists
    field by field into a list (a namedtuple keeps its type); strings are returned as a list.
    """
    first = samples[0]
    if isinstance(first, str):
        return list(samples)
    # HINT 1: Collating turns a list of examples into one batch, keeping the examples' structure: a dict of
    # HINT 1: batches for dicts, a list (or the same namedtuple) of batches for tuples, and for a plain value
    # HINT 1: one array with a new first dimension. The structure is handled by calling the same function on
    # HINT 1: each part (recursion).
    # HINT 2: Look at `first` with `isinstance`. A dict: one entry per key, collating that key's values. A tuple
    # HINT 2: or list: raise RuntimeError saying the examples need the same number of fields (name the lengths)
    # HINT 2: unless all have the same `len`; `zip(*samples)` groups field by field; a namedtuple (it has
    # HINT 2: `_fields`) is rebuilt with `type(first)(*fields)`, anything else stays a list. A value: `np.stack`
    # HINT 2: the samples turned into arrays by `_as_array`, then `_as_tensor`.
    ### BEGIN SOLUTION
    if isinstance(first, dict):
        return {key: default_collate([sample[key] for sample in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        lengths = sorted({len(sample) for sample in samples})
        if len(lengths) > 1:
            raise RuntimeError(f"default_collate: each example in the batch should have the same number of "
                               f"fields, got lengths {lengths}")
        fields = [default_collate(list(field)) for field in zip(*samples)]
        return type(first)(*fields) if hasattr(first, "_fields") else fields
    return _as_tensor(np.stack([_as_array(sample) for sample in samples]))
    ### END SOLUTION


# %% [markdown]
# ### Check Part 2

# %%
from tinytorch.checks.dataloader import check_collate

check_collate(default_collate)

# %% [markdown]
# ## Part 3 · The DataLoader: batches, shuffling, `drop_last`
#
# `DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, generator=None)` — PyTorch's
# argument names and defaults. Each epoch (each `for batch in loader:`) it
#
# 1. makes the **order** of the indices: `0, 1, ..., N−1`, or with `shuffle=True` a fresh random
#    permutation. *Fresh* is the point: a model that sees the batches in the same order every epoch
#    can learn the order. Draw it from `generator` if one was given (a numpy `Generator`, for a
#    loader-private, repeatable order), otherwise from `tinytorch.random.default_generator()` **read at
#    each epoch**, so `tinytorch.manual_seed(0)` makes the whole run repeatable;
# 2. cuts the order into consecutive chunks of `batch_size`. The last chunk may be smaller: with
#    `drop_last=False` (the default) it is still a batch — no example is skipped; with `drop_last=True`
#    it is dropped, so every batch has the same size;
# 3. fetches each chunk: `dataset.__getitems__(chunk)` when the dataset has it, otherwise
#    `default_collate([dataset[i] for i in chunk])`.
#
# ```text
# N = 10, batch_size = 4      order (shuffled):  7 2 9 0 | 5 1 8 3 | 6 4
#                             drop_last=False -> 3 batches (4, 4, 2)     len(loader) = ceil(10 / 4) = 3
#                             drop_last=True  -> 2 batches (4, 4)        len(loader) = 10 // 4 = 2
# ```
#
# `__iter__` is a **generator** (a function with `yield`): it makes one batch, hands it over, and
# waits. Nothing is fetched before it is asked for, and only one batch exists at a time. Write
# `__len__`, `_epoch_order` and `__iter__`.

# %%
#| export
class DataLoader:
    """Batches of a dataset, as torch.utils.data.DataLoader (single process, no sampler objects)."""

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, generator=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size should be a positive integer, got {batch_size!r}")
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.drop_last, self.generator = shuffle, drop_last, generator

    def __len__(self):
        """Number of batches per epoch."""
        # HINT 1: The number of batches in an epoch: full batches, plus one smaller batch for the leftover
        # HINT 1: examples unless `drop_last` drops them.
        # HINT 2: `len(self.dataset)` and `self.batch_size`; `divmod` gives the full batches and the remainder
        # HINT 2: at once.
        ### BEGIN SOLUTION
        full, remainder = divmod(len(self.dataset), self.batch_size)
        return full + (1 if remainder and not self.drop_last else 0)
        ### END SOLUTION

    def _epoch_order(self):
        """The indices of one epoch: 0..N-1, or a fresh permutation when shuffling."""
        # HINT 1: Each epoch visits every example once: in order without shuffling, in a fresh random order with
        # HINT 1: it. Read the generator when the epoch starts, so `tinytorch.manual_seed` set after building
        # HINT 1: the loader still applies.
        # HINT 2: `np.arange(n)` is the order without shuffle. With shuffle use `self.generator`, or
        # HINT 2: `default_generator()` when it is None; a numpy generator's `permutation(n)` shuffles `0 .. n −
        # HINT 2: 1`.
        ### BEGIN SOLUTION
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        rng = self.generator if self.generator is not None else default_generator()
        return rng.permutation(n)
        ### END SOLUTION

    def _fetch(self, indices):
        if hasattr(self.dataset, "__getitems__"):
            return self.dataset.__getitems__(indices)  # one vectorised gather
        return default_collate([self.dataset[int(i)] for i in indices])

    def __iter__(self):
        # HINT 1: An epoch is `len(self)` batches, each made of the next `batch_size` positions of this epoch's
        # HINT 1: order. It is a generator: hand back one batch at a time.
        # HINT 2: Get the order once from `self._epoch_order()`; slice it batch by batch with `[start:stop]`
        # HINT 2: (the last slice may be short), and `yield` `self._fetch(...)` of each slice.
        ### BEGIN SOLUTION
        order = self._epoch_order()
        for batch in range(len(self)):
            yield self._fetch(order[batch * self.batch_size:(batch + 1) * self.batch_size])
        ### END SOLUTION


# %% [markdown]
# ### Check Part 3
# Two checks: batching (sizes, `len`, `drop_last`, the fast path) and shuffling (a fresh, repeatable
# permutation each epoch).

# %%
from tinytorch.checks.dataloader import check_batching

check_batching(DataLoader)

# %%
from tinytorch.checks.dataloader import check_shuffling

check_shuffling(DataLoader)

# %% [markdown]
# ## Use it
#
# TinyDigits: 1,438 training images of 8×8 handwritten digits. We load them into a `TensorDataset`,
# iterate one epoch with a shuffled loader, and feed each batch through an (untrained) MLP from
# module 03. Module 08 adds the loss and the optimizer step inside this same loop.

# %%
import tinytorch
from tinytorch.core.activations import ReLU
from tinytorch.core.layers import Linear, Sequential
from tinytorch.datasets import load_tinydigits

(X_train, y_train), (X_test, y_test) = load_tinydigits()
train_set = TensorDataset(X_train.reshape(len(X_train), -1), y_train)  # flatten 8x8 -> 64 features
tinytorch.manual_seed(0)
train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
model = Sequential(Linear(64, 32), ReLU(), Linear(32, 10))

print(f"{len(train_set)} examples, batch_size 64 -> len(loader) = {len(train_loader)} batches")
seen, correct = 0, 0
for batch_index, (images, labels) in enumerate(train_loader):
    logits = model(images)
    correct += int((logits.argmax(dim=1).data == labels.data).sum())
    seen += len(labels)
    if batch_index in (0, len(train_loader) - 1):
        print(f"batch {batch_index:>2}: images {images.shape} {images.dtype}, labels {labels.shape} "
              f"{labels.dtype}, first labels {labels.data[:6]}")
print(f"one epoch covered {seen} examples; untrained accuracy {correct / seen:.1%}")

# %% [markdown]
# The last batch has 1,438 − 22·64 = 30 examples: with `drop_last=False` no example is skipped.
#
# ## Systems analysis · measured
#
# ### 1. Collation cost: a Python loop over examples vs one gather
# The generic path calls `dataset[i]` once per example — a Python call, a tuple, two small Tensors each —
# then stacks them. `TensorDataset.__getitems__` does one fancy-index gather per tensor. We time one epoch
# both ways; to force the slow path we hide `__getitems__` behind a wrapper dataset that only has
# `__len__` and `__getitem__`.

# %%
import time

from tinytorch.timing import time_per_call


class ItemByItem(Dataset):
    """The same examples, reachable only one at a time (no batch indexing)."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        return self.dataset[index]


def epoch_seconds(dataset, batch_size, repeat=3):
    """Best time of a full epoch over a loader (no model: only the data pipeline). time_per_call repeats
    a fast epoch until the browser's 0.1 ms clock can see it (a lone gather epoch can read 0 there)."""
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=np.random.default_rng(0))

    def one_epoch():
        for _ in loader:
            pass
    return time_per_call(one_epoch, repeat=repeat)


def digits_dataset():
    return TensorDataset(X_train.reshape(len(X_train), -1), y_train)


digits = digits_dataset()
slow, fast = epoch_seconds(ItemByItem(digits), 64), epoch_seconds(digits, 64)
print(f"one epoch, batch 64: item by item {slow * 1e3:.1f} ms, one gather {fast * 1e3:.2f} ms "
      f"-> {slow / fast:.0f}x faster")

# %% [markdown]
# The gather moves exactly the same bytes; the loop pays Python's cost per *example* — a method call,
# tuple packing, a Tensor per field — and then copies everything once more in `np.stack`. That is why
# the DataLoader asks the dataset for a whole batch when it can. (PyTorch's loader instead hides the
# per-example cost behind worker processes, `num_workers`; the browser has one thread, so our design
# removes the cost instead.)
#
# ### 2. Throughput vs batch size
# Samples per second for one epoch. Per-batch overhead (Python, one slice, one gather) is paid
# `N / batch_size` times, so bigger batches amortise it — until the work per batch dominates.

# %%
digits = digits_dataset()
print(f"{'batch':>6} {'item-by-item (samples/s)':>25} {'gather (samples/s)':>19}")
for batch_size in [1, 8, 64, 512]:
    slow = epoch_seconds(ItemByItem(digits), batch_size, repeat=2)
    fast = epoch_seconds(digits, batch_size)
    print(f"{batch_size:>6} {len(digits) / slow:>25,.0f} {len(digits) / fast:>19,.0f}")

# %% [markdown]
# The gather path speeds up by two to three orders of magnitude from batch 1 to batch 512; the
# item-by-item path gains only a few times, because most of its cost is per example, not per batch. At
# batch 1 the gap is smallest: every batch is one example either way, and what remains is the price of
# the Tensor wrapping and `np.stack` on the slow path.
#
# ### 3. One batch vs the whole dataset, and why loaders stream
# A loader holds one batch at a time. How does that compare with the dataset — here and at scale?

# %%
digits = digits_dataset()
images, labels = next(iter(DataLoader(digits, batch_size=64)))
batch_bytes = images.memory_footprint() + labels.memory_footprint()
dataset_bytes = sum(t.memory_footprint() for t in digits.tensors)
print(f"one batch of 64: {batch_bytes:,} bytes; the whole TinyDigits training set: {dataset_bytes:,} bytes "
      f"({dataset_bytes / batch_bytes:.0f}x)")

imagenet_images, image_bytes = 1_281_167, 3 * 224 * 224  # ImageNet-1k training set, uint8 pixels
print(f"ImageNet-1k as uint8: {imagenet_images * image_bytes / 1e9:.0f} GB; "
      f"one float32 batch of 256: {256 * image_bytes * 4 / 1e6:.0f} MB")

# %% [markdown]
# TinyDigits fits in memory many times over, so `TensorDataset` keeps it all and only the *batches* are
# made on demand. ImageNet does not fit in most machines' memory; its `Dataset.__getitem__` reads one
# file from disk when asked, and the loader's on-demand batches are what keep memory flat.
#
# The iterator protocol makes "on demand" concrete: `iter(loader)` returns a generator; `next()` runs
# `__iter__` until its next `yield`. Measure it: the first batch arrives long before a whole epoch could
# be built, and streaming keeps one batch alive while `list(loader)` keeps them all
# (`tracemalloc` counts the bytes numpy allocates).

# %%
import tracemalloc

loader = DataLoader(ItemByItem(digits_dataset()), batch_size=64)
batches = iter(loader)
print("iter(loader) is a", type(batches).__name__)
start = time.perf_counter()
first = next(batches)
first_batch_ms = (time.perf_counter() - start) * 1e3
start = time.perf_counter()
everything = list(loader)
epoch_ms = (time.perf_counter() - start) * 1e3
print(f"first batch after {first_batch_ms:.2f} ms; all {len(everything)} batches after {epoch_ms:.1f} ms")
del everything

tracemalloc.start()
for batch in loader:
    pass
streaming_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.reset_peak()
everything = list(loader)
materialised_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
print(f"peak memory while streaming: {streaming_peak / 1e3:.0f} KB; "
      f"holding every batch: {materialised_peak / 1e3:.0f} KB")

# %% [markdown]
# ## Reflect
#
# Answer with a number first, then check it in a new cell.
#
# 1. TinyDigits' test set has 359 images. How many batches does `DataLoader(test_set, batch_size=32)` give,
#    and how many with `drop_last=True`? How many examples does `drop_last=True` skip per epoch?
# 2. Using your measured item-by-item throughput, predict how long one epoch over 60,000 MNIST-sized
#    examples would take on that path at batch 64. Then time `ItemByItem(TensorDataset(np.zeros((6000, 784),
#    dtype=np.float32)))` (a tenth of it) and compare.
# 3. A dataset of 1,000 images of shape (3, 32, 32) as float32: how many MB is it? How many KB is a batch
#    of 128? Check with `memory_footprint()`.
# 4. With `shuffle=True` and `tinytorch.manual_seed(0)` set once, are the orders of epoch 1 and epoch 2
#    equal? What if you call `manual_seed(0)` again before epoch 2? Predict, then check with `_epoch_order()`.
# 5. A `Dataset` whose `__getitem__` returns `(x, 3)` — a Python int label. What dtype does
#    `default_collate` give the labels? Predict, then check.
#
# **Next:** 06 Autograd teaches the Tensor to compute gradients — the last piece before 08 trains a model
# on these batches.
