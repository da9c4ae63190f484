"""Lay out the course modules as an nbgrader course's source folder: OUT_DIR/source/NN_name/NN_name.ipynb.

Each notebook is the module's reference notebook (solutions between ### BEGIN SOLUTION / ### END SOLUTION,
which nbgrader's generate_assignment replaces with a stub) with nbgrader's cell metadata (schema 3):
  * a cell holding a solution region is an autograded answer: solution, not locked;
  * a check cell is an autograded test: grade, locked, one point per check it calls (a failing check
    raises, so nbgrader gives the cell 0 points; a passing one prints its ✅ line);
  * every other cell (text, hints, given code, "Use it" and analysis code) is read-only: locked, so
    nbgrader restores it before autograding.
The kernelspec becomes CPython's `python3` (the one an nbgrader JupyterHub runs; the site's notebooks name
the Pyodide kernel). The files are generated: running this again overwrites them.

Usage: python scripts/nbgrader_source.py OUT_DIR   (then, in OUT_DIR: nbgrader generate_assignment NN_name)
"""
import argparse
import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_content  # noqa: E402 (a sibling script)

SCHEMA_VERSION = 3
CPYTHON_KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def exercise_names(source):
    """The qualified names (Class.method) whose bodies are this cell's solution regions."""
    lines = source.splitlines()
    return [build_content.enclosing_name(lines, i) for i, line in enumerate(lines) if line.strip() == build_content.BEGIN]


def grade_id(text):
    """nbgrader's grade ids may hold letters, digits, _ and - only: `ReLU.forward` -> `ReLU-forward`."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text)


def cell_metadata(cell):
    """The nbgrader metadata of one reference-notebook cell."""
    kind = dict(grade=False, solution=False, locked=True, grade_id=grade_id(cell.id))  # read-only
    if cell.cell_type == "code" and build_content.BEGIN in cell.source:
        kind.update(solution=True, locked=False, grade_id="answer-" + "-".join(map(grade_id, exercise_names(cell.source))))
    elif cell.cell_type == "code" and build_content.is_check_cell(cell.source):
        calls = build_content.check_calls(cell.source)
        kind.update(grade=True, grade_id="-".join(calls), points=len(calls))
    return dict(kind, schema_version=SCHEMA_VERSION)


def nbgrader_notebook(source):
    """The nbgrader source notebook of one content/NN_name.py."""
    notebook = build_content.reference_notebook(build_content.read(source), source.name)
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"  # the ids the built notebooks carry (build_content.write_notebook)
        cell.metadata["nbgrader"] = cell_metadata(cell)
    ids = [cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells]
    for cell in notebook.cells:  # nbgrader needs unique ids: two cells for one name are told apart by cell
        if ids.count(cell.metadata["nbgrader"]["grade_id"]) > 1:
            cell.metadata["nbgrader"]["grade_id"] += f"-{cell.id}"
    notebook.metadata["kernelspec"] = dict(CPYTHON_KERNELSPEC)
    return notebook


def write_source(out_dir):
    """Write every module's nbgrader source notebook; returns the paths written."""
    written = []
    for source in build_content.sources():
        path = out_dir / "source" / source.stem / f"{source.stem}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbgrader_notebook(source), path)
        written.append(path)
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path, help="the nbgrader course folder (source/ is written inside it)")
    args = parser.parse_args()
    for path in write_source(args.out_dir):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
