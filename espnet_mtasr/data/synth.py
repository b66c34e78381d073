"""A synthetic LibriSpeech-layout corpus spoken by espeak-ng (the mini recipe's source).

:func:`synthesize_librispeech` draws sentences with :mod:`espnet_mtasr.data.sentences`
(train/held-out sentence sets disjoint, every held-out word seen in training), gives each
split its own speakers (an espeak-ng voice + variant + pitch + speed; splits never share
one, but every split draws from the same voice families), speaks every sentence with
espeak-ng in ``nj`` parallel processes, resamples 22.05 kHz -> 16 kHz, trims silence
(keeping 0.1 s) and writes::

    <out_root>/LibriSpeech/<split>/<spk>/<chap>/<spk>-<chap>-<utt:04d>.flac   16 kHz mono
    <out_root>/LibriSpeech/<split>/<spk>/<chap>/<spk>-<chap>.trans.txt        UPPERCASE
    <out_root>/LibriSpeech/SPEAKERS.TXT                                       ID | SEX | ...

The result reads like a LibriSpeech tree (``librispeech.index_librispeech``) and feeds
the mixture simulator (``mixture.simulate_librimix``).
"""

from __future__ import annotations

import io
import random
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Sequence, Tuple, Union

import numpy as np
import soundfile as sf
import soxr
from tqdm import tqdm

from espnet_mtasr.data.sentences import make_sentence_splits
from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.fileio import atomic_dir, atomic_write

__all__ = [
    "DEFAULT_SPEAKERS",
    "DEFAULT_SPLITS",
    "VOICES",
    "SynthSpeaker",
    "check_espeak",
    "make_speakers",
    "synthesize_librispeech",
    "synthesize_utterance",
]

PathLike = Union[str, Path]

VOICES: Tuple[str, ...] = (
    "en-us",
    "en-gb",
    "en-gb-scotland",
    "en-gb-x-gbclan",
    "en-gb-x-rp",
    "en-gb-x-gbcwmd",
    "en-029",
    "en-us-nyc",
)
"""espeak-ng voice families; each split cycles through all of them."""

# espeak-ng 1.51 ignores a "+variant" on "en-gb"; its file "gmw/en" (language "en") takes it.
_ESPEAK_NAME = {"en-gb": "en"}
MALE_VARIANTS: Tuple[str, ...] = ("m1", "m2", "m3", "m4", "m5", "m6", "m7")
FEMALE_VARIANTS: Tuple[str, ...] = ("f1", "f2", "f3", "f4", "f5")
PITCHES: Tuple[int, ...] = tuple(range(30, 71, 5))  # espeak -p (0..99, default 50)
SPEEDS: Tuple[int, ...] = tuple(range(140, 191, 10))  # espeak -s, words per minute

DEFAULT_SPLITS: Dict[str, int] = {"train-clean-100": 1500, "dev-clean": 200, "test-clean": 200}
DEFAULT_SPEAKERS: Dict[str, int] = {"train-clean-100": 16, "dev-clean": 4, "test-clean": 4}

ESPEAK_RATE = 22050  # espeak-ng's output sample rate (Hz)
TRIM_KEEP_S = 0.1  # silence kept before the first / after the last voiced frame
TARGET_RMS_DB = -20.0  # utterance level after synthesis (dBFS over voiced frames)


@dataclass(frozen=True)
class SynthSpeaker:
    """A synthetic speaker: one espeak-ng voice setting under a LibriSpeech-like id.

    Attributes:
        speaker_id: numeric id (string), e.g. ``"4127"``.
        chapter_id: numeric chapter id (string); one chapter per speaker.
        split: the LibriSpeech subset the speaker belongs to.
        voice: espeak-ng voice family, one of :data:`VOICES`.
        variant: espeak-ng variant (``m1..m7``, ``f1..f5``).
        pitch: espeak-ng ``-p`` (0..99).
        speed: espeak-ng ``-s`` in words per minute.
    """

    speaker_id: str
    chapter_id: str
    split: str
    voice: str
    variant: str
    pitch: int
    speed: int

    @property
    def sex(self) -> str:
        """``"F"`` for a female variant, else ``"M"`` (SPEAKERS.TXT column)."""
        return "F" if self.variant.startswith("f") else "M"

    @property
    def name(self) -> str:
        """Readable description, used as the SPEAKERS.TXT name."""
        return f"espeak-ng {self.voice}+{self.variant} p{self.pitch} s{self.speed}"

    def espeak_args(self) -> List[str]:
        """The espeak-ng options selecting this voice."""
        voice = _ESPEAK_NAME.get(self.voice, self.voice)
        return ["-v", f"{voice}+{self.variant}", "-p", str(self.pitch), "-s", str(self.speed)]


