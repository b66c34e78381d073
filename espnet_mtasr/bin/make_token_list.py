"""Stage 5: build the token list (char or sentencepiece BPE) of a recipe.

The speaker-change token ``<sc>`` (and any other ``--symbols``, e.g. speaker tags) is kept
whole: a non-linguistic symbol for char tokens, a sentencepiece user-defined symbol for BPE.
The vocabulary is then counted by ESPnet's own ``tokenize_text`` so the list matches what
ESPnet's preprocessor produces in training:

    python -m espnet_mtasr.bin.make_token_list --text dump/raw/train/text \
        --token_type bpe --nbpe 300 --symbols "<sc>" --out_dir data/token_list/bpe_unigram300

Writes ``out_dir/tokens.txt``, ``out_dir/nlsyms.txt`` and, for BPE, ``out_dir/bpe.model``.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence

from espnet_mtasr.text.sot import SC
from espnet_mtasr.utils.errors import MTASRInputError, exit_on_input_error
from espnet_mtasr.utils.fileio import atomic_write, ensure_output_dir


def _read_texts(text: Path) -> List[str]:
    """Return the transcripts (2nd field on) of a Kaldi ``text`` file; check none is empty."""
    if not text.is_file():
        raise MTASRInputError("text file not found", path=text, fix="run stages 1-4 first")
    out = []
    with text.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            parts = line.rstrip("\n").split(maxsplit=1)
            if len(parts) < 2 or not parts[1].strip():
                raise MTASRInputError(
                    "empty transcript", path=text, line=lineno, fix="remove the utterance"
                )
            out.append(parts[1])
    if not out:
        raise MTASRInputError("no utterances", path=text, fix="check the data preparation")
    return out


def train_sentencepiece(
    sentences: Sequence[str],
    model_prefix: Path,
    nbpe: int,
    bpemode: str,
    symbols: Sequence[str],
    input_sentence_size: int = 100_000_000,
    character_coverage: float = 1.0,
) -> Path:
    """Train a sentencepiece model whose user-defined symbols are ``symbols``.

    ``nbpe`` is lowered to what the text can support (sentencepiece refuses a vocabulary
    larger than the number of distinct pieces); the value used is logged.
    """
    import sentencepiece as spm

    if bpemode not in ("unigram", "bpe"):
        raise MTASRInputError(f"--bpemode must be unigram or bpe, not {bpemode!r}")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
        f.write("\n".join(sentences) + "\n")
        corpus = f.name
    kwargs = dict(
        input=corpus,
        model_prefix=str(model_prefix),
        model_type=bpemode,
        character_coverage=character_coverage,
        input_sentence_size=input_sentence_size,
        user_defined_symbols=list(symbols),
        unk_surface="<unk>",
        minloglevel=2,
    )
    try:
        spm.SentencePieceTrainer.train(vocab_size=nbpe, **kwargs)
    except RuntimeError as e:
        # "Vocabulary size is too high. Please set it to a value <= N."
        msg = str(e)
        if "<=" not in msg:
            raise
        limit = int(msg.rsplit("<=", 1)[1].strip(" .\n"))
        logging.warning("nbpe=%d is too large for this text; using %d", nbpe, limit)
        spm.SentencePieceTrainer.train(vocab_size=limit, **kwargs)
    finally:
        Path(corpus).unlink()
    return model_prefix.with_suffix(".model")


def make_token_list(
    text: Path,
    out_dir: Path,
    token_type: str,
    symbols: Sequence[str],
    nbpe: int = 300,
    bpemode: str = "unigram",
    input_sentence_size: int = 100_000_000,
    character_coverage: float = 1.0,
) -> Path:
    """Write ``tokens.txt`` (+ ``bpe.model``) for ``text`` into ``out_dir``; return tokens.txt.

    The list is ``<blank>``, ``<unk>``, the tokens by decreasing count, ``<sos/eos>``
    (ESPnet's convention).
    """
    from espnet2.bin.tokenize_text import tokenize

    if token_type not in ("char", "bpe"):
        raise MTASRInputError(f"--token_type must be char or bpe, not {token_type!r}")
    sentences = _read_texts(text)
    ensure_output_dir(out_dir)
    nlsyms = out_dir / "nlsyms.txt"
    with atomic_write(nlsyms) as f:
        f.write("".join(f"{s}\n" for s in symbols))
    bpemodel: Optional[Path] = None
    if token_type == "bpe":
        with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
            model = train_sentencepiece(
                sentences,
                Path(tmp) / "bpe",
                nbpe,
                bpemode,
                symbols,
                input_sentence_size,
                character_coverage,
            )
            bpemodel = out_dir / "bpe.model"
            model.replace(bpemodel)
    tokens = out_dir / "tokens.txt"
    with tempfile.NamedTemporaryFile("w", dir=out_dir, suffix=".tmp", delete=False) as f:
        tmp_tokens = f.name
    try:
        tokenize(
            input=str(text),
            output=tmp_tokens,
            field="2-",
            delimiter=None,
            token_type=token_type,
            space_symbol="<space>",
            non_linguistic_symbols=str(nlsyms),
            bpemodel=None if bpemodel is None else str(bpemodel),
            log_level="WARNING",
            write_vocabulary=True,
            vocabulary_size=0,
            remove_non_linguistic_symbols=False,
            cutoff=0,
            add_symbol=["<blank>:0", "<unk>:1", "<sos/eos>:-1"],
            cleaner=None,
            g2p=None,
            add_nonsplit_symbol=[],
        )
        Path(tmp_tokens).replace(tokens)
    finally:
        Path(tmp_tokens).unlink(missing_ok=True)
    vocab = tokens.read_text(encoding="utf-8").split()
    missing = [s for s in symbols if s not in vocab]
    if missing:
        raise MTASRInputError(
            f"symbols {missing} never occur whole in the training text",
            path=text,
            fix="check --symbols against the transcripts",
        )
    logging.info("%s: %d tokens (%s)", tokens, len(vocab), token_type)
    return tokens


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--text", type=Path, required=True, help="Kaldi text of the train set")
    parser.add_argument("--out_dir", type=Path, required=True)
    parser.add_argument("--token_type", choices=["char", "bpe"], required=True)
    parser.add_argument(
        "--symbols", nargs="*", default=[SC], help="tokens kept whole, e.g. <sc> <spk1>"
    )
    parser.add_argument("--nbpe", type=int, default=300)
    parser.add_argument("--bpemode", choices=["unigram", "bpe"], default="unigram")
    parser.add_argument("--input_sentence_size", type=int, default=100_000_000)
    parser.add_argument("--character_coverage", type=float, default=1.0)
    return parser


@exit_on_input_error
def main(cmd: Optional[Sequence[str]] = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    args = get_parser().parse_args(cmd)
    symbols = [s for s in args.symbols if s]
    tokens = make_token_list(
        args.text,
        args.out_dir,
        args.token_type,
        symbols,
        args.nbpe,
        args.bpemode,
        args.input_sentence_size,
        args.character_coverage,
    )
    print(f"{tokens}: {len(tokens.read_text(encoding='utf-8').split())} tokens")


if __name__ == "__main__":
    main()
