"""The verl backend: translate a recipe into verl's ``ppo_trainer`` config and run verl's own trainer.

verl's config is composed by Hydra from ``pkg://verl.trainer.config`` (config ``ppo_trainer``) with
overrides derived from the recipe; our reward enters only through ``reward.custom_reward_function``
(verl 0.9.1's ``main_ppo`` reads ``config.reward.*`` and ignores the legacy top-level reward keys).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

from hydra import compose, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from rlvr.errors import ClusterError, RecipeError
from rlvr.metrics import METRICS_FILE, SUMMARY_FILE, read_metric_rows, validation_value
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


def ray_address(cfg: DictConfig) -> str | None:
    return cfg.cluster.address or os.environ.get("RAY_ADDRESS") or None


def verl_overrides(cfg: DictConfig) -> list[str]:
    """The recipe as a list of Hydra overrides of verl's ppo_trainer (user ``verl.overrides`` last)."""
    algo, rollout, data, model, trainer = cfg.algorithm, cfg.rollout, cfg.data, cfg.model, cfg.trainer
    out_dir = Path(trainer.output_dir).expanduser().resolve()
    kl_in_reward = not algo.use_kl_loss and algo.kl_coef > 0
    loggers = ["console"] + [name for name in ("tensorboard", "wandb", "mlflow") if cfg.logger[name]]
    if cfg.logger.jsonl:
        loggers.append("file")
    env = {
        "VERL_FILE_LOGGER_PATH": str(out_dir / METRICS_FILE),
        "TENSORBOARD_DIR": str(out_dir / "tensorboard"),
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
        "trainer.resume_mode": "auto" if trainer.resume == "auto" else "disable",
        "trainer.default_local_dir": str(out_dir / "checkpoints"),
        "trainer.max_actor_ckpt_to_keep": trainer.max_checkpoints_to_keep,
        "trainer.val_before_train": trainer.val_before_train,
        "trainer.project_name": cfg.logger.project,
        "trainer.experiment_name": cfg.logger.experiment,
        "trainer.logger": loggers,
        "+ray_kwargs.ray_init.runtime_env.env_vars": env,
    }
    address = ray_address(cfg)
    if address:
        settings["+ray_kwargs.ray_init.address"] = address
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
    except OSError as exc:  # the critic's model config loads the tokenizer from model.path
        raise RecipeError(
            f"verl's validate_config could not read model.path {verl_cfg.actor_rollout_ref.model.path!r} "
            f"(a critic needs its config and tokenizer; offline runs need a local folder): {exc}"
        ) from None


def check_cluster_resources(cfg: DictConfig) -> None:
    """Fail fast when the connected Ray cluster has fewer GPUs than the recipe asks for."""
    import ray

    wanted = cfg.cluster.nodes * cfg.cluster.gpus_per_node
    have = int(ray.cluster_resources().get("GPU", 0))
    if wanted < 1 or have < wanted:
        raise ClusterError(
            f"recipe {cfg.recipe!r} asks for {cfg.cluster.nodes} node(s) x "
            f"{cfg.cluster.gpus_per_node} GPU(s) = "
            f"{wanted} GPUs, but the Ray cluster at {ray_address(cfg) or 'this machine'} has {have}. Point "
            "RAY_ADDRESS (or cluster.address) at a GPU cluster, or lower cluster.nodes/cluster.gpus_per_node."
        )


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


def run(cfg: DictConfig) -> dict:
    """Build and validate verl's config, check the cluster, then run verl's ``main_ppo`` trainer."""
    import ray
    from verl.trainer.main_ppo import TaskRunnerV1, run_ppo
    from verl.utils.device import auto_set_device

    verl_cfg = build_verl_config(cfg)
    auto_set_device(verl_cfg)  # as main_ppo.main does (npu on Ascend)
    validate_verl_config(verl_cfg)
    out_dir = Path(cfg.trainer.output_dir).expanduser()
    out_dir.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(verl_cfg, out_dir / "verl_config.yaml")
    address = ray_address(cfg)
    probe = {"address": address} if address else {"include_dashboard": False}  # a local Ray when no address
    ray.init(**probe, ignore_reinit_error=True)  # a short probe before verl's own init
    try:
        check_cluster_resources(cfg)
        check_vllm_on_cluster(verl_cfg)
    finally:
        ray.shutdown()
    try:
        # verl does its own ray.init (with its runtime env), as main_ppo.main does
        run_ppo(verl_cfg, task_runner_class=TaskRunnerV1)
    finally:
        ray.shutdown()
    summary = summarize_verl_metrics(out_dir / METRICS_FILE)
    (out_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2))
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
