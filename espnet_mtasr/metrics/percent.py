"""The one formatter of rates as percentages (RESULTS.md, ``result.txt``, logs, plots).

Rates are kept as fractions everywhere (``result.json``); they become text only here, with
one decimal, as in ESPnet's ``RESULTS.md``.
"""

from __future__ import annotations

__all__ = ["PERCENT_DECIMALS", "format_percent"]

PERCENT_DECIMALS = 1


def format_percent(rate: float | None) -> str:
    """A fraction as a percentage with :data:`PERCENT_DECIMALS` decimals; ``-`` for None
    (no reference words, no utterances). Error rates can exceed 100 %.

    >>> format_percent(0.28683)
    '28.7'
    >>> format_percent(1.2528735632183907)
    '125.3'
    >>> format_percent(1.0)
    '100.0'
    >>> format_percent(None)
    '-'
    """
    if rate is None:
        return "-"
    return f"{100 * rate:.{PERCENT_DECIMALS}f}"
