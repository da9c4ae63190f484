"""Small real datasets that ship inside tinytorch, so lessons work offline and in the browser."""

from .tinydigits import load_tinydigits

__all__ = ["load_tinydigits"]
