"""MTASRTask: ESPnet's ASR task extended with the multi-talker model families.

Built the way ESPnet's ``SLUTask`` extends ``ASRTask``: the task has its OWN
:class:`~espnet2.train.class_choices.ClassChoices` registries (one per module kind), each
holding a copy of ESPnet's stock classes plus the plugin's, so nothing in ESPnet's
module-global registries is changed. Four new kinds are added:

- ``--separator`` / ``--separator_conf``  (:class:`AbsSeparator`, optional)
- ``--serialized_ctc`` / ``--serialized_ctc_conf``  (:class:`AbsSerializedCTC`, optional)
- ``--talker_count`` / ``--talker_count_conf``  (:class:`AbsTalkerCount`, optional)
- ``--speaker_encoder`` / ``--speaker_encoder_conf``  (:class:`AbsSpeakerEncoder`, optional)

Model families are the ``--model`` choices (``espnet`` = ESPnet's ``ESPnetASRModel``, the
SOT attention encoder-decoder baseline trained on ``<sc>``-joined text). Adding a family is
one line in :data:`model_choices`: :meth:`MTASRTask.build_model` builds every configured
part and hands the model class the parts its constructor names (``frontend``, ``specaug``,
``normalize``, ``preencoder``, ``encoder``, ``postencoder``, ``decoder``, ``ctc``,
``joint_network``, ``separator``, ``serialized_ctc``, ``talker_count``,
``speaker_encoder``, plus ``vocab_size``
and ``token_list``) and ``**model_conf``. A family builds parts of its own from those
(:meth:`AbsMTASRModel.build_family_parts`, named in its ``FAMILY_PARTS``): ``encoder_only``
gets one separator + serialized CTC per talker count ``k = 1..separator_conf
num_streams`` (branch ``k`` with ``k`` streams) instead of the one pair. A part
that is configured but not taken by the model, or required by it (no default, annotation
not ``Optional``) but not configured, is an error naming the option.

Before anything is built, every ``<kind>_conf`` (and ``model_conf``, ``ctc_conf``,
``optim_conf``, ...) is checked against the constructor of the class it goes to
(:meth:`MTASRTask.check_conf_keys`, :mod:`espnet_mtasr.tasks.conf_keys`): a misspelt key
(``encoder_conf: {outptu_size: 8}``) or one that ``build_model`` derives itself
(``input_size``) is an error naming the option, the key, the class and the closest names.
``MTASRTask.main`` runs the same check first, so ``--print_config`` and training stop
before printing or writing anything.

Training, collect-stats and inference all go through ESPnet's ``AbsTask`` machinery
(``MTASRTask.main``, ``build_model_from_file``), so a packed model (``espnet2.bin.pack``)
rebuilds with the plugin's classes when loaded through this task.
"""

from __future__ import annotations

import argparse
import inspect
import logging
import sys
import typing
from pathlib import Path
from typing import (
    Any,
    Callable,
    Dict,
    FrozenSet,
    Iterator,
    List,
    Optional,
    Sequence,
    TextIO,
    Tuple,
    Type,
)

import numpy as np
import torch
from espnet2.asr.ctc import CTC
from espnet2.asr.decoder.abs_decoder import AbsDecoder
from espnet2.asr.encoder.abs_encoder import AbsEncoder
from espnet2.asr.espnet_model import ESPnetASRModel
from espnet2.asr.frontend.abs_frontend import AbsFrontend
from espnet2.asr.postencoder.abs_postencoder import AbsPostEncoder
from espnet2.asr.preencoder.abs_preencoder import AbsPreEncoder
from espnet2.asr.specaug.abs_specaug import AbsSpecAug
from espnet2.asr_transducer.joint_network import JointNetwork
from espnet2.layers.abs_normalize import AbsNormalize
from espnet2.tasks import asr as espnet_asr
from espnet2.tasks.abs_task import optim_classes, scheduler_classes
from espnet2.tasks.asr import ASRTask
from espnet2.torch_utils.initialize import initialize
from espnet2.train.abs_espnet_model import AbsESPnetModel
from espnet2.train.class_choices import ClassChoices
from espnet2.train.preprocessor import AbsPreprocessor
from espnet2.train.trainer import Trainer
from typeguard import typechecked

from espnet_mtasr.asr.ctc.abs_serialized_ctc import AbsSerializedCTC
from espnet_mtasr.asr.ctc.linear_serialized_ctc import LinearSerializedCTC
from espnet_mtasr.asr.decoder.hf_llm_decoder import HFLLMDecoder
from espnet_mtasr.asr.encoder.hf_wavlm_encoder import HFWavLMEncoder
from espnet_mtasr.asr.separator.abs_separator import AbsSeparator
from espnet_mtasr.asr.separator.lstm_separator import LSTMSeparator
from espnet_mtasr.asr.speaker.abs_speaker_encoder import AbsSpeakerEncoder
from espnet_mtasr.asr.speaker.espnet_spk_speaker_encoder import ESPnetSpkSpeakerEncoder
from espnet_mtasr.asr.talker_count.abs_talker_count import AbsTalkerCount
from espnet_mtasr.asr.talker_count.pooled_talker_count import PooledTalkerCount
from espnet_mtasr.models.abs_mtasr_model import AbsMTASRModel
from espnet_mtasr.models.encoder_only_model import EncoderOnlyModel
from espnet_mtasr.models.llm_sot_model import LLMSOTModel
from espnet_mtasr.models.sa_llm_model import SALLMModel
from espnet_mtasr.models.sop_llm_model import SOPLLMModel
from espnet_mtasr.tasks.conf_keys import NestedConf, check_nested_conf
from espnet_mtasr.utils.errors import MTASRInputError

