"""SOT serialization: properties (hypothesis) and the documented edge cases."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from espnet_mtasr.text import (
    SC,
    TalkerSegment,
    normalize_whitespace,
    sot_join,
    sot_normalize,
    sot_parse,
    sot_serialize,
    sot_streams_count,
)

# Any text without the separator (whitespace of all kinds, empty texts included).
texts = st.text(max_size=20).filter(lambda t: SC not in t)
times = st.floats(min_value=0.0, max_value=10.0, allow_nan=False).map(lambda x: round(x, 1))
segments = st.builds(
    TalkerSegment, speaker=st.sampled_from("ABC"), text=texts, start=times, end=times
)
# Arbitrary SOT-ish strings: separators glued, repeated, leading and trailing.
sot_strings = st.lists(
    st.one_of(
        st.just(SC), st.sampled_from([" ", "\t", "<", "sc>", "<s", "a", "b c"]), st.text(max_size=4)
    )
).map("".join)


def expected_texts(segs):
    ordered = sorted(segs, key=lambda s: s.start)
    return [normalize_whitespace(s.text) for s in ordered if normalize_whitespace(s.text)]


@given(st.lists(segments, max_size=5))
def test_parse_inverts_serialize(segs):
    assert sot_parse(sot_serialize(segs)) == expected_texts(segs)


@given(st.lists(segments, max_size=5))
def test_serialize_is_normalised(segs):
    s = sot_serialize(segs)
    assert sot_normalize(s) == s
    assert sot_streams_count(s) == len(expected_texts(segs))


@given(sot_strings)
def test_normalize_is_idempotent(s):
    once = sot_normalize(s)
    assert sot_normalize(once) == once


@given(sot_strings)
def test_parse_gives_clean_streams(s):
    streams = sot_parse(s)
    assert all(stream and SC not in stream for stream in streams)
    assert all(stream == normalize_whitespace(stream) for stream in streams)
    # serialize(parse(s)) (with streams as segments in order) is the normal form
    as_segments = [TalkerSegment(str(i), t, float(i), float(i)) for i, t in enumerate(streams)]
    assert sot_serialize(as_segments) == sot_normalize(s) == sot_join(streams)


@given(st.lists(texts, min_size=1, max_size=5))
def test_ties_keep_input_order(ts):
    segs = [TalkerSegment(f"s{i}", t, 1.0, 2.0) for i, t in enumerate(ts)]
    assert sot_parse(sot_serialize(segs)) == [normalize_whitespace(t) for t in ts if t.split()]


def test_sorted_by_start_time():
    segs = [TalkerSegment("b", "second", 1.5, 3.0), TalkerSegment("a", "first", 1.0, 4.0)]
    assert sot_serialize(segs) == "first <sc> second"


def test_empty_and_blank():
    assert sot_serialize([]) == ""
    assert sot_serialize([TalkerSegment("a", "  ", 0.0, 1.0)]) == ""
    assert sot_parse("") == []
    assert sot_streams_count(" <sc> ") == 0


@pytest.mark.parametrize(
    "text, streams",
    [
        ("foo<sc>bar", ["foo", "bar"]),
        ("<sc> a <sc><sc> b <sc>", ["a", "b"]),
        ("a  b\tc", ["a b c"]),
        ("<SC> a", ["<SC> a"]),  # case-sensitive
    ],
)
def test_parse_edge_cases(text, streams):
    assert sot_parse(text) == streams


def test_separator_in_text_is_rejected():
    with pytest.raises(ValueError, match="speaker-change token"):
        sot_serialize([TalkerSegment("a", "x <sc> y", 0.0, 1.0)])
