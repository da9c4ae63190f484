# %% [markdown]
# # Milestone 2017 · Attention is all you need
#
# In June 2017 eight researchers at Google Brain and Google Research (Ashish Vaswani, Noam Shazeer, Niki
# Parmar, Jakob Uszkoreit, Llion Jones, Aidan Gomez, Łukasz Kaiser and Illia Polosukhin) posted
# *"Attention Is All You Need"*, presented at NeurIPS that December. Machine translation then ran on
# recurrent networks, which read a sentence one word after another, with attention added as a helper
# between encoder and decoder. The paper removed the recurrence altogether: every layer lets each position
# look at all the others at once through multi-head scaled dot-product attention, with positional
# encodings to say where each word stands, residual connections, layer normalisation and a position-wise
# feed-forward network. Because nothing waits for the previous word, a whole sequence trains in parallel;
# the big model set a new state of the art on WMT 2014 English–German (28.4 BLEU) and English–French
# after 3.5 days on eight GPUs. The decoder half alone, trained to predict the next token, became GPT
# (Radford et al., 2018) and the language models that followed. Here it is a GPT of four layers that has
# read 36,000 characters of questions and answers.
#
# ```text
# Milestone map
#   Uses       : 01–08 (Tensor, autograd, Linear, cross-entropy, AdamW, cosine schedule, clipping)
#                10 Tokenization (CharTokenizer), 11 Embeddings, 12 Attention, 13 Transformers (GPT, generate)
#   Rebuilds   : a decoder-only transformer that answers questions character by character, and a
#                sequence task that only attention solves (reversing a string of digits)
#   Target     : validation loss on TinyTalks clearly below a count-based bigram model (≥ 0.3 nats/char);
#                ≥ 95% exact-match on held-out reversals; reproducible (seeded)
#   Previous   : the bigram — what a model that sees only the last character can do (the MLP-style
#                fixed-window predictors before attention are measured against it too)
#   Next       : 14 Profiling — where the time of a transformer goes
# ```

# %%
import math
import time

import numpy as np

import tinytorch
from tinytorch import GPT, CharTokenizer, Module, Tensor, arange, nn, no_grad, optim
from tinytorch.datasets import load_tinytalks, load_tinytalks_gpt, load_tinytalks_pairs
from tinytorch.nn import functional as F

# %% [markdown]
# ## The data
#
# TinyTalks ships with tinytorch: 638 short question-and-answer pairs written for this course, 574 for
# training and 64 held out for validation (no pair is in both). Each pair is a `Q:` line, an `A:` line and a
# blank line. The model reads characters: 71 distinct ones, so 71 token ids.

# %%
train_text, val_text = load_tinytalks()
train_pairs, val_pairs = load_tinytalks_pairs()
tokenizer = CharTokenizer(train_text)
train_ids = np.asarray(tokenizer.encode(train_text), dtype=np.int64)
val_ids = np.asarray(tokenizer.encode(val_text), dtype=np.int64)
print(f"training text {len(train_text):,} characters ({len(train_pairs)} pairs), validation "
      f"{len(val_text):,} ({len(val_pairs)} pairs), vocabulary {len(tokenizer)}")
print(val_text[:160])

# %% [markdown]
# ## The previous architecture: a bigram model
#
# Before attention, a language model predicted the next character from a fixed, short window of the past.
# The shortest window is one character: count, in the training text, how often each character follows each
# other one, add one to every count (Laplace smoothing, so nothing unseen gets probability zero) and divide
# by the row total. Its loss on the validation text, in nats per character, is the number to beat. A
# uniform guess over 71 characters would score ln 71 = 4.26.

# %%
V = len(tokenizer)
counts = np.ones((V, V), dtype=np.float64)          # add-one smoothing
np.add.at(counts, (train_ids[:-1], train_ids[1:]), 1)
bigram_log_probs = np.log(counts / counts.sum(axis=1, keepdims=True))
bigram_loss = -bigram_log_probs[val_ids[:-1], val_ids[1:]].mean()
print(f"bigram validation loss: {bigram_loss:.3f} nats per character "
      f"(perplexity {math.exp(bigram_loss):.1f}; uniform guess {math.log(V):.2f})")

