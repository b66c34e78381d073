"""Serialized output training (SOT): talkers' transcripts joined by ``<sc>``.

An SOT transcript lists the talkers of a mixture in start-time order, their texts
separated by the speaker-change token :data:`SC`::

    >>> segs = [
    ...     TalkerSegment("1673", "HELLO THERE", start=1.2, end=3.0),
    ...     TalkerSegment("3536", "GOOD  MORNING", start=0.0, end=2.5),
    ... ]
    >>> sot_serialize(segs)
    'GOOD MORNING <sc> HELLO THERE'
    >>> sot_parse("GOOD MORNING <sc> HELLO THERE")
    ['GOOD MORNING', 'HELLO THERE']

Everything here is pure (no I/O) and property-tested in ``test/text/test_sot.py``:
``sot_parse(sot_serialize(x))`` gives the non-empty texts in start order, and
:func:`sot_normalize` (= ``sot_join(sot_parse(s))``) is idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "SC",
    "TalkerSegment",
    "normalize_whitespace",
    "sot_join",
    "sot_normalize",
    "sot_parse",
    "sot_serialize",
    "sot_streams_count",
]

SC = "<sc>"
"""The speaker-change token (ESPnet ``sot_asr`` spelling; case-sensitive)."""


@dataclass(frozen=True)
class TalkerSegment:
    """One talker's transcript within a mixture or window.

    Args:
        speaker: speaker id (any string; e.g. a LibriSpeech speaker ``"3536"``
            or an AliMeeting ``"SPK0093"``).
        text: the words, space separated (extra whitespace is normalised away).
        start: start time in seconds.
        end: end time in seconds.
    """

    speaker: str
    text: str
    start: float
    end: float


def normalize_whitespace(text: str) -> str:
    """Collapse runs of whitespace to one space and strip both ends.

    >>> normalize_whitespace("  a \\t b\\n")
    'a b'
    """
    return " ".join(text.split())


def sot_join(streams: Sequence[str]) -> str:
    """Join already-ordered stream texts with ``" <sc> "``; empty streams are dropped.

    Raises:
        ValueError: a stream contains the ``<sc>`` token itself (it would not parse back).

    >>> sot_join(["a  b", "", " c "])
    'a b <sc> c'
    >>> sot_join([])
    ''
    """
    texts = []
    for i, stream in enumerate(streams):
        if SC in stream:
            raise ValueError(
                f"stream {i} ({stream!r}) contains the speaker-change token {SC!r}; "
                f"remove it from the transcript before serializing"
            )
        text = normalize_whitespace(stream)
        if text:
            texts.append(text)
    return f" {SC} ".join(texts)


def sot_serialize(segments: Sequence[TalkerSegment]) -> str:
    """Serialize talker segments into one SOT transcript.

    Segments are sorted by ``start``; ties keep the input order (stable sort). Texts are
    whitespace-normalised; segments with an empty text are dropped (they would give an
    empty stream, which :func:`sot_parse` drops anyway).

    Args:
        segments: the talkers' segments, in any order.

    Returns:
        ``"text_1 <sc> text_2 <sc> ..."`` in start-time order; ``""`` for no words.

    Raises:
        ValueError: a segment's text contains ``<sc>``.

    >>> sot_serialize([TalkerSegment("b", "two", 0.5, 1.0), TalkerSegment("a", "one", 0.5, 2.0),
    ...                TalkerSegment("c", "zero", 0.0, 1.0)])
    'zero <sc> two <sc> one'
    """
    ordered = sorted(segments, key=lambda s: s.start)  # sorted() is stable
    return sot_join([s.text for s in ordered])


def sot_parse(text: str) -> list[str]:
    """Split an SOT transcript into its streams (one per talker turn).

    The split is on the literal ``<sc>`` substring, so a token glued to words
    (``"foo<sc>bar"``) still separates them. Each stream is whitespace-normalised;
    empty streams (from leading, trailing or repeated ``<sc>``) are dropped, so the
    number of streams is the number of non-empty talker texts.

    Args:
        text: an SOT transcript (reference or hypothesis).

    Returns:
        The non-empty streams in order.

    >>> sot_parse("a b <sc> c")
    ['a b', 'c']
    >>> sot_parse("<sc> foo<sc>bar <sc><sc> baz <sc>")
    ['foo', 'bar', 'baz']
    >>> sot_parse("   ")
    []
    """
    streams = (normalize_whitespace(part) for part in text.split(SC))
    return [s for s in streams if s]


def sot_streams_count(text: str) -> int:
    """Number of non-empty streams in an SOT transcript (see :func:`sot_parse`).

    >>> sot_streams_count("a <sc> b <sc>")
    2
    """
    return len(sot_parse(text))


def sot_normalize(text: str) -> str:
    """Canonical form of an SOT transcript: ``sot_join(sot_parse(text))``.

    Idempotent: ``sot_normalize(sot_normalize(s)) == sot_normalize(s)``.

    >>> sot_normalize("<sc>a  b<sc><sc>c ")
    'a b <sc> c'
    """
    return sot_join(sot_parse(text))
