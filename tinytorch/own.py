"""Own mode: the package runs on the learner's own modules instead of the reference.

The course says "the Tensor you wrote in 01". By default every notebook imports the reference package, so
a mistake in 01 never blocks 09. `tinytorch.use_my_modules()` writes a small switch file into the current
folder (in the browser: JupyterLite's drive, which every notebook and kernel there sees); from the next
`import tinytorch` on, each module `tinytorch.core.<name>` whose notebook (`NN_name.ipynb`) sits in the
folder is loaded from that notebook's `#| export` cells, so every later `from tinytorch.core.tensor import
Tensor` gets the learner's class. A notebook with an exercise left (a NotImplementedError stub) is not
used: that module comes from the reference. When the import is done, each of the learner's modules runs its
notebook's check cells; the first that fails stops the import with one message naming the module, the
check and the notebook to fix (importing again in the same process goes on with the reference for it).
`tinytorch.use_reference()` deletes the switch file. Either switch takes effect at the next kernel start:
classes already imported cannot change under the learner's feet.
"""
import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import json
import linecache
import os
import re
import sys

import numpy as np

SWITCH_FILE = "tinytorch-own.json"
# The stub scripts/build_content.py puts where a solution goes; its presence means "not finished".
_STUB = re.compile(r"raise NotImplementedError\(['\"]Implement ([\w.]+): see the hints")
_RESTART = "Restart the kernel (Kernel → Restart Kernel) for this to take effect"


class OwnModeError(ImportError):
    """The package cannot load on top of the learner's modules. An ImportError, so Python leaves its
    import machinery out of the traceback: the message is what matters."""


def use_my_modules(upto=None, folder="."):
    """From the next kernel start on, load each finished module NN_name.ipynb found in `folder` (relative
    to the current folder) as the package's module, up to module number `upto` (all when None)."""
    if upto is not None and (isinstance(upto, bool) or not isinstance(upto, int) or not 1 <= upto <= 99):
        raise ValueError(f"use_my_modules: upto must be a module number such as 5 (or None for all), got {upto!r}")
    if not isinstance(folder, str) or not os.path.isdir(folder):
        raise ValueError(f"use_my_modules: folder must name an existing folder (relative to {os.getcwd()}), "
                         f"got {folder!r}")
    with open(SWITCH_FILE, "w", encoding="utf-8") as file:
        json.dump({"folder": folder, "upto": upto}, file)
    which = "all your finished modules" if upto is None else f"your finished modules up to {upto:02d}"
    print(f"Own mode is on ({SWITCH_FILE} in {os.getcwd()}): tinytorch will use {which} from {folder!r}, "
          f"checked as they load. {_RESTART}.")


def use_reference():
    """From the next kernel start on, use the reference package again (deletes the switch file)."""
    if os.path.exists(SWITCH_FILE):
        os.remove(SWITCH_FILE)
        print(f"Own mode is off: tinytorch will use its reference modules. {_RESTART}.")
    else:
        print(f"Own mode was not on in {os.getcwd()} (no {SWITCH_FILE}): tinytorch uses its reference modules.")


def switch_on_if_chosen():
    """Called first thing by `import tinytorch`: when the switch file is here, install the loader that
    takes the learner's notebooks. A damaged switch file is reported and ignored, so tinytorch still imports
    and `use_my_modules()` / `use_reference()` can repair it."""
    if not os.path.exists(SWITCH_FILE):
        return
    try:
        with open(SWITCH_FILE, encoding="utf-8") as file:
            choice = json.load(file)
        folder, upto = choice["folder"], choice["upto"]
        if not isinstance(folder, str) or not (upto is None or isinstance(upto, int)):
            raise ValueError("'folder' must be a string and 'upto' a module number or null")
    except (OSError, ValueError, KeyError, TypeError) as err:
        print(f"⚠️ {os.path.abspath(SWITCH_FILE)} is not a valid own-mode switch ({type(err).__name__}: {err}); "
              "using the reference modules. Run tinytorch.use_my_modules() or tinytorch.use_reference() to fix it.")
        return
    for finder in [f for f in sys.meta_path if isinstance(f, LearnerModules)]:
        sys.meta_path.remove(finder)  # a previous import of tinytorch in this process installed one
    sys.meta_path.insert(0, LearnerModules(os.path.abspath(folder), upto))


def report():
    """Called last by `import tinytorch`: in own mode, check each of the learner's modules as its notebook
    does, say which module is whose, and stop at the first one that fails."""
    for finder in sys.meta_path:
        if isinstance(finder, LearnerModules):
            finder.check_and_report()


def exported_cells(notebook_path):
    """[(cell index, source)] of the notebook's `#| export` code cells."""
    with open(notebook_path, encoding="utf-8") as file:
        cells = json.load(file)["cells"]
    sources = [(index, "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"])
               for index, cell in enumerate(cells) if cell.get("cell_type") == "code"]
    return [(index, source) for index, source in sources if source.startswith("#| export")]