def check_espeak() -> str:
    """Return the espeak-ng executable path.

    Raises:
        MTASRInputError: espeak-ng is not installed.
    """
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise MTASRInputError(
            "espeak-ng not found on PATH (the synthetic corpus is spoken by espeak-ng)",
            fix="sudo apt-get install espeak-ng",
        )
    return exe


def make_speakers(speakers: Mapping[str, int], seed: int = 0) -> Dict[str, List[SynthSpeaker]]:
    """Draw distinct synthetic speakers for each split.

    Every split cycles through the voice families (in a seed-dependent order) and
    alternates male and female variants; no (voice, variant, pitch, speed) combination,
    speaker id or chapter id occurs twice, so splits have disjoint speakers that are
    still "in distribution" (same voice families, other settings).

    Args:
        speakers: ``split -> number of speakers``.
        seed: random seed.

    Returns:
        ``split -> speakers`` (in draw order).
    """
    rng = random.Random(f"speakers-{seed}")
    used_combos = set()
    used_ids = set()
    out: Dict[str, List[SynthSpeaker]] = {}
    for split, n in speakers.items():
        families = list(VOICES)
        rng.shuffle(families)
        female_first = rng.random() < 0.5
        out[split] = []
        for i in range(n):
            voice = families[i % len(families)]
            female = (i % 2 == 0) == female_first
            while True:
                variant = rng.choice(FEMALE_VARIANTS if female else MALE_VARIANTS)
                combo = (voice, variant, rng.choice(PITCHES), rng.choice(SPEEDS))
                if combo not in used_combos:
                    break
            used_combos.add(combo)
            spk = _unique_int(rng, 100, 9999, used_ids)
            chap = _unique_int(rng, 10000, 199999, used_ids)
            out[split].append(SynthSpeaker(str(spk), str(chap), split, *combo))
    return out


def _unique_int(rng: random.Random, lo: int, hi: int, used: set) -> int:
    """A random int in ``[lo, hi]`` not in ``used`` (added to it)."""
    while True:
        x = rng.randint(lo, hi)
        if x not in used:
            used.add(x)
            return x


