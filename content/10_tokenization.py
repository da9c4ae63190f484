# %% [markdown]
# # Module 10 · Tokenization
#
# A language model never sees text. It sees a list of whole numbers, one per **token**, and it predicts
# the next number. The **tokenizer** decides what a token is: a character, a byte, or a piece of a word.
# That choice fixes how long every sequence is, how big the model's first and last layers are, and
# which strings the model can read at all. This module builds the two tokenizers behind most small and
# large language models: a character tokenizer and a byte-level **BPE** (byte-pair encoding) tokenizer,
# and measures the trade-off between them on TinyTalks, the course's question-and-answer corpus.
#
# ```text
# Connection map
#   Prerequisites : 01 Tensor (int64 ids become a Tensor), 05 DataLoader (text in, batches out)
#   Focus (10)    : CharTokenizer (encode / decode), UTF-8 bytes, counting adjacent pairs, merging a pair,
#                   BPETokenizer (train by greedy merges, encode by applying merges in learned order)
#   Unlocks       : 11 Embeddings   (one learned vector per token id: a table of vocab x dim)
#                   12 Attention    (cost grows with the number of tokens squared)
#                   13 Transformers (a GPT that reads and writes token ids)
# ```
#
# ## Learning objectives
# By the end you will be able to
# 1. turn text into token ids and back with a character vocabulary, and say what happens to a character
#    the vocabulary has never seen;
# 2. explain why byte-level tokenizers can encode *any* string (emoji, accents, Chinese) with only 256
#    base tokens, using UTF-8;
# 3. count adjacent pairs and merge a pair, including the overlapping case `aaa`;
# 4. train a BPE tokenizer by greedy merges with a stated tie-break, and encode new text by applying the
#    merges in the order they were learned;
# 5. **measure**: tokens per character against vocabulary size, the training time of BPE (and why an
#    incremental pair count makes it fast enough for the browser), and the bytes of the embedding table
#    each vocabulary would need.
#
# Work top to bottom: fill in the code where it says `# YOUR CODE HERE`, and run each check cell.

# %% [markdown]
# ## Part 1 · Characters as tokens
#
# The simplest tokenizer gives every distinct character its own id. Built from a text, the vocabulary is
# the text's characters **sorted**, so the same text always gives the same ids on any machine (a Python
# `set` has no fixed order across runs). Built from a list of characters, the list's order is the
# vocabulary's order. Two dictionaries do the work:
#
# ```text
# vocabulary of "hello world":  ' ' d e h l o r w
# stoi (string -> id):          ' ':0  d:1  e:2  h:3  l:4  o:5  r:6  w:7
# itos (id -> string):          [' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']
# encode("hello") = [3, 2, 4, 4, 5]      decode([3, 2, 4, 4, 5]) = "hello"
# ```
#
# **Unknown characters.** What should `encode("hello!")` do when `!` is not in the vocabulary? A silent
# choice (skip it, or map it to id 0) produces ids that decode to a *different* text, and the model then
# trains on a corrupted corpus without anyone noticing. Our policy is to refuse: `encode` raises a
# `ValueError` that names the character (`'!'`) and where it is. The same goes for `decode`: an id outside
# `0 .. len(vocabulary) - 1` is an error, and so is a negative id (Python's `itos[-1]` would quietly
# return the last character). Part 2 shows the other way out: a vocabulary that contains every possible
# byte, so nothing is ever unknown.
#
# Ids are plain Python `int`s in a `list`: a tokenizer is text processing, not tensor maths. Module 11
# turns a list of ids into an int64 `Tensor` with `tinytorch.tensor(ids)`.
#
# Your task: `CharTokenizer.encode` and `CharTokenizer.decode`. The constructor and the input checks are
# given.

# %%
#| export
#| default_exp core.tokenization
import numbers
import re
from collections import Counter, defaultdict

import numpy as np

from tinytorch.core.tensor import Tensor

__all__ = ["CharTokenizer", "BPETokenizer", "count_pairs", "merge_pair", "split_chunks"]


