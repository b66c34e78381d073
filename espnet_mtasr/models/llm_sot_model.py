"""LLM-based SOT (the baseline of SOP-MT-ASR): encoder -> projector -> causal LLM.

Papers: LLM-based SOT, "Advancing Multi-talker ASR Performance with Large Language Models"
(arXiv 2408.17431); SOP-MT-ASR, "Serialized Output Prompting for Large Language Model-based
Multi-Talker Speech Recognition" (arXiv 2509.04488).

::

    speech (B, L) -> [frontend -> specaug -> normalize] -> encoder -> (B, T, D)
        -> HFLLMDecoder: projector -> prompt embeddings -> LLM (LoRA) -> SOT text + </s>

The target is the SOT text (talkers in start-time order joined by ``<sc>``) as LLM token
ids: the recipe uses ESPnet's ``token_type: hugging_face`` with the LLM's tokenizer, so
ESPnet's ``text`` ids are the LLM's ids (see :mod:`espnet_mtasr.asr.decoder.hf_llm_decoder`).
The loss is token-level cross entropy (optionally label-smoothed) over the target and its
EOS, averaged over tokens.

Decoding (:meth:`LLMSOTModel.decode_batch`, the family contract) is batched greedy or
beam search with the LLM's KV cache; the output budget grows with the input duration:
``max_new_tokens = maxlen_base + maxlen_per_second * seconds``.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Dict, List, Optional, Sequence, Tuple, Union

import torch
from espnet2.asr.encoder.abs_encoder import AbsEncoder
from espnet2.asr.frontend.abs_frontend import AbsFrontend
from espnet2.asr.specaug.abs_specaug import AbsSpecAug
from espnet2.layers.abs_normalize import AbsNormalize
from espnet2.torch_utils.device_funcs import force_gatherable
from typeguard import typechecked

from espnet_mtasr.asr.decoder.hf_llm_decoder import HFLLMDecoder
from espnet_mtasr.models.decoding_options import DecodingOptions
from espnet_mtasr.models.family_hypothesis import FamilyHypothesis
from espnet_mtasr.models.speech_encoder_model import SpeechEncoderModel

_D = DecodingOptions()  # the decoding defaults


def token_cross_entropy(
    logits: torch.Tensor, target: torch.Tensor, lsm_weight: float = 0.0
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Token cross entropy of ``(B, L, V)`` logits against ``(B, L)`` targets (``-1`` =
    padding), label-smoothed by ``lsm_weight``, averaged over tokens; and the accuracy."""
    loss = torch.nn.functional.cross_entropy(
        logits.transpose(1, 2), target, ignore_index=-1, label_smoothing=lsm_weight
    )
    valid = target >= 0
    acc = (logits.argmax(-1)[valid] == target[valid]).float().mean()
    return loss, acc


