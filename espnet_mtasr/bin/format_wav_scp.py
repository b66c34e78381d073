"""Stage 3: format the audio of a data dir into dump/ (one file per utterance).

    python -m espnet_mtasr.bin.format_wav_scp --in_dir data/train --out_dir dump/raw/org/train \
        [--nj 4] [--audio_format wav|flac] [--fs 16000]

Reads every wav.scp entry (a path or a ``cmd |`` pipe), cuts by ``segments`` if present,
resamples to --fs (soxr) and writes ``OUT_DIR/data/format.<n>/<utt>.<fmt>`` (16-bit PCM),
plus the other Kaldi files of IN_DIR, a new wav.scp, utt2num_samples and ESPnet's
``audio_format`` / ``feats_type`` files. OUT_DIR is replaced atomically: it is complete or
absent (a re-run rebuilds it; an interrupted run leaves the previous one untouched).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from espnet_mtasr.data.datadir import AUDIO_FORMATS, format_data_dir, parse_sample_rate
from espnet_mtasr.utils.errors import exit_on_input_error


def get_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--in_dir", required=True, help="Kaldi data dir, e.g. data/train")
    parser.add_argument("--out_dir", required=True, help="e.g. dump/raw/org/train")
    parser.add_argument("--nj", type=int, default=1, help="worker processes")
    parser.add_argument("--audio_format", choices=AUDIO_FORMATS, default="wav")
    parser.add_argument("--fs", type=parse_sample_rate, default=16000, help="16000 or 16k")
    parser.add_argument("--no_progress", action="store_true", help="no progress bar")
    return parser


@exit_on_input_error
def main(cmd: Sequence[str] | None = None) -> None:
    """Format the audio; print the number of utterances written."""
    args = get_parser().parse_args(cmd)
    n = format_data_dir(
        args.in_dir,
        args.out_dir,
        nj=args.nj,
        audio_format=args.audio_format,
        fs=args.fs,
        progress=not args.no_progress,
    )
    what = f"{args.audio_format}, {args.fs} Hz"
    print(f"format_wav_scp: wrote {n} utterances ({what}) to {args.out_dir}")


if __name__ == "__main__":
    main()
