"""mtasr_inference refuses inputs it cannot decode (issue 14), table-driven.

Each bad input ends ``espnet_mtasr.bin.mtasr_inference`` with exit status 1 and one line
naming the file (and, in data-dir mode, the wav.scp line and the utterance), before the
first utterance is decoded: ``--output_dir`` stays byte-identical (the files of an earlier
run). Model files that are not models say what a model file is, and never relay torch's
advice to load with ``weights_only=False``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Tuple

import numpy as np
import pytest
import soundfile as sf
from task_helpers import FS, tiny_sot_exp

from espnet_mtasr.bin import mtasr_inference


def _wav(path: Path, n: int) -> Path:
    sf.write(path, (0.1 * np.random.default_rng(0).standard_normal(n)).astype("float32"), FS)
    return path


def _zero_samples(d: Path) -> Path:
    return _wav(d / "bad.wav", 0)


def _ten_ms(d: Path) -> Path:
    return _wav(d / "bad.wav", FS // 100)


def _missing(d: Path) -> Path:
    return d / "bad.wav"


def _text_as_wav(d: Path) -> Path:
    (d / "bad.wav").write_text("this is not audio\n", encoding="utf-8")
    return d / "bad.wav"


def _garbage(name: str) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        (d / name).write_bytes(b"PK\x03\x04 not really an archive or a pickle " * 8)
        return d / name

    return make


@dataclass(frozen=True)
class BadInput:
    """One input mtasr_inference must refuse.

    Args:
        name: the case id.
        make: writes the bad file into a directory; returns its path.
        role: ``"scp"`` (a wav.scp entry, data-dir mode), ``"wav"`` (``--wav``),
            ``"zip"`` (``--model_file``) or ``"pth"`` (``--asr_model_file``).
        says: text the message must hold.
    """

    name: str
    make: Callable[[Path], Path]
    role: str
    says: Tuple[str, ...]


TOO_SHORT = ("too short to decode", "at least 960 samples (0.060 s", "Conv2dSubsampling")
BAD = [
    BadInput("0-sample wav", _zero_samples, "scp", ("0 samples", *TOO_SHORT)),
    BadInput("10 ms wav", _ten_ms, "scp", ("160 samples (0.010 s)", *TOO_SHORT)),
    BadInput("missing wav", _missing, "scp", ("sound file not found",)),
    BadInput("text file as .wav", _text_as_wav, "scp", ("not a readable sound file",)),
    BadInput("0-sample wav, --wav", _zero_samples, "wav", ("0 samples", *TOO_SHORT)),
    BadInput("text file as .wav, --wav", _text_as_wav, "wav", ("not a readable sound file",)),
    BadInput(
        "garbage zip", _garbage("model.zip"), "zip", ("not an ESPnet packed model", "meta.yaml")
    ),
    BadInput(
        "garbage pth",
        _garbage("model.pth"),
        "pth",
        ("not a model state dict saved by ESPnet's trainer",),
    ),
]


@pytest.fixture(scope="module")
def exp(tmp_path_factory) -> Path:
    return tiny_sot_exp(tmp_path_factory.mktemp("exp"))


def _tree(root: Path) -> Dict[str, str]:
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("case", BAD, ids=[c.name for c in BAD])
def test_bad_input_stops_with_a_clear_message(tmp_path, exp, case, capsys):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    bad = case.make(inputs)
    good = _wav(inputs / "good.wav", FS)
    scp = tmp_path / "wav.scp"
    bad_wav = bad if case.role == "scp" else good
    scp.write_text(f"utt-a-good {good}\nutt-b-bad {bad_wav}\n", encoding="utf-8")
    out = tmp_path / "out"
    (out / "1best_recog").mkdir(parents=True)  # an earlier run's output
    (out / "1best_recog" / "text").write_text("utt-a-good earlier\n", encoding="utf-8")
    before = _tree(out)

    model = ["--asr_train_config", str(exp / "config.yaml"), "--asr_model_file"]
    model.append(str(bad if case.role == "pth" else exp / "model.pth"))
    if case.role == "zip":
        model = ["--model_file", str(bad), "--unpack_dir", str(tmp_path / "unpacked")]
    data = ["--data_path_and_name_and_type", f"{scp},speech,sound", "--output_dir", str(out)]
    if case.role == "wav":
        data = ["--wav", str(bad)]
    args = [*model, *data, "--num_workers", "0", "--beam_size", "2", "--maxlenratio", "0.5"]
    with pytest.raises(SystemExit) as e:
        mtasr_inference.main([*args, "--log_level", "ERROR"])
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()[-1]
    assert e.value.code == 1 and err.startswith("ERROR: ")
    assert "Traceback" not in captured.err and "weights_only=False" not in captured.err
    assert str(bad) in err
    if case.role == "scp":
        assert err.startswith(f"ERROR: {scp}:2: utterance utt-b-bad ({bad}): ")
    for text in case.says:
        assert text in err, err
    assert captured.out == ""
    assert _tree(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]
