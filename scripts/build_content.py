"""One source, three products.

Each content/NN_name.py (jupytext percent format) is the only place a module is written. From it this
script makes:
  * the package code: cells whose first line is `#| export` are concatenated into the file named by the
    module's `#| default_exp core.name` directive (tinytorch/core/name.py), solutions kept;
  * the reference notebook: build/notebooks/reference/NN_name.ipynb, the student notebook cell for cell
    (same hint cells, same cell ids) with the solutions and their markers kept (nbgrader source);
  * the student notebook: build/notebooks/student/NN_name.ipynb, each region between
    `### BEGIN SOLUTION` and `### END SOLUTION` replaced by a stub that raises NotImplementedError
    pointing at the hints; the `# HINT 1:` (the idea) and `# HINT 2:` (the tools) comments written just
    above the region leave the code and become collapsible blocks in a markdown cell before it, so the
    learner opens them on purpose, one level at a time.

Milestones (content/milestones/YEAR_name.py) become notebooks the same way, under milestones/.

It also writes tinytorch/own_checks.py, the table own mode (tinytorch/own.py) needs to load a learner's
notebook as the package module and check it as the notebook does.

Usage: python scripts/build_content.py [--check]   (--check: fail if tinytorch/ differs from a fresh export)
"""
import argparse
import ast
import builtins
import hashlib
import html
import pprint
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
NOTEBOOKS = ROOT / "build" / "notebooks"

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HINT = "# HINT"  # every hint comment starts so; the two levels are:
HINT_LEVELS = ("# HINT 1:", "# HINT 2:")  # the idea (what and why, in words), then the tools (functions, shapes, errors)
KERNELSPEC = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}


def sources():
    """The course modules, content/NN_name.py."""
    return sorted(CONTENT.glob("[0-9][0-9]_*.py"))


def milestones():
    """The milestone notebooks, content/milestones/YEAR_name.py: plain scripts, no exports or exercises."""
    return sorted((CONTENT / "milestones").glob("[0-9][0-9][0-9][0-9]_*.py"))


def read(path):
    # comment_magics off: jupytext would otherwise uncomment comment lines that start like a magic ("# copy ...")
    nb = jupytext.read(path, fmt={"extension": ".py", "format_name": "percent", "comment_magics": False})
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"},
                   "tinytorch": notebook_identity(path)}
    return nb


def notebook_identity(path):
    """What a notebook is, kept in its metadata where a rename cannot lose it: its name (`01_tensor`,
    `milestones/1986_mlp_digits`) and a version that changes whenever its source does (the grader finds
    a notebook's checks by the name; the site compares a learner's copy with the shipped one by version)."""
    return {"notebook": path.relative_to(CONTENT).with_suffix("").as_posix(),
            "version": hashlib.sha256(path.read_bytes()).hexdigest()[:12]}


def is_export(cell):
    return cell.cell_type == "code" and cell.source.startswith("#| export")


def export_target(nb, path):
    for cell in nb.cells:
        match = re.search(r"^#\| default_exp ([\w.]+)\s*$", cell.source, re.M)
        if match:
            return ROOT / "tinytorch" / (match.group(1).replace(".", "/") + ".py")
    raise SystemExit(f"{path.name}: has export cells but no '#| default_exp core.name' line")


def strip_solution_markers(source):
    """The package gets the reference code without course scaffolding (markers, hints, directives)."""
    kept = [line for line in source.splitlines()
            if not line.strip().startswith((BEGIN, END, HINT, "#|"))]
    return "\n".join(kept).strip("\n")


def exported_blocks(nb, path):
    """The exported code of each `#| export` cell, each preceded by a comment naming its source cell
    (index and the section heading above it), so a reader of the package can find the lesson."""
    blocks, heading = [], "top"
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            titles = re.findall(r"^#{1,3} (.+)$", cell.source, re.M)
            heading = titles[-1].strip() if titles else heading
        elif is_export(cell):
            code = strip_solution_markers(cell.source)
            blocks.append((f"# From content/{path.name}, cell {index} ({heading})", code))
    return blocks


def export_text(path):
    """(target file, text) of the package module exported from one content file, or None."""
    nb = read(path)
    blocks = exported_blocks(nb, path)
    if not blocks:
        return None
    header = (f'"""Generated from content/{path.name} by scripts/build_content.py: edit the source, '
              'not this file."""\n')
    body = "\n\n\n".join(f"{pointer}\n{code}" for pointer, code in blocks)
    return export_target(nb, path), header + body + "\n"


