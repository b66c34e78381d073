"""The one check that a pretrained model is a local Hugging Face folder (nothing is
downloaded: every ``from_pretrained`` here runs with ``local_files_only=True``)."""

from __future__ import annotations

from pathlib import Path
from typing import Union

from espnet_mtasr.utils.errors import MTASRInputError


def check_local_hf_folder(
    path: Union[str, Path, None], option: str, what: str = "model", config: bool = True
) -> Path:
    """``path`` as a :class:`Path` if it is a local folder (with ``config.json`` when
    ``config``, as ``save_pretrained`` writes it for a model; a tokenizer has none).

    Args:
        path: the folder (``None``: not given).
        option: the option that named it, for the message (``decoder_conf llm_path``).
        what: what it should hold (``causal LM``, ``WavLM``, ``tokenizer``).
        config: require ``config.json``.

    Raises:
        MTASRInputError: naming the option and the path; says that nothing is downloaded.

    >>> check_local_hf_folder("org/Model", "--llm_path")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    espnet_mtasr.utils.errors.MTASRInputError: org/Model: --llm_path is not a local folder ...
    """
    fix = (
        f"download the {what} first (e.g. `huggingface-cli download <repo> --local-dir <dir>`)"
        " and give <dir>"
    )
    if path is None:
        raise MTASRInputError(f"{option} is not set", fix=fix)
    folder = Path(path)
    if not folder.is_dir():
        raise MTASRInputError(
            f"{option} is not a local folder (a Hub name? nothing is downloaded)",
            path=folder,
            fix=fix,
        )
    if config and not (folder / "config.json").is_file():
        raise MTASRInputError(
            f"{option} has no config.json: not a {what} folder saved with save_pretrained",
            path=folder,
            fix=fix,
        )
    return folder
