"""Reading LibriSpeech-layout trees (transcripts, flac paths, single-speaker Kaldi dirs)."""

from __future__ import annotations

import pytest
from librimix_fakes import LIBRISPEECH_UTTS, write_librispeech

from espnet_mtasr.data.librispeech import (
    find_librispeech_dir,
    index_librispeech,
    prepare_librispeech,
)
from espnet_mtasr.utils.errors import MTASRInputError

WITH_FLAC = {u: v for u, v in LIBRISPEECH_UTTS.items() if v[1] is not None}


def test_index(tmp_path):
    write_librispeech(tmp_path, LIBRISPEECH_UTTS)
    index = index_librispeech(tmp_path)
    assert sorted(index) == sorted(LIBRISPEECH_UTTS)
    utt = index["3536-8226-0026"]
    assert (utt.speaker, utt.subset, utt.text, utt.line) == (
        "3536",
        "dev-clean",
        "THE THIRD ONE",
        1,
    )
    assert utt.audio == tmp_path / "LibriSpeech/dev-clean/3536/8226/3536-8226-0026.flac"
    assert find_librispeech_dir(tmp_path / "LibriSpeech") == tmp_path / "LibriSpeech"


def test_prepare_kaldi_dir(tmp_path):
    write_librispeech(tmp_path, WITH_FLAC)
    out = prepare_librispeech(tmp_path, tmp_path / "data", ["dev-clean"])
    assert (out / "text").read_text().splitlines() == [
        f"{u} {t}" for u, (t, _) in sorted(WITH_FLAC.items())
    ]
    assert (out / "utt2dur").read_text().splitlines() == [
        f"{u} {d:.3f}" for u, (_, d) in sorted(WITH_FLAC.items())
    ]
    wav = dict(ln.split(" ", 1) for ln in (out / "wav.scp").read_text().splitlines())
    assert wav["1272-128104-0000"].endswith("dev-clean/1272/128104/1272-128104-0000.flac")
    assert (out / "spk2utt").read_text().splitlines()[0] == "1272 1272-128104-0000"


def test_errors(tmp_path):
    with pytest.raises(MTASRInputError, match="no LibriSpeech transcripts"):
        index_librispeech(tmp_path)
    write_librispeech(tmp_path, LIBRISPEECH_UTTS)
    with pytest.raises(MTASRInputError, match="not found"):
        index_librispeech(tmp_path, ["train-clean-100"])
    with pytest.raises(MTASRInputError, match=r"6313-66125\.trans\.txt:1: audio") as exc:
        prepare_librispeech(tmp_path, tmp_path / "data")
    assert "6313-66125-0001" in str(exc.value)
    assert not (tmp_path / "data").exists()
    dup = tmp_path / "LibriSpeech/dev-clean/3536/8226/3536-8226.trans.txt"
    dup.write_text("3536-8226-0026 A\n3536-8226-0026 B\n")
    with pytest.raises(MTASRInputError, match=r"3536-8226\.trans\.txt:2: utterance 3536-8226-0026"):
        index_librispeech(tmp_path)
