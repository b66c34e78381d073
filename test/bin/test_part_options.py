"""part_options: the stage-6 LLM paths go to whichever part takes them, named by nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from espnet_mtasr.bin import part_options

CONF = Path(__file__).resolve().parents[2] / "egs2" / "mini_librimix" / "mtasr1" / "conf"
PATHS = ["llm_path=exp/llm", "tokenizer_path=exp/llm"]
LLM = "--decoder_conf llm_path=exp/llm --decoder_conf tokenizer_path=exp/llm"


@pytest.mark.parametrize(
    "config, expected",
    [
        ("train_llm_sot_full.yaml", LLM),
        ("train_encoder_only.yaml", LLM),  # the LLM-SOT teacher
        ("train_encoder_only_noteacher.yaml", ""),
        ("train_sot_conformer.yaml", ""),  # shares the LLM's tokenizer, loads no LLM
    ],
)  # fmt: skip
def test_paths_go_to_the_parts_that_take_them(config, expected, capsys):
    part_options.main(["--config", str(CONF / config), *PATHS])
    assert capsys.readouterr().out.strip() == expected


def test_bad_value_and_bad_yaml(tmp_path, capsys):
    with pytest.raises(SystemExit):
        part_options.main(["--config", str(CONF / "train_llm_sot.yaml"), "llm_path"])
    assert "'llm_path' is not key=value" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("decoder: [hf_llm\n")
    with pytest.raises(SystemExit):
        part_options.main(["--config", str(bad), *PATHS])
    assert f"{bad}: not YAML" in capsys.readouterr().err
