"""The verl backend: translate a recipe into verl's ``ppo_trainer`` config and run verl's own trainer.

verl's config is composed by Hydra from ``pkg://verl.trainer.config`` (config ``ppo_trainer``) with
overrides derived from the recipe; our reward enters only through ``reward.custom_reward_function``
(verl 0.9.1's ``main_ppo`` reads ``config.reward.*`` and ignores the legacy top-level reward keys).
"""

from __future__ import annotations

import importlib.util
import json
import warnings
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from rewards.faults import TooManyFaults
from rlvr.backends.ray_cluster import cluster_target, ray_session
from rlvr.console import use_plain_output
from rlvr.errors import ClusterError, RecipeError
from rlvr.interrupts import RunInterrupted
from rlvr.metrics import METRICS_FILE, SUMMARY_FILE, read_metric_rows, validation_value
from rlvr.recipe.routing import verl_settings
from rlvr.recipe.run_config import VERL_LATEST_CHECKPOINT

VERL_CONFIG_MODULE = "verl.trainer.config"
VERL_CONFIG_NAME = "ppo_trainer"
VLLM_MAX_LORA_RANK = 512  # the largest of vLLM's MaxLoRARanks (verl's own fallback list)


def hydra_value(value: Any) -> str:
    """Render a python value in Hydra's override grammar (strings quoted, lists/dicts recursive)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(hydra_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{hydra_value(v)}" for k, v in value.items()) + "}"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def verl_overrides(cfg: DictConfig) -> list[str]:
    """The recipe as Hydra overrides of verl's ppo_trainer, from the key table (user ``verl.overrides`` last);
    no Ray address means a private local Ray, never one that ``ray start`` left running on this machine."""
    settings = verl_settings(cfg)
    return [f"{key}={hydra_value(value)}" for key, value in settings.items()] + list(cfg.verl.overrides)


def check_kl_once(cfg: DictConfig, verl_cfg: DictConfig) -> None:
    """KL in the reward and in the loss at once (reachable through ``verl.overrides``) counts it twice
    under GRPO: refused unless the recipe says so with ``algorithm.kl_in_reward_and_loss=true``."""
    in_reward = bool(verl_cfg.algorithm.use_kl_in_reward)
    in_loss = bool(verl_cfg.actor_rollout_ref.actor.use_kl_loss)
    if in_reward and in_loss and not cfg.algorithm.kl_in_reward_and_loss:
        raise RecipeError(
            "verl's config puts KL both in the reward (algorithm.use_kl_in_reward) and in the loss "
            "(actor.use_kl_loss), so the KL penalty counts twice; that came from verl.overrides="
            f"{list(cfg.verl.overrides)}. Drop the override, or set algorithm.kl_in_reward_and_loss=true if "
            "you mean it."
        )


def build_verl_config(cfg: DictConfig) -> DictConfig:
    """verl's full ppo_trainer config for recipe ``cfg``, composed by Hydra over verl's own config groups."""
    OmegaConf.resolve(cfg)
    overrides = verl_overrides(cfg)
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module=VERL_CONFIG_MODULE, version_base=None):
            return compose(config_name=VERL_CONFIG_NAME, overrides=overrides)
    except (HydraException, OmegaConfBaseException) as exc:
        raise RecipeError(
            f"verl rejected the config built from recipe {cfg.recipe!r}: {str(exc).strip()} "
            f"(check verl.overrides={list(cfg.verl.overrides)})"
        ) from None
    finally:
        GlobalHydra.instance().clear()


def validate_verl_config(verl_cfg: DictConfig) -> None:
    """Run verl's own ``validate_config`` (as ``main_ppo.main`` does) with the recipe's GPU counts."""
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import validate_config

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # need_critic warns that a non-gae estimator has no critic
        use_critic = need_critic(verl_cfg)
    checked = without_vllm_lora_check(verl_cfg)
    try:
        validate_config(
            config=checked, use_reference_policy=need_reference_policy(verl_cfg), use_critic=use_critic
        )
    except (AssertionError, ValueError) as exc:
        raise RecipeError(f"verl's validate_config rejected the recipe: {exc}") from None
    except HydraException as exc:  # InstantiationException: e.g. a hub id's tokenizer with no network
        raise RecipeError(
            f"verl could not build its config from model.path {verl_cfg.actor_rollout_ref.model.path!r}: "
            f"{root_cause(exc)} (offline, a hub id must be downloaded first and its folder given)"
        ) from None
    except OSError as exc:  # the critic's model config loads the tokenizer from model.path
        raise RecipeError(
            f"verl's validate_config could not read model.path {verl_cfg.actor_rollout_ref.model.path!r} "
            f"(a critic needs its config and tokenizer; offline runs need a local folder): {exc}"
        ) from None


def without_vllm_lora_check(verl_cfg: DictConfig) -> DictConfig:
    """verl checks a LoRA rank by importing vLLM, which a CPU machine (a dry run) may lack: there the rank
    is checked against vLLM's largest LoRA rank here, and verl checks the rest of a copy without LoRA."""
    model = verl_cfg.actor_rollout_ref.model
    rank = int(model.get("lora_rank", 0) or 0)
    if rank <= 0 or verl_cfg.actor_rollout_ref.rollout.name != "vllm" or importlib.util.find_spec("vllm"):
        return verl_cfg
    if rank > VLLM_MAX_LORA_RANK:
        raise RecipeError(f"model.lora_rank={rank}: vLLM serves LoRA ranks up to {VLLM_MAX_LORA_RANK}")
    copy = OmegaConf.create(OmegaConf.to_container(verl_cfg, resolve=True))
    copy.actor_rollout_ref.model.lora_rank = 0
    return copy


