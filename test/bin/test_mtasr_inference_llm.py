"""mtasr_inference with an LLM decoder (model llm_sot): batched KV-cache decoding."""

from __future__ import annotations

import pytest
import torch
from llm_helpers import llm_sot_config, make_tiny_llm
from task_helpers import TEXTS, save_random_model, write_kaldi_dir, write_yaml

from espnet_mtasr.bin.mtasr_inference import LLMHypothesis, MTSpeech2Text, inference
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
    assert s2t.beam_search is None and s2t.llm_options["beam_size"] == 2
    speech = torch.randn(2, 16000)
    lens = torch.tensor([16000, 12000])
    batch = s2t.decode_batch(speech, lens)
    assert len(batch) == 2 and all(len(nb) == 1 for nb in batch)
    text, tokens, ids, hyp = batch[0][0]
    assert isinstance(hyp, LLMHypothesis) and hyp.yseq == ids
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