def _require_text(text, what):
    if not isinstance(text, str):
        raise TypeError(f"{what} expects a str, got {type(text).__name__} {text!r:.60}")


def _id_list(ids, what):
    """ids (a list or tuple of ints, a 1-D integer numpy array or Tensor) as a list of Python ints."""
    if isinstance(ids, Tensor):
        ids = ids.data
    if isinstance(ids, np.ndarray):
        if ids.ndim != 1 or ids.dtype.kind not in "iu":
            raise TypeError(f"{what} expects a 1-D integer array of token ids, got dtype {ids.dtype} "
                            f"and shape {ids.shape}")
        return [int(i) for i in ids]
    if isinstance(ids, (str, bytes)) or not hasattr(ids, "__iter__"):
        raise TypeError(f"{what} expects a list of token ids, got {type(ids).__name__} {ids!r:.60}")
    ids = list(ids)
    for i in ids:
        if isinstance(i, bool) or not isinstance(i, numbers.Integral):
            raise TypeError(f"{what} expects integer token ids, got {type(i).__name__} {i!r:.60}")
    return [int(i) for i in ids]


class CharTokenizer:
    """One token per character. CharTokenizer(text) uses the text's distinct characters, sorted;
    CharTokenizer(list_of_characters) uses the list in its order. A character outside the vocabulary is
    an error (ValueError naming it): there is no unknown token."""

    def __init__(self, text_or_chars):
        if isinstance(text_or_chars, str):
            chars = sorted(set(text_or_chars))
        elif isinstance(text_or_chars, (list, tuple)):
            chars = list(text_or_chars)
            for char in chars:
                if not isinstance(char, str) or len(char) != 1:
                    raise ValueError(f"CharTokenizer: each vocabulary entry must be one character, got {char!r}")
            repeated = sorted({char for char in chars if chars.count(char) > 1})
            if repeated:
                raise ValueError(f"CharTokenizer: characters listed more than once: {repeated}")
        else:
            raise TypeError(f"CharTokenizer expects a text (str) or a list of characters, "
                            f"got {type(text_or_chars).__name__}")
        self.itos = chars                                     # id -> character
        self.stoi = {char: i for i, char in enumerate(chars)}  # character -> id

    def __len__(self):
        return len(self.itos)

    def __repr__(self):
        return f"CharTokenizer(vocab_size={len(self)})"

    def encode(self, text):
        """The id of each character of `text`, as a list of ints."""
        _require_text(text, "CharTokenizer.encode")
        # HINT 1: Encoding maps each character of the text, in order, to its id in the vocabulary. A character
        # HINT 1: the vocabulary does not hold is an error, never skipped and never mapped to another id: a
        # HINT 1: silent gap would corrupt the data.
        # HINT 2: `self.stoi` maps characters to ids; `enumerate(text)` gives each character's position. Raise
        # HINT 2: ValueError naming the character with `repr()` (so it shows as '!') and its position, and
        # HINT 2: saying it is not in the vocabulary.
        ### BEGIN SOLUTION
        ids = []
        for position, char in enumerate(text):
            if char not in self.stoi:
                raise ValueError(f"CharTokenizer.encode: character {char!r} (U+{ord(char):04X}) at position "
                                 f"{position} is not in the vocabulary of {len(self)} characters")
            ids.append(self.stoi[char])
        return ids
        ### END SOLUTION

    def decode(self, ids):
        """The text of a list of ids (a 1-D integer array or Tensor is accepted too)."""
        ids = _id_list(ids, "CharTokenizer.decode")
        # HINT 1: Decoding is the reverse lookup: each id gives back its character, and the characters join into
        # HINT 1: one string. An id outside the vocabulary is an error, a negative one too (a Python list would
        # HINT 1: silently read it from the end).
        # HINT 2: Valid ids are 0 to `len(self)` − 1: raise ValueError naming the id and the vocabulary size for
        # HINT 2: any other. `self.itos[i]` is id i's character; `"".join(...)` joins them with nothing between.
        ### BEGIN SOLUTION
        for i in ids:
            if not 0 <= i < len(self):
                raise ValueError(f"CharTokenizer.decode: token id {i} is outside the vocabulary "
                                 f"(ids 0..{len(self) - 1})")
        return "".join(self.itos[i] for i in ids)
        ### END SOLUTION


