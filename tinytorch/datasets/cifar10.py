"""CIFAR-10 from files you supply: the *binary* version only, read with numpy (no download, no pickle).

CIFAR-10 (Krizhevsky, 2009) holds 60,000 colour images of 32x32 pixels in 10 classes. It is too large to
ship with tinytorch, so bring it yourself: the "CIFAR-10 binary version" (cifar-10-binary.tar.gz from the
dataset's page, https://www.cs.toronto.edu/~kriz/cifar.html), unpacked, gives a folder
`cifar-10-batches-bin/` with `data_batch_1.bin` ... `data_batch_5.bin` (training) and `test_batch.bin`.
Each file is a sequence of 3,073-byte records: 1 label byte (0-9), then 3,072 pixel bytes: the 1,024
red values of the 32x32 image row by row, then the green ones, then the blue ones. That is exactly
PyTorch's NCHW layout, so a record's pixels reshape to (3, 32, 32) with no transposing.

The "python version" (cifar-10-batches-py/, pickled) is refused: unpickling a file can run arbitrary code.
"""
from pathlib import Path

import numpy as np

__all__ = ["load_cifar10", "CIFAR10_CLASSES"]

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
RECORD_BYTES = 1 + 3 * 32 * 32
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILE = "test_batch.bin"
PICKLED_HINT = ("tinytorch reads only the CIFAR-10 *binary* version (cifar-10-binary.tar.gz, which unpacks to "
                "cifar-10-batches-bin/ with data_batch_1.bin ... test_batch.bin); the pickled 'python version' is "
                "refused because unpickling a file can run arbitrary code")


def _batches_folder(root):
    """The folder holding the .bin files: root/cifar-10-batches-bin, or root itself."""
    root = Path(root)
    if not root.exists():
        raise FileNotFoundError(f"CIFAR-10 folder not found: {root}. Download and unpack the binary version "
                                "yourself (see tinytorch.datasets.cifar10's docstring), then pass its folder")
    for folder in (root / "cifar-10-batches-bin", root):
        if any((folder / name).is_file() for name in TRAIN_FILES + (TEST_FILE,)):
            return folder
    pickled = [p for p in (root / "cifar-10-batches-py", root / "data_batch_1", root / "test_batch") if p.exists()]
    if pickled:
        raise ValueError(f"{pickled[0]} is the pickled CIFAR-10: {PICKLED_HINT}")
    raise FileNotFoundError(f"no CIFAR-10 binary files in {root} (looked for {root / 'cifar-10-batches-bin'} "
                            f"and for {', '.join(TRAIN_FILES)}, {TEST_FILE} in {root} itself)")


def _read_batch(path):
    """(images (N, 3, 32, 32) uint8, labels (N,) int64) from one binary batch file."""
    if not path.is_file():
        raise FileNotFoundError(f"CIFAR-10 file missing: {path}")
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size == 0 or raw.size % RECORD_BYTES:
        raise ValueError(f"{path} has {raw.size:,} bytes, not a whole number of {RECORD_BYTES}-byte CIFAR-10 records "
                         f"({raw.size // RECORD_BYTES:,} complete, {raw.size % RECORD_BYTES} bytes left over): the file "
                         "is truncated or not the binary version")
    records = raw.reshape(-1, RECORD_BYTES)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        record = int(np.argmax(labels > 9))
        if raw[0] == 0x80:  # the first byte of a pickle (protocol 2 and later)
            raise ValueError(f"{path} looks like a pickle, not CIFAR-10 binary records: {PICKLED_HINT}")
        raise ValueError(f"{path}: record {record} has label {labels[record]}, but CIFAR-10 labels are 0-9: "
                         "not a CIFAR-10 binary batch")
    return records[:, 1:].reshape(-1, 3, 32, 32), labels


def load_cifar10(root, scale=False):
    """Load CIFAR-10 as ``(X_train, y_train), (X_test, y_test)`` from the binary files under `root`.

    root: the folder containing ``cifar-10-batches-bin/`` (or that folder itself).
    Images are (N, 3, 32, 32) in PyTorch's NCHW layout: uint8 0..255, or float32 in [0, 1] with
    scale=True. Labels are int64 class indices 0..9 (names in CIFAR10_CLASSES). The real dataset has
    50,000 training and 10,000 test images (about 180 MB as uint8, four times that as float32).
    """
    folder = _batches_folder(root)
    missing = [str(folder / name) for name in TRAIN_FILES + (TEST_FILE,) if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"CIFAR-10 file(s) missing: {', '.join(missing)}")
    train = [_read_batch(folder / name) for name in TRAIN_FILES]
    X_train, y_train = np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train])
    X_test, y_test = _read_batch(folder / TEST_FILE)
    if scale:
        X_train, X_test = X_train.astype(np.float32) / 255, X_test.astype(np.float32) / 255
    return (X_train, y_train), (X_test, y_test)
