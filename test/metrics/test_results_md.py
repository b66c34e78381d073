"""RESULTS.md sections: created, replaced (never duplicated), other content kept."""

import pytest

from espnet_mtasr.metrics import ResultsEntry, score_corpus, update_results_md


def entry(set_name="test", mode="word", hyp="a b <sc> c", command="run.sh --stage 13"):
    summary = score_corpus({"u1": "a b <sc> c", "u2": "d"}, {"u1": hyp, "u2": "d"}).to_dict()
    summary["mode"] = mode
    return ResultsEntry.from_summary(
        set_name,
        summary,
        command=command,
        config="conf/x.yaml",
        date="2026-01-01 00:00:00 +0000",
        environment="python `3.11`",
    )


def test_create_and_idempotent(tmp_path):
    md = tmp_path / "RESULTS.md"
    update_results_md(md, "llm_sot", entry())
    first = md.read_text()
    update_results_md(md, "llm_sot", entry())
    assert md.read_text() == first
    assert first.startswith("# RESULTS\n")
    assert first.count("## llm_sot\n") == 1
    assert "|set|talkers|#utts|#ref words|SOT WER|cpWER|count acc|" in first
    assert "|test|2|1|3|0.0|0.0|100.0|" in first
    assert "|test|all|2|4|0.0|0.0|100.0|" in first
    assert "- config: `conf/x.yaml`" in first and "run.sh --stage 13" in first
    assert [p.name for p in tmp_path.iterdir()] == ["RESULTS.md"]  # no temp files left


def test_replace_same_set_keep_others(tmp_path):
    md = tmp_path / "RESULTS.md"
    md.write_text("# RESULTS\n\nintro text\n\n## other\n\nkeep me\n")
    update_results_md(md, "llm_sot", entry())
    update_results_md(md, "llm_sot", entry(set_name="dev"))
    update_results_md(md, "llm_sot", entry(hyp="a <sc> c"))  # test again, worse
    text = md.read_text()
    assert text.count("## llm_sot") == 1 and "intro text" in text and "keep me" in text
    assert "|test|all|2|4|0.0|" not in text and "|test|all|2|4|20.0|25.0|100.0|" in text
    assert "|dev|all|2|4|0.0|0.0|100.0|" in text
    assert text.index("|test|all") < text.index("|dev|all")  # replaced in place
    # the section stays before the other one and the other one is intact
    assert text.index("## other") < text.index("## llm_sot")
    assert text.endswith("|dev|all|2|4|0.0|0.0|100.0|\n")


def test_section_in_the_middle(tmp_path):
    md = tmp_path / "RESULTS.md"
    update_results_md(md, "a", entry())
    update_results_md(md, "b", entry())
    update_results_md(md, "a", entry(set_name="dev"))
    text = md.read_text()
    assert text.index("## a") < text.index("|dev|all") < text.index("## b")
    assert text.count("## a\n") == 1 and text.count("## b\n") == 1


def test_char_table_and_odd_command(tmp_path):
    md = tmp_path / "RESULTS.md"
    update_results_md(md, "t", entry(mode="char", command="echo '-->' `x`"))
    update_results_md(md, "t", entry(mode="char", command="echo '-->' `x`"))
    text = md.read_text()
    assert "### CER" in text and "|set|talkers|#utts|#ref chars|SOT CER|cpCER|count acc|" in text
    assert "`` echo '-->' `x` ``" in text and text.count("|test|all|") == 1


def test_bad_tag(tmp_path):
    with pytest.raises(ValueError, match="tag"):
        update_results_md(tmp_path / "R.md", "a\nb", entry())
