"""LibriMix (+ LibriSpeech transcripts) -> multi-talker Kaldi data dir with SOT text.

Reads the metadata CSVs written by LibriMix's ``create_librimix_from_metadata.py``::

    <librimix_root>/Libri{n}Mix/wav{sr}/{mode}/metadata/mixture_<subset>_<type>.csv

(columns ``mixture_ID,mixture_path,source_1_path,..[,noise_path],length``, as the
LibriMix scripts write them) and the LibriSpeech transcripts of the source utterances
(the ids in ``mixture_ID``, joined by ``_`` in source order).

Talker start times (seconds), in this order of precedence:

1. ``offset_metadata`` (``prep_librimix --offset_metadata DIR``): the generation metadata
   of ESPnet's ``egs2/librimix/sot_asr1``. That recipe (``local/data.sh``, stage 1) patches
   LibriMix's ``create_librimix_from_metadata.py`` (``local/create_librimix_from_metadata.patch``)
   and generates the mixtures from its own CSVs in ``local/metadta_Libri2Mix_offset/``
   (ESPnet's spelling; linked as ``data/LibriMix/metadata/Libri2Mix_offset``), one per
   LibriSpeech subset: ``libri2mix_{dev-clean,test-clean,train-clean-100,train-clean-360}.csv``
   with columns ``mixture_ID,source_1_path,source_1_gain,source_2_path,source_2_gain,
   noise_path,noise_gain,offset``. LibriMix names its output subset after that file
   (``libri{n}mix_`` and ``-clean`` removed: ``train-clean-100`` -> ``train-100``), so
   ``DIR/libri{n}mix_<name>.csv`` is the file whose name gives ``subset`` by that rule.
   The patch left-pads every source after the first (``if i > 0``) with
   ``int(offset * 16000)`` zero samples, at LibriSpeech's 16 kHz, before gains, resampling
   to ``wav8k``/``wav16k`` and the ``max``/``min`` length fitting: source 1 starts at 0,
   sources 2..n at ``int(offset * 16000) / 16000`` s, whatever the output rate. The mixture
   CSVs of that tree (under ``data/LibriMix/libri_mix_single_offset/``) have no offset
   column. Rows are joined by ``mixture_ID``; a mixture without a row is an error.
2. Offset columns of the mixture CSV: ``offset`` (seconds; source 2 starts there, source 1
   at 0; 2-source CSVs only) or per-source ``source_<k>_offset`` (seconds; what
   :func:`espnet_mtasr.data.mixture.simulate_librimix` writes). With ``offset_metadata``
   as well, they must agree with it to one 16 kHz sample (else an error naming both
   files); the offset metadata's value is used.
3. Neither: every talker starts at 0, as in LibriMix proper (JorisCos/LibriMix, fully
   overlapped), and one info line says so. A tree that ESPnet ``sot_asr1`` generated
   (its output folder ``libri_mix_single_offset``, or a ``metadata/Libri<n>Mix_offset``
   folder beside the root) is an error instead, naming ``--offset_metadata``.

Talkers are ordered by start time, ties by source order. ``mix_single`` has one talker,
source 1, at 0. A talker ends at start + the duration of its LibriSpeech flac (if the flac
is present, else at the end of the mixture), clipped to the mixture length.

Both kinds of CSV are read strictly: UTF-8 (a byte-order mark is allowed), a header and
at least one row, as many fields per row as the header, no empty offset cell; errors name
the file and line.

Output (see CONTRIBUTING.md): ``wav.scp text text_spk1..N utt2spk spk2utt utt2num_spk
utt2talkers utt2dur``, utterance ids ``<k>spk-<mixture_ID>``, written atomically.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import soundfile as sf
from tqdm import tqdm

from espnet_mtasr.data.librispeech import LibriSpeechUtterance, index_librispeech
from espnet_mtasr.text.sot import TalkerSegment, sot_serialize
from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.fileio import atomic_dir, read_text, write_kaldi_map

__all__ = [
    "MIX_TYPES",
    "MixtureEntry",
    "OffsetMetadata",
    "index_transcripts",
    "librimix_csv_path",
    "offset_csv_path",
    "parse_source_spec",
    "prepare_librimix",
    "read_librimix_csv",
    "read_offset_csv",
    "write_multitalker_dir",
]

logger = logging.getLogger(__name__)

PathLike = Union[str, Path]

MIX_TYPES = ("mix_clean", "mix_both", "mix_single")
SAMPLE_RATES = {"8k": 8000, "16k": 16000}
MODES = ("max", "min")
_LIBRIMIX_DIR = re.compile(r"Libri\dMix")
ESPNET_OFFSET_RATE = 16000
"""The sot_asr1 patch delays sources by ``int(offset * 16000)`` samples at this rate."""
_SOT_ASR1_OUTDIR = "libri_mix_single_offset"  # sot_asr1's --librimix_outdir
_SOT_ASR1_OFFSETS = "<espnet>/egs2/librimix/sot_asr1/local/metadta_Libri2Mix_offset"


@dataclass(frozen=True)
class MixtureEntry:
    """One utterance of the output data dir.

    Attributes:
        utt_id: ``<k>spk-<mixture_ID>``.
        wav: absolute path of the mixture wav.
        duration: mixture length in seconds.
        talkers: one segment per talker in start-time order (ties: source order);
            ``speaker`` is the LibriSpeech speaker id, times in seconds.
        csv_path: the metadata CSV it came from.
        line: its 1-based line in ``csv_path``.
    """

    utt_id: str
    wav: Path
    duration: float
    talkers: Tuple[TalkerSegment, ...]
    csv_path: Path
    line: int


def librimix_csv_path(
    librimix_root: PathLike,
    n_src: int,
    subset: str,
    mix_type: str,
    sample_rate: str = "16k",
    mode: str = "max",
) -> Path:
    """``<root>/Libri{n}Mix/wav{sr}/{mode}/metadata/mixture_<subset>_<type>.csv``."""
    return (
        Path(librimix_root)
        / f"Libri{n_src}Mix"
        / f"wav{sample_rate}"
        / mode
        / "metadata"
        / f"mixture_{subset}_{mix_type}.csv"
    )


def parse_source_spec(spec: str) -> Tuple[int, str]:
    """``"2:mix_clean"`` -> ``(2, "mix_clean")``.

    Raises:
        ValueError: not ``<n_src>:<type>`` with n_src >= 1 and a type in :data:`MIX_TYPES`.
    """
    n, sep, mix_type = spec.partition(":")
    if not sep or not n.isdigit() or int(n) < 1 or mix_type not in MIX_TYPES:
        raise ValueError(
            f"bad source {spec!r}: use <n_src>:<type> with type one of {list(MIX_TYPES)}, "
            f"e.g. 2:mix_clean"
        )
    return int(n), mix_type


def _resolve_wav(raw: str, librimix_root: Path, canonical: Path) -> Tuple[Path | None, List[Path]]:
    """Find a CSV path on this machine.

    Tries the path as written (relative paths: under ``librimix_root``), then its tail
    from the ``Libri<n>Mix`` component under ``librimix_root`` (corpora get moved), then
    the ``canonical`` LibriMix location. Returns ``(found or None, candidates tried)``.
    """
    given = Path(raw)
    cands = [given if given.is_absolute() else librimix_root / given]
    parts = [p for p in re.split(r"[\\/]+", raw) if p]  # "/" or "\\" (Windows) separators
    for i in range(len(parts) - 1, -1, -1):
        if _LIBRIMIX_DIR.fullmatch(parts[i]):
            cands.append(librimix_root.joinpath(*parts[i:]))
            break
    cands.append(canonical)
    for c in cands:
        if c.is_file():
            return c.resolve(), cands
    return None, cands


def _read_csv(
    path: Path, required: Sequence[str], fix: str
) -> Tuple[List[str], List[Tuple[int, Dict[str, str]]]]:
    """A metadata CSV read strictly: ``(header, [(line, row), ...])``, blank lines skipped.

    Raises:
        MTASRInputError: naming ``path`` (and the line): unreadable, not UTF-8 (a UTF-8
            byte-order mark is fine), malformed CSV, no header, a missing ``required``
            column (``fix`` says what to give), a row with another number of fields than
            the header, no row after the header.
    """
    text = read_text(path, "CSV")
    reader = csv.reader(io.StringIO(text, newline=""))
    header: List[str] = []
    rows: List[Tuple[int, Dict[str, str]]] = []
    try:
        for values in reader:
            if not values:
                continue
            if not header:
                header = values
                missing = [c for c in required if c not in header]
                if missing:
                    raise MTASRInputError(
                        f"missing column(s) {missing}; header is {header}",
                        path=path,
                        line=reader.line_num,
                        fix=fix,
                    )
                continue
            if len(values) != len(header):
                raise MTASRInputError(
                    f"{len(values)} fields, the header has {len(header)}",
                    path=path,
                    line=reader.line_num,
                )
            rows.append((reader.line_num, dict(zip(header, values))))
    except csv.Error as e:
        raise MTASRInputError(f"not a valid CSV: {e}", path=path, line=reader.line_num) from None
    if not header:
        raise MTASRInputError("empty CSV (no header)", path=path, line=1, fix=fix)
    if not rows:
        raise MTASRInputError(
            "only a header, no mixture rows", path=path, line=1, fix="regenerate the CSV"
        )
    return header, rows


def _seconds(text: str, column: str, path: Path, line: int) -> float:
    """A non-negative, finite time in seconds from a CSV cell.

    Raises:
        MTASRInputError: naming ``path:line`` and ``column``: an empty cell, not a number,
            negative, inf or nan.
    """
    if not text.strip():
        raise MTASRInputError(
            f"empty {column} cell",
            path=path,
            line=line,
            fix="give the offset in seconds (0 for a talker starting with the mixture)",
        )
    try:
        value = float(text)
    except ValueError:
        raise MTASRInputError(
            f"{column} {text!r} is not a number (seconds)", path=path, line=line
        ) from None
    if not math.isfinite(value) or value < 0:
        raise MTASRInputError(
            f"{column} {text!r} is not a time: it must be finite and >= 0 (seconds)",
            path=path,
            line=line,
        )
    return value


_PER_SOURCE_OFFSET = re.compile(r"source_\d+_offset")


def _has_offset_columns(header: Sequence[str]) -> bool:
    """Whether a mixture CSV has an ``offset`` or ``source_<k>_offset`` column."""
    return any(c == "offset" or _PER_SOURCE_OFFSET.fullmatch(c) for c in header)


def _csv_starts(
    header: Sequence[str],
    row: Mapping[str, str],
    n_src: int,
    n_talkers: int,
    csv_path: Path,
    line: int,
) -> Optional[List[float]]:
    """Start (seconds) of talkers ``1..n_talkers`` from the mixture CSV's offset columns.

    ``None`` if the CSV has none (real LibriMix). See the module docstring for the columns.
    """
    per_source = [f"source_{k}_offset" for k in range(1, n_talkers + 1)]
    if any(_PER_SOURCE_OFFSET.fullmatch(c) for c in header):
        missing = [c for c in per_source if c not in header]
        if missing:
            raise MTASRInputError(
                f"offset column(s) {missing} missing; header is {list(header)}",
                path=csv_path,
                line=1,
                fix="give one source_<k>_offset column per talker of the CSV",
            )
        return [_seconds(row[c], c, csv_path, line) for c in per_source]
    if "offset" in header:
        if n_src != 2:
            raise MTASRInputError(
                f"an 'offset' column (ESPnet sot_asr1 style) is defined for 2-source "
                f"mixtures only, this CSV has {n_src}",
                path=csv_path,
                line=1,
                fix="give per-source source_<k>_offset columns (seconds)",
            )
        return [0.0, _seconds(row["offset"], "offset", csv_path, line)][:n_talkers]
    return None


@dataclass(frozen=True)
class OffsetMetadata:
    """ESPnet ``sot_asr1`` generation metadata of one subset (see the module docstring).

    Attributes:
        path: the ``libri{n}mix_<name>.csv`` it was read from.
        delays: ``mixture_ID -> (start of sources 2..n in seconds, line in path)``; the
            start is ``int(offset * 16000) / 16000``, where the patched LibriMix put it.
    """

    path: Path
    delays: Mapping[str, Tuple[float, int]]


def _librimix_subset(csv_name: str, n_src: int) -> str:
    """The output subset LibriMix names after a generation CSV (its own rule)."""
    return csv_name.replace(f"libri{n_src}mix_", "").replace("-clean", "").replace(".csv", "")


def offset_csv_path(offset_metadata: PathLike, n_src: int, subset: str) -> Path:
    """The CSV of ``offset_metadata`` that LibriMix turned into ``subset``.

    That is ``libri{n_src}mix_<name>.csv`` with ``<name>`` giving ``subset`` by LibriMix's
    rule (``-clean`` removed): ``libri2mix_dev-clean.csv`` for ``dev``,
    ``libri2mix_train-clean-100.csv`` for ``train-100``; ``libri2mix_dev.csv`` also works.

    Raises:
        MTASRInputError: ``offset_metadata`` is not a directory; no CSV, or several, for
            ``subset`` (the message names the expected file).
    """
    d = Path(offset_metadata)
    fix = f"give --offset_metadata the folder of ESPnet sot_asr1's CSVs ({_SOT_ASR1_OFFSETS})"
    if not d.is_dir():
        what = "is not a directory" if d.exists() else "not found"
        raise MTASRInputError(f"offset metadata directory {what}", path=d, fix=fix)
    found = sorted(
        p for p in d.glob(f"libri{n_src}mix_*.csv") if _librimix_subset(p.name, n_src) == subset
    )
    if len(found) == 1:
        return found[0]
    if found:
        raise MTASRInputError(
            f"several offset CSVs for {n_src}-source subset {subset}: "
            f"{', '.join(p.name for p in found)}",
            path=d,
            fix="keep the one the mixtures were generated from",
        )
    head, sep, tail = subset.partition("-")
    expected = d / f"libri{n_src}mix_{head}-clean{sep}{tail}.csv"
    have = sorted(p.name for p in d.glob("*.csv"))
    raise MTASRInputError(
        f"not found: the offset metadata of the {n_src}-source mixtures of subset {subset} "
        f"(libri{n_src}mix_{subset}.csv would also do); {d} has {have}",
        path=expected,
        fix=fix,
    )


def read_offset_csv(path: PathLike) -> OffsetMetadata:
    """Read one ESPnet ``sot_asr1`` generation CSV (needs ``mixture_ID`` and ``offset``).

    Raises:
        MTASRInputError: naming the file and line: see :func:`_read_csv`; an empty mixture
            id, a duplicate one, an empty or bad ``offset`` cell.
    """
    path = Path(path)
    _, rows = _read_csv(
        path,
        ("mixture_ID", "offset"),
        fix="give ESPnet sot_asr1's generation CSV (mixture_ID,source_1_path,...,offset)",
    )
    delays: Dict[str, Tuple[float, int]] = {}
    for line, row in rows:
        mid = row["mixture_ID"]
        if not mid:
            raise MTASRInputError("empty mixture_ID", path=path, line=line)
        if mid in delays:
            raise MTASRInputError(
                f"duplicate mixture_ID {mid} (first on line {delays[mid][1]})",
                path=path,
                line=line,
                fix="remove the duplicate row",
            )
        offset = _seconds(row["offset"], "offset", path, line)
        delays[mid] = (int(offset * ESPNET_OFFSET_RATE) / ESPNET_OFFSET_RATE, line)
    return OffsetMetadata(path, delays)


def _sot_asr1_offsets(librimix_root: Path, n_src: int) -> Optional[str]:
    """Where the offsets are, if ESPnet ``sot_asr1`` generated ``librimix_root``; else None."""
    root = librimix_root.resolve()
    linked = root.parent / "metadata" / f"Libri{n_src}Mix_offset"  # sot_asr1's ln -s
    if linked.is_dir():
        return str(linked)
    return _SOT_ASR1_OFFSETS if root.name == _SOT_ASR1_OUTDIR else None


def _check_zero_starts(librimix_root: Path, n_src: int, csv_path: Path) -> None:
    """No offsets anywhere for a multi-talker CSV: stop on a sot_asr1 tree, else say so."""
    offsets = _sot_asr1_offsets(librimix_root, n_src)
    if offsets is not None:
        raise MTASRInputError(
            f"no offset columns, and {librimix_root} was generated by ESPnet "
            f"egs2/librimix/sot_asr1 (sources 2..n start 1.0-1.5 s late): taking every "
            f"start as 0 would be wrong",
            path=csv_path,
            line=1,
            fix=f"pass --offset_metadata {offsets}",
        )
    logger.info(
        "%s: no offset columns: every talker starts at 0 s (LibriMix proper); for mixtures "
        "from ESPnet egs2/librimix/sot_asr1 pass --offset_metadata %s",
        csv_path,
        _SOT_ASR1_OFFSETS,
    )


def index_transcripts(root: PathLike) -> Dict[str, LibriSpeechUtterance]:
    """Transcripts of the source utterances, by utterance id.

    ``root`` is a LibriSpeech tree (see
    :func:`~espnet_mtasr.data.librispeech.index_librispeech`) or, for mixtures simulated
    from another corpus, a single-speaker Kaldi data dir (``text``, optional ``utt2spk``
    and ``wav.scp``; speaker defaults to the utterance id up to the first ``-``).
    """
    root = Path(root)
    if not (root / "text").is_file():
        return index_librispeech(root)
    spk = _read_pairs(root / "utt2spk") if (root / "utt2spk").is_file() else {}
    wavs = {}
    if (root / "wav.scp").is_file() and not (root / "segments").exists():
        wavs = {u: v for u, (v, _) in _read_pairs(root / "wav.scp").items() if not v.endswith("|")}
    out = {}
    for utt, (text, line) in _read_pairs(root / "text").items():
        out[utt] = LibriSpeechUtterance(
            utt_id=utt,
            speaker=spk[utt][0] if utt in spk else utt.split("-")[0],
            subset=root.name,
            text=" ".join(text.split()),
            audio=Path(wavs[utt]) if utt in wavs else None,
            trans_path=root / "text",
            line=line,
        )
    return out


def _read_pairs(path: Path) -> Dict[str, Tuple[str, int]]:
    """Kaldi ``<key> <value>`` file -> ``{key: (value, line)}``."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line, raw in enumerate(f, 1):
            key, _, value = raw.strip().partition(" ")
            if key:
                out[key] = (value.strip(), line)
    return out


