"""The built site is self-contained: no fetch from another host, relative URLs, a verified offline Pyodide.

Assumes the site was built (bash scripts/test.sh builds it first); fails, never skips, when it was not.
"""

import hashlib
import json
import re
import tarfile
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "book" / "_build" / "html"
BUNDLE = ROOT / "book" / "_build" / "tinytorch-site.tar.gz"
LITE = SITE / "lite"
PYODIDE = LITE / "static" / "pyodide"
OFFICIAL_LOCK = ROOT / "node_modules" / "pyodide" / "pyodide-lock.json"
STUDENT_NOTEBOOKS = ROOT / "build" / "notebooks" / "student"
KERNEL_SETTINGS = "@jupyterlite/pyodide-kernel-extension:kernel"
# Wheels scripts/build_site.py adds to the lock so they are preloaded: ours and the kernel's start-up set.
ADDED_TO_LOCK = {"tinytorch", "piplite", "ipykernel", "pyodide-kernel", "comm"}

URL = r"https?://[^\s\"'`)<>\\]+"
# File types a browser fetches when code names them; a URL without one (an XML namespace, a docs page)
# is an identifier or a link, not a fetch.
FETCHED_SUFFIX = re.compile(r"\.(m?js|wasm|css|json|whl|zip|tar|gz|bz2|woff2?|ttf|otf|eot|png|jpe?g|gif|svg"
                            r"|ico|ipynb|py)([?#].*)?$", re.IGNORECASE)
JS_FETCH_CALL = re.compile(r"(?:\bimport\s*\(|\bfrom\s+|importScripts\s*\(|\bfetch\s*\(|new\s+(?:Shared)?Worker\s*\("
                           r"|indexURL\s*[:=])\s*[\"'`](" + URL + ")")
JS_STRING_URL = re.compile(r"[\"'`](" + URL + r")[\"'`]")
CSS_URL = re.compile(r"(?:url\(\s*[\"']?|@import\s+[\"'])(" + URL + ")")
JSON_URL_KEY = re.compile(r"(url|urls|src|load|path|paths)$", re.IGNORECASE)
PACKAGE_METADATA_KEYS = {"repository", "bugs", "homepage", "funding", "author", "contributors", "license"}
# Remote URLs that appear in shipped code but are never fetched by this site, each with the reason.
NOT_FETCHED = {
    "https://cdn.jsdelivr.net/pyodide/v0.27.6/full/pyodide.js":
        "the kernel's default, used only without pyodideUrl; test_lite_config_points_to_local_files "
        "checks that pyodideUrl is set to the local copy",
    "https://cdn.jsdelivr.net/npm/wicked-good-xpath@1.3.0/dist/wgxpath.install.js":
        "MathJax's XPath polyfill, loaded only by browsers without document.evaluate (old IE)",
    "https://raw.githubusercontent.com/ajv-validator/ajv/master/lib/refs/data.json#":
        "a JSON-schema $id inside the ajv validator: an identifier compared as a string",
    "https://vega.github.io/schema/vega/v5.json":
        "a JSON-schema $schema name in JupyterLab's Vega renderer: an identifier compared as a string",
}
# HTML attributes whose URL the browser fetches by itself (links in <a href> are only followed on a click).
FETCHED_ATTRIBUTES = {"src", "srcset", "poster", "data"}
FETCHED_LINK_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "manifest",
                     "apple-touch-icon", "shortcut"}


def require_site():
    if not (SITE / "index.html").exists():
        pytest.fail(f"no built site in {SITE}: run the build first (bash scripts/test.sh does it)")


def site_files(*suffixes):
    require_site()
    return [path for path in SITE.rglob("*") if path.suffix in suffixes and path.is_file()]


