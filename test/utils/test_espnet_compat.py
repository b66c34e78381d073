"""espnet_compat: the legacy ESPnet names on the installed line, import-time quieting."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import subprocess
import sys

import pytest

from espnet_mtasr.utils import espnet_compat

# name -> module under the legacy nets package, as ESPnet defines them
LEGACY = [
    ("pad_list", "pytorch_backend.nets_utils"),
    ("TooShortUttError", "pytorch_backend.transformer.subsampling"),
    ("check_short_utt", "pytorch_backend.transformer.subsampling"),
    ("BeamSearch", "beam_search"),
    ("Hypothesis", "beam_search"),
    ("BatchBeamSearch", "batch_beam_search"),
    ("BatchScorerInterface", "scorer_interface"),
    ("CTCPrefixScorer", "scorers.ctc"),
    ("LengthBonus", "scorers.length_bonus"),
]


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def test_version_is_the_installed_distribution():
    assert espnet_compat.ESPNET_VERSION == importlib.metadata.version("espnet")


def test_legacy_package_matches_the_installed_line():
    release = int(espnet_compat.ESPNET_VERSION.split(".")[0])
    expected = "espnet.nets" if release <= 202511 else "espnet2.legacy.nets"
    assert espnet_compat.legacy_nets_package() == expected
    assert _has_module(expected)


@pytest.mark.parametrize("name,module", LEGACY)
def test_names_are_the_real_objects(name, module):
    real = importlib.import_module(f"{espnet_compat.legacy_nets_package()}.{module}")
    assert getattr(espnet_compat, name) is getattr(real, name)
    assert name in espnet_compat.__all__


def test_from_import_and_unknown_name():
    from espnet_mtasr.utils.espnet_compat import BeamSearch, pad_list

    assert BeamSearch.__name__ == "BeamSearch" and callable(pad_list)
    with pytest.raises(AttributeError, match="no attribute 'nosuch'"):
        espnet_compat.nosuch  # noqa: B018
    with pytest.raises(ImportError):
        from espnet_mtasr.utils.espnet_compat import nosuch  # noqa: F401


def test_missing_legacy_package_says_what_to_install(monkeypatch):
    monkeypatch.setattr(espnet_compat, "LEGACY_NETS_PACKAGES", ("espnet2.nosuch", "nosuch.nets"))
    with pytest.raises(ImportError, match="make install"):
        espnet_compat.legacy_nets_package.__wrapped__()


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )


def test_legacy_attention_import_prints_nothing_to_stdout():
    # 202511 prints "Failed to import Flash Attention ..." to stdout without flash_attn
    pkg = espnet_compat.legacy_nets_package()
    r = _run(
        "import espnet_mtasr, importlib, sys\n"
        f"m = importlib.import_module('{pkg}.pytorch_backend.transformer.attention')\n"
        "assert type(m.__loader__).__name__ != '_QuietLoader', m.__loader__\n"
        "assert m.__spec__.loader is m.__loader__\n"
    )
    assert r.stdout == ""


def test_g2p_en_import_attempts_no_nltk_download():
    r = _run(
        "import espnet_mtasr, nltk\n"
        "try:\n"
        "    nltk.data.find('corpora/cmudict.zip')\n"
        "    print('have-data')\n"
        "except LookupError:\n"
        "    pass\n"
        "import g2p_en\n"
        "assert nltk.download.__name__ == 'download', 'nltk.download left patched'\n"
    )
    if r.stdout.strip() == "have-data":
        pytest.skip("nltk's cmudict is installed here: g2p_en would not download anything")
    assert r.stdout == ""
    assert "[nltk_data]" not in r.stderr, r.stderr