# Tokens ESPnet itself treats specially; every other ``<...>`` token of a token list
# (``<sc>``, speaker tags) must reach the model as ONE token.
ESPNET_SPECIAL_TOKENS = frozenset(
    {"<blank>", "<unk>", "<sos/eos>", "<sos>", "<eos>", "<space>", "<pad>", "<mask>"}
)

MAX_TALKERS = 4
"""Per-talker references ``text_spk1..text_spk{MAX_TALKERS}`` are optional data names."""


class MTASRClassChoices(ClassChoices):
    """ESPnet's :class:`ClassChoices` with a clearer error for an unknown name.

    Unlike ESPnet's (202511), ``get_class`` also maps the YAML strings ``none``/``null``/
    ``nil`` of an optional kind to ``None`` (ESPnet only does so on the command line),
    looks names up case-insensitively, and raises :class:`MTASRInputError` (a
    ``ValueError``) naming the option and listing the valid choices.
    """

    def get_class(self, name: Optional[str]) -> Optional[type]:
        if name is None:
            return None
        key = name.lower()
        if self.optional and key in ("none", "null", "nil"):
            return None
        if key in self.classes:
            return self.classes[key]
        valid = [c if c is not None else "none" for c in self.choices()]
        registered = "" if self.classes else f" (no {self.name} class is registered yet)"
        raise MTASRInputError(
            f"unknown --{self.name} {name!r}{registered}; valid choices: {', '.join(valid)}",
            fix=f"set `{self.name}:` in the training YAML to one of them",
        )


def _stock(espnet_choices: ClassChoices, **plugin: Type) -> Dict[str, Type]:
    """A copy of ESPnet's classes of one kind, plus the plugin's (which may not clash)."""
    classes = dict(espnet_choices.classes)
    clash = sorted(set(classes) & set(plugin))
    if clash:
        raise ValueError(f"plugin {espnet_choices.name} names {clash} shadow ESPnet's")
    classes.update(plugin)
    return classes


frontend_choices = MTASRClassChoices(
    "frontend",
    classes=_stock(espnet_asr.frontend_choices),
    type_check=AbsFrontend,
    default="default",
)
specaug_choices = MTASRClassChoices(
    "specaug",
    classes=_stock(espnet_asr.specaug_choices),
    type_check=AbsSpecAug,
    default=None,
    optional=True,
)
normalize_choices = MTASRClassChoices(
    "normalize",
    classes=_stock(espnet_asr.normalize_choices),
    type_check=AbsNormalize,
    default="utterance_mvn",
    optional=True,
)
model_choices = MTASRClassChoices(
    "model",
    classes=dict(
        # One line per model family (see DESIGN.md, "Model families"). Papers:
        # llm_sot: "Advancing Multi-talker ASR Performance with Large Language Models"
        #   (arXiv 2408.17431);
        # sop_llm: "Serialized Output Prompting for Large Language Model-based Multi-Talker
        #   Speech Recognition" (arXiv 2509.04488);
        # encoder_only: "Distilling LLM Semantic Priors into Encoder-Only Multi-Talker ASR
        #   with Talker-Count Routing" (arXiv 2603.10587);
        # sa_llm: "Balancing ASR and diarization in end-to-end LLMs for multi-talker speech
        #   recognition".
        espnet=ESPnetASRModel,  # SOT attention encoder-decoder (ESPnet baseline)
        llm_sot=LLMSOTModel,  # encoder -> projector -> causal LLM on SOT text (LLM-based SOT)
        sop_llm=SOPLLMModel,  # + separator + serialized CTC draft in the prompt (SOP-MT-ASR)
        encoder_only=EncoderOnlyModel,  # CTC branches + talker-count routing
        sa_llm=SALLMModel,  # dual encoder, speaker-tagged LLM output
    ),
    type_check=AbsESPnetModel,
    default="espnet",
)
preencoder_choices = MTASRClassChoices(
    "preencoder",
    classes=_stock(espnet_asr.preencoder_choices),
    type_check=AbsPreEncoder,
    default=None,
    optional=True,
)
encoder_choices = MTASRClassChoices(
    "encoder",
    classes=_stock(espnet_asr.encoder_choices, hf_wavlm=HFWavLMEncoder),
    type_check=AbsEncoder,
    default="rnn",
)
postencoder_choices = MTASRClassChoices(
    "postencoder",
    classes=_stock(espnet_asr.postencoder_choices),
    type_check=AbsPostEncoder,
    default=None,
    optional=True,
)
decoder_choices = MTASRClassChoices(
    "decoder",
    classes=_stock(espnet_asr.decoder_choices, hf_llm=HFLLMDecoder),
    type_check=AbsDecoder,
    default=None,
    optional=True,
)
separator_choices = MTASRClassChoices(
    "separator",
    classes=dict(lstm=LSTMSeparator),
    type_check=AbsSeparator,
    default=None,
    optional=True,
)
serialized_ctc_choices = MTASRClassChoices(
    "serialized_ctc",
    classes=dict(linear=LinearSerializedCTC),
    type_check=AbsSerializedCTC,
    default=None,
    optional=True,
)
talker_count_choices = MTASRClassChoices(
    "talker_count",
    classes=dict(pooled=PooledTalkerCount),
    type_check=AbsTalkerCount,
    default=None,
    optional=True,
)
speaker_encoder_choices = MTASRClassChoices(
    "speaker_encoder",
    classes=dict(espnet_spk=ESPnetSpkSpeakerEncoder),
    type_check=AbsSpeakerEncoder,
    default=None,
    optional=True,
)
preprocessor_choices = MTASRClassChoices(
    "preprocessor",
    classes=_stock(espnet_asr.preprocessor_choices),
    type_check=AbsPreprocessor,
    default="default",
)

