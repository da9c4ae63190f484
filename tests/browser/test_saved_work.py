"""A learner's semester in the browser: saved work survives reloads and site updates, an update is announced
with a way to take it that keeps the learner's copy, "Download my work" and "Restore" round-trip, two courses
on one host keep separate storage, and checks run in JupyterLite show up on the progress page.

The built site is served twice by one local server, at /course-a/ and /course-b/ (one origin, two courses,
as two GitHub Pages sites of one user). A site update is simulated by serving changed bytes for the files a
rebuild changes: the notebook JupyterLite ships and the course map the pages read. Every request is recorded;
any request to another host fails the test. Screenshots go to build/e2e/.
"""

import copy
import functools
import http.server
import io
import json
import threading
import time
import zipfile
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from test_e2e import (CURRENT_NOTEBOOK_JS, DEFAULT_TIMEOUT_S, KERNEL_IDLE_JS, PROBE_JS, SCREENSHOTS, SITE,  # noqa: F401
                      QuietHandler, browser_profiles, lite_url_from_page)

NOTEBOOK = "01_tensor.ipynb"
PAGE = "modules/01_tensor"
MARKER = "# my own edit, kept across reloads\n"
MARKER_TEXT = MARKER.strip()  # as it appears in a notebook file, where the newline is escaped
NOTEBOOK_READY_JS = f"() => {{ const panel = {CURRENT_NOTEBOOK_JS}; return !!panel && !!panel.context && panel.context.isReady; }}"
FIRST_CODE_SOURCE_JS = f"""() => {{
    const cells = {CURRENT_NOTEBOOK_JS}.content.model.toJSON().cells;
    return [].concat(cells.find(cell => cell.cell_type === 'code').source).join('');
}}"""
ALL_SOURCES_JS = f"""() => {CURRENT_NOTEBOOK_JS}.content.model.toJSON().cells
    .map(cell => [].concat(cell.source).join('')).join('\\n')"""
EDIT_AND_SAVE_JS = f"""async (marker) => {{
    const panel = {CURRENT_NOTEBOOK_JS};
    const cell = panel.content.widgets.find(widget => widget.model.type === 'code');
    cell.model.sharedModel.setSource(marker + cell.model.sharedModel.getSource());
    await panel.context.save();  // the docmanager:save command never settles in headless JupyterLite 0.6
    return panel.context.model.dirty;
}}"""
STORED_PATHS_JS = "async () => (await window.TinyTorchStorage.listFiles()).map(file => file.path).sort()"
READ_STORED_JS = "async (path) => await window.TinyTorchStorage.readFile(path)"
READ_TEXT_JS = "async (path) => await window.TinyTorchStorage.readText(path)"
# The package's own (reference) Tensor passes Parts 1 and 2; a Tensor with a wrong matmul fails Part 3.
RUN_CHECKS_CODE = """
from tinytorch import Tensor
from tinytorch.checks.tensor import check_creation, check_arithmetic, check_matmul
check_creation(Tensor)
check_arithmetic(Tensor)
class WrongMatmul(Tensor):
    def __matmul__(self, other):
        return Tensor([[0.0]])
try:
    check_matmul(WrongMatmul)
except AssertionError as err:
    print("failed as expected:", err)
"""
UPDATE_NOTE = "## What's new in this version\n"


class CourseHandler(QuietHandler):
    """Serves the course root; `overrides` maps a URL path to the bytes served instead (a site update)."""
    overrides: dict[str, bytes] = {}

    def do_GET(self):
        body = self.overrides.get(urlparse(self.path).path)
        if body is None:
            return super().do_GET()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def courses(tmp_path_factory):
    """{"a": base URL, "b": base URL, "overrides": dict}: the built site at /course-a/ and /course-b/."""
    if not (SITE / "lite" / "jupyter-lite.json").exists():
        pytest.fail(f"no built site in {SITE}: run the build first (bash scripts/test.sh does it)")
    root = tmp_path_factory.mktemp("courses")
    for name in ("course-a", "course-b"):
        (root / name).symlink_to(SITE, target_is_directory=True)
    handler = type("Handler", (CourseHandler,), {"overrides": {}})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    yield {"a": urljoin(base, "course-a/"), "b": urljoin(base, "course-b/"), "overrides": handler.overrides}
    server.shutdown()


