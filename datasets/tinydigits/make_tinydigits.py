"""Regenerate tinytorch/datasets/tinydigits.npz from scikit-learn's digits.

scikit-learn is needed ONLY to run this script, never to use tinytorch.
Install it in a throwaway environment, for example:

    python3 -m venv /tmp/skl && /tmp/skl/bin/pip install scikit-learn numpy
    /tmp/skl/bin/python datasets/tinydigits/make_tinydigits.py

What it does: takes all 1,797 images of sklearn.datasets.load_digits(),
holds out round(20%) of each digit class as the test split (seeded, so the
split is fixed), and writes them as uint8 arrays (values 0..16) into one
compressed .npz whose bytes are identical on every run.
"""

import hashlib
import sys
from pathlib import Path

import numpy as np

from tinytorch.datasets.files import reproducible_npz_bytes

try:
    from sklearn.datasets import load_digits
except ImportError:
    sys.exit(
        "make_tinydigits.py needs scikit-learn to regenerate the dataset "
        "(tinytorch itself does not).\n"
        "Install it in a throwaway venv:\n"
        "  python3 -m venv /tmp/skl && /tmp/skl/bin/pip install scikit-learn numpy\n"
        "then run: /tmp/skl/bin/python datasets/tinydigits/make_tinydigits.py"
    )

SEED = 20240601
TEST_FRACTION = 0.2
REPO_ROOT = Path(__file__).resolve().parents[2]
OUTPUT = REPO_ROOT / "tinytorch" / "datasets" / "tinydigits.npz"
# Zip entries carry a timestamp; pinning it makes the output byte-identical.


def stratified_split(labels, test_fraction, seed):
    """Return sorted (train_idx, test_idx) holding out test_fraction of each class."""
    # RandomState, not default_rng: numpy keeps the legacy stream frozen,
    # so the same seed picks the same images on any numpy version.
    rng = np.random.RandomState(seed)
    test_parts = []
    for digit in np.unique(labels):
        members = np.flatnonzero(labels == digit)
        n_test = int(round(len(members) * test_fraction))
        test_parts.append(rng.permutation(members)[:n_test])
    test_idx = np.sort(np.concatenate(test_parts))
    train_idx = np.setdiff1d(np.arange(len(labels)), test_idx)  # sorted
    return train_idx, test_idx


def main():
    digits = load_digits()
    images = digits.images  # float64, (1797, 8, 8), whole numbers 0..16
    labels = digits.target
    assert np.array_equal(images, np.round(images)) and images.min() >= 0 and images.max() <= 16
    images = images.astype(np.uint8)

    train_idx, test_idx = stratified_split(labels, TEST_FRACTION, SEED)
    arrays = {
        "X_train": images[train_idx],
        "y_train": labels[train_idx].astype(np.uint8),
        "X_test": images[test_idx],
        "y_test": labels[test_idx].astype(np.uint8),
        # Row numbers in load_digits(), so every image can be traced to its source.
        "source_index_train": train_idx.astype(np.uint16),
        "source_index_test": test_idx.astype(np.uint16),
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_bytes(reproducible_npz_bytes(arrays))

    sha256 = hashlib.sha256(OUTPUT.read_bytes()).hexdigest()
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes)")
    print(f"train {len(train_idx)}  test {len(test_idx)}  seed {SEED}")
    print("digit  train  test  total")
    for digit in range(10):
        n_train = int(np.sum(arrays["y_train"] == digit))
        n_test = int(np.sum(arrays["y_test"] == digit))
        print(f"{digit:5d}  {n_train:5d}  {n_test:4d}  {n_train + n_test:5d}")
    print(f"sha256 {sha256}")


if __name__ == "__main__":
    main()
