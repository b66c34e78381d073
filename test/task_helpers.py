"""Helpers of the MTASRTask tests: token lists, configs, random-noise Kaldi dirs.

Imported as ``from task_helpers import ...`` by ``test/tasks`` and ``test/bin`` (pytest puts
``test/`` on ``sys.path``: ``pythonpath`` in ``pyproject.toml``); the fixtures built on them
(``token_dir``, ``sot_config``, ``kaldi_dir``) are in ``test/conftest.py``.
"""

from __future__ import annotations

import argparse
import string
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import soundfile as sf
import yaml

SC = "<sc>"
FS = 16000

# Two-talker SOT transcripts (start-time order, joined by <sc>) and one single talker.
TEXTS = {
    "2spk-a": "the cat sat <sc> a dog ran",
    "2spk-b": "big red sun <sc> hello",
    "1spk-c": "on the mat",
    "2spk-d": "far away <sc> the sun",
}


def char_tokens() -> List[str]:
    """ESPnet-style char token list with ``<sc>``: blank, unk, tokens, sos/eos."""
    return ["<blank>", "<unk>", "<space>", SC, *string.ascii_lowercase, "<sos/eos>"]


def write_token_list(directory: Path, tokens: Optional[Sequence[str]] = None) -> Path:
    """Write ``tokens.txt`` and ``nlsyms.txt`` (``<sc>``) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "nlsyms.txt").write_text(f"{SC}\n", encoding="utf-8")
    path = directory / "tokens.txt"
    path.write_text("".join(f"{t}\n" for t in tokens or char_tokens()), encoding="utf-8")
    return path


def write_bpe_token_list(directory: Path, user_symbols: bool = True) -> Tuple[Path, Path]:
    """Train a tiny sentencepiece model (``<sc>`` user-defined unless ``user_symbols`` is
    False); write ``bpe.model`` and an ESPnet token list ``tokens.txt`` into ``directory``.
    """
    import sentencepiece as spm

    directory.mkdir(parents=True, exist_ok=True)
    corpus = directory / "corpus.txt"
    corpus.write_text("".join(f"{t}\n" for t in TEXTS.values()) * 20, encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(directory / "bpe"),
        vocab_size=40,
        hard_vocab_limit=False,
        model_type="unigram",
        user_defined_symbols=[SC] if user_symbols else [],
        character_coverage=1.0,
        minloglevel=2,
    )
    sp = spm.SentencePieceProcessor(model_file=str(directory / "bpe.model"))
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    pieces = [p for p in pieces if p not in ("<unk>", "<s>", "</s>", SC)]
    tokens = ["<blank>", "<unk>", *pieces, SC, "<sos/eos>"]
    write_token_list(directory, tokens)
    return directory / "bpe.model", directory / "tokens.txt"


def tiny_sot_config(token_dir: Path, **overrides: Any) -> Dict[str, Any]:
    """A tiny conformer encoder + transformer decoder SOT-AED training config."""
    config: Dict[str, Any] = {
        "token_list": str(token_dir / "tokens.txt"),
        "token_type": "char",
        "non_linguistic_symbols": str(token_dir / "nlsyms.txt"),
        "frontend": "default",
        "frontend_conf": {"fs": FS, "n_fft": 256, "hop_length": 160, "n_mels": 16},
        "normalize": "utterance_mvn",
        "model": "espnet",
        "model_conf": {"ctc_weight": 0.3, "lsm_weight": 0.1},
        "encoder": "conformer",
        "encoder_conf": {
            "output_size": 16,
            "attention_heads": 2,
            "linear_units": 32,
            "num_blocks": 1,
            "cnn_module_kernel": 3,
            "input_layer": "conv2d",
            "rel_pos_type": "latest",
        },
        "decoder": "transformer",
        "decoder_conf": {"attention_heads": 2, "linear_units": 32, "num_blocks": 1},
        "seed": 0,
    }
    config.update(overrides)
    return config


def write_yaml(path: Path, data: Dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        yaml.safe_dump(data, f, sort_keys=False)
    return path


def parse_config(config: Path, *extra: str) -> argparse.Namespace:
    """Parse a training YAML (and extra options) with MTASRTask's own parser."""
    from espnet_mtasr.tasks.mtasr import MTASRTask

    return MTASRTask.get_parser().parse_args(["--config", str(config), *extra])


