"""A recipe made by ``egs2/TEMPLATE/mtasr1/setup.sh`` runs: stages 1-5 on a fake corpus.

``setup.sh`` links the shared scripts (``mtasr.sh``, ``path.sh``, ``db.sh``, ``utils/``),
copies ``cmd.sh`` and the template's ``conf/`` (``tuning/`` + links, as ESPnet) and writes
``run.sh`` and a ``local/data.sh`` to fill in. Here ``local/data.sh`` is filled in with the
real LibriMix prep reading a fake LibriMix tree (test/data/librimix_fakes.py), and the
new recipe's own ``run.sh`` prepares, dumps, filters and builds its token list.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from librimix_fakes import build_fake_corpus

REPO = Path(__file__).resolve().parents[2]
SETUP = REPO / "egs2" / "TEMPLATE" / "mtasr1" / "setup.sh"

pytestmark = pytest.mark.integration

DATA_SH = """#!/usr/bin/env bash
set -euo pipefail
. ./db.sh
python -m espnet_mtasr.bin.check_output_dirs data/train data/dev data/test
for set in train dev test; do
    python -m espnet_mtasr.bin.prep_librimix --librimix_root "${LIBRIMIX}" \\
        --librispeech_root "${LIBRISPEECH}" --subset dev \\
        --sources 2:mix_single 2:mix_clean 3:mix_clean --out_dir "data/${set}"
done
"""


def test_a_setup_sh_recipe_runs_stages_1_to_5(tmp_path):
    corpus = build_fake_corpus(tmp_path / "corpus")
    recipe = tmp_path / "egs2" / "fake" / "mtasr1"
    r = subprocess.run([str(SETUP), str(recipe)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for shared in ("mtasr.sh", "path.sh", "db.sh", "utils"):
        assert (recipe / shared).is_symlink() and (recipe / shared).exists()
    conf = recipe / "conf" / "train_sot_conformer.yaml"
    assert conf.is_symlink() and os.readlink(conf) == "tuning/train_sot_conformer.yaml"
    assert (recipe / "conf" / "decode_sot.yaml").is_file()
    placeholder = subprocess.run(
        ["./run.sh", "--stage", "1", "--stop_stage", "1"], cwd=recipe, capture_output=True
    )
    assert placeholder.returncode != 0  # the written local/data.sh asks to be filled in

    (recipe / "local" / "data.sh").write_text(DATA_SH)
    env = {**os.environ, "LIBRIMIX": str(corpus.librimix), "LIBRISPEECH": str(corpus.librispeech)}
    cmd = ["./run.sh", "--stage", "1", "--stop_stage", "5", "--nj", "1", "--token_type", "char"]
    r = subprocess.run(cmd, cwd=recipe, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    for name in ("train", "dev", "test"):
        text = (recipe / "dump" / "raw" / name / "text").read_text().splitlines()
        assert len(text) == 5 and any("<sc>" in ln for ln in text)
    tokens = (recipe / "data" / "token_list" / "char" / "tokens.txt").read_text().split()
    assert tokens[0] == "<blank>" and "<sc>" in tokens and tokens[-1] == "<sos/eos>"
