"""Tests of utils/run.pl (the local Kaldi-compatible job runner)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Sequence

import pytest

RUN_PL = Path(__file__).resolve().parents[2] / "utils" / "run.pl"


def run_pl(tmp_path: Path, args: Sequence[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(RUN_PL), *args], capture_output=True, text=True, cwd=tmp_path, timeout=30
    )


def log_lines(path: Path) -> list:
    return path.read_text().splitlines()


def test_single_job_log_format(tmp_path: Path):
    proc = run_pl(tmp_path, ["exp/log/a.log", "echo", "hi", ";", "echo", "err", ">&2"])
    assert proc.returncode == 0, proc.stderr
    lines = log_lines(tmp_path / "exp/log/a.log")
    assert lines[0] == "# echo hi ; echo err >&2"
    assert lines[1].startswith("# Started at ")
    assert lines[2:4] == ["hi", "err"]
    assert re.fullmatch(r"# Accounting: time=\d+ threads=1", lines[4]), lines[4]
    assert lines[5].startswith("# Ended (code 0) at ")
    assert len(lines) == 6


def test_array_job_replaces_job_everywhere(tmp_path: Path):
    proc = run_pl(tmp_path, ["JOB=2:4", "log/x.JOB.log", "echo", "job", "JOB", "of", "xJOBx"])
    assert proc.returncode == 0, proc.stderr
    for i in (2, 3, 4):
        lines = log_lines(tmp_path / f"log/x.{i}.log")
        assert lines[0] == f"# echo job {i} of x{i}x"
        assert lines[2] == f"job {i} of x{i}x"
    assert not (tmp_path / "log/x.1.log").exists()
    proc = run_pl(tmp_path, ["TASK=5", "log/y.TASK.log", "echo", "TASK"])
    assert log_lines(tmp_path / "log/y.5.log")[2] == "5"


def test_kaldi_quoting(tmp_path: Path):
    args = ["echo", "a  b", "|", "tr", "a", "x", "&&", "echo", 'say "hi"', "&&", "echo", "$((1+1))"]
    proc = run_pl(tmp_path, ["l.log", *args])
    assert proc.returncode == 0, proc.stderr
    lines = log_lines(tmp_path / "l.log")
    assert lines[0] == '# echo "a  b" | tr a x && echo \'say "hi"\' && echo $((1+1))'
    assert lines[2:5] == ["x  b", 'say "hi"', "2"]


def test_failures_name_the_logs(tmp_path: Path):
    proc = run_pl(
        tmp_path, ["JOB=1:3", "log/x.JOB.log", "echo", "oops", "JOB;", "exit", "$((JOB % 2))"]
    )
    assert proc.returncode == 1
    assert "run.pl: 2 / 3 failed, log is in log/x.*.log (failed: log/x.1.log log/x.3.log)" in (
        proc.stderr
    )
    assert "end of log/x.1.log:" in proc.stderr and "oops 1" in proc.stderr
    assert log_lines(tmp_path / "log/x.3.log")[-1].startswith("# Ended (code 1) at ")
    assert log_lines(tmp_path / "log/x.2.log")[-1].startswith("# Ended (code 0) at ")
    proc = run_pl(tmp_path, ["log/one.log", "false"])
    assert proc.returncode == 1
    assert proc.stderr.startswith("run.pl: job failed, log is in log/one.log")


def test_signal_exit_code(tmp_path: Path):
    proc = run_pl(tmp_path, ["k.log", "kill", "-9", "$$"])
    assert proc.returncode == 1
    assert "# Ended (code 137)" in (tmp_path / "k.log").read_text()


def test_jobs_run_in_parallel(tmp_path: Path):
    # each job waits (up to 5 s) until all three have started: only passes if concurrent
    (tmp_path / "barrier.sh").write_text(
        "touch started.$1\n"
        "for i in $(seq 100); do\n"
        "  [ $(ls started.* | wc -l) -ge 3 ] && exit 0; sleep 0.05\n"
        "done\n"
        "exit 1\n"
    )
    proc = run_pl(
        tmp_path, ["--max-jobs-run", "3", "JOB=1:3", "p.JOB.log", "bash", "barrier.sh", "JOB"]
    )
    assert proc.returncode == 0, proc.stderr


def test_max_jobs_run_one_is_serial(tmp_path: Path):
    cmd = [
        "echo",
        "start",
        "JOB",
        ">>",
        "order;",
        "sleep",
        "0.05;",
        "echo",
        "end",
        "JOB",
        ">>",
        "order",
    ]
    proc = run_pl(tmp_path, ["--max_jobs_run=1", "JOB=1:3", "s.JOB.log", *cmd])
    assert proc.returncode == 0, proc.stderr
    order = (tmp_path / "order").read_text().splitlines()
    assert order == ["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]


def test_one_argument_with_spaces_is_one_word_as_in_kaldi(tmp_path: Path):
    proc = run_pl(tmp_path, ["w.log", "echo a; echo b"])
    assert proc.returncode == 1
    assert "echo a; echo b: command not found" in (tmp_path / "w.log").read_text()


def test_queue_options_are_accepted(tmp_path: Path):
    proc = run_pl(
        tmp_path,
        [
            "--mem",
            "4G",
            "--gpu",
            "0",
            "--num-threads",
            "2",
            "--time",
            "1:00",
            "-V",
            "o.log",
            "true",
        ],
    )
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"# Accounting: time=\d+ threads=2\n", (tmp_path / "o.log").read_text())
    proc = run_pl(tmp_path, ["JOB=1:2", "--num_threads=3", "o.JOB.log", "true"])
    assert "threads=3" in (tmp_path / "o.2.log").read_text()


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "need a log file and a command"),
        (["only.log"], "need a log file and a command"),
        (["JOB=1:2", "same.log", "true"], "would write the same log file same.log"),
        (["JOB=0:2", "x.JOB.log", "true"], "invalid job range JOB=0:2"),
        (["JOB=3:2", "x.JOB.log", "true"], "invalid job range"),
        (["JOB=1:2", "JOB=1:2", "x.JOB.log", "true"], "two job ranges"),
        (["--max-jobs-run", "x", "x.log", "true"], "--max-jobs-run needs a positive integer"),
        (["--num-threads", "0", "x.log", "true"], "--num-threads needs a positive integer"),
    ],
)
def test_usage_errors(tmp_path: Path, args, message):
    proc = run_pl(tmp_path, args)
    assert proc.returncode == 1
    assert message in proc.stderr and "Usage: run.pl" in proc.stderr
    assert not list(tmp_path.iterdir())
