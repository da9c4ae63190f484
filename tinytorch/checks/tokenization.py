"""Checks for module 10 (Tokenization). Each takes the learner's class or function.

The BPE check compares the learner's tokenizer with a small reference written here in the plainest way
(recount every pair after every merge; encode by applying each merge, in learned order, to the whole list),
so it does not share code with the exercise it checks.
"""
import re

import numpy as np

from tinytorch.checks import assert_raises, check

# Strings that every byte-level tokenizer must round-trip exactly: accents, CJK, emoji (with a skin-tone
# modifier: two code points, eight bytes), control characters, whitespace runs, the empty string.
ROUND_TRIP_TEXTS = ["", "Q: What is a tensor?\nA: A grid of numbers.\n\n", "café naïve façade", "日本語のテキスト",
                    "🙂👍🏽 ok", "a\tb  c\n\n\nd ", "\x00\x7f\x80", "Ω≈ç√∫", "  ", "abababababab", "x"]

# Training text for the BPE check: "bc" is more frequent than "ab", so (b, c) is learned before (a, b). The
# text runs out of pairs after 8 merges, before BPE_VOCAB_SIZE: training must stop there.
BPE_TRAIN_TEXT = "bcd bcd bcd bcd bcd abab abab xy xy"
BPE_VOCAB_SIZE = 266
# Texts whose tokens differ when merges are applied leftmost-first or most-frequent-first instead of in
# learned order ("ababcd": learned order gives ab·a·bcd; leftmost and frequency order give ab·ab·c·d).
BPE_ENCODE_TEXTS = ["ababcd", "abcabc", " abcd", "abcd", "abab abab", "bcd xy", "zzz"]

_CHUNK = re.compile(r"\s*\S+|\s+")


def _reference_merge(ids, pair, new_id):
    merged, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            merged.append(new_id)
            i += 2
        else:
            merged.append(ids[i])
            i += 1
    return merged


def _reference_train(text, vocab_size):
    """Merges as a list of (pair, new_id), by recounting every pair of every chunk after each merge."""
    chunks = [list(chunk.encode("utf-8")) for chunk in _CHUNK.findall(text)]
    merges = []
    for new_id in range(256, vocab_size):
        counts = {}
        for chunk in chunks:
            for pair in zip(chunk, chunk[1:]):
                counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        top = max(counts.values())
        best = min(pair for pair, count in counts.items() if count == top)
        merges.append((best, new_id))
        chunks = [_reference_merge(chunk, best, new_id) for chunk in chunks]
    return merges


def _reference_encode(merges, text):
    ids = []
    for chunk in _CHUNK.findall(text):
        chunk_ids = list(chunk.encode("utf-8"))
        for pair, new_id in merges:
            chunk_ids = _reference_merge(chunk_ids, pair, new_id)
        ids += chunk_ids
    return ids


def _is_int_list(ids):
    return isinstance(ids, list) and all(type(i) is int for i in ids)


@check("Part 1 · CharTokenizer")
def check_char_tokenizer(CharTokenizer):
    tokenizer = CharTokenizer("hello world")
    assert len(tokenizer) == 8, f"CharTokenizer('hello world') should have 8 characters (' dehlorw'), got {len(tokenizer)}"
    ids = tokenizer.encode("hello")
    assert _is_int_list(ids), f"encode should return a list of Python ints, got {type(ids).__name__} {ids!r:.80}"
    assert ids == [3, 2, 4, 4, 5], (f"encode('hello') with the sorted vocabulary ' dehlorw' should be [3, 2, 4, 4, 5] "
                                    f"(one id per character, from stoi), got {ids}")
    text = tokenizer.decode([3, 2, 4, 4, 5])
    assert text == "hello", f"decode([3, 2, 4, 4, 5]) should be 'hello' (the characters joined, nothing between), got {text!r}"
    for text in ["hello world", "", "w", "drool  howler "]:
        ids = tokenizer.encode(text)
        assert len(ids) == len(text), f"encode({text!r}) should give one id per character ({len(text)}), got {len(ids)}"
        back = tokenizer.decode(ids)
        assert back == text, f"decode(encode({text!r})) should round-trip, got {back!r}"
    assert tokenizer.decode(np.array([3, 2], dtype=np.int64)) == "he", "decode should accept an int64 numpy array"

    listed = CharTokenizer(["b", "a", "\n", "é"])
    ids = listed.encode("ab\né")
    assert ids == [1, 0, 2, 3], (f"CharTokenizer(['b', 'a', '\\n', 'é']).encode('ab\\né') should follow the list's "
                                 f"order: [1, 0, 2, 3], got {ids}")
    assert listed.decode([3, 2, 0]) == "é\nb", "decode should map ids back through itos"

    assert_raises(ValueError, lambda: tokenizer.encode("hello!"),
                  "encode('hello!') when '!' is not in the vocabulary (never skip it or map it to another id)",
                  must_mention=["'!'"])
    assert_raises(ValueError, lambda: tokenizer.encode("héllo"),
                  "encode('héllo') when 'é' is not in the vocabulary (never skip it or map it to another id)",
                  must_mention=["'é'"])
    assert_raises(ValueError, lambda: tokenizer.decode([3, 8]),
                  "decode([3, 8]) when the ids are 0..7 (an unknown id is an error, not skipped)", must_mention=["8"])
    assert_raises(ValueError, lambda: tokenizer.decode([-1]),
                  "decode([-1]) (a negative id is an error: itos[-1] would silently read the last entry)",
                  must_mention=["-1"])


