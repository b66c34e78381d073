"""Check the freshly built environment and repair the one known CPU-torch issue.

torchaudio's PyPI wheels link ``libc10_cuda``; next to the CPU build of torch its compiled
extension cannot load and ``import torchaudio`` fails. ESPnet only needs torchaudio's
pure-Python parts (kaldi fbank, resampling), which work without the extension, so the
extension libraries are moved aside (into ``torchaudio/lib/disabled-cpu-torch/``) when, and
only when, they fail to load for that reason. A CUDA torch keeps them.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path


def _try(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def _disable_torchaudio_extension() -> None:
    spec = importlib.util.find_spec("torchaudio")
    assert spec is not None and spec.origin is not None
    lib = Path(spec.origin).parent / "lib"
    aside = lib / "disabled-cpu-torch"
    aside.mkdir(exist_ok=True)
    for so in lib.glob("*.so"):
        so.rename(aside / so.name)
    print(f"check_install: torchaudio extension needs CUDA torch; moved to {aside}")


def main() -> int:
    r = _try("import torchaudio")
    if r.returncode != 0:
        if "libc10_cuda" not in r.stderr and "libcudart" not in r.stderr:
            print(r.stderr, file=sys.stderr)
            return 1
        _disable_torchaudio_extension()
    # espnet_mtasr first: it keeps ESPnet's import-time notices off stdout
    r = _try(
        "import espnet_mtasr, torch, torchaudio, espnet2, espnet2.tasks.asr, lhotse, meeteval, "
        "peft, transformers, sentencepiece, kaldiio, soundfile;"
        "print('torch', torch.__version__, '| torchaudio', torchaudio.__version__,"
        " '| espnet', espnet2.__version__ if hasattr(espnet2, '__version__') else '?')"
    )
    if r.returncode != 0:
        print(r.stderr, file=sys.stderr)
        print("check_install: the environment is broken (see above)", file=sys.stderr)
        return 1
    print("check_install:", r.stdout.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
