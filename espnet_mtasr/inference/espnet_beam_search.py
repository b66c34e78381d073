"""The ``espnet`` family (ESPnet's ``ESPnetASRModel``: the SOT-AED) through the family
contract: ESPnet's joint CTC/attention beam search, one utterance at a time."""

from __future__ import annotations

import logging
from typing import Callable, ClassVar, List, Optional, Tuple

import torch
from espnet2.torch_utils.device_funcs import to_device

from espnet_mtasr.models.decoding_options import DecodingOptions
from espnet_mtasr.models.family_hypothesis import FamilyHypothesis
from espnet_mtasr.models.output_spec import OutputSpec
from espnet_mtasr.utils.errors import MTASRInputError

logger = logging.getLogger(__name__)


class ESPnetBeamSearch:
    """Decode an ESPnet encoder-decoder model as :class:`AbsMTASRModel` families decode.

    The search is ESPnet's ``BeamSearch`` with the attention decoder, the CTC prefix
    scorer and a length bonus (``BatchBeamSearch`` when every scorer is batchable: batched
    over hypotheses, not utterances). Each utterance is encoded alone, without padding, so
    results do not depend on the batch.

    Args:
        model: the ``espnet`` model (``encode``, ``decoder``, ``ctc``, ``sos``/``eos``).
        options: beam size, CTC weight, length bonus, length ratios, n-best.
        device / dtype: where the search runs.
        model_name: the ``--model`` option, for messages.
    """

    OUTPUTS: ClassVar[Tuple[OutputSpec, ...]] = ()
    BATCHED: ClassVar[bool] = False

    def __init__(
        self,
        model: torch.nn.Module,
        options: DecodingOptions,
        device: str = "cpu",
        dtype: str = "float32",
        model_name: str = "espnet",
    ):
        from espnet_mtasr.utils.espnet_compat import (
            BatchBeamSearch,
            BatchScorerInterface,
            BeamSearch,
            CTCPrefixScorer,
            LengthBonus,
        )

        for attr in ("encode", "ctc", "sos", "eos", "token_list"):
            if not hasattr(model, attr):
                raise MTASRInputError(
                    f"--model {model_name} has no {attr!r}: "
                    "joint CTC/attention beam search cannot decode it"
                )
        if model.decoder is None and options.ctc_weight < 1.0:
            raise MTASRInputError(
                "the model has no attention decoder", fix="decode with --ctc_weight 1.0"
            )
        vocab = len(model.token_list)
        scorers = dict(
            decoder=model.decoder,
            ctc=CTCPrefixScorer(ctc=model.ctc, eos=model.eos),
            length_bonus=LengthBonus(vocab),
        )
        weights = dict(
            decoder=1.0 - options.ctc_weight, ctc=options.ctc_weight, length_bonus=options.penalty
        )
        search = BeamSearch(
            scorers=scorers,
            weights=weights,
            beam_size=options.beam_size,
            vocab_size=vocab,
            sos=model.sos,
            eos=model.eos,
            token_list=list(model.token_list),
            pre_beam_score_key=None if options.ctc_weight == 1.0 else "full",
            normalize_length=options.normalize_length,
        )
        if all(isinstance(s, BatchScorerInterface) for s in search.full_scorers.values()):
            search.__class__ = BatchBeamSearch
        search.to(device=device, dtype=getattr(torch, dtype)).eval()
        logger.info(f"Beam search: {type(search).__name__}, weights {weights}")
        self.model, self.search, self.options = model, search, options
        self.device, self.dtype = device, dtype

    @classmethod
    def check_decoding_options(cls, options: DecodingOptions) -> None:
        """Every option applies (checked when the search is built)."""

    def text_decoder(self) -> Optional[Callable[[List[int]], str]]:
        return None  # the training config's ESPnet tokenizer

    @torch.no_grad()
    def decode_one(self, speech: torch.Tensor) -> List[FamilyHypothesis]:
        """``(T,)`` samples -> the ``nbest`` best hypotheses (no sos/eos/blank ids)."""
        speech = speech.unsqueeze(0).to(getattr(torch, self.dtype))  # (1, T)
        lengths = speech.new_full([1], dtype=torch.long, fill_value=speech.size(1))
        batch = to_device({"speech": speech, "speech_lengths": lengths}, device=self.device)
        enc, _ = self.model.encode(**batch)  # (1, T_enc, D_enc)
        if isinstance(enc, tuple):  # intermediate CTC outputs
            enc = enc[0]
        hyps = self.search(
            x=enc[0], maxlenratio=self.options.maxlenratio, minlenratio=self.options.minlenratio
        )
        out = []
        for hyp in hyps[: self.options.nbest]:
            yseq = hyp.yseq.tolist() if isinstance(hyp.yseq, torch.Tensor) else list(hyp.yseq)
            ids = [t for t in yseq[1:-1] if t != self.model.blank_id]  # no sos/eos
            out.append(FamilyHypothesis(ids, float(hyp.score), raw=hyp))
        return out

    def decode_batch(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor, options: DecodingOptions
    ) -> List[List[FamilyHypothesis]]:
        """``(B, T)`` padded -> per utterance its n-best, one utterance at a time.

        The search was built with the options given to the constructor; ``options`` must
        be those (the contract's signature)."""
        if options != self.options:
            raise ValueError("ESPnetBeamSearch was built with other decoding options")
        return [self.decode_one(speech[b, : int(n)]) for b, n in enumerate(speech_lengths)]
