"""The one percentage formatter, and that every report of a rate goes through it."""

import pytest

import espnet_mtasr.metrics.percent
from espnet_mtasr.metrics import format_percent, format_result_table, score_corpus
from espnet_mtasr.metrics.results_md import ScoredSet, format_summary, render_results_md


@pytest.mark.parametrize(
    "rate, text",
    [
        (0.0, "0.0"),
        (1 / 3, "33.3"),
        (3 / 7, "42.9"),
        (0.28683, "28.7"),
        (1.0, "100.0"),
        (1.2528735632183907, "125.3"),  # error rates can exceed 100 %
        (None, "-"),
    ],
)
def test_format_percent(rate, text):
    assert format_percent(rate) == text


def reports():
    """result.txt, RESULTS.md and the end-of-run summary of one scored set."""
    refs = {"u1": "a b c <sc> d e f g"}
    score = score_corpus(refs, {"u1": "a b x <sc> d y z g"})  # cpWER 3 / 7
    scored = ScoredSet.from_result_json({"set": "test", **score.to_dict()}, "exp/d")
    return (
        format_result_table(score),
        render_results_md([scored], ["exp"]),
        format_summary([scored]),
    )


def test_one_owner_of_the_decimals(monkeypatch):
    for text in reports():
        assert "42.9" in text and "42.86" not in text
    monkeypatch.setattr(espnet_mtasr.metrics.percent, "PERCENT_DECIMALS", 2)
    for text in reports():
        assert "42.86" in text