# %% [markdown]
# ### Check Part 1

# %%
from tinytorch.checks.tokenization import check_char_tokenizer

check_char_tokenizer(CharTokenizer)

# %% [markdown]
# ## Part 2 · Bytes, and counting adjacent pairs
#
# A character vocabulary built from English text has no `é`, no `日` and no `🙂`. Unicode has over
# 150,000 characters, far too many for a vocabulary. **UTF-8** solves it: it writes every character as 1
# to 4 **bytes**, and a byte has only 256 possible values. ASCII characters are one byte (`a` is 97);
# `é` is two bytes (195, 169), `日` three, `🙂` four:
#
# ```text
# "aé🙂"  ->  UTF-8 bytes  97 | 195 169 | 240 159 153 130
# ```
#
# A tokenizer whose base vocabulary is the 256 bytes can therefore encode *any* string, and decode it back
# exactly, with no unknown token. The price is length: a Chinese sentence becomes three times as many
# tokens as characters. **Byte-pair encoding** (BPE, introduced for compression by Gage in 1994 and for
# neural machine translation by Sennrich et al. in 2016) buys the length back: it finds the most frequent
# pair of adjacent tokens in a training text, gives that pair a new id, replaces it everywhere, and
# repeats. Frequent pieces (`" the"`, `"\nA:"`) become single tokens; rare characters stay as bytes.
#
# The first step of each round is counting pairs: how often does each adjacent pair `(a, b)` occur?
# Every position counts, **including overlapping ones**: in `a a a` the pair `(a, a)` occurs at positions
# 0 and 1, so twice. (Only one of them can be replaced by a merge — `aa` then `a` — but counting every
# position is the standard definition, and the one this course checks.) Counting `"aaa".count("aa")` or
# stepping two positions at a time gives 1: a classic mistake.
#
# Training needs two more things from the counter. It adds into an existing dictionary (`counts`), so
# pairs can be summed over many pieces of text; and it takes a `weight`, so a piece that occurs 40 times in
# the corpus is counted once with weight 40 — and a weight of −40 takes its pairs back out again (Part 4
# uses this to update the counts after a merge instead of recounting everything).
#
# Your task: `count_pairs`.

# %%
#| export
def count_pairs(ids, counts=None, weight=1):
    """Add `weight` to counts[(a, b)] for every adjacent pair of ids (overlapping pairs included: [7, 7, 7]
    holds (7, 7) twice); counts is a new dict when None. Returns counts."""
    # HINT 1: BPE learns by counting how often each pair of neighbouring ids occurs. Every position with a right
    # HINT 1: neighbour forms a pair, and pairs overlap: in [1, 1, 1] the pair (1, 1) occurs twice. Add `weight`
    # HINT 1: per occurrence into the given dict, so counts can pile up over several chunks.
    # HINT 2: Use {} when `counts` is None. `zip(ids, ids[1:])` gives each neighbouring pair as a tuple;
    # HINT 2: `dict.get(key, 0)` reads a count that may not exist yet. Do not change `ids`; return the same
    # HINT 2: dict.
    ### BEGIN SOLUTION
    if counts is None:
        counts = {}
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + weight
    return counts
    ### END SOLUTION


# %% [markdown]
# ### Check Part 2

# %%
from tinytorch.checks.tokenization import check_count_pairs

check_count_pairs(count_pairs)

