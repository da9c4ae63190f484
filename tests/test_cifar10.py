"""load_cifar10 on small files in the CIFAR-10 binary format, written by the test itself."""

import numpy as np
import pytest

from tinytorch.datasets import CIFAR10_CLASSES, load_cifar10

RECORD = 3073


def write_batch(path, labels, seed):
    """Records of 1 label byte + 3072 pixel bytes (red plane, green plane, blue plane, each row-major)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (len(labels), 3, 32, 32), dtype=np.uint8)
    records = np.concatenate([np.asarray(labels, dtype=np.uint8)[:, None], images.reshape(len(labels), -1)], axis=1)
    path.write_bytes(records.tobytes())
    return images


def make_dataset(root, sizes=(3, 2, 4, 1, 2), test_size=3):
    folder = root / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    train_images, train_labels = [], []
    for index, size in enumerate(sizes, start=1):
        labels = [(index + k) % 10 for k in range(size)]
        train_images.append(write_batch(folder / f"data_batch_{index}.bin", labels, index))
        train_labels += labels
    test_labels = [9, 0, 5][:test_size]
    test_images = write_batch(folder / "test_batch.bin", test_labels, 99)
    return folder, np.concatenate(train_images), np.array(train_labels), test_images, np.array(test_labels)


def test_reads_every_batch_in_order_as_nchw_uint8_and_int64_labels(tmp_path):
    _, train_images, train_labels, test_images, test_labels = make_dataset(tmp_path)
    (X_train, y_train), (X_test, y_test) = load_cifar10(tmp_path)
    assert X_train.shape == (12, 3, 32, 32) and X_train.dtype == np.uint8
    assert y_train.dtype == np.int64 and X_test.shape == (3, 3, 32, 32)
    np.testing.assert_array_equal(X_train, train_images)
    np.testing.assert_array_equal(y_train, train_labels)
    np.testing.assert_array_equal(X_test, test_images)
    np.testing.assert_array_equal(y_test, test_labels)


def test_the_pixel_layout_is_red_then_green_then_blue_row_major(tmp_path):
    folder, *_ = make_dataset(tmp_path)
    record = np.zeros(RECORD, dtype=np.uint8)
    record[0] = 7
    record[1 + 0 * 1024 + 2 * 32 + 5] = 11   # red, row 2, column 5
    record[1 + 1 * 1024 + 31] = 22           # green, row 0, column 31
    record[1 + 2 * 1024 + 31 * 32] = 33      # blue, row 31, column 0
    (folder / "test_batch.bin").write_bytes(record.tobytes())
    _, (X_test, y_test) = load_cifar10(folder)  # the batches folder itself works too
    assert y_test.tolist() == [7]
    assert (X_test[0, 0, 2, 5], X_test[0, 1, 0, 31], X_test[0, 2, 31, 0]) == (11, 22, 33)
    assert X_test.sum() == 66


def test_scale_gives_float32_in_0_1(tmp_path):
    make_dataset(tmp_path)
    (X_uint8, _), _ = load_cifar10(tmp_path)
    (X_float, _), _ = load_cifar10(tmp_path, scale=True)
    assert X_float.dtype == np.float32 and 0 <= X_float.min() and X_float.max() <= 1
    np.testing.assert_allclose(X_float * 255, X_uint8, atol=1e-4)
    assert len(CIFAR10_CLASSES) == 10 and CIFAR10_CLASSES[3] == "cat"


def test_a_missing_folder_or_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_cifar10(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="no CIFAR-10 binary files"):
        load_cifar10(empty)
    folder, *_ = make_dataset(tmp_path / "data")
    (folder / "data_batch_4.bin").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_4.bin"):
        load_cifar10(tmp_path / "data")


def test_a_truncated_file_is_named_with_its_size(tmp_path):
    folder, *_ = make_dataset(tmp_path)
    path = folder / "data_batch_2.bin"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError) as raised:
        load_cifar10(tmp_path)
    assert "data_batch_2.bin" in str(raised.value) and "truncated" in str(raised.value)
    assert f"{2 * RECORD - 100:,} bytes" in str(raised.value)


# The opening bytes of a pickle (PROTO 4, then FRAME): enough for the reader to recognise one. Nothing here
# pickles or unpickles anything.
PICKLE_HEADER = b"\x80\x04\x95"


def test_the_pickled_version_is_refused(tmp_path):
    pickled = tmp_path / "cifar-10-batches-py"
    pickled.mkdir()
    (pickled / "data_batch_1").write_bytes(PICKLE_HEADER + bytes(200))
    with pytest.raises(ValueError, match="binary"):
        load_cifar10(tmp_path)
    with pytest.raises(ValueError, match="pickled"):
        load_cifar10(pickled)


def test_a_pickle_renamed_to_bin_or_a_bad_label_is_refused(tmp_path):
    folder, *_ = make_dataset(tmp_path)
    (folder / "test_batch.bin").write_bytes(PICKLE_HEADER + bytes(RECORD * 2 - len(PICKLE_HEADER)))
    with pytest.raises(ValueError, match="pickle"):
        load_cifar10(tmp_path)
    record = np.zeros(RECORD, dtype=np.uint8)
    record[0] = 12
    (folder / "test_batch.bin").write_bytes(record.tobytes())
    with pytest.raises(ValueError, match="label 12"):
        load_cifar10(tmp_path)
