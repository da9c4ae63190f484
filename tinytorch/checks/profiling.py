"""Checks for module 14 (Profiling): the recorder's self time, the profiler's wrapping and restoring, the FLOP
formulas and Amdahl's law. Times come from a fake clock, so every expected number is exact."""
import math

import numpy as np

from tinytorch.checks import assert_raises, check, trying
from tinytorch.core.layers import Module
from tinytorch.core.tensor import Tensor


class _Clock:
    """A clock the check sets by hand (`now`), or that ticks by one on every reading (`ticking=True`)."""

    def __init__(self, ticking=False):
        self.now, self.ticking = 0.0, ticking

    def __call__(self):
        if self.ticking:
            self.now += 1.0
        return self.now


def _stats(recorder):
    return {key: list(row) for key, row in recorder.stats.items()}


@check("Part 1 · self time and total time")
def check_recorder(Recorder):
    clock = _Clock()
    recorder = Recorder(clock)
    script = [(0, "enter", "outer"), (1, "enter", "child"), (2, "enter", "grandchild"), (5, "exit", 0),
              (7, "exit", 0), (8, "enter", "child"), (10, "exit", 100), (12, "exit", 0)]
    with trying("outer (0..12) holding child (1..7, which holds grandchild 2..5) and child (8..10, 100 FLOPs)"):
        for now, action, argument in script:
            clock.now = float(now)
            recorder.enter(argument) if action == "enter" else recorder.exit(argument)
    assert recorder.stack == [], f"after every call has exited the stack should be empty, it holds {len(recorder.stack)} frames (pop the frame in exit)"
    stats = _stats(recorder)
    assert set(stats) == {"outer", "child", "grandchild"}, f"expected rows outer, child, grandchild, got {sorted(stats)}"
    grandchild, child, outer = stats["grandchild"], stats["child"], stats["outer"]
    assert grandchild[:3] == [1, 3.0, 3.0], \
        f"grandchild (2..5, no children) should be 1 call, total 3, self 3; got calls {grandchild[0]}, total {grandchild[1]}, self {grandchild[2]}"
    assert child[1] == 8.0, f"child's total should be 6 + 2 = 8 (end minus start of each call), got {child[1]}"
    assert child[2] != child[1], \
        f"child's self time equals its total ({child[1]}): self time is total MINUS the time of the calls made inside it"
    assert child[2] == 5.0, f"child's self time should be (6 - 3) + 2 = 5 (its first call minus its grandchild's total 3), got {child[2]}"
    assert child[0] == 2 and child[3] == 100, f"child: 2 calls and 100 FLOPs expected, got {child[0]} calls, {child[3]} FLOPs"
    assert outer[1] == 12.0, f"outer's total should be 12, got {outer[1]}"
    assert outer[2] == 4.0, (
        f"outer's self time should be 12 - (6 + 2) = 4: a parent subtracts its direct children's TOTAL times "
        f"(the grandchild is already inside the child's total), got {outer[2]}")
    assert sum(row[2] for row in stats.values()) == 12.0, "self times should add up to the outermost total (12)"


class _Inner(Module):
    def forward(self, x):
        return x * 2.0


class _Outer(Module):
    def __init__(self):
        super().__init__()
        self.inner = _Inner()

    def forward(self, x):
        return self.inner(x) + 1.0


def _snapshot():
    from tinytorch.core.profiling import _targets
    return {(owner, name): vars(owner)[name] for owner, name, _, _ in _targets()}


def _changed(before):
    return [f"{owner.__name__}.{name}" for (owner, name), original in before.items() if vars(owner)[name] is not original]


