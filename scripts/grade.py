"""Grade a folder of collected student notebooks with the course's own checks, under CPython.

Usage: python scripts/grade.py SUBMISSIONS_DIR --out grades.csv [--timeout SECONDS] [--jobs N]

SUBMISSIONS_DIR is laid out as nbgrader collects (`submitted/<student>/<assignment>/<notebook>.ipynb`; give
the course folder or its `submitted/` folder) or plainly (`<student>/<notebook>.ipynb`): the first folder
below it names the student. A notebook is identified by its metadata (`tinytorch.notebook`, which survives
renames), else by its file name or its assignment folder ("02_activations (1).ipynb"); one that cannot be
identified or read is reported, never skipped.

The parts a notebook must pass are those its module's reference notebook (built from content/) passes,
so a deleted check cell shows as "not run", never as a pass. Each notebook runs in its own process with
every cell run and errors skipped past (as nbgrader's autograder does); check cells are first restored to
the reference's source, so a check always receives what the course's own cell passes it. The outcomes come
from tinytorch.checks.on_outcome, logged by scripts/notebook_runner.py. A run past --timeout is killed and
the part it was on is reported as "timeout".

Writes one CSV row per student, notebook and part (student, notebook, file, part, status, message, seconds;
status is passed, failed, not run, timeout, unreadable or unidentified) and prints a per-student summary.
Student notebooks are arbitrary code: run this in a container or VM; the time limit is not a sandbox.
"""
import argparse
import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import build_content  # noqa: E402 (a sibling script: the reference notebooks are built from content/)
from build_content import check_calls  # noqa: E402

RUNNER = ROOT / "scripts" / "notebook_runner.py"
COLUMNS = ["student", "notebook", "file", "part", "status", "message", "seconds"]


@dataclass
class Submission:
    student: str
    file: Path
    relative: str  # the file's path below SUBMISSIONS_DIR, as the report shows it
    assignment: str | None  # nbgrader's assignment folder, when the layout has one
    notebook: object = None  # the parsed notebook, None when unreadable
    problem: str | None = None  # why it cannot be read or identified
    name: str | None = None  # the course notebook it is, e.g. "02_activations"


@dataclass
class Run:
    """What one notebook's process reported: its events, how it ended, and for how long it ran."""
    events: list
    ended: str  # "finished", "timeout" or "crashed"
    seconds: float
    stderr: str


@dataclass
class Part:
    title: str
    check: str  # the check function, e.g. "check_relu"
    cell_source: str  # the reference notebook's cell that calls it


@dataclass
class Reference:
    parts: list
    version: str
    check_cells: dict = field(default_factory=dict)  # check function name -> the reference cell's source


def course_notebooks():
    """Every notebook name the course has: "02_activations", "milestones/1986_mlp_digits", ..."""
    return {path.relative_to(build_content.CONTENT).with_suffix("").as_posix(): path
            for path in build_content.sources() + build_content.milestones()}


def find_submissions(folder):
    base = folder / "submitted" if (folder / "submitted").is_dir() else folder
    submissions = []
    for path in sorted(base.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        parts = path.relative_to(base).parts
        submission = Submission(student=parts[0] if len(parts) > 1 else "", file=path,
                                relative=path.relative_to(folder).as_posix(),
                                assignment=parts[1] if len(parts) == 3 else None)
        if not submission.student:
            submission.problem = "a notebook outside any student folder (expected <student>/<notebook>.ipynb)"
        submissions.append(submission)
    return submissions


def read_submission(submission):
    """Parse the file, or say in `problem` why it is not a notebook this grader can run."""
    try:
        text = submission.file.read_text(encoding="utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        submission.problem = submission.problem or f"not a notebook: the file is not JSON ({first_line(err)})"
        return
    if not isinstance(data, dict) or data.get("nbformat") != 4:
        submission.problem = submission.problem or "not a notebook: JSON without nbformat 4"
        return
    notebook = nbformat.reads(text, as_version=4)  # joins each cell's source lines
    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError as err:
        submission.problem = submission.problem or f"not a valid notebook: {first_line(err)}"
        return
    submission.notebook = notebook


def identify(submission, known):
    """The course notebook a submission is: its metadata first, then its file or assignment folder name."""
    claimed = None
    if submission.notebook is not None:
        identity = submission.notebook.metadata.get("tinytorch", {})
        claimed = identity.get("notebook") if isinstance(identity, dict) else None
        if claimed in known:
            return claimed
    candidates = [submission.file.stem] + ([submission.assignment] if submission.assignment else [])
    for candidate in candidates:
        normalized = re.sub(r"[\s\-]+", "_", candidate.strip().lower())
        for name in sorted(known, key=len, reverse=True):  # the longest name first: 01_tensor_x before 01_tensor
            if normalized.startswith(name.rsplit("/", 1)[-1]):
                return name
    if submission.problem is None:
        submission.problem = ("cannot tell which notebook this is: " +
                              (f"its metadata names {claimed!r}, which the course does not have, and "
                               if claimed else "no tinytorch.notebook metadata, and ") +
                              "its file name does not start with a notebook's name (e.g. 02_activations)")
    return None


def first_line(text):
    lines = str(text).strip().splitlines()
    return lines[0] if lines else ""


def child_environment():
    env = dict(os.environ, MPLBACKEND="Agg")  # plots render off-screen
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))  # this tinytorch
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # parallel jobs: one BLAS thread each
    return env


