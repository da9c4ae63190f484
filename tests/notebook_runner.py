"""Run a notebook's code cells under CPython, the way a learner runs them top to bottom.

Each notebook runs in its own Python process (module 06 patches tinytorch's Tensor, which must not leak
into other tests); its cells share one namespace, and an error is recorded and the run goes on, as
"Run All" with "continue on error" would. No Jupyter kernel is needed, so this is fast.
"""
import contextlib
import io
import json
import os
import subprocess
import sys
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


def is_check_cell(run):
    return "check_" in run.source and "from tinytorch.checks" in run.source


def _execute(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    namespace = {"__name__": "__main__"}
    runs = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        stdout, error = io.StringIO(), None
        with contextlib.redirect_stdout(stdout):
            try:
                exec(compile(cell.source, f"{Path(path).name}[cell {index}]", "exec"), namespace)
            except Exception as err:  # recorded and inspected by the tests
                error = err
        runs.append(dict(index=index, source=cell.source, output=stdout.getvalue(),
                         error_type=type(error).__name__ if error else None,
                         error=str(error) if error else None))
    return runs


if __name__ == "__main__":
    json.dump(_execute(sys.argv[1]), sys.stdout)
