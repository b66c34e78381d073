"""Keep an ESPnet-style ``RESULTS.md`` up to date with scoring results.

Each experiment has one section, keyed by its tag::

    ## <tag>
    <!-- espnet_mtasr-results {...} -->

    - date: `2026-05-09 12:00:00 +0000`
    - config: `conf/tuning/train_llm_sot.yaml`
    - inference config: `conf/decode_asr.yaml`
    - environment: python `3.11.7`, torch `2.13.0`, espnet `202511`, espnet_mtasr `0.1.0`
    - commands:
      - test (word): `python -m espnet_mtasr.bin.score ...`

    ### WER

    |set|talkers|#utts|#ref words|SOT WER|cpWER|count acc|
    |---|---:|---:|---:|---:|---:|---:|
    |test|1|...|
    |test|all|...|

    ### Decoding RTF

    RTF = total decoding time / total audio duration, over the utterances of all jobs ...

    |set|RTF|#utts|audio (s)|decoding (s)|setup|
    |---|---:|---:|---:|---:|---|
    |test|0.1235|250|1800.2|222.3|CPU, 2 jobs x 1 thread, batch 1|

A section holds one entry per (set, mode) (``mode`` ``char`` gives a ``### CER`` table
with SOT CER / cpCER); the ``### Decoding RTF`` table has a row per set scored with
``--rtf`` (see :mod:`espnet_mtasr.metrics.rtf`). Updating an entry re-renders the
section from the data kept in its hidden ``<!-- espnet_mtasr-results ... -->`` comment:
the same (set, mode) is replaced, other sets stay, and re-running never duplicates
anything. A section is the ``## <tag>`` heading up to the next ``#`` or ``##`` heading;
text hand-written inside it is lost on update, text outside it is kept. Rates are percent
with one decimal, as in ESPnet. The file is replaced atomically.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import platform
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import espnet_mtasr
from espnet_mtasr.metrics.rtf import RTFSummary, format_rtf
from espnet_mtasr.metrics.talker_count import CountConfusion
from espnet_mtasr.metrics.tokens import check_mode
from espnet_mtasr.utils.fileio import atomic_write

__all__ = [
    "ResultsEntry",
    "ResultsRow",
    "StreamRow",
    "environment_line",
    "now_string",
    "render_section",
    "update_results_md",
]

_MARKER = "<!-- espnet_mtasr-results "
_MARKER_RE = re.compile(r"^<!-- espnet_mtasr-results (.*) -->\s*$")
_FILE_HEADER = "# RESULTS\n"


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
class ResultsEntry:
    """The results of one set, scored in one mode, under a tag.

    Args:
        set_name: data set name (``test``, ``dev``, ...).
        mode: ``"word"`` or ``"char"``.
        rows: per talker count, then ``all``.
        command: the command that produced the numbers.
        config: config name (e.g. the training YAML).
        inference_config: decoding config name (e.g. the inference YAML).
        rtf: decoding real-time factor of the set, if timed.
        rtf_note: how it was decoded (hardware, jobs, threads, beam), shown with ``rtf``.
        streams: stream-ordered error rates (stream s vs talker s), if scored.
        confusion: the talker-count confusion matrix, if scored.
        date: when it was scored (see :func:`now_string`).
        environment: version line (see :func:`environment_line`).
    """

    set_name: str
    mode: str
    rows: tuple[ResultsRow, ...]
    command: str = ""
    config: str = ""
    date: str = ""
    environment: str = ""
    inference_config: str = ""
    rtf: RTFSummary | None = None
    rtf_note: str = ""
    streams: tuple[StreamRow, ...] = ()
    confusion: CountConfusion | None = None

    @classmethod
    def from_summary(
        cls,
        set_name: str,
        summary: Mapping[str, Any],
        command: str = "",
        config: str = "",
        date: str | None = None,
        environment: str | None = None,
        inference_config: str | None = None,
        rtf_note: str | None = None,
    ) -> ResultsEntry:
        """Build an entry from ``CorpusScore.to_dict()`` (the body of ``result.json``).

        ``date`` and ``environment`` default to now and this interpreter's versions;
        ``inference_config`` and ``rtf_note`` to the summary's keys of those names. The
        real-time factor comes from the summary's ``rtf_*`` keys
        (:meth:`~espnet_mtasr.metrics.rtf.RTFSummary.from_dict`), if any.
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
        return cls(
            set_name=set_name,
            mode=mode,
            rows=tuple(rows),
            command=command,
            config=config,
            date=now_string() if date is None else date,
            environment=environment_line() if environment is None else environment,
            inference_config=(
                (summary.get("inference_config") or "")
                if inference_config is None
                else inference_config
            ),
            rtf=RTFSummary.from_dict(summary),
            rtf_note=(summary.get("rtf_note") or "") if rtf_note is None else rtf_note,
            streams=tuple(
                StreamRow(int(r["stream"]), int(r["length"]), int(r["errors"]), r["rate"])
                for r in summary.get("per_stream") or ()
            ),
            confusion=(
                CountConfusion.from_dict(summary["count_confusion"])
                if summary.get("count_confusion")
                else None
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (inverse of :meth:`from_dict`)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ResultsEntry:
        """Inverse of :meth:`to_dict`."""
        rtf = d.get("rtf")
        confusion = d.get("confusion")
        return cls(
            **{
                **d,
                "rows": tuple(ResultsRow(**r) for r in d["rows"]),
                "streams": tuple(StreamRow(**r) for r in d.get("streams") or ()),
                "rtf": None if rtf is None else RTFSummary(**rtf),
                "confusion": None if confusion is None else CountConfusion.from_dict(confusion),
            }
        )


def now_string() -> str:
    """Local time with UTC offset, e.g. ``2026-05-09 14:03:11 +0200``."""
    return datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %z")


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "n/a"


def environment_line() -> str:
    """Versions of python, torch, espnet and espnet_mtasr (read without importing them)."""
    versions = [
        ("python", platform.python_version()),
        ("torch", _version("torch")),
        ("espnet", _version("espnet")),
        ("espnet_mtasr", espnet_mtasr.__version__),
    ]
    return ", ".join(f"{name} `{v}`" for name, v in versions)


def _code(s: str) -> str:
    """Markdown inline code that survives backticks in ``s``."""
    return f"`` {s} ``" if "`" in s else f"`{s}`"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def _cell(s: str) -> str:
    """Free text as one Markdown table cell."""
    return " ".join(s.split()).replace("|", "\\|")


def _seconds(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _confusion_lines(e: ResultsEntry) -> list[str]:
    c = e.confusion
    assert c is not None
    by = "the talker-count head" if c.source == "head" else "the hypothesis stream count"
    return [
        f"### Talker-count confusion ({_cell(e.set_name)}, {e.mode})",
        "",
        f"Rows: reference talkers; columns: predicted by {by}. "
        f"Accuracy {_pct(c.accuracy)} % of {c.total}.",
        "",
        "|ref \\ predicted|" + "|".join(str(k) for k in c.labels) + "|",
        "|---|" + "---:|" * len(c.labels),
        *(f"|{k}|" + "|".join(str(n) for n in row) + "|" for k, row in zip(c.labels, c.matrix)),
    ]


def render_section(tag: str, entries: Sequence[ResultsEntry]) -> str:
    """The Markdown of one tag's section (ends with a newline)."""
    data = json.dumps(
        {"tag": tag, "entries": [e.to_dict() for e in entries]}, ensure_ascii=False
    ).replace(">", "\\u003e")  # never "-->" inside the comment; still valid JSON
    lines = [f"## {tag}", f"{_MARKER}{data} -->", ""]
    dates = sorted(_unique([e.date for e in entries]))
    if dates:
        lines.append(f"- date: {_code(dates[-1])}")
    configs = _unique([e.config for e in entries])
    if configs:
        lines.append("- config: " + "; ".join(_code(c) for c in configs))
    inference_configs = _unique([e.inference_config for e in entries])
    if inference_configs:
        lines.append("- inference config: " + "; ".join(_code(c) for c in inference_configs))
    environments = _unique([e.environment for e in entries])
    if environments:
        lines.append("- environment: " + "; ".join(environments))
    commands = [e for e in entries if e.command]
    if commands:
        lines.append("- commands:")
        lines += [f"  - {e.set_name} ({e.mode}): {_code(e.command)}" for e in commands]
    for mode in ("word", "char"):
        mode_entries = [e for e in entries if e.mode == mode]
        if not mode_entries:
            continue
        er, unit = ("CER", "chars") if mode == "char" else ("WER", "words")
        lines += [
            "",
            f"### {er}",
            "",
            f"|set|talkers|#utts|#ref {unit}|SOT {er}|cp{er}|count acc|",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for e in mode_entries:
            for r in e.rows:
                cells = [
                    e.set_name.replace("|", "\\|"),
                    r.talkers,
                    str(r.num_utts),
                    str(r.ref_len),
                    _pct(r.sot_rate),
                    _pct(r.cp_rate),
                    _pct(r.count_accuracy),
                ]
                lines.append("|" + "|".join(cells) + "|")
    stream_rows = [
        f"|{_cell(e.set_name)}|{e.mode}|{r.stream}|{r.length}|{r.errors}|{_pct(r.rate)}|"
        for e in entries
        for r in e.streams
    ]
    if stream_rows:
        lines += [
            "",
            "### Stream-ordered error rate",
            "",
            "Output stream s against reference talker s (start-time order), no permutation.",
            "",
            "|set|mode|stream|#ref tokens|#errors|error rate|",
            "|---|---|---:|---:|---:|---:|",
            *stream_rows,
        ]
    for e in entries:
        if e.confusion is not None and e.confusion.labels:
            lines += ["", *_confusion_lines(e)]
    rtf_rows = []
    for e in entries:
        if e.rtf is not None:
            cells = [
                _cell(e.set_name),
                format_rtf(e.rtf),
                str(e.rtf.num_utts),
                _seconds(e.rtf.audio_seconds),
                _seconds(e.rtf.decode_seconds),
                _cell(e.rtf_note),
            ]
            rtf_rows.append("|" + "|".join(cells) + "|")
    if rtf_rows:
        lines += [
            "",
            "### Decoding RTF",
            "",
            "RTF = total decoding time / total audio duration, over the utterances of all"
            " jobs. Decoding time: wall clock of decoding each utterance (in a batch: its"
            " share of the batch's time, by duration; model loading and audio reading not"
            " counted), so this is the RTF of one decoding stream; running jobs in"
            " parallel does not lower it.",
            "",
            "|set|RTF|#utts|audio (s)|decoding (s)|setup|",
            "|---|---:|---:|---:|---:|---|",
            *_unique(rtf_rows),  # a set scored in word and char mode: one row
        ]
    return "\n".join(lines) + "\n"


def _is_section_end(line: str) -> bool:
    return line.startswith("# ") or line.startswith("## ") or line.rstrip("\n") in ("#", "##")


def _find_section(lines: list[str], tag: str) -> tuple[int, int] | None:
    heading = f"## {tag}"
    for i, line in enumerate(lines):
        if line.rstrip() == heading:
            j = i + 1
            while j < len(lines) and not _is_section_end(lines[j]):
                j += 1
            return i, j
    return None


def _load_entries(section: Sequence[str]) -> list[ResultsEntry]:
    for line in section:
        m = _MARKER_RE.match(line)
        if m:
            try:
                data = json.loads(m.group(1))
                return [ResultsEntry.from_dict(d) for d in data["entries"]]
            except (ValueError, KeyError, TypeError):
                return []  # a hand-edited, broken comment: start the section afresh
    return []


def update_results_md(path: str | Path, tag: str, entry: ResultsEntry) -> None:
    """Add ``entry`` to the ``## <tag>`` section of ``path`` (created if missing).

    An entry with the same set and mode is replaced in place; a new one is appended.
    Re-running with the same entry leaves the file unchanged.

    Raises:
        ValueError: an empty tag, or one with a line break.
    """
    tag = tag.strip()
    if not tag or "\n" in tag or "\r" in tag:
        raise ValueError(f"invalid RESULTS.md tag {tag!r}: give a one-line, non-empty --tag")
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else _FILE_HEADER
    lines = text.splitlines(keepends=True)
    found = _find_section(lines, tag)
    if found is None:
        before, entries, after = lines, [], []
    else:
        i, j = found
        before, entries, after = lines[:i], _load_entries(lines[i:j]), lines[j:]
    key = (entry.set_name, entry.mode)
    keys = [(e.set_name, e.mode) for e in entries]
    if key in keys:
        entries[keys.index(key)] = entry
    else:
        entries.append(entry)

    head = "".join(before).rstrip("\n")
    parts = [head + "\n\n" if head else "", render_section(tag, entries)]
    tail = "".join(after).lstrip("\n")
    if tail:
        parts.append("\n" + tail)
    with atomic_write(path) as f:
        f.write("".join(parts))
