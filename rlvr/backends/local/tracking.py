"""Where per-step metrics go: console, ``metrics.jsonl``, optionally TensorBoard/W&B/MLflow; plus the PNG
and the run's ``summary.json``.

Optional trackers are imported only when switched on; a missing package is a clear error up front.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from rlvr.backends.local.checkpoint import latest_checkpoint
from rlvr.backends.local.session import RunState
from rlvr.console import step_line
from rlvr.metrics import CURVES_FILE, METRICS_FILE, SUMMARY_FILE, read_metric_rows

if TYPE_CHECKING:
    from rlvr.backends.local.settings import LoggingSettings

# Shown on the console each step, in this order (the JSONL file gets everything); see rlvr.console.
CONSOLE_KEYS = (
    "reward/mean", "reward/acc", "reward/format", "reward/errors", "reward/timeouts", "actor/kl",
    "actor/entropy", "response/length", "actor/clip_frac", "perf/tokens_per_s", "timing/rollout_s",
    "timing/advantage_s", "timing/update_s", "val/acc", "val/reward_errors", "val/reward_timeouts",
)  # fmt: skip
TRACKER_PACKAGES = {"tensorboard": "torch.utils.tensorboard", "wandb": "wandb", "mlflow": "mlflow"}


def _require(name: str) -> Any:
    try:
        return importlib.import_module(TRACKER_PACKAGES[name])
    except ImportError as exc:
        raise RuntimeError(
            f"logger.{name}=true but its package is not installed ({exc}); "
            f"pip install {name} or set logger.{name}=false."
        ) from exc


class MetricsSink:
    """Fans one step's metrics out to every enabled destination."""

    def __init__(self, output_dir: Path, logging: LoggingSettings, resume_step: int = 0):
        """``logging``: the recipe's ``logger.*``; runs are named ``logger.experiment`` in the trackers."""
        self.console = logging.console
        self.jsonl_path = output_dir / METRICS_FILE if logging.jsonl else None
        if self.jsonl_path is not None:
            drop_steps_after(self.jsonl_path, resume_step)
        self.tensorboard = self.wandb = self.mlflow = None
        if logging.tensorboard:
            self.tensorboard = _require("tensorboard").SummaryWriter(str(output_dir / "tensorboard"))
        if logging.wandb:
            self.wandb = _require("wandb")
            self.wandb.init(project=logging.project, name=logging.experiment, dir=str(output_dir))
        if logging.mlflow:
            self.mlflow = _require("mlflow")
            self.mlflow.set_experiment(logging.project)
            self.mlflow.start_run(run_name=logging.experiment)

    def log(self, step: int, metrics: Mapping[str, float]) -> None:
        if self.console:
            tqdm.write(step_line(step, metrics, CONSOLE_KEYS))
        if self.jsonl_path is not None:
            with self.jsonl_path.open("a") as handle:
                handle.write(json.dumps({"step": step, **metrics}) + "\n")
        if self.tensorboard is not None:
            for key, value in metrics.items():
                self.tensorboard.add_scalar(key, value, step)
        if self.wandb is not None:
            self.wandb.log(dict(metrics), step=step)
        if self.mlflow is not None:
            self.mlflow.log_metrics(
                {key.replace("@", "_"): value for key, value in metrics.items()}, step=step
            )

    def close(self) -> None:
        if self.tensorboard is not None:
            self.tensorboard.close()
        if self.wandb is not None:
            self.wandb.finish()
        if self.mlflow is not None:
            self.mlflow.end_run()


def drop_steps_after(path: Path, step: int) -> None:
    """Forget lines logged after ``step`` (a resumed run redoes those steps; none may appear twice)."""
    if not path.is_file():
        return
    kept = [line for line in path.read_text().splitlines() if line and json.loads(line)["step"] <= step]
    path.write_text("".join(line + "\n" for line in kept))


def plot_curves(records: list[dict[str, float]], png_path: Path) -> Path | None:
    """Reward/accuracy training curves and validation accuracy over steps, as one PNG (None if no data)."""
    if not records:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (train_axis, val_axis) = plt.subplots(1, 2, figsize=(10, 4))
    for key, label in (("reward/mean", "reward"), ("reward/acc", "train acc"), ("reward/format", "format")):
        points = [(r["step"], r[key]) for r in records if key in r]
        if points:
            train_axis.plot(*zip(*points, strict=True), label=label)
    val_points = [(r["step"], r["val/acc"]) for r in records if "val/acc" in r]
    if val_points:
        val_axis.plot(*zip(*val_points, strict=True), marker="o", label="val acc (greedy)")
    for axis, title in ((train_axis, "training (sampled)"), (val_axis, "validation")):
        axis.set_xlabel("step")
        axis.set_title(title)
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(png_path, dpi=100)
    plt.close(figure)
    return png_path


def write_summary(
    output_dir: Path,
    state: RunState,
    start_policy: Path,
    wall_seconds: float,
    stopped: BaseException | None = None,
) -> dict[str, Any]:
    records = read_metric_rows(output_dir / METRICS_FILE)
    plot = plot_curves(records, output_dir / CURVES_FILE)
    val_accs = [acc for _, acc in state.val_history]
    summary = {
        "val_acc_start": state.val_acc_start,
        "val_acc_end": val_accs[-1] if val_accs else None,
        "val_acc_best": max(val_accs) if val_accs else None,
        "val_history": state.val_history,
        "steps": state.step,
        "prompts_seen": state.prompts_consumed,
        "wall_seconds": round(wall_seconds, 1),
        "initial_policy": str(start_policy),
        "final_checkpoint": str(latest_checkpoint(output_dir) or ""),
        "curves_png": str(plot or ""),
        "last_train_metrics": next((r for r in reversed(records) if "reward/mean" in r), {}),
        "stopped": None if stopped is None else f"{type(stopped).__name__}: {stopped}",
    }
    tmp = output_dir / f".{SUMMARY_FILE}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(summary, indent=2))
    os.replace(tmp, output_dir / SUMMARY_FILE)
    return summary
