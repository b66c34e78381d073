"""The packed SOT-AED (``model: espnet``) is ESPnet's own model: ESPnet's
``espnet2.bin.asr_inference.Speech2Text`` loads the mtasr_pack zip and decodes as
mtasr_inference does."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import yaml
from task_helpers import (
    PACK_ARGS,
    write_bpe_mvn_sot_recipe,
    write_yaml,
)

from espnet_mtasr.bin import mtasr_inference, mtasr_pack
from espnet_mtasr.text.sot import sot_parse

# The same search for both: beam 3, CTC weight 0.3, at most half the encoder frames.
DECODE = dict(beam_size=3, ctc_weight=0.3, maxlenratio=0.5)


def _recipe_with_sot_aed() -> None:
    """In the cwd, as asr.sh leaves it: a BPE token list with <sc>, global-MVN stats and a
    random tiny SOT-AED in exp/asr whose CTC and decoder favour <sc>, so that the decoded
    text has talkers to separate."""
    tokens = write_bpe_mvn_sot_recipe(mean_scale=1.0, sum_square=1e2)
    sc = tokens.read_text().split().index("<sc>")
    state = torch.load("exp/asr/model.pth")
    state["decoder.output_layer.bias"][sc] += 0.5
    state["ctc.ctc_lo.bias"][sc] += 0.5
    torch.save(state, "exp/asr/model.pth")


@pytest.fixture
def packed(tmp_path, monkeypatch) -> Path:
    """model.zip of mtasr_pack and its model_hf folder, alone in a fresh directory (the
    recipe is gone), and 3 wavs."""
    recipe = tmp_path / "recipe"
    recipe.mkdir()
    monkeypatch.chdir(recipe)
    _recipe_with_sot_aed()
    mtasr_pack.main([*PACK_ARGS, "--hf_dir", "exp/asr/model_hf"])
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.move("exp/asr/model.zip", fresh / "model.zip")
    shutil.move("exp/asr/model_hf", fresh / "model_hf")
    monkeypatch.chdir(fresh)
    shutil.rmtree(recipe)
    rng = np.random.default_rng(1)
    for i in range(3):
        sf.write(f"mix{i}.wav", (0.1 * rng.standard_normal(16000 - 2000 * i)), 16000)
    return fresh / "model.zip"


def test_espnet_speech2text_decodes_the_zip_as_mtasr_inference(packed, tmp_path, capsys):
    from espnet2.asr.espnet_model import ESPnetASRModel
    from espnet2.bin.asr_inference import Speech2Text
    from espnet2.main_funcs.pack_funcs import unpack

    files = unpack(packed, tmp_path / "espnet_unpacked")  # what espnet_model_zoo does
    s2t = Speech2Text.from_pretrained(**files, **DECODE)
    assert type(s2t.asr_model) is ESPnetASRModel
    assert type(s2t.beam_search).__name__ == "BatchBeamSearch"
    wavs = sorted(Path(".").glob("mix*.wav"))
    espnet_texts = [s2t(sf.read(w, dtype="float32")[0])[0][0] for w in wavs]

    capsys.readouterr()
    opts = [x for k, v in DECODE.items() for x in (f"--{k}", str(v))]
    wav_args = [x for w in wavs for x in ("--wav", str(w))]
    mtasr_inference.main(["--model_file", str(packed), *wav_args, *opts, "--log_level", "ERROR"])
    ours = [ln.split(maxsplit=1) for ln in capsys.readouterr().out.strip().splitlines()]
    assert [w for w, *_ in ours] == [str(w) for w in wavs]
    assert [t[0] if t else "" for _, *t in ours] == espnet_texts
    assert all(len(sot_parse(t)) > 1 for t in espnet_texts)  # talkers to separate


def test_packed_config_is_espnet_asr_task_config(packed, tmp_path):
    """Every key of the packed config is an option of ESPnet's ASRTask (MTASRTask's own
    kinds are left out), as in an ESPnet asr.sh config."""
    from espnet2.main_funcs.pack_funcs import unpack
    from espnet2.tasks.asr import ASRTask

    files = unpack(packed, tmp_path / "unpacked")
    with open(files["asr_train_config"], encoding="utf-8") as f:
        conf = yaml.safe_load(f)
    assert conf["model"] == "espnet"
    assert not {"separator", "serialized_ctc", "talker_count", "speaker_encoder"} & set(conf)
    del conf["required"]  # ESPnet's parser default, in every ESPnet training config
    espnet_config = write_yaml(tmp_path / "espnet.yaml", conf)
    args = ASRTask.get_parser().parse_args(["--config", str(espnet_config)])
    assert args.model == "espnet" and args.token_type == "bpe"


def test_espnet_speech2text_reads_the_hf_folder_in_place(packed, monkeypatch):
    """As the model card says: from the folder, ESPnet's Speech2Text with the meta.yaml
    paths (the config's paths are relative to the folder) decodes as the API does."""
    from espnet2.bin.asr_inference import Speech2Text

    from espnet_mtasr.inference import MultiTalkerSpeech2Text

    hf = packed.parent / "model_hf"
    wav = packed.parent / "mix0.wav"
    ours = MultiTalkerSpeech2Text.from_pretrained(hf, **DECODE).decode_file(wav)
    meta = yaml.safe_load((hf / "meta.yaml").read_text())
    monkeypatch.chdir(hf)
    s2t = Speech2Text(
        asr_train_config=meta["yaml_files"]["asr_train_config"],
        asr_model_file=meta["files"]["asr_model_file"],
        **DECODE,
    )
    text, _, token_ids, _ = s2t(sf.read(wav, dtype="float32")[0])[0]
    assert (text, token_ids) == (ours.text, ours.token_ids)
    assert len(ours.streams) > 1
