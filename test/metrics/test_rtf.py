"""The rtf file of decoding: sums, checks with file:line messages, result.json keys."""

import pytest

from espnet_mtasr.metrics.rtf import RTFSummary, describe_rtf, format_rtf, read_rtf
from espnet_mtasr.utils.errors import MTASRInputError

# two jobs' files concatenated
RTF = "1spk-a 2.000 0.5000\n2spk-b 3.000 0.2500\n2spk-c 5.000 1.2500\n"


def write(tmp_path, text, name="rtf"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sums(tmp_path):
    s = read_rtf(write(tmp_path, RTF))
    assert s == RTFSummary(num_utts=3, audio_seconds=10.0, decode_seconds=2.0)
    assert s.rtf == pytest.approx(0.2) and format_rtf(s) == "0.2000"
    assert read_rtf(write(tmp_path, RTF.rstrip("\n"))) == s  # no final newline
    assert describe_rtf(s, " 2 jobs\n x 1 thread ") == (
        "Decoding RTF 0.2000 (2.0 s decoding / 10.0 s audio, 3 utterances; 2 jobs x 1 thread)"
    )


def test_float_noise_rounded(tmp_path):
    s = read_rtf(write(tmp_path, "".join(f"u{i} 0.100 0.0100\n" for i in range(10))))
    assert (s.audio_seconds, s.decode_seconds) == (1.0, 0.1)


def test_unknown_audio_duration(tmp_path):
    """mtasr_inference writes nan without a waveform frontend: RTF unknown, not an error."""
    s = read_rtf(write(tmp_path, "u1 nan 0.5000\nu2 1.000 0.5000\n"))
    assert s.audio_seconds is None and s.rtf is None and s.decode_seconds == 1.0
    assert format_rtf(s) == "-" and "unknown audio duration" in describe_rtf(s)
    assert read_rtf(write(tmp_path, "u1 0.000 0.1\n")).rtf is None  # zero audio


def test_dict_round_trip(tmp_path):
    s = read_rtf(write(tmp_path, RTF))
    d = s.to_dict()
    assert d == {
        "rtf": 0.2,
        "rtf_audio_seconds": 10.0,
        "rtf_decode_seconds": 2.0,
        "rtf_utts": 3,
    }
    assert RTFSummary.from_dict({"other": 1, **d}) == s
    assert RTFSummary.from_dict({"mode": "word"}) is None  # a result.json without --rtf
    unknown = RTFSummary(num_utts=1, audio_seconds=None, decode_seconds=1.0)
    assert unknown.to_dict()["rtf"] is None and RTFSummary.from_dict(unknown.to_dict()) == unknown


@pytest.mark.parametrize(
    "line, message",
    [
        ("2spk-x 1.000", "expected '<utt> <audio seconds> <decoding seconds>', got '2spk-x 1.000'"),
        ("2spk-x 1.0 0.1 9", "got '2spk-x 1.0 0.1 9'"),
        ("", "got ''"),
        ("2spk-x one 0.1", "audio duration 'one' is not a non-negative number of seconds"),
        ("2spk-x 1.0 -0.1", "decoding time '-0.1' is not a non-negative number of seconds"),
        ("2spk-x 1.0 nan", "decoding time 'nan' is not"),
        ("2spk-x inf 0.1", "audio duration 'inf' is not"),
        ("1spk-a 1.0 0.1", "duplicate utterance id '1spk-a' (first on line 1)"),
    ],
)
def test_bad_line_names_file_and_line(tmp_path, line, message):
    path = write(tmp_path, RTF[: RTF.index("\n") + 1] + line + "\n2spk-y 1.0 0.1\n")
    with pytest.raises(MTASRInputError) as e:
        read_rtf(path)
    assert str(e.value).startswith(f"{path}:2: ")
    assert message in str(e.value) and "(fix: " in str(e.value)
    assert (e.value.path, e.value.line) == (str(path), 2)


def test_utterance_not_in_scored_set(tmp_path):
    path = write(tmp_path, RTF)
    assert read_rtf(path, utt_ids={"1spk-a", "2spk-b", "2spk-c", "3spk-d"}).num_utts == 3
    with pytest.raises(MTASRInputError, match=r":3: utterance '2spk-c' is not in the scored"):
        read_rtf(path, utt_ids={"1spk-a", "2spk-b"})


def test_empty_missing_and_binary_files(tmp_path):
    with pytest.raises(MTASRInputError, match=r"rtf: rtf file is empty: no utterance was timed"):
        read_rtf(write(tmp_path, ""))
    with pytest.raises(MTASRInputError, match=r"nope: rtf file not found \(fix: decode with"):
        read_rtf(tmp_path / "nope")
    path = tmp_path / "bin"
    path.write_bytes(b"u1 1.0 \xff\n")
    with pytest.raises(MTASRInputError, match="bin:1: file not UTF-8: byte 0xff"):
        read_rtf(path)
