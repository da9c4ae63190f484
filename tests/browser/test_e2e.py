"""End to end: every notebook runs in JupyterLite on the built site, in headless Chromium, fully offline.

Student notebooks are opened the way a learner opens them: from their module page's "Run in browser"
button. The site ships only student notebooks, so reference notebooks run on a second JupyterLite build
made from the same lite directory (same Pyodide, wheels and settings) with the reference notebooks as its
contents. Every request is recorded; any request to a host other than the local server fails the test.
Screenshots go to build/e2e/.
"""

import functools
import re
import http.server
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from playwright.sync_api import sync_playwright

from tinytorch.capstone import load_submission

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "book" / "_build" / "html"
LITE_DIR = ROOT / "build" / "lite"
NOTEBOOKS = ROOT / "build" / "notebooks"
SCREENSHOTS = ROOT / "build" / "e2e"
CHROMIUM = "/usr/lib/chromium/chromium-headless-shell"  # Debian's; the full chromium calls Google by itself
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--no-proxy-server"]  # the site is on 127.0.0.1; nothing may go through a proxy either
KINDS = ["student", "reference"]
DEFAULT_TIMEOUT_S = 240
TIMEOUT_S = {}  # per-notebook budgets for long notebooks, e.g. {"reference/milestones/1998_cnn": 900}

# JupyterLite exposes its app as window.jupyterapp because lite_config.json sets exposeAppInBrowser.
CURRENT_NOTEBOOK_JS = "window.jupyterapp && window.jupyterapp.shell.currentWidget"
KERNEL_IDLE_JS = f"""() => {{
    const panel = {CURRENT_NOTEBOOK_JS};
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
        && panel.sessionContext.session.kernel;
    return !!kernel && kernel.status === 'idle';
}}"""
# Not awaited: the command's promise settles only when every cell has finished.
START_RUN_ALL_JS = """() => {
    window.__runAll = null;
    window.jupyterapp.commands.execute('notebook:run-all-cells')
        .then(() => { window.__runAll = 'done'; }, (err) => { window.__runAll = 'failed: ' + err; });
}"""
CELLS_JS = f"""() => {{
    const cells = {CURRENT_NOTEBOOK_JS}.content.model.toJSON().cells;
    return cells.filter(cell => cell.cell_type === 'code')
                .map(cell => ({{source: [].concat(cell.source).join(''), outputs: cell.outputs}}));
}}"""
# For the screenshot: the first error (student notebooks) or the first output (reference notebooks).
SCROLL_TO_FIRST_OUTPUT_JS = f"""async (wantError) => {{
    const notebook = {CURRENT_NOTEBOOK_JS}.content;
    const index = notebook.model.toJSON().cells.findIndex(cell => (cell.outputs || []).some(
        output => !wantError || output.output_type === 'error'));
    if (index >= 0) {{
        notebook.activeCellIndex = index;
        await notebook.scrollToItem(index, 'start');
    }}
}}"""
FIRST_OUTPUT_JS = f"() => ({CELLS_JS})().some(cell => cell.outputs.length > 0)"
PROBE_CODE = "import numpy as np, tinytorch; print('probe', int(np.arange(6).reshape(2, 3).sum()), tinytorch.__version__)"
# Runs a cell-less request on the notebook's kernel and returns what it printed.
PROBE_JS = f"""async (code) => {{
    const kernel = {CURRENT_NOTEBOOK_JS}.sessionContext.session.kernel;
    const future = kernel.requestExecute({{code}});
    let text = '';
    future.onIOPub = (msg) => {{
        const c = msg.content;
        if (c.text) text += c.text;
        if (c.ename) text += c.ename + ': ' + c.evalue;
    }};
    await future.done;
    return text;
}}"""


def notebook_paths(kind):
    """Modules, then milestones (build/notebooks/KIND/milestones/)."""
    return sorted((NOTEBOOKS / kind).glob("*.ipynb")) + sorted((NOTEBOOKS / kind).glob("milestones/*.ipynb"))


def notebook_ids():
    return [f"{kind}/{path.relative_to(NOTEBOOKS / kind).with_suffix('')}" for kind in KINDS
            for path in notebook_paths(kind)]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def serve():
    """serve(directory) -> base URL of a static server on 127.0.0.1 with a free port."""
    servers = []

    def start(directory: Path) -> str:
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(directory)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"
    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture(scope="module")
