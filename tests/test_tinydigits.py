"""Tests for the bundled TinyDigits dataset. They need numpy and pytest, not scikit-learn."""

import hashlib
import io
import zipfile
from importlib import resources

import numpy as np
import pytest

from tinytorch.datasets import load_tinydigits
from tinytorch.datasets import tinydigits as tinydigits_module

# Images per digit 0..9 in sklearn.datasets.load_digits(), measured when the file was made.
SOURCE_CLASS_COUNTS = np.array([178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
N_TRAIN, N_TEST = 1438, 359


@pytest.fixture(scope="module")
def splits():
    return load_tinydigits()


def bundled_path():
    return resources.files("tinytorch.datasets").joinpath("tinydigits.npz")


def load_bundled_arrays():
    # Via bytes, so this also works when the package is not on a plain file system.
    with np.load(io.BytesIO(bundled_path().read_bytes()), allow_pickle=False) as arrays:
        return {name: arrays[name] for name in arrays.files}


def test_shapes_and_dtypes(splits):
    (X_train, y_train), (X_test, y_test) = splits
    assert X_train.shape == (N_TRAIN, 8, 8)
    assert X_test.shape == (N_TEST, 8, 8)
    assert y_train.shape == (N_TRAIN,)
    assert y_test.shape == (N_TEST,)
    assert X_train.dtype == np.float32 and X_test.dtype == np.float32
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64


def test_values_are_scaled_pixel_counts(splits):
    (X_train, y_train), (X_test, y_test) = splits
    for X in (X_train, X_test):
        assert X.min() == 0.0 and X.max() == 1.0
        # Every pixel was a whole count 0..16 before dividing by 16.
        counts = X * 16
        np.testing.assert_array_equal(counts, np.round(counts))
    for y in (y_train, y_test):
        assert set(np.unique(y)) == set(range(10))


def test_every_source_image_used_exactly_once(splits):
    (X_train, y_train), (X_test, y_test) = splits
    assert len(X_train) + len(X_test) == 1797
    per_class = np.bincount(y_train, minlength=10) + np.bincount(y_test, minlength=10)
    np.testing.assert_array_equal(per_class, SOURCE_CLASS_COUNTS)
    # The 1,797 source images are pairwise distinct, so no image may repeat
    # anywhere, in particular not across train and test.
    all_rows = np.concatenate([X_train, X_test]).reshape(1797, 64)
    assert len(np.unique(all_rows, axis=0)) == 1797


def test_source_indices_partition_the_source():
    arrays = load_bundled_arrays()
    train_idx = arrays["source_index_train"].astype(np.int64)
    test_idx = arrays["source_index_test"].astype(np.int64)
    assert len(np.intersect1d(train_idx, test_idx)) == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train_idx, test_idx])), np.arange(1797))


def test_split_is_stratified(splits):
    (_, y_train), (_, y_test) = splits
    test_counts = np.bincount(y_test, minlength=10)
    total_counts = test_counts + np.bincount(y_train, minlength=10)
    test_fraction = test_counts / total_counts
    # Rounding one class of ~180 to whole images moves it by at most ~0.3 points.
    np.testing.assert_allclose(test_fraction, 0.2, atol=0.01)


def test_checksum_constant_matches_bundled_file():
    digest = hashlib.sha256(bundled_path().read_bytes()).hexdigest()
    assert digest == tinydigits_module.TINYDIGITS_SHA256


def test_explicit_path_to_good_copy_loads(tmp_path, splits):
    copy = tmp_path / "tinydigits.npz"
    copy.write_bytes(bundled_path().read_bytes())
    (X_train, y_train), _ = load_tinydigits(path=copy)
    np.testing.assert_array_equal(X_train, splits[0][0])
    np.testing.assert_array_equal(y_train, splits[0][1])


def test_corrupted_copy_fails_checksum(tmp_path):
    # A still-valid npz with one label changed: only the checksum can catch it.
    tampered = load_bundled_arrays()
    tampered["y_train"][0] = (tampered["y_train"][0] + 1) % 10
    bad_copy = tmp_path / "tinydigits.npz"
    np.savez_compressed(bad_copy, **tampered)

    with pytest.raises(ValueError) as excinfo:
        load_tinydigits(path=bad_copy)
    message = str(excinfo.value)
    assert str(bad_copy) in message
    assert tinydigits_module.TINYDIGITS_SHA256 in message
    assert hashlib.sha256(bad_copy.read_bytes()).hexdigest() in message


def test_truncated_copy_fails_checksum(tmp_path):
    bad_copy = tmp_path / "tinydigits.npz"
    bad_copy.write_bytes(bundled_path().read_bytes()[:-100])
    with pytest.raises(ValueError, match="checksum"):
        load_tinydigits(path=bad_copy)


def test_missing_file_error_names_the_path(tmp_path):
    missing = tmp_path / "nowhere" / "tinydigits.npz"
    with pytest.raises(FileNotFoundError) as excinfo:
        load_tinydigits(path=missing)
    assert str(missing) in str(excinfo.value)


def test_missing_bundled_file_error_names_the_path(monkeypatch):
    monkeypatch.setattr(tinydigits_module, "DATA_FILENAME", "no_such_file.npz")
    with pytest.raises(FileNotFoundError) as excinfo:
        load_tinydigits()
    message = str(excinfo.value)
    assert "no_such_file.npz" in message
    assert "make_tinydigits.py" in message


def test_bundled_file_is_plain_arrays():
    # No pickled objects: every entry must load with allow_pickle=False as uint8/uint16.
    with zipfile.ZipFile(io.BytesIO(bundled_path().read_bytes())) as archive:
        names = sorted(archive.namelist())
    assert names == sorted(
        f"{key}.npy"
        for key in ("X_train", "y_train", "X_test", "y_test", "source_index_train", "source_index_test")
    )
    arrays = load_bundled_arrays()
    assert arrays["X_train"].dtype == np.uint8
    assert arrays["y_train"].dtype == np.uint8
