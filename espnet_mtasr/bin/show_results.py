"""Print a recipe's RESULTS.md from the result.json files of stage 13 under exp dirs.

Like ESPnet's ``scripts/utils/show_asr_result.sh exp > RESULTS.md``; from a recipe
directory::

    utils/show_asr_result.sh exp > RESULTS.md              # the same as:
    python -m espnet_mtasr.bin.show_results exp > RESULTS.md
    python -m espnet_mtasr.bin.show_results exp exp_large > RESULTS.md   # several exp dirs

``--output FILE`` writes the file atomically instead of printing it (stage 13 writes
``exp/<asr_exp>/RESULTS.md`` this way, the copy that stage 14 packs with the model).
``--summary`` prints, instead, a short table per scored set (talker count x SOT WER /
cpWER / count accuracy), its RTF and the path of its ``talkers.png``: what a recipe run
shows at its end. See :mod:`espnet_mtasr.metrics.results_md` for the layout read.
"""

from __future__ import annotations

import argparse
import sys

from espnet_mtasr.metrics.results_md import find_results, format_summary, render_results_md
from espnet_mtasr.utils.errors import exit_on_input_error
from espnet_mtasr.utils.fileio import atomic_write


def get_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "exp_dirs", nargs="+", help="experiment dirs (or decode dirs) to read, e.g. exp"
    )
    parser.add_argument(
        "--output", default=None, help="write RESULTS.md here (atomically) instead of stdout"
    )
    parser.add_argument(
        "--summary",
        action="store_true",
        help="print the short end-of-run table per scored set instead of RESULTS.md",
    )
    return parser


@exit_on_input_error
def main(cmd: list[str] | None = None) -> None:
    """Run it (``cmd``: the arguments, default ``sys.argv[1:]``)."""
    args = get_parser().parse_args(cmd)
    sets = find_results(args.exp_dirs)
    if args.summary:
        text = format_summary(sets) or f"no result.json under {' '.join(args.exp_dirs)}\n"
    else:
        text = render_results_md(sets, args.exp_dirs)
    if args.output is None:
        sys.stdout.write(text)
    else:
        with atomic_write(args.output) as f:
            f.write(text)


if __name__ == "__main__":
    main()
