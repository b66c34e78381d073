"""Dual-encoder speaker-attributed LLM (``model: sa_llm``).

Paper: "Balancing ASR and diarization in end-to-end LLMs for multi-talker speech
recognition".

An ASR encoder (semantic features) and a speaker encoder (``speaker_encoder``, speaker
features at the same frame rate) read the same features; their outputs are fused and
fed, through the LLM decoder's projector, to the LLM, which writes speaker-tagged text:
``<spk1> words <spk2> words <spk1> ...`` (relative ids by first appearance, segments in
start-time order; the data dir's ``text_spktag``).

Fusion (``fusion``; the paper's ablation rows):

- ``interleave`` (the paper's): blocks of ``interleave_frames`` frames alternate,
  ``sem[0:N], spk[0:N], sem[N:2N], spk[N:2N], ...`` (the speaker features projected to
  the semantic size ``D``), so the sequence is twice as long. ``N`` must be a multiple of
  the projector's frame stacking so that no LLM position mixes the two kinds (the last,
  partial block keeps the same order).
- ``concat``: ``Linear([sem; spk]) -> D`` frame by frame (same length).
- ``semantic``: the semantic features only (the speaker encoder is not run).

Losses on the teacher-forced target (the tagged text + EOS), per-token cross entropy
``ce`` (label-smoothed by ``lsm_weight``):

- **ASR loss** over the non-tag tokens, with the **adaptive-threshold mask**
  (``asr_mask``): ``adaptive``: tokens with ``ce > max(mean ce of the batch's non-tag
  tokens (no gradient), asr_mask_floor)`` are left out (the paper: max(mean, 2.0)), as
  likely products of overlap the model cannot resolve (hallucination pressure);
  ``fixed``: the threshold is ``asr_mask_floor``; ``none``: every token counts.
  ``asr_mask_warmup``: the mask starts after this many training forward passes
  (updates x ``accum_grad``; counted in the ``mask_steps`` buffer, which checkpoints and
  ``--resume`` keep). The paper fine-tunes pretrained encoders and LLM, whose per-token
  CE is low for most tokens; a model trained from scratch starts with every CE high and
  the mask drops the tokens above the batch mean from the first update (0.62-0.65 of
  the ASR tokens through 11 epochs on the mini AliMeeting recipe, its README), so its
  hard tokens are never trained. ``0`` (default): from the first update, as in the paper.
- **Length-aware speaker-ID loss** over the tag tokens: tag ``i`` is weighted by
  ``w_i = f(L_i)``, ``L_i`` the number of tokens of the segment it opens (until the next
  tag or EOS); ``spk_length_fn``: ``none`` ``f = 1``, ``linear`` ``f = min(L, ref)``,
  ``log`` ``f = log(1 + L)`` (``ref = spk_length_ref``). The loss is the weighted mean
  ``sum(w ce) / sum(w)``: the tag of a long segment, which decides the attribution of
  many characters, counts more than that of a one-word interjection.

``loss = loss_asr + spk_weight * loss_spk``.
"""

from __future__ import annotations

import math
import re
from typing import Dict, List, Optional, Tuple, Union

import torch
from espnet2.asr.encoder.abs_encoder import AbsEncoder
from espnet2.asr.frontend.abs_frontend import AbsFrontend
from espnet2.asr.specaug.abs_specaug import AbsSpecAug
from espnet2.layers.abs_normalize import AbsNormalize
from typeguard import typechecked

from espnet_mtasr.asr.decoder.hf_llm_decoder import HFLLMDecoder
from espnet_mtasr.asr.speaker.abs_speaker_encoder import AbsSpeakerEncoder
from espnet_mtasr.models.llm_sot_model import LLMSOTModel
from espnet_mtasr.models.speech_encoder_model import one_at_a_time
from espnet_mtasr.utils.errors import MTASRInputError

FUSIONS = ("interleave", "concat", "semantic")
SPK_LENGTH_FNS = ("none", "linear", "log")
ASR_MASKS = ("adaptive", "fixed", "none")
_TAG_RE = re.compile(r"<spk[1-9][0-9]*>")


