"""Each module-10 check accepts the reference and rejects a deliberately wrong implementation (a mutant)."""
from collections import Counter

import numpy as np

from tinytorch.checks import tokenization as checks
from tinytorch.core.tokenization import BPETokenizer, CharTokenizer, count_pairs, merge_pair, split_chunks

from mutants import make_mutant_tests


# ---------------------------------------------------------------- Part 1: CharTokenizer

class EncodeSkipsUnknown(CharTokenizer):
    def encode(self, text):
        return [self.stoi[c] for c in text if c in self.stoi]


class EncodeUnknownAsZero(CharTokenizer):
    def encode(self, text):
        return [self.stoi.get(c, 0) for c in text]


class EncodeRaisesKeyError(CharTokenizer):
    def encode(self, text):
        return [self.stoi[c] for c in text]


class EncodeReturnsArray(CharTokenizer):
    def encode(self, text):
        return np.array(super().encode(text), dtype=np.int64)


class DecodeDropsUnknownIds(CharTokenizer):
    def decode(self, ids):
        return "".join(self.itos[i] for i in ids if 0 <= i < len(self))


class DecodeNegativeIndexing(CharTokenizer):
    def decode(self, ids):
        for i in ids:
            if i >= len(self):
                raise ValueError(f"token id {i} is outside the vocabulary")
        return "".join(self.itos[i] for i in ids)


class DecodeWithSpaces(CharTokenizer):
    def decode(self, ids):
        return " ".join(self.itos[i] for i in ids)


class UnsortedVocabulary(CharTokenizer):
    """Builds the vocabulary in first-seen order: ids differ from the sorted vocabulary's."""

    def __init__(self, text_or_chars):
        super().__init__(list(dict.fromkeys(text_or_chars)))


# ---------------------------------------------------------------- Part 2: count_pairs

def count_pairs_stepping_two(ids, counts=None, weight=1):
    counts = {} if counts is None else counts
    for i in range(0, len(ids) - 1, 2):
        counts[ids[i], ids[i + 1]] = counts.get((ids[i], ids[i + 1]), 0) + weight
    return counts


def count_pairs_without_overlaps(ids, counts=None, weight=1):
    """Counts like str.count: after a repeated token pair, the scan jumps past it."""
    counts = {} if counts is None else counts
    i = 0
    while i < len(ids) - 1:
        pair = (ids[i], ids[i + 1])
        counts[pair] = counts.get(pair, 0) + weight
        i += 2 if ids[i] == ids[i + 1] else 1
    return counts


def count_pairs_missing_the_last(ids, counts=None, weight=1):
    counts = {} if counts is None else counts
    for i in range(len(ids) - 2):
        counts[ids[i], ids[i + 1]] = counts.get((ids[i], ids[i + 1]), 0) + weight
    return counts


def count_pairs_ignoring_weight(ids, counts=None, weight=1):
    return count_pairs(ids, counts, 1)


def count_pairs_new_dict(ids, counts=None, weight=1):
    return count_pairs(ids, None, weight)


# ---------------------------------------------------------------- Part 3: merge_pair

def merge_pair_overlapping(ids, pair, new_id):
    """Replaces the pair at every position where it starts, reusing tokens: [7, 7, 7] -> [new, new]."""
    merged = []
    for i in range(len(ids)):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            merged.append(new_id)
        elif i == 0 or (ids[i - 1], ids[i]) != pair:
            merged.append(ids[i])
    return merged


def merge_pair_right_to_left(ids, pair, new_id):
    return merge_pair(ids[::-1], pair[::-1], new_id)[::-1]


def merge_pair_any_order(ids, pair, new_id):
    merged = merge_pair(ids, pair, new_id)
    return merge_pair(merged, pair[::-1], new_id)


def merge_pair_drops_the_last(ids, pair, new_id):
    merged, i = [], 0
    while i < len(ids) - 1:
        if (ids[i], ids[i + 1]) == pair:
            merged.append(new_id)
            i += 2
        else:
            merged.append(ids[i])
            i += 1
    return merged


def merge_pair_in_place(ids, pair, new_id):
    merged = merge_pair(ids, pair, new_id)
    ids[:] = merged
    return ids


# ---------------------------------------------------------------- Part 4: BPETokenizer

class LeftmostFirst(BPETokenizer):
    def encode_chunk(self, ids):
        while True:
            known = [pair for pair in zip(ids, ids[1:]) if pair in self.merges]
            if not known:
                return ids
            ids = merge_pair(ids, known[0], self.merges[known[0]])


