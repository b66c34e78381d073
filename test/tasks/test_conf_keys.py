"""Nested ``<kind>_conf`` keys against the chosen class (``conf_keys``,
``MTASRTask.check_conf_keys``): an unknown key or a derived argument is an MTASRInputError
naming the option, the key, the class and the closest names, from ``build_model`` too; every
recipe training YAML passes, as mtasr.sh runs it and as ``--print_config`` prints it."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from espnet2.asr.encoder.conformer_encoder import ConformerEncoder
from espnet2.asr.encoder.hubert_encoder import FairseqHubertPretrainEncoder
from espnet2.asr_transducer.joint_network import JointNetwork
from task_helpers import parse_config, tiny_sot_config, write_yaml

from espnet_mtasr.bin import mtasr_train
from espnet_mtasr.tasks.conf_keys import (
    NestedConf,
    check_nested_conf,
    constructor_keywords,
    yaml_key_line,
)
from espnet_mtasr.tasks.mtasr import MTASRTask
from espnet_mtasr.utils.errors import MTASRInputError

REPO = Path(__file__).resolve().parents[2]
CONF_DIRS = sorted(REPO.glob("egs2/*/mtasr1/conf"))
RECIPE_CONFIGS = sorted(str(p.relative_to(REPO)) for d in CONF_DIRS for p in d.glob("train_*.yaml"))
CONFORMER = "espnet2.asr.encoder.conformer_encoder.ConformerEncoder"

# --------------------------------------------------------------------------- conf_keys


def test_constructor_keywords_are_the_parameters_and_kwargs_accepts_anything():
    keys = constructor_keywords(ConformerEncoder)
    assert {"input_size", "output_size", "num_blocks"} <= keys and "self" not in keys
    # **kwargs forwarded to an open-ended config (fairseq overrides, activation params)
    assert constructor_keywords(FairseqHubertPretrainEncoder) is None
    assert constructor_keywords(JointNetwork) is None


def test_yaml_key_line_finds_nested_keys_only_where_set(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("# note\nencoder: conformer\nencoder_conf:\n    output_size: 8\n")
    assert yaml_key_line(config, "encoder_conf") == 3
    assert yaml_key_line(config, "encoder_conf", "output_size") == 4
    assert yaml_key_line(config, "encoder_conf", "num_blocks") is None
    assert yaml_key_line(config, "decoder_conf", "output_size") is None
    assert yaml_key_line(tmp_path / "missing.yaml", "encoder_conf") is None
    assert yaml_key_line(None, "encoder_conf") is None


def test_several_unknown_keys_are_named_together_with_the_valid_names():
    nested = NestedConf(
        "encoder_conf",
        {"outptu_size": 8, "zzz": 1},
        ConformerEncoder,
        "--encoder conformer",
        derived=frozenset({"input_size"}),
    )
    with pytest.raises(MTASRInputError) as e:
        check_nested_conf(nested)
    msg = str(e.value)
    assert msg.startswith("--encoder_conf: unknown keys 'outptu_size', 'zzz' for --encoder")
    assert "did you mean 'output_size' for 'outptu_size'?" in msg
    assert "ConformerEncoder takes: " in msg and "num_blocks" in msg
    assert e.value.path is None  # no --config: nothing to name


def test_conf_that_is_no_mapping_is_an_error():
    with pytest.raises(MTASRInputError, match="--encoder_conf must be a mapping"):
        check_nested_conf(NestedConf("encoder_conf", [8], ConformerEncoder))


# --------------------------------------------------------------------------- build_model


def _build(tmp_path, token_dir, *extra: str, **overrides):
    config = write_yaml(tmp_path / "c.yaml", tiny_sot_config(token_dir, **overrides))
    with pytest.raises(MTASRInputError) as e:
        MTASRTask.build_model(parse_config(config, *extra))
    return config, e.value


def _line_of(config: Path, key: str) -> int:
    lines = config.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.strip().startswith(f"{key}:"))


@pytest.mark.parametrize(
    "option,bad,cls,close",
    [
        ("encoder_conf", "outptu_size", CONFORMER, "output_size"),
        (
            "decoder_conf",
            "num_block",
            "espnet2.asr.decoder.transformer_decoder.TransformerDecoder",
            "num_blocks",
        ),
        ("model_conf", "ctc_weigth", "espnet2.asr.espnet_model.ESPnetASRModel", "ctc_weight"),
        ("frontend_conf", "n_melz", "espnet2.asr.frontend.default.DefaultFrontend", "n_mels"),
        ("ctc_conf", "dropout", "espnet2.asr.ctc.CTC", "dropout_rate"),
        ("optim_conf", "lrr", "torch.optim.adadelta.Adadelta", "lr"),
    ],
)
def test_build_model_names_an_unknown_key_instead_of_a_type_error(
    tmp_path, token_dir, option, bad, cls, close
):
    conf = dict(tiny_sot_config(token_dir).get(option) or {}, **{bad: 1})
    config, err = _build(tmp_path, token_dir, **{option: conf})
    msg = str(err)
    assert f"--{option}: unknown key {bad!r} for " in msg and cls in msg
    assert f"did you mean {close!r}" in msg and err.fix == f"rename it to {close!r} in {option}"
    assert err.path == str(config) and err.line == _line_of(config, bad)


def test_key_from_the_command_line_names_no_file(tmp_path, token_dir):
    _, err = _build(tmp_path, token_dir, "--encoder_conf", "outptu_size=8")
    assert "--encoder_conf: unknown key 'outptu_size'" in str(err) and err.path is None


@pytest.mark.parametrize(
    "option,derived",
    [("encoder_conf", "input_size"), ("decoder_conf", "vocab_size"), ("model_conf", "encoder")],
)
def test_conf_may_not_set_what_build_model_derives(tmp_path, token_dir, option, derived):
    conf = dict(tiny_sot_config(token_dir).get(option) or {}, **{derived: 4})
    config, err = _build(tmp_path, token_dir, **{option: conf})
    assert f"--{option} sets [{derived!r}], which build_model derives" in str(err)
    assert err.path == str(config)


def test_preprocessor_conf_is_checked_against_the_preprocessor(tmp_path, token_dir):
    _, err = _build(tmp_path, token_dir, preprocessor_conf={"speech_nme": "speech"})
    assert "--preprocessor_conf: unknown key 'speech_nme' for --preprocessor default" in str(err)
    _, err = _build(tmp_path, token_dir, preprocessor_conf={"token_type": "char"})
    assert "--preprocessor_conf sets ['token_type'], which build_preprocess_fn" in str(err)


def test_ignored_confs_are_not_checked(tmp_path, token_dir):
    """What build_model drops is not refused: frontend_conf when features come from the
    data loader, preprocessor_conf without the preprocessor."""
    config = write_yaml(
        tmp_path / "c.yaml",
        tiny_sot_config(
            token_dir,
            input_size=16,
            frontend_conf={"nosuch": 1},
            use_preprocessor=False,
            preprocessor_conf={"nosuch": 1},
        ),
    )
    model = MTASRTask.build_model(parse_config(config))
    assert model.frontend is None


# --------------------------------------------------------------------------- recipes


def _as_mtasr_sh_runs(config: str) -> list:
    """``--config`` plus what mtasr.sh adds in stages 10-11 (paths need not exist)."""
    conf = yaml.safe_load((REPO / config).read_text())
    cmd = ["--config", str(REPO / config), "--use_preprocessor", "true"]
    cmd += ["--token_list", "tokens.txt", "--frontend_conf", "fs=16000"]
    if conf.get("decoder") == "hf_llm":
        cmd += ["--decoder_conf", "llm_path=llm", "--decoder_conf", "tokenizer_path=llm"]
    if conf.get("normalize") == "global_mvn":
        cmd += ["--normalize_conf", "stats_file=stats/train/feats_stats.npz"]
    return cmd


def test_recipe_conf_dirs_hold_only_training_and_decoding_configs():
    """So that RECIPE_CONFIGS (train_*.yaml) misses no training config."""
    assert len(CONF_DIRS) >= 5 and len(RECIPE_CONFIGS) >= 20
    for conf_dir in CONF_DIRS:
        for p in conf_dir.glob("*.yaml"):
            assert p.name.startswith(("train_", "decode_")), p


@pytest.mark.parametrize("config", RECIPE_CONFIGS)
def test_recipe_training_config_passes_and_a_typo_in_it_is_found(tmp_path, capsys, config):
    MTASRTask.check_conf_keys(MTASRTask.get_parser().parse_args(_as_mtasr_sh_runs(config)))

    # and what --print_config prints for it (every default key written out) passes too
    with pytest.raises(SystemExit) as e:
        mtasr_train.main(["--print_config", *_as_mtasr_sh_runs(config)])
    assert e.value.code == 0
    printed = write_yaml(tmp_path / "printed.yaml", yaml.safe_load(capsys.readouterr().out))
    MTASRTask.check_conf_keys(MTASRTask.get_parser().parse_args(["--config", str(printed)]))

    # the check is live on this config: a misspelt encoder key is refused
    conf = yaml.safe_load((REPO / config).read_text())
    bad = copy.deepcopy(conf)
    key = next(iter(bad["encoder_conf"]))
    bad["encoder_conf"][key + "x"] = bad["encoder_conf"].pop(key)
    typo = write_yaml(tmp_path / "typo.yaml", bad)
    with pytest.raises(MTASRInputError, match=f"did you mean {key!r}"):
        MTASRTask.check_conf_keys(MTASRTask.get_parser().parse_args(["--config", str(typo)]))
