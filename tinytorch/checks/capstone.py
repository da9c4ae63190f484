"""Checks for module 20 (Capstone): latency percentiles, per-sample timing after a warm-up, model bytes, and the
submission validator's JSON types and object keywords. Expected values are computed here independently: numpy's
percentile, a fake clock whose every tick the check knows, bytes counted by hand."""
import copy
import math

import numpy as np

from tinytorch.checks import check, trying


@check("Part 1 · latency percentiles")
def check_latency_percentiles(latency_percentiles):
    shuffled = [0.004, 0.001, 0.010, 0.002, 0.003]  # seconds; sorted: 1, 2, 3, 4, 10 ms
    given = list(shuffled)
    with trying("latency_percentiles([0.004, 0.001, 0.010, 0.002, 0.003]) (seconds)"):
        result = latency_percentiles(given)
    assert given == shuffled, ("latency_percentiles changed the list it was given (sorted it in place?): sort a "
                               "copy, the caller's timings stay in the order they were taken")
    assert set(result) == {"p50_ms", "p90_ms", "p99_ms"}, f"expected keys p50_ms, p90_ms, p99_ms, got {sorted(result)}"
    expected = {f"p{p}_ms": float(np.percentile(np.array(shuffled), p)) * 1000 for p in (50, 90, 99)}
    for key, want in expected.items():
        got = result[key]
        assert isinstance(got, float), f"{key} should be a plain Python float (JSON can write it), got {type(got).__name__}"
        if math.isclose(got, want / 1000, rel_tol=1e-6):
            raise AssertionError(f"{key} is {got}: that is seconds; the key promises milliseconds (x 1000), "
                                 f"expected {want}")
        if key == "p50_ms" and math.isclose(got, 10.0, rel_tol=1e-6):
            raise AssertionError(f"p50_ms is {got}, the middle sample of the list as given: sort the times first "
                                 f"(sorted 1, 2, 3, 4, 10 ms: the median is 3 ms)")
        n, p = len(shuffled), int(key[1:-3])
        rank = n * p / 100
        ordered = sorted(shuffled)
        low = min(int(math.floor(rank)), n - 1)
        off_by_one = (ordered[low] + (rank - low) * (ordered[min(low + 1, n - 1)] - ordered[low])) * 1000
        if rank < n - 1 and not math.isclose(got, want, rel_tol=1e-6) and math.isclose(got, off_by_one, rel_tol=1e-6):
            raise AssertionError(f"{key} is {got}, the rank n · p / 100 = {rank:g}: the rank of percentile p among n "
                                 f"sorted samples is (n - 1) · p / 100 = {(n - 1) * p / 100:g} (expected {want:g})")
        assert math.isclose(got, want, rel_tol=1e-6), \
            (f"{key} of [0.004, 0.001, 0.010, 0.002, 0.003] s should be {want:g} ms (sorted, rank (n - 1) · p / 100, "
             f"linear interpolation between the two samples around it), got {got}")
    with trying("latency_percentiles([0.0025]) (one sample)"):
        one = latency_percentiles([0.0025])
    for key, value in one.items():
        assert math.isclose(value, 2.5), f"with one sample of 2.5 ms every percentile is 2.5 ms; {key} was {value}"
    timings = list(np.random.default_rng(20).exponential(0.002, 101))
    with trying("latency_percentiles(101 timings, percentiles=(0, 25, 100))"):
        ends = latency_percentiles(timings, percentiles=(0, 25, 100))
    for p in (0, 25, 100):
        want = float(np.percentile(timings, p)) * 1000
        assert math.isclose(ends[f"p{p}_ms"], want, rel_tol=1e-9), \
            f"p{p}_ms of 101 timings should be {want:g} ms (p0 the fastest, p100 the slowest), got {ends[f'p{p}_ms']}"


class _Bench:
    """A fake model and the clock it moves: call i costs 50 ms for the first 3 calls (cold), then x ms."""

    def __init__(self):
        self.now, self.calls = 0.0, []

    def clock(self):
        return self.now

    def model(self, x):
        self.calls.append(x)
        self.now += 0.050 if len(self.calls) <= 3 else x / 1000


