"""What :class:`~espnet_mtasr.inference.MultiTalkerSpeech2Text` returns for an utterance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Mapping, Optional


@dataclass(frozen=True)
class MultiTalkerResult:
    """The best hypothesis of one utterance, per talker.

    Args:
        text: the model's output text, as ``mtasr_inference`` writes it
            (``1best_recog/text``): talkers joined by ``<sc>``, or speaker-tagged
            (``<spk1> ... <spk2> ...``) for a model trained on tagged text (``sa_llm``).
        streams: one transcript per talker: start-time order for SOT output (split at
            ``<sc>``, empty ones dropped); by speaker tag for tagged output (untagged
            words last); ``encoder_only``: its routed branch's streams, empty ones kept
            (``text_spk1..c`` of ``mtasr_inference``).
        sot_text: ``streams`` (the non-empty ones) joined by ``" <sc> "``.
        talker_count: the talker count: ``encoder_only``'s talker-count head; otherwise
            the number of streams decoded.
        tokens: the output tokens.
        token_ids: their ids.
        score: the hypothesis' log-probability score (0 for ``encoder_only``).
        speaker_tags: tagged output only: the tag of each stream (``"<spk1>"``, ...;
            ``""`` for untagged words), else ``None``.
        draft: ``sop_llm`` only: its serialized-CTC draft (SOP, streams joined by
            ``<sc>``) that prompted the LLM, else ``None`` (the family's first declared
            output of kind ``streams``).
        outputs: every extra output the family declares (its ``OUTPUTS``), as
            ``mtasr_inference`` writes them: file name -> value (``talker_count``,
            ``text_spk1``, ``sop_text``, ...).
    """

    text: str
    streams: List[str]
    sot_text: str
    talker_count: int
    tokens: List[str]
    token_ids: List[int]
    score: float
    speaker_tags: Optional[List[str]] = None
    draft: Optional[str] = None
    outputs: Mapping[str, str] = field(default_factory=dict)
