"""SOP-MT-ASR: a serialized-CTC draft of every talker prompts the LLM.

Paper: "Serialized Output Prompting for Large Language Model-based Multi-Talker Speech
Recognition" (arXiv 2509.04488).

::

    speech (B, L) -> [frontend -> specaug -> normalize] -> encoder
        |-> (B, T, D) -> HFLLMDecoder: projector -> [prompt, speech, SOP] -> LLM -> SOT text
        '-> separator input: the encoder's mid-level features when it has them
            (``hf_wavlm``: ``forward_with_mid``, 25 Hz) else its output (B, T, D)
            -> separator (B, S, T', D') -> serialized CTC: stream s <- talker s
            -> greedy draft per stream -> SOP = stream_1 <sc> stream_2 <sc> ... (non-empty)

Serialized CTC targets. Stream ``s`` is trained on the ``s``-th talker's transcript in
start-time order, cut out of the SOT target (``text``) at its ``<sc>`` ids; tokens that
are only whitespace (``▁`` next to ``<sc>`` in sentencepiece-style vocabularies) are
stripped from the ends of each stream (inside a stream they are word boundaries), and
the blank's id is dropped if a transcript holds it. Streams beyond the talker
count get an empty target (they learn to stay blank).
The CTC vocabulary is the LLM tokenizer's (``odim`` = token list); ``serialized_ctc_conf
blank_id`` says which id is the blank (the tiny tokenizers' ``<unk>`` = 0; for a
vocabulary whose id 0 is a real token set ``extra_blank: true``).

The paper's three training stages are three configs of this family chained by
``--init_param`` (mtasr.sh ``--asr_sub_stages``); each sets what it trains:

- A (``llm_sot``): encoder + projector + LoRA on SOT text.
- B (``sop_llm``, ``llm_weight: 0``): encoder + separator + serialized CTC; the LLM part
  is not run (``freeze_param: [decoder]``).
- C (``sop_llm``, ``ctc_weight: 0``): a NEW LoRA adapter (``decoder_conf
  lora_adapter_name``, stage A's kept in ``frozen_lora_adapters``) + projector, with the
  SOP draft of the frozen separator in the prompt (``freeze_param: [encoder, separator,
  serialized_ctc]``).

Loss = ``ctc_weight`` * serialized CTC + ``llm_weight`` * LLM cross entropy. The SOP in
training is the model's own greedy draft (no gradient), as at inference.
"""

from __future__ import annotations

from typing import Collection, Dict, List, Optional, Sequence, Tuple, Union

import torch
from espnet2.asr.encoder.abs_encoder import AbsEncoder
from espnet2.asr.frontend.abs_frontend import AbsFrontend
from espnet2.asr.specaug.abs_specaug import AbsSpecAug
from espnet2.layers.abs_normalize import AbsNormalize
from espnet2.torch_utils.device_funcs import force_gatherable
from typeguard import typechecked

from espnet_mtasr.asr.ctc.abs_serialized_ctc import AbsSerializedCTC
from espnet_mtasr.asr.decoder.hf_llm_decoder import HFLLMDecoder
from espnet_mtasr.asr.separator.abs_separator import AbsSeparator
from espnet_mtasr.models.llm_sot_model import LLMSOTModel
from espnet_mtasr.models.output_spec import OutputSpec
from espnet_mtasr.text.sot import SC

WHITESPACE_MARKS = "▁Ġ"
"""Word-boundary marks of sentencepiece (``▁``) and byte-level BPE (``Ġ``) pieces."""


def whitespace_ids(pieces: Sequence[str], exclude: Collection[int] = ()) -> List[int]:
    """Ids of the pieces that are only whitespace or word-boundary marks (not in
    ``exclude``): what :func:`split_streams` strips from each stream's ends.

    ``pieces`` are a vocabulary's token strings (``▁``, ``Ġ`` marks kept) or its decoded
    pieces (``tokenizer.batch_decode`` of each id alone).

    >>> whitespace_ids(["<unk>", "▁", "Ġ", " ", "\\n", " ▁ ", "\\u3000", "a", "▁a"], exclude={0})
    [1, 2, 3, 4, 5, 6]
    """
    excluded = set(exclude)
    return [
        i
        for i, piece in enumerate(pieces)
        if i not in excluded and all(c.isspace() or c in WHITESPACE_MARKS for c in piece)
    ]


