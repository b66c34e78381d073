"""SOPLLMModel built through MTASRTask: stream targets, the three stages' losses, what each
stage trains, decoding with the draft.

Paper: "Serialized Output Prompting for Large Language Model-based Multi-Talker Speech
Recognition" (arXiv 2509.04488)."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from llm_helpers import TINY_WAVLM, make_tiny_llm, sop_llm_config
from task_helpers import parse_config, write_yaml

from espnet_mtasr.models.sop_llm_model import (
    SOPLLMModel,
    join_streams,
    split_streams,
    whitespace_ids,
)
from espnet_mtasr.tasks.mtasr import MTASRTask

SC = 99


@pytest.fixture(scope="module")
def llm_dir(tmp_path_factory):
    return make_tiny_llm(tmp_path_factory.mktemp("llm"), "llama")


def build(tmp_path, llm_dir, **model_conf) -> SOPLLMModel:
    config = write_yaml(tmp_path / "c.yaml", sop_llm_config(tmp_path, llm_dir, **model_conf))
    model = MTASRTask.build_model(parse_config(config))
    assert isinstance(model, SOPLLMModel)
    return model


def test_split_streams_start_time_order_and_padding():
    assert split_streams([1, 2, SC, 3, SC, 4, 5], SC, 3) == [[1, 2], [3], [4, 5]]
    assert split_streams([1, 2], SC, 3) == [[1, 2], [], []]
    assert split_streams([1, 7, SC, 7, 3], SC, 2, drop=[7]) == [[1], [3]]
    # whitespace pieces: stripped at the stream ends, kept inside (word boundaries)
    assert split_streams([7, 1, 7, 2, 7, SC, 7, 3, 7], SC, 2, strip=[7]) == [[1, 7, 2], [3]]
    # a 4th talker has no branch: it joins the last stream
    assert split_streams([1, SC, 2, SC, 3, SC, 4], SC, 3) == [[1], [2], [3, 4]]


@given(st.lists(st.lists(st.integers(1, 50), min_size=1, max_size=5), min_size=1, max_size=3))
def test_join_then_split_round_trip(streams):
    joined = join_streams(streams, SC)
    assert split_streams(joined, SC, 3) == streams + [[]] * (3 - len(streams))
    assert join_streams(streams + [[]], SC) == joined  # empty streams add nothing


def sot_batch(model):
    sc = model.sc_id
    speech = torch.randn(2, 8000)
    lens = torch.tensor([8000, 6400])
    text = torch.tensor([[5, 6, sc, 7, sc, 8], [8, 9, -1, -1, -1, -1]])
    return speech, lens, text, torch.tensor([6, 2])


def test_stream_targets_follow_sc(tmp_path, llm_dir):
    model = build(tmp_path, llm_dir)
    _, _, text, text_lens = sot_batch(model)
    ys, ys_lens = model.stream_targets(text, text_lens)
    assert ys.shape == (2, 3, 2)
    assert ys_lens.tolist() == [[2, 1, 1], [2, 0, 0]]
    assert ys[0, 0].tolist() == [5, 6] and ys[0, 2, 0] == 8 and ys[1, 1].tolist() == [-1, -1]


def test_space_only_pieces_are_stripped_from_stream_ends(tmp_path, llm_dir):
    model = build(tmp_path, llm_dir)
    tok = model.decoder.tokenizer
    ids = tok("SHE OPENED <sc> WE COULD", add_special_tokens=False)["input_ids"]
    text = torch.tensor([ids])
    ys, ys_lens = model.stream_targets(text, torch.tensor([len(ids)]))
    for s, words in enumerate(("SHE OPENED", "WE COULD")):
        stream = ys[0, s, : int(ys_lens[0, s])].tolist()
        assert " ".join(tok.decode(stream).split()) == words  # word boundaries kept
        assert tok.decode(stream[:1]).strip() and tok.decode(stream[-1:]).strip()


@pytest.mark.parametrize(
    "weights, trained, untouched",
    [
        ({"ctc_weight": 1.0, "llm_weight": 0.0}, "separator", "decoder"),  # stage B
        ({"ctc_weight": 0.0, "llm_weight": 1.0}, "decoder", "separator"),  # stage C
    ],
)
def test_stage_losses_reach_only_their_parts(tmp_path, llm_dir, weights, trained, untouched):
    model = build(tmp_path, llm_dir, **weights)
    loss, stats, weight = model(*sot_batch(model))
    assert torch.isfinite(loss) and int(weight) == 2
    assert ("loss_ctc" in stats) == (weights["ctc_weight"] > 0)
    assert ("acc" in stats) == (weights["llm_weight"] > 0)
    loss.backward()
    grads = {
        part: any(
            p.grad is not None and p.grad.abs().sum() > 0 for p in getattr(model, part).parameters()
        )
        for part in (trained, untouched)
    }
    assert grads == {trained: True, untouched: False}


def test_both_weights_zero_is_an_error(tmp_path, llm_dir):
    with pytest.raises(ValueError, match="ctc_weight .* llm_weight"):
        build(tmp_path, llm_dir, ctc_weight=0.0, llm_weight=0.0)


def test_the_draft_is_in_the_prompt(tmp_path, llm_dir):
    """Training and decoding prompt the LLM with the greedy draft (SOP)."""
    model = build(tmp_path, llm_dir).eval()
    speech, lens, _, _ = sot_batch(model)
    with torch.no_grad():
        for head in model.serialized_ctc.heads:  # stream s always says token 10 + s
            head.weight.zero_()
            head.bias.fill_(-10.0)
        for s, head in enumerate(model.serialized_ctc.heads):
            head.bias[10 + s] = 10.0
    hyps, drafts = model.decode_with_draft(speech, lens, maxlen_base=3, maxlen_per_second=0.0)
    assert drafts == [[[10], [11], [12]]] * 2
    seen = []
    original = model.decoder.build_prefix

    def spy(hs, hl, sop=None):
        seen.append(sop)
        return original(hs, hl, sop)

    model.decoder.build_prefix = spy
    model.decode(speech, lens, maxlen_base=1, maxlen_per_second=0.0)
    assert seen[-1] == [[10, model.sc_id, 11, model.sc_id, 12]] * 2
    model.use_sop = False
    model.decode(speech, lens, maxlen_base=1, maxlen_per_second=0.0)
    assert seen[-1] is None
    assert len(hyps) == 2


def test_blank_id_outside_the_vocabulary_is_an_error(tmp_path, llm_dir):
    config = sop_llm_config(tmp_path, llm_dir)
    config["serialized_ctc_conf"] = {"blank_id": 500}
    with pytest.raises(ValueError, match="blank_id 500"):
        MTASRTask.build_model(parse_config(write_yaml(tmp_path / "c.yaml", config)))


def test_wavlm_mid_level_features_feed_the_separator(tmp_path, llm_dir):
    """With hf_wavlm the separator reads the 25 Hz mid-level features (mid_size), the LLM
    the 12.5 Hz output: both sizes are wired by build_model."""
    config = sop_llm_config(tmp_path, llm_dir)
    config.update(
        frontend=None,
        input_size=1,
        specaug=None,
        normalize=None,
        encoder="hf_wavlm",
        encoder_conf={"hf_config": TINY_WAVLM, "mid_size": 12, "output_size": 10},
    )
    model = MTASRTask.build_model(parse_config(write_yaml(tmp_path / "c.yaml", config)))
    assert model.separator.lstm.input_size == 12
    speech, lens, text, text_lens = sot_batch(model)
    enc, enc_lens, mid, mid_lens = model.encode_with_mid(speech, lens)
    assert enc.size(-1) == 10 and mid.size(-1) == 12 and mid.size(1) > enc.size(1)
    loss, _, _ = model(speech, lens, text, text_lens)
    loss.backward()
    assert model.encoder.down1.conv.weight.grad is not None


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="▁Ġ"), max_size=4)))
def test_whitespace_ids_of_decoded_pieces_are_the_blank_ones(pieces):
    """On decoded pieces (no ▁/Ġ marks) the rule is str.strip()'s: every Unicode space."""
    assert whitespace_ids(pieces) == [i for i, p in enumerate(pieces) if not p.strip()]
