"""The AliMeeting and AISHELL-4 recipes' data stages (1-4) on fake corpus trees: lhotse
prep, windows, the first channel through sox into dump/, for both AliMeeting layouts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from recipe_copy import assert_clean_after_run, copy_recipe, snapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))
from meeting_fakes import make_aishell4_tree, make_alimeeting_tree  # noqa: E402

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "recipe,var,make,sets",
    [
        ("alimeeting", "ALIMEETING", make_alimeeting_tree, ["train", "eval", "test"]),
        ("alimeeting", "ALIMEETING", lambda p: make_alimeeting_tree(p, flat=True), ["eval"]),
        ("aishell4", "AISHELL4", make_aishell4_tree, ["train", "test"]),
    ],
)
def test_data_stages_on_a_fake_tree(tmp_path, recipe, var, make, sets):
    if shutil.which("sox") is None:
        pytest.skip("sox not installed")
    tree = make(tmp_path / "corpus")
    dst = copy_recipe(recipe, tmp_path / "mtasr1")
    cmd = ["./run.sh", "--stage", "1", "--stop_stage", "4", "--nj", "1"]
    cmd += ["--local_data_opts", "--train_window 10 --train_min_window 2 --score_window 15"]
    env = {**os.environ, var: str(tree)}
    r = subprocess.run(cmd, cwd=dst, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    for name in sets:
        text = (dst / "dump/raw" / name / "text").read_text(encoding="utf-8").splitlines()
        assert text and all("<sc>" in ln for ln in text)  # every window has 3 talkers
        (utt, wav), *_ = (ln.split() for ln in (dst / "dump/raw" / name / "wav.scp").open())
        import soundfile as sf

        info = sf.info(str(dst / wav))
        assert info.channels == 1 and info.samplerate == 16000 and 2.0 < info.duration <= 15.0
    assert (dst / "data" / f"{sets[-1]}_session" / "segments").is_file()


def test_mini_alimeeting_every_stage_tiny(tmp_path):
    """Synthetic Mandarin meetings -> AliMeeting prep -> tiny LLM (speaker tags kept whole)
    -> speaker-attributed SOT-AED -> sa_llm (ASR encoder from the SOT-AED) trained on
    text_spktag -> both decoded -> CER / cpCER with speaker tags."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng / sox not installed")
    dst = copy_recipe("mini_alimeeting", tmp_path / "mtasr1")
    before = snapshot(dst)
    r = subprocess.run(
        ["./run.sh", "--size", "tiny"], cwd=dst, capture_output=True, text=True, timeout=1200
    )
    log = r.stdout + r.stderr
    assert r.returncode == 0, log[-4000:]
    for stage in (1, 3, 4, 6, 10, 11, 12, 13, 14):
        assert f"Stage {stage} done in" in log
    assert log.count("Stage 11 done in") == 2  # sot_aed, then sa_llm
    assert (dst / "exp" / "asr_sot_conformer_tiny" / "valid.acc.ave.pth").is_file()
    exp = dst / "exp" / "asr_sa_llm_tiny"
    config = yaml.safe_load((exp / "config.yaml").read_text())
    assert config["init_param"] == ["exp/asr_sot_conformer_tiny/valid.acc.ave.pth:encoder:encoder"]
    # the size's --asr_args reach both systems (large gives the SOT-AED its own epochs)
    sot_exp = dst / "exp" / "asr_sot_conformer_tiny"
    sot_config = yaml.safe_load((sot_exp / "config.yaml").read_text())
    assert config["max_epoch"] == sot_config["max_epoch"] == 1
    train_log = (exp / "train.log").read_text()
    assert "loss_spk=" in train_log and "masked=" in train_log
    tokens = (dst / "exp" / "llm" / "tokens.txt").read_text().split()
    assert {"<spk1>", "<spk4>", "<sc>"} <= set(tokens)
    for tag in ("sa_llm", "sot_conformer"):
        (decode,) = (dst / "exp" / f"asr_{tag}_tiny").glob("decode_*")
        for name in ("test", "test_session"):  # 30 s windows and whole sessions
            assert (decode / name / "score_cer" / "result.json").is_file()
            assert (decode / name / "score_cer" / "talkers.png").is_file()
    r = subprocess.run(
        ["utils/show_asr_result.sh", "exp"], cwd=dst, capture_output=True, text=True, check=True
    )
    results = r.stdout
    assert "## exp/asr_sa_llm_tiny/decode_" in results and "cpCER" in results
    assert "## exp/asr_sot_conformer_tiny/decode_" in results
    assert "|test_session|" in results  # whole sessions scored too
    assert_clean_after_run(dst, "mini_alimeeting", before)