# %% [markdown]
# ## Part 3 · Merging a pair
#
# A merge replaces every occurrence of the pair `(a, b)` by one new id, scanning **left to right** and
# never reusing a token that has just been merged:
#
# ```text
# ids  [1, 2, 3, 1, 2]   pair (1, 2) -> 99   gives [99, 3, 99]
# ids  [7, 7, 7]         pair (7, 7) -> 99   gives [99, 7]        (not [99, 99]: the middle 7 is used once)
# ids  [7, 7, 7, 7]      pair (7, 7) -> 99   gives [99, 99]
# ```
#
# The order of the pair matters: `(1, 2)` does not match `2, 1`. The result is a new list; the input is
# left as it was (training keeps the old list to subtract its pairs).
#
# Your task: `merge_pair`.

# %%
#| export
def merge_pair(ids, pair, new_id):
    """A new list: ids with each occurrence of `pair` (two adjacent ids, in that order) replaced by new_id,
    scanning left to right without overlaps ([7, 7, 7] with (7, 7) -> [new_id, 7])."""
    # HINT 1: Merging replaces every occurrence of the pair, scanning left to right, by the new id; an
    # HINT 1: occurrence takes both its ids, so they cannot start another match (in [1, 1, 1] the pair (1, 1)
    # HINT 1: merges once, then the last 1 stays).
    # HINT 2: A `while` loop with an index over `ids`, appending to a new list: when there is a next entry and
    # HINT 2: the two equal the pair, append `new_id` and move two steps; otherwise append the current id and
    # HINT 2: move one.
    ### BEGIN SOLUTION
    first, second = pair
    merged = []
    i = 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == first and ids[i + 1] == second:
            merged.append(new_id)
            i += 2
        else:
            merged.append(ids[i])
            i += 1
    return merged
    ### END SOLUTION


# %% [markdown]
# ### Check Part 3

# %%
from tinytorch.checks.tokenization import check_merge_pair

check_merge_pair(merge_pair)

# %% [markdown]
# ## Part 4 · Training BPE, and encoding with the learned merges
#
# **Training** (given below, read it) starts from the 256 byte tokens and repeats until the vocabulary
# has `vocab_size` tokens:
#
# 1. count all adjacent pairs;
# 2. pick the most frequent pair. **Ties** go to the smallest pair of ids, compared as tuples: `(32, 97)`
#    before `(97, 98)`. Any fixed rule would do; what matters is that the same text always gives the same
#    merges (picking "whichever the dictionary lists first" depends on the order pairs were first seen);
# 3. give it the next id (256, 257, ...), whose bytes are the two tokens' bytes joined, and merge it
#    everywhere.
#
# Two ideas make it fast enough to train on all of TinyTalks in a fraction of a second, even in the
# browser:
#
# * **Chunks.** `split_chunks` cuts the text into runs of whitespace followed by non-whitespace
#   (`"Q: What is"` → `"Q:"`, `" What"`, `" is"`), as GPT-2's tokenizer does with a more elaborate rule.
#   Merges never cross a chunk boundary, so each *distinct* chunk is tokenized once and counted with its
#   frequency as weight: TinyTalks' 36,381 training characters make 7,850 chunks, only 1,468 of them distinct.
# * **Incremental counts.** After a merge only the chunks that contained the pair change. For each of them
#   we subtract its old pairs (`weight=-frequency`), merge, and add its new pairs back, instead of
#   recounting the whole corpus. An index from each pair to the chunks that contain it finds them.
#
# If the text runs out of pairs (every chunk is one token) training stops early, and `len(tokenizer)` is
# smaller than `vocab_size`. Training greedily means that the merges for a vocabulary of 300 are the
# first 44 merges of a vocabulary of 600: one training run serves every smaller size.
#
# **Encoding** new text must repeat the merges **in the order they were learned**. Within a chunk, look
# at all adjacent pairs that are known merges, merge the one learned *earliest* (its new id is the
# smallest), and repeat until no adjacent pair is a known merge. Order matters: if `(b, c)` was learned
# before `(a, b)`, then `abc` must become `a·bc`, not `ab·c` — the second is a valid tokenization too, but
# not the one the model was trained on. Merging the leftmost known pair first, or the pair that is most
# frequent in the text being encoded, are the classic mistakes.
#
# **Decoding** joins the bytes of each token and decodes them as UTF-8. Any list of ids from `encode`
# decodes to exactly the original text. A list the model generates may cut a character in half (the
# first byte of `é` without the second): such bytes become U+FFFD `�` (`errors="replace"`), so decoding
# never fails and never silently drops a byte.
#
# Your task: `BPETokenizer.encode_chunk`. `encode` splits the text into chunks and calls it on the UTF-8
# bytes of each (caching the result per distinct chunk).

