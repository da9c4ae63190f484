"""Run a notebook's code cells under CPython, the way a learner runs them top to bottom.

Each cell is executed in one shared namespace; an error is recorded and the run goes on, as
"Run All" with "continue on error" would. No Jupyter kernel is needed, so this is fast.
"""
import contextlib
import io
import os
from dataclasses import dataclass

import nbformat

os.environ.setdefault("MPLBACKEND", "Agg")  # plots render off-screen under pytest


@dataclass
class CellRun:
    index: int
    source: str
    output: str
    error: BaseException | None


def run_notebook(path):
    nb = nbformat.read(path, as_version=4)
    namespace = {"__name__": "__main__"}
    runs = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        stdout, error = io.StringIO(), None
        with contextlib.redirect_stdout(stdout):
            try:
                exec(compile(cell.source, f"{path.name}[cell {index}]", "exec"), namespace)
            except Exception as err:  # recorded, inspected by the caller
                error = err
        runs.append(CellRun(index, cell.source, stdout.getvalue(), error))
    return runs


def is_check_cell(run):
    return "check_" in run.source and "from tinytorch.checks" in run.source
