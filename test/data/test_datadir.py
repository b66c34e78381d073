"""Tests of espnet_mtasr.data.datadir: validation, --fix, subsets, and the validate main."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Dict, List, Mapping, Sequence

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from espnet_mtasr.bin.validate_data_dir import main as validate_main
from espnet_mtasr.data.datadir import (
    filter_data_dir,
    fix_data_dir,
    kaldi_files,
    parse_sample_rate,
    spk2utt_from_utt2spk,
    subset_data_dir,
    utterance_durations,
    validate_data_dir,
    wav_path,
)
from espnet_mtasr.utils.errors import MTASRInputError

SR = 16000
UTTS: Dict[str, List[str]] = {
    "1spk-a": ["HELLO"],
    "2spk-b_c": ["GOOD MORNING", "HI THERE"],
    "3spk-d_e_f": ["ONE", "TWO WORDS", "THREE"],
}


def write_map(path: Path, items: Mapping[str, str]) -> None:
    """Write a sorted Kaldi map (empty values as the key alone)."""
    with path.open("w", encoding="utf-8") as f:
        for key in sorted(items):
            f.write(f"{key} {items[key]}\n" if items[key] else f"{key}\n")


def make_data_dir(root: Path, utts: Mapping[str, Sequence[str]] = UTTS, samples: int = 160) -> Path:
    """A valid multi-talker data dir with one tiny mono 16 kHz wav per utterance."""
    d, wavs = root / "data" / "x", root / "wav"
    d.mkdir(parents=True)
    wavs.mkdir()
    rng = np.random.default_rng(0)
    for utt in utts:
        sf.write(wavs / f"{utt}.wav", rng.uniform(-0.1, 0.1, samples), SR, subtype="PCM_16")
    n_max = max(len(s) for s in utts.values())
    write_map(d / "wav.scp", {u: str(wavs / f"{u}.wav") for u in utts})
    write_map(d / "text", {u: " <sc> ".join(s) for u, s in utts.items()})
    for k in range(n_max):
        write_map(d / f"text_spk{k + 1}", {u: s[k] if k < len(s) else "" for u, s in utts.items()})
    write_map(d / "utt2spk", {u: u for u in utts})
    write_map(d / "spk2utt", {u: u for u in utts})
    write_map(d / "utt2num_spk", {u: str(len(s)) for u, s in utts.items()})
    talkers = {
        u: " ".join(f"s{i}:{0.002 * i:.3f}:0.010" for i in range(len(s))) for u, s in utts.items()
    }
    write_map(d / "utt2talkers", talkers)
    write_map(d / "utt2dur", {u: f"{samples / SR:.3f}" for u in utts})
    return d


def replace_line(path: Path, old: str, new: str) -> None:
    """Replace the line ``old`` (without newline) of ``path`` by ``new`` (None: delete it)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert old in lines, (old, lines)
    lines = [new if ln == old else ln for ln in lines if not (ln == old and new is None)]
    path.write_text("".join(ln + "\n" for ln in lines), encoding="utf-8")


def error_of(data_dir: Path, **kwargs) -> str:
    with pytest.raises(MTASRInputError) as e:
        validate_data_dir(data_dir, **kwargs)
    return str(e.value)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return make_data_dir(tmp_path)


# --------------------------------------------------------------------------- valid input


def test_valid_dir_passes_with_report(data_dir: Path):
    report = validate_data_dir(data_dir)
    assert report.num_utts == 3
    assert report.max_talkers == 3
    assert report.num_audio_checked == 3
    assert report.num_pipes == 0
    assert "text_spk3" in report.files and "spk2utt" in report.files
    assert "OK: 3 utterances" in report.summary()


def test_pipe_entries_are_not_checked(data_dir: Path):
    replace_line(
        data_dir / "wav.scp",
        f"1spk-a {data_dir.parent.parent / 'wav' / '1spk-a.wav'}",
        "1spk-a sox /does/not/exist.wav -t wav - |",
    )
    report = validate_data_dir(data_dir)
    assert (report.num_pipes, report.num_audio_checked) == (1, 2)