# %%
#| export
_CHUNK = re.compile(r"\s*\S+|\s+")


def split_chunks(text):
    """Cut text into runs of whitespace followed by non-whitespace (the last run may be whitespace only);
    joined, the chunks are the text. BPE merges never cross a chunk boundary."""
    return _CHUNK.findall(text)


def _byte_vocabulary():
    return {i: bytes([i]) for i in range(256)}


class BPETokenizer:
    """Byte-level byte-pair encoding. The base vocabulary is the 256 bytes, so every string (any Unicode)
    encodes and decodes back exactly; train(text, vocab_size) learns merges greedily, the most frequent
    adjacent pair first, ties going to the smallest pair of ids."""

    def __init__(self):
        self.merges = {}                 # (id, id) -> new id, in the order learned
        self.vocab = _byte_vocabulary()  # id -> the bytes it stands for
        self._cache = {}                 # chunk -> its ids (encode is called on the same words again and again)

    def __len__(self):
        return len(self.vocab)

    def __repr__(self):
        return f"BPETokenizer(vocab_size={len(self)}, merges={len(self.merges)})"

    def train(self, text, vocab_size):
        """Learn merges from `text` until the vocabulary has vocab_size tokens (fewer if the text runs out of
        pairs). Replaces any earlier training. Returns self."""
        _require_text(text, "BPETokenizer.train")
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, numbers.Integral):
            raise TypeError(f"BPETokenizer.train: vocab_size must be an int, got {type(vocab_size).__name__} "
                            f"{vocab_size!r}")
        if vocab_size < 256:
            raise ValueError(f"BPETokenizer.train: vocab_size must be at least 256 (the byte tokens), "
                             f"got {vocab_size}")
        self.merges, self.vocab, self._cache = {}, _byte_vocabulary(), {}
        chunk_counts = Counter(split_chunks(text))
        chunks = [list(chunk.encode("utf-8")) for chunk in chunk_counts]  # each distinct chunk once...
        weights = list(chunk_counts.values())                               # ...with how often it occurs
        counts, where = {}, defaultdict(set)  # pair -> weighted count; pair -> indices of chunks holding it
        for index, (chunk, weight) in enumerate(zip(chunks, weights)):
            count_pairs(chunk, counts, weight)
            for pair in zip(chunk, chunk[1:]):
                where[pair].add(index)
        for new_id in range(256, int(vocab_size)):
            if not counts:
                break  # every chunk is a single token: nothing left to merge
            best = min(counts, key=lambda pair: (-counts[pair], pair))  # most frequent; ties: smallest pair
            self.merges[best] = new_id
            self.vocab[new_id] = self.vocab[best[0]] + self.vocab[best[1]]
            for index in where.pop(best):
                old = chunks[index]
                new = merge_pair(old, best, new_id)
                count_pairs(old, counts, -weights[index])  # take the chunk's old pairs out...
                count_pairs(new, counts, weights[index])   # ...and its new pairs in
                for pair in zip(old, old[1:]):
                    if counts.get(pair) == 0:
                        del counts[pair]
                for pair in zip(new, new[1:]):
                    where[pair].add(index)
                chunks[index] = new
        return self

    def encode_chunk(self, ids):
        """Apply the learned merges to a list of ids (the bytes of one chunk), in the order they were learned:
        repeatedly merge the adjacent pair whose merge was learned earliest."""
        # HINT 1: Encoding replays the learned merges in the order they were learned, on this chunk: of the
        # HINT 1: neighbouring pairs that have a merge, the earliest learned has the smallest new id. Apply it,
        # HINT 1: look again, and stop when no pair has a merge (or one id is left).
        # HINT 2: `self.merges` maps a pair to its new id. Collect the chunk's pairs that are keys of it;
        # HINT 2: `min(..., key=self.merges.get)` picks the earliest; `merge_pair` applies it. Return a list.
        ### BEGIN SOLUTION
        while len(ids) >= 2:
            known = [pair for pair in zip(ids, ids[1:]) if pair in self.merges]
            if not known:
                break
            first = min(known, key=self.merges.get)
            ids = merge_pair(ids, first, self.merges[first])
        return list(ids)
        ### END SOLUTION

    def encode(self, text):
        """The token ids of `text` (any str; a lone surrogate, which is not valid Unicode, is refused)."""
        _require_text(text, "BPETokenizer.encode")
        ids = []
        for chunk in split_chunks(text):
            if chunk not in self._cache:
                self._cache[chunk] = self.encode_chunk(list(chunk.encode("utf-8")))
            ids.extend(self._cache[chunk])
        return ids

    def decode(self, ids):
        """The text of a list of token ids; bytes that are not valid UTF-8 (half a character) become U+FFFD."""
        ids = _id_list(ids, "BPETokenizer.decode")
        for i in ids:
            if i not in self.vocab:
                raise ValueError(f"BPETokenizer.decode: token id {i} is outside the vocabulary "
                                 f"(ids 0..{len(self) - 1})")
        return b"".join(self.vocab[i] for i in ids).decode("utf-8", errors="replace")


