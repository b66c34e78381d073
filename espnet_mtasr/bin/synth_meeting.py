"""Synthesise the mini_alimeeting corpus: Chinese espeak-ng meetings, AliMeeting layout.

Example::

    python -m espnet_mtasr.bin.synth_meeting --out_dir corpus/AliMeeting \\
        --sessions train:40 eval:6 test:6 --turns 8
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import List, Tuple

from espnet_mtasr.data.synth_meeting import PARTS, SPEC_FILE, VOICE_LANGS, synthesize_meetings
from espnet_mtasr.utils.errors import exit_on_input_error


def _split_count(spec: str) -> Tuple[str, int]:
    """argparse type for ``<split>:<n>``."""
    split, _, n = spec.partition(":")
    if split not in PARTS or not n.isdigit() or int(n) < 1:
        raise argparse.ArgumentTypeError(
            f"expected <split>:<n> with split in {list(PARTS)} and n >= 1, got {spec!r}"
        )
    return split, int(n)


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out_dir", type=Path, required=True, help="the corpus root")
    parser.add_argument(
        "--sessions",
        nargs="+",
        type=_split_count,
        default=[("train", 40), ("eval", 6), ("test", 6)],
    )
    parser.add_argument(
        "--speakers", nargs="+", type=_split_count, default=[("train", 8), ("eval", 4), ("test", 4)]
    )
    parser.add_argument("--turns", type=int, default=8, help="turns per session")
    parser.add_argument("--overlap", type=float, default=0.4, help="P(turn overlaps the last)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--nj", type=int, default=2, help="parallel espeak-ng processes")
    parser.add_argument(
        "--voice",
        choices=VOICE_LANGS,
        default=VOICE_LANGS[0],
        help="espeak-ng voice: yue reads every character of the grammar with Debian's "
        "espeak-ng; cmn needs one built with the full Mandarin dictionary",
    )
    return parser


@exit_on_input_error
def main(cmd: List[str] | None = None) -> None:
    """Run :func:`espnet_mtasr.data.synth_meeting.synthesize_meetings`."""
    args = get_parser().parse_args(cmd)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    sessions = dict(args.sessions)
    root = synthesize_meetings(
        args.out_dir,
        sessions,
        turns=args.turns,
        speakers_per_split=dict(args.speakers),
        overlap=args.overlap,
        seed=args.seed,
        nj=args.nj,
        voice=args.voice,
    )
    print(f"{root}: {sum(sessions.values())} sessions of {args.turns} turns ({SPEC_FILE})")


if __name__ == "__main__":
    main()
