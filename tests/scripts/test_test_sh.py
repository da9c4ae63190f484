"""scripts/test.sh: paths among its arguments narrow the run; without any, the whole of tests/ runs.

The script runs against a copy of itself in a scratch tree where the build is a no-op and .venv/bin/python
prints the arguments it was given, so the test sees exactly the pytest command line, in a second.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pytest_command(tmp_path):
    """pytest_command(*args, **env) -> the arguments scripts/test.sh hands to `.venv/bin/python`."""
    (tmp_path / "scripts").mkdir()
    shutil.copy2(ROOT / "scripts" / "test.sh", tmp_path / "scripts" / "test.sh")
    (tmp_path / "scripts" / "build.sh").write_text("# the build is not under test here\n")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text('#!/usr/bin/env bash\nprintf "%s\\n" "$@"\n')
    python.chmod(0o755)
    for folder in ("tests/browser", "tests/core"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "tests" / "core" / "test_tensor.py").write_text("")

    def run(*args, **env):
        result = subprocess.run(["bash", str(tmp_path / "scripts" / "test.sh"), *args], capture_output=True,
                                text=True, check=True, env={**os.environ, "TINYTORCH_PARITY": "1", **env})
        return result.stdout.splitlines()
    return run


def test_without_arguments_the_whole_suite_runs(pytest_command):
    assert pytest_command() == ["-m", "pytest", "tests"]


def test_a_folder_narrows_the_run_to_it(pytest_command):
    assert pytest_command("tests/browser") == ["-m", "pytest", "tests/browser"]


def test_a_test_id_narrows_the_run_to_that_test(pytest_command):
    test_id = "tests/core/test_tensor.py::test_x"
    assert pytest_command(test_id, "-q") == ["-m", "pytest", test_id, "-q"]


def test_options_alone_keep_the_whole_suite(pytest_command):
    assert pytest_command("-k", "softmax") == ["-m", "pytest", "tests", "-k", "softmax"]


def test_without_torch_the_parity_suite_is_left_out(pytest_command):
    assert pytest_command("tests/browser", TINYTORCH_PARITY="0") == [
        "-m", "pytest", "--ignore=tests/parity", "tests/browser"]


def test_test_modules_have_unique_basenames():
    """pytest imports test modules by basename (no __init__.py): two files with one name stop the whole run."""
    names = [path.name for path in (ROOT / "tests").rglob("test_*.py")]
    assert sorted({name for name in names if names.count(name) > 1}) == []
