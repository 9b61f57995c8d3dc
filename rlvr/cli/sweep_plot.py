"""The PNG of ``rlvr sweep summary``: validation reward, validation accuracy and training reward against
step, one line per point. Curves that are identical are offset apart (their legend says so), so none hides
another, and the best point is starred on the panel of the metric that ranks the points."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rlvr.cli.sweep import PointResult

PANELS = (
    ("reward", "validation reward"),
    ("acc", "validation accuracy"),
    ("train_reward", "training reward"),
)
MARKERS = "osD^v<>ph"
LINESTYLES = ("-", "--", "-.", ":")
OFFSET_FRACTION = 0.012  # of a panel's value range: the gap between curves that are identical


def identical_groups(curves: Sequence[Sequence[tuple[int, float]]]) -> list[list[int]]:
    """Indices of non-empty curves that equal each other, one list per value shared by two or more."""
    groups: dict[tuple, list[int]] = {}
    for index, curve in enumerate(curves):
        if curve:
            groups.setdefault(tuple(curve), []).append(index)
    return [members for members in groups.values() if len(members) > 1]


def offsets(curves: Sequence[Sequence[tuple[int, float]]], span: float) -> list[float]:
    """A vertical shift per curve: 0 for a curve unlike the others, spread evenly in an identical group."""
    shifts = [0.0] * len(curves)
    for members in identical_groups(curves):
        middle = (len(members) - 1) / 2
        for rank, index in enumerate(members):
            shifts[index] = (rank - middle) * OFFSET_FRACTION * span
    return shifts


def plot_sweep(results: list[PointResult], path: Path, best: PointResult | None, metric: str) -> Path:
    """Write the three panels to ``path``; ``best`` (ranked by validation ``metric``) gets a star."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(PANELS), figsize=(16, 4.5))
    for ax, (key, title) in zip(axes, PANELS, strict=True):
        curves = [r.curves[key] for r in results]
        values = [value for curve in curves for _, value in curve]
        span = (max(values) - min(values) or 1.0) if values else 1.0
        shifts = offsets(curves, span)
        twins = {i: members for members in identical_groups(curves) for i in members}
        for i, (result, curve) in enumerate(zip(results, curves, strict=True)):
            if not curve:
                continue
            steps, ys = zip(*curve, strict=True)
            note = ""
            if i in twins:
                others = ", ".join(results[j].name for j in twins[i] if j != i)
                note = f" (same as point {others}; drawn {shifts[i]:+.3g})"
            ax.plot(
                steps, [y + shifts[i] for y in ys], marker=MARKERS[i % len(MARKERS)],
                linestyle=LINESTYLES[i % len(LINESTYLES)], label=f"{result.name}: {result.label}{note}",
            )  # fmt: skip
        if best is not None and key == metric and best.best_at(metric) is not None:
            step, value = best.best_at(metric)
            ax.scatter(
                [step], [value + shifts[results.index(best)]], marker="*", s=300, color="gold",
                edgecolor="black", zorder=5, label=f"best: point {best.name}",
            )  # fmt: skip
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        if ax.has_data():
            ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
