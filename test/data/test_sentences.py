"""The synthetic sentence generator: vocabulary, lengths, split disjointness."""

from __future__ import annotations

import random

import pytest

from espnet_mtasr.data.sentences import (
    generate_sentence,
    load_vocabulary,
    make_sentence_splits,
    sentence_words,
)

SIZES = {"train-clean-100": 600, "dev-clean": 100, "test-clean": 100}


@pytest.fixture(scope="module")
def splits():
    return make_sentence_splits(SIZES, seed=0)


def test_vocabulary():
    words = load_vocabulary().all_words()
    assert 300 <= len(words) <= 420
    assert all(w.isascii() and w.isalpha() and w.islower() for w in words)
    for homophone_pair in (("to", "two"), ("there", "their"), ("ate", "eight"), ("by", "buy")):
        assert not set(homophone_pair) <= words


def test_sizes_lengths_and_case(splits):
    assert {k: len(v) for k, v in splits.items()} == SIZES
    for sentences in splits.values():
        assert len(set(sentences)) == len(sentences)
        assert all(3 <= len(s.split()) <= 7 for s in sentences)
        assert all(s == s.lower() and "  " not in s for s in sentences)
    lengths = {len(s.split()) for s in splits["train-clean-100"]}
    assert lengths == {3, 4, 5, 6, 7}


def test_disjoint_and_held_out_words_seen_in_training(splits):
    train = set(splits["train-clean-100"])
    dev, test = set(splits["dev-clean"]), set(splits["test-clean"])
    assert not train & dev and not train & test and not dev & test
    train_words = sentence_words(train)
    assert sentence_words(dev | test) <= train_words
    assert len(train_words) >= 0.95 * len(load_vocabulary().all_words())  # cycling coverage


def test_deterministic():
    a = make_sentence_splits({"train": 30, "dev": 5}, seed=7)
    assert a == make_sentence_splits({"train": 30, "dev": 5}, seed=7)
    assert a != make_sentence_splits({"train": 30, "dev": 5}, seed=8)


def test_configurable_length():
    out = make_sentence_splits({"train": 50, "dev": 10}, seed=1, min_words=5, max_words=5)
    assert all(len(s.split()) == 5 for v in out.values() for s in v)
    rng = random.Random(0)
    vocab = load_vocabulary()
    assert all(len(generate_sentence(rng, vocab, 8, 8).split()) == 8 for _ in range(20))
    with pytest.raises(ValueError, match="min_words"):
        make_sentence_splits({"train": 1}, min_words=2)


def test_smaller_vocabulary():
    out = make_sentence_splits({"train": 300, "dev": 30}, seed=0, max_per_category=5)
    words = sentence_words(out["train"])
    assert 60 <= len(words) <= 100
    assert sentence_words(out["dev"]) <= words
    assert {"dog", "dogs", "saw", "see"} <= words  # pairs stay paired


def test_tiny_train_still_gives_held_out_sentences():
    out = make_sentence_splits({"train": 6, "test": 3}, seed=2)
    assert sentence_words(out["test"]) <= sentence_words(out["train"])
    with pytest.raises(ValueError, match="could only draw"):
        make_sentence_splits({"train": 1, "test": 50}, seed=2)
