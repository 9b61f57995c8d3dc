"""The verl backend: translate a recipe into verl's ``ppo_trainer`` config and run verl's own trainer.

verl's config is composed by Hydra from ``pkg://verl.trainer.config`` (config ``ppo_trainer``) with
overrides derived from the recipe; our reward enters only through ``reward.custom_reward_function``
(verl 0.9.1's ``main_ppo`` reads ``config.reward.*`` and ignores the legacy top-level reward keys).
"""

from __future__ import annotations

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
from rlvr.backends.ray_cluster import cluster_target, ray_session, worker_env
from rlvr.console import use_plain_output
from rlvr.errors import ClusterError, RecipeError
from rlvr.interrupts import RunInterrupted
from rlvr.metrics import METRICS_FILE, SUMMARY_FILE, read_metric_rows, validation_value
from rlvr.recipe.run_config import VERL_LATEST_CHECKPOINT
from rlvr.recipe.validate import reward_settings

VERL_CONFIG_MODULE = "verl.trainer.config"
VERL_CONFIG_NAME = "ppo_trainer"
REWARD_FUNCTION_PATH = "pkg://rewards.verl_adapter"
REWARD_FUNCTION_NAME = "compute_score"


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
    """The recipe as a list of Hydra overrides of verl's ppo_trainer (user ``verl.overrides`` last)."""
    from rlvr.backends.verl_reward import fault_env, reward_manager_settings  # imports verl

    algo, rollout, data, model, trainer = cfg.algorithm, cfg.rollout, cfg.data, cfg.model, cfg.trainer
    out_dir = Path(trainer.output_dir).expanduser().resolve()
    kl_in_reward = not algo.use_kl_loss and algo.kl_coef > 0
    loggers = ["console"] + [name for name in ("tensorboard", "wandb", "mlflow") if cfg.logger[name]]
    if cfg.logger.jsonl:
        loggers.append("file")
    env = {
        "VERL_FILE_LOGGER_PATH": str(out_dir / METRICS_FILE),
        "TENSORBOARD_DIR": str(out_dir / "tensorboard"),
        **fault_env(cfg.reward, data.train_batch_size * rollout.n),
        **worker_env(),
    }
    reward_kwargs = reward_settings(cfg)
    settings: dict[str, Any] = {
        "algorithm.adv_estimator": algo.adv_estimator,
        "algorithm.norm_adv_by_std_in_grpo": algo.norm_adv_by_std_in_grpo,
        "algorithm.gamma": algo.gamma,
        "algorithm.lam": algo.lam,
        "algorithm.use_kl_in_reward": kl_in_reward,
        "algorithm.kl_penalty": algo.kl_penalty,
        "algorithm.kl_ctrl.kl_coef": algo.kl_coef,
        "data.train_files": [str(Path(f).expanduser().resolve()) for f in data.train_files],
        "data.val_files": [str(Path(f).expanduser().resolve()) for f in data.val_files],
        "data.max_prompt_length": data.max_prompt_length,
        "data.max_response_length": data.max_response_length,
        "data.train_batch_size": data.train_batch_size,
        "data.val_batch_size": data.val_batch_size,
        "data.image_key": data.image_key,
        "data.prompt_key": data.prompt_key,
        "data.filter_overlong_prompts": data.filter_overlong_prompts,
        "data.shuffle": data.shuffle,
        "data.seed": trainer.seed,
        "actor_rollout_ref.model.path": model.path,
        "actor_rollout_ref.model.enable_gradient_checkpointing": model.enable_gradient_checkpointing,
        "actor_rollout_ref.model.use_remove_padding": model.use_remove_padding,
        "actor_rollout_ref.model.trust_remote_code": model.trust_remote_code,
        # model.dtype is the compute dtype (verl keeps fp32 master weights in FSDP)
        "actor_rollout_ref.actor.fsdp_config.dtype": model.dtype,
        "actor_rollout_ref.ref.fsdp_config.dtype": model.dtype,
        "actor_rollout_ref.rollout.dtype": model.dtype,
        "actor_rollout_ref.actor.optim.lr": algo.lr,
        "actor_rollout_ref.actor.optim.weight_decay": algo.weight_decay,
        "actor_rollout_ref.actor.optim.lr_warmup_steps": algo.lr_warmup_steps or -1,
        "actor_rollout_ref.actor.grad_clip": algo.grad_clip,
        "actor_rollout_ref.actor.clip_ratio_low": algo.clip_ratio_low,
        "actor_rollout_ref.actor.clip_ratio_high": algo.clip_ratio_high,
        "actor_rollout_ref.actor.loss_agg_mode": algo.loss_agg_mode,
        "actor_rollout_ref.actor.entropy_coeff": algo.entropy_coeff,
        "actor_rollout_ref.actor.ppo_epochs": algo.ppo_epochs,
        "actor_rollout_ref.actor.ppo_mini_batch_size": algo.ppo_mini_batch_size,
        "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu": algo.ppo_micro_batch_size_per_gpu,
        "actor_rollout_ref.actor.use_kl_loss": algo.use_kl_loss,
        "actor_rollout_ref.actor.kl_loss_coef": algo.kl_coef,
        "actor_rollout_ref.actor.kl_loss_type": algo.kl_penalty,
        "actor_rollout_ref.actor.checkpoint.save_contents": ["model", "optimizer", "extra", "hf_model"],
        "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu": rollout.log_prob_micro_batch_size_per_gpu,
        "actor_rollout_ref.rollout.name": "vllm" if rollout.engine in ("auto", "vllm") else rollout.engine,
        "actor_rollout_ref.rollout.n": rollout.n,
        "actor_rollout_ref.rollout.temperature": rollout.temperature,
        "actor_rollout_ref.rollout.top_p": rollout.top_p,
        "actor_rollout_ref.rollout.top_k": rollout.top_k,
        "actor_rollout_ref.rollout.tensor_model_parallel_size": rollout.tensor_parallel_size,
        "actor_rollout_ref.rollout.gpu_memory_utilization": rollout.gpu_memory_utilization,
        "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu": (
            rollout.log_prob_micro_batch_size_per_gpu
        ),
        "actor_rollout_ref.rollout.val_kwargs.do_sample": rollout.val_temperature > 0,
        "actor_rollout_ref.rollout.val_kwargs.temperature": rollout.val_temperature,
        "critic.model.path": model.path,
        "critic.optim.lr": algo.critic_lr,
        "critic.ppo_micro_batch_size_per_gpu": algo.ppo_micro_batch_size_per_gpu,
        "reward.custom_reward_function.path": REWARD_FUNCTION_PATH,
        "reward.custom_reward_function.name": REWARD_FUNCTION_NAME,
        "+reward.custom_reward_function.reward_kwargs": reward_kwargs,
        "trainer.nnodes": cfg.cluster.nodes,
        "trainer.n_gpus_per_node": cfg.cluster.gpus_per_node,
        "trainer.total_training_steps": trainer.total_steps,
        "trainer.test_freq": trainer.test_freq,
        "trainer.save_freq": trainer.save_freq or trainer.total_steps,  # our 0 = at the end; verl -1 = never
        "trainer.resume_mode": "disable" if trainer.resume == "never" else "auto",  # force: resume anyway
        "trainer.default_local_dir": str(out_dir / "checkpoints"),
        "trainer.max_actor_ckpt_to_keep": trainer.max_checkpoints_to_keep,
        "trainer.val_before_train": trainer.val_before_train,
        "trainer.project_name": cfg.logger.project,
        "trainer.experiment_name": cfg.logger.experiment,
        "trainer.logger": loggers,
        "+ray_kwargs.ray_init.runtime_env.env_vars": env,
        # no address: a private local Ray, never one that `ray start` left running on this machine
        "+ray_kwargs.ray_init.address": cluster_target(cfg.cluster.address).address or "local",
        **reward_manager_settings(cfg.reward),
    }
    return [f"{key}={hydra_value(value)}" for key, value in settings.items()] + list(cfg.verl.overrides)


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
    try:
        validate_config(
            config=verl_cfg, use_reference_policy=need_reference_policy(verl_cfg), use_critic=use_critic
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


def root_cause(exc: BaseException) -> str:
    """The first line of the innermost cause of ``exc`` (verl wraps the real error in its own)."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


def check_cluster_resources(cfg: DictConfig) -> None:
    """Fail fast, naming what is missing, when the cluster cannot hold ``cluster.nodes`` x
    ``cluster.gpus_per_node`` GPUs (one node's worth on each node) and verl's CPU-side task runner."""
    import ray

    from rlvr.backends.local.placement import PlacementPlan, check_fits

    nodes = int(cfg.cluster.nodes)
    roles = ("verl task runner", *(f"verl node {i}" for i in range(nodes)))
    bundles = ({"CPU": 1.0}, *({"GPU": float(cfg.cluster.gpus_per_node)} for _ in range(nodes)))
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
            "rollout.engine=vllm but vLLM is not installed on the cluster's GPU workers: "
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
