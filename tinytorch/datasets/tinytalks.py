"""TinyTalks: 638 short question-and-answer pairs written for this course, split 574/64 and shipped in the package.

The data file (tinytalks.npz, about 15 KB: two arrays of unicode strings, no pickle) lives next to this module
so that a wheel carries it into the browser. It is made by datasets/tinytalks/make_tinytalks.py from
datasets/tinytalks/handwritten.txt and the templates in that script; see datasets/tinytalks/DATASHEET.md.
"""

import hashlib
import io
from importlib import resources
from pathlib import Path

import numpy as np

DATA_FILENAME = "tinytalks.npz"
# Checksum of the file the generator writes; a mismatch means a stale or damaged copy.
TINYTALKS_SHA256 = "683e697fa0ca0ba908dc655312e83d71357df60931dec1a56a7fbfa093b6fd3c"
PAIR_SEPARATOR = "\n\n"  # each pair is "Q: ...\nA: ..." followed by a blank line


def _read(path):
    """(bytes, where they came from) of the bundled file, or of `path` when given."""
    if path is None:
        # importlib.resources finds package data in a wheel, an editable install and Pyodide's file system alike.
        resource = resources.files(__package__).joinpath(DATA_FILENAME)
        if not resource.is_file():
            raise FileNotFoundError(
                f"TinyTalks data file not found: {resource}. It should be installed with tinytorch; reinstall "
                "the package, or, in a source checkout, regenerate it with "
                "`python datasets/tinytalks/make_tinytalks.py`.")
        return resource.read_bytes(), str(resource)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"TinyTalks data file not found: {path}. Check the path, or call "
                                "load_tinytalks() without `path` to use the copy bundled with tinytorch.")
    return path.read_bytes(), str(path)


def load_tinytalks_pairs(path=None):
    """The pairs as two lists of strings, ``(train_pairs, val_pairs)``, each pair "Q: ...\\nA: ...".

    path: optional location of a copy of tinytalks.npz; by default the copy bundled with tinytorch is used.
    Either way its sha256 is checked first.
    """
    raw, source = _read(path)
    actual = hashlib.sha256(raw).hexdigest()
    if actual != TINYTALKS_SHA256:
        raise ValueError(
            f"TinyTalks file {source} failed its checksum: expected sha256 {TINYTALKS_SHA256}, got {actual}. "
            "The file is damaged or from another version; reinstall tinytorch or regenerate it with "
            "datasets/tinytalks/make_tinytalks.py.")
    # Read from the verified bytes, not the path again, so what we checked is what we load.
    with np.load(io.BytesIO(raw), allow_pickle=False) as arrays:
        return [str(p) for p in arrays["train"]], [str(p) for p in arrays["val"]]


def load_tinytalks(path=None):
    """Load TinyTalks as ``(train_text, val_text)``: each a string of pairs "Q: ...\\nA: ...\\n\\n".

    574 pairs (36,381 characters) for training and 64 pairs (3,859 characters) for validation; no pair is in
    both. path: optional location of a copy of tinytalks.npz (its sha256 is checked, as the bundled copy's).
    """
    train, val = load_tinytalks_pairs(path)
    return "".join(p + PAIR_SEPARATOR for p in train), "".join(p + PAIR_SEPARATOR for p in val)
