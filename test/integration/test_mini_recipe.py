"""Runs the mini LibriMix recipe end to end at its smallest size (``--size tiny``).

Every stage runs for real: espeak-ng synthesis, mixing, LibriMix prep, dump, token list,
collect stats, ESPnet training, beam-search decoding, meeteval scoring, packing. Then a
single wav is decoded from the packed model alone, and stage 11 is re-run with one more
epoch to check that training resumes from its checkpoint.

Stage 13 writes its scores under exp/ only (result.json, talkers.png) and the end of the
log shows them; the copy's tracked files (RESULTS.md included) stay as they were and
everything written is covered by .gitignore. RESULTS.md is generated from the result.json
files by ``utils/show_asr_result.sh exp``.

The same recipe copy then runs the SOP-MT-ASR system (``--system sop_llm``) from stage 5:
the tiny LLM of stage 6, and the three chained sub-stages of stage 11 (A: LLM-SOT, B:
separator + serialized CTC, C: new LoRA with the draft in the prompt), decoding and
scoring of C and of A alone, and the re-run of a single sub-stage.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import torch
from recipe_copy import assert_clean_after_run, copy_recipe, snapshot

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def _make_recipe_copy(dst: Path) -> Path:
    return copy_recipe("mini_librimix", dst)


def _run(cmd, cwd: Path) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=1500)
    assert r.returncode == 0, f"{cmd} failed:\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    return r


def _show_results(recipe: Path) -> str:
    """What ``utils/show_asr_result.sh exp > RESULTS.md`` would write."""
    return _run(["utils/show_asr_result.sh", "exp"], recipe).stdout


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """The recipe copy after ``./run.sh --size tiny`` (SOT-AED), its log, and the
    snapshot of its own files before the run."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    tmp_path = tmp_path_factory.mktemp("recipe")
    recipe = _make_recipe_copy(tmp_path / "mtasr1")
    before = snapshot(recipe)
    assert "RESULTS.md" in before  # the tracked one is in the copy
    r = _run(["./run.sh", "--size", "tiny"], recipe)
    return recipe, r.stdout + r.stderr, before


