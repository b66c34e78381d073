"""talkers.png: cp error rate per talker count and the talker-count confusion heatmap."""

import pytest
from PIL import Image

from espnet_mtasr.metrics import score_corpus
from espnet_mtasr.metrics.plot import plot_talkers
from espnet_mtasr.metrics.results_md import ScoredSet
from espnet_mtasr.metrics.talker_count import count_confusion
from espnet_mtasr.utils.errors import MTASRInputError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def scored_set(refs, hyps, talkers, confusion=True, mode="word"):
    score = score_corpus(refs, hyps, talkers, mode=mode)
    summary = {"set": "test", **score.to_dict()}
    if confusion:
        predicted = {u: len(h.split("<sc>")) if h else 0 for u, h in hyps.items()}
        summary["count_confusion"] = count_confusion(talkers, predicted, "streams").to_dict()
    return ScoredSet.from_result_json(summary, "exp/d")


def assert_png(path, min_width):
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    with Image.open(path) as im:
        im.verify()  # a complete, uncorrupted PNG
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size[0] >= min_width and im.size[1] > 100


def test_png_with_bars_and_heatmap(tmp_path):
    refs = {"a": "x y", "b": "x <sc> y z", "c": "p <sc> q <sc> r"}
    hyps = {"a": "x", "b": "x y z", "c": "p <sc> q <sc> r"}
    s = scored_set(refs, hyps, {"a": 1, "b": 2, "c": 3})
    path = plot_talkers(s, tmp_path / "score_wer" / "talkers.png")
    assert path == tmp_path / "score_wer" / "talkers.png"
    assert_png(path, min_width=800)  # two panels
    assert [p.name for p in path.parent.iterdir()] == ["talkers.png"]  # no temp file left


def test_one_talker_count(tmp_path):
    s = scored_set({"a": "x y", "b": "z"}, {"a": "x y", "b": "w"}, {"a": 1, "b": 1})
    assert [r.talkers for r in s.rows] == ["1", "all"] and s.confusion.labels == (1,)
    assert_png(plot_talkers(s, tmp_path / "talkers.png"), min_width=800)


def test_no_confusion_no_words_and_char_mode(tmp_path):
    # a talker count without reference words has no rate: drawn as an empty bar
    s = scored_set({"a": "", "b": "你好"}, {"a": "", "b": "你"}, {"a": 1, "b": 1}, False, "char")
    assert s.confusion is None
    assert_png(plot_talkers(s, tmp_path / "talkers.png"), min_width=400)


def test_rewrites_in_place(tmp_path):
    s = scored_set({"a": "x"}, {"a": "x"}, {"a": 1})
    path = tmp_path / "talkers.png"
    path.write_bytes(b"old")
    plot_talkers(s, path)
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_unwritable_target_leaves_nothing(tmp_path):
    s = scored_set({"a": "x"}, {"a": "x"}, {"a": 1})
    (tmp_path / "talkers.png").mkdir()  # a directory in the way
    with pytest.raises(MTASRInputError, match="talkers.png: exists and is a directory"):
        plot_talkers(s, tmp_path / "talkers.png")
    assert [p.name for p in tmp_path.iterdir()] == ["talkers.png"]
