"""Fake LibriSpeech / LibriMix trees copying the real layouts (see
espnet_mtasr.data.librimix / librispeech).

Imported by the tests of ``test/data`` (``from librimix_fakes import ...``); the
``fake_corpus`` fixture is in ``conftest.py``.

Everything is generated in ``tmp_path``: tiny random PCM16 wavs, FLACs and the LibriMix
metadata CSVs with the real column names and absolute paths "from another machine".
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import soundfile as sf

SR = 16000
OTHER_MACHINE = "/home/someone-else/corpora/LibriMix"
"""Root of the absolute paths in the fake CSVs: the machine that generated LibriMix."""

# utt id -> (transcript, flac duration in seconds or None for "no flac")
LIBRISPEECH_UTTS = {
    "1272-128104-0000": ("MISTER QUILTER IS THE APOSTLE", 1.0),
    "2035-147961-0014": ("HE HOPED THERE WOULD BE STEW", 1.5),
    "3536-8226-0026": ("THE THIRD ONE", 0.5),
    "1673-143397-0009": ("A FOURTH TALKER", 2.0),
    "6313-66125-0001": ("ONLY A TRANSCRIPT", None),
}


def write_wav(path: Path, n_samples: int, sample_rate: int = SR, seed: int = 0) -> Path:
    """Write random mono PCM16 audio (wav or flac by suffix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    x = np.random.default_rng(seed).uniform(-0.3, 0.3, n_samples)
    sf.write(path, x, sample_rate, subtype="PCM_16")
    return path


def write_librispeech(
    root: Path,
    utts: Dict[str, tuple],
    subset: str = "dev-clean",
    sample_rate: int = SR,
) -> Path:
    """``<root>/LibriSpeech/<subset>/<spk>/<chap>/`` with trans.txt (+ flac where a duration
    is given) and a SPEAKERS.TXT; ``utts``: ``utt id -> (text, seconds or None)``."""
    ls = root / "LibriSpeech"
    chapters: Dict[Path, List[str]] = {}
    for i, (utt, (text, dur)) in enumerate(sorted(utts.items())):
        spk, chap, _ = utt.split("-")
        chap_dir = ls / subset / spk / chap
        chapters.setdefault(chap_dir, []).append(f"{utt} {text}".rstrip())
        if dur is not None:
            write_wav(chap_dir / f"{utt}.flac", int(round(dur * sample_rate)), sample_rate, i)
    for chap_dir, lines in chapters.items():
        chap_dir.mkdir(parents=True, exist_ok=True)
        name = f"{chap_dir.parent.name}-{chap_dir.name}.trans.txt"
        (chap_dir / name).write_text("\n".join(lines) + "\n")
    spks = sorted({u.split("-")[0] for u in utts})
    (ls / "SPEAKERS.TXT").write_text(
        ";ID  |SEX| SUBSET           |MINUTES| NAME\n"
        + "".join(f"{s:<5}| F | {subset:<17}| 25.00 | Someone\n" for s in spks)
    )
    return root


@dataclass
class MixRow:
    """One fake LibriMix metadata row: id, length in seconds, offsets in seconds."""

    mixture_id: str
    seconds: float
    offsets: Optional[Sequence[float]] = None


def write_librimix_csv(
    root: Path,
    n_src: int,
    subset: str,
    mix_type: str,
    rows: Sequence[MixRow],
    offset_style: str = "none",
    path_root: str = OTHER_MACHINE,
    sample_rate: int = SR,
) -> Path:
    """Write the mixture wavs (at the real LibriMix location under ``root``) and the CSV.

    Args:
        offset_style: ``"none"`` (real LibriMix), ``"offset"`` (ESPnet sot_asr1: one
            ``offset`` column = source 2's start) or ``"per_source"``
            (``source_<k>_offset`` columns after ``length``).
        path_root: root written into the CSV's absolute paths (``str(root)`` for paths
            that exist here).
    """
    sr_dir = f"wav{sample_rate // 1000}k"
    base = f"Libri{n_src}Mix/{sr_dir}/max"
    n_paths = 1 if mix_type == "mix_single" else n_src
    header = ["mixture_ID", "mixture_path"] + [f"source_{k}_path" for k in range(1, n_paths + 1)]
    if mix_type != "mix_clean":
        header.append("noise_path")
    header.append("length")
    if offset_style == "offset":
        header.append("offset")
    elif offset_style == "per_source":
        header += [f"source_{k}_offset" for k in range(1, n_paths + 1)]
    lines = [header]
    for i, row in enumerate(rows):
        n = int(round(row.seconds * sample_rate))
        rel = f"{base}/{subset}/{mix_type}/{row.mixture_id}.wav"
        write_wav(root / rel, n, sample_rate, seed=100 + i)
        line = [row.mixture_id, f"{path_root}/{rel}"]
        line += [
            f"{path_root}/{base}/{subset}/s{k}/{row.mixture_id}.wav" for k in range(1, n_paths + 1)
        ]
        if mix_type != "mix_clean":
            line.append(f"{path_root}/{base}/{subset}/noise/{row.mixture_id}.wav")
        line.append(str(n))
        offsets = list(row.offsets or [0.0] * n_src)
        if offset_style == "offset":
            line.append(f"{offsets[1]:g}")
        elif offset_style == "per_source":
            line += [f"{o:g}" for o in offsets[:n_paths]]
        lines.append(line)
    path = root / base / "metadata" / f"mixture_{subset}_{mix_type}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(lines)
    return path


MIX2 = "1272-128104-0000_2035-147961-0014"
MIX2_TIE = "3536-8226-0026_1673-143397-0009"
MIX3 = "1272-128104-0000_2035-147961-0014_3536-8226-0026"
MIX3_ZERO = "1673-143397-0009_6313-66125-0001_3536-8226-0026"


@dataclass
class FakeCorpus:
    """Paths of the standard fake corpus."""

    librimix: Path
    librispeech: Path
    csv_2_clean: Path
    csv_2_single: Path
    csv_3_clean: Path


def build_fake_corpus(tmp_path: Path) -> FakeCorpus:
    """The standard fake corpus (subset ``dev``):

    - ``Libri2Mix`` ``mix_clean`` with an ESPnet ``offset`` column: ``MIX2`` (source 2 at
      1.25 s, 2.75 s long) and ``MIX2_TIE`` (offset 0, 2.0 s); paths from another machine.
    - ``Libri2Mix`` ``mix_single`` (real columns, no offsets): ``MIX2``, 1.5 s.
    - ``Libri3Mix`` ``mix_clean`` with ``source_<k>_offset`` columns and paths valid here:
      ``MIX3`` at (1.0, 1.5, 0.0), 3.0 s; ``MIX3_ZERO`` at (0, 0, 0), 1.5 s.
    """
    librimix = tmp_path / "LibriMix"
    librispeech = write_librispeech(tmp_path / "ls", LIBRISPEECH_UTTS)
    c2 = write_librimix_csv(
        librimix,
        2,
        "dev",
        "mix_clean",
        [MixRow(MIX2, 2.75, [0, 1.25]), MixRow(MIX2_TIE, 2.0, [0, 0])],
        offset_style="offset",
    )
    c1 = write_librimix_csv(librimix, 2, "dev", "mix_single", [MixRow(MIX2, 1.5)])
    c3 = write_librimix_csv(
        librimix,
        3,
        "dev",
        "mix_clean",
        [MixRow(MIX3, 3.0, [1.0, 1.5, 0.0]), MixRow(MIX3_ZERO, 1.5, [0, 0, 0])],
        offset_style="per_source",
        path_root=str(librimix),
    )
    return FakeCorpus(librimix, librispeech, c2, c1, c3)


def write_single_speaker_dir(
    out_dir: Path, n_speakers: int = 4, utts_per_speaker: int = 3, seed: int = 0
) -> Dict[str, np.ndarray]:
    """A Kaldi dir (wav.scp, utt2spk, text) of random-noise "utterances" 0.2-0.5 s long.

    Every sample has magnitude >= 0.1, so a source's first non-zero sample after
    left-padding is exactly its offset. Returns ``utt id -> int16 samples``.
    """
    rng = np.random.default_rng(seed)
    audio_dir = out_dir / "audio"
    audio_dir.mkdir(parents=True)
    wav, spk, text, data = {}, {}, {}, {}
    for s in range(n_speakers):
        speaker = str(100 + s)
        for u in range(utts_per_speaker):
            utt = f"{speaker}-7-{u:04d}"
            n = int(rng.integers(int(0.2 * SR), int(0.5 * SR)))
            x = rng.uniform(0.1, 0.4, n) * rng.choice([-1.0, 1.0], n)
            sf.write(audio_dir / f"{utt}.wav", x, SR, subtype="PCM_16")
            data[utt] = sf.read(audio_dir / f"{utt}.wav", dtype="int16")[0]
            wav[utt] = str(audio_dir / f"{utt}.wav")
            spk[utt] = speaker
            text[utt] = f"WORD{s} UTT{u}"
    for name, items in (("wav.scp", wav), ("utt2spk", spk), ("text", text)):
        (out_dir / name).write_text("".join(f"{k} {v}\n" for k, v in sorted(items.items())))
    return data


ESPNET_OFFSET_COLUMNS = [
    "mixture_ID", "source_1_path", "source_1_gain", "source_2_path", "source_2_gain",
    "noise_path", "noise_gain", "offset",
]  # fmt: skip
"""Columns of ESPnet sot_asr1's ``local/metadta_Libri2Mix_offset/libri2mix_<subset>.csv``."""

SOT_ASR1_OFFSETS = {MIX2: "1.0968539838350138", MIX2_TIE: "1.4970402257949407"}
"""``offset`` cells of the fake sot_asr1 tree (values as in ESPnet's dev-clean CSV)."""


def write_espnet_offset_csv(
    offset_dir: Path, librispeech_subset: str, rows: Sequence[Tuple[str, str]]
) -> Path:
    """``<offset_dir>/libri2mix_<librispeech_subset>.csv`` with ESPnet's columns.

    Args:
        rows: ``(mixture_ID, offset cell)``; paths and gains are made up like ESPnet's.
    """
    lines = [ESPNET_OFFSET_COLUMNS]
    for i, (mid, offset) in enumerate(rows):
        u1, u2 = mid.split("_")
        src = [
            f"{librispeech_subset}/{u.split('-')[0]}/{u.split('-')[1]}/{u}.flac" for u in (u1, u2)
        ]
        lines.append(
            [mid, src[0], f"{0.79 + i / 10}", src[1], f"{0.21 + i / 10}"]
            + [f"cv/20oo0109_0.72115_01ua010r_-0.72115_{i}.wav", "1.11", offset]
        )
    offset_dir.mkdir(parents=True, exist_ok=True)
    path = offset_dir / f"libri2mix_{librispeech_subset}.csv"
    with open(path, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(lines)
    return path


@dataclass
class SotAsr1Tree:
    """A LibriMix tree as ESPnet's ``egs2/librimix/sot_asr1`` stage 1 leaves it."""

    root: Path
    """``data/LibriMix/libri_mix_single_offset``: the ``--librimix_root``."""
    offset_dir: Path
    """The recipe's ``local/metadta_Libri2Mix_offset``."""
    link: Path
    """``data/LibriMix/metadata/Libri2Mix_offset``, stage 1's link to ``offset_dir``."""
    offset_csv: Path
    mixture_csvs: Dict[str, Path]
    librispeech: Path


def sot_asr1_samples(mixture_id: str, offset: str) -> int:
    """Length (samples) of a ``max`` mixture made by the sot_asr1 patch: source 2 padded
    with ``int(offset * 16000)`` zeros, the longer source kept."""
    lengths = [int(round(LIBRISPEECH_UTTS[u][1] * SR)) for u in mixture_id.split("_")]
    return max(lengths[0], int(float(offset) * SR) + lengths[1])


def build_sot_asr1_tree(tmp_path: Path) -> SotAsr1Tree:
    """``MIX2`` and ``MIX2_TIE`` (subset ``dev``) at :data:`SOT_ASR1_OFFSETS`.

    The mixture CSVs are LibriMix's (``mix_clean``, ``mix_both``, ``mix_single``; no offset
    column, absolute paths of the generating run); the offsets are only in
    ``libri2mix_dev-clean.csv``, beside an ``_info.csv`` as in ESPnet.
    """
    recipe = tmp_path / "espnet" / "egs2" / "librimix" / "sot_asr1"
    offset_dir = recipe / "local" / "metadta_Libri2Mix_offset"
    offset_csv = write_espnet_offset_csv(offset_dir, "dev-clean", list(SOT_ASR1_OFFSETS.items()))
    (offset_dir / "libri2mix_dev-clean_info.csv").write_text(
        "mixture_ID,speaker_1_ID,speaker_1_sex,speaker_2_ID,speaker_2_sex\n"
    )
    librimix = recipe / "data" / "LibriMix"
    link = librimix / "metadata" / "Libri2Mix_offset"
    link.parent.mkdir(parents=True)
    link.symlink_to(offset_dir)
    root = librimix / "libri_mix_single_offset"
    rows = [MixRow(m, sot_asr1_samples(m, o) / SR) for m, o in SOT_ASR1_OFFSETS.items()]
    csvs = {
        t: write_librimix_csv(root, 2, "dev", t, rows, path_root=str(root))
        for t in ("mix_clean", "mix_both", "mix_single")
    }
    librispeech = write_librispeech(tmp_path / "ls", LIBRISPEECH_UTTS)
    return SotAsr1Tree(root, offset_dir, link, offset_csv, csvs, librispeech)
