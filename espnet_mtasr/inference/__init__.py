"""Decoding API: load a trained or packed model, decode mixtures per talker.

>>> from espnet_mtasr.inference import MultiTalkerSpeech2Text
>>> s2t = MultiTalkerSpeech2Text.from_pretrained("exp/asr/model.zip")  # doctest: +SKIP
>>> s2t(speech, fs=16000).streams  # doctest: +SKIP

:class:`MultiTalkerSpeech2Text` returns a :class:`MultiTalkerResult` per utterance;
:class:`MTSpeech2Text` is the ESPnet-style n-best decoder under both it and
``python -m espnet_mtasr.bin.mtasr_inference``.
"""

from espnet_mtasr.inference.mt_speech2text import MTSpeech2Text
from espnet_mtasr.inference.multi_talker_result import MultiTalkerResult
from espnet_mtasr.inference.multi_talker_speech2text import MultiTalkerSpeech2Text

__all__ = ["MTSpeech2Text", "MultiTalkerResult", "MultiTalkerSpeech2Text"]
