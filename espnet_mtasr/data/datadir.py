"""Kaldi data directories of multi-talker sets: read, validate, repair, subset, format.

The format is the one in ``CONTRIBUTING.md``: ``wav.scp`` (or ``segments`` + ``wav.scp``
keyed by recording), ``text`` (SOT: talkers joined by ``<sc>``), ``text_spk1..N``,
``utt2spk``/``spk2utt``, ``utt2num_spk``, ``utt2talkers``, ``utt2dur`` and (after stage 3)
``utt2num_samples``. Every file is sorted by id in Python ``sorted`` order (= C locale for
UTF-8) and holds the same id set.

Functions, by recipe stage:

- :func:`validate_data_dir` (any stage; ``bin/validate_data_dir.py``) checks a dir and
  raises :class:`~espnet_mtasr.utils.errors.MTASRInputError` on the first problem, naming
  file, line and fix; ``fix=True`` first runs :func:`fix_data_dir` (sort, drop duplicate
  identical lines, drop ids missing from some file, regenerate ``spk2utt``).
- :func:`format_data_dir` (stage 3; ``bin/format_wav_scp.py``) writes every utterance as
  its own audio file under ``<out_dir>/data/format.<n>/`` (cut by ``segments``, resampled).
- :func:`filter_data_dir` (stage 4; ``bin/filter_data_dir.py``) drops too short / too long
  utterances with :func:`subset_data_dir`.
"""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Sequence, Set, Tuple, Union

import kaldiio
import numpy as np
import soundfile
import soxr
from tqdm import tqdm

from espnet_mtasr.metrics.tokens import MODES as TOKEN_TYPES
from espnet_mtasr.metrics.tokens import tokenize
from espnet_mtasr.text.sot import SC
from espnet_mtasr.utils import kaldi_io
from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.fileio import atomic_dir, atomic_write, write_kaldi_map
from espnet_mtasr.utils.kaldi_io import KaldiLine

__all__ = [
    "AUDIO_FORMATS",
    "DataDirReport",
    "FilterReport",
    "KaldiLine",
    "filter_data_dir",
    "fix_data_dir",
    "format_data_dir",
    "is_per_utt_file",
    "kaldi_files",
    "parse_sample_rate",
    "read_data_dir_file",
    "spk2utt_from_utt2spk",
    "subset_data_dir",
    "utterance_durations",
    "validate_data_dir",
    "wav_path",
]

PathLike = Union[str, Path]

PER_UTT_FILES = ("text", "utt2spk", "utt2num_spk", "utt2talkers", "utt2dur", "utt2num_samples")
"""Files keyed by utterance id (besides ``text_spk<k>`` and ``segments``)."""

CHECKED_FILES = ("wav.scp", "segments", "text", *PER_UTT_FILES[1:], "spk2utt")
"""Files :func:`validate_data_dir` checks (plus every ``text_spk<k>``), in checking order."""

RECORDING_FILES = ("reco2dur", "reco2file_and_channel")
"""Files keyed by recording id (= ``wav.scp`` id)."""

TEXT_SPK_RE = re.compile(r"text_spk([1-9][0-9]*)")

AUDIO_FORMATS = ("wav", "flac")
"""Audio formats :func:`format_data_dir` can write."""

NOT_COPIED_BY_FORMAT = ("wav.scp", "segments", "utt2num_samples", *RECORDING_FILES)
"""Files :func:`format_data_dir` does not copy: it writes a new ``wav.scp`` (one file per
utterance, so ``segments`` and the recording files no longer apply) and ``utt2num_samples``."""

_ARK_RE = re.compile(r"(.+\.ark):[0-9]+")


# --------------------------------------------------------------------------- reading


def read_data_dir_file(path: PathLike, skip_blank: bool = False) -> List[KaldiLine]:
    """Read a Kaldi ``<key> [<value>]`` file of a data dir; the value may be empty.

    Args:
        path: the file.
        skip_blank: ignore blank lines instead of raising.

    Raises:
        MTASRInputError: the file is missing, not UTF-8, or has a blank line.
    """
    path = Path(path)
    return kaldi_io.read_kaldi_lines(
        path,
        skip_blank=skip_blank,
        missing_fix="rerun the stage that writes it",
        blank_message="empty line",
        blank_fix=_fix_hint(path.parent, "it deletes blank lines"),
    )


def kaldi_files(data_dir: PathLike) -> List[str]:
    """Names of the checked Kaldi files present in ``data_dir`` (``text_spk<k>`` by k)."""
    data_dir = Path(data_dir)
    names = [n for n in CHECKED_FILES if (data_dir / n).is_file()]
    spk = []
    for p in data_dir.iterdir():
        m = TEXT_SPK_RE.fullmatch(p.name)
        if m and p.is_file():
            spk.append((int(m.group(1)), p.name))
    return names + [name for _, name in sorted(spk)]


def is_per_utt_file(name: str) -> bool:
    """Whether a data-dir file is keyed by utterance id (Kaldi naming: ``utt2*``, ``text*``)."""
    return name in PER_UTT_FILES or name == "segments" or name.startswith(("utt2", "text"))


def wav_path(value: str) -> str | None:
    """The file a ``wav.scp`` value reads: None for ``cmd |``, ``x.ark`` for ``x.ark:12``."""
    if value.endswith("|"):
        return None
    m = _ARK_RE.fullmatch(value)
    return m.group(1) if m else value


def spk2utt_from_utt2spk(pairs: Iterable[Tuple[str, str]]) -> Dict[str, List[str]]:
    """Invert ``(utt, spk)`` pairs: speaker -> its utterances in Python ``sorted`` order."""
    out: Dict[str, List[str]] = {}
    for utt, spk in pairs:
        out.setdefault(spk, []).append(utt)
    return {spk: sorted(utts) for spk, utts in sorted(out.items())}


