"""Every decoding option of every family, with its default, in one place."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Dict

from espnet_mtasr.utils.errors import MTASRInputError


@dataclass(frozen=True)
class DecodingOptions:
    """The options ``mtasr_inference`` / :class:`MTSpeech2Text` hand a family's decoder.

    A family reads the options that apply to it and ignores the rest
    (:meth:`AbsMTASRModel.check_decoding_options` refuses values it cannot honour).

    Args:
        beam_size: beam width (LLM families: 1 = greedy).
        ctc_weight: joint CTC/attention beam search (``espnet``): the CTC prefix-score
            weight; the attention decoder gets ``1 - ctc_weight``.
        penalty: ``espnet``: length bonus per token (insertion penalty if negative).
        maxlenratio: ``espnet``: max output length / encoder length; 0 = end detection;
            negative = a constant max length of ``-maxlenratio``.
        minlenratio: ``espnet``: min output length / encoder length.
        nbest: hypotheses per utterance (``espnet`` only; the other families return 1).
        normalize_length: ``espnet``: pick the best by length-normalised score.
        maxlen_base, maxlen_per_second: LLM families: the output budget per utterance,
            ``maxlen_base + maxlen_per_second * seconds`` tokens.
        length_penalty: LLM families: score bonus per output token.
        repeat_max_period, repeat_min_count: LLM families: the repetition guard (a
            hypothesis ending in a block of up to ``repeat_max_period`` tokens repeated
            ``repeat_min_count`` times ends, cut back to one copy).

    >>> DecodingOptions(beam_size=4).llm_kwargs()["beam_size"]
    4
    >>> DecodingOptions(ctc_weight=2.0)
    Traceback (most recent call last):
    ...
    espnet_mtasr.utils.errors.MTASRInputError: --ctc_weight must be in [0, 1], not 2.0
    """

    beam_size: int = 20
    ctc_weight: float = 0.5
    penalty: float = 0.0
    maxlenratio: float = 0.0
    minlenratio: float = 0.0
    nbest: int = 1
    normalize_length: bool = False
    maxlen_base: int = 10
    maxlen_per_second: float = 10.0
    length_penalty: float = 0.0
    repeat_max_period: int = 8
    repeat_min_count: int = 4

    def __post_init__(self) -> None:
        if not 0.0 <= self.ctc_weight <= 1.0:
            raise MTASRInputError(f"--ctc_weight must be in [0, 1], not {self.ctc_weight}")
        if self.beam_size < 1 or self.nbest < 1:
            raise MTASRInputError("--beam_size and --nbest must be >= 1")

    def llm_kwargs(self) -> Dict[str, Any]:
        """The options of an LLM family's search (``LLMSOTModel.decode_with_draft``)."""
        names = ("beam_size", "maxlen_base", "maxlen_per_second", "length_penalty")
        names += ("repeat_max_period", "repeat_min_count")
        return {n: getattr(self, n) for n in names}

    def to_dict(self) -> Dict[str, Any]:
        """``name -> value`` of every option (for logs and result files)."""
        return dataclasses.asdict(self)
