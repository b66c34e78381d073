"""A tiny causal LM trained on the recipe's transcripts (stage 6 of the mini recipes).

The mini recipes have no pretrained LLM; a small LLaMA-architecture model trained on the
training transcripts (SOT text with ``<sc>``) gives the LLM decoder a real text prior.
Training uses transformers' ``Trainer`` (next-token cross entropy); the result is an
ordinary HF folder (model + tokenizer) that ``decoder_conf.llm_path`` points at.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import List, Sequence, Union

import torch

from espnet_mtasr.llm.tokenizer import train_llm_tokenizer
from espnet_mtasr.text.sot import SC
from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.fileio import atomic_dir

logger = logging.getLogger(__name__)


class _Lines(torch.utils.data.Dataset):
    def __init__(self, ids: List[List[int]]):
        self.ids = ids

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int):
        return {"input_ids": self.ids[i]}


def train_tiny_lm(
    texts: Sequence[str],
    out_dir: Union[str, Path],
    vocab_size: int = 500,
    hidden_size: int = 128,
    num_layers: int = 2,
    num_heads: int = 4,
    epochs: float = 5.0,
    lr: float = 1e-3,
    batch_size: int = 32,
    seed: int = 0,
    added_tokens: Sequence[str] = (SC,),
) -> Path:
    """Train a tokenizer and a tiny LLaMA on ``texts``; save both to ``out_dir``.

    Returns ``out_dir``; it is written atomically (a failed run leaves no folder).
    """
    from transformers import (
        DataCollatorForLanguageModeling,
        LlamaConfig,
        LlamaForCausalLM,
        Trainer,
        TrainingArguments,
    )

    texts = [t for t in texts if t.strip()]
    if not texts:
        raise MTASRInputError("no training text for the tiny LM", fix="check the --text file")
    if hidden_size % num_heads:
        raise MTASRInputError(
            f"--hidden_size {hidden_size} is not divisible by --num_heads {num_heads}"
        )
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        tok = train_llm_tokenizer(texts, tmp, vocab_size=vocab_size, added_tokens=added_tokens)
        ids = [tok(t, add_special_tokens=False)["input_ids"] for t in texts]
        ids = [[tok.bos_token_id, *x, tok.eos_token_id] for x in ids]
        torch.manual_seed(seed)
        config = LlamaConfig(
            vocab_size=len(tok),
            hidden_size=hidden_size,
            intermediate_size=4 * hidden_size,
            num_hidden_layers=num_layers,
            num_attention_heads=num_heads,
            num_key_value_heads=num_heads,
            max_position_embeddings=max(512, max(len(x) for x in ids) * 4),
            bos_token_id=tok.bos_token_id,
            eos_token_id=tok.eos_token_id,
            pad_token_id=tok.pad_token_id,
            tie_word_embeddings=True,
        )
        model = LlamaForCausalLM(config)
        args = TrainingArguments(
            output_dir=str(tmp / "trainer"),
            num_train_epochs=epochs,
            learning_rate=lr,
            per_device_train_batch_size=batch_size,
            lr_scheduler_type="cosine",
            warmup_steps=max(1, len(ids) // batch_size // 10),
            logging_steps=50,
            save_strategy="no",
            report_to=[],
            seed=seed,
            use_cpu=not torch.cuda.is_available(),
            disable_tqdm=True,
        )
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=_Lines(ids),
            data_collator=DataCollatorForLanguageModeling(tok, mlm=False),
        )
        result = trainer.train()
        logger.info(f"tiny LM: {len(ids)} lines, final train loss {result.training_loss:.3f}")
        model.save_pretrained(str(tmp))
        tok.save_pretrained(str(tmp))
        shutil.rmtree(tmp / "trainer", ignore_errors=True)
    return out_dir


def export_token_list(tokenizer_dir: Union[str, Path], path: Union[str, Path]) -> Path:
    """Write the tokenizer's vocabulary in id order, one token per line (ESPnet token list).

    This is the token list of ``token_type: hugging_face`` (``bpemodel`` = the same
    folder): ESPnet's token ids are then the tokenizer's ids.
    """
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tokenizer_dir), local_files_only=True)
    tokens = tok.convert_ids_to_tokens(list(range(len(tok))))
    bad = [i for i, t in enumerate(tokens) if t is None or not t.strip() or "\n" in t]
    if bad:
        raise MTASRInputError(
            f"tokenizer ids {bad[:5]} have no printable token; cannot write a token list",
            path=tokenizer_dir,
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(t + "\n" for t in tokens), encoding="utf-8")
    return path
