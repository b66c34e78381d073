"""Meeting corpora (AliMeeting, AISHELL-4) -> multi-talker Kaldi data dirs.

The corpus-specific modules (:mod:`espnet_mtasr.data.alimeeting`,
:mod:`espnet_mtasr.data.aishell4`) find the sessions of a corpus tree and run lhotse's
recipe on it; this module holds what they share:

- :func:`scan_textgrid`: a strict reading of a Praat long-format TextGrid with line
  numbers. lhotse reads TextGrids with the ``textgrid`` package, which silently drops an
  interval whose end is before its start and skips a whole session on other errors (a
  warning in a long log); the scan runs first and stops on the first problem, naming
  ``file:line``.
- :func:`check_session`: what lhotse does not check: a tier with no speech, and audio
  shorter than its annotations.
- :func:`meeting_windows`: cut a session into windows that never cut a segment: window
  boundaries fall only where nobody speaks, each window is at most ``max_len`` seconds
  (unless one stretch of continuous speech is longer) and holds every speaker's words
  inside it. ``max_len=None`` gives one window per session (session-level scoring, as
  M2MeT 2.0 does).
- :func:`write_meeting_dir`: the data dir: ``wav.scp`` (the first channel, through sox),
  ``segments``, ``text`` (SOT: talkers by first appearance, joined by ``<sc>``),
  ``text_spk1..N``, ``text_spktag`` (segments in start-time order, each with its relative
  speaker tag: the target of speaker-attributed models), ``utt2spk``/``spk2utt`` (the
  session is the "speaker", a prefix of the utterance id), ``utt2num_spk``,
  ``utt2talkers``, ``utt2dur``. Written atomically.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from espnet_mtasr.text.sot import TalkerSegment, sot_join
from espnet_mtasr.text.speaker_tags import spk_tag_serialize
from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.fileio import atomic_dir, read_text, write_kaldi_map

__all__ = [
    "MeetingSession",
    "TextGridInterval",
    "check_session",
    "check_sessions",
    "meeting_windows",
    "scan_textgrid",
    "sessions_from_lhotse",
    "textgrid_text",
    "write_meeting_dir",
]

logger = logging.getLogger(__name__)

# Speech may end this much after the audio (rounding in the annotation tools).
AUDIO_END_TOLERANCE = 0.05


@dataclass(frozen=True)
class TextGridInterval:
    """One interval of an IntervalTier; ``line`` is that of its ``intervals [k]:``."""

    tier: str
    start: float
    end: float
    text: str
    line: int


_FIELD_RE = re.compile(r"^\s*(xmin|xmax|text|name|class)\s*=\s*(.*?)\s*$")
_INTERVAL_RE = re.compile(r"^\s*intervals\s*\[(\d+)\]\s*:\s*$")
_INTERVALS_SIZE_RE = re.compile(r"^\s*intervals\s*:\s*size\s*=\s*(\d+)\s*$")
_ITEM_RE = re.compile(r"^\s*item\s*\[(\d+)\]\s*:\s*$")


def _unquote(value: str, path: Path, line: int) -> str:
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        raise MTASRInputError(f"expected a quoted string, got {value!r}", path=path, line=line)
    return value[1:-1].replace('""', '"')


def _read_text_value(lines: List[str], i: int, value: str, path: Path) -> Tuple[str, int]:
    """A quoted string that may continue over the next lines; returns (text, next index)."""
    start = i
    while value.count('"') % 2 == 1:  # "" is an escaped quote: an odd count is still open
        i += 1
        if i >= len(lines):
            raise MTASRInputError("unterminated text string", path=path, line=start + 1)
        value += "\n" + lines[i].rstrip("\n")
    return _unquote(value.strip(), path, start + 1), i + 1


def scan_textgrid(path: Path) -> Dict[str, List[TextGridInterval]]:
    """Read a Praat long-format TextGrid strictly: IntervalTier name -> its intervals.

    Raises:
        MTASRInputError: naming ``path:line``: not a long-format TextGrid; a missing or
            non-numeric ``xmin``/``xmax``; an interval that ends before it starts, or
            holds text and has no length; intervals of a tier out of order or
            overlapping; fewer or more intervals than the tier's ``size``; a tier name
            used twice.
    """
    path = Path(path)
    lines = read_text(path, "TextGrid").splitlines()
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    if first.replace(" ", "") != 'Filetype="ooTextFile"':
        raise MTASRInputError(
            'not a Praat TextGrid (the first line must be File type = "ooTextFile")',
            path=path,
            line=1,
            fix="save it from Praat as a (long) text file",
        )
    scan = _TextGridScan(path)
    i = 0
    while i < len(lines):
        i = scan.line(lines, i)
    scan.close_tier()
    if not scan.tiers:
        raise MTASRInputError("TextGrid has no IntervalTier", path=path)
    return scan.tiers


class _TextGridScan:
    """The state of :func:`scan_textgrid`: the tiers so far, the tier and interval being
    read. Each method checks what it closes and raises naming ``path:line``."""

    def __init__(self, path: Path):
        self.path = path
        self.tiers: Dict[str, List[TextGridInterval]] = {}
        self.tier_class: Optional[str] = None
        self.tier_name: Optional[str] = None
        self.tier_line = self.size_line = 0
        self.expected_size: Optional[int] = None
        self.current: Optional[Dict] = None  # the interval being read

    def line(self, lines: List[str], i: int) -> int:
        """Read the line at index ``i``; the index of the next one to read."""
        raw, lineno = lines[i], i + 1
        if _ITEM_RE.match(raw):
            self.close_tier()
            self.tier_class = self.tier_name = None
            self.tier_line, self.expected_size = lineno, None
        elif _INTERVALS_SIZE_RE.match(raw):
            self.expected_size = int(_INTERVALS_SIZE_RE.match(raw).group(1))
            self.size_line = lineno
        elif _INTERVAL_RE.match(raw):
            if self.tier_class != "IntervalTier" or self.tier_name is None:
                raise MTASRInputError(
                    "interval outside a named IntervalTier", path=self.path, line=lineno
                )
            self.close_interval()
            self.current = {"line": lineno}
        elif _FIELD_RE.match(raw):
            key, value = _FIELD_RE.match(raw).groups()
            if key == "text":
                text, after = _read_text_value(lines, i, value, self.path)
                if self.current is not None:
                    self.current["text"] = text
                return after
            self.field(key, value, lineno)
        return i + 1

    def field(self, key: str, value: str, lineno: int) -> None:
        """``xmin``/``xmax`` of the interval, or ``class``/``name`` of the tier."""
        if key in ("xmin", "xmax"):
            try:
                number = float(value)
            except ValueError:
                raise MTASRInputError(
                    f"{key} is not a number: {value!r}", path=self.path, line=lineno
                ) from None
            if self.current is not None:
                self.current[key] = number
        elif key == "class" and self.tier_line:
            self.tier_class = _unquote(value, self.path, lineno)
        elif key == "name" and self.tier_line:
            self.tier_name = _unquote(value, self.path, lineno)
            if self.tier_class == "IntervalTier":
                if self.tier_name in self.tiers:
                    raise MTASRInputError(
                        f"tier name {self.tier_name!r} used twice", path=self.path, line=lineno
                    )
                self.tiers[self.tier_name] = []

    def close_interval(self) -> None:
        """Check the interval being read and add it to its tier."""
        current, name = self.current, self.tier_name
        if current is None:
            return
        ln = current["line"]
        for key in ("xmin", "xmax", "text"):
            if key not in current:
                raise MTASRInputError(f"interval without {key}", path=self.path, line=ln)
        start, end, text = current["xmin"], current["xmax"], current["text"]
        if end < start or (end == start and text.strip()):
            raise MTASRInputError(
                f"interval of tier {name!r} ends ({end}) before it starts ({start})"
                if end < start
                else f"interval of tier {name!r} has text {text!r} but no length",
                path=self.path,
                line=ln,
                fix="correct its xmin/xmax",
            )
        previous = self.tiers[name][-1] if self.tiers[name] else None
        if previous is not None and start < previous.end - 1e-6:
            raise MTASRInputError(
                f"interval of tier {name!r} starts at {start}, before the previous "
                f"interval (line {previous.line}) ends at {previous.end}",
                path=self.path,
                line=ln,
                fix="intervals of a tier must be in time order and must not overlap",
            )
        self.tiers[name].append(TextGridInterval(name, start, end, text, ln))
        self.current = None

    def close_tier(self) -> None:
        """Close the tier being read (if any): its last interval and its declared size."""
        if self.tier_name is None:
            return
        self.close_interval()
        if self.tier_class == "IntervalTier" and self.expected_size is not None:
            got = len(self.tiers[self.tier_name])
            if got != self.expected_size:
                raise MTASRInputError(
                    f"tier {self.tier_name!r} declares {self.expected_size} intervals, has {got}",
                    path=self.path,
                    line=self.size_line,
                )


def textgrid_text(tiers: Dict[str, Sequence[Tuple[float, float, str]]], xmax: float) -> str:
    """A Praat long-format TextGrid: one IntervalTier per ``name -> [(start, end, label)]``
    (spans in time order, not overlapping); gaps become empty intervals. Pure."""
    out = [
        'File type = "ooTextFile"', 'Object class = "TextGrid"', "", "xmin = 0 ",
        f"xmax = {float(xmax)} ", "tiers? <exists> ", f"size = {len(tiers)} ", "item []: ",
    ]  # fmt: skip
    for k, (name, spans) in enumerate(tiers.items(), 1):
        intervals: List[Tuple[float, float, str]] = []
        t = 0.0
        for start, end, label in spans:
            if start > t:
                intervals.append((t, start, ""))
            intervals.append((start, end, label))
            t = end
        if t < xmax:
            intervals.append((t, xmax, ""))
        out += [
            f"    item [{k}]:", '        class = "IntervalTier" ', f'        name = "{name}" ',
            "        xmin = 0 ", f"        xmax = {float(xmax)} ",
            f"        intervals: size = {len(intervals)} ",
        ]  # fmt: skip
        for i, (start, end, label) in enumerate(intervals, 1):
            quoted = label.replace('"', '""')
            out += [
                f"        intervals [{i}]:", f"            xmin = {float(start)} ",
                f"            xmax = {float(end)} ", f'            text = "{quoted}" ',
            ]  # fmt: skip
    return "\n".join(out) + "\n"


def check_session(
    textgrid: Path,
    tiers: Dict[str, List[TextGridInterval]],
    audio: Path,
    audio_duration: float,
    is_silence=lambda text: not text.strip(),
) -> None:
    """Checks lhotse does not make, on a scanned TextGrid and its audio.

    Raises:
        MTASRInputError: a tier has no speech (every interval is silence), or speech
            is annotated past the end of the audio.
    """
    last = None
    for name, intervals in tiers.items():
        speech = [iv for iv in intervals if not is_silence(iv.text)]
        if not speech:
            line = intervals[0].line if intervals else None
            raise MTASRInputError(
                f"tier {name!r} has no speech",
                path=textgrid,
                line=line,
                fix="remove the tier, or annotate its speech",
            )
        tier_last = max(speech, key=lambda iv: iv.end)
        if last is None or tier_last.end > last.end:
            last = tier_last
    if last is not None and last.end > audio_duration + AUDIO_END_TOLERANCE:
        raise MTASRInputError(
            f"tier {last.tier!r} has speech until {last.end:.3f} s, but the audio {audio} "
            f"lasts {audio_duration:.3f} s",
            path=textgrid,
            line=last.line,
            fix="the audio is truncated or belongs to another session: re-extract it",
        )


def check_sessions(pairs: Sequence[Tuple[Path, Path]], desc: str, is_silence) -> None:
    """:func:`scan_textgrid` + :func:`check_session` for ``(audio, TextGrid)`` pairs.

    Raises:
        MTASRInputError: an unreadable audio file, or what those two raise.
    """
    import soundfile as sf
    from tqdm import tqdm

    for audio, grid in tqdm(pairs, desc=desc):
        try:
            duration = sf.info(str(audio)).duration
        except RuntimeError as e:
            raise MTASRInputError(f"unreadable audio: {e}", path=audio) from e
        check_session(grid, scan_textgrid(grid), audio, duration, is_silence)


@dataclass(frozen=True)
class MeetingSession:
    """One recording with its speech segments (lhotse supervisions), start-time order."""

    session_id: str
    audio: Path
    duration: float
    segments: Tuple[TalkerSegment, ...]


def sessions_from_lhotse(recordings, supervisions) -> List[MeetingSession]:
    """lhotse ``RecordingSet`` + ``SupervisionSet`` -> sessions (empty texts dropped).

    Raises:
        MTASRInputError: a recording is not a single audio file.
    """
    by_rec: Dict[str, List[TalkerSegment]] = {}
    for sup in supervisions:
        text = (sup.text or "").strip()
        if text:
            by_rec.setdefault(sup.recording_id, []).append(
                TalkerSegment(str(sup.speaker), text, float(sup.start), float(sup.end))
            )
    sessions = []
    for rec in recordings:
        if len(rec.sources) != 1 or rec.sources[0].type != "file":
            raise MTASRInputError(
                f"recording {rec.id}: expected one audio file, got {rec.sources}",
                fix="prepare from the corpus tree (not from a modified manifest)",
            )
        segs = sorted(by_rec.get(rec.id, []), key=lambda s: (s.start, s.end, s.speaker))
        sessions.append(
            MeetingSession(rec.id, Path(rec.sources[0].source), float(rec.duration), tuple(segs))
        )
    return sorted(sessions, key=lambda s: s.session_id)


def meeting_windows(
    segments: Sequence[TalkerSegment], max_len: Optional[float], min_len: float = 0.0
) -> List[Tuple[TalkerSegment, ...]]:
    """Group a session's segments into windows cut only where nobody speaks.

    Args:
        segments: the session's segments (any order).
        max_len: longest window in seconds (first segment start to last segment end);
            ``None``: one window with everything. A stretch of speech without any pause
            that is longer stays whole, as one longer window.
        min_len: windows shorter than this are dropped (e.g. for training).

    Returns:
        The windows, in time order, each its segments in start-time order.
    """
    segs = sorted(segments, key=lambda s: (s.start, s.end, s.speaker))
    if not segs:
        return []
    if max_len is None:
        windows = [tuple(segs)]
    else:
        # islands: maximal runs of overlapping or touching segments
        islands: List[List[TalkerSegment]] = []
        end = float("-inf")
        for s in segs:
            if islands and s.start <= end:
                islands[-1].append(s)
                end = max(end, s.end)
            else:
                islands.append([s])
                end = s.end
        windows, current = [], []
        for island in islands:
            if current and max(x.end for x in current + island) - current[0].start > max_len:
                windows.append(tuple(current))
                current = []
            current = current + island
        windows.append(tuple(current))
    return [w for w in windows if max(s.end for s in w) - w[0].start >= min_len]


def _window_entry(session: MeetingSession, window: Sequence[TalkerSegment], joiner: str):
    start = window[0].start
    end = max(s.end for s in window)
    order: List[str] = []
    for s in window:
        if s.speaker not in order:
            order.append(s.speaker)
    streams = [joiner.join(s.text for s in window if s.speaker == spk) for spk in order]
    talkers = []
    for spk in order:
        mine = [s for s in window if s.speaker == spk]
        talkers.append(f"{spk}:{mine[0].start - start:.3f}:{max(s.end for s in mine) - start:.3f}")
    utt = f"{session.session_id}-{round(start * 100):07d}-{round(end * 100):07d}"
    return utt, start, end, streams, talkers


def write_meeting_dir(
    sessions: Iterable[MeetingSession],
    out_dir: Path,
    max_len: Optional[float],
    min_len: float = 0.0,
    joiner: str = "",
) -> Dict[str, int]:
    """Write the windows of ``sessions`` as one multi-talker Kaldi data dir (atomically).

    Args:
        max_len, min_len: see :func:`meeting_windows`.
        joiner: between two segments of one speaker in ``text_spk*`` (``""`` for
            Mandarin characters, ``" "`` for words).

    Returns:
        Counts: ``sessions``, ``windows``, ``long_windows`` (over ``max_len``).

    Raises:
        MTASRInputError: no window at all (nothing would be written).
    """
    files: Dict[str, Dict[str, str]] = {
        n: {}
        for n in ("wav.scp", "segments", "text", "text_spktag", "utt2spk", "spk2utt")
        + ("utt2num_spk", "utt2talkers", "utt2dur")
    }
    spk_files: Dict[int, Dict[str, str]] = {}
    counts = {"sessions": 0, "windows": 0, "long_windows": 0}
    for session in sessions:
        counts["sessions"] += 1
        windows = meeting_windows(session.segments, max_len, min_len)
        utts = []
        for window in windows:
            utt, start, end, streams, talkers = _window_entry(session, window, joiner)
            if max_len is not None and end - start > max_len:
                counts["long_windows"] += 1
            files["segments"][utt] = f"{session.session_id} {start:.2f} {end:.2f}"
            files["text"][utt] = sot_join(streams)
            files["text_spktag"][utt] = spk_tag_serialize(window)
            for k, stream in enumerate(streams, 1):
                spk_files.setdefault(k, {})[utt] = stream
            files["utt2spk"][utt] = session.session_id
            files["utt2num_spk"][utt] = str(len(streams))
            files["utt2talkers"][utt] = " ".join(talkers)
            files["utt2dur"][utt] = f"{end - start:.3f}"
            utts.append(utt)
        if utts:
            # the first channel (the far-field array's first microphone), as 16-bit wav
            files["wav.scp"][session.session_id] = (
                f"sox {session.audio.resolve()} -t wav -b 16 - remix 1 |"
            )
            files["spk2utt"][session.session_id] = " ".join(sorted(utts))
        counts["windows"] += len(utts)
    if not counts["windows"]:
        raise MTASRInputError(
            f"no speech window to write ({counts['sessions']} sessions)", path=out_dir
        )
    n_max = max(spk_files)
    for k in range(1, n_max + 1):
        files[f"text_spk{k}"] = {u: spk_files.get(k, {}).get(u, "") for u in files["text"]}
    with atomic_dir(Path(out_dir)) as tmp:
        for name, items in files.items():
            write_kaldi_map(tmp / name, items)
    logger.info(
        "%s: %d windows from %d sessions (%d longer than %s s)",
        out_dir,
        counts["windows"],
        counts["sessions"],
        counts["long_windows"],
        max_len,
    )
    return counts
