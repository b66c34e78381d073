"""The scorer refuses what it cannot score correctly (issue 14), table-driven.

Each bad input ends ``espnet_mtasr.bin.score`` with exit status 1 and one line naming
the file, the line and the utterance, and leaves ``--out_dir`` byte-identical (absent, or
with the files of an earlier run). Missing hypotheses are scored as deletions with a
warning; a hypothesis line without any separator is one SOT stream and is scored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pytest

from espnet_mtasr.bin import score

REF_SOT = "1spk-a HELLO WORLD\n2spk-b A B <sc> C D E\n2spk-c X Y <sc> Z\n3spk-d P <sc> Q <sc> R S\n"
REF_TAG = (
    "1spk-a <spk1> HELLO WORLD\n2spk-b <spk1> A B <spk2> C D E\n"
    "2spk-c <spk1> X Y <spk2> Z\n3spk-d <spk1> P <spk2> Q <spk3> R S\n"
)
NUM = "1spk-a 1\n2spk-b 2\n2spk-c 2\n3spk-d 3\n"
HYP_SOT = "1spk-a HELLO WORLD\n2spk-b C D E <sc> A B\n2spk-c X Y <sc> Z\n3spk-d P <sc> Q R S\n"
# word-for-word correct, but speaker-tagged: cpWER 107.8 % if scored as <sc>-separated
HYP_TAG = REF_TAG


@dataclass(frozen=True)
class BadInput:
    """One input the scorer must refuse.

    Args:
        name: the case id.
        ref: reference text.
        hyp: hypothesis text.
        args: extra options.
        where: ``"ref"`` or ``"hyp"``: the file the message names.
        line: the line it names.
        utt: the utterance it names.
        says: further text the message must hold (the detected format, the fix).
    """

    name: str
    ref: str
    hyp: str
    args: tuple[str, ...]
    where: str
    line: int
    utt: str
    says: tuple[str, ...]


BAD = [
    BadInput(
        "tagged hyp, sot detected",
        REF_SOT,
        HYP_TAG,
        (),
        "hyp",
        1,
        "1spk-a",
        ("speaker-tagged (spk_tag)", "pass --text_format spk_tag"),
    ),
    BadInput(
        "tagged hyp, --text_format sot",
        REF_SOT,
        HYP_TAG,
        ("--text_format", "sot"),
        "hyp",
        1,
        "1spk-a",
        ("speaker-tagged (spk_tag)", "(--text_format sot)", "pass --text_format spk_tag"),
    ),
    BadInput(
        "sot hyp, --text_format spk_tag",
        REF_TAG,
        HYP_SOT,
        ("--text_format", "spk_tag"),
        "hyp",
        2,
        "2spk-b",
        ("<sc>-separated (sot)", "pass --text_format sot"),
    ),
    BadInput(
        "sot hyp, spk_tag detected",
        REF_TAG,
        HYP_SOT,
        (),
        "hyp",
        2,
        "2spk-b",
        ("<sc>-separated (sot)", "detected from", "pass --text_format sot"),
    ),
    BadInput(
        "<sc>-only ref",
        REF_SOT.replace("2spk-c X Y <sc> Z", "2spk-c <sc>"),
        HYP_SOT,
        (),
        "ref",
        3,
        "2spk-c",
        ("has no words", "only separators"),
    ),
    BadInput(
        "empty ref",
        REF_SOT.replace("2spk-b A B <sc> C D E", "2spk-b"),
        HYP_SOT,
        (),
        "ref",
        2,
        "2spk-b",
        ("has no words", "remove the utterance from the data dir"),
    ),
    BadInput(
        "tag-only ref, spk_tag",
        REF_TAG.replace("<spk1> HELLO WORLD", "<spk1>"),
        HYP_TAG,
        ("--text_format", "spk_tag"),
        "ref",
        1,
        "1spk-a",
        ("has no words",),
    ),
    BadInput(
        "extra hyp ids",
        REF_SOT,
        HYP_SOT + "9spk-x NOPE\n9spk-y NOPE\n",
        (),
        "hyp",
        5,
        "9spk-x",
        ("is not in the reference", "2 such utterances", "'9spk-y'"),
    ),
    BadInput(
        "mixed ref",
        REF_SOT.replace("2spk-c X Y <sc> Z", "2spk-c <spk1> X Y <spk2> Z"),
        HYP_SOT,
        (),
        "ref",
        3,
        "2spk-c",
        ("speaker-tagged (spk_tag)", "<sc>-separated (sot)"),
    ),
]


@pytest.fixture
def paths(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "data" / "test").mkdir(parents=True)
    return {
        "ref": tmp_path / "data" / "test" / "text",
        "num": tmp_path / "data" / "test" / "utt2num_spk",
        "hyp": tmp_path / "hyp_text",
        "out": tmp_path / "decode" / "test" / "score_wer",
    }


def run_score(paths: dict[str, Path], ref: str, hyp: str, *args: str, num: str = NUM) -> None:
    """Write the inputs and score them into ``paths["out"]``."""
    paths["ref"].write_text(ref, encoding="utf-8")
    paths["num"].write_text(num, encoding="utf-8")
    paths["hyp"].write_text(hyp, encoding="utf-8")
    score.main(
        [
            "--ref",
            str(paths["ref"]),
            "--hyp",
            str(paths["hyp"]),
            "--utt2num_spk",
            str(paths["num"]),
            "--out_dir",
            str(paths["out"]),
            *args,
        ]
    )


def tree_hashes(root: Path) -> dict[str, str | None]:
    """Relative path -> SHA-256 of every file under ``root`` (None for directories)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else None
        for p in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize("out_dir_before", ["absent", "earlier run"])