def test_minimal_dir_with_only_wav_scp(tmp_path: Path):
    d = make_data_dir(tmp_path)
    for p in d.iterdir():
        if p.name != "wav.scp":
            p.unlink()
    report = validate_data_dir(d)
    assert report.files == ("wav.scp",)
    assert report.max_talkers is None


def test_text_spk_without_counts_infers_talkers(data_dir: Path):
    for name in ("text", "utt2num_spk", "utt2talkers"):
        (data_dir / name).unlink()
    assert validate_data_dir(data_dir).max_talkers == 3
    replace_line(data_dir / "text_spk1", "2spk-b_c GOOD MORNING", "2spk-b_c")
    assert "text_spk2 must be empty" in error_of(data_dir)


def test_segments_are_the_reference_id_set(tmp_path: Path):
    d = make_data_dir(tmp_path, {"1spk-a": ["A"]})
    write_map(d / "segments", {"1spk-a": "1spk-a 0.0 0.005"})
    write_map(d / "wav.scp", {"1spk-a": str(tmp_path / "wav" / "1spk-a.wav"), "rec2": "cat x |"})
    assert validate_data_dir(d).num_utts == 1
    write_map(d / "segments", {"1spk-a": "nosuchrec 0.0 0.005"})
    msg = error_of(d)
    assert "segments:1:" in msg and "recording 'nosuchrec'" in msg and "--fix" in msg
    write_map(d / "segments", {"1spk-a": "1spk-a 0.5 0.2"})
    assert "bad segment times" in error_of(d)


def test_sample_rate_none_accepts_any_rate(data_dir: Path):
    sf.write(data_dir.parent.parent / "wav" / "1spk-a.wav", np.zeros(80), 8000)
    assert validate_data_dir(data_dir, sample_rate=None).num_utts == 3


# --------------------------------------------------------------------------- bad input


def test_missing_wav(data_dir: Path):
    (data_dir.parent.parent / "wav" / "2spk-b_c.wav").unlink()
    msg = error_of(data_dir, check_audio=False)
    assert "wav.scp:2:" in msg and "wav file not found" in msg and "2spk-b_c.wav" in msg
    assert "fix:" in msg


def test_wrong_sample_rate(data_dir: Path):
    sf.write(data_dir.parent.parent / "wav" / "3spk-d_e_f.wav", np.zeros(80), 8000)
    msg = error_of(data_dir)
    assert "wav.scp:3:" in msg and "8000 Hz, expected 16000" in msg and "--sample_rate" in msg
    assert validate_data_dir(data_dir, check_audio=False).num_audio_checked == 0
    assert validate_data_dir(data_dir, sample_rate=8000, check_audio=False)


def test_stereo_file(data_dir: Path):
    sf.write(data_dir.parent.parent / "wav" / "1spk-a.wav", np.zeros((80, 2)), SR)
    msg = error_of(data_dir)
    assert "wav.scp:1:" in msg and "2 channels, expected mono" in msg and "remix 1" in msg


def test_unreadable_audio(data_dir: Path):
    (data_dir.parent.parent / "wav" / "1spk-a.wav").write_bytes(b"not a wav")
    assert "cannot read audio" in error_of(data_dir)


def test_empty_transcript(data_dir: Path):
    replace_line(data_dir / "text", "1spk-a HELLO", "1spk-a")
    msg = error_of(data_dir)
    assert "text:1:" in msg and "empty transcript for '1spk-a'" in msg


def test_empty_talker_stream(data_dir: Path):
    replace_line(data_dir / "text", "1spk-a HELLO", "1spk-a HELLO <sc>")
    msg = error_of(data_dir)
    assert "text:1:" in msg and "talker stream 2 of '1spk-a' is empty" in msg


def test_empty_text_spk_allowed_only_for_fewer_talkers(data_dir: Path):
    validate_data_dir(data_dir)  # 1spk-a has an empty text_spk2 and text_spk3
    replace_line(data_dir / "text_spk2", "2spk-b_c HI THERE", "2spk-b_c")
    msg = error_of(data_dir)
    assert "text_spk2:2:" in msg and "empty transcript of talker 2" in msg


def test_text_spk_must_match_text(data_dir: Path):
    replace_line(data_dir / "text_spk2", "2spk-b_c HI THERE", "2spk-b_c HI THERE AGAIN")
    assert "differs from talker stream 2 of text" in error_of(data_dir)


