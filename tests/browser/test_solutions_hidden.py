"""In the student site a learner cannot read the reference solutions, and the package still runs as before.

The wheel ships tinytorch/core and tinytorch/checks as bytecode (scripts/site_release.py); here, in the
browser, `inspect.getsource` finds nothing while the same objects and checks work. Reuses test_e2e's
fixtures (a local server, a fresh Chromium profile, any request to another host fails).
"""

from urllib.parse import urlparse

import pytest

from test_e2e import (DEFAULT_TIMEOUT_S, KERNEL_IDLE_JS, SITE, browser_page, browser_profiles,  # noqa: F401
                      lite_url_from_page, notebook, serve)

# Runs code on the notebook's kernel and returns what went to stdout and stderr, and any error, apart.
RUN_JS = """async (code) => {
    const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const future = kernel.requestExecute({code});
    const out = {stdout: '', stderr: '', error: ''};
    future.onIOPub = (msg) => {
        const c = msg.content;
        if (msg.header.msg_type === 'stream') out[c.name] += c.text;
        if (msg.header.msg_type === 'error') out.error += c.ename + ': ' + c.evalue;
    };
    await future.done;
    return out;
}"""

READ_THE_SOLUTION = '''
import inspect
import tinytorch
from tinytorch.checks.tensor import check_arithmetic

for name, target in [("Tensor", tinytorch.Tensor), ("Tensor.__add__", tinytorch.Tensor.__add__),
                     ("check_arithmetic", check_arithmetic), ("tinytorch.core.tensor", tinytorch.core.tensor)]:
    try:
        inspect.getsource(target)
        print("source shown:", name)
    except OSError as err:
        print("hidden:", name, "-", err)
print("runs:", tinytorch.Tensor([1.0]) + 1)
check_arithmetic(tinytorch.Tensor)
'''


@pytest.fixture(scope="module")
def student_site(serve):
    if not (SITE / "lite" / "jupyter-lite.json").exists():
        pytest.fail(f"no built site in {SITE}: run the build first (bash scripts/test.sh does it)")
    return serve(SITE)


def open_notebook(page, base_url, page_path):
    page.goto(lite_url_from_page(page, base_url, page_path))
    page.wait_for_function(KERNEL_IDLE_JS, timeout=DEFAULT_TIMEOUT_S * 1000, polling=200)


def assert_local_only(requests, base_url):
    foreign = sorted({url for url in requests if urlparse(url).scheme in ("http", "https", "ws", "wss")
                      and urlparse(url).netloc != urlparse(base_url).netloc})
    assert not foreign, f"requests to other hosts: {foreign}"


@pytest.mark.parametrize("notebook_id", ["student/01_tensor"])
def test_the_student_site_hides_the_reference_source_and_still_runs_it(notebook_id, notebook, student_site,
                                                                        browser_page):
    _, page_path, _ = notebook
    page, _, requests = browser_page
    open_notebook(page, student_site, page_path)
    shown = page.evaluate(RUN_JS, READ_THE_SOLUTION)
    print(f"\nwhat a learner trying to read the solution sees:\n{shown['stdout']}{shown['stderr']}{shown['error']}")
    assert not shown["error"], shown
    for name in ("Tensor", "Tensor.__add__", "check_arithmetic", "tinytorch.core.tensor"):
        assert f"hidden: {name} -" in shown["stdout"], f"{name}: source readable in the student site:\n{shown}"
    assert "runs: tensor([2.])" in shown["stdout"], shown
    assert "✅" in shown["stdout"], f"the module's check does not pass on the reference Tensor:\n{shown}"
    assert_local_only(requests, student_site)


@pytest.mark.parametrize("notebook_id", ["student/08_training"])
def test_importing_matplotlib_writes_nothing_to_stderr(notebook_id, notebook, student_site, browser_page):
    """A fresh kernel builds matplotlib's font list; its notice went to stderr, which JupyterLite shows in a
    red box. The notebooks import tinytorch first, as here."""
    _, page_path, _ = notebook
    page, _, requests = browser_page
    open_notebook(page, student_site, page_path)
    shown = page.evaluate(RUN_JS, "import tinytorch\nimport matplotlib.pyplot as plt\n"
                                  "plt.plot([0, 1], [1, 0])\nprint('plotted')")
    print(f"\nimporting matplotlib in a fresh kernel: {shown}")
    assert not shown["error"], shown
    assert "plotted" in shown["stdout"], shown
    assert shown["stderr"] == "", f"stderr (a red box in JupyterLite): {shown['stderr']!r}"
    assert_local_only(requests, student_site)
