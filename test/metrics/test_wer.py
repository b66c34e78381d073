"""SOT WER, cpWER, pooling by talker count, char mode, count accuracy."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from espnet_mtasr.metrics import (
    ErrorCounts,
    aggregate,
    cp_error_counts,
    score_corpus,
    score_utterance,
    sot_error_counts,
    tokenize,
)


def test_swapped_streams_cp_zero_sot_positive():
    s = score_utterance("u", "a b <sc> c d e", "c d e <sc> a b", talkers=2)
    assert s.cp == ErrorCounts(0, 5, 0, 0, 0)
    assert s.sot.errors > 0 and s.sot.length == 6  # <sc> counts as a word
    assert s.count_correct


def test_pooled_by_talker_count():
    scores = [
        # 1 talker: 1 sub of 4 words
        score_utterance("a", "w x y z", "w x q z"),
        # 2 talkers: streams swapped, one word deleted: 1 error of 3
        score_utterance("b", "p q <sc> r", "r <sc> p"),
        # 2 talkers: one stream missing: 2 deletions of 3 (count wrong)
        score_utterance("c", "s <sc> t u", "s"),
        # 3 talkers: perfect, one extra stream: 1 insertion of 3 (count wrong)
        score_utterance("d", "k <sc> l <sc> m", "k <sc> l <sc> m <sc> n"),
    ]
    c = aggregate(scores)
    by = {g.talkers: g for g in c.by_talkers}
    assert sorted(by) == [1, 2, 3]
    assert (by[1].cp.errors, by[1].cp.length) == (1, 4)
    assert (by[2].cp.errors, by[2].cp.length, by[2].cp.deletions) == (3, 6, 3)
    assert (by[3].cp.errors, by[3].cp.insertions) == (1, 1)
    assert by[2].num_utts == 2 and by[2].count_correct == 1 and by[2].count_under == 1
    assert by[3].count_over == 1 and by[3].count_accuracy == 0.0
    # overall = Σ errors / Σ ref words (not the mean of the utterance rates)
    assert (c.overall.cp.errors, c.overall.cp.length) == (5, 13)
    assert c.overall.cp.rate == pytest.approx(5 / 13)
    assert c.overall.count_accuracy == pytest.approx(2 / 4)


def test_talkers_from_utt2num_spk_override_stream_count():
    s = score_utterance("u", "a <sc> b", "a <sc> b", talkers=3)  # a silent third talker
    assert s.talkers == 3 and s.num_hyp_streams == 2 and not s.count_correct


def test_char_mode_mandarin():
    ref, hyp = "你好 <sc> 今天 天气", "今天天气 <sc> 你们好"
    s = score_utterance("u", ref, hyp, mode="char")
    # streams: [你好, 今天天气] vs [今天天气, 你们好] -> 1 insertion (们) of 6 chars
    assert s.cp == ErrorCounts(1, 6, 1, 0, 0)
    # SOT CER: <sc> is one token, spaces are not tokens: 7 reference tokens
    assert s.sot.length == 7
    assert tokenize(ref, "char") == ["你", "好", "<sc>", "今", "天", "天", "气"]
    # word mode sees different words
    assert score_utterance("u", ref, hyp).cp.length == 3


def test_char_mode_keeps_tags_whole():
    assert tokenize("<spk1>ab<sc>c", "char") == ["<spk1>", "a", "b", "<sc>", "c"]
    assert sot_error_counts("ab<sc>c", "a b <sc> c", mode="char").errors == 0


def test_spk_tag_format():
    s = score_utterance(
        "u", "<spk1> a b <spk2> c <spk1> d", "<spk2> a b d <spk1> c", text_format="spk_tag"
    )
    assert s.cp.errors == 0 and s.talkers == 2 and s.num_hyp_streams == 2
    # a lenient hypothesis: untagged words are an extra stream
    s = score_utterance("u", "<spk1> a <spk2> b", "a <spk1> b", text_format="spk_tag")
    assert s.num_hyp_streams == 2 and s.cp.errors == 0
    with pytest.raises(ValueError):
        score_utterance("u", "untagged ref", "x", text_format="spk_tag")


def test_missing_hypothesis_scored_as_empty():
    c = score_corpus({"u1": "a b <sc> c", "u2": "d"}, {"u2": "d"}, {"u1": 2, "u2": 1})
    assert c.missing_hyp == ("u1",)
    assert (c.overall.cp.errors, c.overall.cp.deletions, c.overall.cp.length) == (3, 3, 4)
    assert c.overall.count_under == 1


def test_corpus_checks():
    with pytest.raises(ValueError, match="not in the reference"):
        score_corpus({"u1": "a"}, {"u1": "a", "zz": "b"})
    with pytest.raises(ValueError, match="no talker count"):
        score_corpus({"u1": "a"}, {"u1": "a"}, {})
    with pytest.raises(ValueError, match="word, char"):
        score_utterance("u", "a", "a", mode="chars")
    with pytest.raises(ValueError, match="sot, spk_tag"):
        score_utterance("u", "a", "a", text_format="rttm")


def test_empty_reference():
    assert cp_error_counts([], ["x"]) == ErrorCounts(1, 0, 1, 0, 0)
    assert ErrorCounts(1, 0, 1, 0, 0).rate is None
    assert aggregate([]).overall.count_accuracy is None


words = st.lists(st.sampled_from("abcde"), min_size=1, max_size=6).map(" ".join)


@settings(max_examples=30, deadline=None)
@given(st.lists(words, min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_cp_is_permutation_invariant(streams, rnd):
    shuffled = list(streams)
    rnd.shuffle(shuffled)
    assert cp_error_counts(streams, shuffled).errors == 0
    assert score_utterance("u", " <sc> ".join(streams), " <sc> ".join(shuffled)).cp.errors == 0
