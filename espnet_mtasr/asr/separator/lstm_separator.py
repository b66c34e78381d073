"""LSTM separator (SOP-MT-ASR and encoder-only MT-ASR).

Papers: SOP-MT-ASR, "Serialized Output Prompting for Large Language Model-based Multi-Talker
Speech Recognition" (arXiv 2509.04488); encoder-only MT-ASR, "Distilling LLM Semantic Priors
into Encoder-Only Multi-Talker ASR with Talker-Count Routing" (arXiv 2603.10587).

A stack of (bi)LSTM layers reads the mixture encoding; one linear projection per talker
stream then maps the shared LSTM state to that stream's features::

    feats (B, T, D) -> LSTM x num_layers -> (B, T, H*dirs)
        -> [Linear_s + activation for s in 1..S] -> (B, S, T, D')

Stream ``s`` is trained (through the serialized CTC on ``text_spk{s+1}``) to carry the
``s``-th talker by start time, so the streams are ordered without a permutation search.
The frame rate is unchanged (``T' = T``).
"""

from __future__ import annotations

from typing import Optional, Tuple

import torch
from typeguard import typechecked

from espnet_mtasr.asr.separator.abs_separator import AbsSeparator
from espnet_mtasr.utils.masks import non_pad_mask

_ACTIVATIONS = {
    "relu": torch.nn.ReLU,
    "tanh": torch.nn.Tanh,
    "gelu": torch.nn.GELU,
    "identity": torch.nn.Identity,
}


class LSTMSeparator(AbsSeparator):
    """Shared (bi)LSTM + one linear projection per talker stream.

    Args:
        input_size: ``D``, the mixture encoding size (injected by ``build_model``).
        num_streams: ``S``, the number of talker streams (the most talkers handled).
        hidden_size: LSTM units per direction (the paper's LibriMix setting: 896).
        num_layers: stacked LSTM layers.
        bidirectional: a bidirectional LSTM (then the shared state is ``2 * hidden_size``).
        dropout: dropout between LSTM layers and before the projections.
        output_size: ``D'`` of each stream; ``None`` keeps ``input_size``.
        activation: after each stream projection: ``relu``, ``tanh``, ``gelu`` or
            ``identity``.
    """

    @typechecked
    def __init__(
        self,
        input_size: int,
        num_streams: int = 2,
        hidden_size: int = 256,
        num_layers: int = 2,
        bidirectional: bool = True,
        dropout: float = 0.1,
        output_size: Optional[int] = None,
        activation: str = "relu",
    ):
        super().__init__()
        if num_streams < 1:
            raise ValueError(f"separator_conf num_streams must be >= 1, got {num_streams}")
        if hidden_size < 1 or num_layers < 1:
            raise ValueError(
                f"separator_conf hidden_size and num_layers must be >= 1, got "
                f"{hidden_size} and {num_layers}"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"separator_conf dropout must be in [0, 1), got {dropout}")
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"separator_conf activation '{activation}' is unknown; "
                f"valid: {', '.join(sorted(_ACTIVATIONS))}"
            )
        self._num_streams = num_streams
        self._output_size = input_size if output_size is None else output_size
        self.lstm = torch.nn.LSTM(
            input_size,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        lstm_out = hidden_size * (2 if bidirectional else 1)
        self.dropout = torch.nn.Dropout(dropout)
        self.projections = torch.nn.ModuleList(
            torch.nn.Sequential(
                torch.nn.Linear(lstm_out, self._output_size), _ACTIVATIONS[activation]()
            )
            for _ in range(num_streams)
        )

    @property
    def num_streams(self) -> int:
        return self._num_streams

    def output_size(self) -> int:
        return self._output_size

    def forward(
        self, feats: torch.Tensor, feats_lens: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Separate ``(B, T, D)`` mixture encodings into ``(B, S, T, D')`` streams.

        Padding frames (at and after ``feats_lens[b]``) do not reach the LSTM (packed
        sequences) and are zero in the output.
        """
        total = feats.size(1)
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            feats, feats_lens.cpu(), batch_first=True, enforce_sorted=False
        )
        out, _ = self.lstm(packed)
        hidden, _ = torch.nn.utils.rnn.pad_packed_sequence(
            out, batch_first=True, total_length=total
        )  # (B, T, H*dirs)
        hidden = self.dropout(hidden)
        streams = torch.stack([proj(hidden) for proj in self.projections], dim=1)
        # (B, S, T, D'); zero the padding (the activation may map 0 to non-zero)
        mask = non_pad_mask(feats_lens, total)
        streams = streams * mask[:, None, :, None].to(streams.dtype)
        return streams, feats_lens
