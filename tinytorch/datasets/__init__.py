"""Small real datasets that ship inside tinytorch, so lessons work offline and in the browser."""

from .tinydigits import load_tinydigits

__all__ = ["load_tinydigits"]

# CIFAR-10 does not ship: load_cifar10 reads binary files the user supplies.
from .cifar10 import CIFAR10_CLASSES, load_cifar10  # noqa: E402

__all__ += ["load_cifar10", "CIFAR10_CLASSES"]
