"""Errors raised for bad user input (corpus files, data dirs, options).

Every message names the offending file and line (or option) and says how to fix it.
Mains catch :class:`MTASRInputError` and print it as one line instead of a traceback.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Callable, Optional, TypeVar, Union

F = TypeVar("F", bound=Callable)


class MTASRInputError(ValueError):
    """Bad input that the user has to fix.

    Args:
        message: what is wrong.
        path: the offending file, if any.
        line: 1-based line number in ``path``, if any.
        fix: what to do about it.
    """

    def __init__(
        self,
        message: str,
        path: Optional[Union[str, Path]] = None,
        line: Optional[int] = None,
        fix: Optional[str] = None,
    ):
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        text = where + message
        if fix:
            text += f" (fix: {fix})"
        super().__init__(text)
        self.path = None if path is None else str(path)
        self.line = line
        self.fix = fix


def exit_on_input_error(main: F) -> F:
    """Decorate a main so an :class:`MTASRInputError` ends it with a one-line message."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except MTASRInputError as e:
            print(f"ERROR: {e}", file=sys.stderr)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]
