"""SALLMModel built through MTASRTask: the three fusions, the length-aware speaker-ID loss,
the adaptive-threshold ASR mask, decoding, bad configurations.

Paper: "Balancing ASR and diarization in end-to-end LLMs for multi-talker speech
recognition"."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from llm_helpers import SPK_TAGS, make_tiny_llm, sa_llm_config
from task_helpers import parse_config, save_random_model, write_yaml

from espnet_mtasr.models.sa_llm_model import (
    SALLMModel,
    adaptive_mask,
    interleave_blocks,
    length_weights,
    segment_lengths,
)
from espnet_mtasr.tasks.mtasr import MTASRTask
from espnet_mtasr.utils.errors import MTASRInputError


@pytest.fixture(scope="module")
def llm_dir(tmp_path_factory):
    return make_tiny_llm(tmp_path_factory.mktemp("llm"), "llama", added_tokens=SPK_TAGS)


def build(tmp_path, llm_dir, fusion="interleave", **model_conf) -> SALLMModel:
    config = sa_llm_config(tmp_path, llm_dir, fusion, **model_conf)
    model = MTASRTask.build_model(parse_config(write_yaml(tmp_path / "c.yaml", config)))
    assert isinstance(model, SALLMModel)
    return model


def batch(model):
    s1, s2, s3 = (model.token_list.index(t) for t in SPK_TAGS)
    speech = torch.randn(2, 8000)
    lens = torch.tensor([8000, 6400])
    text = torch.tensor([[s1, 5, 6, s2, 7, s1, 8], [s1, 9, 10, 11, -1, -1, -1]])
    return speech, lens, text, torch.tensor([7, 4])


@pytest.mark.parametrize("fusion", ["interleave", "concat", "semantic"])
def test_forward_backward_per_fusion(tmp_path, llm_dir, fusion):
    torch.manual_seed(0)
    model = build(tmp_path, llm_dir, fusion)
    speech, lens, text, text_lens = batch(model)
    fused, fused_lens = model.encode(speech, lens)
    enc, enc_lens, _ = model.encoder(*model.encoder_input(speech, lens))
    factor = 2 if fusion == "interleave" else 1
    assert fused.shape == (2, factor * enc.size(1), enc.size(2))
    assert fused_lens.tolist() == (factor * enc_lens).tolist()
    loss, stats, weight = model(speech, lens, text, text_lens)
    assert {"loss_asr", "loss_spk", "acc_spk", "masked", "threshold"} <= set(stats)
    loss.backward()
    spk = [p.grad for n, p in model.named_parameters() if n.startswith("speaker_encoder.")]
    if fusion == "semantic":
        assert model.speaker_encoder is None and not spk
    else:
        assert any(g is not None and g.abs().sum() > 0 for g in spk)


@given(
    st.lists(st.integers(1, 9), min_size=1, max_size=3),
    st.integers(1, 4),
)
def test_interleave_blocks_alternate_over_valid_frames(lens, block):
    t = max(lens)
    sem = torch.arange(1, t + 1).float()[None, :, None].repeat(len(lens), 1, 1)  # > 0
    spk = -sem  # < 0
    out, out_lens = interleave_blocks(sem, spk, torch.tensor(lens), block)
    assert out_lens.tolist() == [2 * n for n in lens]
    for b, n in enumerate(lens):
        row = out[b, : 2 * n, 0].tolist()
        expected = []
        for s in range(0, n, block):
            frames = list(range(s + 1, min(s + block, n) + 1))
            expected += frames + [-f for f in frames]
        assert row == expected
        assert out[b, 2 * n :].abs().sum() == 0


def test_segment_lengths_and_weights():
    tag = 100
    target = torch.tensor([[tag, 1, 2, 3, tag, 4, 2], [tag, 5, 2, -1, -1, -1, -1]])
    lengths = segment_lengths(target, target == tag)
    assert lengths.tolist() == [[3, 0, 0, 0, 2, 0, 0], [2, 0, 0, 0, 0, 0, 0]]
    assert length_weights(lengths, "none", 20.0)[0, 0] == 1.0
    assert length_weights(lengths, "linear", 2.5)[0].tolist()[:5] == [2.5, 0, 0, 0, 2.0]
    assert torch.allclose(
        length_weights(lengths, "log", 20.0)[0, 0], torch.log1p(torch.tensor(3.0))
    )


def test_adaptive_mask_rule():
    ce = torch.tensor([[0.5, 1.0, 6.0, 9.0]])
    cand = torch.tensor([[True, True, True, False]])
    keep, thr = adaptive_mask(ce, cand, "adaptive", 2.0)  # mean of candidates 2.5 > 2.0
    assert thr == pytest.approx(2.5) and keep.tolist() == [[True, True, False, False]]
    keep, thr = adaptive_mask(ce * 0.1, cand, "adaptive", 2.0)  # mean 0.25: the floor
    assert thr == 2.0 and keep.tolist() == [[True, True, True, False]]
    assert adaptive_mask(ce, cand, "none", 2.0)[0].tolist() == cand.tolist()
    assert adaptive_mask(ce, cand, "fixed", 0.7)[0].tolist() == [[True, False, False, False]]


def test_masked_tokens_get_no_gradient_and_tags_are_weighted(tmp_path, llm_dir):
    model = build(tmp_path, llm_dir, "semantic", asr_mask="fixed", asr_mask_floor=0.0)
    s1, s2 = model.token_list.index("<spk1>"), model.token_list.index("<spk2>")
    target = torch.tensor([[s1, 5, 6, 7, s2, 8]])
    logits = torch.zeros(1, 6, model.vocab_size, requires_grad=True)
    out = model.losses(logits, target)
    assert out["masked"] == 1.0 and out["loss_asr"] == 0  # every ASR token above 0.0
    out["loss"].backward()
    grad_per_pos = logits.grad.abs().sum(-1)[0]
    assert grad_per_pos[[1, 2, 3, 5]].sum() == 0 and (grad_per_pos[[0, 4]] > 0).all()
    # log weighting: the tag opening the 3-token segment weighs more than the 1-token one
    ratio = grad_per_pos[0] / grad_per_pos[4]
    assert ratio == pytest.approx(
        float(torch.log1p(torch.tensor(3.0)) / torch.log1p(torch.tensor(1.0))), rel=1e-4
    )


def test_greedy_decoding_writes_tag_tokens_from_the_vocabulary(tmp_path, llm_dir):
    model = build(tmp_path, llm_dir).eval()
    speech, lens, _, _ = batch(model)
    hyps = model.decode(speech, lens, beam_size=1, maxlen_base=3, maxlen_per_second=2.0)
    assert len(hyps) == 2 and all(len(ids) <= 5 for ids, _ in hyps)
    one = model.decode(
        speech[1:, :6400], lens[1:], beam_size=1, maxlen_base=3, maxlen_per_second=2.0
    )
    assert one[0][0] == hyps[1][0]  # batched = one at a time


def test_build_model_from_file_round_trip(tmp_path, llm_dir):
    config = save_random_model(
        write_yaml(tmp_path / "c.yaml", sa_llm_config(tmp_path, llm_dir)), tmp_path / "exp"
    )
    model, args = MTASRTask.build_model_from_file(config, tmp_path / "exp" / "model.pth")
    assert isinstance(model, SALLMModel) and args.speaker_encoder == "espnet_spk"


@pytest.mark.parametrize(
    "change,message",
    [
        ({"fusion": "sum"}, "model_conf fusion 'sum' is unknown"),
        ({"interleave_frames": 3}, "multiple of decoder_conf projector_stack"),
        ({"asr_mask": "soft"}, "model_conf asr_mask 'soft' is unknown"),
        ({"asr_mask_warmup": -1}, "model_conf asr_mask_warmup -1 must be >= 0"),
    ],
)
def test_bad_model_conf_names_the_key(tmp_path, llm_dir, change, message):
    with pytest.raises(MTASRInputError, match=message):
        build(tmp_path, llm_dir, **change)


def test_fusion_without_speaker_encoder_and_missing_tags(tmp_path, llm_dir):
    config = sa_llm_config(tmp_path, llm_dir, "concat")
    config.update(speaker_encoder=None, speaker_encoder_conf={})
    with pytest.raises(MTASRInputError, match="fusion 'concat' needs speaker features"):
        MTASRTask.build_model(parse_config(write_yaml(tmp_path / "c.yaml", config)))
    plain = make_tiny_llm(tmp_path / "plain", "llama")  # <sc> only, no speaker tags
    config = sa_llm_config(tmp_path, plain, "semantic")
    config["decoder_conf"]["added_tokens"] = ["<sc>"]
    with pytest.raises(MTASRInputError, match="no speaker tag"):
        MTASRTask.build_model(parse_config(write_yaml(tmp_path / "c.yaml", config)))


def test_mask_starts_after_the_warmup_and_the_count_is_checkpointed(tmp_path, llm_dir):
    model = build(tmp_path, llm_dir, "semantic", asr_mask="fixed", asr_mask_floor=0.0,
                  asr_mask_warmup=2)  # fmt: skip
    s1 = model.token_list.index("<spk1>")
    target = torch.tensor([[s1, 5, 6, 7]])
    logits = torch.zeros(1, 4, model.vocab_size)
    model.eval()  # validation neither counts nor masks before the warmup
    assert float(model.losses(logits, target)["masked"]) == 0.0
    model.train()
    masked = [float(model.losses(logits, target)["masked"]) for _ in range(3)]
    assert masked == [0.0, 0.0, 1.0] and int(model.mask_steps) == 3
    again = build(tmp_path, llm_dir, "semantic", asr_mask="fixed", asr_mask_floor=0.0,
                  asr_mask_warmup=2)  # fmt: skip
    again.load_state_dict(model.state_dict())  # what --resume restores
    assert float(again.eval().losses(logits, target)["masked"]) == 1.0