# The options under which each model part is configured (for error messages).
_PART_OPTIONS = {
    "frontend": "--frontend",
    "specaug": "--specaug",
    "normalize": "--normalize",
    "preencoder": "--preencoder",
    "encoder": "--encoder",
    "postencoder": "--postencoder",
    "decoder": "--decoder",
    "ctc": "--ctc_conf",
    "joint_network": "--decoder transducer",
    "separator": "--separator",
    "serialized_ctc": "--serialized_ctc",
    "talker_count": "--talker_count",
    "speaker_encoder": "--speaker_encoder",
}

# The constructor arguments build_model passes each part itself: its <kind>_conf may not
# set them (MTASRTask.check_conf_keys). A kind not named here gets none.
_DERIVED_KEYS: Dict[str, Tuple[str, ...]] = {
    "encoder": ("input_size",),
    "postencoder": ("input_size",),
    "decoder": ("vocab_size", "encoder_output_size"),
    "separator": ("input_size",),
    "serialized_ctc": ("odim", "encoder_output_size", "num_streams"),
    "talker_count": ("input_size",),
    "speaker_encoder": ("input_size",),
}
_TRANSDUCER_DERIVED_KEYS = ("vocab_size", "embed_pad")  # --decoder transducer
_CTC_DERIVED_KEYS = ("odim", "encoder_output_size")  # --ctc_conf
_JOINT_NETWORK_DERIVED_KEYS = ("output_size", "encoder_size", "decoder_size")  # --joint_net_conf
# What build_preprocess_fn passes the preprocessor besides **preprocessor_conf.
_PREPROCESSOR_DERIVED_KEYS = (
    "train",
    "token_type",
    "token_list",
    "bpemodel",
    "non_linguistic_symbols",
    "text_cleaner",
    "g2p_type",
    "rir_scp",
    "rir_apply_prob",
    "noise_scp",
    "noise_apply_prob",
    "noise_db_range",
    "short_noise_thres",
    "speech_volume_normalize",
    "aux_task_names",
    "use_lang_prompt",
    "use_nlp_prompt",
)


def read_token_list(token_list: Any) -> List[str]:
    """Return the tokens of ``--token_list``: a file (one token a line) or a list."""
    if isinstance(token_list, (str, Path)):
        path = Path(token_list)
        if not path.is_file():
            raise MTASRInputError(
                "--token_list file not found", path=path, fix="run the token-list stage (5)"
            )
        with path.open(encoding="utf-8") as f:
            return [line.rstrip() for line in f]
    if isinstance(token_list, (tuple, list)):
        return list(token_list)
    raise MTASRInputError(
        f"--token_list must be a file or a list of tokens, not {type(token_list).__name__}"
    )


def bracket_tokens(token_list: Sequence[str]) -> List[str]:
    """The ``<...>`` tokens of a token list that ESPnet does not handle itself (``<sc>``)."""
    return [
        t
        for t in token_list
        if len(t) > 2 and t[0] == "<" and t[-1] == ">" and t not in ESPNET_SPECIAL_TOKENS
    ]


def check_symbols_kept_whole(
    token_type: Optional[str],
    token_list: Sequence[str],
    non_linguistic_symbols: Optional[str] = None,
    bpemodel: Optional[str] = None,
    nonsplit_symbols: Sequence[str] = (),
) -> None:
    """Check that ESPnet's tokenizer keeps every ``<...>`` token (``<sc>``) whole.

    ESPnet's char tokenizer splits ``<sc>`` into ``<``, ``s``, ``c``, ``>`` unless it is
    listed in ``--non_linguistic_symbols`` (and only *warns* when that file is missing);
    its sentencepiece tokenizer keeps it whole only if it is a user-defined symbol of
    ``--bpemodel``. Either mistake would silently train on ``<unk>`` instead of ``<sc>``.

    Raises:
        MTASRInputError: naming the option to fix.
    """
    wanted = bracket_tokens(token_list)
    if not wanted or token_type not in ("char", "bpe"):
        return
    if token_type == "char":
        known = {s.split(":")[0] for s in nonsplit_symbols}
        if non_linguistic_symbols is not None:
            path = Path(non_linguistic_symbols)
            if not path.is_file():
                raise MTASRInputError(
                    "--non_linguistic_symbols file not found",
                    path=path,
                    fix="run the token-list stage (5), which writes nlsyms.txt",
                )
            with path.open(encoding="utf-8") as f:
                known |= {line.rstrip() for line in f if line.strip()}
        missing = [t for t in wanted if t not in known]
        if missing:
            where = non_linguistic_symbols or "(none given)"
            raise MTASRInputError(
                f"token list has {missing}, but --non_linguistic_symbols {where} does not "
                "list them: the char tokenizer would split them into characters",
                fix="pass --non_linguistic_symbols <token_list_dir>/nlsyms.txt",
            )
    else:
        if bpemodel is None:
            raise MTASRInputError(
                "--token_type bpe needs --bpemodel", fix="pass --bpemodel <dir>/bpe.model"
            )
        if not Path(bpemodel).is_file():
            raise MTASRInputError("--bpemodel file not found", path=bpemodel, fix="run stage 5")
        import sentencepiece as spm

        sp = spm.SentencePieceProcessor()
        sp.load(str(bpemodel))
        split = [t for t in wanted if t not in sp.EncodeAsPieces(f"a {t} a")]
        if split:
            raise MTASRInputError(
                f"sentencepiece model splits {split}",
                path=bpemodel,
                fix="retrain it with them as user_defined_symbols "
                "(espnet_mtasr.bin.make_token_list --symbols)",
            )