# %% [markdown]
# ### Check Part 4

# %%
from tinytorch.checks.tokenization import check_bpe_tokenizer

check_bpe_tokenizer(BPETokenizer)

# %% [markdown]
# ## Use it
#
# TinyTalks ships inside `tinytorch`: 638 question-and-answer pairs written for this course, split into
# 574 training and 64 validation pairs (see its datasheet in `datasets/tinytalks/DATASHEET.md`). We build
# a character tokenizer from the training text and train a BPE tokenizer of 600 tokens on it.

# %%
import time

import tinytorch
from tinytorch.datasets import load_tinytalks

train_text, val_text = load_tinytalks()
print(f"train: {len(train_text):,} characters, val: {len(val_text):,} characters")
print(train_text[:160])

# %%
char_tokenizer = CharTokenizer(train_text)
ids = char_tokenizer.encode("Q: What is a tensor?")
print(char_tokenizer, ids)
print(repr(char_tokenizer.decode(ids)))
unseen = sorted(set(val_text) - set(train_text))
print("characters of the validation text the training text never uses:", unseen)
try:
    char_tokenizer.encode("Q: Où est le café?")
except ValueError as error:
    print("ValueError:", error)

# %%
start = time.perf_counter()
bpe = BPETokenizer().train(train_text, 600)
print(f"{bpe} trained in {time.perf_counter() - start:.2f} s")
print("the first 20 merges:", [bpe.vocab[i].decode("utf-8", errors="replace") for i in range(256, 276)])
ids = bpe.encode("Q: What is a tensor?\nA:")
print(len(ids), "tokens:", [bpe.vocab[i].decode("utf-8", errors="replace") for i in ids])
for text in ["Q: Où est le café? 🙂", "日本語のテキスト", ""]:
    ids = bpe.encode(text)
    print(f"{text!r}: {len(text)} characters, {len(text.encode('utf-8'))} bytes, {len(ids)} tokens, "
          f"round trip exact: {bpe.decode(ids) == text}")
batch = tinytorch.tensor(bpe.encode(val_text[:64]))
print("ids as a tensor for module 11:", batch.dtype, tuple(batch.shape))

# %% [markdown]
# The first merges are the corpus' most common pieces: `" i"` then `" is"`, the blank line between pairs,
# `"\nA:"`, `"Q:"`, `" What"`. The French and Japanese sentences use characters TinyTalks never
# contains: the character tokenizer refuses them, BPE falls back to their bytes and still round-trips.
#
# ## Systems analysis · measured
#
# ### 1. Vocabulary size against sequence length
# A bigger vocabulary makes sequences shorter: each token covers more text. We measure **tokens per
# character** on the *validation* text (not seen in training) for the character tokenizer and for BPE at
# several sizes. A vocabulary of 256 is plain bytes: one token per byte.

