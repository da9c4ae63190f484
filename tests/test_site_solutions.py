"""The student site holds no solution: no reference source in the wheel, no solution line in any shipped file.

Runs on the built site (bash scripts/test.sh builds it first; a TINYTORCH_SOLUTIONS=1 build fails here, as it
should). The browser side (inspect.getsource fails, notebooks still run) is tests/browser/test_solutions_hidden.py.
"""

import html
import io
import json
import re
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from site_release import BYTECODE_ONLY, wheel_record
from test_site import BUNDLE, PYODIDE, ROOT, SITE, require_site

CONTENT = ROOT / "content"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SHORTEST_SOLUTION_LINE = 26  # shorter lines (`return out`, `x = x.T`) are too common to mean anything
# Never solution text: media and compiled code whose bytes are not source text.
BINARY_SUFFIXES = {".wasm", ".so", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".woff", ".woff2", ".ttf", ".otf",
                   ".eot", ".npz", ".npy", ".a", ".data", ".pickle", ".doctree"}
TAG = re.compile(r"<[^>]*>")
COMMENT_MARKER = re.compile(r"^#+\s*(HINT \d:)?\s*")  # a hint continues over lines that each start "# HINT 2:"


# Lines a solution shares with text the learner is meant to read, each with where that text is.
PUBLIC_ELSEWHERE = {
    "clip_grad_norm_(model.parameters(), max_grad_norm)":
        "check_train_epoch's failure message names the call (tinytorch/checks/training.py)",
    "for name, array in arrays.items():": "a plain loop that tinytorch/datasets/files.py has too",
}


def solution_and_public_text():
    """(lines inside solution regions, everything outside them as one space-separated text) over content/.
    Comment and hint markers and backquotes are dropped from the public text, so a hint written over several `# `
    lines reads as the sentence the page renders."""
    inside, outside = set(), []
    for path in sorted(CONTENT.rglob("*.py")):
        in_solution = False
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith(BEGIN):
                in_solution = True
            elif stripped.startswith(END):
                in_solution = False
            elif in_solution:
                inside.add(stripped)
            else:
                outside.append(COMMENT_MARKER.sub("", stripped).replace("`", ""))
    return inside, " ".join(" ".join(outside).split())


def solution_lines():
    """Lines only a solution has: long enough to be specific, and not also in the module's public text (a
    hint may name the very call the solution makes)."""
    inside, public = solution_and_public_text()
    lines = {line for line in inside if len(line) >= SHORTEST_SOLUTION_LINE
             and " ".join(line.split()) not in public and line not in PUBLIC_ELSEWHERE}
    assert len(lines) > 100, f"only {len(lines)} solution lines found in {CONTENT}: is the marker still {BEGIN!r}?"
    return lines


def json_strings(node):
    if isinstance(node, dict):
        return [text for key, value in node.items() for text in (key, *json_strings(value))]
    if isinstance(node, list):
        return [text for item in node for text in json_strings(item)]
    return [node] if isinstance(node, str) else []


def readable_views(name, data):
    """The text a reader could find in a file: as decoded, and as rendered (HTML without its markup, JSON
    with its escapes undone), so a highlighted code block or a notebook cell is read as its source lines."""
    text = data.decode("utf-8", errors="replace")
    views = [text]
    if name.endswith((".html", ".htm")):
        views.append(html.unescape(TAG.sub("", text)))
    elif name.endswith((".json", ".ipynb")):
        views.append("\n".join(json_strings(json.loads(text))))
    return views


def shipped_files(name, data):
    """(path, bytes) of a file and, for a wheel or zip, of every file inside it, recursively."""
    yield name, data
    if name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.infolist():
                if not member.is_dir():
                    yield from shipped_files(f"{name}!{member.filename}", archive.read(member))


def leaks(files, lines):
    found = {}
    for name, data in files:
        for path, content in shipped_files(name, data):
            if Path(path.split("!")[-1]).suffix.lower() in BINARY_SUFFIXES:
                continue
            for view in readable_views(path, content):
                for line in lines:
                    if line in view:
                        found.setdefault(path, line)
    return found


def student_wheel():
    require_site()
    entry = json.loads((PYODIDE / "pyodide-lock.json").read_text())["packages"]["tinytorch"]
    return zipfile.ZipFile(PYODIDE / entry["file_name"])


def test_solution_lines_are_found_in_the_reference_package():
    """The search below can fail: the same lines are in the package source the instructors' build ships."""
    lines = solution_lines()
    package = [(str(path), path.read_bytes()) for path in (ROOT / "tinytorch" / "core").glob("*.py")
               if path.name != "__init__.py"]  # every exported module; __init__ only imports
    assert len(leaks(package, lines)) == len(package)


def test_student_wheel_ships_reference_code_as_bytecode_only():
    wheel = student_wheel()
    names = set(wheel.namelist())
    for folder in BYTECODE_ONLY:
        sources = sorted((ROOT / folder).glob("*.py"))
        assert sources, f"no sources in {folder}"
        for source in sources:
            name = f"{folder}{source.name}"
            assert name not in names, f"{name}: reference source in the student wheel"
            assert name + "c" in names, f"{name}c: missing from the student wheel"
    assert "tinytorch/__init__.py" in names  # the rest of the package stays readable
    record = next(name for name in names if name.endswith(".dist-info/RECORD"))
    members = {name: wheel.read(name) for name in names}
    assert wheel.read(record) == wheel_record(members, record), "RECORD does not match the wheel's files"


def test_student_wheel_bytecode_matches_pyodides_python():
    """The bytecode's magic number is the one Pyodide's own Python expects (3.12 in Pyodide 0.27.7), read from
    the bundled runtime itself in Node, so a Pyodide upgrade cannot go unnoticed."""
    script = ('const {loadPyodide} = await import(process.argv[1]); const py = await loadPyodide();'
              'console.log(py.runPython("import importlib.util; importlib.util.MAGIC_NUMBER.hex()"));')
    result = subprocess.run(["node", "--input-type=module", "-e", script,
                             str(ROOT / "node_modules" / "pyodide" / "pyodide.mjs")],
                            capture_output=True, text=True, check=True)
    pyodide_magic = bytes.fromhex(result.stdout.strip().splitlines()[-1])
    wheel = student_wheel()
    compiled = [name for name in wheel.namelist() if name.endswith(".pyc")]
    assert compiled
    wrong = [name for name in compiled if wheel.read(name)[:4] != pyodide_magic]
    assert not wrong, f"bytecode not for Pyodide's Python ({pyodide_magic.hex()}): {wrong}"


def test_no_solution_line_anywhere_in_the_built_site():
    require_site()
    files = ((str(path.relative_to(SITE)), path.read_bytes()) for path in sorted(SITE.rglob("*"))
             if path.is_file() and path.suffix.lower() not in BINARY_SUFFIXES)
    found = leaks(files, solution_lines())
    assert not found, "solution text in the student site:\n" + "\n".join(f"  {path}: {line}" for path, line in found.items())


def test_no_solution_line_anywhere_in_the_offline_bundle():
    if not BUNDLE.exists():
        pytest.fail(f"no offline bundle {BUNDLE}: run the build first (bash scripts/test.sh does it)")
    with tarfile.open(BUNDLE) as bundle:
        files = [(member.name, bundle.extractfile(member).read()) for member in bundle.getmembers()
                 if member.isfile() and Path(member.name).suffix.lower() not in BINARY_SUFFIXES]
    found = leaks(files, solution_lines())
    assert not found, "solution text in the offline bundle:\n" + "\n".join(f"  {path}: {line}" for path, line in found.items())