def enclosing_name(lines, index):
    """Qualified name (Class.method) of the def that contains line `index`, for the stub's message."""
    names, indent = [], len(lines[index]) - len(lines[index].lstrip())
    for line in reversed(lines[:index]):
        stripped = line.lstrip()
        depth = len(line) - len(stripped)
        if stripped and depth < indent and stripped.startswith(("def ", "class ")):
            names.append(re.match(r"(?:def|class) (\w+)", stripped).group(1))
            indent = depth
    return ".".join(reversed(names)) or "this exercise"


@dataclass
class Exercise:
    """One solution region of a cell: whose body it is and its two levels of hints."""
    name: str
    idea: str
    tools: str


def hint_levels(comments, where):
    """The two hint levels from the `# HINT ...` comment lines just above a region: one or more
    `# HINT 1:` lines, then one or more `# HINT 2:` lines, each level's lines joined by spaces."""
    levels = ([], [])
    for comment in comments:
        level = next((n for n, prefix in enumerate(HINT_LEVELS) if comment.startswith(prefix)), None)
        if level is None:
            raise SystemExit(f"{where}: hint line {comment!r} is neither '{HINT_LEVELS[0]}' nor '{HINT_LEVELS[1]}'")
        if level == 0 and levels[1]:
            raise SystemExit(f"{where}: a '{HINT_LEVELS[0]}' line after '{HINT_LEVELS[1]}': write the idea first")
        levels[level].append(comment[len(HINT_LEVELS[level]):].strip())
    missing = [prefix for prefix, lines in zip(HINT_LEVELS, levels) if not lines]
    if missing:
        raise SystemExit(f"{where}: a solution region needs both '{HINT_LEVELS[0]}' (the idea) and "
                         f"'{HINT_LEVELS[1]}' (the tools) comments just above it; missing {missing}")
    return tuple(" ".join(lines) for lines in levels)


def stub_message(name):
    return f"Implement {name}: see the hints above this cell (open Hint 1 first)."


def stub_solutions(source, where, keep_solutions=False):
    """(stubbed source, exercises): every solution region replaced by a NotImplementedError pointing at the
    hints (kept as written, markers included, when keep_solutions), and the hint comments above it taken
    out of the code into the returned Exercise list."""
    lines, out, exercises, i = source.splitlines(), [], [], 0
    while i < len(lines):
        line = lines[i]
        if line.strip() != BEGIN:
            out.append(line)
            i += 1
            continue
        comments = []
        while out and out[-1].strip().startswith(HINT):
            comments.insert(0, out.pop().strip())
        idea, tools = hint_levels(comments, where)
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == END), None)
        if end is None:
            raise SystemExit(f"{where}: '{BEGIN}' without a matching '{END}'")
        indent = line[: len(line) - len(line.lstrip())]
        name = enclosing_name(lines, i)
        exercises.append(Exercise(name, idea, tools))
        if keep_solutions:
            out += lines[i:end + 1]
        else:
            out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError({stub_message(name)!r})"]
        i = end + 1
    return "\n".join(out), exercises


def hint_markdown(exercises):
    """A markdown cell's text: per exercise, Hint 1 and Hint 2 as closed <details> blocks. The blank lines
    around each hint's text let Markdown (JupyterLite, Jupyter Book) render its `code` inside the HTML."""
    blocks = ["**Hints**, closed until you open them: try the exercise first, then Hint 1 (the idea), "
              "then Hint 2 (the tools)."]
    for exercise in exercises:
        for number, text in ((1, exercise.idea), (2, exercise.tools)):
            blocks.append(f"<details>\n<summary>Hint {number} · <code>{html.escape(exercise.name)}</code>"
                          f"</summary>\n\n{text}\n\n</details>")
    return "\n\n".join(blocks)


def with_hint_cells(nb, where, keep_solutions):
    notebook = nbformat.from_dict(nb)
    cells = []
    for cell in notebook.cells:
        if cell.cell_type == "code" and BEGIN in cell.source:
            cell.source, exercises = stub_solutions(cell.source, where, keep_solutions)
            cells.append(nbformat.v4.new_markdown_cell(hint_markdown(exercises)))
        cells.append(cell)
    notebook.cells = cells
    return notebook


