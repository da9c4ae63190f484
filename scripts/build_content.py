"""One source, three products.

Each content/NN_name.py (jupytext percent format) is the only place a module is written. From it this
script makes:
  * the package code: cells whose first line is `#| export` are concatenated into the file named by the
    module's `#| default_exp core.name` directive (tinytorch/core/name.py), solutions kept;
  * the reference notebook: build/notebooks/reference/NN_name.ipynb, solutions kept (nbgrader source);
  * the student notebook: build/notebooks/student/NN_name.ipynb, each region between
    `### BEGIN SOLUTION` and `### END SOLUTION` replaced by a stub that raises NotImplementedError with
    the `# HINT:` comment written just above the region.

Milestones (content/milestones/YEAR_name.py) become notebooks the same way, under milestones/.

Usage: python scripts/build_content.py [--check]   (--check: fail if tinytorch/ differs from a fresh export)
"""
import argparse
import re
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
NOTEBOOKS = ROOT / "build" / "notebooks"

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HINT = "# HINT:"
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
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    return nb


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


def stub_solutions(source, where):
    """Replace every solution region by a NotImplementedError carrying the hint written above it."""
    lines, out, i = source.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        if line.strip() != BEGIN:
            out.append(line)
            i += 1
            continue
        hints = []
        for previous in reversed(out):
            if not previous.strip().startswith(HINT):
                break
            hints.insert(0, previous.strip()[len(HINT):].strip())
        if not hints:
            raise SystemExit(f"{where}: a solution region has no '{HINT}' comment just above it")
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == END), None)
        if end is None:
            raise SystemExit(f"{where}: '{BEGIN}' without a matching '{END}'")
        indent = line[: len(line) - len(line.lstrip())]
        message = f"Implement {enclosing_name(lines, i)}. HINT: {' '.join(hints)}"
        out += [f"{indent}# YOUR CODE HERE", f"{indent}raise NotImplementedError({message!r})"]
        i = end + 1
    return "\n".join(out)


def student_notebook(nb, where):
    student = nbformat.from_dict(nb)
    for cell in student.cells:
        if cell.cell_type == "code" and BEGIN in cell.source:
            cell.source = stub_solutions(cell.source, where)
    return student


def write_notebook(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index}"  # stable ids: rebuilding the same source gives the same file
    nbformat.write(nb, path)


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
            write_notebook(nb, NOTEBOOKS / "reference" / name)
            write_notebook(student_notebook(nb, path.name), NOTEBOOKS / "student" / name)
            print(f"built {path.name}")
    if drifted:
        sys.exit("out of date with content/ (run scripts/build_content.py): " + ", ".join(str(t) for t in drifted))


if __name__ == "__main__":
    main()
