"""Each module-14 check accepts the reference and rejects a deliberately wrong one (a mutant)."""
import pytest
import functools

from tinytorch.checks import profiling as checks
from tinytorch.core.profiling import _Recorder, amdahl, attention_flops, conv2d_flops, linear_flops, profile

from mutants import make_mutant_tests


class RecorderWithoutSubtraction(_Recorder):
    """Self time = total: the children are never subtracted."""

    def exit(self, flops=0):
        frame = self.stack.pop()
        total = self.clock() - frame.start
        self.add(frame.key, total, total, flops)


class RecorderTellingParentSelfTime(_Recorder):
    """The parent learns the child's SELF time, so grandchildren count in the parent's self time."""

    def exit(self, flops=0):
        frame = self.stack.pop()
        total = self.clock() - frame.start
        if self.stack:
            self.stack[-1].children += total - frame.children
        self.add(frame.key, total, total - frame.children, flops)


class RecorderPeeking(_Recorder):
    """Reads the frame with stack[-1] and never pops it."""

    def exit(self, flops=0):
        frame = self.stack[-1]
        total = self.clock() - frame.start
        self.add(frame.key, total, total - frame.children, flops)


class RecorderDroppingFlops(_Recorder):
    def exit(self, flops=0):
        super().exit(0)


class ProfileWithoutFinally(profile):
    """The frame is closed only when the original returns: a raising op leaves it open."""

    def _wrap(self, original, key, flops=None):
        recorder = self._recorder

        @functools.wraps(original)
        def profiled(*args, **kwargs):
            recorder.enter(key(*args, **kwargs) if callable(key) else key)
            result = original(*args, **kwargs)
            recorder.exit(flops(result, *args, **kwargs) if flops is not None else 0)
            return result
        return profiled


class ProfileWithoutWraps(profile):
    def _wrap(self, original, key, flops=None):
        wrapped = super()._wrap(original, key, flops)

        def profiled(*args, **kwargs):
            return wrapped(*args, **kwargs)
        return profiled


class ProfileRestoringOnlyOnSuccess(profile):
    def __exit__(self, exc_type, exc, traceback):
        if exc_type is not None:
            from tinytorch.core import profiling
            profiling._ACTIVE.clear()
            return False
        return super().__exit__(exc_type, exc, traceback)


class ProfileSwallowingExceptions(profile):
    def __exit__(self, exc_type, exc, traceback):
        super().__exit__(exc_type, exc, traceback)
        return True


class ProfileNeverRestoring(profile):
    def __exit__(self, exc_type, exc, traceback):
        from tinytorch.core import profiling
        profiling._ACTIVE.clear()
        self._saved = []
        return False


class ProfileWithRecorderWithoutSubtraction(profile):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._recorder = RecorderWithoutSubtraction()


def linear_multiplies_only(batch, in_features, out_features):
    return batch * in_features * out_features


def linear_counting_the_bias(batch, in_features, out_features):
    return 2 * batch * in_features * out_features + batch * out_features


def conv_with_input_size(batch, in_channels, out_channels, kernel_size, input_size, stride=1, padding=0):
    (kh, kw), (h, w) = checks_pair(kernel_size), checks_pair(input_size)
    return 2 * batch * out_channels * h * w * in_channels * kh * kw


def conv_ignoring_padding(batch, in_channels, out_channels, kernel_size, input_size, stride=1, padding=0):
    (kh, kw), (sh, sw), (h, w) = checks_pair(kernel_size), checks_pair(stride), checks_pair(input_size)
    return 2 * batch * out_channels * ((h - kh) // sh + 1) * ((w - kw) // sw + 1) * in_channels * kh * kw


def conv_multiplies_only(*args, **kwargs):
    return conv2d_flops(*args, **kwargs) // 2


def attention_scores_only(batch, num_heads, seq_len, head_dim):
    return 2 * batch * num_heads * seq_len * seq_len * head_dim


def attention_forgetting_heads(batch, num_heads, seq_len, head_dim):
    return 4 * batch * seq_len * seq_len * head_dim


def checks_pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def amdahl_inverted(fraction, speedup):
    return (1 - fraction) + fraction / speedup


def amdahl_multiplying(fraction, speedup):
    return 1 / ((1 - fraction) + fraction * speedup)


def amdahl_whole_speedup(fraction, speedup):
    return fraction * speedup + (1 - fraction)


def amdahl_without_validation(fraction, speedup):
    return 1 / ((1 - fraction) + fraction / speedup)


def _classes_a_profiler_touches():
    from tinytorch.core.autograd import Function
    from tinytorch.core.layers import Module
    from tinytorch.core.optimizers import Optimizer
    from tinytorch.core.tensor import Tensor

    found, todo = [], [Tensor, Module, Function, Optimizer]
    while todo:
        cls = todo.pop()
        if cls not in found:
            found.append(cls)
            todo.extend(cls.__subclasses__())
    return found


@pytest.fixture(autouse=True)
def restore_what_a_mutant_left_wrapped():
    """Some mutants (never restoring, restoring only on success) leave methods wrapped on purpose; put every
    class and every marked function (profile_as) back as it was, so later tests see the real ones."""
    from tinytorch.core import profiling
    saved = {cls: dict(vars(cls)) for cls in _classes_a_profiler_touches()}
    functions = [(module, name, vars(module)[name]) for module, name, _, _ in profiling._marked_functions()]
    yield
    profiling._ACTIVE.clear()
    for module, name, function in functions:
        setattr(module, name, function)
    for cls, attributes in saved.items():
        for name in set(vars(cls)) - set(attributes):
            delattr(cls, name)
        for name, value in attributes.items():
            if vars(cls).get(name) is not value and name not in ("__dict__", "__weakref__"):
                setattr(cls, name, value)


CASES = [
    (checks.check_recorder, _Recorder, [(RecorderWithoutSubtraction, "MINUS the time"),
                                        (RecorderTellingParentSelfTime, "direct children's TOTAL"),
                                        (RecorderPeeking, "stack should be empty"),
                                        (RecorderDroppingFlops, "100 FLOPs")]),
    (checks.check_profile, profile, [(ProfileWithoutFinally, "left its frame open"),
                                     (ProfileWithoutWraps, "functools.wraps"),
                                     (ProfileRestoringOnlyOnSuccess, "after an exception inside the with block"),
                                     (ProfileSwallowingExceptions, "must return False"),
                                     (ProfileNeverRestoring, "still wrapped"),
                                     (ProfileWithRecorderWithoutSubtraction, "self time is total minus")]),
    (checks.check_flops, (linear_flops, conv2d_flops, attention_flops), [
        ((linear_multiplies_only, conv2d_flops, attention_flops), "multiply AND an add"),
        ((linear_counting_the_bias, conv2d_flops, attention_flops), "2·B·in·out"),
        ((linear_flops, conv_with_input_size, attention_flops), "INPUT height and width"),
        ((linear_flops, conv_ignoring_padding, attention_flops), "2·B·C_out·H_out·W_out"),
        ((linear_flops, conv_multiplies_only, attention_flops), "2 FLOPs per multiply-accumulate"),
        ((linear_flops, conv2d_flops, attention_scores_only), "count both products"),
        ((linear_flops, conv2d_flops, attention_forgetting_heads), "4·B·H·T²·d"),
    ]),
    (checks.check_amdahl, amdahl, [(amdahl_inverted, "Amdahl inverted"), (amdahl_multiplying, "1 / (0.3 + 0.7/2)"),
                                   (amdahl_whole_speedup, "1 / (0.3 + 0.7/2)"),
                                   (amdahl_without_validation, "expected ValueError")]),
]
test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
