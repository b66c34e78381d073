"""Abstract base of a separator: one mixture encoding in, ``S`` talker streams out.

A separator sits after the ASR encoder (SOP-MT-ASR: "Serialized Output Prompting for Large
Language Model-based Multi-Talker Speech Recognition", arXiv 2509.04488; encoder-only MT-ASR:
"Distilling LLM Semantic Priors into Encoder-Only Multi-Talker ASR with Talker-Count
Routing", arXiv 2603.10587) and splits the mixed-speech encoding into one stream per talker,
stream ``s`` being trained to carry the ``s``-th talker in start-time order (the
serialized-CTC targets ``text_spk1..S``). ``MTASRTask.build_model`` constructs a separator
as::

    separator_class(input_size=<encoder output size>, **separator_conf)

so a concrete class takes ``input_size: int`` plus its own YAML keys.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Tuple

import torch


class AbsSeparator(torch.nn.Module, ABC):
    """Split ``(B, T, D)`` mixture features into ``(B, S, T', D')`` talker streams."""

    @property
    @abstractmethod
    def num_streams(self) -> int:
        """``S``: the number of talker streams produced (the most talkers handled)."""
        raise NotImplementedError

    @abstractmethod
    def output_size(self) -> int:
        """``D'``: the feature size of each output stream."""
        raise NotImplementedError

    @abstractmethod
    def forward(
        self, feats: torch.Tensor, feats_lens: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Separate a batch of mixture encodings.

        Args:
            feats: mixture encodings, ``(B, T, D)`` with ``D`` = ``input_size``;
                frames at and after ``feats_lens[b]`` are padding.
            feats_lens: valid frames per utterance, ``(B,)`` (int64).

        Returns:
            streams: ``(B, S, T', D')`` with ``S`` = :attr:`num_streams` and
                ``D'`` = :meth:`output_size`; stream ``s`` carries the ``s``-th talker
                by start time. ``T'`` may differ from ``T`` (e.g. a downsampling
                separator) but is the same for every stream.
            streams_lens: valid frames per utterance of every stream, ``(B,)``.
        """
        raise NotImplementedError
