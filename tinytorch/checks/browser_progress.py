"""The learner's progress, kept in the browser: every check outcome in JupyterLite goes to a small JSON file
in the learner's own files, which the course site's "Your progress" page reads.

Why a file: JupyterLite's Pyodide kernel runs in a Web Worker (no localStorage), and its working directory
/drive is the learner's contents drive, stored in the same browser database as their notebooks. A file
there is scoped to the course like the notebooks, goes into "Download my work" and back with "Restore",
and stays visible in the file browser instead of hiding in a second store.
"""
import datetime
import json
import os
import time
import warnings

DRIVE = "/drive"  # where JupyterLite's Pyodide kernel mounts the learner's files
PROGRESS_FILE = os.path.join(DRIVE, "tinytorch-progress.json")
FORMAT = 1


_failed = False  # after one failure, recording stops for this kernel: one warning, then silence


def record(outcome, path=PROGRESS_FILE):
    """Keep the latest outcome of each check: {"format": 1, "checks": {"<module>.<check>": {module, check,
    title, passed, at}}}. The whole file is read and rewritten so two open notebooks do not drop each other's
    parts. Never raises into the check that reported: a failure is one warning, then recording stops."""
    global _failed
    if _failed:
        return
    if not os.path.isdir(os.path.dirname(path)):
        _failed = True
        warnings.warn(f"tinytorch: your progress is not saved: {os.path.dirname(path)} (the browser's file "
                      "storage) is not available to this kernel", stacklevel=2)
        return
    try:
        progress = read_progress(path)
        progress["checks"][f"{outcome['module']}.{outcome['check']}"] = {
            "module": outcome["module"], "check": outcome["check"], "title": outcome["title"],
            "passed": outcome["passed"],
            "at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
        replace_file(path, json.dumps(progress, indent=1, ensure_ascii=False))
    except (OSError, ValueError, TypeError, KeyError) as err:
        _failed = True
        warnings.warn(f"tinytorch: your progress is no longer saved in this session ({err})", stacklevel=2)


def replace_file(path, text):
    """Writes `text` to a new file beside `path` and renames it over `path`. Never open an existing file for
    writing here: in JupyterLite 0.6 truncating an existing file of the drive (/drive) blocks the kernel for
    good, while creating a file and renaming it over another return at once
    (tests/browser/test_saved_work.py records the same file from several kernel runs)."""
    temporary = f"{path}.{os.getpid()}-{time.monotonic_ns()}.tmp"
    try:
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def read_progress(path=PROGRESS_FILE):
    """The recorded progress, or an empty record when there is none yet. An unreadable file (edited by hand)
    is replaced, with a warning: it only repeats what re-running the checks records again."""
    empty = {"format": FORMAT, "checks": {}}
    if not os.path.exists(path):
        return empty
    try:
        with open(path, encoding="utf-8") as file:
            progress = json.load(file)
    except (OSError, ValueError) as err:
        warnings.warn(f"tinytorch: {path} could not be read ({err}); starting a new progress record", stacklevel=3)
        return empty
    if not isinstance(progress, dict) or not isinstance(progress.get("checks"), dict):
        warnings.warn(f"tinytorch: {path} is not a progress record; starting a new one", stacklevel=3)
        return empty
    return progress
