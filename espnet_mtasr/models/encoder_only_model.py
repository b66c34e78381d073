"""Encoder-only multi-talker ASR distilled from an LLM teacher.

Paper: "Distilling LLM Semantic Priors into Encoder-Only Multi-Talker ASR with Talker-Count
Routing" (arXiv 2603.10587).

::

    speech (B, L) -> [frontend -> specaug -> normalize] -> encoder -> enc (B, T, D)
        |-> talker-count head -> (B, K) logits -> count c in 1..K
        |-> mid-level features (``hf_wavlm``: after its first conv block; else enc)
        |     -> branch c: separator_c (B, c, T', D') -> serialized CTC_c -> c streams
        '-> [training only] LLM-SOT teacher: projector -> LLM -> SOT text (cross entropy)

Routing. There is one separator + serialized-CTC branch per talker count:
branch ``k`` (``k = 1..K``, ``K`` = ``separator_conf num_streams``) has ``k`` streams.
In training every mixture trains the branch of its REFERENCE count (the number of
``<sc>``-separated talkers of its SOT text), and the head learns that count. At
inference the head's argmax ``c`` picks the branch, and only branch ``c`` runs: the
output is exactly ``c`` streams (stream ``s`` = talker ``s`` in start-time order; a
stream may come out empty). No branch sees a count it was not built for, so there is
no empty-target stream in this family. A batch without mixtures of some count leaves
that branch without gradient: multi-GPU training (DDP) needs ESPnet's
``unused_parameters: true``.

Teacher. With ``decoder: hf_llm`` and ``llm_weight > 0`` the LLM-SOT teacher (usually
initialised from an ``llm_sot`` model; LLM frozen, or adapted with LoRA by its
``decoder_conf``) reads the encoder output through its projector, and its SOT cross
entropy flows back into the encoder. The teacher is never run at inference:
``MTASRTask.build_model_from_file`` builds this family without it and its weights in a
checkpoint are skipped on loading, so decoding needs neither the LLM nor its path.

Loss = ``ctc_weight`` * serialized CTC (its branch, per mixture, averaged over the
batch) + ``count_weight`` * talker-count cross entropy + ``llm_weight`` * teacher SOT
cross entropy. Stream targets are cut out of the SOT text at ``<sc>``; whitespace-only
pieces (``▁``, ``Ġ``) are stripped from each stream's ends and the blank's id is dropped.
"""

from __future__ import annotations

import argparse
from typing import Any, Dict, List, Optional, Tuple, Union

import torch
from espnet2.asr.encoder.abs_encoder import AbsEncoder
from espnet2.asr.frontend.abs_frontend import AbsFrontend
from espnet2.asr.specaug.abs_specaug import AbsSpecAug
from espnet2.layers.abs_normalize import AbsNormalize
from espnet2.torch_utils.device_funcs import force_gatherable
from typeguard import typechecked

from espnet_mtasr.asr.decoder.hf_llm_decoder import HFLLMDecoder
from espnet_mtasr.asr.talker_count.abs_talker_count import AbsTalkerCount
from espnet_mtasr.models.abs_mtasr_model import PartBuilder
from espnet_mtasr.models.decoding_options import DecodingOptions
from espnet_mtasr.models.family_hypothesis import FamilyHypothesis
from espnet_mtasr.models.llm_sot_model import token_cross_entropy
from espnet_mtasr.models.output_spec import OutputSpec
from espnet_mtasr.models.sop_llm_model import join_streams, pad_stream_targets, whitespace_ids
from espnet_mtasr.models.speech_encoder_model import SpeechEncoderModel
from espnet_mtasr.text.sot import SC
from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.masks import non_pad_mask


