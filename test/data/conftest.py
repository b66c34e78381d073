"""Fixtures of the data-preparation tests (helpers live in ``librimix_fakes.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from librimix_fakes import FakeCorpus, build_fake_corpus


@pytest.fixture
def fake_corpus(tmp_path: Path) -> FakeCorpus:
    """The standard fake LibriMix + LibriSpeech corpus (see ``build_fake_corpus``)."""
    return build_fake_corpus(tmp_path)