@check("Part 2 · count_pairs")
def check_count_pairs(count_pairs):
    ids = [1, 2, 3, 1, 2]
    counts = count_pairs(list(ids))
    expected = {(1, 2): 2, (2, 3): 1, (3, 1): 1}
    assert isinstance(counts, dict), f"count_pairs should return a dict, got {type(counts).__name__}"
    assert counts == expected, (f"count_pairs([1, 2, 3, 1, 2]) should be {expected} (every adjacent pair, as a "
                                f"tuple, with how often it occurs), got {counts}")
    for ids, expected in [([97, 97, 97], {(97, 97): 2}), ([5, 5, 5, 5], {(5, 5): 3}), ([4, 5, 5, 5, 4], {(4, 5): 1, (5, 5): 2, (5, 4): 1})]:
        counts = count_pairs(list(ids))
        assert counts == expected, (f"count_pairs({ids}) should be {expected}: every position counts, overlapping "
                                    f"ones included (in 'aaa' the pair (a, a) starts at positions 0 and 1), got {counts}")
    for ids in ([], [7]):
        counts = count_pairs(list(ids))
        assert counts == {}, f"count_pairs({ids}) has no pairs: expected {{}}, got {counts}"
    ids = [1, 2, 1, 2]
    given = list(ids)
    counts = {(1, 2): 10}
    returned = count_pairs(given, counts)
    assert returned is counts, "count_pairs(ids, counts) should add into the counts dict it is given and return it"
    assert counts == {(1, 2): 12, (2, 1): 1}, (f"count_pairs([1, 2, 1, 2], {{(1, 2): 10}}) should add into the dict: "
                                              f"expected {{(1, 2): 12, (2, 1): 1}}, got {counts}")
    assert given == ids, f"count_pairs changed its input: {ids} became {given}"
    count_pairs([1, 2], counts, weight=3)
    assert counts[(1, 2)] == 15, f"count_pairs([1, 2], counts, weight=3) should add 3 to (1, 2): expected 15, got {counts[(1, 2)]}"
    count_pairs([1, 2, 1], counts, weight=-1)
    assert counts == {(1, 2): 14, (2, 1): 0}, (f"count_pairs([1, 2, 1], counts, weight=-1) should subtract 1 from "
                                              f"each of its pairs: expected {{(1, 2): 14, (2, 1): 0}}, got {counts}")


@check("Part 3 · merge_pair")
def check_merge_pair(merge_pair):
    cases = [
        ([1, 2, 3, 1, 2], (1, 2), [99, 3, 99], "every occurrence is replaced"),
        ([7, 7, 7], (7, 7), [99, 7], "left to right, each token used once: the middle 7 joins the first"),
        ([7, 7, 7, 7], (7, 7), [99, 99], "left to right, without overlaps"),
        ([3, 1, 2], (1, 2), [3, 99], "a pair at the very end is merged too"),
        ([1, 2, 2], (1, 2), [99, 2], "the token after a merge is kept"),
        ([2, 1], (1, 2), [2, 1], "the order of the pair matters: (1, 2) does not match 2, 1"),
        ([1, 3, 2], (1, 2), [1, 3, 2], "only adjacent tokens form a pair"),
        ([], (1, 2), [], "an empty list stays empty"),
        ([1], (1, 2), [1], "a single token has no pair"),
    ]
    for ids, pair, expected, why in cases:
        given = list(ids)
        merged = merge_pair(given, pair, 99)
        assert given == ids, f"merge_pair changed its input: {ids} became {given} (build a new list)"
        assert isinstance(merged, list), f"merge_pair should return a list, got {type(merged).__name__}"
        assert merged == expected, f"merge_pair({ids}, {pair}, 99) should be {expected} ({why}), got {merged}"