# %%
from tinytorch.timing import time_per_call  # best of several rounds, long enough for a coarse clock

VOCAB_SIZES = [256, 300, 400, 600, 1000]


def tokenizer_table(sizes=VOCAB_SIZES):
    """The character tokenizer (of all of TinyTalks) and BPE trained on train_text at each size, by name."""
    table = {"char": CharTokenizer(train_text + val_text)}
    for size in sizes:
        table[f"BPE {size}"] = BPETokenizer().train(train_text, size)
    return table


def tokens_per_character(tokenizer, text):
    return len(tokenizer.encode(text)) / len(text)


start = time.perf_counter()
tokenizers = tokenizer_table()
print(f"trained BPE at sizes {VOCAB_SIZES} in {time.perf_counter() - start:.2f} s")
print(f"{'tokenizer':>10} {'vocab':>6} {'val tokens':>11} {'tokens/char':>12} {'chars/token':>12}")
for name, tokenizer in tokenizers.items():
    n_tokens = len(tokenizer.encode(val_text))
    print(f"{name:>10} {len(tokenizer):>6} {n_tokens:>11,} {n_tokens / len(val_text):>12.3f} "
          f"{len(val_text) / n_tokens:>12.2f}")
prefix = list(tokenizers["BPE 1000"].merges.items())[:144]
print("the 400-token merges are the first 144 of the 1000-token run:",
      list(tokenizers["BPE 400"].merges.items()) == prefix)

# %% [markdown]
# TinyTalks is ASCII, so bytes and characters coincide: the character tokenizer (71 tokens) and BPE 256
# both spend one token per character. The first few hundred merges shorten the text fastest, because they
# capture the most frequent pieces; later merges are rarer words and save less each (from 600 to 1000 tokens
# the text shrinks by only a tenth more). Merges learned from one text usually fit that text best; here the
# validation pairs are mostly new fillings of the training templates, so they compress almost as well
# (Reflect question 5 measures it).
#
# ### 2. How long BPE training takes, and why the incremental count matters
# Training all five vocabularies took the time printed above. The straightforward algorithm recounts every
# pair of every chunk after each merge; ours only updates the chunks that contained the merged pair. We
# time both for the same merges (they must agree) and compare the time **per merge**.

# %%
def train_by_recounting(text, vocab_size):
    """BPE training as first described: recount every pair after every merge. Returns the merges."""
    chunk_counts = Counter(split_chunks(text))
    chunks = [list(chunk.encode("utf-8")) for chunk in chunk_counts]
    weights = list(chunk_counts.values())
    merges = {}
    for new_id in range(256, vocab_size):
        counts = {}
        for chunk, weight in zip(chunks, weights):
            count_pairs(chunk, counts, weight)
        if not counts:
            break
        best = min(counts, key=lambda pair: (-counts[pair], pair))
        merges[best] = new_id
        chunks = [merge_pair(chunk, best, new_id) for chunk in chunks]
    return merges


start = time.perf_counter()
recounted = train_by_recounting(train_text, 320)
recount_seconds = time.perf_counter() - start
incremental_seconds = time_per_call(lambda: BPETokenizer().train(train_text, 320), repeat=2)
same = recounted == BPETokenizer().train(train_text, 320).merges
print(f"64 merges: recounting {recount_seconds:.3f} s ({recount_seconds / 64 * 1e3:.1f} ms/merge), "
      f"incremental {incremental_seconds:.3f} s ({incremental_seconds / 64 * 1e3:.2f} ms/merge); "
      f"same merges: {same}; speed-up {recount_seconds / incremental_seconds:.0f}x")
print(f"recounting would need about {recount_seconds / 64 * 744:.1f} s for the 744 merges of a 1000-token vocabulary")

