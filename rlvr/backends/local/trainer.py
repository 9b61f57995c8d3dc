"""The local GRPO/PPO loop: steps (``step.py``: generate -> score -> advantages -> update), validation and
checkpoints on schedule.

``run(cfg)`` prepares model and data, starts the Ray actors (``actors.py``), resumes from the last complete
checkpoint, trains with validation and checkpoints, and writes ``summary.json``, ``metrics.jsonl`` and a PNG.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import ray
from omegaconf import DictConfig
from tqdm import tqdm

from rlvr.backends.local.actors import Actors, local_cpus, start_actors, stop_actors
from rlvr.backends.local.checkpoint import latest_checkpoint, load_trainer_state, save_checkpoint
from rlvr.backends.local.modeling import load_processor
from rlvr.backends.local.policy_group import PolicyWorkerLost
from rlvr.backends.local.run_inputs import (
    drop_overlong_prompts,
    initial_policy,
    train_and_val_files,
    train_and_val_rows,
)
from rlvr.backends.local.settings import LoopSettings, loop_settings
from rlvr.backends.local.sharded_state import HF_DIR
from rlvr.backends.local.step import train_step
from rlvr.backends.local.tracking import MetricsSink, plot_curves
from rlvr.backends.local.val_metrics import validate
from rlvr.metrics import CURVES_FILE, METRICS_FILE, SUMMARY_FILE, read_metric_rows


@dataclass
class RunState:
    """What a checkpoint restores besides weights: the step, the data cursor, and the run's history."""

    step: int = 0
    prompts_consumed: int = 0
    wall_seconds: float = 0.0
    val_acc_start: float | None = None
    val_history: list[tuple[int, float]] = field(default_factory=list)


def checkpoint(
    actors: Actors, output_dir: Path, state: RunState, settings: LoopSettings, wall: float
) -> Path:
    saved_state = {**asdict(state), "wall_seconds": wall}
    return save_checkpoint(
        output_dir, state.step, lambda tmp: actors.policy.save(str(tmp)), saved_state,
        keep=settings.keep_checkpoints,
    )  # fmt: skip


def start_state(output_dir: Path, settings: LoopSettings) -> tuple[RunState, Path | None]:
    """A fresh state, or the one of the last complete checkpoint (``trainer.resume=auto``)."""
    resume_from = latest_checkpoint(output_dir) if settings.resumes else None
    if resume_from is None:
        return RunState(), None
    saved = load_trainer_state(resume_from)
    tqdm.write(f"resuming from {resume_from} (step {saved['step']})")
    return RunState(**{k: v for k, v in saved.items() if k in RunState.__annotations__}), resume_from


def due(step: int, freq: int, last: bool) -> bool:
    """verl's schedule: every ``freq`` steps and at the last one; ``freq`` <= 0 never."""
    return freq > 0 and (last or step % freq == 0)


def run(cfg: DictConfig) -> dict[str, Any]:
    """Train with the local backend; returns (and writes) the run summary."""
    started = time.time()
    settings = loop_settings(cfg)
    output_dir = Path(settings.output_dir).expanduser()
    output_dir.mkdir(parents=True, exist_ok=True)
    train_files, val_files = train_and_val_files(settings.inputs, output_dir)
    train_rows, val_rows = train_and_val_rows(settings.inputs, train_files, val_files)
    start_policy = initial_policy(settings, output_dir, train_files)
    if settings.filter_overlong_prompts:
        processor = load_processor(str(start_policy), settings.model)
        train_rows = drop_overlong_prompts(processor, train_rows, settings.max_prompt_length, "training")
        val_rows = drop_overlong_prompts(processor, val_rows, settings.max_prompt_length, "validation")
    state, resume_from = start_state(output_dir, settings)
    previous_wall = state.wall_seconds
    owns_ray = not ray.is_initialized()
    if owns_ray:
        address = settings.ray_address or os.environ.get("RAY_ADDRESS") or None
        local = {} if address else {"num_cpus": local_cpus(settings)}
        ray.init(address=address, include_dashboard=False, log_to_driver=True, **local)
    sink = actors = None
    try:
        model_path = resume_from / HF_DIR if resume_from is not None else start_policy
        actors = start_actors(model_path, start_policy, settings, resume_from)
        sink = MetricsSink(output_dir, settings.logging, resume_step=state.step)

        def run_validation() -> dict[str, float]:
            metrics = validate(actors.rollout, val_rows, settings)
            state.val_history.append((state.step, metrics["val/acc"]))
            if state.val_acc_start is None:
                state.val_acc_start = metrics["val/acc"]
            return metrics

        if state.step == 0 and settings.val_before_train:
            sink.log(0, run_validation())
        progress = tqdm(total=settings.total_steps, initial=state.step, desc="rl", unit="step")
        while state.step < settings.total_steps:
            step = state.step + 1
            metrics, drawn = train_step(actors, train_rows, state.prompts_consumed, step, settings)
            state.step, state.prompts_consumed = step, state.prompts_consumed + drawn
            last = step == settings.total_steps
            if due(step, settings.test_freq, last):
                metrics.update(run_validation())
            sink.log(step, metrics)
            if due(step, settings.save_freq, last):
                checkpoint(actors, output_dir, state, settings, previous_wall + time.time() - started)
            progress.update(1)
            progress.set_postfix(reward=f"{metrics['reward/mean']:.2f}", acc=f"{metrics['reward/acc']:.2f}")
        progress.close()
    except PolicyWorkerLost as err:
        last = latest_checkpoint(output_dir)
        resume = f"the last complete checkpoint is {last}" if last else "no checkpoint was complete yet"
        raise PolicyWorkerLost(
            f"{err}; {resume}. Run the same command again to resume (trainer.resume=auto), with any "
            "cluster.policy_workers."
        ) from err
    finally:
        if sink is not None:
            sink.close()
        if actors is not None and not owns_ray:
            stop_actors(actors)
        if owns_ray:
            ray.shutdown()
    return write_summary(output_dir, state, start_policy, previous_wall + time.time() - started)


def write_summary(
    output_dir: Path, state: RunState, start_policy: Path, wall_seconds: float
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
    }
    tmp = output_dir / f".{SUMMARY_FILE}.tmp-{os.getpid()}"
    tmp.write_text(json.dumps(summary, indent=2))
    os.replace(tmp, output_dir / SUMMARY_FILE)
    return summary
