"""Speaker-tagged serialization: ``<spk1> words <spk2> words <spk1> ...``.

Each segment (one talker turn) is prefixed with a *relative* speaker tag: speakers are
numbered 1..K by their first appearance in start-time order, whatever their corpus ids
are (``"SPK0093"``, ``"3536"``, ...). Consecutive segments of the same speaker each keep
their tag. This is the output form of speaker-attributed models; parsing it back per
speaker gives the streams that cpWER scores::

    >>> from espnet_mtasr.text.sot import TalkerSegment
    >>> segs = [TalkerSegment("SPK0093", "hello", 0.0, 1.0),
    ...         TalkerSegment("SPK0007", "hi there", 0.5, 1.5),
    ...         TalkerSegment("SPK0093", "how are you", 2.0, 3.0)]
    >>> spk_tag_serialize(segs)
    '<spk1> hello <spk2> hi there <spk1> how are you'
    >>> spk_tag_parse('<spk1> hello <spk2> hi there <spk1> how are you')
    [(1, 'hello'), (2, 'hi there'), (1, 'how are you')]
    >>> spk_tag_streams('<spk1> hello <spk2> hi there <spk1> how are you')
    ['hello how are you', 'hi there']

Malformed input (what a model may emit):

- text before the first tag, e.g. ``"oops <spk1> a"``;
- a tag-like token that is not ``<spkN>`` with N >= 1, e.g. ``<spkx>``, ``<spk0>``, ``<spk>``
  (any ``<spk...>`` without whitespace or angle brackets inside counts as a tag).

With ``strict=True`` (the default; use it for references) these raise ``ValueError``.
With ``strict=False`` (use it for hypotheses when scoring) their words go to the speaker
:data:`UNKNOWN_SPEAKER` (0), which :func:`spk_tag_streams` returns as one extra stream
after the known speakers. In both modes tags glued to words (``"a<spk2>b"``) still split,
and segments with no words (``"<spk1> <spk2> b"``) are dropped. Tags are case-sensitive.

Pure; property-tested in ``test/text/test_speaker_tags.py``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from espnet_mtasr.text.sot import TalkerSegment, normalize_whitespace

__all__ = [
    "UNKNOWN_SPEAKER",
    "has_spk_tag",
    "spk_tag",
    "spk_tag_parse",
    "spk_tag_relative_ids",
    "spk_tag_serialize",
    "spk_tag_streams",
    "spk_tag_symbols",
]

UNKNOWN_SPEAKER = 0
"""Speaker id given to untagged words in lenient parsing (``strict=False``)."""

# Anything that looks like a speaker tag; valid ones are matched by _VALID_TAG_RE.
_TAG_RE = re.compile(r"(<spk[^<>\s]*>)")
_VALID_TAG_RE = re.compile(r"<spk([1-9][0-9]*)>")


def has_spk_tag(text: str) -> bool:
    """Whether ``text`` holds a speaker tag or a tag-like ``<spk...>`` token.

    >>> has_spk_tag("a<spk2>b"), has_spk_tag("<spkx> a"), has_spk_tag("a <sc> b")
    (True, True, False)
    """
    return _TAG_RE.search(text) is not None


def spk_tag(k: int) -> str:
    """The tag of relative speaker ``k`` (1-based).

    >>> spk_tag(2)
    '<spk2>'
    """
    if k < 1:
        raise ValueError(f"relative speaker ids start at 1, got {k}")
    return f"<spk{k}>"


def spk_tag_symbols(max_speakers: int) -> list[str]:
    """The tags ``<spk1>..<spkN>``, e.g. as user-defined symbols of a token list.

    >>> spk_tag_symbols(3)
    ['<spk1>', '<spk2>', '<spk3>']
    """
    return [spk_tag(k) for k in range(1, max_speakers + 1)]


def _ordered_non_empty(segments: Sequence[TalkerSegment]) -> list[tuple[str, str]]:
    """(speaker, normalised text) of the non-empty segments in start order (stable)."""
    out = []
    for seg in sorted(segments, key=lambda s: s.start):
        if _TAG_RE.search(seg.text):
            raise ValueError(
                f"the text of speaker {seg.speaker!r} ({seg.text!r}) contains a speaker "
                f"tag (<spk...>); remove it before serializing"
            )
        text = normalize_whitespace(seg.text)
        if text:
            out.append((seg.speaker, text))
    return out


def spk_tag_relative_ids(segments: Sequence[TalkerSegment]) -> dict[str, int]:
    """Map speaker ids to relative ids 1..K by first appearance in start-time order.

    Only segments with words count (as in :func:`spk_tag_serialize`).

    >>> spk_tag_relative_ids([TalkerSegment("B", "x", 1.0, 2.0),
    ...                       TalkerSegment("A", "y", 0.0, 2.0)])
    {'A': 1, 'B': 2}
    """
    ids: dict[str, int] = {}
    for speaker, _ in _ordered_non_empty(segments):
        ids.setdefault(speaker, len(ids) + 1)
    return ids


def spk_tag_serialize(segments: Sequence[TalkerSegment]) -> str:
    """Serialize segments as ``"<spk1> words <spk2> words ..."``.

    Segments are sorted by ``start`` (ties keep the input order); speakers get relative
    ids by first appearance; every segment keeps its own tag, also after a segment of the
    same speaker. Texts are whitespace-normalised; empty segments are dropped.

    Args:
        segments: the talkers' segments, in any order.

    Returns:
        The tagged transcript, ``""`` for no words.

    Raises:
        ValueError: a segment's text contains a ``<spk...>`` tag.

    >>> spk_tag_serialize([TalkerSegment("X", "a", 0.0, 1.0), TalkerSegment("X", "b", 1.0, 2.0),
    ...                    TalkerSegment("Y", "", 0.5, 2.0)])
    '<spk1> a <spk1> b'
    """
    ordered = _ordered_non_empty(segments)
    ids: dict[str, int] = {}
    parts = []
    for speaker, text in ordered:
        k = ids.setdefault(speaker, len(ids) + 1)
        parts.append(f"{spk_tag(k)} {text}")
    return " ".join(parts)


def spk_tag_parse(text: str, strict: bool = True) -> list[tuple[int, str]]:
    """Parse a speaker-tagged transcript into ``(relative speaker id, text)`` segments.

    Args:
        text: ``"<spk1> words <spk2> words ..."``.
        strict: raise on malformed input (see the module docstring); if False, untagged
            words and words after an invalid tag get :data:`UNKNOWN_SPEAKER`.

    Returns:
        The non-empty segments in order, texts whitespace-normalised.

    Raises:
        ValueError: (strict only) words before the first tag, or an invalid tag.

    >>> spk_tag_parse("<spk2>a  b<spk1> c")
    [(2, 'a b'), (1, 'c')]
    >>> spk_tag_parse("oops <spk1> a <spkx> b", strict=False)
    [(0, 'oops'), (1, 'a'), (0, 'b')]
    >>> spk_tag_parse("oops <spk1> a")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: words before the first speaker tag: 'oops' in 'oops <spk1> a' ...
    """
    parts = _TAG_RE.split(text)
    # parts = [before_first_tag, tag, text, tag, text, ...]
    segments: list[tuple[int, str]] = []
    head = normalize_whitespace(parts[0])
    if head:
        if strict:
            raise ValueError(
                f"words before the first speaker tag: {head!r} in {text!r} "
                f"(every segment must start with <spkN>, N >= 1)"
            )
        segments.append((UNKNOWN_SPEAKER, head))
    for tag, body in zip(parts[1::2], parts[2::2]):
        m = _VALID_TAG_RE.fullmatch(tag)
        if m is None:
            if strict:
                raise ValueError(
                    f"invalid speaker tag {tag!r} in {text!r} (valid tags are <spkN>, N >= 1)"
                )
            speaker = UNKNOWN_SPEAKER
        else:
            speaker = int(m.group(1))
        body = normalize_whitespace(body)
        if body:
            segments.append((speaker, body))
    return segments


def spk_tag_streams(text: str, strict: bool = True) -> list[str]:
    """Per-speaker streams of a tagged transcript, for cpWER.

    Each speaker's segment texts are concatenated in order. Streams are ordered by
    relative speaker id; the :data:`UNKNOWN_SPEAKER` stream (lenient mode only) comes
    last. Speakers without words give no stream.

    Args:
        text: ``"<spk1> words <spk2> words ..."``.
        strict: as in :func:`spk_tag_parse`.

    >>> spk_tag_streams("<spk2> a <spk1> b <spk2> c")
    ['b', 'a c']
    >>> spk_tag_streams("x <spk1> a", strict=False)
    ['a', 'x']
    """
    by_speaker: dict[int, list[str]] = {}
    for speaker, body in spk_tag_parse(text, strict=strict):
        by_speaker.setdefault(speaker, []).append(body)
    order = sorted(k for k in by_speaker if k != UNKNOWN_SPEAKER)
    if UNKNOWN_SPEAKER in by_speaker:
        order.append(UNKNOWN_SPEAKER)
    return [" ".join(by_speaker[k]) for k in order]
