"""Synthetic Mandarin meetings in AliMeeting's layout (the mini_alimeeting corpus).

Sentences come from a small Mandarin grammar (:func:`mandarin_sentences`: subject, time,
verb, object, ending; plus short replies such as 好的); every session has 2 to 4
espeak-ng speakers of one Chinese voice (variant, pitch and speed drawn as in
:func:`espnet_mtasr.data.synth.make_speakers`; splits never share a speaker) taking turns
that overlap the previous one with probability ``overlap``.

The voice (:data:`VOICE_LANGS`) defaults to ``yue``: Debian's espeak-ng (1.51) ships a
``cmn`` dictionary without most of the grammar's characters (83 of its 98) and reads each
of those as English-spelled pinyin with the tone digit ("他们" -> "ta one men five"),
while its ``yue`` dictionary reads every one of them as a Chinese syllable. The
transcripts are the same characters either way; ``cmn`` is for an espeak-ng built with
the full Mandarin dictionary (``--with-extdict-cmn``). :func:`check_voice_covers` stops
before synthesis when the voice would read a character through another language.

The result is written as an AliMeeting far-field tree, so the real corpus' prep code
reads it::

    <root>/Train_Ali_far/audio_dir/R0001_M0001_MS001.wav      8 channels, 16 kHz
    <root>/Train_Ali_far/textgrid_dir/R0001_M0001.TextGrid    one tier per speaker
    <root>/Eval_Ali/Eval_Ali_far/...   <root>/Test_Ali/Test_Ali_far/...

The 8 "channels" are the mixture with a few samples of delay and a small gain change per
channel plus low noise (the prep reads channel 1). Labels end with "。" and may hold a
"，": the M2MeT normalisation removes them. Held-out sentences are not training
sentences but use only training words.
"""

from __future__ import annotations

import json
import logging
import random
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Sequence, Tuple

import numpy as np
import soundfile as sf
from tqdm import tqdm

from espnet_mtasr.data.meeting import textgrid_text
from espnet_mtasr.data.synth import (
    FEMALE_VARIANTS,
    MALE_VARIANTS,
    PITCHES,
    SPEEDS,
    SynthSpeaker,
    check_espeak,
    synthesize_utterance,
)
from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.fileio import atomic_dir

__all__ = [
    "PARTS", "SPEC_FILE", "VOICE_LANGS", "MeetingTurn", "check_voice_covers", "foreign_words",
    "grammar_characters", "mandarin_sentences", "plan_meeting", "reuse_corpus",
    "synthesize_meetings",
]  # fmt: skip

#: The arguments a corpus was synthesised with, kept at its root.
SPEC_FILE = "synth_meeting.json"

PARTS = {"train": "Train_Ali_far", "eval": "Eval_Ali/Eval_Ali_far", "test": "Test_Ali/Test_Ali_far"}
"""Split -> its far-field folder under the corpus root (the nested AliMeeting layout)."""

SUBJECTS = ("我们", "你们", "他们", "经理", "老师", "同事", "大家", "小王", "小李", "客户")
TIMES = ("今天", "明天", "下午", "上午", "周一", "晚上", "现在", "下周")
VERBS = ("讨论", "准备", "完成", "检查", "安排", "修改", "介绍", "总结", "提交", "确认")
OBJECTS = (
    "项目计划", "会议记录", "产品设计", "市场报告", "预算方案",
    "测试结果", "用户反馈", "工作安排", "合同内容", "培训课程",
)  # fmt: skip
ENDINGS = ("", "吧", "了", "一下")
REPLIES = ("好的", "可以", "没问题", "我同意", "对的", "明白了", "再想想", "不太好")
SAMPLE_RATE = 16000
CHANNELS = 8
VOICE_LANGS = ("yue", "cmn")
"""espeak-ng voices that read Chinese characters (the default first)."""


