#!/usr/bin/env python3
"""Pack a trained model into an ESPnet archive (stage 14): ``espnet2.bin.pack asr`` plus checks.

The archive is ESPnet's own format (``espnet2.main_funcs.pack_funcs.pack``), loadable by
``MultiTalkerSpeech2Text.from_pretrained`` / ``mtasr_inference --model_file`` and, for the
``espnet`` family (ESPnet's SOT-AED) built from ESPnet's own classes, by ESPnet's
``espnet2.bin.asr_inference.Speech2Text``. Compared with ``python -m espnet2.bin.pack
asr``, this also

- adds the files the training config needs to rebuild the model: ``bpemodel`` (for
  ``token_type: hugging_face``, the tokenizer files of its folder, not the LLM weights)
  and the global-MVN ``normalize_conf.stats_file`` (a packed model without them cannot
  be loaded elsewhere);
- leaves out a model's training-only parts (``TRAINING_ONLY_PARTS``, e.g. the LLM
  teacher of ``encoder_only``): the archive holds a config with them configured away and
  a state dict without their weights, so decoding it needs neither them nor their files;
- ``espnet`` family: packs the config without MTASRTask's own (unset) kinds
  (``separator``, ``serialized_ctc``, ``talker_count``, ``speaker_encoder`` and their
  ``_conf``), which ESPnet's ``ASRTask`` does not know: the config is then ESPnet's
  ``asr.sh`` config, every key an ``ASRTask`` option (:func:`espnet_asr_config`);
- with ``--hf_dir DIR``, also writes the Hugging Face-style folder of the archive (the
  files unzipped, a ``README.md`` model card with the stage-13 results, ``tokens.txt``;
  :func:`~espnet_mtasr.inference.model_folder.write_model_folder`; nothing is uploaded);
- stops with a one-line error naming a missing file instead of a traceback;
- writes the archive (and the folder) under a temporary name and renames it when complete.

A rewritten config (and a pruned state dict) is packed as ``<model dir>/inference/<name>``.
Run it from the recipe directory, as training: the paths in ``config.yaml`` must be the
(relative) paths given here, so that unpacking can point them at the unpacked files::

    python -m espnet_mtasr.bin.mtasr_pack --asr_train_config exp/asr/config.yaml \\
        --asr_model_file exp/asr/valid.acc.ave.pth --option exp/asr/RESULTS.md \\
        --outpath exp/asr/model.zip --hf_dir exp/asr/model_hf
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

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


def espnet_asr_config(conf: Dict[str, Any]) -> Tuple[Dict[str, Any], List[str]]:
    """The config as ESPnet's own ``ASRTask`` reads it, and what keeps ESPnet from it.

    Every kind (``--model``, ``--encoder``, ...) the config names must be one of
    ESPnet's classes; if so, MTASRTask's own kinds (unset for such a model) are removed,
    so that every key is an ``ASRTask`` option.

    Returns:
        (config, blockers): ``blockers`` empty: the config, without MTASRTask-only keys,
        loads with ``espnet2.bin.asr_inference.Speech2Text``; otherwise why not
        (e.g. ``--model llm_sot is not one of ESPnet's``), and ``conf`` unchanged.
    """
    from espnet2.tasks.asr import ASRTask

    from espnet_mtasr.tasks.mtasr import MTASRTask

    espnet_kinds = {c.name: c for c in ASRTask.class_choices_list}
    blockers = []
    for name, choices in espnet_kinds.items():
        value = conf.get(name, choices.default)
        if value is None or (choices.optional and str(value).lower() in ("none", "null", "nil")):
            continue
        if str(value).lower() not in choices.classes:
            blockers.append(f"--{name} {value} is not one of ESPnet's")
    ours = [c.name for c in MTASRTask.class_choices_list if c.name not in espnet_kinds]
    for name in ours:
        if conf.get(name) not in (None, "none", "null", "nil"):
            blockers.append(f"--{name} {conf[name]} is not an ESPnet kind")
    if blockers:
        return conf, blockers
    drop = {*ours, *(f"{name}_conf" for name in ours)}
    return {k: v for k, v in conf.items() if k not in drop}, []


@contextlib.contextmanager
def inference_inputs(asr_train_config: Path, asr_model_file: Path) -> Iterator[Tuple[Path, Path]]:
    """Config and state dict to pack: without the model's training-only parts, and
    ESPnet's config (:func:`espnet_asr_config`) where ESPnet can load the model.

    Where nothing changes, the given files. Otherwise the rewritten config (and, where
    parts were dropped, the state dict without their weights) are written to
    ``<model dir>/inference/`` (same file names) and removed on exit; the archive keeps
    those paths.
    """
    import torch
    from espnet2.utils.yaml_no_alias_safe_dump import yaml_no_alias_safe_dump

    from espnet_mtasr.tasks.mtasr import MTASRTask

    with asr_train_config.open(encoding="utf-8") as f:
        given = yaml.safe_load(f) or {}
    conf, dropped = MTASRTask.without_training_only_parts(given)
    conf, _ = espnet_asr_config(conf)
    if conf == given:
        yield asr_train_config, asr_model_file
        return
    out = asr_model_file.parent / "inference"
    if out.exists():
        raise MTASRInputError(
            "is in the way of the inference config written for packing",
            path=out,
            fix="remove it",
        )
    try:
        out.mkdir()
        config = out / asr_train_config.name
        with config.open("w", encoding="utf-8") as f:
            yaml_no_alias_safe_dump(conf, f, indent=4, sort_keys=False)
        model_file = asr_model_file
        if dropped:
            state = torch.load(asr_model_file, map_location="cpu")
            prefixes = tuple(f"{part}." for part in dropped)
            kept = {k: v for k, v in state.items() if not k.startswith(prefixes)}
            model_file = out / asr_model_file.name
            torch.save(kept, model_file)
            logging.info(
                "packing without the training-only %s (%d of %d tensors kept)",
                dropped,
                len(kept),
                len(state),
            )
        yield config, model_file
    finally:
        shutil.rmtree(out, ignore_errors=True)


def pack_model(
    asr_train_config: Path,
    asr_model_file: Path,
    outpath: Path,
    option: Sequence[str] = (),
    hf_dir: Optional[Path] = None,
    exp_dir: Optional[Path] = None,
    hf_license: str = "cc-by-4.0",
) -> Path:
    """Pack config, model and the files they need (+ ``option``) into ``outpath``.

    Args:
        asr_train_config, asr_model_file: the trained model.
        outpath: the archive (``.zip``, ``.tar.gz``, ...).
        option: more files or folders to pack (e.g. ``RESULTS.md``).
        hf_dir: also write the archive's Hugging Face-style folder there.
        exp_dir: where the model card's results (stage-13 ``result.json``) are looked
            for; default the model file's folder.
        hf_license: the model card's ``license``.
    """
    from espnet2.main_funcs.pack_funcs import pack

    from espnet_mtasr.inference.model_folder import write_model_folder
    from espnet_mtasr.tasks.mtasr import MTASRTask

    inputs = {"--asr_train_config": asr_train_config, "--asr_model_file": asr_model_file}
    for what, path in inputs.items():
        if not path.is_file():
            raise MTASRInputError(f"{what} file not found", path=path)
    for extra in option:
        if not Path(extra).exists():
            raise MTASRInputError("--option path not found", path=extra)
    if hf_dir is not None and hf_dir.exists() and not hf_dir.is_dir():
        raise MTASRInputError(
            "--hf_dir exists and is not a directory", path=hf_dir, fix="remove it"
        )
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
    if hf_dir is not None:
        with asr_train_config.open(encoding="utf-8") as f:
            conf, _ = MTASRTask.without_training_only_parts(yaml.safe_load(f) or {})
        _, blockers = espnet_asr_config(conf)
        write_model_folder(
            outpath,
            hf_dir,
            exp_dir=asr_model_file.parent if exp_dir is None else exp_dir,
            license=hf_license,
            espnet_blockers=blockers,
        )
        logging.info("wrote the Hugging Face-style folder %s", hf_dir)
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
    parser.add_argument(
        "--hf_dir",
        type=Path,
        default=None,
        help="Also write the archive's Hugging Face-style folder (model card, files) here",
    )
    parser.add_argument(
        "--exp_dir",
        type=Path,
        default=None,
        help="Where the model card's stage-13 result.json files are (default: the model's dir)",
    )
    parser.add_argument("--hf_license", default="cc-by-4.0", help="The model card's license")
    return parser


@exit_on_input_error
def main(cmd: Optional[Sequence[str]] = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    args = get_parser().parse_args(cmd)
    pack_model(
        args.asr_train_config,
        args.asr_model_file,
        args.outpath,
        args.option,
        hf_dir=args.hf_dir,
        exp_dir=args.exp_dir,
        hf_license=args.hf_license,
    )


if __name__ == "__main__":
    main()
