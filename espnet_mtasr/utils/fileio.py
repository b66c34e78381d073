"""Write files and directories atomically: to a temporary sibling, then rename.

The one output rule of every main that writes a file or a directory:

- the new content is written into a temporary sibling (``.<name>.XXXX.tmp``) and swapped
  in with ``rename`` only when it is complete, so an interrupted or failed run leaves the
  previous content (an earlier data dir, a file) exactly as it was;
- an output path that cannot be replaced safely stops the run *before* anything is
  written, with a message naming the path and the fix: an existing non-directory where a
  directory goes (or the reverse), a symbolic link at a directory path (the link, its
  target and the target's content are left alone), a parent that is not a directory or
  not writable; a main writing several outputs checks them all first
  (:func:`check_output_dirs`);
- a write that fails for lack of room (``ENOSPC``/``EDQUOT``/``EFBIG``) or permission
  stops with one message naming the output path; the temporary sibling and any parent
  directories the run created are removed;
- permissions follow the umask (``tempfile`` would leave ``0700``/``0600``).

A symbolic link at a *file* path is written through: its target gets the new content and
the link stays.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple, Union

from espnet_mtasr.utils.errors import MTASRInputError

PathLike = Union[str, Path]

# errno of a write that failed for lack of room or rights on the output side
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}


def current_umask() -> int:
    """The process umask, read without changing it (``/proc``; else set and restore)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _nearest_existing(path: Path) -> Path:
    """``path`` or its closest ancestor that exists (or is a dangling link)."""
    p = path
    while not (p.exists() or p.is_symlink()) and p != p.parent:
        p = p.parent
    return p


def check_output_path(path: PathLike, directory: bool = True) -> None:
    """Stop unless ``path`` can be written (created or replaced) atomically.

    Args:
        path: the output directory (``directory=True``) or file.
        directory: what goes at ``path``.

    Raises:
        MTASRInputError: naming ``path`` and the fix; nothing is written or changed.
    """
    path = Path(path)
    if directory and path.is_symlink():
        raise MTASRInputError(
            f"the output directory is a symbolic link (to {os.readlink(path)}); writing it "
            "atomically would replace the link",
            path=path,
            fix=f"give the link's target ({path.resolve()}) as the output path, or remove the link",
        )
    if path.exists() and path.is_dir() != directory:
        have, want = ("a directory", "file") if path.is_dir() else ("not a directory", "directory")
        raise MTASRInputError(
            f"exists and is {have}, but the output {want} goes here",
            path=path,
            fix="move or remove it, or choose another output path",
        )
    anchor = _nearest_existing(path.parent)
    if not anchor.is_dir():
        raise MTASRInputError(
            f"cannot create the output {'directory' if directory else 'file'} {path}: "
            f"{anchor} is not a directory",
            path=anchor,
            fix="choose another output path",
        )
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise MTASRInputError(
            f"cannot write the output {path}: directory {anchor} is not writable",
            path=anchor,
            fix="make it writable (chmod/chown, remount) or choose another output path",
        )


def check_output_dirs(paths: Sequence[PathLike]) -> None:
    """:func:`check_output_path` for every directory a multi-set run will write.

    Raises:
        MTASRInputError: listing every path that cannot be written; nothing is written.
    """
    problems: List[str] = []
    culprits: Set[Optional[str]] = set()  # one message per offending path (a shared parent)
    for p in paths:
        try:
            check_output_path(p)
        except MTASRInputError as e:
            if e.path not in culprits:
                culprits.add(e.path)
                problems.append(str(e))
    if len(problems) == 1:
        raise MTASRInputError(problems[0])
    if problems:
        raise MTASRInputError(
            f"{len(problems)} output paths cannot be written, nothing was written: "
            + "; ".join(problems)
        )


def ensure_output_dir(path: PathLike) -> Path:
    """``mkdir -p path`` for a directory that files are written *into* (a score dir).

    Unlike :func:`atomic_dir` the directory is not replaced, so a symbolic link to a
    directory is fine; anything else :func:`check_output_path` refuses stops the run with
    its message before anything is created.
    """
    path = Path(path)
    if not (path.is_symlink() and path.is_dir()):
        check_output_path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        err = _write_error(e, path, path)
        if err is None:
            raise
        raise err from e
    return path


def _make_parents(parent: Path) -> List[Path]:
    """``mkdir -p parent``; the directories it created, deepest first."""
    created = []
    p = parent
    while not p.exists():
        created.append(p)
        p = p.parent
    parent.mkdir(parents=True, exist_ok=True)
    return created


def _remove_empty(dirs: Iterable[Path]) -> None:
    for d in dirs:  # deepest first
        with contextlib.suppress(OSError):
            d.rmdir()


def _inside(name: object, root: Path) -> bool:
    if not isinstance(name, (str, bytes, os.PathLike)):
        return False
    try:
        return Path(os.fsdecode(name)).resolve().is_relative_to(root.resolve())
    except (OSError, ValueError):
        return False


class OutputWriteError(MTASRInputError):
    """Writing an output failed for lack of room or rights (the ``OSError`` is the cause)."""


