"""MTASRTask: registries, unknown names, build_model wiring, ``<sc>`` tokenization."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

import numpy as np
import pytest
import torch
from espnet2.asr.encoder.conformer_encoder import ConformerEncoder
from espnet2.asr.espnet_model import ESPnetASRModel
from espnet2.tasks import asr as espnet_asr
from espnet2.train.abs_espnet_model import AbsESPnetModel
from llm_helpers import TINY_WAVLM
from task_helpers import (
    SC,
    char_tokens,
    parse_config,
    save_random_model,
    tiny_sot_config,
    write_bpe_token_list,
    write_yaml,
)

from espnet_mtasr.asr.ctc.abs_serialized_ctc import AbsSerializedCTC
from espnet_mtasr.asr.decoder.hf_llm_decoder import HFLLMDecoder
from espnet_mtasr.asr.separator.abs_separator import AbsSeparator
from espnet_mtasr.asr.speaker.abs_speaker_encoder import AbsSpeakerEncoder
from espnet_mtasr.asr.talker_count.abs_talker_count import AbsTalkerCount
from espnet_mtasr.models.encoder_only_model import EncoderOnlyModel
from espnet_mtasr.models.llm_sot_model import LLMSOTModel
from espnet_mtasr.models.sa_llm_model import SALLMModel
from espnet_mtasr.models.sop_llm_model import SOPLLMModel
from espnet_mtasr.tasks import mtasr
from espnet_mtasr.tasks.mtasr import MTASRTask, check_symbols_kept_whole
from espnet_mtasr.utils.errors import MTASRInputError

# --------------------------------------------------------------------------- registries


def test_registries_hold_espnet_stock_classes_without_touching_espnet():
    by_name = {c.name: c for c in MTASRTask.class_choices_list}
    assert list(by_name) == [
        "frontend",
        "specaug",
        "normalize",
        "model",
        "preencoder",
        "encoder",
        "postencoder",
        "decoder",
        "separator",
        "serialized_ctc",
        "talker_count",
        "speaker_encoder",
        "preprocessor",
    ]
    for kind in ("frontend", "specaug", "normalize", "encoder", "decoder", "preprocessor"):
        ours, espnets = by_name[kind], getattr(espnet_asr, f"{kind}_choices")
        assert ours is not espnets and ours.classes is not espnets.classes
        assert set(espnets.classes) <= set(ours.classes)
    assert by_name["encoder"].classes["conformer"] is ConformerEncoder
    assert by_name["model"].classes == {
        "espnet": ESPnetASRModel,
        "llm_sot": LLMSOTModel,
        "sop_llm": SOPLLMModel,
        "encoder_only": EncoderOnlyModel,
        "sa_llm": SALLMModel,
    }
    assert by_name["decoder"].classes["hf_llm"] is HFLLMDecoder
    for kind, base, names in (
        ("separator", AbsSeparator, {"lstm"}),
        ("serialized_ctc", AbsSerializedCTC, {"linear"}),
        ("talker_count", AbsTalkerCount, {"pooled"}),
        ("speaker_encoder", AbsSpeakerEncoder, {"espnet_spk"}),
    ):
        assert set(by_name[kind].classes) == names
        assert by_name[kind].optional and by_name[kind].default is None
        assert by_name[kind].base_type is base
    # ESPnet's own registries are untouched
    assert "separator" not in {c.name for c in espnet_asr.ASRTask.class_choices_list}


def test_parser_has_new_kinds_and_data_names():
    args = MTASRTask.get_parser().parse_args([])
    for opt in ("separator", "separator_conf", "serialized_ctc", "serialized_ctc_conf"):
        assert hasattr(args, opt)
    assert args.separator is None and args.serialized_ctc is None and args.model == "espnet"
    assert MTASRTask.required_data_names() == ("speech", "text")
    assert MTASRTask.required_data_names(inference=True) == ("speech",)
    assert MTASRTask.optional_data_names() == tuple(f"text_spk{n}" for n in range(1, 5))


# --------------------------------------------------------------------------- unknown names


@pytest.mark.parametrize("kind", ["encoder", "model", "decoder", "separator", "serialized_ctc"])
def test_unknown_name_on_command_line_lists_choices(kind, capsys):
    with pytest.raises(SystemExit):
        MTASRTask.get_parser().parse_args([f"--{kind}", "nosuch"])
    err = capsys.readouterr().err
    assert f"--{kind}" in err and "invalid choice: 'nosuch'" in err


@pytest.mark.parametrize(
    "kind,valid",
    [("encoder", "conformer"), ("model", "espnet"), ("decoder", "transformer")],
)
def test_unknown_name_in_yaml_names_option_and_choices(tmp_path, token_dir, kind, valid):
    config = write_yaml(tmp_path / "c.yaml", tiny_sot_config(token_dir, **{kind: "nosuch"}))
    with pytest.raises(MTASRInputError) as e:
        MTASRTask.build_model(parse_config(config))
    msg = str(e.value)
    assert f"unknown --{kind} 'nosuch'" in msg and valid in msg and "valid choices" in msg


def test_unknown_separator_in_yaml_lists_the_choices(tmp_path, token_dir):
    config = write_yaml(tmp_path / "c.yaml", tiny_sot_config(token_dir, separator="tasnet"))
    with pytest.raises(ValueError, match="unknown --separator 'tasnet'; valid choices: lstm"):
        MTASRTask.build_model(parse_config(config))


def test_separator_the_model_does_not_take_names_the_option(tmp_path, token_dir):
    config = write_yaml(tmp_path / "c.yaml", tiny_sot_config(token_dir, separator="lstm"))
    with pytest.raises(ValueError, match="--model espnet does not use a separator"):
        MTASRTask.build_model(parse_config(config))


def test_serialized_ctc_without_separator(tmp_path, token_dir):
    config = write_yaml(tmp_path / "c.yaml", tiny_sot_config(token_dir, serialized_ctc="linear"))
    with pytest.raises(ValueError, match="needs talker streams"):
        MTASRTask.build_model(parse_config(config))


def test_yaml_none_string_means_no_part(tmp_path, token_dir):
    config = write_yaml(
        tmp_path / "c.yaml", tiny_sot_config(token_dir, separator="none", specaug="null")
    )
    model = MTASRTask.build_model(parse_config(config))
    assert model.specaug is None


# --------------------------------------------------------------------------- build_model


def test_build_sot_aed_with_sc_token(sot_config):
    args = parse_config(sot_config)
    model = MTASRTask.build_model(args)
    assert isinstance(model, ESPnetASRModel)
    assert isinstance(model.encoder, ConformerEncoder)
    assert args.token_list == char_tokens()  # inlined: config.yaml is portable
    assert SC in model.token_list and model.vocab_size == len(char_tokens())
    assert model.decoder.output_layer.out_features == len(char_tokens())
    # forward + backward on a tiny batch, SOT targets containing <sc>
    sc = model.token_list.index(SC)
    speech = torch.randn(2, 8000)
    text = torch.tensor([[5, 6, 2, sc, 2, 7], [8, 2, sc, 2, 9, -1]])
    loss, stats, _ = model(
        speech=speech,
        speech_lengths=torch.tensor([8000, 6400]),
        text=text,
        text_lengths=torch.tensor([6, 5]),
    )
    loss.backward()
    assert torch.isfinite(loss) and "loss_att" in stats and "loss_ctc" in stats


def test_build_model_from_file_round_trip(tmp_path, sot_config):
    config = save_random_model(sot_config, tmp_path / "exp")
    model, args = MTASRTask.build_model_from_file(config, tmp_path / "exp" / "model.pth")
    assert isinstance(model, ESPnetASRModel) and args.token_list == char_tokens()


def test_missing_token_list_names_option(tmp_path, token_dir):
    config = write_yaml(
        tmp_path / "c.yaml", tiny_sot_config(token_dir, token_list=str(tmp_path / "no.txt"))
    )
    with pytest.raises(MTASRInputError, match="--token_list file not found"):
        MTASRTask.build_model(parse_config(config))


def test_collect_stats_builds_without_global_mvn_stats(tmp_path, token_dir):
    """collect_stats computes the stats GlobalMVN would load: no --normalize none needed."""
    config = write_yaml(
        tmp_path / "c.yaml",
        tiny_sot_config(
            token_dir,
            normalize="global_mvn",
            normalize_conf={"stats_file": str(tmp_path / "not_yet.npz")},
        ),
    )
    model = MTASRTask.build_model(parse_config(config, "--collect_stats", "true"))
    assert model.normalize is None
    with pytest.raises(FileNotFoundError):  # training does need the file
        MTASRTask.build_model(parse_config(config))


def test_init_option_is_applied(tmp_path, token_dir):
    config = write_yaml(tmp_path / "c.yaml", tiny_sot_config(token_dir, init="xavier_uniform"))
    assert isinstance(MTASRTask.build_model(parse_config(config)), ESPnetASRModel)


# ------------------------------------------- adding a family = one registry line (dummy)


class _TinySeparator(AbsSeparator):
    def __init__(self, input_size: int, num_spk: int = 2, hidden: int = 8):
        super().__init__()
        self._s = num_spk
        self.proj = torch.nn.Linear(input_size, hidden * num_spk)
        self.hidden = hidden
        self.input_size = input_size

    @property
    def num_streams(self) -> int:
        return self._s

    def output_size(self) -> int:
        return self.hidden

    def forward(self, feats, feats_lens):
        b, t, _ = feats.shape
        out = self.proj(feats).view(b, t, self._s, self.hidden).transpose(1, 2)
        return out, feats_lens  # (B, S, T, D')


class _TinySerializedCTC(AbsSerializedCTC):
    def __init__(self, odim: int, encoder_output_size: int, num_streams: int):
        super().__init__()
        self._s = num_streams
        self.odim = odim
        self.lo = torch.nn.Linear(encoder_output_size, odim)

    @property
    def num_streams(self) -> int:
        return self._s

    def log_softmax(self, hs_pad):
        return self.lo(hs_pad).log_softmax(-1)

    def forward(self, hs_pad, hlens, ys_pad, ys_lens):
        return self.log_softmax(hs_pad).mean()


class _SepFamily(AbsESPnetModel):
    """A family that takes a separator and serialized CTC, and no attention decoder."""

    def __init__(
        self,
        vocab_size: int,
        token_list: list,
        frontend,
        specaug,
        normalize,
        encoder,
        separator: AbsSeparator,
        serialized_ctc: AbsSerializedCTC,
        preencoder=None,
        postencoder=None,
        decoder: Optional[torch.nn.Module] = None,
        alpha: float = 1.0,
    ):
        super().__init__()
        self.parts = dict(frontend=frontend, encoder=encoder)
        self.encoder = encoder
        self.separator = separator
        self.serialized_ctc = serialized_ctc
        self.vocab_size = vocab_size
        self.alpha = alpha

    def forward(self, **batch) -> Tuple[torch.Tensor, dict, torch.Tensor]:
        raise NotImplementedError

    def collect_feats(self, **batch):
        return {}


@pytest.fixture
def sep_family(monkeypatch):
    monkeypatch.setitem(mtasr.model_choices.classes, "sep_family", _SepFamily)
    monkeypatch.setitem(mtasr.separator_choices.classes, "tiny", _TinySeparator)
    monkeypatch.setitem(mtasr.serialized_ctc_choices.classes, "tiny", _TinySerializedCTC)


def _sep_config(tmp_path, token_dir, **overrides) -> Path:
    base = dict(
        model="sep_family",
        model_conf={"alpha": 0.5},
        decoder=None,
        separator="tiny",
        separator_conf={"num_spk": 3},
        serialized_ctc="tiny",
    )
    base.update(overrides)
    return write_yaml(tmp_path / "sep.yaml", tiny_sot_config(token_dir, **base))


def test_family_gets_separator_and_serialized_ctc_with_derived_sizes(
    sep_family, tmp_path, token_dir
):
    model = MTASRTask.build_model(parse_config(_sep_config(tmp_path, token_dir)))
    assert isinstance(model, _SepFamily) and model.alpha == 0.5
    assert model.separator.input_size == model.encoder.output_size() == 16
    assert model.serialized_ctc.num_streams == model.separator.num_streams == 3
    assert model.serialized_ctc.odim == model.vocab_size == len(char_tokens())
    streams, lens = model.separator(torch.randn(2, 5, 16), torch.tensor([5, 3]))
    assert streams.shape == (2, 3, 5, 8)
    assert len(model.serialized_ctc.greedy_decode(streams, lens)[1]) == 3


def test_family_without_required_separator_is_an_error(sep_family, tmp_path, token_dir):
    config = _sep_config(tmp_path, token_dir, separator=None, serialized_ctc=None)
    with pytest.raises(MTASRInputError, match="--model sep_family needs a separator"):
        MTASRTask.build_model(parse_config(config))


def test_part_not_taken_by_the_model_is_an_error(sep_family, tmp_path, token_dir):
    config = _sep_config(tmp_path, token_dir, model="espnet", model_conf={})
    with pytest.raises(MTASRInputError, match="--model espnet does not use a separator"):
        MTASRTask.build_model(parse_config(config))


def test_serialized_ctc_needs_a_separator(sep_family, tmp_path, token_dir):
    config = _sep_config(tmp_path, token_dir, separator=None)
    with pytest.raises(MTASRInputError, match="also set --separator"):
        MTASRTask.build_model(parse_config(config))


def test_conf_may_not_set_derived_sizes(sep_family, tmp_path, token_dir):
    config = _sep_config(tmp_path, token_dir, separator_conf={"input_size": 4})
    with pytest.raises(MTASRInputError, match=r"--separator_conf sets \['input_size'\]"):
        MTASRTask.build_model(parse_config(config))


# --------------------------------------------------------------------------- <sc> tokens


def _preprocess(args, text: str) -> np.ndarray:
    fn = MTASRTask.build_preprocess_fn(args, train=True)
    out = fn("utt", {"speech": np.zeros(1600, dtype=np.float32), "text": text})
    return out["text"]


def test_char_preprocessor_keeps_sc_whole(sot_config):
    args = parse_config(sot_config)
    MTASRTask.build_model(args)
    ids = _preprocess(args, "ab <sc> c")
    tokens = [args.token_list[i] for i in ids]
    assert tokens == ["a", "b", "<space>", SC, "<space>", "c"]


def test_char_without_nlsyms_is_an_error(tmp_path, token_dir):
    config = write_yaml(
        tmp_path / "c.yaml", tiny_sot_config(token_dir, non_linguistic_symbols=None)
    )
    with pytest.raises(MTASRInputError, match="--non_linguistic_symbols"):
        MTASRTask.build_preprocess_fn(parse_config(config), train=True)
    missing = tmp_path / "missing.txt"
    config = write_yaml(
        tmp_path / "c.yaml", tiny_sot_config(token_dir, non_linguistic_symbols=str(missing))
    )
    with pytest.raises(MTASRInputError, match="file not found"):
        MTASRTask.build_preprocess_fn(parse_config(config), train=True)


def test_bpe_preprocessor_keeps_user_defined_sc(tmp_path, token_dir):
    bpe, tokens = write_bpe_token_list(tmp_path / "bpe")
    overrides = dict(token_type="bpe", bpemodel=str(bpe), token_list=str(tokens))
    config = write_yaml(tmp_path / "c.yaml", tiny_sot_config(token_dir, **overrides))
    args = parse_config(config)
    vocab = tokens.read_text(encoding="utf-8").split()
    pieces = [vocab[i] for i in _preprocess(args, "the cat <sc> a dog")]
    assert pieces.count(SC) == 1 and "<unk>" not in pieces


def test_bpe_splitting_sc_is_an_error(tmp_path):
    bpe, tokens_txt = write_bpe_token_list(tmp_path / "bpe", user_symbols=False)
    tokens = tokens_txt.read_text().split()
    with pytest.raises(MTASRInputError, match="sentencepiece model splits"):
        check_symbols_kept_whole("bpe", tokens, bpemodel=str(bpe))
    with pytest.raises(MTASRInputError, match="needs --bpemodel"):
        check_symbols_kept_whole("bpe", tokens, bpemodel=None)


def test_symbol_check_ignores_espnet_specials_and_other_token_types():
    check_symbols_kept_whole("char", ["<blank>", "<unk>", "<space>", "a", "<sos/eos>"])
    check_symbols_kept_whole("word", ["<blank>", SC])
    check_symbols_kept_whole("char", ["<blank>", SC], nonsplit_symbols=[f"{SC}:0"])


def test_multi_preprocessor_tokenizes_per_talker_texts(tmp_path, token_dir):
    """Later families read text_spk1..N: ESPnet's `multi` preprocessor tokenizes them."""
    overrides = dict(
        preprocessor="multi",
        preprocessor_conf={"text_name": ["text", "text_spk1", "text_spk2"]},
    )
    config = write_yaml(tmp_path / "c.yaml", tiny_sot_config(token_dir, **overrides))
    args = parse_config(config)
    MTASRTask.build_model(args)
    fn = MTASRTask.build_preprocess_fn(args, train=True)
    data = {"speech": np.zeros(1600, np.float32), "text": "ab <sc> c"}
    out = fn("utt", {**data, "text_spk1": "ab", "text_spk2": ""})
    assert [args.token_list[i] for i in out["text"]].count(SC) == 1
    assert [args.token_list[i] for i in out["text_spk1"]] == ["a", "b"]
    assert out["text_spk2"].shape == (0,)  # one-talker utterance: empty second talker


