"""Synthetic espeak-ng speakers and the LibriSpeech-layout synthetic corpus."""

from __future__ import annotations

import re
import shutil

import pytest
import soundfile as sf

from espnet_mtasr.data import synth
from espnet_mtasr.data.librispeech import index_librispeech
from espnet_mtasr.data.synth import VOICES, make_speakers, synthesize_librispeech
from espnet_mtasr.utils.errors import MTASRInputError

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng not installed (apt-get install espeak-ng)"
)


def test_speakers_distinct_and_in_distribution():
    spks = make_speakers({"train-clean-100": 16, "dev-clean": 4, "test-clean": 4}, seed=0)
    all_spks = [s for v in spks.values() for s in v]
    combos = [(s.voice, s.variant, s.pitch, s.speed) for s in all_spks]
    assert len(set(combos)) == len(combos) == 24
    ids = [s.speaker_id for s in all_spks] + [s.chapter_id for s in all_spks]
    assert len(set(ids)) == len(ids) and all(i.isdigit() for i in ids)
    assert {s.voice for s in spks["train-clean-100"]} == set(VOICES)
    assert {s.voice for s in spks["test-clean"]} <= set(VOICES)
    assert {s.sex for s in spks["train-clean-100"]} == {"F", "M"}
    assert make_speakers({"a": 3}, seed=1) == make_speakers({"a": 3}, seed=1)
    args = spks["dev-clean"][0].espeak_args()
    assert args[0] == "-v" and "+" in args[1] and args[2:4][0] == "-p"


def test_missing_espeak(monkeypatch, tmp_path):
    monkeypatch.setattr(synth.shutil, "which", lambda name: None)
    with pytest.raises(MTASRInputError, match="apt-get install espeak-ng"):
        synthesize_librispeech(tmp_path, {"train": 1}, {"train": 1})
    assert not (tmp_path / "LibriSpeech").exists()


@needs_espeak
def test_synthesize_tiny_corpus(tmp_path):
    ls = synthesize_librispeech(
        tmp_path, {"train-clean-100": 2, "dev-clean": 1}, {"train-clean-100": 2, "dev-clean": 1},
        seed=0, nj=2,
    )  # fmt: skip
    flacs = sorted(ls.glob("*/*/*/*.flac"))
    assert len(flacs) == 3
    for f in flacs:
        info = sf.info(str(f))
        assert (info.samplerate, info.channels, info.format) == (16000, 1, "FLAC")
        assert 0.3 < info.duration < 5.0
        assert re.fullmatch(r"\d+-\d+-\d{4}", f.stem)
    index = index_librispeech(tmp_path)
    assert sorted(index) == sorted(f.stem for f in flacs)
    assert {u.subset for u in index.values()} == {"train-clean-100", "dev-clean"}
    assert all(u.text and u.text == u.text.upper() for u in index.values())
    lines = (ls / "SPEAKERS.TXT").read_text().splitlines()
    assert lines[0].startswith(";") and lines[1].startswith(";ID")
    rows = [[c.strip() for c in ln.split("|")] for ln in lines[2:]]
    assert len(rows) == 3 and all(len(r) == 5 and r[1] in "FM" for r in rows)
    assert {r[0] for r in rows} == {u.speaker for u in index.values()}
    assert sum(float(r[3]) for r in rows) > 0
