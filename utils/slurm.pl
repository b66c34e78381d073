#!/usr/bin/env python3
"""slurm.pl: run a command, or an array of jobs, as ONE Slurm array job (Kaldi-compatible).

Usage:
  slurm.pl [--config conf/slurm.conf] [options] [JOB=1:N] <log-file> <command> [<arg> ...]

  slurm.pl --mem 8G --num-threads 4 JOB=1:32 exp/log/dump.JOB.log python -m foo --part JOB
  slurm.pl --gpu 1 --time 2-0 exp/log/train.log python -m bar

Same command line, quoting, ``JOB`` replacement, log header/footer and exit status as
``run.pl`` (next to this file; it is loaded from there). Written in Python; the .pl name
is kept so that Kaldi/ESPnet cmd.sh files work unchanged.

How it runs:
1. A bash batch script is written to ``<log dir>/q/<name>.sh`` (``<name>``: the log file
   name without ``JOB`` and extension). It cds to the current directory, sources
   ``./path.sh`` if there is one, runs the job's command (``JOB`` -> $SLURM_ARRAY_TASK_ID)
   into the job's log, and at the end writes the exit code to ``q/<name>.<index>.status``.
2. ``sbatch <config command> <options> --array=S-E[%M] -o q/<name>.%a.out <script>``
   submits all indices at once (``--max-jobs-run M`` gives ``%M``).
3. It waits, polling ``squeue -j <id>``, until every status file exists; when the job has
   left the queue but status files are missing (a task killed by Slurm: time limit, out
   of memory, node failure, scancel) it waits a grace period for the shared file system,
   then asks ``sacct`` for the tasks' states and reports them as failed (unless sacct
   says they are still pending/running, then it keeps waiting).
4. Exit 0 if every status is 0, else 1 with the failed logs (as run.pl). Ctrl-C or
   SIGTERM cancels the job with ``scancel``.

Options become sbatch options through the config file (``--config``, default
``conf/slurm.conf`` if it exists, else the built-in default below), Kaldi's format::

    command sbatch --export=PATH          # the submit command and fixed options
    option mem=* --mem $0                  # --mem X  ->  --mem X
    option gpu=0                           # --gpu 0  ->  nothing
    option gpu=* --gres=gpu:$0             # --gpu N  ->  --gres=gpu:N
    default gpu=0                          # used when the option is not given

An option that the config does not list is an error. Environment: SLURM_PL_POLL_INTERVAL
(longest pause between squeue polls, seconds, default 30) and SLURM_PL_STATUS_GRACE
(seconds to wait for status files after the job left the queue, default 60).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Dict, List, Optional, Sequence, Tuple

DEFAULT_CONFIG = """\
command sbatch --export=PATH
option name=* --job-name $0
option time=* --time $0
option mem=* --mem $0
option mem=0
option num_threads=* --cpus-per-task $0
option num_threads=1 --cpus-per-task 1
option num_nodes=* --nodes $0
default gpu=0
option gpu=0
option gpu=* --gres=gpu:$0
"""

SPECIAL_OPTIONS = ("config", "max_jobs_run")
"""Options slurm.pl handles itself (not looked up in the config)."""

ACTIVE_STATES = (
    "PENDING",
    "RUNNING",
    "REQUEUED",
    "CONFIGURING",
    "COMPLETING",
    "SUSPENDED",
    "RESIZING",
)
"""sacct states of a task that has not finished yet."""


def _load_run_pl() -> ModuleType:
    """Import run.pl (same directory, symlinks resolved) as a module."""
    path = str(Path(__file__).resolve().with_name("run.pl"))
    loader = importlib.machinery.SourceFileLoader("kaldi_run_pl", path)
    spec = importlib.util.spec_from_loader("kaldi_run_pl", loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    loader.exec_module(module)
    return module


run_pl = _load_run_pl()
UsageError = run_pl.UsageError


@dataclass
class SlurmConfig:
    """A Kaldi queue config: the submit command, option templates and defaults."""

    source: str
    command: List[str] = field(default_factory=list)
    templates: Dict[str, List[Tuple[str, str]]] = field(default_factory=dict)
    defaults: Dict[str, str] = field(default_factory=dict)

    def sbatch_options(self, options: Dict[str, str]) -> List[str]:
        """The sbatch arguments of the command-line ``options`` (plus the defaults)."""
        merged = {k: v for k, v in options.items() if k not in SPECIAL_OPTIONS}
        merged.update({k: v for k, v in self.defaults.items() if k not in merged})
        args: List[str] = []
        for name, value in merged.items():
            args.extend(self._expand(name, value))
        return args

    def _expand(self, name: str, value: str) -> List[str]:
        choices = self.templates.get(name, [])
        for pattern, template in choices:
            if pattern == value:
                return template.split()
        for pattern, template in choices:
            if pattern == "*":
                return template.replace("$0", value).split()
        raise UsageError(
            f"option --{name.replace('_', '-')} {value} is not in the config {self.source}; "
            f"add a line like `option {name}=* <sbatch options with $0>`"
        )


def parse_config(text: str, source: str) -> SlurmConfig:
    """Parse Kaldi's ``command`` / ``option name=value args`` / ``default name=value`` lines."""
    config = SlurmConfig(source)
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"\s*#.*", "", raw).strip()
        if not line:
            continue
        m = re.fullmatch(r"(command|option|default)\s+(.*)", line)
        rest = m.group(2) if m else ""
        if m and m.group(1) == "command":
            config.command = rest.split()
            continue
        kv = re.fullmatch(r"(\w+)=(\S+)\s*(.*)", rest)
        if not m or not kv:
            raise UsageError(f"{source}:{lineno}: cannot parse '{raw.strip()}'")
        if m.group(1) == "option":
            config.templates.setdefault(kv.group(1), []).append((kv.group(2), kv.group(3)))
        else:
            config.defaults[kv.group(1)] = kv.group(2)
    if not config.command:
        raise UsageError(f"{source}: no `command sbatch ...` line")
    return config


