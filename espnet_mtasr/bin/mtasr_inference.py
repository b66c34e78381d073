#!/usr/bin/env python3
"""Multi-talker ASR decoding, following ``espnet2.bin.asr_inference``'s conventions.

The model is rebuilt through :class:`~espnet_mtasr.tasks.mtasr.MTASRTask` (so the plugin's
classes are known) from a training config + model file, or from an ESPnet packed model
(``espnet2.bin.pack asr ...`` zip). Decoding is ESPnet's joint CTC/attention beam search
(``BatchBeamSearch``); the output keeps the speaker-change token ``<sc>``.

Data-dir mode (the recipe's decoding stage; one job of a split key list)::

    python -m espnet_mtasr.bin.mtasr_inference --config conf/decode_sot.yaml \\
        --asr_train_config exp/asr/config.yaml --asr_model_file exp/asr/valid.acc.ave.pth \\
        --data_path_and_name_and_type dump/raw/test/wav.scp,speech,sound \\
        --key_file logdir/keys.1.scp --batch_size 4 --ngpu 0 --output_dir logdir/output.1

writes ``output_dir/1best_recog/{text,token,token_int,score}`` (``<utt> <value>`` lines;
``Nbest_recog`` for ``--nbest N``) and ``output_dir/rtf`` (``<utt> <audio seconds>
<decoding seconds>`` lines: the real-time factor is the ratio of the column sums).
Single-file mode prints the ``<sc>``-joined text::

    python -m espnet_mtasr.bin.mtasr_inference --model_file exp/asr/model.zip --wav foo.wav
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import humanfriendly
import numpy as np
import torch
import yaml
from espnet2.fileio.datadir_writer import DatadirWriter
from espnet2.main_funcs.pack_funcs import unpack
from espnet2.text.build_tokenizer import build_tokenizer
from espnet2.text.token_id_converter import TokenIDConverter
from espnet2.torch_utils.device_funcs import to_device
from espnet2.torch_utils.set_all_random_seed import set_all_random_seed
from espnet2.utils import config_argparse
from espnet2.utils.get_default_kwargs import get_default_kwargs
from espnet2.utils.types import str2bool, str2triple_str, str_or_none
from typeguard import typechecked

from espnet_mtasr.asr.decoder.hf_llm_decoder import HFLLMDecoder
from espnet_mtasr.models.sop_llm_model import join_streams
from espnet_mtasr.tasks.mtasr import MTASRTask, frontend_choices
from espnet_mtasr.utils.errors import MTASRInputError, exit_on_input_error
from espnet_mtasr.utils.fileio import atomic_dir

logger = logging.getLogger(__name__)

# (text, tokens, token ids, hypothesis) for each of the n best, as ESPnet's Speech2Text.
NBestList = List[Tuple[Optional[str], List[str], List[int], Any]]

PACKED_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz")


def _is_packed(path: Union[str, Path]) -> bool:
    return str(path).endswith(PACKED_SUFFIXES)


def _expected_fs(train_args: argparse.Namespace) -> Optional[int]:
    """The sample rate the model's frontend was built for (``None``: no frontend)."""
    name = getattr(train_args, "frontend", None)
    if name is None:
        return None
    conf = dict(getattr(train_args, "frontend_conf", None) or {})
    fs = conf.get("fs", get_default_kwargs(frontend_choices.get_class(name)).get("fs"))
    if fs is None:
        return None
    return int(humanfriendly.parse_size(fs)) if isinstance(fs, str) else int(fs)


def _check_config_files(config: Path, train_args: Dict[str, Any]) -> None:
    """Files the model build reads must exist (a pack made without ``--option``)."""
    stats = (train_args.get("normalize_conf") or {}).get("stats_file")
    if train_args.get("normalize") == "global_mvn" and stats and not Path(stats).is_file():
        raise MTASRInputError(
            f"normalize_conf.stats_file {stats} not found",
            path=config,
            fix="pack the model with --option <asr_stats_dir>/train/feats_stats.npz",
        )


class LLMHypothesis(NamedTuple):
    """The result of LLM decoding: token ids (no EOS), their log-probability and, for an
    ``sop_llm`` model, the SOP draft (talker streams joined by ``<sc>``)."""

    yseq: List[int]
    score: float
    sop: Optional[str] = None


