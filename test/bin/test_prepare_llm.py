"""prepare_llm (stage 6): a tiny LM trained on transcripts; link mode; bad input."""

from __future__ import annotations

import pytest
import torch
from llm_helpers import SENTENCES, make_tiny_llm

from espnet_mtasr.asr.decoder.hf_llm_decoder import HFLLMDecoder
from espnet_mtasr.bin import prepare_llm


@pytest.fixture
def text(tmp_path):
    p = tmp_path / "text"
    p.write_text("".join(f"u{i:03d} {s}\n" for i, s in enumerate(SENTENCES)), encoding="utf-8")
    return p


def test_train_tiny_learns_and_loads_in_the_decoder(tmp_path, text):
    out = tmp_path / "llm"
    prepare_llm.main(
        [
            "--mode",
            "train_tiny",
            "--text",
            str(text),
            "--out_dir",
            str(out),
            "--vocab_size",
            "60",
            "--hidden_size",
            "32",
            "--num_heads",
            "2",
            "--epochs",
            "30",
            "--lr",
            "3e-3",
            "--batch_size",
            "8",
        ]
    )
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(out))
    model = AutoModelForCausalLM.from_pretrained(str(out)).eval()
    tokens = (out / "tokens.txt").read_text(encoding="utf-8").splitlines()
    assert len(tokens) == len(tok) and tokens[tok.convert_tokens_to_ids("<sc>")] == "<sc>"

    # the LM learned the transcripts: a training sentence is far likelier than a shuffle
    def nll(s):
        ids = torch.tensor([[tok.bos_token_id, *tok(s, add_special_tokens=False).input_ids]])
        with torch.no_grad():
            return float(model(ids, labels=ids).loss)

    assert nll("THE GREEN BIRD SANG A SONG") < nll("SONG A SANG BIRD GREEN THE") - 1.0
    dec = HFLLMDecoder(vocab_size=len(tokens), encoder_output_size=4, llm_path=str(out))
    assert dec.vocab_size == len(tok)


def test_link_adds_sc_to_a_copy_of_the_tokenizer(tmp_path, text):
    src = make_tiny_llm(tmp_path, "llama")
    out = tmp_path / "linked"
    prepare_llm.main(
        [
            "--mode",
            "link",
            "--llm_path",
            str(src),
            "--text",
            str(text),
            "--out_dir",
            str(out),
            "--added_tokens",
            "<sc>",
            "<spk1>",
        ]
    )
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(out / "tokenizer"))
    assert "<spk1>" in tok.get_vocab() and (out / "llm_path").read_text().strip() == str(src)
    assert len((out / "tokens.txt").read_text().splitlines()) == len(tok)


def test_missing_llm_path_and_text(tmp_path, text, capsys):
    with pytest.raises(SystemExit):
        prepare_llm.main(["--mode", "link", "--text", str(text), "--out_dir", str(tmp_path / "o")])
    assert "--llm_path is not set (fix: download the causal LM first" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        prepare_llm.main(
            [
                "--mode",
                "train_tiny",
                "--text",
                str(tmp_path / "none"),
                "--out_dir",
                str(tmp_path / "o"),
            ]
        )
    assert "file not found" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
