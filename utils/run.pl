#!/usr/bin/env python3
"""run.pl: run a command, or an array of jobs, on this machine (Kaldi-compatible).

Usage:
  run.pl [options] [JOB=1:N] <log-file> <command> [<arg> ...]

  run.pl JOB=1:4 exp/log/dump.JOB.log python -m foo --part JOB --nparts 4
  run.pl exp/log/train.log python -m bar --config conf/train.yaml

Written in Python (the .pl name is kept so that Kaldi/ESPnet cmd.sh files work unchanged).

- ``JOB=1:N`` (any variable name; ``JOB=3`` for a single index) runs N jobs; the variable
  is replaced by the job index everywhere in the log path and in the command (Kaldi's
  plain substring replacement). An array job needs the variable in the log path.
- The arguments are joined into one command line as Kaldi does: an argument without
  whitespace is used as it is (so ``\\|`` and ``\\>`` become shell pipes/redirections), one
  with whitespace is wrapped in double quotes, or single quotes if it contains ``"``.
  The line is run by ``bash -c``.
- Each job writes its stdout and stderr to its log file, between a header
  ``# <command>`` / ``# Started at <date>`` and a footer
  ``# Accounting: time=<seconds> threads=<n>`` / ``# Ended (code <exit code>) at <date>``.
- Jobs run in parallel: at most ``--max-jobs-run`` at a time; by default as many as
  this machine has CPUs (Kaldi's default; with ``--gpu N``, N > 0, the number of GPUs
  ``nvidia-smi -L`` lists).
- Exit status 0 if every job succeeded, else 1 with ``run.pl: <k> / <n> failed, log is
  in ...`` on stderr (naming the failed logs and showing the end of the first one).

Options (``--name value``, ``--name=value``; ``-`` and ``_`` are the same): ``--max-jobs-run
N``; ``--num-threads N`` (only recorded in the footer); every other option (``--mem``,
``--gpu``, ``--time``, ``--config`` ...) is accepted and ignored, as the queue runners
need them. Exit code 1 on bad usage.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

USAGE = "Usage: {prog} [options] [JOB=1:N] <log-file> <command> [<arg> ...]"
TAIL_LINES = 8


class UsageError(Exception):
    """Bad command line (printed with the usage line; exit code 1)."""


@dataclass
class JobSpec:
    """A parsed command line.

    Args:
        options: ``--name value`` options, names with ``_`` (``num_threads``).
        var: the job-index variable (``JOB``), or None for a plain single job.
        start: first index.
        end: last index.
        log: log path, possibly containing ``var``.
        command: the command line (Kaldi quoting), possibly containing ``var``.
    """

    options: Dict[str, str] = field(default_factory=dict)
    var: Optional[str] = None
    start: int = 1
    end: int = 1
    log: str = ""
    command: str = ""

    @property
    def indices(self) -> range:
        """The job indices."""
        return range(self.start, self.end + 1)

    def log_for(self, index: int) -> str:
        """The log path of job ``index``."""
        return self.log.replace(self.var, str(index)) if self.var else self.log

    def command_for(self, index: int) -> str:
        """The command line of job ``index``."""
        return self.command.replace(self.var, str(index)) if self.var else self.command

    def int_option(self, name: str, default: int) -> int:
        """A positive integer option (``UsageError`` if it is not one)."""
        value = self.options.get(name)
        if value is None:
            return default
        if not value.isdigit() or int(value) < 1:
            raise UsageError(f"--{name.replace('_', '-')} needs a positive integer, got '{value}'")
        return int(value)


def kaldi_quote(args: Sequence[str]) -> str:
    """Join arguments into one command line exactly as Kaldi's run.pl does."""
    words = []
    for arg in args:
        if re.fullmatch(r"\S+", arg):
            words.append(arg)
        elif '"' in arg:
            words.append(f"'{arg}'")
        else:
            words.append(f'"{arg}"')
    return " ".join(words)


def parse_command_line(argv: Sequence[str]) -> JobSpec:
    """Parse ``[options] [JOB=1:N] <log> <command...>`` (options and JOB= may interleave)."""
    spec = JobSpec()
    i = 0
    for _ in range(3):  # as Kaldi: options before and after JOB=1:N
        while len(argv) - i >= 2 and argv[i].startswith("-"):
            if argv[i] == "-V":  # qsub flag without value
                i += 1
                continue
            if argv[i].startswith("--") and "=" in argv[i]:
                name, value = argv[i][2:].split("=", 1)
                i += 1
            else:
                name, value = argv[i].lstrip("-"), argv[i + 1]
                i += 2
            spec.options[name.replace("-", "_")] = value
        if i < len(argv) and _parse_range(argv[i], spec):
            i += 1
    if len(argv) - i < 2:
        raise UsageError("need a log file and a command")
    spec.log, spec.command = argv[i], kaldi_quote(argv[i + 1 :])
    if spec.var and spec.end > spec.start and spec.var not in spec.log:
        raise UsageError(
            f"{spec.end - spec.start + 1} jobs would write the same log file {spec.log}; "
            f"put {spec.var} in its name"
        )
    return spec


