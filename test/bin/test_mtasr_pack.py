"""Packing (mtasr_pack, and ESPnet's ``espnet2.bin.pack asr``); decoding from the zip alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from espnet2.bin import pack
from task_helpers import (
    PACK_ARGS,
    RECIPE_BPE_DIR,
    RECIPE_STATS,
    save_random_model,
    tiny_sot_config,
    write_bpe_mvn_sot_recipe,
    write_yaml,
)

from espnet_mtasr.bin import mtasr_inference, mtasr_pack
from espnet_mtasr.bin.mtasr_inference import MTSpeech2Text

STATS = RECIPE_STATS
BPE_DIR = RECIPE_BPE_DIR
DECODE = ["--beam_size", "2", "--ctc_weight", "0.3", "--maxlenratio", "0.5"]
DECODE += ["--log_level", "WARNING"]


def _recipe_with_exp(recipe: Path) -> None:
    """In ``recipe`` (the cwd): a BPE token list with <sc>, global_mvn stats, a random
    tiny model in exp/asr, all named by paths relative to the recipe, as asr.sh does."""
    write_bpe_mvn_sot_recipe(mean_scale=100.0, sum_square=1e4)


def _espnet_pack(*option: str) -> Path:
    """ESPnet's own packer: the config's files must be given as --option."""
    opts = [x for o in option for x in ("--option", o)]
    pack.main(["asr", *PACK_ARGS, *opts])
    return Path("exp/asr/model.zip")


def _mtasr_pack(*extra: str) -> Path:
    """mtasr_pack adds the config's files (bpe model, global-MVN stats) itself."""
    mtasr_pack.main([*PACK_ARGS, *extra])
    return Path("exp/asr/model.zip")


def _move_to_fresh_dir(zip_path: Path, recipe: Path, fresh: Path, monkeypatch) -> Path:
    fresh.mkdir()
    shutil.move(zip_path, fresh / "model.zip")
    monkeypatch.chdir(fresh)
    shutil.rmtree(recipe)
    return fresh / "model.zip"


@pytest.fixture
def packed(tmp_path, monkeypatch) -> Path:
    """model.zip (mtasr_pack) in a fresh directory; the recipe that made it is gone."""
    recipe = tmp_path / "recipe"
    recipe.mkdir()
    monkeypatch.chdir(recipe)
    _recipe_with_exp(recipe)
    Path("exp/asr/RESULTS.md").write_text("# results\n")
    zip_path = _mtasr_pack("--option", "exp/asr/RESULTS.md")
    assert sorted(p.name for p in Path("exp/asr").iterdir()) == [
        "RESULTS.md",
        "config.yaml",
        "model.pth",
        "model.zip",
    ]  # no temporary file left
    return _move_to_fresh_dir(zip_path, recipe, tmp_path / "fresh", monkeypatch)


def test_decode_wav_from_zip_alone(packed, capsys):
    rng = np.random.default_rng(2)
    sf.write("a.wav", (0.1 * rng.standard_normal(16000)).astype("float32"), 16000)
    mtasr_inference.main(["--model_file", str(packed), "--wav", "a.wav", *DECODE])
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1


def test_decode_data_dir_from_zip_batch_equals_single(packed):
    rng = np.random.default_rng(3)
    lines = []
    for i, utt in enumerate(["utt1", "utt2"]):
        sf.write(f"{utt}.wav", (0.1 * rng.standard_normal(16000 - 3000 * i)), 16000)
        lines.append(f"{utt} {Path(f'{utt}.wav').resolve()}\n")
    Path("wav.scp").write_text("".join(lines))
    for bs in (1, 2):
        mtasr_inference.main(
            [
                "--model_file",
                str(packed),
                "--data_path_and_name_and_type",
                "wav.scp,speech,sound",
                "--batch_size",
                str(bs),
                "--num_workers",
                "0",
                "--output_dir",
                f"out{bs}",
                *DECODE,
            ]
        )
    for name in ("text", "token", "token_int", "score"):
        one = Path(f"out1/1best_recog/{name}").read_text()
        assert one == Path(f"out2/1best_recog/{name}").read_text()
        assert [ln.split(maxsplit=1)[0] for ln in one.splitlines()] == ["utt1", "utt2"]


def test_from_packed_api_reuses_unpack_dir(packed, tmp_path):
    s2t = MTSpeech2Text.from_packed(packed, unpack_dir=tmp_path / "unpacked", beam_size=2)
    assert Path(s2t.asr_train_args.bpemodel).is_file()
    assert str(tmp_path / "unpacked") in s2t.asr_train_args.bpemodel
    pieces = s2t.tokenizer.text2tokens("the cat <sc> a dog")
    assert "<sc>" in pieces and s2t.tokenizer.tokens2text(pieces) == "the cat <sc> a dog"
    again = MTSpeech2Text.from_packed(packed, unpack_dir=tmp_path / "unpacked", beam_size=2)
    assert again.asr_train_args.token_list == s2t.asr_train_args.token_list


def test_zip_holds_config_files(packed):
    import zipfile

    names = set(zipfile.ZipFile(packed).namelist())
    assert {
        "meta.yaml",
        "exp/asr/inference/config.yaml",  # ESPnet's ASRTask config (espnet_asr_config)
        "exp/asr/model.pth",
        STATS,
        f"{BPE_DIR}/bpe.model",
        "exp/asr/RESULTS.md",
    } <= names