def test_mini_recipe_all_stages_tiny(tiny_run, tmp_path):
    recipe, log, before = tiny_run
    for stage in (1, 3, 4, 5, 10, 11, 12, 13, 14):
        assert f"Stage {stage} done in" in log, f"stage {stage} did not report its time"
    assert "Successfully finished" in log

    exp = recipe / "exp" / "asr_sot_conformer_tiny"
    decode = next(exp.glob("decode_*/test"))
    hyp = (decode / "text").read_text().splitlines()
    ref = (recipe / "dump" / "raw" / "test" / "text").read_text().splitlines()
    assert [h.split()[0] for h in hyp] == [x.split()[0] for x in ref]

    # Stage 13 wrote under exp/ only: result.json and the figure; the tracked RESULTS.md
    # and every other file of the recipe are as they were (checked at the end)
    score = decode / "score_wer"
    result = json.loads((score / "result.json").read_text())
    assert [g["talkers"] for g in result["by_talkers"]] == [1, 2, 3]
    assert result["command"].startswith("./mtasr.sh ") and result["environment"]["espnet"]
    assert (score / "talkers.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    # the end of the log: the table per talker count and where the plots are
    tail = log[log.index("Results of exp/asr_sot_conformer_tiny/decode_") :]
    assert "talkers  #utts  SOT WER  cpWER  count acc" in tail
    assert f"plot: {score.relative_to(recipe)}/talkers.png" in tail
    assert "Training curves (ESPnet): exp/asr_sot_conformer_tiny/images/*.png" in tail
    assert list((exp / "images").glob("*.png"))
    assert "utils/show_asr_result.sh exp > RESULTS.md" in tail
    # RESULTS.md generated from the result.json files (and the experiment's own copy)
    results = _show_results(recipe)
    assert "## exp/asr_sot_conformer_tiny/decode_" in results and "cpWER" in results
    for talkers in ("|test|1|", "|test|2|", "|test|3|", "|test|all|"):
        assert talkers in results
    assert "## asr_sot_conformer_tiny/decode_" not in results
    assert "|test|all|" in (exp / "RESULTS.md").read_text()

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
    assert_clean_after_run(recipe, "mini_librimix", before)


def test_sop_llm_three_sub_stages_tiny(tiny_run):
    recipe, _, before = tiny_run
    r = _run(["./run.sh", "--size", "tiny", "--system", "sop_llm", "--stage", "5"], recipe)
    log = r.stdout + r.stderr
    for stage in (6, 10, 11, 12, 13):
        assert f"Stage {stage} done in" in log, f"stage {stage} did not report its time"
    exp = recipe / "exp" / "asr_sop_llm_tiny"
    for sub in ("a_sot", "b_sep", "c_sop"):
        assert f"Stage 11 (sub-stage {sub})" in log
        assert "The training was finished" in (exp / sub / "train.log").read_text()
    # B starts from A, C from B (ESPnet's --init_param); the first from the SOT-AED encoder
    assert (
        "--init_param exp/asr_sot_conformer_tiny/valid.acc.ave.pth:encoder:encoder"
        in (exp / "a_sot" / "train.log").read_text()
    )
    assert (
        "--init_param exp/asr_sop_llm_tiny/a_sot/valid.loss.ave.pth"
        in (exp / "b_sep" / "train.log").read_text()
    )
    assert (
        "--init_param exp/asr_sop_llm_tiny/b_sep/valid.loss.ave.pth"
        in (exp / "c_sop" / "train.log").read_text()
    )
    decode = next((exp / "c_sop").glob("decode_*/test"))
    assert (decode / "sop_text").is_file() and (decode / "text").is_file()
    draft = json.loads((decode / "score_wer_sop" / "result.json").read_text())
    assert draft["label"] == "SOP draft" and len(draft["per_stream"]) == 3
    results = _show_results(recipe)
    assert "## exp/asr_sop_llm_tiny/c_sop/decode_" in results
    assert (
        "|test (SOP draft)|all|" in results and "- stream-ordered WER, test (SOP draft)" in results
    )

    # Sub-stage A alone is the LLM-SOT system: decode and score it
    _run(
        ["./run.sh", "--size", "tiny", "--system", "sop_llm", "--stage", "12"]
        + ["--asr_sub_stage", "a_sot"],
        recipe,
    )
    assert "## exp/asr_sop_llm_tiny/a_sot/decode_" in _show_results(recipe)
    assert not list((exp / "a_sot").glob("decode_*/test/sop_text"))

    # One sub-stage re-runs alone (resuming: already finished); a wrong name is refused
    r = _run(
        ["./run.sh", "--size", "tiny", "--system", "sop_llm", "--stage", "11"]
        + ["--stop_stage", "11", "--asr_sub_stage", "b_sep"],
        recipe,
    )
    assert "sub-stage b_sep" in r.stdout + r.stderr and "sub-stage c_sop" not in r.stdout
    bad = subprocess.run(
        ["./run.sh", "--size", "tiny", "--system", "sop_llm", "--asr_sub_stage", "x"],
        cwd=recipe,
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0
    assert "--asr_sub_stage 'x' is not one of --asr_sub_stages: a_sot b_sep c_sop" in (
        bad.stdout + bad.stderr
    )
    assert_clean_after_run(recipe, "mini_librimix", before)


def test_encoder_only_tiny(tiny_run):
    """Encoder-only MT-ASR from the sop_llm system (after the test above): encoder and
    teacher from sub-stage A, branches from B's separator; trained with the frozen LLM-SOT
    teacher, decoded CTC-only without it."""
    recipe, _, before = tiny_run
    start = recipe / "exp" / "asr_sop_llm_tiny" / "a_sot" / "valid.acc.ave.pth"
    assert start.exists(), "test_sop_llm_three_sub_stages_tiny must run first"
    r = _run(["./run.sh", "--size", "tiny", "--system", "encoder_only", "--stage", "10"], recipe)
    log = r.stdout + r.stderr
    for stage in (10, 11, 12, 13):
        assert f"Stage {stage} done in" in log, f"stage {stage} did not report its time"
    exp = recipe / "exp" / "asr_encoder_only_tiny"
    train_log = (exp / "train.log").read_text()
    b_sep = "exp/asr_sop_llm_tiny/b_sep/valid.loss.ave.pth"
    assert (
        "--init_param exp/asr_sop_llm_tiny/a_sot/valid.acc.ave.pth::"
        f" {b_sep}:separator:separator_branches.0 {b_sep}:serialized_ctc:ctc_branches.0"
    ) in train_log
    assert f"{b_sep}:serialized_ctc:ctc_branches.2 " in train_log
    assert "--ignore_init_mismatch true" in train_log
    assert "loss_llm=" in train_log and "count_acc=" in train_log  # the teacher trained it
    decode = next(exp.glob("decode_*/test"))
    counts = (decode / "talker_count").read_text().splitlines()
    assert len(counts) == len((recipe / "dump/raw/test/text").read_text().splitlines())
    assert all(1 <= int(ln.split()[1]) <= 3 for ln in counts)
    assert (decode / "text_spk1").is_file()
    results = _show_results(recipe)
    assert "## exp/asr_encoder_only_tiny/decode_" in results
    assert "predicted by the talker-count head" in results
    assert (decode / "score_wer" / "talkers.png").is_file()
    # stage 14: the packed model holds neither the teacher's weights nor the LLM's
    assert "Stage 14 done in" in log
    (packed,) = exp.glob("*.zip")
    names = zipfile.ZipFile(packed).namelist()
    assert not [n for n in names if n.endswith(".safetensors")]
    model = f"{exp.relative_to(recipe)}/inference/valid.loss_ctc.ave.pth"
    with zipfile.ZipFile(packed).open(model) as f:
        state = torch.load(io.BytesIO(f.read()), map_location="cpu")
    assert state and not [k for k in state if k.startswith("decoder.")]
    assert_clean_after_run(recipe, "mini_librimix", before)


# --- SIGKILL mid-epoch / mid-decode, then re-run the stage (issue 14)

RESUME_ARGS = "--max_epoch 3 --batch_bins 60000 --log_interval 1 --seed 7"


def _pids(*needles: str) -> list:
    """Processes whose command line holds every one of ``needles``."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if all(n in cmd for n in needles):
            out.append(int(d.name))
    return out


def _kill_when(cmd, cwd: Path, ready, needles, timeout: float = 900) -> subprocess.Popen:
    """Start ``cmd``; once ``ready()`` holds, SIGKILL the processes matching ``needles``
    (the training or decoding workers, not the shell around them); wait for ``cmd``."""
    import os
    import signal
    import time

    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    start, killed = time.time(), []
    while time.time() - start < timeout and proc.poll() is None:
        if ready():
            killed = _pids(*needles)
            for pid in killed:
                os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    out = proc.communicate(timeout=timeout)[0].decode(errors="replace")
    assert killed, f"never killed (ready() did not hold while {cmd} ran):\n{out[-3000:]}"
    assert proc.returncode != 0, f"{cmd} ended well although its worker was killed"
    return proc


def _valid_losses(exp: Path) -> dict:
    """Epoch -> validation loss, from ESPnet's reporter state in ``checkpoint.pth``."""
    state = torch.load(exp / "checkpoint.pth", map_location="cpu", weights_only=False)
    stats = state["reporter"]["stats"]
    return {e: s["valid"]["loss"] for e, s in stats.items() if "valid" in s}


def _in_epoch(log: Path, epoch: int, batch: int):
    """``ready()``: ESPnet's train.log reports batch ``batch`` of epoch ``epoch``."""
    mark = f"{epoch}epoch:train:{batch}-{batch}batch"

    def ready() -> bool:
        return log.is_file() and mark in log.read_text(errors="replace")

    return ready


def _resume_case(recipe: Path, system: list, tag: str, exp_of) -> dict:
    """Train uninterrupted, and killed in epoch 2 then re-run: both final valid losses."""
    base = ["./run.sh", "--size", "tiny", *system, "--stage", "11", "--stop_stage", "11"]
    base += ["--asr_args", RESUME_ARGS]
    _run(base + ["--asr_tag", f"{tag}_ref"], recipe)
    killed = exp_of(f"{tag}_kill")
    _kill_when(
        base + ["--asr_tag", f"{tag}_kill"],
        recipe,
        _in_epoch(killed / "train.log", 2, 3),
        ["espnet_mtasr.bin.mtasr_train", f"asr_{tag}_kill"],
    )
    assert (killed / "1epoch.pth").exists() and not (killed / "2epoch.pth").exists()
    _run(base + ["--asr_tag", f"{tag}_kill"], recipe)  # the same stage 11, re-run
    log = (killed / "train.log").read_text()
    assert "2/3epoch started" in log and "1/3epoch started" not in log  # resumed
    ref, got = _valid_losses(exp_of(f"{tag}_ref")), _valid_losses(killed)
    assert sorted(ref) == sorted(got) == [1, 2, 3]
    result = {"uninterrupted": ref[3], "killed_and_resumed": got[3]}
    result["relative_difference"] = abs(got[3] - ref[3]) / abs(ref[3])
    print(f"resume-equivalence {tag}: {result}")
    assert result["relative_difference"] < 0.01, result
    return result


def test_sigkill_mid_epoch_resumes_sot_aed(tiny_run):
    recipe, _, before = tiny_run
    _resume_case(recipe, [], "resume_sot", lambda tag: recipe / "exp" / f"asr_{tag}")
    assert_clean_after_run(recipe, "mini_librimix", before)


def test_sigkill_mid_epoch_resumes_llm_sot(tiny_run):
    """The LLM family (sop_llm's sub-stage A, LLM-SOT: frozen LLM + LoRA + projector)."""
    recipe, _, before = tiny_run
    assert (recipe / "exp" / "asr_sop_llm_tiny").exists(), "the sop_llm test must run first"
    system = ["--system", "sop_llm", "--asr_sub_stage", "a_sot"]
    _resume_case(recipe, system, "resume_llm", lambda tag: recipe / "exp" / f"asr_{tag}" / "a_sot")
    assert_clean_after_run(recipe, "mini_librimix", before)


def test_sigkill_mid_decode_rerun_equals_uninterrupted(tiny_run):
    recipe, _, before = tiny_run
    stage12 = ["./run.sh", "--size", "tiny", "--stage", "12", "--stop_stage", "12"]
    stage12 += ["--inference_nj", "2"]
    exp = recipe / "exp" / "asr_sot_conformer_tiny"
    _run(stage12, recipe)
    (decode,) = [d.parent for d in exp.glob("decode_*/test/text")]
    want = {f: (decode / f).read_bytes() for f in ("text", "token", "score")}
    shutil.rmtree(decode)  # so that a re-run that did nothing cannot pass
    logdir = decode / "logdir"
    _kill_when(
        stage12,
        recipe,
        lambda: (logdir / "asr_inference.1.log").is_file() and _pids("mtasr_inference"),
        ["espnet_mtasr.bin.mtasr_inference", str(exp.name)],
    )
    assert not (decode / "text").exists()
    _run(stage12, recipe)
    assert {f: (decode / f).read_bytes() for f in want} == want
    assert_clean_after_run(recipe, "mini_librimix", before)
