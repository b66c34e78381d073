"""Multi-talker error rates: SOT WER, cpWER (meeteval), talker-count accuracy.

Per utterance (a mixture or a window):

- **SOT WER**: plain WER of the whole serialized transcript with ``<sc>`` (or the speaker
  tags, for ``text_format="spk_tag"``) counted as words, like ESPnet's ``sot_asr``
  scoring. Tokens glued to words are split out, but nothing else is normalised: a
  spurious or repeated ``<sc>`` in the hypothesis is an error. Its reference length
  includes the ``<sc>`` tokens.
- **cpWER**: concatenated minimum-permutation WER over the talker streams
  (:func:`espnet_mtasr.text.sot_parse`: empty streams dropped), computed by
  ``meeteval.wer.wer.cp.cp_word_error_rate``. A hypothesis with the right streams in the
  wrong order scores 0. Its reference length is the number of words (no ``<sc>``).
- **count**: the number of hypothesis streams against the reference talker count.

Corpus numbers are pooled, never averaged: rate = Σ errors / Σ reference length, per
talker count and overall. In ``char`` mode every token is a character
(:mod:`espnet_mtasr.metrics.tokens`), which gives SOT CER and cpCER.

>>> s = score_utterance("u1", "a b <sc> c", "c <sc> a b")
>>> s.cp.errors, s.sot.errors, s.count_correct
(0, 4, True)
>>> summary = aggregate([s, score_utterance("u2", "x y", "x")])
>>> [(g.talkers, g.num_utts, g.cp.errors, g.cp.length) for g in summary.by_talkers]
[(1, 1, 1, 2), (2, 1, 0, 3)]
>>> summary.overall.cp.rate
0.2
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from espnet_mtasr.metrics.tokens import check_mode, tokenize, tokens_to_words
from espnet_mtasr.text.sot import SC, sot_parse
from espnet_mtasr.text.speaker_tags import has_spk_tag, spk_tag_streams

__all__ = [
    "AUTO_TEXT_FORMAT",
    "MIXED_TEXT",
    "PLAIN_TEXT",
    "TEXT_FORMATS",
    "CorpusScore",
    "ErrorCounts",
    "GroupScore",
    "UttScore",
    "aggregate",
    "check_text_format",
    "cp_error_counts",
    "describe_text_format",
    "detect_text_format",
    "extract_streams",
    "score_corpus",
    "score_utterance",
    "sot_error_counts",
]

TEXT_FORMATS = ("sot", "spk_tag")
"""Transcript formats: ``<sc>``-separated SOT, or ``<spkN>``-tagged segments."""


AUTO_TEXT_FORMAT = "auto"
"""Option value: take the text format from the reference (:func:`detect_text_format`)."""

PLAIN_TEXT = "plain"
"""Detected format of a line with neither ``<sc>`` nor a speaker tag: one stream, which
either text format scores alike."""

MIXED_TEXT = "mixed"
"""Detected format of a line with both ``<sc>`` and a speaker tag: no format scores it."""

_FORMAT_NAMES = {
    "sot": f"{SC}-separated (sot)",
    "spk_tag": "speaker-tagged (spk_tag)",
    PLAIN_TEXT: f"single-stream (no {SC}, no speaker tag)",
    MIXED_TEXT: f"both {SC}-separated and speaker-tagged",
}


def detect_text_format(text: str) -> str:
    """The format of one transcript from its symbols: a :data:`TEXT_FORMATS` entry,
    :data:`PLAIN_TEXT` or :data:`MIXED_TEXT`.

    The symbols are those of their owners: :data:`~espnet_mtasr.text.sot.SC` and
    :func:`~espnet_mtasr.text.speaker_tags.has_spk_tag` (tag-like ``<spk...>`` included).

    >>> [detect_text_format(t) for t in ("a <sc> b", "<spk1> a", "a b", "<spk1> a <sc> b")]
    ['sot', 'spk_tag', 'plain', 'mixed']
    """
    sot, tagged = SC in text, has_spk_tag(text)
    if sot and tagged:
        return MIXED_TEXT
    if sot:
        return "sot"
    return "spk_tag" if tagged else PLAIN_TEXT


def describe_text_format(detected: str) -> str:
    """Words for a :func:`detect_text_format` result, for messages.

    >>> describe_text_format("spk_tag")
    'speaker-tagged (spk_tag)'
    """
    return _FORMAT_NAMES[detected]


def check_text_format(text_format: str) -> str:
    """Return ``text_format`` if valid, else raise ``ValueError`` listing the valid ones."""
    if text_format not in TEXT_FORMATS:
        raise ValueError(
            f"invalid text format {text_format!r}; choose one of {', '.join(TEXT_FORMATS)}"
        )
    return text_format


@dataclass(frozen=True)
class ErrorCounts:
    """Edit-distance counts of one utterance or a pool of them.

    Args:
        errors: insertions + deletions + substitutions.
        length: number of reference tokens.
        insertions, deletions, substitutions: the error kinds.

    >>> ErrorCounts(1, 4, 1, 0, 0) + ErrorCounts(2, 6, 0, 1, 1)
    ErrorCounts(errors=3, length=10, insertions=1, deletions=1, substitutions=1)
    """

    errors: int
    length: int
    insertions: int
    deletions: int
    substitutions: int

    @classmethod
    def zero(cls) -> ErrorCounts:
        """No errors, no reference tokens (the neutral element of ``+``)."""
        return cls(0, 0, 0, 0, 0)

    @classmethod
    def from_meeteval(cls, er: Any) -> ErrorCounts:
        """Take the counts of a ``meeteval`` ``ErrorRate`` / ``CPErrorRate``."""
        return cls(er.errors, er.length, er.insertions, er.deletions, er.substitutions)

    @property
    def rate(self) -> float | None:
        """errors / length; None when there are no reference tokens."""
        return self.errors / self.length if self.length else None

    def __add__(self, other: ErrorCounts) -> ErrorCounts:
        if not isinstance(other, ErrorCounts):
            return NotImplemented
        return ErrorCounts(
            self.errors + other.errors,
            self.length + other.length,
            self.insertions + other.insertions,
            self.deletions + other.deletions,
            self.substitutions + other.substitutions,
        )

    def to_dict(self) -> dict[str, Any]:
        """Counts plus ``rate`` (a fraction, or None)."""
        return {**dataclasses.asdict(self), "rate": self.rate}


def extract_streams(text: str, text_format: str = "sot", strict: bool = False) -> list[str]:
    """The talker streams of a transcript.

    Args:
        text: the transcript.
        text_format: ``"sot"`` (:func:`~espnet_mtasr.text.sot_parse`) or ``"spk_tag"``
            (:func:`~espnet_mtasr.text.spk_tag_streams`).
        strict: for ``spk_tag``, raise ``ValueError`` on malformed tags (references);
            otherwise untagged words form an extra stream (hypotheses).

    >>> extract_streams("a <sc> b")
    ['a', 'b']
    >>> extract_streams("<spk2> a <spk1> b <spk2> c", "spk_tag")
    ['b', 'a c']
    """
    check_text_format(text_format)
    if text_format == "sot":
        return sot_parse(text)
    return spk_tag_streams(text, strict=strict)


def sot_error_counts(ref: str, hyp: str, mode: str = "word") -> ErrorCounts:
    """WER (or CER) of the whole serialized transcript, markup tokens counted as words.

    >>> sot_error_counts("a b <sc> c", "c <sc> a b")
    ErrorCounts(errors=4, length=4, insertions=1, deletions=1, substitutions=2)
    >>> sot_error_counts("ab<sc>c", "ab <sc> c", mode="char").errors
    0
    """
    from meeteval.wer.wer.siso import siso_word_error_rate

    er = siso_word_error_rate(
        tokens_to_words(tokenize(ref, mode)), tokens_to_words(tokenize(hyp, mode))
    )
    return ErrorCounts.from_meeteval(er)


def stream_error_counts(
    refs: Mapping[str, str], hyps: Mapping[str, str], mode: str = "word", text_format: str = "sot"
) -> list[ErrorCounts]:
    """Stream-ordered error counts: hypothesis stream ``s`` against reference talker ``s``.

    No permutation is searched: this scores an output whose stream order is meant to be
    the talkers' start-time order (the serialized-CTC branches of an SOP draft). Entry
    ``s`` sums over utterances; a stream missing on either side counts as empty.

    >>> stream_error_counts({"u": "a b <sc> c"}, {"u": "a b <sc> d"})[1].errors
    1
    """
    from meeteval.wer.wer.siso import siso_word_error_rate

    totals: list[ErrorCounts] = []
    for utt, ref in refs.items():
        ref_streams = extract_streams(ref, text_format, strict=True)
        hyp_streams = extract_streams(hyps.get(utt, ""), text_format)
        for s in range(max(len(ref_streams), len(hyp_streams))):
            r = ref_streams[s] if s < len(ref_streams) else ""
            h = hyp_streams[s] if s < len(hyp_streams) else ""
            er = siso_word_error_rate(
                tokens_to_words(tokenize(r, mode)), tokens_to_words(tokenize(h, mode))
            )
            if s == len(totals):
                totals.append(ErrorCounts.zero())
            totals[s] = totals[s] + ErrorCounts.from_meeteval(er)
    return totals


def cp_error_counts(
    ref_streams: Sequence[str], hyp_streams: Sequence[str], mode: str = "word"
) -> ErrorCounts:
    """cpWER (or cpCER) counts of one utterance, via meeteval.

    Args:
        ref_streams: one text per reference talker.
        hyp_streams: one text per hypothesis stream (any number).
        mode: ``"word"`` or ``"char"``.

    >>> cp_error_counts(["a b", "c"], ["c", "a b"])
    ErrorCounts(errors=0, length=3, insertions=0, deletions=0, substitutions=0)
    >>> cp_error_counts(["你好", "世界"], ["世界", "你"], mode="char")
    ErrorCounts(errors=1, length=4, insertions=0, deletions=1, substitutions=0)
    """
    from meeteval.wer.wer.cp import cp_word_error_rate

    er = cp_word_error_rate(
        [tokens_to_words(tokenize(s, mode)) for s in ref_streams],
        [tokens_to_words(tokenize(s, mode)) for s in hyp_streams],
        reference_sort=False,  # no timestamps: keep the stream order (no warning)
        hypothesis_sort=False,
    )
    return ErrorCounts.from_meeteval(er)


@dataclass(frozen=True)
class UttScore:
    """Scores of one utterance.

    Args:
        utt_id: utterance id.
        talkers: reference talker count (``utt2num_spk``, else the reference streams).
        num_hyp_streams: number of non-empty hypothesis streams.
        sot: SOT WER counts (markup tokens included).
        cp: cpWER counts.
        hyp: the hypothesis transcript as given.
    """

    utt_id: str
    talkers: int
    num_hyp_streams: int
    sot: ErrorCounts
    cp: ErrorCounts
    hyp: str

    @property
    def count_correct(self) -> bool:
        """Whether the hypothesis has as many streams as there are talkers."""
        return self.num_hyp_streams == self.talkers


def score_utterance(
    utt_id: str,
    ref: str,
    hyp: str,
    talkers: int | None = None,
    mode: str = "word",
    text_format: str = "sot",
) -> UttScore:
    """Score one hypothesis transcript against its reference.

    Args:
        utt_id: utterance id (kept in the result).
        ref: reference transcript (``spk_tag`` references are parsed strictly).
        hyp: hypothesis transcript (parsed leniently).
        talkers: reference talker count; None: the number of reference streams.
        mode: ``"word"`` or ``"char"``.
        text_format: ``"sot"`` or ``"spk_tag"``.

    Raises:
        ValueError: a bad option, or a malformed ``spk_tag`` reference.

    >>> s = score_utterance("u", "a b <sc> c", "a b")  # one stream missing
    >>> s.cp, s.talkers, s.num_hyp_streams
    (ErrorCounts(errors=1, length=3, insertions=0, deletions=1, substitutions=0), 2, 1)
    """
    check_mode(mode)
    ref_streams = extract_streams(ref, text_format, strict=True)
    hyp_streams = extract_streams(hyp, text_format, strict=False)
    return UttScore(
        utt_id=utt_id,
        talkers=len(ref_streams) if talkers is None else talkers,
        num_hyp_streams=len(hyp_streams),
        sot=sot_error_counts(ref, hyp, mode),
        cp=cp_error_counts(ref_streams, hyp_streams, mode),
        hyp=hyp,
    )


@dataclass(frozen=True)
class GroupScore:
    """Pooled scores of a group of utterances.

    Args:
        talkers: the talker count of the group; None for all utterances.
        num_utts: number of utterances.
        sot: pooled SOT WER counts.
        cp: pooled cpWER counts.
        count_correct: utterances with as many hypothesis streams as talkers.
        count_over: utterances with more hypothesis streams than talkers.
        count_under: utterances with fewer.
    """

    talkers: int | None
    num_utts: int
    sot: ErrorCounts
    cp: ErrorCounts
    count_correct: int
    count_over: int
    count_under: int

    @property
    def count_accuracy(self) -> float | None:
        """Fraction of utterances whose stream count is right; None for no utterances."""
        return self.count_correct / self.num_utts if self.num_utts else None

    @classmethod
    def pool(cls, talkers: int | None, scores: Sequence[UttScore]) -> GroupScore:
        """Sum the counts of ``scores``."""
        return cls(
            talkers=talkers,
            num_utts=len(scores),
            sot=sum((s.sot for s in scores), ErrorCounts.zero()),
            cp=sum((s.cp for s in scores), ErrorCounts.zero()),
            count_correct=sum(s.num_hyp_streams == s.talkers for s in scores),
            count_over=sum(s.num_hyp_streams > s.talkers for s in scores),
            count_under=sum(s.num_hyp_streams < s.talkers for s in scores),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (rates as fractions)."""
        return {
            "talkers": self.talkers,
            "num_utts": self.num_utts,
            "sot": self.sot.to_dict(),
            "cp": self.cp.to_dict(),
            "count_correct": self.count_correct,
            "count_over": self.count_over,
            "count_under": self.count_under,
            "count_accuracy": self.count_accuracy,
        }


