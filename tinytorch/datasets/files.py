"""The files behind tinytorch's datasets: read the bundled copy (or a user's copy) and check its sha256,
and write `.npz` archives whose bytes never change, so a test can rebuild a shipped file and compare."""
import hashlib
import io
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["read_dataset_file", "reproducible_npz_bytes"]

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # zip entries carry a timestamp; pinning it makes the bytes fixed


def read_dataset_file(filename, path, what, expected_sha256, remake, loader, check_path=True):
    """The verified bytes of `filename` bundled in tinytorch.datasets, or of the file at `path` when given.

    what: the name used in messages ("TinyDigits data file"); remake: the command that rebuilds the bundled
    file; loader: the public function, named when a path is wrong. A user's copy is checked too unless
    check_path is False (a checkpoint the user trained). The bytes are returned, not the path, so what was
    checked is what gets loaded."""
    if path is None:
        # importlib.resources finds package data in a wheel, an editable install and Pyodide's file system alike
        resource = resources.files(__package__).joinpath(filename)
        if not resource.is_file():
            raise FileNotFoundError(f"{what} not found: {resource}. It should be installed with tinytorch; "
                                    f"reinstall the package, or, in a source checkout, rebuild it with `{remake}`.")
        raw, source = resource.read_bytes(), str(resource)
    else:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{what} not found: {path}. Check the path, or call {loader}() without "
                                    "`path` to use the copy bundled with tinytorch.")
        raw, source = path.read_bytes(), str(path)
    if path is None or check_path:
        actual = hashlib.sha256(raw).hexdigest()
        if actual != expected_sha256:
            raise ValueError(f"{what} {source} failed its checksum: expected sha256 {expected_sha256}, got "
                             f"{actual}. The file is damaged or from another version; reinstall tinytorch or "
                             f"rebuild it with `{remake}`.")
    return raw, source


def reproducible_npz_bytes(arrays):
    """Like np.savez_compressed, but with fixed zip metadata, so the same arrays always give the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            entry = zipfile.ZipInfo(name + ".npy", date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16  # fixed file mode, independent of umask
            archive.writestr(entry, buffer.getvalue(), compresslevel=9)
    return out.getvalue()