# %% [markdown]
# Recounting costs the same for every merge (one pass over all chunks); the incremental update costs only
# as much as the chunks that change, which shrinks as merges become rarer, so the speed-up grows with the
# vocabulary. Measured when this module was written: training BPE 600 on TinyTalks took 0.08 s in CPython
# and 0.20 s under Pyodide (the browser's Python), and recounting would have needed about 2 s and 5 s for
# BPE 1000. Real tokenizers
# train on gigabytes with the same two ideas (distinct words with counts, incremental pair updates) in
# compiled code.
#
# ### 3. What each vocabulary costs the model (bridge to module 11)
# Module 11 gives every token id a learned vector of `dim` numbers: an **embedding table** of
# `vocab × dim` float32 parameters, and a GPT's output layer has the same size again. A bigger vocabulary
# costs parameters; it saves sequence length, and attention (module 12) stores one score per pair of
# tokens, so its memory grows with the **square** of the sequence length. We price both for the average
# TinyTalks pair and a model with `dim = 128`.

# %%
DIM = 128
tokenizers = tokenizer_table()
pair_chars = len(val_text) / val_text.count("Q: ")
print(f"an average pair has {pair_chars:.0f} characters; embedding dim {DIM}, float32")
print(f"{'tokenizer':>10} {'vocab':>6} {'table (bytes)':>14} {'tokens/pair':>12} {'scores/pair':>12}")
for name, tokenizer in tokenizers.items():
    table_bytes = len(tokenizer) * DIM * 4
    tokens = pair_chars * tokens_per_character(tokenizer, val_text)
    print(f"{name:>10} {len(tokenizer):>6} {table_bytes:>14,} {tokens:>12.1f} {tokens ** 2:>12.0f}")

# %% [markdown]
# For a tiny model, going from characters to BPE 1000 multiplies the embedding table by about 14 (36 KB to
# 512 KB) and makes each pair about 3.3 times shorter, which divides attention's score memory per pair by
# about 11. At
# GPT scale (a vocabulary of 50,000 and `dim` 768) the table alone is 154 MB in float32: vocabulary size
# is a memory decision as much as a language one.
#
# ## Reflect
#
# Predict each answer first, then run the cell under it.
#
# 1. How many UTF-8 bytes, and how many BPE-256 tokens, does `"naïve 🙂"` take? How many characters?

# %%
text = "naïve 🙂"
print(len(text), "characters,", len(text.encode("utf-8")), "bytes,",
      len(BPETokenizer().encode(text)), "tokens with no merges")

# %% [markdown]
# 2. `count_pairs` on the bytes of `"aaaa"`: what count does `(97, 97)` get, and how many tokens are left
#    after merging that pair once?

# %%
print(count_pairs(list(b"aaaa")), merge_pair(list(b"aaaa"), (97, 97), 256))

# %% [markdown]
# 3. What does `decode` return for the first byte of `é` alone, `[195]`? And the character tokenizer for an
#    id equal to its vocabulary size?

# %%
print(repr(BPETokenizer().decode([195])))
try:
    CharTokenizer("abc").decode([3])
except ValueError as error:
    print("ValueError:", error)

# %% [markdown]
# 4. An embedding of `dim = 64` for the BPE-600 vocabulary: how many float32 bytes? How many for the
#    character vocabulary of TinyTalks?

# %%
print(f"BPE 600: {600 * 64 * 4:,} bytes; char: {len(CharTokenizer(train_text + val_text)) * 64 * 4:,} bytes")

# %% [markdown]
# 5. Train BPE on the *training* text to 600 tokens: is the training text or the validation text
#    compressed more (tokens per character)? By how much? What about the datasheet explains it?

# %%
bpe600 = BPETokenizer().train(train_text, 600)
for name, text in [("train", train_text), ("val", val_text)]:
    print(f"{name}: {len(bpe600.encode(text)) / len(text):.3f} tokens per character")

# %% [markdown]
# **Next:** 11 Embeddings turns each token id into a learned vector, and adds where in the sequence the
# token sits.