def _accepts(model_class: Type, names: Sequence[str]) -> Tuple[Dict[str, bool], Dict[str, bool]]:
    """For each part name: is it a constructor parameter, and may it be ``None``?"""
    params = inspect.signature(model_class.__init__).parameters
    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    try:
        hints = typing.get_type_hints(model_class.__init__)
    except Exception:  # unresolvable annotations: trust the constructor's own checks
        hints = {}
    accepted, nullable = {}, {}
    for name in names:
        accepted[name] = name in params or var_kw
        param = params.get(name)
        if param is None or param.default is not inspect.Parameter.empty:
            nullable[name] = True
            continue
        hint = hints.get(name, Any)
        nullable[name] = hint is Any or type(None) in typing.get_args(hint)
    return accepted, nullable


def _build_part(
    choices: ClassChoices, name: Optional[str], conf: Dict[str, Any], **injected: Any
) -> Optional[torch.nn.Module]:
    """Build one part: ``choices[name](**injected, **conf)``; ``None`` if not configured.

    ``injected`` are the sizes ``build_model`` derives (``input_size``, ``vocab_size``, ...),
    those of :data:`_DERIVED_KEYS`: :meth:`MTASRTask.check_conf_keys` has already refused
    a ``<kind>_conf`` that sets one of them, or a key the class does not take.
    """
    part_class = choices.get_class(name)
    if part_class is None:
        return None
    assert set(injected) <= set(_DERIVED_KEYS.get(choices.name, ())), injected
    return part_class(**injected, **(conf or {}))


def _model_derived_keys(model_class: Type) -> FrozenSet[str]:
    """The constructor arguments ``build_model`` passes the model family itself: the parts
    it takes, ``vocab_size`` / ``token_list`` and the per-talker-count branches."""
    accepted, _ = _accepts(model_class, list(_PART_OPTIONS))
    params = inspect.signature(model_class.__init__).parameters
    extra = {"vocab_size", "token_list"} & set(params)
    extra |= set(getattr(model_class, "FAMILY_PARTS", ()))
    return frozenset(name for name, ok in accepted.items() if ok) | extra


def _nested_confs(task: Type[ASRTask], args: argparse.Namespace) -> Iterator[NestedConf]:
    """Every ``<kind>_conf`` of ``args`` with the class it is handed to, as ``build_model``,
    ``build_preprocess_fn`` and ESPnet's trainer (optimizer, scheduler) hand them.

    A conf the build ignores is not checked: ``frontend_conf`` with ``--input_size``,
    ``ctc_conf`` of a family without CTC, ``joint_net_conf`` without a transducer,
    ``preprocessor_conf`` without ``--use_preprocessor``. Unknown ``--optim`` /
    ``--scheduler`` names are left to ESPnet's own error.
    """
    model_class = None
    for choices in task.class_choices_list:
        kind = choices.name
        name = getattr(args, kind, None)
        derived_by = NestedConf.derived_by
        if kind == "frontend" and getattr(args, "input_size", None) is not None:
            continue  # build_model drops the frontend: features come from the data loader
        if kind == "model":
            name = name or "espnet"
        if kind == "preprocessor":
            if not getattr(args, "use_preprocessor", False):
                continue
            name = name or "default"
        part_class = choices.get_class(name)
        if part_class is None:
            continue
        derived = _DERIVED_KEYS.get(kind, ())
        if kind == "model":
            model_class, derived = part_class, _model_derived_keys(part_class)
        elif kind == "decoder" and name == "transducer":
            derived = _TRANSDUCER_DERIVED_KEYS
        elif kind == "preprocessor":
            derived = _PREPROCESSOR_DERIVED_KEYS
            derived_by = "build_preprocess_fn passes itself (from the top-level options)"
        yield NestedConf(
            f"{kind}_conf",
            getattr(args, f"{kind}_conf", None),
            part_class,
            choice=f"--{kind} {name}",
            derived=frozenset(derived),
            derived_by=derived_by,
        )
    if model_class is not None and _accepts(model_class, ["ctc"])[0]["ctc"]:
        yield NestedConf(
            "ctc_conf", getattr(args, "ctc_conf", None), CTC, derived=frozenset(_CTC_DERIVED_KEYS)
        )
    if getattr(args, "decoder", None) == "transducer":
        yield NestedConf(
            "joint_net_conf",
            getattr(args, "joint_net_conf", None),
            JointNetwork,
            derived=frozenset(_JOINT_NETWORK_DERIVED_KEYS),
        )
    for i in range(1, task.num_optimizers + 1):
        suf = "" if i == 1 else str(i)
        for kind, classes, derived, what in (
            ("optim", optim_classes, "params", "the model's parameters"),
            ("scheduler", scheduler_classes, "optimizer", "the optimizer"),
        ):
            name = getattr(args, f"{kind}{suf}", None)
            if classes.get(name) is not None:
                yield NestedConf(
                    f"{kind}{suf}_conf",
                    getattr(args, f"{kind}{suf}_conf", None),
                    classes[name],
                    choice=f"--{kind}{suf} {name}",
                    derived=frozenset({derived}),
                    derived_by=f"the trainer passes itself ({what})",
                )