@pytest.fixture(scope="module")
def learner(browser_profiles, courses):
    """One browser profile for the whole semester, and every URL it requested."""
    context, _ = browser_profiles("saved-work")
    requests = []
    context.on("request", lambda request: requests.append(request.url))
    yield context, requests
    foreign = sorted({url for url in requests if urlparse(url).scheme in ("http", "https", "ws", "wss")
                      and urlparse(url).netloc != urlparse(courses["a"]).netloc})
    assert not foreign, f"requests to other hosts: {foreign}"


def open_lite(page, url, wait_for_kernel=False):
    started = time.monotonic()
    page.goto(url)
    page.wait_for_function(KERNEL_IDLE_JS if wait_for_kernel else NOTEBOOK_READY_JS,
                           timeout=DEFAULT_TIMEOUT_S * 1000, polling=200)
    return time.monotonic() - started


def run_in_kernel(page, code, timeout_s=120):
    """PROBE_JS with a time limit: a kernel stuck on a file write fails the test instead of hanging it."""
    page.evaluate(f"(code) => {{ window.__printed = null; ({PROBE_JS})(code).then(text => {{ window.__printed = text; }}); }}",
                  code)
    page.wait_for_function("() => window.__printed !== null", timeout=timeout_s * 1000, polling=250)
    return page.evaluate("() => window.__printed")