def parse_sample_rate(value: Union[str, int]) -> int:
    """Parse a sample rate given as ``16000`` or ``16k`` (ESPnet's ``--fs`` spelling)."""
    text = str(value).strip().lower()
    try:
        rate = float(text[:-1]) * 1000 if text.endswith("k") else float(text)
    except ValueError:
        rate = -1.0
    if rate <= 0 or rate != int(rate):
        raise MTASRInputError(f"invalid sample rate {value!r}", fix="give e.g. 16000 or 16k")
    return int(rate)


def _fix_hint(data_dir: Path, what: str) -> str:
    return f"run `python -m espnet_mtasr.bin.validate_data_dir --fix {data_dir}` ({what})"


def _existing_dir(data_dir: PathLike) -> Path:
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise MTASRInputError("data dir not found", data_dir, fix="run the earlier stages first")
    if not (data_dir / "wav.scp").is_file():
        raise MTASRInputError(
            "wav.scp not found", data_dir / "wav.scp", fix="this is not a Kaldi data dir"
        )
    return data_dir


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class DataDirReport:
    """What :func:`validate_data_dir` checked.

    Args:
        data_dir: the directory.
        num_utts: number of utterances.
        max_talkers: largest talker count (``None`` when no file gives talker counts).
        files: the Kaldi files checked.
        num_audio_checked: wav files whose header (rate, channels) was read.
        num_pipes: ``cmd |`` entries of ``wav.scp`` (not checked).
        fixes: what ``fix=True`` changed.
    """

    data_dir: Path
    num_utts: int
    max_talkers: int | None
    files: Tuple[str, ...]
    num_audio_checked: int
    num_pipes: int
    fixes: Tuple[str, ...] = ()

    def summary(self) -> str:
        """One line for the log."""
        talkers = "" if self.max_talkers is None else f", up to {self.max_talkers} talkers"
        return (
            f"{self.data_dir}: OK: {self.num_utts} utterances{talkers}; "
            f"{len(self.files)} files ({' '.join(self.files)}); "
            f"{self.num_audio_checked} audio headers read, {self.num_pipes} pipe entries"
        )


def validate_data_dir(
    data_dir: PathLike,
    check_audio: bool = True,
    sample_rate: int | None = 16000,
    fix: bool = False,
) -> DataDirReport:
    """Check a (multi-talker) Kaldi data dir; raise on the first problem.

    Checks, in order: every file present is readable, has unique ids and is sorted; every
    per-utterance file has the id set of ``segments`` (or ``wav.scp``); ``segments`` names
    recordings of ``wav.scp``; ``spk2utt`` is the inverse of ``utt2spk``; transcripts are
    not empty; ``utt2num_spk``, the ``<sc>`` streams of ``text``, ``utt2talkers`` and
    ``text_spk<k>`` agree; numbers parse; wav files exist (``cmd |`` pipes are skipped)
    and, with ``check_audio``, are mono at ``sample_rate``.

    Args:
        data_dir: the directory.
        check_audio: read each wav header (sample rate, channels).
        sample_rate: the expected rate; ``None`` accepts any.
        fix: first repair what can be repaired safely (:func:`fix_data_dir`); transcripts
            are never invented, so content errors still raise afterwards.

    Returns:
        A :class:`DataDirReport`.

    Raises:
        MTASRInputError: naming the file, the line and the fix.
    """
    data_dir = _existing_dir(data_dir)
    fixes = tuple(fix_data_dir(data_dir)) if fix else ()
    files = {}
    for name in kaldi_files(data_dir):
        files[name] = read_data_dir_file(data_dir / name)
        _check_unique_sorted(data_dir, name, files[name])
    utts = _check_id_sets(data_dir, files)
    if "segments" in files:
        _check_segments(data_dir, files)
    _check_speakers(data_dir, files)
    max_talkers = _check_talkers(data_dir, files)
    _check_numbers(data_dir, files)
    _check_talker_ends(data_dir, files)
    checked, pipes = _check_audio(data_dir, files["wav.scp"], check_audio, sample_rate)
    return DataDirReport(data_dir, len(utts), max_talkers, tuple(files), checked, pipes, fixes)


def _check_unique_sorted(data_dir: Path, name: str, lines: Sequence[KaldiLine]) -> None:
    path = data_dir / name
    if not lines:
        raise MTASRInputError("file is empty", path, fix="rerun the stage that writes it")
    seen: Dict[str, KaldiLine] = {}
    for ln in lines:
        first = seen.get(ln.key)
        if first is not None:
            fix = (
                _fix_hint(data_dir, "it drops repeated identical lines")
                if first.value == ln.value
                else "keep the right line by hand (--fix cannot choose between them)"
            )
            raise MTASRInputError(
                f"duplicate id '{ln.key}' (also on line {first.line})", path, ln.line, fix=fix
            )
        seen[ln.key] = ln
    for prev, cur in zip(lines, lines[1:]):
        if cur.key < prev.key:
            raise MTASRInputError(
                f"not sorted: '{cur.key}' comes after '{prev.key}'",
                path,
                cur.line,
                fix=_fix_hint(data_dir, "it sorts every file"),
            )


def _utt_file_names(files: Dict[str, List[KaldiLine]]) -> List[str]:
    return [n for n in files if n != "segments" and n != "spk2utt" and is_per_utt_file(n)]


