"""Bad corpora, data dirs and output paths (issue 14), table-driven, through the mains.

Every case runs a main in-process on a copy of a good workspace (a fake AliMeeting tree,
a valid multi-talker data dir and an earlier run's output ``data/``), then asserts:

- the exit status (1 for bad input; argparse's 2 for a bad option value),
- the message names the file (and line, where there is one) or the option, with a fix,
- no traceback: an :class:`MTASRInputError` is printed as one ``ERROR:`` line,
- the whole workspace, corpus and earlier outputs included, is byte-identical afterwards
  (the tree is hashed before and after, symbolic links by their target).

The ``ACCEPTED`` cases are inputs that used to be refused although the corpus tools read
them (UTF-8-with-BOM and UTF-16 TextGrids): they must give the same data dirs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Sequence

import numpy as np
import pytest
import soundfile as sf
from librimix_fakes import build_fake_corpus
from meeting_fakes import make_alimeeting_tree
from task_helpers import FS, write_kaldi_dir

from espnet_mtasr.bin import (
    filter_data_dir,
    make_token_list,
    prep_librimix,
    prep_meeting,
    speed_perturb,
    split_scp,
    validate_data_dir,
)

TEST_GRID = Path("Test_Ali/Test_Ali_far/textgrid_dir/R8003_M8001.TextGrid")
TRAIN_GRID = Path("Train_Ali_far/textgrid_dir/R0003_M0046.TextGrid")
TRAIN_WAV = Path("Train_Ali_far/audio_dir/R0003_M0046_MS002.wav")
TEXTS = {"u1": "a b <sc> c d", "u2": "e f", "u3": "g <sc> h i"}


def tree_hash(root: Path) -> Dict[str, str]:
    """Relative path -> sha1 of the content (``link:<target>`` for links, ``dir`` for dirs)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = f"link:{os.readlink(p)}"
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha1(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def good_workspace(tmp_path_factory) -> Path:
    """``tree/`` (AliMeeting), ``data/`` (its prep output), ``dd/`` (a valid data dir),
    ``lm/`` (LibriMix + LibriSpeech) and ``data_lm/dev`` (its prep output)."""
    ws = tmp_path_factory.mktemp("ws")
    make_alimeeting_tree(ws / "tree")
    prep_meeting.main(_meeting_args(ws))
    build_fake_corpus(ws / "lm")
    prep_librimix.main([a.replace("{ws}", str(ws)) for a in LIBRIMIX])
    dd = write_kaldi_dir(ws / "dd", TEXTS, seconds=1.0)
    (dd / "utt2spk").write_text("".join(f"{u} {u}\n" for u in sorted(TEXTS)))
    (dd / "spk2utt").write_text("".join(f"{u} {u}\n" for u in sorted(TEXTS)))
    counts = {u: len(t.split("<sc>")) for u, t in TEXTS.items()}
    (dd / "utt2num_spk").write_text("".join(f"{u} {counts[u]}\n" for u in sorted(TEXTS)))
    durs = {u: sf.info(str(dd / "wav" / f"{u}.wav")).duration for u in TEXTS}
    (dd / "utt2dur").write_text("".join(f"{u} {durs[u]:.3f}\n" for u in sorted(TEXTS)))
    talkers = {
        u: " ".join(f"s{k}:{0.1 * k:.3f}:{durs[u]:.3f}" for k in range(counts[u])) for u in TEXTS
    }
    (dd / "utt2talkers").write_text("".join(f"{u} {talkers[u]}\n" for u in sorted(TEXTS)))
    validate_data_dir.main([str(dd)])
    return ws


def _meeting_args(ws: Path, out: str = "data") -> List[str]:
    return [
        "--corpus", "alimeeting", "--corpus_dir", str(ws / "tree"), "--out_dir", str(ws / out),
        "--train_window", "6", "--train_min_window", "1", "--score_window", "15",
    ]  # fmt: skip


@pytest.fixture
def workspace(tmp_path, good_workspace) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(good_workspace, ws, symlinks=True)
    # the copied wav.scp lines point into the module's workspace: re-point them
    scp = ws / "dd" / "wav.scp"
    scp.write_text(scp.read_text().replace(str(good_workspace), str(ws)))
    return ws


# --- how the cases break the workspace


def _edit(rel: Path, old: str, new: str) -> Callable[[Path], None]:
    def setup(ws: Path) -> None:
        p = ws / rel
        text = p.read_text(encoding="utf-8")
        assert old in text, (rel, old)
        p.write_text(text.replace(old, new, 1), encoding="utf-8")

    return setup


def _unlink(rel: str) -> Callable[[Path], None]:
    return lambda ws: (ws / rel).unlink()


def _write_bytes(rel: str, data: bytes) -> Callable[[Path], None]:
    return lambda ws: (ws / rel).write_bytes(data)


def _gb18030_textgrid(ws: Path) -> None:
    p = ws / "tree" / TRAIN_GRID
    p.write_bytes(p.read_text(encoding="utf-8").encode("gb18030"))


def _short_audio(ws: Path) -> None:
    sf.write(ws / "tree" / TRAIN_WAV, np.zeros((int(4.0 * FS), 8), dtype="float32"), FS)


def _replace_by_file(rel: str) -> Callable[[Path], None]:
    def setup(ws: Path) -> None:
        shutil.rmtree(ws / rel)
        (ws / rel).write_text("the user's notes\n")

    return setup


def _replace_by_link(rel: str) -> Callable[[Path], None]:
    def setup(ws: Path) -> None:
        (ws / "elsewhere").mkdir()
        (ws / "elsewhere" / "keep").write_text("k\n")
        if (ws / rel).is_dir():
            shutil.rmtree(ws / rel)
        (ws / rel).symlink_to(ws / "elsewhere")

    return setup


def _wrong_rate(ws: Path) -> None:
    sf.write(ws / "dd" / "wav" / "u2.wav", np.zeros(8000, dtype="float32"), 8000)


def _swap_lines(rel: str) -> Callable[[Path], None]:
    def setup(ws: Path) -> None:
        lines = (ws / rel).read_text().splitlines(keepends=True)
        lines[0], lines[1] = lines[1], lines[0]
        (ws / rel).write_text("".join(lines))

    return setup


def _dup_line(rel: str) -> Callable[[Path], None]:
    def setup(ws: Path) -> None:
        lines = (ws / rel).read_text().splitlines(keepends=True)
        (ws / rel).write_text("".join([lines[0]] + lines))

    return setup


@dataclass(frozen=True)
class Fault:
    """One bad input: ``setup`` breaks the workspace, ``main(args)`` must refuse it.

    Args:
        name: the case id.
        setup: breaks a copy of the good workspace.
        main: the ``espnet_mtasr.bin`` module.
        args: its command line; ``{ws}`` is the workspace.
        message: substrings of the printed message (``{ws}`` substituted).
        status: the exit status.
    """

    name: str
    setup: Callable[[Path], None]
    main: object
    args: Sequence[str]
    message: Sequence[str]
    status: int = 1


MEETING = ["--corpus", "alimeeting", "--corpus_dir", "{ws}/tree", "--out_dir", "{ws}/data"]
MEETING += ["--train_window", "6", "--train_min_window", "1", "--score_window", "15"]
VALIDATE = ["{ws}/dd"]
LIBRIMIX = ["--librimix_root", "{ws}/lm/LibriMix", "--librispeech_root", "{ws}/lm/ls"]
LIBRIMIX += ["--subset", "dev", "--sources", "2:mix_clean", "--out_dir", "{ws}/data_lm/dev"]
MIX2_CSV = "lm/LibriMix/Libri2Mix/wav16k/max/metadata/mixture_dev_mix_clean.csv"


def _non_utf8_transcript(ws: Path) -> None:
    trans = next((ws / "lm" / "ls").rglob("*.trans.txt"))
    trans.write_bytes(trans.read_bytes().replace(b"THE", "ÞE".encode("latin-1"), 1))


def _header_only(rel: str) -> Callable[[Path], None]:
    def setup(ws: Path) -> None:
        p = ws / rel
        p.write_text(p.read_text().splitlines(keepends=True)[0])

    return setup


def _empty_offset_cell(ws: Path) -> None:
    p = ws / MIX2_CSV
    lines = p.read_text().splitlines(keepends=True)
    head, row = lines[0].rstrip("\n").split(","), lines[1].rstrip("\n").split(",")
    row[head.index("offset")] = ""
    p.write_text("".join([lines[0], ",".join(row) + "\n", *lines[2:]]))


def _nothing(ws: Path) -> None:
    pass


FAULTS = [
    # the corpus (prep_meeting)
    Fault("session_without_textgrid", _unlink(f"tree/{TRAIN_GRID}"), prep_meeting, MEETING,
          ["session R0003_M0046 has no TextGrid", "R0003_M0046_MS002.wav"]),
    Fault("textgrid_not_praat", _write_bytes(f"tree/{TRAIN_GRID}", b"hello\n"), prep_meeting,
          MEETING, [f"{TRAIN_GRID}:1: not a Praat TextGrid", "fix:"]),
    Fault("textgrid_gb18030", _gb18030_textgrid, prep_meeting, MEETING,
          [f"{TRAIN_GRID}:", "TextGrid not UTF-8: byte 0x", "iconv"]),
    Fault("textgrid_interval_ends_before_start",
          _edit("tree" / TEST_GRID, "xmax = 3.0 ", "xmax = 0.2 "), prep_meeting, MEETING,
          [f"{TEST_GRID.name}:"]),
    Fault("audio_shorter_than_annotations", _short_audio, prep_meeting, MEETING,
          [f"{TRAIN_GRID.name}", "lasts 4.000 s"]),
    Fault("audio_not_audio", _write_bytes(f"tree/{TRAIN_WAV}", b"not a wav file\n" * 9),
          prep_meeting, MEETING, [f"{TRAIN_WAV}"]),
    Fault("corpus_dir_missing", lambda ws: shutil.rmtree(ws / "tree"), prep_meeting, MEETING,
          ["{ws}/tree: corpus folder not found", "db.sh"]),
    Fault("out_dir_is_a_file", _replace_by_file("data"), prep_meeting, MEETING,
          ["{ws}/data: cannot create the output directory {ws}/data/train:",
           "{ws}/data is not a directory"]),
    Fault("out_set_is_a_file", _replace_by_file("data/test"), prep_meeting, MEETING,
          ["{ws}/data/test: exists and is not a directory", "fix:"]),
    Fault("out_set_is_a_symlink", _replace_by_link("data/eval"), prep_meeting, MEETING,
          ["{ws}/data/eval: the output directory is a symbolic link", "give the link's target"]),
    Fault("window_options_inconsistent", _nothing, prep_meeting,
          MEETING + ["--train_min_window", "9"], ["--train_min_window <= --train_window"]),
    Fault("set_would_be_empty", _nothing, prep_meeting, MEETING + ["--train_min_window", "6"],
          ["set 'train' would have no window", "lower --train_min_window"]),
    Fault("unknown_corpus", _nothing, prep_meeting, ["--corpus", "chime6"] + MEETING[2:],
          ["invalid choice: 'chime6'"], status=2),
    # LibriMix (prep_librimix)
    Fault("librispeech_transcript_not_utf8", _non_utf8_transcript, prep_librimix, LIBRIMIX,
          [".trans.txt:", "transcript not UTF-8: byte 0xde"]),
    Fault("librimix_csv_header_only", _header_only(MIX2_CSV), prep_librimix, LIBRIMIX,
          [f"{MIX2_CSV}:1: only a header"]),
    Fault("librimix_empty_offset_cell", _empty_offset_cell, prep_librimix, LIBRIMIX,
          [f"{MIX2_CSV}:2: empty offset cell"]),
    Fault("librimix_out_dir_is_a_file", _replace_by_file("data_lm/dev"), prep_librimix,
          LIBRIMIX, ["{ws}/data_lm/dev: exists and is not a directory"]),
    Fault("librimix_out_dir_is_a_symlink", _replace_by_link("data_lm/dev"), prep_librimix,
          LIBRIMIX, ["{ws}/data_lm/dev: the output directory is a symbolic link"]),
    Fault("librimix_offset_metadata_missing", _nothing, prep_librimix,
          LIBRIMIX + ["--offset_metadata", "{ws}/nosuch"],
          ["{ws}/nosuch: offset metadata directory not found"]),
    # the data dir (validate_data_dir)
    Fault("dd_missing_wav", _unlink("dd/wav/u2.wav"), validate_data_dir, VALIDATE,
          ["{ws}/dd/wav.scp:2:", "u2.wav"]),
    Fault("dd_wrong_sample_rate", _wrong_rate, validate_data_dir, VALIDATE,
          ["u2.wav", "8000"]),
    Fault("dd_empty_transcript", _edit(Path("dd/text"), "u2 e f", "u2"), validate_data_dir,
          VALIDATE, ["{ws}/dd/text:2:"]),
    Fault("dd_duplicate_id", _dup_line("dd/utt2spk"), validate_data_dir, VALIDATE,
          ["{ws}/dd/utt2spk:2:"]),
    Fault("dd_unsorted_ids", _swap_lines("dd/text"), validate_data_dir, VALIDATE,
          ["{ws}/dd/text:2:", "sort"]),
    Fault("dd_talker_ends_after_utterance", _edit(Path("dd/utt2dur"), "u1 1.000", "u1 0.500"),
          validate_data_dir, VALIDATE, ["{ws}/dd/utt2talkers:1:", "after the utterance's 0.500 s"]),
    Fault("dd_count_disagrees_with_text", _edit(Path("dd/utt2num_spk"), "u2 1", "u2 2"),
          validate_data_dir, VALIDATE, ["{ws}/dd/utt2num_spk:2:", "stream"]),
    Fault("dd_missing", lambda ws: shutil.rmtree(ws / "dd"), validate_data_dir, VALIDATE,
          ["{ws}/dd"]),
    Fault("dd_text_not_utf8", _write_bytes("dd/text", b"u1 a\nu2 \xff\xfe\nu3 g\n"),
          validate_data_dir, VALIDATE, ["{ws}/dd/text:2: file not UTF-8: byte 0xff"]),
    Fault("dd_spk2utt_not_inverse", _edit(Path("dd/spk2utt"), "u2 u2", "u2 u3"),
          validate_data_dir, VALIDATE, ["{ws}/dd/spk2utt"]),
    Fault("dd_talker_field_malformed", _edit(Path("dd/utt2talkers"), "s0:0.000:", "s0:x:"),
          validate_data_dir, VALIDATE, ["{ws}/dd/utt2talkers:1:", "bad talker field"]),
    # output paths of the other mains that write directories
    Fault("token_list_out_dir_is_a_file", _replace_by_file("data/eval"), make_token_list,
          ["--text", "{ws}/dd/text", "--out_dir", "{ws}/data/eval", "--token_type", "char"],
          ["{ws}/data/eval: exists and is not a directory"]),
    Fault("split_out_dir_is_a_file", _replace_by_file("data/eval"), split_scp,
          ["{ws}/dd/wav.scp", "{ws}/data/eval", "2"], ["{ws}/data/eval: exists and is not"]),
    Fault("filter_out_dir_is_a_symlink", _replace_by_link("data/eval"), filter_data_dir,
          ["--in_dir", "{ws}/dd", "--out_dir", "{ws}/data/eval"],
          ["{ws}/data/eval: the output directory is a symbolic link"]),
    Fault("speed_perturb_out_dir_is_a_file", _replace_by_file("data/eval"), speed_perturb,
          ["--in_dir", "{ws}/dd", "--out_dir", "{ws}/data/eval"],
          ["{ws}/data/eval: exists and is not a directory"]),
    Fault("speed_perturb_in_dir_missing", _nothing, speed_perturb,
          ["--in_dir", "{ws}/nosuch", "--out_dir", "{ws}/data/sp"], ["{ws}/nosuch"]),
]  # fmt: skip


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_bad_input_is_refused_and_nothing_changes(fault: Fault, workspace: Path, capsys):
    fault.setup(workspace)
    before = tree_hash(workspace)
    args = [a.replace("{ws}", str(workspace)) for a in fault.args]
    with pytest.raises(SystemExit) as e:
        fault.main.main(args)
    assert e.value.code == fault.status
    err = capsys.readouterr().err  # progress bars, then the message
    assert "Traceback" not in err
    if fault.status == 1:
        errors = [ln for ln in err.splitlines() if "ERROR: " in ln]
        assert len(errors) == 1, err
        err = errors[0][errors[0].index("ERROR: ") :]
    print(f"\nFAULT {fault.name}: {err.replace(str(workspace), '<ws>')}")  # pytest -s: the table
    for part in fault.message:
        assert part.replace("{ws}", str(workspace)) in err, err
    assert tree_hash(workspace) == before


def test_faults_are_distinct_cases():
    assert len({f.name for f in FAULTS}) == len(FAULTS) >= 29


def _bom(ws: Path) -> None:
    p = ws / TRAIN_GRID
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())