def _trim(x: np.ndarray, sample_rate: int, keep_s: float = TRIM_KEEP_S) -> np.ndarray:
    """Cut leading/trailing silence of ``x`` (T,), keeping ``keep_s`` seconds of it.

    Silence = 10 ms frames 45 dB below the loudest frame.
    """
    hop = max(1, sample_rate // 100)
    n = len(x) // hop
    if n == 0:
        return x
    energy = (x[: n * hop].reshape(n, hop) ** 2).mean(axis=1)
    voiced = np.flatnonzero(energy > energy.max() * 10 ** (-45 / 10))
    if voiced.size == 0:
        return x
    keep = int(keep_s * sample_rate)
    start = max(0, voiced[0] * hop - keep)
    end = min(len(x), (voiced[-1] + 1) * hop + keep)
    return x[start:end]


def _normalize(x: np.ndarray, rms_db: float = TARGET_RMS_DB, peak: float = 0.95) -> np.ndarray:
    """Scale ``x`` to ``rms_db`` dBFS RMS, lowered if the peak would exceed ``peak``."""
    rms = float(np.sqrt(np.mean(x**2))) if x.size else 0.0
    if rms == 0.0:
        return x
    gain = 10 ** (rms_db / 20) / rms
    gain = min(gain, peak / float(np.abs(x).max()))
    return x * gain


def synthesize_utterance(
    text: str, speaker: SynthSpeaker, sample_rate: int = 16000, espeak: str = "espeak-ng"
) -> np.ndarray:
    """Speak ``text`` with ``speaker``'s voice.

    Args:
        text: words; lowercased before synthesis (espeak spells all-caps words).
        speaker: the voice.
        sample_rate: output rate in Hz.
        espeak: the espeak-ng executable.

    Returns:
        float32 waveform (T,) at ``sample_rate``, silence-trimmed, RMS-normalised.

    Raises:
        MTASRInputError: espeak-ng failed or produced no audio.
    """
    cmd = [espeak, *speaker.espeak_args(), "--stdout", text.lower()]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0 or len(proc.stdout) <= 44:
        err = proc.stderr.decode(errors="replace").strip()
        raise MTASRInputError(
            f"espeak-ng failed (exit {proc.returncode}) for {' '.join(cmd)!r}: {err}",
            fix="check that `espeak-ng -v en-us 'hello' --stdout > /dev/null` works",
        )
    x, rate = sf.read(io.BytesIO(proc.stdout), dtype="float32")
    if x.ndim > 1:
        x = x.mean(axis=1)
    if rate != sample_rate:
        x = soxr.resample(x, rate, sample_rate)
    return _normalize(_trim(x, sample_rate)).astype(np.float32)


def _write_speakers_txt(path: Path, speakers: Sequence[SynthSpeaker], minutes: Dict[str, float]):
    """Write a LibriSpeech-style SPEAKERS.TXT."""
    with atomic_write(path) as f:
        f.write("; Synthetic speakers (espeak-ng) in the LibriSpeech SPEAKERS.TXT format\n")
        f.write(";ID  |SEX| SUBSET           |MINUTES| NAME\n")
        for spk in sorted(speakers, key=lambda s: int(s.speaker_id)):
            f.write(
                f"{spk.speaker_id:<5}| {spk.sex} | {spk.split:<17}| "
                f"{minutes.get(spk.speaker_id, 0.0):5.2f} | {spk.name}\n"
            )


def synthesize_librispeech(
    out_root: PathLike,
    splits: Mapping[str, int] | None = None,
    speakers: Mapping[str, int] | None = None,
    min_words: int = 3,
    max_words: int = 7,
    seed: int = 0,
    nj: int = 4,
    max_per_category: int | None = None,
    sample_rate: int = 16000,
) -> Path:
    """Synthesize a LibriSpeech-layout corpus under ``<out_root>/LibriSpeech``.

    ``<out_root>/LibriSpeech`` is built in a temporary directory and renamed into place
    (an existing one is replaced only on success).

    Args:
        out_root: directory to hold ``LibriSpeech/``.
        splits: ``subset -> number of utterances`` (default :data:`DEFAULT_SPLITS`);
            names containing ``"train"`` are training splits (see
            :func:`~espnet_mtasr.data.sentences.make_sentence_splits`).
        speakers: ``subset -> number of speakers`` (default :data:`DEFAULT_SPEAKERS`,
            else 4 per split); utterances are dealt round-robin to the split's speakers.
        min_words: shortest sentence in words (3..8).
        max_words: longest sentence in words (3..8).
        seed: random seed (sentences, speakers); the corpus depends only on the arguments.
        nj: parallel espeak-ng processes.
        max_per_category: smaller vocabulary (see
            :func:`~espnet_mtasr.data.sentences.make_sentence_splits`); ``None`` = all.
        sample_rate: output rate in Hz.

    Returns:
        The ``LibriSpeech`` directory.

    Raises:
        MTASRInputError: espeak-ng is missing or fails.
        ValueError: bad sizes.
    """
    espeak = check_espeak()
    splits = dict(DEFAULT_SPLITS if splits is None else splits)
    if speakers is None:
        speakers = {s: DEFAULT_SPEAKERS.get(s, 4) for s in splits}
    missing = [s for s in splits if speakers.get(s, 0) < 1]
    if missing:
        raise ValueError(f"splits {missing} need at least one speaker")
    sentences = make_sentence_splits(splits, seed, min_words, max_words, max_per_category)
    spk_by_split = make_speakers({s: speakers[s] for s in splits}, seed)

    jobs: List[Tuple[str, SynthSpeaker, str]] = []  # (utt_id, speaker, text)
    for split, texts in sentences.items():
        spks = spk_by_split[split]
        for i, text in enumerate(texts):
            spk = spks[i % len(spks)]
            jobs.append((f"{spk.speaker_id}-{spk.chapter_id}-{i // len(spks):04d}", spk, text))

    out_root = Path(out_root)
    minutes: Dict[str, float] = {}
    with atomic_dir(out_root / "LibriSpeech") as tmp:

        def chapter_dir(spk: SynthSpeaker) -> Path:
            return tmp / spk.split / spk.speaker_id / spk.chapter_id

        used = {spk for _, spk, _ in jobs}  # speakers with at least one utterance
        for spk in used:
            chapter_dir(spk).mkdir(parents=True)

        def run(job: Tuple[str, SynthSpeaker, str]) -> float:
            utt_id, spk, text = job
            x = synthesize_utterance(text, spk, sample_rate, espeak)
            sf.write(chapter_dir(spk) / f"{utt_id}.flac", x, sample_rate, subtype="PCM_16")
            return len(x) / sample_rate

        with ThreadPoolExecutor(max_workers=max(1, nj)) as pool:
            try:
                durations = list(
                    tqdm(pool.map(run, jobs), total=len(jobs), desc="espeak-ng", unit="utt")
                )
            except BaseException:
                pool.shutdown(cancel_futures=True)  # do not synthesize the rest
                raise
        trans: Dict[Path, List[str]] = {}
        for (utt_id, spk, text), dur in zip(jobs, durations):
            trans.setdefault(chapter_dir(spk), []).append(f"{utt_id} {text.upper()}")
            minutes[spk.speaker_id] = minutes.get(spk.speaker_id, 0.0) + dur / 60
        for chap_dir, lines in trans.items():
            name = f"{chap_dir.parent.name}-{chap_dir.name}.trans.txt"
            (chap_dir / name).write_text("\n".join(sorted(lines)) + "\n", encoding="utf-8")
        _write_speakers_txt(tmp / "SPEAKERS.TXT", sorted(used, key=lambda s: s.split), minutes)
    return out_root / "LibriSpeech"
