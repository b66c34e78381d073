"""espnet_mtasr.bin.score and show_results: files, messages, meeteval CLI agreement."""

import json
import logging
import subprocess
import sys

import pytest

from espnet_mtasr.bin import score, show_results

REF = "1spk-a HELLO WORLD\n2spk-b A B <sc> C D E\n2spk-c X Y <sc> Z\n3spk-d P <sc> Q <sc> R S\n"
NUM = "1spk-a 1\n2spk-b 2\n2spk-c 2\n3spk-d 3\n"
# 2spk-b swapped (cpWER 0), 2spk-c missing, 3spk-d one stream short
HYP = "1spk-a HELLO WORD\n2spk-b C D E <sc> A B\n3spk-d P Q <sc> R S\n"
REF_ZH = "2spk-a 你好 <sc> 今天天气\n1spk-b 谢谢\n"
HYP_ZH = "2spk-a 今天天气 <sc> 你们好\n1spk-b 谢\n"


@pytest.fixture
def files(tmp_path):
    (tmp_path / "data" / "test").mkdir(parents=True)
    paths = {
        "ref": tmp_path / "data" / "test" / "text",
        "num": tmp_path / "data" / "test" / "utt2num_spk",
        "hyp": tmp_path / "hyp_text",
        "out": tmp_path / "exp" / "asr" / "decode" / "test" / "score_wer",
        "exp": tmp_path / "exp",
    }
    paths["out"].parent.mkdir(parents=True)  # the decode dir's <set>/
    paths["ref"].write_text(REF, encoding="utf-8")
    paths["num"].write_text(NUM, encoding="utf-8")
    paths["hyp"].write_text(HYP, encoding="utf-8")
    return paths


def run_score(files, *extra):
    argv = [
        "--ref",
        str(files["ref"]),
        "--hyp",
        str(files["hyp"]),
        "--utt2num_spk",
        str(files["num"]),
        "--out_dir",
        str(files["out"]),
        *extra,
    ]
    score.main(argv)


def test_outputs(files, capsys, caplog):
    with caplog.at_level(logging.WARNING):
        run_score(files)
    result = json.loads((files["out"] / "result.json").read_text())
    assert result["set"] == "test" and result["num_missing_hyp"] == 1
    assert (result["overall"]["cp"]["errors"], result["overall"]["cp"]["length"]) == (6, 14)
    by = {g["talkers"]: g for g in result["by_talkers"]}
    assert by[2]["cp"]["errors"] == 3 and by[2]["count_correct"] == 1  # only the missing one
    assert by[1]["count_accuracy"] == 1.0 and by[3]["count_under"] == 1
    assert "1 of 4 reference utterances have no hypothesis" in caplog.text
    utt_lines = (files["out"] / "utt_errors.txt").read_text().splitlines()
    assert utt_lines[1:] == [
        "1spk-a 1 1 2 1 1 2 HELLO WORD",
        "2spk-b 2 0 5 2 6 6 C D E <sc> A B",
        "2spk-c 2 3 3 0 4 4",
        "3spk-d 3 2 4 2 1 6 P Q <sc> R S",
    ]
    table = (files["out"] / "result.txt").read_text()
    assert "|all|4|14|66.7|1/8/3|42.9|1/4/1|50.0|0/2|" in table
    assert "|all|4|14|" in capsys.readouterr().out


def meeteval_cpwer(files, tmp_path):
    avg = tmp_path / "meeteval_avg.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "meeteval.wer",
            "cpwer",
            "-r",
            str(files["out"] / "ref.seglst.json"),
            "-h",
            str(files["out"] / "hyp.seglst.json"),
            "--average-out",
            str(avg),
            "--per-reco-out",
            str(tmp_path / "meeteval_per.json"),
        ],
        check=True,
        capture_output=True,
    )
    return json.loads(avg.read_text())


@pytest.mark.parametrize("mode", ["word", "char"])
def test_meeteval_cli_agrees(files, tmp_path, mode):
    if mode == "char":
        files["ref"].write_text(REF_ZH, encoding="utf-8")
        files["hyp"].write_text(HYP_ZH, encoding="utf-8")
        files["num"].write_text("2spk-a 2\n1spk-b 1\n", encoding="utf-8")
    run_score(files, "--mode", mode)
    ours = json.loads((files["out"] / "result.json").read_text())["overall"]["cp"]
    theirs = meeteval_cpwer(files, tmp_path)
    for key in ("errors", "length", "insertions", "deletions", "substitutions"):
        assert ours[key] == theirs[key], key
    if mode == "char":
        assert (ours["errors"], ours["length"]) == (2, 8)  # 们 inserted, 谢 deleted


