"""WavLM (Hugging Face transformers) + the papers' conv downsampler, as an ESPnet encoder.

SOP-MT-ASR ("Serialized Output Prompting for Large Language Model-based Multi-Talker Speech
Recognition", arXiv 2509.04488) and encoder-only MT-ASR ("Distilling LLM Semantic Priors
into Encoder-Only Multi-Talker ASR with Talker-Count Routing", arXiv 2603.10587) put two
strided ``Conv1d + GLU`` blocks after WavLM (total stride 4: 50 Hz -> 12.5 Hz) and feed the
separator from the MID-LEVEL output, after the first block (25 Hz), where sequences are
shorter than WavLM's but still dense enough for per-talker CTC::

    wav (B, L) -> WavLM -> (B, T, H)            T = L / 320 (50 Hz at 16 kHz)
        [last layer, or a learned softmax-weighted sum of all hidden states]
      -> Conv1d(H, 2C, k, stride 2) + GLU -> mid (B, T/2, C)        (25 Hz)
      -> Conv1d(C, 2D, k, stride 2) + GLU -> out (B, T/4, D)        (12.5 Hz)

:meth:`HFWavLMEncoder.forward` returns ``out`` (ESPnet's encoder contract);
:meth:`HFWavLMEncoder.forward_with_mid` returns ``out`` and ``mid`` for the model families
with a separator. Use it with ``frontend: null``, ``input_size: 1`` and ``normalize: null``
in the training YAML (the encoder reads the waveform).

WavLM comes from a LOCAL directory (``model_path``, a ``save_pretrained`` folder; nothing
is downloaded), or is built randomly from ``hf_config`` (a dict of ``WavLMConfig`` keys)
for tests and the mini recipe. Pretrained weights are re-loaded after ESPnet's
``--init`` through :meth:`reload_pretrained_parameters` (ESPnet's ``initialize()`` calls
it for the encoder slot).
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import torch
from espnet2.asr.encoder.abs_encoder import AbsEncoder
from typeguard import typechecked

from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.local_model import check_local_hf_folder
from espnet_mtasr.utils.masks import non_pad_mask

LAYER_SELECTIONS = ("last", "weighted_sum")


def _import_wavlm():
    try:
        from transformers import WavLMConfig, WavLMModel
    except ImportError as e:  # pragma: no cover - transformers is a base requirement
        raise ImportError(
            "encoder hf_wavlm needs transformers: pip install 'transformers>=4.40'"
        ) from e
    return WavLMConfig, WavLMModel


class ConvGLUDownsampler(torch.nn.Module):
    """One ``Conv1d(in, 2*out, kernel, stride) + GLU`` block on ``(B, T, D)`` sequences.

    Args:
        input_size: ``D_in``.
        output_size: ``D_out`` (the conv has ``2 * D_out`` channels; GLU halves them).
        kernel_size: odd kernel; padding ``kernel_size // 2`` keeps ``ceil(T / stride)``.
        stride: the time stride.
    """

    def __init__(self, input_size: int, output_size: int, kernel_size: int, stride: int):
        super().__init__()
        self.conv = torch.nn.Conv1d(
            input_size, 2 * output_size, kernel_size, stride=stride, padding=kernel_size // 2
        )
        self.kernel_size, self.stride = kernel_size, stride

    def output_lengths(self, lens: torch.Tensor) -> torch.Tensor:
        pad = self.kernel_size // 2
        return torch.div(lens + 2 * pad - self.kernel_size, self.stride, rounding_mode="floor") + 1

    def forward(self, xs: torch.Tensor, lens: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(B, T, D_in)`` -> ``(B, T', D_out)`` with ``T' = floor((T - 1) / stride) + 1``."""
        out = torch.nn.functional.glu(self.conv(xs.transpose(1, 2)), dim=1).transpose(1, 2)
        out_lens = self.output_lengths(lens).clamp(min=1, max=out.size(1))
        mask = non_pad_mask(out_lens, out.size(1))
        return out * mask[..., None].to(out.dtype), out_lens