def _check_id_sets(data_dir: Path, files: Dict[str, List[KaldiLine]]) -> List[str]:
    ref = "segments" if "segments" in files else "wav.scp"
    ref_ids = {ln.key: ln.line for ln in files[ref]}
    fix = _fix_hint(data_dir, "it drops ids that are not in every file")
    for name in _utt_file_names(files):
        lines = files[name]
        for ln in lines:
            if ln.key not in ref_ids:
                raise MTASRInputError(
                    f"id '{ln.key}' is not in {ref}", data_dir / name, ln.line, fix
                )
        if len(lines) != len(ref_ids):
            present = {ln.key for ln in lines}
            missing = [key for key in ref_ids if key not in present]
            raise MTASRInputError(
                f"{len(missing)} id(s) of {ref} missing here, e.g. '{missing[0]}' "
                f"({ref} line {ref_ids[missing[0]]})",
                data_dir / name,
                fix=fix,
            )
    return list(ref_ids)


def _check_segments(data_dir: Path, files: Dict[str, List[KaldiLine]]) -> None:
    recordings = {ln.key for ln in files["wav.scp"]}
    path = data_dir / "segments"
    for ln in files["segments"]:
        rec, start, end = _segment_fields(path, ln)
        if rec not in recordings:
            raise MTASRInputError(
                f"recording '{rec}' of segment '{ln.key}' is not in wav.scp",
                path,
                ln.line,
                _fix_hint(data_dir, "it drops such segments"),
            )


def _segment_fields(path: Path, ln: KaldiLine) -> Tuple[str, float, float | None]:
    """``(recording, start, end)`` of a segments line; ``end`` is ``None`` for ``-1``."""
    parts = ln.value.split()
    fix = "lines are `<utt> <recording> <start> <end>` in seconds (end -1: to the end)"
    try:
        if len(parts) != 3:
            raise ValueError
        start, end = float(parts[1]), float(parts[2])
    except ValueError:
        raise MTASRInputError("bad segments line", path, ln.line, fix) from None
    if start < 0 or (end != -1 and end <= start):
        raise MTASRInputError(f"bad segment times {start} {end}", path, ln.line, fix)
    return parts[0], start, (None if end == -1 else end)


def _check_speakers(data_dir: Path, files: Dict[str, List[KaldiLine]]) -> None:
    if "utt2spk" not in files:
        if "spk2utt" in files:
            raise MTASRInputError(
                "spk2utt without utt2spk",
                data_dir / "spk2utt",
                fix="write utt2spk (a mixture is its own speaker: `<utt> <utt>`)",
            )
        return
    for ln in files["utt2spk"]:
        if len(ln.value.split()) != 1:
            raise MTASRInputError(
                "expected `<utt> <speaker>`", data_dir / "utt2spk", ln.line, "fix the corpus prep"
            )
    expected = spk2utt_from_utt2spk((ln.key, ln.value) for ln in files["utt2spk"])
    fix = _fix_hint(data_dir, "it regenerates spk2utt from utt2spk")
    path = data_dir / "spk2utt"
    if "spk2utt" not in files:
        raise MTASRInputError("spk2utt is missing", path, fix=fix)
    for ln in files["spk2utt"]:
        if expected.get(ln.key) != ln.value.split():
            raise MTASRInputError(
                f"speaker '{ln.key}' does not list exactly its utterances of utt2spk",
                path,
                ln.line,
                fix,
            )
    if len(files["spk2utt"]) != len(expected):
        listed = {ln.key for ln in files["spk2utt"]}
        missing = next(spk for spk in expected if spk not in listed)
        raise MTASRInputError(f"speaker '{missing}' of utt2spk is missing", path, fix=fix)


def _text_streams(data_dir: Path, lines: Sequence[KaldiLine]) -> Dict[str, List[str]]:
    """Utterance -> its ``<sc>``-separated talker streams; raise on empty ones."""
    path = data_dir / "text"
    out = {}
    for ln in lines:
        if not ln.value:
            raise MTASRInputError(
                f"empty transcript for '{ln.key}'",
                path,
                ln.line,
                "give the utterance its words or remove it in the corpus prep "
                "(--fix never invents transcripts)",
            )
        streams = [" ".join(part.split()) for part in ln.value.split(SC)]
        for k, stream in enumerate(streams, 1):
            if not stream:
                raise MTASRInputError(
                    f"talker stream {k} of '{ln.key}' is empty ('{SC}' at the start, "
                    f"at the end or twice in a row)",
                    path,
                    ln.line,
                    f"join the talkers' transcripts with ' {SC} ' and drop talkers without words",
                )
        out[ln.key] = streams
    return out


def _parse_number(path: Path, ln: KaldiLine, text: str, kind: type, what: str) -> float:
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value <= 0:
        raise MTASRInputError(
            f"'{ln.key}': {what} must be a positive {kind.__name__}, not '{text}'",
            path,
            ln.line,
            "fix the stage that wrote the file",
        )
    return value


def _talker_fields(data_dir: Path, lines: Sequence[KaldiLine]) -> Dict[str, int]:
    """Utterance -> number of ``<spk>:<start>:<end>`` fields of ``utt2talkers`` (checked)."""
    path = data_dir / "utt2talkers"
    fix = "fields are `<spk>:<start>:<end>` in seconds, in start-time order"
    out = {}
    for ln in lines:
        starts = []
        for field in ln.value.split():
            try:
                spk, start, end = field.rsplit(":", 2)
                times = float(start), float(end)
            except ValueError:
                raise MTASRInputError(f"bad talker field '{field}'", path, ln.line, fix) from None
            if not spk or times[0] < 0 or times[1] < times[0]:
                raise MTASRInputError(f"bad talker field '{field}'", path, ln.line, fix)
            starts.append(times[0])
        if not starts:
            raise MTASRInputError(f"'{ln.key}' has no talkers", path, ln.line, fix)
        if starts != sorted(starts):
            raise MTASRInputError(
                f"'{ln.key}': talkers not in start-time order", path, ln.line, fix
            )
        out[ln.key] = len(starts)
    return out


