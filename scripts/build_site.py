"""Build the offline course site: Jupyter Book pages + JupyterLite on a bundled Pyodide.

Inputs: the notebooks in build/notebooks/ (made by scripts/build_content.py: the student ones unless
TINYTORCH_SOLUTIONS=1), the tinytorch package, node_modules/ (npm ci: pyodide core, mathjax).
Outputs: book/_build/html/ (the site) and book/_build/tinytorch-site.tar.gz (the offline bundle).

Usage: python scripts/build_site.py
  TINYTORCH_SOLUTIONS=1   publish the reference notebooks and package source (instructors' build)
  TINYTORCH_RELEASE=NN    publish modules 01..NN only (see scripts/site_release.py)
"""

import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import nbformat

import fetch_pyodide
import site_release

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
HTML = BOOK / "_build" / "html"
BUNDLE = BOOK / "_build" / "tinytorch-site.tar.gz"
LITE_DIR = ROOT / "build" / "lite"  # jupyterlite_dir in book/_config.yml
LANDING_LISTS = ROOT / "build" / "landing"  # modules.md and milestones.md, included by book/intro.md
PAGE_SECTIONS = ["modules", "milestones"]  # book/ folders of generated pages, listed by book/_toc.yml
LAB_EXTENSIONS = Path(sys.prefix) / "share" / "jupyter" / "labextensions"  # installed by pip into .venv
KERNEL_EXTENSION = "@jupyterlite/pyodide-kernel-extension"
SHIPPED_LAB_EXTENSIONS = [KERNEL_EXTENSION, "jupyterlab_pygments"]
MATHJAX_BUNDLE = "tex-chtml.js"  # mathjax_path in book/_config.yml
KERNEL_NAME = "python"  # the Pyodide kernel's name: any other kernelspec makes JupyterLite ask for a kernel

TIERS = {
    "Foundation tier": ["01 Tensor", "02 Activations", "03 Layers", "04 Losses", "05 DataLoader",
                        "06 Autograd", "07 Optimizers", "08 Training"],
    "Architecture tier": ["09 Convolutions", "10 Tokenization", "11 Embeddings", "12 Attention",
                          "13 Transformers"],
    "Optimization tier": ["14 Profiling", "15 Quantization", "16 Compression", "17 Acceleration",
                          "18 Memoization", "19 Benchmarking"],
    "Capstone": ["20 Capstone"],
}
MILESTONES = ["1958 Perceptron: a single learned neuron (after module 04)",
              "1969 XOR: what one neuron cannot learn, solved with a multi-layer network (after 08)",
              "1986 MLP: a multi-layer perceptron reading handwritten digits (after 08)",
              "1998 CNN: a convolutional network beating the MLP on images (after 09)",
              "2017 Transformer: a small transformer generating coherent text on TinyTalks (after 13)",
              "2018 MLPerf-style benchmark: an optimized model submitted as a reproducible benchmark (after 20)"]

OFFLINE_README = """TinyTorch course site, offline copy
===================================

Browsers do not run JupyterLite (the in-browser notebooks) from file:// URLs, so serve this folder
over HTTP on your own machine; no internet connection is needed:

    cd tinytorch-site
    python -m http.server 8000 --bind 127.0.0.1

then open http://127.0.0.1:8000/ in your browser. Any static file server works the same way.
Notebooks you edit in JupyterLite are stored in your browser, not in this folder.
"""


def student_notebooks(release: site_release.Release) -> list[Path]:
    """The notebooks this build publishes, staged in build/site_notebooks/ (book/_config.yml ships them)."""
    notebooks = site_release.stage_notebooks(release, MILESTONES)
    if not notebooks:
        sys.exit(f"build_site: no notebooks in {site_release.NOTEBOOKS}; run scripts/build_content.py first.")
    for path in notebooks:
        kernel = nbformat.read(path, as_version=4).metadata.get("kernelspec", {}).get("name")
        if kernel != KERNEL_NAME:
            sys.exit(f"build_site: {path.name} has kernelspec {kernel!r}; the Pyodide kernel needs {KERNEL_NAME!r}.")
    return notebooks


def build_tinytorch_wheel(out_dir: Path) -> Path:
    # No build isolation: the build must work offline, with the setuptools installed in the venv.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out_dir), str(ROOT)], check=True)
    return next(out_dir.glob("tinytorch-*.whl"))