def wait_for_stored(page, path, predicate, what, timeout_s=30):
    """Polls the course's IndexedDB from a book page until the stored text at `path` satisfies `predicate`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        record = page.evaluate(READ_TEXT_JS, path)
        if record is not None and predicate(record):
            return record
        page.wait_for_timeout(250)
    pytest.fail(f"{what}: not in the browser's storage after {timeout_s} s (last record: {str(record)[:300]})")


def recorded_checks(text):
    """The checks in the stored tinytorch-progress.json (the kernel's write is stored as base64)."""
    return json.loads(text)["checks"]


def simulate_site_update(courses):
    """What a rebuild with a changed 01_tensor source serves at /course-a/: a new notebook version with a new
    cell, and the course map listing that version."""
    notebook = json.loads((SITE / "lite" / "files" / NOTEBOOK).read_text(encoding="utf-8"))
    old_version = notebook["metadata"]["tinytorch"]["version"]
    updated = copy.deepcopy(notebook)
    updated["metadata"]["tinytorch"]["version"] = new_version = "0123456789ab"
    updated["cells"].insert(0, {"cell_type": "markdown", "id": "whats-new", "metadata": {}, "source": UPDATE_NOTE})
    course = json.loads((SITE / "_static" / "tinytorch-course.json").read_text(encoding="utf-8"))
    course["notebooks"][NOTEBOOK]["version"] = new_version
    prefix = urlparse(courses["a"]).path
    courses["overrides"][f"{prefix}lite/files/{NOTEBOOK}"] = json.dumps(updated).encode()
    courses["overrides"][f"{prefix}_static/tinytorch-course.json"] = json.dumps(course).encode()
    assert old_version != new_version
    return new_version


def test_a_semester_of_saved_work(courses, learner, tmp_path):
    context, _ = learner
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    book = context.new_page()
    lite = context.new_page()

    # Open the notebook from its page, edit a cell, save, reload: the edit is kept.
    lite_url = lite_url_from_page(book, courses["a"], PAGE)
    cold = open_lite(lite, lite_url, wait_for_kernel=True)
    print(f"\ncold start: page open -> kernel idle {cold:.1f} s")
    assert lite.evaluate(EDIT_AND_SAVE_JS, MARKER) is False, "the notebook is still dirty after saving"
    lite.reload()
    lite.wait_for_function(NOTEBOOK_READY_JS, timeout=DEFAULT_TIMEOUT_S * 1000, polling=200)
    assert lite.evaluate(FIRST_CODE_SOURCE_JS).startswith(MARKER), "the saved edit is gone after a reload"

    # Checks run in the browser are recorded, and the pages show them.
    lite.wait_for_function(KERNEL_IDLE_JS, timeout=DEFAULT_TIMEOUT_S * 1000, polling=200)
    printed = run_in_kernel(lite, RUN_CHECKS_CODE)
    assert "✅ Part 1" in printed and "✅ Part 2" in printed and "failed as expected: Part 3" in printed, printed
    # A later run rewrites the record again (truncating a drive file used to block the kernel here).
    assert "✅ Part 1" in run_in_kernel(lite, "check_creation(Tensor)", timeout_s=30)
    book.goto(urljoin(courses["a"], "my_work.html"))
    wait_for_stored(book, "tinytorch-progress.json", lambda record: len(recorded_checks(record)) == 3,
                    "the three check outcomes")
    book.goto(urljoin(courses["a"], "progress.html"))
    book.wait_for_selector(f'.tinytorch-module-parts[data-notebook="{NOTEBOOK}"]')
    passed = book.eval_on_selector_all(f'.tinytorch-module-parts[data-notebook="{NOTEBOOK}"] li',
                                       "items => items.map(item => [item.dataset.check, item.dataset.passed])")
    assert passed[:3] == [["tensor.check_creation", "true"], ["tensor.check_arithmetic", "true"],
                          ["tensor.check_matmul", "false"]], passed
    node_class = book.get_attribute(f'.learning-path .path-node[data-notebook="{NOTEBOOK}"]', "class")
    assert "started" in node_class.split(), node_class
    assert "not-started" in book.get_attribute('.learning-path .path-node[data-notebook="02_activations.ipynb"]', "class")
    book.screenshot(path=SCREENSHOTS / "saved-work-progress.png", full_page=True)
    book.goto(urljoin(courses["a"], f"{PAGE}.html"))
    line = book.wait_for_selector(".tinytorch-module-progress")
    assert line.inner_text().startswith("Your progress: 2 of 6 parts passed"), line.inner_text()
    assert book.query_selector(".tinytorch-update-notice") is None, "an update notice before any update"

    # The site is updated: the learner's copy still opens, and the module page says a new version exists.
    simulate_site_update(courses)
    # The learner comes back after the browser's HTTP cache of the old files expired (GitHub Pages: 10 min).
    context.new_cdp_session(book).send("Network.clearBrowserCache")
    lite.reload()
    lite.wait_for_function(NOTEBOOK_READY_JS, timeout=DEFAULT_TIMEOUT_S * 1000, polling=200)
    assert lite.evaluate(FIRST_CODE_SOURCE_JS).startswith(MARKER), "the site update hid the learner's edit"
    book.reload()
    notice = book.wait_for_selector(".tinytorch-update-notice")
    assert "updated" in notice.inner_text(), notice.inner_text()
    book.screenshot(path=SCREENSHOTS / "saved-work-update-notice.png")

    # One click: the learner's copy is renamed, the new version opens; both exist.
    with context.expect_page() as opened:
        book.click("text=Open the new version (keep my copy)")
    new_tab = opened.value
    new_tab.wait_for_function(NOTEBOOK_READY_JS, timeout=DEFAULT_TIMEOUT_S * 1000, polling=200)
    new_sources = new_tab.evaluate(ALL_SOURCES_JS)
    assert UPDATE_NOTE.strip() in new_sources and MARKER not in new_sources, "the new version did not open"
    kept = [path for path in book.evaluate(STORED_PATHS_JS) if path.startswith("01_tensor (my copy from ")]
    assert len(kept) == 1, book.evaluate(STORED_PATHS_JS)
    kept_notebook = book.evaluate(READ_STORED_JS, kept[0])
    assert "".join(kept_notebook["content"]["cells"][
        next(i for i, c in enumerate(kept_notebook["content"]["cells"]) if c["cell_type"] == "code")]["source"]
    ).startswith(MARKER)
    assert kept[0] in book.inner_text(".tinytorch-update-notice"), "the notice does not say where the copy went"
    new_tab.close()
    lite.close()

    # Download my work, lose the browser's storage, restore: the edits are back.
    book.goto(urljoin(courses["a"], "my_work.html"))
    book.wait_for_selector(".tinytorch-file-list table")
    persistence = book.wait_for_selector(".tinytorch-persistence[data-persisted]")
    print(f"storage persistence granted to the headless browser: {persistence.get_attribute('data-persisted')} "
          f"({persistence.inner_text()})")
    with book.expect_download() as downloading:
        book.click("text=Download my work")
    archive = tmp_path / downloading.value.suggested_filename
    downloading.value.save_as(archive)
    with zipfile.ZipFile(archive) as downloaded:
        names = downloaded.namelist()
        assert kept[0] in names and "tinytorch-progress.json" in names, names
        assert MARKER_TEXT in downloaded.read(kept[0]).decode()
    cdp = context.new_cdp_session(book)
    cdp.send("Storage.clearDataForOrigin", {"origin": courses["a"].rstrip("/").rsplit("/", 1)[0], "storageTypes": "all"})
    book.reload()
    book.wait_for_selector("text=No saved work in this browser yet")
    book.set_input_files("#tinytorch-restore-file", str(archive))
    book.wait_for_selector(".tinytorch-result li")
    assert book.evaluate(STORED_PATHS_JS) == sorted(names)
    report = book.eval_on_selector_all(".tinytorch-result li", "items => items.map(item => item.textContent)")
    assert all(": restored" in line for line in report), report

    # Restoring never overwrites: the same file again changes nothing; a different one gets a new name.
    book.set_input_files("#tinytorch-restore-file", str(archive))
    book.wait_for_selector(".tinytorch-result li")
    report = book.eval_on_selector_all(".tinytorch-result li", "items => items.map(item => item.textContent)")
    assert all("already here, unchanged" in line for line in report), report
    changed = tmp_path / "changed.zip"
    with zipfile.ZipFile(archive) as original, zipfile.ZipFile(changed, "w", zipfile.ZIP_DEFLATED) as rezipped:
        for name in original.namelist():
            data = original.read(name)
            rezipped.writestr(name, data.replace(MARKER_TEXT.encode(), b"# a different edit") if name == kept[0] else data)
    book.set_input_files("#tinytorch-restore-file", str(changed))
    book.wait_for_selector(f'.tinytorch-result li[data-path="{kept[0]}"]')
    restored_as = book.get_attribute(f'.tinytorch-result li[data-path="{kept[0]}"]', "data-restored-as")
    assert restored_as != kept[0] and "(restored " in restored_as, restored_as
    assert MARKER_TEXT in json.dumps(book.evaluate(READ_STORED_JS, kept[0])["content"]), "restore overwrote the learner's copy"
    book.screenshot(path=SCREENSHOTS / "saved-work-my-work.png", full_page=True)

    # JupyterLite opens the restored notebook with the edit, and the progress came back with it.
    lite = context.new_page()
    open_lite(lite, urljoin(courses["a"], f"lite/notebooks/index.html?path={kept[0]}"))
    assert lite.evaluate(FIRST_CODE_SOURCE_JS).startswith(MARKER), "the restored notebook lost the edit"
    lite.close()
    book.goto(urljoin(courses["a"], f"{PAGE}.html"))
    assert book.wait_for_selector(".tinytorch-module-progress").inner_text().startswith("Your progress: 2 of 6")

    # The second course on the same origin sees none of it.
    book.goto(urljoin(courses["b"], "my_work.html"))
    book.wait_for_selector("text=No saved work in this browser yet")
    other = context.new_page()
    open_lite(other, urljoin(courses["b"], f"lite/notebooks/index.html?path={NOTEBOOK}"))
    assert not other.evaluate(FIRST_CODE_SOURCE_JS).startswith(MARKER), "course B shows course A's edit"
    names = {"b": book.evaluate("async () => await window.TinyTorchStorage.storageName()")}
    book.goto(urljoin(courses["a"], "my_work.html"))
    names["a"] = book.evaluate("async () => await window.TinyTorchStorage.storageName()")
    databases = book.evaluate("async () => (await indexedDB.databases()).map(database => database.name)")
    print(f"storage of the two courses: {names}; databases on the origin: {databases}")
    assert names["a"] != names["b"] and {names["a"], names["b"]} <= set(databases), (names, databases)
    other.close()
    book.close()