@dataclass(frozen=True)
class CorpusScore:
    """Scores of a whole set.

    Args:
        mode: ``"word"`` or ``"char"``.
        text_format: ``"sot"`` or ``"spk_tag"``.
        utts: per-utterance scores, sorted by utterance id.
        by_talkers: one group per talker count, ascending.
        overall: all utterances.
        missing_hyp: reference utterances without a hypothesis (scored as empty).
    """

    mode: str
    text_format: str
    utts: tuple[UttScore, ...]
    by_talkers: tuple[GroupScore, ...]
    overall: GroupScore
    missing_hyp: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no per-utterance scores)."""
        return {
            "mode": self.mode,
            "text_format": self.text_format,
            "num_missing_hyp": len(self.missing_hyp),
            "missing_hyp": list(self.missing_hyp),
            "overall": self.overall.to_dict(),
            "by_talkers": [g.to_dict() for g in self.by_talkers],
        }


def aggregate(
    scores: Iterable[UttScore],
    mode: str = "word",
    text_format: str = "sot",
    missing_hyp: Sequence[str] = (),
) -> CorpusScore:
    """Pool utterance scores per talker count and overall (Σ errors / Σ ref length).

    >>> a = score_utterance("a", "x <sc> y", "x y")
    >>> b = score_utterance("b", "z", "z")
    >>> c = aggregate([a, b])
    >>> c.overall.cp.errors, c.overall.cp.length, c.overall.count_accuracy
    (2, 3, 0.5)
    """
    utts = tuple(sorted(scores, key=lambda s: s.utt_id))
    by_count: dict[int, list[UttScore]] = {}
    for s in utts:
        by_count.setdefault(s.talkers, []).append(s)
    return CorpusScore(
        mode=mode,
        text_format=text_format,
        utts=utts,
        by_talkers=tuple(GroupScore.pool(k, by_count[k]) for k in sorted(by_count)),
        overall=GroupScore.pool(None, utts),
        missing_hyp=tuple(sorted(missing_hyp)),
    )


def score_corpus(
    refs: Mapping[str, str],
    hyps: Mapping[str, str],
    talkers: Mapping[str, int] | None = None,
    mode: str = "word",
    text_format: str = "sot",
) -> CorpusScore:
    """Score every reference utterance; a missing hypothesis is scored as empty.

    Args:
        refs: utterance id -> reference transcript.
        hyps: utterance id -> hypothesis transcript (a subset of ``refs``' ids).
        talkers: utterance id -> talker count for every reference; None: count the
            reference streams.
        mode: ``"word"`` or ``"char"``.
        text_format: ``"sot"`` or ``"spk_tag"``.

    Raises:
        ValueError: hypothesis ids not in ``refs``, or ``talkers`` lacks a reference id.
            (``espnet_mtasr.metrics.scoring_io.load_scoring_input`` checks files first
            and names the file and line.)

    >>> c = score_corpus({"u1": "a <sc> b", "u2": "c"}, {"u1": "b <sc> a"})
    >>> c.missing_hyp, c.overall.cp.errors, c.overall.cp.length
    (('u2',), 1, 3)
    """
    check_mode(mode)
    check_text_format(text_format)
    extra = sorted(set(hyps) - set(refs))
    if extra:
        raise ValueError(
            f"{len(extra)} hypothesis utterance(s) not in the reference, e.g. {extra[0]!r}"
        )
    if talkers is not None:
        lacking = sorted(set(refs) - set(talkers))
        if lacking:
            raise ValueError(
                f"no talker count for {len(lacking)} utterance(s), e.g. {lacking[0]!r}"
            )
    missing = [u for u in refs if u not in hyps]
    scores = [
        score_utterance(
            utt,
            ref,
            hyps.get(utt, ""),
            None if talkers is None else talkers[utt],
            mode,
            text_format,
        )
        for utt, ref in refs.items()
    ]
    return aggregate(scores, mode, text_format, missing)
