"""Run a notebook's code cells under CPython, the way a learner runs them top to bottom.

Each notebook runs in its own Python process (module 06 patches tinytorch's Tensor, which must not leak
into other notebooks); its cells share one namespace, and an error is recorded and the run goes on, as
"Run All" with "continue on error" would (and as nbgrader's autograder runs a submission). No Jupyter
kernel is needed, so this is fast. The tests use `run_notebook`; scripts/grade.py runs the same child
process with an event log.

Usage: python scripts/notebook_runner.py NOTEBOOK [--events FILE]
  prints the cells' runs as JSON; with --events, also appends one JSON line to FILE when each code cell
  starts ("cell"), when a cell raises ("error"), and for every check outcome ("outcome", reported by
  tinytorch.checks.on_outcome, installed before the first cell runs).
"""
import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class CellRun:
    index: int
    source: str
    output: str
    error_type: str | None  # the exception's class name, or None when the cell ran cleanly
    error: str | None  # the exception's message


def run_notebook(path, timeout=600):
    env = dict(os.environ, MPLBACKEND="Agg")  # plots render off-screen
    result = subprocess.run([sys.executable, __file__, str(path)], capture_output=True, text=True,
                            timeout=timeout, env=env, cwd=Path(path).parent)
    if result.returncode != 0:
        raise RuntimeError(f"running {path} failed:\n{result.stderr}")
    return [CellRun(**run) for run in json.loads(result.stdout)]


def event_log(path):
    """A function that appends one event (a dict) as a JSON line to `path`, stamped with the seconds since
    this call. The file is line-buffered, so every event is on disk before the next cell runs: a run
    killed at a time limit keeps everything it reported."""
    log = open(path, "a", buffering=1, encoding="utf-8")
    start = time.perf_counter()

    def record(event):
        log.write(json.dumps({**event, "time": round(time.perf_counter() - start, 4)}) + "\n")
    return record


def _execute(path, record=None):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    if record:
        from tinytorch.checks import on_outcome
        on_outcome(lambda outcome: record({"event": "outcome", **outcome}))
    namespace = {"__name__": "__main__"}
    runs = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if record:
            record({"event": "cell", "index": index, "id": cell.get("id")})
        stdout, error = io.StringIO(), None
        with contextlib.redirect_stdout(stdout):
            try:
                exec(compile(cell.source, f"{Path(path).name}[cell {index}]", "exec"), namespace)
            except Exception as err:  # recorded, and the run goes on with the next cell
                error = err
        if error and record:
            record({"event": "error", "index": index, "error_type": type(error).__name__, "error": str(error)})
        runs.append(dict(index=index, source=cell.source, output=stdout.getvalue(),
                         error_type=type(error).__name__ if error else None,
                         error=str(error) if error else None))
    return runs


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook")
    parser.add_argument("--events", help="append cell, error and check-outcome events to this file (JSON lines)")
    args = parser.parse_args()
    json.dump(_execute(args.notebook, event_log(args.events) if args.events else None), sys.stdout)
