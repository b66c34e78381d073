"""A throw-away copy of a recipe for the integration tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUTPUTS = ("data", "dump", "exp", "corpus", "RESULTS.md")
OUTPUT_PREFIXES = ("dump_", "exp_")  # per-size outputs, e.g. mini_alimeeting's exp_large


def copy_recipe(name: str, dst: Path) -> Path:
    """Copy ``egs2/<name>/mtasr1``'s own files (no outputs) to ``dst``; link the
    template's shared ones by absolute path."""
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
