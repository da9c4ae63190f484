"""In-page checks: each module's notebook calls them with the learner's own objects.

A check prints one ✅ line when the learner's code behaves like PyTorch, and otherwise raises an
AssertionError whose message says what is wrong and what to try, never a wall of internals.
Every outcome also goes to the listeners registered with `on_outcome` (the grader, the browser's
progress record).
"""
import contextlib
import functools
import linecache
import os
import sys
import traceback
import warnings

import numpy as np

# Frames in these folders are never the learner's: the checks, the package the learner's code runs on, numpy.
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__))


@contextlib.contextmanager
def trying(case):
    """Name the case a check is running, so that a crash in the learner's code says what was tried."""
    try:
        yield
    except Exception as err:
        if not isinstance(err, (AssertionError, NotImplementedError)) and not hasattr(err, "tinytorch_case"):
            err.tinytorch_case = case
        raise


def where_it_failed(err, limit=2):
    """The deepest frames of the traceback outside tinytorch and numpy: the learner's own lines."""
    frames = [frame for frame in traceback.extract_tb(err.__traceback__)
              if not os.path.abspath(frame.filename).startswith((_PACKAGE_DIR + os.sep, _NUMPY_DIR + os.sep))]
    lines = []
    for frame in frames[-limit:]:
        code = (frame.line or linecache.getline(frame.filename, frame.lineno)).strip()
        lines.append(f"  {frame.filename}, line {frame.lineno}, in {frame.name}" + (f"\n      {code}" if code else ""))
    return ("\n" + "\n".join(lines)) if lines else ""


_listeners = []


def on_outcome(listener):
    """Call `listener(outcome)` after every check from now on. `outcome` is a dict: `module` (the checks
    module, e.g. "tensor"), `check` (the function's name), `title` ("Part 2 · ..."), `passed`, and `message`
    (the failure text, None when passed). Returns `listener`, so it can serve as a decorator."""
    _listeners.append(listener)
    return listener


def _report(body, title, message):
    outcome = {"module": body.__module__.rsplit(".", 1)[-1], "check": body.__name__, "title": title,
               "passed": message is None, "message": message}
    for listener in _listeners:
        listener(outcome)


def check(title):
    """Decorator: run a check body, turning any failure into one readable AssertionError."""
    def decorate(body):
        @functools.wraps(body)
        def run(*args, **kwargs):
            __tracebackhide__ = True  # IPython and pytest leave this frame out: the message is what matters
            try:
                body(*args, **kwargs)
            except NotImplementedError as err:
                failure = AssertionError(f"{title}: not implemented yet. {err}")
            except AssertionError as err:
                failure = AssertionError(f"{title}: {err}")
            except Exception as err:  # the learner's code crashed: say where, and on which case
                case = getattr(err, "tinytorch_case", None)
                failure = AssertionError(f"{title}: {f'while trying {case}, ' if case else ''}your code raised "
                                         f"{type(err).__name__}: {err}{where_it_failed(err)}")
            else:
                _report(body, title, None)
                print(f"✅ {title}")
                return
            _report(body, title, str(failure))
            raise failure from None
        return run
    return decorate


def assert_close(actual, expected, what, rtol=1e-5, atol=1e-6):
    """Compare arrays (or Tensors) by value and shape; the message names `what` and both values."""
    actual = np.asarray(getattr(actual, "data", actual))
    expected = np.asarray(getattr(expected, "data", expected))
    assert actual.shape == expected.shape, f"{what}: expected shape {expected.shape}, got {actual.shape}"
    assert np.allclose(actual, expected, rtol=rtol, atol=atol), f"{what}: {_difference(actual, expected, rtol, atol)}"


def _difference(actual, expected, rtol, atol):
    """Both arrays when they are small; for a big one, where and how much they differ (a wall of numbers
    hides the mistake)."""
    if expected.size <= 24:
        return f"expected\n{expected}\ngot\n{actual}"
    with np.errstate(invalid="ignore"):
        wrong = ~np.isclose(actual, expected, rtol=rtol, atol=atol)
        gap = np.where(wrong, np.abs(actual.astype(np.float64) - expected), 0)
    worst = np.unravel_index(np.nanargmax(np.where(np.isnan(gap), np.inf, gap)), expected.shape)
    return (f"{wrong.sum():,} of {expected.size:,} values differ; the largest difference is at index "
            f"{tuple(int(i) for i in worst)}: expected {expected[worst]:.6g}, got {actual[worst]:.6g}"
            + (f" (the got/expected ratio there is {actual[worst] / expected[worst]:.4g})"
               if expected[worst] not in (0, np.inf, -np.inf) else ""))


def assert_raises(error_type, action, what, must_mention=()):
    """`action()` must raise `error_type` whose message mentions every string in `must_mention`."""
    try:
        action()
    except error_type as err:
        missing = [s for s in must_mention if s not in str(err)]
        assert not missing, f"{what}: the error message should mention {missing}; it was: {err}"
        return
    except NotImplementedError:
        raise
    except Exception as err:
        raise AssertionError(f"{what}: expected {error_type.__name__}, got {type(err).__name__}: {err}") from None
    raise AssertionError(f"{what}: expected {error_type.__name__}, but nothing was raised")


def without_numpy_warnings(fn, *args, advice):
    """fn(*args), failing if numpy warns (overflow, invalid value, division by 0); the message ends with `advice`."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="warn", invalid="warn", divide="warn"):
            result = fn(*args)
    messages = sorted({str(w.message) for w in caught})
    assert not messages, f"numpy warned {messages} {advice}"
    return result


def numerical_gradient(f, x, eps=1e-6):
    """Central finite differences of the scalar function f at the float64 array x (one entry at a time)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        above = f(x.copy())
        x[index] = original - eps
        below = f(x.copy())
        x[index] = original
        grad[index] = (above - below) / (2 * eps)
    return grad


if sys.platform == "emscripten":  # in JupyterLite (Pyodide): keep each outcome for the site's progress page
    from . import browser_progress

    on_outcome(browser_progress.record)