class MTASRTask(ASRTask):
    """ESPnet ASR task for multi-talker ASR: SOT-AED and the LLM-based families."""

    num_optimizers: int = 1

    class_choices_list = [
        # --frontend and --frontend_conf
        frontend_choices,
        # --specaug and --specaug_conf
        specaug_choices,
        # --normalize and --normalize_conf
        normalize_choices,
        # --model and --model_conf
        model_choices,
        # --preencoder and --preencoder_conf
        preencoder_choices,
        # --encoder and --encoder_conf
        encoder_choices,
        # --postencoder and --postencoder_conf
        postencoder_choices,
        # --decoder and --decoder_conf
        decoder_choices,
        # --separator and --separator_conf
        separator_choices,
        # --serialized_ctc and --serialized_ctc_conf
        serialized_ctc_choices,
        # --talker_count and --talker_count_conf
        talker_count_choices,
        # --speaker_encoder and --speaker_encoder_conf
        speaker_encoder_choices,
        # --preprocessor and --preprocessor_conf
        preprocessor_choices,
    ]

    trainer = Trainer

    @classmethod
    def add_task_arguments(cls, parser: argparse.ArgumentParser):
        """ESPnet's ASR task options; ``--<kind>``/``--<kind>_conf`` from our registries.

        ``ASRTask.add_task_arguments`` adds the choice options from
        ``cls.class_choices_list``, i.e. from this task's registries, so ``--separator``
        and ``--serialized_ctc`` appear next to ESPnet's kinds.
        """
        super().add_task_arguments(parser)

    @classmethod
    def check_conf_keys(cls, args: argparse.Namespace) -> None:
        """Check every ``<kind>_conf`` of ``args`` against the class it configures.

        For each ``--<kind>`` / ``--<kind>_conf`` pair (ESPnet's kinds, ours, ``model``,
        ``preprocessor``) plus ``ctc_conf``, ``joint_net_conf``, ``optim_conf`` and
        ``scheduler_conf``, the chosen class is resolved and the conf's keys compared with
        its constructor's parameters; the arguments the task passes itself
        (``input_size``, ``vocab_size``, the model's parts, ...) may not be set. Runs at
        the start of :meth:`main` (before ``--print_config`` and before anything is
        written) and of :meth:`build_model`.

        Raises:
            MTASRInputError: naming the option, the key, the class, the closest valid
                names and, for a key set in the ``--config`` YAML, its file and line.
        """
        config_file = getattr(args, "config", None)
        for nested in _nested_confs(cls, args):
            check_nested_conf(nested, config_file)

    @classmethod
    def main(
        cls,
        args: Optional[argparse.Namespace] = None,
        cmd: Optional[Sequence[str]] = None,
    ) -> None:
        """ESPnet's ``AbsTask.main``, after :meth:`check_conf_keys`: a typo in a nested
        option stops ``--print_config`` and training before anything is printed or
        written (ESPnet would only fail when it builds the model)."""
        if args is None:
            args = cls.get_parser().parse_args(cmd)
        cls.check_conf_keys(args)
        super().main(args=args)

    @classmethod
    def print_config(cls, file: Optional[TextIO] = None) -> None:
        """Write the default config (as ``--print_config``) to ``file`` or stdout.

        ESPnet binds ``sys.stdout`` as the default argument when it is imported, so a
        redirected ``sys.stdout`` (``contextlib.redirect_stdout``, pytest) is ignored there.
        """
        super().print_config(file=sys.stdout if file is None else file)

    @classmethod
    def build_model_from_file(
        cls,
        config_file: Optional[Any] = None,
        model_file: Optional[Any] = None,
        device: str = "cpu",
    ) -> Tuple[AbsESPnetModel, argparse.Namespace]:
        """ESPnet's, except that a family's training-only parts are not built.

        A model class may name constructor parts it needs only in training in
        ``TRAINING_ONLY_PARTS``, each with the ``model_conf`` values that go with its
        absence (``encoder_only``: ``{"decoder": {"llm_weight": 0.0}}``, its LLM teacher).
        For inference and fine-tuning they are configured away (``<part>: null``) and the
        model skips their weights, so e.g. decoding needs neither the LLM nor its path.
        """
        import tempfile

        import yaml

        config = Path(config_file) if config_file else Path(model_file).parent / "config.yaml"
        with config.open(encoding="utf-8") as f:
            conf = yaml.safe_load(f) or {}
        conf, dropped = cls.without_training_only_parts(conf)
        if not dropped:
            return super().build_model_from_file(config_file, model_file, device)
        logging.info(f"--model {conf['model']}: not building its training-only {dropped}")
        with tempfile.TemporaryDirectory(prefix="mtasr_config_") as tmp:
            pruned = Path(tmp) / "config.yaml"
            pruned.write_text(yaml.safe_dump(conf, allow_unicode=True), encoding="utf-8")
            return super().build_model_from_file(pruned, model_file, device)

    @classmethod
    def without_training_only_parts(cls, conf: Dict[str, Any]) -> Tuple[Dict[str, Any], List[str]]:
        """A training config with the model's ``TRAINING_ONLY_PARTS`` configured away.

        Returns:
            (new config, names of the parts dropped); ``conf`` itself is not changed. Each
            dropped part becomes ``<part>: null``, ``<part>_conf: {}``, and ``model_conf``
            takes the values the model class gives for its absence.
        """
        model_class = model_choices.get_class(conf.get("model") or "espnet")
        training_only = getattr(model_class, "TRAINING_ONLY_PARTS", {})
        dropped = [p for p in training_only if conf.get(p)]
        conf = dict(conf)
        for part in dropped:
            conf[part], conf[f"{part}_conf"] = None, {}
            conf["model_conf"] = {**(conf.get("model_conf") or {}), **training_only[part]}
        return conf, dropped

    @classmethod
    @typechecked
    def build_preprocess_fn(
        cls, args: argparse.Namespace, train: bool
    ) -> Optional[Callable[[str, Dict[str, np.ndarray]], Dict[str, np.ndarray]]]:
        """ESPnet's preprocessor (from this task's registry), after checking ``<sc>``.

        The arguments are those of ``ASRTask.build_preprocess_fn``; in addition every
        ``<...>`` token of the token list must survive tokenization whole
        (:func:`check_symbols_kept_whole`).
        """
        if not args.use_preprocessor:
            return None
        if getattr(args, "preprocessor", None) is None:
            args.preprocessor = "default"
            args.preprocessor_conf = dict()
        preprocessor_conf = dict(getattr(args, "preprocessor_conf", None) or {})
        if args.token_type is not None and args.token_list is not None:
            nonsplit = preprocessor_conf.get("nonsplit_symbol") or []
            nonsplit = list(nonsplit) + list(preprocessor_conf.get("speaker_change_symbol") or [])
            check_symbols_kept_whole(
                args.token_type,
                read_token_list(args.token_list),
                non_linguistic_symbols=getattr(args, "non_linguistic_symbols", None),
                bpemodel=args.bpemodel,
                nonsplit_symbols=nonsplit,
            )
        preprocessor_class = preprocessor_choices.get_class(args.preprocessor)
        passed = dict(
            train=train,
            token_type=args.token_type,
            token_list=args.token_list,
            bpemodel=args.bpemodel,
            non_linguistic_symbols=getattr(args, "non_linguistic_symbols", None),
            text_cleaner=getattr(args, "cleaner", None),
            g2p_type=getattr(args, "g2p", None),
            rir_scp=getattr(args, "rir_scp", None),
            rir_apply_prob=getattr(args, "rir_apply_prob", 1.0),
            noise_scp=getattr(args, "noise_scp", None),
            noise_apply_prob=getattr(args, "noise_apply_prob", 1.0),
            noise_db_range=getattr(args, "noise_db_range", "13_15"),
            short_noise_thres=getattr(args, "short_noise_thres", 0.5),
            speech_volume_normalize=getattr(args, "speech_volume_normalize", None),
            aux_task_names=getattr(args, "aux_ctc_tasks", None),
            use_lang_prompt=getattr(args, "use_lang_prompt", False),
            use_nlp_prompt=getattr(args, "use_nlp_prompt", False),
        )
        assert passed.keys() == set(_PREPROCESSOR_DERIVED_KEYS), sorted(passed)
        return preprocessor_class(**passed, **preprocessor_conf)

    @classmethod
    def required_data_names(cls, train: bool = True, inference: bool = False) -> Tuple[str, ...]:
        """``speech`` and the SOT ``text`` in training; ``speech`` alone in inference."""
        return ("speech",) if inference else ("speech", "text")

    @classmethod
    def optional_data_names(cls, train: bool = True, inference: bool = False) -> Tuple[str, ...]:
        """Per-talker references in start-time order: ``text_spk1..text_spk4``."""
        return tuple(f"text_spk{n}" for n in range(1, MAX_TALKERS + 1))

    @classmethod
    @typechecked
    def build_model(cls, args: argparse.Namespace) -> AbsESPnetModel:
        """Build the ``--model`` family from the configured parts.

        Steps mirror ``ASRTask.build_model``; sizes flow from each part to the next:
        frontend ``D_feat`` -> (preencoder) -> encoder ``D_enc`` -> (postencoder) ->
        decoder / CTC / separator ``(B, S, T', D')`` -> serialized CTC.

        Args:
            args: the training config (YAML keys = options). ``args.token_list`` is
                replaced by the list itself so the saved config is portable.

        Returns:
            The model; its constructor receives the parts it names (see module doc).
        """
        # 0. Every <kind>_conf against its class; token list and model family
        cls.check_conf_keys(args)
        model_conf = dict(getattr(args, "model_conf", None) or {})
        token_list = _token_list(args, model_conf)
        vocab_size = len(token_list)
        logging.info(f"Vocabulary size: {vocab_size}")
        model_name = getattr(args, "model", None) or "espnet"
        model_class = model_choices.get_class(model_name)
        accepted, nullable = _accepts(model_class, list(_PART_OPTIONS))

        # 1-3. Frontend, SpecAugment, normalization: (B, samples) -> (B, T, D_feat)
        parts, input_size = _feature_parts(args)
        # 4-6. Pre-encoder, encoder, post-encoder: -> (B, T_enc, D_enc)
        encoder_parts, input_size, encoder_output_size = _encoder_parts(args, input_size)
        parts.update(encoder_parts)
        # 7-8. Decoder (+ joint network of a transducer), CTC: -> (B, L, V), (B, T_enc, V)
        parts.update(
            _decoder_parts(args, vocab_size, parts["encoder"], encoder_output_size, accepted)
        )
        # 9-11. Separator, serialized CTC, talker-count head, speaker encoder
        stream_parts, separator_input_size = _stream_parts(
            args, vocab_size, parts["encoder"], encoder_output_size, input_size
        )
        parts.update(stream_parts)

        # 12. Model: hand it the parts its constructor names, after the family has built
        #     its own from them (AbsMTASRModel.build_family_parts)
        kwargs: Dict[str, Any] = {}
        if issubclass(model_class, AbsMTASRModel):
            injected = {
                "separator": dict(input_size=separator_input_size),
                "serialized_ctc": dict(odim=vocab_size),
            }

            def build(kind: str, **overrides: Any) -> torch.nn.Module:
                choices = {c.name: c for c in cls.class_choices_list}[kind]
                conf = {**(getattr(args, f"{kind}_conf", None) or {}), **overrides}
                return _build_part(choices, getattr(args, kind), conf, **injected.get(kind, {}))

            family = model_class.build_family_parts(args, dict(parts), build)
            for name in model_class.FAMILY_PARTS:
                kwargs[name] = family.pop(name)
            parts.update(family)
        kwargs.update(_model_parts(model_name, parts, accepted, nullable))
        for name, value in (("vocab_size", vocab_size), ("token_list", token_list)):
            if name in inspect.signature(model_class.__init__).parameters:
                kwargs[name] = value
        assert set(kwargs) <= _model_derived_keys(model_class), sorted(kwargs)
        model = model_class(**kwargs, **model_conf)

        # 13. Initialize
        if args.init is not None:
            _initialize(model, args.init)
        return model


