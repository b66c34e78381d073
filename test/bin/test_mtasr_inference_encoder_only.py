"""mtasr_inference with an encoder_only model: batched CTC-only decoding, routed by the
talker-count head, without the LLM teacher; per-stream texts and the count written."""

from __future__ import annotations

import shutil

import pytest
import torch
from llm_helpers import encoder_only_config, make_tiny_llm
from task_helpers import TEXTS, save_random_model, write_kaldi_dir, write_yaml

from espnet_mtasr.bin.mtasr_inference import MTSpeech2Text, inference
from espnet_mtasr.utils.errors import MTASRInputError


@pytest.fixture(scope="module")
def exp(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("enc_only")
    llm_dir = make_tiny_llm(tmp, "llama")
    tokenizer = shutil.copytree(llm_dir, tmp / "tokenizer")  # the tokenizer stays
    config = encoder_only_config(tmp, llm_dir)
    config["bpemodel"] = str(tokenizer)
    exp = save_random_model(write_yaml(tmp / "train.yaml", config), tmp / "exp").parent
    shutil.rmtree(llm_dir)  # decoding must not need the teacher LLM
    return exp


def force_count(s2t: MTSpeech2Text, count: int) -> None:
    head = s2t.asr_model.talker_count.mlp[-1]
    with torch.no_grad():
        head.weight.zero_()
        head.bias.fill_(-10.0)
        head.bias[count - 1] = 10.0


def force_tokens(s2t: MTSpeech2Text, branch: int, tokens) -> None:
    """Every stream s of branch ``branch`` says token ``tokens[s]`` (0 = the blank)."""
    for head, tok in zip(s2t.asr_model.ctc_branches[branch - 1].heads, tokens):
        with torch.no_grad():
            head.weight.zero_()
            head.bias.fill_(-10.0)
            head.bias[tok] = 10.0


def test_streams_count_and_joined_text(tmp_path, exp):
    s2t = MTSpeech2Text(exp / "config.yaml", exp / "model.pth")
    assert s2t.batched and s2t.asr_model.decoder is None
    force_count(s2t, 3)
    force_tokens(s2t, 3, [10, 0, 12])  # stream 2 stays empty
    kaldi = write_kaldi_dir(tmp_path / "data")
    out = tmp_path / "out"
    inference(s2t, out, [(f"{kaldi}/wav.scp", "speech", "sound")], batch_size=2)
    best = out / "1best_recog"
    converter = s2t.converter
    word = [s2t.tokenizer.tokens2text(converter.ids2tokens([i])).strip() for i in (10, 12)]
    texts = dict(ln.split(maxsplit=1) for ln in (best / "text").read_text().splitlines())
    assert sorted(texts) == sorted(TEXTS)
    assert set(texts.values()) == {f"{word[0]} <sc> {word[1]}"}
    counts = [ln.split()[1] for ln in (best / "talker_count").read_text().splitlines()]
    assert counts == ["3"] * len(TEXTS)
    spk2 = (best / "text_spk2").read_text().splitlines()
    assert len(spk2) == len(TEXTS) and all(len(ln.split()) == 1 for ln in spk2)
    assert (best / "text_spk3").read_text().split()[1] == word[1]


def test_a_one_talker_prediction_gives_one_stream(exp):
    s2t = MTSpeech2Text(exp / "config.yaml", exp / "model.pth")
    force_count(s2t, 1)
    force_tokens(s2t, 1, [11])
    text, _, ids, hyp = s2t(torch.randn(16000).numpy())[0]
    assert hyp.extras["talker_count"] == 1 and hyp.streams == [[11]]
    assert "<sc>" not in text and ids == [11]
    assert [s.name for s in s2t.outputs] == ["talker_count", "text_spk"]


def test_nbest_is_refused(exp):
    with pytest.raises(MTASRInputError, match="--nbest"):
        MTSpeech2Text(exp / "config.yaml", exp / "model.pth", nbest=2)