def test_text_spk_gap(data_dir: Path):
    (data_dir / "text_spk2").unlink()
    msg = error_of(data_dir)
    assert "text_spk2: missing while text_spk3 exists" in msg


def test_duplicate_id(data_dir: Path):
    with (data_dir / "utt2dur").open("a") as f:
        f.write("3spk-d_e_f 0.010\n")
    msg = error_of(data_dir)
    assert "utt2dur:4:" in msg and "duplicate id '3spk-d_e_f' (also on line 3)" in msg
    assert "--fix" in msg


def test_unsorted_file(data_dir: Path):
    path = data_dir / "utt2num_spk"
    path.write_text("2spk-b_c 2\n1spk-a 1\n3spk-d_e_f 3\n")
    msg = error_of(data_dir)
    assert "utt2num_spk:2:" in msg and "not sorted" in msg
    assert f"validate_data_dir --fix {data_dir}" in msg


def test_id_missing_from_one_file(data_dir: Path):
    replace_line(data_dir / "utt2dur", "2spk-b_c 0.010", None)
    msg = error_of(data_dir)
    assert "utt2dur:" in msg and "1 id(s) of wav.scp missing here, e.g. '2spk-b_c'" in msg
    assert "--fix" in msg


def test_extra_id_in_one_file(data_dir: Path):
    with (data_dir / "utt2spk").open("a") as f:
        f.write("9spk-zzz 9spk-zzz\n")
    msg = error_of(data_dir)
    assert "utt2spk:4:" in msg and "'9spk-zzz' is not in wav.scp" in msg


def test_utt2num_spk_disagrees_with_sc_count(data_dir: Path):
    replace_line(data_dir / "utt2num_spk", "2spk-b_c 2", "2spk-b_c 3")
    msg = error_of(data_dir)
    assert "utt2num_spk:2:" in msg
    assert "'2spk-b_c' has 3 talker(s) but text (line 2) has 2 '<sc>'-separated" in msg


def test_utt2talkers_disagrees(data_dir: Path):
    replace_line(
        data_dir / "utt2talkers", "2spk-b_c s0:0.000:0.010 s1:0.002:0.010", "2spk-b_c s0:0:1"
    )
    msg = error_of(data_dir)
    assert "utt2talkers:2:" in msg and "lists 1 talker(s)" in msg


@pytest.mark.parametrize(
    "value, what",
    [
        ("s0:0.5:0.1", "bad talker field 's0:0.5:0.1'"),
        ("s0:x:1", "bad talker field"),
        ("nocolons", "bad talker field"),
        ("s0:1:2 s1:0:2", "talkers not in start-time order"),
    ],
)
def test_bad_utt2talkers_fields(data_dir: Path, value: str, what: str):
    replace_line(data_dir / "utt2talkers", "1spk-a s0:0.000:0.010", f"1spk-a {value}")
    msg = error_of(data_dir)
    assert "utt2talkers:1:" in msg and what in msg


def test_spk2utt_not_inverse_of_utt2spk(data_dir: Path):
    replace_line(data_dir / "spk2utt", "2spk-b_c 2spk-b_c", "2spk-b_c 2spk-b_c 1spk-a")
    msg = error_of(data_dir)
    assert "spk2utt:2:" in msg and "regenerates spk2utt" in msg


def test_spk2utt_missing(data_dir: Path):
    (data_dir / "spk2utt").unlink()
    assert "spk2utt is missing" in error_of(data_dir)


@pytest.mark.parametrize(
    "name, line",
    [("utt2dur", "1spk-a -1"), ("utt2num_spk", "1spk-a one"), ("utt2dur", "1spk-a nan")],
)
def test_bad_numbers(data_dir: Path, name: str, line: str):
    old = next(ln for ln in (data_dir / name).read_text().splitlines() if ln.startswith("1spk-a "))
    replace_line(data_dir / name, old, line)
    msg = error_of(data_dir)
    assert f"{name}:1:" in msg and "must be a positive" in msg


