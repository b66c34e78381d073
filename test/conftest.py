"""Fixtures shared by the test directories (helpers in ``task_helpers.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings
from task_helpers import tiny_sot_config, write_kaldi_dir, write_token_list, write_yaml

# Property tests check behaviour, not speed: no per-example deadline, which busy shared
# CI machines (2 cores) would otherwise turn into flaky DeadlineExceeded failures.
settings.register_profile("mtasr", deadline=None)
settings.load_profile("mtasr")


@pytest.fixture
def token_dir(tmp_path: Path) -> Path:
    """``tmp/token_list/{tokens,nlsyms}.txt`` for char tokens with ``<sc>``."""
    write_token_list(tmp_path / "token_list")
    return tmp_path / "token_list"


@pytest.fixture
def sot_config(tmp_path: Path, token_dir: Path) -> Path:
    """A tiny SOT-AED training YAML."""
    return write_yaml(tmp_path / "conf" / "train_sot.yaml", tiny_sot_config(token_dir))


@pytest.fixture
def kaldi_dir(tmp_path: Path) -> Path:
    """Four random-noise utterances (0.8-1 s) with SOT text."""
    return write_kaldi_dir(tmp_path / "data" / "train")
