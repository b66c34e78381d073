"""Repetition guard for autoregressive LLM decoding (hallucination loops must stop).

An LLM decoder that has lost the speech tends to loop: ``a b c a b c a b c ...``. The
guard looks at the END of a hypothesis for a block of ``period`` tokens repeated
back-to-back at least ``min_repeats`` times; decoding of that hypothesis then stops and
the loop is cut back to ONE copy of the block.
"""

from __future__ import annotations

from typing import Optional, Sequence


def find_repetition_loop(
    tokens: Sequence[int], max_period: int = 8, min_repeats: int = 4
) -> Optional[int]:
    """Length to cut ``tokens`` to when it ends in a loop, else ``None``.

    Args:
        tokens: a hypothesis so far.
        max_period: the longest repeated block looked for (in tokens).
        min_repeats: how many back-to-back copies make a loop (>= 2).

    Returns:
        ``len(tokens) - (repeats - 1) * period`` for the shortest looping ``period``
        (every copy but the first removed), or ``None`` when the end does not loop.

    >>> find_repetition_loop([5, 1, 2, 1, 2, 1, 2, 1, 2], max_period=3, min_repeats=4)
    3
    >>> find_repetition_loop([1, 2, 3, 1, 2, 3], min_repeats=3) is None
    True
    """
    if min_repeats < 2:
        raise ValueError(f"min_repeats must be >= 2, got {min_repeats}")
    n = len(tokens)
    for period in range(1, max_period + 1):
        if period * min_repeats > n:
            break
        block = list(tokens[n - period :])
        repeats = 1
        while (repeats + 1) * period <= n and list(
            tokens[n - (repeats + 1) * period : n - repeats * period]
        ) == block:
            repeats += 1
        if repeats >= min_repeats:
            return n - (repeats - 1) * period
    return None