def interleave_blocks(
    sem: torch.Tensor, spk: torch.Tensor, lens: torch.Tensor, block: int
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Alternate blocks of ``block`` frames of two aligned sequences.

    Args:
        sem, spk: ``(B, T, D)``, valid up to ``lens[b]``.
        lens: ``(B,)``.
        block: ``N``.

    Returns:
        ``(B, 2 * max(lens), D)`` and lengths ``2 * lens``: for each utterance
        ``sem[0:N], spk[0:N], sem[N:2N], spk[N:2N], ...`` over its valid frames only.
    """
    out = sem.new_zeros(sem.size(0), 2 * int(lens.max()), sem.size(2))
    for b in range(sem.size(0)):
        n = int(lens[b])
        parts = []
        for s in range(0, n, block):
            e = min(s + block, n)
            parts += [sem[b, s:e], spk[b, s:e]]
        if parts:
            out[b, : 2 * n] = torch.cat(parts, dim=0)
    return out, 2 * lens


def segment_lengths(target: torch.Tensor, is_tag: torch.Tensor) -> torch.Tensor:
    """Per tag position, the number of tokens until the next tag or the end.

    Args:
        target: ``(B, L)`` token ids, ``-1`` padded (the end is the first ``-1``; an EOS
            token before it is counted as part of the last segment).
        is_tag: ``(B, L)`` bool.

    Returns:
        ``(B, L)`` long: at tag positions the following segment's length (tokens after
        the tag, up to the next tag or padding), 0 elsewhere.
    """
    valid = target >= 0
    lengths = torch.zeros_like(target)
    for b in range(target.size(0)):
        pos = torch.nonzero(is_tag[b] & valid[b]).flatten().tolist()
        end = int(valid[b].sum())
        for i, p in enumerate(pos):
            nxt = pos[i + 1] if i + 1 < len(pos) else end
            lengths[b, p] = nxt - p - 1
    return lengths


def length_weights(lengths: torch.Tensor, fn: str, ref: float) -> torch.Tensor:
    """``f(L)`` of :mod:`this module <espnet_mtasr.models.sa_llm_model>`'s doc, float."""
    lengths = lengths.float()
    if fn == "none":
        return torch.ones_like(lengths)
    if fn == "linear":
        return lengths.clamp(max=ref)
    return torch.log1p(lengths)


def adaptive_mask(ce: torch.Tensor, candidates: torch.Tensor, rule: str, floor: float):
    """Which of the ``candidates`` tokens the ASR loss keeps, and the threshold used.

    Args:
        ce: ``(B, L)`` per-token cross entropy.
        candidates: ``(B, L)`` bool, the non-tag target tokens.
        rule: ``adaptive`` (``max(mean ce, floor)``), ``fixed`` (``floor``), ``none``.
        floor: see ``rule``.
    """
    if rule == "none" or not candidates.any():
        return candidates, math.inf
    threshold = floor
    if rule == "adaptive":
        threshold = max(float(ce.detach()[candidates].mean()), floor)
    return candidates & (ce.detach() <= threshold), threshold


