"""Tests of stage 2, espnet_mtasr.bin.speed_perturb (and data.speed_perturb)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Dict, Mapping

import numpy as np
import pytest
import soundfile as sf

from espnet_mtasr.bin.speed_perturb import main
from espnet_mtasr.data.datadir import format_data_dir, validate_data_dir
from espnet_mtasr.data.speed_perturb import (
    factor_prefix,
    perturbed_wav_entry,
    speed_perturb_data_dir,
)
from espnet_mtasr.utils.errors import MTASRInputError

needs_sox = pytest.mark.skipif(shutil.which("sox") is None, reason="needs sox")
N = 1600  # samples of every wav (0.1 s)


def write_map(path: Path, items: Mapping[str, str]) -> None:
    path.write_text("".join(f"{k} {items[k]}\n" if items[k] else f"{k}\n" for k in sorted(items)))


def read_map(path: Path) -> Dict[str, str]:
    return dict((ln.split(maxsplit=1) + [""])[:2] for ln in path.read_text().splitlines())


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A 1-talker and a 2-talker utterance; the 2-talker one is read through a pipe."""
    wavs = tmp_path / "wav"
    wavs.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        sf.write(wavs / f"{name}.wav", rng.uniform(-0.3, 0.3, N), 16000, subtype="PCM_16")
    d = tmp_path / "data" / "train"
    d.mkdir(parents=True)
    utts = ["1spk-a", "2spk-b_c"]
    write_map(d / "wav.scp", {"1spk-a": str(wavs / "a.wav"), "2spk-b_c": f"cat {wavs / 'b.wav'} |"})
    write_map(d / "text", {"1spk-a": "HELLO", "2spk-b_c": "GOOD DAY <sc> HI"})
    write_map(d / "text_spk1", {"1spk-a": "HELLO", "2spk-b_c": "GOOD DAY"})
    write_map(d / "text_spk2", {"1spk-a": "", "2spk-b_c": "HI"})
    write_map(d / "utt2spk", {u: u for u in utts})
    write_map(d / "spk2utt", {u: u for u in utts})
    write_map(d / "utt2num_spk", {"1spk-a": "1", "2spk-b_c": "2"})
    write_map(
        d / "utt2talkers", {"1spk-a": "s1:0.000:0.100", "2spk-b_c": "s2:0.000:0.090 s3:0.045:0.099"}
    )
    write_map(d / "utt2dur", {u: "0.1" for u in utts})
    write_map(d / "utt2num_samples", {u: str(N) for u in utts})
    return d


def test_combined_dir_ids_entries_and_times(data_dir: Path, tmp_path: Path, capsys):
    out = tmp_path / "data" / "train_sp"
    assert speed_perturb_data_dir(data_dir, out, [0.9, 1.0, 1.1]) == 6
    wav_scp = read_map(out / "wav.scp")
    a, b = data_dir.parent.parent / "wav" / "a.wav", data_dir.parent.parent / "wav" / "b.wav"
    assert wav_scp["1spk-a"] == str(a)
    assert wav_scp["sp0.9-1spk-a"] == f"sox -t wav {a} -t wav - speed 0.9 |"
    assert wav_scp["sp1.1-2spk-b_c"] == f"cat {b} | sox -t wav - -t wav - speed 1.1 |"
    assert list(wav_scp) == sorted(wav_scp)
    assert read_map(out / "utt2dur") == {
        "1spk-a": "0.1",
        "2spk-b_c": "0.1",
        "sp0.9-1spk-a": "0.111",
        "sp0.9-2spk-b_c": "0.111",
        "sp1.1-1spk-a": "0.091",
        "sp1.1-2spk-b_c": "0.091",
    }
    assert read_map(out / "utt2talkers")["sp0.9-2spk-b_c"] == "s2:0.000:0.100 s3:0.050:0.110"
    assert read_map(out / "text")["sp1.1-2spk-b_c"] == "GOOD DAY <sc> HI"
    assert read_map(out / "text_spk2")["sp0.9-1spk-a"] == ""
    assert read_map(out / "utt2spk")["sp0.9-1spk-a"] == "sp0.9-1spk-a"
    assert read_map(out / "spk2utt")["sp1.1-2spk-b_c"] == "sp1.1-2spk-b_c"
    assert not (out / "utt2num_samples").exists()
    assert validate_data_dir(out, check_audio=False).num_pipes == 5
    assert capsys.readouterr().err == ""


