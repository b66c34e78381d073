"""Stage 4: remove too short / too long utterances from a data dir.

    python -m espnet_mtasr.bin.filter_data_dir --in_dir dump/raw/org/train \
        --out_dir dump/raw/train [--min_dur 0.1] [--max_dur 30] [--fs 16000] \
        [--max_tokens N [--token_type word|char]]

Durations come from utt2num_samples (divided by --fs) or else utt2dur. The utterances are
removed from every per-utterance file, wav.scp and spk2utt consistently; the number
removed is printed. OUT_DIR is replaced atomically (complete or absent).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from espnet_mtasr.data.datadir import filter_data_dir, parse_sample_rate
from espnet_mtasr.metrics.tokens import MODES
from espnet_mtasr.utils.errors import exit_on_input_error


def get_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--in_dir", required=True, help="e.g. dump/raw/org/train")
    parser.add_argument("--out_dir", required=True, help="e.g. dump/raw/train")
    parser.add_argument("--min_dur", type=float, default=0.1, help="seconds")
    parser.add_argument("--max_dur", type=float, default=30.0, help="seconds")
    parser.add_argument(
        "--fs", type=parse_sample_rate, default=16000, help="rate of utt2num_samples"
    )
    parser.add_argument(
        "--max_tokens", type=int, default=None, help="also drop longer texts (default: no limit)"
    )
    parser.add_argument(
        "--token_type", choices=MODES, default="word", help="what --max_tokens counts"
    )
    return parser


@exit_on_input_error
def main(cmd: Sequence[str] | None = None) -> None:
    """Filter; print how many utterances were removed."""
    args = get_parser().parse_args(cmd)
    report = filter_data_dir(
        args.in_dir,
        args.out_dir,
        min_dur=args.min_dur,
        max_dur=args.max_dur,
        fs=args.fs,
        max_tokens=args.max_tokens,
        token_type=args.token_type,
    )
    print(f"filter_data_dir: {args.out_dir}: {report.summary()}")


if __name__ == "__main__":
    main()