def mandarin_sentences(n: int, rng: random.Random, exclude: Sequence[str] = ()) -> List[str]:
    """``n`` distinct sentences of the grammar, none in ``exclude`` (about 1 in 5 a reply).

    Raises:
        ValueError: the grammar cannot give ``n`` new sentences.
    """
    out: List[str] = []
    seen = set(exclude)
    for _ in range(200 * n + 100):
        if len(out) == n:
            return out
        if rng.random() < 0.2:
            s = rng.choice(REPLIES)
            if s in seen:  # replies repeat in real meetings: allow them
                out.append(s)
                continue
        else:
            parts = [
                rng.choice(SUBJECTS),
                rng.choice(TIMES),
                rng.choice(VERBS),
                rng.choice(OBJECTS),
            ]
            if rng.random() < 0.5:
                parts[0], parts[1] = parts[1], parts[0]
            s = "".join(parts) + rng.choice(ENDINGS)
            if s in seen:
                continue
        seen.add(s)
        out.append(s)
    raise ValueError(f"cannot draw {n} new sentences from the grammar")


@dataclass(frozen=True)
class MeetingTurn:
    """One turn: ``speaker`` (index into the session's speakers) says ``text`` from
    ``start`` (s); its audio is synthesised separately (the end follows from it)."""

    speaker: int
    text: str
    start_gap: float  # seconds after the previous turn's end (negative: overlap)


def plan_meeting(
    rng: random.Random, n_speakers: int, sentences: Sequence[str], overlap: float
) -> List[MeetingTurn]:
    """Turns over ``sentences``: no speaker twice in a row; with probability ``overlap``
    a turn starts 0.3-1.2 s before the previous one ends, else 0.2-0.8 s after it."""
    turns, prev = [], None
    for text in sentences:
        spk = rng.choice([s for s in range(n_speakers) if s != prev])
        gap = -rng.uniform(0.3, 1.2) if turns and rng.random() < overlap else rng.uniform(0.2, 0.8)
        turns.append(MeetingTurn(spk, text, gap))
        prev = spk
    return turns


def grammar_characters() -> str:
    """Every character the sentence grammar can write (sorted, punctuation excluded)."""
    words = (*SUBJECTS, *TIMES, *VERBS, *OBJECTS, *ENDINGS, *REPLIES)
    return "".join(sorted(set("".join(words))))


def foreign_words(phonemes: str, voice: str) -> List[str]:
    """The words of espeak-ng ``-x`` output that ``voice`` reads through another language.

    espeak-ng marks a switch of language with ``(xx)`` before the words it reads in
    language ``xx``, and ``(voice)`` where it switches back, e.g. ``cmn`` reading 他 gives
    ``(en)ta55w'055n(cmn)_|`` (the pinyin "ta1" spelled in English).

    Args:
        phonemes: what ``espeak-ng -v voice -q -x`` printed for one text.
        voice: the voice's language code.

    Returns:
        the phoneme words read in a language other than ``voice`` (empty: all native).
    """
    out, lang = [], voice
    for word in re.split(r"[_|\s]+", phonemes):
        for i, part in enumerate(re.split(r"\(([a-z-]+)\)", word)):
            if i % 2:
                lang = part
            elif part and lang != voice:
                out.append(part)
    return out


def check_voice_covers(voice: str, chars: str, espeak: str = "espeak-ng") -> None:
    """Stop unless espeak-ng's ``voice`` reads every character of ``chars`` itself.

    Raises:
        MTASRInputError: naming the characters read through another language and the fix.
    """
    missing = []
    for ch in chars:
        proc = subprocess.run(
            [espeak, "-v", voice, "-q", "-x", ch], capture_output=True, text=True, check=False
        )
        if proc.returncode != 0 or not proc.stdout.strip() or foreign_words(proc.stdout, voice):
            missing.append(ch)
    if missing:
        others = [v for v in VOICE_LANGS if v != voice]
        raise MTASRInputError(
            f"espeak-ng voice {voice!r} does not read {len(missing)} of the grammar's "
            f"{len(chars)} characters as Chinese ({''.join(missing)}; e.g. `{espeak} -v "
            f"{voice} -q -x {missing[0]}` switches language)",
            fix=f"synthesise with --voice {others[0] if others else 'yue'}, or install an "
            f"espeak-ng built with the full {voice} dictionary",
        )


