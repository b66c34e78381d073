"""Tests of stage 3, espnet_mtasr.bin.format_wav_scp (and datadir.format_data_dir)."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Mapping

import kaldiio
import numpy as np
import pytest
import soundfile as sf

from espnet_mtasr.bin.format_wav_scp import main
from espnet_mtasr.data.datadir import format_data_dir, validate_data_dir
from espnet_mtasr.utils.errors import MTASRInputError


def write_map(path: Path, items: Mapping[str, str]) -> None:
    path.write_text("".join(f"{k} {items[k]}\n" for k in sorted(items)), encoding="utf-8")


def make_dir(root: Path, wav_scp: Mapping[str, str], texts: Mapping[str, str]) -> Path:
    """A data dir with the given wav.scp values and transcripts (one speaker per utt)."""
    d = root / "data" / "x"
    d.mkdir(parents=True)
    write_map(d / "wav.scp", wav_scp)
    write_map(d / "text", texts)
    write_map(d / "utt2spk", {u: u for u in texts})
    write_map(d / "spk2utt", {u: u for u in texts})
    return d


def make_wav(path: Path, n: int, rate: int = 16000, channels: int = 1, seed: int = 0) -> np.ndarray:
    """Write a random PCM16 wav; return its int16 samples."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    x = rng.integers(-3000, 3000, size=(n, channels) if channels > 1 else n, dtype=np.int16)
    sf.write(path, x, rate, subtype="PCM_16")
    return x


@pytest.fixture
def two_utts(tmp_path: Path) -> Dict[str, object]:
    a = make_wav(tmp_path / "wav" / "a.wav", 400, seed=1)
    make_wav(tmp_path / "wav" / "b.wav", 200, rate=8000, seed=2)
    d = make_dir(
        tmp_path,
        {
            "1spk-a": str(tmp_path / "wav" / "a.wav"),
            "1spk-b": f"cat {tmp_path / 'wav' / 'b.wav'} |",
        },
        {"1spk-a": "HELLO", "1spk-b": "WORLD"},
    )
    return {"dir": d, "a": a}


def read_map(path: Path) -> Dict[str, str]:
    return dict(ln.split(maxsplit=1) for ln in path.read_text().splitlines())


def test_formats_plain_and_pipe_entries_with_resampling(two_utts, tmp_path: Path):
    out = tmp_path / "dump" / "x"
    assert format_data_dir(two_utts["dir"], out, progress=False) == 2
    wav_scp = read_map(out / "wav.scp")
    assert wav_scp == {
        "1spk-a": str(out / "data" / "format.1" / "1spk-a.wav"),
        "1spk-b": str(out / "data" / "format.1" / "1spk-b.wav"),
    }
    a, rate = sf.read(wav_scp["1spk-a"], dtype="int16")
    assert rate == 16000 and np.array_equal(a, two_utts["a"])  # bit-exact without resampling
    b, rate = sf.read(wav_scp["1spk-b"], dtype="int16")
    assert rate == 16000 and abs(len(b) - 400) <= 1  # 200 samples at 8 kHz
    assert read_map(out / "utt2num_samples") == {"1spk-a": "400", "1spk-b": str(len(b))}
    assert (out / "audio_format").read_text() == "wav\n"
    assert (out / "feats_type").read_text() == "raw\n"
    assert (out / "text").read_text() == (two_utts["dir"] / "text").read_text()
    assert validate_data_dir(out).num_audio_checked == 2


