"""What one extra decoding output of a model family is, and how stage 13 scores it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, Mapping, Sequence, Tuple, Union

from espnet_mtasr.utils.errors import MTASRInputError
from espnet_mtasr.utils.fileio import read_text, write_json

OUTPUTS_FILE = "outputs.json"
"""The declared outputs of a decoding, next to its ``text`` (``mtasr_inference`` writes it
into each job's output dir, stage 12 copies it into the decode dir)."""

KINDS = ("streams", "stream_files", "count")
SCORINGS = ("", "cp", "per_stream", "count")


@dataclass(frozen=True)
class OutputSpec:
    """One named output a family writes besides ``text``/``token``/``token_int``/``score``.

    ``mtasr_inference`` writes it under ``<output_dir>/1best_recog/`` and lists every spec
    in ``<output_dir>/outputs.json``; stage 13 (``score --decode_dir``) scores it as it
    says, with no family name anywhere in the recipe shell.

    Args:
        name: the file name (``sop_text``); for ``kind="stream_files"`` the prefix of one
            file per talker stream (``text_spk`` -> ``text_spk1``, ``text_spk2``, ...).
        kind: what the family's hypothesis holds under ``name``:
            ``streams``: token-id streams, written as one line of non-empty streams joined
            by ``<sc>``; ``stream_files``: token-id streams, one file per stream;
            ``count``: an integer per utterance.
        scoring: ``""``: written, not scored; ``cp``: scored on its own like ``text``
            (SOT and cp error rate against the data dir's ``reference``), into
            ``score_<wer|cer>_<suffix>``; ``per_stream``: as ``cp`` plus stream ``s``
            against talker ``s``; ``count``: the predicted talker count of ``text``'s
            result (the confusion table against ``utt2num_spk``).
        label: what the result is called in RESULTS.md (``SOP draft``).
        suffix: of the score directory (``cp`` / ``per_stream``).
        reference: the data-dir file scored against (``cp`` / ``per_stream``).

    >>> OutputSpec("sop_text", "streams", "per_stream", "SOP draft", "sop").score_dir("wer")
    'score_wer_sop'
    """

    name: str
    kind: str
    scoring: str = ""
    label: str = ""
    suffix: str = ""
    reference: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"OutputSpec {self.name!r}: kind must be one of {KINDS}")
        if self.scoring not in SCORINGS:
            raise ValueError(f"OutputSpec {self.name!r}: scoring must be one of {SCORINGS}")
        if self.scoring in ("cp", "per_stream") and (self.kind != "streams" or not self.suffix):
            raise ValueError(f"OutputSpec {self.name!r}: a scored text needs kind streams + suffix")
        if self.scoring == "count" and self.kind != "count":
            raise ValueError(f"OutputSpec {self.name!r}: count scoring needs kind count")

    def score_dir(self, mode_name: str) -> str:
        """The score directory of this output next to ``score_<mode_name>``."""
        return f"score_{mode_name}_{self.suffix}"

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> OutputSpec:
        return cls(**dict(d))


def write_outputs(out_dir: Union[str, Path], specs: Sequence[OutputSpec]) -> Path:
    """Write ``out_dir/outputs.json`` (a list of the specs as dicts); return its path."""
    path = Path(out_dir) / OUTPUTS_FILE
    write_json(path, [spec.to_dict() for spec in specs])
    return path


def read_outputs(decode_dir: Union[str, Path]) -> Tuple[OutputSpec, ...]:
    """The specs of ``decode_dir/outputs.json``; none if the file is absent.

    Raises:
        MTASRInputError: the file is not a list of output specs (naming it).
    """
    path = Path(decode_dir) / OUTPUTS_FILE
    if not path.is_file():
        return ()
    try:
        return tuple(OutputSpec.from_dict(d) for d in json.loads(read_text(path)))
    except (TypeError, ValueError) as e:  # json.JSONDecodeError is a ValueError
        raise MTASRInputError(
            f"not a list of output specs: {e}",
            path=path,
            fix="decode again (mtasr_inference writes it)",
        ) from None
