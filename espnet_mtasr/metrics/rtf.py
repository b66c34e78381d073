"""Decoding real-time factor from the ``rtf`` file of a decoding directory.

``espnet_mtasr.bin.mtasr_inference`` writes ``<output_dir>/rtf``, one line per utterance::

    <utt> <audio seconds> <decoding seconds>

(audio seconds ``nan`` for a model without a waveform frontend) and the recipe
concatenates the jobs' files into ``<decode_dir>/rtf``. The decoding seconds are the
wall-clock time of the decoding call of one utterance (not loading the model or the
audio), so the real-time factor Σ decoding / Σ audio is that of one decoding stream;
jobs running side by side do not lower it.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.kaldi_io import check_new_key, read_text_lines

__all__ = ["RTFSummary", "describe_rtf", "format_rtf", "read_rtf"]

_LINE_FORMAT = "'<utt> <audio seconds> <decoding seconds>'"
_FIX = f"mtasr_inference writes {_LINE_FORMAT}, one line per utterance"


@dataclass(frozen=True)
class RTFSummary:
    """Decoding time against audio duration, summed over utterances.

    Args:
        num_utts: utterances (lines of the ``rtf`` file).
        audio_seconds: total audio duration; None when some line has ``nan`` (unknown).
        decode_seconds: total decoding time.
    """

    num_utts: int
    audio_seconds: float | None
    decode_seconds: float

    @property
    def rtf(self) -> float | None:
        """``decode_seconds / audio_seconds`` (None: audio duration unknown or zero)."""
        if not self.audio_seconds:
            return None
        return self.decode_seconds / self.audio_seconds

    def to_dict(self) -> dict[str, Any]:
        """The ``result.json`` keys: ``rtf``, ``rtf_audio_seconds``, ``rtf_decode_seconds``,
        ``rtf_utts`` (inverse of :meth:`from_dict`)."""
        rtf = self.rtf
        return {
            "rtf": None if rtf is None else round(rtf, 6),
            "rtf_audio_seconds": self.audio_seconds,
            "rtf_decode_seconds": self.decode_seconds,
            "rtf_utts": self.num_utts,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RTFSummary | None:
        """Read the keys of :meth:`to_dict` (None if ``d`` has no ``rtf_utts``).

        Raises:
            KeyError, TypeError, ValueError: ``rtf_utts`` without the other keys, or
                values that are not numbers.
        """
        if d.get("rtf_utts") is None:
            return None
        audio = d["rtf_audio_seconds"]
        return cls(
            num_utts=int(d["rtf_utts"]),
            audio_seconds=None if audio is None else float(audio),
            decode_seconds=float(d["rtf_decode_seconds"]),
        )


def format_rtf(summary: RTFSummary) -> str:
    """The real-time factor, four decimals (``-`` when unknown).

    >>> format_rtf(RTFSummary(num_utts=2, audio_seconds=10.0, decode_seconds=1.23456))
    '0.1235'
    >>> format_rtf(RTFSummary(num_utts=2, audio_seconds=None, decode_seconds=1.0))
    '-'
    """
    rtf = summary.rtf
    return "-" if rtf is None else f"{rtf:.4f}"


def _seconds(value: str, what: str, path: Path, lineno: int, allow_nan: bool) -> float:
    try:
        x = float(value)
    except ValueError:
        x = -1.0
    if math.isnan(x):
        if allow_nan:
            return x
    elif math.isfinite(x) and x >= 0:
        return x
    raise MTASRInputError(
        f"{what} {value!r} is not a non-negative number of seconds",
        path=path,
        line=lineno,
        fix=_FIX,
    )


def read_rtf(path: str | Path, utt_ids: Collection[str] | None = None) -> RTFSummary:
    """Sum the ``rtf`` file of a decoding directory.

    Args:
        path: the file (``<utt> <audio seconds> <decoding seconds>`` per line).
        utt_ids: if given, every utterance of the file must be one of these (the
            scored set).

    Raises:
        MTASRInputError: missing, empty or non-UTF-8 file; a line without exactly three
            fields, a negative, infinite or non-numeric time (audio seconds may be
            ``nan``), a duplicate utterance, or one not in ``utt_ids``. The message names
            the file and line.
    """
    path = Path(path)
    lines = read_text_lines(
        path,
        not_found="rtf file not found",
        missing_fix="decode with espnet_mtasr.bin.mtasr_inference (it writes <output_dir>/rtf), "
        "or score without --rtf",
    )
    if not lines:
        raise MTASRInputError(
            "rtf file is empty: no utterance was timed",
            path=path,
            fix="check that decoding finished (every job writes its rtf), or score without --rtf",
        )
    seen: dict[str, int] = {}
    audio: list[float] = []
    decode: list[float] = []
    for lineno, line in enumerate(lines, start=1):
        fields = line.split()
        if len(fields) != 3:
            raise MTASRInputError(
                f"expected {_LINE_FORMAT}, got {line!r}", path=path, line=lineno, fix=_FIX
            )
        utt = fields[0]
        check_new_key(
            seen,
            utt,
            path,
            lineno,
            fix="concatenate the rtf files of one decoding run only (stale job "
            "directories?) and re-run decoding if in doubt",
        )
        if utt_ids is not None and utt not in utt_ids:
            raise MTASRInputError(
                f"utterance {utt!r} is not in the scored set",
                path=path,
                line=lineno,
                fix="give the rtf file of the decoding directory of --hyp",
            )
        audio.append(_seconds(fields[1], "audio duration", path, lineno, allow_nan=True))
        decode.append(_seconds(fields[2], "decoding time", path, lineno, allow_nan=False))
    audio_seconds = None if any(math.isnan(a) for a in audio) else round(math.fsum(audio), 6)
    return RTFSummary(
        num_utts=len(lines),
        audio_seconds=audio_seconds,
        decode_seconds=round(math.fsum(decode), 6),
    )


def describe_rtf(summary: RTFSummary, note: str = "") -> str:
    """One line for logs and ``result.txt``.

    >>> s = RTFSummary(num_utts=250, audio_seconds=1800.2, decode_seconds=222.3)
    >>> describe_rtf(s, "CPU, 2 jobs")
    'Decoding RTF 0.1235 (222.3 s decoding / 1800.2 s audio, 250 utterances; CPU, 2 jobs)'
    """
    if summary.audio_seconds is None:
        audio = "unknown audio duration"
    else:
        audio = f"{summary.audio_seconds:.1f} s audio"
    text = (
        f"Decoding RTF {format_rtf(summary)} ({summary.decode_seconds:.1f} s decoding / "
        f"{audio}, {summary.num_utts} utterances"
    )
    note = " ".join(note.split())
    return text + (f"; {note})" if note else ")")