# --- the steps of MTASRTask.build_model (one function per group of parts)


def _token_list(args: argparse.Namespace, model_conf: Dict[str, Any]) -> List[str]:
    """The token list, put into ``args`` itself (the saved config is portable); a
    multi-blank transducer's big blanks go just before the standard blank."""
    token_list = read_token_list(args.token_list)
    durations = model_conf.get("transducer_multi_blank_durations")
    if durations:
        blank_idx = token_list.index(model_conf.get("sym_blank", "<blank>"))
        for dur in durations:
            if f"<blank{dur}>" not in token_list:  # already there in inference
                token_list.insert(blank_idx, f"<blank{dur}>")
    args.token_list = list(token_list)
    return token_list


def _feature_parts(args: argparse.Namespace) -> Tuple[Dict[str, Any], int]:
    """Steps 1-3: frontend ``(B, samples) -> (B, T, D_feat)``, SpecAugment and
    normalization on it; and ``D_feat``."""
    if args.input_size is None:
        frontend = _build_part(frontend_choices, args.frontend, args.frontend_conf)
        if frontend is None:
            raise MTASRInputError(
                "--frontend none needs the feature size",
                fix="set --input_size (features from the data loader) or a --frontend",
            )
        input_size = frontend.output_size()
    else:  # features come from the data loader
        args.frontend = None
        args.frontend_conf = {}
        frontend = None
        input_size = args.input_size
    specaug = _build_part(specaug_choices, args.specaug, args.specaug_conf)
    # Not in collect-stats mode: that mode computes its statistics from the frontend
    # output alone (GlobalMVN would need the very file it makes).
    normalize = None
    if not getattr(args, "collect_stats", False):
        normalize = _build_part(normalize_choices, args.normalize, args.normalize_conf)
    return dict(frontend=frontend, specaug=specaug, normalize=normalize), input_size