def test_empty_line_and_empty_file(data_dir: Path):
    (data_dir / "utt2dur").write_text("1spk-a 0.01\n\n2spk-b_c 0.01\n3spk-d_e_f 0.01\n")
    msg = error_of(data_dir)
    assert "utt2dur:2: empty line" in msg and "--fix" in msg
    validate_data_dir(data_dir, fix=True)
    assert (data_dir / "utt2dur").read_text() == "1spk-a 0.01\n2spk-b_c 0.01\n3spk-d_e_f 0.01\n"
    (data_dir / "utt2dur").write_text("")
    assert "utt2dur: file is empty" in error_of(data_dir)


def test_not_a_data_dir(tmp_path: Path):
    assert "data dir not found" in error_of(tmp_path / "nope")
    assert "wav.scp not found" in error_of(tmp_path)


# --------------------------------------------------------------------------- fix


def test_fix_sorts_regenerates_spk2utt_and_drops_partial_ids(data_dir: Path, capsys):
    (data_dir / "utt2num_spk").write_text("3spk-d_e_f 3\n1spk-a 1\n2spk-b_c 2\n1spk-a 1\n")
    (data_dir / "spk2utt").write_text("garbage\n")
    replace_line(data_dir / "utt2dur", "2spk-b_c 0.010", None)
    report = validate_data_dir(data_dir, fix=True)
    assert report.num_utts == 2
    assert (
        "dropped 1 utterance(s) not present in every file (e.g. 2spk-b_c)"
        in capsys.readouterr().err
    )
    assert any("dropped 1" in f for f in report.fixes)
    assert (data_dir / "utt2num_spk").read_text() == "1spk-a 1\n3spk-d_e_f 3\n"
    assert (data_dir / "spk2utt").read_text() == "1spk-a 1spk-a\n3spk-d_e_f 3spk-d_e_f\n"
    assert "2spk-b_c" not in (data_dir / "wav.scp").read_text()
    assert (data_dir / "text_spk3").read_text() == "1spk-a\n3spk-d_e_f THREE\n"
    assert fix_data_dir(data_dir) == []  # idempotent: nothing left to do


def test_fix_never_invents_transcripts(data_dir: Path):
    replace_line(data_dir / "text", "1spk-a HELLO", "1spk-a")
    before = {p.name: p.read_text() for p in data_dir.iterdir()}
    with pytest.raises(MTASRInputError, match="empty transcript"):
        validate_data_dir(data_dir, fix=True)
    assert {p.name: p.read_text() for p in data_dir.iterdir()} == before


def test_fix_refuses_conflicting_duplicates_and_writes_nothing(data_dir: Path):
    (data_dir / "utt2num_spk").write_text("2spk-b_c 2\n1spk-a 1\n3spk-d_e_f 3\n1spk-a 2\n")
    (data_dir / "utt2dur").write_text("3spk-d_e_f 0.010\n1spk-a 0.010\n2spk-b_c 0.010\n")
    before = {p.name: p.read_text() for p in data_dir.iterdir()}
    with pytest.raises(MTASRInputError) as e:
        fix_data_dir(data_dir)
    assert "appears twice with different values (lines 2 and 4)" in str(e.value)
    assert {p.name: p.read_text() for p in data_dir.iterdir()} == before  # nothing half-fixed


def test_fix_drops_segments_of_unknown_recordings(tmp_path: Path, capsys):
    d = make_data_dir(tmp_path, {"1spk-a": ["A"], "1spk-b": ["B"]})
    write_map(d / "segments", {"1spk-a": "1spk-a 0 0.005", "1spk-b": "gone 0 0.005"})
    report = validate_data_dir(d, fix=True)
    assert report.num_utts == 1
    assert (d / "text").read_text() == "1spk-a A\n"
    assert "dropped 1" in capsys.readouterr().err


