"""Prepare AliMeeting or AISHELL-4 as multi-talker Kaldi data dirs (recipe stage 1).

The corpus tree is checked (every TextGrid strictly, against its audio), read with
lhotse's recipe, and every session cut into windows that end only where nobody speaks
(:func:`espnet_mtasr.data.meeting.meeting_windows`), first far-field channel:

- ``<out_dir>/train``: windows of ``--train_min_window`` to ``--train_window`` seconds;
- ``<out_dir>/<eval set>``: windows of at most ``--score_window`` seconds (the paper of the
  ``sa_llm`` model, "Balancing ASR and diarization in end-to-end LLMs for multi-talker
  speech recognition", scores 50 s windows);
- ``<out_dir>/<eval set>_session``: one utterance per session (M2MeT 2.0 session-level
  cpCER).

Eval sets: AliMeeting ``eval`` and ``test``; AISHELL-4 ``test`` (its train set is
train_L + train_M + train_S). Example::

    python -m espnet_mtasr.bin.prep_meeting --corpus alimeeting \\
        --corpus_dir /corpora/AliMeeting --out_dir data
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from espnet_mtasr.data.meeting import MeetingSession, meeting_windows, write_meeting_dir
from espnet_mtasr.utils.errors import MTASRInputError, exit_on_input_error
from espnet_mtasr.utils.fileio import check_output_dirs

LOADERS = {"alimeeting": "load_alimeeting", "aishell4": "load_aishell4"}


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", required=True, choices=sorted(LOADERS))
    parser.add_argument(
        "--corpus_dir",
        required=True,
        type=Path,
        help="AliMeeting: the folder holding Train_Ali_far/; AISHELL-4: the one holding train_L/",
    )
    parser.add_argument("--out_dir", type=Path, default=Path("data"))
    parser.add_argument("--train_window", type=float, default=20.0, help="seconds (max)")
    parser.add_argument("--train_min_window", type=float, default=8.0, help="seconds")
    parser.add_argument("--score_window", type=float, default=50.0, help="seconds (max)")
    return parser


def plan_sets(
    corpus: str,
    sessions: Dict[str, List[MeetingSession]],
    train_window: float,
    train_min_window: float,
    score_window: float,
) -> List[Tuple[str, List[MeetingSession], Optional[float], float]]:
    """(data dir name, sessions, max window, min window) of every set to write."""
    sets = [("train", sessions["train"], train_window, train_min_window)]
    for part in ("eval", "test") if corpus == "alimeeting" else ("test",):
        sets.append((part, sessions[part], score_window, 0.0))
        sets.append((f"{part}_session", sessions[part], None, 0.0))
    return sets


@exit_on_input_error
def main(cmd: List[str] | None = None) -> None:
    """Check, read and window the corpus; write every set (none if one would be empty)."""
    import logging

    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    args = get_parser().parse_args(cmd)
    if not 0 <= args.train_min_window <= args.train_window or args.score_window <= 0:
        raise MTASRInputError(
            "windows must satisfy 0 <= --train_min_window <= --train_window and --score_window > 0"
        )
    if not args.corpus_dir.is_dir():
        raise MTASRInputError(
            "corpus folder not found", path=args.corpus_dir, fix="set it in db.sh"
        )
    planned = plan_sets(args.corpus, {"train": [], "eval": [], "test": []}, 1.0, 0.0, 1.0)
    names = [name for name, *_ in planned]
    check_output_dirs([args.out_dir / name for name in names])  # before the first is written
    module = __import__(f"espnet_mtasr.data.{args.corpus}", fromlist=[LOADERS[args.corpus]])
    sessions = getattr(module, LOADERS[args.corpus])(args.corpus_dir)
    sets = plan_sets(
        args.corpus, sessions, args.train_window, args.train_min_window, args.score_window
    )
    for name, members, max_len, min_len in sets:  # nothing is written if one set is empty
        if not any(meeting_windows(s.segments, max_len, min_len) for s in members):
            raise MTASRInputError(
                f"set {name!r} would have no window ({len(members)} sessions)",
                path=args.corpus_dir,
                fix="lower --train_min_window" if name == "train" else None,
            )
    for name, members, max_len, min_len in sets:
        counts = write_meeting_dir(members, args.out_dir / name, max_len, min_len)
        print(
            f"wrote {args.out_dir / name}: {counts['windows']} utterances from "
            f"{counts['sessions']} sessions ({counts['long_windows']} longer than {max_len} s)"
        )


if __name__ == "__main__":
    main()