def _write_error(e: BaseException, path: Path, tmp: Path) -> MTASRInputError | None:
    """The user-facing error for an exception raised while writing ``tmp`` (else None).

    An :class:`OutputWriteError` of a nested atomic write inside ``tmp`` is re-said for
    ``path``, the output the user named.
    """
    if isinstance(e, OutputWriteError) and isinstance(e.__cause__, OSError):
        e = e.__cause__
    if not isinstance(e, OSError) or e.errno not in _WRITE_ERRNOS:
        return None
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS) and e.filename is not None:
        if not _inside(e.filename, tmp):
            return None  # a permission problem on an input, not on the output
    room = e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
    return OutputWriteError(
        f"writing the output failed: {e.strerror}; it is left as it was "
        "and the partial output was removed",
        path=path,
        fix=(
            f"free space on the file system of {path.parent} (or raise the file-size or "
            "quota limit), or choose another output path"
            if room
            else f"make {path.parent} writable or choose another output path"
        ),
    )


def _temporary_sibling(path: Path, directory: bool) -> Tuple[List[Path], Path]:
    """Create ``path``'s parents and an empty temporary file or directory next to it
    (``.<name>.XXXX.tmp``); the parents created (to remove on failure) and its path."""
    created = _make_parents(path.parent)
    try:
        if directory:
            tmp = tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        else:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            os.close(fd)
    except OSError as e:
        _remove_empty(created)
        err = _write_error(e, path, path.parent)
        if err is None:
            raise
        raise err from e
    return created, Path(tmp)


def _apply_umask(path: Path, directory: bool) -> None:
    os.chmod(path, (0o777 if directory else 0o666) & ~current_umask())


@contextlib.contextmanager
def atomic_write(path: PathLike, mode: str = "w", encoding: str = "utf-8") -> Iterator:
    """Open a temporary file next to ``path``; rename it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left untouched. A
    symbolic link at ``path`` is written through (its target is replaced, the link kept).
    """
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    check_output_path(path, directory=False)
    created, tmp = _temporary_sibling(path, directory=False)
    try:
        kwargs = {} if "b" in mode else {"encoding": encoding}
        with open(tmp, mode, **kwargs) as f:
            yield f
        _apply_umask(tmp, directory=False)
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        _remove_empty(created)
        err = _write_error(e, path, tmp)
        if err is not None:
            raise err from (e.__cause__ if isinstance(e, OutputWriteError) else e)
        raise


@contextlib.contextmanager
def atomic_dir(path: PathLike) -> Iterator[Path]:
    """Yield a temporary directory that replaces ``path`` when the block succeeds.

    ``path`` is checked first (:func:`check_output_path`). An existing directory is
    replaced only after the new content is complete; on an exception the temporary
    directory (and any parent this call created) is removed and ``path`` is left as it was.
    """
    path = Path(path)
    check_output_path(path)
    created, tmp = _temporary_sibling(path, directory=True)
    try:
        yield tmp
        _apply_umask(tmp, directory=True)
        _swap_in(tmp, path)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(created)
        err = _write_error(e, path, tmp)
        if err is not None:
            raise err from (e.__cause__ if isinstance(e, OutputWriteError) else e)
        raise


def _swap_in(tmp: Path, path: Path) -> None:
    """Rename the complete ``tmp`` onto ``path``; an old ``path`` is restored on failure."""
    if not path.exists():
        os.replace(tmp, path)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
    os.replace(path, old)  # a directory renames onto an empty one
    try:
        os.replace(tmp, path)
    except BaseException:
        os.replace(old, path)
        raise
    shutil.rmtree(old, ignore_errors=True)


def write_kaldi_map(path: PathLike, items: Union[Mapping[str, str], Iterable[Tuple[str, str]]]):
    """Write a Kaldi ``<key> <value>`` file sorted by key, atomically.

    An empty value writes the key alone on its line (ESPnet reads it back as "").
    """
    pairs = items.items() if isinstance(items, Mapping) else items
    with atomic_write(path) as f:
        for key, value in sorted(pairs, key=lambda kv: kv[0]):
            f.write(f"{key} {value}\n" if value != "" else f"{key}\n")


def write_json(path: PathLike, obj: Any) -> None:
    """Write ``obj`` as UTF-8 JSON (2-space indent, newline-terminated), atomically."""
    with atomic_write(path) as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


def read_text(path: PathLike, what: str = "file") -> str:
    """The text of ``path``: UTF-8 (a byte-order mark is dropped), or UTF-16 with a BOM.

    These are the encodings the ``textgrid`` reader lhotse uses accepts, and what Praat and
    Windows editors write. The one reader of corpus text files (TextGrids, LibriSpeech
    transcripts, LibriMix metadata CSVs).

    Raises:
        MTASRInputError: the file is missing or unreadable, or not valid UTF-8/UTF-16,
            naming ``path``, the line and the byte.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise MTASRInputError(f"cannot read the {what}: {e.strerror}", path=path) from None
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        return data.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError as e:
        if utf16:
            at, newline = e.start, "\n".encode("utf-16-le" if data[:1] == b"\xff" else "utf-16-be")
        else:  # utf-8-sig counts e.start after the BOM
            at, newline = e.start + (3 if data.startswith(codecs.BOM_UTF8) else 0), b"\n"
        raise MTASRInputError(
            f"{what} not {'UTF-16' if utf16 else 'UTF-8'}: byte 0x{data[at]:02x} at byte {at} "
            f"({e.reason})",
            path=path,
            line=data.count(newline, 0, at) + 1,
            fix="re-encode the file as UTF-8 (e.g. iconv -f GB18030 -t UTF-8)",
        ) from None
