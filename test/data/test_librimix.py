"""prepare_librimix on fake LibriMix + LibriSpeech trees (real layout, tiny audio)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from librimix_fakes import (
    LIBRISPEECH_UTTS,
    MIX2,
    MIX2_TIE,
    MIX3,
    MIX3_ZERO,
    OTHER_MACHINE,
    MixRow,
    write_librimix_csv,
    write_librispeech,
    write_wav,
)

from espnet_mtasr.data.datadir import validate_data_dir
from espnet_mtasr.data.librimix import parse_source_spec, prepare_librimix
from espnet_mtasr.utils.errors import MTASRInputError

SOURCES = [(2, "mix_single"), (2, "mix_clean"), (3, "mix_clean")]
IDS = [f"1spk-{MIX2}", f"2spk-{MIX2}", f"2spk-{MIX2_TIE}", f"3spk-{MIX3}", f"3spk-{MIX3_ZERO}"]
T1272, T2035 = LIBRISPEECH_UTTS["1272-128104-0000"][0], LIBRISPEECH_UTTS["2035-147961-0014"][0]
T3536, T1673 = LIBRISPEECH_UTTS["3536-8226-0026"][0], LIBRISPEECH_UTTS["1673-143397-0009"][0]
T6313 = LIBRISPEECH_UTTS["6313-66125-0001"][0]


def read_lines(path: Path) -> list:
    return path.read_text().splitlines()


def kv(path: Path) -> dict:
    return dict((ln.split(" ", 1) + [""])[:2] for ln in read_lines(path))


def prep(corpus, out_dir: Path, sources=SOURCES, **kwargs) -> Path:
    return prepare_librimix(corpus.librimix, corpus.librispeech, out_dir, sources, "dev", **kwargs)


def test_output_line_by_line(fake_corpus, tmp_path):
    out = prep(fake_corpus, tmp_path / "data" / "dev")
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        ["wav.scp", "text", "text_spk1", "text_spk2", "text_spk3", "utt2spk", "spk2utt"]
        + ["utt2num_spk", "utt2talkers", "utt2dur"]
    )
    for name in names:  # same sorted id set everywhere
        assert [ln.split(" ")[0] for ln in read_lines(out / name)] == IDS, name
    assert read_lines(out / "text") == [
        f"1spk-{MIX2} {T1272}",
        f"2spk-{MIX2} {T1272} <sc> {T2035}",  # offset column: source 2 at 1.25 s
        f"2spk-{MIX2_TIE} {T3536} <sc> {T1673}",  # offset 0: source order
        f"3spk-{MIX3} {T3536} <sc> {T1272} <sc> {T2035}",  # per-source offsets 1.0 1.5 0.0
        f"3spk-{MIX3_ZERO} {T1673} <sc> {T6313} <sc> {T3536}",  # all zero: source order
    ]
    assert read_lines(out / "text_spk1") == [
        f"1spk-{MIX2} {T1272}",
        f"2spk-{MIX2} {T1272}",
        f"2spk-{MIX2_TIE} {T3536}",
        f"3spk-{MIX3} {T3536}",
        f"3spk-{MIX3_ZERO} {T1673}",
    ]
    assert read_lines(out / "text_spk2") == [
        f"1spk-{MIX2}",  # fewer talkers: the id alone
        f"2spk-{MIX2} {T2035}",
        f"2spk-{MIX2_TIE} {T1673}",
        f"3spk-{MIX3} {T1272}",
        f"3spk-{MIX3_ZERO} {T6313}",
    ]
    assert read_lines(out / "text_spk3") == [
        f"1spk-{MIX2}",
        f"2spk-{MIX2}",
        f"2spk-{MIX2_TIE}",
        f"3spk-{MIX3} {T2035}",
        f"3spk-{MIX3_ZERO} {T3536}",
    ]
    assert read_lines(out / "utt2talkers") == [
        f"1spk-{MIX2} 1272:0.000:1.000",
        f"2spk-{MIX2} 1272:0.000:1.000 2035:1.250:2.750",
        f"2spk-{MIX2_TIE} 3536:0.000:0.500 1673:0.000:2.000",
        f"3spk-{MIX3} 3536:0.000:0.500 1272:1.000:2.000 2035:1.500:3.000",
        # 1673's flac (2.0 s) is clipped to the 1.5 s mixture; 6313 has no flac
        f"3spk-{MIX3_ZERO} 1673:0.000:1.500 6313:0.000:1.500 3536:0.000:0.500",
    ]
    assert kv(out / "utt2num_spk") == dict(zip(IDS, ["1", "2", "2", "3", "3"]))
    assert kv(out / "utt2dur") == dict(zip(IDS, ["1.500", "2.750", "2.000", "3.000", "1.500"]))
    assert kv(out / "utt2spk") == {u: u for u in IDS}
    assert kv(out / "spk2utt") == {u: u for u in IDS}
    report = validate_data_dir(out)  # the project's data-dir checker agrees
    assert (report.num_utts, report.max_talkers) == (5, 3)


def test_wav_paths_from_another_machine_are_resolved(fake_corpus, tmp_path):
    assert OTHER_MACHINE in fake_corpus.csv_2_clean.read_text()
    out = prep(fake_corpus, tmp_path / "out")
    wav = kv(out / "wav.scp")
    root = fake_corpus.librimix.resolve()
    assert wav[f"2spk-{MIX2}"] == str(root / f"Libri2Mix/wav16k/max/dev/mix_clean/{MIX2}.wav")
    assert wav[f"1spk-{MIX2}"] == str(root / f"Libri2Mix/wav16k/max/dev/mix_single/{MIX2}.wav")
    assert wav[f"3spk-{MIX3}"] == str(root / f"Libri3Mix/wav16k/max/dev/mix_clean/{MIX3}.wav")
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in wav.values())


def test_path_moved_under_other_tail(tmp_path):
    """A CSV written for a root with extra levels still resolves by its Libri2Mix tail."""
    write_librispeech(tmp_path / "ls", LIBRISPEECH_UTTS)
    write_librimix_csv(
        tmp_path / "mix",
        2,
        "dev",
        "mix_both",
        [MixRow(MIX2, 2.0)],
        path_root="D:/data/librimix_v2/LibriMix",
    )
    out = prepare_librimix(
        tmp_path / "mix", tmp_path / "ls", tmp_path / "o", [(2, "mix_both")], "dev"
    )
    assert kv(out / "text") == {f"2spk-{MIX2}": f"{T1272} <sc> {T2035}"}


def test_windows_path_resolves_by_tail(tmp_path):
    write_librispeech(tmp_path / "ls", LIBRISPEECH_UTTS)
    csv_path = write_librimix_csv(tmp_path / "mix", 2, "dev", "mix_clean", [MixRow(MIX2, 2.0)])
    csv_path.write_text(csv_path.read_text().replace(OTHER_MACHINE, r"C:\corpora\x"))
    # the tail keeps its own subset dir: a copy filed under another name still resolves
    text = csv_path.read_text().replace("/Libri2Mix/wav16k/max/dev/", "/Libri2Mix/wav16k/max/d2/")
    csv_path.write_text(text)
    moved = tmp_path / "mix/Libri2Mix/wav16k/max/d2/mix_clean"
    moved.parent.mkdir()
    (tmp_path / "mix/Libri2Mix/wav16k/max/dev/mix_clean").rename(moved)
    out = prepare_librimix(
        tmp_path / "mix", tmp_path / "ls", tmp_path / "o", [(2, "mix_clean")], "dev"
    )
    assert kv(out / "wav.scp") == {f"2spk-{MIX2}": str((moved / f"{MIX2}.wav").resolve())}


def test_librispeech_root_may_be_the_librispeech_dir(fake_corpus, tmp_path):
    a = prep(fake_corpus, tmp_path / "a")
    b = prepare_librimix(
        fake_corpus.librimix,
        fake_corpus.librispeech / "LibriSpeech",
        tmp_path / "b",
        SOURCES,
        "dev",
    )
    for name in ("text", "utt2talkers"):
        assert (a / name).read_text() == (b / name).read_text()


def test_only_two_talker_sources_gives_two_text_spk_files(fake_corpus, tmp_path):
    out = prep(fake_corpus, tmp_path / "o", sources=[(2, "mix_clean")])
    assert not (out / "text_spk3").exists()
    assert read_lines(out / "text_spk2") == [f"2spk-{MIX2} {T2035}", f"2spk-{MIX2_TIE} {T1673}"]


def test_rerun_replaces_out_dir(fake_corpus, tmp_path):
    out = prep(fake_corpus, tmp_path / "o")
    (out / "stale").write_text("x")
    prep(fake_corpus, out, sources=[(3, "mix_clean")])
    assert not (out / "stale").exists()
    assert [ln.split()[0] for ln in read_lines(out / "text")] == IDS[3:]


# ---------------------------------------------------------------------------- errors


def assert_error(corpus, out_dir: Path, csv_path: Path, line: int, *fragments: str):
    """prepare_librimix stops naming ``csv_path:line`` and leaves ``out_dir`` untouched."""
    before = sorted(p.name for p in out_dir.iterdir()) if out_dir.exists() else None
    with pytest.raises(MTASRInputError) as exc:
        prep(corpus, out_dir)
    msg = str(exc.value)
    assert f"{csv_path}:{line}:" in msg
    for fragment in fragments:
        assert fragment in msg
    after = sorted(p.name for p in out_dir.iterdir()) if out_dir.exists() else None
    assert after == before
    leftovers = [p.name for p in out_dir.parent.iterdir() if p.name.startswith(f".{out_dir.name}")]
    assert leftovers == []


def test_missing_wav(fake_corpus, tmp_path):
    wav = fake_corpus.librimix / f"Libri2Mix/wav16k/max/dev/mix_clean/{MIX2_TIE}.wav"
    wav.unlink()
    assert_error(fake_corpus, tmp_path / "o", fake_corpus.csv_2_clean, 3, "not found", MIX2_TIE)


def test_missing_wav_leaves_existing_out_dir_alone(fake_corpus, tmp_path):
    out = prep(fake_corpus, tmp_path / "o")
    text = (out / "text").read_text()
    (fake_corpus.librimix / f"Libri3Mix/wav16k/max/dev/mix_clean/{MIX3_ZERO}.wav").unlink()
    assert_error(fake_corpus, out, fake_corpus.csv_3_clean, 3, "not found")
    assert (out / "text").read_text() == text


def test_wrong_sample_rate(fake_corpus, tmp_path):
    wav = fake_corpus.librimix / f"Libri2Mix/wav16k/max/dev/mix_single/{MIX2}.wav"
    write_wav(wav, 8000, sample_rate=8000)
    assert_error(fake_corpus, tmp_path / "o", fake_corpus.csv_2_single, 2, "8000", "16000")


def test_empty_transcript(fake_corpus, tmp_path):
    trans = fake_corpus.librispeech / "LibriSpeech/dev-clean/3536/8226/3536-8226.trans.txt"
    trans.write_text("3536-8226-0026\n")
    # 3536-8226-0026 is first used by MIX2_TIE, line 3 of the 2-mix CSV
    assert_error(
        fake_corpus, tmp_path / "o", fake_corpus.csv_2_clean, 3, "empty transcript", str(trans)
    )


def test_duplicate_mixture_id(fake_corpus, tmp_path):
    lines = read_lines(fake_corpus.csv_3_clean)
    fake_corpus.csv_3_clean.write_text("\n".join(lines + [lines[1]]) + "\n")
    assert_error(
        fake_corpus, tmp_path / "o", fake_corpus.csv_3_clean, 4, "duplicate", MIX3, "line 2"
    )


def test_mixture_without_transcript(fake_corpus, tmp_path):
    bad = "1272-128104-0000_9999-1-0001"
    write_librimix_csv(
        fake_corpus.librimix, 2, "dev", "mix_single", [MixRow(MIX2, 1.5), MixRow(bad, 1.0)]
    )
    # mix_single only needs source 1's transcript: the same CSV as mix_clean fails
    prep(fake_corpus, tmp_path / "ok")
    csv_path = write_librimix_csv(
        fake_corpus.librimix, 2, "dev", "mix_clean", [MixRow(MIX2, 2.0), MixRow(bad, 1.0)]
    )
    assert_error(
        fake_corpus, tmp_path / "o", csv_path, 3, "9999-1-0001", "no LibriSpeech transcript"
    )


def test_clean_and_both_of_same_mix_collide(fake_corpus, tmp_path):
    write_librimix_csv(fake_corpus.librimix, 2, "dev", "mix_both", [MixRow(MIX2, 2.0)])
    with pytest.raises(MTASRInputError, match=re.escape(f"2spk-{MIX2}")):
        prep(fake_corpus, tmp_path / "o", sources=[(2, "mix_clean"), (2, "mix_both")])
    assert not (tmp_path / "o").exists()


def test_missing_csv_names_the_path(fake_corpus, tmp_path):
    with pytest.raises(MTASRInputError, match="mixture_dev_mix_both.csv"):
        prep(fake_corpus, tmp_path / "o", sources=[(3, "mix_both")])


def test_offset_column_rejected_for_three_sources(fake_corpus, tmp_path):
    path = write_librimix_csv(
        fake_corpus.librimix, 3, "dev", "mix_clean", [MixRow(MIX3, 3.0, [0, 1, 2])], "offset"
    )
    with pytest.raises(MTASRInputError, match="source_<k>_offset") as exc:
        prep(fake_corpus, tmp_path / "o", sources=[(3, "mix_clean")])
    assert str(path) in str(exc.value)


def test_bad_options():
    with pytest.raises(ValueError, match="mix_clean"):
        parse_source_spec("2:clean")
    assert parse_source_spec("3:mix_both") == (3, "mix_both")
    with pytest.raises(ValueError, match="16k"):
        prepare_librimix("a", "b", "c", SOURCES, "dev", sample_rate="44k")