class FetchedUrls(HTMLParser):
    """URLs an HTML page makes the browser fetch: resource attributes, stylesheet/preload links, and URLs
    fetched by its inline scripts and styles."""

    def __init__(self):
        super().__init__()
        self.urls, self._in = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._in = tag
        for name in FETCHED_ATTRIBUTES & attrs.keys():
            self.urls += [part.split()[0] for part in (attrs[name] or "").split(",") if part.strip()]
        rels = set((attrs.get("rel") or "").lower().split())
        if tag == "link" and rels & FETCHED_LINK_RELS:
            self.urls.append(attrs.get("href") or "")
        if "style" in attrs:
            self.urls += CSS_URL.findall(attrs["style"] or "")

    def handle_data(self, data):
        if self._in == "script":
            self.urls += js_fetched_urls(data)
        elif self._in == "style":
            self.urls += CSS_URL.findall(data)

    def handle_endtag(self, tag):
        self._in = None


def js_fetched_urls(text):
    calls = JS_FETCH_CALL.findall(text)
    resources = [url for url in JS_STRING_URL.findall(text) if FETCHED_SUFFIX.search(url)]
    return calls + resources


def json_fetched_urls(node, keys=()):
    if isinstance(node, dict):
        return [url for key, value in node.items() for url in json_fetched_urls(value, (*keys, key))]
    if isinstance(node, list):
        return [url for item in node for url in json_fetched_urls(item, keys)]
    if (isinstance(node, str) and re.match(URL, node) and keys and JSON_URL_KEY.search(str(keys[-1]))
            and not PACKAGE_METADATA_KEYS & set(keys)):
        return [node]
    return []


def html_fetched_urls(text):
    parser = FetchedUrls()
    parser.feed(text)
    return parser.urls


def fetched_urls(path):
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        return html_fetched_urls(text)
    if path.suffix in (".js", ".mjs"):
        return js_fetched_urls(text)
    if path.suffix == ".css":
        return CSS_URL.findall(text)
    return json_fetched_urls(json.loads(text))


def test_site_fetches_nothing_from_other_hosts():
    remote = {}
    for path in site_files(".html", ".js", ".mjs", ".css", ".json"):
        for url in fetched_urls(path):
            if re.match(r"(https?:)?//", url) and url not in NOT_FETCHED:
                remote.setdefault(url, str(path.relative_to(SITE)))
    assert not remote, "fetches from other hosts:\n" + "\n".join(f"  {url}  ({where})" for url, where in remote.items())


def test_pages_use_relative_urls_only():
    """Root-absolute URLs (/x) break when the site lives under a sub-path, as on GitHub Pages."""
    absolute = {}
    for path in site_files(".html"):
        if path.is_relative_to(LITE):
            continue  # JupyterLite's own pages: it resolves paths against its baseUrl "./"
        for url in html_fetched_urls(path.read_text(encoding="utf-8")):
            if url.startswith("/") and not url.startswith("//"):
                absolute.setdefault(url, str(path.relative_to(SITE)))
    assert not absolute, f"root-absolute URLs: {absolute}"


def kernel_settings():
    require_site()
    config = json.loads((LITE / "jupyter-lite.json").read_text())["jupyter-config-data"]
    return config["litePluginSettings"][KERNEL_SETTINGS]


def test_lite_config_never_falls_back_to_pypi():
    assert kernel_settings()["disablePyPIFallback"] is True


def test_lite_config_points_to_local_files():
    settings = kernel_settings()
    for url in [settings["pyodideUrl"], *settings["pipliteUrls"]]:
        assert url.startswith("./"), url
        assert (LITE / url.split("?")[0]).is_file(), f"{url} is not in the site"


def test_tinytorch_preloaded_from_lock_with_matching_sha256():
    assert "tinytorch" in kernel_settings()["loadPyodideOptions"]["packages"]
    entry = json.loads((PYODIDE / "pyodide-lock.json").read_text())["packages"]["tinytorch"]
    wheel = PYODIDE / entry["file_name"]
    assert hashlib.sha256(wheel.read_bytes()).hexdigest() == entry["sha256"]
    assert "tinytorch/__init__.py" in zipfile.ZipFile(wheel).namelist()


