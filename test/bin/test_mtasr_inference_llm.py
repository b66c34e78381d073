"""mtasr_inference with an LLM decoder (models llm_sot, sop_llm): batched KV-cache decoding."""

from __future__ import annotations

import pytest
import torch
from llm_helpers import llm_sot_config, make_tiny_llm, sop_llm_config
from task_helpers import TEXTS, save_random_model, write_kaldi_dir, write_yaml

from espnet_mtasr.bin.mtasr_inference import MTSpeech2Text, inference
from espnet_mtasr.models.family_hypothesis import FamilyHypothesis
from espnet_mtasr.utils.errors import MTASRInputError

OPTS = dict(beam_size=2, maxlen_base=2, maxlen_per_second=3.0)


@pytest.fixture(scope="module")
def exp(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("llm_exp")
    llm_dir = make_tiny_llm(tmp, "llama")
    config = write_yaml(tmp / "train.yaml", llm_sot_config(tmp, llm_dir))
    return save_random_model(config, tmp / "exp").parent


def test_call_and_batch(exp):
    s2t = MTSpeech2Text(exp / "config.yaml", exp / "model.pth", **OPTS)
    assert s2t.family is s2t.asr_model and s2t.options.llm_kwargs()["beam_size"] == 2
    speech = torch.randn(2, 16000)
    lens = torch.tensor([16000, 12000])
    batch = s2t.decode_batch(speech, lens)
    assert len(batch) == 2 and all(len(nb) == 1 for nb in batch)
    text, tokens, ids, hyp = batch[0][0]
    assert isinstance(hyp, FamilyHypothesis) and hyp.token_ids == ids and not hyp.extras
    assert len(ids) <= 2 + 3  # the 1-second budget
    assert tokens == [s2t.asr_model.token_list[i] for i in ids]
    (alone,) = s2t(speech[0].numpy())
    assert alone[2] == ids  # one utterance alone decodes as in the batch


def test_inference_writes_text_and_rtf(tmp_path, exp):
    s2t = MTSpeech2Text(exp / "config.yaml", exp / "model.pth", **OPTS)
    kaldi = write_kaldi_dir(tmp_path / "data")
    out = tmp_path / "out"
    inference(s2t, out, [(f"{kaldi}/wav.scp", "speech", "sound")], batch_size=3)
    keys = [ln.split()[0] for ln in (out / "1best_recog/token_int").read_text().splitlines()]
    assert keys == sorted(TEXTS)
    rtf = (out / "rtf").read_text().splitlines()
    assert len(rtf) == len(TEXTS) and all(float(ln.split()[2]) >= 0 for ln in rtf)


def test_nbest_is_refused(exp):
    with pytest.raises(MTASRInputError, match="--nbest"):
        MTSpeech2Text(exp / "config.yaml", exp / "model.pth", nbest=2)


def test_sop_llm_writes_its_draft(tmp_path):
    """An sop_llm model's SOP draft goes to 1best_recog/sop_text, streams joined by <sc>."""
    llm_dir = make_tiny_llm(tmp_path, "llama")
    config = write_yaml(tmp_path / "train.yaml", sop_llm_config(tmp_path, llm_dir))
    exp = save_random_model(config, tmp_path / "exp").parent
    s2t = MTSpeech2Text(exp / "config.yaml", exp / "model.pth", **OPTS)
    sc = s2t.asr_model.sc_id
    with torch.no_grad():  # streams 1 and 3 always say one token, stream 2 nothing
        for s, head in enumerate(s2t.asr_model.serialized_ctc.heads):
            head.weight.zero_()
            head.bias.fill_(-10.0)
            head.bias[0 if s == 1 else 10 + s] = 10.0  # id 0 is the blank
    kaldi = write_kaldi_dir(tmp_path / "data")
    out = tmp_path / "out"
    inference(s2t, out, [(f"{kaldi}/wav.scp", "speech", "sound")], batch_size=2)
    tok = s2t.asr_model.decoder.tokenizer
    expected = f"{tok.decode([10]).strip()} <sc> {tok.decode([12]).strip()}"
    lines = (out / "1best_recog/sop_text").read_text().splitlines()
    assert len(lines) == len(TEXTS) and all(ln.split(maxsplit=1)[1] == expected for ln in lines)
    assert sc not in (10, 12)
