"""tinytorch.checks.browser_progress: the progress record JupyterLite's kernel keeps among the learner's files."""

import json
import subprocess
import sys

import pytest

from tinytorch.checks import browser_progress

OUTCOME = {"module": "tensor", "check": "check_creation", "title": "Part 1 · creating tensors", "passed": True,
           "message": None}


@pytest.fixture(autouse=True)
def recording_enabled(monkeypatch):
    """Each test starts like a new kernel: recording has not failed yet."""
    monkeypatch.setattr(browser_progress, "_failed", False)


def test_record_keeps_the_latest_outcome_of_each_check(tmp_path):
    path = tmp_path / "tinytorch-progress.json"
    browser_progress.record(OUTCOME, path=str(path))
    browser_progress.record({**OUTCOME, "check": "check_arithmetic", "title": "Part 2"}, path=str(path))
    browser_progress.record({**OUTCOME, "passed": False, "message": "Part 1: wrong"}, path=str(path))
    checks = json.loads(path.read_text(encoding="utf-8"))["checks"]
    assert sorted(checks) == ["tensor.check_arithmetic", "tensor.check_creation"]
    assert checks["tensor.check_creation"]["passed"] is False and checks["tensor.check_arithmetic"]["passed"] is True


def test_an_unreadable_record_is_replaced_with_a_warning(tmp_path):
    path = tmp_path / "tinytorch-progress.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.warns(UserWarning, match="could not be read"):
        browser_progress.record(OUTCOME, path=str(path))
    assert list(json.loads(path.read_text(encoding="utf-8"))["checks"]) == ["tensor.check_creation"]


def test_without_the_browser_drive_nothing_is_written_and_the_learner_is_told(tmp_path):
    with pytest.warns(UserWarning, match="progress is not saved"):
        browser_progress.record(OUTCOME, path=str(tmp_path / "missing" / "tinytorch-progress.json"))
    assert not (tmp_path / "missing").exists()


def test_the_recorder_is_registered_only_under_pyodide():
    code = ("import tinytorch.checks as c, tinytorch.checks.browser_progress as b; "
            "print(b.record in c._listeners)")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert shown.strip() == "False"


def test_a_failing_write_warns_once_and_never_reaches_the_check(tmp_path, monkeypatch):
    def refuse(path, text):
        raise OSError("the drive refused the write")
    monkeypatch.setattr(browser_progress, "replace_file", refuse)
    with pytest.warns(UserWarning, match="no longer saved") as warned:
        browser_progress.record(OUTCOME, path=str(tmp_path / "tinytorch-progress.json"))
        browser_progress.record(OUTCOME, path=str(tmp_path / "tinytorch-progress.json"))
    assert len(warned) == 1


def test_the_record_is_replaced_never_truncated_and_no_temporary_file_is_left(tmp_path):
    path = tmp_path / "tinytorch-progress.json"
    browser_progress.record(OUTCOME, path=str(path))
    first_inode = path.stat().st_ino
    browser_progress.record({**OUTCOME, "check": "check_arithmetic"}, path=str(path))
    assert path.stat().st_ino != first_inode, "the record was rewritten in place"
    assert [p.name for p in tmp_path.iterdir()] == ["tinytorch-progress.json"]
