"""Own mode in JupyterLite: the kernel sees the learner's notebooks in the browser's drive, and the switch
file written there persists across kernel restarts.

The reference JupyterLite (test_e2e's `sites` fixture) plays a learner who finished every module: its drive
holds the reference notebooks. The test switches own mode on, restarts the kernel, shows that
`tinytorch.Tensor` is now the class written in 01_tensor.ipynb (its source file is the notebook in the
drive), then switches back.
"""
import time

import pytest

from test_e2e import (DEFAULT_TIMEOUT_S, KERNEL_IDLE_JS, NOTEBOOKS, PROBE_JS, browser_page, browser_profiles,  # noqa: F401
                      serve, sites)

RESTART_JS = "async () => { await window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.restart(); }"
SWITCH_FILE_JS = """async () => {
    try { await window.jupyterapp.serviceManager.contents.get('tinytorch-own.json'); return true; }
    catch (err) { return false; }
}"""
WHERE_TENSOR_COMES_FROM = "import inspect, tinytorch; print('Tensor from', inspect.getsourcefile(tinytorch.Tensor))"


@pytest.fixture
def notebook():
    """browser_page's notebook: the reference 01 notebook, opened in the reference JupyterLite."""
    return "reference", "modules/01_tensor", NOTEBOOKS / "reference" / "01_tensor.ipynb"


def restart_kernel(page):
    page.evaluate(RESTART_JS)
    page.wait_for_function(KERNEL_IDLE_JS, timeout=DEFAULT_TIMEOUT_S * 1000, polling=200)


def test_own_mode_loads_the_learners_notebooks_from_the_drive(sites, browser_page):
    page, _, requests = browser_page
    page.goto(sites["reference"] + "lite/notebooks/index.html?path=01_tensor.ipynb")
    page.wait_for_function(KERNEL_IDLE_JS, timeout=DEFAULT_TIMEOUT_S * 1000, polling=200)

    drive = page.evaluate(PROBE_JS, "import os; print(os.getcwd(), '01_tensor.ipynb' in os.listdir('.'))")
    assert drive.strip() == "/drive True", f"the kernel should run in the drive holding the notebooks: {drive!r}"

    switched = page.evaluate(PROBE_JS, "import tinytorch; tinytorch.use_my_modules()")
    assert "Own mode is on" in switched and "Restart the kernel" in switched, switched
    assert page.evaluate(SWITCH_FILE_JS), "the switch file should be in JupyterLite's drive"

    restart_kernel(page)
    started = time.monotonic()
    shown = page.evaluate(PROBE_JS, WHERE_TENSOR_COMES_FROM)
    print(f"\nown mode: import tinytorch with all 20 modules loaded from the drive and checked: "
          f"{time.monotonic() - started:.1f} s\n{shown}")
    assert "yours: 01 Tensor · 02 Activations" in shown and "20 Capstone" in shown, shown
    assert "reference: none" in shown, shown
    assert "Tensor from /drive/01_tensor.ipynb" in shown, shown

    switched = page.evaluate(PROBE_JS, "tinytorch.use_reference()")
    assert "Own mode is off" in switched, switched
    assert not page.evaluate(SWITCH_FILE_JS), "use_reference() should delete the switch file from the drive"
    restart_kernel(page)
    started = time.monotonic()
    shown = page.evaluate(PROBE_JS, WHERE_TENSOR_COMES_FROM)
    print(f"reference mode: import tinytorch: {time.monotonic() - started:.1f} s")
    assert "own mode" not in shown and "Tensor from /lib/python3.12/site-packages/tinytorch/core/tensor.py" in shown, shown

    foreign = sorted({url for url in requests if url.startswith(("http", "ws"))
                      and not url.startswith(sites["reference"].replace("http", "ws", 1))
                      and not url.startswith(sites["reference"])})
    assert not foreign, f"requests to other hosts: {foreign}"
