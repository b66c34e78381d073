"""mtasr_train: --help, --print_config round trip, collect_stats + 1 epoch + decoding;
a typo in a nested option (``encoder_conf: {outptu_size: 8}``) stops it with one line."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest
import torch
import yaml
from espnet2.asr.espnet_model import ESPnetASRModel
from task_helpers import TEXTS, char_tokens, parse_config, tiny_sot_config, write_yaml

from espnet_mtasr.bin import mtasr_inference, mtasr_train
from espnet_mtasr.tasks.mtasr import MTASRTask


def test_help_lists_new_options(capsys):
    with pytest.raises(SystemExit) as e:
        mtasr_train.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for opt in ("--separator", "--separator_conf", "--serialized_ctc", "--model", "--encoder"):
        assert opt in out


def _print_config(capsys, *cmd: str) -> str:
    with pytest.raises(SystemExit) as e:
        mtasr_train.main(["--print_config", *cmd])
    assert e.value.code == 0
    return capsys.readouterr().out


def test_print_config_round_trip(tmp_path, capsys, sot_config):
    printed = _print_config(capsys, "--config", str(sot_config))
    config = yaml.safe_load(printed)
    assert config["encoder"] == "conformer" and config["decoder"] == "transformer"
    assert config["separator"] is None and config["serialized_ctc"] is None
    assert config["encoder_conf"]["output_size"] == 16  # the YAML value over the default
    assert "num_blocks" in config["decoder_conf"] and "dropout_rate" in config["decoder_conf"]

    dumped = tmp_path / "printed.yaml"
    dumped.write_text(printed, encoding="utf-8")
    reprinted = _print_config(capsys, "--config", str(dumped))
    assert reprinted == printed

    model = MTASRTask.build_model(parse_config(dumped))
    reference = MTASRTask.build_model(parse_config(sot_config))
    assert isinstance(model, ESPnetASRModel)
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    assert shapes == {k: v.shape for k, v in reference.state_dict().items()}


def test_print_config_uses_cmd_not_process_argv(capsys):
    printed = yaml.safe_load(_print_config(capsys, "--encoder", "transformer"))
    assert printed["encoder"] == "transformer"
    assert "output_size" in printed["encoder_conf"]


def _print_config_process(cwd: Path, *cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "espnet_mtasr.bin.mtasr_train", "--print_config", *cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_print_config_stdout_is_only_yaml(tmp_path):
    """The documented ``--print_config > c.yaml`` round trip, as a user runs it: ESPnet's
    import-time notices (flash_attn, nltk downloads) must stay off stdout."""
    first = _print_config_process(tmp_path)
    assert first.returncode == 0, first.stderr
    config = yaml.safe_load(first.stdout)
    assert isinstance(config, dict) and config["encoder"] == "rnn", first.stdout[:300]
    (tmp_path / "c.yaml").write_text(first.stdout, encoding="utf-8")

    second = _print_config_process(tmp_path, "--config", "c.yaml")
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    for r in (first, second):
        assert "Flash Attention" not in r.stdout
        assert "[nltk_data]" not in r.stderr, r.stderr


def test_input_error_is_one_line(tmp_path, capsys, token_dir):
    config = write_yaml(tmp_path / "c.yaml", tiny_sot_config(token_dir, encoder="nosuch"))
    with pytest.raises(SystemExit) as e:
        mtasr_train.main(["--config", str(config), "--output_dir", str(tmp_path / "exp")])
    assert e.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("ERROR: unknown --encoder 'nosuch'") and "conformer" in err


def _data_opts(data: Path, split: str) -> list:
    return [
        f"--{split}_data_path_and_name_and_type",
        f"{data}/wav.scp,speech,sound",
        f"--{split}_data_path_and_name_and_type",
        f"{data}/text,text,text",
    ]


def test_collect_stats_train_one_epoch_and_decode(tmp_path, sot_config, kaldi_dir):
    """The recipe's stages 10-12 on 4 random-noise utterances (SOT text with <sc>)."""
    stats, exp = tmp_path / "exp" / "asr_stats", tmp_path / "exp" / "asr"
    common = ["--config", str(sot_config), "--use_preprocessor", "true", "--num_workers", "0"]
    common += ["--log_level", "WARNING"]

    # Stage 10: collect stats (global_mvn is configured for training: no --normalize none)
    mtasr_train.main(
        [
            *common,
            "--collect_stats",
            "true",
            *_data_opts(kaldi_dir, "train"),
            *_data_opts(kaldi_dir, "valid"),
            "--train_shape_file",
            f"{kaldi_dir}/wav.scp",
            "--valid_shape_file",
            f"{kaldi_dir}/wav.scp",
            "--output_dir",
            str(stats),
            "--normalize",
            "global_mvn",
        ]
    )
    text_shape = (stats / "train" / "text_shape").read_text().split()
    assert dict(zip(text_shape[::2], text_shape[1::2]))["2spk-a"] == "23"  # <sc> = 1 token
    n_tokens = len(char_tokens())
    for split in ("train", "valid"):  # as asr.sh: append the vocabulary size
        lines = (stats / split / "text_shape").read_text().splitlines()
        (stats / split / "text_shape.char").write_text(
            "".join(f"{line},{n_tokens}\n" for line in lines)
        )

    # Stage 11: train one epoch with ESPnet's Trainer
    mtasr_train.main(
        [
            *common,
            "--normalize",
            "global_mvn",
            "--normalize_conf",
            f"stats_file={stats}/train/feats_stats.npz",
            *_data_opts(kaldi_dir, "train"),
            *_data_opts(kaldi_dir, "valid"),
            "--train_shape_file",
            f"{stats}/train/speech_shape",
            "--train_shape_file",
            f"{stats}/train/text_shape.char",
            "--valid_shape_file",
            f"{stats}/valid/speech_shape",
            "--valid_shape_file",
            f"{stats}/valid/text_shape.char",
            "--fold_length",
            "80000",
            "--fold_length",
            "150",
            "--batch_type",
            "folded",
            "--batch_size",
            "2",
            "--max_epoch",
            "1",
            "--optim",
            "adam",
            "--optim_conf",
            "lr=0.001",
            "--num_att_plot",
            "0",
            "--use_matplotlib",
            "false",
            "--use_tensorboard",
            "false",
            "--output_dir",
            str(exp),
        ]
    )
    assert (exp / "1epoch.pth").is_file() and (exp / "valid.acc.ave.pth").exists()
    config = yaml.safe_load((exp / "config.yaml").read_text())
    assert config["token_list"] == char_tokens() and config["normalize"] == "global_mvn"
    state = torch.load(exp / "valid.acc.ave.pth", weights_only=True)
    assert "normalize.mean" in state

    # Stage 12: decode two utterances a batch, and one by one: same result
    outputs = {}
    for batch_size in (1, 2):
        out = tmp_path / f"decode_bs{batch_size}"
        mtasr_inference.main(
            [
                "--asr_train_config",
                str(exp / "config.yaml"),
                "--asr_model_file",
                str(exp / "valid.acc.ave.pth"),
                "--data_path_and_name_and_type",
                f"{kaldi_dir}/wav.scp,speech,sound",
                "--batch_size",
                str(batch_size),
                "--beam_size",
                "3",
                "--ctc_weight",
                "0.3",
                "--maxlenratio",
                "0.5",
                "--num_workers",
                "0",
                "--log_level",
                "WARNING",
                "--output_dir",
                str(out),
            ]
        )
        outputs[batch_size] = {
            f: (out / "1best_recog" / f).read_text() for f in ("text", "token", "score")
        }
    assert outputs[1] == outputs[2]
    keys = [line.split(maxsplit=1)[0] for line in outputs[1]["token"].splitlines()]
    assert keys == sorted(TEXTS)


