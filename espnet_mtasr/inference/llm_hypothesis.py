"""The hypothesis of LLM decoding (``decoder: hf_llm`` families)."""

from __future__ import annotations

from typing import List, NamedTuple, Optional


class LLMHypothesis(NamedTuple):
    """The result of LLM decoding: token ids (no EOS), their log-probability and, for an
    ``sop_llm`` model, the SOP draft (talker streams joined by ``<sc>``)."""

    yseq: List[int]
    score: float
    sop: Optional[str] = None
