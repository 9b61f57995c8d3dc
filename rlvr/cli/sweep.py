"""``rlvr sweep summary DIR``: one row per sweep point (overrides, final/best validation reward and
accuracy) printed as a table, plus a PNG of the validation curves, from each point's metrics (either
backend's log, read by ``rlvr.metrics``).
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rlvr.metrics import METRICS_FILE, SUMMARY_FILE, read_metric_rows, validation_value
from rlvr.recipe.multirun import POINT_FILE, SWEEP_FILE

PLOT_FILE = "sweep_summary.png"


@dataclass
class PointResult:
    name: str
    overrides: list[str]
    steps: int = 0
    curves: dict[str, list[tuple[int, float]]] = field(default_factory=lambda: {"reward": [], "acc": []})

    def final(self, metric: str) -> float | None:
        return self.curves[metric][-1][1] if self.curves[metric] else None

    def best(self, metric: str) -> float | None:
        return max(v for _, v in self.curves[metric]) if self.curves[metric] else None


def load_point(point_dir: Path, overrides: list[str]) -> PointResult:
    result = PointResult(point_dir.name, overrides)
    for row in read_metric_rows(point_dir / METRICS_FILE):
        result.steps = max(result.steps, int(row["step"]))
        for metric in ("reward", "acc"):
            value = validation_value(row, metric)
            if value is not None and math.isfinite(value):
                result.curves[metric].append((int(row["step"]), value))
    summary = point_dir / SUMMARY_FILE
    if not result.curves["acc"] and summary.is_file():  # no per-step log: fall back to the summary's ends
        data = json.loads(summary.read_text())
        history = data.get("val_history") or []
        result.curves["acc"] = [(int(s), float(a)) for s, a in history]
        result.steps = max(result.steps, int(data.get("steps") or 0))
    return result


def point_overrides(sweep_dir: Path) -> dict[str, list[str]]:
    """Point folder name -> its swept overrides, from each ``point.json`` (or the sweep's ``sweep.json``)."""
    known: dict[str, list[str]] = {}
    plan = sweep_dir / SWEEP_FILE
    if plan.is_file():
        for point in json.loads(plan.read_text()).get("points", []):
            known[Path(point["output_dir"]).name] = list(point["overrides"])
    for point_file in sweep_dir.glob(f"*/{POINT_FILE}"):
        known[point_file.parent.name] = list(json.loads(point_file.read_text())["overrides"])
    return known


def load_sweep(sweep_dir: Path) -> list[PointResult]:
    overrides = point_overrides(sweep_dir)
    dirs = [
        d
        for d in sweep_dir.iterdir()
        if d.is_dir()
        and (d.name in overrides or (d / METRICS_FILE).is_file() or (d / SUMMARY_FILE).is_file())
    ]
    dirs.sort(key=lambda d: (not d.name.isdigit(), int(d.name) if d.name.isdigit() else 0, d.name))
    return [load_point(d, overrides.get(d.name, [])) for d in dirs]


def format_table(results: list[PointResult]) -> str:
    header = [
        "point",
        "overrides",
        "steps",
        "val_reward_final",
        "val_reward_best",
        "val_acc_final",
        "val_acc_best",
    ]
    rows = [
        [
            r.name,
            " ".join(r.overrides) or "-",
            str(r.steps),
            *(_fmt(getattr(r, kind)(metric)) for metric in ("reward", "acc") for kind in ("final", "best")),
        ]
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def plot_sweep(results: list[PointResult], path: Path) -> Path:
    """Validation reward and accuracy against step, one line per point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, metric in zip(axes, ("reward", "acc"), strict=True):
        for r in results:
            if r.curves[metric]:
                steps, values = zip(*r.curves[metric], strict=True)
                ax.plot(steps, values, marker="o", label=" ".join(r.overrides) or r.name)
        ax.set_title(f"validation {metric}")
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def summarize(sweep_dir: Path) -> tuple[str, Path]:
    results = load_sweep(sweep_dir)
    if not results:
        raise FileNotFoundError(
            f"{sweep_dir} holds no sweep points (sub-folders with {METRICS_FILE} or {SUMMARY_FILE}); "
            "give the folder `rlvr train -m ...` printed"
        )
    return format_table(results), plot_sweep(results, sweep_dir / PLOT_FILE)


USAGE = "usage: rlvr sweep summary DIR   (DIR = <trainer.output_dir>/multirun of a `rlvr train -m` sweep)"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    if len(argv) != 2 or argv[0] != "summary":
        print(USAGE, file=sys.stderr)
        return 2
    sweep_dir = Path(argv[1])
    if not sweep_dir.is_dir():
        print(f"rlvr sweep: error: {sweep_dir} is not a folder\n{USAGE}", file=sys.stderr)
        return 2
    try:
        table, plot = summarize(sweep_dir)
    except FileNotFoundError as exc:
        print(f"rlvr sweep: error: {exc}", file=sys.stderr)
        return 2
    print(table)
    print(f"\nplot: {plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
