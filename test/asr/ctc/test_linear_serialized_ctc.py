"""LinearSerializedCTC: per-stream loss, empty targets, greedy decoding, bad input."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from espnet_mtasr.asr.ctc.linear_serialized_ctc import LinearSerializedCTC


def _targets():
    # utterance 0: two talkers; utterance 1: one talker (stream 2 empty)
    ys = torch.tensor([[[3, 4, 2], [1, -1, -1]], [[2, 2, -1], [-1, -1, -1]]])
    lens = torch.tensor([[3, 1], [2, 0]])
    return ys, lens


@pytest.mark.parametrize("shared_head", [False, True])
def test_loss_matches_per_stream_ctc_and_backward(shared_head):
    torch.manual_seed(0)
    ctc = LinearSerializedCTC(odim=5, encoder_output_size=4, num_streams=2, shared_head=shared_head)
    hs = torch.randn(2, 2, 7, 4, requires_grad=True)
    hlens = torch.tensor([7, 6])
    ys, lens = _targets()
    loss = ctc(hs, hlens, ys, lens)
    assert loss.dim() == 0 and torch.isfinite(loss)
    # reference: torch's CTC on each (utterance, stream) separately
    logp = ctc.log_softmax(hs)
    ref = 0.0
    for b in range(2):
        for s in range(2):
            n = int(lens[b, s])
            ref = ref + F.ctc_loss(
                logp[b, s, : hlens[b]].unsqueeze(1),
                ys[b, s, :n].unsqueeze(0),
                hlens[b : b + 1],
                lens[b, s : s + 1],
                reduction="sum",
            )
    assert torch.allclose(loss, ref / 2, atol=1e-4)
    loss.backward()
    assert hs.grad is not None and hs.grad.abs().sum() > 0
    assert len(ctc.heads) == (1 if shared_head else 2)


def test_empty_target_is_trained_towards_blank():
    torch.manual_seed(0)
    ctc = LinearSerializedCTC(odim=4, encoder_output_size=3, num_streams=1)
    hs = torch.randn(1, 1, 5, 3)
    ys = torch.full((1, 1, 1), -1)
    lens = torch.zeros(1, 1, dtype=torch.long)
    opt = torch.optim.SGD(ctc.parameters(), lr=0.5)
    for _ in range(50):
        opt.zero_grad()
        ctc(hs, torch.tensor([5]), ys, lens).backward()
        opt.step()
    assert ctc.greedy_decode(hs, torch.tensor([5])) == [[[]]]


def test_stream_weights():
    torch.manual_seed(0)
    hs = torch.randn(2, 2, 7, 4)
    ys, lens = _targets()
    hlens = torch.tensor([7, 6])
    full = LinearSerializedCTC(odim=5, encoder_output_size=4, num_streams=2)
    parts = []
    for w in ([1.0, 0.0], [0.0, 1.0]):
        part = LinearSerializedCTC(odim=5, encoder_output_size=4, num_streams=2, stream_weights=w)
        part.load_state_dict(full.state_dict())
        parts.append(part(hs, hlens, ys, lens))
    assert torch.allclose(parts[0] + parts[1], full(hs, hlens, ys, lens))
    assert parts[0] > 0 and parts[1] > 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_streams": 0}, "num_streams >= 1"),
        ({"num_streams": 2, "stream_weights": [1.0]}, "one weight per stream"),
    ],
)
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LinearSerializedCTC(odim=5, encoder_output_size=4, **kwargs)


def test_wrong_stream_count_and_target_shape():
    ctc = LinearSerializedCTC(odim=5, encoder_output_size=4, num_streams=2)
    with pytest.raises(ValueError, match=r"\(B, S=2, T, D\)"):
        ctc.log_softmax(torch.randn(1, 3, 5, 4))
    with pytest.raises(ValueError, match="targets must be"):
        ctc(torch.randn(1, 2, 5, 4), torch.tensor([5]), torch.zeros(1, 3), torch.zeros(1))
