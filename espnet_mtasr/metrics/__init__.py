"""Multi-talker scoring: SOT WER, cpWER/cpCER (meeteval), talker-count accuracy.

- :mod:`~espnet_mtasr.metrics.tokens`: word / character scoring units.
- :mod:`~espnet_mtasr.metrics.wer`: per-utterance scores and their pooling.
- :mod:`~espnet_mtasr.metrics.scoring_io`: Kaldi inputs, tables, SegLST for meeteval.
- :mod:`~espnet_mtasr.metrics.results_md`: the ESPnet-style ``RESULTS.md``.
"""

from espnet_mtasr.metrics.results_md import ResultsEntry, ResultsRow, update_results_md
from espnet_mtasr.metrics.scoring_io import (
    ScoringInput,
    format_result_table,
    load_scoring_input,
    read_kaldi_lines,
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
    "ResultsEntry",
    "ResultsRow",
    "ScoringInput",
    "UttScore",
    "aggregate",
    "cp_error_counts",
    "extract_streams",
    "format_result_table",
    "load_scoring_input",
    "read_kaldi_lines",
    "score_corpus",
    "score_utterance",
    "seglst_from_streams",
    "sot_error_counts",
    "tokenize",
    "update_results_md",
    "write_seglst",
    "write_utt_errors",
]