# %% [markdown]
# ## The transformer: a GPT trained on TinyTalks
#
# Module 13's `GPT` with 4 layers, 4 heads, 64-dimensional embeddings and a context of 64 characters
# (213,248 parameters) was trained on the training text by
# `datasets/tinytalks/train_gpt_checkpoint.py`: random 64-character windows, 16 per step, predicting every
# next character; AdamW (learning rate 0.002, weight decay 0.1) with a cosine schedule, gradient clipping
# at 1.0, dropout 0.1, 3,000 steps, seed 2017. The full run,
# `python datasets/tinytalks/train_gpt_checkpoint.py`, took 857 s under CPython (one thread, sharing a
# two-core machine with another run; about 150 ms per step alone) and logged:
#
# ```text
# step   250  train loss (mean of last 250) 2.122  val loss 1.679  (67 s)
# step   500  train loss (mean of last 250) 1.599  val loss 1.300  (117 s)
# step   750  train loss (mean of last 250) 1.372  val loss 1.114  (174 s)
# step  1000  train loss (mean of last 250) 1.241  val loss 0.998  (279 s)
# step  1250  train loss (mean of last 250) 1.133  val loss 0.940  (371 s)
# step  1500  train loss (mean of last 250) 1.098  val loss 0.901  (480 s)
# step  1750  train loss (mean of last 250) 1.035  val loss 0.868  (551 s)
# step  2000  train loss (mean of last 250) 0.988  val loss 0.832  (597 s)
# step  2250  train loss (mean of last 250) 0.925  val loss 0.834  (664 s)
# step  2500  train loss (mean of last 250) 0.918  val loss 0.818  (721 s)
# step  2750  train loss (mean of last 250) 0.888  val loss 0.813  (786 s)
# step  3000  train loss (mean of last 250) 0.875  val loss 0.814  (857 s)
# float16 weights: val loss 0.8141; training took 857 s
# wrote tinytorch/datasets/tinytalks_gpt.npz (409,911 bytes), sha256 1c8f2880c27bd2e2b8209e41609b1d4223b45c726d99ed987f09f2006db70f22
# ```
#
# In the browser that would take far longer (see the timing below), so the milestone loads the weights it
# produced, shipped in the package as `tinytalks_gpt.npz` (float16, 410 KB, checked against its sha256).
# Measured before publishing: this whole notebook ran in 26 s under Pyodide in Node (the browser's numpy,
# plots excluded) and the script form in 9 s under CPython.

# %%
model, gpt_tokenizer = load_tinytalks_gpt()
assert gpt_tokenizer.itos == tokenizer.itos, "the checkpoint's vocabulary differs from TinyTalks'"
print(model)
print(f"parameters: {sum(p.numel() for p in model.parameters()):,}")

# %% [markdown]
# Why ship weights instead of training here? Time one training step of the same architecture (fresh
# weights, the same batch shape):

# %%
tinytorch.manual_seed(0)
fresh = GPT(V, 64, 4, 4, 64, dropout=0.1)
fresh_optimizer = optim.AdamW(fresh.parameters(), lr=2e-3, weight_decay=0.1)
windows = np.stack([train_ids[s:s + 65] for s in range(0, 16 * 65, 65)])
start = time.perf_counter()
for _ in range(3):
    loss = F.cross_entropy(fresh(Tensor(windows[:, :-1], dtype=np.int64)).reshape(-1, V),
                           Tensor(windows[:, 1:].reshape(-1), dtype=np.int64))
    fresh_optimizer.zero_grad()
    loss.backward()
    fresh_optimizer.step()
step_seconds = (time.perf_counter() - start) / 3
print(f"one training step: {step_seconds:.2f} s here, so the 3,000 steps would take about "
      f"{3000 * step_seconds / 60:.0f} min")

# %% [markdown]
# ## Validation loss
#
# Score the GPT on exactly the characters the bigram was scored on: every validation character from the
# second on. The context is at most 64 characters, so slide windows of 64 along the text, half a window
# apart; the first window scores all its predictions and each later one only its second half. Every
# character is then predicted once, with at least 32 characters of context. All full windows go through
# the model as one batch.

