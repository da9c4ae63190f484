"""scripts/grade.py on folders of sample submissions made from module 02's real notebooks.

One grading run (nbgrader's collected layout, 4 jobs, a 20 s limit) covers a finished notebook, an
untouched student notebook, a wrong answer, a renamed file, a file without metadata, a notebook that
loops forever, a file that is not JSON, a deleted check cell and an edited check cell; the CSV is
asserted row by row. A second run covers the plain layout and a notebook the grader cannot identify.
"""
import csv
import subprocess
import sys
import time

import nbformat
import pytest

import build_content

ROOT = build_content.ROOT
MODULE = "02_activations"
PARTS = ["Part 1 · ReLU", "Part 2 · Sigmoid", "Part 3 · Tanh", "Part 4a · erf", "Part 4b · GELU", "Part 5 · Softmax"]
TIMEOUT = 20


def module_notebooks():
    """(reference, student) notebooks of MODULE, built from content/ as scripts/build_content.py does."""
    source = build_content.CONTENT / f"{MODULE}.py"
    nb = build_content.read(source)
    return build_content.reference_notebook(nb, source.name), build_content.student_notebook(nb, source.name)


def cell_calling(notebook, check):
    return next(i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code" and f"{check}(" in cell.source
                and "from tinytorch.checks" in cell.source)


def with_wrong_softmax(reference):
    """The softmax exercise without its max shift: the classic overflow at logits of 1000."""
    notebook = nbformat.from_dict(reference)
    shifted = "shifted = input.data - np.max(input.data, axis=self.dim, keepdims=True)"
    cells = [cell for cell in notebook.cells if shifted in cell.source]
    assert len(cells) == 1, "module 02's softmax solution changed: update this mistake"
    cell = cells[0]
    cell.source = cell.source.replace(shifted, "shifted = input.data")
    return notebook


def with_endless_loop_before(reference, check):
    notebook = nbformat.from_dict(reference)
    notebook.cells.insert(cell_calling(notebook, check), nbformat.v4.new_code_cell("while True:\n    pass"))
    return notebook


def without_cell(reference, index):
    notebook = nbformat.from_dict(reference)
    del notebook.cells[index]
    return notebook


def with_check_passed_the_package(student):
    """A student who edits the ReLU check cell to hand it the package's (reference) ReLU."""
    notebook = nbformat.from_dict(student)
    notebook.cells[cell_calling(notebook, "check_relu")].source = (
        "import tinytorch\nfrom tinytorch.checks.activations import check_relu\n\ncheck_relu(tinytorch.nn.ReLU)")
    return notebook


def with_garbage_in_the_event_log(reference):
    """A notebook that writes into the grader's log in its working folder: ignored, never a crash."""
    notebook = nbformat.from_dict(reference)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(
        "with open('events.jsonl', 'a') as log:\n    log.write('not an event\\n[1, 2]\\n')"))
    return notebook


def from_an_older_release(notebook):
    notebook = nbformat.from_dict(notebook)
    notebook.metadata["tinytorch"]["version"] = "0123456789ab"
    return notebook


def without_identity(notebook):
    notebook = nbformat.from_dict(notebook)
    del notebook.metadata["tinytorch"]
    return notebook


def write(folder, relative, notebook_or_text):
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(notebook_or_text, str):
        path.write_text(notebook_or_text)
    else:
        nbformat.write(notebook_or_text, path)


def grade(folder, out, *options):
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "grade.py"), str(folder), "--out", str(out),
                             "--timeout", str(TIMEOUT), *options], capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    with open(out, newline="", encoding="utf-8") as report:
        return list(csv.DictReader(report)), result.stdout, seconds


def rows_of(rows, student):
    return [(r["part"], r["status"]) for r in rows if r["student"] == student]


def message(rows, student, part):
    return next(r["message"] for r in rows if r["student"] == student and r["part"] == part)