def test_relative_out_dir_gives_relative_paths(two_utts, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    format_data_dir(two_utts["dir"], Path("dump/raw/org/x"), progress=False)
    assert read_map(tmp_path / "dump/raw/org/x/wav.scp")["1spk-a"] == (
        "dump/raw/org/x/data/format.1/1spk-a.wav"
    )


def test_segments_cut_and_flac(tmp_path: Path):
    rec = make_wav(tmp_path / "wav" / "rec.wav", 1600)
    d = make_dir(
        tmp_path,
        {"rec": str(tmp_path / "wav" / "rec.wav")},
        {"rec-1": "A", "rec-2": "B", "rec-3": "C"},
    )
    write_map(
        d / "segments", {"rec-1": "rec 0.0 0.05", "rec-2": "rec 0.02 0.05", "rec-3": "rec 0.09 -1"}
    )
    write_map(d / "reco2dur", {"rec": "0.1"})
    out = tmp_path / "out"
    format_data_dir(d, out, audio_format="flac", progress=False)
    wav_scp = read_map(out / "wav.scp")
    assert wav_scp["rec-2"].endswith("format.1/rec-2.flac")
    x, _ = sf.read(wav_scp["rec-2"], dtype="int16")
    assert np.array_equal(x, rec[320:800])
    assert read_map(out / "utt2num_samples") == {"rec-1": "800", "rec-2": "480", "rec-3": "160"}
    assert not (out / "segments").exists() and not (out / "reco2dur").exists()
    assert (out / "audio_format").read_text() == "flac\n"
    assert validate_data_dir(out).num_utts == 3


def test_segments_of_a_pipe_read_it_once(tmp_path: Path):
    rec = make_wav(tmp_path / "wav" / "rec.wav", 800)
    count = tmp_path / "count"
    d = make_dir(
        tmp_path,
        {"rec": f"echo x >> {count}; cat {tmp_path / 'wav' / 'rec.wav'} |"},
        {"rec-1": "A", "rec-2": "B"},
    )
    write_map(d / "segments", {"rec-1": "rec 0.0 0.01", "rec-2": "rec 0.01 0.02"})
    format_data_dir(d, tmp_path / "out", progress=False)
    assert count.read_text() == "x\n"
    x, _ = sf.read(tmp_path / "out" / "data" / "format.1" / "rec-2.wav", dtype="int16")
    assert np.array_equal(x, rec[160:320])


def test_kaldi_wav_ark_entry(tmp_path: Path):
    x = np.arange(-200, 200, dtype=np.int16)
    kaldiio.save_ark(str(tmp_path / "a.ark"), {"1spk-a": (16000, x)}, scp=str(tmp_path / "a.scp"))
    entry = (tmp_path / "a.scp").read_text().split()[1]
    d = make_dir(tmp_path, {"1spk-a": entry}, {"1spk-a": "A"})
    format_data_dir(d, tmp_path / "out", progress=False)
    y, _ = sf.read(tmp_path / "out" / "data" / "format.1" / "1spk-a.wav", dtype="int16")
    assert np.array_equal(x, y)


def test_parallel_jobs_write_format_dirs(tmp_path: Path):
    wavs = {f"1spk-{i}": tmp_path / "wav" / f"{i}.wav" for i in range(4)}
    for i, p in enumerate(wavs.values()):
        make_wav(p, 100 + i)
    d = make_dir(tmp_path, {u: str(p) for u, p in wavs.items()}, {u: "W" for u in wavs})
    out = tmp_path / "out"
    assert format_data_dir(d, out, nj=2, progress=False) == 4
    dirs = sorted(p.parent.name for p in (out / "data").rglob("*.wav"))
    assert dirs == ["format.1", "format.1", "format.2", "format.2"]
    assert read_map(out / "utt2num_samples") == {f"1spk-{i}": str(100 + i) for i in range(4)}


def test_failing_pipe_leaves_nothing_half_written(two_utts, tmp_path: Path):
    out = tmp_path / "dump" / "x"
    format_data_dir(two_utts["dir"], out, progress=False)
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    wav_scp = two_utts["dir"] / "wav.scp"
    wav_scp.write_text(wav_scp.read_text().replace("cat ", "cat /no/such/file "))
    with pytest.raises(MTASRInputError) as e:
        format_data_dir(two_utts["dir"], out, nj=2, progress=False)
    msg = str(e.value)
    assert "wav.scp:2:" in msg and "command failed with exit code 1" in msg
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before
    assert [p.name for p in out.parent.iterdir()] == ["x"]  # no temp dir left behind
    with pytest.raises(MTASRInputError):
        format_data_dir(two_utts["dir"], tmp_path / "new", progress=False)
    assert not (tmp_path / "new").exists()


def test_rerun_rebuilds(two_utts, tmp_path: Path):
    out = tmp_path / "out"
    format_data_dir(two_utts["dir"], out, progress=False)
    (out / "stale").write_text("x")
    format_data_dir(two_utts["dir"], out, progress=False)
    assert not (out / "stale").exists() and (out / "wav.scp").is_file()


def test_rejects_multichannel_and_empty_cuts(tmp_path: Path):
    make_wav(tmp_path / "wav" / "st.wav", 100, channels=2)
    d = make_dir(tmp_path, {"1spk-a": str(tmp_path / "wav" / "st.wav")}, {"1spk-a": "A"})
    with pytest.raises(MTASRInputError, match="has 2 channels, expected mono"):
        format_data_dir(d, tmp_path / "out", progress=False)
    make_wav(tmp_path / "wav" / "st.wav", 100)
    write_map(d / "segments", {"1spk-a": "1spk-a 5.0 6.0"})
    with pytest.raises(MTASRInputError, match="is empty"):
        format_data_dir(d, tmp_path / "out", progress=False)


def test_rejects_bad_options_and_invalid_input_dir(two_utts, tmp_path: Path):
    with pytest.raises(MTASRInputError, match="audio_format"):
        format_data_dir(two_utts["dir"], tmp_path / "o", audio_format="mp3")
    with pytest.raises(MTASRInputError, match="must differ"):
        format_data_dir(two_utts["dir"], two_utts["dir"])
    (two_utts["dir"] / "text").write_text("1spk-b WORLD\n1spk-a HELLO\n")
    with pytest.raises(MTASRInputError, match="not sorted"):
        format_data_dir(two_utts["dir"], tmp_path / "o")


def test_main(two_utts, tmp_path: Path, capsys):
    out = tmp_path / "o"
    main(["--in_dir", str(two_utts["dir"]), "--out_dir", str(out), "--fs", "8k", "--no_progress"])
    assert "wrote 2 utterances (wav, 8000 Hz)" in capsys.readouterr().out
    assert read_map(out / "utt2num_samples")["1spk-b"] == "200"
    (two_utts["dir"] / "wav.scp").write_text("1spk-a /nope.wav\n1spk-b /nope2.wav\n")
    with pytest.raises(SystemExit) as e:
        main(["--in_dir", str(two_utts["dir"]), "--out_dir", str(out)])
    assert e.value.code == 1
    assert "wav file not found: /nope.wav (and 1 more missing)" in capsys.readouterr().err
