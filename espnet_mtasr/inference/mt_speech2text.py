"""Speech2Text-style decoding of an MTASRTask model (every model family).

:class:`MTSpeech2Text` follows ``espnet2.bin.asr_inference.Speech2Text``: built from a
training config + model file (or a packed model: an ESPnet archive, or its unpacked /
Hugging Face-style folder), called on one waveform, it returns the n best
``(text, tokens, token_ids, hypothesis)``. The model is rebuilt through
:class:`~espnet_mtasr.tasks.mtasr.MTASRTask` (so the plugin's classes are known);
``python -m espnet_mtasr.bin.mtasr_inference`` is its command line and
:class:`~espnet_mtasr.inference.multi_talker_speech2text.MultiTalkerSpeech2Text` its
per-talker result API.
"""

from __future__ import annotations

import argparse
import logging
import pickle
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import humanfriendly
import numpy as np
import torch
import yaml
from espnet2.main_funcs.pack_funcs import unpack
from espnet2.text.build_tokenizer import build_tokenizer
from espnet2.text.token_id_converter import TokenIDConverter
from espnet2.utils.get_default_kwargs import get_default_kwargs
from typeguard import typechecked

from espnet_mtasr.inference.espnet_beam_search import ESPnetBeamSearch
from espnet_mtasr.inference.model_folder import unpack_folder
from espnet_mtasr.models.abs_mtasr_model import AbsMTASRModel
from espnet_mtasr.models.decoding_options import DecodingOptions
from espnet_mtasr.models.family_hypothesis import FamilyHypothesis
from espnet_mtasr.models.output_spec import OutputSpec
from espnet_mtasr.tasks.mtasr import MTASRTask, frontend_choices
from espnet_mtasr.text.sot import SC, normalize_whitespace
from espnet_mtasr.utils.errors import MTASRInputError

logger = logging.getLogger(__name__)

# (text, tokens, token ids, hypothesis) for each of the n best, as ESPnet's Speech2Text.
NBestList = List[Tuple[Optional[str], List[str], List[int], Any]]

_DEFAULTS = DecodingOptions()  # the defaults of every decoding option

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


