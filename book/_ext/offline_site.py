"""Sphinx extension for the offline course site.

- Removes the assets that would reach other hosts: jupyterlite-sphinx's Google Fonts stylesheet and
  sphinx-thebe (always on in Jupyter Book 1; it loads thebe from unpkg.com, and we run code in
  JupyterLite instead).
- Puts a "Run in browser" button on every module and milestone page that opens the same notebook in JupyterLite, with a
  relative URL so the site works under any sub-path (GitHub Pages) and from any local static server.
"""

from pathlib import PurePosixPath

LITE_NOTEBOOK_APP = "lite/notebooks/index.html"
NOTEBOOK_PAGE_FOLDERS = {"modules", "milestones"}  # their notebooks are at JupyterLite's top level


def is_thebe(script):
    return script.filename == "sphinx-thebe.js" or "THEBE_JS_URL" in script.attributes.get("body", "")


def drop_remote_assets(app, pagename, templatename, context, doctree):
    context["css_files"] = [css for css in context.get("css_files", []) if "://" not in css.filename]
    context["script_files"] = [js for js in context.get("script_files", []) if not is_thebe(js)]


def add_run_in_browser_button(app, pagename, templatename, context, doctree):
    page = PurePosixPath(pagename)
    if page.parent.name not in NOTEBOOK_PAGE_FOLDERS or "body" not in context:
        return
    notebook = page.name + ".ipynb"
    href = f"{context['pathto'](LITE_NOTEBOOK_APP, 1)}?path={notebook}"
    button = (f'<p class="run-in-browser"><a class="btn btn-primary" href="{href}" target="_blank" '
              f'rel="noopener">▶ Run in browser</a> <span>(opens a new tab: JupyterLite runs Python in '
              f'your browser, no install, works offline)</span></p>\n')
    context["body"] = button + context["body"]


def setup(app):
    app.connect("html-page-context", drop_remote_assets)
    app.connect("html-page-context", add_run_in_browser_button)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