def test_bad_hyp_id_exits_with_one_line(files, capsys):
    files["hyp"].write_text("1spk-a HELLO\n9spk-x NOPE\n", encoding="utf-8")
    with pytest.raises(SystemExit) as e:
        run_score(files)
    assert e.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("ERROR: ")
    assert f"{files['hyp']}:2: utterance '9spk-x' is not in the reference" in err


def test_result_json_keeps_what_results_md_shows(files, monkeypatch):
    monkeypatch.setattr(score, "now_string", lambda: "2026-01-01 00:00:00 +0000")
    run_score(files, "--config", "conf/train.yaml", "--label", " SOP   draft ")
    result = json.loads((files["out"] / "result.json").read_text())
    assert result["config"] == "conf/train.yaml" and result["label"] == "SOP draft"
    assert result["date"] == "2026-01-01 00:00:00 +0000"
    assert set(result["environment"]) == {"python", "torch", "espnet", "espnet_mtasr"}
    assert result["command"].startswith("python -m espnet_mtasr.bin.score --ref ")
    run_score(files, "--cmd", "./run.sh --stage 13")
    assert json.loads((files["out"] / "result.json").read_text())["command"] == (
        "./run.sh --stage 13"
    )


def test_writes_only_into_out_dir_with_the_plot(files):
    before = {p for p in files["hyp"].parent.rglob("*")}
    run_score(files)
    written = {p for p in files["hyp"].parent.rglob("*")} - before
    assert written and all(p == files["out"] or files["out"] in p.parents for p in written)
    png = files["out"] / "talkers.png"
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert not list(files["out"].glob(".*.tmp"))


def test_results_md_option_is_gone(files):
    """Scoring never writes a RESULTS.md: the generator does (show_results)."""
    with pytest.raises(SystemExit) as e:
        run_score(files, "--results_md", "RESULTS.md", "--tag", "t")
    assert e.value.code == 2


def test_show_results_cli(files, capsys, monkeypatch):
    monkeypatch.chdir(files["exp"].parent)
    run_score(files, "--cmd", "./run.sh")
    capsys.readouterr()
    show_results.main(["exp"])
    printed = capsys.readouterr().out
    assert printed.startswith("# RESULTS\n")
    assert "## exp/asr/decode\n" in printed and "|test|all|4|14|66.7|42.9|50.0|" in printed
    show_results.main(["exp", "--output", "RESULTS.md"])
    assert (files["exp"].parent / "RESULTS.md").read_text() == printed
    assert capsys.readouterr().out == ""
    show_results.main(["--summary", "exp/asr/decode"])
    summary = capsys.readouterr().out
    assert "exp/asr/decode: test (WER in %)" in summary
    assert "      all      4     66.7   42.9       50.0" in summary
    assert "  plot: exp/asr/decode/test/score_wer/talkers.png\n" in summary


def test_show_results_bad_dir_exits_with_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        show_results.main([str(tmp_path / "nope")])
    assert e.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "nope: not a directory" in err


# decoded utterances only (2spk-c has no hypothesis); two jobs' files concatenated
RTF = "1spk-a 2.000 0.2000\n2spk-b 3.000 0.4000\n3spk-d 5.000 0.4000\n"
NOTE = "CPU, 2 jobs x 1 thread, beam 5"


def run_timed(files, *extra):
    files["rtf"] = files["hyp"].parent / "rtf"
    if not files["rtf"].exists():
        files["rtf"].write_text(RTF, encoding="utf-8")
    run_score(
        files,
        "--rtf",
        str(files["rtf"]),
        "--rtf_note",
        NOTE,
        "--config",
        "conf/train.yaml",
        "--inference_config",
        "conf/decode.yaml",
        *extra,
    )


def test_rtf_in_result_json_txt_and_stdout(files, capsys, caplog):
    with caplog.at_level(logging.WARNING):
        run_timed(files)
    result = json.loads((files["out"] / "result.json").read_text())
    assert {k: result[k] for k in result if k.startswith("rtf")} == {
        "rtf": 0.1,
        "rtf_audio_seconds": 10.0,
        "rtf_decode_seconds": 1.0,
        "rtf_utts": 3,
        "rtf_note": NOTE,
    }
    assert (result["config"], result["inference_config"]) == ("conf/train.yaml", "conf/decode.yaml")
    line = f"Decoding RTF 0.1000 (1.0 s decoding / 10.0 s audio, 3 utterances; {NOTE})"
    assert line in capsys.readouterr().out
    assert f"# {line}\n" in (files["out"] / "result.txt").read_text()
    assert "times 3 of the 4 reference utterances" in caplog.text


