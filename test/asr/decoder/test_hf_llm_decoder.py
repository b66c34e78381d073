"""HFLLMDecoder: shapes, gradients, KV-cache decoding, LoRA state dicts, bad options."""

from __future__ import annotations

import pytest
import torch
from llm_helpers import make_tiny_llm

from espnet_mtasr.asr.decoder.hf_llm_decoder import HFLLMDecoder
from espnet_mtasr.utils.errors import MTASRInputError


@pytest.fixture(scope="module", params=["llama", "qwen2"])
def llm_dir(request, tmp_path_factory):
    return make_tiny_llm(tmp_path_factory.mktemp("llm"), request.param, extra_rows=5)


def vocab(llm_dir) -> int:
    from transformers import AutoTokenizer

    return len(AutoTokenizer.from_pretrained(str(llm_dir)))


def build(llm_dir, **kw):
    torch.manual_seed(0)
    conf = dict(
        projector_stack=2,
        projector_hidden=16,
        lora_rank=4,
        lora_target_modules=["q_proj", "v_proj"],
    )
    conf.update(kw)
    return HFLLMDecoder(
        vocab_size=vocab(llm_dir), encoder_output_size=6, llm_path=str(llm_dir), **conf
    )


def batch(dec):
    sc = dec.tokenizer.convert_tokens_to_ids("<sc>")
    hs = torch.randn(2, 9, 6)
    hlens = torch.tensor([9, 5])
    ys = torch.tensor([[5, 6, sc, 7], [8, 9, -1, -1]])
    return hs, hlens, ys, torch.tensor([4, 2])


