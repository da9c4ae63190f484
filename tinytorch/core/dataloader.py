"""Generated from content/05_dataloader.py by scripts/build_content.py: edit the source, not this file."""
# From content/05_dataloader.py, cell 2 (Part 1 · Dataset and TensorDataset)
import numpy as np

from tinytorch.core.tensor import Tensor
from tinytorch.random import default_generator


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
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.tensors = tuple(_as_tensor(t) for t in tensors)
        sizes = [len(t) for t in self.tensors]
        if len(set(sizes)) > 1:
            raise ValueError(f"TensorDataset: all tensors need the same first dimension (one row per example), "
                             f"got sizes {sizes}")

    def __len__(self):
        return len(self.tensors[0])

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __getitems__(self, indices):
        """A whole batch in one gather per tensor: indexing with an integer array."""
        return self[np.asarray(indices, dtype=np.int64)]


# From content/05_dataloader.py, cell 6 (Part 2 · Collation: a list of examples → one batch)
def default_collate(samples):
    """Stack a list of examples into a batch, as torch.utils.data.default_collate.

    Tuples (or lists) are collated field by field into a tuple; anything else (Tensor, array, number)
    is stacked along a new first dimension into a Tensor that keeps the dtype.
    """
    if isinstance(samples[0], (tuple, list)):
        return tuple(default_collate(list(field)) for field in zip(*samples))
    return _as_tensor(np.stack([_as_array(sample) for sample in samples]))


# From content/05_dataloader.py, cell 10 (Part 3 · The DataLoader: batches, shuffling, `drop_last`)
class DataLoader:
    """Batches of a dataset, as torch.utils.data.DataLoader (single process, no sampler objects)."""

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, generator=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size should be a positive integer, got {batch_size!r}")
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.drop_last, self.generator = shuffle, drop_last, generator

    def __len__(self):
        """Number of batches per epoch."""
        full, remainder = divmod(len(self.dataset), self.batch_size)
        return full + (1 if remainder and not self.drop_last else 0)

    def _epoch_order(self):
        """The indices of one epoch: 0..N-1, or a fresh permutation when shuffling."""
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        rng = self.generator if self.generator is not None else default_generator()
        return rng.permutation(n)

    def _fetch(self, indices):
        if hasattr(self.dataset, "__getitems__"):
            return self.dataset.__getitems__(indices)  # one vectorised gather
        return default_collate([self.dataset[int(i)] for i in indices])

    def __iter__(self):
        order = self._epoch_order()
        for batch in range(len(self)):
            yield self._fetch(order[batch * self.batch_size:(batch + 1) * self.batch_size])
