"""Read a LibriSpeech-layout tree: transcripts, audio paths, single-speaker Kaldi dirs.

Layout (as distributed on openslr.org/12)::

    <root>/LibriSpeech/<subset>/<spk>/<chap>/<spk>-<chap>.trans.txt   "<utt> WORDS ..."
    <root>/LibriSpeech/<subset>/<spk>/<chap>/<utt>.flac                16 kHz mono
    <root>/LibriSpeech/SPEAKERS.TXT                                    "ID | SEX | ..."

``<root>`` may also be the ``LibriSpeech`` directory itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Union

import soundfile as sf
from tqdm import tqdm

from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.fileio import atomic_dir, read_text, write_kaldi_map

__all__ = [
    "LibriSpeechUtterance",
    "find_librispeech_dir",
    "index_librispeech",
    "prepare_librispeech",
]

PathLike = Union[str, Path]


@dataclass(frozen=True)
class LibriSpeechUtterance:
    """One transcribed LibriSpeech utterance.

    Attributes:
        utt_id: ``<spk>-<chap>-<utt>``.
        speaker: the LibriSpeech speaker id (``<spk>``).
        subset: e.g. ``dev-clean``.
        text: the transcript as written (uppercase words; may be empty).
        audio: the ``<utt>.flac`` path (it may not exist: transcripts-only copies);
            ``None`` where unknown.
        trans_path: the ``.trans.txt`` file the transcript was read from.
        line: 1-based line number in ``trans_path``.
    """

    utt_id: str
    speaker: str
    subset: str
    text: str
    audio: Path | None
    trans_path: Path
    line: int


def find_librispeech_dir(root: PathLike) -> Path:
    """Return ``<root>/LibriSpeech``, or ``root`` itself if it is the LibriSpeech directory.

    Raises:
        MTASRInputError: neither holds any ``<subset>/<spk>/<chap>/*.trans.txt``.
    """
    root = Path(root)
    for cand in (root / "LibriSpeech", root):
        if cand.is_dir() and next(cand.glob("*/*/*/*.trans.txt"), None) is not None:
            return cand
    raise MTASRInputError(
        "no LibriSpeech transcripts (<subset>/<spk>/<chap>/<spk>-<chap>.trans.txt) found",
        path=root,
        fix="pass the directory that contains LibriSpeech/ (or LibriSpeech/ itself)",
    )


def _read_trans(path: Path, subset: str) -> Iterable[LibriSpeechUtterance]:
    """Parse one ``<spk>-<chap>.trans.txt`` file."""
    speaker = path.parent.parent.name
    for lineno, raw in enumerate(read_text(path, "transcript").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        utt_id, _, text = line.partition(" ")
        yield LibriSpeechUtterance(
            utt_id=utt_id,
            speaker=speaker,
            subset=subset,
            text=" ".join(text.split()),
            audio=path.parent / f"{utt_id}.flac",
            trans_path=path,
            line=lineno,
        )


def index_librispeech(
    root: PathLike, subsets: Sequence[str] | None = None
) -> Dict[str, LibriSpeechUtterance]:
    """Index every transcript under a LibriSpeech tree.

    Args:
        root: the directory holding ``LibriSpeech/`` (or ``LibriSpeech/`` itself).
        subsets: only these subsets (e.g. ``["dev-clean"]``); default all.

    Returns:
        ``utt_id -> LibriSpeechUtterance``.

    Raises:
        MTASRInputError: no transcripts, a requested subset is missing, or an utterance id
            occurs twice.
    """
    ls_dir = find_librispeech_dir(root)
    if subsets is not None:
        missing = [s for s in subsets if not (ls_dir / s).is_dir()]
        if missing:
            have = sorted(p.name for p in ls_dir.iterdir() if p.is_dir())
            raise MTASRInputError(
                f"subset(s) {missing} not found (have {have})",
                path=ls_dir,
                fix="check the subset names",
            )
        trans_files = [p for s in subsets for p in sorted((ls_dir / s).glob("*/*/*.trans.txt"))]
    else:
        trans_files = sorted(ls_dir.glob("*/*/*/*.trans.txt"))
    index: Dict[str, LibriSpeechUtterance] = {}
    for path in trans_files:
        subset = path.parent.parent.parent.name
        for utt in _read_trans(path, subset):
            prev = index.get(utt.utt_id)
            if prev is not None:
                raise MTASRInputError(
                    f"utterance {utt.utt_id} also in {prev.trans_path}:{prev.line}",
                    path=path,
                    line=utt.line,
                    fix="remove the duplicate transcript line",
                )
            index[utt.utt_id] = utt
    return index


def prepare_librispeech(
    librispeech_root: PathLike,
    out_dir: PathLike,
    subsets: Sequence[str] | None = None,
) -> Path:
    """Write a single-speaker Kaldi data dir for (some subsets of) a LibriSpeech tree.

    Files (sorted by utterance id): ``wav.scp`` (``<utt> <abs flac path>``), ``text``,
    ``utt2spk`` (speaker = LibriSpeech speaker; the utterance id starts with it, as Kaldi
    wants), ``spk2utt``, ``utt2dur`` (seconds, 3 decimals). Written atomically.

    Args:
        librispeech_root: the directory holding ``LibriSpeech/`` (or ``LibriSpeech/``).
        out_dir: the data dir to (re)create.
        subsets: e.g. ``["train-clean-100"]``; default every subset found.

    Returns:
        ``out_dir``.

    Raises:
        MTASRInputError: no transcripts, a missing flac, or an empty transcript.
    """
    index = index_librispeech(librispeech_root, subsets)
    wav, text, utt2spk, utt2dur = {}, {}, {}, {}
    for utt_id, utt in tqdm(sorted(index.items()), desc="librispeech", unit="utt", leave=False):
        if utt.audio is None or not utt.audio.is_file():
            raise MTASRInputError(
                f"audio {utt.audio} of utterance {utt_id} not found",
                path=utt.trans_path,
                line=utt.line,
                fix="restore the flac file or remove its transcript line",
            )
        if not utt.text:
            raise MTASRInputError(
                f"empty transcript for {utt_id}",
                path=utt.trans_path,
                line=utt.line,
                fix="add the words or remove the line",
            )
        wav[utt_id] = str(utt.audio.resolve())
        text[utt_id] = utt.text
        utt2spk[utt_id] = utt.speaker
        utt2dur[utt_id] = f"{sf.info(str(utt.audio)).duration:.3f}"
    spk2utt: Dict[str, List[str]] = {}
    for utt_id, spk in sorted(utt2spk.items()):
        spk2utt.setdefault(spk, []).append(utt_id)
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        write_kaldi_map(tmp / "wav.scp", wav)
        write_kaldi_map(tmp / "text", text)
        write_kaldi_map(tmp / "utt2spk", utt2spk)
        write_kaldi_map(tmp / "spk2utt", {s: " ".join(u) for s, u in spk2utt.items()})
        write_kaldi_map(tmp / "utt2dur", utt2dur)
    return out_dir