def root_cause(exc: BaseException) -> str:
    """The first line of the innermost cause of ``exc`` (verl wraps the real error in its own)."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


def check_cluster_resources(cfg: DictConfig) -> None:
    """Fail fast, naming what is missing, when the cluster cannot hold ``cluster.nnodes`` x
    ``cluster.n_gpus_per_node`` GPUs (one node's worth on each node) and verl's CPU-side task runner."""
    import ray

    from rlvr.backends.local.placement import PlacementPlan, check_fits

    nodes = int(cfg.cluster.nnodes)
    roles = ("verl task runner", *(f"verl node {i}" for i in range(nodes)))
    bundles = ({"CPU": 1.0}, *({"GPU": float(cfg.cluster.n_gpus_per_node)} for _ in range(nodes)))
    check_fits(PlacementPlan(roles, bundles), ray.nodes())


def check_vllm_on_cluster(verl_cfg: DictConfig) -> None:
    """vLLM must import where the rollout workers run: ask a GPU worker, not the driver."""
    import ray

    if verl_cfg.actor_rollout_ref.rollout.name != "vllm":
        return

    @ray.remote(num_gpus=1)
    def has_vllm() -> bool:
        import importlib.util

        return importlib.util.find_spec("vllm") is not None

    if not ray.get(has_vllm.remote()):
        raise ClusterError(
            "rollout.name=vllm but vLLM is not installed on the cluster's GPU workers: "
            "`pip install -e '.[gpu]'` there (or choose another verl rollout with verl.overrides)"
        )


def fault_cause(exc: BaseException) -> TooManyFaults | None:
    """The ``TooManyFaults`` a reward worker raised, under verl's layers of Ray task errors."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 20:
        chain.append(seen)
        seen = getattr(seen, "cause", None) or seen.__cause__
    innermost = [e for e in chain if isinstance(e, TooManyFaults)]
    return TooManyFaults(str(innermost[-1].args[0]) if innermost[-1].args else "") if innermost else None


def resume_step(checkpoints: Path) -> int:
    """The step verl resumes from (its ``latest_checkpointed_iteration.txt``), 0 when none."""
    marker = checkpoints / VERL_LATEST_CHECKPOINT
    text = marker.read_text().strip() if marker.is_file() else ""
    return int(text) if text.isdigit() else 0


def run(cfg: DictConfig) -> dict:
    """Build and validate verl's config, check the cluster, then run verl's ``main_ppo`` trainer. Too many
    verifier faults raise ``TooManyFaults``; Ctrl-C/SIGTERM write the summary and raise ``RunInterrupted``
    (verl checkpoints every ``trainer.save_freq`` steps: the run resumes from the last one)."""
    import ray
    from verl.trainer.main_ppo import run_ppo
    from verl.utils.device import auto_set_device

    from rlvr.backends.local.tracking import drop_steps_after
    from rlvr.backends.verl_runner import AppendingTaskRunner

    verl_cfg = build_verl_config(cfg)
    auto_set_device(verl_cfg)  # as main_ppo.main does (npu on Ascend)
    check_kl_once(cfg, verl_cfg)
    validate_verl_config(verl_cfg)
    out_dir = Path(cfg.trainer.output_dir).expanduser()
    out_dir.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(verl_cfg, out_dir / "verl_config.yaml")
    use_plain_output()
    target = cluster_target(cfg.cluster.address)
    with ray_session(target, cfg.cluster.auth_token_env, include_dashboard=False):  # a probe first
        check_cluster_resources(cfg)
        check_vllm_on_cluster(verl_cfg)
    resumed = resume_step(out_dir / "checkpoints") if cfg.trainer.resume != "never" else 0
    drop_steps_after(out_dir / METRICS_FILE, resumed)  # verl redoes the steps after its checkpoint
    stopped: BaseException | None = None
    try:
        run_ppo(verl_cfg, task_runner_class=AppendingTaskRunner)  # verl's own ray.init, as main_ppo's
    except ray.exceptions.RayTaskError as exc:
        cause = fault_cause(exc)
        if cause is None:
            raise
        stopped = cause
    except KeyboardInterrupt:
        stopped = RunInterrupted(resume_step(out_dir / "checkpoints"), str(out_dir / "checkpoints"))
    finally:
        ray.shutdown()
    summary = summarize_verl_metrics(out_dir / METRICS_FILE)
    summary["stopped"] = None if stopped is None else f"{type(stopped).__name__}: {stopped}"
    (out_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2))
    if stopped is not None:
        raise stopped
    return summary


def summarize_verl_metrics(path: Path) -> dict:
    """summary.json from verl's file logger: validation reward and accuracy at the start, end and best."""
    rows = read_metric_rows(path)
    summary: dict[str, Any] = {"backend": "verl", "steps": max((int(row["step"]) for row in rows), default=0)}
    for metric in ("reward", "acc"):
        values = [v for v in (validation_value(row, metric) for row in rows) if v is not None]
        if values:
            summary.update(
                {
                    f"val_{metric}_start": values[0],
                    f"val_{metric}_end": values[-1],
                    f"val_{metric}_best": max(values),
                }
            )
    return summary