@pytest.fixture(scope="module")
def nbgrader_layout_report(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    reference, student = module_notebooks()
    submitted = course / "submitted"
    assignment = MODULE
    write(submitted, f"ada/{assignment}/{MODULE}.ipynb", reference)
    write(submitted, f"ben/{assignment}/{MODULE}.ipynb", student)
    write(submitted, f"cleo/{assignment}/{MODULE}.ipynb", with_wrong_softmax(reference))
    write(submitted, f"dev/{assignment}/my work.ipynb", from_an_older_release(reference))
    write(submitted, f"eve/{assignment}/{MODULE} (1).ipynb", without_identity(reference))
    write(submitted, f"finn/{assignment}/{MODULE}.ipynb", with_endless_loop_before(reference, "check_tanh"))
    write(submitted, f"gus/{assignment}/{MODULE}.ipynb", "this is not JSON {")
    write(submitted, f"hana/{assignment}/{MODULE}.ipynb", without_cell(reference, cell_calling(reference, "check_relu")))
    write(submitted, f"ivan/{assignment}/{MODULE}.ipynb", with_check_passed_the_package(student))
    write(submitted, f"jo/{assignment}/{MODULE}.ipynb", with_garbage_in_the_event_log(reference))
    rows, printed, seconds = grade(course, course / "grades.csv", "--jobs", "4")
    print(f"\ngrading {len({r['file'] for r in rows})} sample submissions of {MODULE} (4 jobs, one of them "
          f"hitting the {TIMEOUT} s limit) took {seconds:.1f} s\n{printed}")
    return rows, printed


def test_report_has_the_columns_and_every_part_for_every_student(nbgrader_layout_report):
    rows, _ = nbgrader_layout_report
    assert list(rows[0]) == ["student", "notebook", "file", "part", "status", "message", "seconds"]
    for student in ["ada", "ben", "cleo", "dev", "eve", "finn", "gus", "hana", "ivan"]:
        assert [part for part, _ in rows_of(rows, student)] == PARTS, student
        assert {r["notebook"] for r in rows if r["student"] == student} == {MODULE}


def test_the_reference_notebook_passes_every_part(nbgrader_layout_report):
    rows, _ = nbgrader_layout_report
    assert rows_of(rows, "ada") == [(part, "passed") for part in PARTS]
    assert all(r["message"] == "" and float(r["seconds"]) >= 0 for r in rows if r["student"] == "ada")


def test_the_student_notebook_fails_every_part_as_not_implemented(nbgrader_layout_report):
    rows, _ = nbgrader_layout_report
    assert rows_of(rows, "ben") == [(part, "failed") for part in PARTS]
    assert message(rows, "ben", "Part 1 · ReLU") == (
        "not implemented yet. Implement ReLU.forward: see the hints above this cell (open Hint 1 first).")
    assert all(r["message"].startswith("not implemented yet. Implement ") for r in rows if r["student"] == "ben")


def test_a_wrong_answer_fails_exactly_its_part_with_the_checks_message(nbgrader_layout_report):
    rows, _ = nbgrader_layout_report
    assert rows_of(rows, "cleo") == [(part, "failed" if part == "Part 5 · Softmax" else "passed") for part in PARTS]
    assert "numpy warned" in message(rows, "cleo", "Part 5 · Softmax")
    assert "\n" not in message(rows, "cleo", "Part 5 · Softmax")


def test_a_renamed_notebook_is_known_by_its_metadata_or_else_its_file_name(nbgrader_layout_report):
    rows, _ = nbgrader_layout_report
    for student, file in [("dev", "my work.ipynb"), ("eve", f"{MODULE} (1).ipynb")]:
        assert rows_of(rows, student) == [(part, "passed") for part in PARTS]
        assert {r["file"] for r in rows if r["student"] == student} == {f"submitted/{student}/{MODULE}/{file}"}


def test_an_endless_loop_is_stopped_and_reported_as_a_timeout_on_the_part_it_was_on(nbgrader_layout_report):
    rows, _ = nbgrader_layout_report
    assert rows_of(rows, "finn") == [("Part 1 · ReLU", "passed"), ("Part 2 · Sigmoid", "passed"),
                                     ("Part 3 · Tanh", "timeout"), ("Part 4a · erf", "not run"),
                                     ("Part 4b · GELU", "not run"), ("Part 5 · Softmax", "not run")]
    assert message(rows, "finn", "Part 3 · Tanh").startswith(f"stopped after {TIMEOUT}")
    assert "while True:" in message(rows, "finn", "Part 3 · Tanh")
    assert "time limit" in message(rows, "finn", "Part 5 · Softmax")


def test_a_file_that_is_not_json_is_reported_on_every_part(nbgrader_layout_report):
    rows, _ = nbgrader_layout_report
    assert rows_of(rows, "gus") == [(part, "unreadable") for part in PARTS]
    assert message(rows, "gus", "Part 1 · ReLU").startswith("not a notebook: the file is not JSON")


def test_a_deleted_check_cell_is_not_run_never_a_pass(nbgrader_layout_report):
    rows, _ = nbgrader_layout_report
    assert rows_of(rows, "hana") == [(part, "not run" if part == "Part 1 · ReLU" else "passed") for part in PARTS]
    assert "deleted" in message(rows, "hana", "Part 1 · ReLU")


def test_an_edited_check_cell_is_restored_before_grading(nbgrader_layout_report):
    rows, _ = nbgrader_layout_report
    assert rows_of(rows, "ivan") == [(part, "failed") for part in PARTS]
    assert message(rows, "ivan", "Part 1 · ReLU").startswith("not implemented yet. Implement ReLU.forward")


def test_lines_a_notebook_writes_into_the_event_log_are_ignored(nbgrader_layout_report):
    rows, _ = nbgrader_layout_report
    assert rows_of(rows, "jo") == [(part, "passed") for part in PARTS]


def test_the_summary_counts_passed_parts_per_student(nbgrader_layout_report):
    _, printed = nbgrader_layout_report
    lines = {line.split()[0]: line.split()[1] for line in printed.splitlines()[1:] if line and not line.startswith("graded")}
    assert lines == {"ada": "6/6", "ben": "0/6", "cleo": "5/6", "dev": "6/6", "eve": "6/6", "finn": "2/6",
                     "gus": "0/6", "hana": "5/6", "ivan": "0/6", "jo": "6/6"}
    notes = {line.split()[0]: line for line in printed.splitlines()}
    assert "timeout" in notes["finn"] and "unreadable" in notes["gus"]
    assert "made from another version of 02_activations" in notes["dev"]
    assert "another version" not in notes["ada"] + notes["eve"]  # the current version, and no version at all


def test_plain_layout_and_a_notebook_that_cannot_be_identified(tmp_path):
    reference, _ = module_notebooks()
    write(tmp_path / "in", f"ada/{MODULE}.ipynb", reference)
    write(tmp_path / "in", "bo/homework.ipynb", without_identity(reference))
    rows, printed, _ = grade(tmp_path / "in", tmp_path / "grades.csv", "--jobs", "2")
    assert rows_of(rows, "ada") == [(part, "passed") for part in PARTS]
    assert [(r["file"], r["notebook"], r["part"], r["status"]) for r in rows if r["student"] == "bo"] == [
        ("bo/homework.ipynb", "", "", "unidentified")]
    assert "cannot tell which notebook this is" in message(rows, "bo", "")
    assert "unidentified" in printed


def test_a_missing_folder_is_a_clear_error(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "grade.py"), str(tmp_path / "nowhere"),
                             "--out", str(tmp_path / "grades.csv")], capture_output=True, text=True)
    assert result.returncode != 0 and "is not a folder of submissions" in result.stderr
