"""Decoding-speed benchmark: several systems on the same inputs, runs interleaved.

Example (mini LibriMix; batched vs one-at-a-time LLM decoding)::

    python -m espnet_mtasr.bin.bench_decoding --wav_scp dump/raw/test/wav.scp \\
        --num_utts 60 --runs 3 --out exp/bench/rtf.json \\
        --system llm_sot_b1 exp/asr_sop_llm_large/a_sot/config.yaml \\
                 exp/asr_sop_llm_large/a_sot/valid.acc.ave.pth conf/decode_llm.yaml 1 \\
        --system llm_sot_b8 exp/asr_sop_llm_large/a_sot/config.yaml \\
                 exp/asr_sop_llm_large/a_sot/valid.acc.ave.pth conf/decode_llm.yaml 8

Each ``--system NAME CONFIG MODEL INFERENCE_CONFIG BATCH_SIZE`` is loaded once (not
timed). Every run then decodes the same utterances (an even spread over the sorted
``wav.scp``) with every system in turn — run 1: A, B, ...; run 2: A, B, ... — so that
load changes on a shared machine hit all systems alike. RTF of a run = decoding wall
time / audio duration (reading audio and loading models not counted). Printed: the median
RTF per system over the runs, its spread (min-max) and the ratio of each median to the
first system's; ``--out`` keeps every run's numbers.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from espnet_mtasr.utils.errors import MTASRInputError, exit_on_input_error
from espnet_mtasr.utils.fileio import write_json
from espnet_mtasr.utils.kaldi_io import read_kaldi_lines

logger = logging.getLogger("bench_decoding")


def get_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--wav_scp", required=True, help="Kaldi wav.scp of the inputs")
    p.add_argument("--num_utts", type=int, default=60, help="utterances (an even spread)")
    p.add_argument("--runs", type=int, default=3, help="interleaved runs per system")
    p.add_argument("--num_threads", type=int, default=1, help="torch threads")
    p.add_argument(
        "--system",
        nargs=5,
        action="append",
        required=True,
        metavar=("NAME", "CONFIG", "MODEL", "INFERENCE_CONFIG", "BATCH_SIZE"),
        help="a system to time (repeat); INFERENCE_CONFIG may be 'none'",
    )
    p.add_argument("--out", default=None, help="JSON with every run's numbers")
    return p


def pick_spread(keys: Sequence[str], n: int) -> List[str]:
    """``n`` keys spread evenly over the sorted ``keys`` (all of them if fewer)."""
    keys = sorted(keys)
    if n >= len(keys):
        return keys
    return [keys[(i * len(keys)) // n] for i in range(n)]


def _decode_options(path: str) -> Dict[str, Any]:
    if path == "none":
        return {}
    import yaml

    if not Path(path).is_file():
        raise MTASRInputError("inference config not found", path=path)
    with open(path, encoding="utf-8") as f:
        return dict(yaml.safe_load(f) or {})


def _batches(audio: List[Any], batch_size: int):
    import torch

    from espnet_mtasr.utils.espnet_compat import pad_list

    for i in range(0, len(audio), batch_size):
        chunk = [torch.as_tensor(a) for a in audio[i : i + batch_size]]
        yield pad_list(chunk, 0.0), torch.tensor([len(a) for a in chunk])


def run_benchmark(
    systems: Sequence[Sequence[str]],
    wav_scp: str,
    num_utts: int,
    runs: int,
    num_threads: int = 1,
) -> Dict[str, Any]:
    """Time every system on the same utterances; returns the per-run RTFs and medians."""
    import inspect

    import soundfile
    import torch

    from espnet_mtasr.bin.mtasr_inference import MTSpeech2Text

    torch.set_num_threads(num_threads)
    scp = {ln.key: ln.value for ln in read_kaldi_lines(wav_scp, missing_fix="run stage 3")}
    keys = pick_spread(list(scp), num_utts)
    audio, seconds = [], 0.0
    for key in keys:
        data, rate = soundfile.read(scp[key], dtype="float32")
        audio.append(data)
        seconds += len(data) / rate
    accepted = set(inspect.signature(MTSpeech2Text.__init__).parameters)
    loaded = []
    for name, config, model, inference_config, batch_size in systems:
        options = {k: v for k, v in _decode_options(inference_config).items() if k in accepted}
        logger.info(f"loading {name}: {model} with {options}")
        loaded.append((name, MTSpeech2Text(config, model, **options), int(batch_size)))
    per_run: Dict[str, List[float]] = {name: [] for name, _, _ in loaded}
    for run in range(runs):
        for name, s2t, batch_size in loaded:
            tic = time.perf_counter()
            with torch.no_grad():
                for speech, lens in _batches(audio, batch_size):
                    s2t.decode_batch(speech, lens)
            rtf = (time.perf_counter() - tic) / seconds
            per_run[name].append(rtf)
            logger.info(f"run {run + 1}/{runs} {name}: RTF {rtf:.4f}")
    first = statistics.median(per_run[loaded[0][0]])
    summary = {
        name: {
            "median_rtf": statistics.median(values),
            "min_rtf": min(values),
            "max_rtf": max(values),
            "ratio_to_first": statistics.median(values) / first if first else None,
            "runs": values,
            "batch_size": batch_size,
        }
        for (name, _, batch_size), values in zip(loaded, per_run.values())
    }
    return {
        "wav_scp": wav_scp,
        "num_utts": len(keys),
        "audio_seconds": seconds,
        "runs": runs,
        "num_threads": num_threads,
        "systems": summary,
    }


def format_table(result: Dict[str, Any]) -> str:
    """The Markdown table of :func:`run_benchmark`'s result."""
    first = next(iter(result["systems"]))
    lines = [
        f"{result['num_utts']} utterances, {result['audio_seconds']:.1f} s of audio, "
        f"{result['runs']} interleaved runs, {result['num_threads']} thread(s)",
        "",
        f"|system|batch|median RTF|min-max|ratio to {first}|",
        "|---|---:|---:|---:|---:|",
    ]
    for name, s in result["systems"].items():
        lines.append(
            f"|{name}|{s['batch_size']}|{s['median_rtf']:.4f}|"
            f"{s['min_rtf']:.4f}-{s['max_rtf']:.4f}|{s['ratio_to_first']:.2f}|"
        )
    return "\n".join(lines) + "\n"


@exit_on_input_error
def main(argv: Optional[Sequence[str]] = None) -> None:
    args = get_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s: %(message)s")
    for name, *_, batch_size in args.system:
        if not batch_size.isdigit() or int(batch_size) < 1:
            raise MTASRInputError(f"--system {name}: BATCH_SIZE must be >= 1, not {batch_size}")
    if args.runs < 1 or args.num_utts < 1:
        raise MTASRInputError("--runs and --num_utts must be >= 1")
    result = run_benchmark(args.system, args.wav_scp, args.num_utts, args.runs, args.num_threads)
    print(format_table(result), end="")
    if args.out:
        write_json(args.out, result)


if __name__ == "__main__":
    main(sys.argv[1:])