def write_kaldi_dir(
    directory: Path,
    texts: Optional[Dict[str, str]] = None,
    seconds: float = 1.0,
    fs: int = FS,
    seed: int = 0,
) -> Path:
    """A Kaldi data dir of random-noise wavs: ``wav.scp``, ``text`` (SOT, with ``<sc>``)."""
    texts = TEXTS if texts is None else texts
    rng = np.random.default_rng(seed)
    wav_dir = directory / "wav"
    wav_dir.mkdir(parents=True, exist_ok=True)
    scp, txt = [], []
    for i, (utt, text) in enumerate(sorted(texts.items())):
        n = int(fs * seconds * (1.0 - 0.1 * (i % 3)))  # differing lengths
        wav = wav_dir / f"{utt}.wav"
        sf.write(wav, (0.1 * rng.standard_normal(n)).astype(np.float32), fs)
        scp.append(f"{utt} {wav}\n")
        txt.append(f"{utt} {text}\n")
    (directory / "wav.scp").write_text("".join(scp), encoding="utf-8")
    (directory / "text").write_text("".join(txt), encoding="utf-8")
    return directory


def save_random_model(config: Path, out_dir: Path) -> Path:
    """Build the model of a config, save its (random) state dict; return ``config.yaml``.

    Mimics what training leaves in an exp dir: ``config.yaml`` (the args after
    ``build_model``, token list inlined) and ``model.pth``.
    """
    import torch
    from espnet2.utils.yaml_no_alias_safe_dump import yaml_no_alias_safe_dump

    from espnet_mtasr.tasks.mtasr import MTASRTask

    args = parse_config(config)
    torch.manual_seed(0)
    model = MTASRTask.build_model(args)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out_dir / "model.pth")
    with (out_dir / "config.yaml").open("w", encoding="utf-8") as f:
        yaml_no_alias_safe_dump(vars(args), f, indent=4, sort_keys=False)
    return out_dir / "config.yaml"


def tiny_sot_exp(directory: Path) -> Path:
    """A random tiny SOT-AED exp dir under ``directory`` (char token list, config,
    ``config.yaml`` + ``model.pth``, as :func:`save_random_model` leaves them); its path."""
    write_token_list(directory / "token_list")
    config = write_yaml(directory / "train.yaml", tiny_sot_config(directory / "token_list"))
    return save_random_model(config, directory / "exp").parent


PACK_ARGS = (
    "--asr_train_config",
    "exp/asr/config.yaml",
    "--asr_model_file",
    "exp/asr/model.pth",
    "--outpath",
    "exp/asr/model.zip",
)
"""``mtasr_pack`` arguments for the model that the recipe-like tests leave in ``exp/asr``."""

RECIPE_STATS = "exp/asr_stats/train/feats_stats.npz"
RECIPE_BPE_DIR = "data/token_list/bpe_unigram"


def write_bpe_mvn_sot_recipe(mean_scale: float, sum_square: float, n_mels: int = 16) -> Path:
    """In the cwd, as asr.sh leaves a recipe: a BPE token list with ``<sc>``
    (:data:`RECIPE_BPE_DIR`), global-MVN stats of 100 frames (:data:`RECIPE_STATS`: sums
    ``mean_scale`` x N(0, 1), squares ``sum_square``), ``conf/train.yaml`` and a random
    tiny SOT-AED in ``exp/asr``, all named by paths relative to the recipe; the token list.
    """
    bpe, tokens = write_bpe_token_list(Path(RECIPE_BPE_DIR))
    Path(RECIPE_STATS).parent.mkdir(parents=True)
    rng = np.random.default_rng(0)
    np.savez(
        RECIPE_STATS,
        count=np.array(100),
        sum=rng.standard_normal(n_mels) * mean_scale,
        sum_square=np.full(n_mels, sum_square),
    )
    config = tiny_sot_config(
        Path(RECIPE_BPE_DIR),
        token_type="bpe",
        bpemodel=str(bpe),
        token_list=str(tokens),
        non_linguistic_symbols=None,
        normalize="global_mvn",
        normalize_conf={"stats_file": RECIPE_STATS},
    )
    save_random_model(write_yaml(Path("conf/train.yaml"), config), Path("exp/asr"))
    return tokens