def prepare_lite_dir(release: site_release.Release) -> None:
    """build/lite/: what `jupyter lite build` adds to its defaults (Pyodide, wheels, settings)."""
    shutil.rmtree(LITE_DIR, ignore_errors=True)
    pyodide_dir = LITE_DIR / "static" / "pyodide"  # the pyodide kernel addon's well-known location
    fetch_pyodide.assemble(pyodide_dir)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_tinytorch_wheel(Path(tmp))
        if not release.solutions:
            site_release.without_reference_source(wheel)
        fetch_pyodide.add_wheel(pyodide_dir, wheel, "tinytorch", depends=["numpy"], imports=["tinytorch"])
    # The kernel piplite-installs these one after another at start unless loadPyodideOptions.packages
    # preloads them; as lock entries they load in parallel with the rest and no index lookup reaches PyPI.
    kernel_pypi = LAB_EXTENSIONS / KERNEL_EXTENSION / "static" / "pypi"
    kernel_wheels = [next(kernel_pypi.glob(f"{name}-*.whl")) for name in ("piplite", "ipykernel", "pyodide_kernel")]
    for wheel in [*kernel_wheels, fetch_pyodide.cached_wheel(fetch_pyodide.COMM_WHEEL)]:
        name = wheel.name.split("-")[0]
        fetch_pyodide.add_wheel(pyodide_dir, wheel, name, depends=[], imports=[name])
    shutil.copy2(ROOT / "lite_config.json", LITE_DIR / "jupyter-lite.json")
    # Only the extensions the site needs: others in the venv (jupytext's) target a newer JupyterLab and
    # break JupyterLite 0.6's notebook app.
    for name in SHIPPED_LAB_EXTENSIONS:
        shutil.copytree(LAB_EXTENSIONS / name, LITE_DIR / "labextensions" / name)
    build_options = {
        "LiteBuildConfig": {"no_sourcemaps": True, "ignore_sys_prefix": ["federated_extensions"]},
        "FederatedExtensionAddon": {"extra_labextensions_path": [str(LITE_DIR / "labextensions")]},
    }
    (LITE_DIR / "jupyter_lite_config.json").write_text(json.dumps(build_options, indent=2))


def prepare_pages(notebooks: list[Path]) -> None:
    """book/modules/ and book/milestones/: one page per student notebook (module or milestone)."""
    for section in PAGE_SECTIONS:
        shutil.rmtree(BOOK / section, ignore_errors=True)
        (BOOK / section).mkdir()
    for path in notebooks:
        shutil.copy2(path, BOOK / page_section(path) / path.name)
    published = {path.stem[:4] if page_section(path) == "milestones" else path.stem[:2]: path for path in notebooks}
    LANDING_LISTS.mkdir(parents=True, exist_ok=True)
    (LANDING_LISTS / "modules.md").write_text(landing_list(TIERS, published))
    (LANDING_LISTS / "milestones.md").write_text(landing_list({"": MILESTONES}, published))


def page_section(notebook: Path) -> str:
    return "milestones" if notebook.parent.name == "milestones" else "modules"


def landing_list(groups: dict[str, list[str]], published: dict[str, Path]) -> str:
    """A list for the landing page: published items link to their page, the others are plain text."""
    lines = []
    for title, items in groups.items():
        if title:
            lines.append(f"**{title}**\n")
        for item in items:
            key = item.split()[0]
            page = published.get(key)
            lines.append(f"- {{doc}}`{item} </{page_section(page)}/{page.stem}>`" if page else f"- {item}")
        lines.append("")
    return "\n".join(lines)


def build_book() -> None:
    shutil.rmtree(BOOK / "_build", ignore_errors=True)
    # A stale doit database makes `jupyter lite build` skip its config patches (pyodideUrl) on a rebuild.
    # jupyterlite-sphinx deletes it from the working directory after a build, hence cwd=BOOK.
    (BOOK / ".jupyterlite.doit.db").unlink(missing_ok=True)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    subprocess.run([str(jupyter_book), "build", ".", "--builder", "html"], check=True, cwd=BOOK)
    # After the build, so Jupyter Book does not add MathJax's many .js files to every page (_config.yml).
    # Of the combined bundles at the top, pages load only tex-chtml.js; it loads the rest from the folders.
    mathjax = ROOT / "node_modules" / "mathjax" / "es5"
    unused_bundles = [path.name for path in mathjax.glob("*.js") if path.name != MATHJAX_BUNDLE]
    shutil.copytree(mathjax, HTML / "_static" / "mathjax",
                    ignore=lambda folder, names: unused_bundles if Path(folder) == mathjax else [])


def write_bundle() -> None:
    with tarfile.open(BUNDLE, "w:gz") as bundle:
        bundle.add(HTML, arcname="tinytorch-site")
        readme = tarfile.TarInfo("tinytorch-site/README-OFFLINE.txt")
        data = OFFLINE_README.encode()
        readme.size = len(data)
        bundle.addfile(readme, io.BytesIO(data))


def main() -> None:
    release = site_release.release_from_environment()
    print(f"build_site: {release.describe()}")
    notebooks = student_notebooks(release)
    prepare_lite_dir(release)
    prepare_pages(notebooks)
    build_book()
    write_bundle()
    print(f"build_site: {len(notebooks)} notebook page(s) -> {HTML}\nbuild_site: offline bundle -> {BUNDLE}")
    print("build_site: to open the site, serve it (bash scripts/serve.sh, or python -m http.server in "
          f"{HTML}); JupyterLite does not run from a file:// address")


if __name__ == "__main__":
    main()