class LLMSOTModel(SpeechEncoderModel):
    """Speech encoder + LLM decoder trained on SOT text.

    Args:
        vocab_size: injected (the token list = the LLM tokenizer's vocabulary).
        token_list: injected.
        frontend / specaug / normalize: ESPnet's parts (``None`` for a waveform encoder).
        encoder: any ESPnet encoder (conformer, ``hf_wavlm``, ...).
        decoder: an :class:`HFLLMDecoder` (``decoder: hf_llm``).
        lsm_weight: label smoothing of the cross entropy.
        sample_rate: of the input audio, for the duration-based output budget.
    """

    @typechecked
    def __init__(
        self,
        vocab_size: int,
        token_list: Union[Tuple[str, ...], List[str]],
        frontend: Optional[AbsFrontend],
        specaug: Optional[AbsSpecAug],
        normalize: Optional[AbsNormalize],
        encoder: AbsEncoder,
        decoder: HFLLMDecoder,
        lsm_weight: float = 0.0,
        sample_rate: int = 16000,
    ):
        super().__init__(frontend, specaug, normalize, encoder, sample_rate)
        self.vocab_size = vocab_size
        self.token_list = list(token_list)
        self.decoder = decoder
        self.lsm_weight = lsm_weight

    # ------------------------------------------------------------------ training
    def teacher_forced(
        self,
        enc: torch.Tensor,
        enc_lens: torch.Tensor,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        sop: Optional[Sequence[Sequence[int]]] = None,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced logits ``(B, L+1, V)`` and their targets ``(B, L+1)`` (the SOT
        text + EOS, ``-1`` padded)."""
        logits, _ = self.decoder(enc, enc_lens, text, text_lengths, sop=sop)
        return logits, self.decoder.targets_with_eos(text, text_lengths)

    def sot_loss(
        self,
        enc: torch.Tensor,
        enc_lens: torch.Tensor,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        sop: Optional[Sequence[Sequence[int]]] = None,
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Cross entropy of the SOT target + EOS and the token accuracy."""
        logits, target = self.teacher_forced(enc, enc_lens, text, text_lengths, sop)
        return token_cross_entropy(logits, target, self.lsm_weight)

    def forward(
        self,
        speech: torch.Tensor,
        speech_lengths: torch.Tensor,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        **kwargs,
    ) -> Tuple[torch.Tensor, Dict[str, torch.Tensor], torch.Tensor]:
        """ESPnet's model contract: (loss, stats, batch size as weight).

        Args:
            speech: ``(B, L)``; speech_lengths: ``(B,)``.
            text: SOT token ids (LLM ids), ``(B, U)``, ``-1`` padded; text_lengths: ``(B,)``.
        """
        text = text[:, : int(text_lengths.max())]
        enc, enc_lens = self.encode(speech, speech_lengths)
        out = self.losses(*self.teacher_forced(enc, enc_lens, text, text_lengths))
        loss = out["loss"]
        stats = {k: v.detach() for k, v in out.items()}
        loss, stats, weight = force_gatherable((loss, stats, speech.size(0)), loss.device)
        return loss, stats, weight

    def losses(self, logits: torch.Tensor, target: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The training loss (``"loss"``) and statistics of teacher-forced ``(B, L, V)``
        logits against ``(B, L)`` targets; a family with other losses overrides this."""
        loss, acc = token_cross_entropy(logits, target, self.lsm_weight)
        return {"loss": loss, "acc": acc}

    # ------------------------------------------------------------------ decoding
    def encode_for_decoding(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, Optional[List[List[int]]], Optional[list]]:
        """Encoder output ``(B, T, D)``, lengths, the prompt's SOP ids per utterance and
        the per-stream drafts; this family has no draft (``sop_llm`` overrides this)."""
        enc, enc_lens = self.encode(speech, speech_lengths)
        return enc, enc_lens, None, None

    def budget(
        self, speech_lengths: torch.Tensor, maxlen_base: int, maxlen_per_second: float
    ) -> torch.Tensor:
        """Per-utterance output token budget from the input duration, ``(B,)``."""
        seconds = speech_lengths.float() / self.sample_rate
        return (maxlen_base + maxlen_per_second * seconds).ceil().long().clamp(min=1)

    @torch.no_grad()
    def decode_with_draft(
        self,
        speech: torch.Tensor,
        speech_lengths: torch.Tensor,
        beam_size: int = 1,
        maxlen_base: int = _D.maxlen_base,
        maxlen_per_second: float = _D.maxlen_per_second,
        length_penalty: float = _D.length_penalty,
        repeat_max_period: int = _D.repeat_max_period,
        repeat_min_count: int = _D.repeat_min_count,
    ) -> Tuple[List[Tuple[List[int], float]], Optional[list]]:
        """Decode a padded batch: per utterance the best (token ids, log-prob score), and
        the per-stream drafts ``[b][s]`` of a family that has them (else ``None``)."""
        enc, enc_lens, sop, drafts = self.encode_for_decoding(speech, speech_lengths)
        hyps = self.decoder.generate(
            enc,
            enc_lens,
            self.budget(speech_lengths, maxlen_base, maxlen_per_second),
            sop=sop,
            beam_size=beam_size,
            length_penalty=length_penalty,
            repeat_max_period=repeat_max_period,
            repeat_min_count=repeat_min_count,
        )
        return hyps, drafts

    @torch.no_grad()
    def decode(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor, **options: Any
    ) -> List[Tuple[List[int], float]]:
        """Decode a padded batch; per utterance the best (token ids, log-prob score).
        ``options``: those of :meth:`decode_with_draft`."""
        return self.decode_with_draft(speech, speech_lengths, **options)[0]

    # ------------------------------------------------------------------ the contract
    DRAFT_OUTPUT: ClassVar[Optional[str]] = None  # the OUTPUTS name of the draft, if any

    @torch.no_grad()
    def decode_batch(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor, options: DecodingOptions
    ) -> List[List[FamilyHypothesis]]:
        """:meth:`AbsMTASRModel.decode_batch`: one batched search with the KV cache; the
        per-stream draft of a family that has one under :attr:`DRAFT_OUTPUT`."""
        best, drafts = self.decode_with_draft(speech, speech_lengths, **options.llm_kwargs())
        out = []
        for b, (ids, score) in enumerate(best):
            extras = {}
            if drafts is not None and self.DRAFT_OUTPUT is not None:
                extras[self.DRAFT_OUTPUT] = drafts[b]
            out.append([FamilyHypothesis(list(ids), float(score), extras=extras)])
        return out

    def text_decoder(self) -> Callable[[List[int]], str]:
        """The LLM tokenizer's decoding; ``<sc>`` / speaker tags are ordinary (non-special)
        tokens and stay in the text."""
        tokenizer = self.decoder.tokenizer

        def detok(ids: List[int]) -> str:
            text = tokenizer.decode(ids, skip_special_tokens=True)
            return " ".join(text.replace("\n", " ").split())

        return detok