def test_forward_shapes_and_trainable_parts(llm_dir):
    dec = build(llm_dir).train()
    hs, hlens, ys, ylens = batch(dec)
    logits, olens = dec(hs, hlens, ys, ylens)
    assert logits.shape == (2, 5, vocab(llm_dir)) and olens.tolist() == [5, 3]
    target = dec.targets_with_eos(ys, ylens)
    assert target[1].tolist() == [8, 9, dec.eos_id, -1, -1]
    loss = torch.nn.functional.cross_entropy(logits.transpose(1, 2), target, ignore_index=-1)
    loss.backward()
    grads = {n for n, p in dec.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
    assert {"added_embed", "added_head"} <= grads  # <sc> rows learn
    assert any(n.startswith("projector.") for n in grads)
    assert any("lora_" in n for n in grads)
    assert not any(n.startswith("llm.") and "lora_" not in n for n in grads)  # LLM frozen


def test_padding_and_batching_do_not_change_logits(llm_dir):
    dec = build(llm_dir).eval()
    hs, hlens, ys, ylens = batch(dec)
    logits, _ = dec(hs, hlens, ys, ylens)
    alone, _ = dec(hs[1:, :5], hlens[1:], ys[1:, :2], ylens[1:])
    assert torch.allclose(logits[1, :3], alone[0], atol=1e-4)


@pytest.mark.parametrize("beam_size", [1, 3])
def test_generate_batched_equals_unbatched_and_teacher_forcing(llm_dir, beam_size):
    dec = build(llm_dir).eval()
    hs, hlens, _, _ = batch(dec)
    budget = torch.tensor([6, 6])
    both = dec.generate(hs, hlens, budget, beam_size=beam_size, repeat_min_count=100)
    for b in range(2):
        n = int(hlens[b])
        (alone,) = dec.generate(
            hs[b : b + 1, :n],
            hlens[b : b + 1],
            budget[:1],
            beam_size=beam_size,
            repeat_min_count=100,
        )
        assert alone[0] == both[b][0]
        assert alone[1] == pytest.approx(both[b][1], abs=1e-3)
        tokens, score = both[b]
        assert len(tokens) <= 6
        # the score is the teacher-forced log-probability of the tokens (+ EOS if it ended)
        ys = torch.tensor([tokens or [0]])
        logits, _ = dec(hs[b : b + 1, :n], hlens[b : b + 1], ys, torch.tensor([len(tokens)]))
        logp = logits.log_softmax(-1)[0]
        tf = sum(float(logp[j, t]) for j, t in enumerate(tokens))
        if len(tokens) < 6:
            tf += float(logp[len(tokens), dec.eos_id])
        assert score == pytest.approx(tf, abs=1e-3)


def test_beam_is_at_least_as_good_as_greedy(llm_dir):
    dec = build(llm_dir).eval()
    hs, hlens, _, _ = batch(dec)
    budget = torch.tensor([5, 5])
    greedy = dec.generate(hs, hlens, budget, beam_size=1, repeat_min_count=100)
    beam = dec.generate(hs, hlens, budget, beam_size=4, repeat_min_count=100)
    for g, b in zip(greedy, beam):
        assert b[1] >= g[1] - 1e-4


def test_sop_changes_the_prompt(llm_dir):
    dec = build(llm_dir).eval()
    hs, hlens, ys, ylens = batch(dec)
    sop = [[5, 6], [7]]
    plain, pmask = dec.build_prefix(hs, hlens)
    with_sop, smask = dec.build_prefix(hs, hlens, sop)
    extra = len(dec.sop_prefix_ids)
    assert smask.sum(1).tolist() == [
        int(pmask[0].sum()) + extra + 2,
        int(pmask[1].sum()) + extra + 1,
    ]
    a, _ = dec(hs, hlens, ys, ylens)
    b, _ = dec(hs, hlens, ys, ylens, sop=sop)
    assert not torch.allclose(a, b)


def test_trainable_only_state_dict_round_trip(llm_dir):
    dec = build(llm_dir, save_trainable_only=True).eval()
    with torch.no_grad():  # make LoRA non-trivial (B starts at zero)
        for n, p in dec.named_parameters():
            if "lora_B" in n:
                p.normal_()
    state = dec.state_dict()
    assert any("lora_" in k for k in state) and "added_embed" in state
    assert not any(k.startswith("llm.") and "lora_" not in k for k in state)
    other = build(llm_dir, save_trainable_only=True).eval()
    other.load_state_dict(state, strict=True)
    hs, hlens, ys, ylens = batch(dec)
    assert torch.equal(dec(hs, hlens, ys, ylens)[0], other(hs, hlens, ys, ylens)[0])
    # a full state dict (save_trainable_only false) loads too
    full = build(llm_dir, save_trainable_only=False)
    full.load_state_dict(dec.state_dict(), strict=True)
    assert torch.equal(full.eval()(hs, hlens, ys, ylens)[0], dec(hs, hlens, ys, ylens)[0])


def test_reload_pretrained_keeps_lora(llm_dir):
    dec = build(llm_dir)
    ref = {k: v.clone() for k, v in dec.llm.state_dict().items()}
    with torch.no_grad():
        for p in dec.llm.parameters():
            p.fill_(0.25)
    dec.reload_pretrained_parameters()
    for k, v in dec.llm.state_dict().items():
        if "lora_" in k:
            assert torch.all(v == 0.25), k
        else:
            assert torch.equal(v, ref[k]), k


def test_budget_is_respected(llm_dir):
    dec = build(llm_dir).eval()
    hs, hlens, _, _ = batch(dec)
    out = dec.generate(hs, hlens, torch.tensor([1, 3]), repeat_min_count=100)
    assert len(out[0][0]) <= 1 and len(out[1][0]) <= 3


def test_missing_llm_path_names_the_option(tmp_path, llm_dir):
    with pytest.raises(MTASRInputError, match="decoder_conf llm_path"):
        HFLLMDecoder(vocab_size=10, encoder_output_size=4)
    with pytest.raises(MTASRInputError, match="decoder_conf llm_path") as e:
        HFLLMDecoder(vocab_size=10, encoder_output_size=4, llm_path=str(tmp_path / "none"))
    assert str(tmp_path / "none") in str(e.value)


def test_vocab_mismatch_and_missing_added_token(llm_dir):
    with pytest.raises(MTASRInputError, match="token list has 7 tokens"):
        HFLLMDecoder(vocab_size=7, encoder_output_size=4, llm_path=str(llm_dir))
    with pytest.raises(MTASRInputError, match=r"added_tokens \['<spk1>'\]"):
        HFLLMDecoder(
            vocab_size=vocab(llm_dir),
            encoder_output_size=4,
            llm_path=str(llm_dir),
            added_tokens=["<sc>", "<spk1>"],
        )


def test_unknown_lora_target(llm_dir):
    with pytest.raises(MTASRInputError, match="lora_target_modules"):
        build(llm_dir, lora_target_modules=["qkv"])


def test_new_adapter_on_a_frozen_one(llm_dir):
    """Stage C of SOP: stage A's adapter stays active and frozen; the new one starts at
    zero (lora_B = 0), so the loaded model first computes exactly what stage A did."""
    stage_a = build(llm_dir, save_trainable_only=True).eval()
    with torch.no_grad():
        for name, p in stage_a.named_parameters():
            if "lora_B" in name:
                p.normal_()
    stage_c = build(
        llm_dir, save_trainable_only=True, lora_adapter_name="sop", frozen_lora_adapters=["default"]
    ).eval()
    result = stage_c.load_state_dict(stage_a.state_dict(), strict=False)
    assert result.unexpected_keys == []
    assert result.missing_keys and all(".sop." in k for k in result.missing_keys)
    lora = {n: p.requires_grad for n, p in stage_c.named_parameters() if "lora_" in n}
    assert lora and all(train == (".sop." in n) for n, train in lora.items())
    assert any(".default." in k for k in stage_c.state_dict())  # the frozen adapter is saved
    hs, hlens, ys, ylens = batch(stage_a)
    torch.testing.assert_close(stage_a(hs, hlens, ys, ylens)[0], stage_c(hs, hlens, ys, ylens)[0])


def test_frozen_adapter_options_are_checked(llm_dir):
    with pytest.raises(ValueError, match="frozen_lora_adapters needs lora_rank"):
        build(llm_dir, lora_rank=0, frozen_lora_adapters=["default"])
    with pytest.raises(ValueError, match="its own name"):
        build(llm_dir, frozen_lora_adapters=["default"])


def test_lora_is_float32_on_a_bf16_llm(llm_dir):
    dec = build(llm_dir, dtype="bfloat16")
    lora = [p for n, p in dec.named_parameters() if "lora_" in n]
    assert lora and all(p.dtype == torch.float32 for p in lora)
    hs, hlens, ys, ylens = batch(dec)
    logits, _ = dec(hs, hlens, ys, ylens)
    logits.sum().backward()
    lora_b = [p for n, p in dec.named_parameters() if "lora_B" in n]
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in lora_b)


