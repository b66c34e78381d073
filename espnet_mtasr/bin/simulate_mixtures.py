"""Simulate LibriMix-layout 1/2/3-talker mixtures from a single-speaker corpus.

Source: a Kaldi data dir (``--data_dir``) or a LibriSpeech-layout tree
(``--librispeech_root`` + ``--librispeech_subsets``). Example (mini corpus)::

    python -m espnet_mtasr.bin.simulate_mixtures --librispeech_root corpus \\
        --librispeech_subsets dev-clean --subset dev --num_mixtures 1:50 2:100 3:50 \\
        --out_root corpus/LibriMix
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

from espnet_mtasr.data.librispeech import prepare_librispeech
from espnet_mtasr.data.mixture import simulate_librimix
from espnet_mtasr.utils.errors import exit_on_input_error


def _count(spec: str) -> Tuple[int, int]:
    """``"2:300"`` -> ``(2, 300)``."""
    k, sep, n = spec.partition(":")
    if not sep or k not in ("1", "2", "3") or not n.isdigit():
        raise argparse.ArgumentTypeError(f"{spec!r}: use <talkers>:<count>, talkers 1..3")
    return int(k), int(n)


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--data_dir", help="single-speaker Kaldi dir (wav.scp, utt2spk)")
    src.add_argument("--librispeech_root", help="dir holding LibriSpeech/")
    parser.add_argument(
        "--librispeech_subsets", nargs="+", help="with --librispeech_root, e.g. dev-clean"
    )
    parser.add_argument("--out_root", required=True, help="LibriMix root to write into")
    parser.add_argument("--subset", required=True, help="LibriMix subset name, e.g. dev")
    parser.add_argument(
        "--num_mixtures",
        nargs="+",
        type=_count,
        required=True,
        help="<talkers>:<count> ..., e.g. 1:100 2:300 3:200",
    )
    parser.add_argument("--min_delay", type=float, default=0.5, help="seconds")
    parser.add_argument("--max_delay", type=float, default=1.5, help="seconds")
    parser.add_argument("--gain_db_range", type=float, nargs=2, default=(-3.0, 3.0))
    parser.add_argument(
        "--noise_snr_db", type=float, nargs=2, default=None, help="add noise at this SNR range"
    )
    parser.add_argument("--noise_type", default="pink", choices=["pink", "white"])
    parser.add_argument("--sample_rate", type=int, default=16000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--nj", type=int, default=4, help="parallel threads")
    parser.add_argument(
        "--no_sources",
        action="store_true",
        help="do not write s1..s3 (saves ~2/3 of the disk; CSV source paths left empty)",
    )
    return parser


@exit_on_input_error
def main(cmd: List[str] | None = None) -> None:
    """Run :func:`espnet_mtasr.data.mixture.simulate_librimix`."""
    parser = get_parser()
    args = parser.parse_args(cmd)
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = prepare_librispeech(
                args.librispeech_root, Path(tmp) / "data", args.librispeech_subsets
            )
        written = simulate_librimix(
            data_dir,
            args.out_root,
            args.subset,
            dict(args.num_mixtures),
            min_delay=args.min_delay,
            max_delay=args.max_delay,
            gain_db_range=tuple(args.gain_db_range),
            noise_snr_db=None if args.noise_snr_db is None else tuple(args.noise_snr_db),
            noise_type=args.noise_type,
            seed=args.seed,
            sample_rate=args.sample_rate,
            nj=args.nj,
            write_sources=not args.no_sources,
        )
    for path in written.values():
        print(f"wrote {path}")
    print(f"done in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