def test_every_shipped_pyodide_file_matches_lock_and_official_lock():
    require_site()
    shipped = json.loads((PYODIDE / "pyodide-lock.json").read_text())
    official = json.loads(OFFICIAL_LOCK.read_text())
    assert shipped["info"] == official["info"]
    for name, entry in shipped["packages"].items():
        path = PYODIDE / entry["file_name"]
        assert path.is_file(), f"{name}: {entry['file_name']} is in the lock but not in the site"
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], f"{name}: sha256 mismatch"
        if name in official["packages"]:
            assert entry == official["packages"][name], f"{name}: lock entry differs from the official lock"
        else:
            assert name in ADDED_TO_LOCK, f"{name}: not in the official lock, and not one we add"


def test_shipped_lock_covers_what_numpy_matplotlib_and_the_kernel_load():
    require_site()
    packages = json.loads((PYODIDE / "pyodide-lock.json").read_text())["packages"]
    names = {re.sub(r"[-_.]+", "-", name).lower() for name in packages}
    for name, entry in packages.items():
        missing = {re.sub(r"[-_.]+", "-", dep).lower() for dep in entry["depends"]} - names
        assert not missing, f"{name} depends on {missing}, which the site does not ship"
    assert {"numpy", "matplotlib", "micropip", "ipython", "ssl", "sqlite3"} <= names


def student_notebooks():
    """(page folder, notebook) for every student notebook: modules, then milestones."""
    notebooks = [*(("modules", path) for path in sorted(STUDENT_NOTEBOOKS.glob("*.ipynb"))),
                 *(("milestones", path) for path in sorted(STUDENT_NOTEBOOKS.glob("milestones/*.ipynb")))]
    assert notebooks, f"no notebooks in {STUDENT_NOTEBOOKS}: run the build first (bash scripts/test.sh does it)"
    return notebooks


def test_shipped_notebooks_use_the_pyodide_kernelspec():
    require_site()
    pages = [path for folder in ("modules", "milestones") for path in (ROOT / "book" / folder).glob("*.ipynb")]
    for path in [*(LITE / "files").rglob("*.ipynb"), *pages]:
        assert nbformat.read(path, as_version=4).metadata["kernelspec"]["name"] == "python", path


def test_each_notebook_page_runs_the_same_notebook_in_jupyterlite():
    for folder, notebook in student_notebooks():
        page = (SITE / folder / f"{notebook.stem}.html").read_text(encoding="utf-8")
        href = f"../lite/notebooks/index.html?path={notebook.name}"
        assert f'href="{href}"' in page and "Run in browser" in page, f"{notebook.stem}: no Run in browser button"
        shipped = json.loads((LITE / "files" / notebook.name).read_text())
        assert shipped == json.loads(notebook.read_text()), f"{notebook.name} in JupyterLite differs from the page's"


def test_mathjax_is_bundled_and_loaded_once():
    folder, notebook = student_notebooks()[0]
    page = (SITE / folder / f"{notebook.stem}.html").read_text(encoding="utf-8")
    scripts = html_fetched_urls(page)
    assert "../_static/mathjax/tex-chtml.js" in scripts
    assert not [url for url in scripts if "mathjax/" in url and not url.endswith("tex-chtml.js")]
    assert (SITE / "_static" / "mathjax" / "tex-chtml.js").is_file()


def test_offline_bundle_has_site_and_instructions():
    if not BUNDLE.exists():
        pytest.fail(f"no offline bundle {BUNDLE}: run the build first (bash scripts/test.sh does it)")
    with tarfile.open(BUNDLE) as bundle:
        names = set(bundle.getnames())
        readme = bundle.extractfile("tinytorch-site/README-OFFLINE.txt").read().decode()
    assert {"tinytorch-site/index.html", "tinytorch-site/lite/static/pyodide/pyodide.asm.wasm"} <= names
    assert "http.server" in readme