def cell_code(notebook_path, index, source):
    """Compile one notebook cell under a name tracebacks show ("/drive/03_layers.ipynb, cell 10"), with its
    lines registered so the learner's failing line is printed."""
    filename = f"{notebook_path}, cell {index}"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return compile(source, filename, "exec")


EXCLUDED = "TINYTORCH_OWN_EXCLUDED"  # environment variable: modules that failed in this process


class LearnerModules(importlib.abc.MetaPathFinder):
    """Finds `tinytorch.core.<name>` in the learner's folder; records, per module, whose it became."""

    def __init__(self, folder, upto):
        from tinytorch.own_checks import MODULES  # generated from content/ by scripts/build_content.py
        self.folder, self.upto = folder, upto
        self.modules = {entry["module"]: entry for entry in MODULES}
        self.excluded = set(filter(None, os.environ.get(EXCLUDED, "").split(",")))
        self.whose = {}  # module name -> "yours" or "reference (why)"
        self.loaded = {}  # module name -> the learner's module object, to check at the end of the import
        self.failures = []  # the learner-facing message of each module of theirs that failed

    def find_spec(self, fullname, path, target=None):
        entry = self.modules.get(fullname)
        if entry is None:
            return None
        reference = importlib.machinery.PathFinder.find_spec(fullname, path)
        notebook = os.path.join(self.folder, entry["notebook"] + ".ipynb")
        number = entry["notebook"][:2]
        why, cells = None, None
        if self.upto is not None and int(number) > self.upto:
            why = f"after {self.upto:02d}"
        elif number in self.excluded:
            why = f"yours failed above: fix {entry['notebook']}.ipynb, then restart the kernel"
        elif not os.path.exists(notebook):
            why = f"no {entry['notebook']}.ipynb"
        else:
            try:
                cells = exported_cells(notebook)
            except (OSError, ValueError, KeyError, TypeError) as err:
                why = f"{entry['notebook']}.ipynb unreadable: {type(err).__name__}: {err}"
            else:
                unfinished = sorted({name for _, source in cells for name in _STUB.findall(source)})
                if unfinished:
                    more = f" and {len(unfinished) - 1} more" if len(unfinished) > 1 else ""
                    why = f"not finished: {unfinished[0]}{more} in {entry['notebook']}.ipynb"
        if why is not None:
            self.whose[fullname] = f"reference ({why})"
            reference.loader = _ReferenceLoader(reference.loader, self, entry)
            return reference
        return importlib.util.spec_from_loader(
            fullname, _NotebookLoader(self, entry, notebook, cells, reference), origin=notebook)

    def label(self, entry):
        return f"{entry['notebook'][:2]} {entry['title']}"

    def yours(self):
        return [self.label(self.modules[name]) for name, whose in self.whose.items() if whose == "yours"]

    def fail(self, entry, problem):
        """Record that the learner's module failed; the import stops with this message once all is loaded."""
        self.whose[entry["module"]] = "reference (yours fails its checks, see below)"
        self.failures.append(f"Your module {self.label(entry)} {problem}\nFix it in {entry['notebook']}.ipynb "
                             f"and save it, then restart the kernel. Or run this cell again to go on with the "
                             f"reference {entry['notebook'][:2]} in this kernel, or switch own mode off with "
                             f"tinytorch.use_reference().")

    def check_and_report(self):
        """Run each loaded module's check cells in course order, in the state its notebook runs them: the
        whole package imported. The first failure stops the import (the package is forgotten, so importing
        again loads it afresh, with the failed modules from the reference)."""
        for name in sorted(self.loaded, key=lambda name: self.modules[name]["notebook"]):
            entry = self.modules[name]
            problem = check_module(self.loaded[name], entry)
            if problem is not None:
                self.fail(entry, problem)
                break
        print(self.summary())
        if self.failures:
            failed = {self.modules[name]["notebook"][:2] for name, whose in self.whose.items()
                      if whose.startswith("reference (yours fails")}
            os.environ[EXCLUDED] = ",".join(sorted(self.excluded | failed))
            for name in [name for name in sys.modules if name == "tinytorch" or name.startswith("tinytorch.")]:
                del sys.modules[name]
            sys.meta_path.remove(self)
            raise OwnModeError("\n".join(self.failures)) from None

    def summary(self):
        """Which module is whose, one line per kind, wrapped between modules."""
        ordered = sorted(self.whose, key=lambda name: self.modules[name]["notebook"])
        yours = [self.label(self.modules[name]) for name in ordered if self.whose[name] == "yours"]
        reference = [f"{self.label(self.modules[name])} {self.whose[name][len('reference '):]}"
                     for name in ordered if self.whose[name] != "yours"]
        lines = [f"tinytorch own mode, your modules from {self.folder} "
                 "(switch back: tinytorch.use_reference(), then restart the kernel):"]
        for kind, labels in (("yours", yours), ("reference", reference)):
            line = f"  {kind}:"
            for position, label in enumerate(labels):
                item = (" · " if position else " ") + label
                if len(line) + len(item) > 110:
                    lines.append(line)
                    line = "   " + item
                else:
                    line += item
            lines.append(line + ("" if labels else " none"))
        return "\n".join(lines)