@check("Part 2 · profile: wrap, count, restore")
def check_profile(profile):
    before = _snapshot()
    model, x = _Outer(), Tensor(np.arange(4, dtype=np.float32))
    expected_out = (x.data * 2 + 1)

    prof = profile()
    prof._recorder.clock = _Clock(ticking=True)  # every clock reading is one tick later than the last
    with trying("with profile() as prof: model(x) twice (model = Outer holding Inner)"):
        with prof:
            assert getattr(Tensor.__matmul__, "__name__", None) == "__matmul__", \
                "inside the block Tensor.__matmul__.__name__ should still be '__matmul__': wrap with functools.wraps"
            outputs = [model(x), model(x)]
    assert not _changed(before), f"after the with block these methods are still wrapped: {_changed(before)[:4]}"
    for out in outputs:
        assert np.allclose(out.data, expected_out), "profiling must not change results: Outer(x) should be x * 2 + 1"
    rows = {row.key: row for row in prof.key_averages()}
    counts = {key: row.count for key, row in rows.items()}
    expected = {"nn.Module: _Outer": 2, "nn.Module: _Inner": 2, "Tensor.__mul__": 2, "Tensor.__add__": 2}
    assert counts == expected, f"model(x) twice should give exactly these rows and calls {expected}, got {counts}"
    for row in rows.values():
        assert row.self_cpu_time_total <= row.cpu_time_total, f"{row.key}: self time exceeds total time"
    # ticks per call of Outer: enter 1, Inner enter 2, mul 3..4, Inner exit 5, add 6..7, exit 8 -> total 7, self 3
    outer, inner = rows["nn.Module: _Outer"], rows["nn.Module: _Inner"]
    assert (inner.cpu_time_total, inner.self_cpu_time_total) == (6e6, 4e6), (
        f"Inner (one clock tick per reading): total 3 and self 2 ticks per call expected (x 2 calls, in us "
        f"6e6 and 4e6), got total {inner.cpu_time_total}, self {inner.self_cpu_time_total}: self time is total "
        f"minus the nested calls' totals")
    assert outer.cpu_time_total == 14e6 and outer.self_cpu_time_total == 6e6, (
        f"Outer: total 7 and self 7 - (3 + 1) = 3 ticks per call expected (14e6 and 6e6 us over 2 calls), got total "
        f"{outer.cpu_time_total}, self {outer.self_cpu_time_total}: self time is total minus the nested calls' totals")

    prof = profile()
    prof._recorder.clock = _Clock(ticking=True)
    with trying("an op that raises inside the block (a @ b with mismatched shapes), then model(x)"):
        with prof:
            try:
                Tensor(np.ones((2, 3), dtype=np.float32)) @ Tensor(np.ones((2, 3), dtype=np.float32))
            except ValueError:
                pass
            model(x)
    assert prof._recorder.stack == [], (
        "an op that raised left its frame open (every later call was counted inside it): close the frame in a "
        "`finally:` so it ends whatever the original does")
    counts = {row.key: row.count for row in prof.key_averages()}
    assert counts.get("Tensor.__matmul__") == 1, f"the matmul that raised should still be one call, got rows {counts}"
    assert not _changed(before), f"after the block these methods are still wrapped: {_changed(before)[:4]}"

    class Boom(Exception):
        pass

    escaped = False
    try:
        with profile():
            model(x)
            raise Boom("raised inside the block")
    except Boom:
        escaped = True
    assert not _changed(before), (
        f"after an exception inside the with block, {_changed(before)[:3]} are still the profiler's wrapper: "
        "__exit__ must restore every method whatever happened")
    assert escaped, "an exception raised inside `with profile():` should reach the caller: __exit__ must return False"

    prof = profile()
    with prof:
        model(x)
    model(x)
    assert {row.count for row in prof.key_averages()} == {1}, "calls after the block ended should not be recorded"


def _count_linear(batch, in_features, out_features):
    count = 0
    for _ in range(batch):
        for _ in range(out_features):
            count += 2 * in_features  # one dot product: a multiply and an add per term
    return count


def _count_conv(batch, c_in, c_out, kernel, size, stride, padding):
    """Slide the kernel over the padded input and count the windows that fit: no output-size formula."""
    (kh, kw), (h, w), (sh, sw), (ph, pw) = kernel, size, stride, padding
    rows = len(range(0, h + 2 * ph - kh + 1, sh))
    cols = len(range(0, w + 2 * pw - kw + 1, sw))
    return sum(2 * c_in * kh * kw for _ in range(batch * c_out * rows * cols))


def _count_attention(batch, heads, seq_len, head_dim):
    scores = seq_len * seq_len * 2 * head_dim  # Q @ K^T: T x T dot products of length d
    mix = seq_len * head_dim * 2 * seq_len  # weights @ V: T x d dot products of length T
    return batch * heads * (scores + mix)


