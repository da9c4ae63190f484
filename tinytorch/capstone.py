"""tinytorch.capstone: the course's submission format and measurements (module 20 writes them in
tinytorch/core/capstone.py; the JSON Schema ships as tinytorch/submission.schema.json). No PyTorch counterpart."""
from tinytorch.core.capstone import (SCHEMA_KEYWORDS, TASKS, latency_percentiles, load_schema, load_submission,
                                     make_submission, measure_latency, measure_throughput, model_size_bytes,
                                     save_submission, schema_errors, system_info, validate_submission)

__all__ = ["TASKS", "latency_percentiles", "measure_latency", "measure_throughput", "model_size_bytes",
           "system_info", "load_schema", "schema_errors", "validate_submission", "make_submission",
           "save_submission", "load_submission", "SCHEMA_KEYWORDS"]
