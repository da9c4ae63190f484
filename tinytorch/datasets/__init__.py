"""Small real datasets that ship inside tinytorch, so lessons work offline and in the browser."""

from .tinydigits import load_tinydigits
from .tinytalks import load_tinytalks, load_tinytalks_pairs

__all__ = ["load_tinydigits", "load_tinytalks", "load_tinytalks_pairs"]
from .tinytalks_gpt import load_tinytalks_gpt

__all__ += ["load_tinytalks_gpt"]
