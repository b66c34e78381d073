"""espnet_mtasr.bin.speech_reliance: accuracy with speech vs silence; bad input."""

from __future__ import annotations

import json

import pytest
from llm_helpers import llm_sot_config, make_tiny_llm
from task_helpers import save_random_model, write_kaldi_dir, write_yaml

from espnet_mtasr.bin import speech_reliance


def test_speech_and_silence_on_the_same_tokens(tmp_path, capsys):
    llm_dir = make_tiny_llm(tmp_path, "llama")
    config = write_yaml(tmp_path / "train.yaml", llm_sot_config(tmp_path, llm_dir))
    exp = save_random_model(config, tmp_path / "exp").parent
    texts = {"2spk-a": "SHE OPENED AN APPLE <sc> WE COULD SING", "1spk-b": "A DOG RAN"}
    data = write_kaldi_dir(tmp_path / "data", texts=texts)
    out = tmp_path / "r.json"
    speech_reliance.main(
        ["--exp", str(exp), "--model", "model.pth", "--data", str(data), "--out", str(out)]
    )
    result = json.loads(out.read_text())
    assert result["speech"]["tokens"] == result["silence"]["tokens"] > 0
    assert 0 <= result["speech"]["accuracy"] <= 1
    assert "silence: teacher-forced token accuracy" in capsys.readouterr().out


def test_a_model_without_llm_is_refused(tmp_path, sot_config, kaldi_dir, capsys):
    exp = save_random_model(sot_config, tmp_path / "exp").parent
    with pytest.raises(SystemExit):
        speech_reliance.main(["--exp", str(exp), "--model", "model.pth", "--data", str(kaldi_dir)])
    assert "needs a model with an LLM decoder" in capsys.readouterr().err