@pytest.mark.parametrize("case", BAD, ids=[c.name for c in BAD])
def test_bad_input_exits_and_writes_nothing(paths, capsys, case, out_dir_before):
    before = None
    if out_dir_before == "earlier run":
        run_score(paths, REF_SOT, HYP_SOT)
        (paths["out"] / "notes.txt").write_text("kept\n", encoding="utf-8")
        before = tree_hashes(paths["out"])
        assert "result.json" in before and "talkers.png" in before
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        run_score(paths, case.ref, case.hyp, *case.args)
    assert e.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("ERROR: ")
    assert err.startswith(f"ERROR: {paths[case.where]}:{case.line}: "), err
    assert f"{case.utt!r}" in err
    for text in case.says:
        assert text in err, (text, err)
    if before is None:
        assert not paths["out"].exists()
    else:
        assert tree_hashes(paths["out"]) == before


def test_missing_hyp_ids_are_deletions_with_a_warning(paths, caplog):
    hyp = "".join(line + "\n" for line in HYP_SOT.splitlines() if "2spk" not in line)
    with caplog.at_level(logging.WARNING):
        run_score(paths, REF_SOT, hyp)
    assert "2 of 4 reference utterances have no hypothesis" in caplog.text
    assert f"{paths['hyp']}; scored as empty (all deletions): '2spk-b', '2spk-c'" in caplog.text
    result = json.loads((paths["out"] / "result.json").read_text())
    cp = result["overall"]["cp"]
    assert result["missing_hyp"] == ["2spk-b", "2spk-c"]
    # 2spk-b, 2spk-c: 8 deletions; 3spk-d (one stream short): 1 deletion, 1 insertion
    assert (cp["deletions"], cp["errors"], cp["length"]) == (9, 10, 14)


@pytest.mark.parametrize(
    "ref, hyp, args, num, text_format, cp_errors",
    [
        (REF_SOT, HYP_SOT.replace("C D E <sc> A B", "A B C D E"), (), NUM, "sot", 6),
        (REF_TAG, HYP_TAG, (), NUM, "spk_tag", 0),
        (
            REF_TAG,
            HYP_TAG.replace("<spk1> HELLO", "HELLO"),
            ("--text_format", "spk_tag"),
            NUM,
            "spk_tag",
            0,
        ),
        ("u1 A B\nu2 C\n", "u1 A B\nu2 C\n", (), "u1 1\nu2 1\n", "sot", 0),
    ],
    ids=["plain hyp in sot", "tagged detected", "plain hyp in spk_tag", "plain ref"],
)
def test_accepted_formats(paths, ref, hyp, args, num, text_format, cp_errors):
    """A line without any separator is one stream; auto takes the reference's format."""
    run_score(paths, ref, hyp, *args, num=num)
    result = json.loads((paths["out"] / "result.json").read_text())
    assert result["text_format"] == text_format
    assert result["overall"]["cp"]["errors"] == cp_errors


def test_odd_hyp_lines_beside_the_scored_format_are_scored_with_a_warning(paths, caplog):
    """Model output with a stray separator of the other kind (an untrained speaker-tagged
    model emitting <sc>): the file is in the scored format, so it is scored, the odd line's
    extra symbol counts as a word error, and a warning names the line."""
    hyp = HYP_TAG.replace("<spk2> C D E", "<spk2> C <sc> D E")
    with caplog.at_level(logging.WARNING):
        run_score(paths, REF_TAG, hyp)
    assert "1 hypothesis line(s)" in caplog.text
    assert "first: 2spk-b, line 2: both <sc>-separated and speaker-tagged" in caplog.text
    result = json.loads((paths["out"] / "result.json").read_text())
    assert result["text_format"] == "spk_tag"
    assert result["overall"]["cp"]["errors"] == 1


def test_a_single_mixed_hyp_line_is_scored_in_the_set_format(paths, caplog):
    """A one-utterance set whose only hypothesis mixes both separators (the tiny mini
    AliMeeting SOT-AED's output): it holds the scored format's tags, so it is scored."""
    ref = "2spk-b <spk1> A B <spk2> C D E\n"
    with caplog.at_level(logging.WARNING):
        run_score(paths, ref, "2spk-b <spk1> A B <sc> <spk2> C D E\n", num="2spk-b 2\n")
    assert "1 hypothesis line(s)" in caplog.text
    result = json.loads((paths["out"] / "result.json").read_text())
    assert (result["text_format"], result["overall"]["cp"]["errors"]) == ("spk_tag", 1)
