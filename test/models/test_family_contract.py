"""The family contract (AbsMTASRModel): every registered family keeps it, and a new family
with an output of its own plugs in without touching inference, the recipe or scoring.

The toy family below is registered into MTASRTask's ``model`` choices for one test only.
It decodes every utterance to the same SOT text and a "draft" output of its own,
scored per stream; ``MTSpeech2Text`` / ``mtasr_inference`` write the draft by name and
``score --decode_dir`` scores it from ``outputs.json`` into ``score_wer_toy``, exactly as
the recipe's stages 12-13 would.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import shutil
from typing import List, Optional

import pytest
import torch
from task_helpers import (
    FS,
    char_tokens,
    save_random_model,
    tiny_sot_config,
    write_kaldi_dir,
    write_token_list,
    write_yaml,
)

from espnet_mtasr.bin import mtasr_inference, score
from espnet_mtasr.inference import MultiTalkerSpeech2Text
from espnet_mtasr.inference.mt_speech2text import MTSpeech2Text
from espnet_mtasr.models.abs_mtasr_model import AbsMTASRModel
from espnet_mtasr.models.decoding_options import DecodingOptions
from espnet_mtasr.models.family_hypothesis import FamilyHypothesis
from espnet_mtasr.models.output_spec import OUTPUTS_FILE, OutputSpec, read_outputs, write_outputs
from espnet_mtasr.models.speech_encoder_model import SpeechEncoderModel
from espnet_mtasr.tasks.mtasr import model_choices
from espnet_mtasr.utils.errors import MTASRInputError


def test_every_family_keeps_the_contract():
    for name, cls in model_choices.classes.items():
        if name == "espnet" or not issubclass(cls, AbsMTASRModel):
            assert name == "espnet", f"{name} ({cls.__name__}) is not an AbsMTASRModel"
            continue
        assert not inspect.isabstract(cls), f"{name} leaves {cls.__abstractmethods__} open"
        names = [s.name for s in cls.OUTPUTS]
        assert len(set(names)) == len(names), name
        assert not {"text", "token", "token_int", "score"} & set(names), name
        params = inspect.signature(cls.__init__).parameters
        assert set(cls.FAMILY_PARTS) <= set(params), name


def test_decoding_defaults_have_one_owner():
    """MTSpeech2Text and mtasr_inference take their defaults from DecodingOptions."""
    d = DecodingOptions()
    sig = inspect.signature(MTSpeech2Text.__init__).parameters
    args = mtasr_inference.get_parser().parse_args([])
    for f in dataclasses.fields(DecodingOptions):
        assert sig[f.name].default == getattr(d, f.name) == getattr(args, f.name), f.name


def test_output_spec_checks_and_round_trip(tmp_path):
    with pytest.raises(ValueError, match="kind must be one of"):
        OutputSpec("x", "timestamps")
    with pytest.raises(ValueError, match="needs kind streams"):
        OutputSpec("x", "count", "cp", suffix="x")
    specs = (OutputSpec("d", "streams", "per_stream", "draft", "d"), OutputSpec("c", "count"))
    write_outputs(tmp_path, specs)
    assert read_outputs(tmp_path) == specs
    assert read_outputs(tmp_path / "nowhere") == ()
    (tmp_path / OUTPUTS_FILE).write_text('[{"name": "d"}]\n')
    with pytest.raises(MTASRInputError, match=f"{OUTPUTS_FILE}: not a list of output specs"):
        read_outputs(tmp_path)


# --- a new family plugs in


class ToyFamily(SpeechEncoderModel):
    """Encoder only; decodes every utterance to ``ab <sc> c`` and a draft ``a`` / ``c``."""

    OUTPUTS = (OutputSpec("toy_draft", "streams", "per_stream", "toy draft", "toy"),)

    def __init__(self, vocab_size: int, token_list: List[str], frontend, specaug, normalize,
                 encoder, sample_rate: int = FS, weight: float = 1.0):  # fmt: skip
        super().__init__(frontend, specaug, normalize, encoder, sample_rate)
        self.token_list = list(token_list)
        self.weight = weight

    def forward(self, speech, speech_lengths, text=None, text_lengths=None, **kwargs):
        enc, _ = self.encode(speech, speech_lengths)
        loss = self.weight * enc.pow(2).mean()
        return loss, {"loss": loss.detach()}, torch.tensor(float(speech.size(0)))

    def _ids(self, text: str) -> List[int]:
        return [self.token_list.index(t) for t in text.split()]

    def decode_batch(self, speech, speech_lengths, options: DecodingOptions):
        ids = self._ids("a b <space> <sc> <space> c")
        draft = [self._ids("a"), self._ids("c")]
        return [[FamilyHypothesis(ids, -1.0, extras={"toy_draft": draft})] for _ in speech_lengths]

    @classmethod
    def check_decoding_options(cls, options: DecodingOptions) -> None:
        if options.beam_size > 4:
            raise MTASRInputError("--beam_size: the toy family searches at most 4 wide")


@pytest.fixture
def toy_family():
    model_choices.classes["toy"] = ToyFamily
    try:
        yield
    finally:
        del model_choices.classes["toy"]


def _toy_exp(tmp_path):
    write_token_list(tmp_path / "token_list")
    config = tiny_sot_config(tmp_path / "token_list", model="toy", model_conf={"weight": 0.5})
    del config["decoder"], config["decoder_conf"]
    return save_random_model(write_yaml(tmp_path / "toy.yaml", config), tmp_path / "exp").parent


def test_a_new_family_plugs_into_inference_and_scoring(tmp_path, toy_family, capsys):
    exp = _toy_exp(tmp_path)
    assert "a" in char_tokens()
    texts = {"2spk-x": "ab <sc> c", "2spk-y": "ab <sc> d"}
    data = write_kaldi_dir(tmp_path / "data" / "test", texts)
    (data / "utt2num_spk").write_text("2spk-x 2\n2spk-y 2\n")

    with pytest.raises(MTASRInputError, match="searches at most 4 wide"):
        MTSpeech2Text(exp / "config.yaml", exp / "model.pth")  # its own option check
    s2t = MTSpeech2Text(exp / "config.yaml", exp / "model.pth", beam_size=2)
    text, _, _, hyp = s2t(torch.zeros(FS).numpy())[0]
    assert text == "ab <sc> c" and hyp.extras["toy_draft"] == [
        [s2t.asr_model._ids("a")[0]],
        [s2t.asr_model._ids("c")[0]],
    ]

    decode = tmp_path / "decode" / "test"
    job = decode / "logdir" / "output.1"
    mtasr_inference.main([
        "--asr_train_config", str(exp / "config.yaml"), "--asr_model_file", str(exp / "model.pth"),
        "--data_path_and_name_and_type", f"{data}/wav.scp,speech,sound", "--beam_size", "2",
        "--output_dir", str(job),
    ])  # fmt: skip
    best = job / "1best_recog"
    assert (best / "toy_draft").read_text() == "2spk-x a <sc> c\n2spk-y a <sc> c\n"
    assert read_outputs(job) == ToyFamily.OUTPUTS
    # stage 12: every file the job wrote goes into the decode dir, with outputs.json
    assert sorted(p.name for p in best.iterdir()) == [
        "score", "text", "token", "token_int", "toy_draft"
    ]  # fmt: skip
    for f in best.iterdir():
        shutil.copy(f, decode / f.name)
    shutil.copy(job / OUTPUTS_FILE, decode / OUTPUTS_FILE)

    score.main(["--decode_dir", str(decode), "--ref_dir", str(data), "--cmd", "stage 13"])
    main = json.loads((decode / "score_wer" / "result.json").read_text())
    toy = json.loads((decode / "score_wer_toy" / "result.json").read_text())
    assert main["label"] == "" and toy["label"] == "toy draft"
    assert [s["stream"] for s in toy["per_stream"]] == [1, 2]
    assert toy["per_stream"][0]["rate"] == 1.0  # "a" against "ab": one substitution
    assert "per_stream" not in main

    # the Python API carries the new output by name too
    result = MultiTalkerSpeech2Text(exp / "config.yaml", exp / "model.pth", beam_size=2)(
        torch.zeros(FS).numpy(), fs=FS
    )
    assert result.outputs == {"toy_draft": "a <sc> c"} and result.draft == "a <sc> c"
    assert result.streams == ["ab", "c"]


def test_decode_dir_without_outputs_json_or_with_a_missing_output(tmp_path, caplog, capsys):
    data, decode = tmp_path / "data", tmp_path / "decode"
    data.mkdir()
    decode.mkdir()
    (data / "text").write_text("u a <sc> b\n")
    (decode / "text").write_text("u a <sc> b\n")
    with caplog.at_level("WARNING"):
        score.main(["--decode_dir", str(decode), "--ref_dir", str(data)])
    assert "has no outputs.json" in caplog.text and (decode / "score_wer").is_dir()
    write_outputs(decode, ToyFamily.OUTPUTS)
    with pytest.raises(SystemExit):
        score.main(["--decode_dir", str(decode), "--ref_dir", str(data)])
    assert "declares output 'toy_draft' (per_stream), but" in capsys.readouterr().err


def test_decode_dir_mode_derives_what_it_scores(tmp_path, capsys):
    with pytest.raises(SystemExit):
        score.main(["--decode_dir", str(tmp_path), "--ref_dir", str(tmp_path), "--hyp", "x"])
    assert "--decode_dir derives --hyp" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        score.main(["--ref", "r"])
    assert "--hyp, --out_dir not given" in capsys.readouterr().err


def test_espnet_family_declares_no_extra_output(tmp_path):
    from task_helpers import tiny_sot_exp

    exp = tiny_sot_exp(tmp_path)
    s2t = MTSpeech2Text(exp / "config.yaml", exp / "model.pth", beam_size=2)
    assert s2t.outputs == () and not s2t.batched
    (nbest,) = s2t.decode_batch(torch.zeros(1, FS), torch.tensor([FS]))
    hyp: Optional[FamilyHypothesis] = nbest[0][3]
    assert hyp is not None and hyp.raw is not None
    yseq = hyp.raw.yseq.tolist()  # ESPnet's own hypothesis: <sos> ids <eos>
    assert yseq[0] == yseq[-1] == s2t.asr_model.sos and nbest[0][2] == yseq[1:-1]