def test_hf_wavlm_encoder_builds_on_raw_audio(tmp_path, token_dir):
    from espnet_mtasr.asr.encoder.hf_wavlm_encoder import HFWavLMEncoder

    tiny_wavlm = {**TINY_WAVLM, "num_hidden_layers": 1}
    conf = tiny_sot_config(token_dir)
    conf.update(
        frontend="none",
        input_size=1,
        normalize="none",
        specaug="none",
        encoder="hf_wavlm",
        encoder_conf={"hf_config": tiny_wavlm, "mid_size": 8, "output_size": 16},
    )
    model = MTASRTask.build_model(parse_config(write_yaml(tmp_path / "c.yaml", conf)))
    assert isinstance(model.encoder, HFWavLMEncoder) and model.frontend is None
    speech = torch.randn(2, 16000)
    lens = torch.tensor([16000, 12000])
    enc, enc_lens = model.encode(speech, lens)
    assert enc.shape == (2, 13, 16) and enc_lens.tolist() == [13, 10]


def test_without_training_only_parts_is_pure():
    conf = {"model": "encoder_only", "decoder": "hf_llm", "decoder_conf": {"llm_path": "x"}}
    conf["model_conf"] = {"ctc_weight": 1.0, "llm_weight": 0.5}
    pruned, dropped = MTASRTask.without_training_only_parts(conf)
    assert dropped == ["decoder"]
    assert pruned["decoder"] is None and pruned["decoder_conf"] == {}
    assert pruned["model_conf"] == {"ctc_weight": 1.0, "llm_weight": 0.0}
    assert conf["decoder"] == "hf_llm" and conf["model_conf"]["llm_weight"] == 0.5
    # nothing to drop: no teacher configured, or a model without training-only parts
    for other in ({**conf, "decoder": None}, {**conf, "model": "llm_sot"}):
        assert MTASRTask.without_training_only_parts(other) == (other, [])
