"""What a site build publishes: student or reference notebooks, which modules, and a wheel with or without
the reference source.

The student site (the default) must not let a learner read the reference solutions. The notebooks are the
student ones, and the `tinytorch` wheel the browser preloads ships the files that hold reference code as
bytecode only: tinytorch/core/ (every file there is exported from content/, solutions included) and
tinytorch/checks/ (checks compute expected values with their own plain reference implementations). The
bytecode is compiled by Pyodide's own Python (scripts/pyodide_bytecode.mjs), so it imports in the browser
exactly as the source did, while `inspect.getsource` finds nothing to show. The other package files
(namespaces, dataset loaders, helpers) carry no exercise and stay readable.

Two settings, read from the environment by scripts/build_site.py:
  TINYTORCH_SOLUTIONS=1   the instructors' build: reference notebooks (solutions in place) and a wheel with
                          its full source.
  TINYTORCH_RELEASE=NN    publish only modules 01..NN and the milestones placed after one of them (progressive
                          release); unset publishes everything. The wheel always holds the whole package,
                          because a module's notebook imports the package as a whole.
"""

import base64
import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "build" / "notebooks"  # student/ and reference/, made by scripts/build_content.py
SITE_NOTEBOOKS = ROOT / "build" / "site_notebooks"  # what this build publishes (pages and JupyterLite contents)
BYTECODE_ONLY = ("tinytorch/core/", "tinytorch/checks/")  # package folders that hold reference code
MILESTONE_PLACE = re.compile(r"\(after (?:module )?(\d\d)\)")  # "... (after 08)" in build_site.MILESTONES


@dataclass(frozen=True)
class Release:
    solutions: bool = False
    up_to_module: str | None = None  # "08": modules 01..08; None: all

    @property
    def notebook_kind(self) -> str:
        return "reference" if self.solutions else "student"

    def describe(self) -> str:
        kind = "instructors' build: reference notebooks and package source" if self.solutions else \
            "student build: no solutions"
        return f"{kind}, " + (f"modules 01-{self.up_to_module}" if self.up_to_module else "all modules")


def release_from_environment(environ=os.environ) -> Release:
    solutions = environ.get("TINYTORCH_SOLUTIONS", "0")
    if solutions not in ("0", "1"):
        raise SystemExit(f"build_site: TINYTORCH_SOLUTIONS={solutions!r}: use 1 (publish the solutions) or 0")
    up_to = environ.get("TINYTORCH_RELEASE", "") or None
    if up_to is not None and not re.fullmatch(r"\d\d", up_to):
        raise SystemExit(f"build_site: TINYTORCH_RELEASE={up_to!r}: give the last module to publish as two "
                         "digits, e.g. TINYTORCH_RELEASE=08")
    return Release(solutions=solutions == "1", up_to_module=up_to)


def milestone_places(milestone_titles: list[str]) -> dict[str, str]:
    """{"1986": "08"}: the module after which each milestone comes, from the landing page's titles."""
    places = {}
    for title in milestone_titles:
        match = MILESTONE_PLACE.search(title)
        if not match:
            raise SystemExit(f"build_site: milestone {title!r} does not say where it goes: end it with '(after NN)'")
        places[title.split()[0]] = match.group(1)
    return places


def is_published(notebook: Path, release: Release, places: dict[str, str]) -> bool:
    if release.up_to_module is None:
        return True
    if notebook.parent.name == "milestones":
        year = notebook.stem[:4]
        if year not in places:
            raise SystemExit(f"build_site: milestone {notebook.name} is not in build_site.MILESTONES")
        return places[year] <= release.up_to_module
    return notebook.stem[:2] <= release.up_to_module


def stage_notebooks(release: Release, milestone_titles: list[str]) -> list[Path]:
    """Copy the notebooks this build publishes to build/site_notebooks/ (modules, then milestones/)."""
    source = NOTEBOOKS / release.notebook_kind
    places = milestone_places(milestone_titles)
    chosen = [path for path in sorted(source.glob("*.ipynb")) + sorted(source.glob("milestones/*.ipynb"))
              if is_published(path, release, places)]
    shutil.rmtree(SITE_NOTEBOOKS, ignore_errors=True)
    (SITE_NOTEBOOKS / "milestones").mkdir(parents=True)
    staged = []
    for path in chosen:
        target = SITE_NOTEBOOKS / path.relative_to(source)
        shutil.copy2(path, target)
        staged.append(target)
    return staged


def is_bytecode_only(name: str) -> bool:
    return name.endswith(".py") and name.startswith(BYTECODE_ONLY)


def without_reference_source(wheel: Path) -> Path:
    """Rewrite `wheel` in place: each file under BYTECODE_ONLY becomes Pyodide bytecode (name.pyc next to where
    name.py was, which Python imports when no source is there) and RECORD is rewritten to match."""
    with zipfile.ZipFile(wheel) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    compiled = sorted(name for name in members if is_bytecode_only(name))
    if not compiled:
        raise SystemExit(f"build_site: {wheel.name} holds nothing under {BYTECODE_ONLY}; is it the tinytorch wheel?")
    with tempfile.TemporaryDirectory() as unpacked:
        for name in compiled:
            (Path(unpacked) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(unpacked) / name).write_bytes(members[name])
        subprocess.run(["node", str(ROOT / "scripts" / "pyodide_bytecode.mjs"), unpacked, *compiled], check=True)
        for name in compiled:
            members[name + "c"] = (Path(unpacked) / (name + "c")).read_bytes()
            del members[name]
    record_name = next(name for name in members if name.endswith(".dist-info/RECORD"))
    members[record_name] = wheel_record(members, record_name)
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            # a fixed date: the wheel's bytes (and its sha256 in the Pyodide lock) depend only on its contents
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, members[name], compress_type=zipfile.ZIP_DEFLATED)
    return wheel


def wheel_record(members: dict[str, bytes], record_name: str) -> bytes:
    """A wheel's RECORD: every file with its urlsafe-base64 sha256 and size; RECORD itself unhashed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for name in sorted(members):
        if name == record_name:
            continue
        digest = base64.urlsafe_b64encode(hashlib.sha256(members[name]).digest()).rstrip(b"=").decode()
        writer.writerow([name, f"sha256={digest}", len(members[name])])
    writer.writerow([record_name, "", ""])
    return out.getvalue().encode()