def student_notebook(nb, where):
    """The learner's notebook: solutions stubbed, each exercise cell preceded by its hint cell."""
    return with_hint_cells(nb, where, keep_solutions=False)


def reference_notebook(nb, where):
    """The same notebook cell for cell (same hint cells, same cell ids), with the solutions kept."""
    return with_hint_cells(nb, where, keep_solutions=True)


def write_notebook(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index}"  # stable ids: rebuilding the same source gives the same file
    nbformat.write(nb, path)


OWN_CHECKS = ROOT / "tinytorch" / "own_checks.py"


def top_level_names(sources):
    """Names the code defines at module level (assignments, defs, classes, imports)."""
    names = set()
    for source in sources:
        for node in ast.parse(source).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def is_check_cell(source):
    """True for a code cell's source that imports a check from tinytorch.checks.<topic> and calls it: the
    cells the tests, the grader, nbgrader's release and own mode treat as a module's checks."""
    if "tinytorch.checks." not in source:
        return False
    return bool(check_calls(source)) and any(
        isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tinytorch.checks.")
        and any(alias.name.startswith("check_") for alias in node.names) for node in ast.parse(source).body)


def check_calls(source):
    """The checks a cell's code calls, in order: `check_relu(ReLU)` -> ["check_relu"]."""
    return re.findall(r"^\s*(check_\w+)\s*\(", source, re.M)


def own_mode_entry(path):
    """What own mode needs about one module: its notebook, the package module it exports, its title, its
    check cells (index in the notebook, source) and the names those cells use that the export lacks."""
    nb = read(path)
    notebook = reference_notebook(nb, path.name)  # the learner's notebook has these cells at these indices
    exports = [cell.source for cell in notebook.cells if is_export(cell)]
    if not exports:
        return None
    checks = [(index, cell.source) for index, cell in enumerate(notebook.cells)
              if cell.cell_type == "code" and is_check_cell(cell.source)]
    used = {node.id for _, source in checks for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    defined = top_level_names(exports) | top_level_names(source for _, source in checks) | set(dir(builtins))
    title = re.search(r"^# Module \d+ · (.+)$", nb.cells[0].source, re.M)
    if title is None:
        raise SystemExit(f"{path.name}: its first cell needs a '# Module NN · Title' heading")
    target = export_target(nb, path).relative_to(ROOT).with_suffix("")
    return {"notebook": path.stem, "module": ".".join(target.parts), "title": title.group(1).split(":")[0].strip(),
            "check_cells": checks, "notebook_names": sorted(used - defined)}


def own_checks_text():
    entries = [entry for entry in map(own_mode_entry, sources()) if entry]
    return ('"""Generated from content/ by scripts/build_content.py: edit the sources, not this file.\n\n'
            "For own mode (tinytorch/own.py), per course module in order: the learner's notebook, the package\n"
            "module its `#| export` cells make, the module's title, its check cells as (index in the notebook,\n"
            "source), and the names those cells use that the exported cells do not define (own.py stands them in).\n"
            '"""\n'
            f"MODULES = {pprint.pformat(entries, width=116, sort_dicts=False)}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only compare tinytorch/ with a fresh export")
    args = parser.parse_args()

    drifted = []
    for path in sources() + milestones():
        exported = export_text(path)
        if exported:
            target, text = exported
            if args.check:
                if not target.exists() or target.read_text() != text:
                    drifted.append(target)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
        if not args.check:
            nb = read(path)
            name = path.relative_to(CONTENT).with_suffix(".ipynb")
            write_notebook(reference_notebook(nb, path.name), NOTEBOOKS / "reference" / name)
            write_notebook(student_notebook(nb, path.name), NOTEBOOKS / "student" / name)
            print(f"built {path.name}")
    own_checks = own_checks_text()
    if not args.check:
        OWN_CHECKS.write_text(own_checks)
    elif not OWN_CHECKS.exists() or OWN_CHECKS.read_text() != own_checks:
        drifted.append(OWN_CHECKS)
    if drifted:
        sys.exit("out of date with content/ (run scripts/build_content.py): " + ", ".join(str(t) for t in drifted))


if __name__ == "__main__":
    main()