def _check_talkers(data_dir: Path, files: Dict[str, List[KaldiLine]]) -> int | None:
    """Cross-check talker counts; return the largest one (``None`` if nothing gives one)."""
    counts: Dict[str, int] | None = None
    if "utt2num_spk" in files:
        path = data_dir / "utt2num_spk"
        counts = {
            ln.key: int(_parse_number(path, ln, ln.value, int, "the talker count"))
            for ln in files["utt2num_spk"]
        }
    if "text" in files:
        streams = _text_streams(data_dir, files["text"])
        if counts is None:
            counts = {utt: len(s) for utt, s in streams.items()}
        else:
            _check_counts_agree(data_dir, files, counts, streams)
    else:
        streams = None
    if "utt2talkers" in files:
        fields = _talker_fields(data_dir, files["utt2talkers"])
        if counts is None:
            counts = fields
        _check_talker_fields(data_dir, files["utt2talkers"], counts, fields)
    n_spk_files = _check_text_spk(data_dir, files, counts, streams)
    if counts:
        return max(counts.values())
    return n_spk_files or None


def _check_counts_agree(
    data_dir: Path,
    files: Dict[str, List[KaldiLine]],
    counts: Dict[str, int],
    streams: Dict[str, List[str]],
) -> None:
    text_lines = {ln.key: ln.line for ln in files["text"]}
    for ln in files["utt2num_spk"]:
        n = len(streams[ln.key])
        if counts[ln.key] != n:
            raise MTASRInputError(
                f"'{ln.key}' has {counts[ln.key]} talker(s) but text (line "
                f"{text_lines[ln.key]}) has {n} '{SC}'-separated stream(s)",
                data_dir / "utt2num_spk",
                ln.line,
                f"fix the corpus prep: text joins one stream per talker with ' {SC} '",
            )


def _check_talker_fields(
    data_dir: Path, lines: Sequence[KaldiLine], counts: Dict[str, int], fields: Dict[str, int]
) -> None:
    for ln in lines:
        if fields[ln.key] != counts[ln.key]:
            raise MTASRInputError(
                f"'{ln.key}' lists {fields[ln.key]} talker(s) but utt2num_spk/text give "
                f"{counts[ln.key]}",
                data_dir / "utt2talkers",
                ln.line,
                "fix the corpus prep: one `<spk>:<start>:<end>` field per talker",
            )


def _check_text_spk(
    data_dir: Path,
    files: Dict[str, List[KaldiLine]],
    counts: Dict[str, int] | None,
    streams: Dict[str, List[str]] | None,
) -> int:
    """Check ``text_spk1..N`` against the talker counts and ``text``; return N."""
    ks = [int(m.group(1)) for m in map(TEXT_SPK_RE.fullmatch, files) if m]
    if not ks:
        return 0
    fix = (
        "fix the corpus prep: text_spk<k> holds the k-th talker (start-time order) and is "
        "empty only for utterances with fewer than k talkers"
    )
    gap = next((k for k in range(1, max(ks) + 1) if k not in ks), None)
    if gap is not None:
        raise MTASRInputError(
            f"missing while text_spk{max(ks)} exists", data_dir / f"text_spk{gap}", fix=fix
        )
    n_files = max(ks)
    values = {k: {ln.key: ln for ln in files[f"text_spk{k}"]} for k in ks}
    if counts is None:
        counts = {utt: _leading_nonempty(values, utt, n_files) for utt in values[1]}
    over = next((u for u, n in counts.items() if n > n_files), None)
    if over is not None:
        raise MTASRInputError(
            f"missing: '{over}' has {counts[over]} talkers",
            data_dir / f"text_spk{n_files + 1}",
            fix=fix,
        )
    for k in ks:
        for utt, ln in values[k].items():
            _check_text_spk_line(data_dir / f"text_spk{k}", k, ln, counts[utt], streams, fix)
    return n_files


def _leading_nonempty(values: Dict[int, Dict[str, KaldiLine]], utt: str, n_files: int) -> int:
    n = 0
    while n < n_files and values[n + 1][utt].value:
        n += 1
    return n


def _check_text_spk_line(
    path: Path,
    k: int,
    ln: KaldiLine,
    n_talkers: int,
    streams: Dict[str, List[str]] | None,
    fix: str,
) -> None:
    if k <= n_talkers and not ln.value:
        what = "empty transcript" if n_talkers == 0 else f"empty transcript of talker {k}"
        raise MTASRInputError(f"{what} for '{ln.key}' ({n_talkers} talkers)", path, ln.line, fix)
    if k > n_talkers and ln.value:
        raise MTASRInputError(
            f"'{ln.key}' has {n_talkers} talker(s), so text_spk{k} must be empty",
            path,
            ln.line,
            fix,
        )
    if streams is not None and ln.value and ln.value.split() != streams[ln.key][k - 1].split():
        raise MTASRInputError(
            f"'{ln.key}': differs from talker stream {k} of text", path, ln.line, fix
        )


def _check_numbers(data_dir: Path, files: Dict[str, List[KaldiLine]]) -> None:
    for name, kind, what in (
        ("utt2dur", float, "the duration"),
        ("utt2num_samples", int, "the length"),
    ):
        for ln in files.get(name, []):
            _parse_number(data_dir / name, ln, ln.value, kind, what)


# utt2dur and utt2talkers are written with 3 decimals; a talker may end this much late
TALKER_END_TOLERANCE = 0.011


