"""Score multi-talker hypotheses: SOT WER, cpWER (meeteval), talker-count accuracy.

Example (word mode, LibriMix)::

    python -m espnet_mtasr.bin.score --ref data/test/text --hyp exp/asr/decode/test/text \\
        --utt2num_spk data/test/utt2num_spk --out_dir exp/asr/decode/test/score_wer \\
        --config conf/tuning/train_llm_sot.yaml

Mandarin cpCER: ``--mode char``. Transcript format (``--text_format``): by default
(``auto``) the reference's, from its symbols (``<sc>``: ``sot``; ``<spkN>``: ``spk_tag``;
neither anywhere: ``sot``, one stream per line); or given as ``sot`` / ``spk_tag``.

Inputs the scorer cannot score correctly stop it with a one-line error naming the file,
the line and the utterance, before anything is written (an existing ``--out_dir`` is left
byte-identical):

- a reference or hypothesis line in another format than the scored one (e.g. a
  speaker-tagged hypothesis scored as ``<sc>``-separated); a hypothesis line with no
  separator at all is one stream and is scored;
- an empty or separator-only reference line (no talker to score: drop the utterance
  from the data dir);
- hypothesis ids not in the reference.

Reference ids without a hypothesis are scored as all deletions, with a warning naming how
many and the first few.

Writes ``result.txt``, ``result.json``, ``talkers.png``, ``utt_errors.txt``,
``ref.seglst.json`` and ``hyp.seglst.json`` into ``--out_dir`` and prints the table. Nothing
is written outside ``--out_dir``: a recipe's ``RESULTS.md`` is generated from the
``result.json`` files afterwards (``utils/show_asr_result.sh exp > RESULTS.md``, see
:mod:`espnet_mtasr.metrics.results_md`).

``result.json`` holds the scores (rates as fractions) and what the RESULTS.md section
shows: ``config``, ``inference_config``, ``command`` (``--cmd``, default: this command),
``date``, ``environment`` (python, torch, espnet, espnet_mtasr versions) and ``label``
(``--label``, e.g. ``SOP draft``: what was scored, if not the decoder's output).

Decoding real-time factor: ``--rtf exp/asr/decode/test/rtf`` (the per-utterance timings
of ``mtasr_inference``, all jobs concatenated) adds ``rtf``, ``rtf_audio_seconds``,
``rtf_decode_seconds``, ``rtf_utts`` (and ``rtf_note``) to ``result.json`` and a line to
``result.txt``; say how it was decoded with ``--rtf_note "CPU, 2 jobs x 1 thread, beam 5"``.

A decode dir (the recipe's stage 13): ``--decode_dir exp/.../decode_x/test --ref_dir
dump/raw/test [--text_name text_spktag]`` scores ``text`` into ``score_wer`` and every
output the model family declares in ``outputs.json`` as it says (``OutputSpec``: the
``sop_llm`` draft per stream into ``score_wer_sop``, ``encoder_only``'s talker counts
into the confusion matrix), with no family name in the recipe.

Stream-ordered error rates: ``--per_stream`` also scores hypothesis stream ``s`` against
reference talker ``s`` (start-time order, no permutation search) — for outputs whose
stream order means something, like the serialized-CTC draft of ``sop_llm``
(``sop_text``). They go to ``result.json`` (``per_stream``).

Talker-count confusion matrix (rows: reference count, columns: predicted) in
``result.json`` (``count_confusion``) and ``talkers.png`` (with the cp error rate per
talker count): the prediction is the talker-count head's with ``--hyp_count
exp/.../1best_recog/talker_count`` (``encoder_only``), else the number of non-empty
hypothesis streams.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from pathlib import Path
from typing import Any, List

from espnet_mtasr.metrics.percent import format_percent
from espnet_mtasr.metrics.plot import plot_talkers
from espnet_mtasr.metrics.results_md import ScoredSet, environment, now_string
from espnet_mtasr.metrics.rtf import describe_rtf, read_rtf
from espnet_mtasr.metrics.scoring_io import (
    format_result_table,
    load_scoring_input,
    read_talker_counts,
    score_to_dir,
)
from espnet_mtasr.metrics.talker_count import count_confusion
from espnet_mtasr.metrics.tokens import MODES
from espnet_mtasr.metrics.wer import (
    AUTO_TEXT_FORMAT,
    TEXT_FORMATS,
    extract_streams,
    stream_error_counts,
)
from espnet_mtasr.models.output_spec import OUTPUTS_FILE, read_outputs
from espnet_mtasr.utils.errors import MTASRInputError, exit_on_input_error


def get_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--ref", default=None, help="reference Kaldi text (data dir)")
    parser.add_argument("--hyp", default=None, help="hypothesis Kaldi text (decoding)")
    parser.add_argument(
        "--decode_dir",
        default=None,
        help="score a decode dir (stage 13): its text and every output its outputs.json "
        "declares, against --ref_dir; instead of --ref/--hyp/--out_dir",
    )
    parser.add_argument("--ref_dir", default=None, help="with --decode_dir: the data dir")
    parser.add_argument(
        "--text_name", default="text", help="with --decode_dir: the reference of text"
    )
    parser.add_argument(
        "--utt2num_spk",
        default=None,
        help="<utt> <talker count> per reference; default: the reference stream count",
    )
    parser.add_argument("--out_dir", default=None, help="where the reports go")
    parser.add_argument(
        "--mode", default="word", choices=MODES, help="char: every character is a token (CER)"
    )
    parser.add_argument(
        "--text_format",
        default=AUTO_TEXT_FORMAT,
        choices=(AUTO_TEXT_FORMAT, *TEXT_FORMATS),
        help="sot: streams separated by <sc>; spk_tag: '<spk1> words <spk2> words ...'; "
        "auto: the reference's (sot if no line has a separator). A line in another format "
        "is an error, as is an empty or separator-only reference line",
    )
    parser.add_argument(
        "--set", dest="set_name", default=None, help="set name; default: --ref's directory"
    )
    parser.add_argument(
        "--label",
        default="",
        help="what was scored, if not the decoder's output (e.g. 'SOP draft'); shown "
        "after the set name in RESULTS.md",
    )
    parser.add_argument("--config", default=None, help="(training) config name kept")
    parser.add_argument(
        "--inference_config", default=None, help="decoding config name shown next to --config"
    )
    parser.add_argument(
        "--rtf",
        default=None,
        help="'<utt> <audio seconds> <decoding seconds>' per utterance (the rtf file of "
        "mtasr_inference, jobs concatenated): report the decoding real-time factor",
    )
    parser.add_argument(
        "--rtf_note",
        default="",
        help="how it was decoded, shown with the RTF (e.g. 'CPU, 2 jobs x 1 thread, beam 5')",
    )
    parser.add_argument(
        "--cmd", default=None, help="command kept in result.json; default: this command"
    )
    parser.add_argument(
        "--hyp_count",
        default=None,
        help="'<utt> <predicted talker count>' (encoder_only: 1best_recog/talker_count) for "
        "the confusion matrix; default: the hypothesis stream count",
    )
    parser.add_argument(
        "--per_stream",
        action="store_true",
        help="also score hypothesis stream s against reference talker s (no permutation)",
    )
    return parser


def decode_dir_runs(args: argparse.Namespace) -> List[List[str]]:
    """The scorer runs of ``--decode_dir D --ref_dir R``, from what the decoding declares.

    ``D/text`` against ``R/<--text_name>`` into ``D/score_<wer|cer>`` (with ``D/rtf`` and,
    for an output of scoring ``count``, its talker counts); then every output of scoring
    ``cp`` / ``per_stream`` in ``D/outputs.json`` (:class:`OutputSpec`) against
    ``R/<its reference>`` into ``D/score_<wer|cer>_<suffix>``, labelled.
    """
    decode, ref_dir = Path(args.decode_dir), args.ref_dir
    if ref_dir is None:
        raise MTASRInputError("--decode_dir needs --ref_dir (the data dir scored against)")
    given = [f"--{n}" for n in ("ref", "hyp", "out_dir", "rtf", "hyp_count") if getattr(args, n)]
    given += ["--per_stream"] * args.per_stream + ["--label"] * bool(args.label)
    if given:
        raise MTASRInputError(
            f"--decode_dir derives {', '.join(given)} from the decoding's outputs.json",
            fix="drop them, or score one file without --decode_dir",
        )
    ref_dir = Path(ref_dir)
    specs = read_outputs(decode)
    if not (decode / OUTPUTS_FILE).is_file():
        logging.warning(
            "%s has no %s (decoded before it was written): only text is scored; re-run "
            "stage 12 to score the outputs the model family declares",
            decode,
            OUTPUTS_FILE,
        )
    for spec in specs:
        if spec.scoring and not (decode / spec.name).is_file():
            raise MTASRInputError(
                f"{OUTPUTS_FILE} declares output {spec.name!r} ({spec.scoring}), but "
                f"{decode / spec.name} is missing",
                path=decode / OUTPUTS_FILE,
                fix="re-run stage 12 (decoding) for this set",
            )
    er = "cer" if args.mode == "char" else "wer"
    common = ["--mode", args.mode]
    common += [] if args.config is None else ["--config", args.config]
    common += [] if args.cmd is None else ["--cmd", args.cmd]
    common += [] if args.set_name is None else ["--set", args.set_name]
    if (ref_dir / "utt2num_spk").is_file():
        common += ["--utt2num_spk", str(ref_dir / "utt2num_spk")]
    run = ["--ref", str(ref_dir / args.text_name), "--hyp", str(decode / "text")]
    run += ["--out_dir", str(decode / f"score_{er}"), "--text_format", args.text_format]
    if (decode / "rtf").is_file() and (decode / "rtf").stat().st_size:
        run += ["--rtf", str(decode / "rtf"), "--rtf_note", args.rtf_note]
    if args.inference_config is not None:
        run += ["--inference_config", args.inference_config]
    for spec in specs:
        if spec.scoring == "count":
            run += ["--hyp_count", str(decode / spec.name)]
    runs = [run + common]
    for spec in specs:
        if spec.scoring in ("cp", "per_stream"):
            extra = ["--ref", str(ref_dir / spec.reference), "--hyp", str(decode / spec.name)]
            extra += ["--out_dir", str(decode / spec.score_dir(er)), "--label", spec.label]
            runs.append(extra + ["--per_stream"] * (spec.scoring == "per_stream") + common)
    logging.info("%s: scoring text%s", decode, "".join(f", {s.name}" for s in specs if s.scoring))
    return runs


@exit_on_input_error
def main(cmd: list[str] | None = None) -> None:
    """Run the scorer (``cmd``: the arguments, default ``sys.argv[1:]``).

    Every input is checked before the first write (see the module docstring): a line in
    another format than the scored one, an empty or separator-only reference line, or a
    hypothesis id not in the reference ends it with exit status 1 and ``--out_dir``
    untouched; missing hypotheses are scored as all deletions with a warning.
    """
    parser = get_parser()
    argv = sys.argv[1:] if cmd is None else list(cmd)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    if args.decode_dir is not None:
        for run in decode_dir_runs(args):
            main(run)
        return
    missing = [f"--{n}" for n in ("ref", "hyp", "out_dir") if getattr(args, n) is None]
    if missing:
        raise MTASRInputError(
            f"{', '.join(missing)} not given",
            fix="give --ref, --hyp and --out_dir, or --decode_dir",
        )
    set_name = args.set_name or Path(args.ref).resolve().parent.name
    command = args.cmd
    if command is None:
        command = shlex.join(["python", "-m", "espnet_mtasr.bin.score", *argv])
    extra: dict[str, Any] = {
        "config": args.config,
        "inference_config": args.inference_config,
        "label": " ".join(args.label.split()),
        "command": command,
        "date": now_string(),
        "environment": environment(),
    }
    notes = []
    inp = load_scoring_input(args.ref, args.hyp, args.utt2num_spk, args.text_format)
    text_format = inp.text_format  # "auto" resolved
    if args.rtf is not None:  # checked before anything is written
        ref_ids = set(inp.refs)
        rtf = read_rtf(args.rtf, utt_ids=ref_ids)
        if rtf.num_utts < len(ref_ids):
            logging.warning(
                "%s times %d of the %d reference utterances; the RTF is over those",
                args.rtf,
                rtf.num_utts,
                len(ref_ids),
            )
        if rtf.rtf is None:
            logging.warning("%s has no (or zero) audio durations: RTF not known", args.rtf)
        rtf_note = " ".join(args.rtf_note.split())
        extra.update(rtf.to_dict(), rtf_note=rtf_note)
        notes.append(describe_rtf(rtf, rtf_note))
    reference = inp.talkers or {
        u: len(extract_streams(t, text_format)) for u, t in inp.refs.items()
    }
    if args.hyp_count is not None:
        fix = "use the talker_count of the decoding being scored, every utterance decoded"
        predicted = read_talker_counts(args.hyp_count, inp.refs, args.ref, fix=fix)
        source = "head"
    else:
        hyps = inp.hyps
        predicted = {u: len(extract_streams(hyps.get(u, ""), text_format)) for u in reference}
        source = "streams"
    confusion = count_confusion(reference, predicted, source)
    extra["count_confusion"] = confusion.to_dict()
    if args.per_stream:
        per_stream = stream_error_counts(inp.refs, inp.hyps, args.mode, text_format)
        extra["per_stream"] = [{"stream": s + 1, **c.to_dict()} for s, c in enumerate(per_stream)]
        er = "CER" if args.mode == "char" else "WER"
        notes.append(
            f"stream-ordered {er} (stream s vs talker s): "
            + ", ".join(
                f"stream {s + 1} {format_percent(c.rate)}% of {c.length}"
                if c.rate is not None
                else f"stream {s + 1} - ({c.errors} insertions)"
                for s, c in enumerate(per_stream)
            )
        )
    score = score_to_dir(
        args.ref,
        args.hyp,
        args.out_dir,
        utt2num_spk_path=args.utt2num_spk,
        mode=args.mode,
        text_format=text_format,
        set_name=set_name,
        extra=extra,
        notes=notes,
        scoring_input=inp,
    )
    print(format_result_table(score, f"{set_name} ({args.mode})"), end="")
    for note in notes:
        print(note)
    scored = ScoredSet.from_result_json({"set": set_name, **score.to_dict(), **extra}, "")
    plot = plot_talkers(scored, Path(args.out_dir) / "talkers.png")
    logging.info("wrote %s and %s", Path(args.out_dir) / "result.json", plot)


if __name__ == "__main__":
    main()
