"""Score multi-talker hypotheses: SOT WER, cpWER (meeteval), talker-count accuracy.

Example (word mode, LibriMix)::

    python -m espnet_mtasr.bin.score --ref data/test/text --hyp exp/asr/decode/test/text \\
        --utt2num_spk data/test/utt2num_spk --out_dir exp/asr/decode/test/score \\
        --results_md RESULTS.md --tag asr_llm_sot --config conf/tuning/train_llm_sot.yaml

Mandarin cpCER: ``--mode char``. Speaker-tagged transcripts: ``--text_format spk_tag``.
Writes ``result.txt``, ``result.json``, ``utt_errors.txt``, ``ref.seglst.json`` and
``hyp.seglst.json`` into ``--out_dir`` and prints the table.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path

from espnet_mtasr.metrics.results_md import ResultsEntry, update_results_md
from espnet_mtasr.metrics.scoring_io import format_result_table, score_to_dir
from espnet_mtasr.metrics.tokens import MODES
from espnet_mtasr.metrics.wer import TEXT_FORMATS
from espnet_mtasr.utils.errors import exit_on_input_error


def get_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--ref", required=True, help="reference Kaldi text (data dir)")
    parser.add_argument("--hyp", required=True, help="hypothesis Kaldi text (decoding)")
    parser.add_argument(
        "--utt2num_spk",
        default=None,
        help="<utt> <talker count> per reference; default: the reference stream count",
    )
    parser.add_argument("--out_dir", required=True, help="where the reports go")
    parser.add_argument(
        "--mode", default="word", choices=MODES, help="char: every character is a token (CER)"
    )
    parser.add_argument(
        "--text_format",
        default="sot",
        choices=TEXT_FORMATS,
        help="sot: streams separated by <sc>; spk_tag: '<spk1> words <spk2> words ...'",
    )
    parser.add_argument(
        "--set", dest="set_name", default=None, help="set name; default: --ref's directory"
    )
    parser.add_argument("--results_md", default=None, help="ESPnet-style RESULTS.md to update")
    parser.add_argument("--tag", default=None, help="section of --results_md (required with it)")
    parser.add_argument("--config", default=None, help="config name shown; default: --tag")
    parser.add_argument(
        "--cmd", default=None, help="command shown in --results_md; default: this command"
    )
    return parser


@exit_on_input_error
def main(cmd: list[str] | None = None) -> None:
    """Run the scorer (``cmd``: the arguments, default ``sys.argv[1:]``)."""
    parser = get_parser()
    argv = sys.argv[1:] if cmd is None else list(cmd)
    args = parser.parse_args(argv)
    if args.results_md is not None and not args.tag:
        parser.error("--results_md needs --tag")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    set_name = args.set_name or Path(args.ref).resolve().parent.name
    score = score_to_dir(
        args.ref,
        args.hyp,
        args.out_dir,
        utt2num_spk_path=args.utt2num_spk,
        mode=args.mode,
        text_format=args.text_format,
        set_name=set_name,
    )
    print(format_result_table(score, f"{set_name} ({args.mode})"), end="")
    if args.results_md is not None:
        command = args.cmd
        if command is None:
            command = shlex.join(["python", "-m", "espnet_mtasr.bin.score", *argv])
        entry = ResultsEntry.from_summary(
            set_name, score.to_dict(), command=command, config=args.config or args.tag
        )
        update_results_md(args.results_md, args.tag, entry)
        logging.info("updated section %r of %s", args.tag, args.results_md)


if __name__ == "__main__":
    main()
