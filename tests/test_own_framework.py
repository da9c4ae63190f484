"""Own mode under CPython: a folder of notebooks stands in for the learner's drive.

Each scenario runs in its own Python process in that folder (own mode changes what `import tinytorch` loads).
The reference notebooks play a learner who did everything right, the student notebooks one who has not
started, and a reference notebook with one realistic mistake a learner whose 03 is wrong.
"""
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import build_content
from tinytorch import own

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "build" / "notebooks"


def run_python(folder, code):
    """Run `code` in a fresh interpreter in `folder` (the learner's current folder); returns its output."""
    env = {key: value for key, value in os.environ.items() if key != own.EXCLUDED}
    env.update(PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=folder, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"exit {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def learner_folder(tmp_path, kind, switch_on=True):
    if not (NOTEBOOKS / kind).exists():
        pytest.fail(f"no notebooks in {NOTEBOOKS}: run scripts/build_content.py first")
    for notebook in (NOTEBOOKS / kind).glob("*.ipynb"):
        shutil.copy(notebook, tmp_path)
    if switch_on:
        run_python(tmp_path, "import tinytorch; tinytorch.use_my_modules()")
    return tmp_path


def edit_cell(notebook, old, new):
    """Replace `old` (found in exactly one cell) by `new` in the notebook file, as a learner's edit."""
    nb = json.loads(notebook.read_text())
    cells = [cell for cell in nb["cells"] if old in "".join(cell["source"])]
    assert len(cells) == 1, f"{old!r} is in {len(cells)} cells of {notebook.name}"
    cells[0]["source"] = "".join(cells[0]["source"]).replace(old, new)
    notebook.write_text(json.dumps(nb))


def test_the_check_table_is_generated_from_the_notebooks():
    assert (ROOT / "tinytorch" / "own_checks.py").read_text() == build_content.own_checks_text(), \
        "tinytorch/own_checks.py is out of date: run scripts/build_content.py"


def test_every_name_a_check_cell_needs_has_a_stand_in():
    from tinytorch.own_checks import MODULES

    needed = {name for entry in MODULES for name in entry["notebook_names"]}
    assert needed == set(own.NOTEBOOK_NAMES), "own.NOTEBOOK_NAMES must stand in exactly the names own_checks.py lists"
    assert [entry["notebook"] for entry in MODULES] == [path.stem for path in build_content.sources()]


def test_a_learner_who_did_everything_right_runs_on_their_own_modules(tmp_path):
    folder = learner_folder(tmp_path, "reference")
    output = run_python(folder, """
        import inspect
        import tinytorch
        from tinytorch.core.tensor import Tensor
        print("Tensor from", inspect.getsourcefile(tinytorch.Tensor), tinytorch.Tensor is Tensor)
        print("Linear from", inspect.getsourcefile(tinytorch.nn.Linear))
    """)
    assert "yours: 01 Tensor · 02 Activations · 03 Layers" in output and "20 Capstone" in output, output
    assert "reference: none" in output, output
    assert f"Tensor from {folder / '01_tensor.ipynb'} True" in output
    assert f"Linear from {folder / '03_layers.ipynb'}" in output
    # A training milestone, written against the package, runs on the learner's modules and reaches its target.
    result = subprocess.run([sys.executable, str(ROOT / "content" / "milestones" / "1986_mlp_digits.py")],
                            cwd=folder, capture_output=True, text=True, timeout=600,
                            env=dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "yours: 01 Tensor" in result.stdout
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
    accuracy = float(line.split("test accuracy ")[1].split("%")[0])
    print(f"1986 milestone on the learner's modules: {accuracy}% test accuracy")
    assert accuracy >= 95, line  # the milestone's own target


def test_unfinished_notebooks_fall_back_to_the_reference(tmp_path):
    folder = learner_folder(tmp_path, "student")
    shutil.copy(NOTEBOOKS / "reference" / "01_tensor.ipynb", folder)  # the learner finished 01 only
    output = run_python(folder, """
        import inspect
        import tinytorch
        print("Linear from", inspect.getsourcefile(tinytorch.nn.Linear))
    """)
    assert "yours: 01 Tensor\n" in output, output
    assert "03 Layers (not finished: Dropout.forward and 6 more in 03_layers.ipynb)" in output, output
    assert f"Linear from {ROOT / 'tinytorch' / 'core' / 'layers.py'}" in output


def test_a_mistake_in_03_stops_the_import_naming_03_and_its_check(tmp_path):
    folder = learner_folder(tmp_path, "reference")
    edit_cell(folder / "03_layers.ipynb", "output = input @ self.weight.T\n",
              "output = Tensor(input.data @ self.weight.data.T)  # numpy is faster, isn't it?\n")
    output = run_python(folder, """
        import inspect
        try:
            import tinytorch
        except ImportError as err:
            print("STOPPED:", type(err).__name__, err)
        import tinytorch  # again, as a learner re-running the cell
        print("Linear from", inspect.getsourcefile(tinytorch.nn.Linear))
        print("Tensor from", inspect.getsourcefile(tinytorch.Tensor))
    """)
    stopped = output.split("STOPPED: ")[1]
    assert stopped.startswith("OwnModeError Your module 03 Layers fails Part 2 · Linear: "), output
    assert "weight.grad" in stopped and "Fix it in 03_layers.ipynb" in stopped, output
    assert "Traceback" not in output
    # Running the import again goes on with the reference 03 and the learner's other modules.
    assert "reference: 03 Layers (yours failed above: fix 03_layers.ipynb" in output, output
    assert f"Linear from {ROOT / 'tinytorch' / 'core' / 'layers.py'}" in output
    assert f"Tensor from {folder / '01_tensor.ipynb'}" in output


def test_a_module_whose_cells_raise_is_replaced_and_its_patches_undone(tmp_path):
    folder = learner_folder(tmp_path, "reference")
    # Module 06 patches Tensor (backward, ...) in its cells; a typo in its last exported cell stops it midway.
    nb = json.loads((folder / "06_autograd.ipynb").read_text())
    last_export = [cell for cell in nb["cells"] if "".join(cell["source"]).startswith("#| export")][-1]
    last_export["source"] = "".join(last_export["source"]) + "\nenable_autograd_typo()\n"
    (folder / "06_autograd.ipynb").write_text(json.dumps(nb))
    output = run_python(folder, """
        try:
            import tinytorch
        except ImportError as err:
            print("STOPPED:", err)
        import tinytorch
        print("backward from", tinytorch.Tensor.backward.__code__.co_filename)
    """)
    assert "STOPPED: Your module 06 Autograd raises NameError: name 'enable_autograd_typo' is not defined" in output
    assert f"{folder / '06_autograd.ipynb'}, cell" in output, "the message shows the learner's cell and line"
    assert f"backward from {ROOT / 'tinytorch' / 'core' / 'autograd.py'}" in output, output


def test_the_switch(tmp_path):
    output = run_python(tmp_path, """
        import tinytorch
        for bad in (dict(upto="3"), dict(upto=0), dict(folder="no such folder")):
            try:
                tinytorch.use_my_modules(**bad)
            except ValueError as err:
                print("REFUSED", err)
        tinytorch.use_my_modules(upto=2)
    """)
    assert output.count("REFUSED use_my_modules:") == 3 and "'no such folder'" in output, output
    assert json.loads((tmp_path / own.SWITCH_FILE).read_text()) == {"folder": ".", "upto": 2}
    assert "Restart the kernel" in output
    shutil.copy(NOTEBOOKS / "reference" / "01_tensor.ipynb", tmp_path)
    shutil.copy(NOTEBOOKS / "reference" / "03_layers.ipynb", tmp_path)
    output = run_python(tmp_path, "import tinytorch; tinytorch.use_reference()")
    assert "yours: 01 Tensor\n" in output and "03 Layers (after 02)" in output, output
    assert not (tmp_path / own.SWITCH_FILE).exists() and "Own mode is off" in output
    assert "own mode" not in run_python(tmp_path, "import tinytorch")
    (tmp_path / own.SWITCH_FILE).write_text("{not json")
    output = run_python(tmp_path, "import tinytorch; print(tinytorch.Tensor.__module__, tinytorch.core.tensor.__file__)")
    assert "is not a valid own-mode switch (JSONDecodeError" in output, output
    assert str(ROOT / "tinytorch" / "core" / "tensor.py") in output
