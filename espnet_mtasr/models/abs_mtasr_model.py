"""The contract of a model family: what ``MTASRTask`` builds and ``mtasr_inference`` decodes.

A family is an ESPnet model (:class:`AbsESPnetModel`: ``forward`` returns ``loss, stats,
weight``; ``collect_feats``) that also says

- how it decodes a padded batch: :meth:`AbsMTASRModel.decode_batch` returns, per
  utterance, an n-best list of :class:`FamilyHypothesis` (token ids + score + the
  family's named extra outputs);
- which extra outputs it writes and how stage 13 scores each: :attr:`OUTPUTS`
  (:class:`OutputSpec`; e.g. ``sop_llm``'s serialized-CTC draft ``sop_text``, scored per
  stream, or ``encoder_only``'s ``talker_count``, scored as a confusion table);
- which decoding options it cannot honour: :meth:`check_decoding_options`;
- how its own parts are built beyond the task's ``--<kind>`` parts:
  :meth:`build_family_parts` (``encoder_only``'s one separator + CTC per talker count),
  named in :attr:`FAMILY_PARTS`;
- optionally, how its token ids become text (:meth:`text_decoder`; default: the training
  config's ESPnet tokenizer).

``mtasr_inference`` and the recipe's stages 12-13 only use this contract: they write
``text``/``token``/``token_int``/``score`` and every declared output by name, and score
what ``OUTPUTS`` says. ESPnet's own ``espnet`` model (SOT-AED) is decoded through the
same contract by :class:`espnet_mtasr.inference.espnet_beam_search.ESPnetBeamSearch`.
Adding a family = one model file with these methods + its registration in
``espnet_mtasr/tasks/mtasr.py``'s ``model`` choices.
"""

from __future__ import annotations

import argparse
from abc import abstractmethod
from typing import Any, Callable, ClassVar, Dict, List, Optional, Tuple

import torch
from espnet2.train.abs_espnet_model import AbsESPnetModel

from espnet_mtasr.models.decoding_options import DecodingOptions
from espnet_mtasr.models.family_hypothesis import FamilyHypothesis
from espnet_mtasr.models.output_spec import OutputSpec
from espnet_mtasr.utils.errors import MTASRInputError

# build(kind, **overrides) -> a new part of that kind from its --<kind>/--<kind>_conf
PartBuilder = Callable[..., torch.nn.Module]


class AbsMTASRModel(AbsESPnetModel):
    """Base of every model family of this plugin (see the module docstring)."""

    OUTPUTS: ClassVar[Tuple[OutputSpec, ...]] = ()
    FAMILY_PARTS: ClassVar[Tuple[str, ...]] = ()

    @abstractmethod
    def decode_batch(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor, options: DecodingOptions
    ) -> List[List[FamilyHypothesis]]:
        """Decode a padded batch.

        Args:
            speech: ``(B, L)`` waveforms (or features), padded.
            speech_lengths: ``(B,)``.
            options: the decoding options (those that apply to the family).

        Returns:
            Per utterance, in batch order, its n-best hypotheses, best first.
        """
        raise NotImplementedError

    @classmethod
    def check_decoding_options(cls, options: DecodingOptions) -> None:
        """Refuse options this family cannot honour (default: more than one best)."""
        if options.nbest != 1:
            raise MTASRInputError(f"--nbest: {cls.__name__} returns the best hypothesis only")

    def text_decoder(self) -> Optional[Callable[[List[int]], str]]:
        """Token ids -> text, if the family has its own tokenizer (an LLM's); else None."""
        return None

    @classmethod
    def build_family_parts(
        cls, args: argparse.Namespace, parts: Dict[str, Any], build: PartBuilder
    ) -> Dict[str, Any]:
        """The constructor arguments the family builds itself from the task's parts.

        Args:
            args: the training options.
            parts: the task's built parts (``separator``, ``serialized_ctc``, ...).
            build: ``build(kind, **overrides)`` builds another part of ``kind``.

        Returns:
            Arguments to set or replace (a ``None`` removes a part), default none.
        """
        return {}
