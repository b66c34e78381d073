"""mtasr_inference: Speech2Text-style decoding of a tiny random SOT-AED model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from task_helpers import TEXTS, save_random_model, tiny_sot_config, write_kaldi_dir, write_yaml

from espnet_mtasr.bin import mtasr_inference
from espnet_mtasr.bin.mtasr_inference import MTSpeech2Text, inference
from espnet_mtasr.models.family_hypothesis import FamilyHypothesis
from espnet_mtasr.utils.errors import MTASRInputError

FAST = dict(beam_size=3, ctc_weight=0.3, maxlenratio=0.5)


@pytest.fixture
def exp(tmp_path, sot_config) -> Path:
    """An exp dir with config.yaml + model.pth of a random tiny model."""
    return save_random_model(sot_config, tmp_path / "exp").parent


@pytest.fixture
def s2t(exp) -> MTSpeech2Text:
    return MTSpeech2Text(exp / "config.yaml", exp / "model.pth", **FAST)


def _read(out: Path, name: str, n: int = 1) -> str:
    return (out / f"{n}best_recog" / name).read_text(encoding="utf-8")


def test_call_returns_nbest_tuples(s2t):
    results = MTSpeech2Text.__call__(s2t, np.random.default_rng(0).standard_normal(16000))
    assert len(results) == 1
    text, token, token_int, hyp = results[0]
    assert isinstance(text, str) and len(token) == len(token_int)
    assert all(0 < t < len(s2t.asr_model.token_list) for t in token_int)
    assert s2t.fs == 16000 and type(s2t.family.search).__name__ == "BatchBeamSearch"
    assert isinstance(hyp, FamilyHypothesis) and not s2t.outputs
    assert token_int == [t for t in hyp.raw.yseq.tolist()[1:-1] if t != 0]  # ESPnet's, no sos/eos


def test_sc_is_kept_in_the_text(s2t):
    tl = s2t.asr_model.token_list
    ids = [tl.index(t) for t in ["h", "i", "<space>", "<sc>", "<space>", "y", "o"]]
    hyp = FamilyHypothesis(token_ids=ids, score=0.0)
    text, token, token_int, _ = s2t._to_result(hyp)
    assert text == "hi <sc> yo" and token_int == ids and "<sc>" in token


def test_batch_equals_one_by_one_and_output_format(tmp_path, s2t, kaldi_dir):
    data = [(f"{kaldi_dir}/wav.scp", "speech", "sound")]
    for bs in (1, 3):
        inference(s2t, tmp_path / f"bs{bs}", data, batch_size=bs, num_workers=0)
    for name in ("text", "token", "token_int", "score"):
        assert _read(tmp_path / "bs1", name) == _read(tmp_path / "bs3", name)
    lines = _read(tmp_path / "bs3", "token_int").splitlines()
    assert [ln.split()[0] for ln in lines] == sorted(TEXTS)
    for ln in _read(tmp_path / "bs3", "score").splitlines():
        float(ln.split()[1])
    rtf = [ln.split() for ln in (tmp_path / "bs3" / "rtf").read_text().splitlines()]
    assert [r[0] for r in rtf] == sorted(TEXTS) and all(len(r) == 3 for r in rtf)
    assert 0.5 < float(rtf[0][1]) <= 1.0 and float(rtf[0][2]) > 0  # audio s, decoding s
    # decode_batch on a padded batch equals single decoding
    wavs = [sf.read(kaldi_dir / "wav" / f"{u}.wav", dtype="float32")[0] for u in sorted(TEXTS)]
    lens = torch.tensor([len(w) for w in wavs[:2]])
    pad = torch.zeros(2, int(lens.max()))
    for i, w in enumerate(wavs[:2]):
        pad[i, : len(w)] = torch.from_numpy(w)
    batched = s2t.decode_batch(pad, lens)
    assert [r[0][2] for r in batched] == [s2t(w)[0][2] for w in wavs[:2]]


def test_key_file_and_nbest(tmp_path, exp, kaldi_dir):
    keys = tmp_path / "keys.scp"
    keys.write_text("1spk-c x\n2spk-b x\n")
    s2t = MTSpeech2Text(exp / "config.yaml", exp / "model.pth", nbest=2, **FAST)
    inference(s2t, tmp_path / "out", [(f"{kaldi_dir}/wav.scp", "speech", "sound")], str(keys), 2, 0)
    for n in (1, 2):
        assert [ln.split()[0] for ln in _read(tmp_path / "out", "token", n).splitlines()] == [
            "1spk-c",
            "2spk-b",
        ]


def test_cli_with_decode_yaml(tmp_path, exp, kaldi_dir):
    decode = write_yaml(
        tmp_path / "decode.yaml",
        dict(beam_size=2, ctc_weight=0.4, penalty=0.1, maxlenratio=0.5, nbest=1, batch_size=2),
    )
    mtasr_inference.main(
        [
            "--config",
            str(decode),
            "--asr_train_config",
            str(exp / "config.yaml"),
            "--asr_model_file",
            str(exp / "model.pth"),
            "--data_path_and_name_and_type",
            f"{kaldi_dir}/wav.scp,speech,sound",
            "--num_workers",
            "0",
            "--log_level",
            "WARNING",
            "--output_dir",
            str(tmp_path / "out"),
        ]
    )
    assert len(_read(tmp_path / "out", "text").splitlines()) == len(TEXTS)


def test_cli_rejects_unknown_decode_yaml_key(tmp_path, exp, capsys):
    decode = write_yaml(tmp_path / "decode.yaml", dict(beam_size=2, lm_weight=0.3))
    with pytest.raises(SystemExit) as e:
        mtasr_inference.main(["--config", str(decode), "--asr_model_file", str(exp)])
    assert e.value.code == 2 and "lm_weight" in capsys.readouterr().err


def test_wav_mode_prints_text_and_checks_sample_rate(tmp_path, exp, capsys):
    wav = tmp_path / "foo.wav"
    sf.write(wav, np.random.default_rng(1).standard_normal(16000).astype("float32") * 0.1, 16000)
    base = ["--asr_train_config", str(exp / "config.yaml"), "--asr_model_file"]
    base += [str(exp / "model.pth"), "--beam_size", "2", "--maxlenratio", "0.5"]
    base += ["--log_level", "WARNING"]
    mtasr_inference.main([*base, "--wav", str(wav)])
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1

    wav8k = tmp_path / "foo8k.wav"
    sf.write(wav8k, np.zeros(8000, dtype="float32"), 8000)
    with pytest.raises(SystemExit) as e:
        mtasr_inference.main([*base, "--wav", str(wav8k)])
    assert e.value.code == 1
    err = capsys.readouterr().err
    assert "foo8k.wav" in err and "8000 Hz" in err and "expects 16000 Hz" in err


def test_bad_model_inputs_are_clear(tmp_path, exp, token_dir):
    with pytest.raises(MTASRInputError, match="--asr_model_file file not found"):
        MTSpeech2Text(exp / "config.yaml", exp / "nosuch.pth")
    other = write_yaml(
        tmp_path / "other.yaml",
        tiny_sot_config(token_dir, encoder_conf={"output_size": 8, "num_blocks": 1}),
    )
    with pytest.raises(MTASRInputError, match="model file does not match the config"):
        MTSpeech2Text(save_random_model(other, tmp_path / "other"), exp / "model.pth")
    with pytest.raises(MTASRInputError, match="expects a packed model"):
        MTSpeech2Text.from_packed(exp / "model.pth")


def test_ctc_only_decoding(s2t, exp):
    ctc_only = MTSpeech2Text(exp / "config.yaml", exp / "model.pth", beam_size=2, ctc_weight=1.0)
    text, *_ = ctc_only(np.zeros(16000, dtype=np.float32))[0]
    assert isinstance(text, str)


def test_too_short_utterance_stops_before_decoding(tmp_path, s2t):
    data = write_kaldi_dir(tmp_path / "short", {"a": "x", "b": "y"}, seconds=0.03)
    with pytest.raises(MTASRInputError, match=r"wav.scp:1: utterance a .*too short to decode"):
        inference(s2t, tmp_path / "out", [(f"{data}/wav.scp", "speech", "sound")], batch_size=2)
    assert not (tmp_path / "out").exists()
