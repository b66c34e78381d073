"""Synthetic Chinese meetings: the grammar, the turn plan, the voice check, and a corpus
that the real AliMeeting checks and prep accept."""

from __future__ import annotations

import json
import random
import shutil
import subprocess

import pytest

from espnet_mtasr.bin import synth_meeting as synth_main
from espnet_mtasr.data import synth_meeting as synth_module
from espnet_mtasr.data.alimeeting import check_alimeeting_tree, load_alimeeting
from espnet_mtasr.data.synth_meeting import (
    SPEC_FILE,
    check_voice_covers,
    foreign_words,
    grammar_characters,
    mandarin_sentences,
    plan_meeting,
    synthesize_meetings,
)
from espnet_mtasr.utils.errors import MTASRInputError


def test_held_out_sentences_are_new_but_use_training_words():
    rng = random.Random(0)
    train = mandarin_sentences(200, rng)
    held = mandarin_sentences(30, rng, exclude=train)
    assert len(held) == 30
    train_chars = set("".join(train))
    for s in held:
        assert s not in train or len(s) <= 4  # only short replies may repeat
        assert set(s) <= train_chars


def test_turn_plan_alternates_speakers_and_overlaps_sometimes():
    rng = random.Random(1)
    turns = plan_meeting(rng, 3, [f"s{i}" for i in range(200)], overlap=0.4)
    assert all(a.speaker != b.speaker for a, b in zip(turns, turns[1:]))
    share = sum(t.start_gap < 0 for t in turns) / len(turns)
    assert 0.25 < share < 0.55


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_corpus_passes_the_real_alimeeting_prep(tmp_path):
    root = synthesize_meetings(
        tmp_path / "AliMeeting", {"train": 2, "eval": 1, "test": 1}, turns=5,
        speakers_per_split={"train": 4, "eval": 3, "test": 3},
    )  # fmt: skip
    assert check_alimeeting_tree(root) == {"train": 2, "eval": 1, "test": 1}
    sessions = load_alimeeting(root)
    speakers = {
        part: {seg.speaker for s in ss for seg in s.segments} for part, ss in sessions.items()
    }
    assert not speakers["train"] & (speakers["eval"] | speakers["test"])
    texts = [seg.text for s in sessions["train"] for seg in s.segments]
    assert len(texts) == 10 and not any("，" in t or "。" in t for t in texts)
    assert all(2 <= len({seg.speaker for seg in s.segments}) <= 3 for s in sessions["eval"])


def test_bad_split_spec_is_an_argument_error(capsys):
    with pytest.raises(SystemExit):
        synth_main.main(["--out_dir", "x", "--sessions", "dev:3"])
    assert "expected <split>:<n>" in capsys.readouterr().err


def _no_espeak():
    raise AssertionError("espeak-ng must not run when the corpus is reused")


def test_same_options_reuse_the_corpus_without_synthesising(tmp_path, monkeypatch):
    root = tmp_path / "AliMeeting"
    root.mkdir()
    spec = {
        "sessions": {"train": 2, "test": 1}, "turns": 5,
        "speakers": {"train": 8, "eval": 4, "test": 4}, "overlap": 0.4, "seed": 0,
        "voice": "yue",
    }  # fmt: skip
    (root / SPEC_FILE).write_text(json.dumps(spec))
    monkeypatch.setattr(synth_module, "check_espeak", _no_espeak)
    assert synthesize_meetings(root, {"test": 1, "train": 2}, turns=5) == root
    assert sorted(p.name for p in root.iterdir()) == [SPEC_FILE]


@pytest.mark.parametrize(
    "stamp, message",
    [
        (None, "has no synth_meeting.json"),
        ("{not json", "unreadable"),
        ('{"sessions": {"train": 60}, "turns": 8}', "turns: 8 there, 5 asked"),
    ],
)
def test_other_or_unknown_corpus_at_root_stops_and_is_kept(tmp_path, monkeypatch, stamp, message):
    root = tmp_path / "AliMeeting"
    root.mkdir()
    (root / "keep.txt").write_text("user data")
    if stamp is not None:
        (root / SPEC_FILE).write_text(stamp)
    monkeypatch.setattr(synth_module, "check_espeak", _no_espeak)
    with pytest.raises(MTASRInputError, match=message) as err:
        synthesize_meetings(root, {"train": 2}, turns=5)
    assert f"remove {root}" in str(err.value)
    assert (root / "keep.txt").read_text() == "user data"


@pytest.mark.parametrize(
    "phonemes, voice, foreign",
    [
        # espeak-ng 1.51 (Debian) cmn on 他们 / 市场; yue on 他们; en-then-fr on 他
        ("(en)ta55w'055n_| mE55nf'aI55v(cmn)_|", "cmn", ["ta55w'055n", "mE55nf'aI55v"]),
        ("s.'i.51_| ts.h'A214N_|", "cmn", []),
        ("t'aa1_| m'u4n_|", "yue", []),
        ("_:(en)tS'aIni:z(fr)l'Etr", "fr", ["tS'aIni:z"]),
    ],
)
def test_foreign_words_are_those_read_in_another_language(phonemes, voice, foreign):
    assert foreign_words(phonemes, voice) == foreign


def test_grammar_characters_cover_every_sentence():
    chars = set(grammar_characters())
    assert all(set(s) <= chars for s in mandarin_sentences(300, random.Random(0)))
    assert not chars & set("，。 ")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_voice_check_passes_yue_and_names_what_another_voice_misreads():
    check_voice_covers("yue", grammar_characters())  # the default voice reads them all
    # cmn: Debian's dictionary lacks 他 (read as English "ta one"); a full one has it
    cmn = subprocess.run(["espeak-ng", "-v", "cmn", "-q", "-x", "他"], capture_output=True)
    if foreign_words(cmn.stdout.decode(), "cmn"):
        with pytest.raises(MTASRInputError, match="does not read 1 of the grammar's 1") as e:
            check_voice_covers("cmn", "他")
        assert "--voice yue" in str(e.value) and "-x 他" in str(e.value)
    else:
        check_voice_covers("cmn", "他")


def test_unknown_voice_stops_before_anything_is_written(tmp_path):
    with pytest.raises(MTASRInputError, match="unknown voice 'en'"):
        synthesize_meetings(tmp_path / "AliMeeting", {"train": 1}, voice="en")
    assert not (tmp_path / "AliMeeting").exists()
