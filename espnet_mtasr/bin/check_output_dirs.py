"""Check that output directories can be written before a multi-set stage writes the first.

    python -m espnet_mtasr.bin.check_output_dirs data/train data/dev data/test

Exits 1 with one message naming every path that cannot be written atomically (an
existing file or symbolic link at the path, a parent that is not a writable directory);
it creates and changes nothing. The rule is :mod:`espnet_mtasr.utils.fileio`'s.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional, Sequence

from espnet_mtasr.utils.errors import exit_on_input_error
from espnet_mtasr.utils.fileio import check_output_dirs


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", type=Path, nargs="+", help="output directories")
    return parser


@exit_on_input_error
def main(cmd: Optional[Sequence[str]] = None) -> None:
    args = get_parser().parse_args(cmd)
    check_output_dirs(args.dirs)


if __name__ == "__main__":
    main()