# %%
def per_character_loss(model, ids, block_size=64):
    half = block_size // 2
    starts = list(range(0, max(len(ids) - 1 - half, 1), half))
    full = [s for s in starts if s + block_size + 1 <= len(ids)]
    total, count = 0.0, 0
    with no_grad():
        batches = [np.stack([ids[s:s + block_size + 1] for s in full])] if full else []
        batches += [ids[s:s + block_size + 1][None] for s in starts if s not in full]
        first = 0
        for windows in batches:
            logits = model(Tensor(windows[:, :-1], dtype=np.int64)).data.astype(np.float64)
            log_probs = logits - logits.max(-1, keepdims=True)
            log_probs -= np.log(np.exp(log_probs).sum(-1, keepdims=True))
            picked = np.take_along_axis(log_probs, windows[:, 1:, None], axis=-1)[..., 0]
            for row, start in zip(picked, starts[first:first + len(windows)]):
                kept = row if start == 0 else row[half:]
                total -= kept.sum()
                count += len(kept)
            first += len(windows)
    assert count == len(ids) - 1, f"scored {count} characters, expected {len(ids) - 1}"
    return total / count


start = time.perf_counter()
gpt_loss = per_character_loss(model, val_ids)
print(f"GPT validation loss:    {gpt_loss:.3f} nats per character (perplexity {math.exp(gpt_loss):.2f})  "
      f"[{time.perf_counter() - start:.1f} s]")
print(f"bigram validation loss: {bigram_loss:.3f} nats per character (perplexity {math.exp(bigram_loss):.2f})")
print(f"the transformer is {bigram_loss - gpt_loss:.2f} nats per character better: each character is "
      f"{math.exp(bigram_loss - gpt_loss):.1f}× more probable on average")

# %% [markdown]
# ## It answers
#
# Give it the question of a validation pair, `"Q: ...\nA:"`, and let it write until it produces the blank
# line that ends every pair. Greedy decoding takes the most probable character each time (`top_k=1`);
# sampling draws from the 5 most probable at temperature 0.8, seeded. None of these questions was in the
# training text.

# %%
def answer(question, **sampling):
    ids = np.array([tokenizer.encode(f"Q: {question}\nA:")], dtype=np.int64)
    prompt_length = ids.shape[1]
    for _ in range(100):
        ids = model.generate(Tensor(ids, dtype=np.int64), 1, **sampling).data
        if tokenizer.decode(ids[0, -2:]) == "\n\n":
            break
    return tokenizer.decode(ids[0, prompt_length:]).strip()


questions = [pair.split("\n")[0][3:] for pair in val_pairs]
shown = [questions[i] for i in (0, 5, 13, 19, 26, 37, 46, 53, 59)]
start = time.perf_counter()
tinytorch.manual_seed(2017)
for question in shown:
    truth = val_pairs[questions.index(question)].split("\nA: ")[1]
    print(f"Q: {question}\n   true:    {truth}\n   greedy:  {answer(question, top_k=1)}\n"
          f"   sampled: {answer(question, temperature=0.8, top_k=5)}")
print(f"[{time.perf_counter() - start:.1f} s]")

# %% [markdown]
# Read the answers for what a 213,000-parameter model learns from 36,000 characters. The form comes
# first: an answer line that ends with a full stop and the blank line. Then the frames of the templates:
# "The opposite of … is …", "… comes after …", "… plus … is …", "… is bigger than …", chosen from the
# question's first words. What it mostly does not do yet is fill the slot with the word it should copy
# from the question ("late", "Thursday", "44"): the loss rewards copying only on the few characters of that
# slot, and the model, trained for 3,000 steps, has not learned to do it reliably. Greedy decoding can also
# fall into a loop ("called a called a …") that sampling escapes. The loss is far better than the
# bigram's; the answers show how much of a language model's first progress is form rather than content.
#
# ## Where one head looks
#
# Each layer's `CausalSelfAttention.attention_weights(x)` returns the probabilities its heads use. For one
# validation pair, compute every head's weights and measure how much of the answer's attention goes back to
# the question; plot the head that looks there most. Row = the position predicting the next character,
# column = the character it attends to; the upper triangle is empty because the future is masked.

