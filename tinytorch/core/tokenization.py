"""Generated from content/10_tokenization.py by scripts/build_content.py: edit the source, not this file."""
# From content/10_tokenization.py, cell 2 (Part 1 · Characters as tokens)
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
        ids = []
        for position, char in enumerate(text):
            if char not in self.stoi:
                raise ValueError(f"CharTokenizer.encode: character {char!r} (U+{ord(char):04X}) at position "
                                 f"{position} is not in the vocabulary of {len(self)} characters")
            ids.append(self.stoi[char])
        return ids

    def decode(self, ids):
        """The text of a list of ids (a 1-D integer array or Tensor is accepted too)."""
        ids = _id_list(ids, "CharTokenizer.decode")
        for i in ids:
            if not 0 <= i < len(self):
                raise ValueError(f"CharTokenizer.decode: token id {i} is outside the vocabulary "
                                 f"(ids 0..{len(self) - 1})")
        return "".join(self.itos[i] for i in ids)


# From content/10_tokenization.py, cell 6 (Part 2 · Bytes, and counting adjacent pairs)
def count_pairs(ids, counts=None, weight=1):
    """Add `weight` to counts[(a, b)] for every adjacent pair of ids (overlapping pairs included: [7, 7, 7]
    holds (7, 7) twice); counts is a new dict when None. Returns counts."""
    if counts is None:
        counts = {}
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + weight
    return counts


# From content/10_tokenization.py, cell 10 (Part 3 · Merging a pair)
def merge_pair(ids, pair, new_id):
    """A new list: ids with each occurrence of `pair` (two adjacent ids, in that order) replaced by new_id,
    scanning left to right without overlaps ([7, 7, 7] with (7, 7) -> [new_id, 7])."""
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


# From content/10_tokenization.py, cell 14 (Part 4 · Training BPE, and encoding with the learned merges)
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
        while len(ids) >= 2:
            known = [pair for pair in zip(ids, ids[1:]) if pair in self.merges]
            if not known:
                break
            first = min(known, key=self.merges.get)
            ids = merge_pair(ids, first, self.merges[first])
        return list(ids)

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
