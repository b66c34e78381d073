"""The ``--<kind>_conf key=value`` options for the parts of a training config that take them.

    python -m espnet_mtasr.bin.part_options --config conf/train_llm_sot.yaml \\
        llm_path=exp/llm tokenizer_path=exp/llm
    # -> --decoder_conf llm_path=exp/llm --decoder_conf tokenizer_path=exp/llm

For every part the config chooses (``encoder: conformer``, ``decoder: hf_llm``, ...), each
``key=value`` whose key is a parameter of that part's constructor becomes one option; a
config whose parts take none of the keys gives nothing. This is how the recipe hands the
stage-6 LLM's paths to whichever part loads an LLM, without naming a class in shell.
"""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import yaml

from espnet_mtasr.utils.errors import MTASRInputError, exit_on_input_error
from espnet_mtasr.utils.fileio import read_text


def part_options(config: Dict, values: Dict[str, str]) -> List[str]:
    """``["--decoder_conf", "llm_path=...", ...]`` for the parts of ``config`` that take a key
    of ``values`` (in the order of the task's class choices, then of ``values``)."""
    from espnet_mtasr.tasks.mtasr import MTASRTask

    out: List[str] = []
    for choices in MTASRTask.class_choices_list:
        name = config.get(choices.name)
        if choices.name == "model":
            name = name or "espnet"
        if not name:
            continue
        try:
            params = inspect.signature(choices.get_class(name).__init__).parameters
        except ValueError:  # an unknown class: the training run names it
            continue
        for key, value in values.items():
            if key in params:
                out += [f"--{choices.name}_conf", f"{key}={value}"]
    return out


def get_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, required=True, help="training YAML")
    parser.add_argument("values", nargs="*", help="key=value")
    return parser


@exit_on_input_error
def main(cmd: Optional[Sequence[str]] = None) -> None:
    args = get_parser().parse_args(cmd)
    values = {}
    for item in args.values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise MTASRInputError(f"{item!r} is not key=value", fix="e.g. llm_path=exp/llm")
        values[key] = value
    try:
        config = yaml.safe_load(read_text(args.config, "training config")) or {}
    except yaml.YAMLError as e:
        raise MTASRInputError(f"not YAML: {e}", path=args.config) from None
    print(" ".join(part_options(config, values)))  # word-split by the recipe shell


if __name__ == "__main__":
    main()
