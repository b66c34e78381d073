"""Talker-count head: a small BLSTM, statistics pooling and an MLP.

Paper: "Distilling LLM Semantic Priors into Encoder-Only Multi-Talker ASR with Talker-Count
Routing" (arXiv 2603.10587).

::

    feats (B, T, D) -> [BLSTM] -> (B, T, H) -> masked mean (+ std) over time -> (B, 2H)
        -> Linear -> ReLU -> Dropout -> Linear -> (B, K) logits (class k = k + 1 talkers)

Padding frames never enter the statistics, so a batch's padding does not change a
prediction. Trained with cross entropy on the reference talker count (the number of
``<sc>``-separated talkers of the SOT text); the encoder-only model routes decoding by
its argmax (see :class:`espnet_mtasr.models.encoder_only_model.EncoderOnlyModel`).
"""

from __future__ import annotations

import torch
from typeguard import typechecked

from espnet_mtasr.asr.talker_count.abs_talker_count import AbsTalkerCount
from espnet_mtasr.utils.masks import non_pad_mask

POOLINGS = ("mean", "mean_std")


class PooledTalkerCount(AbsTalkerCount):
    """BLSTM + masked statistics pooling + MLP over ``1..num_talkers`` talkers.

    Args:
        input_size: ``D``, the encoder output size (injected by ``build_model``).
        num_talkers: ``K``, the most talkers predicted; must not exceed the encoder-only
            model's branches (``separator_conf num_streams``).
        lstm_hidden: BLSTM units per direction before pooling (0: pool the encoder
            output directly).
        hidden_size: the MLP's hidden units.
        pooling: ``mean`` or ``mean_std`` (mean and standard deviation, concatenated).
        dropout: before the MLP's output layer.
    """

    @typechecked
    def __init__(
        self,
        input_size: int,
        num_talkers: int = 3,
        lstm_hidden: int = 128,
        hidden_size: int = 256,
        pooling: str = "mean_std",
        dropout: float = 0.1,
    ):
        super().__init__()
        if num_talkers < 1:
            raise ValueError(f"talker_count_conf num_talkers must be >= 1, got {num_talkers}")
        if pooling not in POOLINGS:
            raise ValueError(
                f"talker_count_conf pooling {pooling!r} is not one of {', '.join(POOLINGS)}"
            )
        self._num_talkers = num_talkers
        self.pooling = pooling
        self.lstm = None
        size = input_size
        if lstm_hidden > 0:
            self.lstm = torch.nn.LSTM(input_size, lstm_hidden, batch_first=True, bidirectional=True)
            size = 2 * lstm_hidden
        pooled = size * (2 if pooling == "mean_std" else 1)
        self.mlp = torch.nn.Sequential(
            torch.nn.Linear(pooled, hidden_size),
            torch.nn.ReLU(),
            torch.nn.Dropout(dropout),
            torch.nn.Linear(hidden_size, num_talkers),
        )

    @property
    def num_talkers(self) -> int:
        return self._num_talkers

    def forward(self, feats: torch.Tensor, feats_lens: torch.Tensor) -> torch.Tensor:
        if self.lstm is not None:
            packed = torch.nn.utils.rnn.pack_padded_sequence(
                feats, feats_lens.cpu(), batch_first=True, enforce_sorted=False
            )
            out, _ = self.lstm(packed)
            feats, _ = torch.nn.utils.rnn.pad_packed_sequence(
                out, batch_first=True, total_length=feats.size(1)
            )
        mask = non_pad_mask(feats_lens, feats.size(1))
        mask = mask.unsqueeze(-1).to(feats.dtype)  # (B, T, 1)
        count = mask.sum(1).clamp(min=1.0)
        mean = (feats * mask).sum(1) / count
        pooled = mean
        if self.pooling == "mean_std":
            var = (((feats - mean[:, None]) * mask) ** 2).sum(1) / count
            pooled = torch.cat([mean, var.clamp(min=1e-8).sqrt()], dim=-1)
        return self.mlp(pooled)
