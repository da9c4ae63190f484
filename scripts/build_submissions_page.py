"""Write book/submissions.md, the MLPerf-style milestone's submissions side by side, from book/submissions/*.json.

Each JSON file is a submission made by content/milestones/2018_mlperf.py (copied here under a stable name) and is
validated against tinytorch/submission.schema.json before it is shown. tests/test_submissions_page.py fails when
the page differs from what this script writes.

Usage: python scripts/build_submissions_page.py
"""
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

Runtime `pyodide` is the browser's Python (WebAssembly); the reference `pyodide` submissions were produced
by running the milestone under Pyodide 0.27.7 in Node (V8, the engine of Chromium), which has no browser user
agent to report. Run the milestone in your browser and add your own file to compare.
"""


def fmt(value, spec, unit=""):
    return "–" if value is None else format(value, spec) + unit


def table(docs):
    header = ("| file | model | quality | target met | time to quality | p50 / p90 / p99 latency (ms) | "
              "throughput | size (bytes) | runtime | Python / numpy | date |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for name, doc in docs:
        q, lat, thr, system = doc["quality"], doc["latency"], doc["throughput"], doc["system"]
        lines.append(
            f"| `{name}` | {doc['model']['name']} | {q['metric']} {q['value']:.4f} (target {q['target']}) | "
            f"{'yes' if q['target_met'] else 'no'} | {fmt(q['time_to_quality_s'], '.2f', ' s')} | "
            f"{lat['p50_ms']:.4f} / {lat['p90_ms']:.4f} / {lat['p99_ms']:.4f} | "
            f"{thr['samples_per_second']:,.0f} {thr['unit']}/s at batch {thr['batch_size']} | "
            f"{doc['model']['size_bytes']:,} | {system['runtime']} | {system['python']} / {system['numpy']} | "
            f"{doc['timestamp'][:10]} |")
    return "\n".join(lines)


def page_text():
    docs = [(path.name, load_submission(path)) for path in sorted(FOLDER.glob("*.json"))]
    sections = [INTRO]
    for task in ("tinydigits-classification", "tinytalks-lm"):
        mine = [(name, doc) for name, doc in docs if doc["task"] == task]
        sections.append(f"## {task}\n\n" + (table(mine) if mine else "No submission yet.") + "\n")
    return "\n".join(sections)


def main():
    PAGE.write_text(page_text(), encoding="utf-8")
    print(f"build_submissions_page: {PAGE.relative_to(ROOT)} from {len(list(FOLDER.glob('*.json')))} submission(s)")


if __name__ == "__main__":
    main()
