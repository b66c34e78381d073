"""espnet_mtasr.bin.bench_decoding: interleaved runs, medians and ratios, bad options."""

from __future__ import annotations

import json

import pytest
from task_helpers import save_random_model, write_yaml

from espnet_mtasr.bin import bench_decoding


def test_pick_spread_is_even_and_sorted():
    keys = [f"u{i:02d}" for i in range(10)][::-1]
    assert bench_decoding.pick_spread(keys, 5) == ["u00", "u02", "u04", "u06", "u08"]
    assert bench_decoding.pick_spread(keys, 20) == sorted(keys)


def test_two_systems_interleaved(tmp_path, sot_config, kaldi_dir, capsys, caplog):
    config = save_random_model(sot_config, tmp_path / "exp")
    decode = write_yaml(
        tmp_path / "decode.yaml", {"beam_size": 1, "ctc_weight": 0.3, "maxlenratio": -3.0}
    )
    system = [str(config), str(config.parent / "model.pth"), str(decode)]
    out = tmp_path / "bench" / "rtf.json"
    with caplog.at_level("INFO"):
        bench_decoding.main(
            [
                "--wav_scp",
                str(kaldi_dir / "wav.scp"),
                "--num_utts",
                "3",
                "--runs",
                "2",
                "--system",
                "a",
                *system,
                "1",
                "--system",
                "b",
                *system,
                "2",
                "--out",
                str(out),
            ]
        )
    result = json.loads(out.read_text())
    assert result["num_utts"] == 3 and set(result["systems"]) == {"a", "b"}
    assert len(result["systems"]["a"]["runs"]) == 2
    assert result["systems"]["a"]["ratio_to_first"] == 1.0
    order = [
        r.getMessage().split(":")[0] for r in caplog.records if r.getMessage().startswith("run ")
    ]
    assert order == ["run 1/2 a", "run 1/2 b", "run 2/2 a", "run 2/2 b"]
    assert "|b|2|" in capsys.readouterr().out


def test_bad_batch_size_exits(tmp_path, capsys):
    with pytest.raises(SystemExit):
        bench_decoding.main(["--wav_scp", "x", "--system", "a", "c", "m", "none", "0"])
    assert "BATCH_SIZE must be >= 1" in capsys.readouterr().err