def _speakers(
    split_sizes: Mapping[str, int], seed: int, voice: str = "yue"
) -> Dict[str, List[SynthSpeaker]]:
    """Distinct voices of ``voice`` per split (variant, pitch, speed; ids 1..)."""
    rng = random.Random(f"zh-speakers-{seed}")
    used, out, next_id = set(), {}, 1
    for split, n in split_sizes.items():
        out[split] = []
        for i in range(n):
            female = i % 2 == 0
            for _ in range(1000):
                combo = (
                    rng.choice(FEMALE_VARIANTS if female else MALE_VARIANTS),
                    rng.choice(PITCHES),
                    rng.choice(SPEEDS) - 20,  # Mandarin syllables: a little slower
                )
                if combo not in used:
                    break
            else:
                raise ValueError(f"not enough distinct espeak-ng {voice} voices")
            used.add(combo)
            out[split].append(SynthSpeaker(f"{next_id:04d}", "0", split, voice, *combo))
            next_id += 1
    return out


def _far_field(mix: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``(T,)`` -> ``(T, 8)``: per channel a 0-7 sample delay, +-1 dB, noise at -50 dBFS."""
    out = np.zeros((len(mix), CHANNELS), dtype=np.float32)
    for c in range(CHANNELS):
        delay = int(rng.integers(0, 8))
        gain = 10 ** (rng.uniform(-1, 1) / 20)
        out[delay:, c] = gain * mix[: len(mix) - delay]
    out += (10 ** (-50 / 20)) * rng.standard_normal(out.shape).astype(np.float32)
    return np.clip(out, -0.99, 0.99)


def synthesize_meetings(
    root: Path,
    sessions: Mapping[str, int],
    turns: int = 8,
    speakers_per_split: Mapping[str, int] | None = None,
    overlap: float = 0.4,
    seed: int = 0,
    nj: int = 2,
    voice: str = "yue",
) -> Path:
    """Write an AliMeeting-layout corpus of synthetic Mandarin meetings at ``root``.

    Built in a temporary folder and renamed into place (nothing half-written). The
    arguments are kept in ``<root>/synth_meeting.json``: a later call with the same ones
    reuses the corpus, one with other arguments stops (:func:`reuse_corpus`).

    Args:
        root: the corpus root (``ALIMEETING`` of the recipe).
        sessions: ``split -> number of sessions`` for ``train``, ``eval``, ``test``.
        turns: turns per session.
        speakers_per_split: voices per split (default 8 train, 4 eval, 4 test); each
            session draws 2 to 4 of them (at most the split's).
        overlap: probability that a turn overlaps the previous one.
        seed: the corpus depends only on the arguments.
        nj: parallel espeak-ng processes.
        voice: the espeak-ng voice, one of :data:`VOICE_LANGS` (module docstring).

    Raises:
        MTASRInputError: espeak-ng is missing or fails; a split or voice is unknown; the
            voice does not read every character of the grammar (:func:`check_voice_covers`).
    """
    unknown = sorted(set(sessions) - set(PARTS))
    if unknown:
        raise MTASRInputError(f"unknown split(s) {unknown}; valid: {', '.join(PARTS)}")
    if voice not in VOICE_LANGS:
        raise MTASRInputError(
            f"unknown voice {voice!r}", fix=f"use one of {', '.join(VOICE_LANGS)}"
        )
    spk_sizes = dict(speakers_per_split or {"train": 8, "eval": 4, "test": 4})
    spec = {
        "sessions": dict(sessions), "turns": turns, "speakers": spk_sizes,
        "overlap": overlap, "seed": seed, "voice": voice,
    }  # fmt: skip
    if reuse_corpus(Path(root), spec):
        return Path(root)
    espeak = check_espeak()
    check_voice_covers(voice, grammar_characters(), espeak)
    voices = _speakers({s: spk_sizes.get(s, 4) for s in sessions}, seed, voice)
    rng = random.Random(f"meetings-{seed}")
    n_train = sessions.get("train", 0) * turns
    train_sentences = mandarin_sentences(n_train, rng)
    plans = []  # (split, session id, speakers, turns)
    for split, n in sessions.items():
        for m in range(n):
            pool = voices[split]
            k = rng.randint(min(2, len(pool)), min(4, len(pool)))
            spks = rng.sample(pool, k)
            if split == "train":
                texts = train_sentences[m * turns : (m + 1) * turns]
            else:
                texts = mandarin_sentences(turns, rng, exclude=train_sentences)
            sid = f"R{len(plans) + 1:04d}_M{len(plans) + 1:04d}"
            plans.append((split, sid, spks, plan_meeting(rng, k, texts, overlap)))
    jobs = sorted({(t.text, spks[t.speaker]) for _, _, spks, ts in plans for t in ts}, key=str)

    def speak(job):
        return job, synthesize_utterance(job[0], job[1], SAMPLE_RATE, espeak)

    with ThreadPoolExecutor(max_workers=max(1, nj)) as pool:
        audio = dict(tqdm(pool.map(speak, jobs), total=len(jobs), desc=f"espeak-ng {voice}"))
    np_rng = np.random.default_rng(seed)
    with atomic_dir(Path(root)) as tmp:
        for split, sid, spks, ts in tqdm(plans, desc="meetings"):
            placed, end, last_end = [], 0.3, {}
            for t in ts:
                x = audio[(t.text, spks[t.speaker])]
                start = max(0.05, end + t.start_gap, last_end.get(t.speaker, 0.0) + 0.05)
                placed.append((t, start, start + len(x) / SAMPLE_RATE, x))
                end = max(end, start + len(x) / SAMPLE_RATE)
                last_end[t.speaker] = start + len(x) / SAMPLE_RATE
            total = end + 0.5
            mix = np.zeros(int(total * SAMPLE_RATE) + 1, dtype=np.float32)
            for _, s, _, x in placed:
                i = int(s * SAMPLE_RATE)
                mix[i : i + len(x)] += x
            tiers: Dict[str, List[Tuple[float, float, str]]] = {}
            for t, s, e, _ in placed:
                spk = spks[t.speaker]
                name = f"{sid}_{spk.sex}_SPK{spk.speaker_id}"
                label = t.text + "。"
                if len(t.text) > 6 and t.speaker % 2:
                    label = t.text[:4] + "，" + t.text[4:] + "。"
                tiers.setdefault(name, []).append((round(s, 3), round(e, 3), label))
            part = tmp / PARTS[split]
            (part / "audio_dir").mkdir(parents=True, exist_ok=True)
            (part / "textgrid_dir").mkdir(parents=True, exist_ok=True)
            sf.write(
                part / "audio_dir" / f"{sid}_MS001.wav", _far_field(mix, np_rng), SAMPLE_RATE,
                subtype="PCM_16",
            )  # fmt: skip
            text = textgrid_text(dict(sorted(tiers.items())), len(mix) / SAMPLE_RATE)
            (part / "textgrid_dir" / f"{sid}.TextGrid").write_text(text, encoding="utf-8")
        (tmp / SPEC_FILE).write_text(json.dumps(spec, sort_keys=True) + "\n", encoding="utf-8")
    return Path(root)


def reuse_corpus(root: Path, spec: Mapping[str, object]) -> bool:
    """Whether ``root`` already holds the corpus that ``spec`` (the arguments of
    :func:`synthesize_meetings`, kept in ``<root>/synth_meeting.json``) describes.

    Returns False when ``root`` does not exist (synthesise it).

    Raises:
        MTASRInputError: ``root`` exists but was synthesised with other arguments, or not
            by this function: it is never overwritten silently.
    """
    if not root.exists():
        return False
    stamp = root / SPEC_FILE
    if not stamp.is_file():
        raise MTASRInputError(
            f"{root} exists but has no {SPEC_FILE}: it was not written by synth_meeting",
            fix=f"remove {root}, or point the recipe's ALIMEETING (db.sh) at another folder",
        )
    try:
        old = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise MTASRInputError(
            f"{stamp}: unreadable ({e})", fix=f"remove {root} to synthesise it again"
        ) from e
    want = json.loads(json.dumps(spec, sort_keys=True))
    if old != want:
        diff = ", ".join(
            f"{k}: {old.get(k)!r} there, {want.get(k)!r} asked"
            for k in sorted(set(old) | set(want))
            if old.get(k) != want.get(k)
        )
        raise MTASRInputError(
            f"{root} was synthesised with other options ({diff})",
            fix=f"remove {root} to synthesise it again, or ask for the same options",
        )
    logging.info("reusing the synthetic corpus at %s (%s)", root, stamp)
    return True
