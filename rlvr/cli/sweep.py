"""``rlvr sweep summary DIR [--metric acc|reward]``: one row per sweep point (overrides, final training
reward, final/best validation reward and accuracy; the best point marked) printed as a table, plus a PNG
of the curves, from each point's metrics (either backend's log, read by ``rlvr.metrics``).

"Best" leaves out step 0: every point starts from the same policy, so its step-0 validation says nothing
about the point's settings.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rlvr.cli.sweep_plot import plot_sweep
from rlvr.metrics import METRICS_FILE, SUMMARY_FILE, read_metric_rows, validation_value
from rlvr.recipe.multirun import POINT_FILE, SWEEP_FILE

PLOT_FILE = "sweep_summary.png"
METRICS = ("reward", "acc")  # validation metrics a sweep can be ranked by (--metric)
TRAIN_REWARD_KEYS = ("reward/mean", "critic/score/mean")  # local backend's, verl's mean training reward


def _curves() -> dict[str, list[tuple[int, float]]]:
    return {"reward": [], "acc": [], "train_reward": []}


@dataclass
class PointResult:
    name: str
    overrides: list[str]
    steps: int = 0
    curves: dict[str, list[tuple[int, float]]] = field(default_factory=_curves)

    def final(self, metric: str) -> float | None:
        return self.curves[metric][-1][1] if self.curves[metric] else None

    def best_at(self, metric: str) -> tuple[int, float] | None:
        """``(step, value)`` of the highest value after step 0 (None before any training step)."""
        trained = [(step, value) for step, value in self.curves[metric] if step > 0]
        return max(trained, key=lambda point: point[1]) if trained else None

    def best(self, metric: str) -> float | None:
        at = self.best_at(metric)
        return at[1] if at else None

    @property
    def label(self) -> str:
        return " ".join(self.overrides) or self.name


def best_point(results: list[PointResult], metric: str) -> PointResult | None:
    """The point with the highest ``best(metric)`` (the first of equals), None when no point has one."""
    ranked = [r for r in results if r.best(metric) is not None]
    return max(ranked, key=lambda r: r.best(metric)) if ranked else None


def load_point(point_dir: Path, overrides: list[str]) -> PointResult:
    result = PointResult(point_dir.name, overrides)
    for row in read_metric_rows(point_dir / METRICS_FILE):
        result.steps = max(result.steps, int(row["step"]))
        for metric in METRICS:
            value = validation_value(row, metric)
            if value is not None and math.isfinite(value):
                result.curves[metric].append((int(row["step"]), value))
        train = next((row[key] for key in TRAIN_REWARD_KEYS if isinstance(row.get(key), int | float)), None)
        if train is not None and math.isfinite(train):
            result.curves["train_reward"].append((int(row["step"]), float(train)))
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


def format_table(results: list[PointResult], metric: str = "acc") -> str:
    """One row per point; ``best`` marks the point with the highest validation ``metric`` after step 0."""
    header = ["point", "overrides", "steps", "train_reward_final", "val_reward_final", "val_reward_best",
              "val_acc_final", "val_acc_best", "best"]  # fmt: skip
    winner = best_point(results, metric)
    rows = [
        [
            r.name,
            " ".join(r.overrides) or "-",
            str(r.steps),
            _fmt(r.final("train_reward")),
            *(_fmt(getattr(r, kind)(name)) for name in METRICS for kind in ("final", "best")),
            "*" if r is winner else "",
        ]
        for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def best_line(results: list[PointResult], metric: str) -> str:
    winner = best_point(results, metric)
    if winner is None:
        return f"best point by val_{metric}: none (no point has validation after step 0)"
    step, value = winner.best_at(metric)
    where = f"{winner.name} ({winner.label})"
    return f"best point by val_{metric} (after step 0): {where} = {value:.3f} at step {step}"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def summarize(sweep_dir: Path, metric: str = "acc") -> tuple[str, Path]:
    results = load_sweep(sweep_dir)
    if not results:
        raise FileNotFoundError(
            f"{sweep_dir} holds no sweep points (sub-folders with {METRICS_FILE} or {SUMMARY_FILE}); "
            "give the folder `rlvr train -m ...` printed"
        )
    table = f"{format_table(results, metric)}\n\n{best_line(results, metric)}"
    return table, plot_sweep(results, sweep_dir / PLOT_FILE, best_point(results, metric), metric)


USAGE = (
    "usage: rlvr sweep summary DIR [--metric acc|reward]\n"
    "  DIR = <trainer.output_dir>/multirun of a `rlvr train -m` sweep; --metric ranks points (default acc)"
)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["-h"], ["--help"]):
        print(USAGE)
        return 0
    metric = "acc"
    if len(argv) == 4 and argv[2] == "--metric" and argv[3] in METRICS:
        metric, argv = argv[3], argv[:2]
    if len(argv) != 2 or argv[0] != "summary":
        print(USAGE, file=sys.stderr)
        return 2
    sweep_dir = Path(argv[1])
    if not sweep_dir.is_dir():
        print(f"rlvr sweep: error: {sweep_dir} is not a folder\n{USAGE}", file=sys.stderr)
        return 2
    try:
        table, plot = summarize(sweep_dir, metric)
    except FileNotFoundError as exc:
        print(f"rlvr sweep: error: {exc}", file=sys.stderr)
        return 2
    print(table)
    print(f"\nplot: {plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
