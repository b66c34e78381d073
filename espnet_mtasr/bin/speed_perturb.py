"""Stage 2 (optional): speed-perturb a data dir into one combined dir (ESPnet asr.sh style).

    python -m espnet_mtasr.bin.speed_perturb --in_dir data/train --out_dir data/train_sp \
        [--factors 0.9 1.0 1.1]

Utterances of a factor f != 1 get the id prefix ``sp<f>-`` and a ``sox ... speed f |``
wav.scp entry; durations and talker times are divided by f, transcripts are unchanged.
OUT_DIR is replaced atomically (complete or absent). Needs ``sox`` when the audio is read.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from espnet_mtasr.data.speed_perturb import speed_perturb_data_dir
from espnet_mtasr.utils.errors import exit_on_input_error


def get_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--in_dir", required=True, help="e.g. data/train")
    parser.add_argument("--out_dir", required=True, help="e.g. data/train_sp")
    parser.add_argument(
        "--factors", type=float, nargs="+", default=[0.9, 1.0, 1.1], help="speed factors"
    )
    return parser


@exit_on_input_error
def main(cmd: Sequence[str] | None = None) -> None:
    """Perturb; print the number of utterances written."""
    args = get_parser().parse_args(cmd)
    n = speed_perturb_data_dir(args.in_dir, args.out_dir, args.factors)
    factors = " ".join(f"{f:g}" for f in args.factors)
    print(f"speed_perturb: wrote {n} utterances (factors {factors}) to {args.out_dir}")


if __name__ == "__main__":
    main()
