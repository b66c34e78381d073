"""Frame-level speaker features from an ESPnet-SPK network (``speaker_encoder: espnet_spk``).

ESPnet-SPK's speaker networks (``espnet2.tasks.spk`` encoder choices: ``ecapa_tdnn``,
``xvector``, ``ska_tdnn``, ...) map ``(B, T, F)`` features to ``(B, C, T_s)`` frame-level
features before their pooling layer. This class keeps that frame-level output, brings it
to the ASR encoder's frame rate (``T' = ceil(T / stride)``, linear interpolation over
time: some networks shorten ``T_s`` themselves) and projects it to ``output_size``.

The network is trained from scratch (mini recipes) or loaded from a local ESPnet-SPK
checkpoint (``model_path``: a ``*.pth`` of ``espnet2.bin.spk_train``, whose ``encoder.*``
weights are this network), re-loaded after ESPnet's ``--init``, and optionally frozen.
Nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import torch
from typeguard import typechecked

from espnet_mtasr.asr.speaker.abs_speaker_encoder import AbsSpeakerEncoder
from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.masks import non_pad_mask


class ESPnetSpkSpeakerEncoder(AbsSpeakerEncoder):
    """An ESPnet-SPK network's frame-level output at the ASR encoder's frame rate.

    Args:
        input_size: feature size ``F`` (injected by the task).
        network: an ``espnet2.tasks.spk`` encoder name (e.g. ``ecapa_tdnn``).
        network_conf: its constructor options (ESPnet-SPK's ``encoder_conf``).
        output_size: ``D_spk`` after the projection.
        stride: ASR encoder frames per input frame, inverted: 4 for a conformer with
            ``conv2d`` subsampling, 6 for ``conv2d6``.
        model_path: local ESPnet-SPK checkpoint (``*.pth``) holding ``encoder.*``.
        freeze: keep the network's weights fixed (the projection still trains).

    Shapes: ``(B, T, F)`` -> network ``(B, C, T_s)`` -> ``(B, ceil(T / stride), D_spk)``.
    """

    @typechecked
    def __init__(
        self,
        input_size: int,
        network: str = "ecapa_tdnn",
        network_conf: Optional[Dict[str, Any]] = None,
        output_size: int = 256,
        stride: int = 4,
        model_path: Optional[str] = None,
        freeze: bool = False,
    ):
        super().__init__()
        from espnet2.tasks.spk import encoder_choices

        network_class = encoder_choices.get_class(network) if network else None
        if network_class is None or network in ("identity", "rawnet3"):
            valid = [n for n in encoder_choices.classes if n not in ("identity", "rawnet3")]
            raise MTASRInputError(
                f"speaker_encoder_conf network {network!r} is not a feature-based ESPnet-SPK "
                f"network; valid: {', '.join(valid)}"
            )
        if stride < 1:
            raise MTASRInputError(f"speaker_encoder_conf stride must be >= 1, got {stride}")
        self.network = network_class(input_size=input_size, **(network_conf or {}))
        self.proj = torch.nn.Linear(self.network.output_size(), output_size)
        self._output_size = output_size
        self.stride = stride
        self.model_path = model_path
        self.freeze = freeze
        self.reload_pretrained_parameters()
        if freeze:
            self.network.requires_grad_(False)

    def output_size(self) -> int:
        return self._output_size

    def reload_pretrained_parameters(self) -> None:
        """Load ``model_path``'s ``encoder.*`` weights into the network (also after
        ESPnet's ``--init``, which re-initialises every parameter)."""
        if self.model_path is None:
            return
        path = Path(self.model_path)
        if not path.is_file():
            raise MTASRInputError(
                f"speaker_encoder_conf model_path {path} not found",
                fix="give a local ESPnet-SPK checkpoint (*.pth), or null to train from scratch",
            )
        state = torch.load(path, map_location="cpu")
        mine = {k[len("encoder.") :]: v for k, v in state.items() if k.startswith("encoder.")}
        if not mine:
            raise MTASRInputError(
                "has no encoder.* weights: not an ESPnet-SPK checkpoint",
                path=path,
                fix="speaker_encoder_conf model_path must be espnet2.bin.spk_train's *.pth",
            )
        result = self.network.load_state_dict(mine, strict=False)
        if result.missing_keys or result.unexpected_keys:
            raise MTASRInputError(
                f"does not fit speaker_encoder_conf network/network_conf: missing "
                f"{result.missing_keys[:3]}, unexpected {result.unexpected_keys[:3]}",
                path=path,
                fix="copy network and network_conf from that model's config.yaml",
            )

    def forward(
        self, feats: torch.Tensor, feats_lens: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        mask = non_pad_mask(feats_lens, feats.size(1))
        x = feats.masked_fill(~mask[..., None], 0.0)
        # ESPnet-SPK networks pool over time inside (ECAPA's SE blocks) and then apply
        # BatchNorm, which cannot train on one value per channel: a batch of one
        # utterance (numel batching makes them) uses the running statistics instead.
        single = self.training and feats.size(0) == 1
        if self.freeze or single:
            self.network.eval()
        try:
            with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze):
                frames = self.network(x)  # (B, C, T_s)
        finally:
            if single and not self.freeze:
                self.network.train()
        t_out = -(-feats.size(1) // self.stride)
        frames = torch.nn.functional.interpolate(
            frames, size=t_out, mode="linear", align_corners=False
        )  # (B, C, T')
        out = self.proj(frames.transpose(1, 2))  # (B, T', D_spk)
        out_lens = torch.div(feats_lens + self.stride - 1, self.stride, rounding_mode="floor")
        out_mask = non_pad_mask(out_lens, t_out)
        return out.masked_fill(~out_mask[..., None], 0.0), out_lens
