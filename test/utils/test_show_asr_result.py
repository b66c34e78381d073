"""utils/show_asr_result.sh: the shell entry of the RESULTS.md generator (show_results)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from espnet_mtasr.metrics import score_corpus

SCRIPT = Path(__file__).resolve().parents[2] / "utils" / "show_asr_result.sh"


def run(args, cwd):
    # the interpreter running the tests is the one the script finds as python3
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run(
        [str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_prints_the_same_as_the_python_main(tmp_path):
    summary = {"set": "test", **score_corpus({"u": "a <sc> b"}, {"u": "a <sc> b"}).to_dict()}
    path = tmp_path / "exp" / "asr" / "decode_x" / "test" / "score_wer" / "result.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(summary))
    r = run(["exp"], tmp_path)
    assert r.returncode == 0, r.stderr
    main = subprocess.run(
        [sys.executable, "-m", "espnet_mtasr.bin.show_results", "exp"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert r.stdout == main.stdout and "## exp/asr/decode_x\n" in r.stdout
    assert "|test|all|1|2|0.0|0.0|100.0|" in r.stdout


def test_usage_without_arguments(tmp_path):
    r = run([], tmp_path)
    assert r.returncode == 1 and "Usage:" in r.stderr and r.stdout == ""
