"""Fake AliMeeting / AISHELL-4 trees that copy each corpus' layout (the module docstrings
of espnet_mtasr.data.alimeeting / aishell4).

8-channel 16 kHz audio (noise), Praat long-format TextGrids with one IntervalTier per
speaker whose speech overlaps, silence as empty intervals, labels with the corpora's tags
and punctuation, RTTM next to the AISHELL-4 TextGrids.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import numpy as np
import soundfile as sf

from espnet_mtasr.data import meeting

Span = Tuple[float, float, str]

# (tier speaker suffix, spans): overlapping turns of three speakers in 20 s
SESSION_SPEECH: Dict[str, List[Span]] = {
    "F_SPK0093": [(0.5, 3.0, "今天<sil>开会，"), (9.0, 11.5, "好的。")],
    "M_SPK0094": [(2.5, 5.0, "我们讨论ｂ计划"), (13.0, 15.0, "<%>可以")],
    "F_SPK0095": [(4.5, 6.0, "同意"), (14.5, 18.0, "那就这样<sil>吧")],
}
SESSION_SECONDS = 20.0


def textgrid_text(tiers: Dict[str, Sequence[Span]], xmax: float) -> str:
    """The package's TextGrid writer with each tier's spans sorted."""
    return meeting.textgrid_text({k: sorted(v) for k, v in tiers.items()}, xmax)


def write_audio(path: Path, seconds: float, channels: int = 8, seed: int = 0) -> Path:
    """Noise, ``channels`` channels at 16 kHz; format from the suffix (.wav / .flac)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    data = (0.05 * rng.standard_normal((int(seconds * 16000), channels))).astype("float32")
    sf.write(str(path), data if channels > 1 else data[:, 0], 16000, subtype="PCM_16")
    return path


def make_alimeeting_tree(root: Path, flat: bool = False) -> Path:
    """Train (2 sessions), Eval and Test (1 each), far + near; nested or flat eval/test.

    Tier names: ``<session>_F_SPK0093`` in most sessions, ``F_SPK0093`` (the other spelling
    lhotse parses) in the second training session.
    """
    sessions = {
        "Train": ["R0003_M0046", "R0004_M0047"],
        "Eval": ["R8001_M8004"],
        "Test": ["R8003_M8001"],
    }
    for p, (part, ids) in enumerate(sessions.items()):
        for mic in ("far", "near"):
            base = root / f"{part}_Ali_{mic}"
            if part != "Train" and not flat:
                base = root / f"{part}_Ali" / f"{part}_Ali_{mic}"
            for s, sid in enumerate(ids):
                seed = 10 * p + s
                long_names = not (part == "Train" and s == 1)
                if mic == "far":
                    write_audio(base / "audio_dir" / f"{sid}_MS002.wav", SESSION_SECONDS, 8, seed)
                    tiers = {
                        (f"{sid}_{spk}" if long_names else spk): spans
                        for spk, spans in SESSION_SPEECH.items()
                    }
                    grid = base / "textgrid_dir" / f"{sid}.TextGrid"
                    grid.parent.mkdir(parents=True, exist_ok=True)
                    grid.write_text(textgrid_text(tiers, SESSION_SECONDS), encoding="utf-8")
                else:
                    for spk, spans in SESSION_SPEECH.items():
                        name = f"{sid}_{spk}"
                        write_audio(base / "audio_dir" / f"{name}.wav", SESSION_SECONDS, 1, seed)
                        grid = base / "textgrid_dir" / f"{name}.TextGrid"
                        grid.parent.mkdir(parents=True, exist_ok=True)
                        grid.write_text(textgrid_text({name: spans}, SESSION_SECONDS))
    return root


AISHELL4_SESSIONS = {
    "train_L": "20200706_L_R001S01C01",
    "train_M": "20200616_M_R001S01C01",
    "train_S": "20200622_S_R001S01C01",
    "test": "L_R003S01C02",
}


def make_aishell4_tree(root: Path) -> Path:
    """One session in each of the four parts (lhotse needs all four); tiers ``001-M``..."""
    for p, (part, sid) in enumerate(AISHELL4_SESSIONS.items()):
        write_audio(root / part / "wav" / f"{sid}.flac", SESSION_SECONDS, 8, 100 + p)
        tiers = {
            f"{k:03d}-{spk[0]}": spans for k, (spk, spans) in enumerate(SESSION_SPEECH.items(), 1)
        }
        grid_dir = root / part / "TextGrid"
        grid_dir.mkdir(parents=True, exist_ok=True)
        (grid_dir / f"{sid}.TextGrid").write_text(textgrid_text(tiers, SESSION_SECONDS))
        rttm = [
            f"SPEAKER {sid} 1 {s:.4f} {e - s:.4f} <NA> <NA> {name} <NA> <NA>"
            for name, spans in tiers.items()
            for s, e, _ in spans
        ]
        (grid_dir / f"{sid}.rttm").write_text("\n".join(rttm) + "\n")
    return root