# %%
pair_text = val_pairs[19] + "\n"
pair_ids = Tensor(np.array([tokenizer.encode(pair_text)], dtype=np.int64), dtype=np.int64)
answer_start = pair_text.index("\nA:") + 1
maps = []
with no_grad():
    x = model.wte(pair_ids) + model.wpe(arange(pair_ids.shape[1]))
    for layer, block in enumerate(model.h):
        weights = block.attn.attention_weights(block.ln_1(x)).data[0]  # (heads, T, T)
        for head, w in enumerate(weights):
            to_question = w[answer_start:, :answer_start].sum(axis=1).mean()
            maps.append((to_question, layer, head, w))
        x = block(x)
print("share of the answer's attention on the question, per layer (rows) and head (columns):")
for layer in range(len(model.h)):
    print(f"  layer {layer}: " + "  ".join(f"{m[0]:.2f}" for m in maps if m[1] == layer))
share, layer, head, w = max(maps, key=lambda m: m[0])

# %%
import matplotlib.pyplot as plt  # in the browser, a cell's import is what makes Pyodide load matplotlib

labels = ["⏎" if c == "\n" else ("␣" if c == " " else c) for c in pair_text]
fig, ax = plt.subplots(figsize=(9, 9))
ax.imshow(w, cmap="Blues")
ax.set_xticks(range(len(labels)), labels, fontsize=7)
ax.set_yticks(range(len(labels)), labels, fontsize=7)
ax.set_xlabel("attends to (key)")
ax.set_ylabel("position (query)")
ax.set_title(f"layer {layer}, head {head}: {share:.0%} of the answer's attention is on the question")
plt.show()

# %% [markdown]
# ## A task only attention can do: reversing digits
#
# Feed `"37105294="` and train the model to continue with `"49250173"`: eight random digits, `=`, then the
# same digits backwards. The first output digit is the last input digit, the second is the one before it,
# and so on — output position `i` must fetch the digit `2·8 − i` places back, whatever the digits are.
# A model that mixes positions with fixed weights per position (an MLP on a window, a bigram, anything
# without attention) sees at each output position only the character just written, which says nothing about
# the digit it needs; to reverse strings of another length it would need other weights altogether.
# Attention computes where to look from the positions themselves: a query built from "I am output position
# i" matches the key "I am input position 7 − i", and the value carries that digit through.
#
# A fresh one-layer GPT (2 heads, 32-dimensional, 13,984 parameters) trains here, in the notebook, on
# random strings; the loss counts only the eight output digits. Accuracy is exact match (all eight digits
# right) on 1,000 held-out strings, decoded greedily.

# %%
DIGITS, EQUALS = 8, 10   # token ids 0..9 are digits, 10 is "="
REVERSE_STEPS, REVERSE_BATCH = 200, 64


def reversal_examples(n, rng):
    digits = rng.integers(0, 10, size=(n, DIGITS)).astype(np.int64)
    return np.concatenate([digits, np.full((n, 1), EQUALS, dtype=np.int64), digits[:, ::-1]], axis=1)


def show(sequence):
    return "".join("=" if t == EQUALS else str(t) for t in sequence)


def train_reversal(make_model, seed=2017):
    """Seed, build, train; returns (model, training seconds). The loss is on the output digits only."""
    tinytorch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = make_model()
    optimizer = optim.AdamW(net.parameters(), lr=3e-3, weight_decay=0.0)
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=REVERSE_STEPS)
    start = time.perf_counter()
    for step in range(1, REVERSE_STEPS + 1):
        batch = reversal_examples(REVERSE_BATCH, rng)
        logits = net(Tensor(batch[:, :-1], dtype=np.int64))[:, DIGITS:, :]   # predictions of the outputs
        loss = F.cross_entropy(logits.reshape(-1, 11), Tensor(batch[:, DIGITS + 1:].reshape(-1), dtype=np.int64))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        if step in (1, 50, 100) or step == REVERSE_STEPS:
            print(f"  step {step:3d}  loss {loss.item():.4f}")
    return net, time.perf_counter() - start


def reverse_accuracy(net, examples):
    """(exact-match accuracy, per-digit accuracy) of greedy decoding of the output digits."""
    net.eval()
    with no_grad():
        ids = examples[:, :DIGITS + 1]
        for _ in range(DIGITS):
            logits = net(Tensor(ids, dtype=np.int64)).data[:, -1, :]
            ids = np.concatenate([ids, logits.argmax(axis=-1)[:, None].astype(np.int64)], axis=1)
    right = ids[:, DIGITS + 1:] == examples[:, DIGITS + 1:]
    return right.all(axis=1).mean(), right.mean(), ids


