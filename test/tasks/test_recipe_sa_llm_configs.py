"""The sa_llm training configs shipped with the meeting recipes build through MTASRTask,
with tiny stand-ins for what they read from disk (the LLM that mtasr.sh names, the
ESPnet-SPK checkpoint that run.sh links), and one training step runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from llm_helpers import make_tiny_llm
from task_helpers import parse_config, write_yaml

from espnet_mtasr.llm.tiny_lm import export_token_list
from espnet_mtasr.models.sa_llm_model import SALLMModel
from espnet_mtasr.tasks.mtasr import MTASRTask

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted(
    str(p.relative_to(REPO)) for p in (REPO / "egs2").glob("*/mtasr1/conf/train_sa_llm*.yaml")
)


@pytest.fixture(scope="module")
def llm(tmp_path_factory):
    """A tiny LLM whose tokenizer adds exactly the config's tokens (as stage 6 does)."""
    made = {}

    def get(added):
        if added not in made:
            tmp = tmp_path_factory.mktemp("llm")
            llm_dir = make_tiny_llm(tmp, "llama", added_tokens=added)
            made[added] = llm_dir, export_token_list(llm_dir, tmp / "tokens.txt")
        return made[added]

    return get


def test_every_meeting_recipe_ships_sa_llm_configs():
    assert {c.split("/")[1] for c in CONFIGS} == {"alimeeting", "aishell4", "mini_alimeeting"}


@pytest.mark.parametrize("config", CONFIGS)
def test_config_builds_and_trains_one_step(tmp_path, llm, config):
    conf = yaml.safe_load((REPO / config).read_text())
    llm_dir, tokens = llm(tuple(conf["decoder_conf"]["added_tokens"]))
    conf.update(token_list=str(tokens), token_type="hugging_face", bpemodel=str(llm_dir))
    conf["decoder_conf"].update(llm_path=str(llm_dir), tokenizer_path=str(llm_dir))
    conf["decoder_conf"]["dtype"] = "float32"
    if conf.get("speaker_encoder_conf"):
        conf["speaker_encoder_conf"]["model_path"] = None  # run.sh's link; tested elsewhere
    conf["normalize"] = None
    torch.manual_seed(0)
    model = MTASRTask.build_model(parse_config(write_yaml(tmp_path / "c.yaml", conf)))
    assert isinstance(model, SALLMModel) and model.fusion == conf["model_conf"]["fusion"]
    s1, s2 = model.token_list.index("<spk1>"), model.token_list.index("<spk2>")
    text = torch.tensor([[s1, 5, 6, s2, 7]])
    loss, stats, _ = model(torch.randn(1, 16000), torch.tensor([16000]), text, torch.tensor([5]))
    assert torch.isfinite(loss) and "loss_spk" in stats
    loss.backward()
