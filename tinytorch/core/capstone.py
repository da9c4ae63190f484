"""Generated from content/20_capstone.py by scripts/build_content.py: edit the source, not this file."""
# From content/20_capstone.py, cell 2 (Part 1 · Latency percentiles)
import json
import math
import numbers
import os
import platform
import re
import sys
import time
from datetime import datetime, timezone
from importlib import resources

import numpy as np

from tinytorch.timing import time_per_call

__all__ = ["TASKS", "latency_percentiles", "measure_latency", "measure_throughput", "model_size_bytes",
           "system_info", "load_schema", "schema_errors", "validate_submission", "make_submission",
           "save_submission", "load_submission", "SCHEMA_KEYWORDS"]


def latency_percentiles(seconds, percentiles=(50, 90, 99)):
    """{"p50_ms": ..., "p90_ms": ..., "p99_ms": ...} from per-sample timings in seconds, in milliseconds, by
    linear interpolation between the closest ranks (numpy.percentile's default method, "linear")."""
    seconds = list(seconds)
    if not seconds:
        raise ValueError("latency_percentiles: no timings given (time at least one sample)")
    for t in seconds:
        if isinstance(t, bool) or not isinstance(t, numbers.Real) or not math.isfinite(t) or t < 0:
            raise ValueError(f"latency_percentiles: every timing must be a finite number of seconds >= 0, got {t!r}")
    result = {}
    for p in percentiles:
        if not 0 <= p <= 100:
            raise ValueError(f"latency_percentiles: a percentile must be between 0 and 100, got {p!r}")
    ordered = sorted(float(t) for t in seconds)
    n = len(ordered)
    for p in percentiles:
        rank = (n - 1) * p / 100
        low = math.floor(rank)
        high = min(low + 1, n - 1)
        value = ordered[low] + (rank - low) * (ordered[high] - ordered[low])
        result[f"p{p}_ms"] = value * 1000.0
    return result


# From content/20_capstone.py, cell 6 (Part 2 · Timing one sample at a time, after a warm-up)
def measure_latency(fn, inputs, warmup=10, clock=time.perf_counter):
    """Seconds taken by each call fn(x), x in inputs (one sample at a time), after `warmup` untimed calls
    on the first inputs (cycled when there are fewer). Returns a list with one timing per input, in order."""
    inputs = list(inputs)
    if not inputs:
        raise ValueError("measure_latency: no inputs to time")
    if isinstance(warmup, bool) or not isinstance(warmup, numbers.Integral) or warmup < 0:
        raise ValueError(f"measure_latency: warmup must be an int >= 0, got {warmup!r}")
    for i in range(warmup):
        fn(inputs[i % len(inputs)])
    timings = []
    for x in inputs:
        start = clock()
        fn(x)
        timings.append(clock() - start)
    return timings


def measure_throughput(fn, batch, min_seconds=0.05, repeat=3):
    """Samples per second of fn(batch): len(batch) over the best time per call of `repeat` rounds
    (tinytorch.timing.time_per_call, safe on the browser's coarse clock)."""
    batch_size = len(batch)
    if batch_size < 1:
        raise ValueError("measure_throughput: the batch is empty")
    fn(batch)  # warm-up
    return batch_size / time_per_call(lambda: fn(batch), repeat=repeat, min_seconds=min_seconds)


# From content/20_capstone.py, cell 10 (Part 3 · How many bytes is the model?)
def model_size_bytes(model):
    """{"parameters": bytes, "buffers": bytes, "total": bytes}: every parameter and buffer of `model` at the
    dtype it is stored in (shared tensors counted once, as model.parameters() and model.buffers() give them)."""
    parameters = int(sum(p.data.nbytes for p in model.parameters()))
    buffers = int(sum(b.data.nbytes for b in model.buffers() if b is not None))
    return {"parameters": parameters, "buffers": buffers, "total": parameters + buffers}


# From content/20_capstone.py, cell 14 (Part 4 · A schema, and a validator that names every field at fault)
SCHEMA_KEYWORDS = frozenset({"type", "required", "properties", "additionalProperties", "enum", "const", "minimum",
                             "maximum", "exclusiveMinimum", "pattern", "items", "$ref", "$defs"})
_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "$comment"})  # read by people, not checked


def load_schema():
    """The submission schema shipped in the package (tinytorch/submission.schema.json), as a dict."""
    return json.loads(resources.files("tinytorch").joinpath("submission.schema.json").read_text(encoding="utf-8"))


def _json_type_matches(value, name):
    """Is the Python value `value` (as json.loads gives it, or as json.dumps can write it) of JSON type `name`:
    one of null, boolean, integer, number, string, array, object?"""
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "string":
        return isinstance(value, str)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    if name in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if not math.isfinite(value):
            return False
        return name == "number" or float(value).is_integer()
    return False


def _at(path):
    return path or "(document)"


