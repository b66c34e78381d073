"""Shared meeting prep: strict TextGrid scan, session checks, windows, the data dir."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from meeting_fakes import SESSION_SPEECH, textgrid_text

from espnet_mtasr.data.datadir import validate_data_dir
from espnet_mtasr.data.meeting import (
    MeetingSession,
    check_session,
    meeting_windows,
    scan_textgrid,
    write_meeting_dir,
)
from espnet_mtasr.text.sot import TalkerSegment, sot_parse
from espnet_mtasr.text.speaker_tags import spk_tag_streams
from espnet_mtasr.utils.errors import MTASRInputError


def _grid(tmp_path: Path, tiers=None, xmax: float = 20.0) -> Path:
    path = tmp_path / "s.TextGrid"
    path.write_text(textgrid_text(tiers or SESSION_SPEECH, xmax), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str, nth: int = 1) -> int:
    hits = [i for i, ln in enumerate(path.read_text().splitlines(), 1) if needle in ln]
    return hits[nth - 1]


# --------------------------------------------------------------------------- scan_textgrid


def test_scan_reads_every_tier_and_interval_with_lines(tmp_path):
    path = _grid(tmp_path)
    tiers = scan_textgrid(path)
    assert list(tiers) == list(SESSION_SPEECH)
    speech = [(iv.start, iv.end, iv.text) for iv in tiers["F_SPK0093"] if iv.text]
    assert speech == SESSION_SPEECH["F_SPK0093"]
    first = tiers["F_SPK0093"][0]
    assert path.read_text().splitlines()[first.line - 1].strip() == "intervals [1]:"


def test_scan_agrees_with_the_textgrid_package_on_a_valid_file(tmp_path):
    import textgrid

    path = _grid(tmp_path)
    ours = scan_textgrid(path)
    theirs = textgrid.TextGrid.fromFile(str(path))
    for tier in theirs.tiers:
        got = [(iv.start, iv.end, iv.text) for iv in ours[tier.name]]
        assert got == [(iv.minTime, iv.maxTime, iv.mark) for iv in tier.intervals]


def test_malformed_interval_names_file_and_line(tmp_path):
    path = _grid(tmp_path)
    text = path.read_text().replace("xmax = 11.5 ", "xmax = 8.5 ")  # ends before it starts
    path.write_text(text)
    with pytest.raises(MTASRInputError) as e:
        scan_textgrid(path)
    line = _line_of(path, "xmin = 9.0") - 1  # its "intervals [k]:" line
    assert f"{path}:{line}:" in str(e.value) and "ends (8.5) before it starts (9.0)" in str(e.value)


@pytest.mark.parametrize(
    "old,new,message",
    [
        ("xmin = 9.0 ", "xmin = nine ", "xmin is not a number: 'nine'"),
        ("intervals: size = 5 ", "intervals: size = 6 ", "declares 6 intervals, has 5"),
        ("xmin = 9.0 ", "xmin = 2.0 ", "before the previous interval"),
        ('File type = "ooTextFile"', "garbage", "not a Praat TextGrid"),
    ],
)
def test_other_malformed_files_stop_with_the_line(tmp_path, old, new, message):
    path = _grid(tmp_path)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(MTASRInputError, match=message) as e:
        scan_textgrid(path)
    assert str(path) in str(e.value)


def test_tier_with_no_speech_and_short_audio_are_clear(tmp_path):
    tiers = {**SESSION_SPEECH, "M_SPK0100": [(3.0, 4.0, "<sil>")]}
    path = _grid(tmp_path, tiers)
    silent = lambda text: not text.replace("<sil>", "").strip()  # noqa: E731
    with pytest.raises(MTASRInputError, match="tier 'M_SPK0100' has no speech"):
        check_session(path, scan_textgrid(path), Path("a.wav"), 20.0, silent)
    path = _grid(tmp_path)
    with pytest.raises(
        MTASRInputError, match=r"speech until 18\.000 s, but the audio a\.wav lasts 12\.000 s"
    ) as e:
        check_session(path, scan_textgrid(path), Path("a.wav"), 12.0)
    assert f"{path}:" in str(e.value)
    check_session(path, scan_textgrid(path), Path("a.wav"), 17.98)  # within the tolerance


# --------------------------------------------------------------------------- windows


@st.composite
def _segments(draw):
    n = draw(st.integers(1, 12))
    segs = []
    for i in range(n):
        start = draw(st.integers(0, 600)) / 10
        length = draw(st.integers(1, 80)) / 10
        spk = draw(st.sampled_from("ABCD"))
        segs.append(TalkerSegment(spk, f"w{i}", start, start + length))
    return segs


@given(_segments(), st.integers(1, 40))
def test_windows_never_cut_a_segment(segs, max_len):
    windows = meeting_windows(segs, float(max_len))
    flat = [s for w in windows for s in w]
    assert sorted(flat, key=id) == sorted(segs, key=id)  # each segment in exactly one window
    for a, b in zip(windows, windows[1:]):
        assert max(s.end for s in a) < b[0].start  # cut only where nobody speaks
    for w in windows:
        assert list(w) == sorted(w, key=lambda s: (s.start, s.end, s.speaker))
        length = max(s.end for s in w) - w[0].start
        if length > max_len:  # only one stretch of continuous speech is longer
            end = w[0].end
            for s in w[1:]:
                assert s.start <= end
                end = max(end, s.end)


@given(_segments())
def test_no_max_len_is_one_window_and_min_len_drops_short_ones(segs):
    assert meeting_windows(segs, None) == [
        tuple(sorted(segs, key=lambda s: (s.start, s.end, s.speaker)))
    ]
    for w in meeting_windows(segs, 10.0, min_len=5.0):
        assert max(s.end for s in w) - w[0].start >= 5.0


# --------------------------------------------------------------------------- data dir


def _session(sid="S01") -> MeetingSession:
    segs = [
        TalkerSegment(spk.split("_")[1], text.replace("<sil>", ""), s, e)
        for spk, spans in SESSION_SPEECH.items()
        for s, e, text in spans
    ]
    return MeetingSession(
        sid, Path("/corpus") / f"{sid}.wav", 20.0, tuple(sorted(segs, key=lambda s: s.start))
    )


def test_data_dir_streams_tags_and_sot_agree(tmp_path):
    out = tmp_path / "train"
    counts = write_meeting_dir([_session("S01"), _session("S02")], out, max_len=10.0)
    assert counts == {"sessions": 2, "windows": 4, "long_windows": 0}
    report = validate_data_dir(out, check_audio=False)
    assert report.num_utts == 4
    read = lambda name: dict(ln.split(maxsplit=1) for ln in (out / name).read_text().splitlines())  # noqa: E731
    text, tags = read("text"), read("text_spktag")
    for utt in text:
        streams = [read(f"text_spk{k}")[utt] for k in (1, 2, 3)]
        assert sot_parse(text[utt]) == streams == spk_tag_streams(tags[utt])
        assert read("utt2num_spk")[utt] == "3"
        rec, start, end = read("segments")[utt].split()
        assert utt.startswith(rec) and float(end) - float(start) <= 10.0
    assert read("wav.scp")["S01"] == "sox /corpus/S01.wav -t wav -b 16 - remix 1 |"


def test_nothing_written_without_a_window(tmp_path):
    empty = MeetingSession("S01", Path("/corpus/S01.wav"), 20.0, ())
    with pytest.raises(MTASRInputError, match="no speech window"):
        write_meeting_dir([empty], tmp_path / "x", max_len=10.0)
    assert not (tmp_path / "x").exists()