def sites(serve, tmp_path_factory):
    """Base URLs: the built site (student notebooks) and a reference JupyterLite from the same lite dir."""
    if not (SITE / "lite" / "jupyter-lite.json").exists():
        pytest.fail(f"no built site in {SITE}: run the build first (bash scripts/test.sh does it)")
    reference_root = tmp_path_factory.mktemp("reference-site")
    contents = [arg for path in notebook_paths("reference") for arg in ("--contents", str(path))]
    subprocess.run(
        [sys.executable, "-m", "jupyter", "lite", "build", "--lite-dir", str(LITE_DIR),
         "--config", str(LITE_DIR / "jupyter_lite_config.json"), "--apps", "notebooks", *contents,
         "--output-dir", str(reference_root / "lite")],
        check=True, capture_output=True, cwd=reference_root)
    return {"student": serve(SITE), "reference": serve(reference_root)}


@pytest.fixture(scope="module")
def browser_profiles(tmp_path_factory):
    """profile(kind) -> (browser context, cold): one fresh Chromium profile per kind of notebook. Its first
    notebook is a true cold start; the next ones reuse the browser cache, like a learner's next module."""
    with sync_playwright() as playwright:
        contexts = {}

        def profile(kind):
            cold = kind not in contexts
            if cold:
                contexts[kind] = playwright.chromium.launch_persistent_context(
                    str(tmp_path_factory.mktemp(f"profile-{kind}")), executable_path=CHROMIUM,
                    args=CHROMIUM_ARGS, headless=True, viewport={"width": 1280, "height": 900})
            return contexts[kind], cold
        yield profile
        for context in contexts.values():
            context.close()


@pytest.fixture
def notebook(notebook_id):
    """(kind, page path without suffix: modules/NN_name or milestones/YEAR_name, notebook file)."""
    if notebook_id == "missing":
        pytest.fail(f"no notebooks in {NOTEBOOKS}: run the build first (bash scripts/test.sh does it)")
    kind, relative = notebook_id.split("/", 1)
    page = relative if relative.startswith("milestones/") else f"modules/{relative}"
    return kind, page, NOTEBOOKS / kind / f"{relative}.ipynb"


@pytest.fixture
def browser_page(browser_profiles, notebook):
    """A new tab, whether this is the profile's cold start, and every URL requested while the test runs."""
    context, cold = browser_profiles(notebook[0])
    requests = []
    record = lambda request: requests.append(request.url)  # noqa: E731
    context.on("request", record)
    page = context.new_page()
    yield page, cold, requests
    page.close()
    context.remove_listener("request", record)


def lite_url_from_page(page, base_url, page_path):
    """Open the notebook's page and follow its "Run in browser" button (it opens a new tab; we stay in one)."""
    page.goto(urljoin(base_url, f"{page_path}.html"))
    button = page.get_by_role("link", name="Run in browser")
    button.wait_for()
    page.screenshot(path=SCREENSHOTS / f"{page_path.replace('/', '-')}-page.png")
    return urljoin(page.url, button.get_attribute("href"))


def error_text(output):
    ename = re.sub(r"^<class '(.*)'>$", r"\1", output["ename"])  # the Pyodide kernel sends "<class 'X'>"
    return f"{ename}: {output['evalue']}"


