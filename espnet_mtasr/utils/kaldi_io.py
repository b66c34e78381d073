"""Reading Kaldi ``<key> <value>`` files, with errors that name the file and line.

One reader for every ``<key> [<value>]`` file of the package (data dirs, scoring inputs,
single-speaker source dirs); callers choose how blank lines and repeated keys are treated
and pass the fix hints that fit their stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Union

from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.fileio import read_text

__all__ = ["KaldiLine", "check_new_key", "read_kaldi_lines", "read_text_lines"]

PathLike = Union[str, Path]


@dataclass(frozen=True)
class KaldiLine:
    """One ``<key> <value>`` line of a Kaldi file (``line`` is 1-based)."""

    key: str
    value: str
    line: int


def read_text_lines(
    path: PathLike,
    *,
    not_found: str = "file not found",
    missing_fix: str = "check the path",
) -> List[str]:
    """The lines of a text file (:func:`espnet_mtasr.utils.fileio.read_text`: UTF-8, a BOM
    dropped), without line ends (no trailing empty line).

    Lines are split on ``\\n`` after universal-newline translation, not with
    ``str.splitlines()`` (which also splits on ``\\x1c``, ``\\u2028``, ...).

    Args:
        path: the file.
        not_found: the message if the file does not exist.
        missing_fix: the fix hint if the file does not exist.

    Raises:
        MTASRInputError: the file is missing or not UTF-8.
    """
    path = Path(path)
    if not path.is_file():
        raise MTASRInputError(not_found, path=path, fix=missing_fix)
    text = read_text(path, "file")  # bad bytes named with line and byte
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def check_new_key(
    seen: Dict[str, int], key: str, path: PathLike, line: int, fix: str, what: str = "utterance id"
) -> None:
    """Record that ``key`` is on ``line`` of ``path``; raise if ``seen`` already has it.

    Raises:
        MTASRInputError: ``duplicate <what> '<key>' (first on line <n>)``.
    """
    if key in seen:
        raise MTASRInputError(
            f"duplicate {what} {key!r} (first on line {seen[key]})", path=path, line=line, fix=fix
        )
    seen[key] = line


def read_kaldi_lines(
    path: PathLike,
    *,
    skip_blank: bool = False,
    unique_keys: bool = False,
    missing_fix: str = "check the path",
    blank_message: str = "blank line",
    blank_fix: str = "every line must be '<key> <value>'",
    duplicate_fix: str = "keep one line per key",
) -> List[KaldiLine]:
    """Read a Kaldi ``<key> [<value>]`` file.

    The key is the first whitespace-separated field; the value is the rest of the line
    after the whitespace that follows it, stripped (``""`` if none).

    Args:
        path: the file.
        skip_blank: ignore blank lines instead of raising ``blank_message``.
        unique_keys: raise on a key already seen on an earlier line.
        missing_fix: the fix hint if the file does not exist.
        blank_message: the message of a blank line (when not ``skip_blank``).
        blank_fix: the fix hint of a blank line.
        duplicate_fix: the fix hint of a repeated key (with ``unique_keys``).

    Raises:
        MTASRInputError: the file is missing, not UTF-8, has a blank line (unless
            ``skip_blank``) or a repeated key (with ``unique_keys``).
    """
    lines = read_text_lines(path, missing_fix=missing_fix)
    out = []
    seen: Dict[str, int] = {}
    for lineno, raw in enumerate(lines, start=1):
        parts = raw.strip().split(maxsplit=1)
        if not parts:
            if skip_blank:
                continue
            raise MTASRInputError(blank_message, path=path, line=lineno, fix=blank_fix)
        if unique_keys:
            check_new_key(seen, parts[0], path, lineno, duplicate_fix)
        out.append(KaldiLine(parts[0], parts[1] if len(parts) > 1 else "", lineno))
    return out