def split_streams(
    ids: Sequence[int],
    sc_id: int,
    num_streams: int,
    drop: Sequence[int] = (),
    strip: Sequence[int] = (),
) -> List[List[int]]:
    """SOT token ids -> ``num_streams`` per-talker id lists (start-time order).

    Args:
        ids: one utterance's SOT target ids (no padding).
        sc_id: the ``<sc>`` id.
        num_streams: ``S``; talkers after the ``S``-th are merged into the last stream
            (the model has no branch for them; the recipe keeps S >= the talker count).
        drop: ids removed from every stream (e.g. the CTC blank's).
        strip: ids removed from the start and end of every stream (whitespace-only
            pieces next to ``<sc>``; inside a stream they separate words).

    Returns:
        ``S`` lists; the ones past the talker count are empty.
    """
    streams: List[List[int]] = [[]]
    skip = set(drop)
    for tok in ids:
        if tok == sc_id:
            if len(streams) < num_streams:
                streams.append([])
            continue
        if tok not in skip:
            streams[-1].append(int(tok))
    edge = set(strip)
    for stream in streams:
        while stream and stream[-1] in edge:
            stream.pop()
        while stream and stream[0] in edge:
            stream.pop(0)
    return streams + [[] for _ in range(num_streams - len(streams))]


def pad_stream_targets(
    text: torch.Tensor,
    text_lengths: torch.Tensor,
    sc_id: int,
    num_streams: int,
    drop: Sequence[int] = (),
    strip: Sequence[int] = (),
) -> Tuple[torch.Tensor, torch.Tensor]:
    """A batch of SOT ids ``(B, U)`` -> per-talker targets ``(B, S, L)`` (``-1`` padded)
    and their lengths ``(B, S)`` (:func:`split_streams` on every utterance)."""
    per_utt = [
        split_streams(text[b, : int(text_lengths[b])].tolist(), sc_id, num_streams, drop, strip)
        for b in range(text.size(0))
    ]
    longest = max(1, max(len(s) for streams in per_utt for s in streams))
    ys = torch.full((text.size(0), num_streams, longest), -1, dtype=torch.long)
    lens = torch.zeros(text.size(0), num_streams, dtype=torch.long)
    for b, streams in enumerate(per_utt):
        for s, ids in enumerate(streams):
            ys[b, s, : len(ids)] = torch.tensor(ids, dtype=torch.long)
            lens[b, s] = len(ids)
    return ys.to(text.device), lens.to(text.device)


def join_streams(streams: Sequence[Sequence[int]], sc_id: int) -> List[int]:
    """Per-stream draft ids -> one SOP id sequence, non-empty streams joined by ``<sc>``."""
    out: List[int] = []
    for stream in (s for s in streams if len(s) > 0):
        if out:
            out.append(sc_id)
        out.extend(int(t) for t in stream)
    return out