def run_notebook(notebook, timeout):
    """Run `notebook` (a NotebookNode) in its own process, in a fresh working folder, with its check
    outcomes logged; kill it (and anything it started) after `timeout` seconds."""
    with tempfile.TemporaryDirectory(prefix="tinytorch-grade-") as workdir:
        workdir = Path(workdir)
        path, events, stderr = workdir / "notebook.ipynb", workdir / "events.jsonl", workdir / "stderr.txt"
        nbformat.write(notebook, path)
        start = time.perf_counter()
        with open(stderr, "w") as err:
            process = subprocess.Popen([sys.executable, str(RUNNER), str(path), "--events", str(events)],
                                       cwd=workdir, env=child_environment(), stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
            try:
                ended = "finished" if process.wait(timeout=timeout) == 0 else "crashed"
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # its own session: this ends what it started too
                process.wait()
                ended = "timeout"
        seconds = time.perf_counter() - start
        logged = events.read_text(encoding="utf-8") if events.exists() else ""
        complete_lines = logged.split("\n")[:-1]  # a line cut by the kill has no newline yet
        return Run(list(filter(None, map(logged_event, complete_lines))), ended, seconds,
                   stderr.read_text(encoding="utf-8", errors="replace"))


def logged_event(line):
    """One line of the event log as a dict, or None for a line that is not one of ours (the notebook runs in
    the same folder and could write to the log: what is not an event is ignored, never a crash of the grader)."""
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) and isinstance(event.get("event"), str) else None


def reference_for(name, source, timeout):
    """The parts of notebook `name`: the checks its reference notebook runs, in order, all passing."""
    notebook = build_content.reference_notebook(build_content.read(source), source.name)
    run = run_notebook(notebook, timeout)
    if run.ended == "timeout":
        sys.exit(f"the reference notebook {name} did not finish within --timeout {timeout} s: raise --timeout")
    parts, check_cells, cell = {}, {}, None
    for event in run.events:
        if event["event"] == "cell":
            cell = notebook.cells[event["index"]]
        elif event["event"] == "outcome":
            if not event["passed"]:
                sys.exit(f"the reference notebook {name} fails its own check {event['title']!r}: "
                         f"{first_line(event['message'])}\nFix the course (or the grading environment) first.")
            parts.setdefault(event["title"], Part(event["title"], event["check"], cell.source))
            check_cells[event["check"]] = cell.source
    if run.ended == "crashed" or not parts:
        sys.exit(f"the reference notebook {name} reported no checks ({run.ended}):\n{run.stderr[-2000:]}")
    return Reference(list(parts.values()), notebook.metadata["tinytorch"]["version"], check_cells)


def restore_check_cells(notebook, reference):
    """The student's notebook with each check cell's source put back as the reference has it (as
    nbgrader's autograder restores its test cells), so a check gets what the course's cell passes.
    Returns the notebook and, per check function, the index of the cell that calls it."""
    notebook = nbformat.from_dict(notebook)
    calls = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        called = [name for name in check_calls(cell.source) if name in reference.check_cells]
        if called:
            cell.source = reference.check_cells[called[0]]
            for name in check_calls(cell.source):
                calls.setdefault(name, index)
    return notebook, calls