def _parse_range(arg: str, spec: JobSpec) -> bool:
    m = re.fullmatch(r"([A-Za-z_]\w*)=(\d+)(?::(\d+))?", arg)
    if not m:
        if re.fullmatch(r".+=.*:.*", arg):
            print(f"{_prog()}: warning: suspicious argument '{arg}'", file=sys.stderr)
        return False
    if spec.var is not None:
        raise UsageError(f"two job ranges ({spec.var}=... and {arg})")
    spec.var, spec.start = m.group(1), int(m.group(2))
    spec.end = int(m.group(3)) if m.group(3) else spec.start
    if spec.start < 1 or spec.start > spec.end:
        raise UsageError(f"invalid job range {arg} (need 1 <= start <= end)")
    return True


def default_max_jobs(spec: JobSpec) -> int:
    """Kaldi's default parallelism: the number of GPUs with --gpu > 0, else of CPUs."""
    if spec.options.get("gpu", "0") not in ("0", ""):
        try:
            out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True).stdout
            n_gpus = sum(1 for line in out.splitlines() if line.startswith("GPU"))
        except OSError:
            n_gpus = 0
        if n_gpus == 0:
            print(
                f"{_prog()}: warning: no GPU found by nvidia-smi; one job at a time",
                file=sys.stderr,
            )
        return max(n_gpus, 1)
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def date() -> str:
    """The time like ``date`` prints it."""
    return time.strftime("%a %b %d %H:%M:%S %Z %Y")


def run_job(spec: JobSpec, index: int, threads: int) -> int:
    """Run job ``index`` with its output in its log; return its exit code."""
    log, command = spec.log_for(index), spec.command_for(index)
    os.makedirs(os.path.dirname(log) or ".", exist_ok=True)
    start = time.time()
    with open(log, "w", encoding="utf-8") as f:
        f.write(f"# {command}\n# Started at {date()}\n")
        f.flush()
        try:
            code = subprocess.call(["bash", "-c", command], stdout=f, stderr=subprocess.STDOUT)
        except OSError as e:
            f.write(f"{_prog()}: cannot run bash: {e}\n")
            code = 127
        if code < 0:  # killed by a signal: report it as the shell would
            code = 128 - code
        f.write(f"# Accounting: time={int(time.time() - start)} threads={threads}\n")
        f.write(f"# Ended (code {code}) at {date()}\n")
    return code


def failure_report(spec: JobSpec, failed: Sequence[Tuple[int, str]]) -> str:
    """What to print when jobs failed: which logs to read, and the end of the first one.

    Args:
        spec: the jobs.
        failed: ``(index, note)`` of each failed job (note: extra words, may be empty).
    """
    n = len(spec.indices)
    first_log = spec.log_for(failed[0][0])
    if n == 1:
        lines = [f"{_prog()}: job failed{failed[0][1]}, log is in {first_log}"]
    else:
        pattern = spec.log.replace(spec.var, "*") if spec.var else spec.log
        listed = " ".join(f"{spec.log_for(i)}{note}" for i, note in failed[:5])
        more = " ..." if len(failed) > 5 else ""
        lines = [
            f"{_prog()}: {len(failed)} / {n} failed, log is in {pattern} (failed: {listed}{more})"
        ]
    tail = _tail(first_log)
    if tail:
        lines.append(f"{_prog()}: end of {first_log}:")
        lines.extend(f"  {line}" for line in tail)
    return "\n".join(lines)


def _tail(path: str) -> List[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = [line.rstrip("\n") for line in f]
    except OSError:
        return []
    body = [line for line in lines if not line.startswith(("# Accounting:", "# Ended (code"))]
    return body[-TAIL_LINES:]


def _prog() -> str:
    return os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "run.pl"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the jobs; return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        spec = parse_command_line(argv)
        threads = spec.int_option("num_threads", 1)
        n_jobs = len(spec.indices)
        if "max_jobs_run" in spec.options:
            max_jobs = spec.int_option("max_jobs_run", 1)
        else:
            max_jobs = default_max_jobs(spec) if n_jobs > 1 else 1
    except UsageError as e:
        print(f"{_prog()}: {e}\n{USAGE.format(prog=_prog())}", file=sys.stderr)
        return 1
    if shutil.which("bash") is None:
        print(f"{_prog()}: bash not found", file=sys.stderr)
        return 1
    indices = list(spec.indices)
    with ThreadPoolExecutor(max_workers=min(max_jobs, len(indices))) as pool:
        codes = list(pool.map(lambda i: run_job(spec, i, threads), indices))
    failed = [(i, "") for i, code in zip(indices, codes) if code != 0]
    if failed:
        print(failure_report(spec, failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