class _DurationCache:
    """Duration (seconds) of source utterances' audio, or ``None`` if absent."""

    def __init__(self):
        self._cache: Dict[Path | None, float | None] = {}

    def __call__(self, audio: Path | None) -> float | None:
        if audio is None:
            return None
        if audio not in self._cache:
            self._cache[audio] = sf.info(str(audio)).duration if audio.is_file() else None
        return self._cache[audio]


def _starts(
    header: Sequence[str],
    row: Mapping[str, str],
    n_src: int,
    n_talkers: int,
    offsets: Optional[OffsetMetadata],
    csv_path: Path,
    line: int,
) -> List[float]:
    """Start (seconds) of talkers ``1..n_talkers`` of one mixture (module docstring)."""
    from_csv = _csv_starts(header, row, n_src, n_talkers, csv_path, line)
    if offsets is None:
        return from_csv if from_csv is not None else [0.0] * n_talkers
    mid = row["mixture_ID"]
    if mid not in offsets.delays:
        raise MTASRInputError(
            f"mixture {mid} has no row in the offset metadata {offsets.path}",
            path=csv_path,
            line=line,
            fix="give --offset_metadata the CSVs these mixtures were generated from",
        )
    delay, offset_line = offsets.delays[mid]
    starts = [0.0] + [delay] * (n_talkers - 1)
    if from_csv is not None and any(
        abs(a - b) > 1.0 / ESPNET_OFFSET_RATE + 1e-9 for a, b in zip(from_csv, starts)
    ):
        shown = [", ".join(f"{t:.6f}" for t in ts) for ts in (from_csv, starts)]
        raise MTASRInputError(
            f"mixture {mid}: the CSV's offset columns give starts {shown[0]} s, the offset "
            f"metadata {offsets.path}:{offset_line} gives {shown[1]} s",
            path=csv_path,
            line=line,
            fix="drop --offset_metadata, or give the one these mixtures were generated from",
        )
    return starts