class MostFrequentFirst(BPETokenizer):
    """Applies the merge whose pair is most frequent in the text being encoded (ties: learned order)."""

    def encode_chunk(self, ids):
        while True:
            known = Counter(pair for pair in zip(ids, ids[1:]) if pair in self.merges)
            if not known:
                return ids
            pair = max(known, key=lambda p: (known[p], -self.merges[p]))
            ids = merge_pair(ids, pair, self.merges[pair])


class OneCodePointOneByte(BPETokenizer):
    """Encodes each character as ord(c) % 256: ASCII is right, anything else is not the inverse of decode."""

    def encode(self, text):
        ids = []
        for chunk in split_chunks(text):
            ids += self.encode_chunk([ord(c) % 256 for c in chunk])
        return ids


class DecodeIgnoresBadBytes(BPETokenizer):
    def decode(self, ids):
        return b"".join(self.vocab[i] for i in ids).decode("utf-8", errors="ignore")


class DecodeSkipsUnknownIds(BPETokenizer):
    def decode(self, ids):
        return b"".join(self.vocab[i] for i in ids if i in self.vocab).decode("utf-8", errors="replace")


class FirstSeenTieBreak(BPETokenizer):
    """Training that picks max(counts, key=counts.get): ties go to whichever pair was seen first."""

    def train(self, text, vocab_size):
        self.merges, self._cache = {}, {}
        self.vocab = {i: bytes([i]) for i in range(256)}
        chunks = [list(chunk.encode("utf-8")) for chunk in split_chunks(text)]
        for new_id in range(256, vocab_size):
            counts = {}
            for chunk in chunks:
                count_pairs(chunk, counts)
            if not counts:
                break
            best = max(counts, key=counts.get)
            self.merges[best] = new_id
            self.vocab[new_id] = self.vocab[best[0]] + self.vocab[best[1]]
            chunks = [merge_pair(chunk, best, new_id) for chunk in chunks]
        return self


class TrainCastsVocabSize(BPETokenizer):
    def train(self, text, vocab_size):
        return super().train(text, int(vocab_size))


class NoEarlyStop(BPETokenizer):
    """Claims the requested size even when the text ran out of pairs (filler tokens)."""

    def train(self, text, vocab_size):
        super().train(text, vocab_size)
        for new_id in range(len(self.vocab), vocab_size):
            self.vocab[new_id] = b""
        return self


CASES = [
    (checks.check_char_tokenizer, CharTokenizer,
     [(EncodeSkipsUnknown, "never skip it"), (EncodeUnknownAsZero, "never skip it"),
      (EncodeRaisesKeyError, "expected ValueError, got KeyError"), (EncodeReturnsArray, "list of Python ints"),
      (DecodeDropsUnknownIds, "decode([3, 8])"), (DecodeNegativeIndexing, "decode([-1])"),
      (DecodeWithSpaces, "should be 'hello'"), (UnsortedVocabulary, "sorted vocabulary")]),
    (checks.check_count_pairs, count_pairs,
     [(count_pairs_stepping_two, "count_pairs([1, 2, 3, 1, 2])"), (count_pairs_without_overlaps, "overlapping"),
      (count_pairs_missing_the_last, "count_pairs([1, 2, 3, 1, 2])"), (count_pairs_ignoring_weight, "weight=3"),
      (count_pairs_new_dict, "add into")]),
    (checks.check_merge_pair, merge_pair,
     [(merge_pair_overlapping, "[7, 7, 7]"), (merge_pair_right_to_left, "left to right"),
      (merge_pair_any_order, "order of the pair matters"), (merge_pair_drops_the_last, "got [99]"),
      (merge_pair_in_place, "changed its input")]),
    (checks.check_bpe_tokenizer, BPETokenizer,
     [(LeftmostFirst, "in the order they were learned"), (MostFrequentFirst, "in the order they were learned"),
      (OneCodePointOneByte, "UTF-8 bytes"), (DecodeIgnoresBadBytes, "U+FFFD"),
      (DecodeSkipsUnknownIds, "an unknown id is an error"), (FirstSeenTieBreak, "ties go to the smallest pair"),
      (TrainCastsVocabSize, "vocab_size must be an int"), (NoEarlyStop, "runs out of pairs")]),
]

test_check_accepts_the_reference, test_check_rejects_a_wrong_implementation = make_mutant_tests(CASES)
