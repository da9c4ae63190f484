"""Tests for the bundled TinyTalks corpus: the split, its checksum, its build script and its datasheet."""
import hashlib
import importlib.util
import io
import re
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from tinytorch.datasets import load_tinytalks, load_tinytalks_pairs
from tinytorch.datasets import tinytalks as tinytalks_module

ROOT = Path(__file__).resolve().parents[1]
DATASHEET = ROOT / "datasets" / "tinytalks" / "DATASHEET.md"
PAIR = re.compile(r"Q: [^\n]+\nA: [^\n]+")


def bundled_bytes():
    return resources.files("tinytorch.datasets").joinpath("tinytalks.npz").read_bytes()


def build_script():
    spec = importlib.util.spec_from_file_location("make_tinytalks", ROOT / "datasets" / "tinytalks" / "make_tinytalks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_texts_are_pairs_in_the_documented_format():
    train_text, val_text = load_tinytalks()
    for text in (train_text, val_text):
        assert isinstance(text, str)
        pairs = text.split("\n\n")
        assert pairs[-1] == ""  # every pair, the last included, ends with a blank line
        assert all(PAIR.fullmatch(pair) for pair in pairs[:-1])


def test_texts_join_the_pairs():
    train, val = load_tinytalks_pairs()
    train_text, val_text = load_tinytalks()
    assert train_text == "".join(p + "\n\n" for p in train)
    assert val_text == "".join(p + "\n\n" for p in val)


def test_split_is_disjoint_and_questions_are_unique():
    train, val = load_tinytalks_pairs()
    assert not set(train) & set(val)
    questions = [pair.split("\n")[0] for pair in train + val]
    assert len(questions) == len(set(questions))


def test_validation_is_a_tenth_of_the_pairs():
    train, val = load_tinytalks_pairs()
    assert len(val) == round(0.1 * (len(train) + len(val)))
    assert len(train) + len(val) >= 500


def test_loading_is_deterministic():
    assert load_tinytalks() == load_tinytalks()


def test_split_is_by_salted_hash_independent_of_order():
    # Reversing the source order must not change which pairs are held out: the split depends on the text only.
    script = build_script()
    texts = script.all_pairs()
    train, val = script.split(texts)
    train_reversed, val_reversed = script.split(texts[::-1])
    assert set(val) == set(val_reversed) and set(train) == set(train_reversed)


def test_the_build_script_reproduces_the_shipped_bytes():
    data, train, val = build_script().build()
    assert data == bundled_bytes()
    assert (train, val) == load_tinytalks_pairs()


def test_checksum_constant_matches_bundled_file():
    assert hashlib.sha256(bundled_bytes()).hexdigest() == tinytalks_module.TINYTALKS_SHA256


def test_damaged_copy_fails_the_checksum_with_a_clear_error(tmp_path):
    # A still-valid npz with one answer changed: only the checksum can catch it.
    train, val = load_tinytalks_pairs()
    train[0] = train[0].replace("A: ", "A: Not ", 1)
    damaged = tmp_path / "tinytalks.npz"
    np.savez(damaged, train=np.array(train), val=np.array(val))
    with pytest.raises(ValueError) as excinfo:
        load_tinytalks(path=damaged)
    message = str(excinfo.value)
    assert "checksum" in message and str(damaged) in message
    assert tinytalks_module.TINYTALKS_SHA256 in message
    assert hashlib.sha256(damaged.read_bytes()).hexdigest() in message


def test_truncated_copy_fails_the_checksum(tmp_path):
    damaged = tmp_path / "tinytalks.npz"
    damaged.write_bytes(bundled_bytes()[:-50])
    with pytest.raises(ValueError, match="checksum"):
        load_tinytalks(path=damaged)


def test_good_copy_at_a_path_loads(tmp_path):
    copy = tmp_path / "tinytalks.npz"
    copy.write_bytes(bundled_bytes())
    assert load_tinytalks(path=copy) == load_tinytalks()


def test_missing_file_error_names_the_path(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere.npz"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        load_tinytalks(path=missing)
    monkeypatch.setattr(tinytalks_module, "DATA_FILENAME", "no_such_file.npz")
    with pytest.raises(FileNotFoundError, match="make_tinytalks.py"):
        load_tinytalks()


def test_bundled_file_holds_two_unicode_arrays_without_pickle():
    with zipfile.ZipFile(io.BytesIO(bundled_bytes())) as archive:
        assert sorted(archive.namelist()) == ["train.npy", "val.npy"]
    with np.load(io.BytesIO(bundled_bytes()), allow_pickle=False) as arrays:
        assert arrays["train"].dtype.kind == "U" and arrays["val"].dtype.kind == "U"


def _datasheet_row(name):
    match = re.search(rf"^\| {name} \| ([\d,]+) \| ([\d,]+) \|", DATASHEET.read_text(encoding="utf-8"), re.M)
    assert match, f"DATASHEET.md has no '| {name} | pairs | characters |' row"
    return tuple(int(value.replace(",", "")) for value in match.groups())


def test_counts_match_the_datasheet():
    train, val = load_tinytalks_pairs()
    train_text, val_text = load_tinytalks()
    assert _datasheet_row("train") == (len(train), len(train_text))
    assert _datasheet_row("validation") == (len(val), len(val_text))
    assert _datasheet_row("all") == (len(train) + len(val), len(train_text) + len(val_text))
    sheet = DATASHEET.read_text(encoding="utf-8")
    assert tinytalks_module.TINYTALKS_SHA256 in sheet
    assert f"{len(set(train_text + val_text))} distinct characters" in sheet


def test_corpus_is_ascii_so_a_char_vocabulary_is_small():
    train_text, val_text = load_tinytalks()
    assert (train_text + val_text).isascii()
