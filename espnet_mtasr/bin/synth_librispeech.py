"""Synthesize a small LibriSpeech-layout corpus with espeak-ng (the mini recipe's source).

Writes ``<out_root>/LibriSpeech/{train-clean-100,dev-clean,test-clean}/<spk>/<chap>/``
(16 kHz flac + ``.trans.txt``) and ``LibriSpeech/SPEAKERS.TXT``. Example::

    python -m espnet_mtasr.bin.synth_librispeech --out_root corpus \\
        --train_utts 1500 --dev_utts 200 --test_utts 200 --nj 4
"""

from __future__ import annotations

import argparse
import time
from typing import List

from espnet_mtasr.data.synth import synthesize_librispeech
from espnet_mtasr.utils.errors import exit_on_input_error


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out_root", required=True, help="dir to hold LibriSpeech/")
    for split, utts, spks in (("train", 1500, 16), ("dev", 200, 4), ("test", 200, 4)):
        parser.add_argument(f"--{split}_utts", type=int, default=utts, help="utterances")
        parser.add_argument(f"--{split}_speakers", type=int, default=spks, help="speakers")
    parser.add_argument("--min_words", type=int, default=3, help="shortest sentence (>= 3)")
    parser.add_argument("--max_words", type=int, default=7, help="longest sentence (<= 8)")
    parser.add_argument(
        "--max_per_category",
        type=int,
        default=None,
        help="use only the first N words of each word list (smaller vocabulary; default all)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--nj", type=int, default=4, help="parallel espeak-ng processes")
    return parser


@exit_on_input_error
def main(cmd: List[str] | None = None) -> None:
    """Run :func:`espnet_mtasr.data.synth.synthesize_librispeech`."""
    args = get_parser().parse_args(cmd)
    names = {"train": "train-clean-100", "dev": "dev-clean", "test": "test-clean"}
    splits = {names[s]: getattr(args, f"{s}_utts") for s in names}
    speakers = {names[s]: getattr(args, f"{s}_speakers") for s in names}
    t0 = time.time()
    out = synthesize_librispeech(
        args.out_root,
        splits=splits,
        speakers=speakers,
        min_words=args.min_words,
        max_words=args.max_words,
        seed=args.seed,
        nj=args.nj,
        max_per_category=args.max_per_category,
    )
    print(f"wrote {out} ({sum(splits.values())} utterances, {time.time() - t0:.1f} s)")


if __name__ == "__main__":
    main()
