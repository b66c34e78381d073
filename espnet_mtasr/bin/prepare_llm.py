"""Stage 6: prepare the LLM of an LLM-decoder recipe.

Examples::

    # mini recipes: a tiny LLaMA + tokenizer trained on the training transcripts
    python -m espnet_mtasr.bin.prepare_llm --mode train_tiny --text dump/raw/train/text \\
        --out_dir exp/llm
    # a pretrained local checkpoint: its tokenizer with <sc> added goes to out_dir/tokenizer
    python -m espnet_mtasr.bin.prepare_llm --mode link --llm_path /models/Llama-3.2-3B \\
        --text dump/raw/train/text --out_dir exp/llm

Both write ``out_dir/tokens.txt``, the ESPnet token list of ``token_type: hugging_face``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Optional, Sequence

from espnet_mtasr.text.sot import SC
from espnet_mtasr.utils.errors import exit_on_input_error
from espnet_mtasr.utils.fileio import atomic_dir
from espnet_mtasr.utils.kaldi_io import read_kaldi_lines
from espnet_mtasr.utils.local_model import check_local_hf_folder


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--mode", required=True, choices=["train_tiny", "link"])
    p.add_argument("--text", required=True, help="Kaldi text of the training set")
    p.add_argument("--out_dir", required=True)
    p.add_argument("--llm_path", default=None, help="--mode link: a local HF checkpoint")
    p.add_argument("--added_tokens", nargs="+", default=[SC])
    g = p.add_argument_group("--mode train_tiny")
    g.add_argument("--vocab_size", type=int, default=500)
    g.add_argument("--hidden_size", type=int, default=128)
    g.add_argument("--num_layers", type=int, default=2)
    g.add_argument("--num_heads", type=int, default=4)
    g.add_argument("--epochs", type=float, default=5.0)
    g.add_argument("--lr", type=float, default=1e-3)
    g.add_argument("--batch_size", type=int, default=32)
    g.add_argument("--seed", type=int, default=0)
    return p


@exit_on_input_error
def main(argv: Optional[Sequence[str]] = None) -> None:
    args = get_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s: %(message)s")
    from espnet_mtasr.llm.tiny_lm import export_token_list, train_tiny_lm

    texts = [ln.value for ln in read_kaldi_lines(args.text, missing_fix="run stage 1-4 first")]
    out = Path(args.out_dir)
    if args.mode == "train_tiny":
        train_tiny_lm(
            texts,
            out,
            vocab_size=args.vocab_size,
            hidden_size=args.hidden_size,
            num_layers=args.num_layers,
            num_heads=args.num_heads,
            epochs=args.epochs,
            lr=args.lr,
            batch_size=args.batch_size,
            seed=args.seed,
            added_tokens=args.added_tokens,
        )
        export_token_list(out, out / "tokens.txt")
    else:
        check_local_hf_folder(args.llm_path, "--llm_path", "causal LM")
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(args.llm_path, local_files_only=True)
        tok.add_tokens(list(args.added_tokens), special_tokens=False)
        with atomic_dir(out) as tmp:
            tok.save_pretrained(str(tmp / "tokenizer"))
            (tmp / "llm_path").write_text(str(Path(args.llm_path).resolve()) + "\n")
            export_token_list(tmp / "tokenizer", tmp / "tokens.txt")
    print(f"prepare_llm: {args.mode} -> {out} (token list {out / 'tokens.txt'})")


if __name__ == "__main__":
    main(sys.argv[1:])
