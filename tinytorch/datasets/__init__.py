"""Small real datasets that ship inside tinytorch, so lessons work offline and in the browser; and a reader
for CIFAR-10's binary files, which the user supplies (they do not ship)."""

from .cifar10 import CIFAR10_CLASSES, load_cifar10
from .tinydigits import load_tinydigits
from .tinytalks import load_tinytalks, load_tinytalks_pairs

__all__ = ["load_tinydigits", "load_tinytalks", "load_tinytalks_pairs", "load_cifar10", "CIFAR10_CLASSES"]
