// Compile Python files to bytecode with the Python that runs them: Pyodide's own CPython (3.12 in Pyodide
// 0.27.7, from node_modules/pyodide), so the .pyc magic number always matches the site's runtime, whatever
// Python the build machine has. Offline: the npm package holds the whole runtime and standard library.
//
// Usage: node scripts/pyodide_bytecode.mjs SITE_PACKAGES_DIR FILE.py...
//   SITE_PACKAGES_DIR is a folder laid out like site-packages (an unpacked wheel); each FILE (relative to it)
//   gets FILE.pyc written next to it. The folder is compiled where Pyodide installs packages, so tracebacks
//   name the installed path (tinytorch.checks recognises package frames by it).
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [sitePackagesDir, ...files] = process.argv.slice(2);
if (!sitePackagesDir || files.length === 0) {
  console.error("usage: node scripts/pyodide_bytecode.mjs SITE_PACKAGES_DIR FILE.py...");
  process.exit(2);
}
const { loadPyodide } = await import(path.join(root, "node_modules", "pyodide", "pyodide.mjs"));
const pyodide = await loadPyodide();
// Pyodide's prefix is "/", so sysconfig says "//lib/python3.12/site-packages"; the import system (and so
// tinytorch.checks, comparing paths) knows it as "/lib/...": tracebacks must name that one.
const installed = pyodide.runPython("import sysconfig; sysconfig.get_paths()['purelib']").replace(/^\/+/, "/");
for (const top of new Set(files.map((file) => file.split("/")[0]))) {
  pyodide.FS.mkdirTree(`${installed}/${top}`);
  pyodide.mountNodeFS(`${installed}/${top}`, path.resolve(sitePackagesDir, top));
}
pyodide.globals.set("files", pyodide.toPy(files));
pyodide.globals.set("installed", installed);
// Hash-based and unchecked: the bytes depend only on the source, so the wheel is reproducible.
pyodide.runPython(`
import py_compile
for file in files:
    source = f"{installed}/{file}"
    py_compile.compile(source, cfile=source + "c", doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
`);
