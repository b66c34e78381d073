"""Talker start times of prepare_librimix: ESPnet sot_asr1's offset metadata, the mixture
CSV's offset columns, none; and strict reading of both kinds of CSV."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Dict, Optional

import pytest
from librimix_fakes import (
    LIBRISPEECH_UTTS,
    MIX2,
    MIX2_TIE,
    SOT_ASR1_OFFSETS,
    MixRow,
    SotAsr1Tree,
    build_sot_asr1_tree,
    write_espnet_offset_csv,
    write_librimix_csv,
    write_librispeech,
)

from espnet_mtasr.bin import prep_librimix
from espnet_mtasr.data.librimix import (
    index_transcripts,
    offset_csv_path,
    prepare_librimix,
    read_librimix_csv,
    read_offset_csv,
)
from espnet_mtasr.utils.errors import MTASRInputError

T1272, T2035 = LIBRISPEECH_UTTS["1272-128104-0000"][0], LIBRISPEECH_UTTS["2035-147961-0014"][0]
T3536, T1673 = LIBRISPEECH_UTTS["3536-8226-0026"][0], LIBRISPEECH_UTTS["1673-143397-0009"][0]
SOURCES = [(2, "mix_single"), (2, "mix_both")]


def start(offset: str) -> float:
    """Where the sot_asr1 patch starts source 2: ``int(offset * 16000)`` samples at 16 kHz."""
    return int(float(offset) * 16000) / 16000


@pytest.fixture
def tree(tmp_path: Path) -> SotAsr1Tree:
    return build_sot_asr1_tree(tmp_path)


def prep(tree: SotAsr1Tree, out_dir: Path, offsets: Optional[Path] = None, sources=SOURCES):
    return prepare_librimix(
        tree.root, tree.librispeech, out_dir, sources, "dev", offset_metadata=offsets
    )


def snapshot(d: Path) -> Optional[Dict[str, bytes]]:
    return {p.name: p.read_bytes() for p in d.iterdir()} if d.exists() else None


def expect_error(run: Callable[[], object], out_dir: Path, *fragments: str) -> str:
    """``run`` raises an MTASRInputError holding ``fragments``; ``out_dir`` is unchanged."""
    before = snapshot(out_dir)
    with pytest.raises(MTASRInputError) as exc:
        run()
    msg = str(exc.value)
    for fragment in fragments:
        assert fragment in msg, (fragment, msg)
    assert snapshot(out_dir) == before
    assert [p for p in out_dir.parent.iterdir() if p.name.startswith(f".{out_dir.name}")] == []
    return msg


def existing_out(tmp_path: Path) -> Path:
    """An earlier data dir that a failed run must leave as it is."""
    out = tmp_path / "data" / "dev"
    out.mkdir(parents=True)
    (out / "text").write_text("earlier\n")
    return out


# ------------------------------------------------------------------ sot_asr1 offsets


def test_sot_asr1_tree_starts_are_the_offsets(tree, tmp_path):
    assert "offset" not in tree.mixture_csvs["mix_both"].read_text().splitlines()[0]
    out = prep(tree, tmp_path / "o", tree.offset_dir)
    s2, s2_tie = (f"{start(SOT_ASR1_OFFSETS[m]):.3f}" for m in (MIX2, MIX2_TIE))
    assert (s2, s2_tie) == ("1.097", "1.497")
    assert (out / "utt2talkers").read_text().splitlines() == [
        f"1spk-{MIX2} 1272:0.000:1.000",
        f"1spk-{MIX2_TIE} 3536:0.000:0.500",
        f"2spk-{MIX2} 1272:0.000:1.000 2035:{s2}:2.597",  # 2035's flac is 1.5 s
        f"2spk-{MIX2_TIE} 3536:0.000:0.500 1673:{s2_tie}:3.497",  # 1673's is 2.0 s
    ]
    assert (out / "text").read_text().splitlines()[2:] == [
        f"2spk-{MIX2} {T1272} <sc> {T2035}",
        f"2spk-{MIX2_TIE} {T3536} <sc> {T1673}",
    ]
    # the exact start, to the sample; the link that sot_asr1's stage 1 makes works too
    offsets = read_offset_csv(offset_csv_path(tree.link, 2, "dev"))
    entries = read_librimix_csv(
        tree.mixture_csvs["mix_clean"],
        2,
        "mix_clean",
        index_transcripts(tree.librispeech),
        tree.root,
        "dev",
        offsets=offsets,
    )
    assert [e.talkers[1].start for e in entries] == [start(o) for o in SOT_ASR1_OFFSETS.values()]
    assert offsets.delays[MIX2] == (17549 / 16000, 2)  # int(1.09685... * 16000) = 17549


def test_offset_csv_names_follow_librimix(tmp_path):
    d = tmp_path / "offsets"
    for name in ("train-clean-100", "train-clean-360", "dev-clean", "test-clean"):
        write_espnet_offset_csv(d, name, [(MIX2, "1.2")])
        (d / f"libri2mix_{name}_info.csv").write_text("mixture_ID\n")
    for subset, name in [("train-100", "train-clean-100"), ("dev", "dev-clean")]:
        assert offset_csv_path(d, 2, subset) == d / f"libri2mix_{name}.csv"
    (d / "libri2mix_dev.csv").write_bytes((d / "libri2mix_dev-clean.csv").read_bytes())
    with pytest.raises(MTASRInputError, match="several offset CSVs .* libri2mix_dev-clean.csv"):
        offset_csv_path(d, 2, "dev")
    with pytest.raises(MTASRInputError, match="libri3mix_test-clean.csv"):
        offset_csv_path(d, 3, "test")


def test_sot_asr1_tree_without_offset_metadata_is_an_error(tree, tmp_path):
    out = tmp_path / "o"
    msg = expect_error(
        lambda: prep(tree, out),
        out,
        f"{tree.mixture_csvs['mix_both']}:1:",  # mix_single has one talker: no start needed
        "sot_asr1",
        f"--offset_metadata {tree.link.parent.resolve() / tree.link.name}",
    )
    assert "taking every start as 0" in msg
    # without the link, the output folder's name still gives the tree away
    tree.link.unlink()
    expect_error(lambda: prep(tree, out), out, "metadta_Libri2Mix_offset")


def test_librimix_proper_without_offsets_starts_at_zero(tmp_path, caplog):
    write_librispeech(tmp_path / "ls", LIBRISPEECH_UTTS)
    csv_path = write_librimix_csv(tmp_path / "LibriMix", 2, "dev", "mix_clean", [MixRow(MIX2, 2)])
    with caplog.at_level(logging.INFO):
        out = prepare_librimix(
            tmp_path / "LibriMix", tmp_path / "ls", tmp_path / "o", [(2, "mix_clean")], "dev"
        )
    assert (out / "utt2talkers").read_text() == f"2spk-{MIX2} 1272:0.000:1.000 2035:0.000:1.500\n"
    lines = [r.getMessage() for r in caplog.records if r.name == "espnet_mtasr.data.librimix"]
    assert len(lines) == 1
    assert str(csv_path) in lines[0] and "every talker starts at 0 s" in lines[0]
    assert "--offset_metadata" in lines[0]


def test_offset_columns_and_offset_metadata_must_agree(tree, tmp_path):
    csv_path = tree.mixture_csvs["mix_clean"]
    lines = csv_path.read_text().splitlines()
    agree = [lines[0] + ",offset", lines[1] + ",1.0968539", lines[2] + ",1.497"]
    csv_path.write_text("\n".join(agree) + "\n")
    out = prep(tree, tmp_path / "ok", tree.offset_dir, sources=[(2, "mix_clean")])
    assert "1673:1.497:" in (out / "utt2talkers").read_text()
    csv_path.write_text("\n".join(agree[:2] + [lines[2] + ",1.25"]) + "\n")
    target = existing_out(tmp_path)
    expect_error(
        lambda: prep(tree, target, tree.offset_dir, sources=[(2, "mix_clean")]),
        target,
        f"{csv_path}:3:",
        MIX2_TIE,
        f"{tree.offset_csv}:3",
    )


# ------------------------------------------------------------------------ errors


def test_missing_offset_csv_names_the_expected_file(tree, tmp_path):
    tree.offset_csv.unlink()
    out = existing_out(tmp_path)
    expect_error(
        lambda: prep(tree, out, tree.offset_dir),
        out,
        f"{tree.offset_dir / 'libri2mix_dev-clean.csv'}: not found",
        "libri2mix_dev.csv would also do",
        "libri2mix_dev-clean_info.csv",  # what the directory has
    )
    expect_error(lambda: prep(tree, out, tmp_path / "nowhere"), out, str(tmp_path / "nowhere"))


def test_mixture_without_offset_row(tree, tmp_path):
    write_espnet_offset_csv(tree.offset_dir, "dev-clean", [(MIX2, SOT_ASR1_OFFSETS[MIX2])])
    out = tmp_path / "o"
    expect_error(
        lambda: prep(tree, out, tree.offset_dir),
        out,
        f"{tree.mixture_csvs['mix_single']}:3:",  # MIX2_TIE, line 3 of the first part
        f"mixture {MIX2_TIE} has no row in the offset metadata {tree.offset_csv}",
    )


def test_empty_offset_cell_in_offset_csv(tree, tmp_path):
    write_espnet_offset_csv(tree.offset_dir, "dev-clean", [(MIX2, "1.2"), (MIX2_TIE, "")])
    out = existing_out(tmp_path)
    expect_error(
        lambda: prep(tree, out, tree.offset_dir), out, f"{tree.offset_csv}:3:", "empty offset cell"
    )


def test_empty_offset_cell_in_mixture_csv(fake_corpus, tmp_path):
    """The ``offset`` column (and ``source_<k>_offset``) of a mixture CSV: empty is not 0."""
    for csv_path, n in ((fake_corpus.csv_2_clean, 2), (fake_corpus.csv_3_clean, 3)):
        lines = csv_path.read_text().splitlines()
        lines[2] = lines[2][: lines[2].rindex(",")] + ","
        csv_path.write_text("\n".join(lines) + "\n")
        out = tmp_path / f"o{n}"
        column = "offset" if n == 2 else "source_3_offset"
        expect_error(
            lambda n=n, out=out: prepare_librimix(
                fake_corpus.librimix, fake_corpus.librispeech, out, [(n, "mix_clean")], "dev"
            ),
            out,
            f"{csv_path}:3:",
            f"empty {column} cell",
        )


@pytest.mark.parametrize("which", ["mixture", "offset"])
def test_header_only_csv(tree, tmp_path, which):
    path = tree.mixture_csvs["mix_single"] if which == "mixture" else tree.offset_csv
    path.write_text(path.read_text().splitlines()[0] + "\n")
    out = existing_out(tmp_path)
    expect_error(
        lambda: prep(tree, out, tree.offset_dir), out, f"{path}:1:", "only a header, no mixture"
    )


@pytest.mark.parametrize("which", ["mixture", "offset"])
def test_bom_is_read(tree, tmp_path, which):
    plain = prep(tree, tmp_path / "plain", tree.offset_dir)
    for path in [tree.offset_csv] if which == "offset" else list(tree.mixture_csvs.values()):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    bom = prep(tree, tmp_path / "bom", tree.offset_dir)
    for name in ("text", "utt2talkers", "wav.scp"):
        assert (bom / name).read_text() == (plain / name).read_text()


@pytest.mark.parametrize("which", ["mixture", "offset"])
def test_non_utf8_csv_names_file_and_line(tree, tmp_path, which):
    path = tree.mixture_csvs["mix_both"] if which == "mixture" else tree.offset_csv
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b",", b",\xe9", 1)  # latin-1 "é" on line 3
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines))  # with a BOM: lines still count
    out = existing_out(tmp_path)
    expect_error(
        lambda: prep(tree, out, tree.offset_dir), out, f"{path}:3:", "not UTF-8", "byte 0xe9"
    )


# ------------------------------------------------------------------------ command line


def test_main_offset_metadata(tree, tmp_path, capsys):
    out = tmp_path / "data" / "dev"
    args = ["--librimix_root", str(tree.root), "--librispeech_root", str(tree.librispeech),
            "--subset", "dev", "--sources", "2:mix_both", "--out_dir", str(out)]  # fmt: skip
    prep_librimix.main(args + ["--offset_metadata", str(tree.offset_dir)])
    assert "2 utterances" in capsys.readouterr().out
    assert f"2035:{start(SOT_ASR1_OFFSETS[MIX2]):.3f}:" in (out / "utt2talkers").read_text()
    with pytest.raises(SystemExit) as exc:
        prep_librimix.main(args[:-1] + [str(tmp_path / "new"), "--offset_metadata", "nowhere"])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ERROR: nowhere: offset metadata directory not found") and "\n" not in err
    assert not (tmp_path / "new").exists()
