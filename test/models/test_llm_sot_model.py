"""LLMSOTModel built through MTASRTask: training step, decoding, budget."""

from __future__ import annotations

import pytest
import torch
from llm_helpers import llm_sot_config, make_tiny_llm
from task_helpers import parse_config, write_yaml

from espnet_mtasr.models.llm_sot_model import LLMSOTModel
from espnet_mtasr.tasks.mtasr import MTASRTask


@pytest.fixture(scope="module")
def llm_dir(tmp_path_factory):
    return make_tiny_llm(tmp_path_factory.mktemp("llm"), "qwen2", extra_rows=3)


def test_build_train_step_and_decode(tmp_path, llm_dir):
    config = write_yaml(tmp_path / "c.yaml", llm_sot_config(tmp_path, llm_dir))
    model = MTASRTask.build_model(parse_config(config))
    assert isinstance(model, LLMSOTModel)
    sc = model.decoder.tokenizer.convert_tokens_to_ids("<sc>")
    speech = torch.randn(2, 8000)
    lens = torch.tensor([8000, 6400])
    text = torch.tensor([[5, 6, sc, 7], [8, 9, -1, -1]])
    loss, stats, weight = model(speech, lens, text, torch.tensor([4, 2]))
    assert loss.numel() == 1 and torch.isfinite(loss).all() and int(weight) == 2
    assert set(stats) == {"loss", "acc"}
    loss.backward()
    assert model.encoder.encoders[0].feed_forward.w_1.weight.grad is not None
    model.eval()
    out = model.decode(speech, lens, beam_size=2, maxlen_base=2, maxlen_per_second=4.0)
    assert len(out) == 2 and all(len(ids) <= 2 + 2 for ids, _ in out)
    assert model.budget(lens, 2, 4.0).tolist() == [4, 4]
    feats = model.collect_feats(speech, lens)
    assert feats["feats"].shape[-1] == 16