def _utf16(ws: Path) -> None:
    p = ws / TRAIN_GRID
    p.write_bytes(p.read_text(encoding="utf-8").encode("utf-16"))


ACCEPTED = {"textgrid_utf8_bom": _bom, "textgrid_utf16": _utf16}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_bom_and_utf16_textgrids_give_the_same_data(name, workspace, good_workspace):
    ACCEPTED[name](workspace / "tree")
    shutil.rmtree(workspace / "data")
    prep_meeting.main(_meeting_args(workspace))
    got = tree_hash(workspace / "data")
    want = tree_hash(good_workspace / "data")
    assert got.keys() == want.keys()
    # wav.scp names the corpus path, which differs between the two workspaces
    for rel in got:
        if not rel.endswith("wav.scp"):
            assert got[rel] == want[rel], rel


def test_read_only_output_parent(workspace):
    parent = workspace / "ro"
    parent.mkdir()
    if os.geteuid() == 0:
        if (
            shutil.which("chattr") is None
            or subprocess.run(["chattr", "+i", str(parent)], capture_output=True).returncode
        ):
            pytest.skip("root without chattr: cannot make a directory read-only")
        undo = ["chattr", "-i", str(parent)]
    else:
        parent.chmod(0o555)
        undo = ["chmod", "755", str(parent)]
    before = tree_hash(workspace)
    try:
        r = subprocess.run(
            ["python", "-m", "espnet_mtasr.bin.prep_meeting"]
            + [a.replace("{ws}/data", str(parent / "data")).replace("{ws}", str(workspace))
               for a in MEETING],
            capture_output=True, text=True,
        )  # fmt: skip
    finally:
        subprocess.run(undo, check=True)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert f"{parent}: cannot write the output {parent}/data/train" in r.stderr
    assert tree_hash(workspace) == before
