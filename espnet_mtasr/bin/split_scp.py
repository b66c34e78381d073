"""Split a Kaldi scp/key file into N contiguous parts for job arrays (Kaldi's split_scp.pl).

    python -m espnet_mtasr.bin.split_scp dump/raw/test/wav.scp exp/x/logdir/keys 4

writes ``keys/split.1`` ... ``keys/split.4`` (1-based, as ``JOB=1:N`` expects). N may be 1.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import List, Optional, Sequence

from espnet_mtasr.utils.errors import MTASRInputError, exit_on_input_error
from espnet_mtasr.utils.fileio import atomic_write, ensure_output_dir


def split_lines(lines: Sequence[str], num_splits: int) -> List[List[str]]:
    """Cut ``lines`` into ``num_splits`` contiguous, near-equal parts (sizes differ by <= 1)."""
    if num_splits < 1:
        raise MTASRInputError(f"the number of splits must be >= 1, not {num_splits}")
    if len(lines) < num_splits:
        raise MTASRInputError(
            f"cannot split {len(lines)} lines into {num_splits} parts",
            fix="use fewer jobs (--nj / --inference_nj)",
        )
    base, extra = divmod(len(lines), num_splits)
    parts, start = [], 0
    for i in range(num_splits):
        size = base + (1 if i < extra else 0)
        parts.append(list(lines[start : start + size]))
        start += size
    return parts


def split_scp(scp: Path, out_dir: Path, num_splits: int) -> List[Path]:
    """Write ``out_dir/split.{1..N}`` from ``scp``; return their paths."""
    if not scp.is_file():
        raise MTASRInputError("file not found", path=scp)
    lines = scp.read_text(encoding="utf-8").splitlines(keepends=True)
    try:
        parts = split_lines(lines, num_splits)
    except MTASRInputError as e:
        raise MTASRInputError(str(e), path=scp) from None
    ensure_output_dir(out_dir)
    paths = []
    for i, part in enumerate(parts, 1):
        path = out_dir / f"split.{i}"
        with atomic_write(path) as f:
            f.writelines(part)
        paths.append(path)
    return paths


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scp", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("num_splits", type=int)
    return parser


@exit_on_input_error
def main(cmd: Optional[Sequence[str]] = None) -> None:
    args = get_parser().parse_args(cmd)
    split_scp(args.scp, args.out_dir, args.num_splits)


if __name__ == "__main__":
    main()
