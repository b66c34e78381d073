"""Abstract base of a frame-level speaker encoder (the dual-encoder model's second encoder).

Paper: "Balancing ASR and diarization in end-to-end LLMs for multi-talker speech
recognition" (the speaker-attributed LLM, ``model: sa_llm``).

``MTASRTask.build_model`` constructs one as::

    speaker_encoder_class(input_size=<feature size>, **speaker_encoder_conf)

It reads the same (normalized) features as the ASR encoder and returns speaker features
at the ASR encoder's frame rate, so the two can be fused frame by frame.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Tuple

import torch


class AbsSpeakerEncoder(torch.nn.Module, ABC):
    """``(B, T, F)`` features -> ``(B, T', D_spk)`` frame-level speaker features."""

    @abstractmethod
    def output_size(self) -> int:
        """``D_spk``."""
        raise NotImplementedError

    @abstractmethod
    def forward(
        self, feats: torch.Tensor, feats_lens: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Speaker features.

        Args:
            feats: ``(B, T, F)``; frames at and after ``feats_lens[b]`` are padding.
            feats_lens: ``(B,)``.

        Returns:
            ``(B, T', D_spk)`` features and ``(B,)`` valid lengths, ``T'`` the frame count
            at the ASR encoder's rate.
        """
        raise NotImplementedError
