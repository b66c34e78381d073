"""Stage 2 (optional): speed perturbation of a data dir, as ESPnet ``asr.sh`` / Kaldi do.

:func:`speed_perturb_data_dir` writes ONE combined data dir holding every factor. For a
factor ``f != 1`` each utterance, speaker and recording id gets the prefix ``sp<f>-``
(``sp0.9-``, Kaldi's spelling) and its audio becomes a sox pipe::

    sp0.9-<utt> sox -t wav <path> -t wav - speed 0.9 |       (a file)
    sp0.9-<utt> <cmd> | sox -t wav - -t wav - speed 0.9 |   (a pipe entry)

``speed f`` plays the audio ``f`` times faster (pitch changes too) and resamples back to
the input rate, so a perturbed utterance lasts ``1/f`` as long: ``utt2dur``, ``reco2dur``,
``segments`` and ``utt2talkers`` times are divided by ``f`` (3 decimals). Transcripts
(``text``, ``text_spk*``) and ``utt2num_spk`` are unchanged. A factor of 1 keeps the
original ids and entries. ``utt2num_samples`` is not carried over (stage 3 writes it
again); files this module does not know are skipped with a note on stderr.
"""

from __future__ import annotations

import math
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Dict, List, Tuple, Union

from espnet_mtasr.data.datadir import (
    RECORDING_FILES,
    KaldiLine,
    is_per_utt_file,
    read_data_dir_file,
    spk2utt_from_utt2spk,
    validate_data_dir,
)
from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.fileio import atomic_dir, write_kaldi_map

__all__ = ["factor_prefix", "perturbed_wav_entry", "speed_perturb_data_dir"]

PathLike = Union[str, Path]

SCALED_BY_DURATION = ("utt2dur", "reco2dur")
"""``<id> <seconds>`` files whose value is divided by the factor."""

DROPPED = ("utt2num_samples", "spk2utt", "audio_format", "feats_type")
"""Files not copied: recomputed by stage 3 (``utt2num_samples``, ``audio_format``,
``feats_type``) or regenerated here (``spk2utt``)."""


def factor_prefix(factor: float) -> str:
    """Id prefix of a factor: ``""`` for 1, else ``sp<f>-`` (``0.9`` -> ``sp0.9-``)."""
    return "" if _is_one(factor) else f"sp{factor:g}-"


def perturbed_wav_entry(value: str, factor: float) -> str:
    """The ``wav.scp`` value that plays ``value`` (a path or a ``cmd |`` pipe) ``factor``x fast.

    Wav files are read with ``-t wav`` like Kaldi; other files (``.flac``) let sox detect
    the type from the extension.
    """
    if _is_one(factor):
        return value
    effect = f"-t wav - speed {factor:g} |"
    if value.endswith("|"):
        return f"{value} sox -t wav - {effect}"
    src = "-t wav " if value.lower().endswith(".wav") else ""
    return f"sox {src}{shlex.quote(value)} {effect}"


def speed_perturb_data_dir(
    in_dir: PathLike, out_dir: PathLike, factors: Sequence[float] = (0.9, 1.0, 1.1)
) -> int:
    """Write the speed-perturbed copies of ``in_dir`` (all ``factors``) into ``out_dir``.

    Args:
        in_dir: a valid data dir (checked first, audio headers not read).
        out_dir: replaced atomically (it appears complete or not at all).
        factors: positive speed factors, no repeats; ``1.0`` keeps the originals.

    Returns:
        The number of utterances written.

    Raises:
        MTASRInputError: bad factors or an invalid ``in_dir``.
    """
    factors = _check_factors(factors)
    in_dir = Path(in_dir)
    if Path(out_dir).resolve() == in_dir.resolve():
        raise MTASRInputError("--out_dir must differ from --in_dir", out_dir)
    validate_data_dir(in_dir, check_audio=False)
    names = sorted(p.name for p in in_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    with atomic_dir(out_dir) as tmp:
        for name in names:
            transform = _transform_for(name)
            if transform is None:
                if name not in DROPPED:
                    print(f"speed_perturb: {in_dir / name} not carried over", file=sys.stderr)
                continue
            lines = read_data_dir_file(in_dir / name)
            items = [item for f in factors for item in _perturb_lines(lines, f, transform)]
            write_kaldi_map(tmp / name, items)
        n_utts = _write_spk2utt(tmp)
        validate_data_dir(tmp, check_audio=False)
    return n_utts


def _is_one(factor: float) -> bool:
    return math.isclose(factor, 1.0)


def _check_factors(factors: Sequence[float]) -> List[float]:
    factors = [float(f) for f in factors]
    if not factors or any(not (math.isfinite(f) and f > 0) for f in factors):
        raise MTASRInputError(f"--factors must be positive numbers, got {factors}")
    prefixes = [factor_prefix(f) for f in factors]
    if len(set(prefixes)) != len(prefixes):
        raise MTASRInputError(f"--factors has repeats: {factors}")
    return factors


Transform = Callable[[str, float, str], str]
"""``(value, factor, prefix) -> new value`` of one line."""


def _transform_for(name: str) -> Transform | None:
    """How the values of file ``name`` change (``None``: the file is not carried over)."""
    if name in DROPPED:
        return None
    if name == "wav.scp":
        return lambda v, f, p: perturbed_wav_entry(v, f)
    if name in SCALED_BY_DURATION:
        return lambda v, f, p: f"{float(v) / f:.3f}"
    if name == "segments":
        return _perturb_segment
    if name == "utt2talkers":
        return _perturb_talkers
    if name == "utt2spk":
        return lambda v, f, p: p + v
    if name == "reco2file_and_channel":
        return lambda v, f, p: p + v
    if name == "spk2gender" or name in RECORDING_FILES or is_per_utt_file(name):
        return lambda v, f, p: v
    return None


def _perturb_lines(
    lines: Sequence[KaldiLine], factor: float, transform: Transform
) -> List[Tuple[str, str]]:
    if _is_one(factor):
        return [(ln.key, ln.value) for ln in lines]
    prefix = factor_prefix(factor)
    return [(prefix + ln.key, transform(ln.value, factor, prefix)) for ln in lines]


def _perturb_segment(value: str, factor: float, prefix: str) -> str:
    rec, start, end = value.split()
    new_end = end if float(end) == -1 else f"{float(end) / factor:.3f}"
    return f"{prefix}{rec} {float(start) / factor:.3f} {new_end}"


def _perturb_talkers(value: str, factor: float, prefix: str) -> str:
    fields = []
    for field in value.split():
        spk, start, end = field.rsplit(":", 2)
        fields.append(f"{spk}:{float(start) / factor:.3f}:{float(end) / factor:.3f}")
    return " ".join(fields)


def _write_spk2utt(out_dir: Path) -> int:
    """Regenerate ``spk2utt`` from ``utt2spk`` (if any); return the number of utterances."""
    if not (out_dir / "utt2spk").is_file():
        ids = read_data_dir_file(
            out_dir / "segments" if (out_dir / "segments").is_file() else out_dir / "wav.scp"
        )
        return len(ids)
    pairs = [(ln.key, ln.value) for ln in read_data_dir_file(out_dir / "utt2spk")]
    spk2utt: Dict[str, List[str]] = spk2utt_from_utt2spk(pairs)
    write_kaldi_map(out_dir / "spk2utt", {s: " ".join(u) for s, u in spk2utt.items()})
    return len(pairs)