def check_module(module, entry):
    """None when the learner's module passes its notebook's check cells, else what failed. The checks run
    quietly (no ✅ lines) and the check listeners (grading, progress) do not see them; a module before 17
    is checked with 17's speed-ups taken out, so its own code is what runs."""
    from tinytorch import checks

    namespace = dict(module.__dict__)
    for name in entry["notebook_names"]:
        namespace[name] = NOTEBOOK_NAMES[name](namespace)
    acceleration = sys.modules.get("tinytorch.core.acceleration")
    before_17 = entry["notebook"] < "17" and hasattr(acceleration, "unaccelerated")
    listeners, checks._listeners[:] = checks._listeners[:], []  # private on purpose: see the docstring
    try:
        with contextlib.redirect_stdout(io.StringIO()), \
                (acceleration.unaccelerated() if before_17 else contextlib.nullcontext()):
            for index, source in entry["check_cells"]:
                try:
                    exec(cell_code(module.__file__, index, source), namespace)
                except AssertionError as err:  # a check's own message: "Part 2 · Linear: ..."
                    return f"fails {err}"
                except Exception as err:
                    return f"raises {type(err).__name__}: {err} in its check cell {index}{checks.where_it_failed(err)}"
    finally:
        checks._listeners[:] = listeners
    return None


class _ReferenceLoader(importlib.abc.Loader):
    """Loads a reference module; if it breaks on top of the learner's modules, says so in one message."""

    def __init__(self, loader, finder, entry):
        self.loader, self.finder, self.entry = loader, finder, entry

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        __tracebackhide__ = True
        try:
            self.loader.exec_module(module)
        except Exception as err:
            yours = self.finder.yours()
            if not yours:
                raise
            raise OwnModeError(
                f"The reference module {self.finder.label(self.entry)} does not load on top of your modules "
                f"({', '.join(yours)}): {type(err).__name__}: {err}. A notebook's given code (names, "
                f"signatures) may have changed. Switch back by deleting {SWITCH_FILE} in "
                f"{os.getcwd()}, then restart the kernel.") from None


class _NotebookLoader(importlib.abc.Loader):
    """Executes the learner's exported cells as the module. If they raise, every tinytorch class is put
    back as it was (the cells may have patched earlier ones) and the reference module loads instead."""

    def __init__(self, finder, entry, notebook, cells, reference):
        self.finder, self.entry, self.notebook, self.cells, self.reference = finder, entry, notebook, cells, reference

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module):
        from tinytorch import checks

        before = _class_snapshot()
        module.__file__ = self.notebook
        try:
            for index, source in self.cells:
                exec(cell_code(self.notebook, index, source), module.__dict__)
        except Exception as err:  # the learner's code: anything can go wrong, and tinytorch must still load
            _restore_classes(before)
            self.finder.fail(self.entry, f"raises {type(err).__name__}: {err} while loading"
                                         f"{checks.where_it_failed(err)}")
            for attribute in [a for a in module.__dict__ if a not in ("__name__", "__loader__", "__spec__",
                                                                       "__package__")]:
                del module.__dict__[attribute]
            module.__spec__, module.__loader__, module.__file__ = (
                self.reference, self.reference.loader, self.reference.origin)
            self.reference.loader.exec_module(module)
        else:
            self.finder.whose[module.__name__] = "yours"
            self.finder.loaded[module.__name__] = module


def _class_snapshot():
    """{class: copy of its attributes} for every class the loaded tinytorch modules define: a learner's module
    may patch earlier classes (patch_to, accelerate, enable_autograd) before it fails."""
    classes = {value for name, module in list(sys.modules.items())
               if name.startswith("tinytorch") and module is not None
               for value in list(vars(module).values())
               if isinstance(value, type) and value.__module__.startswith("tinytorch")}
    return {cls: dict(vars(cls)) for cls in classes}


def _restore_classes(snapshot):
    for cls, attributes in snapshot.items():
        for name in [n for n in vars(cls) if n not in attributes]:
            delattr(cls, name)
        for name, value in attributes.items():
            if vars(cls).get(name) is not value:
                setattr(cls, name, value)


def _relu_module(namespace):
    """Module 03's notebook defines ReLU(Module) over F.relu in a cell it does not export, to check its
    Sequential; while 03 loads, tinytorch.nn cannot be imported yet, so the same class computes with numpy."""
    Module, Tensor = namespace["Module"], namespace["Tensor"]

    class ReLU(Module):
        """max(x, 0) as a Module: no parameters, forward computes the function."""

        def forward(self, input):
            return Tensor(np.maximum(input.data, 0))
    return ReLU


# Names a module's check cells use that its export does not define (own_checks.py lists them per module).
NOTEBOOK_NAMES = {"ReLU": _relu_module}
