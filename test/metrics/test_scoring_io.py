"""Reading and checking the scoring inputs; SegLST output."""

import json

import pytest

from espnet_mtasr.metrics import load_scoring_input, read_utt_lines, write_seglst
from espnet_mtasr.utils.errors import MTASRInputError


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_read_utt_lines(tmp_path):
    p = write(tmp_path / "text", "u1 a  b\nu2\nu3 你好\n")
    assert read_utt_lines(p) == [(1, "u1", "a  b"), (2, "u2", ""), (3, "u3", "你好")]


@pytest.mark.parametrize(
    "content, where, what",
    [("u1 a\n\nu2 b\n", ":2:", "blank line"), ("u1 a\nu1 b\n", ":2:", "duplicate")],
)
def test_read_utt_lines_errors(tmp_path, content, where, what):
    p = write(tmp_path / "text", content)
    with pytest.raises(MTASRInputError, match=what) as e:
        read_utt_lines(p)
    assert f"{p}{where}" in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(MTASRInputError, match="file not found"):
        read_utt_lines(tmp_path / "nope")


@pytest.fixture
def data(tmp_path):
    ref = write(tmp_path / "text", "2spk-a x <sc> y\n2spk-b z <sc> w\n1spk-c v\n")
    n = write(tmp_path / "utt2num_spk", "2spk-a 2\n2spk-b 2\n1spk-c 1\n")
    return tmp_path, ref, n


def test_load_ok_with_missing_hyp(data):
    tmp_path, ref, n = data
    hyp = write(tmp_path / "hyp", "2spk-a x <sc> y\n")
    inp = load_scoring_input(ref, hyp, n)
    assert inp.missing_hyp == ("2spk-b", "1spk-c")
    assert inp.talkers == {"2spk-a": 2, "2spk-b": 2, "1spk-c": 1}


def test_bad_hyp_id_names_file_and_line(data):
    tmp_path, ref, n = data
    hyp = write(tmp_path / "hyp", "2spk-a x\n3spk-zzz q\n")
    with pytest.raises(MTASRInputError) as e:
        load_scoring_input(ref, hyp, n)
    msg = str(e.value)
    assert f"{hyp}:2:" in msg and "'3spk-zzz'" in msg and str(ref) in msg and "fix:" in msg


@pytest.mark.parametrize(
    "content, match",
    [
        ("2spk-a 2\n2spk-b two\n1spk-c 1\n", "utt2num_spk:2: talker count 'two'"),
        ("2spk-a 2\n2spk-b 2\n", "no talker count for 1"),
        ("2spk-a 2\n2spk-b 2\n1spk-c 1\nzz 1\n", "utt2num_spk:4: utterance 'zz'"),
        ("2spk-a 1\n2spk-b 2\n1spk-c 1\n", r"text:1: 2 talker streams but utt2num_spk says 1"),
    ],
)
def test_bad_utt2num_spk(data, content, match):
    tmp_path, ref, _ = data
    n = write(tmp_path / "utt2num_spk", content)
    hyp = write(tmp_path / "hyp", "")
    with pytest.raises(MTASRInputError, match=match):
        load_scoring_input(ref, hyp, n)


def test_fewer_ref_streams_is_reported(data):
    tmp_path, ref, _ = data
    n = write(tmp_path / "utt2num_spk", "2spk-a 3\n2spk-b 2\n1spk-c 1\n")
    inp = load_scoring_input(ref, write(tmp_path / "hyp", ""), n)
    assert inp.fewer_ref_streams == ("2spk-a",)


def test_malformed_spk_tag_reference(tmp_path):
    ref = write(tmp_path / "text", "u1 <spk1> a\nu2 b <spk1> c\n")
    with pytest.raises(MTASRInputError, match=r"text:2: words before the first speaker tag"):
        load_scoring_input(ref, write(tmp_path / "hyp", ""), text_format="spk_tag")


def test_write_seglst(tmp_path):
    write_seglst(tmp_path / "s.json", {"u1": "你好 <sc> 世界", "u2": ""}, mode="char")
    segs = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert segs == [
        {"session_id": "u1", "speaker": 0, "words": "你 好"},
        {"session_id": "u1", "speaker": 1, "words": "世 界"},
        {"session_id": "u2", "speaker": 0, "words": ""},
    ]
