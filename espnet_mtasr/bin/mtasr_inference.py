#!/usr/bin/env python3
"""Multi-talker ASR decoding, following ``espnet2.bin.asr_inference``'s conventions.

The command line of :class:`~espnet_mtasr.inference.mt_speech2text.MTSpeech2Text` (the
model rebuilt through :class:`~espnet_mtasr.tasks.mtasr.MTASRTask` from a training config
+ model file, or from an ESPnet packed model: the ``espnet2.bin.pack asr ...`` /
``mtasr_pack`` zip, or its unpacked / Hugging Face-style folder). Decoding is ESPnet's
joint CTC/attention beam search (``BatchBeamSearch``), an LLM family's own batched search,
or ``encoder_only``'s CTC streams; the output keeps the speaker-change token ``<sc>``.
In Python: :class:`espnet_mtasr.inference.MultiTalkerSpeech2Text`.

Data-dir mode (the recipe's decoding stage; one job of a split key list)::

    python -m espnet_mtasr.bin.mtasr_inference --config conf/decode_sot.yaml \\
        --asr_train_config exp/asr/config.yaml --asr_model_file exp/asr/valid.acc.ave.pth \\
        --data_path_and_name_and_type dump/raw/test/wav.scp,speech,sound \\
        --key_file logdir/keys.1.scp --batch_size 4 --ngpu 0 --output_dir logdir/output.1

writes ``output_dir/1best_recog/{text,token,token_int,score}`` (``<utt> <value>`` lines;
``Nbest_recog`` for ``--nbest N``) and every extra output the model family declares
(``sop_text`` of ``sop_llm``, ``talker_count`` + ``text_spk<k>`` of ``encoder_only``),
``output_dir/outputs.json`` (those declarations: how stage 13 scores each) and
``output_dir/rtf`` (``<utt> <audio seconds> <decoding seconds>`` lines: the real-time
factor is the ratio of the column sums).
Single-file mode prints the ``<sc>``-joined text::

    python -m espnet_mtasr.bin.mtasr_inference --model_file exp/asr/model.zip --wav foo.wav
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import sys
import time
from pathlib import Path
from typing import Iterator, Optional, Sequence, Tuple, Union

from espnet2.fileio.datadir_writer import DatadirWriter
from espnet2.torch_utils.set_all_random_seed import set_all_random_seed
from espnet2.utils import config_argparse
from espnet2.utils.types import str2bool, str2triple_str, str_or_none
from typeguard import typechecked

from espnet_mtasr.inference.mt_speech2text import MTSpeech2Text, NBestList
from espnet_mtasr.models.decoding_options import DecodingOptions
from espnet_mtasr.models.output_spec import write_outputs
from espnet_mtasr.tasks.mtasr import MTASRTask
from espnet_mtasr.utils.errors import MTASRInputError, exit_on_input_error
from espnet_mtasr.utils.fileio import atomic_dir

# Re-exported: the decoding classes lived here before espnet_mtasr.inference.
__all__ = ["MTSpeech2Text", "NBestList", "inference", "main"]

_D = DecodingOptions()  # the defaults of every decoding option

logger = logging.getLogger(__name__)


def check_inputs(
    speech2text: MTSpeech2Text,
    data_path_and_name_and_type: Sequence[Tuple[str, str, str]],
    key_file: Optional[str] = None,
) -> int:
    """Check every ``sound`` entry to decode before decoding the first (``soundfile.info``:
    exists, is audio at the model's rate, long enough), so a bad one stops the job before
    anything is written; returns how many files were checked. Piped (``cmd |``) entries
    and other data types are left to the loader.

    Raises:
        MTASRInputError: naming the scp file, its line, the utterance and the sound file.
    """
    keys = None
    if key_file is not None:
        with open(key_file, encoding="utf-8") as f:
            keys = {ln.split(maxsplit=1)[0] for ln in f if ln.strip()}
    n = 0
    for path, _name, kind in data_path_and_name_and_type:
        if kind != "sound":
            continue
        if not Path(path).is_file():
            raise MTASRInputError("scp file not found", path=path)
        with open(path, encoding="utf-8") as f:
            for line, text in enumerate(f, 1):
                fields = text.strip().split(maxsplit=1)
                if not fields:
                    continue
                if len(fields) < 2:
                    raise MTASRInputError(
                        f"utterance {fields[0]} has no sound file", path=path, line=line
                    )
                utt, wav = fields
                if (keys is not None and utt not in keys) or wav.endswith("|"):
                    continue
                speech2text.check_sound_file(wav, where=path, line=line, utt=utt)
                n += 1
    return n


@typechecked
def _write_results(
    writer: DatadirWriter, key: str, results: NBestList, speech2text: MTSpeech2Text
) -> None:
    """``text``/``token``/``token_int``/``score`` and every output the family declares."""
    for n, (text, token, token_int, hyp) in enumerate(results, 1):
        w = writer[f"{n}best_recog"]
        w["token"][key] = " ".join(token)
        w["token_int"][key] = " ".join(map(str, token_int))
        w["score"][key] = str(float(hyp.score) if hyp is not None else 0.0)
        if text is not None:
            w["text"][key] = text
        for name, value in speech2text.render_outputs(hyp).items():
            w[name][key] = value


@contextlib.contextmanager
def _too_short_named(keys: Sequence[str]) -> Iterator[None]:
    """ESPnet's ``TooShortUttError`` (a front-end ``check_inputs`` cannot size) as an
    :class:`MTASRInputError` naming the utterance(s) being decoded."""
    from espnet_mtasr.utils.espnet_compat import TooShortUttError

    try:
        yield
    except TooShortUttError as e:
        which = f"utterance {keys[0]}" if len(keys) == 1 else f"a batch of {', '.join(keys)}"
        raise MTASRInputError(
            f"{which}: too short to decode: {e.actual_size} frames, the encoder needs {e.limit}",
            fix="remove it from the data dir, or pad the audio",
        ) from None


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
    and every extra output the model family declares (its ``OUTPUTS``: ``sop_text``, the
    SOP draft, of ``sop_llm``; ``talker_count`` and ``text_spk1..c`` of ``encoder_only``),
    listed in ``output_dir/outputs.json`` (how stage 13 scores each).

    Also writes ``output_dir/rtf``: ``<utt> <audio seconds> <decoding seconds>`` per
    utterance (audio seconds ``nan`` for a model without a waveform frontend). The output
    directory is written under a temporary name and renamed when complete.

    Every sound file is checked first (:func:`check_inputs`): a missing, unreadable or
    too-short one stops the job with an :class:`MTASRInputError` before the first
    utterance is decoded, leaving ``output_dir`` as it was (unlike ESPnet's
    ``asr_inference``, a too-short utterance is not decoded as an empty hypothesis).
    """
    if batch_size < 1:
        raise MTASRInputError(f"--batch_size must be >= 1, not {batch_size}")
    n_checked = check_inputs(speech2text, data_path_and_name_and_type, key_file)
    logger.info(f"checked {n_checked} sound files")
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
                with _too_short_named(keys):
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
                    with _too_short_named([key]):
                        results = speech2text(one)
                    elapsed = time.perf_counter() - tic
                seconds = int(lengths[b]) / fs if fs else float("nan")
                rtf_lines.append(f"{key} {seconds:.3f} {elapsed:.4f}\n")
                _write_results(writer, key, results, speech2text)
                n_utts += 1
                audio_s += seconds if fs else 0.0
                logger.info(f"{key}: {results[0][0]}")
        (tmp_dir / "rtf").write_text("".join(rtf_lines), encoding="utf-8")
        write_outputs(tmp_dir, speech2text.outputs)  # for stage 13 (score --decode_dir)
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
        help="ESPnet packed model (.zip, or its unpacked / mtasr_pack --hf_dir folder), "
        "instead of --asr_train_config/--asr_model_file",
    )
    group.add_argument(
        "--unpack_dir",
        type=str_or_none,
        default=None,
        help="Where to unpack --model_file (default: a temporary directory)",
    )

    group = parser.add_argument_group("Beam-search related")
    group.add_argument("--batch_size", type=int, default=1, help="Utterances per batch")
    group.add_argument("--nbest", type=int, default=_D.nbest, help="Output N-best hypotheses")
    group.add_argument("--beam_size", type=int, default=_D.beam_size, help="Beam size")
    group.add_argument("--penalty", type=float, default=_D.penalty, help="Insertion penalty")
    group.add_argument(
        "--maxlenratio",
        type=float,
        default=_D.maxlenratio,
        help="Max output length / encoder length; 0: end detection; <0: constant length",
    )
    group.add_argument(
        "--minlenratio",
        type=float,
        default=_D.minlenratio,
        help="Min output length / encoder length",
    )
    group.add_argument("--ctc_weight", type=float, default=_D.ctc_weight, help="CTC weight")
    group.add_argument("--normalize_length", type=str2bool, default=_D.normalize_length)

    group = parser.add_argument_group("LLM-decoder families (their own search; use --beam_size)")
    group.add_argument(
        "--maxlen_base", type=int, default=_D.maxlen_base, help="Output budget: constant"
    )
    group.add_argument(
        "--maxlen_per_second",
        type=float,
        default=_D.maxlen_per_second,
        help="Output budget: per input second",
    )
    group.add_argument(
        "--length_penalty", type=float, default=_D.length_penalty, help="Bonus per token"
    )
    group.add_argument(
        "--repeat_max_period", type=int, default=_D.repeat_max_period, help="Repetition guard"
    )
    group.add_argument(
        "--repeat_min_count", type=int, default=_D.repeat_min_count, help="Repetition guard"
    )

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
        **{f.name: getattr(args, f.name) for f in dataclasses.fields(DecodingOptions)},
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
