"""tinytorch.core.dataloader: batching arithmetic, dtypes, shuffling and the batch-gather fast path."""
import numpy as np
import pytest

from tinytorch.core.dataloader import DataLoader, Dataset, TensorDataset, default_collate
from tinytorch.core.tensor import Tensor
from tinytorch.datasets import load_tinydigits
from tinytorch.random import manual_seed


class Squares(Dataset):
    """Example i is (features [i, i**2] as float64, label i as a Python int)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return np.array([index, index**2], dtype=np.float64), index


def labels_of(loader):
    return [label for _, labels in loader for label in labels.data.tolist()]


def test_tensor_dataset_indexes_every_tensor_and_keeps_dtypes():
    features = np.arange(12, dtype=np.float32).reshape(6, 2)
    labels = np.arange(6, dtype=np.int64)
    weights = Tensor(np.linspace(0, 1, 6))
    dataset = TensorDataset(features, labels, weights)
    assert len(dataset) == 6
    x, y, w = dataset[-1]
    np.testing.assert_array_equal(x.data, features[5])
    assert y.item() == 5 and y.dtype == np.int64 and w.dtype == np.float32
    gathered = dataset.__getitems__([4, 0, 4])
    np.testing.assert_array_equal(gathered[0].data, features[[4, 0, 4]])
    np.testing.assert_array_equal(gathered[1].data, [4, 0, 4])


@pytest.mark.parametrize("tensors,words", [((np.ones((5, 2)), np.ones(4)), ["5", "4"]), ((), ["at least one"])])
def test_tensor_dataset_rejects_bad_inputs_with_a_clear_message(tensors, words):
    with pytest.raises(ValueError) as raised:
        TensorDataset(*tensors)
    for word in words:
        assert word in str(raised.value)


def test_default_collate_stacks_fields_like_pytorch():
    images, labels = default_collate([Squares(3)[i] for i in range(3)])
    np.testing.assert_array_equal(images.data, [[0, 0], [1, 1], [2, 4]])
    assert images.dtype == np.float64  # numpy float64 stays float64, as torch.from_numpy would
    assert labels.dtype == np.int64 and labels.data.tolist() == [0, 1, 2]
    nested = default_collate([[Tensor(np.ones(2)), np.int32(1)], [Tensor(np.zeros(2)), np.int32(2)]])
    assert isinstance(nested, list) and nested[0].shape == (2, 2) and nested[1].dtype == np.int32


@pytest.mark.parametrize("n,batch_size,drop_last,sizes", [
    (10, 3, False, [3, 3, 3, 1]), (10, 3, True, [3, 3, 3]), (9, 3, False, [3, 3, 3]), (9, 3, True, [3, 3, 3]),
    (2, 5, False, [2]), (2, 5, True, []), (4, 1, False, [1, 1, 1, 1]),
])
def test_batch_sizes_and_len_follow_drop_last(n, batch_size, drop_last, sizes):
    for dataset in (Squares(n), TensorDataset(np.zeros((n, 2)), np.arange(n))):
        loader = DataLoader(dataset, batch_size=batch_size, drop_last=drop_last)
        assert [len(labels.data) for _, labels in loader] == sizes
        assert len(loader) == len(sizes)
        assert labels_of(loader) == list(range(sum(sizes)))


def test_item_path_and_gather_path_give_identical_batches():
    features = np.random.default_rng(0).standard_normal((23, 4)).astype(np.float32)
    labels = np.arange(23) % 5
    fast = TensorDataset(features, labels)

    class OneAtATime(Dataset):
        def __len__(self):
            return len(fast)

        def __getitem__(self, index):
            return fast[index]

    loaders = [DataLoader(d, batch_size=6, shuffle=True, generator=np.random.default_rng(4)) for d in (fast, OneAtATime())]
    for (x_fast, y_fast), (x_slow, y_slow) in zip(*loaders):
        np.testing.assert_array_equal(x_fast.data, x_slow.data)
        np.testing.assert_array_equal(y_fast.data, y_slow.data)
        assert y_fast.dtype == y_slow.dtype == np.int64


def test_shuffle_draws_a_new_permutation_each_epoch_from_the_given_generator():
    loader = DataLoader(Squares(30), batch_size=4, shuffle=True, generator=np.random.default_rng(11))
    epochs = [labels_of(loader) for _ in range(3)]
    reference = np.random.default_rng(11)
    for epoch in epochs:
        assert epoch == reference.permutation(30).tolist()
    assert epochs[0] != epochs[1] != epochs[2]


def test_shuffle_without_a_generator_follows_manual_seed_at_each_epoch():
    loader = DataLoader(Squares(20), batch_size=20, shuffle=True)
    manual_seed(2)
    first = labels_of(loader)
    manual_seed(2)
    assert labels_of(loader) == first == np.random.default_rng(2).permutation(20).tolist()


def test_loader_is_reiterable_and_yields_lazily():
    calls = []

    class Logged(Squares):
        def __getitem__(self, index):
            calls.append(index)
            return super().__getitem__(index)

    loader = DataLoader(Logged(8), batch_size=2)
    batches = iter(loader)
    assert calls == []  # a generator: nothing fetched until asked
    next(batches)
    assert calls == [0, 1]
    assert labels_of(loader) == labels_of(loader) == list(range(8))


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_bad_batch_size_is_rejected(batch_size):
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(Squares(3), batch_size=batch_size)


def test_base_dataset_asks_for_len_and_getitem():
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]


def test_tinydigits_epoch_covers_every_example_once():
    (images, labels), _ = load_tinydigits()
    loader = DataLoader(TensorDataset(images, labels), batch_size=64, shuffle=True, generator=np.random.default_rng(0))
    seen = []
    for x, y in loader:
        assert x.shape[1:] == (8, 8) and x.dtype == np.float32 and y.dtype == np.int64
        seen.append(y.data)
    assert len(seen) == len(loader) == 23
    np.testing.assert_array_equal(np.sort(np.concatenate(seen)), np.sort(labels))


def test_python_int_labels_collate_to_int64_on_every_platform():
    # numpy's default integer is 32-bit in the browser (wasm32); PyTorch collates Python ints to int64.
    labels = default_collate([0, 1, 2])
    assert labels.dtype == np.int64
    assert TensorDataset(np.ones((2, 1)), [0, 1]).tensors[1].dtype == np.int64


def test_default_collate_follows_pytorchs_rules_for_numbers_dicts_and_nesting():
    import collections
    Example = collections.namedtuple("Example", "x y")
    batch = default_collate([{"x": 1, "y": (0.5, True), "name": "a", "pair": Example(np.float32(1), 2)},
                             {"x": 2, "y": (1.5, False), "name": "b", "pair": Example(np.float32(3), 4)}])
    assert set(batch) == {"x", "y", "name", "pair"}
    assert batch["x"].dtype == np.int64 and batch["x"].data.tolist() == [1, 2]
    weights, flags = batch["y"]  # a tuple of fields becomes a list of batches, as in PyTorch
    assert isinstance(batch["y"], list) and weights.dtype == np.float64 and flags.dtype == np.bool_
    assert batch["name"] == ["a", "b"]
    assert isinstance(batch["pair"], Example) and batch["pair"].x.dtype == np.float32
    assert batch["pair"].y.data.tolist() == [2, 4]


def test_default_collate_refuses_examples_with_different_numbers_of_fields():
    with pytest.raises(RuntimeError, match=r"same number of fields, got lengths \[1, 2\]"):
        default_collate([(1, 2), (3,)])


def test_a_loader_over_a_dict_dataset_gives_dict_batches():
    class Records(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, index):
            return {"features": np.full(3, index, dtype=np.float32), "label": index % 2}

    batches = list(DataLoader(Records(), batch_size=2))
    assert [b["features"].shape for b in batches] == [(2, 3), (2, 3), (1, 3)]
    assert batches[0]["label"].dtype == np.int64 and batches[1]["label"].data.tolist() == [0, 1]


def test_tensor_dataset_batches_match_the_item_by_item_collation():
    dataset = TensorDataset(np.arange(12, dtype=np.float32).reshape(6, 2), np.arange(6))
    fast = dataset.__getitems__([4, 1])
    slow = default_collate([dataset[4], dataset[1]])
    assert isinstance(fast, list) and len(fast) == len(slow) == 2
    for a, b in zip(fast, slow):
        assert a.dtype == b.dtype and np.array_equal(a.data, b.data)


def test_utils_data_is_pytorchs_namespace():
    import tinytorch.utils.data as data
    assert set(data.__all__) == {"Dataset", "TensorDataset", "DataLoader", "default_collate"}
    assert data.DataLoader is DataLoader and data.default_collate is default_collate
