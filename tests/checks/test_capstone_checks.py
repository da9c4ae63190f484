"""Each module-20 check accepts the reference and rejects realistic wrong implementations (mutants)."""
import math
import numbers

from tinytorch.checks import capstone as checks
from tinytorch.core import capstone
from tinytorch.core.capstone import (_json_type_matches, _object_errors, latency_percentiles, measure_latency,
                                     model_size_bytes)

from mutants import make_mutant_tests


def _interpolate(ordered, rank):
    low = min(math.floor(rank), len(ordered) - 1)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


def percentiles_unsorted(seconds, percentiles=(50, 90, 99)):
    times = list(seconds)
    return {f"p{p}_ms": _interpolate(times, (len(times) - 1) * p / 100) * 1000.0 for p in percentiles}


def percentiles_rank_n(seconds, percentiles=(50, 90, 99)):
    ordered = sorted(seconds)
    return {f"p{p}_ms": _interpolate(ordered, len(ordered) * p / 100) * 1000.0 for p in percentiles}


def percentiles_in_seconds(seconds, percentiles=(50, 90, 99)):
    ordered = sorted(seconds)
    return {f"p{p}_ms": _interpolate(ordered, (len(ordered) - 1) * p / 100) for p in percentiles}


def percentiles_sorting_in_place(seconds, percentiles=(50, 90, 99)):
    seconds.sort()
    return {f"p{p}_ms": _interpolate(seconds, (len(seconds) - 1) * p / 100) * 1000.0 for p in percentiles}


def percentiles_nearest_rank(seconds, percentiles=(50, 90, 99)):
    ordered = sorted(seconds)
    return {f"p{p}_ms": ordered[round((len(ordered) - 1) * p / 100)] * 1000.0 for p in percentiles}


def latency_timing_the_warmup(fn, inputs, warmup=10, clock=None):
    timings = []
    for x in [inputs[i % len(inputs)] for i in range(warmup)] + list(inputs):
        start = clock()
        fn(x)
        timings.append(clock() - start)
    return timings


def latency_without_warmup(fn, inputs, warmup=10, clock=None):
    timings = []
    for x in inputs:
        start = clock()
        fn(x)
        timings.append(clock() - start)
    for i in range(warmup):  # "warm-up" done afterwards: the first timed calls were cold
        fn(inputs[i % len(inputs)])
    return timings


def latency_mean_of_the_loop(fn, inputs, warmup=10, clock=None):
    for i in range(warmup):
        fn(inputs[i % len(inputs)])
    start = clock()
    for x in inputs:
        fn(x)
    return [(clock() - start) / len(inputs)] * len(inputs)


def size_of_parameters_only(model):
    parameters = sum(p.data.nbytes for p in model.parameters())
    return {"parameters": parameters, "buffers": 0, "total": parameters}


def size_four_bytes_each(model):
    parameters = sum(p.numel() * 4 for p in model.parameters())
    buffers = sum(b.numel() * 4 for b in model.buffers())
    return {"parameters": parameters, "buffers": buffers, "total": parameters + buffers}


def types_bool_is_a_number(value, name):
    if name in ("number", "integer") and isinstance(value, bool):
        return True
    return _json_type_matches(value, name)


def types_by_isinstance_real(value, name):
    if name == "number":
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    return _json_type_matches(value, name)


def types_integer_is_python_int(value, name):
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return _json_type_matches(value, name)


def objects_stopping_at_the_first_error(value, schema, path, root):
    errors = _object_errors(value, schema, path, root)
    return errors[:1]


def objects_ignoring_additional_properties(value, schema, path, root):
    return [e for e in _object_errors(value, schema, path, root) if "not allowed" not in e]


def objects_with_local_paths(value, schema, path, root):
    errors = []
    for key in schema.get("required", []):
        if key not in value:
            errors.append(f"{key}: is required but missing")
    for key in sorted(value):
        if key in schema.get("properties", {}):
            errors += capstone._value_errors(value[key], schema["properties"][key], key, root)
        elif schema.get("additionalProperties", True) is False:
            errors.append(f"{key}: is not allowed here")
    return errors


CASES = [
    (checks.check_latency_percentiles, latency_percentiles, [
        (percentiles_unsorted, "sort the times first"), (percentiles_rank_n, "(n - 1) · p / 100"),
        (percentiles_in_seconds, "milliseconds"), (percentiles_sorting_in_place, "changed the list"),
        (percentiles_nearest_rank, "linear interpolation")]),
    (checks.check_measure_latency, measure_latency, [
        (latency_timing_the_warmup, "warm-up calls are not timed"), (latency_without_warmup, "cold warm-up call"),
        (latency_mean_of_the_loop, "time each sample on its own")]),
    (checks.check_model_size, model_size_bytes, [
        (size_of_parameters_only, "walk model.buffers()"), (size_four_bytes_each, "an int8 number takes 1 byte")]),
    (checks.check_json_types, _json_type_matches, [
        (types_bool_is_a_number, "a bool is an int in Python"), (types_by_isinstance_real, "NaN is not a JSON number"),
        (types_integer_is_python_int, "2.0 has no fractional part")]),
    (checks.check_object_errors, _object_errors, [
        (objects_stopping_at_the_first_error, "not only the first"),
        (objects_ignoring_additional_properties, "additionalProperties is false"),
        (objects_with_local_paths, "latency.p99_ms")]),
]
test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
