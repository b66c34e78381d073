"""Simulate LibriMix-layout overlapped mixtures from any single-speaker Kaldi data dir.

:func:`simulate_librimix` draws 1-, 2- and 3-talker mixtures (talkers from distinct
speakers; talker ``j`` starts ``U(min_delay, max_delay)`` seconds after talker ``j-1``)
and writes them exactly where LibriMix (``max`` mode) puts its files::

    <out_root>/Libri2Mix/wav16k/max/<subset>/{s1,s2,mix_clean[,noise,mix_both]}/<ID>.wav
    <out_root>/Libri2Mix/wav16k/max/<subset>/{s1,mix_single[,noise]}/<ID>.wav  (1 talker)
    <out_root>/Libri3Mix/wav16k/max/<subset>/{s1,s2,s3,mix_clean[,noise,mix_both]}/<ID>.wav
    <out_root>/Libri{2,3}Mix/wav16k/max/metadata/mixture_<subset>_<type>.csv

``<ID>`` = the source utterance ids joined by ``_`` in source (= start-time) order. A
1-talker (``mix_single``) entry keeps LibriMix's two-id form ``<utt_a>_<utt_b>``: ``utt_b``
is a drawn partner from another speaker that is not in the audio, and its length is
that of ``utt_a`` (no padding to the absent partner).

CSV columns are LibriMix's, in LibriMix's order, with one offset column per source
appended AFTER ``length`` (so every real column keeps its name and its position)::

    mix_clean:  mixture_ID,mixture_path,source_1_path,..,source_n_path,length,
                source_1_offset,..,source_n_offset
    mix_both:   mixture_ID,mixture_path,source_1_path,..,source_n_path,noise_path,length,
                source_1_offset,..,source_n_offset
    mix_single: mixture_ID,mixture_path,source_1_path,noise_path,length,source_1_offset

Paths are absolute; ``length`` is in samples; offsets are in seconds (multiples of 1 ms,
written with 3 decimals, so ``round(offset * sample_rate)`` is the exact sample where the
source starts). ``noise_path`` of ``mix_single`` is empty when no noise is added, and
the ``source_<k>_path`` fields are empty with ``write_sources=False`` (no ``s<k>/``).

Each source is written left-padded by its offset and right-padded to the mixture length
(``max(offset_j + len_j)``); ``mix_clean`` = the sum of the written sources, sample for
sample; ``mix_both`` / noisy ``mix_single`` add the written ``noise``. Levels: every
source is normalised to -25 dBFS RMS, then gets a random gain in ``gain_db_range``; if a
peak would exceed 0.99 everything of that mixture is scaled down together.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import soundfile as sf
import soxr
from tqdm import tqdm

from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.fileio import atomic_dir, atomic_write, check_output_dirs
from espnet_mtasr.utils.kaldi_io import read_kaldi_lines

__all__ = [
    "MixtureSpec",
    "SourceUtterance",
    "draw_mixtures",
    "load_single_speaker_dir",
    "load_source_audio",
    "mixture_csv_path",
    "render_mixture",
    "simulate_librimix",
]

PathLike = Union[str, Path]

REFERENCE_RMS_DB = -25.0  # every source's level before its random gain (dBFS)
PEAK_LIMIT = 0.99
INT16_SCALE = 32767


@dataclass(frozen=True)
class SourceUtterance:
    """One utterance of the single-speaker input data dir.

    Attributes:
        utt_id: utterance id (must not contain ``_``: LibriMix ids join with it).
        speaker: speaker id from ``utt2spk``.
        wav: the ``wav.scp`` value of its recording (a path, ``<cmd> |``, or ``x.ark:N``).
        line: line of that entry in ``wav.scp`` (for error messages).
        wav_scp: the ``wav.scp`` path.
        start: start in the recording in seconds (``segments``), else ``None``.
        end: end in the recording in seconds (``segments``), else ``None``.
    """

    utt_id: str
    speaker: str
    wav: str
    line: int
    wav_scp: Path
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True)
class MixtureSpec:
    """Everything random about one mixture, drawn before any audio is read.

    Attributes:
        n_src: 1, 2 or 3 talkers in the audio.
        index: position within its talker count (seeds its noise).
        utts: the source utterances in source order; for ``n_src == 1`` two of them (the
            second only names the mixture, as in LibriMix's ``mix_single``).
        offsets: start of each talker in samples, ``offsets[0] == 0``; length ``n_src``.
        gains_db: gain of each talker in dB; length ``n_src``.
        snr_db: signal-to-noise ratio of the added noise in dB, or ``None`` (no noise).
    """

    n_src: int
    index: int
    utts: Tuple[SourceUtterance, ...]
    offsets: Tuple[int, ...]
    gains_db: Tuple[float, ...]
    snr_db: float | None

    @property
    def mixture_id(self) -> str:
        """LibriMix mixture id: the utterance ids joined by ``_``."""
        return "_".join(u.utt_id for u in self.utts)


def load_single_speaker_dir(data_dir: PathLike) -> List[SourceUtterance]:
    """Read ``wav.scp`` + ``utt2spk`` (+ optional ``segments``) of a Kaldi data dir.

    Args:
        data_dir: a single-speaker data dir (e.g. from
            :func:`espnet_mtasr.data.librispeech.prepare_librispeech`).

    Returns:
        The utterances, sorted by id.

    Raises:
        MTASRInputError: a missing file, an utterance without a wav entry, or an
            utterance id containing ``_``.
    """
    data_dir = Path(data_dir)
    wav_scp, utt2spk_path, segments = (
        data_dir / "wav.scp",
        data_dir / "utt2spk",
        data_dir / "segments",
    )
    for p in (wav_scp, utt2spk_path):
        if not p.is_file():
            raise MTASRInputError(
                "missing", path=p, fix="give a Kaldi data dir with wav.scp and utt2spk"
            )
    wavs = {ln.key: (ln.value, ln.line) for ln in read_kaldi_lines(wav_scp, skip_blank=True)}
    segs: Dict[str, Tuple[str, float, float]] = {}
    if segments.is_file():
        for ln in read_kaldi_lines(segments, skip_blank=True):
            key, value, line = ln.key, ln.value, ln.line
            fields = value.split()
            try:
                segs[key] = (fields[0], float(fields[1]), float(fields[2]))
            except (IndexError, ValueError):
                raise MTASRInputError(
                    f"bad segments line {value!r}",
                    path=segments,
                    line=line,
                    fix="use '<utt> <rec> <start> <end>'",
                ) from None
    out = []
    for ln in read_kaldi_lines(utt2spk_path, skip_blank=True):
        utt, spk, line = ln.key, ln.value, ln.line
        if "_" in utt:
            raise MTASRInputError(
                f"utterance id {utt!r} contains '_', which LibriMix uses to join ids",
                path=utt2spk_path,
                line=line,
                fix="rename the utterances (e.g. replace '_' by '-')",
            )
        rec, start, end = segs.get(utt, (utt, None, None))
        if rec not in wavs:
            raise MTASRInputError(
                f"utterance {utt} (recording {rec}) has no wav.scp entry",
                path=utt2spk_path,
                line=line,
                fix="fix wav.scp / utt2spk so they list the same utterances",
            )
        value, wav_line = wavs[rec]
        out.append(SourceUtterance(utt, spk, value, wav_line, wav_scp, start, end))
    return sorted(out, key=lambda u: u.utt_id)


def load_source_audio(utt: SourceUtterance, sample_rate: int) -> np.ndarray:
    """Read an utterance as a float64 waveform (T,) at ``sample_rate`` (first channel).

    Raises:
        MTASRInputError: the audio cannot be read (names the wav.scp line).
    """
    try:
        if utt.wav.endswith("|"):
            proc = subprocess.run(utt.wav[:-1], shell=True, capture_output=True, check=True)
            x, rate = sf.read(io.BytesIO(proc.stdout), dtype="float64", always_2d=True)
        elif Path(utt.wav).is_file():
            x, rate = sf.read(utt.wav, dtype="float64", always_2d=True)
        else:
            import kaldiio  # ark:offset entries

            rate, x = kaldiio.load_mat(utt.wav)
            x = np.asarray(x, dtype=np.float64)
            x = x / 32768.0 if np.abs(x).max(initial=0) > 1.0 else x
            x = x.reshape(len(x), -1)
    except Exception as e:  # noqa: BLE001 - any read failure is the user's file
        raise MTASRInputError(
            f"cannot read audio of {utt.utt_id} ({utt.wav!r}): {e}",
            path=utt.wav_scp,
            line=utt.line,
            fix="check the path / command in wav.scp",
        ) from None
    x = x[:, 0]
    if utt.start is not None:
        x = x[int(round(utt.start * rate)) : int(round(utt.end * rate))]
    if rate != sample_rate:
        x = soxr.resample(x, rate, sample_rate)
    return x


def draw_mixtures(
    utts: Sequence[SourceUtterance],
    num_mixtures: Mapping[int, int],
    min_delay: float = 0.5,
    max_delay: float = 1.5,
    gain_db_range: Tuple[float, float] = (-3.0, 3.0),
    noise_snr_db: Tuple[float, float] | None = None,
    seed: int = 0,
    sample_rate: int = 16000,
) -> List[MixtureSpec]:
    """Draw the mixtures (which utterances, offsets, gains, SNRs), deterministically.

    Each utterance is the first talker of a mixture once per pass through a shuffled
    list; the other talkers come from other, mutually distinct speakers, chosen
    uniformly. Mixture ids are unique over the whole result.

    Args:
        utts: the single-speaker utterances.
        num_mixtures: ``{talker count: number of mixtures}`` with talker counts 1..3.
        min_delay: smallest delay between consecutive talkers' starts (seconds).
        max_delay: largest such delay (seconds).
        gain_db_range: (low, high) of each talker's uniform random gain in dB.
        noise_snr_db: (low, high) of the uniform random SNR in dB, or ``None``.
        seed: random seed.
        sample_rate: Hz (offsets are drawn in whole milliseconds, stored in samples).

    Returns:
        Specs ordered by talker count, then index.

    Raises:
        ValueError: bad counts/ranges, too few speakers, or too few distinct mixtures.
    """
    bad = [k for k in num_mixtures if k not in (1, 2, 3) or num_mixtures[k] < 0]
    if bad:
        raise ValueError(f"num_mixtures keys must be 1, 2 or 3 with counts >= 0, got {bad}")
    if not 0 <= min_delay <= max_delay:
        raise ValueError(f"need 0 <= min_delay <= max_delay, got {min_delay}, {max_delay}")
    by_spk: Dict[str, List[SourceUtterance]] = {}
    for u in utts:
        by_spk.setdefault(u.speaker, []).append(u)
    speakers = sorted(by_spk)
    rng = np.random.default_rng(seed)
    specs: List[MixtureSpec] = []
    used_ids = set()
    for n_src in sorted(num_mixtures):
        count = num_mixtures[n_src]
        n_ids = max(n_src, 2)  # a 1-talker mixture is still named by two utterances
        if count and len(speakers) < n_ids:
            raise ValueError(
                f"{n_src}-talker mixtures need utterances from at least {n_ids} speakers; "
                f"the data has {len(speakers)}"
            )
        order: List[SourceUtterance] = []
        for index in range(count):
            for _ in range(1000):
                if not order:
                    order = [utts[i] for i in rng.permutation(len(utts))]
                first = order.pop()
                others = [s for s in speakers if s != first.speaker]
                chosen = rng.choice(len(others), size=n_ids - 1, replace=False)
                group = [first] + [
                    by_spk[others[c]][rng.integers(len(by_spk[others[c]]))] for c in chosen
                ]
                mix_id = "_".join(u.utt_id for u in group)
                if mix_id not in used_ids:
                    break
            else:
                raise ValueError(
                    f"could not draw {count} distinct {n_src}-talker mixtures from "
                    f"{len(utts)} utterances; ask for fewer"
                )
            used_ids.add(mix_id)
            delays_ms = np.round(rng.uniform(min_delay, max_delay, size=n_src - 1) * 1000)
            starts_ms = np.concatenate([[0.0], np.cumsum(delays_ms)])
            offsets = tuple(int(round(ms * sample_rate / 1000)) for ms in starts_ms)
            gains = tuple(float(g) for g in rng.uniform(*gain_db_range, size=n_src))
            snr = None if noise_snr_db is None else float(rng.uniform(*noise_snr_db))
            specs.append(MixtureSpec(n_src, index, tuple(group), offsets, gains, snr))
    return specs


def _noise(rng: np.random.Generator, length: int, kind: str) -> np.ndarray:
    """Unit-power noise (T,): ``"white"`` Gaussian or ``"pink"`` (1/f power)."""
    white = rng.standard_normal(length)
    if kind == "white" or length < 2:
        return white
    spec = np.fft.rfft(white)
    freqs = np.arange(len(spec), dtype=np.float64)
    freqs[0] = 1.0
    pink = np.fft.irfft(spec / np.sqrt(freqs), n=length)
    return pink / (np.sqrt(np.mean(pink**2)) + 1e-12)


def render_mixture(
    spec: MixtureSpec,
    load: Callable[[SourceUtterance], np.ndarray],
    noise_type: str = "pink",
    seed: int = 0,
) -> Tuple[List[np.ndarray], np.ndarray | None, np.ndarray]:
    """Make the audio of one mixture as int16 arrays.

    Args:
        spec: the drawn mixture.
        load: utterance -> float waveform (T,) at the output rate.
        noise_type: ``"pink"`` or ``"white"``.
        seed: random seed (with ``spec.n_src`` and ``spec.index`` it seeds the noise).

    Returns:
        ``(sources, noise, mix_clean)``: ``n_src`` padded sources (L,), the noise (L,)
        or ``None``, and ``mix_clean`` (L,) = the exact sum of the sources.
    """
    waves = []
    for utt, gain_db in zip(spec.utts[: spec.n_src], spec.gains_db):
        x = load(utt)
        rms = float(np.sqrt(np.mean(x**2))) if x.size else 0.0
        scale = 10 ** ((REFERENCE_RMS_DB + gain_db) / 20) / rms if rms > 0 else 0.0
        waves.append(x * scale)
    length = max(o + len(w) for o, w in zip(spec.offsets, waves))
    sources = np.zeros((spec.n_src, length))  # (S, L)
    for j, (o, w) in enumerate(zip(spec.offsets, waves)):
        sources[j, o : o + len(w)] = w
    clean = sources.sum(axis=0)
    noise = None
    if spec.snr_db is not None:
        rng = np.random.default_rng([seed, spec.n_src, spec.index])
        power = float(np.mean(clean**2))
        noise = _noise(rng, length, noise_type) * np.sqrt(power / 10 ** (spec.snr_db / 10))
    peak = max(
        float(np.abs(sources).max(initial=0)),
        float(np.abs(clean if noise is None else clean + noise).max(initial=0)),
        0.0 if noise is None else float(np.abs(noise).max(initial=0)),
    )
    factor = INT16_SCALE * (PEAK_LIMIT / peak if peak > PEAK_LIMIT else 1.0)
    q_sources = [np.round(s * factor).astype(np.int16) for s in sources]
    q_noise = None if noise is None else np.round(noise * factor).astype(np.int16)
    q_clean = np.sum(q_sources, axis=0, dtype=np.int32).astype(np.int16)
    return q_sources, q_noise, q_clean


def _add_int16(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a + b`` for int16 arrays without wrap-around (saturating; the peak limit in
    :func:`render_mixture` keeps sums in range, so this never clips in practice)."""
    return np.clip(a.astype(np.int32) + b, -32768, 32767).astype(np.int16)


def _mix_dir(root: Path, n_mix: int, sample_rate: int) -> Path:
    """``<root>/Libri{n}Mix/wav{sr}k/max``."""
    return root / f"Libri{n_mix}Mix" / f"wav{sample_rate // 1000}k" / "max"


def mixture_csv_path(
    root: PathLike, n_mix: int, subset: str, mix_type: str, sample_rate: int = 16000
) -> Path:
    """``<root>/Libri{n}Mix/wav{sr}k/max/metadata/mixture_<subset>_<type>.csv``."""
    return (
        _mix_dir(Path(root), n_mix, sample_rate) / "metadata" / f"mixture_{subset}_{mix_type}.csv"
    )


def _csv_rows(
    specs: Sequence[MixtureSpec],
    subset_dir: Path,
    mix_type: str,
    lengths: Mapping[Tuple[int, int], int],
    noisy: bool,
    sample_rate: int,
    with_sources: bool = True,
) -> List[List[str]]:
    """Header + rows of one metadata CSV (``mix_clean``, ``mix_both`` or ``mix_single``)."""
    n = max(s.n_src for s in specs)
    header = ["mixture_ID", "mixture_path"] + [f"source_{j}_path" for j in range(1, n + 1)]
    if mix_type != "mix_clean":
        header.append("noise_path")
    header += ["length"] + [f"source_{j}_offset" for j in range(1, n + 1)]
    rows = [header]
    for s in specs:
        mid = s.mixture_id
        row = [mid, str(subset_dir / mix_type / f"{mid}.wav")]
        row += [
            str(subset_dir / f"s{j}" / f"{mid}.wav") if with_sources else ""
            for j in range(1, n + 1)
        ]
        if mix_type != "mix_clean":
            row.append(str(subset_dir / "noise" / f"{mid}.wav") if noisy else "")
        row.append(str(lengths[(s.n_src, s.index)]))
        row += [f"{o / sample_rate:.3f}" for o in s.offsets]
        rows.append(row)
    return rows


@contextlib.contextmanager
def _remove_new_empty_dirs(paths: Sequence[Path]) -> Iterator[None]:
    """On an exception, remove those of ``paths`` (and their parents) created meanwhile
    that are still empty."""
    missing = []
    for p in paths:
        for q in [p, *p.parents]:
            if not q.exists() and q not in missing:
                missing.append(q)
    try:
        yield
    except BaseException:
        for q in sorted(missing, key=lambda q: len(q.parts), reverse=True):
            with contextlib.suppress(OSError):
                q.rmdir()
        raise


def _mixture_outputs(
    spec: MixtureSpec,
    sources: Sequence[np.ndarray],
    noise: Optional[np.ndarray],
    clean: np.ndarray,
    write_sources: bool,
) -> Dict[str, np.ndarray]:
    """LibriMix directory name -> int16 audio of one rendered mixture: ``s<k>``
    (``write_sources``), ``mix_single`` (1 talker) or ``mix_clean`` / ``mix_both``, ``noise``."""
    outs = {f"s{j + 1}": s for j, s in enumerate(sources)} if write_sources else {}
    noisy_mix = None if noise is None else _add_int16(clean, noise)
    if spec.n_src == 1:
        outs["mix_single"] = clean if noisy_mix is None else noisy_mix
    else:
        outs["mix_clean"] = clean
        if noisy_mix is not None:
            outs["mix_both"] = noisy_mix
    if noise is not None:
        outs["noise"] = noise
    return outs


def simulate_librimix(
    data_dir: PathLike,
    out_root: PathLike,
    subset: str,
    num_mixtures: Mapping[int, int],
    min_delay: float = 0.5,
    max_delay: float = 1.5,
    gain_db_range: Tuple[float, float] = (-3.0, 3.0),
    noise_snr_db: Tuple[float, float] | None = None,
    noise_type: str = "pink",
    seed: int = 0,
    sample_rate: int = 16000,
    nj: int = 4,
    write_sources: bool = True,
) -> Dict[Tuple[int, str], Path]:
    """Simulate a LibriMix-layout (``max`` mode) subset from a single-speaker data dir.

    The ``Libri{n}Mix/wav{sr}k/max/<subset>`` directories are built under temporary
    names and renamed into place at the end (replacing earlier ones); the metadata CSVs
    are then written atomically, and this subset's CSVs of types not produced now are
    removed. After an error nothing of this call is left.

    Args:
        data_dir: Kaldi data dir with ``wav.scp`` and ``utt2spk`` (``segments`` optional);
            other sample rates are resampled to ``sample_rate``.
        out_root: the LibriMix root to write into.
        subset: subset name, e.g. ``train-100``, ``dev``, ``test``.
        num_mixtures: ``{talker count: number of mixtures}``, e.g. ``{1: 100, 2: 300, 3: 200}``.
        min_delay: smallest delay between consecutive talkers' starts (seconds).
        max_delay: largest such delay (seconds).
        gain_db_range: (low, high) uniform random gain of each talker in dB.
        noise_snr_db: (low, high) uniform random SNR in dB; ``None`` = no noise, no
            ``noise``/``mix_both`` directories.
        noise_type: ``"pink"`` or ``"white"``.
        seed: random seed; the output depends only on the arguments (not on ``nj``).
        sample_rate: output rate in Hz (a multiple of 1000).
        nj: parallel threads rendering mixtures.
        write_sources: write the ``s<k>`` source files (LibriMix does). ``False`` saves
            most of the disk space when only the mixtures are needed (ASR); the CSVs'
            ``source_<k>_path`` fields are then empty.

    Returns:
        ``{(n_mix, mix_type): csv path}`` for every CSV written (``n_mix`` is the
        LibriMix directory's talker count: 2 for ``mix_single``).

    Raises:
        MTASRInputError: bad input files.
        ValueError: bad arguments.
    """
    if noise_type not in ("pink", "white"):
        raise ValueError(f"noise_type must be 'pink' or 'white', got {noise_type!r}")
    if sample_rate % 1000:
        raise ValueError(f"sample_rate must be a multiple of 1000, got {sample_rate}")
    utts = load_single_speaker_dir(data_dir)
    specs = draw_mixtures(
        utts, num_mixtures, min_delay, max_delay, gain_db_range, noise_snr_db, seed, sample_rate
    )
    out_root = Path(out_root).resolve()
    noisy = noise_snr_db is not None
    groups: Dict[int, List[MixtureSpec]] = {}  # LibriMix dir talker count -> specs
    for s in specs:
        groups.setdefault(max(s.n_src, 2), []).append(s)
    final = {n: _mix_dir(out_root, n, sample_rate) / subset for n in groups}
    lengths: Dict[Tuple[int, int], int] = {}

    check_output_dirs(list(final.values()))  # all of them before the first is written
    with _remove_new_empty_dirs(list(final.values())), contextlib.ExitStack() as stack:
        tmp = {n: stack.enter_context(atomic_dir(final[n])) for n in sorted(groups)}

        def run(spec: MixtureSpec) -> None:
            sources, noise, clean = render_mixture(
                spec, lambda u: load_source_audio(u, sample_rate), noise_type, seed
            )
            outs = _mixture_outputs(spec, sources, noise, clean, write_sources)
            base, mid = tmp[max(spec.n_src, 2)], spec.mixture_id
            for name, audio in outs.items():
                (base / name).mkdir(exist_ok=True)
                sf.write(base / name / f"{mid}.wav", audio, sample_rate, subtype="PCM_16")
            lengths[(spec.n_src, spec.index)] = len(clean)

        with ThreadPoolExecutor(max_workers=max(1, nj)) as pool:
            try:
                for _ in tqdm(pool.map(run, specs), total=len(specs), desc="mixtures", unit="mix"):
                    pass
            except BaseException:
                pool.shutdown(cancel_futures=True)  # do not render the rest
                raise

        tables: Dict[Tuple[int, str], List[List[str]]] = {}
        for n_src in sorted({s.n_src for s in specs}):
            group = [s for s in specs if s.n_src == n_src]
            n_mix = max(n_src, 2)
            types = ["mix_single"] if n_src == 1 else ["mix_clean"] + ["mix_both"] * noisy
            for t in types:
                tables[(n_mix, t)] = _csv_rows(
                    group, final[n_mix], t, lengths, noisy, sample_rate, write_sources
                )

    written: Dict[Tuple[int, str], Path] = {}
    for (n_mix, t), rows in sorted(tables.items()):
        path = mixture_csv_path(out_root, n_mix, subset, t, sample_rate)
        with atomic_write(path) as f:
            csv.writer(f, lineterminator="\n").writerows(rows)
        written[(n_mix, t)] = path
    for n_mix in groups:  # their <subset> dirs were replaced: drop CSVs of other types
        for t in ("mix_clean", "mix_both", "mix_single"):
            stale = mixture_csv_path(out_root, n_mix, subset, t, sample_rate)
            if (n_mix, t) not in written and stale.exists():
                os.unlink(stale)
    return written
