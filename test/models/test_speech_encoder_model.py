"""SpeechEncoderModel: frozen batch norms keep their statistics in training."""

from __future__ import annotations

import pytest
import torch
from espnet2.asr.encoder.conformer_encoder import ConformerEncoder
from espnet2.asr.frontend.default import DefaultFrontend

from espnet_mtasr.models.family_hypothesis import FamilyHypothesis
from espnet_mtasr.models.speech_encoder_model import SpeechEncoderModel


class Encoding(SpeechEncoderModel):
    """The smallest concrete family: the encoder output is the whole model."""

    def forward(self, speech, speech_lengths, **kwargs):
        out, _ = self.encode(speech, speech_lengths)
        return out.mean(), {}, torch.tensor(float(speech.size(0)))

    def decode_batch(self, speech, speech_lengths, options):
        """The family contract: the number of encoder frames as the only "token"."""
        _, lens = self.encode(speech, speech_lengths)
        return [[FamilyHypothesis([int(n)], 0.0)] for n in lens]


def test_a_family_without_decode_batch_cannot_be_built():
    class NoDecoding(SpeechEncoderModel):
        def forward(self, speech, speech_lengths, **kwargs):
            raise NotImplementedError

    with pytest.raises(TypeError, match="decode_batch"):
        NoDecoding(None, None, None, make_model().encoder)


def make_model() -> SpeechEncoderModel:
    torch.manual_seed(0)
    encoder = ConformerEncoder(
        input_size=20, output_size=16, attention_heads=2, linear_units=32, num_blocks=1,
        input_layer="linear", use_cnn_module=True, cnn_module_kernel=3,
    )  # fmt: skip
    frontend = DefaultFrontend(fs=16000, n_fft=128, hop_length=64, n_mels=20)
    return Encoding(frontend, None, None, encoder)


def running_means(model):
    return {
        name: m.running_mean.clone()
        for name, m in model.named_modules()
        if isinstance(m, torch.nn.BatchNorm1d)
    }


@pytest.mark.parametrize("freeze", [True, False])
def test_frozen_batch_norm_keeps_its_statistics_in_training(freeze):
    model = make_model()
    if freeze:  # what ESPnet's --freeze_param encoder does
        for p in model.encoder.parameters():
            p.requires_grad_(False)
    before = running_means(model)
    assert before, "the conformer has a batch norm in its convolution module"
    model.train()
    assert model.training and model.encoder.training
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert all(m.training != freeze for m in norms)
    model.encode(torch.randn(2, 4000), torch.tensor([4000, 3000]))
    after = running_means(model)
    changed = any(not torch.equal(before[k], after[k]) for k in before)
    assert changed != freeze
    model.eval()
    assert not any(m.training for m in norms)
