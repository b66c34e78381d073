"""AbsSeparator: the interface a separator must implement."""

from __future__ import annotations

import pytest
import torch

from espnet_mtasr.asr.separator.abs_separator import AbsSeparator


class _Split(AbsSeparator):
    """Copies the input into S streams, halving the frame rate."""

    def __init__(self, input_size: int, num_spk: int = 2):
        super().__init__()
        self.d = input_size
        self.s = num_spk

    @property
    def num_streams(self) -> int:
        return self.s

    def output_size(self) -> int:
        return self.d

    def forward(self, feats, feats_lens):
        out = feats[:, None, ::2].expand(-1, self.s, -1, -1)  # (B, S, ceil(T/2), D)
        return out, (feats_lens + 1) // 2


def test_abstract_methods_must_be_implemented():
    with pytest.raises(TypeError):
        AbsSeparator()  # type: ignore[abstract]

    class Partial(AbsSeparator):
        def output_size(self) -> int:
            return 1

    with pytest.raises(TypeError):
        Partial()  # type: ignore[abstract]


def test_contract_shapes():
    sep = _Split(input_size=6, num_spk=3)
    streams, lens = sep(torch.randn(2, 9, 6), torch.tensor([9, 4]))
    assert streams.shape == (2, sep.num_streams, 5, sep.output_size())
    assert lens.tolist() == [5, 2]
    assert isinstance(sep, torch.nn.Module)