def load_config(options: Dict[str, str]) -> SlurmConfig:
    """The ``--config`` file, else ``conf/slurm.conf`` if present, else the default."""
    path = options.get("config")
    if path is None and os.path.isfile("conf/slurm.conf"):
        path = "conf/slurm.conf"
    if path is None:
        return parse_config(DEFAULT_CONFIG, "(built-in default)")
    try:
        with open(path, encoding="utf-8") as f:
            return parse_config(f.read(), path)
    except OSError as e:
        raise UsageError(f"cannot read config {path}: {e.strerror}") from None


@dataclass(frozen=True)
class QueueFiles:
    """Where the batch script, Slurm's output and the status files go."""

    qdir: str
    name: str

    @classmethod
    def for_spec(cls, spec) -> QueueFiles:
        """``<log dir>/q`` and the log file name without the job variable and extension."""
        name = os.path.basename(spec.log)
        if spec.var:
            name = re.sub(r"\.?" + re.escape(spec.var), "", name)
        name = re.sub(r"\.[A-Za-z]+$", "", name) or "job"
        return cls(os.path.join(os.path.dirname(spec.log) or ".", "q"), name)

    @property
    def script(self) -> str:
        """The batch script."""
        return os.path.join(self.qdir, f"{self.name}.sh")

    def status(self, index: int) -> str:
        """The exit-status file of task ``index``."""
        return os.path.join(self.qdir, f"{self.name}.{index}.status")

    def slurm_out(self, index: Optional[int] = None) -> str:
        """Slurm's own output of task ``index`` (``%a`` pattern when None)."""
        return os.path.join(self.qdir, f"{self.name}.{'%a' if index is None else index}.out")


def batch_script(spec, files: QueueFiles, threads: int) -> str:
    """The bash script every array task runs."""
    task = "${SLURM_ARRAY_TASK_ID:?not run as a Slurm array task}"
    if spec.var:
        substitute = f"cmd=${{cmd//{spec.var}/$task}}\nlog=${{log//{spec.var}/$task}}\n"
    else:
        substitute = ""
    status = shlex.quote(os.path.join(files.qdir, files.name)) + '."$task".status'
    return (
        "#!/bin/bash\n"
        "# Written by slurm.pl. One Slurm array task runs one job.\n"
        f"cd {shlex.quote(os.getcwd())} || exit 1\n"
        "if [ -f ./path.sh ]; then . ./path.sh; fi\n"
        f"task={task}\n"
        f"cmd={shlex.quote(spec.command)}\n"
        f"log={shlex.quote(spec.log)}\n"
        f"{substitute}"
        'mkdir -p "$(dirname "$log")"\n'
        '{ printf "# %s\\n" "$cmd"; echo "# Running on $(hostname)";'
        ' echo "# Started at $(date)"; } > "$log"\n'
        "start=$(date +%s)\n"
        'bash -c "$cmd" >> "$log" 2>&1\n'
        "ret=$?\n"
        "end=$(date +%s)\n"
        f'echo "# Accounting: time=$((end - start)) threads={threads}" >> "$log"\n'
        'echo "# Ended (code $ret) at $(date)" >> "$log"\n'
        f'echo "$ret" > {status}.tmp && mv -f {status}.tmp {status}\n'
        "exit $ret\n"
    )


