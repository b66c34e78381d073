"""Tests of utils/parse_options.sh, run from small bash scripts."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Sequence

import pytest

PARSE_OPTIONS = Path(__file__).resolve().parents[2] / "utils" / "parse_options.sh"

SCRIPT = """\
set -euo pipefail
stage=1
stop_stage=100
use_gpu=false
asr_args=""
cmd=run.pl
help_message="Usage: demo.sh [options] <dir>
  --stage N   first stage"
. {parse_options}
printf 'stage=%s\\n' "$stage"
printf 'stop_stage=%s\\n' "$stop_stage"
printf 'use_gpu=%s\\n' "$use_gpu"
printf 'asr_args=%s\\n' "$asr_args"
printf 'cmd=%s\\n' "$cmd"
printf 'nargs=%s\\n' "$#"
for a in "$@"; do printf 'arg=%s\\n' "$a"; done
set | grep -c '^_po_' || true
"""


def run(tmp_path: Path, args: Sequence[str], script: str = SCRIPT) -> subprocess.CompletedProcess:
    path = tmp_path / "demo.sh"
    path.write_text(script.format(parse_options=PARSE_OPTIONS))
    return subprocess.run(
        ["bash", str(path), *args], capture_output=True, text=True, cwd=tmp_path, timeout=10
    )


def values(proc: subprocess.CompletedProcess) -> dict:
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    out = dict(ln.split("=", 1) for ln in lines[:-1] if not ln.startswith("arg="))
    out["args"] = [ln[4:] for ln in lines if ln.startswith("arg=")]
    out["leaked"] = lines[-1]
    return out


def test_defaults_and_positional_args(tmp_path: Path):
    v = values(run(tmp_path, ["data/train", "exp"]))
    assert v["stage"] == "1" and v["use_gpu"] == "false"
    assert v["args"] == ["data/train", "exp"] and v["nargs"] == "2"
    assert v["leaked"] == "0"  # no _po_* helper variable left behind


@pytest.mark.parametrize(
    "args",
    [
        ["--stop-stage", "3"],
        ["--stop_stage", "3"],
        ["--stop-stage=3"],
        ["--stop_stage=3"],
    ],
)
def test_option_spellings(tmp_path: Path, args):
    assert values(run(tmp_path, [*args, "pos"]))["stop_stage"] == "3"


def test_values_are_taken_verbatim(tmp_path: Path):
    tricky = "--batch_size 10 \"q\" 'x' $HOME `id` $(id) ; exit 3"
    v = values(run(tmp_path, ["--asr_args", tricky, "--cmd", "slurm.pl --mem 4G", "a b"]))
    assert v["asr_args"] == tricky
    assert v["cmd"] == "slurm.pl --mem 4G"
    assert v["args"] == ["a b"]


def test_value_may_start_with_dashes_and_contain_equals(tmp_path: Path):
    v = values(run(tmp_path, ["--asr_args", "--foo bar", "--stage=a=b"]))
    assert v["asr_args"] == "--foo bar" and v["stage"] == "a=b"


def test_booleans(tmp_path: Path):
    assert values(run(tmp_path, ["--use-gpu", "true"]))["use_gpu"] == "true"
    assert values(run(tmp_path, ["--use_gpu=false"]))["use_gpu"] == "false"
    proc = run(tmp_path, ["--use_gpu", "yes"])
    assert proc.returncode == 1
    assert "parse_options.sh: option --use_gpu expects true or false" in proc.stderr
    assert "yes" not in proc.stderr


def test_unknown_option(tmp_path: Path):
    proc = run(tmp_path, ["--stage", "2", "--secret_token=hunter2", "x"])
    assert proc.returncode == 1
    assert "parse_options.sh: invalid option --secret_token" in proc.stderr
    assert "hunter2" not in proc.stderr and proc.stdout == ""


@pytest.mark.parametrize("bad", ["--no-such", "--a.b", "--_po_args", "--"])
def test_invalid_names(tmp_path: Path, bad: str):
    proc = run(tmp_path, [bad, "1"])
    if bad == "--":
        assert values(proc)["args"] == ["1"]
    else:
        assert proc.returncode == 1 and "invalid option" in proc.stderr


def test_missing_value(tmp_path: Path):
    proc = run(tmp_path, ["--stage"])
    assert proc.returncode == 1 and "option --stage needs a value" in proc.stderr


def test_empty_cmd_is_an_error(tmp_path: Path):
    proc = run(tmp_path, ["--cmd", ""])
    assert proc.returncode == 1 and "empty value of --cmd" in proc.stderr


def test_help(tmp_path: Path):
    for flag in ("--help", "-h"):
        proc = run(tmp_path, ["--stage", "3", flag, "x"])
        assert proc.returncode == 0
        assert proc.stdout == "Usage: demo.sh [options] <dir>\n  --stage N   first stage\n"


def test_options_stop_at_first_positional(tmp_path: Path):
    v = values(run(tmp_path, ["--stage", "2", "dir", "--stage", "5"]))
    assert v["stage"] == "2" and v["args"] == ["dir", "--stage", "5"]


def test_config_file_has_lower_priority(tmp_path: Path):
    (tmp_path / "opts.conf").write_text("# comment\nstage=7\nstop_stage=8\nuse_gpu=true\n")
    v = values(run(tmp_path, ["--stage", "2", "--config", "opts.conf", "d"]))
    assert (v["stage"], v["stop_stage"], v["use_gpu"]) == ("2", "8", "true")
    v = values(run(tmp_path, ["--config=opts.conf"]))
    assert v["stage"] == "7"
    proc = run(tmp_path, ["--config", "missing.conf"])
    assert proc.returncode == 1 and "cannot read config file 'missing.conf'" in proc.stderr


def test_works_without_set_u_and_with_no_args(tmp_path: Path):
    script = 'stage=1\n. {parse_options}\necho "stage=$stage n=$#"\n'
    proc = run(tmp_path, [], script=script)
    assert proc.returncode == 0 and proc.stdout == "stage=1 n=0\n"


PASSTHROUGH = SCRIPT.replace("cmd=run.pl\n", "cmd=run.pl\nparse_options_passthrough=true\n")


def test_passthrough_leaves_unknown_options_in_order(tmp_path: Path):
    r = run(
        tmp_path,
        ["--stage", "3", "--nj", "4", "--asr-args=--max_epoch 2", "--x=1", "--use_gpu", "true",
         "--", "pos"],
    )  # fmt: skip
    assert r.returncode != 0 and "invalid option --nj" in r.stderr  # not without the switch
    r = run(
        tmp_path,
        ["--stage", "3", "--nj", "4", "--asr-args=--max_epoch 2", "--x=1", "--use_gpu", "true",
         "--", "pos"],
        PASSTHROUGH,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert "stage=3" in out and "use_gpu=true" in out and "asr_args=--max_epoch 2" in out
    assert [ln for ln in out if ln.startswith("arg=")] == [
        "arg=--nj",
        "arg=4",
        "arg=--x=1",
        "arg=pos",
    ]
    assert out[-1] == "0"  # no _po_ variable left
