"""Write book/submissions.md, the MLPerf-style milestone's submissions side by side, from book/submissions/*.json.

Each JSON file is a submission made by content/milestones/2018_mlperf.py (copied here under a stable name) and is
validated against tinytorch/submission.schema.json before it is shown. tests/test_submissions_page.py fails when
the page differs from what this script writes.

A submission made in a browser tab (the browser test keeps the ones the milestone saves in headless Chromium,
in build/e2e/submissions/) is added with --add: it is validated and copied to book/submissions/<task>-browser.json.

Usage: python scripts/build_submissions_page.py [--add FILE ...]
"""
import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tinytorch.capstone import load_submission  # noqa: E402 (the repository's own package)

FOLDER = ROOT / "book" / "submissions"
PAGE = ROOT / "book" / "submissions.md"

INTRO = """# MLPerf-style submissions

The closed division of milestone 2018 has two fixed tasks, each with its quality target stated before
anything is measured: **TinyDigits classification** (test accuracy >= 0.95) and **TinyTalks language
modelling** (validation loss <= 1.00 nats per character). Every submission below is a JSON file in
`book/submissions/`, validated against `tinytorch/submission.schema.json` by
`tinytorch.capstone.validate_submission`; this page is generated from them by
`scripts/build_submissions_page.py` (a test fails when the two disagree).

Runtime `pyodide` is the browser's Python (WebAssembly). Column "where" says what ran it: CPython; a browser
tab (its user agent, the milestone notebook run in headless Chromium from the offline site by the browser
test); or Pyodide 0.27.7 in Node (V8, the engine of Chromium, no browser around it, so no user agent). Run
the milestone in your browser and add your own file to compare.
"""


def where(system):
    if system["runtime"] == "cpython":
        return "CPython"
    agent = system.get("user_agent")
    if not agent:
        return "Pyodide in Node"
    browser = next((word for word in agent.split() if word.startswith(("HeadlessChrome/", "Chrome/", "Firefox/"))),
                   "browser")
    return f"browser tab ({browser.split('.')[0]})"


def fmt(value, spec, unit=""):
    return "–" if value is None else format(value, spec) + unit


def table(docs):
    header = ("| file | model | quality | target met | time to quality | p50 / p90 / p99 latency (ms) | "
              "throughput | size (bytes) | where | Python / numpy | date |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for name, doc in docs:
        q, lat, thr, system = doc["quality"], doc["latency"], doc["throughput"], doc["system"]
        lines.append(
            f"| `{name}` | {doc['model']['name']} | {q['metric']} {q['value']:.4f} (target {q['target']}) | "
            f"{'yes' if q['target_met'] else 'no'} | {fmt(q['time_to_quality_s'], '.2f', ' s')} | "
            f"{lat['p50_ms']:.4f} / {lat['p90_ms']:.4f} / {lat['p99_ms']:.4f} | "
            f"{thr['samples_per_second']:,.0f} {thr['unit']}/s at batch {thr['batch_size']} | "
            f"{doc['model']['size_bytes']:,} | {where(system)} | {system['python']} / {system['numpy']} | "
            f"{doc['timestamp'][:10]} |")
    return "\n".join(lines)


def page_text():
    docs = [(path.name, load_submission(path)) for path in sorted(FOLDER.glob("*.json"))]
    sections = [INTRO]
    for task in ("tinydigits-classification", "tinytalks-lm"):
        mine = [(name, doc) for name, doc in docs if doc["task"] == task]
        sections.append(f"## {task}\n\n" + (table(mine) if mine else "No submission yet.") + "\n")
    return "\n".join(sections)


def add(path):
    """Copy a browser-made submission into book/submissions/ under its task's stable name."""
    doc = load_submission(path)  # validated: a clear error names each field at fault
    if doc["system"]["runtime"] != "pyodide" or not doc["system"].get("user_agent"):
        sys.exit(f"build_submissions_page: {path} was not made in a browser tab (runtime "
                 f"{doc['system']['runtime']!r}, user agent {doc['system'].get('user_agent')!r})")
    target = FOLDER / f"{doc['task']}-browser.json"
    shutil.copyfile(path, target)
    print(f"build_submissions_page: {path} -> {target}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--add", nargs="+", default=[], type=Path, help="browser-made submission files to add")
    for path in parser.parse_args().add:
        add(path)
    PAGE.write_text(page_text(), encoding="utf-8")
    print(f"build_submissions_page: {PAGE.relative_to(ROOT)} from {len(list(FOLDER.glob('*.json')))} submission(s)")


if __name__ == "__main__":
    main()
