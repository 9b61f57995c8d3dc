"""The local GRPO/PPO loop: steps (``step.py``: generate -> score -> advantages -> update), validation and
checkpoints on schedule.

``run(cfg)`` prepares model and data, starts the Ray actors (``actors.py``), resumes from the last complete
checkpoint, trains with validation and checkpoints, and writes ``summary.json``, ``metrics.jsonl`` and a PNG.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from rewards.faults import TooManyFaults
from rlvr.backends.local.actors import Actors, start_actors, stop_actors
from rlvr.backends.local.checkpoint import latest_checkpoint, save_checkpoint
from rlvr.backends.local.modeling import load_processor
from rlvr.backends.local.policy_group import PolicyWorkerLost
from rlvr.backends.local.run_inputs import (
    drop_overlong_prompts,
    initial_policy,
    train_and_val_files,
    train_and_val_rows,
)
from rlvr.backends.local.session import RunState, ray_context, resume_state
from rlvr.backends.local.settings import LoopSettings, loop_settings
from rlvr.backends.local.sharded_state import HF_DIR
from rlvr.backends.local.step import train_step
from rlvr.backends.local.tracking import MetricsSink, write_summary
from rlvr.backends.local.val_metrics import validate
from rlvr.console import progress
from rlvr.interrupts import RunInterrupted, stop_on_signals


def checkpoint(
    actors: Actors, output_dir: Path, state: RunState, settings: LoopSettings, wall: float
) -> Path:
    saved_state = {**asdict(state), "wall_seconds": wall}
    return save_checkpoint(
        output_dir, state.step, lambda tmp: actors.policy.save(str(tmp)), saved_state,
        keep=settings.keep_checkpoints,
    )  # fmt: skip


def due(step: int, freq: int, last: bool) -> bool:
    """verl's schedule: every ``freq`` steps and at the last one; ``freq`` <= 0 never."""
    return freq > 0 and (last or step % freq == 0)


def run(cfg: DictConfig) -> dict[str, Any]:
    """Train with the local backend; returns (and writes) the run summary. A first SIGINT/SIGTERM ends
    the step, saves a checkpoint and the summary, and raises ``RunInterrupted``; a second abandons it."""
    started = time.time()
    settings = loop_settings(cfg)
    output_dir = Path(settings.output_dir).expanduser()
    output_dir.mkdir(parents=True, exist_ok=True)
    with ray_context(cfg, settings):  # the cluster is checked before any data or model work
        train_files, val_files = train_and_val_files(settings.inputs, output_dir)
        train_rows, val_rows = train_and_val_rows(settings.inputs, train_files, val_files)
        start_policy = initial_policy(settings, output_dir, train_files)
        if settings.filter_overlong_prompts:
            processor = load_processor(str(start_policy), settings.model)
            train_rows = drop_overlong_prompts(processor, train_rows, settings.max_prompt_length, "training")
            val_rows = drop_overlong_prompts(processor, val_rows, settings.max_prompt_length, "validation")
        state, resume_from = resume_state(output_dir, settings)
        previous_wall = state.wall_seconds

        def wall() -> float:
            return previous_wall + time.time() - started

        stopped: BaseException | None = None
        try:
            data = TrainingData(train_rows, val_rows, start_policy, resume_from)
            train(settings, output_dir, data, state, wall)
        except (RunInterrupted, TooManyFaults) as exc:
            stopped = exc
        except KeyboardInterrupt:
            last = latest_checkpoint(output_dir)
            stopped = RunInterrupted(state.step, str(last) if last else None, abandoned=True)
    summary = write_summary(output_dir, state, start_policy, wall(), stopped)
    if stopped is not None:
        raise stopped
    return summary


@dataclass(frozen=True)
class TrainingData:
    """What the loop trains on: the rows, the initial policy, and the checkpoint it resumes (or None)."""

    train_rows: list[dict]
    val_rows: list[dict]
    start_policy: Path
    resume_from: Path | None


def train(
    settings: LoopSettings,
    output_dir: Path,
    data: TrainingData,
    state: RunState,
    wall: Callable[[], float],
) -> None:
    """The loop: validation, steps, checkpoints; a stop signal ends it after a step, with a checkpoint."""
    train_rows, val_rows, start_policy, resume_from = (
        data.train_rows, data.val_rows, data.start_policy, data.resume_from
    )  # fmt: skip
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
        bar = progress(settings.total_steps, state.step, "rl")
        saved_step = state.step
        with stop_on_signals() as stop:
            while state.step < settings.total_steps and stop.received is None:
                step = state.step + 1
                metrics, drawn = train_step(actors, train_rows, state.prompts_consumed, step, settings)
                state.step, state.prompts_consumed = step, state.prompts_consumed + drawn
                last = step == settings.total_steps
                if due(step, settings.test_freq, last):
                    metrics.update(run_validation())
                sink.log(step, metrics)
                if due(step, settings.save_freq, last):
                    checkpoint(actors, output_dir, state, settings, wall())
                    saved_step = step
                bar.update(1)
                bar.set_postfix(**{"train/reward": f"{metrics['reward/mean']:.2f}"})
            if stop.received is not None and state.step < settings.total_steps:
                saved = (
                    checkpoint(actors, output_dir, state, settings, wall())
                    if saved_step < state.step
                    else None
                )
                raise RunInterrupted(state.step, str(saved or latest_checkpoint(output_dir) or "") or None)
        bar.close()
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
        if actors is not None:
            stop_actors(actors)