def _check_talker_ends(data_dir: Path, files: Dict[str, List[KaldiLine]]) -> None:
    """No talker of ``utt2talkers`` ends after its utterance (``utt2dur``, else ``segments``)."""
    if "utt2talkers" not in files:
        return
    if "utt2dur" in files:
        source = "utt2dur"
        durations = {ln.key: float(ln.value) for ln in files["utt2dur"]}
    elif "segments" in files:
        source = "segments"
        durations = {}
        for ln in files["segments"]:
            _, start, end = _segment_fields(data_dir / "segments", ln)
            if end is not None:
                durations[ln.key] = end - start
    else:
        return
    for ln in files["utt2talkers"]:
        if ln.key not in durations:
            continue
        for field in ln.value.split():
            end = float(field.rsplit(":", 1)[1])
            if end > durations[ln.key] + TALKER_END_TOLERANCE:
                raise MTASRInputError(
                    f"'{ln.key}': talker field '{field}' ends at {end} s, after the "
                    f"utterance's {durations[ln.key]:.3f} s ({source})",
                    data_dir / "utt2talkers",
                    ln.line,
                    "fix the corpus prep: clip talker end times to the utterance "
                    "(or the offsets/durations it read are wrong)",
                )


def _check_audio(
    data_dir: Path, lines: Sequence[KaldiLine], read_headers: bool, sample_rate: int | None
) -> Tuple[int, int]:
    """Check the files of ``wav.scp``; return (headers read, pipe entries)."""
    path = data_dir / "wav.scp"
    entries = [(ln, wav_path(ln.value)) for ln in lines]
    on_disk = [(ln, p) for ln, p in entries if p is not None]
    missing = [ln for ln, p in on_disk if not os.path.isfile(p)]
    if missing:
        more = f" (and {len(missing) - 1} more missing)" if len(missing) > 1 else ""
        raise MTASRInputError(
            f"wav file not found: {missing[0].value}{more}",
            path,
            missing[0].line,
            "correct the path (relative paths are read from the current directory, "
            "normally the recipe dir) or rerun the corpus prep",
        )
    n_read = 0
    if read_headers:
        for ln, p in on_disk:
            if p == ln.value:  # not an ark entry
                _check_header(path, ln, sample_rate)
                n_read += 1
    return n_read, len(entries) - len(on_disk)


def _check_header(path: Path, ln: KaldiLine, sample_rate: int | None) -> None:
    try:
        info = soundfile.info(ln.value)
    except (RuntimeError, OSError, soundfile.SoundFileError) as e:
        raise MTASRInputError(
            f"cannot read audio {ln.value}: {e}", path, ln.line, "replace the broken file"
        ) from None
    if sample_rate is not None and info.samplerate != sample_rate:
        raise MTASRInputError(
            f"{ln.value} has sample rate {info.samplerate} Hz, expected {sample_rate}",
            path,
            ln.line,
            f"use the {sample_rate // 1000}k copy of the corpus, resample "
            f"(`sox in.wav -r {sample_rate} out.wav`), or pass --sample_rate "
            f"{info.samplerate} if that rate is intended",
        )
    if info.channels != 1:
        raise MTASRInputError(
            f"{ln.value} has {info.channels} channels, expected mono",
            path,
            ln.line,
            f"pick one channel in wav.scp, e.g. `{ln.key} sox {ln.value} -t wav - remix 1 |`",
        )


# --------------------------------------------------------------------------- repair


def fix_data_dir(data_dir: PathLike) -> List[str]:
    """Repair what can be repaired safely; return what was done.

    Sorts every checked file, drops blank and repeated identical lines, drops utterances that are
    not in every per-utterance file (and segments whose recording is not in ``wav.scp``;
    the count is printed to stderr) and regenerates ``spk2utt`` from ``utt2spk``. All new
    contents are computed before anything is written; each file is replaced atomically.
    Transcripts are never invented.

    Raises:
        MTASRInputError: an id appears twice with different values (cannot choose).
    """
    data_dir = _existing_dir(data_dir)
    names = kaldi_files(data_dir)
    regenerate_spk2utt = "utt2spk" in names
    files = {}
    for name in names:
        if not (name == "spk2utt" and regenerate_spk2utt):
            lines = read_data_dir_file(data_dir / name, skip_blank=True)
            files[name] = _sorted_unique(data_dir / name, lines)
    dropped = _keep_common_ids(files)
    if not files["wav.scp"] or ("segments" in files and not files["segments"]):
        raise MTASRInputError(
            "no utterance is in every file; --fix would leave nothing",
            data_dir,
            fix="rerun the corpus prep",
        )
    if regenerate_spk2utt:
        spk2utt = spk2utt_from_utt2spk((ln.key, ln.value) for ln in files["utt2spk"])
        files["spk2utt"] = [KaldiLine(s, " ".join(u), 0) for s, u in spk2utt.items()]
    rendered = {name: _render(lines) for name, lines in files.items()}
    changed = [n for n, text in rendered.items() if _read_or_none(data_dir / n) != text]
    for name in changed:
        with atomic_write(data_dir / name) as f:
            f.write(rendered[name])
    actions = []
    if dropped:
        actions.append(
            f"{data_dir}: dropped {len(dropped)} utterance(s) not present in every file "
            f"(e.g. {', '.join(dropped[:3])})"
        )
        print(actions[-1], file=sys.stderr)
    if changed:
        actions.append(f"{data_dir}: rewrote {' '.join(changed)}")
    return actions