def test_espnet_asr_config_of_each_family(tmp_path):
    """The espnet family loses MTASRTask's own (unset) kinds; what ESPnet cannot build
    is named and the config kept."""
    from llm_helpers import SOP_PARTS

    sot = tiny_sot_config(tmp_path, separator=None, separator_conf={}, talker_count=None)
    conf, blockers = mtasr_pack.espnet_asr_config(sot)
    assert blockers == [] and conf["model"] == "espnet" and conf["encoder"] == "conformer"
    assert not {"separator", "separator_conf", "talker_count"} & set(conf)
    wavlm = {**sot, "encoder": "hf_wavlm"}
    assert mtasr_pack.espnet_asr_config(wavlm) == (
        wavlm,
        ["--encoder hf_wavlm is not one of ESPnet's"],
    )
    sop = {**sot, **SOP_PARTS, "model": "sop_llm", "decoder": "hf_llm"}
    conf, blockers = mtasr_pack.espnet_asr_config(sop)
    assert blockers == [
        "--model sop_llm is not one of ESPnet's",
        "--decoder hf_llm is not one of ESPnet's",
        "--separator lstm is not an ESPnet kind",
        "--serialized_ctc linear is not an ESPnet kind",
    ]
    assert conf["separator"] == "lstm"


def test_espnet_pack_is_compatible(tmp_path, monkeypatch, capsys):
    recipe = tmp_path / "recipe"
    recipe.mkdir()
    monkeypatch.chdir(recipe)
    _recipe_with_exp(recipe)
    zip_path = _espnet_pack(STATS, f"{BPE_DIR}/bpe.model")
    zip_path = _move_to_fresh_dir(zip_path, recipe, tmp_path / "fresh", monkeypatch)
    capsys.readouterr()  # ESPnet's packer prints what it adds
    sf.write("a.wav", np.zeros(16000, dtype="float32"), 16000)
    mtasr_inference.main(["--model_file", str(zip_path), "--wav", "a.wav", *DECODE])
    assert len(capsys.readouterr().out.strip().splitlines()) == 1


def test_espnet_pack_without_stats_fails_clearly_at_decoding(tmp_path, monkeypatch):
    recipe = tmp_path / "recipe"
    recipe.mkdir()
    monkeypatch.chdir(recipe)
    _recipe_with_exp(recipe)
    zip_path = _espnet_pack(f"{BPE_DIR}/bpe.model").resolve()  # no feats_stats.npz
    monkeypatch.chdir(tmp_path)
    shutil.rmtree(recipe / "exp" / "asr_stats")
    with pytest.raises(ValueError, match=r"stats_file .* not found.*--option"):
        MTSpeech2Text.from_packed(zip_path)


def test_mtasr_pack_missing_files_are_one_line_errors(tmp_path, monkeypatch, capsys):
    recipe = tmp_path / "recipe"
    recipe.mkdir()
    monkeypatch.chdir(recipe)
    _recipe_with_exp(recipe)
    with pytest.raises(SystemExit) as e:
        _mtasr_pack("--option", "exp/asr/RESULTS.md")
    assert e.value.code == 1 and "RESULTS.md" in capsys.readouterr().err
    Path(STATS).unlink()
    with pytest.raises(SystemExit):
        _mtasr_pack()
    err = capsys.readouterr().err
    assert "normalize_conf.stats_file" in err and STATS in err
    assert not Path("exp/asr/model.zip").exists()


def test_encoder_only_packs_without_its_teacher(tmp_path, monkeypatch):
    """The LLM teacher is training-only: the archive has no weights of it, holds only the
    tokenizer files of the HF folder, and decodes as the exp dir does once the LLM and
    the recipe are gone."""
    import zipfile

    import torch
    from llm_helpers import encoder_only_config, make_tiny_llm

    recipe = tmp_path / "recipe"
    recipe.mkdir()
    monkeypatch.chdir(recipe)
    llm_dir = make_tiny_llm(Path("exp"), "llama")  # tokenizer + LLM weights, as exp/llm
    config = encoder_only_config(Path("."), llm_dir)
    save_random_model(write_yaml(Path("conf/train.yaml"), config), Path("exp/asr"))
    assert any(k.startswith("decoder.") for k in torch.load("exp/asr/model.pth"))
    wav = np.random.default_rng(4).standard_normal(24000).astype("float32") * 0.1
    expected = MTSpeech2Text("exp/asr/config.yaml", "exp/asr/model.pth")(wav)[0]

    zip_path = _mtasr_pack()
    assert sorted(p.name for p in Path("exp/asr").iterdir()) == [
        "config.yaml",
        "model.pth",
        "model.zip",
    ]  # the teacher-free inputs written for packing are gone
    names = set(zipfile.ZipFile(zip_path).namelist())
    assert {"exp/asr/inference/config.yaml", "exp/asr/inference/model.pth"} <= names
    assert f"{llm_dir}/tokenizer.json" in names
    assert not [n for n in names if n.endswith(".safetensors")]

    zip_path = _move_to_fresh_dir(zip_path, recipe, tmp_path / "fresh", monkeypatch)
    s2t = MTSpeech2Text.from_packed(zip_path, unpack_dir=tmp_path / "unpacked")
    assert s2t.asr_model.decoder is None
    assert not any(k.startswith("decoder.") for k in s2t.asr_model.state_dict())
    assert Path(s2t.asr_train_args.bpemodel) == tmp_path / "unpacked" / llm_dir
    got = s2t(wav)[0]
    assert got[0] == expected[0] and got[2] == expected[2]
    assert got[3].extras["talker_count"] == expected[3].extras["talker_count"]
