"""Generated from content/05_dataloader.py by scripts/build_content.py: edit the source, not this file."""
# From content/05_dataloader.py, cell 2 (Part 1 · Dataset and TensorDataset)
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
        """A whole batch in one gather per tensor (indexing with an integer array): the list of batch
        Tensors that default_collate would build from the examples one by one."""
        return list(self[np.asarray(indices, dtype=np.int64)])


# From content/05_dataloader.py, cell 6 (Part 2 · Collation: a list of examples → one batch)
def default_collate(samples):
    """Stack a list of examples into a batch, as torch.utils.data.default_collate.

    Tensors, arrays and numbers are stacked along a new first dimension into a Tensor that keeps the dtype
    (Python int -> int64, float -> float64); dicts are collated key by key into a dict, tuples and lists
    field by field into a list (a namedtuple keeps its type); strings are returned as a list.
    """
    first = samples[0]
    if isinstance(first, str):
        return list(samples)
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