def part_rows(submission, reference, run, calls, timeout):
    """One row per part of the module: its outcome, or why it has none."""
    outcomes, errors, since = {}, {}, 0.0
    hanging = None  # the last cell that started: where a killed run was
    for event in run.events:
        if event["event"] == "cell":
            hanging, since = event, event["time"]
        elif event["event"] == "error":
            errors[event["index"]] = event
        elif event["event"] == "outcome":
            outcomes[event["title"]] = (event, event["time"] - since)  # the last call counts: Run All's result
            since = event["time"]
    rows, timeout_reported = [], False
    for part in reference.parts:
        status, message, seconds = "not run", "", ""
        cell = calls.get(part.check)
        if part.title in outcomes:
            outcome, seconds = outcomes[part.title]
            status = "passed" if outcome["passed"] else "failed"
            message = "" if outcome["passed"] else first_line(outcome["message"]).removeprefix(f"{part.title}: ")
            seconds = f"{seconds:.3f}"
        elif cell is None:
            message = "its check cell is not in the notebook (deleted?)"
        elif cell in errors:
            error = errors[cell]
            message = f"its check cell raised {error['error_type']}: {first_line(error['error'])}"
        elif run.ended == "timeout" and hanging is not None and cell >= hanging["index"]:
            where = f"cell {hanging['index']} ({first_line(submission.notebook.cells[hanging['index']].source)})"
            if timeout_reported:
                message = f"the run was stopped at the time limit in {where}, before this check"
            else:
                status, timeout_reported = "timeout", True
                message = f"stopped after {timeout:g} s in {where}"
                seconds = f"{run.seconds - hanging['time']:.1f}"
        elif run.ended == "crashed":
            last_words = (run.stderr.strip().splitlines() or ["no message"])[-1]
            message = f"the notebook's process ended before this check: {last_words}"
        else:
            message = "its check cell ran without calling the check"
        rows.append(row(submission, part.title, status, message, seconds))
    return rows


def row(submission, part, status, message, seconds=""):
    return dict(student=submission.student, notebook=submission.name or "", file=submission.relative,
                part=part, status=status, message=message, seconds=seconds)


def grade(submission, references, timeout):
    if submission.name is None:
        return [row(submission, "", "unidentified" if submission.notebook is not None else "unreadable",
                    submission.problem)]
    reference = references[submission.name]
    if submission.notebook is None:
        return [row(submission, part.title, "unreadable", submission.problem) for part in reference.parts]
    notebook, calls = restore_check_cells(submission.notebook, reference)
    return part_rows(submission, reference, run_notebook(notebook, timeout), calls, timeout)


def version_of(submission):
    """The course version the learner's notebook was made from (tinytorch.version in its metadata), if it says."""
    identity = submission.notebook.metadata.get("tinytorch") if submission.notebook is not None else None
    return identity.get("version") if isinstance(identity, dict) else None


def summary(rows, submissions, references):
    """A short table: per student, parts passed / total, and what needs a look."""
    students = sorted({r["student"] for r in rows})
    lines = [f"{'student':<20} {'passed':>9}  notes"]
    for student in students:
        mine = [r for r in rows if r["student"] == student and r["part"]]
        passed = sum(r["status"] == "passed" for r in mine)
        notes = sorted({f"{r['file']}: {r['status']}" for r in rows if r["student"] == student
                        and r["status"] in ("timeout", "unreadable", "unidentified")})
        notes += [f"{s.relative}: made from another version of {s.name}" for s in submissions
                  if s.student == student and s.name in references
                  and version_of(s) not in (None, references[s.name].version)]
        lines.append(f"{student or '(no folder)':<20} {f'{passed}/{len(mine)}':>9}  {'; '.join(notes)}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submissions", type=Path, help="the folder of collected notebooks")
    parser.add_argument("--out", type=Path, required=True, help="the CSV report to write")
    parser.add_argument("--timeout", type=float, default=600, help="seconds one notebook may run (default 600)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="notebooks run at once")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        sys.exit(f"{args.submissions} is not a folder of submissions")
    if args.timeout <= 0 or args.jobs < 1:
        sys.exit("--timeout must be positive and --jobs at least 1")
    start = time.perf_counter()
    submissions = find_submissions(args.submissions)
    if not submissions:
        sys.exit(f"no .ipynb files under {args.submissions}")
    known = course_notebooks()
    for submission in submissions:
        read_submission(submission)
        submission.name = identify(submission, known) if submission.student else None
    names = sorted({s.name for s in submissions if s.name})
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        references = dict(zip(names, pool.map(lambda name: reference_for(name, known[name], args.timeout), names)))
        rows = [r for graded in pool.map(lambda s: grade(s, references, args.timeout), submissions) for r in graded]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(summary(rows, submissions, references))
    print(f"graded {len(submissions)} notebooks of {len({s.student for s in submissions})} students in "
          f"{time.perf_counter() - start:.1f} s with {args.jobs} jobs; report: {args.out}")


if __name__ == "__main__":
    main()
