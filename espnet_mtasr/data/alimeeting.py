"""AliMeeting (OpenSLR 119) -> multi-talker Kaldi data dirs, through lhotse.

Layout (as distributed on OpenSLR; both accepted)::

    <root>/Train_Ali_far/{audio_dir,textgrid_dir}/
    <root>/Eval_Ali/Eval_Ali_far/...     or flat   <root>/Eval_Ali_far/...
    <root>/Test_Ali/Test_Ali_far/...     or flat   <root>/Test_Ali_far/...

Far-field audio ``R0003_M0046_MS002.wav`` (8 channels) goes with
``R0003_M0046.TextGrid`` (one IntervalTier per speaker). :func:`check_alimeeting_tree`
scans every TextGrid strictly and checks it against its audio before lhotse's
``prepare_ali_meeting`` (``mic="sdm"``: the first channel, M2MeT text normalisation:
``<sil>``-style tags and punctuation removed, Latin letters upper-cased) reads the tree.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Tuple

from espnet_mtasr.data.meeting import MeetingSession, check_sessions, sessions_from_lhotse
from espnet_mtasr.utils.errors import MTASRInputError

__all__ = ["ALIMEETING_PARTS", "alimeeting_part_dir", "check_alimeeting_tree", "load_alimeeting"]

ALIMEETING_PARTS = {"train": "Train", "eval": "Eval", "test": "Test"}
"""lhotse's part names -> the corpus' folder prefixes."""

_TAG_RE = re.compile(r"<[^<>]*>")


def is_silence(label: str) -> bool:
    """An AliMeeting label with no speech: empty, or only tags such as ``<sil>``."""
    return not _TAG_RE.sub("", label).strip()


def alimeeting_part_dir(root: Path, part: str, mic: str = "far") -> Path:
    """The folder holding ``audio_dir/`` and ``textgrid_dir/`` of one part.

    Raises:
        MTASRInputError: neither the nested nor the flat layout is there.
    """
    prefix = ALIMEETING_PARTS[part]
    candidates = [root / f"{prefix}_Ali_{mic}"]
    if part != "train":
        candidates.insert(0, root / f"{prefix}_Ali" / f"{prefix}_Ali_{mic}")
    for c in candidates:
        if (c / "audio_dir").is_dir() and (c / "textgrid_dir").is_dir():
            return c
    raise MTASRInputError(
        f"AliMeeting part {part!r} not found: expected audio_dir/ and textgrid_dir/ in "
        + " or ".join(str(c) for c in candidates),
        path=root,
        fix="point ALIMEETING in db.sh at the folder that holds Train_Ali_far/",
    )


def _session_of_far_wav(wav: Path) -> str:
    return re.sub(r"_MS\d+$", "", wav.stem)


def check_alimeeting_tree(root: Path, parts=tuple(ALIMEETING_PARTS)) -> Dict[str, int]:
    """Check every far-field session before lhotse reads the tree.

    Returns:
        Sessions per part.

    Raises:
        MTASRInputError: a part folder is missing; an audio file has no TextGrid or a
            TextGrid no audio; a TextGrid is malformed (:func:`scan_textgrid`); a tier
            has no speech or the audio is shorter than its speech (:func:`check_session`).
    """
    root = Path(root)
    counts = {}
    for part in parts:
        part_dir = alimeeting_part_dir(root, part)
        wavs = sorted((part_dir / "audio_dir").rglob("*.wav"))
        grids = {p.stem: p for p in (part_dir / "textgrid_dir").rglob("*.TextGrid")}
        if not wavs:
            raise MTASRInputError("no .wav file", path=part_dir / "audio_dir")
        sessions = {}
        for wav in wavs:
            session = _session_of_far_wav(wav)
            if session not in grids:
                raise MTASRInputError(
                    f"session {session} has no TextGrid: expected "
                    f"{part_dir / 'textgrid_dir' / (session + '.TextGrid')}",
                    path=wav,
                    fix="restore the TextGrid, or move the audio out of the corpus tree",
                )
            if session in sessions:
                raise MTASRInputError(
                    f"two far-field recordings of session {session}: {sessions[session]}",
                    path=wav,
                )
            sessions[session] = wav
        for stem, grid in grids.items():
            if stem not in sessions:
                raise MTASRInputError(
                    f"TextGrid without audio: no {stem}_MS*.wav in {part_dir / 'audio_dir'}",
                    path=grid,
                )
        pairs = [(wav, grids[session]) for session, wav in sorted(sessions.items())]
        check_sessions(pairs, f"checking AliMeeting {part}", is_silence)
        counts[part] = len(sessions)
    return counts


def load_alimeeting(root: Path) -> Dict[str, List[MeetingSession]]:
    """Checked AliMeeting far-field sessions per part (``train``, ``eval``, ``test``)."""
    from lhotse.recipes import prepare_ali_meeting

    root = Path(root).resolve()  # lhotse wants an absolute corpus dir
    check_alimeeting_tree(root)
    manifests = prepare_ali_meeting(root, output_dir=None, mic="sdm", normalize_text="m2met")
    return {
        part: sessions_from_lhotse(m["recordings"], m["supervisions"])
        for part, m in _lhotse_parts(manifests)
    }


def _lhotse_parts(manifests) -> List[Tuple[str, Dict]]:
    by_lower = {str(k).lower(): v for k, v in manifests.items()}
    return [(part, by_lower[part]) for part in ALIMEETING_PARTS if part in by_lower]
