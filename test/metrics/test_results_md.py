"""RESULTS.md sections: created, replaced (never duplicated), other content kept."""

import json
from dataclasses import replace

import pytest

from espnet_mtasr.metrics import ResultsEntry, score_corpus, update_results_md
from espnet_mtasr.metrics.rtf import RTFSummary


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


def timed_entry(set_name="test", mode="word", decode_seconds=2.0, note="CPU, 2 jobs | beam 5"):
    plain = entry(set_name=set_name, mode=mode)
    summary = {
        **score_corpus({"u1": "a b <sc> c", "u2": "d"}, {"u1": "a b <sc> c", "u2": "d"}).to_dict(),
        "mode": mode,
        "inference_config": "conf/decode.yaml",
        "rtf_note": note,
        **RTFSummary(num_utts=2, audio_seconds=10.0, decode_seconds=decode_seconds).to_dict(),
    }
    return ResultsEntry.from_summary(
        set_name,
        summary,
        command=plain.command,
        config=plain.config,
        date=plain.date,
        environment=plain.environment,
    )


def test_rtf_table_and_idempotent(tmp_path):
    md = tmp_path / "RESULTS.md"
    update_results_md(md, "t", timed_entry())
    first = md.read_text()
    update_results_md(md, "t", timed_entry())
    assert md.read_text() == first
    assert "- config: `conf/x.yaml`\n- inference config: `conf/decode.yaml`\n" in first
    table = first[first.index("### Decoding RTF") :]
    assert "|set|RTF|#utts|audio (s)|decoding (s)|setup|\n|---|---:|---:|---:|---:|---|\n" in table
    assert table.endswith("|test|0.2000|2|10.0|2.0|CPU, 2 jobs \\| beam 5|\n")
    assert first.index("|test|all|") < first.index("### Decoding RTF")

    update_results_md(md, "t", timed_entry(set_name="dev", decode_seconds=5.0))
    update_results_md(md, "t", timed_entry(decode_seconds=1.0))  # test re-scored: replaced
    update_results_md(md, "t", timed_entry(mode="char", decode_seconds=1.0))  # same decoding
    text = md.read_text()
    assert text.count("### Decoding RTF") == 1 and text.count("|test|0.1000|") == 1
    assert "|test|0.2000|" not in text and "|dev|0.5000|2|10.0|5.0|" in text
    assert text.index("|test|0.1000|") < text.index("|dev|0.5000|")


def test_rtf_kept_in_the_hidden_data(tmp_path):
    """A later update of another set re-renders the section from the comment: rtf survives."""
    md = tmp_path / "RESULTS.md"
    update_results_md(md, "t", timed_entry())
    update_results_md(md, "t", entry(set_name="dev"))  # untimed
    text = md.read_text()
    assert "|test|0.2000|2|10.0|2.0|" in text and "|dev|" not in text.split("### Decoding")[1]


def test_unknown_rtf_and_old_sections(tmp_path):
    md = tmp_path / "RESULTS.md"
    e = replace(timed_entry(), rtf=RTFSummary(num_utts=2, audio_seconds=None, decode_seconds=1.0))
    update_results_md(md, "t", e)
    assert "|test|-|2|-|1.0|" in md.read_text()
    # a section written before the rtf fields existed still loads (no new keys in its data)
    update_results_md(md, "old", entry())
    text = md.read_text()
    old = {
        k: v
        for k, v in entry().to_dict().items()
        if k not in ("inference_config", "rtf", "rtf_note")
    }
    md.write_text(text.replace(json.dumps(entry().to_dict()), json.dumps(old)))
    assert '"rtf' not in md.read_text().split("## old")[1]
    update_results_md(md, "old", entry(set_name="dev"))
    assert "|test|all|" in md.read_text().split("## old")[1]
