"""Abstract base of a serialized CTC: one CTC branch per talker stream.

The separator (:class:`espnet_mtasr.asr.separator.abs_separator.AbsSeparator`) gives
``S`` talker streams; a serialized CTC scores stream ``s`` against the ``s``-th talker's
transcript in start-time order (``text_spk{s+1}``), so no permutation search is needed.
A mixture with fewer than ``S`` talkers has empty targets (length 0) for the remaining
streams: those streams are trained to emit only blanks.

``MTASRTask.build_model`` constructs a serialized CTC as::

    serialized_ctc_class(
        odim=<vocabulary size>,
        encoder_output_size=<separator output size D'>,
        num_streams=<separator num_streams S>,
        **serialized_ctc_conf,
    )

(the first two as in ESPnet's :class:`espnet2.asr.ctc.CTC`), so a concrete class takes
those three plus its own YAML keys.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from itertools import groupby
from typing import List

import torch


class AbsSerializedCTC(torch.nn.Module, ABC):
    """Per-stream CTC loss on ``(B, S, T, D)`` streams and greedy per-stream decoding."""

    blank_id: int = 0  # the blank's output index (a subclass may set its own)

    @property
    @abstractmethod
    def num_streams(self) -> int:
        """``S``: the number of CTC branches (= the separator's ``num_streams``)."""
        raise NotImplementedError

    @abstractmethod
    def forward(
        self,
        hs_pad: torch.Tensor,
        hlens: torch.Tensor,
        ys_pad: torch.Tensor,
        ys_lens: torch.Tensor,
    ) -> torch.Tensor:
        """Compute the serialized CTC loss.

        Args:
            hs_pad: talker streams, ``(B, S, T, D)``.
            hlens: valid frames per utterance (the same for every stream), ``(B,)``.
            ys_pad: per-talker token ids in start-time order, ``(B, S, L)``, padded with
                ``-1`` (ESPnet's ``ignore_id``); row ``[b, s]`` holds talker ``s``.
            ys_lens: target lengths, ``(B, S)``; ``0`` where utterance ``b`` has fewer
                than ``s + 1`` talkers.

        Returns:
            The loss, a scalar: summed over streams and frames, averaged over the
            batch (as ESPnet's ``CTC`` with ``reduce=True``).
        """
        raise NotImplementedError

    @abstractmethod
    def log_softmax(self, hs_pad: torch.Tensor) -> torch.Tensor:
        """Per-stream token log-posteriors.

        Args:
            hs_pad: talker streams, ``(B, S, T, D)``.

        Returns:
            ``(B, S, T, V)`` log-probabilities over the ``V`` = ``odim`` tokens.
        """
        raise NotImplementedError

    def argmax(self, hs_pad: torch.Tensor) -> torch.Tensor:
        """Best token per frame and stream: ``(B, S, T, D)`` -> ``(B, S, T)`` (int64)."""
        return torch.argmax(self.log_softmax(hs_pad), dim=-1)

    @torch.no_grad()
    def greedy_decode(
        self, hs_pad: torch.Tensor, hlens: torch.Tensor, blank_id: int = 0
    ) -> List[List[List[int]]]:
        """Greedy CTC decoding of every stream: best path, repeats merged, blanks dropped.

        Args:
            hs_pad: talker streams, ``(B, S, T, D)``.
            hlens: valid frames per utterance, ``(B,)``.
            blank_id: the CTC blank's token id.

        Returns:
            ``out[b][s]``: the token ids of stream ``s`` of utterance ``b`` (possibly
            empty), streams in start-time order.
        """
        best = self.argmax(hs_pad)  # (B, S, T)
        out: List[List[List[int]]] = []
        for b in range(best.size(0)):
            n = int(hlens[b])
            streams = []
            for s in range(best.size(1)):
                path = best[b, s, :n].tolist()
                streams.append([tok for tok, _ in groupby(path) if tok != blank_id])
            out.append(streams)
        return out
