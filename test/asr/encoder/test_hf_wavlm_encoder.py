"""HFWavLMEncoder: shapes (output and mid-level), freezing, layer weighting, local loading."""

from __future__ import annotations

import pytest
import torch
from llm_helpers import TINY_WAVLM

from espnet_mtasr.asr.encoder.hf_wavlm_encoder import HFWavLMEncoder
from espnet_mtasr.utils.errors import MTASRInputError

TINY = TINY_WAVLM


def tiny(**kw):
    torch.manual_seed(0)
    return HFWavLMEncoder(hf_config=TINY, mid_size=12, output_size=10, **kw)


@pytest.mark.parametrize("layer_selection", ["last", "weighted_sum"])
@pytest.mark.parametrize("three_dims", [False, True])
def test_shapes_and_backward(layer_selection, three_dims):
    enc = tiny(layer_selection=layer_selection)
    wav = torch.randn(2, 16000, requires_grad=False)
    ilens = torch.tensor([16000, 9600])
    x = wav[..., None] if three_dims else wav
    out, out_lens, mid, mid_lens = enc.forward_with_mid(x, ilens)
    # WavLM: 49 frames for 1 s, 29 for 0.6 s; stride 2 -> 25 / 15; stride 2 -> 13 / 8
    assert mid.shape == (2, 25, 12) and mid_lens.tolist() == [25, 15]
    assert out.shape == (2, 13, 10) and out_lens.tolist() == [13, 8]
    assert enc.output_size() == 10 and enc.mid_size() == 12
    assert out[1, 8:].abs().sum() == 0 and mid[1, 15:].abs().sum() == 0
    (out.sum() + mid.sum()).backward()
    assert enc.down1.conv.weight.grad is not None
    # the CNN feature encoder is frozen by default; the transformer is trained
    assert all(p.grad is None for p in enc.wavlm.feature_extractor.parameters())
    assert enc.wavlm.encoder.layers[0].attention.q_proj.weight.grad is not None
    if layer_selection == "weighted_sum":
        assert enc.layer_weights.shape == (3,) and enc.layer_weights.grad is not None
    res = enc(x, ilens)
    assert res[0].shape == out.shape and res[2] is None


def test_freeze_wavlm():
    enc = tiny(freeze_wavlm=True)
    enc.train()
    out, *_ = enc.forward_with_mid(torch.randn(1, 8000), torch.tensor([8000]))
    out.sum().backward()
    assert all(p.grad is None for p in enc.wavlm.parameters())
    assert not enc.wavlm.training  # no dropout / masking inside a frozen WavLM
    assert enc.down2.conv.weight.grad is not None


def test_padding_does_not_change_valid_output():
    # WavLM-large's layout (layer-normed CNN): padding is masked out. (WavLM-base's
    # group-normed first conv normalises over the padded length, as in transformers.)
    torch.manual_seed(0)
    enc = HFWavLMEncoder(
        hf_config={**TINY, "feat_extract_norm": "layer", "do_stable_layer_norm": True},
        mid_size=12,
        output_size=10,
    ).eval()
    wav = torch.randn(1, 8000)
    alone, alone_lens, _, _ = enc.forward_with_mid(wav, torch.tensor([8000]))
    padded = torch.cat([wav, torch.zeros(1, 4000)], dim=1)
    batch = torch.cat([padded, torch.randn(1, 12000)])
    out, lens, _, _ = enc.forward_with_mid(batch, torch.tensor([8000, 12000]))
    n = int(alone_lens[0])
    assert int(lens[0]) == n
    # the last frame sees the conv padding region, compare the interior
    assert torch.allclose(out[0, : n - 1], alone[0, : n - 1], atol=1e-4)


def test_load_local_and_reload_after_init(tmp_path):
    from transformers import WavLMConfig, WavLMModel

    torch.manual_seed(1)
    WavLMModel(WavLMConfig(**TINY)).save_pretrained(tmp_path / "wavlm")
    enc = HFWavLMEncoder(model_path=str(tmp_path / "wavlm"), mid_size=4, output_size=4)
    ref = {k: v.clone() for k, v in enc.wavlm.state_dict().items()}
    with torch.no_grad():
        for p in enc.wavlm.parameters():
            p.fill_(0.5)  # what ESPnet's --init would do to every parameter
    enc.reload_pretrained_parameters()
    for k, v in enc.wavlm.state_dict().items():
        assert torch.equal(v, ref[k]), k


def test_missing_model_path_names_the_option(tmp_path):
    with pytest.raises(MTASRInputError, match="encoder_conf model_path") as e:
        HFWavLMEncoder(model_path=str(tmp_path / "nope"))
    assert str(tmp_path / "nope") in str(e.value)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"input_size": 80}, "set `frontend: null`"),
        ({"layer_selection": "mean"}, "valid: last, weighted_sum"),
        ({"kernel_size": 4}, "odd"),
        ({"hf_config": {"hidden_size": 15, "num_attention_heads": 2}}, "hf_config"),
    ],
)
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HFWavLMEncoder(**kwargs)
