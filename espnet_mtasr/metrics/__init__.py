"""Multi-talker scoring: SOT WER, cpWER/cpCER (meeteval), talker-count accuracy.

- :mod:`~espnet_mtasr.metrics.tokens`: word / character scoring units.
- :mod:`~espnet_mtasr.metrics.wer`: per-utterance scores and their pooling.
- :mod:`~espnet_mtasr.metrics.scoring_io`: Kaldi inputs, tables, SegLST for meeteval.
- :mod:`~espnet_mtasr.metrics.percent`: the one formatter of rates as percentages.
- :mod:`~espnet_mtasr.metrics.results_md`: ``RESULTS.md`` generated from ``result.json``.
- :mod:`~espnet_mtasr.metrics.plot`: ``talkers.png`` (cp error rate per talker count,
  talker-count confusion).
"""

from espnet_mtasr.metrics.percent import format_percent
from espnet_mtasr.metrics.results_md import (
    ResultsRow,
    ScoredSet,
    find_results,
    format_summary,
    render_results_md,
)
from espnet_mtasr.metrics.scoring_io import (
    ScoringInput,
    format_result_table,
    load_scoring_input,
    read_utt_lines,
    seglst_from_streams,
    write_seglst,
    write_utt_errors,
)
from espnet_mtasr.metrics.tokens import MODES, tokenize
from espnet_mtasr.metrics.wer import (
    TEXT_FORMATS,
    CorpusScore,
    ErrorCounts,
    GroupScore,
    UttScore,
    aggregate,
    cp_error_counts,
    extract_streams,
    score_corpus,
    score_utterance,
    sot_error_counts,
)

__all__ = [
    "MODES",
    "TEXT_FORMATS",
    "CorpusScore",
    "ErrorCounts",
    "GroupScore",
    "ResultsRow",
    "ScoredSet",
    "ScoringInput",
    "UttScore",
    "aggregate",
    "cp_error_counts",
    "extract_streams",
    "find_results",
    "format_percent",
    "format_result_table",
    "format_summary",
    "load_scoring_input",
    "read_utt_lines",
    "render_results_md",
    "score_corpus",
    "score_utterance",
    "seglst_from_streams",
    "sot_error_counts",
    "tokenize",
    "write_seglst",
    "write_utt_errors",
]