def _show(value):
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return f"{value!r} ({type(value).__module__}.{type(value).__name__})"


def _join(path, name):
    return f"{path}.{name}" if path else str(name)


def _resolve(ref, root):
    """The schema `ref` ("#/$defs/name") points to, inside `root`."""
    if not ref.startswith("#/"):
        raise ValueError(f"schema: only local references '#/...' are supported, got {ref!r}")
    node = root
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def _value_errors(value, schema, path, root):
    """Every way `value` (at `path`) breaks `schema`: a list of "path: message" strings, empty when it conforms."""
    unknown = set(schema) - SCHEMA_KEYWORDS - _ANNOTATIONS
    if unknown:
        raise ValueError(f"schema at {_at(path)} uses keywords this validator does not implement: {sorted(unknown)}")
    errors = []
    if "$ref" in schema:
        errors += _value_errors(value, _resolve(schema["$ref"], root), path, root)
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_json_type_matches(value, name) for name in names):
            return errors + [f"{_at(path)}: {_show(value)} is not of type {' or '.join(names)}"]
    if "const" in schema and not (value == schema["const"] and type(value) is type(schema["const"])):
        errors.append(f"{_at(path)}: {_show(value)} must be {_show(schema['const'])}")
    if "enum" in schema and not any(value == v and type(value) is type(v) for v in schema["enum"]):
        errors.append(f"{_at(path)}: {_show(value)} is not one of {', '.join(_show(v) for v in schema['enum'])}")
    if _json_type_matches(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{_at(path)}: {_show(value)} is below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{_at(path)}: {_show(value)} is above the maximum {schema['maximum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            errors.append(f"{_at(path)}: {_show(value)} must be greater than {schema['exclusiveMinimum']}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{_at(path)}: {_show(value)} does not match the pattern {schema['pattern']}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += _value_errors(item, schema["items"], f"{_at(path)}[{i}]", root)
    if isinstance(value, dict):
        errors += _object_errors(value, schema, path, root)
    return errors


def _object_errors(value, schema, path, root):
    """The errors of the dict `value` (at `path`) under the object keywords of `schema`: each required key that
    is missing, each present property that breaks its own schema, each key additionalProperties does not allow."""
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    errors = []
    for key in schema.get("required", []):
        if key not in value:
            errors.append(f"{_join(path, key)}: is required but missing")
    for key in sorted(value, key=str):
        if key in properties:
            errors += _value_errors(value[key], properties[key], _join(path, key), root)
        elif extra is False:
            errors.append(f"{_join(path, key)}: is not allowed here (allowed: {', '.join(sorted(properties))})")
        elif isinstance(extra, dict):
            errors += _value_errors(value[key], extra, _join(path, key), root)
    return errors


def schema_errors(document, schema=None):
    """Every error of `document` against `schema` (the submission schema by default), as "path: message"."""
    schema = load_schema() if schema is None else schema
    return _value_errors(document, schema, "", schema)


# From content/20_capstone.py, cell 18 (Part 5 · Building, validating and saving a submission (given))
TASKS = {
    "tinydigits-classification": {"metric": "accuracy", "higher_is_better": True, "unit": "images",
                                  "evaluated_on": "TinyDigits test split (359 images)"},
    "tinytalks-lm": {"metric": "val_loss", "higher_is_better": False, "unit": "tokens",
                     "evaluated_on": "TinyTalks validation text (nats per character)"},
}


def system_info():
    """Where a measurement was made: runtime ("pyodide" in the browser, else "cpython"), versions, platform, and
    the browser's user agent when running in Pyodide (None elsewhere or when it cannot be read)."""
    import tinytorch  # at call time: the package is fully imported by then

    runtime = "pyodide" if sys.platform == "emscripten" else "cpython"
    user_agent = None
    if runtime == "pyodide":
        try:
            from js import navigator  # Pyodide's bridge to the JavaScript global scope
            user_agent = str(navigator.userAgent)
        except (ImportError, AttributeError):
            user_agent = None
    return {"runtime": runtime, "python": platform.python_version(), "numpy": np.__version__,
            "tinytorch": tinytorch.__version__, "platform": platform.platform(), "user_agent": user_agent}


def _dtype_and_bits(model, total_bytes):
    dtypes = {str(t.data.dtype) for t in list(model.parameters()) + list(model.buffers()) if t is not None}
    values = sum(t.data.size for t in list(model.parameters()) + list(model.buffers()) if t is not None)
    dtype = dtypes.pop() if len(dtypes) == 1 else "mixed"
    return dtype, max(1, round(8 * total_bytes / max(values, 1)))  # bits per stored number, on average


def make_submission(task, model, *, name, quality, target, latency_seconds, warmup, throughput,
                    throughput_batch_size, peak_activation_bytes=None, time_to_quality_s=None, notes="",
                    timestamp=None, system=None):
    """The submission document (a dict of plain JSON values) for `model` on `task`, from measurements:
    quality (accuracy or validation loss) and its target, per-sample latency timings in seconds (batch 1,
    after `warmup` untimed calls), throughput in samples per second at `throughput_batch_size`."""
    if task not in TASKS:
        raise ValueError(f"make_submission: task must be one of {sorted(TASKS)}, got {task!r}")
    rules = TASKS[task]
    size = model_size_bytes(model)
    dtype, bits = _dtype_and_bits(model, size["total"])
    quality, target = float(quality), float(target)
    met = quality >= target if rules["higher_is_better"] else quality <= target
    return {
        "schema_version": "1.0",
        "division": "closed",
        "task": task,
        "model": {"name": str(name), "parameters": int(sum(p.numel() for p in model.parameters())),
                  "size_bytes": size["total"], "dtype": dtype, "bits": int(bits)},
        "quality": {"metric": rules["metric"], "value": quality, "target": target, "target_met": bool(met),
                    "perplexity": math.exp(quality) if rules["metric"] == "val_loss" else None,
                    "evaluated_on": rules["evaluated_on"],
                    "time_to_quality_s": None if time_to_quality_s is None else float(time_to_quality_s)},
        "latency": {"batch_size": 1, "samples": len(latency_seconds), "warmup": int(warmup),
                    **latency_percentiles(latency_seconds), "percentile_method": "linear"},
        "throughput": {"batch_size": int(throughput_batch_size), "samples_per_second": float(throughput),
                       "unit": rules["unit"]},
        "memory": {"parameter_bytes": size["parameters"], "buffer_bytes": size["buffers"],
                   "peak_activation_bytes": None if peak_activation_bytes is None else int(peak_activation_bytes)},
        "system": system_info() if system is None else system,
        "timestamp": timestamp or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "notes": str(notes),
    }


def _consistency_errors(doc):
    """The rules a JSON Schema cannot state, checked once the document has the schema's shape."""
    errors = []
    rules, quality = TASKS[doc["task"]], doc["quality"]
    if quality["metric"] != rules["metric"]:
        errors.append(f"quality.metric: {doc['task']} is scored by {rules['metric']!r}, got {quality['metric']!r}")
    met = quality["value"] >= quality["target"] if rules["higher_is_better"] else quality["value"] <= quality["target"]
    if quality["target_met"] != met:
        errors.append(f"quality.target_met: {quality['target_met']} disagrees with value {quality['value']} and "
                      f"target {quality['target']} ({'higher' if rules['higher_is_better'] else 'lower'} is better)")
    if rules["metric"] == "accuracy" and quality["value"] > 1:
        errors.append(f"quality.value: accuracy is a fraction between 0 and 1, got {quality['value']}")
    if (quality["perplexity"] is None) != (rules["metric"] != "val_loss"):
        errors.append("quality.perplexity: must be exp(val_loss) for a language model and null otherwise")
    latency = doc["latency"]
    if not latency["p50_ms"] <= latency["p90_ms"] <= latency["p99_ms"]:
        errors.append(f"latency: p50_ms <= p90_ms <= p99_ms must hold, got {latency['p50_ms']}, {latency['p90_ms']}, "
                      f"{latency['p99_ms']}")
    if doc["throughput"]["unit"] != rules["unit"]:
        errors.append(f"throughput.unit: {doc['task']} counts {rules['unit']!r}, got {doc['throughput']['unit']!r}")
    memory = doc["memory"]
    if doc["model"]["size_bytes"] != memory["parameter_bytes"] + memory["buffer_bytes"]:
        errors.append(f"model.size_bytes: {doc['model']['size_bytes']} should equal memory.parameter_bytes + "
                      f"memory.buffer_bytes = {memory['parameter_bytes'] + memory['buffer_bytes']}")
    return errors


def validate_submission(doc):
    """Return `doc` when it is a valid submission; otherwise raise one ValueError listing every field at fault."""
    errors = schema_errors(doc)
    if not errors:
        errors = _consistency_errors(doc)
    if errors:
        raise ValueError(f"the submission has {len(errors)} problem{'s' if len(errors) > 1 else ''}:\n  "
                         + "\n  ".join(errors))
    return doc


def save_submission(doc, path, overwrite=False):
    """Validate `doc` and write it to `path` as JSON (folders created). An existing file is never replaced
    unless overwrite=True. Returns the path."""
    validate_submission(doc)
    folder = os.path.dirname(os.fspath(path))
    if folder:
        os.makedirs(folder, exist_ok=True)
    text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
    try:
        with open(path, "w" if overwrite else "x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        raise FileExistsError(f"save_submission: {os.fspath(path)} exists and holds an earlier submission; choose "
                              f"another name or pass overwrite=True to replace it") from None
    return path


def load_submission(path):
    """Read a submission from `path` and validate it (ValueError naming every field at fault)."""
    with open(path, encoding="utf-8") as file:
        return validate_submission(json.load(file))
