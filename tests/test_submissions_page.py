"""book/submissions.md is generated from book/submissions/*.json; every shipped submission is valid."""
import importlib.util
import json
from pathlib import Path

import pytest

from tinytorch.capstone import load_submission

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "book" / "submissions").glob("*.json"))


def page_script():
    spec = importlib.util.spec_from_file_location("build_submissions_page", ROOT / "scripts" / "build_submissions_page.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_matches_the_submission_files():
    assert (ROOT / "book" / "submissions.md").read_text(encoding="utf-8") == page_script().page_text(), \
        "book/submissions.md is stale: run python scripts/build_submissions_page.py"


def test_both_tasks_have_a_cpython_a_node_and_a_browser_tab_submission():
    seen = {(doc["task"], page_script().where(doc["system"]).split(" (")[0]) for doc in map(load_submission, FILES)}
    assert seen == {(task, where) for task in ("tinydigits-classification", "tinytalks-lm")
                    for where in ("CPython", "Pyodide in Node", "browser tab")}, seen


def test_only_a_submission_made_in_a_browser_tab_can_be_added_as_one(tmp_path, monkeypatch):
    module = page_script()
    monkeypatch.setattr(module, "FOLDER", tmp_path)
    node_made = next(path for path in FILES if load_submission(path)["system"]["runtime"] == "pyodide"
                     and not load_submission(path)["system"]["user_agent"])
    with pytest.raises(SystemExit, match="was not made in a browser tab"):
        module.add(node_made)
    doc = json.loads(node_made.read_text())
    doc["system"]["user_agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/140.0.0.0"
    browser_made = tmp_path / "made-in-a-tab.json"
    browser_made.write_text(json.dumps(doc))
    module.add(browser_made)
    assert json.loads((tmp_path / f"{doc['task']}-browser.json").read_text()) == doc
    assert module.where(doc["system"]) == "browser tab (HeadlessChrome/140)"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_shipped_submission_meets_its_target(path):
    doc = load_submission(path)
    assert doc["quality"]["target_met"], f"{path.name}: {doc['quality']}"


def test_the_page_changes_when_a_file_changes(tmp_path, monkeypatch):
    module = page_script()
    for path in FILES:
        (tmp_path / path.name).write_text(path.read_text())
    monkeypatch.setattr(module, "FOLDER", tmp_path)
    before = module.page_text()
    doc = json.loads(FILES[0].read_text())
    doc["latency"]["p99_ms"] = 123.456
    (tmp_path / FILES[0].name).write_text(json.dumps(doc))
    assert "123.4560" in module.page_text() and module.page_text() != before