def test_no_rtf_no_rtf_keys(files):
    run_score(files, "--rtf_note", NOTE)  # the recipe passes the note even without timings
    result = json.loads((files["out"] / "result.json").read_text())
    assert not [k for k in result if k.startswith("rtf")] and result["config"] is None


def test_bad_rtf_line_exits_before_writing(files, capsys):
    files["rtf"] = files["hyp"].parent / "rtf"
    files["rtf"].write_text("1spk-a 2.000 0.2000\n2spk-b 3.000\n", encoding="utf-8")
    with pytest.raises(SystemExit) as e:
        run_timed(files)
    assert e.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith(f"ERROR: {files['rtf']}:2: expected '<utt> <audio seconds> <decoding")
    assert not files["out"].exists()


@pytest.mark.parametrize(
    "text, message",
    [
        ("9spk-x 1.0 0.1\n", ":1: utterance '9spk-x' is not in the scored set"),
        ("", ": rtf file is empty"),
    ],
)
def test_rtf_of_another_set_or_empty(files, capsys, text, message):
    files["rtf"] = files["hyp"].parent / "rtf"
    files["rtf"].write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit):
        run_timed(files)
    assert f"{files['rtf']}{message}" in capsys.readouterr().err


def test_out_dir_that_is_a_file_exits_with_the_option(files, capsys):
    # A decode dir holds the merged beam ``score`` file; scoring into it must not crash.
    files["out"].write_text("1spk-a -1.0\n", encoding="utf-8")
    with pytest.raises(SystemExit) as e:
        run_score(files)
    assert e.value.code == 1
    err = capsys.readouterr().err
    assert f"--out_dir {files['out']} exists and is not a directory" in err
    assert files["out"].read_text() == "1spk-a -1.0\n"


def test_per_stream_is_stream_ordered(files, capsys):
    """Stream s against talker s, no permutation: the swapped 2spk-b costs errors here."""
    run_score(files, "--per_stream", "--label", "SOP draft")
    result = json.loads((files["out"] / "result.json").read_text())
    rows = [(r["stream"], r["errors"], r["length"]) for r in result["per_stream"]]
    assert rows == [(1, 7, 7), (2, 6, 5), (3, 2, 2)]
    assert "stream 1 100.0% of 7, stream 2 120.0% of 5" in capsys.readouterr().out
    text = show_results_text(files)
    assert "stream-ordered WER, test (SOP draft), stream s vs talker s: stream 1 100.0 of 7" in text
    assert "stream 2 120.0 of 5, stream 3 100.0 of 2" in text


def show_results_text(files):
    from espnet_mtasr.metrics.results_md import find_results, render_results_md

    return render_results_md(find_results([files["exp"]]), [files["exp"]])


def test_count_confusion_from_streams_and_from_the_head(files):
    """Rows: reference count; columns: predicted. Without --hyp_count the prediction is
    the hypothesis stream count (the missing 2spk-c counts as 0 streams)."""
    run_score(files)
    c = json.loads((files["out"] / "result.json").read_text())["count_confusion"]
    assert c["source"] == "streams" and c["labels"] == [0, 1, 2, 3]
    assert c["matrix"] == [[0, 0, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 0, 1, 0]]
    assert c["accuracy"] == 0.5
    heads = files["out"].parent / "talker_count"
    heads.write_text("1spk-a 1\n2spk-b 2\n2spk-c 3\n3spk-d 3\n", encoding="utf-8")
    run_score(files, "--hyp_count", str(heads))
    c = json.loads((files["out"] / "result.json").read_text())["count_confusion"]
    assert c["source"] == "head" and c["labels"] == [1, 2, 3]
    assert c["matrix"] == [[1, 0, 0], [0, 1, 1], [0, 0, 1]] and c["accuracy"] == 0.75
    text = show_results_text(files)
    assert "predicted by the talker-count head; accuracy 75.0 % of 4." in text
    assert "|2|0|1|1|" in text


@pytest.mark.parametrize(
    "content, message",
    [
        ("1spk-a 1\n2spk-b two\n", "talker_count:2: talker count 'two' of '2spk-b'"),
        ("1spk-a 1\n", "no talker count for 3 reference utterance(s)"),
        ("zz 1\n", "utterance 'zz' is not in the reference"),
    ],
)
def test_bad_hyp_count_exits_with_file_and_line(files, capsys, content, message):
    heads = files["out"].parent / "talker_count"
    heads.write_text(content, encoding="utf-8")
    with pytest.raises(SystemExit):
        run_score(files, "--hyp_count", str(heads))
    err = capsys.readouterr().err
    assert message in err and str(heads) in err
    assert not files["out"].exists()
