"""mtasr_pack --hf_dir: the Hugging Face-style folder (the zip unzipped, a model card with
the stage-13 results, tokens.txt), written atomically; loaded as the zip is."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml
from task_helpers import (
    PACK_ARGS,
    char_tokens,
    save_random_model,
    tiny_sot_config,
    write_token_list,
    write_yaml,
)

from espnet_mtasr.bin import mtasr_inference, mtasr_pack, score
from espnet_mtasr.inference import MultiTalkerSpeech2Text, model_folder

DECODE = ["--beam_size", "2", "--ctc_weight", "0.3", "--maxlenratio", "0.5"]


def _front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n")[1])


@pytest.fixture
def recipe(tmp_path, monkeypatch) -> Path:
    """A recipe dir (the cwd) with a random tiny SOT-AED in exp/asr, relative paths."""
    monkeypatch.chdir(tmp_path)
    write_token_list(Path("data/token_list"))
    config = write_yaml(Path("conf/train.yaml"), tiny_sot_config(Path("data/token_list")))
    save_random_model(config, Path("exp/asr"))
    return tmp_path


def _score_stage_13() -> None:
    """What stage 13 leaves in the exp dir: a result.json of espnet_mtasr.bin.score."""
    Path("ref").write_text("u1 a b <sc> c\nu2 d e\n")
    Path("hyp").write_text("u1 a b <sc> x\nu2 d e\n")
    Path("u2n").write_text("u1 2\nu2 1\n")
    out = "exp/asr/decode_sot/test/score_wer"
    score.main(
        ["--ref", "ref", "--hyp", "hyp", "--utt2num_spk", "u2n", "--out_dir", out, "--set", "test"]
    )
    assert Path(out, "result.json").is_file()


def test_hf_dir_holds_the_zip_a_model_card_and_tokens(recipe, capsys):
    _score_stage_13()
    mtasr_pack.main([*PACK_ARGS, "--hf_dir", "exp/asr/model_hf"])
    hf = recipe / "exp/asr/model_hf"
    files = sorted(p.relative_to(hf).as_posix() for p in hf.rglob("*") if p.is_file())
    packed = zipfile.ZipFile("exp/asr/model.zip").namelist()
    assert sorted(files) == sorted([*packed, "README.md", "tokens.txt"])
    assert [p.name for p in hf.parent.iterdir() if p.name.startswith(".")] == []  # no temp
    assert (hf / "tokens.txt").read_text().splitlines() == char_tokens()

    card = (hf / "README.md").read_text()
    front = _front_matter(card)
    assert front["license"] == "cc-by-4.0"
    assert {"espnet", "audio", "automatic-speech-recognition", "multi-talker"} <= set(front["tags"])
    assert "|decode_sot|test|WER|all|2|" in card  # the stage-13 result
    assert "|decode_sot|test|WER|2|1|" in card
    assert "MultiTalkerSpeech2Text.from_pretrained" in card
    assert "from espnet2.bin.asr_inference import Speech2Text" in card  # espnet family
    meta = yaml.safe_load((hf / "meta.yaml").read_text())
    assert f"`{meta['files']['asr_model_file']}`" in card

    # The folder decodes as the zip, through the API and mtasr_inference --model_file
    rng = np.random.default_rng(0)
    sf.write("mix.wav", (0.1 * rng.standard_normal(12000)).astype("float32"), 16000)
    capsys.readouterr()
    for model in ("exp/asr/model.zip", str(hf)):
        mtasr_inference.main(["--model_file", model, "--wav", "mix.wav", *DECODE])
    from_zip, from_folder = capsys.readouterr().out.strip().splitlines()
    assert from_zip == from_folder
    s2t = MultiTalkerSpeech2Text.from_pretrained(hf, beam_size=2, ctc_weight=0.3, maxlenratio=0.5)
    assert s2t.decode_file("mix.wav").text == from_zip
    assert (hf / "README.md").read_text() == card  # loading changed nothing in the folder


def test_without_results_the_card_says_so_and_a_rerun_replaces_the_folder(recipe):
    mtasr_pack.main([*PACK_ARGS, "--hf_dir", "out/model_hf", "--hf_license", "apache-2.0"])
    card = Path("out/model_hf/README.md").read_text()
    assert _front_matter(card)["license"] == "apache-2.0"
    assert "No results: no stage-13 `result.json` under `exp/asr`" in card
    Path("out/model_hf/stale.txt").write_text("from before\n")
    _score_stage_13()
    mtasr_pack.main([*PACK_ARGS, "--hf_dir", "out/model_hf"])
    assert not Path("out/model_hf/stale.txt").exists()
    assert "|decode_sot|test|WER|all|" in Path("out/model_hf/README.md").read_text()
    assert sorted(p.name for p in Path("out").iterdir()) == ["model_hf"]


def test_hf_dir_that_is_a_file_stops_before_packing(recipe, capsys):
    Path("exp/asr/model_hf").write_text("not a folder\n")
    with pytest.raises(SystemExit) as e:
        mtasr_pack.main([*PACK_ARGS, "--hf_dir", "exp/asr/model_hf"])
    assert e.value.code == 1
    assert "exp/asr/model_hf: --hf_dir exists and is not a directory" in capsys.readouterr().err
    assert not Path("exp/asr/model.zip").exists()
    with pytest.raises(ValueError, match="exists and is not a directory"):
        model_folder.write_model_folder("exp/asr/model.zip", "exp/asr/model_hf")


def test_a_failed_write_leaves_the_old_folder(recipe, monkeypatch):
    mtasr_pack.main([*PACK_ARGS, "--hf_dir", "exp/asr/model_hf"])
    before = Path("exp/asr/model_hf/README.md").read_text()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(model_folder, "model_card", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        model_folder.write_model_folder("exp/asr/model.zip", "exp/asr/model_hf")
    assert Path("exp/asr/model_hf/README.md").read_text() == before
    assert not [p for p in Path("exp/asr").iterdir() if p.name.startswith(".")]


def test_a_plugin_family_card_has_no_espnet_snippet(tmp_path):
    config = {"model": "llm_sot", "token_list": ["<blank>", "a"]}
    meta = {"files": {"asr_model_file": "m.pth"}, "yaml_files": {"asr_train_config": "c.yaml"}}
    card = model_folder.model_card("x", config, meta, ["m.pth"], ["No results."])
    assert "espnet2.bin.asr_inference" not in card and "`model: llm_sot`" in card
    llm = {**config, "decoder": "hf_llm", "decoder_conf": {"llm_path": "exp/llm/llama"}}
    card = model_folder.model_card("x", llm, meta, [], [])
    assert "The LLM is not in this folder: loading reads `decoder_conf.llm_path` (`exp/llm" in card
    blocked = model_folder.model_card(
        "x", {"model": "espnet"}, meta, [], [], espnet_blockers=["--encoder hf_wavlm is not"]
    )
    assert "Not loadable by ESPnet's own `Speech2Text`: --encoder hf_wavlm" in blocked