@check("Part 2 · timing one sample at a time, after a warm-up")
def check_measure_latency(measure_latency):
    inputs = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]  # each warm call costs this many ms
    bench = _Bench()
    with trying("measure_latency(model, 6 inputs, warmup=3, clock) with a fake clock"):
        timings = measure_latency(bench.model, list(inputs), warmup=3, clock=bench.clock)
    timings = list(timings)
    assert len(bench.calls) == 9, (f"with warmup=3 and 6 inputs the model should be called 3 + 6 = 9 times, it was "
                                   f"called {len(bench.calls)} times")
    assert len(timings) == 6, (f"one timing per input expected (6), got {len(timings)}: warm-up calls are not "
                               f"timed" if len(timings) > 6 else f"one timing per input expected (6), got "
                               f"{len(timings)}")
    if any(math.isclose(t, 0.050) for t in timings):
        raise AssertionError(f"a timing of 50 ms is a cold warm-up call: {timings}; call the model `warmup` times "
                             f"before timing anything and discard those times")
    if len(set(round(t, 9) for t in timings)) == 1:
        raise AssertionError(f"all timings are equal ({timings[0]} s): that is the whole loop divided by n, a mean; "
                             f"time each sample on its own")
    expected = [x / 1000 for x in inputs]
    assert all(math.isclose(t, e, rel_tol=1e-9) for t, e in zip(timings, expected)), \
        f"the timings in seconds should be {expected} (the clock read around each single call), got {timings}"
    assert bench.calls[:3] == inputs[:3], f"the warm-up should use the first inputs, it used {bench.calls[:3]}"
    bench = _Bench()
    with trying("measure_latency(model, 2 inputs, warmup=5, clock): the warm-up cycles through the inputs"):
        timings = list(measure_latency(bench.model, [7.0, 8.0], warmup=5, clock=bench.clock))
    assert bench.calls[:5] == [7.0, 8.0, 7.0, 8.0, 7.0] and len(timings) == 2, \
        f"warmup=5 with 2 inputs should call the model on 7, 8, 7, 8, 7 then time 7 and 8; calls were {bench.calls}"


class _Store:
    """A stand-in for a module: parameters() and buffers() as lists of objects with a numpy `.data`."""

    class _T:
        def __init__(self, array):
            self.data = array

        def numel(self):
            return self.data.size

    def __init__(self):
        self._parameters = [self._T(np.zeros((3, 4), dtype=np.float32)), self._T(np.zeros(3, dtype=np.float32))]
        self._buffers = [self._T(np.zeros(3, dtype=np.float32)), self._T(np.zeros((3, 4), dtype=np.int8)),
                         self._T(np.zeros(3, dtype=np.float16))]

    def parameters(self):
        return iter(self._parameters)

    def buffers(self):
        return iter(self._buffers)


@check("Part 3 · model size in bytes")
def check_model_size(model_size_bytes):
    store = _Store()
    with trying("model_size_bytes(a layer: float32 weight 3x4 and bias 3; buffers float32 3, int8 3x4, float16 3)"):
        size = model_size_bytes(store)
    assert set(size) >= {"parameters", "buffers", "total"}, f"expected keys parameters, buffers, total, got {sorted(size)}"
    assert size["parameters"] == 12 * 4 + 3 * 4, \
        f"parameters: a float32 3x4 weight and a 3-value bias are 48 + 12 = 60 bytes, got {size['parameters']}"
    if size["buffers"] == 0:
        raise AssertionError("buffers counted 0 bytes: a model's buffers (running statistics, quantized weights) "
                             "are stored and shipped too; walk model.buffers()")
    if size["buffers"] == (3 + 12 + 3) * 4:
        raise AssertionError(f"buffers counted {size['buffers']} bytes = 4 bytes per number: an int8 number takes 1 "
                             f"byte and a float16 2; use each array's nbytes")
    assert size["buffers"] == 3 * 4 + 12 * 1 + 3 * 2, \
        (f"buffers: float32 3 (12 bytes) + int8 3x4 (12 bytes) + float16 3 (6 bytes) = 30 bytes, got "
         f"{size['buffers']}")
    assert size["total"] == 90, f"total should be 60 + 30 = 90 bytes, got {size['total']}"
    assert all(type(size[k]) is int for k in ("parameters", "buffers")), \
        f"the byte counts should be plain Python ints (JSON), got {[type(size[k]).__name__ for k in size]}"


