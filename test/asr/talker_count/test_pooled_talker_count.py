"""PooledTalkerCount: shapes, gradients, padding invariance, bad options."""

from __future__ import annotations

import pytest
import torch

from espnet_mtasr.asr.talker_count.pooled_talker_count import PooledTalkerCount


@pytest.mark.parametrize("lstm_hidden, pooling", [(8, "mean_std"), (0, "mean")])
def test_shapes_and_backward(lstm_hidden, pooling):
    torch.manual_seed(0)
    head = PooledTalkerCount(
        6, num_talkers=3, lstm_hidden=lstm_hidden, hidden_size=10, pooling=pooling
    )
    feats = torch.randn(4, 11, 6, requires_grad=True)
    logits = head(feats, torch.tensor([11, 7, 3, 1]))
    assert logits.shape == (4, 3) and head.num_talkers == 3
    logits.sum().backward()
    assert feats.grad is not None and feats.grad[1, 7:].abs().sum() == 0  # padding unused


def test_padding_does_not_change_a_prediction():
    torch.manual_seed(0)
    head = PooledTalkerCount(6, num_talkers=3, lstm_hidden=8, hidden_size=10).eval()
    x = torch.randn(1, 5, 6)
    padded = torch.cat([x, 100 * torch.randn(1, 4, 6)], dim=1)
    torch.testing.assert_close(head(x, torch.tensor([5])), head(padded, torch.tensor([5])))


def test_bad_options_name_the_key():
    with pytest.raises(ValueError, match="talker_count_conf num_talkers"):
        PooledTalkerCount(6, num_talkers=0)
    with pytest.raises(ValueError, match="talker_count_conf pooling 'max'"):
        PooledTalkerCount(6, pooling="max")
