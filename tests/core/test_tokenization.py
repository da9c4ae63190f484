"""Module 10: CharTokenizer, count_pairs, merge_pair, split_chunks and the byte-level BPETokenizer."""
import random
import re

import numpy as np
import pytest

import tinytorch
from tinytorch.core.tokenization import BPETokenizer, CharTokenizer, count_pairs, merge_pair, split_chunks
from tinytorch.datasets import load_tinytalks

UNICODE_TEXTS = ["", " ", "\n\n", "café naïve", "日本語", "🙂👍🏽", "Ǆ ǅ ǆ", "\x00\x01\x7f\x80\xff", "a\u200bb",
                 "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "Q: Où?\nA: Là.\n\n", "  leading and trailing  ", "\t\r\n\x0b\x0c"]


def random_text(rng, n):
    """Random strings over ASCII, Latin-1, CJK and emoji code points (no lone surrogates)."""
    pools = [(32, 127), (160, 256), (0x4E00, 0x4E40), (0x1F600, 0x1F640), (9, 14)]
    chars = []
    for _ in range(n):
        low, high = pools[rng.randrange(len(pools))]
        chars.append(chr(rng.randrange(low, high)))
    return "".join(chars)


def naive_merges(text, vocab_size):
    """BPE by recounting all pairs after each merge (written independently of the module)."""
    chunks = [list(c.encode("utf-8")) for c in re.findall(r"\s*\S+|\s+", text)]
    merges = []
    for new_id in range(256, vocab_size):
        counts = {}
        for chunk in chunks:
            for i in range(len(chunk) - 1):
                counts[chunk[i], chunk[i + 1]] = counts.get((chunk[i], chunk[i + 1]), 0) + 1
        if not counts:
            break
        best = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
        merges.append((best, new_id))
        new_chunks = []
        for chunk in chunks:
            out, i = [], 0
            while i < len(chunk):
                if i + 1 < len(chunk) and (chunk[i], chunk[i + 1]) == best:
                    out.append(new_id)
                    i += 2
                else:
                    out.append(chunk[i])
                    i += 1
            new_chunks.append(out)
        chunks = new_chunks
    return merges


@pytest.fixture(scope="module")
def tinytalks():
    return load_tinytalks()


@pytest.fixture(scope="module")
def bpe600(tinytalks):
    return BPETokenizer().train(tinytalks[0], 600)


# ---------------------------------------------------------------- CharTokenizer

def test_char_vocabulary_from_text_is_sorted_and_from_a_list_keeps_its_order():
    tokenizer = CharTokenizer("banana split")
    assert tokenizer.itos == [" ", "a", "b", "i", "l", "n", "p", "s", "t"]
    assert tokenizer.stoi["b"] == 2 and len(tokenizer) == 9
    listed = CharTokenizer(["z", "a", "\n"])
    assert listed.encode("a\nz") == [1, 2, 0]
    assert repr(listed) == "CharTokenizer(vocab_size=3)"


def test_char_round_trip_on_tinytalks(tinytalks):
    train_text, val_text = tinytalks
    tokenizer = CharTokenizer(train_text)
    ids = tokenizer.encode(val_text)
    assert len(ids) == len(val_text) and all(type(i) is int for i in ids)
    assert tokenizer.decode(ids) == val_text


def test_char_unknown_character_is_an_error_naming_it_and_its_position():
    tokenizer = CharTokenizer("abc")
    with pytest.raises(ValueError, match=r"'é' \(U\+00E9\) at position 2"):
        tokenizer.encode("abé")
    with pytest.raises(ValueError, match="'🙂'"):
        tokenizer.encode("🙂")


@pytest.mark.parametrize("bad_id", [3, 100, -1])
def test_char_decode_refuses_ids_outside_the_vocabulary(bad_id):
    with pytest.raises(ValueError, match=re.escape(str(bad_id))):
        CharTokenizer("abc").decode([0, bad_id])


def test_char_decode_accepts_numpy_arrays_and_int64_tensors():
    tokenizer = CharTokenizer("abc")
    assert tokenizer.decode(np.array([2, 0], dtype=np.int32)) == "ca"
    assert tokenizer.decode(tinytorch.tensor([2, 1, 0])) == "cba"
    assert tokenizer.decode((np.int64(1),)) == "b"


@pytest.mark.parametrize("bad", [[1.0], [True], "ab", 3, np.array([1.0]), np.zeros((1, 2), dtype=np.int64)])
def test_decode_refuses_what_is_not_a_list_of_integer_ids(bad):
    for tokenizer in (CharTokenizer("abc"), BPETokenizer()):
        with pytest.raises(TypeError):
            tokenizer.decode(bad)


def test_char_constructor_errors():
    with pytest.raises(ValueError, match=r"\['a'\]"):
        CharTokenizer(["a", "b", "a"])
    with pytest.raises(ValueError, match="'ab'"):
        CharTokenizer(["ab"])
    with pytest.raises(TypeError, match="int"):
        CharTokenizer(5)
    with pytest.raises(TypeError, match="bytes"):
        CharTokenizer("abc").encode(b"abc")


def test_empty_vocabulary_encodes_only_the_empty_string():
    tokenizer = CharTokenizer("")
    assert len(tokenizer) == 0 and tokenizer.encode("") == [] and tokenizer.decode([]) == ""


# ---------------------------------------------------------------- pairs and merges

def test_count_pairs_counts_every_position_including_overlaps():
    assert count_pairs([1, 2, 3, 1, 2]) == {(1, 2): 2, (2, 3): 1, (3, 1): 1}
    assert count_pairs(list(b"aaa")) == {(97, 97): 2}
    assert count_pairs([]) == {} and count_pairs([5]) == {}


def test_count_pairs_adds_into_a_dict_with_a_weight():
    counts = {(1, 2): 1}
    assert count_pairs([1, 2, 1], counts, weight=5) is counts
    assert counts == {(1, 2): 6, (2, 1): 5}
    count_pairs([1, 2, 1], counts, weight=-5)
    assert counts == {(1, 2): 1, (2, 1): 0}


def test_merge_pair_left_to_right_without_overlaps():
    assert merge_pair([7, 7, 7], (7, 7), 256) == [256, 7]
    assert merge_pair([7, 7, 7, 7, 7], (7, 7), 256) == [256, 256, 7]
    assert merge_pair([1, 2, 1, 2, 2, 1], (1, 2), 9) == [9, 9, 2, 1]
    assert merge_pair([2, 1], (1, 2), 9) == [2, 1]
    ids = [1, 2]
    assert merge_pair(ids, (1, 2), 9) == [9] and ids == [1, 2]


def test_merge_pair_preserves_the_bytes_it_stands_for():
    rng = random.Random(0)
    for _ in range(200):
        ids = [rng.randrange(3) for _ in range(rng.randrange(12))]
        pair = (rng.randrange(3), rng.randrange(3))
        merged = merge_pair(ids, pair, 3)
        expand = [x for i in merged for x in (pair if i == 3 else (i,))]
        assert expand == ids
        assert not any(p == pair for p in zip(merged, merged[1:]) if 3 not in p)


def test_split_chunks_joins_back_to_the_text():
    assert split_chunks("Q: What is\n\nA:  x ") == ["Q:", " What", " is", "\n\nA:", "  x", " "]
    rng = random.Random(1)
    for text in UNICODE_TEXTS + [random_text(rng, 40) for _ in range(100)]:
        assert "".join(split_chunks(text)) == text


# ---------------------------------------------------------------- BPETokenizer

def test_untrained_bpe_is_utf8_bytes():
    tokenizer = BPETokenizer()
    assert len(tokenizer) == 256 and tokenizer.merges == {}
    assert tokenizer.encode("aé🙂") == [97, 195, 169, 240, 159, 153, 130]
    assert repr(tokenizer) == "BPETokenizer(vocab_size=256, merges=0)"


def test_incremental_training_equals_recounting_on_tinytalks(tinytalks):
    text = tinytalks[0][:6000]
    assert list(BPETokenizer().train(text, 400).merges.items()) == naive_merges(text, 400)


def test_incremental_training_equals_recounting_on_random_text():
    rng = random.Random(2)
    for _ in range(5):
        text = random_text(rng, 300) + " abab aaaa abab" * 5
        assert list(BPETokenizer().train(text, 300).merges.items()) == naive_merges(text, 300)


def test_every_string_round_trips_exactly(bpe600):
    rng = random.Random(3)
    for text in UNICODE_TEXTS + [random_text(rng, rng.randrange(60)) for _ in range(200)]:
        ids = bpe600.encode(text)
        assert all(type(i) is int and 0 <= i < 600 for i in ids)
        assert bpe600.decode(ids) == text


def test_encode_applies_merges_in_learned_order(tinytalks, bpe600):
    """Against the plainest definition: apply each merge, in learned order, to the whole chunk."""
    merges = list(bpe600.merges.items())
    expected = []
    for chunk in split_chunks(tinytalks[1]):
        ids = list(chunk.encode("utf-8"))
        for pair, new_id in merges:
            ids = merge_pair(ids, pair, new_id)
        expected += ids
    assert bpe600.encode(tinytalks[1]) == expected


def test_learned_order_not_leftmost_first():
    tokenizer = BPETokenizer().train("bcd bcd bcd bcd bcd abab abab xy xy", 266)
    pieces = [tokenizer.vocab[i] for i in tokenizer.encode("ababcd")]
    assert pieces == [b"ab", b"a", b"bcd"]


def test_vocab_entries_are_the_joined_bytes_and_sizes_match(bpe600):
    assert len(bpe600) == 600 and len(bpe600.merges) == 344
    for (first, second), new_id in bpe600.merges.items():
        assert bpe600.vocab[new_id] == bpe600.vocab[first] + bpe600.vocab[second]
    assert sorted(bpe600.merges.values()) == list(range(256, 600))


def test_ties_go_to_the_smallest_pair():
    assert list(BPETokenizer().train("cdab", 257).merges) == [(97, 98)]
    # "zy xw" chunks "zy", " xw": pairs (122,121), (32,120), (120,119) once each: the smallest is (32, 120)
    assert list(BPETokenizer().train("zy xw", 257).merges) == [(32, 120)]


def test_training_is_deterministic_and_greedy_prefixes(tinytalks):
    text = tinytalks[0]
    big = list(BPETokenizer().train(text, 500).merges.items())
    assert list(BPETokenizer().train(text, 500).merges.items()) == big
    assert list(BPETokenizer().train(text, 320).merges.items()) == big[:64]


def test_training_stops_when_the_text_runs_out_of_pairs():
    tokenizer = BPETokenizer().train("ab ab", 1000)
    assert [tokenizer.vocab[i] for i in tokenizer.merges.values()] == [b"ab", b" ab"]
    assert len(tokenizer) == 258
    assert len(BPETokenizer().train("", 300)) == 256


def test_retraining_replaces_merges_and_clears_the_cache(tinytalks):
    tokenizer = BPETokenizer().train("hello hello hello", 270)
    first = tokenizer.encode("hello")
    tokenizer.train("xyz xyz", 260)
    assert tokenizer.encode("hello") == list(b"hello") != first
    assert len(tokenizer) == 256 + len(tokenizer.merges)


@pytest.mark.parametrize("size,error,phrase", [(255, ValueError, "255"), (0, ValueError, "0"), (300.0, TypeError, "300.0"),
                                               ("300", TypeError, "'300'"), (True, TypeError, "True")])
def test_vocab_size_errors(size, error, phrase):
    with pytest.raises(error, match=re.escape(phrase)):
        BPETokenizer().train("abc", size)


def test_numpy_integer_vocab_size_is_accepted():
    assert len(BPETokenizer().train("ab ab ab", np.int64(257))) == 257


def test_decode_errors_and_partial_characters(bpe600):
    with pytest.raises(ValueError, match="600"):
        bpe600.decode([600])
    with pytest.raises(ValueError, match="-1"):
        bpe600.decode([-1])
    assert bpe600.decode([195]) == "\ufffd"  # half of 'é'
    assert bpe600.decode([104, 195]) == "h\ufffd"
    assert bpe600.decode([]) == ""


def test_lone_surrogates_are_refused_as_invalid_unicode(bpe600):
    with pytest.raises(UnicodeEncodeError):
        bpe600.encode("a\ud800b")
    with pytest.raises(TypeError, match="list"):
        bpe600.encode(["a"])


def test_bpe_shortens_tinytalks(tinytalks, bpe600):
    _, val_text = tinytalks
    assert len(bpe600.encode(val_text)) < 0.5 * len(val_text.encode("utf-8"))


def test_ids_become_an_int64_tensor(bpe600):
    ids = tinytorch.tensor(bpe600.encode("Q: hi"))
    assert ids.dtype == tinytorch.int64
