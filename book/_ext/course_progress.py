"""Sphinx extension: the data behind the learner's saved-work notices and progress page.

At the end of the build it writes, next to the site's static files,
- _static/tinytorch-course.json: for each notebook the site ships (book/modules, book/milestones, the same
  files JupyterLite serves), its title, page, version (metadata tinytorch.version), the parts its checks
  cover and what it follows; read by book/_static/tinytorch-*.js;
- _static/tinytorch-learning-path.svg: the learning path as a picture, colored by progress in the browser.
Both come from scripts/course_map.py, so the pages never disagree with the notebooks they were built with.
"""

import json
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
NOTEBOOK_FOLDERS = ["modules", "milestones"]


def write_course_files(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    import course_map

    shipped = [path for folder in NOTEBOOK_FOLDERS for path in sorted((Path(app.srcdir) / folder).glob("*.ipynb"))]
    course = course_map.course_data(shipped)
    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    (static / "tinytorch-course.json").write_text(json.dumps(course, indent=1, ensure_ascii=False), encoding="utf-8")
    (static / "tinytorch-learning-path.svg").write_text(course_map.learning_path_svg(course), encoding="utf-8")


def setup(app):
    app.connect("build-finished", write_course_files)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
