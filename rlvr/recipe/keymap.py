"""The one table from recipe keys to each backend's settings: verl's ``ppo_trainer`` keys and the local loop's
``LoopSettings`` fields. The verl override builder and the local settings are both built from it, and every
schema key is in it: honoured by a backend, refused by it (a non-default value is an error), or used by
``rlvr train`` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

VerlRule = str | tuple[str, ...] | Callable[[DictConfig], dict[str, Any]]
REWARD_FUNCTION_PATH = "pkg://rewards.verl_adapter"
REWARD_FUNCTION_NAME = "compute_score"
REWARD_KWARGS = "+reward.custom_reward_function.reward_kwargs"
TRACKERS = ("tensorboard", "wandb", "mlflow")
SUM_PI_SQUARED_ESTIMATORS = ("optimal_token_baseline", "tir_optimal_token_baseline")
ACTOR = "actor_rollout_ref.actor"
ROLLOUT = "actor_rollout_ref.rollout"
MODEL = "actor_rollout_ref.model"


@dataclass(frozen=True)
class Refuse:
    """A backend cannot do what the key asks: any value other than the schema default is an error."""

    reason: str


@dataclass(frozen=True)
class Cli:
    """Read by ``rlvr train`` for either backend, not by a trainer."""

    where: str


@dataclass(frozen=True)
class Route:
    key: str
    verl: VerlRule | Refuse | Cli  # verl key(s) given the same value, or a function of the recipe
    local: str | tuple[str, ...] | Refuse | Cli  # ``LoopSettings`` field(s) given the value (dotted: nested)


def _absolute_paths(key: str, target: str) -> Callable[[DictConfig], dict[str, Any]]:
    return lambda cfg: {target: [str(Path(f).expanduser().resolve()) for f in OmegaConf.select(cfg, key)]}


def _kl(cfg: DictConfig) -> dict[str, Any]:
    """One coefficient; the switches say where KL goes (both only when the recipe says so)."""
    algo = cfg.algorithm
    both = bool(algo.kl_in_reward_and_loss)
    return {
        "algorithm.use_kl_in_reward": (both or not algo.use_kl_loss) and algo.kl_coef > 0,
        f"{ACTOR}.use_kl_loss": bool(algo.use_kl_loss) or both,
        f"{ACTOR}.kl_loss_coef": algo.kl_coef,
        "algorithm.kl_ctrl.kl_coef": algo.kl_coef,
    }


def _loggers(cfg: DictConfig) -> dict[str, Any]:
    names = ["console"] if cfg.logger.console else []
    names += [name for name in TRACKERS if cfg.logger[name]]
    return {"trainer.logger": names + (["file"] if cfg.logger.jsonl else [])}


def _output_dir(cfg: DictConfig) -> dict[str, Any]:
    from rlvr.metrics import METRICS_FILE

    out = Path(str(cfg.trainer.output_dir)).expanduser().resolve()
    env = {"VERL_FILE_LOGGER_PATH": str(out / METRICS_FILE), "TENSORBOARD_DIR": str(out / "tensorboard")}
    return {
        "trainer.default_local_dir": str(out / "checkpoints"),
        "+ray_kwargs.ray_init.runtime_env.env_vars": env,
    }


def _reward_kwargs(cfg: DictConfig) -> dict[str, Any]:
    return {
        "reward.custom_reward_function.path": REWARD_FUNCTION_PATH,
        "reward.custom_reward_function.name": REWARD_FUNCTION_NAME,
        REWARD_KWARGS: reward_config_kwargs(cfg),
    }


def _overlong(cfg: DictConfig) -> dict[str, Any]:
    """verl applies the overlong buffer in its ``dapo`` reward manager."""
    buffer = cfg.reward.overlong_buffer
    if not buffer.enable:
        return {}
    return {
        "reward.reward_manager.name": "dapo",
        "+reward.reward_kwargs.max_resp_len": cfg.data.max_response_length,
        "+reward.reward_kwargs.overlong_buffer_cfg": {
            "enable": True, "len": buffer.len, "penalty_factor": buffer.penalty_factor, "log": True,
        },
    }  # fmt: skip


def _filter_groups(cfg: DictConfig) -> dict[str, Any]:
    groups = cfg.algorithm.filter_groups
    prefix = "algorithm.filter_groups"
    # always on the verifier's accuracy, never on the shaped score
    return {f"{prefix}.enable": groups.enable, f"{prefix}.metric": "acc",
            f"{prefix}.max_num_gen_batches": groups.max_num_gen_batches}  # fmt: skip


def _rollout_name(cfg: DictConfig) -> dict[str, Any]:
    name = cfg.rollout.name
    return {f"{ROLLOUT}.name": "vllm" if name == "auto" else name}


def _val_temperature(cfg: DictConfig) -> dict[str, Any]:
    temperature = cfg.rollout.val_kwargs.temperature
    return {
        f"{ROLLOUT}.val_kwargs.temperature": temperature,
        f"{ROLLOUT}.val_kwargs.do_sample": temperature > 0,
    }


def _resume(cfg: DictConfig) -> dict[str, Any]:
    return {"trainer.resume_mode": "auto" if cfg.trainer.resume == "auto" else "disable"}


def _ray_address(cfg: DictConfig) -> dict[str, Any]:
    return {"+ray_kwargs.ray_init.address": cfg.cluster.address} if cfg.cluster.address else {}


def _dtype(cfg: DictConfig) -> dict[str, Any]:
    """model.dtype is the compute dtype (verl keeps fp32 master weights in FSDP)."""
    targets = (f"{ACTOR}.fsdp_config.dtype", "actor_rollout_ref.ref.fsdp_config.dtype", f"{ROLLOUT}.dtype")
    return dict.fromkeys(targets, cfg.model.dtype)


def _estimator(cfg: DictConfig) -> dict[str, Any]:
    """The optimal-token-baseline estimators need the actor's sum of squared token probabilities."""
    name = cfg.algorithm.adv_estimator
    return {
        "algorithm.adv_estimator": name,
        f"{ACTOR}.calculate_sum_pi_squared": name in SUM_PI_SQUARED_ESTIMATORS,
    }


