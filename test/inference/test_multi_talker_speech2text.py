"""MultiTalkerSpeech2Text, every model family: the API decodes as mtasr_inference does,
from the exp dir, the mtasr_pack zip and its Hugging Face-style folder."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import pytest
import soundfile as sf
import torch
from llm_helpers import (
    SPK_TAGS,
    encoder_only_config,
    llm_sot_config,
    make_tiny_llm,
    sa_llm_config,
    sop_llm_config,
)
from task_helpers import (
    save_random_model,
    tiny_sot_config,
    tiny_sot_exp,
    write_kaldi_dir,
    write_token_list,
    write_yaml,
)

from espnet_mtasr.bin import mtasr_inference, mtasr_pack
from espnet_mtasr.inference import MultiTalkerResult, MultiTalkerSpeech2Text
from espnet_mtasr.models.family_hypothesis import FamilyHypothesis
from espnet_mtasr.text.sot import sot_normalize, sot_parse
from espnet_mtasr.utils.errors import MTASRInputError

# The same decoding options for the API and the command line (each family reads its own).
OPTS = dict(beam_size=2, ctc_weight=0.3, maxlenratio=0.5, maxlen_base=2, maxlen_per_second=3.0)
FAMILIES = ("espnet", "llm_sot", "sop_llm", "encoder_only", "sa_llm")


def _say(state: Dict[str, torch.Tensor], head: str, token: int) -> None:
    """The linear layer ``head`` always outputs ``token`` (0: the blank)."""
    state[f"{head}.weight"].zero_()
    state[f"{head}.bias"].fill_(-10.0)
    state[f"{head}.bias"][token] = 10.0


def _exp(family: str) -> Path:
    """A random tiny model of ``family`` in ``exp/asr`` of the cwd (paths relative, as a
    recipe's). ``sop_llm``'s draft and ``encoder_only``'s streams are fixed to talkers
    saying one token each (stream 2 of 3 silent); the SOT-AED favours ``<sc>``."""
    if family == "espnet":
        write_token_list(Path("data/token_list"))
        config = tiny_sot_config(Path("data/token_list"))
    else:
        tags = SPK_TAGS if family == "sa_llm" else ("<sc>",)
        llm = make_tiny_llm(Path("exp"), "llama", added_tokens=tags)
        make = dict(
            llm_sot=llm_sot_config,
            sop_llm=sop_llm_config,
            encoder_only=encoder_only_config,
            sa_llm=sa_llm_config,
        )[family]
        config = make(Path("."), llm)
    exp = save_random_model(write_yaml(Path("conf/train.yaml"), config), Path("exp/asr")).parent
    state = torch.load(exp / "model.pth")
    if family == "espnet":
        sc = config_tokens(exp).index("<sc>")
        state["decoder.output_layer.bias"][sc] += 1.0
        state["ctc.ctc_lo.bias"][sc] += 1.0
    elif family == "sop_llm":
        for s, token in enumerate((10, 0, 12)):
            _say(state, f"serialized_ctc.heads.{s}", token)
    elif family == "encoder_only":
        _say(state, "talker_count.mlp.3", 2)  # 3 talkers
        for s, token in enumerate((10, 0, 12)):
            _say(state, f"ctc_branches.2.heads.{s}", token)
    torch.save(state, exp / "model.pth")
    return exp


def config_tokens(exp: Path):
    import yaml

    with (exp / "config.yaml").open() as f:
        return yaml.safe_load(f)["token_list"]


def _read(path: Path) -> Dict[str, str]:
    if not path.is_file():
        return {}
    pairs = [ln.split(maxsplit=1) for ln in path.read_text(encoding="utf-8").splitlines()]
    return {p[0]: p[1] if len(p) > 1 else "" for p in pairs}


def _cli_outputs(exp: Path, wav_scp: Path, out: Path) -> Dict[str, Dict[str, str]]:
    """What mtasr_inference writes for the data dir, one utterance at a time."""
    mtasr_inference.main(
        [
            "--asr_train_config",
            str(exp / "config.yaml"),
            "--asr_model_file",
            str(exp / "model.pth"),
            "--data_path_and_name_and_type",
            f"{wav_scp},speech,sound",
            "--output_dir",
            str(out),
            "--num_workers",
            "0",
            "--log_level",
            "ERROR",
            *[x for k, v in OPTS.items() for x in (f"--{k}", str(v))],
        ]
    )
    return {f.name: _read(f) for f in (out / "1best_recog").iterdir()}


def _check_equal(result: MultiTalkerResult, cli: Dict[str, Dict[str, str]], utt: str) -> None:
    assert result.text == cli["text"][utt]
    assert result.token_ids == [int(t) for t in cli["token_int"][utt].split()]
    assert result.tokens == cli["token"][utt].split()
    assert result.score == pytest.approx(float(cli["score"][utt]))
    if "talker_count" in cli:  # encoder_only: the head's count and each stream
        assert result.talker_count == int(cli["talker_count"][utt])
        assert (
            result.streams == [cli[f"text_spk{s}"][utt] for s in range(1, 4)][: result.talker_count]
        )
    else:
        assert result.talker_count == len(result.streams)
    assert result.draft == cli.get("sop_text", {}).get(utt)


@pytest.mark.parametrize("family", FAMILIES)
def test_api_decodes_as_mtasr_inference(family, tmp_path, monkeypatch):
    recipe = tmp_path / "recipe"
    recipe.mkdir()
    monkeypatch.chdir(recipe)
    exp = _exp(family)
    data = write_kaldi_dir(tmp_path / "data", {"a": "x", "b": "y"}, seconds=1.0)
    cli = _cli_outputs(exp, data / "wav.scp", tmp_path / "out")
    mtasr_pack.main(
        [
            "--asr_train_config",
            str(exp / "config.yaml"),
            "--asr_model_file",
            str(exp / "model.pth"),
            "--outpath",
            "exp/asr/model.zip",
            "--hf_dir",
            "exp/asr/model_hf",
        ]
    )
    loaded = {
        "exp dir": MultiTalkerSpeech2Text(exp / "config.yaml", exp / "model.pth", **OPTS),
        "zip": MultiTalkerSpeech2Text.from_pretrained("exp/asr/model.zip", **OPTS),
        "hf folder": MultiTalkerSpeech2Text.from_pretrained(exp / "model_hf", **OPTS),
    }
    for how, s2t in loaded.items():
        assert s2t.fs == 16000, how
        for utt in ("a", "b"):
            speech, rate = sf.read(data / "wav" / f"{utt}.wav", dtype="float32")
            _check_equal(s2t(speech, fs=rate), cli, utt)
    result = loaded["hf folder"].decode_file(data / "wav" / "a.wav")
    _check_equal(result, cli, "a")
    if family == "espnet":
        assert result.streams == sot_parse(result.text) and len(result.streams) > 1
        assert result.sot_text == sot_normalize(result.text)
    if family in ("sop_llm", "encoder_only"):  # talkers 1 and 3 say one token each
        talkers = result.draft if family == "sop_llm" else result.sot_text
        assert len(talkers.split(" <sc> ")) == 2
    if family == "encoder_only":
        assert result.talker_count == 3 and result.streams[1] == ""
        assert result.sot_text == result.text == " <sc> ".join(result.streams[::2])
    if family == "sa_llm":
        assert result.speaker_tags is None or len(result.speaker_tags) == len(result.streams)


@pytest.fixture(scope="module")
def sot_exp(tmp_path_factory) -> Path:
    return tiny_sot_exp(tmp_path_factory.mktemp("sot"))


@pytest.fixture(scope="module")
def sot_api(sot_exp) -> MultiTalkerSpeech2Text:
    return MultiTalkerSpeech2Text(sot_exp / "config.yaml", sot_exp / "model.pth", **OPTS)


def test_speaker_tagged_and_sot_hypotheses_are_split_per_talker(sot_exp):
    def split(text: str, text_format=None):
        s2t = MultiTalkerSpeech2Text(
            sot_exp / "config.yaml", sot_exp / "model.pth", text_format=text_format
        )
        hyp = FamilyHypothesis(token_ids=[1] * len(text.split()), score=-1.5)
        return s2t.result((text, text.split(), hyp.token_ids, hyp))

    tagged = split("<spk2> hi there <spk1> yes <spk2> ok")
    assert tagged.streams == ["yes", "hi there ok"]
    assert tagged.speaker_tags == ["<spk1>", "<spk2>"]
    assert tagged.sot_text == "yes <sc> hi there ok" and tagged.talker_count == 2
    assert tagged.score == -1.5 and tagged.draft is None
    untagged = split("oops <spk1> a", text_format="spk_tag")
    assert untagged.streams == ["a", "oops"] and untagged.speaker_tags == ["<spk1>", ""]
    sot = split("a b <sc> <sc> c")
    assert sot.streams == ["a b", "c"] and sot.speaker_tags is None
    assert sot.sot_text == "a b <sc> c" and sot.talker_count == 2
    assert split("<spk1> a <sc> b", text_format="sot").streams == ["<spk1> a", "b"]


def test_input_checks(sot_api):
    import numpy as np

    with pytest.raises(MTASRInputError, match="8000 Hz, but the model expects 16000 Hz"):
        sot_api(np.zeros(8000, dtype=np.float32), fs=8000)
    with pytest.raises(MTASRInputError, match="has 2 channels; the model takes mono"):
        sot_api(np.zeros((16000, 2), dtype=np.float32), fs=16000)
    one = sot_api(torch.zeros(16000, 1))  # (T, 1) is mono; a tensor works as an array
    assert one == sot_api(np.zeros(16000, dtype=np.float32))
    with pytest.raises(MTASRInputError, match="text_format 'xml' is unknown"):
        MultiTalkerSpeech2Text.from_pretrained(Path(__file__), text_format="xml")


def test_from_pretrained_reads_local_files_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MTASRInputError, match="espnet/some_model: no such local") as e:
        MultiTalkerSpeech2Text.from_pretrained("espnet/some_model")
    assert "downloads nothing" in str(e.value)
    Path("not_a_model").mkdir()
    with pytest.raises(MTASRInputError, match="not_a_model: no meta.yaml"):
        MultiTalkerSpeech2Text.from_pretrained("not_a_model")
    Path("model.pth").write_bytes(b"")
    with pytest.raises(MTASRInputError, match="expects a packed model"):
        MultiTalkerSpeech2Text.from_pretrained("model.pth")
