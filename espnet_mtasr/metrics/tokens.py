"""Scoring units: words, or characters for Mandarin (cpCER).

``word`` mode splits on whitespace; the markup tokens ``<sc>`` and ``<spk...>`` are split
out of words they are glued to (``"foo<sc>bar"`` -> ``foo <sc> bar``).

``char`` mode makes every non-space character a token, except that angle-bracketed
tokens without whitespace inside (``<sc>``, ``<spk1>``, ``<unk>``) stay whole. Spaces are
not tokens, so Mandarin cpCER is cpWER over the space-separated characters, as in
M2MeT 2.0.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["MODES", "check_mode", "tokenize", "tokens_to_words"]

MODES = ("word", "char")
"""Valid scoring modes."""

_MARKUP_RE = re.compile(r"(<sc>|<spk[^<>\s]*>)")
_CHAR_RE = re.compile(r"<[^<>\s]+>|\S")


def check_mode(mode: str) -> str:
    """Return ``mode`` if valid, else raise ``ValueError`` listing the valid ones."""
    if mode not in MODES:
        raise ValueError(f"invalid scoring mode {mode!r}; choose one of {', '.join(MODES)}")
    return mode


def tokenize(text: str, mode: str = "word") -> list[str]:
    """Split ``text`` into scoring tokens.

    Args:
        text: a transcript (may contain ``<sc>`` or speaker tags).
        mode: ``"word"`` or ``"char"``.

    >>> tokenize("foo<sc>bar  baz")
    ['foo', '<sc>', 'bar', 'baz']
    >>> tokenize("你好 <sc>世界", mode="char")
    ['你', '好', '<sc>', '世', '界']
    >>> tokenize("<spk1> ab", mode="char")
    ['<spk1>', 'a', 'b']
    """
    check_mode(mode)
    if mode == "word":
        return _MARKUP_RE.sub(r" \1 ", text).split()
    return _CHAR_RE.findall(text)


def tokens_to_words(tokens: Sequence[str]) -> str:
    """Space-join tokens so that meeteval's whitespace split gives them back.

    >>> tokens_to_words(tokenize("你好", mode="char"))
    '你 好'
    """
    return " ".join(tokens)
