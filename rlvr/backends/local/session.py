"""The local run's Ray session (the recipe's cluster, checked before ``ray.init``, or a private local Ray)
and the loop state a run resumes from its last complete checkpoint."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ray
from omegaconf import DictConfig

from rlvr.backends.local.actors import local_cpus
from rlvr.backends.local.checkpoint import latest_checkpoint, load_trainer_state
from rlvr.backends.local.settings import LoopSettings
from rlvr.backends.ray_cluster import cluster_target, ray_session, worker_env
from rlvr.console import use_plain_output


@dataclass
class RunState:
    """What a checkpoint restores besides weights: the step, the data cursor, and the run's history."""

    step: int = 0
    prompts_consumed: int = 0
    wall_seconds: float = 0.0
    val_acc_start: float | None = None
    val_history: list[tuple[int, float]] = field(default_factory=list)


def ray_context(cfg: DictConfig, settings: LoopSettings) -> Any:
    """A Ray session for the run (none when the caller already holds one): the recipe's cluster, checked
    before ``ray.init``, or a private local Ray; its workers print plain lines off a terminal."""
    if ray.is_initialized():
        return nullcontext()
    use_plain_output()
    target = cluster_target(settings.ray_address)
    local = {} if target.address else {"num_cpus": local_cpus(settings)}
    return ray_session(
        target, cfg.cluster.get("auth_token_env"), include_dashboard=False, log_to_driver=True,
        runtime_env={"env_vars": worker_env()}, **local,
    )  # fmt: skip


def resume_state(output_dir: Path, settings: LoopSettings) -> tuple[RunState, Path | None]:
    """A fresh state, or the one of the last complete checkpoint (``trainer.resume`` auto or force)."""
    resume_from = latest_checkpoint(output_dir) if settings.resumes else None
    if resume_from is None:
        return RunState(), None
    saved = load_trainer_state(resume_from)
    print(f"resuming from {resume_from} (step {saved['step']})", flush=True)
    return RunState(**{k: v for k, v in saved.items() if k in RunState.__annotations__}), resume_from
