"""Train the character-level GPT that ships with tinytorch as tinytorch/datasets/tinytalks_gpt.npz.

The 2017 Transformer milestone loads this checkpoint (`tinytorch.datasets.load_tinytalks_gpt()`) instead of
training for many minutes in the browser. Everything here is tinytorch and numpy, seeded, so a rerun on the
same machine with the same numpy writes the same bytes (floating-point sums may round differently on
another CPU or BLAS, so a rerun elsewhere gives a checkpoint of the same quality, not the same sha256).

    python datasets/tinytalks/train_gpt_checkpoint.py                 # the full run, writes the shipped file
    python datasets/tinytalks/train_gpt_checkpoint.py --steps 20 --out /tmp/gpt.npz   # a quick smoke run

The weights are stored as float16 (half the bytes of float32); the model is rounded to those values before
the final evaluation, so the losses printed (and stored in the file) are the shipped model's.
File layout (np.load(..., allow_pickle=False)): `config` int64 [vocab_size, block_size, n_layer, n_head,
n_embd], `itos` the vocabulary ('<U1'), `param.<name>` one float16 array per state_dict entry, and the
training record: `history_step`, `history_train_loss`, `history_val_loss` (no times: the bytes stay fixed).
"""

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import tinytorch  # noqa: E402
from tinytorch import GPT, CharTokenizer, Tensor, nn, no_grad, optim  # noqa: E402
from tinytorch.datasets import load_tinytalks  # noqa: E402
from tinytorch.datasets.files import reproducible_npz_bytes  # noqa: E402
from tinytorch.nn import functional as F  # noqa: E402

OUTPUT = ROOT / "tinytorch" / "datasets" / "tinytalks_gpt.npz"
SEED = 2017
MODEL = dict(block_size=64, n_layer=4, n_head=4, n_embd=64, dropout=0.1)
TRAINING = dict(steps=3000, batch_size=16, lr=2e-3, weight_decay=0.1, clip=1.0, eval_every=250)


def per_character_loss(model, ids, block_size):
    """Mean cross-entropy (nats) of predicting ids[1:], each from up to block_size previous ids.

    Windows of block_size start every block_size // 2 ids; the first window scores all its predictions, each
    later one only its second half, so every id from the second on is predicted exactly once, with at least
    half a window of context."""
    ids = np.asarray(ids, dtype=np.int64)
    half = block_size // 2
    total, count = 0.0, 0
    was_training = model.training
    model.eval()
    with no_grad():
        starts = range(0, max(len(ids) - 1 - half, 1), half)
        for start in starts:
            window = ids[start:start + block_size + 1]
            logits = model(Tensor(window[None, :-1], dtype=np.int64)).data[0].astype(np.float64)
            keep = slice(0 if start == 0 else half, len(window) - 1)
            scores = logits[keep]
            shifted = scores - scores.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            targets = window[1:][keep]
            total -= log_probs[np.arange(len(targets)), targets].sum()
            count += len(targets)
    model.train(was_training)
    assert count == len(ids) - 1, (count, len(ids))
    return total / count


def train(steps, log=print):
    """Train from the seed; returns (model, tokenizer, record) with the weights already rounded to float16."""
    train_text, val_text = load_tinytalks()
    tokenizer = CharTokenizer(train_text)
    data = np.asarray(tokenizer.encode(train_text), dtype=np.int64)
    val_ids = np.asarray(tokenizer.encode(val_text), dtype=np.int64)
    T, B = MODEL["block_size"], TRAINING["batch_size"]

    tinytorch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    model = GPT(len(tokenizer), T, MODEL["n_layer"], MODEL["n_head"], MODEL["n_embd"], dropout=MODEL["dropout"])
    optimizer = optim.AdamW(model.parameters(), lr=TRAINING["lr"], weight_decay=TRAINING["weight_decay"])
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(steps, 1))
    record = {"step": [], "train_loss": [], "val_loss": []}
    log(f"GPT {MODEL} | {sum(p.numel() for p in model.parameters()):,} parameters | vocabulary "
        f"{len(tokenizer)} | {len(data):,} training characters | {TRAINING} (steps={steps})")
    start, recent = time.perf_counter(), []
    for step in range(1, steps + 1):
        starts = rng.integers(0, len(data) - T - 1, size=B)
        windows = np.stack([data[s:s + T + 1] for s in starts])
        logits = model(Tensor(windows[:, :-1], dtype=np.int64))
        loss = F.cross_entropy(logits.reshape(-1, len(tokenizer)), Tensor(windows[:, 1:].reshape(-1), dtype=np.int64))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), TRAINING["clip"])
        optimizer.step()
        schedule.step()
        recent.append(loss.item())
        if step % TRAINING["eval_every"] == 0 or step == steps:
            val_loss = per_character_loss(model, val_ids, T)
            record["step"].append(step)
            record["train_loss"].append(float(np.mean(recent)))
            record["val_loss"].append(val_loss)
            log(f"step {step:5d}  train loss (mean of last {len(recent)}) {np.mean(recent):.3f}  "
                f"val loss {val_loss:.3f}  ({time.perf_counter() - start:.0f} s)")
            recent = []
    record["train_seconds"] = time.perf_counter() - start
    # Round to the stored precision, so the model in memory is exactly the one the file holds.
    for p in model.parameters():
        p.data[...] = p.data.astype(np.float16)
    record["final_val_loss"] = per_character_loss(model, val_ids, T)
    log(f"float16 weights: val loss {record['final_val_loss']:.4f}; training took {record['train_seconds']:.0f} s")
    return model, tokenizer, record


def checkpoint_arrays(model, tokenizer, record):
    config = [len(tokenizer), MODEL["block_size"], MODEL["n_layer"], MODEL["n_head"], MODEL["n_embd"]]
    arrays = {"config": np.array(config, dtype=np.int64), "itos": np.array(tokenizer.itos, dtype="<U1")}
    for name, value in model.state_dict().items():
        arrays["param." + name] = value.data.astype(np.float16)
    arrays["history_step"] = np.array(record["step"], dtype=np.int64)
    arrays["history_train_loss"] = np.array(record["train_loss"], dtype=np.float64)
    arrays["history_val_loss"] = np.array(record["val_loss"], dtype=np.float64)
    return arrays


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=TRAINING["steps"])
    parser.add_argument("--out", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    model, tokenizer, record = train(args.steps)
    data = reproducible_npz_bytes(checkpoint_arrays(model, tokenizer, record))
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes), sha256 {hashlib.sha256(data).hexdigest()}")
    return model, tokenizer, record


if __name__ == "__main__":
    main()
