"""Talker-count accuracy and confusion matrix (rows: reference count, columns: predicted).

The predicted count is the one the system committed to: the talker-count head's for an
``encoder_only`` model (``1best_recog/talker_count``), else the number of non-empty
hypothesis streams.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping

SOURCES = ("head", "streams")


@dataclass(frozen=True)
class CountConfusion:
    """``matrix[i][j]``: utterances with ``labels[i]`` reference talkers and ``labels[j]``
    predicted; ``source`` says what predicted them (``head`` or ``streams``)."""

    source: str
    labels: tuple[int, ...]
    matrix: tuple[tuple[int, ...], ...]

    @property
    def total(self) -> int:
        return sum(map(sum, self.matrix))

    @property
    def accuracy(self) -> float | None:
        correct = sum(self.matrix[i][i] for i in range(len(self.labels)))
        return correct / self.total if self.total else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "accuracy": self.accuracy}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CountConfusion:
        return cls(
            source=str(d["source"]),
            labels=tuple(int(x) for x in d["labels"]),
            matrix=tuple(tuple(int(x) for x in row) for row in d["matrix"]),
        )


def count_confusion(
    reference: Mapping[str, int], predicted: Mapping[str, int], source: str
) -> CountConfusion:
    """The confusion matrix over the utterances of ``reference`` (all must be predicted)."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    missing = [u for u in reference if u not in predicted]
    if missing:
        raise ValueError(f"no predicted talker count for {len(missing)} utterances")
    labels = tuple(sorted({*reference.values(), *(predicted[u] for u in reference)}))
    index = {k: i for i, k in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for utt, ref in reference.items():
        matrix[index[ref]][index[predicted[utt]]] += 1
    return CountConfusion(source, labels, tuple(tuple(row) for row in matrix))