@check("Part 4 · BPETokenizer")
def check_bpe_tokenizer(BPETokenizer):
    fresh = BPETokenizer()
    assert len(fresh) == 256, f"an untrained BPETokenizer should have the 256 byte tokens, got {len(fresh)}"
    ids = fresh.encode("hé")
    assert ids == [104, 195, 169], f"untrained, encode('hé') should be its UTF-8 bytes [104, 195, 169], got {ids}"
    for text in ROUND_TRIP_TEXTS:
        ids = fresh.encode(text)
        assert ids == list(text.encode("utf-8")), f"untrained, encode({text!r}) should be its UTF-8 bytes, got {ids}"
        assert fresh.decode(ids) == text, f"untrained, decode(encode({text!r})) should round-trip"

    tokenizer = BPETokenizer()
    returned = tokenizer.train(BPE_TRAIN_TEXT, BPE_VOCAB_SIZE)
    assert returned is tokenizer, "train should return the tokenizer itself"
    expected = _reference_train(BPE_TRAIN_TEXT, BPE_VOCAB_SIZE)
    learned = list(tokenizer.merges.items())
    assert learned == expected, (f"train({BPE_TRAIN_TEXT!r}, {BPE_VOCAB_SIZE}) should learn the merges {expected} in this "
                                 f"order (the most frequent pair first; ties go to the smallest pair of ids), got "
                                 f"{learned}. If Parts 2 and 3 passed, look at how train picks the pair")
    assert len(tokenizer) == 256 + len(expected), (f"after training, len(tokenizer) should be 256 + {len(expected)} "
                                                   f"merges (the text runs out of pairs before {BPE_VOCAB_SIZE}), "
                                                   f"got {len(tokenizer)}")
    for (first, second), new_id in learned:
        assert tokenizer.vocab[new_id] == tokenizer.vocab[first] + tokenizer.vocab[second], \
            f"vocab[{new_id}] should be the bytes of its pair joined: {tokenizer.vocab[first] + tokenizer.vocab[second]!r}"
    tie = list(BPETokenizer().train("cdab", 257).merges.items())
    assert tie == [((97, 98), 256)], (f"train('cdab', 257): the pairs (c, d), (d, a), (a, b) each occur once; ties go "
                                      f"to the smallest pair of ids, (97, 98), got {tie}")
    again = list(BPETokenizer().train(BPE_TRAIN_TEXT, BPE_VOCAB_SIZE).merges.items())
    assert again == learned, "training twice on the same text should give the same merges"

    for text in BPE_ENCODE_TEXTS:
        ids = tokenizer.encode(text)
        expected = _reference_encode(learned, text)
        pieces = [tokenizer.vocab[i] for i in expected] if all(i in tokenizer.vocab for i in expected) else expected
        assert ids == expected, (f"after training on {BPE_TRAIN_TEXT!r}, encode({text!r}) should be {expected} "
                                 f"({pieces}): apply the merges in the order they were learned (the smallest new id "
                                 f"first), not leftmost-first or by how often a pair occurs in the text; got {ids}")
    for text in ROUND_TRIP_TEXTS + ["abcd abcd ababcd 🙂 bcd"]:
        ids = tokenizer.encode(text)
        assert _is_int_list(ids), f"encode({text!r}) should return a list of Python ints, got {ids!r:.80}"
        assert all(0 <= i < len(tokenizer) for i in ids), f"encode({text!r}) gave ids outside the vocabulary: {ids}"
        back = tokenizer.decode(ids)
        assert back == text, (f"round trip: decode(encode({text!r})) should give the text back exactly, got {back!r} "
                              f"(encode the UTF-8 bytes of the text, every character of it)")
    assert len(tokenizer.encode("bcd bcd")) == 2, "encode('bcd bcd') should use the learned tokens 'bcd' and ' bcd'"

    assert tokenizer.decode([195]) == "\ufffd", (f"decode([195]) (the first byte of 'é' alone) should be U+FFFD '\ufffd' "
                                                 f"(errors='replace'), got {tokenizer.decode([195])!r}: never drop a byte silently")
    assert tokenizer.decode([104, 195, 169]) == "hé", "decode([104, 195, 169]) should be 'hé'"
    size = len(tokenizer)
    assert_raises(ValueError, lambda: tokenizer.decode([104, size]),
                  f"decode([104, {size}]) with a vocabulary of {size} (an unknown id is an error)", must_mention=[str(size)])
    assert_raises(ValueError, lambda: tokenizer.decode([-1]), "decode([-1]) (a negative id is an error)",
                  must_mention=["-1"])
    assert_raises(ValueError, lambda: BPETokenizer().train(BPE_TRAIN_TEXT, 255),
                  "train(text, 255) (the vocabulary holds at least the 256 bytes)", must_mention=["255"])
    assert_raises(TypeError, lambda: BPETokenizer().train(BPE_TRAIN_TEXT, 300.0),
                  "train(text, 300.0) (vocab_size must be an int)", must_mention=["300.0"])

    smaller = list(BPETokenizer().train(BPE_TRAIN_TEXT, 260).merges.items())
    assert smaller == learned[:4], (f"greedy training: the merges for vocab_size 260 should be the first 4 of those for "
                                    f"{BPE_VOCAB_SIZE}, {learned[:4]}, got {smaller}")
