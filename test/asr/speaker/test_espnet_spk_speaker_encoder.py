"""ESPnetSpkSpeakerEncoder: ESPnet-SPK networks' frame-level output at the ASR encoder's
frame rate; loading a local ESPnet-SPK checkpoint; bad options."""

from __future__ import annotations

import pytest
import torch

from espnet_mtasr.asr.speaker.espnet_spk_speaker_encoder import ESPnetSpkSpeakerEncoder
from espnet_mtasr.utils.errors import MTASRInputError

ECAPA = {"network": "ecapa_tdnn", "network_conf": {"ndim": 16, "output_size": 24, "model_scale": 2}}
XVEC = {"network": "xvector", "network_conf": {"ndim": 16, "output_size": 24}}


@pytest.mark.parametrize("conf", [ECAPA, XVEC], ids=["ecapa_tdnn", "xvector"])
@pytest.mark.parametrize("stride", [1, 4, 6])
def test_shapes_lengths_and_backward(conf, stride):
    enc = ESPnetSpkSpeakerEncoder(input_size=20, output_size=8, stride=stride, **conf)
    feats = torch.randn(2, 101, 20, requires_grad=True)
    lens = torch.tensor([101, 60])
    out, out_lens = enc(feats, lens)
    t = -(-101 // stride)
    assert out.shape == (2, t, 8) and enc.output_size() == 8
    assert out_lens.tolist() == [t, -(-60 // stride)]
    assert out[1, out_lens[1] :].abs().sum() == 0
    out.sum().backward()
    assert feats.grad[0].abs().sum() > 0


def _espnet_spk_checkpoint(path, conf):
    """What espnet2.bin.spk_train saves: the whole model's state dict (encoder.* + others)."""
    from espnet2.tasks.spk import encoder_choices

    torch.manual_seed(3)
    net = encoder_choices.get_class(conf["network"])(input_size=20, **conf["network_conf"])
    state = {f"encoder.{k}": v for k, v in net.state_dict().items()}
    state["projector.weight"] = torch.zeros(4, 4)  # other parts of the speaker model
    torch.save(state, path)
    return net


def test_loads_and_reloads_a_local_espnet_spk_checkpoint(tmp_path):
    ref = _espnet_spk_checkpoint(tmp_path / "spk.pth", ECAPA)
    enc = ESPnetSpkSpeakerEncoder(
        input_size=20, model_path=str(tmp_path / "spk.pth"), freeze=True, **ECAPA
    )
    for k, v in ref.state_dict().items():
        assert torch.equal(enc.network.state_dict()[k], v)
    with torch.no_grad():  # what ESPnet's --init does
        for p in enc.network.parameters():
            p.normal_()
    enc.reload_pretrained_parameters()
    assert all(torch.equal(enc.network.state_dict()[k], v) for k, v in ref.state_dict().items())
    assert not any(p.requires_grad for p in enc.network.parameters())
    assert all(p.requires_grad for p in enc.proj.parameters())


def test_bad_options_and_checkpoints_name_the_key(tmp_path):
    with pytest.raises(MTASRInputError, match="network 'rawnet3' is not a feature-based"):
        ESPnetSpkSpeakerEncoder(input_size=20, network="rawnet3")
    with pytest.raises(MTASRInputError, match="stride must be >= 1"):
        ESPnetSpkSpeakerEncoder(input_size=20, stride=0, **ECAPA)
    with pytest.raises(MTASRInputError, match="model_path .*missing.pth not found"):
        ESPnetSpkSpeakerEncoder(input_size=20, model_path=str(tmp_path / "missing.pth"), **ECAPA)
    torch.save({"foo.weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(MTASRInputError, match="no encoder.. weights"):
        ESPnetSpkSpeakerEncoder(input_size=20, model_path=str(tmp_path / "other.pth"), **ECAPA)
    _espnet_spk_checkpoint(tmp_path / "x.pth", XVEC)
    with pytest.raises(MTASRInputError, match="does not fit speaker_encoder_conf network"):
        ESPnetSpkSpeakerEncoder(input_size=20, model_path=str(tmp_path / "x.pth"), **ECAPA)


def test_a_batch_of_one_trains():
    """ECAPA's SE blocks pool over time before a BatchNorm: training on one utterance
    uses the running statistics (and keeps training mode for the next batch)."""
    enc = ESPnetSpkSpeakerEncoder(input_size=20, output_size=8, **ECAPA).train()
    out, _ = enc(torch.randn(1, 50, 20), torch.tensor([50]))
    out.sum().backward()
    assert enc.network.training and enc.proj.weight.grad is not None
