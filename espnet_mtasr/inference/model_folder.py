"""Hugging Face-style model folders: a packed model's files, unzipped, with a model card.

The folder is what ESPnet's ``asr.sh`` uploads to the Hugging Face Hub (stage 15): the
packed archive unzipped as it is (``meta.yaml`` at the top, the config and model file at
their packed paths, the paths inside the config relative to the folder) plus a
``README.md`` model card; here also ``tokens.txt``, the token list. Written by
``mtasr_pack --hf_dir`` (:func:`write_model_folder`; nothing is uploaded), read by
:func:`unpack_folder` (what ``MultiTalkerSpeech2Text.from_pretrained`` and
``mtasr_inference --model_file`` do with a folder)::

    <folder>/
        README.md                      # model card: YAML front matter, usage, results
        meta.yaml                      # ESPnet's: files / yaml_files -> paths below
        tokens.txt                     # the token list, one token a line
        exp/<asr_exp>/config.yaml      # (or .../inference/config.yaml, see mtasr_pack)
        exp/<asr_exp>/<model>.pth
        data/token_list/.../bpe.model  # the files the config names (tokenizer, stats)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import yaml
from espnet2.main_funcs.pack_funcs import Archiver, find_path_and_change_it_recursive

from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.fileio import atomic_dir

PathLike = Union[str, Path]

META = "meta.yaml"
CARD = "README.md"
TOKENS = "tokens.txt"
TAGS = ("espnet", "audio", "automatic-speech-recognition", "multi-talker")

# What each model family writes (documentation for the model card).
FAMILY_OUTPUT = {
    "espnet": "ESPnet's SOT attention encoder-decoder (`ESPnetASRModel`, joint CTC/attention)",
    "llm_sot": "LLM-based serialized output training (speech encoder + projector + causal LLM)",
    "sop_llm": "SOP-MT-ASR: separator + serialized-CTC draft of every talker in the LLM prompt",
    "encoder_only": "separator + serialized-CTC branch per talker count, picked by a "
    "talker-count head (CTC only)",
    "sa_llm": "speaker-attributed LLM: ASR + speaker encoder, speaker-tagged output",
}


def _read_meta(folder: Path) -> Dict[str, Dict[str, str]]:
    meta_path = folder / META
    if not meta_path.is_file():
        raise MTASRInputError(
            f"no {META}: not the folder of a packed model",
            path=folder,
            fix="pass an mtasr_pack .zip, the folder of `mtasr_pack --hf_dir`, or an "
            "unpacked archive",
        )
    with meta_path.open(encoding="utf-8") as f:
        meta = yaml.safe_load(f) or {}
    for key in ("files", "yaml_files"):
        if not isinstance(meta.get(key), dict):
            raise MTASRInputError(f"{META} has no {key!r} mapping", path=meta_path)
    return meta


def unpack_folder(folder: PathLike, outpath: PathLike) -> Dict[str, str]:
    """ESPnet's ``unpack`` for a folder: the files of a packed model, read in place.

    As ``espnet2.main_funcs.pack_funcs.unpack`` does for an archive, each config named in
    ``meta.yaml`` (``yaml_files``) gets the paths of the folder's files rewritten to
    absolute ones; the rewritten copy goes to ``outpath`` (same relative path), so the
    folder itself is never changed (it may be read-only, e.g. a Hub cache).

    Args:
        folder: holds ``meta.yaml`` and the files it names (relative paths).
        outpath: where the rewritten configs are written.

    Returns:
        ``{"asr_train_config": <outpath>/..., "asr_model_file": <folder>/..., ...}``.

    Raises:
        MTASRInputError: no ``meta.yaml``, or a file it names is missing.
    """
    folder = Path(folder).resolve()
    outpath = Path(outpath)
    meta = _read_meta(folder)
    if outpath.resolve() == folder:
        raise MTASRInputError(
            "the folder would be rewritten in place", path=folder, fix="unpack elsewhere"
        )
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    retval: Dict[str, str] = {}
    for kind in ("yaml_files", "files"):
        for key, rel in meta[kind].items():
            if not (folder / rel).is_file():
                raise MTASRInputError(f"{META} names {key} {rel}, which is missing", path=folder)
            retval[key] = str(folder / rel)
    for key, rel in meta["yaml_files"].items():
        with (folder / rel).open(encoding="utf-8") as f:
            conf = yaml.safe_load(f)
        for name in names:
            conf = find_path_and_change_it_recursive(conf, name, str(folder / name))
        out = outpath / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as f:
            yaml.safe_dump(conf, f, allow_unicode=True)
        retval[key] = str(out)
    return retval


def results_table(exp_dir: Optional[PathLike]) -> List[str]:
    """Markdown lines: the stage-13 results (every ``result.json`` under ``exp_dir``), or
    one line saying that there are none."""
    from espnet_mtasr.metrics.percent import format_percent
    from espnet_mtasr.metrics.results_md import find_results

    sets = find_results([exp_dir]) if exp_dir is not None and Path(exp_dir).is_dir() else []
    if not sets:
        where = f" under `{exp_dir}`" if exp_dir is not None else ""
        return [f"No results: no stage-13 `result.json`{where} when this folder was written."]
    lines = [
        "Error rates in %; `talkers` is the reference talker count; count acc: the "
        "predicted talker count is right.",
        "",
        "|decoding|set|metric|talkers|#utts|SOT|cp|count acc|",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for s in sets:
        metric = "CER" if s.mode == "char" else "WER"
        for r in s.rows:
            cells = [Path(s.decode_dir).name, s.name, metric, r.talkers, str(r.num_utts)]
            cells += [format_percent(r.sot_rate), format_percent(r.cp_rate)]
            cells.append(format_percent(r.count_accuracy))
            lines.append("|" + "|".join(c.replace("|", "\\|") for c in cells) + "|")
    return lines


def model_card(
    name: str,
    config: Dict[str, Any],
    meta: Dict[str, Any],
    files: Sequence[str],
    results: Sequence[str],
    license: str = "cc-by-4.0",
    espnet_blockers: Sequence[str] = (),
) -> str:
    """The ``README.md`` of a model folder: YAML front matter (license, tags), what the
    model is, how to decode with it, the results, the files and the training config.

    Args:
        name: the folder's name.
        config: the packed training config.
        meta: the packed ``meta.yaml``.
        files: the folder's files (relative paths).
        results: Markdown lines of the results (:func:`results_table`).
        license: the ``license`` of the front matter.
        espnet_blockers: why ESPnet's own ``Speech2Text`` cannot load the model (empty:
            it can; only the ``espnet`` family can at all).
    """
    family = config.get("model") or "espnet"
    front = {
        "license": license,
        "library_name": "espnet",
        "pipeline_tag": "automatic-speech-recognition",
        "tags": list(TAGS),
    }
    config_file = meta["yaml_files"]["asr_train_config"]
    model_file = meta["files"]["asr_model_file"]
    lines = [
        "---",
        yaml.safe_dump(front, sort_keys=False, allow_unicode=True).rstrip(),
        "---",
        "",
        f"# {name}",
        "",
        "Multi-talker ASR model trained with `espnet_mtasr` (an [ESPnet]"
        f"(https://github.com/espnet/espnet) plugin), family `model: {family}`: "
        f"{FAMILY_OUTPUT.get(family, 'a plugin model family')}. It writes the talkers' "
        "transcripts in start-time order, joined by `<sc>` (speaker-tagged models: "
        "`<spk1> ... <spk2> ...`).",
        "",
        "## How to use",
        "",
        "With espnet_mtasr installed (nothing is downloaded; pass this folder's path):",
        "",
        "```python",
        "import soundfile",
        "from espnet_mtasr.inference import MultiTalkerSpeech2Text",
        "",
        f's2t = MultiTalkerSpeech2Text.from_pretrained("{name}")',
        'speech, rate = soundfile.read("mix.wav")',
        "print(s2t(speech, fs=rate).streams)  # one transcript per talker",
        "```",
        "",
        f"or `python -m espnet_mtasr.bin.mtasr_inference --model_file {name} --wav mix.wav`.",
    ]
    if config.get("decoder") == "hf_llm":
        llm = (config.get("decoder_conf") or {}).get("llm_path")
        lines += [
            "",
            f"The LLM is not in this folder: loading reads `decoder_conf.llm_path` (`{llm}`, "
            "relative to where you run), a local Hugging Face causal-LM folder.",
        ]
    if family == "espnet" and not espnet_blockers:
        lines += [
            "",
            "ESPnet's own `Speech2Text` loads it too (run from this folder: the config "
            "names its files relative to it):",
            "",
            "```python",
            "from espnet2.bin.asr_inference import Speech2Text",
            "",
            f's2t = Speech2Text(asr_train_config="{config_file}", asr_model_file="{model_file}")',
            "text, tokens, token_ids, hyp = s2t(speech)[0]  # talkers joined by <sc>",
            "```",
        ]
    elif family == "espnet":
        lines += ["", "Not loadable by ESPnet's own `Speech2Text`: " + "; ".join(espnet_blockers)]
    lines += ["", "## Results", "", *results, "", "## Files", ""]
    lines += [f"- `{f}`" for f in files]
    lines += [
        "",
        "## Training config",
        "",
        "<details><summary>expand</summary>",
        "",
        "```yaml",
        yaml.safe_dump(config, sort_keys=False, allow_unicode=True).rstrip(),
        "```",
        "",
        "</details>",
    ]
    return "\n".join(lines) + "\n"


def write_model_folder(
    archive: PathLike,
    out_dir: PathLike,
    exp_dir: Optional[PathLike] = None,
    license: str = "cc-by-4.0",
    espnet_blockers: Sequence[str] = (),
) -> Path:
    """Write the Hugging Face-style folder of a packed model (see the module doc).

    Written under a temporary sibling name and renamed when complete; an existing folder
    is replaced.

    Args:
        archive: the packed model (``mtasr_pack`` / ``espnet2.bin.pack asr``).
        out_dir: the folder to write.
        exp_dir: where the stage-13 ``result.json`` files are looked for (results table).
        license: the model card's ``license``.
        espnet_blockers: see :func:`model_card`.

    Raises:
        MTASRInputError: ``out_dir`` exists and is not a directory.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise MTASRInputError(
            "exists and is not a directory", path=out_dir, fix="remove it or pick another --hf_dir"
        )
    results = results_table(exp_dir)
    with atomic_dir(out_dir) as tmp:
        with Archiver(archive) as a:
            for info in a:
                a.extract(info, path=tmp)
        meta = _read_meta(tmp)
        with (tmp / meta["yaml_files"]["asr_train_config"]).open(encoding="utf-8") as f:
            config = yaml.safe_load(f) or {}
        token_list = config.get("token_list")
        if isinstance(token_list, list):
            (tmp / TOKENS).write_text("".join(f"{t}\n" for t in token_list), encoding="utf-8")
        files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
        card = model_card(
            out_dir.name,
            config,
            meta,
            sorted([*files, CARD]),
            results,
            license=license,
            espnet_blockers=espnet_blockers,
        )
        (tmp / CARD).write_text(card, encoding="utf-8")
    return out_dir
