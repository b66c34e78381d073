"""Linear serialized CTC: one linear + CTC head per talker stream.

Papers: SOP-MT-ASR, "Serialized Output Prompting for Large Language Model-based Multi-Talker
Speech Recognition" (arXiv 2509.04488); encoder-only MT-ASR, "Distilling LLM Semantic Priors
into Encoder-Only Multi-Talker ASR with Talker-Count Routing" (arXiv 2603.10587).

Stream ``s`` of the separator output is scored against the ``s``-th talker's transcript
in start-time order (``text_spk{s+1}``). A mixture with fewer talkers than streams gives
the extra streams an EMPTY target (length 0): CTC then trains them to emit only blanks,
so at inference an empty stream means "no further talker". This keeps the branch count
fixed and needs no permutation search (the start-time order fixes the assignment).
"""

from __future__ import annotations

from typing import List, Optional

import torch
import torch.nn.functional as F
from typeguard import typechecked

from espnet_mtasr.asr.ctc.abs_serialized_ctc import AbsSerializedCTC


class LinearSerializedCTC(AbsSerializedCTC):
    """Per-stream ``Linear(D, V)`` + CTC, losses summed over streams.

    Args:
        odim: ``V``, the vocabulary size (injected by ``build_model``); id 0 is the blank.
        encoder_output_size: ``D``, the stream feature size (injected).
        num_streams: ``S``, the separator's stream count (injected).
        dropout_rate: dropout on the streams before the linear heads.
        shared_head: one linear head for every stream instead of one per stream.
        stream_weights: per-stream loss weights (``S`` values); ``None`` = all 1.
        blank_id: the CTC blank's id in the vocabulary (ESPnet's token lists: 0 = ``<blank>``).
        extra_blank: add one output after the vocabulary as the blank (id ``V``), for
            vocabularies without a free id (an LLM tokenizer's id 0 is often a real token).
    """

    @typechecked
    def __init__(
        self,
        odim: int,
        encoder_output_size: int,
        num_streams: int,
        dropout_rate: float = 0.0,
        shared_head: bool = False,
        stream_weights: Optional[List[float]] = None,
        blank_id: int = 0,
        extra_blank: bool = False,
    ):
        super().__init__()
        if num_streams < 1:
            raise ValueError(f"serialized_ctc needs num_streams >= 1, got {num_streams}")
        if stream_weights is not None and len(stream_weights) != num_streams:
            raise ValueError(
                f"serialized_ctc_conf stream_weights has {len(stream_weights)} values; "
                f"the separator has {num_streams} streams: give one weight per stream"
            )
        if not extra_blank and not 0 <= blank_id < odim:
            raise ValueError(
                f"serialized_ctc_conf blank_id {blank_id} is outside the vocabulary (0..{odim - 1})"
            )
        self._num_streams = num_streams
        self.odim = odim + 1 if extra_blank else odim
        self.blank_id = odim if extra_blank else blank_id
        self.dropout = torch.nn.Dropout(dropout_rate)
        n_heads = 1 if shared_head else num_streams
        self.heads = torch.nn.ModuleList(
            torch.nn.Linear(encoder_output_size, self.odim) for _ in range(n_heads)
        )
        weights = torch.tensor(
            [float(w) for w in stream_weights] if stream_weights else [1.0] * num_streams
        )
        self.register_buffer("stream_weights", weights, persistent=False)

    @property
    def num_streams(self) -> int:
        return self._num_streams

    def _logits(self, hs_pad: torch.Tensor) -> torch.Tensor:
        if hs_pad.dim() != 4 or hs_pad.size(1) != self._num_streams:
            raise ValueError(
                f"serialized CTC expects (B, S={self._num_streams}, T, D) streams, "
                f"got shape {tuple(hs_pad.shape)}"
            )
        hs_pad = self.dropout(hs_pad)
        if len(self.heads) == 1:
            return self.heads[0](hs_pad)
        return torch.stack([head(hs_pad[:, s]) for s, head in enumerate(self.heads)], dim=1)

    def log_softmax(self, hs_pad: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self._logits(hs_pad), dim=-1)

    def forward(
        self,
        hs_pad: torch.Tensor,
        hlens: torch.Tensor,
        ys_pad: torch.Tensor,
        ys_lens: torch.Tensor,
    ) -> torch.Tensor:
        bsz, n_streams = hs_pad.size(0), hs_pad.size(1)
        if ys_pad.dim() != 3 or ys_pad.size(0) != bsz or ys_pad.size(1) != n_streams:
            raise ValueError(
                f"serialized CTC targets must be (B={bsz}, S={n_streams}, L), "
                f"got shape {tuple(ys_pad.shape)}"
            )
        logp = self.log_softmax(hs_pad).float()  # (B, S, T, V)
        loss = hs_pad.new_zeros((), dtype=torch.float32)
        for s in range(n_streams):
            lens = ys_lens[:, s]
            targets = ys_pad[:, s]  # (B, L), -1 padded
            flat = targets[targets >= 0]  # concatenated targets, (sum lens,)
            if bool((flat == self.blank_id).any()):
                raise ValueError(
                    f"serialized CTC stream {s}: a target token has the blank id "
                    f"{self.blank_id}; set serialized_ctc_conf extra_blank: true"
                )
            stream_loss = F.ctc_loss(
                logp[:, s].transpose(0, 1),  # (T, B, V)
                flat,
                hlens,
                lens,
                blank=self.blank_id,
                reduction="sum",
                zero_infinity=True,
            )
            loss = loss + self.stream_weights[s] * stream_loss
        return loss / bsz