def _sorted_unique(path: Path, lines: Sequence[KaldiLine]) -> List[KaldiLine]:
    out: List[KaldiLine] = []
    for ln in sorted(lines, key=lambda x: x.key):
        if out and out[-1].key == ln.key:
            if out[-1].value != ln.value:
                raise MTASRInputError(
                    f"id '{ln.key}' appears twice with different values (lines "
                    f"{out[-1].line} and {ln.line})",
                    path,
                    ln.line,
                    "keep the right line by hand (--fix cannot choose between them)",
                )
            continue
        out.append(ln)
    return out


def _keep_common_ids(files: Dict[str, List[KaldiLine]]) -> List[str]:
    """Keep only ids present in every per-utterance file; return the dropped ids."""
    ref = "segments" if "segments" in files else "wav.scp"
    names = [ref, *_utt_file_names(files)]
    id_sets = [{ln.key for ln in files[n]} for n in names]
    common = set.intersection(*id_sets)
    if ref == "segments":
        recordings = {ln.key for ln in files["wav.scp"]}
        rec_of = {ln.key: ln.value.split()[0] if ln.value else "" for ln in files["segments"]}
        common = {utt for utt in common if rec_of[utt] in recordings}
    dropped = sorted(set.union(*id_sets) - common)
    for name in names:
        files[name] = [ln for ln in files[name] if ln.key in common]
    return dropped


def _render(lines: Iterable[KaldiLine]) -> str:
    return "".join(f"{ln.key} {ln.value}\n" if ln.value else f"{ln.key}\n" for ln in lines)


