"""AISHELL-4 (OpenSLR 111) -> multi-talker Kaldi data dirs, through lhotse.

Layout (as distributed on OpenSLR)::

    <root>/{train_L,train_M,train_S,test}/wav/<session>.flac        (8 channels, 16 kHz)
    <root>/{train_L,train_M,train_S,test}/TextGrid/<session>.TextGrid (+ <session>.rttm)

:func:`check_aishell4_tree` scans every TextGrid strictly and checks it against its
audio before lhotse's ``prepare_aishell4`` (text normalisation on: ``<sil>``-style tags
and punctuation removed) reads the tree. lhotse needs all four parts; the three training
parts become one ``train`` set. The first channel is used (``wav.scp`` through sox).
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List

from espnet_mtasr.data.alimeeting import is_silence
from espnet_mtasr.data.meeting import MeetingSession, check_sessions, sessions_from_lhotse
from espnet_mtasr.utils.errors import MTASRInputError

__all__ = ["AISHELL4_PARTS", "check_aishell4_tree", "load_aishell4"]

AISHELL4_PARTS = ("train_L", "train_M", "train_S", "test")


def check_aishell4_tree(root: Path) -> Dict[str, int]:
    """Check every session of the four parts before lhotse reads the tree.

    Returns:
        Sessions per part.

    Raises:
        MTASRInputError: a part is missing or empty (lhotse asserts on it); an audio
            file has no TextGrid or a TextGrid no audio; a TextGrid is malformed
            (:func:`scan_textgrid`); a tier has no speech or the audio is shorter than
            its speech (:func:`check_session`).
    """
    root = Path(root)
    counts = {}
    for part in AISHELL4_PARTS:
        wav_dir, grid_dir = root / part / "wav", root / part / "TextGrid"
        flacs = sorted(wav_dir.rglob("*.flac")) if wav_dir.is_dir() else []
        if not flacs:
            raise MTASRInputError(
                f"AISHELL-4 part {part!r} has no session (no {wav_dir}/*.flac); "
                f"all of {', '.join(AISHELL4_PARTS)} are needed",
                path=root,
                fix="point AISHELL4 in db.sh at the folder that holds train_L/ ... test/",
            )
        grids = {p.stem: p for p in grid_dir.glob("*.TextGrid")} if grid_dir.is_dir() else {}
        for flac in flacs:
            if flac.stem not in grids:
                raise MTASRInputError(
                    f"session {flac.stem} has no TextGrid: expected "
                    f"{grid_dir / (flac.stem + '.TextGrid')}",
                    path=flac,
                    fix="restore the TextGrid, or move the audio out of the corpus tree",
                )
        stems = {f.stem for f in flacs}
        for stem, grid in grids.items():
            if stem not in stems:
                raise MTASRInputError(
                    f"TextGrid without audio: no {wav_dir}/{stem}.flac", path=grid
                )
        pairs = [(flac, grids[flac.stem]) for flac in flacs]
        check_sessions(pairs, f"checking AISHELL-4 {part}", is_silence)
        counts[part] = len(flacs)
    return counts


def load_aishell4(root: Path) -> Dict[str, List[MeetingSession]]:
    """Checked AISHELL-4 sessions: ``train`` (train_L + train_M + train_S) and ``test``."""
    from lhotse.recipes import prepare_aishell4

    root = Path(root).resolve()
    check_aishell4_tree(root)
    manifests = prepare_aishell4(root, output_dir=None, normalize_text=True)
    out: Dict[str, List[MeetingSession]] = {"train": [], "test": []}
    for part in AISHELL4_PARTS:
        m = manifests[part]
        name = "test" if part == "test" else "train"
        out[name] += sessions_from_lhotse(m["recordings"], m["supervisions"])
    out["train"].sort(key=lambda s: s.session_id)
    return out