@needs_sox
def test_pipes_produce_audio_of_the_expected_length(data_dir: Path, tmp_path: Path):
    out = tmp_path / "data" / "train_sp"
    speed_perturb_data_dir(data_dir, out, [0.9, 1.0, 1.1])
    wav_scp = read_map(out / "wav.scp")
    for utt in ("sp0.9-1spk-a", "sp1.1-2spk-b_c"):  # a file, and a pipe on a pipe
        cmd = wav_scp[utt][:-1]
        audio = subprocess.run(["bash", "-c", cmd], capture_output=True, check=True).stdout
        x, rate = sf.read(io.BytesIO(audio))
        factor = 0.9 if utt.startswith("sp0.9") else 1.1
        assert rate == 16000
        assert abs(len(x) - N / factor) <= 2, (utt, len(x))
    # and through stage 3, as the recipe does
    dump = tmp_path / "dump" / "train_sp"
    format_data_dir(out, dump, progress=False)
    num = {u: int(n) for u, n in read_map(dump / "utt2num_samples").items()}
    assert num["1spk-a"] == N
    assert abs(num["sp0.9-2spk-b_c"] - N / 0.9) <= 2
    assert abs(num["sp1.1-1spk-a"] - N / 1.1) <= 2


def test_segments_and_recording_files(tmp_path: Path):
    d = tmp_path / "d"
    d.mkdir()
    write_map(d / "wav.scp", {"rec": "cat /x/rec.flac |"})
    write_map(d / "segments", {"rec-1": "rec 1.0 2.0", "rec-2": "rec 1.5 -1"})
    write_map(d / "reco2dur", {"rec": "9.0"})
    write_map(d / "text", {"rec-1": "A", "rec-2": "B"})
    (d / "notes.txt").write_text("hello\n")
    out = tmp_path / "o"
    speed_perturb_data_dir(d, out, [1.0, 2.0])
    assert read_map(out / "segments") == {
        "rec-1": "rec 1.0 2.0",
        "rec-2": "rec 1.5 -1",
        "sp2-rec-1": "sp2-rec 0.500 1.000",
        "sp2-rec-2": "sp2-rec 0.750 -1",
    }
    assert read_map(out / "reco2dur") == {"rec": "9.0", "sp2-rec": "4.500"}
    assert (
        read_map(out / "wav.scp")["sp2-rec"] == "cat /x/rec.flac | sox -t wav - -t wav - speed 2 |"
    )
    assert not (out / "notes.txt").exists()


def test_helpers():
    assert (
        factor_prefix(1.0) == ""
        and factor_prefix(0.9) == "sp0.9-"
        and factor_prefix(1.1) == "sp1.1-"
    )
    assert perturbed_wav_entry("/a b/c.flac", 0.9) == "sox '/a b/c.flac' -t wav - speed 0.9 |"
    assert perturbed_wav_entry("/a/c.wav", 1.0) == "/a/c.wav"


@pytest.mark.parametrize("factors", [[], [0.0], [-1.0], [0.9, 0.90]])
def test_bad_factors(data_dir: Path, tmp_path: Path, factors):
    with pytest.raises(MTASRInputError, match="--factors"):
        speed_perturb_data_dir(data_dir, tmp_path / "o", factors)
    assert not (tmp_path / "o").exists()


def test_main(data_dir: Path, tmp_path: Path, capsys):
    out = tmp_path / "sp"
    main(["--in_dir", str(data_dir), "--out_dir", str(out), "--factors", "0.9", "1.0"])
    assert "wrote 4 utterances (factors 0.9 1)" in capsys.readouterr().out
    (data_dir / "utt2num_spk").write_text("1spk-a 1\n2spk-b_c 1\n")
    with pytest.raises(SystemExit) as e:
        main(["--in_dir", str(data_dir), "--out_dir", str(tmp_path / "sp2")])
    assert e.value.code == 1
    assert "utt2num_spk:2:" in capsys.readouterr().err
    assert not (tmp_path / "sp2").exists()
