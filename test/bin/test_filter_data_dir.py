"""Tests of stage 4, espnet_mtasr.bin.filter_data_dir (and datadir.filter_data_dir)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Mapping

import pytest

from espnet_mtasr.bin.filter_data_dir import main
from espnet_mtasr.data.datadir import filter_data_dir, validate_data_dir
from espnet_mtasr.utils.errors import MTASRInputError

# utt -> (SOT text, seconds)
UTTS = {
    "1spk-short": ("HI", 0.05),
    "1spk-ok": ("HELLO THERE", 1.0),
    "2spk-ok": ("A B C <sc> D E", 2.0),
    "2spk-long": ("F <sc> G", 40.0),
}


def write_map(path: Path, items: Mapping[str, str]) -> None:
    path.write_text("".join(f"{k} {items[k]}\n" if items[k] else f"{k}\n" for k in sorted(items)))


def read_map(path: Path) -> Dict[str, str]:
    return dict((ln.split(maxsplit=1) + [""])[:2] for ln in path.read_text().splitlines())


@pytest.fixture
def dump_dir(tmp_path: Path) -> Path:
    """A stage-3-like dir: pipe wav.scp (no audio read), utt2num_samples, text_spk*."""
    d = tmp_path / "dump" / "org" / "x"
    d.mkdir(parents=True)
    write_map(d / "wav.scp", {u: f"cat /audio/{u}.wav |" for u in UTTS})
    write_map(d / "text", {u: t for u, (t, _) in UTTS.items()})
    streams = {u: t.split(" <sc> ") for u, (t, _) in UTTS.items()}
    for k in (1, 2):
        write_map(
            d / f"text_spk{k}", {u: s[k - 1] if len(s) >= k else "" for u, s in streams.items()}
        )
    write_map(d / "utt2num_spk", {u: str(len(s)) for u, s in streams.items()})
    write_map(d / "utt2spk", {u: u for u in UTTS})
    write_map(d / "spk2utt", {u: u for u in UTTS})
    write_map(d / "utt2num_samples", {u: str(int(s * 16000)) for u, (_, s) in UTTS.items()})
    write_map(d / "utt2dur", {u: str(s) for u, (_, s) in UTTS.items()})
    (d / "audio_format").write_text("wav\n")
    (d / "data").mkdir()  # the audio of a dump dir: not copied
    return d


def test_removes_consistently_from_every_file(dump_dir: Path, tmp_path: Path):
    out = tmp_path / "dump" / "x"
    report = filter_data_dir(dump_dir, out, min_dur=0.1, max_dur=30)
    assert (report.total, report.kept, report.too_short, report.too_long) == (4, 2, 1, 1)
    assert "removed 2 of 4 utterances (1 too short, 1 too long" in report.summary()
    for name in ("wav.scp", "text", "text_spk1", "text_spk2", "utt2spk", "spk2utt", "utt2num_spk"):
        assert sorted(read_map(out / name)) == ["1spk-ok", "2spk-ok"], name
    assert read_map(out / "text_spk2") == {"1spk-ok": "", "2spk-ok": "D E"}
    assert (out / "audio_format").read_text() == "wav\n"
    assert not (out / "data").exists()
    assert validate_data_dir(out).num_utts == 2


def test_uses_fs_for_num_samples_and_falls_back_to_utt2dur(dump_dir: Path, tmp_path: Path):
    report = filter_data_dir(dump_dir, tmp_path / "a", min_dur=0.1, max_dur=3, fs=8000)
    assert (report.too_short, report.too_long, report.kept) == (0, 2, 2)  # durations doubled
    (dump_dir / "utt2num_samples").unlink()
    report = filter_data_dir(dump_dir, tmp_path / "b", min_dur=0.01, max_dur=1.5)
    assert report.kept == 2 and report.too_long == 2


def test_max_tokens(dump_dir: Path, tmp_path: Path):
    report = filter_data_dir(dump_dir, tmp_path / "o", max_tokens=4, max_dur=100, min_dur=0)
    assert report.too_many_tokens == 1  # "A B C <sc> D E" has 6 word tokens
    report = filter_data_dir(
        dump_dir, tmp_path / "o", max_tokens=6, max_dur=100, min_dur=0, token_type="char"
    )
    assert report.too_many_tokens == 1  # HELLO THERE: 10 chars


def test_all_removed_is_an_error_and_writes_nothing(dump_dir: Path, tmp_path: Path):
    out = tmp_path / "out"
    with pytest.raises(MTASRInputError, match="all 4 utterances would be removed"):
        filter_data_dir(dump_dir, out, min_dur=100, max_dur=200)
    assert not out.exists()


def test_invalid_input_dir(dump_dir: Path, tmp_path: Path):
    (dump_dir / "utt2num_samples").write_text("1spk-ok 16000\n")
    with pytest.raises(MTASRInputError, match="missing here"):
        filter_data_dir(dump_dir, tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_main(dump_dir: Path, tmp_path: Path, capsys):
    out = tmp_path / "o"
    main(["--in_dir", str(dump_dir), "--out_dir", str(out), "--min_dur", "0.1", "--max_dur", "30"])
    assert "removed 2 of 4 utterances" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:
        main(["--in_dir", str(dump_dir), "--out_dir", str(out), "--min_dur", "50"])
    assert e.value.code == 1
    assert "ERROR: need 0 <= --min_dur < --max_dur" in capsys.readouterr().err
