"""Module 20: the submission schema and its validator, the measurement helpers, their units and refusals."""
import copy
import json
import math

import numpy as np
import pytest

import tinytorch
from tinytorch import nn
from tinytorch.core import capstone
from tinytorch.capstone import (SCHEMA_KEYWORDS, latency_percentiles, load_schema, load_submission, make_submission,
                                measure_latency, measure_throughput, model_size_bytes, save_submission,
                                schema_errors, system_info, validate_submission)


def keywords_used(node, in_properties=False):
    """Every keyword of a schema, walking subschemas (the keys of `properties` and `$defs` are names, not keywords)."""
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if not in_properties:
                found.add(key)
            if key in ("properties", "$defs") and not in_properties:
                for sub in value.values():
                    found |= keywords_used(sub)
            elif key in ("items", "additionalProperties") and isinstance(value, dict):
                found |= keywords_used(value)
    return found


def test_the_schema_uses_only_keywords_the_validator_implements():
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    unknown = keywords_used(schema) - SCHEMA_KEYWORDS - capstone._ANNOTATIONS
    assert not unknown, f"the schema uses keywords the validator does not implement: {sorted(unknown)}"
    # and the validator refuses a keyword it does not know instead of ignoring it
    with pytest.raises(ValueError, match="minLength"):
        schema_errors("x", {"type": "string", "minLength": 2})


def small_model():
    tinytorch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


def valid_document():
    model = small_model()
    return make_submission("tinydigits-classification", model, name="tiny", quality=0.97, target=0.95,
                           latency_seconds=[0.001, 0.002, 0.003, 0.004], warmup=2, throughput=1234.5,
                           throughput_batch_size=8, peak_activation_bytes=64, notes="test",
                           timestamp="2026-01-02T03:04:05Z")


def test_a_made_submission_is_valid_plain_json_with_the_measured_values():
    doc = valid_document()
    assert validate_submission(doc) is doc
    assert json.loads(json.dumps(doc, allow_nan=False)) == doc
    assert doc["model"]["parameters"] == 4 * 3 + 3 + 3 * 2 + 2 == 23
    assert doc["model"]["size_bytes"] == 23 * 4 and doc["model"]["bits"] == 32 and doc["model"]["dtype"] == "float32"
    assert doc["latency"]["samples"] == 4
    assert doc["latency"]["p50_ms"] == pytest.approx(2.5)  # between 2 and 3 ms
    assert doc["latency"]["p90_ms"] == pytest.approx(3.7)  # rank 2.7: 3 + 0.7 * 1 ms
    assert doc["quality"]["target_met"] is True and doc["quality"]["perplexity"] is None
    assert doc["system"]["runtime"] == "cpython" and doc["system"]["numpy"] == np.__version__


def test_every_field_at_fault_is_named_by_its_path_at_once():
    doc = valid_document()
    doc["latency"]["p99_ms"] = -3
    doc["model"]["bits"] = True
    doc["system"]["runtime"] = "jvm"
    doc["timestamp"] = "yesterday"
    doc["colour"] = "red"
    del doc["notes"]
    doc["throughput"]["samples_per_second"] = 0
    with pytest.raises(ValueError) as error:
        validate_submission(doc)
    message = str(error.value)
    for expected in ["latency.p99_ms: -3 is below the minimum 0", "model.bits: true is not of type integer",
                     'system.runtime: "jvm" is not one of "pyodide", "cpython"',
                     'timestamp: "yesterday" does not match the pattern', "colour: is not allowed here",
                     "notes: is required but missing", "throughput.samples_per_second: 0 must be greater than 0"]:
        assert expected in message, f"{expected!r} not in:\n{message}"
    assert "7 problems" in message


@pytest.mark.parametrize("edit, phrase", [
    (lambda d: d["quality"].update(metric="val_loss", perplexity=2.0), "quality.metric: tinydigits-classification is scored by 'accuracy'"),
    (lambda d: d["quality"].update(target_met=False), "quality.target_met: False disagrees"),
    (lambda d: d["quality"].update(value=97.0), "accuracy is a fraction"),
    (lambda d: d["latency"].update(p50_ms=9.0), "p50_ms <= p90_ms <= p99_ms"),
    (lambda d: d["model"].update(size_bytes=1), "model.size_bytes: 1 should equal"),
    (lambda d: d["throughput"].update(unit="tokens"), "throughput.unit"),
])
def test_rules_a_schema_cannot_state_are_checked_too(edit, phrase):
    doc = valid_document()
    edit(doc)
    assert schema_errors(doc) == []
    with pytest.raises(ValueError, match="problem") as error:
        validate_submission(doc)
    assert phrase in str(error.value)


