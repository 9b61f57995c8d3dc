"""Hydra multirun for recipes: expand sweep overrides into points, each with its own output dir.

Points run one after another in this process (local backend, or verl without a dashboard), or are
submitted as one Ray job each to a cluster's job server (verl with ``cluster.dashboard_address``).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig

from rlvr.errors import ClusterError, RecipeError
from rlvr.recipe.compose import compose_recipe

POINT_FILE = "point.json"
SWEEP_FILE = "sweep.json"


@dataclass(frozen=True)
class SweepPoint:
    index: int
    overrides: list[str]  # this point's values of the swept keys
    output_dir: Path


def expand_sweep(overrides: list[str]) -> tuple[list[str], list[list[str]]]:
    """(fixed overrides, one list of swept overrides per point) in Hydra's BasicSweeper order."""
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except HydraException as exc:
        raise RecipeError(f"bad override: {str(exc).strip()}") from None
    fixed = [o.input_line for o in parsed if not o.is_sweep_override()]
    swept = [o for o in parsed if o.is_sweep_override()]
    if not swept:
        return fixed, [[]]
    batches = BasicSweeper.split_arguments(swept, max_batch_size=None)
    return fixed, [list(point) for batch in batches for point in batch]


@dataclass(frozen=True)
class Sweep:
    recipe: str
    fixed: list[str]  # overrides shared by every point
    sweep_dir: Path  # <trainer.output_dir>/multirun
    points: list[SweepPoint]
    configs: list[DictConfig]  # one composed recipe per point

    def write_plan(self, extra: dict[int, dict] | None = None) -> None:
        records = [
            {
                "index": p.index,
                "overrides": p.overrides,
                "output_dir": str(p.output_dir),
                **(extra or {}).get(p.index, {}),
            }
            for p in self.points
        ]
        self.sweep_dir.mkdir(parents=True, exist_ok=True)
        plan = {"recipe": self.recipe, "fixed": self.fixed, "points": records}
        (self.sweep_dir / SWEEP_FILE).write_text(json.dumps(plan, indent=2))


def plan_sweep(recipe: str, overrides: list[str], check_point: Callable[[DictConfig], None]) -> Sweep:
    """Compose and check every point (a bad point fails before any work starts); writes nothing."""
    fixed, swept = expand_sweep(overrides)
    base = compose_recipe(recipe, fixed)
    # absolute: a point run as a Ray job writes here too, not under the head's working directory
    sweep_dir = Path(str(base.trainer.output_dir)).expanduser().resolve() / "multirun"
    points = [SweepPoint(i, point, sweep_dir / str(i)) for i, point in enumerate(swept)]
    configs = []
    for point in points:
        print(
            f"[sweep {point.index + 1}/{len(points)}] {' '.join(point.overrides) or '(no swept keys)'}",
            flush=True,
        )
        configs.append(compose_recipe(recipe, point_overrides(fixed, point)))
        check_point(configs[-1])
    return Sweep(recipe, fixed, sweep_dir, points, configs)


def point_overrides(fixed: list[str], point: SweepPoint) -> list[str]:
    return [*fixed, *point.overrides, f"trainer.output_dir={point.output_dir}"]


def run_sweep(sweep: Sweep, run_point: Callable[[DictConfig], dict | None]) -> list[dict]:
    """Run the points one after another in this process, each in its own output dir."""
    sweep.write_plan()
    results = []
    for point, cfg in zip(sweep.points, sweep.configs, strict=True):
        point.output_dir.mkdir(parents=True, exist_ok=True)
        (point.output_dir / POINT_FILE).write_text(
            json.dumps({"index": point.index, "overrides": point.overrides})
        )
        print(f"[sweep {point.index + 1}/{len(sweep.points)}] running in {point.output_dir}", flush=True)
        results.append(run_point(cfg) or {})
    return results


def job_entrypoint(recipe: str, overrides: list[str]) -> str:
    """The shell command one Ray job runs for one point: this same CLI, single run, from this folder (the
    cluster shares the file system), so relative recipe, data and output paths mean what they mean here."""
    args = [sys.executable, "-m", "rlvr", "train", f"recipe={recipe}", *overrides]
    return f"cd {shlex.quote(os.getcwd())} && {shlex.join(args)}"


def job_entrypoints(sweep: Sweep) -> list[str]:
    return [job_entrypoint(sweep.recipe, point_overrides(sweep.fixed, p)) for p in sweep.points]


def submit_sweep_jobs(sweep: Sweep, dashboard_address: str, token_env: str | None = None) -> list[str]:
    """One Ray job per point on the cluster's job server (``cluster.dashboard_address``); returns job ids.
    The job server is checked with a time limit first, and gets the Ray token as ``ray.init`` would."""
    from ray.job_submission import JobSubmissionClient

    from rlvr.backends.ray_cluster import auth_token, check_reachable, enable_token_auth

    check_reachable(dashboard_address)
    token = auth_token(token_env)
    if token is not None:
        enable_token_auth(token)  # Ray's job client then sends it with every request
    try:
        client = JobSubmissionClient(dashboard_address)
    except (ConnectionError, RuntimeError) as exc:
        raise ClusterError(f"the Ray job server at {dashboard_address} refused the sweep: {exc}") from None
    ids = [
        client.submit_job(entrypoint=entry, metadata={"recipe": sweep.recipe, "point": str(p.index)})
        for entry, p in zip(job_entrypoints(sweep), sweep.points, strict=True)
    ]
    sweep.write_plan({p.index: {"ray_job": job} for p, job in zip(sweep.points, ids, strict=True)})
    return ids
