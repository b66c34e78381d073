"""The sa_llm training configs shipped with the meeting recipes build through MTASRTask,
with tiny stand-ins for what they read from disk (the LLM that mtasr.sh names, the
ESPnet-SPK checkpoint that run.sh links), and one training step runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from espnet2.torch_utils.load_pretrained_model import load_pretrained_model
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


def build_sa_llm(tmp_path, llm, config: str) -> tuple[SALLMModel, dict]:
    conf = yaml.safe_load((REPO / config).read_text())
    llm_dir, tokens = llm(tuple(conf["decoder_conf"]["added_tokens"]))
    conf.update(token_list=str(tokens), token_type="hugging_face", bpemodel=str(llm_dir))
    conf["decoder_conf"].update(llm_path=str(llm_dir), tokenizer_path=str(llm_dir))
    conf["decoder_conf"]["dtype"] = "float32"
    if conf.get("speaker_encoder_conf"):
        conf["speaker_encoder_conf"]["model_path"] = None  # run.sh's link; tested elsewhere
    conf["normalize"] = None
    torch.manual_seed(0)
    return MTASRTask.build_model(parse_config(write_yaml(tmp_path / "c.yaml", conf))), conf


@pytest.mark.parametrize("config", CONFIGS)
def test_config_builds_and_trains_one_step(tmp_path, llm, config):
    model, conf = build_sa_llm(tmp_path, llm, config)
    assert isinstance(model, SALLMModel) and model.fusion == conf["model_conf"]["fusion"]
    s1, s2 = model.token_list.index("<spk1>"), model.token_list.index("<spk2>")
    text = torch.tensor([[s1, 5, 6, s2, 7]])
    loss, stats, _ = model(torch.randn(1, 16000), torch.tensor([16000]), text, torch.tensor([5]))
    assert torch.isfinite(loss) and "loss_spk" in stats
    loss.backward()


def test_mini_alimeeting_sot_aed_initialises_the_sa_llm_encoder(tmp_path, llm):
    """run.sh trains the speaker-attributed SOT-AED on the LLM's vocabulary, then starts
    sa_llm's ASR encoder from it with --init_param <sot>/valid.acc.ave.pth:encoder:encoder:
    the two configs' encoders must be the same network."""
    conf_dir = "egs2/mini_alimeeting/mtasr1/conf"
    sa_llm, sa_conf = build_sa_llm(tmp_path, llm, f"{conf_dir}/train_sa_llm.yaml")
    sot_conf = yaml.safe_load((REPO / conf_dir / "train_sot_conformer.yaml").read_text())
    assert sot_conf["encoder_conf"] == sa_conf["encoder_conf"]
    sot_conf.update(
        token_list=sa_conf["token_list"],
        token_type="hugging_face",
        bpemodel=sa_conf["bpemodel"],
        normalize=None,
    )
    torch.manual_seed(1)
    sot = MTASRTask.build_model(parse_config(write_yaml(tmp_path / "sot.yaml", sot_conf)))
    # <sos/eos> is not in an HF vocabulary: the config names the tokenizer's own
    assert (sot.sos, sot.eos) == (sot.token_list.index("<s>"), sot.token_list.index("</s>"))
    text = torch.tensor([[sot.token_list.index("<spk1>"), 5, 6]])
    loss, _, _ = sot(torch.randn(1, 16000), torch.tensor([16000]), text, torch.tensor([3]))
    assert torch.isfinite(loss)

    ckpt = tmp_path / "valid.acc.ave.pth"
    torch.save(sot.state_dict(), ckpt)
    load_pretrained_model(f"{ckpt}:encoder:encoder", sa_llm, ignore_init_mismatch=False)
    got, want = sa_llm.encoder.state_dict(), sot.encoder.state_dict()
    assert got.keys() == want.keys()
    assert all(torch.equal(got[k], want[k]) for k in want)