class StreamHypothesis(NamedTuple):
    """The result of CTC-only stream decoding (``encoder_only``): the ``<sc>``-joined
    token ids, each talker stream's text (start-time order) and the talker count that
    routed the decoding."""

    yseq: List[int]
    score: float
    streams: List[str]
    talker_count: int


def _point_bpemodel_folder_at(config: Path, unpack_dir: Path) -> None:
    """Rewrite an unpacked config's relative ``bpemodel`` folder to its unpacked copy.

    ESPnet's ``unpack`` rewrites the config's paths of packed *files*; a HF tokenizer
    (``token_type: hugging_face``) is a folder, so its path is left relative to the
    recipe that packed it.
    """
    with config.open(encoding="utf-8") as f:
        conf = yaml.safe_load(f) or {}
    bpemodel = conf.get("bpemodel")
    if not bpemodel or Path(bpemodel).is_absolute() or not (unpack_dir / bpemodel).is_dir():
        return
    conf["bpemodel"] = str(unpack_dir / bpemodel)
    with config.open("w", encoding="utf-8") as f:
        yaml.safe_dump(conf, f, allow_unicode=True)


class MTSpeech2Text:
    """Decode speech with an MTASRTask model: ESPnet's ``Speech2Text`` conventions.

    Examples:
        >>> s2t = MTSpeech2Text("exp/asr/config.yaml", "exp/asr/valid.acc.ave.pth")
        >>> audio, rate = soundfile.read("mix.wav")
        >>> text, tokens, token_ids, hyp = s2t(audio)[0]   # "hello <sc> good morning"
        >>> s2t = MTSpeech2Text.from_packed("exp/asr/model.zip")

    Args:
        asr_train_config: the training ``config.yaml`` (default: next to the model file).
        asr_model_file: the trained state dict (``*.pth``); loaded strictly.
        token_type: ``char``/``bpe``/... for detokenising (default: the training one).
        bpemodel: sentencepiece model (default: the training one).
        device: ``cpu``, ``cuda`` or ``cuda:N``.
        dtype: ``float32``, ``float16`` or ``float64``.
        beam_size: beam width.
        ctc_weight: CTC prefix-score weight; the decoder gets ``1 - ctc_weight``.
        penalty: length bonus per token (insertion penalty if negative).
        maxlenratio: max output length / encoder length; 0 = end detection;
            negative = a constant max length of ``-maxlenratio``.
        minlenratio: min output length / encoder length.
        nbest: hypotheses returned per utterance.
        normalize_length: pick the best hypothesis by length-normalised score.
        maxlen_base / maxlen_per_second: LLM families only: output budget per utterance,
            ``maxlen_base + maxlen_per_second * seconds`` tokens.
        length_penalty: LLM families only: score bonus per output token.
        repeat_max_period / repeat_min_count: LLM families only: the repetition guard
            (a hypothesis ending in a block of up to ``repeat_max_period`` tokens repeated
            ``repeat_min_count`` times ends, cut back to one copy).

    A model with an LLM decoder (``decoder: hf_llm``) is decoded by its own batched
    greedy / beam search with a KV cache (``beam_size``; ``ctc_weight``, ``penalty``,
    ``maxlenratio``, ``minlenratio`` and ``normalize_length`` do not apply; ``nbest`` 1).
    A model with talker streams of its own (``encoder_only``: ``decode_streams``) is
    decoded batched, CTC only (greedy per stream, routed by its talker-count head; the
    search options do not apply).
    """

    @typechecked
    def __init__(
        self,
        asr_train_config: Union[Path, str, None] = None,
        asr_model_file: Union[Path, str, None] = None,
        token_type: Optional[str] = None,
        bpemodel: Optional[str] = None,
        device: str = "cpu",
        dtype: str = "float32",
        beam_size: int = 20,
        ctc_weight: float = 0.5,
        penalty: float = 0.0,
        maxlenratio: float = 0.0,
        minlenratio: float = 0.0,
        nbest: int = 1,
        normalize_length: bool = False,
        maxlen_base: int = 10,
        maxlen_per_second: float = 10.0,
        length_penalty: float = 0.0,
        repeat_max_period: int = 8,
        repeat_min_count: int = 4,
    ):
        from espnet.nets.batch_beam_search import BatchBeamSearch
        from espnet.nets.beam_search import BeamSearch
        from espnet.nets.scorer_interface import BatchScorerInterface
        from espnet.nets.scorers.ctc import CTCPrefixScorer
        from espnet.nets.scorers.length_bonus import LengthBonus

        if not 0.0 <= ctc_weight <= 1.0:
            raise MTASRInputError(f"--ctc_weight must be in [0, 1], not {ctc_weight}")
        if beam_size < 1 or nbest < 1:
            raise MTASRInputError("--beam_size and --nbest must be >= 1")

        # 1. Model, rebuilt through MTASRTask, weights loaded strictly
        model, train_args = self._load_model(asr_train_config, asr_model_file, device)
        model.to(dtype=getattr(torch, dtype)).eval()
        self.asr_model = model
        self.asr_train_args = train_args
        self.device = device
        self.dtype = dtype
        self.nbest = nbest
        self.fs = _expected_fs(train_args)
        self._unpacked: Optional[tempfile.TemporaryDirectory] = None
        self.converter = TokenIDConverter(token_list=list(model.token_list))
        self.llm_options: Optional[Dict[str, Any]] = None
        self.stream_decoding = callable(getattr(model, "decode_streams", None))
        if self.stream_decoding:
            if nbest != 1:
                raise MTASRInputError("--nbest: CTC stream decoding returns one hypothesis")
            self.beam_search = None
            self.tokenizer = _text_tokenizer(token_type, bpemodel, train_args)
            logger.info("CTC-only stream decoding, routed by the talker-count head")
            return
        if isinstance(getattr(model, "decoder", None), HFLLMDecoder):
            if nbest != 1:
                raise MTASRInputError("--nbest: LLM decoding returns the best hypothesis only")
            self.llm_options = dict(
                beam_size=beam_size,
                maxlen_base=maxlen_base,
                maxlen_per_second=maxlen_per_second,
                length_penalty=length_penalty,
                repeat_max_period=repeat_max_period,
                repeat_min_count=repeat_min_count,
            )
            self.beam_search = None
            self.tokenizer = None
            logger.info(f"LLM decoding: {self.llm_options}")
            return
        for attr in ("encode", "ctc", "sos", "eos", "token_list"):
            if not hasattr(model, attr):
                raise MTASRInputError(
                    f"--model {getattr(train_args, 'model', '?')} has no {attr!r}: "
                    "joint CTC/attention beam search cannot decode it"
                )
        if model.decoder is None and ctc_weight < 1.0:
            raise MTASRInputError(
                "the model has no attention decoder", fix="decode with --ctc_weight 1.0"
            )
        token_list = list(model.token_list)

        # 2. Beam search: decoder + CTC prefix scorer + length bonus
        scorers = dict(
            decoder=model.decoder,
            ctc=CTCPrefixScorer(ctc=model.ctc, eos=model.eos),
            length_bonus=LengthBonus(len(token_list)),
        )
        weights = dict(decoder=1.0 - ctc_weight, ctc=ctc_weight, length_bonus=penalty)
        beam_search = BeamSearch(
            scorers=scorers,
            weights=weights,
            beam_size=beam_size,
            vocab_size=len(token_list),
            sos=model.sos,
            eos=model.eos,
            token_list=token_list,
            pre_beam_score_key=None if ctc_weight == 1.0 else "full",
            normalize_length=normalize_length,
        )
        if all(isinstance(s, BatchScorerInterface) for s in beam_search.full_scorers.values()):
            # Batched over hypotheses (not over utterances): one utterance at a time.
            beam_search.__class__ = BatchBeamSearch
        beam_search.to(device=device, dtype=getattr(torch, dtype)).eval()
        logger.info(f"Beam search: {type(beam_search).__name__}, weights {weights}")

        # 3. Token ids -> text; <sc> is a token of its own and comes out verbatim
        self.beam_search = beam_search
        self.tokenizer = _text_tokenizer(token_type, bpemodel, train_args)
        self.maxlenratio = maxlenratio
        self.minlenratio = minlenratio

    @property
    def batched(self) -> bool:
        """Whether :meth:`decode_batch` decodes a batch in one pass (LLM and CTC stream
        decoding) rather than one utterance at a time (ESPnet's beam search)."""
        return self.llm_options is not None or self.stream_decoding

    @staticmethod
    def _load_model(
        config: Union[Path, str, None], model_file: Union[Path, str, None], device: str
    ) -> Tuple[torch.nn.Module, argparse.Namespace]:
        import yaml

        if model_file is None:
            raise MTASRInputError(
                "no model given", fix="pass --asr_model_file (and --asr_train_config)"
            )
        model_file = Path(model_file)
        config = Path(config) if config is not None else model_file.parent / "config.yaml"
        for path, option in ((config, "--asr_train_config"), (model_file, "--asr_model_file")):
            if not path.is_file():
                raise MTASRInputError(f"{option} file not found", path=path)
        with config.open(encoding="utf-8") as f:
            _check_config_files(config, yaml.safe_load(f))
        model, train_args = MTASRTask.build_model_from_file(config, None, device)
        # ESPnet loads with strict=False; a mismatch here means the wrong config/model.
        state = torch.load(model_file, map_location=device, weights_only=True)
        if "module" in state and isinstance(state["module"], dict):  # deepspeed
            state = state["module"]
        fix = f"pass the config.yaml it was trained with (not {config})"
        try:
            missing, unexpected = model.load_state_dict(state, strict=False)
        except RuntimeError as e:  # size mismatches
            first = str(e).strip().splitlines()[1:2] or [str(e)]
            raise MTASRInputError(
                f"model file does not match the config: {first[0].strip()}",
                path=model_file,
                fix=fix,
            ) from e
        if missing or unexpected:
            raise MTASRInputError(
                f"model file does not match the config: missing {list(missing)[:5]}, "
                f"unexpected {list(unexpected)[:5]}",
                path=model_file,
                fix=fix,
            )
        return model, train_args

    @classmethod
    def from_packed(
        cls, model_file: Union[Path, str], unpack_dir: Union[Path, str, None] = None, **kwargs
    ) -> MTSpeech2Text:
        """Build from an ESPnet packed model (``python -m espnet2.bin.pack asr ...``).

        Args:
            model_file: the archive (``.zip``, ``.tar.gz``, ...).
            unpack_dir: where to unpack (reused if already unpacked there); default a
                temporary directory removed with this object.
            kwargs: the other :class:`MTSpeech2Text` arguments.
        """
        model_file = Path(model_file)
        if not model_file.is_file():
            raise MTASRInputError("packed model not found", path=model_file)
        if not _is_packed(model_file):
            raise MTASRInputError(
                f"--model_file expects a packed model ({', '.join(PACKED_SUFFIXES)})",
                path=model_file,
                fix="for a .pth state dict use --asr_model_file/--asr_train_config",
            )
        tmp = None
        if unpack_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix="mtasr_unpacked_")
            unpack_dir = tmp.name
        files = unpack(model_file, Path(unpack_dir).resolve())
        if "asr_model_file" not in files:
            raise MTASRInputError(
                "packed model has no asr_model_file",
                path=model_file,
                fix="pack it with `python -m espnet2.bin.pack asr --asr_model_file ...`",
            )
        if files.get("asr_train_config"):
            _point_bpemodel_folder_at(Path(files["asr_train_config"]), Path(unpack_dir).resolve())
        self = cls(
            asr_train_config=files.get("asr_train_config"),
            asr_model_file=files["asr_model_file"],
            **kwargs,
        )
        self._unpacked = tmp  # the bpe model is read lazily: keep the files around
        return self

    @torch.no_grad()
    def __call__(self, speech: Union[torch.Tensor, np.ndarray]) -> NBestList:
        """Decode one utterance.

        Args:
            speech: the waveform, ``(T,)`` samples at :attr:`fs`.

        Returns:
            The ``nbest`` best ``(text, tokens, token_ids, hypothesis)``, best first;
            ``text`` keeps ``<sc>`` between talkers (``None`` without a tokenizer).
        """
        if isinstance(speech, np.ndarray):
            speech = torch.tensor(speech)
        speech = speech.unsqueeze(0).to(getattr(torch, self.dtype))  # (1, T)
        lengths = speech.new_full([1], dtype=torch.long, fill_value=speech.size(1))
        if self.batched:
            return self.decode_batch(speech, lengths)[0]
        batch = to_device({"speech": speech, "speech_lengths": lengths}, device=self.device)
        enc, _ = self.asr_model.encode(**batch)  # (1, T_enc, D_enc)
        if isinstance(enc, tuple):  # intermediate CTC outputs
            enc = enc[0]
        hyps = self.beam_search(
            x=enc[0], maxlenratio=self.maxlenratio, minlenratio=self.minlenratio
        )
        return [self._to_result(hyp) for hyp in hyps[: self.nbest]]

    def decode_batch(self, speech: torch.Tensor, speech_lengths: torch.Tensor) -> List[NBestList]:
        """Decode a padded batch, one utterance at a time (exactly as unbatched).

        ESPnet's attention beam search is per utterance; each utterance is also encoded
        alone, without its padding, so results do not depend on the batch.

        Args:
            speech: ``(B, T_max)`` padded waveforms.
            speech_lengths: ``(B,)`` samples per utterance.

        Returns:
            One n-best list per utterance, in batch order.
        """
        if self.stream_decoding:
            return self._decode_streams(speech, speech_lengths)
        if self.llm_options is not None:
            return self._decode_llm(speech, speech_lengths)
        return [self(speech[b, : int(speech_lengths[b])]) for b in range(speech.size(0))]

    def _decode_streams(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> List[NBestList]:
        """One batched CTC pass with talker-count routing: ``(B, T)`` -> B one-best lists;
        the text joins the non-empty streams with ``<sc>``."""
        speech = speech.to(device=self.device, dtype=getattr(torch, self.dtype))
        streams, counts = self.asr_model.decode_streams(speech, speech_lengths.to(self.device))
        sc_id = self.asr_model.sc_id
        out: List[NBestList] = []
        for ids, count in zip(streams, counts.tolist()):
            texts = [self._detok(s) for s in ids]
            joined = join_streams(ids, sc_id)
            hyp = StreamHypothesis(yseq=joined, score=0.0, streams=texts, talker_count=count)
            text = " <sc> ".join(t for t in texts if t)
            out.append([(text, self.converter.ids2tokens(joined), joined, hyp)])
        return out

    def _detok(self, ids: List[int]) -> str:
        tokens = self.converter.ids2tokens(ids)
        if self.tokenizer is None:
            return " ".join(tokens)
        return " ".join(self.tokenizer.tokens2text(tokens).split())

    def _decode_llm(self, speech: torch.Tensor, speech_lengths: torch.Tensor) -> List[NBestList]:
        """One batched LLM decoding pass (KV cache): ``(B, T)`` -> B one-best lists."""
        assert self.llm_options is not None
        batch = to_device(
            {"speech": speech.to(getattr(torch, self.dtype)), "speech_lengths": speech_lengths},
            device=self.device,
        )
        tokenizer = self.asr_model.decoder.tokenizer

        def detok(ids: List[int]) -> str:
            # <sc> / speaker tags are ordinary (non-special) tokens: they stay in the text
            text = tokenizer.decode(ids, skip_special_tokens=True)
            return " ".join(text.replace("\n", " ").split())

        best, drafts = self.asr_model.decode_with_draft(
            batch["speech"], batch["speech_lengths"], **self.llm_options
        )
        sops: List[Optional[str]] = [None] * len(best)
        if drafts is not None:  # sop_llm: keep the SOP draft (streams joined by <sc>)
            sops = [" <sc> ".join(detok(s) for s in streams if s) for streams in drafts]
        out: List[NBestList] = []
        for (ids, score), sop in zip(best, sops):
            hyp = LLMHypothesis(yseq=list(ids), score=score, sop=sop)
            out.append([(detok(ids), self.converter.ids2tokens(ids), list(ids), hyp)])
        return out

    def _to_result(self, hyp: Any) -> Tuple[Optional[str], List[str], List[int], Any]:
        yseq = hyp.yseq.tolist() if isinstance(hyp.yseq, torch.Tensor) else list(hyp.yseq)
        token_int = [t for t in yseq[1:-1] if t != self.asr_model.blank_id]  # no sos/eos
        token = self.converter.ids2tokens(token_int)
        text = None if self.tokenizer is None else self.tokenizer.tokens2text(token)
        return text, token, token_int, hyp

    @typechecked
    def recognize_file(self, wav: Union[Path, str]) -> str:
        """Decode a sound file; return the best ``<sc>``-joined text.

        Raises:
            MTASRInputError: the file is missing, not mono, or not at :attr:`fs`.
        """
        import soundfile

        wav = Path(wav)
        if not wav.is_file():
            raise MTASRInputError("sound file not found", path=wav)
        audio, rate = soundfile.read(wav, dtype="float32")
        if self.fs is not None and rate != self.fs:
            raise MTASRInputError(
                f"sample rate is {rate} Hz, but the model expects {self.fs} Hz",
                path=wav,
                fix=f"resample it, e.g. `sox {wav} -r {self.fs} out.wav`",
            )
        if audio.ndim != 1:
            raise MTASRInputError(
                f"has {audio.shape[1]} channels; the model takes mono",
                path=wav,
                fix=f"e.g. `sox {wav} out.wav remix 1`",
            )
        text, token, _, _ = self(audio)[0]
        return text if text is not None else " ".join(token)


def _text_tokenizer(
    token_type: Optional[str], bpemodel: Optional[str], train_args: argparse.Namespace
) -> Optional[Any]:
    """ESPnet's tokenizer that turns token ids back into text (default: the training
    ``token_type`` / ``bpemodel``); ``None`` without a token type."""
    token_type = token_type or train_args.token_type
    bpemodel = bpemodel or getattr(train_args, "bpemodel", None)
    if token_type is None:
        return None
    if token_type in ("bpe", "hugging_face"):
        kind = Path.is_file if token_type == "bpe" else Path.is_dir
        if bpemodel is None or not kind(Path(bpemodel)):
            raise MTASRInputError(
                f"--bpemodel {bpemodel} not found (token_type {token_type})",
                fix="pack the model with --option <token_list_dir>/bpe.model, or pass "
                "--bpemodel (hugging_face: the tokenizer folder)",
            )
        return build_tokenizer(token_type=token_type, bpemodel=bpemodel)
    return build_tokenizer(token_type=token_type)


@typechecked
def _write_results(writer: DatadirWriter, key: str, results: NBestList) -> None:
    for n, (text, token, token_int, hyp) in enumerate(results, 1):
        w = writer[f"{n}best_recog"]
        w["token"][key] = " ".join(token)
        w["token_int"][key] = " ".join(map(str, token_int))
        w["score"][key] = str(float(hyp.score) if hyp is not None else 0.0)
        if text is not None:
            w["text"][key] = text
        sop = getattr(hyp, "sop", None)
        if sop is not None:  # sop_llm: the serialized-CTC draft that prompted the LLM
            w["sop_text"][key] = sop
        if isinstance(hyp, StreamHypothesis):  # encoder_only: each stream, the routing count
            w["talker_count"][key] = str(hyp.talker_count)
            for s, stream in enumerate(hyp.streams, 1):
                w[f"text_spk{s}"][key] = stream


def inference(
    speech2text: MTSpeech2Text,
    output_dir: Union[Path, str],
    data_path_and_name_and_type: Sequence[Tuple[str, str, str]],
    key_file: Optional[str] = None,
    batch_size: int = 1,
    num_workers: int = 0,
    allow_variable_data_keys: bool = False,
) -> None:
    """Decode a data dir into ``output_dir/{n}best_recog/{text,token,token_int,score}``
    (and ``sop_text``, the SOP draft, for an ``sop_llm`` model; ``talker_count`` and
    ``text_spk1..c``, the predicted count and each stream, for an ``encoder_only`` one).

    Also writes ``output_dir/rtf``: ``<utt> <audio seconds> <decoding seconds>`` per
    utterance (audio seconds ``nan`` for a model without a waveform frontend). The output
    directory is written under a temporary name and renamed when complete.
    """
    from espnet.nets.pytorch_backend.transformer.subsampling import TooShortUttError

    if batch_size < 1:
        raise MTASRInputError(f"--batch_size must be >= 1, not {batch_size}")
    train_args = argparse.Namespace(**vars(speech2text.asr_train_args))
    train_args.token_type = None  # speech only: no text to tokenize in decoding
    loader = MTASRTask.build_streaming_iterator(
        data_path_and_name_and_type,
        dtype=speech2text.dtype,
        batch_size=batch_size,
        key_file=key_file,
        num_workers=num_workers,
        preprocess_fn=MTASRTask.build_preprocess_fn(train_args, False),
        collate_fn=MTASRTask.build_collate_fn(train_args, False),
        allow_variable_data_keys=allow_variable_data_keys,
        inference=True,
    )
    fs = speech2text.fs
    n_utts, audio_s, start, rtf_lines = 0, 0.0, time.perf_counter(), []
    with atomic_dir(output_dir) as tmp_dir, DatadirWriter(tmp_dir) as writer:
        for keys, batch in loader:
            speech, lengths = batch["speech"], batch["speech_lengths"]  # (B, T), (B,)
            if speech2text.batched:
                # one batched pass; each utterance is charged its share of the audio
                tic = time.perf_counter()
                batch_results = speech2text.decode_batch(speech, lengths)
                spent = time.perf_counter() - tic
                share = lengths.double() / lengths.double().sum()
            for b, key in enumerate(keys):
                if speech2text.batched:
                    results = batch_results[b]
                    elapsed = spent * float(share[b])
                else:
                    one = speech[b, : int(lengths[b])]
                    tic = time.perf_counter()
                    try:
                        results = speech2text(one)
                    except TooShortUttError as e:
                        logger.warning(f"{key}: too short to decode ({e}); empty hypothesis")
                        results = [("", [], [], None)]
                    elapsed = time.perf_counter() - tic
                seconds = int(lengths[b]) / fs if fs else float("nan")
                rtf_lines.append(f"{key} {seconds:.3f} {elapsed:.4f}\n")
                _write_results(writer, key, results)
                n_utts += 1
                audio_s += seconds if fs else 0.0
                logger.info(f"{key}: {results[0][0]}")
        (tmp_dir / "rtf").write_text("".join(rtf_lines), encoding="utf-8")
    elapsed = time.perf_counter() - start
    rtf = f", RTF {elapsed / audio_s:.3f}" if audio_s else ""
    logger.info(f"decoded {n_utts} utterances in {elapsed:.1f} s{rtf}")


def get_parser() -> config_argparse.ArgumentParser:
    parser = config_argparse.ArgumentParser(
        description="Multi-talker ASR decoding (ESPnet asr_inference conventions)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--log_level",
        type=lambda x: x.upper(),
        default="INFO",
        choices=("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG", "NOTSET"),
    )
    parser.add_argument("--output_dir", type=str_or_none, default=None)
    parser.add_argument("--ngpu", type=int, default=0, help="0: CPU; 1: one GPU")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dtype", default="float32", choices=["float16", "float32", "float64"])
    parser.add_argument("--num_workers", type=int, default=1)

    group = parser.add_argument_group("Input data related")
    group.add_argument(
        "--data_path_and_name_and_type", type=str2triple_str, action="append", default=[]
    )
    group.add_argument("--key_file", type=str_or_none)
    group.add_argument("--allow_variable_data_keys", type=str2bool, default=False)
    group.add_argument(
        "--wav",
        type=str,
        action="append",
        default=[],
        help="Decode these sound files and print the text (instead of a data dir)",
    )

    group = parser.add_argument_group("The model configuration related")
    group.add_argument("--asr_train_config", type=str_or_none, help="Training config.yaml")
    group.add_argument("--asr_model_file", type=str_or_none, help="Model state dict (.pth)")
    group.add_argument(
        "--model_file",
        type=str_or_none,
        help="ESPnet packed model (.zip), instead of --asr_train_config/--asr_model_file",
    )
    group.add_argument(
        "--unpack_dir",
        type=str_or_none,
        default=None,
        help="Where to unpack --model_file (default: a temporary directory)",
    )

    group = parser.add_argument_group("Beam-search related")
    group.add_argument("--batch_size", type=int, default=1, help="Utterances per batch")
    group.add_argument("--nbest", type=int, default=1, help="Output N-best hypotheses")
    group.add_argument("--beam_size", type=int, default=20, help="Beam size")
    group.add_argument("--penalty", type=float, default=0.0, help="Insertion penalty")
    group.add_argument(
        "--maxlenratio",
        type=float,
        default=0.0,
        help="Max output length / encoder length; 0: end detection; <0: constant length",
    )
    group.add_argument(
        "--minlenratio", type=float, default=0.0, help="Min output length / encoder length"
    )
    group.add_argument("--ctc_weight", type=float, default=0.5, help="CTC weight")
    group.add_argument("--normalize_length", type=str2bool, default=False)

    group = parser.add_argument_group("LLM decoding (decoder hf_llm; uses --beam_size)")
    group.add_argument("--maxlen_base", type=int, default=10, help="Output budget: constant")
    group.add_argument(
        "--maxlen_per_second", type=float, default=10.0, help="Output budget: per input second"
    )
    group.add_argument("--length_penalty", type=float, default=0.0, help="Bonus per token")
    group.add_argument("--repeat_max_period", type=int, default=8, help="Repetition guard")
    group.add_argument("--repeat_min_count", type=int, default=4, help="Repetition guard")

    group = parser.add_argument_group("Text converter related")
    group.add_argument(
        "--token_type",
        type=str_or_none,
        default=None,
        choices=["char", "bpe", "word", None],
        help="Default: the training config's",
    )
    group.add_argument(
        "--bpemodel", type=str_or_none, default=None, help="Default: the training config's"
    )
    return parser


@exit_on_input_error
def main(cmd: Optional[Sequence[str]] = None) -> None:
    parser = get_parser()
    args = parser.parse_args(cmd)
    logging.basicConfig(
        level=args.log_level,
        format="%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s",
    )
    if args.ngpu > 1:
        raise MTASRInputError("--ngpu: only single-GPU decoding is supported")
    if args.model_file is not None and (args.asr_train_config or args.asr_model_file):
        raise MTASRInputError(
            "--model_file (packed) and --asr_train_config/--asr_model_file are exclusive"
        )
    if args.model_file is None and args.asr_model_file is None:
        raise MTASRInputError("no model given", fix="pass --model_file or --asr_model_file")
    if not args.wav and (not args.data_path_and_name_and_type or not args.output_dir):
        raise MTASRInputError(
            "nothing to decode",
            fix="pass --data_path_and_name_and_type and --output_dir, or --wav",
        )
    set_all_random_seed(args.seed)
    kwargs = dict(
        token_type=args.token_type,
        bpemodel=args.bpemodel,
        device="cuda" if args.ngpu >= 1 else "cpu",
        dtype=args.dtype,
        beam_size=args.beam_size,
        ctc_weight=args.ctc_weight,
        penalty=args.penalty,
        maxlenratio=args.maxlenratio,
        minlenratio=args.minlenratio,
        nbest=args.nbest,
        normalize_length=args.normalize_length,
        maxlen_base=args.maxlen_base,
        maxlen_per_second=args.maxlen_per_second,
        length_penalty=args.length_penalty,
        repeat_max_period=args.repeat_max_period,
        repeat_min_count=args.repeat_min_count,
    )
    if args.model_file is not None:
        speech2text = MTSpeech2Text.from_packed(args.model_file, args.unpack_dir, **kwargs)
    else:
        speech2text = MTSpeech2Text(args.asr_train_config, args.asr_model_file, **kwargs)

    for wav in args.wav:
        text = speech2text.recognize_file(wav)
        print(text if len(args.wav) == 1 else f"{wav} {text}", flush=True)
    if args.data_path_and_name_and_type:
        if not args.output_dir:
            raise MTASRInputError("--output_dir is required with --data_path_and_name_and_type")
        inference(
            speech2text,
            output_dir=args.output_dir,
            data_path_and_name_and_type=args.data_path_and_name_and_type,
            key_file=args.key_file,
            batch_size=args.batch_size,
            num_workers=args.num_workers,
            allow_variable_data_keys=args.allow_variable_data_keys,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
