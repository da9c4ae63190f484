"""TinyDigits: 1,797 real 8x8 handwritten digits, split 80/20 and shipped in the package.

The data file (tinydigits.npz, about 50 KB) lives next to this module so that a
wheel carries it into the browser. It is made by
datasets/tinydigits/make_tinydigits.py; see datasets/tinydigits/DATASHEET.md.
"""

import hashlib
import io
from importlib import resources
from pathlib import Path

import numpy as np

DATA_FILENAME = "tinydigits.npz"
# Checksum of the file the generator writes; a mismatch means a stale or damaged copy.
TINYDIGITS_SHA256 = "b3c5b8910a1a9e55523a5981006c0e958257485b37954c868f37f7775e5aa34f"
PIXEL_MAX = 16  # each pixel counts "on" cells in a 4x4 block, so 0..16


def _read_bundled_file():
    """Return (bytes, description of where they came from) for the packaged file."""
    # importlib.resources finds package data in a wheel, an editable install,
    # a zip import and Pyodide's virtual file system alike.
    resource = resources.files(__package__).joinpath(DATA_FILENAME)
    if not resource.is_file():
        raise FileNotFoundError(
            f"TinyDigits data file not found: {resource}. "
            "It should be installed with tinytorch; reinstall the package, or, in a "
            "source checkout, regenerate it with "
            "`python datasets/tinydigits/make_tinydigits.py` (needs scikit-learn)."
        )
    return resource.read_bytes(), str(resource)


def _read_user_file(path):
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"TinyDigits data file not found: {path}. "
            "Check the path, or call load_tinydigits() without `path` to use the "
            "copy bundled with tinytorch."
        )
    return path.read_bytes(), str(path)


def load_tinydigits(path=None):
    """Load TinyDigits as ``(X_train, y_train), (X_test, y_test)``.

    Images are float32 in [0, 1] shaped (N, 8, 8); labels are int64 digits 0..9.
    There are 1,438 training and 359 test images.

    path: optional location of a copy of tinydigits.npz; by default the copy
    bundled with tinytorch is used. Either way its sha256 is checked.
    """
    if path is None:
        raw, source = _read_bundled_file()
    else:
        raw, source = _read_user_file(path)

    actual_sha256 = hashlib.sha256(raw).hexdigest()
    if actual_sha256 != TINYDIGITS_SHA256:
        raise ValueError(
            f"TinyDigits file {source} failed its checksum: expected sha256 "
            f"{TINYDIGITS_SHA256}, got {actual_sha256}. The file is damaged or from "
            "another version; reinstall tinytorch or regenerate it with "
            "datasets/tinydigits/make_tinydigits.py."
        )

    # Read from the verified bytes, not the path again, so what we checked is what we load.
    with np.load(io.BytesIO(raw), allow_pickle=False) as arrays:
        splits = []
        for split in ("train", "test"):
            images = arrays[f"X_{split}"].astype(np.float32) / np.float32(PIXEL_MAX)
            labels = arrays[f"y_{split}"].astype(np.int64)
            splits.append((images, labels))
    return splits[0], splits[1]
