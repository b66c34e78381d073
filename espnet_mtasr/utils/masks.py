"""The one length mask of the package.

ESPnet's ``make_non_pad_mask`` / ``make_pad_mask`` (``nets_utils``) build, for tensor
lengths, a ``(maxlen + 1, maxlen + 1)`` triangular matrix to stay ONNX-traceable, and
assert ``maxlen >= lengths.max()`` (a device sync): fine for frame-level masks, but a
20 s waveform mask (``hf_wavlm``) would need 320 001² booleans. This is the same mask,
linear in ``maxlen``, on the device of ``lengths``.
"""

from __future__ import annotations

import torch


def non_pad_mask(lengths: torch.Tensor, maxlen: int) -> torch.Tensor:
    """``(B, maxlen)`` bool mask, True at ``t < lengths[b]`` (ESPnet's non-pad mask).

    >>> non_pad_mask(torch.tensor([2, 0, 3]), 3).int().tolist()
    [[1, 1, 0], [0, 0, 0], [1, 1, 1]]
    """
    return torch.arange(maxlen, device=lengths.device)[None, :] < lengths[:, None]
