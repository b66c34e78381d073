"""The hypothesis of CTC-only stream decoding (``encoder_only``)."""

from __future__ import annotations

from typing import List, NamedTuple


class StreamHypothesis(NamedTuple):
    """The result of CTC-only stream decoding (``encoder_only``): the ``<sc>``-joined
    token ids, each talker stream's text (start-time order) and the talker count that
    routed the decoding."""

    yseq: List[int]
    score: float
    streams: List[str]
    talker_count: int
