"""What the site's progress page needs to know about the course, computed from the sources at site build.

- the parts of each module: the checks its source calls (`from tinytorch.checks.<topic> import check_x`
  then `check_x(...)`), in order, each with the title of its `@check("Part N · ...")` decorator;
- the learning path: each module's prerequisites, read from the "Prerequisites" lines of its connection
  map, the tiers (scripts/build_site.py TIERS) and the milestones with the module each one follows;
- a picture of that path as an SVG, one box per module or milestone (colored by progress in the browser).

book/_ext/course_progress.py calls `course_data` and `learning_path_svg` while Sphinx builds the site.
"""

import ast
import functools
import html
import re
from pathlib import Path

import nbformat

import build_site

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
CHECKS = ROOT / "tinytorch" / "checks"
CHECKS_PACKAGE = "tinytorch.checks."
PREREQUISITE_NUMBER = re.compile(r"\b(\d\d)\b")
MILESTONE_AFTER = re.compile(r"\(after (?:module )?(\d\d)\)")


def check_titles(topic: str) -> dict[str, str]:
    """{check function name: its @check title} for tinytorch/checks/<topic>.py."""
    tree = ast.parse((CHECKS / f"{topic}.py").read_text(encoding="utf-8"))
    titles = {}
    for node in tree.body:
        for decorator in getattr(node, "decorator_list", []):
            if (isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "check"
                    and decorator.args and isinstance(decorator.args[0], ast.Constant)):
                titles[node.name] = decorator.args[0].value
    return titles


def expected_parts(source: Path) -> list[dict]:
    """The checks a module's source calls, in the order it first calls them: [{module, check, title}]
    (`module` is the checks module's name, as the outcomes reported by tinytorch.checks.on_outcome)."""
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    imported = {}  # local name -> (topic, check function)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(CHECKS_PACKAGE):
            topic = node.module[len(CHECKS_PACKAGE):]
            for alias in node.names:
                imported[alias.asname or alias.name] = (topic, alias.name)
    calls = sorted((node.lineno, node.col_offset, node.func.id) for node in ast.walk(tree)
                   if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in imported)
    parts, seen = [], set()
    for _, _, name in calls:
        topic, function = imported[name]
        if (topic, function) in seen:
            continue
        seen.add((topic, function))
        titles = check_titles(topic)
        if function not in titles:
            raise SystemExit(f"course_map: {source.name} calls {function} from tinytorch.checks.{topic}, "
                             f"which has no @check title there")
        parts.append({"module": topic, "check": function, "title": titles[function]})
    return parts


def prerequisites(source: Path) -> list[str]:
    """Module numbers ("01", ...) named on the "Prerequisites" lines of a module's connection map."""
    number = int(source.stem[:2])
    lines, inside = [], False
    for line in source.read_text(encoding="utf-8").splitlines():
        if "Prerequisites" in line and ":" in line:
            inside = True
        elif inside and ("Focus" in line or not line.startswith("#   ")):
            break
        if inside:
            lines.append(line)
    if not lines:
        raise SystemExit(f"course_map: {source.name} has no 'Prerequisites' line in its connection map")
    found = {match for line in lines for match in PREREQUISITE_NUMBER.findall(line) if 0 < int(match) < number}
    return sorted(found)


def direct_prerequisites(requires: dict[str, list[str]]) -> dict[str, list[str]]:
    """Drop each prerequisite that another prerequisite already needs (a transitive reduction), so the
    picture draws 01 -> 02 -> 03, not also 01 -> 03."""
    @functools.cache
    def reachable(key):
        return set(requires.get(key, [])).union(*(reachable(before) for before in requires.get(key, [])))
    return {key: [before for before in needs
                  if not any(before in reachable(other) for other in needs if other != before)]
            for key, needs in requires.items()}


def module_sources() -> dict[str, Path]:
    return {path.stem[:2]: path for path in sorted(CONTENT.glob("[0-9][0-9]_*.py"))}


def milestone_sources() -> dict[str, Path]:
    return {path.stem[:4]: path for path in sorted((CONTENT / "milestones").glob("[0-9][0-9][0-9][0-9]_*.py"))}


def notebook_version(notebook: Path) -> str:
    return nbformat.read(notebook, as_version=4).metadata["tinytorch"]["version"]