_TYPE_TABLE = [  # (value, JSON types it is, why it is a trap)
    (None, {"null"}, ""), (True, {"boolean"}, "a bool is an int in Python but not a JSON number"),
    (False, {"boolean"}, "a bool is an int in Python but not a JSON number"), (3, {"integer", "number"}, ""),
    (2.0, {"integer", "number"}, "2.0 has no fractional part: JSON Schema calls it an integer"),
    (2.5, {"number"}, ""), (-0.25, {"number"}, ""),
    (float("nan"), set(), "NaN is not a JSON number (json.dumps would write NaN, which is not JSON)"),
    (float("inf"), set(), "infinity is not a JSON number"),
    (np.float32(0.5), set(), "numpy's float32 is not a JSON number: json.dumps refuses it, convert with float()"),
    ("3", {"string"}, "a string of digits is a string"), ([1, 2], {"array"}, ""), ({"a": 1}, {"object"}, ""),
    ((1, 2), set(), "a tuple is not what json.loads gives for an array (a list)"),
]


@check("Part 4 · JSON types")
def check_json_types(json_type_matches):
    names = ["null", "boolean", "integer", "number", "string", "array", "object"]
    for value, kinds, why in _TYPE_TABLE:
        for name in names:
            with trying(f"_json_type_matches({value!r}, {name!r})"):
                got = json_type_matches(value, name)
            want = name in kinds
            assert got is want or got == want, \
                (f"_json_type_matches({value!r}, {name!r}) should be {want}, got {got}" + (f" ({why})" if why else ""))
    with trying("_json_type_matches(1, 'decimal') (an unknown type name)"):
        assert not json_type_matches(1, "decimal"), "an unknown type name matches nothing: return False"


_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["task", "latency", "notes"],
    "properties": {
        "task": {"enum": ["tinydigits-classification", "tinytalks-lm"]},
        "latency": {"type": "object", "required": ["p50_ms", "p99_ms"], "additionalProperties": False,
                    "properties": {"p50_ms": {"type": "number", "minimum": 0},
                                   "p99_ms": {"type": "number", "minimum": 0}}},
        "notes": {"type": "string"},
        "extra": {"type": "integer"},
    },
}


@check("Part 4 · object keywords: every field at fault")
def check_object_errors(object_errors):
    schema = copy.deepcopy(_SCHEMA)
    document = {"task": "mnist", "latency": {"p50_ms": 1.5, "p99_ms": -3}, "speed": 9}
    with trying("a document with a wrong enum, a negative p99_ms, a missing 'notes' and an extra key 'speed'"):
        errors = list(object_errors(copy.deepcopy(document), schema, "", schema))
    text = "\n".join(errors)
    assert all(isinstance(e, str) for e in errors), f"each error should be a string 'path: message', got {errors}"
    assert len(errors) > 1, (f"this document has 4 faults (task, latency.p99_ms, notes missing, speed not "
                             f"allowed); every error must be reported, not only the first. Got {len(errors)}:\n{text}")
    assert any(e.startswith("notes:") and "required" in e for e in errors), \
        f"the missing required key should read 'notes: is required but missing'; got:\n{text}"
    assert any(e.startswith("speed:") for e in errors), \
        f"'speed' is not among the properties and additionalProperties is false: report it; got:\n{text}"
    assert any(e.startswith("latency.p99_ms:") for e in errors), \
        (f"the nested fault must be named by its full path 'latency.p99_ms' (join the path with '.'); got:\n{text}")
    assert any(e.startswith("task:") for e in errors), f"the wrong task value should be reported at 'task'; got:\n{text}"
    assert len(errors) == 4, (f"this document has exactly 4 faults (task, latency.p99_ms, notes missing, speed not "
                              f"allowed), each reported once; got {len(errors)}:\n{text}")
    with trying("the same under path 'outer'"):
        nested = list(object_errors(copy.deepcopy(document), schema, "outer", schema))
    assert sorted(e.split(":")[0] for e in nested) == sorted(["outer.task", "outer.latency.p99_ms", "outer.notes",
                                                              "outer.speed"]), \
        f"under path 'outer' every error should start with 'outer.': got {nested}"
    good = {"task": "tinytalks-lm", "latency": {"p50_ms": 1.0, "p99_ms": 2.0}, "notes": "", "extra": 3}
    with trying("a valid document"):
        assert list(object_errors(good, schema, "", schema)) == [], "a valid document should give no errors"
    open_schema = dict(schema, additionalProperties={"type": "string"})
    with trying("additionalProperties given as a schema {'type': 'string'}"):
        loose = list(object_errors({"task": "tinytalks-lm", "latency": {"p50_ms": 1, "p99_ms": 1}, "notes": "",
                                    "colour": "red", "size": 3}, open_schema, "", open_schema))
    assert [e.split(":")[0] for e in loose] == ["size"], \
        (f"with additionalProperties {{'type': 'string'}} the extra key 'colour' (a string) is allowed and 'size' "
         f"(3) is not; got {loose}")