def _encoder_parts(args: argparse.Namespace, input_size: int) -> Tuple[Dict[str, Any], int, int]:
    """Steps 4-6: pre-encoder ``-> (B, T, D_pre)``, encoder ``-> (B, T_enc, D_enc)``,
    post-encoder; and the encoder's input size and ``D_enc``."""
    preencoder = _build_part(
        preencoder_choices, getattr(args, "preencoder", None), getattr(args, "preencoder_conf", {})
    )
    if preencoder is not None:
        input_size = preencoder.output_size()
    encoder = _build_part(
        encoder_choices,
        getattr(args, "encoder", None),
        getattr(args, "encoder_conf", {}),
        input_size=input_size,
    )
    encoder_output_size = input_size if encoder is None else encoder.output_size()
    postencoder = _build_part(
        postencoder_choices,
        getattr(args, "postencoder", None),
        getattr(args, "postencoder_conf", {}),
        input_size=encoder_output_size,
    )
    if postencoder is not None:
        encoder_output_size = postencoder.output_size()
    parts = dict(preencoder=preencoder, encoder=encoder, postencoder=postencoder)
    return parts, input_size, encoder_output_size


def _decoder_parts(
    args: argparse.Namespace,
    vocab_size: int,
    encoder: Optional[AbsEncoder],
    encoder_output_size: int,
    accepted: Dict[str, bool],
) -> Dict[str, Any]:
    """Steps 7-8: the decoder (+ a transducer's joint network) and, for a family that
    takes one, CTC on the encoder output ``(B, T_enc, D_enc) -> (B, T_enc, V)``."""
    decoder_name = getattr(args, "decoder", None)
    decoder = joint_network = ctc = None
    if decoder_name == "transducer":
        decoder = decoder_choices.get_class(decoder_name)(
            vocab_size, embed_pad=0, **args.decoder_conf
        )
        joint_network = JointNetwork(
            vocab_size,
            encoder.output_size(),
            decoder.dunits,
            **(getattr(args, "joint_net_conf", None) or {}),
        )
    elif decoder_choices.get_class(decoder_name) is not None:
        decoder = _build_part(
            decoder_choices,
            decoder_name,
            args.decoder_conf,
            vocab_size=vocab_size,
            encoder_output_size=encoder_output_size,
        )
    if accepted["ctc"]:
        ctc = CTC(
            odim=vocab_size,
            encoder_output_size=encoder_output_size,
            **(getattr(args, "ctc_conf", None) or {}),
        )
    return dict(decoder=decoder, joint_network=joint_network, ctc=ctc)


