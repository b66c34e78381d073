"""A throw-away copy of a recipe for the integration tests, and the check that a run
leaves the recipe's own files as they were (``git status`` stays clean)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUTPUTS = ("data", "dump", "exp", "corpus")
OUTPUT_PREFIXES = ("dump_", "exp_")  # per-size outputs, e.g. mini_alimeeting's exp_large


def copy_recipe(name: str, dst: Path) -> Path:
    """Copy ``egs2/<name>/mtasr1``'s own files (no outputs; its tracked RESULTS.md
    included) to ``dst``; link the template's shared ones by absolute path."""
    src = REPO / "egs2" / name / "mtasr1"
    dst.mkdir(parents=True)
    for item in src.iterdir():
        if item.name in OUTPUTS or item.name.startswith(OUTPUT_PREFIXES):
            continue
        if item.is_symlink():
            os.symlink(item.resolve(), dst / item.name)
        elif item.is_dir():
            shutil.copytree(item, dst / item.name)
        else:
            shutil.copy2(item, dst / item.name)
    return dst


def _files(recipe: Path) -> list[str]:
    """The regular files under ``recipe`` (relative paths), not following the links to
    the template's shared files."""
    out = []
    for root, _, names in os.walk(recipe):
        for name in names:
            path = Path(root) / name
            if not path.is_symlink():
                out.append(path.relative_to(recipe).as_posix())
    return sorted(out)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(recipe: Path) -> dict[str, str]:
    """sha256 of each of the recipe copy's own files (taken before a run)."""
    return {rel: _digest(recipe / rel) for rel in _files(recipe)}


def assert_clean_after_run(recipe: Path, name: str, before: dict[str, str]) -> None:
    """The run changed none of the files in ``before`` (RESULTS.md, run.sh, conf/, ...),
    and every file it wrote is ignored by the repository's .gitignore, as
    ``egs2/<name>/mtasr1/<path>``: a clone's ``git status`` would stay clean."""
    changed = [rel for rel, h in before.items() if _digest(recipe / rel) != h]
    assert not changed, f"the run changed the recipe's own files: {changed}"
    new = [f"egs2/{name}/mtasr1/{rel}" for rel in _files(recipe) if rel not in before]
    r = subprocess.run(
        ["git", "-C", str(REPO), "check-ignore", "--no-index", "--stdin"],
        input="\n".join(new) + "\n",
        capture_output=True,
        text=True,
    )
    assert r.returncode in (0, 1), r.stderr  # 1: nothing ignored
    ignored = set(r.stdout.splitlines())
    untracked = [p for p in new if p not in ignored]
    assert not untracked, f"files a run writes that .gitignore does not cover: {untracked[:20]}"
