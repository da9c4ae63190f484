"""Each module-05 check accepts the reference and rejects a deliberately wrong implementation (a mutant)."""
import numpy as np

from tinytorch.checks import dataloader as checks
from tinytorch.core.dataloader import DataLoader, TensorDataset, default_collate
from tinytorch.core.tensor import Tensor
from tinytorch.random import default_generator

from mutants import make_mutant_tests


class Float32LabelsDataset(TensorDataset):
    """Wraps every array with Tensor's float32 default: labels lose their int64 dtype."""

    def __init__(self, *tensors):
        super().__init__(*[Tensor(getattr(t, "data", t)) for t in tensors])


class UncheckedDataset(TensorDataset):
    def __init__(self, *tensors):
        self.tensors = tuple(Tensor(t, dtype=np.asarray(getattr(t, "data", t)).dtype) for t in tensors)


class FirstTwoSizesChecked(TensorDataset):
    def __init__(self, *tensors):
        self.tensors = tuple(Tensor(t, dtype=np.asarray(getattr(t, "data", t)).dtype) for t in tensors)
        if len(self.tensors) > 1 and len(self.tensors[0]) != len(self.tensors[1]):  # a third tensor goes unchecked
            raise ValueError(f"TensorDataset: sizes {len(self.tensors[0])} and {len(self.tensors[1])} differ")


def float32_collate(samples):
    if isinstance(samples[0], (tuple, list)):
        return [float32_collate(list(field)) for field in zip(*samples)]
    return Tensor(np.stack([getattr(s, "data", s) for s in samples]))  # float32 default: labels become floats


def tuple_collate(samples):
    """The old tinytorch rule: tuples of fields stay tuples (PyTorch returns a list)."""
    if isinstance(samples[0], (tuple, list)):
        return tuple(default_collate(list(field)) for field in zip(*samples))
    return default_collate(samples)


def collate_without_dicts(samples):
    if isinstance(samples[0], dict):
        return np.array(samples, dtype=object)  # what the old default_collate gave: an object array
    return default_collate(samples)


def list_collate(samples):
    """Stacks fields but returns a list of arrays, not Tensors."""
    return [np.stack([getattr(s, "data", s) for s in field]) for field in zip(*samples)]


class AlwaysDropsLast(DataLoader):
    def __len__(self):
        return len(self.dataset) // self.batch_size


class NeverDropsLast(DataLoader):
    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)


class ItemByItemOnly(DataLoader):
    def _fetch(self, indices):
        return default_collate([self.dataset[int(i)] for i in indices])


class SameOrderEveryEpoch(DataLoader):
    def _epoch_order(self):
        n = len(self.dataset)
        return np.random.default_rng(0).permutation(n) if self.shuffle else np.arange(n)


class GeneratorCapturedAtInit(DataLoader):
    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, generator=None):
        super().__init__(dataset, batch_size, shuffle, drop_last, generator or default_generator())


class PermutationPerBatch(DataLoader):
    def __iter__(self):
        for batch in range(len(self)):
            order = self._epoch_order()  # a new permutation for every batch: examples repeat or go missing
            yield self._fetch(order[batch * self.batch_size:(batch + 1) * self.batch_size])


class ShuffleIgnored(DataLoader):
    def _epoch_order(self):
        return np.arange(len(self.dataset))


CASES = [
    (checks.check_tensor_dataset, TensorDataset, [Float32LabelsDataset, UncheckedDataset,
                                                  (FirstTwoSizesChecked, "10, 10 and 9 rows")]),
    (checks.check_collate, default_collate, [float32_collate, list_collate, (tuple_collate, "into a list [X, Y]"),
                                             (collate_without_dicts, "dict of batches")]),
    (checks.check_batching, DataLoader, [AlwaysDropsLast, NeverDropsLast, ItemByItemOnly]),
    (checks.check_shuffling, DataLoader, [SameOrderEveryEpoch, GeneratorCapturedAtInit, ShuffleIgnored,
                                              (PermutationPerBatch, "one permutation per epoch")]),
]


test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
