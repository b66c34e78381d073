"""The prep_librimix command line on a LibriMix tree made by the simulator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from espnet_mtasr.bin import prep_librimix

SR = 16000


def make_corpus(root: Path) -> Path:
    """A 3-speaker LibriSpeech tree of random noise with transcripts (2 utts each)."""
    rng = np.random.default_rng(0)
    for spk, chap in (("19", "198"), ("26", "495"), ("32", "21625")):
        d = root / "LibriSpeech" / "dev-clean" / spk / chap
        d.mkdir(parents=True)
        lines = []
        for u in range(2):
            utt = f"{spk}-{chap}-{u:04d}"
            sf.write(d / f"{utt}.flac", rng.uniform(-0.3, 0.3, SR // 4), SR, subtype="PCM_16")
            lines.append(f"{utt} WORDS OF {spk} NUMBER {u}")
        (d / f"{spk}-{chap}.trans.txt").write_text("\n".join(lines) + "\n")
    return root


def test_main_writes_data_dir(tmp_path, capsys):
    from espnet_mtasr.bin import simulate_mixtures

    make_corpus(tmp_path)
    mix = tmp_path / "LibriMix"
    simulate_mixtures.main(
        ["--librispeech_root", str(tmp_path), "--librispeech_subsets", "dev-clean",
         "--subset", "dev", "--num_mixtures", "1:2", "2:2", "3:1", "--out_root", str(mix)]
    )  # fmt: skip
    prep_librimix.main(
        ["--librimix_root", str(mix), "--librispeech_root", str(tmp_path), "--subset", "dev",
         "--sources", "2:mix_single", "2:mix_clean", "3:mix_clean", "--out_dir",
         str(tmp_path / "data")]
    )  # fmt: skip
    assert "5 utterances" in capsys.readouterr().out
    num = (tmp_path / "data/utt2num_spk").read_text().split()
    assert sorted(num[1::2]) == ["1", "1", "2", "2", "3"]
    assert (tmp_path / "data/text_spk3").exists()


def test_main_input_error_is_one_line(tmp_path, capsys):
    make_corpus(tmp_path)
    with pytest.raises(SystemExit) as exc:
        prep_librimix.main(
            ["--librimix_root", str(tmp_path / "nowhere"), "--librispeech_root", str(tmp_path),
             "--subset", "dev", "--out_dir", str(tmp_path / "data")]
        )  # fmt: skip
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ERROR: ") and "\n" not in err
    assert "mixture_dev_mix_clean.csv" in err
    assert not (tmp_path / "data").exists()


def test_bad_source_option(capsys):
    with pytest.raises(SystemExit) as exc:
        prep_librimix.main(["--librimix_root", "a", "--librispeech_root", "b", "--subset", "dev",
                            "--out_dir", "c", "--sources", "2:clean"])  # fmt: skip
    assert exc.value.code == 2
    assert "mix_clean" in capsys.readouterr().err
