"""TinyDigits: 1,797 real 8x8 handwritten digits, split 80/20 and shipped in the package.

The data file (tinydigits.npz, about 50 KB) lives next to this module so that a
wheel carries it into the browser. It is made by
datasets/tinydigits/make_tinydigits.py; see datasets/tinydigits/DATASHEET.md.
"""

import io

import numpy as np

from tinytorch.datasets.files import read_dataset_file

DATA_FILENAME = "tinydigits.npz"
# Checksum of the file the generator writes; a mismatch means a stale or damaged copy.
TINYDIGITS_SHA256 = "b3c5b8910a1a9e55523a5981006c0e958257485b37954c868f37f7775e5aa34f"
PIXEL_MAX = 16  # each pixel counts "on" cells in a 4x4 block, so 0..16


def load_tinydigits(path=None):
    """Load TinyDigits as ``(X_train, y_train), (X_test, y_test)``.

    Images are float32 in [0, 1] shaped (N, 8, 8); labels are int64 digits 0..9.
    There are 1,438 training and 359 test images.

    path: optional location of a copy of tinydigits.npz; by default the copy
    bundled with tinytorch is used. Either way its sha256 is checked.
    """
    raw, _ = read_dataset_file(DATA_FILENAME, path, "TinyDigits data file", TINYDIGITS_SHA256,
                               "python datasets/tinydigits/make_tinydigits.py (needs scikit-learn)", "load_tinydigits")
    # Read from the verified bytes, not the path again, so what we checked is what we load.
    with np.load(io.BytesIO(raw), allow_pickle=False) as arrays:
        splits = []
        for split in ("train", "test"):
            images = arrays[f"X_{split}"].astype(np.float32) / np.float32(PIXEL_MAX)
            labels = arrays[f"y_{split}"].astype(np.int64)
            splits.append((images, labels))
    return splits[0], splits[1]