def course_data(shipped_notebooks: list[Path]) -> dict:
    """Everything the browser scripts need, for the notebooks the site ships (JupyterLite's top level):
    {"notebooks": {file name: {title, page, version, section, parts, after}}, "tiers": {...}}."""
    modules, milestones = module_sources(), milestone_sources()
    tiers = {tier: [item.split()[0] for item in items] for tier, items in build_site.TIERS.items()}
    titles = {item.split()[0]: item for items in build_site.TIERS.values() for item in items}
    titles.update({item.split()[0]: item.split(":")[0] for item in build_site.MILESTONES})
    after = {item.split()[0]: MILESTONE_AFTER.search(item).group(1) for item in build_site.MILESTONES}
    notebooks = {}
    for notebook in shipped_notebooks:
        is_milestone = notebook.parent.name == "milestones"
        key = notebook.stem[:4] if is_milestone else notebook.stem[:2]
        source = (milestones if is_milestone else modules)[key]
        notebooks[notebook.name] = {
            "key": key,
            "title": titles[key],
            "page": f"{'milestones' if is_milestone else 'modules'}/{notebook.stem}.html",
            "section": "milestones" if is_milestone else "modules",
            "version": notebook_version(notebook),
            "parts": expected_parts(source),
            "after": [after[key]] if is_milestone else prerequisites(source),
        }
    return {"tiers": tiers, "notebooks": notebooks}


BOX_WIDTH, BOX_HEIGHT, GAP_X, ROW_GAP, MARGIN = 118, 46, 14, 70, 20


def learning_path_svg(course: dict) -> str:
    """The learning path as an SVG: one row per tier (and one for the milestones), an arrow from each
    module to the modules it directly unlocks. Each box is a link to its page (relative to the site root)
    with class "path-node" and data-notebook="<file>", so the progress script can color it."""
    by_key = {entry["key"]: (name, entry) for name, entry in course["notebooks"].items()}
    rows = [(tier, [key for key in keys if key in by_key]) for tier, keys in course["tiers"].items()]
    rows.append(("Milestones", sorted(entry["key"] for entry in course["notebooks"].values()
                                      if entry["section"] == "milestones")))
    rows = [(title, keys) for title, keys in rows if keys]
    widest = max(len(keys) for _, keys in rows)
    width = 2 * MARGIN + widest * BOX_WIDTH + (widest - 1) * GAP_X
    row_height = BOX_HEIGHT + ROW_GAP
    height = 2 * MARGIN + len(rows) * row_height - ROW_GAP + 20
    position = {}
    for row, (_, keys) in enumerate(rows):
        left = MARGIN + (width - 2 * MARGIN - (len(keys) * BOX_WIDTH + (len(keys) - 1) * GAP_X)) / 2
        for column, key in enumerate(keys):
            position[key] = (left + column * (BOX_WIDTH + GAP_X), MARGIN + 20 + row * row_height)
    direct = direct_prerequisites({key: entry["after"] for key, (_, entry) in by_key.items()})
    edges = []
    for key, befores in direct.items():
        for before in befores:
            if before not in position:
                continue
            (x1, y1), (x2, y2) = position[before], position[key]
            if y1 == y2:  # same row: an arc over the row, from the top of one box to the top of the other
                lift = 18 + abs(x2 - x1) / 12
                ax, bx = x1 + BOX_WIDTH / 2, x2 + BOX_WIDTH / 2
                path = f"M{ax:.0f},{y1:.0f} C{ax:.0f},{y1 - lift:.0f} {bx:.0f},{y2 - lift:.0f} {bx:.0f},{y2 - 2:.0f}"
            else:
                ax, ay = x1 + BOX_WIDTH / 2, y1 + BOX_HEIGHT
                bx, by = x2 + BOX_WIDTH / 2, y2
                middle = (ay + by) / 2
                path = f"M{ax:.0f},{ay:.0f} C{ax:.0f},{middle:.0f} {bx:.0f},{middle:.0f} {bx:.0f},{by - 2:.0f}"
            edges.append(f'<path class="path-edge" d="{path}" data-from="{before}" data-to="{key}"/>')
    labels, nodes = [], []
    for row, (title, keys) in enumerate(rows):
        labels.append(f'<text class="path-tier" x="{MARGIN}" y="{MARGIN + 12 + row * row_height:.0f}">'
                      f'{html.escape(title)}</text>')
    for key, (x, y) in position.items():
        name, entry = by_key[key]
        number, _, words = entry["title"].partition(" ")
        nodes.append(
            f'<a href="{entry["page"]}" class="path-node" data-notebook="{html.escape(name)}">'
            f'<title>{html.escape(entry["title"])}</title>'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{BOX_WIDTH}" height="{BOX_HEIGHT}" rx="7"/>'
            f'<text x="{x + BOX_WIDTH / 2:.0f}" y="{y + 19:.0f}" text-anchor="middle">{html.escape(number)}</text>'
            f'<text class="path-name" x="{x + BOX_WIDTH / 2:.0f}" y="{y + 36:.0f}" text-anchor="middle">'
            f'{html.escape(words.replace("_", " ")[:18])}</text></a>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="learning-path" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'role="img" aria-label="The learning path: tiers of modules, arrows from each module to the ones it '
            f'unlocks, and the milestones">\n'
            f'<defs><marker id="path-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>\n'
            + "\n".join(labels + edges + nodes) + "\n</svg>\n")