@check("Part 3 · FLOPs of Linear, Conv2d and attention")
def check_flops(linear_flops, conv2d_flops, attention_flops):
    for batch, i, o in [(1, 3, 2), (4, 5, 7), (32, 64, 10)]:
        with trying(f"linear_flops({batch}, {i}, {o})"):
            got = linear_flops(batch, i, o)
        expected = _count_linear(batch, i, o)
        assert got * 2 != expected, (f"linear_flops({batch}, {i}, {o}) gave {got}, half of {expected}: count a "
                                     "multiply AND an add for each term (2 FLOPs per multiply-accumulate)")
        assert got == expected, f"linear_flops({batch}, {i}, {o}) should be {expected} (2·B·in·out), got {got}"
    cases = [(2, 3, 4, 3, (7, 7), 1, 0), (1, 2, 5, 3, (8, 8), 2, 1), (3, 1, 2, (2, 3), (6, 9), (2, 1), (0, 1)),
             (1, 4, 4, 5, (5, 5), 1, 0)]
    for batch, c_in, c_out, k, size, stride, padding in cases:
        pair = lambda v: (v, v) if np.ndim(v) == 0 else tuple(v)  # noqa: E731
        expected = _count_conv(batch, c_in, c_out, pair(k), size, pair(stride), pair(padding))
        what = f"conv2d_flops({batch}, {c_in}, {c_out}, kernel_size={k}, input_size={size}, stride={stride}, padding={padding})"
        with trying(what):
            got = conv2d_flops(batch, c_in, c_out, k, size, stride, padding)
        with_input_size = 2 * batch * c_out * size[0] * size[1] * c_in * pair(k)[0] * pair(k)[1]
        assert got * 2 != expected, f"{what} gave {got}, half of {expected}: 2 FLOPs per multiply-accumulate"
        assert got != with_input_size or got == expected, (
            f"{what} gave {got}: that counts the INPUT height and width; use the output's, "
            f"H_out = (H + 2·padding − K) // stride + 1")
        assert got == expected, f"{what} should be {expected} (2·B·C_out·H_out·W_out·C_in·kH·kW), got {got}"
    for batch, heads, t, d in [(1, 1, 4, 2), (2, 3, 5, 8), (4, 2, 16, 4)]:
        what = f"attention_flops({batch}, {heads}, {t}, {d})"
        with trying(what):
            got = attention_flops(batch, heads, t, d)
        expected = _count_attention(batch, heads, t, d)
        assert got * 2 != expected, (f"{what} gave {got}, half of {expected}: count both products (Q @ K^T and "
                                     "weights @ V) with 2 FLOPs per multiply-accumulate")
        assert got == expected, f"{what} should be {expected} (4·B·H·T²·d), got {got}"


@check("Part 4 · Amdahl's law")
def check_amdahl(amdahl):
    with trying("amdahl(0.7, 2)"):
        got = amdahl(0.7, 2)
    expected = 1 / (0.3 + 0.35)
    assert not math.isclose(got, 1 / expected, rel_tol=1e-6), (
        f"amdahl(0.7, 2) gave {got}: Amdahl inverted, that is the new time as a share of the old; the speed-up "
        f"is old over new, {expected:.4f}")
    assert math.isclose(got, expected, rel_tol=1e-6), \
        f"amdahl(0.7, 2): 2x on 70% of the time should give 1 / (0.3 + 0.7/2) = {expected:.4f}x, got {got}"
    for fraction, speedup, want, why in [(0.0, 5, 1.0, "nothing sped up"), (1.0, 4, 4.0, "everything 4x faster"),
                                         (0.5, 1e12, 2.0, "the limit 1/(1 - f)"),
                                         (0.9, 0.5, 1 / (0.1 + 1.8), "a slow-down (speedup 0.5)"),
                                         (0.25, 3, 1 / (0.75 + 0.25 / 3), "a quarter 3x faster")]:
        with trying(f"amdahl({fraction}, {speedup})"):
            got = amdahl(fraction, speedup)
        assert math.isclose(got, want, rel_tol=1e-6), f"amdahl({fraction}, {speedup}) ({why}) should be {want:.4f}, got {got}"
    for fraction, speedup, word in [(1.5, 2, "fraction"), (-0.1, 2, "fraction"), (0.5, 0, "speedup"), (0.5, -2, "speedup")]:
        assert_raises(ValueError, lambda: amdahl(fraction, speedup), f"amdahl({fraction}, {speedup})",
                      must_mention=[word, str(fraction if word == "fraction" else speedup)])
