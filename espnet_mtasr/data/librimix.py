"""LibriMix (+ LibriSpeech transcripts) -> multi-talker Kaldi data dir with SOT text.

Reads the metadata CSVs written by LibriMix's ``create_librimix_from_metadata.py``::

    <librimix_root>/Libri{n}Mix/wav{sr}/{mode}/metadata/mixture_<subset>_<type>.csv

(columns ``mixture_ID,mixture_path,source_1_path,..[,noise_path],length``, as the
LibriMix scripts write them) and the LibriSpeech transcripts of the source utterances
(the ids in ``mixture_ID``, joined by ``_`` in source order).

Talker start times come from offset columns when present: an ESPnet ``sot_asr1``-style
``offset`` column (seconds; source 2 starts there, source 1 at 0; 2-talker only) or
per-source ``source_<k>_offset`` columns (seconds; what
:func:`espnet_mtasr.data.mixture.simulate_librimix` writes). Without them, or with all
zeros, every talker starts at 0 and SOT order is source order. Talkers are ordered by
start time, ties by source order. ``mix_single`` has one talker, source 1.

A talker ends at start + the duration of its LibriSpeech flac (if the flac is present,
else at the end of the mixture), clipped to the mixture length.

Output (see CONTRIBUTING.md): ``wav.scp text text_spk1..N utt2spk spk2utt utt2num_spk
utt2talkers utt2dur``, utterance ids ``<k>spk-<mixture_ID>``, written atomically.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Sequence, Tuple, Union

import soundfile as sf
from tqdm import tqdm

from espnet_mtasr.data.librispeech import LibriSpeechUtterance, index_librispeech
from espnet_mtasr.text.sot import TalkerSegment, sot_serialize
from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.fileio import atomic_dir, write_kaldi_map

__all__ = [
    "MIX_TYPES",
    "MixtureEntry",
    "index_transcripts",
    "librimix_csv_path",
    "parse_source_spec",
    "prepare_librimix",
    "read_librimix_csv",
    "write_multitalker_dir",
]

PathLike = Union[str, Path]

MIX_TYPES = ("mix_clean", "mix_both", "mix_single")
SAMPLE_RATES = {"8k": 8000, "16k": 16000}
MODES = ("max", "min")
_LIBRIMIX_DIR = re.compile(r"Libri\dMix")


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


def _offsets(row: Mapping[str, str], n_src: int, csv_path: Path, line: int) -> List[float]:
    """Start time (seconds) of each of the ``n_src`` sources of a CSV row."""
    per_source = [f"source_{k}_offset" for k in range(1, n_src + 1)]
    values: List[str]
    if any(c in row for c in per_source):
        values = [row.get(c) or "0" for c in per_source]
    elif "offset" in row:
        if n_src != 2:
            raise MTASRInputError(
                f"an 'offset' column (ESPnet sot_asr1 style) is defined for 2-source "
                f"mixtures only, this CSV has {n_src}",
                path=csv_path,
                line=1,
                fix="give per-source source_<k>_offset columns (seconds)",
            )
        values = ["0", row["offset"] or "0"]
    else:
        values = ["0"] * n_src
    try:
        out = [float(v) for v in values]
    except ValueError:
        raise MTASRInputError(
            f"offsets {values} are not numbers", path=csv_path, line=line
        ) from None
    if any(o < 0 for o in out):
        raise MTASRInputError(f"negative offset in {values}", path=csv_path, line=line)
    return out


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

    Returns:
        One entry per CSV row, in file order.

    Raises:
        MTASRInputError: naming the CSV line: missing columns, a duplicate mixture id, a
            mixture id of the wrong form, an utterance without transcript or with an empty
            one, a missing mixture wav, a wrong sample rate, a bad offset.
    """
    csv_path = Path(csv_path)
    librimix_root = Path(librimix_root)
    rate = SAMPLE_RATES[sample_rate]
    durations = durations or _DurationCache()
    n_talkers = 1 if mix_type == "mix_single" else n_src
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise MTASRInputError("empty CSV (no header)", path=csv_path, line=1)
    header = rows[0]
    missing = [c for c in ("mixture_ID", "mixture_path") if c not in header]
    if missing:
        raise MTASRInputError(
            f"missing column(s) {missing}; header is {header}",
            path=csv_path,
            line=1,
            fix="give a LibriMix metadata CSV",
        )
    entries: List[MixtureEntry] = []
    first_line: Dict[str, int] = {}
    for line, values in enumerate(
        tqdm(rows[1:], desc=csv_path.name, unit="mix", leave=False), start=2
    ):
        if not values:
            continue
        if len(values) != len(header):
            raise MTASRInputError(
                f"{len(values)} fields, the header has {len(header)}", path=csv_path, line=line
            )
        row = dict(zip(header, values))
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
        offsets = _offsets(row, n_src, csv_path, line)
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
            start = offsets[k]
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
    transcripts = index_transcripts(librispeech_root)
    durations = _DurationCache()
    entries: List[MixtureEntry] = []
    for (n, t), p in zip(sources, csv_paths):
        entries += read_librimix_csv(
            p, n, t, transcripts, librimix_root, subset, sample_rate, mode, durations
        )
    return write_multitalker_dir(entries, out_dir)