def submit(spec, config: SlurmConfig, files: QueueFiles) -> str:
    """Write the script, run sbatch; return the job id."""
    array = f"--array={spec.start}-{spec.end}"
    if "max_jobs_run" in spec.options:
        array += f"%{spec.int_option('max_jobs_run', 1)}"
    cmd = [
        *config.command,
        *config.sbatch_options(spec.options),
        array,
        "-o",
        files.slurm_out(),
        files.script,
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        raise RuntimeError(f"cannot run {cmd[0]}: {e.strerror}") from None
    found = re.search(r"Submitted batch job (\d+)", proc.stdout) or re.match(
        r"\s*(\d+)", proc.stdout
    )
    if proc.returncode != 0 or not found:
        detail = (proc.stderr or proc.stdout).strip().replace("\n", " / ")
        raise RuntimeError(
            f"sbatch failed (exit code {proc.returncode}): {detail}; command: {shlex.join(cmd)}"
        )
    return found.group(1)


def in_queue(job_id: str) -> bool:
    """Whether squeue still lists a task of the job (False if squeue fails)."""
    try:
        proc = subprocess.run(
            ["squeue", "-h", "-j", job_id, "-o", "%i"], capture_output=True, text=True
        )
    except OSError:
        return False
    return proc.returncode == 0 and bool(proc.stdout.strip())


def sacct_states(job_id: str) -> Dict[str, str]:
    """Task index (as a string, or ``"[...]"`` for a pending range) -> sacct state."""
    cmd = ["sacct", "-n", "-P", "-X", "-j", job_id, "-o", "JobID,State,ExitCode"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except OSError:
        return {}
    states = {}
    for line in proc.stdout.splitlines():
        parts = line.strip().split("|")
        m = re.fullmatch(re.escape(job_id) + r"_(\d+|\[.*\])", parts[0]) if parts else None
        if m and len(parts) >= 2:
            states[m.group(1)] = (
                f"{parts[1].split()[0]} exit {parts[2]}" if len(parts) > 2 else parts[1]
            )
    return states


def _is_active(state: str) -> bool:
    return state.split(" ")[0] in ACTIVE_STATES


@dataclass
class Poll:
    """Polling pauses (seconds)."""

    max_interval: float
    grace: float

    @classmethod
    def from_env(cls) -> Poll:
        """From SLURM_PL_POLL_INTERVAL and SLURM_PL_STATUS_GRACE."""
        return cls(
            float(os.environ.get("SLURM_PL_POLL_INTERVAL", "30")),
            float(os.environ.get("SLURM_PL_STATUS_GRACE", "60")),
        )


def wait_for(job_id: str, files: QueueFiles, indices: Sequence[int], poll: Poll) -> Dict[int, str]:
    """Wait until every task has a status file or is known dead; return dead tasks' states."""
    delay = min(1.0, poll.max_interval)
    left_queue_at: Optional[float] = None
    while True:
        missing = [i for i in indices if not os.path.exists(files.status(i))]
        if not missing:
            return {}
        time.sleep(delay)
        delay = min(delay * 1.5, poll.max_interval)
        if in_queue(job_id):
            left_queue_at = None
            continue
        if left_queue_at is None:
            left_queue_at = time.time()
        if time.time() - left_queue_at < poll.grace:
            continue
        missing = [i for i in indices if not os.path.exists(files.status(i))]
        states = sacct_states(job_id)
        if any(_is_active(s) for k, s in states.items() if k.startswith("[") or int(k) in missing):
            left_queue_at = None
            continue
        return {i: states.get(str(i), "state unknown") for i in missing}


def read_status(path: str) -> Optional[int]:
    """The exit code in a status file (None if missing or unreadable)."""
    try:
        with open(path, encoding="utf-8") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def run(spec, config: SlurmConfig) -> int:
    """Submit, wait, check the statuses; return the exit status."""
    threads = spec.int_option("num_threads", 1)
    files = QueueFiles.for_spec(spec)
    os.makedirs(files.qdir, exist_ok=True)
    for index in spec.indices:
        for path in (files.status(index), spec.log_for(index)):
            if os.path.exists(path):
                os.remove(path)
    with open(files.script, "w", encoding="utf-8") as f:
        f.write(batch_script(spec, files, threads))
    os.chmod(files.script, 0o755)
    job_id = submit(spec, config, files)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        dead = wait_for(job_id, files, list(spec.indices), Poll.from_env())
    except KeyboardInterrupt:
        subprocess.run(["scancel", job_id], capture_output=True)
        print(f"{run_pl._prog()}: interrupted; cancelled Slurm job {job_id}", file=sys.stderr)
        return 130
    failed = []
    for index in spec.indices:
        code = read_status(files.status(index))
        if index in dead or code is None:
            state = dead.get(index, "no status file")
            failed.append((index, f" [{state}; Slurm output: {files.slurm_out(index)}]"))
        elif code != 0:
            failed.append((index, ""))
    if failed:
        print(run_pl.failure_report(spec, failed), file=sys.stderr)
        return 1
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse the command line and run; return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    prog = run_pl._prog()
    try:
        spec = run_pl.parse_command_line(argv)
        config = load_config(spec.options)
        config.sbatch_options(spec.options)  # unknown options fail before anything is written
        return run(spec, config)
    except UsageError as e:
        print(f"{prog}: {e}\n{run_pl.USAGE.format(prog=prog)}", file=sys.stderr)
        return 1
    except (RuntimeError, OSError) as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