def _read_or_none(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


# --------------------------------------------------------------------------- subsets


def subset_data_dir(in_dir: PathLike, out_dir: PathLike, keep: Set[str]) -> int:
    """Copy the utterances ``keep`` of ``in_dir`` into the existing directory ``out_dir``.

    Per-utterance files (``text*``, ``utt2*``, ``segments``) keep the lines of ``keep``;
    ``wav.scp`` (and ``reco2*``) keep the recordings still used; ``spk2utt`` is regenerated
    and ``spk2gender`` keeps the speakers still used; other files are copied as they are.
    Sub-directories (e.g. the audio of a dump dir) are not copied. Lines are copied
    verbatim, so the order stays sorted.

    Returns:
        The number of utterances written.
    """
    in_dir, out_dir = Path(in_dir), Path(out_dir)
    names = sorted(p.name for p in in_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    for name in names:
        if is_per_utt_file(name):
            _filter_lines(in_dir / name, out_dir / name, keep)
    recordings = _used_recordings(out_dir, keep)
    speakers = None
    if (out_dir / "utt2spk").is_file():
        pairs = [(ln.key, ln.value) for ln in read_data_dir_file(out_dir / "utt2spk")]
        spk2utt = spk2utt_from_utt2spk(pairs)
        write_kaldi_map(out_dir / "spk2utt", {s: " ".join(u) for s, u in spk2utt.items()})
        speakers = set(spk2utt)
    for name in names:
        if name == "wav.scp" or name in RECORDING_FILES:
            _filter_lines(in_dir / name, out_dir / name, recordings)
        elif name == "spk2gender" and speakers is not None:
            _filter_lines(in_dir / name, out_dir / name, speakers)
        elif not is_per_utt_file(name) and name not in ("spk2utt", "spk2gender"):
            shutil.copy2(in_dir / name, out_dir / name)
    return len(keep)


def _used_recordings(out_dir: Path, keep: Set[str]) -> Set[str]:
    if not (out_dir / "segments").is_file():
        return keep
    return {ln.value.split()[0] for ln in read_data_dir_file(out_dir / "segments")}


def _filter_lines(src: Path, dst: Path, keys: Set[str]) -> None:
    with src.open(encoding="utf-8") as f, atomic_write(dst) as g:
        for raw in f:
            parts = raw.split(maxsplit=1)
            if parts and parts[0] in keys:
                g.write(raw if raw.endswith("\n") else raw + "\n")


@dataclass(frozen=True)
class FilterReport:
    """Counts of :func:`filter_data_dir`."""

    total: int
    kept: int
    too_short: int
    too_long: int
    too_many_tokens: int

    def summary(self) -> str:
        """One line for the log."""
        return (
            f"removed {self.total - self.kept} of {self.total} utterances "
            f"({self.too_short} too short, {self.too_long} too long, "
            f"{self.too_many_tokens} with too many tokens); {self.kept} left"
        )


def utterance_durations(data_dir: PathLike, fs: int = 16000) -> Dict[str, float]:
    """Utterance -> seconds, from ``utt2num_samples`` (divided by ``fs``) or ``utt2dur``."""
    data_dir = Path(data_dir)
    for name, kind, divisor in (("utt2num_samples", int, fs), ("utt2dur", float, 1)):
        path = data_dir / name
        if path.is_file():
            lines = read_data_dir_file(path)
            return {ln.key: _parse_number(path, ln, ln.value, kind, "it") / divisor for ln in lines}
    raise MTASRInputError(
        "neither utt2num_samples nor utt2dur found",
        data_dir,
        fix="run stage 3 (format_wav_scp writes utt2num_samples) or write utt2dur in the prep",
    )


def filter_data_dir(
    in_dir: PathLike,
    out_dir: PathLike,
    min_dur: float = 0.1,
    max_dur: float = 30.0,
    fs: int = 16000,
    max_tokens: int | None = None,
    token_type: str = "word",
) -> FilterReport:
    """Write ``in_dir`` without utterances outside ``[min_dur, max_dur]`` seconds to ``out_dir``.

    Args:
        in_dir: a valid data dir (checked first, audio headers not read).
        out_dir: replaced atomically (it appears complete or not at all).
        min_dur: shortest kept duration in seconds.
        max_dur: longest kept duration in seconds.
        fs: sample rate that turns ``utt2num_samples`` into seconds.
        max_tokens: also drop utterances whose ``text`` has more tokens (``None``: no limit).
        token_type: ``word`` or ``char`` (see :mod:`espnet_mtasr.metrics.tokens`: ``<sc>``
            is one token, spaces are not tokens).

    Raises:
        MTASRInputError: bad options, an invalid ``in_dir``, or no utterance left.
    """
    if not 0 <= min_dur < max_dur:
        raise MTASRInputError(f"need 0 <= --min_dur < --max_dur, got {min_dur} and {max_dur}")
    if token_type not in TOKEN_TYPES:
        raise MTASRInputError(
            f"--token_type must be one of {', '.join(TOKEN_TYPES)}, not {token_type!r}"
        )
    in_dir = Path(in_dir)
    validate_data_dir(in_dir, check_audio=False)
    durs = utterance_durations(in_dir, fs)
    short = {u for u, d in durs.items() if d < min_dur}
    long_ = {u for u, d in durs.items() if d > max_dur}
    too_many: Set[str] = set()
    if max_tokens is not None:
        texts = read_data_dir_file(in_dir / "text")
        too_many = {ln.key for ln in texts if len(tokenize(ln.value, token_type)) > max_tokens}
    keep = set(durs) - short - long_ - too_many
    if not keep:
        raise MTASRInputError(
            f"all {len(durs)} utterances would be removed",
            in_dir,
            fix="check --min_dur/--max_dur/--max_tokens and --fs",
        )
    with atomic_dir(out_dir) as tmp:
        subset_data_dir(in_dir, tmp, keep)
    return FilterReport(
        len(durs), len(keep), len(short), len(long_ - short), len(too_many - short - long_)
    )


# --------------------------------------------------------------------------- formatting


@dataclass(frozen=True)
class _Cut:
    """One output utterance: ``[start, end)`` seconds of a recording (``end`` None: to the end)."""

    utt: str
    start: float
    end: float | None
    write_path: str


@dataclass(frozen=True)
class _AudioJob:
    """One ``wav.scp`` entry (read once) and the utterances cut from it."""

    source: str
    scp: str
    line: int
    cuts: Tuple[_Cut, ...]


def format_data_dir(
    in_dir: PathLike,
    out_dir: PathLike,
    nj: int = 1,
    audio_format: str = "wav",
    fs: int = 16000,
    progress: bool = True,
) -> int:
    """Stage 3: write each utterance of ``in_dir`` as one audio file of ``out_dir``.

    Reads every ``wav.scp`` entry (a path, a ``cmd |`` pipe run by bash, or a Kaldi wav
    ark entry ``x.ark:123``), cuts it by
    ``segments`` if present, resamples to ``fs`` (soxr) and writes 16-bit PCM
    ``out_dir/data/format.<n>/<utt>.<audio_format>`` (``n`` = 1..nj, contiguous blocks
    of the sorted utterances). ``out_dir`` gets the other Kaldi files of ``in_dir``, a new
    ``wav.scp`` (paths ``out_dir/data/...`` spelled as ``out_dir`` was given, so relative
    to the recipe dir when it is relative), ``utt2num_samples``, and ESPnet's
    ``audio_format`` and ``feats_type`` (``raw``) files.

    Re-running rebuilds ``out_dir`` from scratch; it is replaced atomically, so it is
    either the old complete dir or the new complete dir, never a half-written one.

    Args:
        in_dir: a valid data dir (checked first, without reading audio headers).
        out_dir: e.g. ``dump/raw/org/train``.
        nj: worker processes.
        audio_format: ``wav`` or ``flac``.
        fs: output sample rate.
        progress: show a tqdm bar on stderr.

    Returns:
        The number of utterances written.

    Raises:
        MTASRInputError: bad options, an invalid ``in_dir``, a failing pipe, unreadable or
            multi-channel audio, or an empty cut.
    """
    if audio_format not in AUDIO_FORMATS:
        raise MTASRInputError(
            f"--audio_format must be one of {', '.join(AUDIO_FORMATS)}, not {audio_format!r}"
        )
    if nj < 1 or fs < 1:
        raise MTASRInputError(f"--nj and --fs must be positive, got {nj} and {fs}")
    in_dir, out_dir = Path(in_dir), Path(out_dir)
    if out_dir.resolve() == in_dir.resolve():
        raise MTASRInputError("--out_dir must differ from --in_dir", out_dir)
    validate_data_dir(in_dir, check_audio=False)
    with atomic_dir(out_dir) as tmp:
        jobs, final = _plan_jobs(in_dir, out_dir, tmp, audio_format, nj)
        worker = partial(_format_job, fs=fs, audio_format=audio_format)
        num_samples = _run_jobs(worker, jobs, nj, progress, total=len(final))
        for name in sorted(p.name for p in in_dir.iterdir() if p.is_file()):
            if name not in NOT_COPIED_BY_FORMAT and not name.startswith("."):
                shutil.copy2(in_dir / name, tmp / name)
        write_kaldi_map(tmp / "wav.scp", final)
        write_kaldi_map(tmp / "utt2num_samples", {u: str(n) for u, n in num_samples.items()})
        for name, value in (("audio_format", audio_format), ("feats_type", "raw")):
            with atomic_write(tmp / name) as f:
                f.write(value + "\n")
    return len(final)


def _plan_jobs(
    in_dir: Path, out_dir: Path, tmp: Path, audio_format: str, nj: int
) -> Tuple[List[_AudioJob], Dict[str, str]]:
    """Group utterances by ``wav.scp`` entry; return the jobs and utt -> final path."""
    wav_lines = read_data_dir_file(in_dir / "wav.scp")
    if (in_dir / "segments").is_file():
        segments = {}
        for ln in read_data_dir_file(in_dir / "segments"):
            rec, start, end = _segment_fields(in_dir / "segments", ln)
            segments[ln.key] = (rec, start, end)
    else:
        segments = {ln.key: (ln.key, 0.0, None) for ln in wav_lines}
    utts = sorted(segments)
    n_shards = min(nj, len(utts))
    final: Dict[str, str] = {}
    cuts: Dict[str, List[_Cut]] = {}
    for i, utt in enumerate(utts):
        if "/" in utt:
            raise MTASRInputError(f"utterance id '{utt}' contains '/'", in_dir / "wav.scp")
        rel = Path("data") / f"format.{i * n_shards // len(utts) + 1}" / f"{utt}.{audio_format}"
        final[utt] = os.path.join(str(out_dir), str(rel))
        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
        rec, start, end = segments[utt]
        cuts.setdefault(rec, []).append(_Cut(utt, start, end, str(tmp / rel)))
    scp = str(in_dir / "wav.scp")
    jobs = [
        _AudioJob(ln.value, scp, ln.line, tuple(cuts[ln.key])) for ln in wav_lines if ln.key in cuts
    ]
    return jobs, final


def _run_jobs(
    worker: Callable[[_AudioJob], Dict[str, int]],
    jobs: Sequence[_AudioJob],
    nj: int,
    progress: bool,
    total: int,
) -> Dict[str, int]:
    """Run ``worker`` on every job (in ``nj`` processes when ``nj > 1``); merge the results."""
    out: Dict[str, int] = {}
    with tqdm(total=total, desc="format_wav_scp", unit="utt", disable=not progress) as bar:
        if nj == 1 or len(jobs) == 1:
            for job in jobs:
                out.update(worker(job))
                bar.update(len(job.cuts))
            return out
        executor: Executor = ProcessPoolExecutor(max_workers=min(nj, len(jobs)))
        try:
            chunk = max(1, len(jobs) // (nj * 8))
            for job, result in zip(jobs, executor.map(worker, jobs, chunksize=chunk)):
                out.update(result)
                bar.update(len(job.cuts))
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
    return out


def _format_job(job: _AudioJob, fs: int, audio_format: str) -> Dict[str, int]:
    """Read, cut, resample and write the utterances of one job; return utt -> samples."""
    out = {}
    try:
        for cut, wave, rate in _read_cuts(job):
            out[cut.utt] = _write_cut(job, cut, wave, rate, fs, audio_format)
    except MTASRInputError:
        raise
    except (RuntimeError, OSError, ValueError, soundfile.SoundFileError) as e:
        raise MTASRInputError(
            f"cannot read audio of '{job.source}': {e}", job.scp, job.line, "fix the entry"
        ) from None
    return out


def _read_cuts(job: _AudioJob) -> Iterator[Tuple[_Cut, np.ndarray, int]]:
    """Yield ``(cut, (T, C) float32 samples, rate)``; plain files are read cut by cut."""
    if job.source.endswith("|") or wav_path(job.source) != job.source:
        wave, rate = _read_whole(job)
        for cut in job.cuts:
            stop = len(wave) if cut.end is None else int(cut.end * rate)
            yield cut, wave[int(cut.start * rate) : stop], rate
        return
    with soundfile.SoundFile(job.source) as f:
        for cut in job.cuts:
            start = min(int(cut.start * f.samplerate), f.frames)
            stop = f.frames if cut.end is None else min(int(cut.end * f.samplerate), f.frames)
            f.seek(start)
            yield cut, f.read(max(stop - start, 0), dtype="float32", always_2d=True), f.samplerate


def _read_whole(job: _AudioJob) -> Tuple[np.ndarray, int]:
    """Read a ``cmd |`` pipe or a Kaldi wav ark entry (``x.ark:123``) as (T, C) float32."""
    if job.source.endswith("|"):
        return soundfile.read(io.BytesIO(_run_pipe(job)), dtype="float32", always_2d=True)
    loaded = kaldiio.load_mat(job.source)
    if not isinstance(loaded, tuple):
        raise MTASRInputError(
            "the ark entry holds features, not audio", job.scp, job.line, "give a wav ark"
        )
    rate, wave = loaded
    scale = 32768.0 if wave.dtype == np.int16 else 1.0
    return (wave.astype(np.float32) / scale).reshape(len(wave), -1), int(rate)


def _run_pipe(job: _AudioJob) -> bytes:
    cmd = job.source[:-1].strip()
    proc = subprocess.run(["bash", "-c", f"set -o pipefail; {cmd}"], capture_output=True)
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise MTASRInputError(
            f"command failed with exit code {proc.returncode}: {' / '.join(tail)}",
            job.scp,
            job.line,
            "run the command by hand to see why",
        )
    return proc.stdout


def _write_cut(
    job: _AudioJob, cut: _Cut, wave: np.ndarray, rate: int, fs: int, audio_format: str
) -> int:
    if wave.shape[1] != 1:
        raise MTASRInputError(
            f"'{job.source}' has {wave.shape[1]} channels, expected mono",
            job.scp,
            job.line,
            "pick one channel in wav.scp, e.g. `<id> sox <file> -t wav - remix 1 |`",
        )
    if len(wave) == 0:
        raise MTASRInputError(
            f"utterance '{cut.utt}' is empty (segment past the end of the audio?)",
            job.scp,
            job.line,
            "fix segments or remove the utterance",
        )
    if rate != fs:
        wave = soxr.resample(wave, rate, fs)
    wave = np.clip(wave[:, 0], -1.0, 32767 / 32768)
    soundfile.write(cut.write_path, wave, fs, subtype="PCM_16", format=audio_format.upper())
    return len(wave)