def _stream_parts(
    args: argparse.Namespace,
    vocab_size: int,
    encoder: Optional[AbsEncoder],
    encoder_output_size: int,
    input_size: int,
) -> Tuple[Dict[str, Any], int]:
    """Steps 9-11: separator ``(B, T', C) -> (B, S, T', D')`` (an encoder with mid-level
    features, ``hf_wavlm``, feeds it those), serialized CTC ``-> (B, S, T', V)``,
    talker-count head ``(B, T_enc, D_enc) -> (B, K)``, speaker encoder on the encoder's
    input features ``-> (B, T_enc, D_spk)``; and the separator's input size."""
    mid_size = getattr(encoder, "mid_size", None)
    separator_input_size = mid_size() if callable(mid_size) else encoder_output_size
    separator = _build_part(
        separator_choices,
        getattr(args, "separator", None),
        getattr(args, "separator_conf", {}),
        input_size=separator_input_size,
    )
    serialized_ctc_name = getattr(args, "serialized_ctc", None)
    serialized_ctc = None
    if serialized_ctc_choices.get_class(serialized_ctc_name) is not None:
        if separator is None:
            raise MTASRInputError(
                f"--serialized_ctc {serialized_ctc_name} needs talker streams",
                fix="also set --separator",
            )
        serialized_ctc = _build_part(
            serialized_ctc_choices,
            serialized_ctc_name,
            getattr(args, "serialized_ctc_conf", {}),
            odim=vocab_size,
            encoder_output_size=separator.output_size(),
            num_streams=separator.num_streams,
        )
    talker_count = _build_part(
        talker_count_choices,
        getattr(args, "talker_count", None),
        getattr(args, "talker_count_conf", {}),
        input_size=encoder_output_size,
    )
    speaker_encoder = _build_part(
        speaker_encoder_choices,
        getattr(args, "speaker_encoder", None),
        getattr(args, "speaker_encoder_conf", {}),
        input_size=input_size,
    )
    parts = dict(
        separator=separator,
        serialized_ctc=serialized_ctc,
        talker_count=talker_count,
        speaker_encoder=speaker_encoder,
    )
    return parts, separator_input_size


def _model_parts(
    model_name: str,
    parts: Dict[str, Any],
    accepted: Dict[str, bool],
    nullable: Dict[str, bool],
) -> Dict[str, Any]:
    """The parts the family's constructor names; a configured part it does not take, or
    a required one that is not configured, is an error naming the option."""
    kwargs = {}
    for name in _PART_OPTIONS:
        part, option = parts.get(name), _PART_OPTIONS[name]
        if not accepted[name]:
            if part is not None:
                raise MTASRInputError(
                    f"--model {model_name} does not use a {name}, but {option} is set",
                    fix=f"remove {option} from the training config",
                )
            continue
        if part is None and not nullable[name]:
            raise MTASRInputError(
                f"--model {model_name} needs a {name}",
                fix=f"set {option} in the training config",
            )
        kwargs[name] = part
    return kwargs


def _initialize(model: torch.nn.Module, init: str) -> None:
    """ESPnet's ``initialize()``; it re-loads the pretrained weights of the fixed slots
    (frontend, encoder, postencoder, decoder) only: do the other parts too."""
    initialize(model, init)
    for name, child in model.named_children():
        if name in ("frontend", "encoder", "postencoder", "decoder"):
            continue
        reload = getattr(child, "reload_pretrained_parameters", None)
        if callable(reload):
            reload()
