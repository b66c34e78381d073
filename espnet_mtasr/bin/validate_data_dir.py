"""Check a (multi-talker) Kaldi data dir; with --fix, first repair what is safe to repair.

    python -m espnet_mtasr.bin.validate_data_dir [--fix] [--no-audio] [--sample_rate 16000] DIR

Every file present (wav.scp, segments, text, text_spk*, utt2spk, spk2utt, utt2num_spk,
utt2talkers, utt2dur, utt2num_samples) must be sorted, have unique ids and the id set of
wav.scp (or segments); transcripts must not be empty; talker counts must agree with the
``<sc>`` streams of text; wav files must exist and (unless --no-audio) be mono at the
sample rate. The first problem is printed as one line naming file, line and fix (exit 1).

--fix sorts the files, drops repeated identical lines, drops utterances missing from some
file (the count is printed) and regenerates spk2utt from utt2spk, each file written
atomically; it never invents transcripts.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from espnet_mtasr.data.datadir import parse_sample_rate, validate_data_dir
from espnet_mtasr.utils.errors import exit_on_input_error


def get_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("data_dir", help="the Kaldi data dir, e.g. data/train")
    parser.add_argument("--fix", action="store_true", help="repair what is safe to repair")
    parser.add_argument(
        "--no-audio",
        "--no_audio",
        dest="check_audio",
        action="store_false",
        help="do not read wav headers (files must still exist)",
    )
    parser.add_argument(
        "--sample_rate",
        "--sample-rate",
        type=parse_sample_rate,
        default=16000,
        help="expected sample rate (16000 or 16k)",
    )
    return parser


@exit_on_input_error
def main(cmd: Sequence[str] | None = None) -> None:
    """Run the check; print what --fix changed and a one-line summary."""
    args = get_parser().parse_args(cmd)
    report = validate_data_dir(
        args.data_dir, check_audio=args.check_audio, sample_rate=args.sample_rate, fix=args.fix
    )
    for action in report.fixes:
        print(action)
    print(report.summary())


if __name__ == "__main__":
    main()