def min_input_samples(model: torch.nn.Module) -> Optional[Tuple[int, str]]:
    """The fewest samples the model's STFT front-end + encoder subsampling can decode.

    ``(samples, how)``: with the front-end's ``hop_length``/``n_fft``/``center`` and the
    frames ESPnet's ``check_short_utt`` requires of the encoder's input layer (e.g. 7
    for ``conv2d``): ``max((frames - 1) * hop, n_fft // 2 + 1)`` samples with centered
    frames (reflect padding needs more than ``n_fft // 2``), ``n_fft + (frames - 1) * hop``
    without. ``None`` for a front-end without an STFT (then ESPnet's ``TooShortUttError``
    at decoding time is the check).
    """
    from espnet_mtasr.utils.espnet_compat import check_short_utt

    stft = getattr(getattr(model, "frontend", None), "stft", None)
    hop, n_fft = getattr(stft, "hop_length", None), getattr(stft, "n_fft", None)
    if not isinstance(hop, int) or not isinstance(n_fft, int):
        return None
    embed = getattr(getattr(model, "encoder", None), "embed", None)
    frames = 1
    if embed is not None:
        frames = next(n for n in range(1, 1000) if not check_short_utt(embed, n)[0])
    if getattr(stft, "center", True):
        samples = max((frames - 1) * hop, n_fft // 2 + 1)
    else:
        samples = n_fft + (frames - 1) * hop
    layer = type(embed).__name__ if embed is not None else "encoder"
    return samples, f"{frames} frames of hop {hop} (n_fft {n_fft}) for its {layer}"


def _open_sound_file(
    open_it: Callable[[], Any],
    wav: Path,
    where: Union[Path, str],
    line: Optional[int] = None,
    prefix: str = "",
) -> Any:
    """``open_it()`` (a soundfile call on ``wav``), with a missing or unreadable ``wav`` as
    an :class:`MTASRInputError` (``where``/``line``/``prefix``: where, for the message)."""
    import soundfile

    if not wav.is_file():
        raise MTASRInputError(f"{prefix}sound file not found", path=where, line=line)
    try:
        return open_it()
    except (RuntimeError, getattr(soundfile, "SoundFileError", RuntimeError)) as e:
        why = getattr(e, "error_string", None) or type(e).__name__
        raise MTASRInputError(
            f"{prefix}not a readable sound file (libsndfile: {why})",
            path=where,
            line=line,
            fix="pass a wav/flac file (soundfile must be able to open it)",
        ) from None


def _check_config_files(config: Path, train_args: Dict[str, Any]) -> None:
    """Files the model build reads must exist (a pack made without ``--option``)."""
    stats = (train_args.get("normalize_conf") or {}).get("stats_file")
    if train_args.get("normalize") == "global_mvn" and stats and not Path(stats).is_file():
        raise MTASRInputError(
            f"normalize_conf.stats_file {stats} not found",
            path=config,
            fix="pack the model with --option <asr_stats_dir>/train/feats_stats.npz",
        )


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

    Example (with a trained model; not run as a doctest)::

        s2t = MTSpeech2Text("exp/asr/config.yaml", "exp/asr/valid.acc.ave.pth")
        audio, rate = soundfile.read("mix.wav")
        text, tokens, token_ids, hyp = s2t(audio)[0]   # "hello <sc> good morning"
        s2t = MTSpeech2Text.from_packed("exp/asr/model.zip")

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

    The options are one :class:`DecodingOptions` (their defaults live there). A model
    family of this plugin (:class:`AbsMTASRModel`) decodes a batch itself
    (``decode_batch``): the LLM families with their batched greedy / beam search and KV
    cache (``beam_size`` and the LLM options; ``nbest`` 1), ``encoder_only`` CTC only,
    routed by its talker-count head; ESPnet's ``espnet`` model goes through
    :class:`ESPnetBeamSearch` (joint CTC/attention, one utterance at a time). Each
    hypothesis is a :class:`FamilyHypothesis`; the family's extra outputs
    (:attr:`outputs`) are rendered by name with :meth:`render_output`.
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
        beam_size: int = _DEFAULTS.beam_size,
        ctc_weight: float = _DEFAULTS.ctc_weight,
        penalty: float = _DEFAULTS.penalty,
        maxlenratio: float = _DEFAULTS.maxlenratio,
        minlenratio: float = _DEFAULTS.minlenratio,
        nbest: int = _DEFAULTS.nbest,
        normalize_length: bool = _DEFAULTS.normalize_length,
        maxlen_base: int = _DEFAULTS.maxlen_base,
        maxlen_per_second: float = _DEFAULTS.maxlen_per_second,
        length_penalty: float = _DEFAULTS.length_penalty,
        repeat_max_period: int = _DEFAULTS.repeat_max_period,
        repeat_min_count: int = _DEFAULTS.repeat_min_count,
    ):
        options = DecodingOptions(
            beam_size=beam_size,
            ctc_weight=ctc_weight,
            penalty=penalty,
            maxlenratio=maxlenratio,
            minlenratio=minlenratio,
            nbest=nbest,
            normalize_length=normalize_length,
            maxlen_base=maxlen_base,
            maxlen_per_second=maxlen_per_second,
            length_penalty=length_penalty,
            repeat_max_period=repeat_max_period,
            repeat_min_count=repeat_min_count,
        )

        # 1. Model, rebuilt through MTASRTask, weights loaded strictly
        model, train_args = self._load_model(asr_train_config, asr_model_file, device)
        model.to(dtype=getattr(torch, dtype)).eval()
        self.asr_model = model
        self.asr_train_args = train_args
        self.device = device
        self.dtype = dtype
        self.options = options
        self.fs = _expected_fs(train_args)
        self.min_samples = min_input_samples(model)
        self._unpacked: Optional[tempfile.TemporaryDirectory] = None
        self.converter = TokenIDConverter(token_list=list(model.token_list))

        # 2. The family: its own batch decoding (the contract), or ESPnet's beam search
        if isinstance(model, AbsMTASRModel):
            self.family: Any = model
        else:
            model_name = str(getattr(train_args, "model", "espnet"))
            self.family = ESPnetBeamSearch(model, options, device, dtype, model_name)
        self.family.check_decoding_options(options)
        logger.info(f"{type(self.family).__name__} decoding: {options.to_dict()}")

        # 3. Token ids -> text: the family's tokenizer (an LLM's), else ESPnet's
        self.tokenizer = None
        self.text_decoder = self.family.text_decoder()
        if self.text_decoder is None:
            self.tokenizer = _text_tokenizer(token_type, bpemodel, train_args)

    @property
    def outputs(self) -> Tuple[OutputSpec, ...]:
        """The family's extra outputs (written and scored by name; see ``OutputSpec``)."""
        return tuple(self.family.OUTPUTS)

    @property
    def batched(self) -> bool:
        """Whether :meth:`decode_batch` decodes a batch in one pass (the plugin's
        families) rather than one utterance at a time (ESPnet's beam search)."""
        return bool(getattr(self.family, "BATCHED", True))

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
        not_a_model = (
            "is not a model state dict saved by ESPnet's trainer (a torch.save of the "
            "model's tensors: exp/<asr>/valid.acc.ave.pth, N epoch.pth)"
        )
        try:
            state = torch.load(model_file, map_location=device, weights_only=True)
        except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, KeyError) as e:
            # not torch's message: it suggests the unsafe weights_only=False
            raise MTASRInputError(
                f"--asr_model_file {not_a_model}; torch.load failed ({type(e).__name__})",
                path=model_file,
                fix="pass the .pth written by training, or --model_file for a packed .zip",
            ) from None
        if not isinstance(state, dict):
            raise MTASRInputError(
                f"--asr_model_file {not_a_model}; it holds a {type(state).__name__}",
                path=model_file,
            )
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
            model_file: the archive (``.zip``, ``.tar.gz``, ...), or a folder holding
                its files and ``meta.yaml``: unpacked, or the Hugging Face-style folder
                of ``mtasr_pack --hf_dir`` (read in place, never changed).
            unpack_dir: where to unpack an archive (reused if already unpacked there) or
                write a folder's resolved config; default a temporary directory removed
                with this object.
            kwargs: the other :class:`MTSpeech2Text` arguments.
        """
        model_file = Path(model_file)
        if not model_file.exists():
            raise MTASRInputError("packed model not found", path=model_file)
        if model_file.is_file() and not _is_packed(model_file):
            raise MTASRInputError(
                f"--model_file expects a packed model ({', '.join(PACKED_SUFFIXES)}) or its folder",
                path=model_file,
                fix="for a .pth state dict use --asr_model_file/--asr_train_config",
            )
        tmp = None
        if unpack_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix="mtasr_unpacked_")
            unpack_dir = tmp.name
        unpack_dir = Path(unpack_dir).resolve()
        if model_file.is_dir():
            files = unpack_folder(model_file, unpack_dir)
            files_root = model_file.resolve()
        else:
            try:
                files = unpack(model_file, unpack_dir)
            except (
                zipfile.BadZipFile,
                tarfile.TarError,
                EOFError,
                RuntimeError,  # no meta.yaml
                AssertionError,  # meta.yaml not ESPnet's
                KeyError,
                yaml.YAMLError,
            ) as e:
                raise MTASRInputError(
                    "--model_file is not an ESPnet packed model: an archive holding "
                    f"meta.yaml, the config and the model file ({type(e).__name__})",
                    path=model_file,
                    fix="pass the zip made by `python -m espnet2.bin.pack asr ...` / "
                    "mtasr_pack, or --asr_model_file/--asr_train_config for a .pth",
                ) from None
            files_root = unpack_dir
        if "asr_model_file" not in files:
            raise MTASRInputError(
                "packed model has no asr_model_file",
                path=model_file,
                fix="pack it with `python -m espnet2.bin.pack asr --asr_model_file ...`",
            )
        if files.get("asr_train_config"):
            _point_bpemodel_folder_at(Path(files["asr_train_config"]), files_root)
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
            ``text`` keeps ``<sc>`` between talkers (``None`` without a tokenizer);
            ``hypothesis`` is the family's :class:`FamilyHypothesis`.
        """
        if isinstance(speech, np.ndarray):
            speech = torch.tensor(speech)
        speech = speech.unsqueeze(0)  # (1, T)
        lengths = speech.new_full([1], dtype=torch.long, fill_value=speech.size(1))
        return self.decode_batch(speech, lengths)[0]

    @torch.no_grad()
    def decode_batch(self, speech: torch.Tensor, speech_lengths: torch.Tensor) -> List[NBestList]:
        """Decode a padded batch through the family's :meth:`AbsMTASRModel.decode_batch`.

        Args:
            speech: ``(B, T_max)`` padded waveforms.
            speech_lengths: ``(B,)`` samples per utterance.

        Returns:
            One n-best list per utterance, in batch order.
        """
        speech = speech.to(device=self.device, dtype=getattr(torch, self.dtype))
        hyps = self.family.decode_batch(speech, speech_lengths.to(self.device), self.options)
        return [[self._to_result(h) for h in nbest] for nbest in hyps]

    def detokenize(self, ids: Sequence[int]) -> Optional[str]:
        """Token ids -> text (``<sc>`` and speaker tags kept); ``None`` without a tokenizer."""
        if self.text_decoder is not None:
            return self.text_decoder(list(ids))
        if self.tokenizer is None:
            return None
        return self.tokenizer.tokens2text(self.converter.ids2tokens(list(ids)))

    def _to_result(self, hyp: FamilyHypothesis) -> Tuple[Optional[str], List[str], List[int], Any]:
        ids = list(hyp.token_ids)
        if hyp.streams is not None:  # streams of the family's own: <sc> between non-empty
            text: Optional[str] = join_texts(self.stream_texts(hyp.streams))
        else:
            text = self.detokenize(ids)
        return text, self.converter.ids2tokens(ids), ids, hyp

    def render_outputs(self, hyp: Any) -> Dict[str, str]:
        """Every declared output ``hyp`` holds, rendered: ``file name -> line value``."""
        extras = getattr(hyp, "extras", {})
        out: Dict[str, str] = {}
        for spec in self.outputs:
            if spec.name in extras:
                out.update(self.render_output(spec, extras[spec.name]))
        return out

    def render_output(self, spec: OutputSpec, value: Any) -> Dict[str, str]:
        """A family's extra output -> ``file name -> line value`` (``OutputSpec.kind``)."""
        if spec.kind == "count":
            return {spec.name: str(int(value))}
        texts = self.stream_texts(value)
        if spec.kind == "streams":
            return {spec.name: join_texts(texts)}
        return {f"{spec.name}{k}": t for k, t in enumerate(texts, 1)}  # stream_files

    def stream_texts(self, streams: Sequence[Sequence[int]]) -> List[str]:
        """Each stream's text, whitespace normalized (its tokens without a tokenizer)."""
        texts = []
        for ids in streams:
            text = self.detokenize(ids)
            if text is None:
                text = " ".join(self.converter.ids2tokens(list(ids)))
            texts.append(normalize_whitespace(text))
        return texts

    def check_speech(
        self,
        speech: Union[torch.Tensor, np.ndarray],
        fs: Optional[int] = None,
        path: Union[Path, str, None] = None,
    ) -> Union[torch.Tensor, np.ndarray]:
        """Check one utterance's waveform before decoding.

        Args:
            speech: ``(T,)`` samples (``(T, 1)`` is taken as mono).
            fs: its sample rate, if known; must be :attr:`fs`.
            path: where it was read from (for the messages).

        Returns:
            ``speech`` as ``(T,)``.

        Raises:
            MTASRInputError: not mono, or not at :attr:`fs`.
        """
        where = path if path is not None else "speech"
        self.check_rate(fs, where, path)
        if speech.ndim == 2 and speech.shape[1] == 1:
            speech = speech[:, 0]
        if speech.ndim != 1:
            what = (
                f"has {speech.shape[1]} channels"
                if speech.ndim == 2
                else f"has shape {tuple(speech.shape)}"
            )
            raise MTASRInputError(
                f"{what}; the model takes mono",
                path=where,
                fix=f"e.g. `sox {path} out.wav remix 1`"
                if path is not None
                else "pass one channel, (T,) samples",
            )
        self.check_length(int(speech.shape[0]), where)
        return speech

    def check_rate(
        self,
        fs: Optional[int],
        where: Union[Path, str],
        wav: Union[Path, str, None] = None,
        line: Optional[int] = None,
        prefix: str = "",
    ) -> None:
        """Raise :class:`MTASRInputError` if ``fs`` (when known) is not :attr:`fs`
        (``where``/``line``/``prefix``: where, for the message; ``wav``: the file to
        resample, if any)."""
        if fs is None or self.fs is None or fs == self.fs:
            return
        raise MTASRInputError(
            f"{prefix}sample rate is {fs} Hz, but the model expects {self.fs} Hz",
            path=where,
            line=line,
            fix=f"resample it, e.g. `sox {wav} -r {self.fs} out.wav`"
            if wav is not None
            else f"resample it to {self.fs} Hz (e.g. torchaudio.functional.resample)",
        )

    def check_length(
        self,
        n_samples: int,
        where: Union[Path, str],
        line: Optional[int] = None,
        prefix: str = "",
    ) -> None:
        """Raise :class:`MTASRInputError` if ``n_samples`` is fewer than
        :attr:`min_samples` (``where``/``line``/``prefix``: where, for the message)."""
        if self.min_samples is None or n_samples >= self.min_samples[0]:
            return
        need, how = self.min_samples
        fs = self.fs or 16000
        raise MTASRInputError(
            f"{prefix}too short to decode: {n_samples} samples ({n_samples / fs:.3f} s); the "
            f"model needs at least {need} samples ({need / fs:.3f} s at {fs} Hz: {how})",
            path=where,
            line=line,
            fix="drop it, e.g. `python -m espnet_mtasr.bin.filter_data_dir --min_dur "
            f"{need / fs:.3f} ...`, or pad the audio",
        )

    def check_sound_file(
        self,
        wav: Union[Path, str],
        where: Union[Path, str, None] = None,
        line: Optional[int] = None,
        utt: Optional[str] = None,
    ) -> None:
        """Check a sound file without reading its samples (``soundfile.info``): it exists,
        is audio at :attr:`fs`, and holds at least :attr:`min_samples`.

        Args:
            wav: the sound file.
            where / line / utt: what lists it, for the messages (``wav.scp``, its line,
                the utterance id).
        """
        import soundfile

        wav = Path(wav)
        prefix = f"utterance {utt} ({wav}): " if utt else ("" if where is None else f"{wav}: ")
        where = wav if where is None else where
        info = _open_sound_file(lambda: soundfile.info(str(wav)), wav, where, line, prefix)
        self.check_rate(int(info.samplerate), where, wav, line, prefix)
        self.check_length(int(info.frames), where, line, prefix)

    @staticmethod
    def read_sound_file(wav: Union[Path, str]) -> Tuple[np.ndarray, int]:
        """``(samples, sample rate)`` of a sound file (``float32``).

        Raises:
            MTASRInputError: the file is missing or not audio.
        """
        import soundfile

        wav = Path(wav)
        audio, rate = _open_sound_file(lambda: soundfile.read(wav, dtype="float32"), wav, wav)
        return audio, int(rate)

    @typechecked
    def recognize_file(self, wav: Union[Path, str]) -> str:
        """Decode a sound file; return the best ``<sc>``-joined text.

        Raises:
            MTASRInputError: the file is missing, not audio, not mono, not at :attr:`fs`,
                or shorter than :attr:`min_samples`.
        """
        audio, rate = self.read_sound_file(wav)
        audio = self.check_speech(audio, rate, path=wav)
        text, token, _, _ = self(audio)[0]
        return text if text is not None else " ".join(token)


def join_texts(texts: Sequence[str]) -> str:
    """Decoded talker streams -> one line, the non-empty ones joined by ``<sc>``.

    Unlike :func:`espnet_mtasr.text.sot.sot_join` (for references), a stream whose decoded
    text contains ``<sc>`` is kept as it is: a hypothesis is written, never refused.

    >>> join_texts(["a b", "", "c"])
    'a b <sc> c'
    """
    return f" {SC} ".join(t for t in texts if t.strip())


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
