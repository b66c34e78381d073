"""The speech side shared by the model families: waveform -> encoder features.

::

    speech (B, L) -> [frontend -> specaug (training) -> normalize] -> encoder -> (B, T, D)
                                                           '-> mid-level (B, T', C)

An encoder with mid-level features (``hf_wavlm``: ``forward_with_mid``) also returns
those; any other encoder's output doubles as its mid-level features.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

import torch
from espnet2.asr.encoder.abs_encoder import AbsEncoder
from espnet2.asr.frontend.abs_frontend import AbsFrontend
from espnet2.asr.specaug.abs_specaug import AbsSpecAug
from espnet2.layers.abs_normalize import AbsNormalize

from espnet_mtasr.models.abs_mtasr_model import AbsMTASRModel
from espnet_mtasr.utils.espnet_compat import pad_list


def one_at_a_time(fn, speech: torch.Tensor, speech_lengths: torch.Tensor) -> tuple:
    """``fn`` on each utterance of a padded batch alone, its outputs padded again.

    ``fn(speech (1, L), lengths (1,))`` returns ``(x, x_lens, y, y_lens, ...)``: pairs of
    ``(1, T, D)`` features and ``(1,)`` lengths; the result has the same pairs batched.
    """
    outs = [
        fn(speech[b : b + 1, : int(n)], speech_lengths[b : b + 1])
        for b, n in enumerate(speech_lengths)
    ]
    batched = []
    for i in range(0, len(outs[0]), 2):
        batched.append(pad_list([o[i][0, : int(o[i + 1][0])] for o in outs], 0.0))
        batched.append(torch.cat([o[i + 1] for o in outs]))
    return tuple(batched)


class SpeechEncoderModel(AbsMTASRModel):
    """Base of the model families: ESPnet's frontend / specaug / normalize + an encoder
    (the family contract, :class:`AbsMTASRModel`, is left to each family).

    Args:
        frontend / specaug / normalize: ESPnet's parts (``None`` for a waveform encoder).
        encoder: any ESPnet encoder (conformer, ``hf_wavlm``, ...).
        sample_rate: of the input audio (duration-based decoding budgets, RTF).
    """

    def __init__(
        self,
        frontend: Optional[AbsFrontend],
        specaug: Optional[AbsSpecAug],
        normalize: Optional[AbsNormalize],
        encoder: AbsEncoder,
        sample_rate: int = 16000,
    ):
        super().__init__()
        self.frontend = frontend
        self.specaug = specaug
        self.normalize = normalize
        self.encoder = encoder
        self.sample_rate = sample_rate

    def train(self, mode: bool = True) -> SpeechEncoderModel:
        """``nn.Module.train``, except that a batch-norm layer whose parameters are all
        frozen (``--freeze_param``, e.g. the encoder in sub-stages B/C of ``sop_llm``)
        stays in eval mode: frozen includes its running statistics. Without this, a
        frozen conformer's convolution-module batch norms kept updating their statistics
        in training, so sub-stage C changed the frozen encoder's output and B's draft."""
        super().train(mode)
        if mode:
            for m in self.modules():
                if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                    params = list(m.parameters(recurse=False))
                    if params and not any(p.requires_grad for p in params):
                        m.eval()
        return self

    def _extract_feats(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        speech = speech[:, : int(speech_lengths.max())]
        if self.frontend is None:
            return speech, speech_lengths
        return self.frontend(speech, speech_lengths)

    def encoder_input(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(B, L)`` speech -> encoder input (features, SpecAugment in training, normalized)."""
        feats, feats_lengths = self._extract_feats(speech, speech_lengths)
        if self.specaug is not None and self.training:
            feats, feats_lengths = self.specaug(feats, feats_lengths)
        if self.normalize is not None:
            feats, feats_lengths = self.normalize(feats, feats_lengths)
        return feats, feats_lengths

    def encode(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(B, L)`` speech -> ``(B, T, D)`` encoder output and ``(B,)`` lengths."""
        return self.encode_with_mid(speech, speech_lengths)[:2]

    def encode_with_mid(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(B, L)`` -> encoder output ``(B, T, D)``, lengths, mid-level features
        ``(B, T', C)`` (the separator's input), lengths."""
        if not self.training and speech.size(0) > 1:
            # Decoding: one utterance at a time, then padded. ESPnet's conformer
            # convolution module does not mask padding (nor does the STFT's last centred
            # frame): in a batch, a short utterance's padding leaks into its frames, and
            # the mini encoder_only model's talker count flipped on 7 of 8 test mixtures.
            # Batched decoding must give one-at-a-time results; the decoders stay batched.
            return one_at_a_time(self.encode_with_mid, speech, speech_lengths)
        feats, feats_lengths = self.encoder_input(speech, speech_lengths)
        with_mid = getattr(self.encoder, "forward_with_mid", None)
        if callable(with_mid):
            return with_mid(feats, feats_lengths)
        out, out_lens, _ = self.encoder(feats, feats_lengths)
        return out, out_lens, out, out_lens

    def collect_feats(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor, **kwargs
    ) -> Dict[str, torch.Tensor]:
        feats, feats_lengths = self._extract_feats(speech, speech_lengths)
        return {"feats": feats, "feats_lengths": feats_lengths}