@pytest.mark.parametrize("notebook_id", notebook_ids() or ["missing"])
def test_notebook_runs_in_jupyterlite(notebook_id, notebook, sites, browser_page):
    kind, page_path, source = notebook
    name = source.stem
    text = source.read_text(encoding="utf-8")
    # Student notebooks with exercises fail their checks until solved; milestones have none and must pass.
    expect_hints = kind == "student" and "NotImplementedError" in text
    has_checks = "tinytorch.checks" in text
    page, cold, requests = browser_page
    timeout_ms = TIMEOUT_S.get(notebook_id, DEFAULT_TIMEOUT_S) * 1000
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base_url = sites[kind]
    if kind == "student":
        lite_url = lite_url_from_page(page, base_url, page_path)
    else:  # all notebooks are at JupyterLite's top level, as on the site
        lite_url = urljoin(base_url, f"lite/notebooks/index.html?path={name}.ipynb")

    opened = time.monotonic()
    page.goto(lite_url)
    page.wait_for_function(KERNEL_IDLE_JS, timeout=timeout_ms, polling=200)
    kernel_ready = time.monotonic()
    page.evaluate(START_RUN_ALL_JS)
    page.wait_for_function(FIRST_OUTPUT_JS, timeout=timeout_ms, polling=100)
    first_output = time.monotonic()
    page.wait_for_function("() => window.__runAll !== null", timeout=timeout_ms, polling=250)
    finished = time.monotonic()
    assert page.evaluate("() => window.__runAll") == "done"
    page.evaluate(SCROLL_TO_FIRST_OUTPUT_JS, expect_hints)
    page.wait_for_timeout(500)  # let the notebook render the cells scrolled into view
    page.screenshot(path=SCREENSHOTS / f"{kind}-{name}-lite.png")
    start = "cold start" if cold else "warm start (browser cache)"
    print(f"\n{notebook_id}: {start}: page open -> first cell output {first_output - opened:.1f} s "
          f"(kernel idle {kernel_ready - opened:.1f} s); run all {finished - kernel_ready:.1f} s")

    foreign = sorted({url for url in requests
                      if urlparse(url).scheme in ("http", "https", "ws", "wss")
                      and urlparse(url).netloc != urlparse(base_url).netloc})
    assert not foreign, f"requests to other hosts: {foreign}"

    probe = page.evaluate(PROBE_JS, PROBE_CODE)
    assert probe.startswith("probe 15 "), f"numpy/tinytorch probe printed {probe!r}"

    cells = page.evaluate(CELLS_JS)
    outputs = [output for cell in cells for output in cell["outputs"]]
    errors = [error_text(output) for output in outputs if output["output_type"] == "error"]
    printed = "".join("".join(output.get("text", "")) for output in outputs if output["output_type"] == "stream")
    for line in printed.splitlines():
        if line.startswith("RESULT"):  # a milestone's measured outcome, as run in the browser
            print(f"{notebook_id} in the browser: {line}")
    if not expect_hints:
        assert not errors, f"{kind} notebook raised: {errors}"
        assert "✅" in printed or not has_checks, "no check printed a ✅ line"
    else:
        assert errors, "the student notebook's checks should fail before the stubs are implemented"
        for error in errors:
            assert error.startswith(("AssertionError", "NotImplementedError")), error
            assert "hint" in error.lower() or "implement" in error.lower(), error
    if page_path.startswith("milestones/") and "save_submission(" in text:  # the MLPerf-style milestone
        keep_browser_submissions(page, f"{kind}-{name}")


SUBMISSIONS_CODE = """
import glob, os
for path in sorted(glob.glob(os.path.join(os.environ.get('TINYTORCH_SUBMISSIONS', 'submissions'), '*.json'))):
    print('SUBMISSION', os.path.basename(path), open(path).read().replace(chr(10), ' '))
"""


def keep_browser_submissions(page, prefix):
    """The submissions a notebook saved in the browser's storage: each must be valid and name this browser
    (runtime pyodide, Chromium's user agent); they are kept in build/e2e/submissions/ (scripts/
    build_submissions_page.py --add puts one on the book's page)."""
    lines = [line for line in page.evaluate(PROBE_JS, SUBMISSIONS_CODE).splitlines() if line.startswith("SUBMISSION ")]
    assert lines, "the notebook saved no submission in the browser's storage"
    folder = SCREENSHOTS / "submissions"
    folder.mkdir(parents=True, exist_ok=True)
    for line in lines:
        _, filename, document = line.split(" ", 2)
        path = folder / f"{prefix}-{filename}"
        path.write_text(document, encoding="utf-8")
        doc = load_submission(path)  # validates against the schema, naming any field at fault
        assert doc["system"]["runtime"] == "pyodide" and "Chrome" in (doc["system"]["user_agent"] or ""), doc["system"]
        print(f"{prefix}: browser submission {doc['task']}: {doc['quality']['metric']} {doc['quality']['value']:.4f}, "
              f"p50 {doc['latency']['p50_ms']:.3f} ms -> {path.relative_to(ROOT)}")


CRASH_IN_LEARNER_CODE = '''
from tinytorch.checks.activations import check_relu
from tinytorch.nn import Module


class ReLUWithATypo(Module):
    def forward(self, input):
        return input.data.maximun(0)  # the learner's typo


check_relu(ReLUWithATypo)
'''


@pytest.mark.parametrize("notebook_id", ["student/02_activations"])
def test_a_crash_in_learner_code_shows_the_learners_line_in_jupyterlite(notebook_id, notebook, sites, browser_page):
    """Issue 9: the message must show the learner's own line in JupyterLite's IPython (Pyodide), not only under
    CPython, and no frame of the check or the package."""
    kind, page_path, _ = notebook
    page, _, _ = browser_page
    page.goto(lite_url_from_page(page, sites[kind], page_path))
    page.wait_for_function(KERNEL_IDLE_JS, timeout=DEFAULT_TIMEOUT_S * 1000, polling=200)
    shown = page.evaluate(PROBE_JS, CRASH_IN_LEARNER_CODE)
    print(f"\nwhat the learner sees:\n{shown}")
    assert "Part 1 · ReLU: your code raised AttributeError" in shown, shown
    assert "return input.data.maximun(0)" in shown, f"the learner's failing line is not shown:\n{shown}"
    assert "tinytorch/" not in shown, f"a frame inside the package is shown:\n{shown}"