def read_librimix_csv(
    csv_path: PathLike,
    n_src: int,
    mix_type: str,
    transcripts: Mapping[str, LibriSpeechUtterance],
    librimix_root: PathLike,
    subset: str,
    sample_rate: str = "16k",
    mode: str = "max",
    durations: Callable[[Path | None], float | None] | None = None,
    offsets: Optional[OffsetMetadata] = None,
) -> List[MixtureEntry]:
    """Read and check one LibriMix metadata CSV.

    Args:
        csv_path: ``mixture_<subset>_<type>.csv``.
        n_src: sources per mixture (the ``Libri{n}Mix`` of the CSV).
        mix_type: ``mix_clean``, ``mix_both`` or ``mix_single`` (1 talker: source 1).
        transcripts: ``utt_id -> utterance`` from
            :func:`~espnet_mtasr.data.librispeech.index_librispeech`.
        librimix_root: where moved CSV paths are resolved.
        subset: the LibriMix subset (for the canonical path).
        sample_rate: ``"8k"`` or ``"16k"``; every mixture wav must have it.
        mode: ``"max"`` or ``"min"``.
        durations: audio path (or ``None``) -> duration in seconds (or ``None`` if
            unknown); default a fresh cache over ``soundfile.info``.
        offsets: ESPnet ``sot_asr1`` offsets of these mixtures (:func:`read_offset_csv`);
            ``None``: the CSV's offset columns, else all talkers at 0 (module docstring).

    Returns:
        One entry per CSV row, in file order.

    Raises:
        MTASRInputError: naming the CSV line: not UTF-8, no rows, missing columns, a
            duplicate mixture id, a mixture id of the wrong form, an utterance without
            transcript or with an empty one, a missing mixture wav, a wrong sample rate, a
            bad or empty offset cell, a mixture without a row in ``offsets`` or whose
            offset columns disagree with it, no offsets at all on a sot_asr1 tree.
    """
    csv_path = Path(csv_path)
    librimix_root = Path(librimix_root)
    rate = SAMPLE_RATES[sample_rate]
    durations = durations or _DurationCache()
    n_talkers = 1 if mix_type == "mix_single" else n_src
    header, rows = _read_csv(
        csv_path, ("mixture_ID", "mixture_path"), fix="give a LibriMix metadata CSV"
    )
    if offsets is None and n_talkers > 1 and not _has_offset_columns(header):
        _check_zero_starts(librimix_root, n_src, csv_path)
    entries: List[MixtureEntry] = []
    first_line: Dict[str, int] = {}
    for line, row in tqdm(rows, desc=csv_path.name, unit="mix", leave=False):
        mid = row["mixture_ID"]
        if mid in first_line:
            raise MTASRInputError(
                f"duplicate mixture_ID {mid} (first on line {first_line[mid]})",
                path=csv_path,
                line=line,
                fix="remove the duplicate row",
            )
        first_line[mid] = line
        utt_ids = mid.split("_")
        if len(utt_ids) != n_src or not all(utt_ids):
            raise MTASRInputError(
                f"mixture_ID {mid} should be {n_src} LibriSpeech utterance ids joined by '_'",
                path=csv_path,
                line=line,
            )
        canonical = (
            librimix_root / f"Libri{n_src}Mix" / f"wav{sample_rate}" / mode / subset / mix_type
        ) / f"{mid}.wav"
        wav, tried = _resolve_wav(row["mixture_path"], librimix_root, canonical)
        if wav is None:
            raise MTASRInputError(
                f"mixture wav not found; tried {', '.join(str(p) for p in tried)}",
                path=csv_path,
                line=line,
                fix="check --librimix_root and that the LibriMix audio was generated",
            )
        info = sf.info(str(wav))
        if info.samplerate != rate:
            raise MTASRInputError(
                f"{wav} has sample rate {info.samplerate} Hz, expected {rate} (wav{sample_rate})",
                path=csv_path,
                line=line,
                fix="use --sample_rate matching the wav{8k,16k} directory",
            )
        mix_dur = info.frames / info.samplerate
        starts = _starts(header, row, n_src, n_talkers, offsets, csv_path, line)
        talkers = []
        for k in range(n_talkers):
            utt = transcripts.get(utt_ids[k])
            if utt is None:
                raise MTASRInputError(
                    f"no LibriSpeech transcript for utterance {utt_ids[k]} of mixture {mid}",
                    path=csv_path,
                    line=line,
                    fix="check --librispeech_root (it must hold the source subsets)",
                )
            if not utt.text:
                raise MTASRInputError(
                    f"empty transcript for utterance {utt_ids[k]} of mixture {mid} "
                    f"({utt.trans_path}:{utt.line})",
                    path=csv_path,
                    line=line,
                    fix="restore the LibriSpeech transcript",
                )
            start = starts[k]
            if start >= mix_dur:
                raise MTASRInputError(
                    f"source {k + 1} offset {start} s is beyond the mixture end {mix_dur:.3f} s",
                    path=csv_path,
                    line=line,
                )
            dur = durations(utt.audio)
            end = mix_dur if dur is None else min(start + dur, mix_dur)
            talkers.append((start, k, TalkerSegment(utt.speaker, utt.text, start, end)))
        ordered = tuple(seg for _, _, seg in sorted(talkers, key=lambda t: (t[0], t[1])))
        entries.append(MixtureEntry(f"{n_talkers}spk-{mid}", wav, mix_dur, ordered, csv_path, line))
    return entries


