"""What differs between the supported ESPnet lines, in one place.

ESPnet 202511 (Python 3.11) keeps the pre-espnet2 network code in the top-level
``espnet.nets`` package; ESPnet 202611 (Python 3.12-3.13) moved it to
``espnet2.legacy.nets``. The plugin imports every name it needs from there through this
module, which resolves them lazily (on first use, so importing it costs nothing)::

    from espnet_mtasr.utils.espnet_compat import BeamSearch, pad_list

It also keeps ESPnet's import-time notices off stdout, where they would corrupt what the
mains print (``mtasr_train --print_config`` writes YAML there):
:func:`quiet_espnet_import_notices` (called by ``import espnet_mtasr``) makes the two
noisy modules print to stderr while they are imported. They are the legacy attention
module (202511 prints "Failed to import Flash Attention ..." to stdout when flash_attn is
not installed) and ``g2p_en``, which ``espnet2.text.phoneme_tokenizer`` imports
unconditionally and which calls ``nltk.download`` for its tagger and dictionary at import
time; offline that is an ``[nltk_data] Error loading ...`` message on every start. The
download is skipped during that import: g2p_en only reads the data when a ``G2p`` is
built (ESPnet's ``g2p_en`` phoneme tokenizer), and then nltk's own ``LookupError`` says
which ``nltk.download(...)`` to run.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import logging
import sys
from types import ModuleType
from typing import Any, Dict, Iterator, Optional, Sequence

try:
    ESPNET_VERSION: str = importlib.metadata.version("espnet")
except importlib.metadata.PackageNotFoundError:
    ESPNET_VERSION = "not installed"

# Newest layout first.
LEGACY_NETS_PACKAGES = ("espnet2.legacy.nets", "espnet.nets")

# name -> module under the legacy ``nets`` package that defines it
_LEGACY_NAMES: Dict[str, str] = {
    "pad_list": "pytorch_backend.nets_utils",
    "TooShortUttError": "pytorch_backend.transformer.subsampling",
    "check_short_utt": "pytorch_backend.transformer.subsampling",
    "BeamSearch": "beam_search",
    "Hypothesis": "beam_search",
    "BatchBeamSearch": "batch_beam_search",
    "BatchScorerInterface": "scorer_interface",
    "CTCPrefixScorer": "scorers.ctc",
    "LengthBonus": "scorers.length_bonus",
}

__all__ = ["ESPNET_VERSION", "legacy_nets_package", "quiet_espnet_import_notices"]
__all__ += list(_LEGACY_NAMES)

_NOISY_MODULES = frozenset(
    ["g2p_en"] + [f"{p}.pytorch_backend.transformer.attention" for p in LEGACY_NETS_PACKAGES]
)

logger = logging.getLogger(__name__)


@functools.cache
def legacy_nets_package() -> str:
    """The installed ESPnet's legacy ``nets`` package: ``espnet2.legacy.nets`` or
    ``espnet.nets``.

    Raises:
        ImportError: neither is importable (ESPnet is missing or too old/new).
    """
    for name in LEGACY_NETS_PACKAGES:
        try:
            if importlib.util.find_spec(name) is not None:
                return name
        except ModuleNotFoundError:  # a parent package (espnet2.legacy, espnet) is missing
            continue
    raise ImportError(
        f"ESPnet {ESPNET_VERSION} has neither {' nor '.join(LEGACY_NETS_PACKAGES)}: "
        "install a supported ESPnet (202511 or 202611) with `make install`"
    )


def __getattr__(name: str) -> Any:
    """Import a legacy ESPnet name on first use (PEP 562)."""
    if name not in _LEGACY_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{legacy_nets_package()}.{_LEGACY_NAMES[name]}")
    value = getattr(module, name)
    globals()[name] = value
    return value


def _skip_nltk_download(info_or_id: Optional[str] = None, *args: Any, **kwargs: Any) -> bool:
    logger.debug("skipped nltk.download(%r) while importing g2p_en", info_or_id)
    return False


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    """stdout -> stderr; and, for ``g2p_en``, no ``nltk.download`` while it runs."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.redirect_stdout(sys.stderr))
        if name == "g2p_en":
            import nltk  # g2p_en imports it first thing anyway

            stack.callback(setattr, nltk, "download", nltk.download)
            nltk.download = _skip_nltk_download
        yield


class _QuietLoader(importlib.abc.Loader):
    """Runs another loader's ``exec_module`` inside :func:`_quiet`, then steps aside."""

    def __init__(self, loader: importlib.abc.Loader):
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Optional[ModuleType]:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        # the module keeps the real loader (resources, reloads)
        module.__loader__ = module.__spec__.loader = self._loader
        with _quiet(module.__name__):
            self._loader.exec_module(module)


class _QuietImportFinder(importlib.abc.MetaPathFinder):
    """Finds the noisy modules through the other finders and wraps their loaders."""

    def find_spec(
        self,
        fullname: str,
        path: Optional[Sequence[str]],
        target: Optional[ModuleType] = None,
    ) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname not in _NOISY_MODULES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _QuietLoader(spec.loader)
                return spec
        return None


def quiet_espnet_import_notices() -> None:
    """Keep ESPnet's import-time notices off stdout and skip g2p_en's nltk downloads
    (see the module docstring). Idempotent; no effect on modules already imported."""
    if not any(isinstance(f, _QuietImportFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietImportFinder())
