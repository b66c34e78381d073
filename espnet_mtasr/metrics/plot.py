"""The figure of a scored set: cp error rate per talker count and the talker-count confusion.

Stage 13 writes it next to each ``result.json`` as ``talkers.png`` (ESPnet's trainer writes
the training curves to ``exp/<asr_exp>/images/*.png``; this is the scoring's counterpart).
"""

from __future__ import annotations

import io
from pathlib import Path

from espnet_mtasr.metrics.percent import format_percent
from espnet_mtasr.metrics.results_md import ScoredSet
from espnet_mtasr.utils.fileio import atomic_write

__all__ = ["plot_talkers"]


def _pyplot():
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError(
            "plotting the scores needs matplotlib: pip install matplotlib "
            "(it is in requirements/base.txt)"
        ) from e
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def plot_talkers(scored: ScoredSet, path: str | Path) -> Path:
    """Write a PNG: bars of the cp error rate per talker count (left) and, if the set has
    one, the talker-count confusion matrix as a heatmap (right; cells are utterance
    counts, colours the fraction of the reference row). Written atomically.

    Returns:
        ``path``.
    """
    plt = _pyplot()
    er = "cpCER" if scored.mode == "char" else "cpWER"
    rows = [r for r in scored.rows if r.talkers != "all"]
    confusion = scored.confusion if scored.confusion and scored.confusion.labels else None
    ncols = 2 if confusion else 1
    fig, axes = plt.subplots(1, ncols, figsize=(4.5 * ncols, 3.8), squeeze=False)
    try:
        ax = axes[0][0]
        heights = [100 * (r.cp_rate or 0.0) for r in rows]
        bars = ax.bar(range(len(rows)), heights, color="tab:blue")
        ax.set_xticks(range(len(rows)), [r.talkers for r in rows])
        for bar, r in zip(bars, rows):
            ax.annotate(
                format_percent(r.cp_rate),
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=9,
            )
        overall = scored.rows[-1].cp_rate if scored.rows else None
        if overall is not None:
            ax.axhline(100 * overall, color="gray", linestyle="--", linewidth=1)
        ax.set_xlabel("talkers (reference)")
        ax.set_ylabel(f"{er} (%)")
        ax.set_title(f"{er} per talker count (all: {format_percent(overall)})", fontsize=10)
        ax.set_ylim(0, max([*heights, 1.0]) * 1.15)

        if confusion:
            ax = axes[0][1]
            matrix = [list(row) for row in confusion.matrix]
            shares = [[n / sum(row) if sum(row) else 0.0 for n in row] for row in matrix]
            ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
            ticks = range(len(confusion.labels))
            names = [str(k) for k in confusion.labels]
            ax.set_xticks(ticks, names)
            ax.set_yticks(ticks, names)
            for i, row in enumerate(matrix):
                for j, n in enumerate(row):
                    color = "white" if shares[i][j] > 0.5 else "black"
                    ax.text(j, i, str(n), ha="center", va="center", color=color, fontsize=9)
            by = "head" if confusion.source == "head" else "output streams"
            ax.set_xlabel(f"predicted ({by})")
            ax.set_ylabel("reference talkers")
            ax.set_title(
                f"talker count, accuracy {format_percent(confusion.accuracy)} %", fontsize=10
            )
        fig.suptitle(scored.name, fontsize=11)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
    finally:
        plt.close(fig)
    path = Path(path)
    with atomic_write(path, "wb") as f:
        f.write(buf.getvalue())
    return path
