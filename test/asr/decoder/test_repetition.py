"""find_repetition_loop: property tests (hypothesis) and examples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from espnet_mtasr.asr.decoder.repetition import find_repetition_loop

tokens = st.lists(st.integers(0, 5), max_size=20)
blocks = st.lists(st.integers(0, 5), min_size=1, max_size=4)


@given(prefix=tokens, block=blocks, repeats=st.integers(4, 7))
def test_a_looping_end_is_cut_to_one_copy(prefix, block, repeats):
    seq = prefix + block * repeats
    cut = find_repetition_loop(seq, max_period=4, min_repeats=4)
    assert cut is not None and cut >= 1
    removed = len(seq) - cut
    # the removed tail is whole copies of a block of <= 4 tokens that ends the kept part
    assert any(
        removed % p == 0 and seq[cut - p :] == seq[cut - p : cut] * (removed // p + 1)
        for p in range(1, 5)
        if p <= cut
    )
    assert cut <= len(prefix) + len(block)


@given(seq=tokens)
def test_result_is_a_prefix_length_or_none(seq):
    cut = find_repetition_loop(seq, max_period=3, min_repeats=3)
    assert cut is None or 0 < cut < len(seq)


def test_examples():
    assert find_repetition_loop([7, 7, 7, 7], max_period=2, min_repeats=4) == 1
    assert find_repetition_loop([7, 7, 7], max_period=2, min_repeats=4) is None
    assert find_repetition_loop([9, 1, 2, 1, 2, 1, 2, 1, 2], max_period=3, min_repeats=4) == 3
    # a loop in the middle does not count: only the end is checked
    assert find_repetition_loop([1, 1, 1, 1, 2, 3], max_period=2, min_repeats=4) is None
    with pytest.raises(ValueError, match="min_repeats"):
        find_repetition_loop([1], min_repeats=1)