class HFWavLMEncoder(AbsEncoder):
    """transformers' WavLM followed by a 2-block Conv1d+GLU downsampler (stride 4).

    Args:
        input_size: injected by ``build_model``; must be 1 (``input_size: 1``, raw audio).
        model_path: a local WavLM directory (``config.json`` + weights), e.g. WavLM-large
            saved with ``save_pretrained``. ``None``: build from ``hf_config``.
        hf_config: ``WavLMConfig`` keys for a randomly initialised WavLM (used when
            ``model_path`` is ``None``; ``{}`` = the WavLM-base shape).
        freeze_wavlm: keep WavLM's weights fixed (no gradient, eval mode: no dropout or
            masking inside WavLM).
        freeze_feature_encoder: keep only WavLM's CNN feature encoder fixed.
        layer_selection: ``last`` hidden state, or a learned ``weighted_sum`` of all
            hidden states (softmax weights, the SUPERB recipe).
        mid_size: ``C``, the mid-level (separator input) size.
        output_size: ``D``, the encoder output size.
        kernel_size: kernel of both downsampling convs.
    """

    @typechecked
    def __init__(
        self,
        input_size: int = 1,
        model_path: Optional[str] = None,
        hf_config: Optional[Dict[str, Any]] = None,
        freeze_wavlm: bool = False,
        freeze_feature_encoder: bool = True,
        layer_selection: str = "last",
        mid_size: int = 512,
        output_size: int = 512,
        kernel_size: int = 3,
    ):
        super().__init__()
        if input_size != 1:
            raise ValueError(
                f"encoder hf_wavlm reads the waveform; got input_size {input_size} "
                "(set `frontend: null`, `input_size: 1` and `normalize: null` in the YAML)"
            )
        if layer_selection not in LAYER_SELECTIONS:
            raise ValueError(
                f"encoder_conf layer_selection '{layer_selection}' is unknown; "
                f"valid: {', '.join(LAYER_SELECTIONS)}"
            )
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"encoder_conf kernel_size must be odd, got {kernel_size}")
        self.model_path = model_path
        self.freeze_wavlm = freeze_wavlm
        self.layer_selection = layer_selection
        self.wavlm = self._load_wavlm(model_path, hf_config)
        if freeze_wavlm:
            self.wavlm.requires_grad_(False)
        elif freeze_feature_encoder:
            self.wavlm.feature_extractor.requires_grad_(False)
        hidden = self.wavlm.config.hidden_size
        n_states = self.wavlm.config.num_hidden_layers + 1  # + the CNN/embedding output
        self.layer_weights = (
            torch.nn.Parameter(torch.zeros(n_states)) if layer_selection == "weighted_sum" else None
        )
        self.down1 = ConvGLUDownsampler(hidden, mid_size, kernel_size, stride=2)
        self.down2 = ConvGLUDownsampler(mid_size, output_size, kernel_size, stride=2)
        self._mid_size, self._output_size = mid_size, output_size

    @staticmethod
    def _load_wavlm(model_path: Optional[str], hf_config: Optional[Dict[str, Any]]):
        WavLMConfig, WavLMModel = _import_wavlm()
        if model_path is None:
            try:
                return WavLMModel(WavLMConfig(**(hf_config or {})))
            except (TypeError, ValueError, RuntimeError) as e:
                raise MTASRInputError(
                    f"encoder_conf hf_config does not make a WavLM: {e}",
                    fix="use keys of transformers.WavLMConfig with consistent sizes "
                    "(e.g. hidden_size divisible by num_attention_heads)",
                ) from e
        if hf_config:
            raise MTASRInputError(
                "encoder_conf sets both model_path and hf_config",
                fix="give model_path (pretrained) OR hf_config (random init), not both",
            )
        path = check_local_hf_folder(model_path, "encoder_conf model_path", "WavLM")
        try:
            return WavLMModel.from_pretrained(str(path), local_files_only=True)
        except (OSError, ValueError) as e:
            raise MTASRInputError(
                f"encoder_conf model_path could not be loaded as WavLM: {e}", path=path
            ) from e

    def output_size(self) -> int:
        return self._output_size

    def mid_size(self) -> int:
        """``C``: the size of the mid-level features (the separator's input)."""
        return self._mid_size

    def reload_pretrained_parameters(self) -> None:
        """Re-load WavLM's pretrained weights (ESPnet's ``--init`` overwrote them)."""
        if self.model_path is None:
            return
        pretrained = self._load_wavlm(self.model_path, None)
        self.wavlm.load_state_dict(pretrained.state_dict())

    def _wavlm_states(self, wav: torch.Tensor, ilens: torch.Tensor) -> torch.Tensor:
        """``(B, L)`` waveform -> ``(B, T, H)`` WavLM features (last or weighted sum)."""
        mask = non_pad_mask(ilens, wav.size(1)).long()
        want_all = self.layer_weights is not None
        if self.freeze_wavlm:
            self.wavlm.eval()
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze_wavlm):
            out = self.wavlm(wav, attention_mask=mask, output_hidden_states=want_all)
        if not want_all:
            return out.last_hidden_state
        states = torch.stack(out.hidden_states, dim=0)  # (N, B, T, H)
        weights = torch.softmax(self.layer_weights, dim=0)
        return (weights[:, None, None, None] * states).sum(dim=0)

    def forward_with_mid(
        self, xs_pad: torch.Tensor, ilens: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encode a waveform batch, returning the output and the mid-level features.

        Args:
            xs_pad: waveforms, ``(B, L)`` or ``(B, L, 1)``, zero-padded.
            ilens: samples per utterance, ``(B,)``.

        Returns:
            out ``(B, T4, D)``, out_lens ``(B,)``, mid ``(B, T2, C)``, mid_lens ``(B,)``,
            with ``T2 = ceil(T / 2)`` and ``T4 = ceil(T2 / 2)`` for WavLM's ``T`` frames.
        """
        if xs_pad.dim() == 3:
            if xs_pad.size(-1) != 1:
                raise ValueError(
                    f"encoder hf_wavlm expects waveforms (B, L) or (B, L, 1), got "
                    f"{tuple(xs_pad.shape)}: set `frontend: null` in the training YAML"
                )
            xs_pad = xs_pad.squeeze(-1)
        hs = self._wavlm_states(xs_pad, ilens)  # (B, T, H)
        hlens = self.wavlm._get_feat_extract_output_lengths(ilens).clamp(max=hs.size(1))
        mid, mid_lens = self.down1(hs, hlens)  # (B, T2, C)
        out, out_lens = self.down2(mid, mid_lens)  # (B, T4, D)
        return out, out_lens, mid, mid_lens

    def forward(
        self,
        xs_pad: torch.Tensor,
        ilens: torch.Tensor,
        prev_states: Optional[torch.Tensor] = None,
    ) -> Tuple[torch.Tensor, torch.Tensor, Optional[torch.Tensor]]:
        """ESPnet's encoder contract: ``(B, L)`` waveforms -> ``(B, T4, D)``, lengths, None."""
        out, out_lens, _, _ = self.forward_with_mid(xs_pad, ilens)
        return out, out_lens, None