def write_multitalker_dir(entries: Sequence[MixtureEntry], out_dir: PathLike) -> Path:
    """Write the multi-talker Kaldi data dir (CONTRIBUTING.md format) atomically.

    Raises:
        MTASRInputError: two entries have the same utterance id.
    """
    seen: Dict[str, MixtureEntry] = {}
    for e in entries:
        if e.utt_id in seen:
            p = seen[e.utt_id]
            raise MTASRInputError(
                f"utterance {e.utt_id} also comes from {p.csv_path}:{p.line}",
                path=e.csv_path,
                line=e.line,
                fix="do not list mix_clean and mix_both of the same Libri<n>Mix together",
            )
        seen[e.utt_id] = e
    n_max = max((len(e.talkers) for e in entries), default=1)
    files: Dict[str, Dict[str, str]] = {
        name: {}
        for name in ["wav.scp", "text", "utt2spk", "spk2utt", "utt2num_spk", "utt2talkers"]
        + ["utt2dur"]
        + [f"text_spk{k}" for k in range(1, n_max + 1)]
    }
    for e in entries:
        u = e.utt_id
        files["wav.scp"][u] = str(e.wav)
        files["text"][u] = sot_serialize(e.talkers)
        for k in range(n_max):
            files[f"text_spk{k + 1}"][u] = e.talkers[k].text if k < len(e.talkers) else ""
        files["utt2spk"][u] = u
        files["spk2utt"][u] = u
        files["utt2num_spk"][u] = str(len(e.talkers))
        files["utt2talkers"][u] = " ".join(
            f"{t.speaker}:{t.start:.3f}:{t.end:.3f}" for t in e.talkers
        )
        files["utt2dur"][u] = f"{e.duration:.3f}"
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        for name, items in files.items():
            write_kaldi_map(tmp / name, items)
    return out_dir


