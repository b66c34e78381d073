"""Synthetic Mandarin meetings: the grammar, the turn plan, and a corpus that the real
AliMeeting checks and prep accept."""

from __future__ import annotations

import random
import shutil

import pytest

from espnet_mtasr.bin import synth_meeting as synth_main
from espnet_mtasr.data.alimeeting import check_alimeeting_tree, load_alimeeting
from espnet_mtasr.data.synth_meeting import mandarin_sentences, plan_meeting, synthesize_meetings


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
