"""EncoderOnlyModel built through MTASRTask: branches per talker count, the talker-count
routing, the LLM teacher in training only, bad configurations.

Paper: "Distilling LLM Semantic Priors into Encoder-Only Multi-Talker ASR with Talker-Count
Routing" (arXiv 2603.10587)."""

from __future__ import annotations

import pytest
import torch
from llm_helpers import encoder_only_config, make_tiny_llm
from task_helpers import parse_config, save_random_model, write_yaml

from espnet_mtasr.models.encoder_only_model import EncoderOnlyModel
from espnet_mtasr.tasks.mtasr import MTASRTask
from espnet_mtasr.utils.errors import MTASRInputError


@pytest.fixture(scope="module")
def llm_dir(tmp_path_factory):
    return make_tiny_llm(tmp_path_factory.mktemp("llm"), "llama")


def build(tmp_path, llm_dir, teacher=True, **model_conf) -> EncoderOnlyModel:
    config = encoder_only_config(tmp_path, llm_dir, teacher=teacher, **model_conf)
    model = MTASRTask.build_model(parse_config(write_yaml(tmp_path / "c.yaml", config)))
    assert isinstance(model, EncoderOnlyModel)
    return model


def batch(model):
    sc = model.sc_id
    speech = torch.randn(3, 8000)
    lens = torch.tensor([8000, 6400, 7200])
    text = torch.tensor([[5, 6, sc, 7, sc, 8], [8, 9, -1, -1, -1, -1], [5, sc, 9, -1, -1, -1]])
    return speech, lens, text, torch.tensor([6, 2, 3])


def test_one_branch_per_talker_count(tmp_path, llm_dir):
    model = build(tmp_path, llm_dir)
    assert model.num_branches == 3
    assert [s.num_streams for s in model.separator_branches] == [1, 2, 3]
    assert [c.num_streams for c in model.ctc_branches] == [1, 2, 3]
    _, _, text, text_lens = batch(model)
    assert model.reference_counts(text, text_lens).tolist() == [3, 1, 2]


def test_forward_backward_trains_every_part(tmp_path, llm_dir):
    torch.manual_seed(0)
    model = build(tmp_path, llm_dir)
    loss, stats, weight = model(*batch(model))
    assert {"loss_ctc", "loss_count", "loss_llm", "count_acc", "acc"} <= set(stats)
    assert int(weight) == 3
    loss.backward()
    for name in ("encoder", "talker_count", "separator_branches", "ctc_branches"):
        grads = [p.grad for n, p in model.named_parameters() if n.startswith(name)]
        assert any(g is not None and g.abs().sum() > 0 for g in grads), name
    # the teacher's loss reaches the encoder on its own
    model.zero_grad()
    only_llm = build(tmp_path, llm_dir, ctc_weight=0.0, count_weight=0.0)
    only_llm.load_state_dict(model.state_dict())
    only_llm(*batch(only_llm))[0].backward()
    enc = [p.grad for n, p in only_llm.named_parameters() if n.startswith("encoder.")]
    assert any(g is not None and g.abs().sum() > 0 for g in enc)


def test_routing_picks_the_branch_the_head_predicts(tmp_path, llm_dir):
    model = build(tmp_path, llm_dir).eval()
    speech, lens, _, _ = batch(model)
    head = model.talker_count.mlp[-1]
    for count in (1, 2, 3):
        with torch.no_grad():  # make the head predict `count` for every input
            head.weight.zero_()
            head.bias.fill_(-10.0)
            head.bias[count - 1] = 10.0
        called: list = []
        hooks = [
            sep.register_forward_hook(lambda m, i, o, k=k, log=called: log.append(k))
            for k, sep in enumerate(model.separator_branches, 1)
        ]
        streams, counts = model.decode_streams(speech, lens)
        for h in hooks:
            h.remove()
        assert called == [count] and counts.tolist() == [count] * 3
        assert all(len(s) == count for s in streams)  # a 1-talker input yields one stream