def prepare_librimix(
    librimix_root: PathLike,
    librispeech_root: PathLike,
    out_dir: PathLike,
    sources: Sequence[Tuple[int, str]],
    subset: str,
    sample_rate: str = "16k",
    mode: str = "max",
    offset_metadata: Optional[PathLike] = None,
) -> Path:
    """Prepare one LibriMix subset as a multi-talker Kaldi data dir.

    Args:
        librimix_root: directory holding ``Libri2Mix/``, ``Libri3Mix/``.
        librispeech_root: directory holding ``LibriSpeech/`` (or ``LibriSpeech/`` itself);
            every subset under it is indexed once. A single-speaker Kaldi data dir (with
            ``text``) also works, for mixtures simulated from another corpus.
        out_dir: the data dir to (re)create; nothing is written on error.
        sources: ``(n_src, mix_type)`` pairs, e.g.
            ``[(2, "mix_single"), (2, "mix_clean"), (3, "mix_clean")]``.
        subset: ``train-100``, ``train-360``, ``dev`` or ``test`` (or a simulated name).
        sample_rate: ``"16k"`` or ``"8k"``.
        mode: ``"max"`` or ``"min"``.
        offset_metadata: ESPnet ``sot_asr1``'s ``local/metadta_Libri2Mix_offset`` (or a
            folder like it): the talker start times of every ``n_src >= 2`` part come from
            its ``libri{n_src}mix_<name>.csv`` (:func:`offset_csv_path`), joined by
            ``mixture_ID`` (see the module docstring).

    Returns:
        ``out_dir``.

    Raises:
        ValueError: a bad option value.
        MTASRInputError: bad corpus files (message names the file and line).
    """
    if sample_rate not in SAMPLE_RATES:
        raise ValueError(f"sample_rate must be one of {list(SAMPLE_RATES)}, got {sample_rate!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    if not sources:
        raise ValueError("give at least one source, e.g. (2, 'mix_clean')")
    for n_src, mix_type in sources:
        if mix_type not in MIX_TYPES or n_src < 1:
            raise ValueError(f"bad source ({n_src}, {mix_type!r}): types are {list(MIX_TYPES)}")
    librimix_root = Path(librimix_root)
    csv_paths = [
        librimix_csv_path(librimix_root, n, subset, t, sample_rate, mode) for n, t in sources
    ]
    for (n, t), p in zip(sources, csv_paths):
        if not p.is_file():
            have = sorted(x.name for x in p.parent.glob("*.csv")) if p.parent.is_dir() else []
            raise MTASRInputError(
                f"LibriMix metadata for {n}:{t} of subset {subset} not found "
                f"(metadata dir has {have})",
                path=p,
                fix="check --librimix_root, --subset, --sample_rate, --mode and --sources",
            )
    offsets: Dict[int, OffsetMetadata] = {}
    if offset_metadata is not None:
        found = {n: offset_csv_path(offset_metadata, n, subset) for n, _ in sources if n > 1}
        offsets = {n: read_offset_csv(p) for n, p in found.items()}
    transcripts = index_transcripts(librispeech_root)
    durations = _DurationCache()
    entries: List[MixtureEntry] = []
    for (n, t), p in zip(sources, csv_paths):
        entries += read_librimix_csv(
            p,
            n,
            t,
            transcripts,
            librimix_root,
            subset,
            sample_rate,
            mode,
            durations,
            offsets.get(n),
        )
    return write_multitalker_dir(entries, out_dir)
