"""TinyTalks: 638 short question-and-answer pairs written for this course, split 574/64 and shipped in the package.

The data file (tinytalks.npz, about 15 KB: two arrays of unicode strings, no pickle) lives next to this module
so that a wheel carries it into the browser. It is made by datasets/tinytalks/make_tinytalks.py from
datasets/tinytalks/handwritten.txt and the templates in that script; see datasets/tinytalks/DATASHEET.md.
"""

import io

import numpy as np

from tinytorch.datasets.files import read_dataset_file

DATA_FILENAME = "tinytalks.npz"
# Checksum of the file the generator writes; a mismatch means a stale or damaged copy.
TINYTALKS_SHA256 = "683e697fa0ca0ba908dc655312e83d71357df60931dec1a56a7fbfa093b6fd3c"
PAIR_SEPARATOR = "\n\n"  # each pair is "Q: ...\nA: ..." followed by a blank line


def load_tinytalks_pairs(path=None):
    """The pairs as two lists of strings, ``(train_pairs, val_pairs)``, each pair "Q: ...\\nA: ...".

    path: optional location of a copy of tinytalks.npz; by default the copy bundled with tinytorch is used.
    Either way its sha256 is checked first.
    """
    raw, _ = read_dataset_file(DATA_FILENAME, path, "TinyTalks data file", TINYTALKS_SHA256,
                               "python datasets/tinytalks/make_tinytalks.py", "load_tinytalks")
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
