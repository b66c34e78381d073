"""Speech-to-LLM projector: frame stacking + a 2-layer MLP.

Papers: SOP-MT-ASR, "Serialized Output Prompting for Large Language Model-based Multi-Talker
Speech Recognition" (arXiv 2509.04488); LLM-based SOT, "Advancing Multi-talker ASR
Performance with Large Language Models" (arXiv 2408.17431).

::

    (B, T, D) -> stack k consecutive frames -> (B, ceil(T / k), k*D)
              -> Linear(k*D, H) -> activation -> Linear(H, D_llm) -> (B, ceil(T / k), D_llm)

The last group is zero-padded to ``k`` frames; output frames at and after
``ceil(len / k)`` are padding (zero).
"""

from __future__ import annotations

from typing import Tuple

import torch
from typeguard import typechecked

from espnet_mtasr.utils.masks import non_pad_mask

_ACTIVATIONS = {"relu": torch.nn.ReLU, "gelu": torch.nn.GELU, "silu": torch.nn.SiLU}


class LLMProjector(torch.nn.Module):
    """Frame stacking + MLP from the encoder size ``D`` to the LLM's hidden size.

    Args:
        input_size: ``D``, the encoder output size.
        output_size: ``D_llm``, the LLM's embedding size.
        stack: ``k``, frames stacked into one LLM position (1 = none).
        hidden_size: ``H``, the MLP's hidden size.
        activation: ``relu``, ``gelu`` or ``silu``.
    """

    @typechecked
    def __init__(
        self,
        input_size: int,
        output_size: int,
        stack: int = 2,
        hidden_size: int = 1024,
        activation: str = "relu",
    ):
        super().__init__()
        if stack < 1:
            raise ValueError(f"decoder_conf projector_stack must be >= 1, got {stack}")
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"decoder_conf projector_activation '{activation}' is unknown; "
                f"valid: {', '.join(sorted(_ACTIVATIONS))}"
            )
        self.stack = stack
        self.mlp = torch.nn.Sequential(
            torch.nn.Linear(input_size * stack, hidden_size),
            _ACTIVATIONS[activation](),
            torch.nn.Linear(hidden_size, output_size),
        )

    def forward(self, xs: torch.Tensor, lens: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(B, T, D)`` -> ``(B, ceil(T / k), D_llm)`` and lengths ``ceil(lens / k)``."""
        bsz, total, dim = xs.shape
        # padding frames may hold anything (e.g. a conformer's output): zero them so a
        # group straddling the end only sees real frames
        in_mask = non_pad_mask(lens, total)
        xs = xs * in_mask[..., None].to(xs.dtype)
        pad = (-total) % self.stack
        if pad:
            xs = torch.nn.functional.pad(xs, (0, 0, 0, pad))
        stacked = xs.reshape(bsz, (total + pad) // self.stack, dim * self.stack)
        out = self.mlp(stacked)  # (B, T/k, D_llm)
        out_lens = torch.div(lens + self.stack - 1, self.stack, rounding_mode="floor")
        mask = non_pad_mask(out_lens, out.size(1))
        return out * mask[..., None].to(out.dtype), out_lens
