"""AbsSerializedCTC: per-stream greedy decoding and the interface contract."""

from __future__ import annotations

import pytest
import torch

from espnet_mtasr.asr.ctc.abs_serialized_ctc import AbsSerializedCTC


class _Identity(AbsSerializedCTC):
    """Treats the input features as logits (D = V)."""

    def __init__(self, num_streams: int = 2):
        super().__init__()
        self._s = num_streams

    @property
    def num_streams(self) -> int:
        return self._s

    def log_softmax(self, hs_pad):
        return hs_pad.log_softmax(-1)

    def forward(self, hs_pad, hlens, ys_pad, ys_lens):
        b, s, t, v = hs_pad.shape
        logp = self.log_softmax(hs_pad).permute(2, 0, 1, 3).reshape(t, b * s, v)
        ys = ys_pad.reshape(b * s, -1)
        loss = torch.nn.functional.ctc_loss(
            logp,
            ys.clamp(min=0),
            hlens.repeat_interleave(s),
            ys_lens.reshape(-1),
            reduction="sum",
            zero_infinity=True,
        )
        return loss / b


def _logits(paths, vocab: int = 5) -> torch.Tensor:
    """One-hot logits (B, S, T, V) whose argmax follows ``paths[b][s]``."""
    x = torch.full((len(paths), len(paths[0]), len(paths[0][0]), vocab), -10.0)
    for b, streams in enumerate(paths):
        for s, path in enumerate(streams):
            for t, tok in enumerate(path):
                x[b, s, t, tok] = 10.0
    return x


def test_abstract_class_cannot_be_built():
    with pytest.raises(TypeError):
        AbsSerializedCTC()  # type: ignore[abstract]


def test_greedy_decode_merges_repeats_drops_blanks_and_padding():
    paths = [
        [[1, 1, 0, 1, 2, 2], [0, 0, 0, 0, 0, 0]],  # talker 2 silent
        [[3, 0, 3, 4, 4, 4], [2, 2, 0, 0, 1, 1]],
    ]
    ctc = _Identity(num_streams=2)
    out = ctc.greedy_decode(_logits(paths), torch.tensor([6, 4]))
    assert out == [[[1, 1, 2], []], [[3, 3, 4], [2]]]
    assert ctc.argmax(_logits(paths)).shape == (2, 2, 6)


def test_forward_with_an_empty_stream_target_is_finite():
    ctc = _Identity(num_streams=2)
    hs = torch.randn(2, 2, 6, 5, requires_grad=True)
    ys = torch.tensor([[[1, 2], [-1, -1]], [[3, -1], [4, 1]]])  # (B, S, L)
    loss = ctc(hs, torch.tensor([6, 5]), ys, torch.tensor([[2, 0], [1, 2]]))
    loss.backward()
    assert loss.dim() == 0 and torch.isfinite(loss)
