"""Train a small Hugging Face tokenizer on transcripts (stage 6 of the mini recipes).

The tokenizer is a BPE model with a sentencepiece-style ``▁`` word boundary (so
``decode(encode(text)) == text``), saved with ``save_pretrained`` so that
``AutoTokenizer.from_pretrained`` (and ESPnet's ``token_type: hugging_face``) load it.
Tokens in ``added_tokens`` (``<sc>``, speaker tags) are added as NON-special tokens:
they survive ``skip_special_tokens=True`` decoding, as ESPnet's tokenizer wrapper uses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence, Union

from espnet_mtasr.text.sot import SC
from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.fileio import ensure_output_dir

SPECIAL_TOKENS = {"unk": "<unk>", "bos": "<s>", "eos": "</s>", "pad": "<pad>"}


def train_llm_tokenizer(
    texts: Iterable[str],
    out_dir: Union[str, Path],
    vocab_size: int = 500,
    added_tokens: Sequence[str] = (SC,),
):
    """Train a BPE tokenizer on ``texts`` and save it to ``out_dir``.

    Args:
        texts: training sentences (the ``added_tokens`` in them are removed first, so
            they never get split into pieces).
        out_dir: where ``tokenizer.json`` and its config are written (created).
        vocab_size: the BPE vocabulary size (before ``added_tokens``).
        added_tokens: whole tokens appended after the BPE vocabulary.

    Returns:
        The loaded ``PreTrainedTokenizerFast``.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    drop = set(added_tokens)
    lines = [" ".join(w for w in t.split() if w not in drop) for t in texts]
    lines = [ln for ln in lines if ln]
    if not lines:
        raise MTASRInputError("no training text for the LLM tokenizer", fix="check data/train/text")
    tok = Tokenizer(models.BPE(unk_token=SPECIAL_TOKENS["unk"]))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=list(SPECIAL_TOKENS.values()), show_progress=False
    )
    tok.train_from_iterator(lines, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token=SPECIAL_TOKENS["unk"],
        bos_token=SPECIAL_TOKENS["bos"],
        eos_token=SPECIAL_TOKENS["eos"],
        pad_token=SPECIAL_TOKENS["pad"],
    )
    fast.add_tokens(list(added_tokens), special_tokens=False)
    out_dir = Path(out_dir)
    ensure_output_dir(out_dir)
    fast.save_pretrained(str(out_dir))
    return fast
