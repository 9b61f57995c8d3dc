"""Hydra multirun for recipes: expand sweep overrides into points, each with its own output dir.

Points run one after another in this process (local backend, or verl without a dashboard), or are
submitted as one Ray job each to a cluster's job server (verl with ``cluster.dashboard_address``).
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig

from rlvr.composition import RecipeError, compose_recipe

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


def plan_sweep(recipe: str, overrides: list[str]) -> tuple[Path, list[SweepPoint]]:
    """The sweep folder (``<trainer.output_dir>/multirun``) and its points, without running anything."""
    fixed, points = expand_sweep(overrides)
    base = compose_recipe(recipe, fixed)
    sweep_dir = Path(str(base.trainer.output_dir)).expanduser() / "multirun"
    return sweep_dir, [SweepPoint(i, point, sweep_dir / str(i)) for i, point in enumerate(points)]


def point_overrides(fixed: list[str], point: SweepPoint) -> list[str]:
    return [*fixed, *point.overrides, f"trainer.output_dir={point.output_dir}"]


def run_sweep(
    recipe: str,
    overrides: list[str],
    check_point: Callable[[DictConfig], None],
    run_point: Callable[[DictConfig], dict | None],
) -> tuple[Path, list[dict]]:
    """Compose and check every point first (a bad point fails before any training), then run them in order.

    A dry run (``dry_run=true``) only checks: it writes nothing.
    """
    fixed, _ = expand_sweep(overrides)
    sweep_dir, points = plan_sweep(recipe, overrides)
    configs = [compose_recipe(recipe, point_overrides(fixed, p)) for p in points]
    for point, cfg in zip(points, configs, strict=True):
        print(
            f"[sweep {point.index + 1}/{len(points)}] {' '.join(point.overrides) or '(no swept keys)'}",
            flush=True,
        )
        check_point(cfg)
    if configs[0].dry_run:
        return sweep_dir, []
    sweep_dir.mkdir(parents=True, exist_ok=True)
    records = [{"index": p.index, "overrides": p.overrides, "output_dir": str(p.output_dir)} for p in points]
    (sweep_dir / SWEEP_FILE).write_text(
        json.dumps({"recipe": recipe, "fixed": fixed, "points": records}, indent=2)
    )
    results = []
    for point, cfg in zip(points, configs, strict=True):
        point.output_dir.mkdir(parents=True, exist_ok=True)
        (point.output_dir / POINT_FILE).write_text(
            json.dumps({"index": point.index, "overrides": point.overrides})
        )
        print(f"[sweep {point.index + 1}/{len(points)}] running in {point.output_dir}", flush=True)
        results.append(run_point(cfg) or {})
    return sweep_dir, results


def job_entrypoint(recipe: str, overrides: list[str]) -> str:
    """The shell command one Ray job runs for one point: this same CLI, single run."""
    args = [sys.executable, "-m", "rlvr", "train", f"recipe={recipe}", *overrides]
    return " ".join(shlex.quote(a) for a in args)


def submit_sweep_jobs(recipe: str, overrides: list[str], dashboard_address: str, dry_run: bool) -> list[str]:
    """One Ray job per point on the cluster's job server; returns the job ids (entrypoints when dry_run)."""
    fixed, _ = expand_sweep(overrides)
    sweep_dir, points = plan_sweep(recipe, overrides)
    entrypoints = [job_entrypoint(recipe, point_overrides(fixed, p)) for p in points]
    if dry_run:
        return entrypoints
    from ray.job_submission import JobSubmissionClient

    client = JobSubmissionClient(dashboard_address)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    ids = [
        client.submit_job(entrypoint=e, metadata={"recipe": recipe, "point": str(p.index)})
        for e, p in zip(entrypoints, points, strict=True)
    ]
    records = [
        {"index": p.index, "overrides": p.overrides, "output_dir": str(p.output_dir), "ray_job": job}
        for p, job in zip(points, ids, strict=True)
    ]
    (sweep_dir / SWEEP_FILE).write_text(
        json.dumps({"recipe": recipe, "fixed": fixed, "points": records}, indent=2)
    )
    return ids
