"""The random-number source every tinytorch module draws from, seeded like PyTorch's.

`tinytorch.manual_seed(0)` makes weight initialisation, dropout masks and shuffling repeatable,
as `torch.manual_seed(0)` does.
"""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Reseed the shared generator; returns it (PyTorch returns its Generator too)."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expects an integer seed, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_generator():
    """The shared numpy Generator (read it at call time: manual_seed replaces it)."""
    return _generator
