"""The GPT checkpoint shipped for the 2017 milestone: checksum, loading, quality, and the script that makes it."""
import hashlib
import importlib.util
import math
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from tinytorch import GPT, Tensor, no_grad
from tinytorch.datasets import load_tinytalks, load_tinytalks_gpt
from tinytorch.datasets import tinytalks_gpt as checkpoint_module

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "datasets" / "tinytalks" / "train_gpt_checkpoint.py"


def shipped_bytes():
    return resources.files("tinytorch.datasets").joinpath("tinytalks_gpt.npz").read_bytes()


def training_script():
    spec = importlib.util.spec_from_file_location("train_gpt_checkpoint", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def log_softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def test_shipped_checkpoint_matches_its_sha256_and_is_small():
    raw = shipped_bytes()
    assert hashlib.sha256(raw).hexdigest() == checkpoint_module.TINYTALKS_GPT_SHA256
    assert len(raw) < 600_000, f"checkpoint is {len(raw):,} bytes; it travels in the wheel to the browser"


def test_shipped_checkpoint_loads_into_a_gpt_with_the_tinytalks_vocabulary():
    model, tokenizer = load_tinytalks_gpt()
    train_text, _ = load_tinytalks()
    assert isinstance(model, GPT) and not model.training
    assert tokenizer.itos == sorted(set(train_text)), "the tokenizer must be the CharTokenizer of the training text"
    assert model.vocab_size == len(tokenizer) == 71
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_shipped_checkpoint_beats_the_add_one_bigram_on_validation():
    """Scored independently of the milestone: non-overlapping windows of block_size (each character predicted
    once, with 0 to block_size - 1 characters of context, which can only make the GPT look worse)."""
    model, tokenizer = load_tinytalks_gpt()
    train_text, val_text = load_tinytalks()
    train_ids = np.array(tokenizer.encode(train_text), dtype=np.int64)
    val_ids = np.array(tokenizer.encode(val_text), dtype=np.int64)
    V, T = len(tokenizer), model.block_size

    counts = np.ones((V, V))
    for a, b in zip(train_ids[:-1], train_ids[1:]):
        counts[a, b] += 1
    bigram = -np.log(counts[val_ids[:-1], val_ids[1:]] / counts[val_ids[:-1]].sum(axis=1)).mean()

    total = 0.0
    with no_grad():
        for start in range(0, len(val_ids) - 1, T):
            window = val_ids[start:start + T + 1]
            logits = model(Tensor(window[None, :-1], dtype=np.int64)).data[0].astype(np.float64)
            total -= log_softmax(logits)[np.arange(len(window) - 1), window[1:]].sum()
    gpt = total / (len(val_ids) - 1)
    assert 1.5 < bigram < 3.5, f"bigram baseline {bigram:.3f} is implausible"
    assert gpt <= bigram - 0.5, f"GPT {gpt:.3f} nats/char is not clearly below the bigram's {bigram:.3f}"


def test_a_damaged_or_missing_checkpoint_is_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(checkpoint_module, "TINYTALKS_GPT_SHA256", "0" * 64)
    with pytest.raises(ValueError, match="checksum"):
        load_tinytalks_gpt()
    with pytest.raises(FileNotFoundError, match="not found"):
        load_tinytalks_gpt(tmp_path / "missing.npz")


def test_training_script_runs_briefly_and_its_file_loads_into_the_same_model(tmp_path, capsys):
    script = training_script()
    out = tmp_path / "gpt.npz"
    model, tokenizer, record = script.main(["--steps", "20", "--out", str(out)])
    assert "wrote" in capsys.readouterr().out
    assert record["step"] == [20] and record["final_val_loss"] < math.log(len(tokenizer)), record

    loaded, loaded_tokenizer = load_tinytalks_gpt(out)
    assert loaded_tokenizer.itos == tokenizer.itos
    probe = Tensor(np.array([tokenizer.encode("Q: What is a tensor?\nA: A tensor is")], dtype=np.int64), dtype=np.int64)
    model.eval()
    with no_grad():
        expected, actual = model(probe).data, loaded(probe).data
    np.testing.assert_array_equal(actual, expected)

    # Seeded: a second brief run writes the same bytes.
    again = tmp_path / "again.npz"
    script.main(["--steps", "20", "--out", str(again)])
    assert again.read_bytes() == out.read_bytes(), "two seeded runs of the training script differ"
