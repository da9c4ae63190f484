"""Small real datasets that ship inside tinytorch, so lessons work offline and in the browser (and the GPT
the 2017 milestone trained on one of them); and a reader for CIFAR-10's binary files, which the user supplies."""

from .cifar10 import CIFAR10_CLASSES, load_cifar10
from .tinydigits import load_tinydigits
from .tinytalks import load_tinytalks, load_tinytalks_pairs
from .tinytalks_gpt import load_tinytalks_gpt

__all__ = ["load_tinydigits", "load_tinytalks", "load_tinytalks_pairs", "load_tinytalks_gpt", "load_cifar10",
           "CIFAR10_CLASSES"]