class SOPLLMModel(LLMSOTModel):
    """Encoder + separator + serialized CTC (the SOP draft) + LLM decoder.

    Args:
        vocab_size / token_list: injected (the LLM tokenizer's vocabulary).
        frontend / specaug / normalize / encoder / decoder: as in :class:`LLMSOTModel`.
        separator: mid-level (or encoder) features ``(B, T', C)`` -> ``(B, S, T', D')``.
        serialized_ctc: one CTC branch per stream.
        ctc_weight: weight of the serialized CTC loss (0: the branch is not trained).
        llm_weight: weight of the LLM cross entropy (0: the LLM is not run in training).
        use_sop: put the draft into the LLM prompt (False: the LLM sees no draft).
        sc_token: the talker-change token of the SOT text.
        lsm_weight: label smoothing of the LLM cross entropy.
        sample_rate: input sample rate (duration-based decoding budget).

    Decoding writes the draft too: ``sop_text`` (the non-empty streams joined by
    ``<sc>``), scored on its own per stream (stream ``s`` against talker ``s``).
    """

    DRAFT_OUTPUT = "sop_text"
    OUTPUTS = (OutputSpec("sop_text", "streams", "per_stream", label="SOP draft", suffix="sop"),)

    @typechecked
    def __init__(
        self,
        vocab_size: int,
        token_list: Union[Tuple[str, ...], List[str]],
        frontend: Optional[AbsFrontend],
        specaug: Optional[AbsSpecAug],
        normalize: Optional[AbsNormalize],
        encoder: AbsEncoder,
        separator: AbsSeparator,
        serialized_ctc: AbsSerializedCTC,
        decoder: HFLLMDecoder,
        ctc_weight: float = 1.0,
        llm_weight: float = 1.0,
        use_sop: bool = True,
        sc_token: str = SC,
        lsm_weight: float = 0.0,
        sample_rate: int = 16000,
    ):
        super().__init__(
            vocab_size=vocab_size,
            token_list=token_list,
            frontend=frontend,
            specaug=specaug,
            normalize=normalize,
            encoder=encoder,
            decoder=decoder,
            lsm_weight=lsm_weight,
            sample_rate=sample_rate,
        )
        if ctc_weight < 0 or llm_weight < 0 or ctc_weight + llm_weight == 0:
            raise ValueError(
                f"model_conf ctc_weight ({ctc_weight}) and llm_weight ({llm_weight}) must be "
                ">= 0 and not both 0"
            )
        if separator.num_streams != serialized_ctc.num_streams:
            raise ValueError(
                f"separator has {separator.num_streams} streams but serialized_ctc "
                f"{serialized_ctc.num_streams}"
            )
        if sc_token not in token_list:
            raise ValueError(f"model_conf sc_token '{sc_token}' is not in the token list")
        self.separator = separator
        self.serialized_ctc = serialized_ctc
        self.ctc_weight = ctc_weight
        self.llm_weight = llm_weight
        self.use_sop = use_sop
        self.sc_id = list(token_list).index(sc_token)
        tok = decoder.tokenizer
        pieces = tok.batch_decode([[i] for i in range(len(tok))])  # one pass, not V calls
        self.space_ids = whitespace_ids(pieces, {self.sc_id, *tok.all_special_ids})

    # ------------------------------------------------------------------ parts
    def drafts(self, streams: torch.Tensor, stream_lens: torch.Tensor) -> List[List[List[int]]]:
        """Greedy per-stream draft ``[b][s]`` of ``(B, S, T', D')`` separator streams;
        ``<sc>`` (never a stream target) is dropped."""
        ids = self.serialized_ctc.greedy_decode(
            streams, stream_lens, blank_id=self.serialized_ctc.blank_id
        )
        return [[[t for t in s if t != self.sc_id] for s in utt] for utt in ids]

    def prompt_sop(self, drafts: List[List[List[int]]]) -> Optional[List[List[int]]]:
        """The SOP ids of every utterance for the prompt (``None`` without ``use_sop``)."""
        return [join_streams(d, self.sc_id) for d in drafts] if self.use_sop else None

    def stream_targets(
        self, text: torch.Tensor, text_lengths: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """SOT ids ``(B, U)`` -> per-talker targets ``(B, S, L)`` (-1 padded), ``(B, S)``."""
        # the blank's id (e.g. <unk> = 0 of a small tokenizer); whitespace-only pieces
        # at the stream ends
        return pad_stream_targets(
            text,
            text_lengths,
            self.sc_id,
            self.serialized_ctc.num_streams,
            drop=[self.serialized_ctc.blank_id],
            strip=self.space_ids,
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
            text: SOT token ids (LLM ids), ``(B, U)``, ``-1`` padded; text_lengths: ``(B,)``.
        """
        text = text[:, : int(text_lengths.max())]
        enc, enc_lens, mid, mid_lens = self.encode_with_mid(speech, speech_lengths)
        stats: Dict[str, torch.Tensor] = {}
        loss = enc.new_zeros((), dtype=torch.float32)
        need_draft = self.llm_weight > 0 and self.use_sop
        if self.ctc_weight > 0 or need_draft:
            streams, stream_lens = self.separator(mid, mid_lens)
        if self.ctc_weight > 0:
            ys, ys_lens = self.stream_targets(text, text_lengths)
            loss_ctc = self.serialized_ctc(streams, stream_lens, ys, ys_lens)
            loss = loss + self.ctc_weight * loss_ctc
            stats["loss_ctc"] = loss_ctc.detach()
        if self.llm_weight > 0:
            sop = None
            if self.use_sop:
                with torch.no_grad():
                    sop = self.prompt_sop(self.drafts(streams.detach(), stream_lens))
            loss_llm, acc = self.sot_loss(enc, enc_lens, text, text_lengths, sop=sop)
            loss = loss + self.llm_weight * loss_llm
            stats["loss_llm"] = loss_llm.detach()
            stats["acc"] = acc.detach()
        stats["loss"] = loss.detach()
        loss, stats, weight = force_gatherable((loss, stats, speech.size(0)), loss.device)
        return loss, stats, weight

    # ------------------------------------------------------------------ decoding
    def encode_for_decoding(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, Optional[List[List[int]]], List[List[List[int]]]]:
        """Encoder output, lengths, the SOP ids (``None`` without ``use_sop``) and the
        greedy draft of every stream ``[b][s]``, from one encoder pass."""
        enc, enc_lens, mid, mid_lens = self.encode_with_mid(speech, speech_lengths)
        drafts = self.drafts(*self.separator(mid, mid_lens))
        return enc, enc_lens, self.prompt_sop(drafts), drafts