def test_json_types_follow_json_not_python():
    check = capstone._json_type_matches
    assert not check(True, "integer") and not check(True, "number") and check(True, "boolean")
    assert check(2.0, "integer") and not check(2.5, "integer") and check(2.5, "number")
    assert not check(float("nan"), "number") and not check(np.float32(1.0), "number")
    assert check(None, "null") and not check(0, "null") and not check((1,), "array")
    assert schema_errors(1, {"type": ["string", "null"]}) == ["(document): 1 is not of type string or null"]
    assert schema_errors([1, "a"], {"type": "array", "items": {"type": "integer"}}) == \
        ['(document)[1]: "a" is not of type integer']
    assert schema_errors(5, {"maximum": 4}) == ["(document): 5 is above the maximum 4"]
    assert schema_errors(1.0, {"const": 1}) == ["(document): 1.0 must be 1"]


def test_latency_percentiles_are_linear_interpolation_in_milliseconds():
    rng = np.random.default_rng(1)
    times = list(rng.exponential(0.003, 57))
    got = latency_percentiles(times, (0, 50, 90, 99, 100))
    for p in (0, 50, 90, 99, 100):
        assert got[f"p{p}_ms"] == pytest.approx(np.percentile(times, p) * 1000, rel=1e-12)
    for bad in ([], [0.1, -0.001], [float("nan")], [True]):
        with pytest.raises(ValueError, match="timing|no timings"):
            latency_percentiles(bad)
    with pytest.raises(ValueError, match="between 0 and 100"):
        latency_percentiles([0.1], (101,))


def test_measure_latency_skips_the_warmup_and_times_each_call():
    now, calls = [0.0], []

    def fn(x):
        calls.append(x)
        now[0] += x

    timings = measure_latency(fn, [1.0, 2.0, 3.0], warmup=4, clock=lambda: now[0])
    assert calls == [1.0, 2.0, 3.0, 1.0, 1.0, 2.0, 3.0] and timings == [1.0, 2.0, 3.0]
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="warmup"):
            measure_latency(fn, [1.0], warmup=bad)
    with pytest.raises(ValueError, match="no inputs"):
        measure_latency(fn, [])


def test_measure_throughput_is_samples_per_second():
    rate = measure_throughput(lambda batch: sum(batch), list(range(100)), min_seconds=0.001, repeat=2)
    assert rate > 0 and math.isfinite(rate)
    with pytest.raises(ValueError, match="empty"):
        measure_throughput(lambda batch: None, [])


def test_model_size_counts_buffers_at_their_dtypes():
    model = nn.BatchNorm2d(3)  # weight, bias float32; running_mean, running_var float32, num_batches_tracked int64
    size = model_size_bytes(model)
    assert size["parameters"] == 6 * 4
    assert size["buffers"] == sum(b.data.nbytes for b in model.buffers())
    model.register_buffer("codes", tinytorch.Tensor(np.zeros((5, 5), dtype=np.int8), dtype=np.int8))
    assert model_size_bytes(model)["buffers"] == size["buffers"] + 25
    assert model_size_bytes(model)["total"] == model_size_bytes(model)["parameters"] + model_size_bytes(model)["buffers"]


def test_system_info_names_the_runtime_and_versions(monkeypatch):
    info = system_info()
    assert info["runtime"] == "cpython" and info["user_agent"] is None
    assert info["tinytorch"] == tinytorch.__version__
    monkeypatch.setattr(capstone.sys, "platform", "emscripten")
    assert system_info()["runtime"] == "pyodide"  # no js module here: the user agent stays None
    assert system_info()["user_agent"] is None


def test_save_refuses_to_overwrite_and_load_validates(tmp_path):
    doc = valid_document()
    path = tmp_path / "runs" / "one.json"
    save_submission(doc, path)
    assert load_submission(path) == doc
    changed = copy.deepcopy(doc)
    changed["notes"] = "second"
    with pytest.raises(FileExistsError, match="overwrite=True"):
        save_submission(changed, path)
    assert load_submission(path)["notes"] == "test", "the earlier submission must be untouched"
    save_submission(changed, path, overwrite=True)
    assert load_submission(path)["notes"] == "second"
    broken = copy.deepcopy(doc)
    broken["latency"]["p50_ms"] = -1
    with pytest.raises(ValueError, match="latency.p50_ms"):
        save_submission(broken, tmp_path / "bad.json")
    assert not (tmp_path / "bad.json").exists(), "an invalid submission is never written"


def test_make_submission_refuses_an_unknown_task():
    with pytest.raises(ValueError, match="task must be one of"):
        make_submission("imagenet", small_model(), name="x", quality=1, target=1, latency_seconds=[0.1], warmup=0,
                        throughput=1, throughput_batch_size=1)