# ------------------------------------------- typos in nested options (<kind>_conf keys)

REPO = Path(__file__).resolve().parents[2]
MINI_CONF = REPO / "egs2" / "mini_librimix" / "mtasr1" / "conf"


def _tree(path: Path) -> Optional[dict]:
    """Every file under ``path`` with the hash of its bytes; ``None`` if it does not exist."""
    if not path.exists():
        return None
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def test_print_config_with_a_nested_typo_is_one_line_and_exit_1(tmp_path):
    """The issue's example, as a user runs it: nothing on stdout, no traceback."""
    (tmp_path / "c.yaml").write_text(
        "encoder: conformer\nencoder_conf:\n    outptu_size: 8\n", encoding="utf-8"
    )
    r = _print_config_process(tmp_path, "--config", "c.yaml")
    assert r.returncode == 1 and r.stdout == ""
    assert "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1] == (
        "ERROR: c.yaml:3: --encoder_conf: unknown key 'outptu_size' for --encoder conformer "
        "(espnet2.asr.encoder.conformer_encoder.ConformerEncoder); did you mean "
        "'output_size'? (fix: rename it to 'output_size' in encoder_conf)"
    )


# (id, base config: the tiny SOT-AED or a mini_librimix recipe YAML, option, misspelt key,
#  the class it goes to, the closest valid name)
NESTED_TYPOS = [
    (
        "encoder",
        None,
        "encoder_conf",
        "outptu_size",
        "espnet2.asr.encoder.conformer_encoder.ConformerEncoder",
        "output_size",
    ),
    (
        "decoder",
        None,
        "decoder_conf",
        "attention_head",
        "espnet2.asr.decoder.transformer_decoder.TransformerDecoder",
        "attention_heads",
    ),
    (
        "model-espnet",
        None,
        "model_conf",
        "lsm_wieght",
        "--model espnet (espnet2.asr.espnet_model.ESPnetASRModel)",
        "lsm_weight",
    ),
    (
        "model-encoder_only",
        "train_encoder_only.yaml",
        "model_conf",
        "count_wieght",
        "--model encoder_only (espnet_mtasr.models.encoder_only_model.EncoderOnlyModel)",
        "count_weight",
    ),
    (
        "model-sop_llm",
        "train_sop_llm_b.yaml",
        "model_conf",
        "use_sopp",
        "--model sop_llm (espnet_mtasr.models.sop_llm_model.SOPLLMModel)",
        "use_sop",
    ),
    (
        "separator",
        "train_sop_llm_b.yaml",
        "separator_conf",
        "hiden_size",
        "--separator lstm (espnet_mtasr.asr.separator.lstm_separator.LSTMSeparator)",
        "hidden_size",
    ),
    (
        "talker_count",
        "train_encoder_only.yaml",
        "talker_count_conf",
        "num_talker",
        "espnet_mtasr.asr.talker_count.pooled_talker_count.PooledTalkerCount",
        "num_talkers",
    ),
]