held_out = reversal_examples(1000, np.random.default_rng(1))
reverser, reverse_seconds = train_reversal(lambda: GPT(11, 2 * DIGITS, 1, 2, 32))
reverse_exact, reverse_digit, decoded = reverse_accuracy(reverser, held_out)
seen = {show(s) for s in reversal_examples(REVERSE_STEPS * REVERSE_BATCH, np.random.default_rng(2017))}
print(f"trained {REVERSE_STEPS} steps in {reverse_seconds:.1f} s; held-out exact match {reverse_exact:.1%}, "
      f"per digit {reverse_digit:.1%}; held-out strings also seen in training: "
      f"{sum(show(s) in seen for s in held_out)} of {len(held_out)}")
for sequence in decoded[:4]:
    print("  " + show(sequence[:DIGITS + 1]) + " → " + show(sequence[DIGITS + 1:]))

# %% [markdown]
# The same model with its attention removed (each block's attention replaced by zeros, so every position
# sees only its own token and place), the same training:

# %%
class NoAttention(Module):
    def forward(self, x):
        return x * 0.0


def without_attention():
    net = GPT(11, 2 * DIGITS, 1, 2, 32)
    for block in net.h:
        block.attn = NoAttention()
    return net


blind, blind_seconds = train_reversal(without_attention)
blind_exact, blind_digit, _ = reverse_accuracy(blind, held_out)
print(f"without attention: exact match {blind_exact:.1%}, per digit {blind_digit:.1%} (chance: 10% per digit)")

# %% [markdown]
# And the attention map of the trained reverser on one held-out string: the output positions read the
# input along the anti-diagonal.

# %%
import matplotlib.pyplot as plt  # in the browser, a cell's import is what makes Pyodide load matplotlib

example = Tensor(decoded[:1, :-1], dtype=np.int64)
with no_grad():
    x = reverser.wte(example) + reverser.wpe(arange(example.shape[1]))
    reverse_maps = reverser.h[0].attn.attention_weights(reverser.h[0].ln_1(x)).data[0]
digits_shown = list(show(decoded[0, :-1]))
fig, axes = plt.subplots(1, 2, figsize=(10, 5))
for head, ax in enumerate(axes):
    ax.imshow(reverse_maps[head], cmap="Blues")
    ax.set_xticks(range(len(digits_shown)), digits_shown)
    ax.set_yticks(range(len(digits_shown)), digits_shown)
    ax.set_title(f"reversal, head {head}")
plt.show()

# %% [markdown]
# ## Result
#
# Targets: the GPT's validation loss at least 0.3 nats per character below the bigram's; ≥ 95% exact match
# on held-out reversals.

# %%
assert gpt_loss <= bigram_loss - 0.3, f"GPT {gpt_loss:.3f} is not 0.3 nats below the bigram's {bigram_loss:.3f}"
assert reverse_exact >= 0.95, f"reversal exact match {reverse_exact:.1%} is below the 95% target"
print(f"RESULT 2017 transformer: val_loss {gpt_loss:.3f} bigram {bigram_loss:.3f} reverse_exact "
      f"{reverse_exact:.1%} no_attention {blind_exact:.1%} in {reverse_seconds:.1f} s")

# %% [markdown]
# ## Reflection
#
# 1. The bigram has 71 × 71 = 5,041 numbers and the GPT 213,248. Which part of the GPT's lower loss would a
#    fixed window of, say, 8 characters (an MLP on 8 embeddings) also get, and which needs the question 30
#    characters back? Look at the templated answers above for your argument.
# 2. The GPT never saw the validation questions, yet answers many in the right words. Find an answer it gets
#    wrong and say whether the error is a missing fact or a failure to copy.
# 3. Reversal was trained at length 8 only. Predict what the model does on 6 digits followed by `=`, then
#    try it (the position embeddings were trained for positions 0–16; which of them has it never seen used
#    as "the `=` sign"?).
# 4. Attention costs time and memory growing with the square of the context. Where in this notebook did
#    that cost show up, and what does module 18 (Memoization, the KV cache) remove from `answer()`?
