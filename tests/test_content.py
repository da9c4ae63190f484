"""The single-source pipeline: export drift, student stubs, and every notebook run under CPython."""
import subprocess
import sys

import nbformat
import pytest

import build_content
from notebook_runner import is_check_cell, run_notebook

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


def test_stub_replaces_solution_with_hinted_error():
    source = "\n".join([
        "class Tensor:",
        "    def double(self):",
        "        # HINT: multiply by 2.",
        "        ### BEGIN SOLUTION",
        "        return self.data * 2",
        "        ### END SOLUTION",
    ])
    stubbed = build_content.stub_solutions(source, "example")
    assert "return self.data * 2" not in stubbed
    namespace = {}
    exec(stubbed, namespace)
    with pytest.raises(NotImplementedError, match=r"Implement Tensor.double\. HINT: multiply by 2\."):
        namespace["Tensor"]().double()


def test_solution_without_hint_is_refused():
    with pytest.raises(SystemExit, match="HINT"):
        build_content.stub_solutions("    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION", "example")


def write_notebooks(path, tmp_path):
    nb = build_content.read(path)
    reference, student = tmp_path / f"ref_{path.stem}.ipynb", tmp_path / f"stu_{path.stem}.ipynb"
    build_content.write_notebook(nb, reference)
    build_content.write_notebook(build_content.student_notebook(nb, path.name), student)
    return reference, student


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_notebooks_use_the_pyodide_kernelspec(path, tmp_path):
    for notebook in write_notebooks(path, tmp_path):
        assert nbformat.read(notebook, as_version=4).metadata.kernelspec.name == "python"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_reference_notebook_runs_with_every_check_passing(path, tmp_path):
    reference, _ = write_notebooks(path, tmp_path)
    runs = run_notebook(reference)
    failures = [f"cell {r.index}: {r.error_type}: {r.error}" for r in runs if r.error_type]
    assert not failures, "\n".join(failures)
    checks = [r for r in runs if is_check_cell(r)]
    assert checks, "a module needs in-page checks"
    for run in checks:
        assert "✅" in run.output, f"cell {run.index} printed no ✅ line:\n{run.output}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_student_notebook_checks_fail_with_the_hint(path, tmp_path):
    _, student = write_notebooks(path, tmp_path)
    runs = run_notebook(student)
    for run in runs:
        if is_check_cell(run):
            assert run.error_type == "AssertionError", \
                f"check cell {run.index} should fail with guidance, got {run.error_type}: {run.error}"
            assert "not implemented yet" in run.error and "HINT:" in run.error, run.error
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
