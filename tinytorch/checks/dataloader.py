"""Checks for module 05 (DataLoader). Each takes the learner's class or function."""
import numpy as np

from tinytorch.checks import assert_close, assert_raises, check
from tinytorch.core.tensor import Tensor
from tinytorch.random import manual_seed


class _Numbers:
    """A plain dataset (no batch indexing): example i is (features [i, i] as float32, label i)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        if not 0 <= index < self.n:
            raise IndexError(f"index {index} out of range for {self.n} examples")
        return np.array([index, index], dtype=np.float32), index


class _Gatherable(_Numbers):
    """The same examples, also available a batch at a time through __getitems__ (counted)."""

    def __init__(self, n):
        super().__init__(n)
        self.batch_calls = 0

    def __getitem__(self, index):
        raise AssertionError("the DataLoader fetched examples one by one although the dataset has "
                             "__getitems__: use dataset.__getitems__(indices) when it exists")

    def __getitems__(self, indices):
        self.batch_calls += 1
        indices = np.asarray(indices, dtype=np.int64)
        return Tensor(np.stack([indices, indices], axis=1), dtype=np.float32), Tensor(indices, dtype=np.int64)


def _epoch_labels(loader):
    """The labels of one epoch, batch by batch."""
    return [np.asarray(labels.data).tolist() for _, labels in loader]


@check("Part 1 · TensorDataset")
def check_tensor_dataset(TensorDataset):
    features = np.arange(30, dtype=np.float32).reshape(10, 3)
    labels = np.arange(10, dtype=np.int64) % 3
    dataset = TensorDataset(features, labels)
    assert len(dataset) == 10, f"len(dataset) should be 10, got {len(dataset)}"
    example = dataset[4]
    assert isinstance(example, tuple) and len(example) == 2, "dataset[i] should be a tuple (features, label)"
    assert_close(example[0], features[4], "dataset[4][0]")
    assert int(example[1].item()) == labels[4], "dataset[4][1] should be labels[4]"
    assert example[1].dtype == np.int64, \
        f"labels should keep their int64 dtype (a loss indexes with them), got {example[1].dtype}"
    assert example[0].dtype == np.float32, f"float32 features should stay float32, got {example[0].dtype}"
    batch = dataset[np.array([7, 2])]
    assert batch[0].shape == (2, 3) and batch[1].shape == (2,), "dataset[index_array] should give a batch"
    assert_close(batch[0], features[[7, 2]], "dataset[np.array([7, 2])][0]")
    from_tensors = TensorDataset(Tensor(features), Tensor(labels, dtype=np.int64))
    assert from_tensors[1][1].dtype == np.int64, "Tensors passed in should keep their dtype"
    assert_raises(ValueError, lambda: TensorDataset(features, labels[:9]), "tensors of 10 and 9 rows",
                  must_mention=["10", "9"])
    assert_raises(ValueError, lambda: TensorDataset(features, labels, labels[:9]), "tensors of 10, 10 and 9 rows "
                  "(compare the length of every tensor, not only the first two)", must_mention=["9"])


@check("Part 2 · default_collate")
def check_collate(default_collate):
    samples = [(np.full((2, 2), i, dtype=np.float32), i) for i in range(3)]
    batch = default_collate(samples)
    assert isinstance(batch, list) and len(batch) == 2, \
        f"a list of (x, y) tuples should collate into a list [X, Y], as in PyTorch; got {type(batch).__name__}"
    images, labels = batch
    assert isinstance(images, Tensor) and isinstance(labels, Tensor), "each field should become a Tensor"
    assert images.shape == (3, 2, 2) and images.dtype == np.float32, \
        f"three (2, 2) float32 arrays should stack to (3, 2, 2) float32, got {images.shape} {images.dtype}"
    assert labels.dtype == np.int64, \
        f"integer labels must collate to int64, as in PyTorch (a loss indexes with them); got {labels.dtype}"
    assert_close(labels, [0, 1, 2], "collated labels")
    tensor_samples = [(Tensor(np.ones(4)), np.int64(7)), (Tensor(np.zeros(4)), np.int64(2))]
    images, labels = default_collate(tensor_samples)
    assert_close(images, np.stack([np.ones(4), np.zeros(4)]), "collating Tensor features")
    assert labels.dtype == np.int64, "numpy int64 labels should stay int64"
    single = default_collate([np.ones(3, dtype=np.float32), np.zeros(3, dtype=np.float32)])
    assert isinstance(single, Tensor) and single.shape == (2, 3), \
        "examples that are single arrays should collate into one Tensor of shape (batch, ...)"
    dicts = default_collate([{"image": np.full(2, i, dtype=np.float32), "label": i, "weight": i / 2} for i in range(3)])
    assert isinstance(dicts, dict) and set(dicts) == {"image", "label", "weight"}, \
        f"dict examples should collate into a dict of batches with the same keys, got {type(dicts).__name__}"
    assert dicts["image"].shape == (3, 2) and dicts["label"].dtype == np.int64 and dicts["weight"].dtype == np.float64, \
        ("collating {'image': array, 'label': int, 'weight': float}: expected a (3, 2) image batch, int64 labels "
         f"and float64 weights (Python floats, as PyTorch), got {dicts['image'].shape}, {dicts['label'].dtype}, "
         f"{dicts['weight'].dtype}")
    assert_raises(RuntimeError, lambda: default_collate([(1, 2), (3,)]), "examples with 2 and 1 fields",
                  must_mention=["same number of fields"])


@check("Part 3 · DataLoader batching")
def check_batching(DataLoader):
    loader = DataLoader(_Numbers(10), batch_size=4)
    batches = list(loader)
    sizes = [len(labels.data) for _, labels in batches]
    assert sizes == [4, 4, 2], (f"10 examples with batch_size=4 and drop_last=False should give batches of "
                                f"4, 4, 2 (the last partial batch is kept); got sizes {sizes}")
    assert len(loader) == 3, f"len(loader) should count batches: ceil(10 / 4) = 3, got {len(loader)}"
    assert _epoch_labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]], \
        "without shuffle the examples should come in order 0..9"
    features, labels = batches[0]
    assert features.shape == (4, 2) and features.dtype == np.float32, "features should batch to (4, 2) float32"
    assert labels.dtype == np.int64, f"integer labels should batch to int64, got {labels.dtype}"
    dropping = DataLoader(_Numbers(10), batch_size=4, drop_last=True)
    drop_sizes = [len(labels.data) for _, labels in dropping]
    assert drop_sizes == [4, 4] and len(dropping) == 2, \
        f"drop_last=True should drop the partial batch: sizes [4, 4], len 2; got {drop_sizes}, len {len(dropping)}"
    exact = DataLoader(_Numbers(10), batch_size=5)
    assert len(exact) == 2 and len(list(exact)) == 2, "10 examples with batch_size=5 make exactly 2 batches"
    assert len(DataLoader(_Numbers(10))) == 10, "the default batch_size is 1"
    gatherable = _Gatherable(10)
    fast = list(DataLoader(gatherable, batch_size=4))
    assert gatherable.batch_calls == 3 and [len(y.data) for _, y in fast] == [4, 4, 2], \
        "a dataset with __getitems__ should be asked once per batch, with that batch's indices"


@check("Part 3 · DataLoader shuffling")
def check_shuffling(DataLoader):
    dataset = _Numbers(50)
    loader = DataLoader(dataset, batch_size=50, shuffle=True, generator=np.random.default_rng(0))
    first, second = _epoch_labels(loader)[0], _epoch_labels(loader)[0]
    assert sorted(first) == list(range(50)), "a shuffled epoch should visit every example exactly once"
    assert first != list(range(50)), "shuffle=True should change the order"
    assert first != second, "each epoch should use a fresh permutation, not repeat the first epoch's order"
    twin = DataLoader(dataset, batch_size=50, shuffle=True, generator=np.random.default_rng(0))
    assert _epoch_labels(twin)[0] == first, "two loaders with equally seeded generators should shuffle alike"
    assert _epoch_labels(DataLoader(dataset, batch_size=50))[0] == list(range(50)), "shuffle=False keeps the order"

    loader = DataLoader(dataset, batch_size=7, shuffle=True)
    manual_seed(3)
    seeded = _epoch_labels(loader)
    visited = sorted(label for batch in seeded for label in batch)
    assert visited == list(range(50)), \
        ("a shuffled epoch of 50 examples in batches of 7 should visit every example exactly once; "
         f"{len(set(visited))} different examples came, some more than once: draw one permutation per epoch "
         "(in __iter__, before the loop over batches), not one per batch")
    manual_seed(3)
    assert _epoch_labels(loader) == seeded, (
        "without a generator, shuffling should draw from tinytorch's default generator, read at each epoch "
        "(tinytorch.random.default_generator()), so tinytorch.manual_seed makes the order repeatable")
