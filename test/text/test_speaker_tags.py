"""Speaker-tagged serialization: properties (hypothesis) and malformed input."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from espnet_mtasr.text import (
    UNKNOWN_SPEAKER,
    TalkerSegment,
    normalize_whitespace,
    spk_tag_parse,
    spk_tag_relative_ids,
    spk_tag_serialize,
    spk_tag_streams,
    spk_tag_symbols,
)

texts = st.text(max_size=15).filter(lambda t: "<spk" not in t)
times = st.integers(min_value=0, max_value=5).map(float)
speaker_names = ["SPK0093", "SPK0007", "3536", "a"]
segments = st.builds(
    TalkerSegment, speaker=st.sampled_from(speaker_names), text=texts, start=times, end=times
)


def non_empty_in_order(segs):
    return [s for s in sorted(segs, key=lambda s: s.start) if s.text.split()]


@given(st.lists(segments, max_size=6))
def test_round_trip(segs):
    ids = spk_tag_relative_ids(segs)
    expected = [(ids[s.speaker], normalize_whitespace(s.text)) for s in non_empty_in_order(segs)]
    assert spk_tag_parse(spk_tag_serialize(segs)) == expected


@given(st.lists(segments, max_size=6))
def test_relative_ids_by_first_appearance(segs):
    parsed = spk_tag_parse(spk_tag_serialize(segs))
    first_seen = list(dict.fromkeys(k for k, _ in parsed))
    assert first_seen == list(range(1, len(first_seen) + 1))
    assert len(first_seen) == len({s.speaker for s in non_empty_in_order(segs)})


@given(st.lists(segments, max_size=6), st.permutations(speaker_names))
def test_renaming_speakers_changes_nothing(segs, perm):
    rename = dict(zip(speaker_names, perm))
    renamed = [TalkerSegment(rename[s.speaker], s.text, s.start, s.end) for s in segs]
    assert spk_tag_serialize(renamed) == spk_tag_serialize(segs)


@given(st.lists(segments, max_size=6))
def test_streams_per_speaker(segs):
    by_speaker = {}
    for s in non_empty_in_order(segs):
        by_speaker.setdefault(s.speaker, []).append(normalize_whitespace(s.text))
    expected = [" ".join(v) for v in by_speaker.values()]  # first-appearance order
    assert spk_tag_streams(spk_tag_serialize(segs)) == expected


def test_same_speaker_keeps_each_tag():
    segs = [
        TalkerSegment("SPK0093", "a", 0.0, 1.0),
        TalkerSegment("SPK0093", "b", 1.0, 2.0),
        TalkerSegment("SPK0007", "c", 1.5, 2.5),
    ]
    assert spk_tag_serialize(segs) == "<spk1> a <spk1> b <spk2> c"


@pytest.mark.parametrize(
    "text", ["oops <spk1> a", "<spk1> a <spkx> b", "<spk0> a", "<spk> a", "<spk01> a"]
)
def test_malformed_strict_raises(text):
    with pytest.raises(ValueError):
        spk_tag_parse(text)


@pytest.mark.parametrize(
    "text, parsed",
    [
        ("oops <spk1> a", [(UNKNOWN_SPEAKER, "oops"), (1, "a")]),
        ("<spk1> a <spkx> b", [(1, "a"), (UNKNOWN_SPEAKER, "b")]),
        ("no tags at all", [(UNKNOWN_SPEAKER, "no tags at all")]),
    ],
)
def test_malformed_lenient_goes_to_unknown(text, parsed):
    assert spk_tag_parse(text, strict=False) == parsed


def test_lenient_streams_put_unknown_last():
    assert spk_tag_streams("x <spk2> a <spk1> b <spkx> y", strict=False) == ["b", "a", "x y"]


def test_glued_tags_and_empty_segments():
    assert spk_tag_parse("a<spk1>b<spk2>  <spk1>c", strict=False) == [(0, "a"), (1, "b"), (1, "c")]
    assert spk_tag_parse("") == []


def test_tag_in_text_is_rejected():
    with pytest.raises(ValueError, match="speaker tag"):
        spk_tag_serialize([TalkerSegment("a", "x <spk2> y", 0.0, 1.0)])


def test_symbols():
    assert spk_tag_symbols(2) == ["<spk1>", "<spk2>"]
