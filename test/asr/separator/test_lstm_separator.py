"""LSTMSeparator: shapes, padding, forward + backward, bad options."""

from __future__ import annotations

import pytest
import torch

from espnet_mtasr.asr.separator.lstm_separator import LSTMSeparator


@pytest.mark.parametrize("num_streams", [1, 2, 3])
@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("output_size", [None, 7])
def test_shapes_and_backward(num_streams, bidirectional, output_size):
    sep = LSTMSeparator(
        input_size=6,
        num_streams=num_streams,
        hidden_size=5,
        num_layers=2,
        bidirectional=bidirectional,
        output_size=output_size,
    )
    feats = torch.randn(3, 11, 6, requires_grad=True)
    lens = torch.tensor([11, 4, 9])
    streams, out_lens = sep(feats, lens)
    d = 6 if output_size is None else output_size
    assert streams.shape == (3, num_streams, 11, d)
    assert sep.num_streams == num_streams and sep.output_size() == d
    assert torch.equal(out_lens, lens)
    streams.sum().backward()
    assert feats.grad is not None and feats.grad[0].abs().sum() > 0
    assert all(p.grad is not None for p in sep.parameters())


def test_padding_is_zero_and_does_not_leak():
    torch.manual_seed(0)
    sep = LSTMSeparator(input_size=4, num_streams=2, hidden_size=3, activation="tanh").eval()
    feats = torch.randn(2, 8, 4)
    lens = torch.tensor([8, 5])
    streams, _ = sep(feats, lens)
    assert streams[1, :, 5:].abs().sum() == 0
    # changing the padding frames does not change the valid output (packed sequences)
    feats2 = feats.clone()
    feats2[1, 5:] = 100.0
    streams2, _ = sep(feats2, lens)
    assert torch.allclose(streams[1, :, :5], streams2[1, :, :5])
    # utterance 1 alone gives the same streams as inside the batch
    alone, _ = sep(feats[1:, :5], lens[1:])
    assert torch.allclose(alone[0], streams[1, :, :5], atol=1e-6)


def test_streams_differ():
    torch.manual_seed(0)
    sep = LSTMSeparator(input_size=4, num_streams=2, hidden_size=3, activation="identity")
    streams, _ = sep(torch.randn(1, 6, 4), torch.tensor([6]))
    assert not torch.allclose(streams[0, 0], streams[0, 1])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_streams": 0}, "num_streams"),
        ({"hidden_size": 0}, "hidden_size"),
        ({"dropout": 1.0}, "dropout"),
        ({"activation": "swish"}, "valid: gelu, identity, relu, tanh"),
    ],
)
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LSTMSeparator(input_size=4, **kwargs)
