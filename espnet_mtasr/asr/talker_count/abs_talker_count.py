"""Abstract base of a talker-count head: encoder features -> talker count.

Paper: "Distilling LLM Semantic Priors into Encoder-Only Multi-Talker ASR with Talker-Count
Routing" (arXiv 2603.10587).

``MTASRTask.build_model`` constructs a head as::

    head_class(input_size=<encoder output size>, **talker_count_conf)

Class ``k`` of the output stands for ``k + 1`` talkers (``1..num_talkers``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch


class AbsTalkerCount(torch.nn.Module, ABC):
    """Predict how many talkers a mixture holds from its ``(B, T, D)`` encoding."""

    @property
    @abstractmethod
    def num_talkers(self) -> int:
        """``K``: the most talkers predicted (classes ``1..K``)."""
        raise NotImplementedError

    @abstractmethod
    def forward(self, feats: torch.Tensor, feats_lens: torch.Tensor) -> torch.Tensor:
        """Talker-count logits.

        Args:
            feats: encoder output, ``(B, T, D)``; frames at and after ``feats_lens[b]``
                are padding.
            feats_lens: valid frames per utterance, ``(B,)``.

        Returns:
            ``(B, K)`` logits; column ``k`` scores ``k + 1`` talkers.
        """
        raise NotImplementedError