class EncoderOnlyModel(SpeechEncoderModel):
    """Encoder + talker-count head + per-count separator / serialized-CTC branches.

    Args:
        vocab_size / token_list: injected (the teacher LLM tokenizer's vocabulary when
            there is a teacher; any ESPnet token list otherwise).
        frontend / specaug / normalize / encoder: ESPnet's parts.
        separator_branches: ``K`` separators, branch ``k - 1`` with ``k`` streams (built
            by ``MTASRTask.build_model`` from one ``separator_conf``).
        ctc_branches: the ``K`` matching serialized-CTC heads.
        talker_count: the talker-count head (``num_talkers`` <= ``K``).
        decoder: the LLM-SOT teacher (training only), or ``None``.
        ctc_weight / count_weight / llm_weight: loss weights (``llm_weight`` > 0 needs a
            ``decoder``).
        sc_token: the talker-change token of the SOT text.
        lsm_weight: label smoothing of the teacher's cross entropy.
        sample_rate: of the input audio.
    """

    TRAINING_ONLY_PARTS = {"decoder": {"llm_weight": 0.0}}
    """Not built for inference (``MTASRTask.build_model_from_file``): the LLM teacher, and
    the ``model_conf`` that goes with its absence."""

    OUTPUTS = (
        OutputSpec("talker_count", "count", "count"),  # the routing count: a confusion table
        OutputSpec("text_spk", "stream_files"),  # text_spk1..c: each routed stream
    )
    FAMILY_PARTS = ("separator_branches", "ctc_branches")

    @classmethod
    def build_family_parts(
        cls, args: argparse.Namespace, parts: Dict[str, Any], build: PartBuilder
    ) -> Dict[str, Any]:
        """One separator + serialized CTC per talker count ``k = 1..S`` (branch ``k`` has
        ``k`` streams) from the one ``separator_conf`` / ``serialized_ctc_conf`` (``S`` =
        its ``num_streams``); the task's ``S``-stream pair is the last branch."""
        separator, ctc = parts.get("separator"), parts.get("serialized_ctc")
        model_name = getattr(args, "model", "encoder_only")
        if separator is None or ctc is None:
            raise MTASRInputError(
                f"--model {model_name} needs a separator and a serialized CTC (one branch "
                "per talker count)",
                fix="set --separator and --serialized_ctc in the training config",
            )
        if (getattr(args, "serialized_ctc_conf", None) or {}).get("stream_weights"):
            raise MTASRInputError(
                f"--model {model_name}: serialized_ctc_conf stream_weights cannot apply to "
                "branches with different stream counts",
                fix="remove stream_weights",
            )
        separators, ctcs = [], []
        for k in range(1, separator.num_streams):
            sep = build("separator", num_streams=k)
            separators.append(sep)
            ctcs.append(
                build("serialized_ctc", encoder_output_size=sep.output_size(), num_streams=k)
            )
        return dict(
            separator=None,  # they are the branch of the most talkers
            serialized_ctc=None,
            separator_branches=torch.nn.ModuleList([*separators, separator]),
            ctc_branches=torch.nn.ModuleList([*ctcs, ctc]),
        )

    @typechecked
    def __init__(
        self,
        vocab_size: int,
        token_list: Union[Tuple[str, ...], List[str]],
        frontend: Optional[AbsFrontend],
        specaug: Optional[AbsSpecAug],
        normalize: Optional[AbsNormalize],
        encoder: AbsEncoder,
        separator_branches: torch.nn.ModuleList,
        ctc_branches: torch.nn.ModuleList,
        talker_count: AbsTalkerCount,
        decoder: Optional[HFLLMDecoder] = None,
        ctc_weight: float = 1.0,
        count_weight: float = 1.0,
        llm_weight: float = 0.0,
        sc_token: str = SC,
        lsm_weight: float = 0.0,
        sample_rate: int = 16000,
    ):
        super().__init__(frontend, specaug, normalize, encoder, sample_rate)
        branches = len(separator_branches)
        if len(ctc_branches) != branches or any(
            sep.num_streams != k + 1 or ctc.num_streams != k + 1
            for k, (sep, ctc) in enumerate(zip(separator_branches, ctc_branches))
        ):
            raise ValueError("branch k (1-based) must have k separator streams and k CTC heads")
        if talker_count.num_talkers > branches:
            raise ValueError(
                f"talker_count_conf num_talkers {talker_count.num_talkers} asks for more "
                f"talkers than the {branches} separator/CTC branches (separator_conf "
                f"num_streams {branches}): raise num_streams or lower num_talkers"
            )
        if min(ctc_weight, count_weight, llm_weight) < 0:
            raise ValueError("model_conf ctc_weight, count_weight and llm_weight must be >= 0")
        if llm_weight > 0 and decoder is None:
            raise ValueError(
                f"model_conf llm_weight {llm_weight} needs the LLM teacher: set decoder: hf_llm"
            )
        if sc_token not in token_list:
            raise ValueError(f"model_conf sc_token '{sc_token}' is not in the token list")
        self.vocab_size = vocab_size
        self.token_list = list(token_list)
        self.separator_branches = separator_branches
        self.ctc_branches = ctc_branches
        self.talker_count = talker_count
        self.decoder = decoder
        self.ctc_weight = ctc_weight
        self.count_weight = count_weight
        self.llm_weight = llm_weight
        self.lsm_weight = lsm_weight
        self.sc_id = self.token_list.index(sc_token)
        self.space_ids = whitespace_ids(self.token_list, {self.sc_id})
        self._register_load_state_dict_pre_hook(self._skip_absent_teacher)

    def _skip_absent_teacher(self, state_dict, prefix, *args, **kwargs) -> None:
        """Built without the teacher (inference): its weights in a checkpoint are skipped."""
        if self.decoder is None:
            for key in [k for k in state_dict if k.startswith(prefix + "decoder.")]:
                del state_dict[key]

    @property
    def num_branches(self) -> int:
        return len(self.separator_branches)

    # ------------------------------------------------------------------ targets
    def reference_counts(self, text: torch.Tensor, text_lengths: torch.Tensor) -> torch.Tensor:
        """Talkers per SOT target ``(B, U)``: ``<sc>`` count + 1, ``(B,)`` (int64)."""
        valid = non_pad_mask(text_lengths, text.size(1))
        return ((text == self.sc_id) & valid).sum(1) + 1

    def stream_targets(
        self, text: torch.Tensor, text_lengths: torch.Tensor, num_streams: int
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """SOT ids ``(B, U)`` -> ``num_streams`` per-talker targets ``(B, S, L)`` (-1
        padded) and their lengths ``(B, S)``."""
        blank = self.ctc_branches[num_streams - 1].blank_id
        return pad_stream_targets(
            text, text_lengths, self.sc_id, num_streams, drop=[blank], strip=self.space_ids
        )

    # ------------------------------------------------------------------ training
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
            text: SOT token ids, ``(B, U)``, ``-1`` padded; text_lengths: ``(B,)``.
        """
        text = text[:, : int(text_lengths.max())]
        counts = self.reference_counts(text, text_lengths)
        if int(counts.max()) > self.num_branches:
            raise ValueError(
                f"a training mixture has {int(counts.max())} talkers, but the model has "
                f"{self.num_branches} branches: raise separator_conf num_streams (and "
                "talker_count_conf num_talkers) or filter the data"
            )
        enc, enc_lens, mid, mid_lens = self.encode_with_mid(speech, speech_lengths)
        bsz = speech.size(0)
        stats: Dict[str, torch.Tensor] = {}
        loss = enc.new_zeros((), dtype=torch.float32)
        if self.ctc_weight > 0:
            loss_ctc = enc.new_zeros((), dtype=torch.float32)
            for k in counts.unique().tolist():
                idx = (counts == k).nonzero(as_tuple=True)[0]
                streams, stream_lens = self.separator_branches[k - 1](mid[idx], mid_lens[idx])
                ys, ys_lens = self.stream_targets(text[idx], text_lengths[idx], k)
                branch = self.ctc_branches[k - 1](streams, stream_lens, ys, ys_lens)
                loss_ctc = loss_ctc + branch * (idx.numel() / bsz)  # per-mixture mean
            loss = loss + self.ctc_weight * loss_ctc
            stats["loss_ctc"] = loss_ctc.detach()
        logits = self.talker_count(enc, enc_lens)  # (B, K)
        target = (counts - 1).clamp(max=logits.size(1) - 1)
        loss_count = torch.nn.functional.cross_entropy(logits.float(), target)
        stats["count_acc"] = (logits.argmax(-1) == counts - 1).float().mean().detach()
        if self.count_weight > 0:
            loss = loss + self.count_weight * loss_count
            stats["loss_count"] = loss_count.detach()
        if self.llm_weight > 0:
            llm_logits, _ = self.decoder(enc, enc_lens, text, text_lengths)
            loss_llm, acc = token_cross_entropy(
                llm_logits, self.decoder.targets_with_eos(text, text_lengths), self.lsm_weight
            )
            loss = loss + self.llm_weight * loss_llm
            stats["loss_llm"] = loss_llm.detach()
            stats["acc"] = acc.detach()
        stats["loss"] = loss.detach()
        loss, stats, weight = force_gatherable((loss, stats, bsz), loss.device)
        return loss, stats, weight

    # ------------------------------------------------------------------ decoding
    @torch.no_grad()
    def decode_batch(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor, options: DecodingOptions
    ) -> List[List[FamilyHypothesis]]:
        """:meth:`AbsMTASRModel.decode_batch`: one batched CTC pass routed by the head;
        the search options do not apply."""
        streams, counts = self.decode_streams(speech, speech_lengths)
        return [
            [
                FamilyHypothesis(
                    join_streams(ids, self.sc_id),
                    0.0,
                    streams=ids,
                    extras={"talker_count": count, "text_spk": ids},
                )
            ]
            for ids, count in zip(streams, counts.tolist())
        ]

    @torch.no_grad()
    def decode_streams(
        self,
        speech: torch.Tensor,
        speech_lengths: torch.Tensor,
        num_talkers: Optional[torch.Tensor] = None,
    ) -> Tuple[List[List[List[int]]], torch.Tensor]:
        """Batched CTC-only decoding with talker-count routing.

        Args:
            speech: ``(B, L)``; speech_lengths: ``(B,)``.
            num_talkers: ``(B,)`` counts to force (oracle routing); default: the head's.

        Returns:
            ``streams[b][s]``: greedy CTC token ids of stream ``s`` of utterance ``b``
            (``c_b`` streams), and the counts ``c`` used, ``(B,)``.
        """
        enc, enc_lens, mid, mid_lens = self.encode_with_mid(speech, speech_lengths)
        if num_talkers is None:
            num_talkers = self.talker_count(enc, enc_lens).argmax(-1) + 1
        num_talkers = num_talkers.to(enc.device).long()
        if int(num_talkers.min()) < 1 or int(num_talkers.max()) > self.num_branches:
            raise ValueError(f"talker counts must be in 1..{self.num_branches}")
        out: List[List[List[int]]] = [[] for _ in range(speech.size(0))]
        for k in num_talkers.unique().tolist():
            idx = (num_talkers == k).nonzero(as_tuple=True)[0]
            streams, stream_lens = self.separator_branches[k - 1](mid[idx], mid_lens[idx])
            ctc = self.ctc_branches[k - 1]
            for b, ids in zip(idx.tolist(), ctc.greedy_decode(streams, stream_lens, ctc.blank_id)):
                out[b] = [[t for t in s if t != self.sc_id] for s in ids]
        return out, num_talkers
