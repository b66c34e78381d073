"""synth_librispeech -> simulate_mixtures -> prep_librimix, as the mini recipe runs them."""

from __future__ import annotations

import shutil

import pytest

from espnet_mtasr.bin import prep_librimix, simulate_mixtures, synth_librispeech


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_synth_simulate_prep(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    synth_librispeech.main(
        ["--out_root", str(corpus), "--train_utts", "4", "--dev_utts", "3", "--test_utts", "0",
         "--train_speakers", "2", "--dev_speakers", "3", "--test_speakers", "1", "--nj", "2"]
    )  # fmt: skip
    assert not (corpus / "LibriSpeech/test-clean").exists()
    simulate_mixtures.main(
        ["--librispeech_root", str(corpus), "--librispeech_subsets", "dev-clean",
         "--subset", "dev", "--num_mixtures", "1:1", "2:2", "3:1",
         "--out_root", str(corpus / "LibriMix"), "--noise_snr_db", "10", "20"]
    )  # fmt: skip
    prep_librimix.main(
        ["--librimix_root", str(corpus / "LibriMix"), "--librispeech_root", str(corpus),
         "--subset", "dev", "--sources", "2:mix_single", "2:mix_both", "3:mix_both",
         "--out_dir", str(tmp_path / "data")]
    )  # fmt: skip
    text = (tmp_path / "data/text").read_text().splitlines()
    assert len(text) == 4
    assert sum(" <sc> " in ln for ln in text) == 3
    assert "wrote" in capsys.readouterr().out


def test_simulate_bad_count_option(capsys):
    with pytest.raises(SystemExit):
        simulate_mixtures.main(
            ["--data_dir", "d", "--out_root", "o", "--subset", "dev", "--num_mixtures", "4:1"]
        )
    assert "talkers 1..3" in capsys.readouterr().err