class SALLMModel(LLMSOTModel):
    """ASR encoder + speaker encoder, fused, into the LLM decoder; speaker-tagged output.

    Args:
        vocab_size, token_list: injected; the token list must hold the speaker tags
            ``<spk1>``... (``decoder_conf.added_tokens``).
        frontend / specaug / normalize / encoder / decoder: as :class:`LLMSOTModel`.
        speaker_encoder: ``speaker_encoder: espnet_spk`` (``None`` only with
            ``fusion: semantic``).
        fusion: ``interleave``, ``concat`` or ``semantic`` (module doc).
        interleave_frames: ``N`` of ``interleave`` (the paper: 20).
        spk_weight: weight of the speaker-ID loss.
        spk_length_fn, spk_length_ref: the length-aware weighting (module doc).
        asr_mask, asr_mask_floor: the ASR-loss mask (module doc; the paper: adaptive, 2.0).
        asr_mask_warmup: training forward passes before the mask starts (module doc).
        lsm_weight: label smoothing.
        sample_rate: input sample rate (decoding budget).

    Shapes: speech ``(B, L)`` -> encoder ``(B, T, D)`` and speaker ``(B, T, D_spk)`` ->
    fused ``(B, T_f, D)`` (``T_f = 2T`` for interleave) -> projector -> LLM.
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
        speaker_encoder: Optional[AbsSpeakerEncoder] = None,
        fusion: str = "interleave",
        interleave_frames: int = 20,
        spk_weight: float = 1.0,
        spk_length_fn: str = "log",
        spk_length_ref: float = 20.0,
        asr_mask: str = "adaptive",
        asr_mask_floor: float = 2.0,
        asr_mask_warmup: int = 0,
        lsm_weight: float = 0.0,
        sample_rate: int = 16000,
    ):
        super().__init__(
            vocab_size, token_list, frontend, specaug, normalize, encoder, decoder,
            lsm_weight, sample_rate,
        )  # fmt: skip
        for name, value, valid in (
            ("fusion", fusion, FUSIONS),
            ("spk_length_fn", spk_length_fn, SPK_LENGTH_FNS),
            ("asr_mask", asr_mask, ASR_MASKS),
        ):
            if value not in valid:
                raise MTASRInputError(
                    f"model_conf {name} {value!r} is unknown; valid: {', '.join(valid)}"
                )
        if fusion != "semantic" and speaker_encoder is None:
            raise MTASRInputError(
                f"model_conf fusion {fusion!r} needs speaker features",
                fix="set --speaker_encoder (e.g. espnet_spk), or fusion: semantic",
            )
        stack = decoder.projector.stack
        if fusion == "interleave" and (interleave_frames < 1 or interleave_frames % stack):
            raise MTASRInputError(
                f"model_conf interleave_frames {interleave_frames} must be a positive "
                f"multiple of decoder_conf projector_stack ({stack}), so that no LLM "
                f"position mixes semantic and speaker frames"
            )
        if asr_mask_warmup < 0:
            raise MTASRInputError(
                f"model_conf asr_mask_warmup {asr_mask_warmup} must be >= 0 (updates)"
            )
        tag_ids = [i for i, t in enumerate(token_list) if _TAG_RE.fullmatch(t)]
        if not tag_ids:
            raise MTASRInputError(
                "the token list has no speaker tag (<spk1>, <spk2>, ...)",
                fix="add them to decoder_conf added_tokens (and to the LLM tokenizer)",
            )
        self.speaker_encoder = speaker_encoder if fusion != "semantic" else None
        self.fusion = fusion
        self.interleave_frames = interleave_frames
        self.spk_weight = spk_weight
        self.spk_length_fn = spk_length_fn
        self.spk_length_ref = spk_length_ref
        self.asr_mask = asr_mask
        self.asr_mask_floor = asr_mask_floor
        self.asr_mask_warmup = asr_mask_warmup
        self.register_buffer("mask_steps", torch.zeros((), dtype=torch.long))
        self.register_buffer("tag_ids", torch.tensor(tag_ids), persistent=False)
        d = encoder.output_size()
        if fusion == "interleave":
            self.spk_proj = torch.nn.Linear(speaker_encoder.output_size(), d)
        elif fusion == "concat":
            self.fuse_proj = torch.nn.Linear(d + speaker_encoder.output_size(), d)

    # ------------------------------------------------------------------ features
    def encode(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(B, L)`` speech -> fused features ``(B, T_f, D)`` and lengths (what the LLM
        decoder's projector reads)."""
        if not self.training and speech.size(0) > 1:  # see SpeechEncoderModel
            return one_at_a_time(self.encode, speech, speech_lengths)
        feats, feats_lens = self.encoder_input(speech, speech_lengths)
        sem, sem_lens, _ = self.encoder(feats, feats_lens)  # (B, T, D)
        if self.fusion == "semantic":
            return sem, sem_lens
        spk, _ = self.speaker_encoder(feats, feats_lens)  # (B, T_s, D_spk)
        # align to the semantic frames (rates match; lengths may differ by a frame or two)
        t = sem.size(1)
        spk = torch.nn.functional.pad(spk[:, :t], (0, 0, 0, max(0, t - spk.size(1))))
        if self.fusion == "concat":
            return self.fuse_proj(torch.cat([sem, spk], dim=-1)), sem_lens
        return interleave_blocks(sem, self.spk_proj(spk), sem_lens, self.interleave_frames)

    # ------------------------------------------------------------------ training
    def losses(self, logits: torch.Tensor, target: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The ASR and speaker-ID losses of teacher-forced ``(B, L, V)`` logits against
        ``(B, L)`` targets (``-1`` padded), with their accuracies and the masked share."""
        valid = target >= 0
        ce = torch.nn.functional.cross_entropy(
            logits.transpose(1, 2), target.clamp(min=0), reduction="none",
            label_smoothing=self.lsm_weight,
        )  # fmt: skip
        ce = ce * valid
        is_tag = (target[..., None] == self.tag_ids).any(-1) & valid
        if self.training:
            self.mask_steps += 1
        rule = self.asr_mask if int(self.mask_steps) > self.asr_mask_warmup else "none"
        keep, threshold = adaptive_mask(ce, valid & ~is_tag, rule, self.asr_mask_floor)
        zero = ce.sum() * 0.0
        loss_asr = ce[keep].mean() if keep.any() else zero
        if is_tag.any():
            w = length_weights(
                segment_lengths(target, is_tag), self.spk_length_fn, self.spk_length_ref
            )
            w = w * is_tag
            loss_spk = (w * ce).sum() / w.sum().clamp(min=1e-8)
        else:
            loss_spk = zero
        hit = logits.argmax(-1) == target
        asr = valid & ~is_tag
        return {
            "loss": loss_asr + self.spk_weight * loss_spk,
            "loss_asr": loss_asr,
            "loss_spk": loss_spk,
            "acc": hit[valid].float().mean(),
            "acc_asr": hit[asr].float().mean() if asr.any() else zero,
            "acc_spk": hit[is_tag].float().mean() if is_tag.any() else zero,
            "masked": 1.0 - keep.sum() / asr.sum().clamp(min=1),
            "threshold": torch.tensor(threshold if math.isfinite(threshold) else 0.0),
        }