def test_lora_stacks_on_an_llm_trained_without_lora(llm_dir, tmp_path):
    """SOP on a fine-tuned LLM: stage A trains the whole LLM (plain keys), stage C puts a
    new LoRA on it; ESPnet's --init_param loading maps the weights onto ``base_layer``."""
    from espnet2.torch_utils.load_pretrained_model import load_pretrained_model

    stage_a = build(llm_dir, lora_rank=0, freeze_llm=False).eval()
    with torch.no_grad():
        for p in stage_a.llm.parameters():
            p.add_(0.01 * torch.randn_like(p))
    torch.save({f"decoder.{k}": v for k, v in stage_a.state_dict().items()}, tmp_path / "a.pth")
    holder = torch.nn.Module()
    holder.decoder = build(llm_dir, save_trainable_only=False, lora_adapter_name="sop").eval()
    load_pretrained_model(str(tmp_path / "a.pth"), holder, ignore_init_mismatch=False)
    stage_c = holder.decoder
    hs, hlens, ys, ylens = batch(stage_a)
    torch.testing.assert_close(stage_a(hs, hlens, ys, ylens)[0], stage_c(hs, hlens, ys, ylens)[0])
    # C's own checkpoint keeps the fine-tuned weights and reloads exactly
    again = build(llm_dir, save_trainable_only=False, lora_adapter_name="sop").eval()
    again.load_state_dict(stage_c.state_dict(), strict=True)
    assert torch.equal(again(hs, hlens, ys, ylens)[0], stage_c(hs, hlens, ys, ylens)[0])
    # save_trainable_only would drop them: refused, naming the option
    lossy = torch.nn.Module()
    lossy.decoder = build(llm_dir, save_trainable_only=True, lora_adapter_name="sop")
    with pytest.raises(MTASRInputError, match="save_trainable_only: false"):
        load_pretrained_model(str(tmp_path / "a.pth"), lossy, ignore_init_mismatch=False)


def test_tokenizer_tokens_the_llm_lacks_must_be_added_tokens(tmp_path):
    """A token past the LLM's embeddings and not in added_tokens has no row: its logit
    would be -inf (an infinite label-smoothed loss). Building stops and names it."""
    from llm_helpers import make_tiny_llm

    from espnet_mtasr.asr.decoder.hf_llm_decoder import HFLLMDecoder
    from espnet_mtasr.utils.errors import MTASRInputError

    llm_dir = make_tiny_llm(tmp_path, "llama", added_tokens=("<sc>", "<spk1>"))
    from transformers import AutoTokenizer

    n = len(AutoTokenizer.from_pretrained(str(llm_dir)))
    with pytest.raises(MTASRInputError, match=r"\['<spk1>'\] are past the LLM's"):
        HFLLMDecoder(vocab_size=n, encoder_output_size=8, llm_path=str(llm_dir))
