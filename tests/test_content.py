"""The single-source pipeline: export drift, student stubs, and every notebook run under CPython."""
import subprocess
import sys

import nbformat
import pytest

import build_content
from notebook_runner import run_notebook

MODULES = build_content.sources()


def test_package_matches_a_fresh_export():
    result = subprocess.run([sys.executable, str(build_content.ROOT / "scripts" / "build_content.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_export_drift_is_detected(tmp_path, monkeypatch):
    # The check above must be able to fail: an exported file edited by hand is reported.
    target, text = build_content.export_text(MODULES[0])
    edited = tmp_path / target.name
    edited.write_text(text + "# edited by hand\n")
    monkeypatch.setattr(build_content, "export_text", lambda path: (edited, text))
    monkeypatch.setattr(sys, "argv", ["build_content.py", "--check"])
    with pytest.raises(SystemExit, match=target.name):
        build_content.main()


EXAMPLE = "\n".join([
    "class Tensor:",
    "    def double(self):",
    "        # HINT 1: every number gets twice as big.",
    "        # HINT 2: numpy multiplies a whole array",
    "        # HINT 2: by a number at once.",
    "        ### BEGIN SOLUTION",
    "        return self.data * 2",
    "        ### END SOLUTION",
])


def test_stub_replaces_solution_with_a_pointer_to_the_hints():
    stubbed, exercises = build_content.stub_solutions(EXAMPLE, "example")
    assert "return self.data * 2" not in stubbed
    assert "HINT" not in stubbed and "twice" not in stubbed, "the hints leave the code cell"
    assert exercises == [build_content.Exercise("Tensor.double", "every number gets twice as big.",
                                                "numpy multiplies a whole array by a number at once.")]
    namespace = {}
    exec(stubbed, namespace)
    with pytest.raises(NotImplementedError, match=r"^Implement Tensor\.double: see the hints above this cell "
                                                  r"\(open Hint 1 first\)\.$"):
        namespace["Tensor"]().double()


def test_reference_keeps_the_solution_and_drops_the_hint_comments():
    kept, exercises = build_content.stub_solutions(EXAMPLE, "example", keep_solutions=True)
    assert "        ### BEGIN SOLUTION\n        return self.data * 2\n        ### END SOLUTION" in kept
    assert "HINT" not in kept and len(exercises) == 1


@pytest.mark.parametrize("hints, complaint", [
    ([], "needs both"),
    (["# HINT 1: the idea."], "missing \\['# HINT 2:'\\]"),
    (["# HINT 2: the tools."], "missing \\['# HINT 1:'\\]"),
    (["# HINT: one level only."], "neither"),
    (["# HINT 2: the tools.", "# HINT 1: the idea."], "idea first"),
    (["# HINT 1: the idea.", "# HINT 3: more."], "neither"),
])
def test_solution_without_both_hint_levels_is_refused(hints, complaint):
    source = "\n".join(["def f():", *(f"    {h}" for h in hints), "    ### BEGIN SOLUTION", "    pass",
                        "    ### END SOLUTION"])
    with pytest.raises(SystemExit, match=complaint):
        build_content.stub_solutions(source, "example")


def test_hints_become_closed_blocks_in_a_cell_before_the_exercise():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Part 1"),
                                         nbformat.v4.new_code_cell(EXAMPLE)])
    student = build_content.student_notebook(nb, "example")
    reference = build_content.reference_notebook(nb, "example")
    assert [c.cell_type for c in student.cells] == [c.cell_type for c in reference.cells] == \
        ["markdown", "markdown", "code"]
    hints = student.cells[1].source
    assert hints == reference.cells[1].source
    one = "<details>\n<summary>Hint 1 · <code>Tensor.double</code></summary>\n\nevery number gets twice as big."
    assert one in hints and hints.index(one) < hints.index("<summary>Hint 2 · <code>Tensor.double</code>")
    assert hints.count("<details>") == hints.count("</details>") == 2
    assert "<details open" not in hints, "hints stay closed until the learner opens them"
    assert "raise NotImplementedError" in student.cells[2].source
    assert "return self.data * 2" in reference.cells[2].source


def test_rebuilding_gives_identical_notebooks(tmp_path):
    path = build_content.CONTENT / "03_layers.py"
    for kind, make in [("student", build_content.student_notebook), ("reference", build_content.reference_notebook)]:
        first, second = tmp_path / f"{kind}1.ipynb", tmp_path / f"{kind}2.ipynb"
        build_content.write_notebook(make(build_content.read(path), path.name), first)
        build_content.write_notebook(make(build_content.read(path), path.name), second)
        assert first.read_bytes() == second.read_bytes()
        ids = [cell.id for cell in nbformat.read(first, as_version=4).cells]
        assert ids == [f"cell-{index}" for index in range(len(ids))]


def solution_lines(source):
    """Lines written only inside solution regions of a content file, longer than 25 characters (a line
    that also occurs in code or text outside the regions is given to the learner anyway, not a leak)."""
    inside, outside, in_region = set(), [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped in (build_content.BEGIN, build_content.END):
            in_region = stripped == build_content.BEGIN
        elif in_region:
            inside.add(stripped)
        elif not stripped.startswith(build_content.HINT):
            outside.append(stripped)
    given = "\n".join(outside)
    return {line for line in inside if len(line) > 25 and line not in given}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_student_notebook_shows_no_solution_line(path):
    lines = solution_lines(path.read_text())
    assert lines, "a module has exercises"
    student = build_content.student_notebook(build_content.read(path), path.name)
    text = "\n".join(cell.source for cell in student.cells)  # code, text and hint cells alike
    leaked = sorted(line for line in lines if line in text)
    assert not leaked, f"solution lines in the student notebook: {leaked}"
    exercises = sum(cell.source.count("raise NotImplementedError('Implement ") for cell in student.cells)
    assert exercises == path.read_text().count(build_content.BEGIN)


def write_notebooks(path, tmp_path):
    nb = build_content.read(path)
    reference, student = tmp_path / f"ref_{path.stem}.ipynb", tmp_path / f"stu_{path.stem}.ipynb"
    build_content.write_notebook(build_content.reference_notebook(nb, path.name), reference)
    build_content.write_notebook(build_content.student_notebook(nb, path.name), student)
    return reference, student


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_notebooks_use_the_pyodide_kernelspec(path, tmp_path):
    for notebook in write_notebooks(path, tmp_path):
        assert nbformat.read(notebook, as_version=4).metadata.kernelspec.name == "python"


def test_each_notebook_carries_its_name_and_a_version_that_follows_its_source(tmp_path, monkeypatch):
    source = tmp_path / "content" / "milestones" / "1958_perceptron.py"
    source.parent.mkdir(parents=True)
    source.write_text((build_content.CONTENT / "milestones" / "1958_perceptron.py").read_text())
    monkeypatch.setattr(build_content, "CONTENT", tmp_path / "content")
    first = build_content.read(source).metadata.tinytorch
    source.write_text(source.read_text() + "\n# %%\nprint('one more cell')\n")
    edited = build_content.read(source).metadata.tinytorch
    assert first["notebook"] == edited["notebook"] == "milestones/1958_perceptron"
    assert first["version"] != edited["version"] and len(first["version"]) == 12


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_reference_notebook_runs_with_every_check_passing(path, tmp_path):
    reference, _ = write_notebooks(path, tmp_path)
    runs = run_notebook(reference)
    failures = [f"cell {r.index}: {r.error_type}: {r.error}" for r in runs if r.error_type]
    assert not failures, "\n".join(failures)
    checks = [r for r in runs if build_content.is_check_cell(r.source)]
    assert checks, "a module needs in-page checks"
    for run in checks:
        assert "✅" in run.output, f"cell {run.index} printed no ✅ line:\n{run.output}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_student_notebook_checks_fail_with_the_hint(path, tmp_path):
    _, student = write_notebooks(path, tmp_path)
    runs = run_notebook(student)
    for run in runs:
        if build_content.is_check_cell(run.source):
            assert run.error_type == "AssertionError", \
                f"check cell {run.index} should fail with guidance, got {run.error_type}: {run.error}"
            assert "not implemented yet" in run.error and "see the hints above this cell" in run.error, run.error
        elif run.error_type is not None:
            # Other cells may only stop at a stub, never crash for an unrelated reason.
            assert run.error_type == "NotImplementedError", \
                f"cell {run.index} crashed with {run.error_type}: {run.error} instead of reaching a stub"


def test_package_no_grad_still_records_nothing_after_module_06s_cells(tmp_path):
    """Module 06's notebook defines and runs its own enable_autograd(); afterwards the package's own
    no_grad() (used by tinytorch.training.evaluate) must still switch recording off: one flag, not two."""
    reference, _ = write_notebooks(build_content.CONTENT / "06_autograd.py", tmp_path)
    notebook = nbformat.read(reference, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import tinytorch\n"
        "from tinytorch.training import evaluate\n"
        "w = tinytorch.Tensor([1.0, 2.0], requires_grad=True)\n"
        "with tinytorch.no_grad():\n"
        "    y = (w * 2).sum()\n"
        "print('recorded' if y.requires_grad or y.grad_fn is not None else 'nothing recorded')\n"
        "print('grad mode back on' if tinytorch.is_grad_enabled() else 'grad mode left off')"))
    nbformat.write(notebook, reference)
    runs = run_notebook(reference)
    assert not [r for r in runs if r.error_type], [(r.index, r.error) for r in runs if r.error_type]
    assert runs[-1].output.splitlines() == ["nothing recorded", "grad mode back on"]
