#!/usr/bin/env python3
"""Multi-talker ASR training and statistics collection (ESPnet's ``AbsTask.main``).

Same options as ``espnet2.bin.asr_train`` plus ``--separator`` / ``--serialized_ctc``
and the plugin's model families (``--model``)::

    python -m espnet_mtasr.bin.mtasr_train --print_config --encoder conformer \\
        --decoder transformer > conf/train_sot.yaml
    python -m espnet_mtasr.bin.mtasr_train --config conf/train_sot.yaml ...

A bad option, e.g. a key that the chosen class does not take (``encoder_conf:
{outptu_size: 8}``), ends it with one ``ERROR:`` line and exit status 1, before
``--print_config`` prints or anything is written (``MTASRTask.check_conf_keys``).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Iterator, Optional, Sequence

from espnet_mtasr.tasks.mtasr import MTASRTask
from espnet_mtasr.utils.errors import exit_on_input_error


def get_parser() -> argparse.ArgumentParser:
    return MTASRTask.get_parser()


@contextlib.contextmanager
def _argv(cmd: Optional[Sequence[str]]) -> Iterator[None]:
    """Make ``sys.argv`` match ``cmd`` while running.

    ESPnet's ``--print_config`` re-parses ``sys.argv`` (``AbsTask.get_default_config``),
    so ``main(cmd=[..., "--print_config"])`` would otherwise print the options of the
    calling process instead of ``cmd``'s.
    """
    if cmd is None:
        yield
        return
    saved = sys.argv
    sys.argv = [saved[0] if saved else "mtasr_train", *cmd]
    try:
        yield
    finally:
        sys.argv = saved


@exit_on_input_error
def main(cmd: Optional[Sequence[str]] = None) -> None:
    r"""Multi-talker ASR training.

    Example:

        % python -m espnet_mtasr.bin.mtasr_train --print_config --optim adam \
                > conf/train_sot.yaml
        % python -m espnet_mtasr.bin.mtasr_train --config conf/train_sot.yaml
    """
    with _argv(cmd):
        MTASRTask.main(cmd=cmd)


if __name__ == "__main__":
    main()