def _config_with(tmp_path: Path, token_dir: Path, base: Optional[str], option: str, key: str):
    conf = (
        tiny_sot_config(token_dir)
        if base is None
        else yaml.safe_load((MINI_CONF / base).read_text(encoding="utf-8"))
    )
    conf[option] = {**(conf.get(option) or {}), key: 1}
    return write_yaml(tmp_path / "conf" / "train.yaml", conf)


def _train_fails(capsys, *cmd: str) -> str:
    """mtasr_train's last stderr line, after checking exit 1, no traceback, no stdout."""
    with pytest.raises(SystemExit) as e:
        mtasr_train.main(list(cmd))
    assert e.value.code == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err and out == ""
    return err.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "base,option,key,cls,close", [t[1:] for t in NESTED_TYPOS], ids=[t[0] for t in NESTED_TYPOS]
)
def test_training_stops_on_a_nested_typo_before_writing(
    tmp_path, capsys, token_dir, base, option, key, cls, close
):
    config = _config_with(tmp_path, token_dir, base, option, key)
    exp = tmp_path / "exp" / "asr"
    exp.mkdir(parents=True)
    (exp / "run.sh").write_text("# written by mtasr.sh\n", encoding="utf-8")
    before = _tree(exp)
    err = _train_fails(
        capsys,
        *("--config", str(config), "--token_list", str(token_dir / "tokens.txt")),
        *("--output_dir", str(exp)),
    )
    line = next(
        i
        for i, text in enumerate(config.read_text().splitlines(), 1)
        if text.strip().startswith(f"{key}:")
    )
    assert err.startswith(f"ERROR: {config}:{line}: --{option}: unknown key {key!r} for ")
    assert cls in err and f"did you mean {close!r}" in err  # the closest first
    assert _tree(exp) == before


def test_nested_typo_on_the_command_line_names_no_file(tmp_path, capsys, sot_config):
    exp = tmp_path / "exp" / "asr"
    err = _train_fails(
        capsys,
        *("--config", str(sot_config), "--encoder_conf", "outptu_size=8"),
        *("--output_dir", str(exp)),
    )
    assert err.startswith("ERROR: --encoder_conf: unknown key 'outptu_size' for --encoder ")
    assert "ConformerEncoder" in err and "did you mean 'output_size'?" in err
    assert _tree(exp) is None and not (tmp_path / "exp").exists()


def test_print_config_refuses_a_derived_size(tmp_path, capsys, token_dir):
    config = _config_with(tmp_path, token_dir, None, "encoder_conf", "input_size")
    err = _train_fails(capsys, "--print_config", "--config", str(config))
    assert err.startswith(f"ERROR: {config}:")
    assert "--encoder_conf sets ['input_size'], which build_model derives" in err
