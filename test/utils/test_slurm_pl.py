"""Tests of utils/slurm.pl against fake sbatch/squeue/sacct/scancel put first on PATH.

The fake sbatch records its arguments, then runs the array tasks locally in the background
with SLURM_ARRAY_TASK_ID set (so slurm.pl really has to wait, polling squeue), and prints
``Submitted batch job 4242``. squeue lists the job while a ``running`` flag file exists;
sacct prints ``sacct.txt``. FAKE_SKIP_TASK makes a task "die" without running (as when
Slurm kills it), FAKE_SBATCH_FAIL makes sbatch fail.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Dict, Optional, Sequence

import pytest

SLURM_PL = Path(__file__).resolve().parents[2] / "utils" / "slurm.pl"

FAKE_SBATCH = r"""#!/bin/bash
fake=$(dirname "$0")
printf '%s\n' "$@" > "$fake/sbatch.args"
if [ -n "${FAKE_SBATCH_FAIL:-}" ]; then echo "sbatch: error: invalid partition" >&2; exit 1; fi
args=("$@"); script=${args[-1]}; out=""; array=""
for ((i = 0; i < ${#args[@]}; i++)); do
  case ${args[i]} in
    --array=*) array=${args[i]#--array=} ;;
    -o) out=${args[i+1]} ;;
  esac
done
range=${array%%\%*}; start=${range%-*}; end=${range#*-}
touch "$fake/running"
(
  for ((t = start; t <= end; t++)); do
    [ "$t" = "${FAKE_SKIP_TASK:-}" ] && continue
    SLURM_ARRAY_JOB_ID=4242 SLURM_ARRAY_TASK_ID=$t bash "$script" > "${out//%a/$t}" 2>&1 &
  done
  wait
  rm -f "$fake/running"
) > /dev/null 2>&1 &
echo $! > "$fake/bg.pid"
echo "Submitted batch job 4242"
"""

FAKE_SQUEUE = r"""#!/bin/bash
fake=$(dirname "$0")
echo "$*" >> "$fake/squeue.calls"
if [ -f "$fake/running" ]; then echo "4242_1"; fi
exit 0
"""

FAKE_SACCT = r"""#!/bin/bash
fake=$(dirname "$0")
echo "$*" >> "$fake/sacct.calls"
if [ -f "$fake/sacct.txt" ]; then cat "$fake/sacct.txt"; fi
"""

FAKE_SCANCEL = r"""#!/bin/bash
fake=$(dirname "$0")
echo "$*" >> "$fake/scancel.calls"
"""


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    d = tmp_path / "fakebin"
    d.mkdir()
    for name, text in (
        ("sbatch", FAKE_SBATCH),
        ("squeue", FAKE_SQUEUE),
        ("sacct", FAKE_SACCT),
        ("scancel", FAKE_SCANCEL),
    ):
        (d / name).write_text(text)
        (d / name).chmod(0o755)
    return d


def env_for(fake_bin: Path, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{fake_bin}{os.pathsep}{env['PATH']}"
    env["SLURM_PL_POLL_INTERVAL"] = "0.05"
    env["SLURM_PL_STATUS_GRACE"] = "0.2"
    env.update(extra or {})
    return env


def slurm_pl(
    tmp_path: Path, fake_bin: Path, args: Sequence[str], **extra: str
) -> subprocess.CompletedProcess:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return subprocess.run(
        [str(SLURM_PL), *args],
        capture_output=True,
        text=True,
        cwd=work,
        env=env_for(fake_bin, extra),
        timeout=30,
    )


def sbatch_args(fake_bin: Path) -> list:
    return (fake_bin / "sbatch.args").read_text().splitlines()


def test_submit_wait_and_logs(tmp_path: Path, fake_bin: Path):
    args = ["--mem", "2G", "--num-threads", "3", "--gpu", "1", "JOB=1:3", "exp/log/dump.JOB.log"]
    cmd = ["sleep", "0.2;", "echo", "part", "JOB", "of", "3", "|", "tr", "a-z", "A-Z"]
    proc = slurm_pl(tmp_path, fake_bin, [*args, *cmd])
    assert proc.returncode == 0, proc.stderr
    work = tmp_path / "work"
    for i in (1, 2, 3):
        lines = (work / f"exp/log/dump.{i}.log").read_text().splitlines()
        assert lines[0] == f"# sleep 0.2; echo part {i} of 3 | tr a-z A-Z"
        assert lines[1].startswith("# Running on ") and lines[2].startswith("# Started at ")
        assert lines[3] == f"PART {i} OF 3"
        # whole seconds of wall time: 0, or more on a loaded machine
        assert re.fullmatch(r"# Accounting: time=\d+ threads=3", lines[4]), lines[4]
        assert lines[5].startswith("# Ended (code 0) at ")
        assert (work / f"exp/log/q/dump.{i}.status").read_text() == "0\n"
    sb = sbatch_args(fake_bin)
    assert sb[:2] == ["--export=PATH", "--mem"] and "2G" in sb
    assert "--cpus-per-task" in sb and sb[sb.index("--cpus-per-task") + 1] == "3"
    assert "--gres=gpu:1" in sb and "--array=1-3" in sb
    assert sb[-3:] == ["-o", "exp/log/q/dump.%a.out", "exp/log/q/dump.sh"]
    assert (work / "exp/log/q/dump.sh").stat().st_mode & 0o100
    assert (fake_bin / "squeue.calls").read_text().startswith("-h -j 4242")  # it waited


def test_failed_task_is_reported(tmp_path: Path, fake_bin: Path):
    proc = slurm_pl(
        tmp_path,
        fake_bin,
        ["JOB=1:3", "log/x.JOB.log", "echo", "bad", "JOB;", "test", "JOB", "!=", "2"],
    )
    assert proc.returncode == 1
    assert "slurm.pl: 1 / 3 failed, log is in log/x.*.log (failed: log/x.2.log)" in proc.stderr
    assert "bad 2" in proc.stderr  # the end of the failed log
    assert (tmp_path / "work/log/q/x.2.status").read_text() == "1\n"


def test_task_killed_by_slurm_uses_sacct(tmp_path: Path, fake_bin: Path):
    (fake_bin / "sacct.txt").write_text("4242_1|COMPLETED|0:0\n4242_2|TIMEOUT|0:15\n")
    proc = slurm_pl(tmp_path, fake_bin, ["JOB=1:2", "log/t.JOB.log", "true"], FAKE_SKIP_TASK="2")
    assert proc.returncode == 1
    assert "1 / 2 failed" in proc.stderr
    assert "log/t.2.log [TIMEOUT exit 0:15; Slurm output: log/q/t.2.out]" in proc.stderr
    assert "-j 4242" in (fake_bin / "sacct.calls").read_text()


def test_single_job_and_no_sacct_answer(tmp_path: Path, fake_bin: Path):
    proc = slurm_pl(tmp_path, fake_bin, ["exp/train.log", "echo", "one"])
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "work/exp/train.log").read_text().splitlines()[3] == "one"
    assert "--array=1-1" in sbatch_args(fake_bin)
    proc = slurm_pl(tmp_path, fake_bin, ["exp/train.log", "true"], FAKE_SKIP_TASK="1")
    assert proc.returncode == 1
    assert (
        "job failed [state unknown; Slurm output: exp/q/train.1.out], log is in exp/train.log"
        in (proc.stderr)
    )


def test_config_file_and_max_jobs_run(tmp_path: Path, fake_bin: Path):
    conf = tmp_path / "work" / "conf"
    conf.mkdir(parents=True)
    (conf / "slurm.conf").write_text(
        "command sbatch --export=ALL  # comment\n"
        "option gpu=0 -p cpu\n"
        "option gpu=* -p gpu --gres=gpu:$0 -c $0\n"
        "default gpu=0\n"
        "option mem=* --mem-per-cpu $0\n"
        "option num_threads=* --cpus-per-task $0\n"
    )
    proc = slurm_pl(tmp_path, fake_bin, ["--max-jobs-run", "2", "JOB=1:3", "l/a.JOB.log", "true"])
    assert proc.returncode == 0, proc.stderr
    assert sbatch_args(fake_bin)[:3] == ["--export=ALL", "-p", "cpu"]
    assert "--array=1-3%2" in sbatch_args(fake_bin)
    proc = slurm_pl(tmp_path, fake_bin, ["--gpu", "2", "--mem", "1G", "l/b.log", "true"])
    assert proc.returncode == 0, proc.stderr
    assert sbatch_args(fake_bin)[:7] == [
        "--export=ALL",
        "-p",
        "gpu",
        "--gres=gpu:2",
        "-c",
        "2",
        "--mem-per-cpu",
    ]
    other = tmp_path / "other.conf"
    other.write_text("command sbatch\noption time=* -t $0\n")
    proc = slurm_pl(tmp_path, fake_bin, ["--config", str(other), "--time", "5", "l/c.log", "true"])
    assert proc.returncode == 0, proc.stderr
    assert sbatch_args(fake_bin)[:2] == ["-t", "5"]


def test_unknown_option_fails_before_submitting(tmp_path: Path, fake_bin: Path):
    proc = slurm_pl(tmp_path, fake_bin, ["--colour", "red", "l/x.log", "true"])
    assert proc.returncode == 1
    assert "option --colour red is not in the config (built-in default)" in proc.stderr
    assert not (fake_bin / "sbatch.args").exists()
    assert not (tmp_path / "work" / "l").exists()


def test_sbatch_failure(tmp_path: Path, fake_bin: Path):
    proc = slurm_pl(tmp_path, fake_bin, ["l/x.log", "true"], FAKE_SBATCH_FAIL="1")
    assert proc.returncode == 1
    assert "sbatch failed (exit code 1): sbatch: error: invalid partition" in proc.stderr


def test_sigterm_cancels_the_job(tmp_path: Path, fake_bin: Path):
    work = tmp_path / "work"
    work.mkdir()
    p = subprocess.Popen(
        [str(SLURM_PL), "l/s.log", "sleep", "2"],
        cwd=work,
        env=env_for(fake_bin),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 10
        while not (fake_bin / "bg.pid").exists() and time.time() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=10)
    finally:
        p.kill()
        if (fake_bin / "bg.pid").exists():
            os.kill(int((fake_bin / "bg.pid").read_text()), signal.SIGTERM)
    assert p.returncode == 130
    assert "cancelled Slurm job 4242" in err
    assert (fake_bin / "scancel.calls").read_text() == "4242\n"