def test_oracle_counts_route_each_utterance(tmp_path, llm_dir):
    model = build(tmp_path, llm_dir).eval()
    speech, lens, _, _ = batch(model)
    streams, counts = model.decode_streams(speech, lens, num_talkers=torch.tensor([2, 1, 3]))
    assert [len(s) for s in streams] == [2, 1, 3] and counts.tolist() == [2, 1, 3]
    with pytest.raises(ValueError, match=r"talker counts must be in 1..3"):
        model.decode_streams(speech, lens, num_talkers=torch.tensor([4, 1, 1]))


def test_batched_decoding_equals_one_at_a_time(tmp_path, llm_dir):
    model = build(tmp_path, llm_dir, teacher=False).eval()
    speech, lens, _, _ = batch(model)
    together, counts = model.decode_streams(speech, lens)
    enc, enc_lens = model.encode(speech, lens)  # ESPnet's conformer leaks padding in a batch
    for b in range(3):
        one, one_lens = model.encode(speech[b : b + 1, : int(lens[b])], lens[b : b + 1])
        assert int(one_lens[0]) == int(enc_lens[b])
        assert torch.allclose(one[0], enc[b, : one.size(1)], atol=1e-5)
        assert enc[b, one.size(1) :].abs().sum() == 0
    for b in range(3):
        alone, count = model.decode_streams(speech[b : b + 1, : int(lens[b])], lens[b : b + 1])
        assert count.tolist() == [int(counts[b])]
        assert alone[0] == together[b]


def test_more_talkers_than_branches_fails_clearly(tmp_path, llm_dir):
    config = encoder_only_config(tmp_path, llm_dir)
    config["talker_count_conf"]["num_talkers"] = 4
    with pytest.raises(ValueError, match="num_talkers 4 asks for more talkers than the 3"):
        MTASRTask.build_model(parse_config(write_yaml(tmp_path / "c.yaml", config)))
    model = build(tmp_path, llm_dir)
    speech, lens, text, text_lens = batch(model)
    sc = model.sc_id
    four = torch.tensor([[5, sc, 6, sc, 7, sc, 8]])
    with pytest.raises(ValueError, match="has 4 talkers, but the model has 3 branches"):
        model(speech[:1], lens[:1], four, torch.tensor([7]))


def test_teacher_needs_a_decoder_and_branches_need_a_separator(tmp_path, llm_dir):
    with pytest.raises(ValueError, match="llm_weight 1.0 needs the LLM teacher"):
        build(tmp_path, llm_dir, teacher=False, llm_weight=1.0)
    config = encoder_only_config(tmp_path, llm_dir, teacher=False)
    config.update(separator=None, serialized_ctc=None)
    with pytest.raises(MTASRInputError, match="needs a separator and a serialized CTC"):
        MTASRTask.build_model(parse_config(write_yaml(tmp_path / "c.yaml", config)))


def test_inference_builds_without_the_teacher(tmp_path, llm_dir):
    """build_model_from_file drops the LLM teacher; its checkpoint weights are skipped, and
    the decoding is the same as with the teacher present."""
    import yaml

    train = write_yaml(tmp_path / "train.yaml", encoder_only_config(tmp_path, llm_dir))
    config_file = save_random_model(train, tmp_path / "exp")
    trained = MTASRTask.build_model(parse_config(train)).eval()
    trained.load_state_dict(torch.load(tmp_path / "exp" / "model.pth"))
    # a path that no longer exists: decoding must not need the LLM
    config = yaml.safe_load(config_file.read_text())
    config["decoder_conf"]["llm_path"] = str(tmp_path / "gone")
    write_yaml(config_file, config)
    model, args = MTASRTask.build_model_from_file(config_file, tmp_path / "exp" / "model.pth")
    assert model.decoder is None and args.decoder is None and args.model_conf["llm_weight"] == 0
    assert not any(k.startswith("decoder.") for k in model.state_dict())
    speech, lens, _, _ = batch(model)
    assert model.eval().decode_streams(speech, lens)[0] == trained.decode_streams(speech, lens)[0]
