"""Tiny local HF causal LMs + tokenizers for tests (built in tmp dirs, nothing downloaded)."""

from __future__ import annotations

from pathlib import Path

import torch
from task_helpers import tiny_sot_config

from espnet_mtasr.llm.tiny_lm import export_token_list
from espnet_mtasr.llm.tokenizer import train_llm_tokenizer

SENTENCES = [
    "SHE OPENED AN APPLE",
    "WE COULD SING <sc> FOUR DOCTORS JUMPED",
    "THE GREEN BIRD SANG A SONG",
    "HELLO WORLD <sc> GOOD MORNING <sc> THANK YOU",
    "A DOG RAN TO THE PARK",
] * 4


def make_tiny_llm(
    tmp: Path, family: str = "llama", extra_rows: int = 0, added_tokens=("<sc>",)
) -> Path:
    """Save a tiny random causal LM + tokenizer (with ``added_tokens``) to ``tmp / family``.

    ``llama``: the LM's vocabulary stops before the added tokens (added later);
    ``qwen2``: the LM's vocabulary is padded past the tokenizer (``extra_rows`` more).
    """
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    out = tmp / family
    tok = train_llm_tokenizer(SENTENCES, out, vocab_size=80, added_tokens=added_tokens)
    common = dict(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(0)
    if family == "llama":
        model = LlamaForCausalLM(LlamaConfig(vocab_size=len(tok) - len(added_tokens), **common))
    else:
        model = Qwen2ForCausalLM(Qwen2Config(vocab_size=len(tok) + extra_rows, **common))
    model.save_pretrained(str(out))
    return out


def llm_sot_config(tmp_path: Path, llm_dir: Path) -> dict:
    """:func:`tiny_sot_config` with ``hf_llm`` and ``llm_sot``; writes the token list."""
    token_list = export_token_list(llm_dir, tmp_path / "tokens.txt")
    config = tiny_sot_config(
        tmp_path,
        token_list=str(token_list),
        token_type="hugging_face",
        bpemodel=str(llm_dir),
        model="llm_sot",
        model_conf={"lsm_weight": 0.1},
        decoder="hf_llm",
        decoder_conf={
            "llm_path": str(llm_dir),
            "projector_hidden": 16,
            "lora_rank": 2,
            "lora_target_modules": ["q_proj", "v_proj"],
        },
    )
    del config["non_linguistic_symbols"]
    return config


SOP_PARTS = {
    "separator": "lstm",
    "separator_conf": {"num_streams": 3, "hidden_size": 16, "output_size": 12},
    "serialized_ctc": "linear",
    "serialized_ctc_conf": {"blank_id": 0},
}


def sop_llm_config(tmp_path: Path, llm_dir: Path, **model_conf) -> dict:
    """:func:`llm_sot_config` as ``sop_llm`` (3-stream LSTM separator + linear serialized CTC)."""
    config = llm_sot_config(tmp_path, llm_dir)
    config.update(SOP_PARTS, model="sop_llm", model_conf={"lsm_weight": 0.1, **model_conf})
    return config


def encoder_only_config(tmp_path: Path, llm_dir: Path, teacher: bool = True, **model_conf):
    """``encoder_only``: 3 branches (LSTM separator + linear serialized CTC), a pooled
    talker-count head and, with ``teacher``, the ``hf_llm`` LLM-SOT teacher."""
    config = sop_llm_config(tmp_path, llm_dir)
    config.update(
        model="encoder_only",
        model_conf={"llm_weight": 1.0 if teacher else 0.0, **model_conf},
        talker_count="pooled",
        talker_count_conf={"num_talkers": 3, "lstm_hidden": 8, "hidden_size": 16},
    )
    if not teacher:
        config.update(decoder=None, decoder_conf={})
    return config


SPK_TAGS = ("<spk1>", "<spk2>", "<spk3>")


def sa_llm_config(tmp_path: Path, llm_dir: Path, fusion: str = "interleave", **model_conf):
    """``sa_llm``: the tiny LLM (made with ``added_tokens=SPK_TAGS``) + an ECAPA speaker
    encoder at the conformer's frame rate (stride 4)."""
    config = llm_sot_config(tmp_path, llm_dir)
    config["decoder_conf"]["added_tokens"] = list(SPK_TAGS)
    config.update(
        model="sa_llm",
        model_conf={"fusion": fusion, "interleave_frames": 2, "lsm_weight": 0.1, **model_conf},
    )
    if fusion != "semantic":
        config.update(
            speaker_encoder="espnet_spk",
            speaker_encoder_conf={
                "network": "ecapa_tdnn",
                "network_conf": {"ndim": 16, "output_size": 24, "model_scale": 2},
                "output_size": 8,
                "stride": 4,
            },
        )
    return config


# A tiny WavLM config (built from config; nothing downloaded)
TINY_WAVLM = {
    "hidden_size": 16,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 32,
    "conv_dim": [8] * 7,
    "num_conv_pos_embeddings": 16,
    "num_conv_pos_embedding_groups": 2,
    "num_buckets": 16,
    "max_bucket_distance": 32,
}
