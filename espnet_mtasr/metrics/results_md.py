"""A recipe's ``RESULTS.md`` generated from the ``result.json`` files under ``exp/``.

Like ESPnet's ``scripts/utils/show_asr_result.sh exp > RESULTS.md``: stage 13
(``espnet_mtasr.bin.score``) writes one ``result.json`` per decoded set and scoring mode
under the experiment directory, never into the tracked ``RESULTS.md``::

    <exp>/<asr_exp>[/<sub-stage>]/decode_<tag>/<set>/score_{wer,cer}[_<suffix>]/result.json

and ``utils/show_asr_result.sh exp > RESULTS.md`` (``python -m
espnet_mtasr.bin.show_results exp``) turns them into tables:

- one ``## <exp>/<asr_exp>/decode_<tag>`` section per decode directory, with the date,
  environment (python, torch, espnet, espnet_mtasr), configs and command of its scoring;
- per scoring mode a table with a row per (set, talker count) and ``all``: ``#utts``,
  ``#ref words`` (chars), SOT WER, cpWER, count accuracy (CER / cpCER in ``char`` mode);
- the talker-count confusion matrix, stream-ordered error rates (``score --per_stream``)
  and the decoding real-time factor where ``result.json`` has them.

Only JSON is read. The output depends on nothing but those files and the directory names
given (no clock, no interpreter versions), so regenerating it from the same ``exp/`` gives
the same file. Percentages come from :func:`~espnet_mtasr.metrics.percent.format_percent`.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import espnet_mtasr
from espnet_mtasr.metrics.percent import format_percent
from espnet_mtasr.metrics.rtf import RTFSummary, describe_rtf, format_rtf
from espnet_mtasr.metrics.talker_count import CountConfusion
from espnet_mtasr.metrics.tokens import check_mode
from espnet_mtasr.utils.errors import MTASRInputError

__all__ = [
    "LEGEND",
    "ResultsRow",
    "ScoredSet",
    "StreamRow",
    "environment",
    "find_results",
    "format_summary",
    "now_string",
    "render_results_md",
]

PathLike = str | Path

LEGEND = (
    "Rates in %. SOT WER: the serialized output (talker streams in start-time order) "
    "against the serialized reference, as one sequence; cpWER: concatenated "
    "minimum-permutation WER (meeteval); count acc: utterances whose output has as many "
    "talker streams as the reference has talkers; CER / cpCER: the same on characters. "
    "RTF: total decoding time / total audio duration, the time of one decoding stream "
    "(model loading and audio reading not counted)."
)


@dataclass(frozen=True)
class ResultsRow:
    """One table row; rates are fractions (None: no reference words / no utterances)."""

    talkers: str
    num_utts: int
    ref_len: int
    sot_rate: float | None
    cp_rate: float | None
    count_accuracy: float | None


@dataclass(frozen=True)
class StreamRow:
    """Stream-ordered error counts of one output stream (``score --per_stream``)."""

    stream: int
    length: int
    errors: int
    rate: float | None


@dataclass(frozen=True)
class ScoredSet:
    """The content of one ``result.json``: a set scored in one mode.

    Args:
        decode_dir: the decode directory as a heading, e.g.
            ``exp/asr_sot_conformer_demo/decode_decode_sot_asr_model_valid.acc.ave``.
        set_name: data set name (``test``, ``dev``, ...).
        mode: ``"word"`` or ``"char"``.
        rows: per talker count, then ``all``.
        label: what was scored, if not the decoder's output (e.g. ``SOP draft``).
        config: training config.
        inference_config: decoding config.
        command: the command that produced the numbers.
        date: when it was scored (:func:`now_string`).
        environment: ``(name, version)`` pairs (:func:`environment`).
        rtf: decoding real-time factor of the set, if timed.
        rtf_note: how it was decoded (hardware, jobs, threads, batch).
        streams: stream-ordered error rates (stream s vs talker s), if scored.
        confusion: the talker-count confusion matrix, if scored.
        path: the ``result.json`` it was read from.
    """

    decode_dir: str
    set_name: str
    mode: str
    rows: tuple[ResultsRow, ...]
    label: str = ""
    config: str = ""
    inference_config: str = ""
    command: str = ""
    date: str = ""
    environment: tuple[tuple[str, str], ...] = ()
    rtf: RTFSummary | None = None
    rtf_note: str = ""
    streams: tuple[StreamRow, ...] = ()
    confusion: CountConfusion | None = None
    path: str = ""

    @property
    def name(self) -> str:
        """The set name with its label: ``test`` or ``test (SOP draft)``."""
        return f"{self.set_name} ({self.label})" if self.label else self.set_name

    @classmethod
    def from_result_json(
        cls, summary: Mapping[str, Any], decode_dir: str, path: str = ""
    ) -> ScoredSet:
        """Read the body of a ``result.json`` written by ``espnet_mtasr.bin.score``.

        Raises:
            KeyError, TypeError, ValueError: not such a ``result.json``.
        """
        mode = check_mode(summary["mode"])

        def row(label: str, g: Mapping[str, Any]) -> ResultsRow:
            return ResultsRow(
                talkers=label,
                num_utts=int(g["num_utts"]),
                ref_len=int(g["cp"]["length"]),
                sot_rate=g["sot"]["rate"],
                cp_rate=g["cp"]["rate"],
                count_accuracy=g["count_accuracy"],
            )

        rows = [row(str(g["talkers"]), g) for g in summary["by_talkers"]]
        rows.append(row("all", summary["overall"]))
        env = summary.get("environment") or {}
        if not isinstance(env, Mapping):
            raise TypeError(f"environment is a {type(env).__name__}, not an object")
        confusion = summary.get("count_confusion")
        return cls(
            decode_dir=decode_dir,
            set_name=str(summary.get("set") or Path(path).parent.parent.name),
            mode=mode,
            rows=tuple(rows),
            label=" ".join((summary.get("label") or "").split()),
            config=summary.get("config") or "",
            inference_config=summary.get("inference_config") or "",
            command=summary.get("command") or "",
            date=summary.get("date") or "",
            environment=tuple((str(k), str(v)) for k, v in env.items()),
            rtf=RTFSummary.from_dict(summary),
            rtf_note=summary.get("rtf_note") or "",
            streams=tuple(
                StreamRow(int(r["stream"]), int(r["length"]), int(r["errors"]), r["rate"])
                for r in summary.get("per_stream") or ()
            ),
            confusion=CountConfusion.from_dict(confusion) if confusion else None,
            path=path,
        )


def now_string() -> str:
    """Local time with UTC offset, e.g. ``2026-05-09 14:03:11 +0200``."""
    return datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %z")


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "n/a"


def environment() -> dict[str, str]:
    """Versions of python, torch, espnet and espnet_mtasr (read without importing them)."""
    return {
        "python": platform.python_version(),
        "torch": _version("torch"),
        "espnet": _version("espnet"),
        "espnet_mtasr": espnet_mtasr.__version__,
    }


def find_results(exp_dirs: Sequence[PathLike]) -> list[ScoredSet]:
    """Every ``<decode dir>/<set>/score_*/result.json`` under ``exp_dirs``, sorted by
    decode dir, set, label and mode.

    The decode dir's heading is its path below the given directory, prefixed by that
    directory as given (``exp`` -> ``exp/asr_x/decode_y``).

    Raises:
        MTASRInputError: a directory that does not exist, or a ``result.json`` that
            cannot be read (names the file).
    """
    found = []
    for exp_dir in exp_dirs:
        root = Path(exp_dir)
        if not root.is_dir():
            raise MTASRInputError(
                "not a directory", path=root, fix="give the recipe's experiment dir, e.g. exp"
            )
        prefix = Path(os.path.normpath(exp_dir))
        for path in sorted(root.rglob("result.json")):
            if not path.parent.name.startswith("score_") or len(path.relative_to(root).parts) < 3:
                continue  # not <decode dir>/<set>/score_*/result.json
            decode = path.parent.parent.parent.relative_to(root)
            heading = (prefix / decode).as_posix()
            try:
                summary = json.loads(path.read_text(encoding="utf-8"))
                if not isinstance(summary, dict):
                    raise TypeError(f"a JSON {type(summary).__name__}, not an object")
                found.append(ScoredSet.from_result_json(summary, heading, str(path)))
            except (ValueError, KeyError, TypeError) as e:
                raise MTASRInputError(
                    f"not a result.json of espnet_mtasr.bin.score ({type(e).__name__}: {e})",
                    path=path,
                    fix="re-run stage 13 (scoring) for this decode dir, or remove the file",
                ) from None
    return sorted(found, key=lambda s: (s.decode_dir, s.set_name, s.label, s.mode, s.path))


def _code(s: str) -> str:
    """Markdown inline code that survives backticks in ``s``."""
    return f"`` {s} ``" if "`" in s else f"`{s}`"


def _cell(s: str) -> str:
    """Free text as one Markdown table cell."""
    return " ".join(s.split()).replace("|", "\\|")


def _seconds(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _environment_text(env: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{name} {_code(version)}" for name, version in env)


def _error_names(mode: str) -> tuple[str, str]:
    return ("CER", "chars") if mode == "char" else ("WER", "words")


def _section(decode_dir: str, sets: Sequence[ScoredSet]) -> list[str]:
    lines = [f"## {decode_dir}", ""]
    dates = sorted(_unique(s.date for s in sets))
    if dates:
        lines.append(f"- date: {_code(dates[-1])}")  # of the last set scored
    envs = _unique(_environment_text(s.environment) for s in sets)
    if envs:
        lines.append("- environment: " + "; ".join(envs))
    for key, what in (("config", "config"), ("inference_config", "inference config")):
        values = _unique(getattr(s, key) for s in sets)
        if values:
            lines.append(f"- {what}: " + "; ".join(_code(v) for v in values))
    commands = _unique(s.command for s in sets)
    if len(commands) == 1:
        lines.append(f"- command: {_code(commands[0])}")
    else:
        lines += [f"- command ({s.name}, {s.mode}): {_code(s.command)}" for s in sets if s.command]
    for s in sets:
        if s.streams:
            er, _ = _error_names(s.mode)
            rates = ", ".join(
                f"stream {r.stream} {format_percent(r.rate)} of {r.length}" for r in s.streams
            )
            lines.append(f"- stream-ordered {er}, {s.name}, stream s vs talker s: {rates}")
    for mode in ("word", "char"):
        mode_sets = [s for s in sets if s.mode == mode]
        if not mode_sets:
            continue
        er, unit = _error_names(mode)
        lines += [
            "",
            f"|set|talkers|#utts|#ref {unit}|SOT {er}|cp{er}|count acc|",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for s in mode_sets:
            for r in s.rows:
                cells = [
                    _cell(s.name),
                    r.talkers,
                    str(r.num_utts),
                    str(r.ref_len),
                    format_percent(r.sot_rate),
                    format_percent(r.cp_rate),
                    format_percent(r.count_accuracy),
                ]
                lines.append("|" + "|".join(cells) + "|")
    shown = set()  # a set scored in word and char mode has one talker count confusion
    for s in sets:
        c = s.confusion
        if c is None or not c.labels or s.name in shown:
            continue
        shown.add(s.name)
        by = "the talker-count head" if c.source == "head" else "the output's stream count"
        lines += [
            "",
            f"Talker-count confusion, {s.name}: rows reference, columns "
            f"predicted by {by}; accuracy {format_percent(c.accuracy)} % of {c.total}.",
            "",
            "|ref \\ predicted|" + "|".join(str(k) for k in c.labels) + "|",
            "|---|" + "---:|" * len(c.labels),
        ]
        lines += [  # reference counts without utterances (predicted only) are all zeros
            f"|{k}|" + "|".join(str(n) for n in row) + "|"
            for k, row in zip(c.labels, c.matrix)
            if sum(row)
        ]
    rtf_rows = _unique(
        "|"
        + "|".join(
            [
                _cell(s.set_name),
                format_rtf(s.rtf),
                str(s.rtf.num_utts),
                _seconds(s.rtf.audio_seconds),
                _seconds(s.rtf.decode_seconds),
                _cell(s.rtf_note),
            ]
        )
        + "|"
        for s in sets
        if s.rtf is not None
    )  # a set scored in word and char mode was decoded once: one row
    if rtf_rows:
        lines += [
            "",
            "|set|RTF|#utts|audio (s)|decoding (s)|setup|",
            "|---|---:|---:|---:|---:|---|",
            *rtf_rows,
        ]
    return lines


def render_results_md(sets: Sequence[ScoredSet], exp_dirs: Sequence[PathLike]) -> str:
    """The Markdown of ``RESULTS.md`` (ends with a newline); ``exp_dirs`` are named in
    its header as the arguments that regenerate it."""
    args = " ".join(shlex.quote(str(d)) for d in exp_dirs)
    lines = [
        "# RESULTS",
        "",
        f"Generated by `utils/show_asr_result.sh {args} > RESULTS.md` (= `python -m "
        f"espnet_mtasr.bin.show_results {args}`) from the `result.json` files of stage 13; "
        "do not edit by hand. Findings and discussion: README.md.",
        "",
        LEGEND,
    ]
    by_dir: dict[str, list[ScoredSet]] = {}
    for s in sets:
        by_dir.setdefault(s.decode_dir, []).append(s)
    if not by_dir:
        lines += ["", f"No scored sets under {args} (stage 13 writes them)."]
    for decode_dir, dir_sets in by_dir.items():
        lines += ["", *_section(decode_dir, dir_sets)]
    return "\n".join(lines) + "\n"


def format_summary(sets: Sequence[ScoredSet]) -> str:
    """A short plain-text table per set for the end of a recipe run's log: talker count
    x SOT WER / cpWER / count accuracy, the RTF, and the plot next to each result.json."""
    out = []
    for s in sets:
        er, _ = _error_names(s.mode)
        header = ["talkers", "#utts", f"SOT {er}", f"cp{er}", "count acc"]
        table = [header] + [
            [
                r.talkers,
                str(r.num_utts),
                format_percent(r.sot_rate),
                format_percent(r.cp_rate),
                format_percent(r.count_accuracy),
            ]
            for r in s.rows
        ]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        out.append(f"{s.decode_dir}: {s.name} ({er} in %)")
        out += ["  " + "  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in table]
        if s.rtf is not None:
            out.append("  " + describe_rtf(s.rtf, s.rtf_note))
        if s.path:
            plot = Path(s.path).with_name("talkers.png")
            if plot.is_file():
                out.append(f"  plot: {plot}")
    return "\n".join(out) + "\n" if out else ""
