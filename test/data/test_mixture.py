"""The LibriMix-layout mixture simulator on a tiny random-noise single-speaker dir."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from librimix_fakes import SR, write_librispeech, write_single_speaker_dir

from espnet_mtasr.data.librimix import prepare_librimix
from espnet_mtasr.data.librispeech import prepare_librispeech
from espnet_mtasr.data.mixture import draw_mixtures, load_single_speaker_dir, simulate_librimix
from espnet_mtasr.utils.errors import MTASRInputError

COUNTS = {1: 2, 2: 3, 3: 2}
KW = dict(min_delay=0.1, max_delay=0.3, seed=3, nj=2)


def read_csv(path: Path) -> list:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def read_int16(path) -> np.ndarray:
    x, rate = sf.read(path, dtype="int16")
    assert rate == SR and x.ndim == 1
    return x


@pytest.fixture
def sim(tmp_path):
    """(data dir, utt -> int16 samples, out_root, {(n, type): csv})."""
    data = write_single_speaker_dir(tmp_path / "data")
    out = tmp_path / "LibriMix"
    written = simulate_librimix(tmp_path / "data", out, "dev", COUNTS, **KW)
    return tmp_path / "data", data, out, written


def test_layout_and_csv_columns(sim):
    _, _, out, written = sim
    m2, m3 = out / "Libri2Mix/wav16k/max", out / "Libri3Mix/wav16k/max"
    assert set(written) == {(2, "mix_single"), (2, "mix_clean"), (3, "mix_clean")}
    assert sorted(p.name for p in (m2 / "dev").iterdir()) == ["mix_clean", "mix_single", "s1", "s2"]
    assert sorted(p.name for p in (m3 / "dev").iterdir()) == ["mix_clean", "s1", "s2", "s3"]
    assert sorted(p.name for p in (m2 / "metadata").iterdir()) == [
        "mixture_dev_mix_clean.csv",
        "mixture_dev_mix_single.csv",
    ]
    header = lambda p: p.read_text().splitlines()[0]  # noqa: E731
    assert header(m2 / "metadata/mixture_dev_mix_clean.csv") == (
        "mixture_ID,mixture_path,source_1_path,source_2_path,length,source_1_offset,source_2_offset"
    )
    assert header(m2 / "metadata/mixture_dev_mix_single.csv") == (
        "mixture_ID,mixture_path,source_1_path,noise_path,length,source_1_offset"
    )
    assert header(m3 / "metadata/mixture_dev_mix_clean.csv") == (
        "mixture_ID,mixture_path,source_1_path,source_2_path,source_3_path,length,"
        "source_1_offset,source_2_offset,source_3_offset"
    )
    assert len(read_csv(written[(2, "mix_clean")])) == COUNTS[2]
    assert len(read_csv(written[(3, "mix_clean")])) == COUNTS[3]
    assert len(read_csv(written[(2, "mix_single")])) == COUNTS[1]
    n_wavs = {p.name: len(list(p.iterdir())) for p in (m2 / "dev").iterdir()}
    assert n_wavs == {"s1": 5, "s2": 3, "mix_clean": 3, "mix_single": 2}


@pytest.mark.parametrize("key", [(2, "mix_clean"), (3, "mix_clean")])
def test_sources_start_at_their_offsets_and_sum_to_the_mixture(sim, key):
    data_dir, data, _, written = sim
    spk = {u.utt_id: u.speaker for u in load_single_speaker_dir(data_dir)}
    n = key[0]
    for row in read_csv(written[key]):
        utts = row["mixture_ID"].split("_")
        assert len(utts) == n and len({spk[u] for u in utts}) == n  # distinct speakers
        mix = read_int16(row["mixture_path"])
        assert len(mix) == int(row["length"])
        sources = [read_int16(row[f"source_{k}_path"]) for k in range(1, n + 1)]
        assert all(len(s) == len(mix) for s in sources)
        assert np.array_equal(np.sum(sources, axis=0, dtype=np.int32), mix.astype(np.int32))
        offsets = [float(row[f"source_{k}_offset"]) for k in range(1, n + 1)]
        assert offsets[0] == 0.0
        for a, b in zip(offsets, offsets[1:]):
            assert 0.1 - 1e-9 <= b - a <= 0.3 + 1e-9
        ends = []
        for k, (s, off, utt) in enumerate(zip(sources, offsets, utts)):
            start = round(off * SR)
            nz = np.flatnonzero(s)
            assert nz[0] == start, (row["mixture_ID"], k)
            seg = s[start : start + len(data[utt])].astype(np.float64)
            ref = data[utt].astype(np.float64)
            assert np.corrcoef(seg, ref)[0, 1] > 0.999  # the source utterance, scaled
            assert not s[start + len(ref) :].any()
            ends.append(start + len(ref))
        assert max(ends) == len(mix)
        assert np.abs(mix).max() <= 0.99 * 32767 + 2


def test_single_talker_entries(sim):
    data_dir, data, _, written = sim
    spk = {u.utt_id: u.speaker for u in load_single_speaker_dir(data_dir)}
    for row in read_csv(written[(2, "mix_single")]):
        a, b = row["mixture_ID"].split("_")
        assert spk[a] != spk[b]
        mix, s1 = read_int16(row["mixture_path"]), read_int16(row["source_1_path"])
        assert np.array_equal(mix, s1)
        assert len(mix) == len(data[a]) == int(row["length"])
        assert row["noise_path"] == "" and row["source_1_offset"] == "0.000"


def test_deterministic_and_independent_of_nj(sim, tmp_path):
    data_dir, _, out, written = sim
    other = tmp_path / "again"
    written2 = simulate_librimix(data_dir, other, "dev", COUNTS, **{**KW, "nj": 1})
    for key, path in written.items():
        assert path.read_text().replace(str(out), "X") == written2[key].read_text().replace(
            str(other), "X"
        )
    files = sorted(p.relative_to(out) for p in out.rglob("*.wav"))
    assert files == sorted(p.relative_to(other) for p in other.rglob("*.wav"))
    for rel in files:
        assert (out / rel).read_bytes() == (other / rel).read_bytes()
    third = simulate_librimix(data_dir, tmp_path / "seed4", "dev", COUNTS, **{**KW, "seed": 4})
    assert read_csv(third[(2, "mix_clean")]) != read_csv(written[(2, "mix_clean")])


def test_noise_writes_mix_both_and_noisy_mix_single(tmp_path):
    write_single_speaker_dir(tmp_path / "data")
    written = simulate_librimix(
        tmp_path / "data", tmp_path / "out", "test", {1: 1, 2: 2}, noise_snr_db=(5, 10), **KW
    )
    assert set(written) == {(2, "mix_single"), (2, "mix_clean"), (2, "mix_both")}
    base = tmp_path / "out/Libri2Mix/wav16k/max/test"
    assert sorted(p.name for p in base.iterdir()) == [
        "mix_both",
        "mix_clean",
        "mix_single",
        "noise",
        "s1",
        "s2",
    ]
    header = written[(2, "mix_both")].read_text().splitlines()[0]
    assert header == (
        "mixture_ID,mixture_path,source_1_path,source_2_path,noise_path,length,"
        "source_1_offset,source_2_offset"
    )
    for row in read_csv(written[(2, "mix_both")]):
        clean = read_int16(base / "mix_clean" / f"{row['mixture_ID']}.wav").astype(np.int32)
        noise = read_int16(row["noise_path"]).astype(np.int32)
        assert np.array_equal(read_int16(row["mixture_path"]), clean + noise)
        snr = 10 * np.log10(np.mean(clean.astype(float) ** 2) / np.mean(noise.astype(float) ** 2))
        assert 4.9 <= snr <= 10.1
    for row in read_csv(written[(2, "mix_single")]):
        s1 = read_int16(row["source_1_path"]).astype(np.int32)
        noise = read_int16(row["noise_path"]).astype(np.int32)
        assert np.array_equal(read_int16(row["mixture_path"]), s1 + noise)


def test_rerun_drops_stale_csvs(sim, tmp_path):
    data_dir, _, out, _ = sim
    written = simulate_librimix(data_dir, out, "dev", {2: 2}, **KW)
    meta = out / "Libri2Mix/wav16k/max/metadata"
    assert sorted(p.name for p in meta.iterdir()) == ["mixture_dev_mix_clean.csv"]
    assert sorted(p.name for p in (out / "Libri2Mix/wav16k/max/dev").iterdir()) == [
        "mix_clean",
        "s1",
        "s2",
    ]
    assert len(read_csv(written[(2, "mix_clean")])) == 2
    assert (out / "Libri3Mix/wav16k/max/metadata/mixture_dev_mix_clean.csv").exists()


def test_without_sources(tmp_path):
    write_single_speaker_dir(tmp_path / "data")
    written = simulate_librimix(
        tmp_path / "data", tmp_path / "out", "dev", {1: 1, 3: 1}, write_sources=False, **KW
    )
    assert sorted(p.name for p in (tmp_path / "out/Libri3Mix/wav16k/max/dev").iterdir()) == [
        "mix_clean"
    ]
    assert sorted(p.name for p in (tmp_path / "out/Libri2Mix/wav16k/max/dev").iterdir()) == [
        "mix_single"
    ]
    row = read_csv(written[(3, "mix_clean")])[0]
    assert row["source_1_path"] == row["source_3_path"] == "" and row["source_3_offset"]


def test_error_leaves_nothing(tmp_path):
    write_single_speaker_dir(tmp_path / "data", n_speakers=3, utts_per_speaker=1)
    lines = (tmp_path / "data/wav.scp").read_text().splitlines()
    lines[1] = lines[1].split()[0] + " /nonexistent/x.wav"
    (tmp_path / "data/wav.scp").write_text("\n".join(lines) + "\n")
    with pytest.raises(MTASRInputError, match=r"wav\.scp:2:"):
        simulate_librimix(tmp_path / "data", tmp_path / "out", "dev", {2: 3, 3: 1}, **KW)
    assert not (tmp_path / "out").exists()


def test_bad_requests(tmp_path):
    write_single_speaker_dir(tmp_path / "data", n_speakers=2, utts_per_speaker=2)
    utts = load_single_speaker_dir(tmp_path / "data")
    with pytest.raises(ValueError, match="at least 3 speakers"):
        draw_mixtures(utts, {3: 1})
    with pytest.raises(ValueError, match="distinct"):
        draw_mixtures(utts, {2: 10})  # only 2x2x2 = 8 ordered pairs exist
    with pytest.raises(ValueError, match="keys"):
        draw_mixtures(utts, {4: 1})
    (tmp_path / "data/utt2spk").write_text("a_b 100\n")
    with pytest.raises(MTASRInputError, match="contains '_'"):
        load_single_speaker_dir(tmp_path / "data")


def test_librispeech_to_librimix_to_data_dir(tmp_path):
    """LibriSpeech tree -> Kaldi dir -> simulated LibriMix -> multi-talker data dir."""
    utts = {f"{s}-{c}-{u:04d}": (f"SPEAKER {s} SAYS {u}", 0.3 + 0.05 * u) for s, c in
            [(19, 198), (26, 495), (32, 21625)] for u in range(3)}  # fmt: skip
    write_librispeech(tmp_path, utts, subset="dev-clean")
    kaldi = prepare_librispeech(tmp_path, tmp_path / "single")
    assert (kaldi / "utt2spk").read_text().splitlines()[0] == "19-198-0000 19"
    assert (kaldi / "spk2utt").read_text().splitlines()[
        0
    ] == "19 19-198-0000 19-198-0001 19-198-0002"
    assert (kaldi / "utt2dur").read_text().splitlines()[1] == "19-198-0001 0.350"
    simulate_librimix(kaldi, tmp_path / "mix", "dev", {1: 2, 2: 3, 3: 2}, **KW)
    sources = [(2, "mix_single"), (2, "mix_clean"), (3, "mix_clean")]
    for transcripts in (tmp_path, kaldi):  # LibriSpeech tree or the Kaldi dir
        out = prepare_librimix(tmp_path / "mix", transcripts, tmp_path / "data", sources, "dev")
        text = dict(ln.split(" ", 1) for ln in (out / "text").read_text().splitlines())
        talkers = dict(ln.split(" ", 1) for ln in (out / "utt2talkers").read_text().splitlines())
        assert sum(k.startswith("3spk-") for k in text) == 2 and len(text) == 7
        for utt, line in talkers.items():
            mixture = utt.split("-", 1)[1].split("_")
            n = int(utt[0])
            segs = [t.split(":") for t in line.split()]
            assert [s[0] for s in segs] == [m.split("-")[0] for m in mixture[:n]]
            starts = [float(s[1]) for s in segs]
            assert starts == sorted(starts) and starts[0] == 0.0
            for s, m in zip(segs, mixture):
                assert float(s[2]) == pytest.approx(float(s[1]) + utts[m][1], abs=1e-3)
            assert text[utt] == " <sc> ".join(utts[m][0] for m in mixture[:n])