@settings(max_examples=12, deadline=None)
@given(
    drops=st.lists(st.tuples(st.integers(0, 8), st.integers(0, 2)), max_size=4),
    seed=st.integers(0, 1000),
)
def test_fix_then_validate_passes(drops, seed):
    """Shuffled files with random lines removed are always repaired to a valid dir."""
    with tempfile.TemporaryDirectory() as tmp:
        d = make_data_dir(Path(tmp))
        names = kaldi_files(d)
        rng = random.Random(seed)
        dropped_ids = set()
        for file_idx, line_idx in drops:
            name = names[file_idx % len(names)]
            lines = (d / name).read_text().splitlines()
            if not lines:
                continue
            gone = lines.pop(line_idx % len(lines))
            if name != "spk2utt":
                dropped_ids.add(gone.split()[0])
            path = d / name
            path.write_text("".join(ln + "\n" for ln in lines))
        for name in names:
            lines = (d / name).read_text().splitlines()
            rng.shuffle(lines)
            (d / name).write_text("".join(ln + "\n" for ln in lines))
        before = {n: (d / n).read_text() for n in names}
        try:
            report = validate_data_dir(d, fix=True)
        except MTASRInputError as e:  # every utterance lost somewhere
            assert "--fix would leave nothing" in str(e)
            assert {n: (d / n).read_text() for n in names} == before
            return
        assert report.num_utts == len(set(UTTS) - dropped_ids)
        assert validate_data_dir(d).num_utts == report.num_utts


# --------------------------------------------------------------------------- helpers


def test_wav_path_and_spk2utt_and_rates():
    assert wav_path("sox a.wav -t wav - |") is None
    assert wav_path("/x/a.ark:123") == "/x/a.ark"
    assert wav_path("/x/a.wav") == "/x/a.wav"
    assert spk2utt_from_utt2spk([("b1", "s"), ("a1", "s"), ("c", "t")]) == {
        "s": ["a1", "b1"],
        "t": ["c"],
    }
    assert parse_sample_rate("16k") == 16000 == parse_sample_rate(16000)
    assert parse_sample_rate("22.05k") == 22050
    for bad in ("x", "-1", "16.5"):
        with pytest.raises(MTASRInputError, match="invalid sample rate"):
            parse_sample_rate(bad)


def test_subset_keeps_files_consistent(data_dir: Path, tmp_path: Path):
    (data_dir / "spk2gender").write_text("1spk-a f\n2spk-b_c m\n3spk-d_e_f m\n")
    (data_dir / "feats_type").write_text("raw\n")
    out = tmp_path / "sub"
    out.mkdir()
    assert subset_data_dir(data_dir, out, {"1spk-a", "3spk-d_e_f"}) == 2
    assert (out / "spk2gender").read_text() == "1spk-a f\n3spk-d_e_f m\n"
    assert (out / "feats_type").read_text() == "raw\n"
    assert (out / "text_spk2").read_text() == "1spk-a\n3spk-d_e_f TWO WORDS\n"
    assert validate_data_dir(out).num_utts == 2


def test_utterance_durations_prefers_num_samples(data_dir: Path):
    assert utterance_durations(data_dir)["1spk-a"] == pytest.approx(0.01)
    write_map(data_dir / "utt2num_samples", {u: "800" for u in UTTS})
    assert utterance_durations(data_dir, fs=8000)["1spk-a"] == pytest.approx(0.1)
    for name in ("utt2num_samples", "utt2dur"):
        (data_dir / name).unlink()
    with pytest.raises(MTASRInputError, match="neither utt2num_samples nor utt2dur"):
        utterance_durations(data_dir)


def test_filter_rejects_bad_options(data_dir: Path, tmp_path: Path):
    with pytest.raises(MTASRInputError, match="min_dur"):
        filter_data_dir(data_dir, tmp_path / "o", min_dur=2, max_dur=1)
    with pytest.raises(MTASRInputError, match="token_type"):
        filter_data_dir(data_dir, tmp_path / "o", token_type="bpe")


# --------------------------------------------------------------------------- main


def test_main_ok_and_error_exit_code(data_dir: Path, capsys):
    validate_main([str(data_dir), "--no-audio"])
    assert "OK: 3 utterances" in capsys.readouterr().out
    (data_dir / "utt2dur").write_text("3spk-d_e_f 0.01\n1spk-a 0.01\n2spk-b_c 0.01\n")
    with pytest.raises(SystemExit) as e:
        validate_main([str(data_dir)])
    assert e.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("ERROR: ") and err.count("\n") == 1 and "not sorted" in err
    validate_main([str(data_dir), "--fix", "--sample_rate", "16k"])
    out = capsys.readouterr().out
    assert "rewrote utt2dur" in out and "OK: 3 utterances" in out
