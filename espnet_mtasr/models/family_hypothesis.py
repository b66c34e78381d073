"""The hypothesis every model family's batch decoding returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Mapping, Optional


@dataclass(frozen=True)
class FamilyHypothesis:
    """One decoded utterance.

    Args:
        token_ids: the output token ids (no sos/eos/blank), ``<sc>``/speaker tags kept.
        score: its log-probability (or the search's score).
        streams: when the family decodes talker streams itself (``encoder_only``): the
            token ids per stream, start-time order; ``text`` is then the non-empty streams
            joined by ``<sc>``, and ``token_ids`` those streams joined by the ``<sc>`` id.
        extras: the family's named extra outputs (:class:`OutputSpec` ``name`` -> value:
            token-id streams or an integer), e.g. ``{"sop_text": [[3, 4], [5]]}``.
        raw: the search's own hypothesis object (ESPnet's ``Hypothesis``), if any.
    """

    token_ids: List[int]
    score: float
    streams: Optional[List[List[int]]] = None
    extras: Mapping[str, Any] = field(default_factory=dict)
    raw: Any = None