def _policy_loss_args(cfg: DictConfig) -> dict[str, Any]:
    """verl keeps sapo's tau_pos / tau_neg on the actor, the other loss knobs in actor.policy_loss."""
    args = OmegaConf.to_container(cfg.algorithm.policy_loss_args, resolve=True)
    return {
        f"{ACTOR}.{name}" if name in ("tau_pos", "tau_neg") else f"{ACTOR}.policy_loss.{name}": value
        for name, value in args.items()
    }


def reward_config_kwargs(cfg: DictConfig) -> dict[str, Any]:
    """The recipe's ``reward`` block as ``rewards.score.RewardConfig`` keyword arguments."""
    block = OmegaConf.to_container(cfg.reward, resolve=True)
    return {k: v for k, v in block.items() if f"reward.{k}" in REWARD_CONFIG_KEYS}


REWARD_CONFIG_KEYS = tuple(
    f"reward.{name}"
    for name in (
        "acc_weight", "format_weight", "think_tag", "answer_tag", "numeric_rtol", "open_metric", "verifier",
        "length_penalty", "length_unit", "length_target", "length_max", "repetition_penalty",
        "repetition_ngram",
    )
)  # fmt: skip
NO_SFT_WARMUP = Refuse("run the SFT stages (`rlvr sft ...`) and pass their output as model.path")
NO_TINY = Refuse("build the tiny model first (base_training.tiny) and pass its folder as model.path")
TINY_ONLY = "the tiny builder's sizes"
ROUTES: tuple[Route, ...] = (
    Route("recipe", Cli("the run's name: default output_dir and experiment"), Cli("as for verl")),
    Route("backend", Cli("picks the trainer"), Cli("picks the trainer")),
    Route("dry_run", Cli("stop after validation, print the configs"), Cli("as for verl")),
    Route("model.path", (f"{MODEL}.path", "critic.model.path"), "inputs.model_path"),
    Route("model.tiny", NO_TINY, "inputs.tiny"),
    Route("model.tiny_overrides", NO_TINY, "inputs.tiny_overrides"),
    Route("model.dtype", _dtype, "model.dtype"),
    Route("model.trust_remote_code", f"{MODEL}.trust_remote_code", "model.trust_remote_code"),
    Route(
        "model.enable_gradient_checkpointing",
        f"{MODEL}.enable_gradient_checkpointing",
        "model.gradient_checkpointing",
    ),  # fmt: skip
    Route(
        "model.use_remove_padding",
        f"{MODEL}.use_remove_padding",
        Refuse("the local loop pads its batches; remove_padding is a verl (flash-attn) speed-up"),
    ),
    Route("model.lora_rank", f"{MODEL}.lora_rank", "lora.rank"),
    Route("model.lora_alpha", f"{MODEL}.lora_alpha", "lora.alpha"),
    Route("model.target_modules", f"{MODEL}.target_modules", "lora.target_modules"),
    Route("model.exclude_modules", f"{MODEL}.exclude_modules", "lora.exclude_modules"),
    Route("model.sft_warmup.steps", NO_SFT_WARMUP, "inputs.warmup_steps"),
    Route("model.sft_warmup.lr", NO_SFT_WARMUP, "inputs.warmup_lr"),
    Route("model.sft_warmup.batch_size", NO_SFT_WARMUP, "inputs.warmup_batch_size"),
    Route("data.train_files", _absolute_paths("data.train_files", "data.train_files"), "inputs.train_files"),
    Route("data.val_files", _absolute_paths("data.val_files", "data.val_files"), "inputs.val_files"),
    Route(
        "data.synth.n",
        Refuse("write the task with `rlvr data synth` and pass data.train_files"),
        "inputs.synth_n",
    ),  # fmt: skip
    Route("data.synth.seed", Refuse("`rlvr data synth --seed`"), "inputs.synth_seed"),
    Route("data.synth.tasks", Refuse("`rlvr data synth --tasks`"), "inputs.synth_tasks"),
    Route("data.synth.image_size", Refuse("`rlvr data synth --image-size`"), "inputs.synth_image_size"),
    Route("data.max_prompt_length", "data.max_prompt_length", "max_prompt_length"),
    Route("data.max_response_length", "data.max_response_length", "max_new_tokens"),
    Route("data.train_batch_size", "data.train_batch_size", "prompts_per_step"),
    Route("data.val_batch_size", "data.val_batch_size", "val.batch_size"),
    Route("data.image_key", "data.image_key", "inputs.image_key"),
    Route("data.prompt_key", "data.prompt_key", "inputs.prompt_key"),
    Route("data.filter_overlong_prompts", "data.filter_overlong_prompts", "filter_overlong_prompts"),
    Route("data.shuffle", "data.shuffle", "shuffle"),
    Route("actor.freeze_vision_tower", f"{ACTOR}.freeze_vision_tower", "freeze_vision_tower"),
    Route("algorithm.adv_estimator", _estimator, "estimator"),
    Route("algorithm.policy_loss", f"{ACTOR}.policy_loss.loss_mode", "loss.policy_loss"),
    Route("algorithm.policy_loss_args", _policy_loss_args, "loss.policy_loss_args"),
    Route("algorithm.kl_coef", _kl, "loss.kl_coef"),
    Route("algorithm.kl_penalty", ("algorithm.kl_penalty", f"{ACTOR}.kl_loss_type"), "loss.kl_penalty"),
    Route("algorithm.use_kl_loss", _kl, "loss.use_kl_loss"),
    Route("algorithm.kl_in_reward_and_loss", _kl, "loss.kl_in_reward_and_loss"),
    Route("algorithm.clip_ratio_low", f"{ACTOR}.clip_ratio_low", "loss.clip_ratio_low"),
    Route("algorithm.clip_ratio_high", f"{ACTOR}.clip_ratio_high", "loss.clip_ratio_high"),
    Route("algorithm.clip_ratio_c", f"{ACTOR}.clip_ratio_c", "loss.clip_ratio_c"),
    Route("algorithm.loss_agg_mode", f"{ACTOR}.loss_agg_mode", "loss.loss_agg_mode"),
    Route("algorithm.entropy_coeff", f"{ACTOR}.entropy_coeff", "loss.entropy_coeff"),
    Route("algorithm.norm_adv_by_std_in_grpo", "algorithm.norm_adv_by_std_in_grpo", "norm_adv_by_std"),
    Route("algorithm.gdpo_reward_keys", "+algorithm.gdpo_reward_keys", "gdpo_reward_keys"),
    Route("algorithm.lr", f"{ACTOR}.optim.lr", "lr"),
    Route("algorithm.lr_warmup_steps", f"{ACTOR}.optim.lr_warmup_steps", "lr_warmup_steps"),
    Route("algorithm.weight_decay", f"{ACTOR}.optim.weight_decay", "weight_decay"),
    Route("algorithm.grad_clip", (f"{ACTOR}.grad_clip", "critic.grad_clip"), "grad_clip"),
    Route("algorithm.ppo_epochs", (f"{ACTOR}.ppo_epochs", "critic.ppo_epochs"), "ppo_epochs"),
    Route(
        "algorithm.ppo_mini_batch_size",
        (f"{ACTOR}.ppo_mini_batch_size", "critic.ppo_mini_batch_size"),
        "mini_batch_prompts",
    ),  # fmt: skip
    Route(
        "algorithm.ppo_micro_batch_size_per_gpu",
        (f"{ACTOR}.ppo_micro_batch_size_per_gpu", "critic.ppo_micro_batch_size_per_gpu"),
        "micro_batch_size",
    ),
    Route("algorithm.critic_lr", "critic.optim.lr", "critic_lr"),
    Route("algorithm.cliprange_value", "critic.cliprange_value", "cliprange_value"),
    Route("algorithm.gamma", "algorithm.gamma", "gamma"),
    Route("algorithm.lam", "algorithm.lam", "lam"),
    Route(
        "algorithm.mask_truncated_responses",
        Refuse("verl has no such switch; use reward.overlong_buffer (verl's overlong penalty)"),
        "mask_truncated_responses",
    ),  # fmt: skip
    Route("algorithm.filter_groups.enable", _filter_groups, "filter_groups.enable"),
    Route("algorithm.filter_groups.max_num_gen_batches", _filter_groups, "filter_groups.max_num_gen_batches"),
    *(
        Route(
            f"algorithm.rollout_correction.{name}",
            f"algorithm.rollout_correction.{name}",
            (f"rollout_correction.{name}", f"loss.rollout_correction.{name}"),
        )
        for name in (
            "rollout_is",
            "rollout_is_threshold",
            "rollout_is_batch_normalize",
            "rollout_rs",
            "rollout_rs_threshold",
        )
    ),  # fmt: skip
    Route("rollout.n", f"{ROLLOUT}.n", "group_size"),
    Route("rollout.temperature", f"{ROLLOUT}.temperature", "temperature"),
    Route("rollout.top_p", f"{ROLLOUT}.top_p", "top_p"),
    Route("rollout.top_k", f"{ROLLOUT}.top_k", "top_k"),
    Route("rollout.name", _rollout_name, "engine"),
    Route(
        "rollout.tensor_model_parallel_size", f"{ROLLOUT}.tensor_model_parallel_size", "tensor_parallel_size"
    ),
    Route("rollout.gpu_memory_utilization", f"{ROLLOUT}.gpu_memory_utilization", "gpu_memory_utilization"),
    Route(
        "rollout.log_prob_micro_batch_size_per_gpu",
        (
            f"{ROLLOUT}.log_prob_micro_batch_size_per_gpu",
            "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu",
        ),
        "log_prob_micro_batch_size",
    ),  # fmt: skip
    Route("rollout.val_kwargs.n", f"{ROLLOUT}.val_kwargs.n", "val.n"),
    Route("rollout.val_kwargs.temperature", _val_temperature, "val.temperature"),
    Route("rollout.val_kwargs.top_p", f"{ROLLOUT}.val_kwargs.top_p", "val.top_p"),
    Route("rollout.val_kwargs.top_k", f"{ROLLOUT}.val_kwargs.top_k", "val.top_k"),
    *(Route(key, _reward_kwargs, f"reward.config.{key.split('.')[1]}") for key in REWARD_CONFIG_KEYS),
    Route("reward.num_workers", "reward.num_workers", "reward.workers"),
    Route(
        "reward.timeout_s", Refuse("verl's reward workers have no per-item time limit"), "reward.timeout_s"
    ),
    Route("reward.overlong_buffer.enable", _overlong, "reward.overlong_buffer.enable"),
    Route("reward.overlong_buffer.len", _overlong, "reward.overlong_buffer.len"),
    Route("reward.overlong_buffer.penalty_factor", _overlong, "reward.overlong_buffer.penalty_factor"),
    Route("cluster.address", _ray_address, "ray_address"),
    Route(
        "cluster.dashboard_address",
        Cli("one Ray job per sweep point"),
        Refuse("sweeps run one point after another here; submitting Ray jobs is for backend=verl"),
    ),
    Route("cluster.nnodes", "trainer.nnodes", "nodes"),
    Route("cluster.n_gpus_per_node", "trainer.n_gpus_per_node", "gpus_per_node"),
    Route("cluster.cpus_per_worker", Refuse("verl sizes its workers from its own config"), "cpus_per_worker"),
    Route("cluster.policy_workers", Refuse("verl's policy runs on every GPU of cluster.*"), "policy_workers"),
    *(Route(f"logger.{name}", _loggers, f"logging.{name}") for name in ("console", "jsonl", *TRACKERS)),
    Route("logger.project", "trainer.project_name", "logging.project"),
    Route("logger.experiment", "trainer.experiment_name", "logging.experiment"),
    Route("trainer.output_dir", _output_dir, "output_dir"),
    Route("trainer.total_training_steps", "trainer.total_training_steps", "total_steps"),
    Route("trainer.test_freq", "trainer.test_freq", "test_freq"),
    Route("trainer.save_freq", "trainer.save_freq", "save_freq"),
    Route("trainer.resume", _resume, "resume"),
    Route("trainer.seed", ("data.seed", f"{ROLLOUT}.seed"), "seed"),
    Route("trainer.val_before_train", "trainer.val_before_train", "val_before_train"),
    Route(
        "trainer.max_actor_ckpt_to_keep",
        ("trainer.max_actor_ckpt_to_keep", "trainer.max_critic_ckpt_to_keep"),
        "keep_checkpoints",
    ),  # fmt: skip
    Route(
        "verl.overrides",
        Cli("applied last to verl's config"),
        Refuse("they are Hydra overrides of verl's config; set the recipe keys instead"),
    ),
    *(
        Route(f"eval.{name}", Cli("rlvr eval after training"), Cli("rlvr eval after training"))
        for name in ("suite", "data_root", "prompt", "batch_size", "max_new_tokens", "limit")
    ),
)
# verl settings every run gets, whatever the recipe says
VERL_FIXED: dict[str, Any] = {
    f"{ACTOR}.checkpoint.save_contents": ["model", "optimizer", "extra", "hf_model"]
}
ROUTE_BY_KEY = {route.key: route for route in ROUTES}
