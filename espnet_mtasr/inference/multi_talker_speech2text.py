"""Python API: decode a multi-talker mixture into one transcript per talker.

ESPnet's ``Speech2Text`` conventions (``Speech2Text.from_pretrained(...)``, then call it
on a waveform), for every model family of ``espnet_mtasr``; the decoding is
:class:`~espnet_mtasr.inference.mt_speech2text.MTSpeech2Text`'s, the one
``python -m espnet_mtasr.bin.mtasr_inference`` runs, so both give the same text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, List, Optional, Union

import numpy as np
import torch
from typeguard import typechecked

from espnet_mtasr.inference.mt_speech2text import MTSpeech2Text
from espnet_mtasr.inference.multi_talker_result import MultiTalkerResult
from espnet_mtasr.text.sot import SC, sot_parse
from espnet_mtasr.text.speaker_tags import (
    UNKNOWN_SPEAKER,
    spk_tag,
    spk_tag_parse,
    spk_tag_streams,
)
from espnet_mtasr.utils.errors import MTASRInputError

TEXT_FORMATS = ("sot", "spk_tag")
_SPK_TAG_RE = re.compile(r"<spk[1-9][0-9]*>")


def _check_text_format(text_format: Optional[str]) -> None:
    if text_format is not None and text_format not in TEXT_FORMATS:
        raise MTASRInputError(
            f"text_format {text_format!r} is unknown; valid: {', '.join(TEXT_FORMATS)}"
        )


class MultiTalkerSpeech2Text:
    """Decode speech with a trained or packed ``espnet_mtasr`` model, per talker.

    Example (with a packed model; not run as a doctest)::

        import soundfile
        s2t = MultiTalkerSpeech2Text.from_pretrained("exp/asr/model.zip", beam_size=10)
        speech, rate = soundfile.read("mix.wav")
        result = s2t(speech, fs=rate)
        result.streams    # ["hello there", "good morning"]
        result.sot_text   # "hello there <sc> good morning"

    Args:
        asr_train_config: the training ``config.yaml`` (default: next to the model file).
        asr_model_file: the trained state dict (``*.pth``).
        text_format: how the output text is split into talkers: ``sot`` (at ``<sc>``) or
            ``spk_tag`` (by ``<spkN>`` tag, as ``sa_llm`` or a model trained on
            ``text_spktag`` writes); default: ``spk_tag`` for a hypothesis holding a
            speaker tag, else ``sot``.
        decode_opts: the decoding options of
            :class:`~espnet_mtasr.inference.mt_speech2text.MTSpeech2Text` (``device``,
            ``dtype``, ``beam_size``, ``ctc_weight``, ``penalty``, ``maxlenratio``,
            ``minlenratio``, ``normalize_length``, LLM families' ``maxlen_base``,
            ``maxlen_per_second``, ``length_penalty``, ``repeat_*``; the same as
            ``mtasr_inference``'s options and defaults); only the best hypothesis is kept.
    """

    @typechecked
    def __init__(
        self,
        asr_train_config: Union[Path, str, None] = None,
        asr_model_file: Union[Path, str, None] = None,
        text_format: Optional[str] = None,
        **decode_opts: Any,
    ):
        _check_text_format(text_format)
        self._init(MTSpeech2Text(asr_train_config, asr_model_file, **decode_opts), text_format)

    def _init(self, speech2text: MTSpeech2Text, text_format: Optional[str]) -> None:
        self.speech2text = speech2text
        self.text_format = text_format

    @classmethod
    @typechecked
    def from_pretrained(
        cls,
        model_file: Union[Path, str],
        unpack_dir: Union[Path, str, None] = None,
        text_format: Optional[str] = None,
        **decode_opts: Any,
    ) -> MultiTalkerSpeech2Text:
        """Load a packed model from local files; nothing is downloaded.

        Args:
            model_file: a packed model: the ``.zip`` of ``mtasr_pack`` (stage 14) or
                ``espnet2.bin.pack asr``, its unpacked folder, or the Hugging Face-style
                folder of ``mtasr_pack --hf_dir`` (e.g. a local copy of a Hub repo).
            unpack_dir: where to unpack a ``.zip`` (default: a temporary directory kept
                while this object lives).
            text_format: see the class.
            decode_opts: see the class.

        Raises:
            MTASRInputError: ``model_file`` is not a local file or folder (a Hub name,
                say), or not a packed model.
        """
        _check_text_format(text_format)
        path = Path(model_file)
        if not path.exists():
            raise MTASRInputError(
                "no such local file or folder; from_pretrained reads local models only "
                "and downloads nothing",
                path=path,
                fix="give a packed .zip or its folder (a Hub repo: download it first, "
                "e.g. `huggingface-cli download <repo> --local-dir <dir>`, then pass <dir>)",
            )
        self = cls.__new__(cls)
        self._init(MTSpeech2Text.from_packed(path, unpack_dir, **decode_opts), text_format)
        return self

    @property
    def fs(self) -> Optional[int]:
        """The sample rate the model takes (``None``: it has no waveform frontend)."""
        return self.speech2text.fs

    @typechecked
    def __call__(
        self, speech: Union[np.ndarray, torch.Tensor], fs: Optional[int] = None
    ) -> MultiTalkerResult:
        """Decode one utterance.

        Args:
            speech: the mixture's waveform, ``(T,)`` samples (or ``(T, 1)``).
            fs: its sample rate; checked against :attr:`fs` when given (no resampling).

        Returns:
            The best hypothesis, split per talker.

        Raises:
            MTASRInputError: not mono, or not at the model's sample rate.
        """
        speech = self.speech2text.check_speech(speech, fs)
        return self.result(self.speech2text(speech)[0])

    def decode_file(self, wav: Union[Path, str]) -> MultiTalkerResult:
        """Decode a mono sound file at :attr:`fs` (what ``mtasr_inference --wav`` reads)."""
        speech, rate = self.speech2text.read_sound_file(wav)
        return self.result(self.speech2text(self.speech2text.check_speech(speech, rate, wav))[0])

    def decode_batch(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> List[MultiTalkerResult]:
        """Decode a padded batch: ``(B, T_max)`` waveforms, ``(B,)`` lengths -> B results
        (each as decoded alone)."""
        return [
            self.result(nbest[0]) for nbest in self.speech2text.decode_batch(speech, speech_lengths)
        ]

    def result(self, best: Any) -> MultiTalkerResult:
        """A :class:`MultiTalkerResult` from one ``(text, tokens, token_ids, hypothesis)``
        of :class:`~espnet_mtasr.inference.mt_speech2text.MTSpeech2Text`."""
        text, tokens, token_ids, hyp = best
        text = text if text is not None else " ".join(tokens)
        speaker_tags = None
        s2t = self.speech2text
        outputs = s2t.render_outputs(hyp)
        present = [spec for spec in s2t.outputs if spec.name in outputs]
        count = next((int(outputs[s.name]) for s in present if s.kind == "count"), None)
        draft = next((outputs[s.name] for s in present if s.kind == "streams"), None)
        if getattr(hyp, "streams", None) is not None:  # the family's own (encoder_only)
            streams = s2t.stream_texts(hyp.streams)  # empty ones kept
            talker_count = len(streams) if count is None else count
        elif self.text_format == "spk_tag" or (
            self.text_format is None and _SPK_TAG_RE.search(text) is not None
        ):  # streams by speaker, untagged words last
            streams = spk_tag_streams(text, strict=False)
            speakers = {k for k, _ in spk_tag_parse(text, strict=False)}
            speaker_tags = [spk_tag(k) for k in sorted(speakers - {UNKNOWN_SPEAKER})]
            speaker_tags += [""] if UNKNOWN_SPEAKER in speakers else []
            talker_count = len(streams)
        else:
            streams = sot_parse(text)
            talker_count = len(streams)
        return MultiTalkerResult(
            text=text,
            streams=streams,
            sot_text=f" {SC} ".join(" ".join(s.split()) for s in streams if s.strip()),
            talker_count=talker_count,
            tokens=list(tokens),
            token_ids=list(token_ids),
            score=float(hyp.score) if hyp is not None else 0.0,
            speaker_tags=speaker_tags,
            draft=draft,
            outputs=outputs,
        )
