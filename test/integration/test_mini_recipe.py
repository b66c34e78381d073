"""Runs the mini LibriMix recipe end to end at its smallest size (``--size tiny``).

Every stage runs for real: espeak-ng synthesis, mixing, LibriMix prep, dump, token list,
collect stats, ESPnet training, beam-search decoding, meeteval scoring, packing. Then a
single wav is decoded from the packed model alone, and stage 11 is re-run with one more
epoch to check that training resumes from its checkpoint.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "egs2" / "mini_librimix" / "mtasr1"

pytestmark = pytest.mark.integration


def _make_recipe_copy(dst: Path) -> Path:
    """Copy the recipe's own files; link the template's shared ones by absolute path."""
    dst.mkdir(parents=True)
    for item in RECIPE.iterdir():
        if item.name in ("data", "dump", "exp", "corpus", "RESULTS.md"):
            continue
        if item.is_symlink():
            os.symlink(item.resolve(), dst / item.name)
        elif item.is_dir():
            shutil.copytree(item, dst / item.name)
        else:
            shutil.copy2(item, dst / item.name)
    return dst


def _run(cmd, cwd: Path) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=1500)
    assert r.returncode == 0, f"{cmd} failed:\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    return r


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_mini_recipe_all_stages_tiny(tmp_path):
    recipe = _make_recipe_copy(tmp_path / "mtasr1")
    r = _run(["./run.sh", "--size", "tiny"], recipe)
    log = r.stdout + r.stderr
    for stage in (1, 3, 4, 5, 10, 11, 12, 13, 14):
        assert f"Stage {stage} done in" in log, f"stage {stage} did not report its time"
    assert "Successfully finished" in log

    exp = recipe / "exp" / "asr_sot_conformer_tiny"
    decode = next(exp.glob("decode_*/test"))
    hyp = (decode / "text").read_text().splitlines()
    ref = (recipe / "dump" / "raw" / "test" / "text").read_text().splitlines()
    assert [h.split()[0] for h in hyp] == [x.split()[0] for x in ref]

    results = (recipe / "RESULTS.md").read_text()
    assert "cpWER" in results and "asr_sot_conformer_tiny" in results
    for talkers in ("|test|1|", "|test|2|", "|test|3|"):
        assert talkers in results

    # The packed model decodes a wav on its own, from a directory with nothing else in it.
    packed = next(exp.glob("*.zip"))
    wav = Path((recipe / "dump" / "raw" / "test" / "wav.scp").read_text().split()[1])
    if not wav.is_absolute():
        wav = recipe / wav
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(packed, alone / "model.zip")
    shutil.copy(wav, alone / "mix.wav")
    python = shutil.which("python3", path=str(REPO / ".venv" / "bin")) or "python3"
    r = _run(
        [
            python,
            "-m",
            "espnet_mtasr.bin.mtasr_inference",
            "--model_file",
            "model.zip",
            "--wav",
            "mix.wav",
        ],
        alone,
    )
    assert r.stdout.strip() != "" or "empty" in r.stderr

    # Killing training and re-running stage 11 resumes from the checkpoint: one more epoch.
    assert (exp / "checkpoint.pth").exists()
    _run(
        [
            "./run.sh",
            "--size",
            "tiny",
            "--stage",
            "11",
            "--stop_stage",
            "11",
            "--asr_args",
            "--max_epoch 2 --batch_bins 300000",
        ],
        recipe,
    )
    train_log = (exp / "train.log").read_text()
    assert "2/2epoch started" in train_log
    assert "1/2epoch started" not in train_log
