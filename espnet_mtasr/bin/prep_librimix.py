"""Prepare a LibriMix subset as a multi-talker Kaldi data dir with SOT text.

Example::

    python -m espnet_mtasr.bin.prep_librimix --librimix_root /corpora/LibriMix \\
        --librispeech_root /corpora --subset dev \\
        --sources 2:mix_single 2:mix_clean 3:mix_clean --out_dir data/dev
"""

from __future__ import annotations

import argparse
from typing import List, Tuple

from espnet_mtasr.data.librimix import MIX_TYPES, parse_source_spec, prepare_librimix
from espnet_mtasr.utils.errors import exit_on_input_error


def _source(spec: str) -> Tuple[int, str]:
    """argparse type for ``<n_src>:<type>``."""
    try:
        return parse_source_spec(spec)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--librimix_root", required=True, help="dir holding Libri{2,3}Mix/")
    parser.add_argument(
        "--librispeech_root",
        required=True,
        help="dir holding LibriSpeech/ (transcripts), or a single-speaker Kaldi dir",
    )
    parser.add_argument("--subset", required=True, help="train-100, train-360, dev or test")
    parser.add_argument(
        "--sources",
        nargs="+",
        default=[(2, "mix_clean")],
        type=_source,
        help=f"<n_src>:<type> with type in {list(MIX_TYPES)} (default: 2:mix_clean)",
    )
    parser.add_argument("--out_dir", required=True, help="Kaldi data dir to (re)create")
    parser.add_argument("--sample_rate", default="16k", choices=["8k", "16k"])
    parser.add_argument("--mode", default="max", choices=["max", "min"])
    return parser


@exit_on_input_error
def main(cmd: List[str] | None = None) -> None:
    """Run :func:`espnet_mtasr.data.librimix.prepare_librimix`."""
    args = get_parser().parse_args(cmd)
    out = prepare_librimix(
        args.librimix_root,
        args.librispeech_root,
        args.out_dir,
        args.sources,
        args.subset,
        args.sample_rate,
        args.mode,
    )
    n = sum(1 for _ in open(out / "wav.scp", encoding="utf-8"))
    print(f"wrote {out} ({n} utterances)")


if __name__ == "__main__":
    main()
