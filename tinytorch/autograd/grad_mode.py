"""Gradient mode: the one switch that says whether operations record a graph (module 06).

It lives here, outside the notebooks, so that re-running module 06's cells cannot create a second
switch: `no_grad()` in the package and in a learner's notebook turn the same flag off.
"""
import functools

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]

_enabled = True


def is_grad_enabled():
    """True when operations on tensors that require grad record a graph (the default)."""
    return _enabled


def _run_in_mode(mode, function):
    """`function` wrapped so that each call runs with gradient recording set to `mode`."""
    @functools.wraps(function)
    def run_in_mode(*args, **kwargs):
        with set_grad_enabled(mode):
            return function(*args, **kwargs)
    return run_in_mode


class set_grad_enabled:
    """Switch gradient recording on or off: as a call, for the rest of the program; as a context manager,
    for its block (the previous mode comes back on exit, even after an exception); as a decorator, for
    each call of the function. Like torch.set_grad_enabled."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(mode): mode must be True or False, got {mode!r}")
        global _enabled
        self.mode, self.previous = mode, _enabled
        _enabled = mode

    def __enter__(self):
        return None

    def __exit__(self, *exc_info):
        global _enabled
        _enabled = self.previous

    def __call__(self, function):
        self.__exit__()  # used as a decorator: the mode applies inside each call, not from now on
        return _run_in_mode(self.mode, function)


class no_grad:
    """Record no graph inside the block (evaluation, optimizer updates), like torch.no_grad().

    Works as `with no_grad():` and as a decorator `@no_grad()`; blocks nest, and the previous mode is
    restored on exit even when the block raises."""

    mode = False

    def __enter__(self):
        global _enabled
        self.previous, _enabled = _enabled, self.mode

    def __exit__(self, *exc_info):
        global _enabled
        _enabled = self.previous

    def __call__(self, function):
        return _run_in_mode(self.mode, function)


class enable_grad(no_grad):
    """Record graphs inside the block even within no_grad(), like torch.enable_grad()."""

    mode = True
