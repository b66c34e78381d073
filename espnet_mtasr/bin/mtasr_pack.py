#!/usr/bin/env python3
"""Pack a trained model into an ESPnet archive (stage 14): ``espnet2.bin.pack asr`` plus checks.

The archive is ESPnet's own format (``espnet2.main_funcs.pack_funcs.pack``), loadable by
``MTSpeech2Text.from_packed`` / ``mtasr_inference --model_file``. Compared with
``python -m espnet2.bin.pack asr``, this also

- adds the files the training config needs to rebuild the model: ``bpemodel`` (for
  ``token_type: hugging_face``, the tokenizer files of its folder, not the LLM weights)
  and the global-MVN ``normalize_conf.stats_file`` (a packed model without them cannot
  be loaded elsewhere);
- leaves out a model's training-only parts (``TRAINING_ONLY_PARTS``, e.g. the LLM
  teacher of ``encoder_only``): the archive holds a config with them configured away and
  a state dict without their weights, so decoding it needs neither them nor their files;
- stops with a one-line error naming a missing file instead of a traceback;
- writes the archive under a temporary name and renames it when complete.

Run it from the recipe directory, as training: the paths in ``config.yaml`` must be the
(relative) paths given here, so that unpacking can point them at the unpacked files::

    python -m espnet_mtasr.bin.mtasr_pack --asr_train_config exp/asr/config.yaml \\
        --asr_model_file exp/asr/valid.acc.ave.pth --option exp/asr/RESULTS.md \\
        --outpath exp/asr/model.zip
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import yaml

from espnet_mtasr.utils.errors import MTASRInputError, exit_on_input_error

# Files of a HF model folder that are weights, not tokenizer: never packed as bpemodel.
WEIGHT_SUFFIXES = {".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".gguf"}


def files_needed_by_config(config: Path) -> List[str]:
    """Paths that rebuilding the model from ``config`` reads, as written in it.

    ``token_type: hugging_face``: ``bpemodel`` is a tokenizer folder; its files except
    model weights (``WEIGHT_SUFFIXES``) are needed.

    Raises:
        MTASRInputError: one of them does not exist.
    """
    with config.open(encoding="utf-8") as f:
        args: Dict = yaml.safe_load(f) or {}
    needed = []
    if args.get("token_type") in ("bpe", "hugging_face") and args.get("bpemodel"):
        needed.append(("bpemodel", args["bpemodel"]))
    stats = (args.get("normalize_conf") or {}).get("stats_file")
    if args.get("normalize") == "global_mvn" and stats:
        needed.append(("normalize_conf.stats_file", stats))
    for key, path in needed:
        if not Path(path).exists():
            raise MTASRInputError(
                f"{key} {path} not found (relative to {Path.cwd()})",
                path=config,
                fix="run mtasr_pack from the directory training ran in",
            )
    files = []
    for _, path in needed:
        if Path(path).is_dir():
            files += sorted(
                str(p)
                for p in Path(path).iterdir()
                if p.is_file() and p.suffix not in WEIGHT_SUFFIXES
            )
        else:
            files.append(str(path))
    return files


@contextlib.contextmanager
def inference_inputs(asr_train_config: Path, asr_model_file: Path) -> Iterator[Tuple[Path, Path]]:
    """Config and state dict to pack: without the model's training-only parts.

    For a model with none configured, the given files. Otherwise a pruned config and a
    state dict without the dropped parts' weights, written to ``<model dir>/inference/``
    (same file names) and removed on exit; the archive keeps those paths.
    """
    import torch
    from espnet2.utils.yaml_no_alias_safe_dump import yaml_no_alias_safe_dump

    from espnet_mtasr.tasks.mtasr import MTASRTask

    with asr_train_config.open(encoding="utf-8") as f:
        conf = yaml.safe_load(f) or {}
    conf, dropped = MTASRTask.without_training_only_parts(conf)
    if not dropped:
        yield asr_train_config, asr_model_file
        return
    out = asr_model_file.parent / "inference"
    if out.exists():
        raise MTASRInputError(
            "is in the way of the teacher-free model written for packing",
            path=out,
            fix="remove it",
        )
    try:
        out.mkdir()
        config = out / asr_train_config.name
        with config.open("w", encoding="utf-8") as f:
            yaml_no_alias_safe_dump(conf, f, indent=4, sort_keys=False)
        state = torch.load(asr_model_file, map_location="cpu")
        prefixes = tuple(f"{part}." for part in dropped)
        kept = {k: v for k, v in state.items() if not k.startswith(prefixes)}
        torch.save(kept, out / asr_model_file.name)
        logging.info(
            "packing without the training-only %s (%d of %d tensors kept)",
            dropped,
            len(kept),
            len(state),
        )
        yield config, out / asr_model_file.name
    finally:
        shutil.rmtree(out, ignore_errors=True)


def pack_model(
    asr_train_config: Path,
    asr_model_file: Path,
    outpath: Path,
    option: Sequence[str] = (),
) -> Path:
    """Pack config, model and the files they need (+ ``option``) into ``outpath``."""
    from espnet2.main_funcs.pack_funcs import pack

    inputs = {"--asr_train_config": asr_train_config, "--asr_model_file": asr_model_file}
    for what, path in inputs.items():
        if not path.is_file():
            raise MTASRInputError(f"{what} file not found", path=path)
    for extra in option:
        if not Path(extra).exists():
            raise MTASRInputError("--option path not found", path=extra)
    given = {Path(o).resolve() for o in option}
    needed = [p for p in files_needed_by_config(asr_train_config) if Path(p).resolve() not in given]
    outpath.parent.mkdir(parents=True, exist_ok=True)
    # The archive type is read from the suffixes: keep them on the temporary name.
    tmp = outpath.with_name(f"tmp{uuid.uuid4().hex}_{outpath.name}")
    try:
        with inference_inputs(asr_train_config, asr_model_file) as (config, model_file):
            pack(
                files={"asr_model_file": model_file},
                yaml_files={"asr_train_config": config},
                option=[*needed, *option],
                outpath=tmp,
            )
        os.replace(tmp, outpath)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    logging.info("packed %s", outpath)
    return outpath


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Pack a trained model into an ESPnet archive (recipe stage 14)"
    )
    parser.add_argument("--asr_train_config", type=Path, required=True)
    parser.add_argument("--asr_model_file", type=Path, required=True)
    parser.add_argument("--outpath", type=Path, required=True, help="e.g. exp/asr/model.zip")
    parser.add_argument(
        "--option", action="append", default=[], help="Extra file or directory to include"
    )
    return parser


@exit_on_input_error
def main(cmd: Optional[Sequence[str]] = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    args = get_parser().parse_args(cmd)
    pack_model(args.asr_train_config, args.asr_model_file, args.outpath, args.option)


if __name__ == "__main__":
    main()
