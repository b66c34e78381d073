"""Files of the scoring stage: Kaldi inputs in, tables / JSON / SegLST out.

Inputs are checked with messages that name the file and line
(:class:`~espnet_mtasr.utils.errors.MTASRInputError`); outputs are written atomically.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from espnet_mtasr.metrics.percent import format_percent
from espnet_mtasr.metrics.tokens import tokenize, tokens_to_words
from espnet_mtasr.metrics.wer import (
    AUTO_TEXT_FORMAT,
    MIXED_TEXT,
    PLAIN_TEXT,
    TEXT_FORMATS,
    CorpusScore,
    GroupScore,
    check_text_format,
    describe_text_format,
    detect_text_format,
    extract_streams,
)
from espnet_mtasr.utils import kaldi_io
from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.fileio import atomic_write, ensure_output_dir, write_json

__all__ = [
    "ScoringInput",
    "format_result_table",
    "load_scoring_input",
    "read_utt_lines",
    "read_talker_counts",
    "score_to_dir",
    "seglst_from_streams",
    "write_seglst",
    "write_utt_errors",
]

PathLike = str | Path
logger = logging.getLogger(__name__)


def read_utt_lines(path: PathLike) -> list[tuple[int, str, str]]:
    """Read a Kaldi ``<key> <value>`` file as ``(line number, key, value)``.

    The value is the rest of the line after the first whitespace (``""`` if none).

    Raises:
        MTASRInputError: missing or non-UTF-8 file, blank line, or duplicate key.
    """
    lines = kaldi_io.read_kaldi_lines(
        path,
        unique_keys=True,
        missing_fix="check the path",
        blank_fix="every line must be '<utt> <value>'",
        duplicate_fix="keep one line per utterance",
    )
    return [(ln.line, ln.key, ln.value) for ln in lines]


def read_talker_counts(
    path: PathLike, refs: Mapping[str, Any], ref_path: PathLike, fix: str
) -> dict[str, int]:
    """``<utt> <talker count>`` for every utterance of ``refs`` (``utt2num_spk``, or a
    decoder's predicted counts).

    Raises:
        MTASRInputError: naming the file and line: a missing file, an utterance not in
            the reference, a count that is not a non-negative integer; or utterances
            without a count (``fix`` says what to use instead).
    """
    counts: dict[str, int] = {}
    for lineno, utt, value in read_utt_lines(path):
        if utt not in refs:
            raise MTASRInputError(
                f"utterance {utt!r} is not in the reference {ref_path}",
                path=path,
                line=lineno,
                fix=fix,
            )
        if not value.isdigit():
            raise MTASRInputError(
                f"talker count {value!r} of {utt!r} is not a non-negative integer",
                path=path,
                line=lineno,
                fix="write '<utt> <talker count>'",
            )
        counts[utt] = int(value)
    lacking = [u for u in refs if u not in counts]
    if lacking:
        raise MTASRInputError(
            f"no talker count for {len(lacking)} reference utterance(s), e.g. {lacking[0]!r}",
            path=path,
            fix=fix,
        )
    return counts


@dataclass(frozen=True)
class ScoringInput:
    """Checked inputs of one scoring run.

    Args:
        refs: utterance id -> reference transcript (file order).
        hyps: utterance id -> hypothesis transcript (ids all in ``refs``).
        talkers: utterance id -> talker count, or None without ``utt2num_spk``.
        missing_hyp: reference ids without a hypothesis line.
        fewer_ref_streams: ids whose reference has fewer non-empty streams than talkers
            (a talker without words); scored as given.
        text_format: the format scored (``"sot"`` or ``"spk_tag"``; ``"auto"`` resolved).
    """

    refs: dict[str, str]
    hyps: dict[str, str]
    talkers: dict[str, int] | None = None
    missing_hyp: tuple[str, ...] = ()
    fewer_ref_streams: tuple[str, ...] = field(default=())
    text_format: str = "sot"


def _some_ids(ids: Sequence[str], limit: int = 5) -> str:
    """The first ``limit`` ids, quoted, with ``...`` when there are more."""
    shown = ", ".join(repr(u) for u in ids[:limit])
    return shown + (", ..." if len(ids) > limit else "")


def _resolve_text_format(
    ref_rows: Sequence[tuple[int, str, str]], text_format: str, ref_path: PathLike
) -> tuple[str, str]:
    """The format to score and where it comes from (for messages).

    ``"auto"``: the format of the first reference line with a separator (``<sc>`` or a
    speaker tag); ``"sot"`` when no line has one (single-stream references).
    """
    if text_format != AUTO_TEXT_FORMAT:
        return check_text_format(text_format), f"--text_format {text_format}"
    for lineno, _, text in ref_rows:
        detected = detect_text_format(text)
        if detected in TEXT_FORMATS:
            return detected, f"detected from {ref_path}:{lineno}"
    return "sot", f"detected from {ref_path}: no separators"


def _check_line_format(
    text: str, text_format: str, source: str, role: str, utt: str, path: PathLike, line: int
) -> None:
    """Raise unless ``text`` (the ``role`` line of ``utt``: ``"reference"`` or
    ``"hypothesis"``) is in ``text_format`` or plain (one stream, no separator).

    Raises:
        MTASRInputError: naming ``path``, ``line``, ``utt``, the detected and the scored
            format, and the ``--text_format`` that fits the line.
    """
    detected = detect_text_format(text)
    if detected in (text_format, PLAIN_TEXT):
        return
    if detected in TEXT_FORMATS:
        other = "a reference" if role == "hypothesis" else "a hypothesis"
        fix = f"pass --text_format {detected} (with {other} in that format)"
    else:
        fix = "use one separator kind per transcript"
    raise MTASRInputError(
        f"{role} of {utt!r} is {describe_text_format(detected)} but the set is scored as "
        f"{describe_text_format(text_format)} ({source}); it would be mis-scored",
        path=path,
        line=line,
        fix=fix,
    )


def _check_hyp_formats(
    hyp_rows: Sequence[tuple[int, str, str]], text_format: str, source: str, hyp_path: PathLike
) -> None:
    """Stop when the hypothesis FILE is in another format than the scored one; warn when
    only some of its lines are.

    A file whose multi-stream lines are all in the other format, with no line holding the
    separators of ``text_format``, would be mis-scored as a whole: an error naming its
    first such line. Where the scored format occurs too, the odd lines are model
    output (a stray ``<sc>`` from a speaker-tagged model, say): their other separators are
    scored as ordinary tokens, i.e. as errors, and a warning names how many lines and the
    first of them.

    Raises:
        MTASRInputError: naming ``hyp_path``, the first odd line and the fix.
    """
    odd = []
    own = False
    for lineno, utt, text in hyp_rows:
        detected = detect_text_format(text)
        if detected in (text_format, MIXED_TEXT):
            own = True  # holds the scored format's separators
        if detected not in (text_format, PLAIN_TEXT):
            odd.append((lineno, utt, text))
    if not odd:
        return
    if not own:
        lineno, utt, text = odd[0]
        _check_line_format(text, text_format, source, "hypothesis", utt, hyp_path, lineno)
    lineno, utt, text = odd[0]
    logger.warning(
        "%d hypothesis line(s) of %s are not %s like the rest (first: %s, line %d: %s); "
        "their other separators are scored as words",
        len(odd),
        hyp_path,
        describe_text_format(text_format),
        utt,
        lineno,
        describe_text_format(detect_text_format(text)),
    )


def load_scoring_input(
    ref_path: PathLike,
    hyp_path: PathLike,
    utt2num_spk_path: PathLike | None = None,
    text_format: str = "sot",
) -> ScoringInput:
    """Read and cross-check the reference, hypothesis and talker-count files.

    Every line's format is detected from its symbols (:func:`detect_text_format`) and
    must be the scored one; a line without any separator is one stream and always
    accepted (an SOT hypothesis of one talker). A reference line must have words: an
    empty or separator-only reference has no talker to score (it would be a 0-talker
    row with an unbounded SOT error rate) and is an error, not skipped.

    Args:
        ref_path: Kaldi ``text`` of the data dir (SOT or speaker-tagged).
        hyp_path: Kaldi ``text`` written by decoding.
        utt2num_spk_path: ``<utt> <talker count>`` for every reference utterance.
        text_format: ``"sot"``, ``"spk_tag"`` or ``"auto"`` (the reference's format,
            :func:`_resolve_text_format`); the result's ``text_format`` is the resolved one.

    Raises:
        MTASRInputError: naming the file and line: a reference or hypothesis line in
            another format than the scored one; an empty or separator-only reference;
            hypothesis ids not in the reference (all named, up to five); talker counts
            missing, not integers or not matching the reference ids; a reference with
            more streams than talkers; or a malformed speaker-tagged reference.
    """
    ref_rows = read_utt_lines(ref_path)
    if not ref_rows:
        raise MTASRInputError("no utterances", path=ref_path, fix="score a non-empty data dir")
    text_format, source = _resolve_text_format(ref_rows, text_format, ref_path)
    refs: dict[str, str] = {}
    ref_lines: dict[str, int] = {}
    for lineno, utt, text in ref_rows:
        _check_line_format(text, text_format, source, "reference", utt, ref_path, lineno)
        try:
            streams = extract_streams(text, text_format, strict=True)
        except ValueError as e:
            raise MTASRInputError(
                str(e), path=ref_path, line=lineno, fix="fix the speaker tags"
            ) from None
        if not streams:
            raise MTASRInputError(
                f"reference of {utt!r} has no words (empty or only separators: {text!r})",
                path=ref_path,
                line=lineno,
                fix="remove the utterance from the data dir (and its other files) or give "
                "its transcript",
            )
        refs[utt] = text
        ref_lines[utt] = lineno

    hyp_rows = read_utt_lines(hyp_path)
    extra = [(lineno, utt) for lineno, utt, _ in hyp_rows if utt not in refs]
    if extra:
        ids = [utt for _, utt in extra]
        more = f" ({len(ids)} such utterances: {_some_ids(ids)})" if len(ids) > 1 else ""
        raise MTASRInputError(
            f"utterance {ids[0]!r} is not in the reference {ref_path}{more}",
            path=hyp_path,
            line=extra[0][0],
            fix="score the hypothesis against the text of the data dir it was decoded from",
        )
    _check_hyp_formats(hyp_rows, text_format, source, hyp_path)
    hyps = {utt: text for _, utt, text in hyp_rows}
    missing = tuple(u for u in refs if u not in hyps)

    talkers: dict[str, int] | None = None
    fewer: list[str] = []
    if utt2num_spk_path is not None:
        talkers = read_talker_counts(
            utt2num_spk_path, refs, ref_path, fix="use the utt2num_spk of the same data dir"
        )
        for utt, text in refs.items():
            n = len(extract_streams(text, text_format, strict=True))
            if n > talkers[utt]:
                raise MTASRInputError(
                    f"{n} talker streams but utt2num_spk says {talkers[utt]}",
                    path=ref_path,
                    line=ref_lines[utt],
                    fix=f"check {utt2num_spk_path} and this line",
                )
            if n < talkers[utt]:
                fewer.append(utt)
    return ScoringInput(refs, hyps, talkers, missing, tuple(fewer), text_format)


def seglst_from_streams(
    streams: Mapping[str, Sequence[str]], mode: str = "word"
) -> list[dict[str, Any]]:
    """meeteval SegLST segments: one per stream (``speaker`` = stream index).

    An utterance without streams gets one empty segment so that its session exists. In
    ``char`` mode ``words`` are the space-separated characters (so ``meeteval-wer cpwer``
    gives cpCER).

    >>> for seg in seglst_from_streams({"u1": ["a b", "c"], "u2": []}):
    ...     print(seg)
    {'session_id': 'u1', 'speaker': 0, 'words': 'a b'}
    {'session_id': 'u1', 'speaker': 1, 'words': 'c'}
    {'session_id': 'u2', 'speaker': 0, 'words': ''}
    """
    out = []
    for utt, utt_streams in streams.items():
        for k, stream in enumerate(utt_streams or [""]):
            words = tokens_to_words(tokenize(stream, mode))
            out.append({"session_id": utt, "speaker": k, "words": words})
    return out


def write_seglst(
    path: PathLike, texts: Mapping[str, str], text_format: str = "sot", mode: str = "word"
) -> None:
    """Write transcripts as a meeteval SegLST JSON file (see :func:`seglst_from_streams`).

    Streams are parsed leniently (as hypotheses); pass checked references.
    """
    streams = {utt: extract_streams(t, text_format, strict=False) for utt, t in texts.items()}
    write_json(path, seglst_from_streams(streams, mode))


def write_utt_errors(path: PathLike, score: CorpusScore) -> None:
    """Per-utterance table: cpWER errors, reference length, SOT errors and the hypothesis.

    Columns (space separated; the hypothesis is the rest of the line)::

        utt talkers cp_errors ref_len hyp_streams sot_errors sot_ref_len hyp
    """
    with atomic_write(path) as f:
        f.write("# utt talkers cp_errors ref_len hyp_streams sot_errors sot_ref_len hyp\n")
        for s in score.utts:
            f.write(
                f"{s.utt_id} {s.talkers} {s.cp.errors} {s.cp.length} {s.num_hyp_streams} "
                f"{s.sot.errors} {s.sot.length} {s.hyp}".rstrip()
                + "\n"
            )


def _row(label: str, g: GroupScore) -> str:
    cp, sot = g.cp, g.sot
    cells = [
        label,
        str(g.num_utts),
        str(cp.length),
        format_percent(sot.rate),
        f"{sot.substitutions}/{sot.deletions}/{sot.insertions}",
        format_percent(cp.rate),
        f"{cp.substitutions}/{cp.deletions}/{cp.insertions}",
        format_percent(g.count_accuracy),
        f"{g.count_over}/{g.count_under}",
    ]
    return "|" + "|".join(cells) + "|"


def format_result_table(score: CorpusScore, title: str = "") -> str:
    """Human-readable (Markdown) table of a :class:`CorpusScore`, rates in percent
    (:func:`~espnet_mtasr.metrics.percent.format_percent`).

    One row per talker count and ``all``; ``sub/del/ins`` are counts;
    ``over/under`` count utterances with too many / too few hypothesis streams.
    """
    unit = "chars" if score.mode == "char" else "words"
    er = "CER" if score.mode == "char" else "WER"
    lines = []
    if title:
        lines.append(f"# {title}")
    if score.missing_hyp:
        lines.append(
            f"# {len(score.missing_hyp)} of {score.overall.num_utts} reference utterances "
            f"had no hypothesis (scored as empty)"
        )
    lines += [
        f"|talkers|#utts|#ref {unit}|SOT {er}|SOT sub/del/ins|cp{er}|cp sub/del/ins"
        "|count acc|over/under|",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [_row(str(g.talkers), g) for g in score.by_talkers]
    lines.append(_row("all", score.overall))
    return "\n".join(lines) + "\n"


def score_to_dir(
    ref_path: PathLike,
    hyp_path: PathLike,
    out_dir: PathLike,
    utt2num_spk_path: PathLike | None = None,
    mode: str = "word",
    text_format: str = "sot",
    set_name: str = "",
    extra: Mapping[str, Any] | None = None,
    notes: Sequence[str] = (),
    scoring_input: ScoringInput | None = None,
) -> CorpusScore:
    """Score a hypothesis file and write the reports into ``out_dir``.

    Writes ``result.txt`` (table), ``result.json`` (summary; rates as fractions),
    ``utt_errors.txt`` (per utterance), and ``ref.seglst.json`` / ``hyp.seglst.json``
    for ``meeteval-wer cpwer -r ref.seglst.json -h hyp.seglst.json`` (same numbers).
    Missing hypotheses are scored as empty (all deletions) and logged as a warning with
    their count and the first few ids. Every input is checked before anything is
    written: a run that stops with an error leaves ``out_dir`` as it was (or absent).
    ``extra`` adds keys to ``result.json`` (e.g. the decoding real-time factor) and
    ``notes`` adds ``# <note>`` lines to ``result.txt``. ``scoring_input``: these files
    already read by :func:`load_scoring_input` (so a caller that needs them too reads
    them once).

    Raises:
        MTASRInputError: see :func:`load_scoring_input`.
        ValueError: a key of ``extra`` that ``result.json`` already has.
    """
    from espnet_mtasr.metrics.wer import score_corpus

    inp = scoring_input or load_scoring_input(ref_path, hyp_path, utt2num_spk_path, text_format)
    n_refs = len(inp.refs)
    if inp.missing_hyp:
        logger.warning(
            "%d of %d reference utterances have no hypothesis in %s; scored as empty "
            "(all deletions): %s",
            len(inp.missing_hyp),
            n_refs,
            hyp_path,
            _some_ids(inp.missing_hyp),
        )
    if inp.fewer_ref_streams:
        logger.warning(
            "%d of %d references in %s have fewer non-empty streams than their talker "
            "count in %s (e.g. %s); count accuracy uses the talker count",
            len(inp.fewer_ref_streams),
            n_refs,
            ref_path,
            utt2num_spk_path,
            inp.fewer_ref_streams[0],
        )
    text_format = inp.text_format
    score = score_corpus(inp.refs, inp.hyps, inp.talkers, mode, text_format)

    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise MTASRInputError(
            f"--out_dir {out_dir} exists and is not a directory; "
            "give a directory path for the score files (e.g. <decode_dir>/score_wer)"
        )
    er = "CER" if mode == "char" else "WER"
    title = f"SOT {er} and cp{er} of {set_name or ref_path}: {hyp_path} against {ref_path}"
    meeteval_cmd = (
        f"meeteval-wer cpwer -r {out_dir / 'ref.seglst.json'} -h {out_dir / 'hyp.seglst.json'}"
    )
    summary = {
        "set": set_name,
        "ref": str(ref_path),
        "hyp": str(hyp_path),
        "utt2num_spk": None if utt2num_spk_path is None else str(utt2num_spk_path),
        **score.to_dict(),
    }
    clash = sorted(set(summary) & set(extra or {}))
    if clash:
        raise ValueError(f"extra result.json keys {clash} clash with the scores")
    ensure_output_dir(out_dir)  # all checked: from here on only writes
    with atomic_write(out_dir / "result.txt") as f:
        f.write(format_result_table(score, title))
        f.write(f"# cp{er} check with meeteval: {meeteval_cmd}\n")
        f.writelines(f"# {note}\n" for note in notes)
    write_json(out_dir / "result.json", {**summary, **(extra or {})})
    write_utt_errors(out_dir / "utt_errors.txt", score)
    hyps = {utt: inp.hyps.get(utt, "") for utt in inp.refs}
    write_seglst(out_dir / "ref.seglst.json", inp.refs, text_format, mode)
    write_seglst(out_dir / "hyp.seglst.json", hyps, text_format, mode)
    return score
