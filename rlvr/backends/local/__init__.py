"""The local backend: a compact GRPO/PPO loop on Ray actors (rollout, reward, policy), CPU or GPUs.

Entry point: ``rlvr.backends.local.run(cfg) -> dict`` (the run summary, also written to ``summary.json``).
"""

from __future__ import annotations

from typing import Any


def run(cfg: Any) -> dict:
    """Train the recipe ``cfg`` with the local backend (imports torch/ray only when called)."""
    from rlvr.backends.local.trainer import run as run_local

    return run_local(cfg)
