"""``rlvr train recipe=NAME [key=value ...] [-m]``: compose, validate and run an RL recipe (or a sweep).

``dry_run=true`` stops after validation (verl's own ``validate_config`` for backend=verl) and prints the
resolved config; it needs no GPU. Exit codes: 0 done, 1 the run failed (too many verifier faults),
2 bad recipe or input, 3 cluster fault, 130 interrupted (after saving a checkpoint and the summary).
"""

from __future__ import annotations

import importlib.util
import shlex
import sys
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from rewards.faults import TooManyFaults
from rewards.registry import plugin_problems
from rlvr.errors import (
    EXIT_CLUSTER_ERROR,
    EXIT_INTERRUPTED,
    EXIT_RUN_FAILED,
    EXIT_USER_ERROR,
    ClusterError,
    RecipeError,
)
from rlvr.interrupts import RunInterrupted
from rlvr.recipe.compose import compose_recipe, list_recipes
from rlvr.recipe.multirun import job_entrypoints, plan_sweep, run_sweep, submit_sweep_jobs
from rlvr.recipe.run_config import save_config
from rlvr.recipe.validate import validate_recipe

USAGE = """usage: rlvr train recipe=NAME|FILE.yaml [key=value ...] [-m|--multirun]

  recipe=NAME        a shipped recipe (`rlvr recipes` lists them), or the path of your own .yaml
                     (list `- rlvr_schema` first in its defaults; it may use the shipped groups)
  key=value          Hydra overrides, e.g. algorithm.kl_coef=0.01 rollout.n=4 model=qwen2_5_vl_7b
  dry_run=true       compose + validate + print the resolved config, then exit (no GPU needed)
  -m, --multirun     sweep: algorithm.kl_coef=0,0.001,0.01 rollout.n=4,8 runs every combination,
                     each in <trainer.output_dir>/multirun/<i>; summarise with `rlvr sweep summary DIR`
"""


def parse_args(argv: list[str]) -> tuple[str, list[str], bool]:
    """(recipe name, Hydra overrides, multirun?) from the command line."""
    multirun = any(a in ("-m", "--multirun") for a in argv)
    args = [a for a in argv if a not in ("-m", "--multirun")]
    recipes = [a.split("=", 1)[1] for a in args if a.startswith("recipe=")]
    unknown_flags = [a for a in args if a.startswith("-")]
    if unknown_flags:
        raise RecipeError(f"unknown option(s) {' '.join(unknown_flags)}\n\n{USAGE}")
    if len(recipes) != 1:
        raise RecipeError(f"give exactly one recipe=NAME (shipped: {', '.join(list_recipes())})\n\n{USAGE}")
    return recipes[0], [a for a in args if not a.startswith("recipe=")], multirun


def resolve_and_validate(cfg: DictConfig) -> DictConfig | None:
    """Resolve and validate ``cfg`` (the one pass the run makes too); for backend=verl, verl's config."""
    OmegaConf.resolve(cfg)
    return validate_recipe(cfg)


def print_dry_run(cfg: DictConfig, verl_cfg: DictConfig | None) -> None:
    print(f"# recipe {cfg.recipe!r}, resolved and validated (dry run: nothing was trained)")
    print(OmegaConf.to_yaml(cfg))
    if verl_cfg is not None:
        print("# verl ppo_trainer config built from it; passed verl.utils.config.validate_config")
        print(OmegaConf.to_yaml(verl_cfg, resolve=True))
        if cfg.rollout.name in ("auto", "vllm") and importlib.util.find_spec("vllm") is None:
            print(
                "# note: vLLM is not installed here; the cluster's GPU workers need it (checked at run time)"
            )


def run_backend(cfg: DictConfig) -> dict:
    save_config(cfg, Path(str(cfg.trainer.output_dir)).expanduser())  # what resumes and `rlvr eval` read
    if cfg.backend == "verl":
        from rlvr.backends.verl import run as run_verl

        return run_verl(cfg)
    from rlvr.backends.local import run as run_local

    return run_local(cfg)


def train_one(cfg: DictConfig) -> dict:
    verl_cfg = resolve_and_validate(cfg)
    if cfg.dry_run:
        print_dry_run(cfg, verl_cfg)
        return {}
    summary = run_backend(cfg)
    print(f"done: {cfg.trainer.output_dir}/summary.json")
    if cfg.eval.suite:
        from rlvr.eval.after_training import evaluate_run

        evaluate_run(cfg, summary)
    return summary


def check_point(cfg: DictConfig) -> None:
    verl_cfg = resolve_and_validate(cfg)
    checked = "recipe checks" + (" + verl validate_config" if verl_cfg is not None else "")
    print(f"  valid ({cfg.backend} backend, {checked}): {cfg.trainer.output_dir}")


def train_sweep(recipe: str, overrides: list[str]) -> None:
    """Every point is composed and validated first; then one Ray job each (verl with a job server) or
    one after another here."""
    sweep = plan_sweep(recipe, overrides, check_point)
    first = sweep.configs[0]
    to_cluster = first.backend == "verl" and first.cluster.dashboard_address
    if first.dry_run:
        print(f"dry run: all {len(sweep.points)} point(s) valid; nothing was trained or written")
        if to_cluster:
            print(f"would submit one Ray job per point to {first.cluster.dashboard_address}:")
            print("\n".join(f"  {entry}" for entry in job_entrypoints(sweep)))
        return
    if to_cluster:
        jobs = submit_sweep_jobs(sweep, str(first.cluster.dashboard_address), first.cluster.auth_token_env)
        print(f"submitted {len(jobs)} Ray job(s) to {first.cluster.dashboard_address}: {', '.join(jobs)}")
    else:
        run_sweep(sweep, run_backend)
    where = sweep.sweep_dir
    print(f"sweep of {len(sweep.points)} point(s) in {where}; summarise: rlvr sweep summary {where}")


def warn_skipped_plugins() -> None:
    for name, problem in plugin_problems().items():
        print(f"rlvr train: warning: verifier plugin {name!r} skipped: {problem}", file=sys.stderr)


def resume_command(argv: list[str]) -> str:
    """The command that resumes an interrupted run: the same one (``trainer.resume=auto`` is the default)."""
    kept = [arg for arg in argv if not arg.startswith("trainer.resume=")]
    return shlex.join(["rlvr", "train", *kept])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a in ("-h", "--help") for a in argv):
        print(USAGE)
        return 0
    try:
        recipe, overrides, multirun = parse_args(argv)
        warn_skipped_plugins()
        if multirun:
            train_sweep(recipe, overrides)
        else:
            train_one(compose_recipe(recipe, overrides))
    except RecipeError as exc:
        print(f"rlvr train: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except ClusterError as exc:
        print(f"rlvr train: error: {exc}", file=sys.stderr)
        return EXIT_CLUSTER_ERROR
    except TooManyFaults as exc:
        print(f"rlvr train: run failed: {exc}", file=sys.stderr)
        return EXIT_RUN_FAILED
    except RunInterrupted as exc:
        print(f"rlvr train: {exc}. Resume with: {resume_command(argv)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print(f"rlvr train: interrupted; rerun to resume: {resume_command(argv)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


if __name__ == "__main__":
    sys.exit(main())
