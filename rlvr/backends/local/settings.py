"""The typed view of a recipe that the local loop reads (one place that knows the key names)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from omegaconf import DictConfig, OmegaConf

from rlvr.backends.local.algorithm import LossSettings, check_estimator
from rlvr.backends.local.modeling import ModelSettings, check_dtype
from rlvr.backends.local.reward import RewardSettings


@dataclass(frozen=True)
class LoopSettings:
    total_steps: int
    prompts_per_step: int
    group_size: int
    temperature: float
    top_p: float
    top_k: int
    max_new_tokens: int
    max_prompt_length: int
    filter_overlong_prompts: bool
    shuffle: bool
    val_batch_size: int
    estimator: str
    gamma: float
    lam: float
    lr: float
    lr_warmup_steps: int
    weight_decay: float
    norm_adv_by_std: bool
    critic_lr: float
    grad_clip: float
    ppo_epochs: int
    mini_batch_prompts: int
    micro_batch_size: int
    log_prob_micro_batch_size: int
    loss: LossSettings
    reward: RewardSettings
    model: ModelSettings
    engine: str
    gpu_memory_utilization: float
    tensor_parallel_size: int
    test_freq: int
    save_freq: int
    keep_checkpoints: int
    resume: bool
    val_before_train: bool
    seed: int
    cpus_per_worker: float
    nodes: int
    gpus_per_node: int
    policy_workers: int
    val_temperature: float

    @property
    def gpus(self) -> int:
        return self.nodes * self.gpus_per_node

    @property
    def needs_reference(self) -> bool:
        return self.loss.use_kl_loss or self.loss.kl_coef > 0

    @property
    def kl_in_reward(self) -> bool:
        return not self.loss.use_kl_loss and self.loss.kl_coef > 0

    @property
    def torch_threads(self) -> int:
        # Rollout and update run one after the other, so each actor may use every core while it works.
        return os.cpu_count() or 1


def loop_settings(cfg: DictConfig) -> LoopSettings:
    algorithm, rollout, trainer = cfg.algorithm, cfg.rollout, cfg.trainer
    check_estimator(str(algorithm.adv_estimator))
    if algorithm.get("name", "grpo") == "ppo" and algorithm.adv_estimator != "gae":
        raise ValueError(
            "algorithm.name=ppo trains a critic: set algorithm.adv_estimator=gae (or use name=grpo)."
        )
    if trainer.resume not in ("auto", "never"):
        raise ValueError(f"trainer.resume={trainer.resume!r}: choose auto or never.")
    check_dtype(str(cfg.model.dtype))
    for key in (
        "algorithm.ppo_micro_batch_size_per_gpu",
        "rollout.log_prob_micro_batch_size_per_gpu",
        "rollout.tensor_parallel_size",
        "cluster.policy_workers",
    ):
        if int(OmegaConf.select(cfg, key)) < 1:
            raise ValueError(f"{key}={OmegaConf.select(cfg, key)} must be at least 1.")
    if not 0 < float(rollout.gpu_memory_utilization) <= 1:
        raise ValueError(
            f"rollout.gpu_memory_utilization={rollout.gpu_memory_utilization} must be in (0, 1]: "
            "the fraction of GPU memory vLLM may take."
        )
    check_policy_workers(cfg)
    reward_block = OmegaConf.to_container(cfg.reward, resolve=True)
    return LoopSettings(
        total_steps=int(trainer.total_steps),
        prompts_per_step=int(cfg.data.train_batch_size),
        group_size=int(rollout.n),
        temperature=float(rollout.temperature),
        top_p=float(rollout.top_p),
        top_k=int(rollout.top_k),
        max_new_tokens=int(cfg.data.max_response_length),
        max_prompt_length=int(cfg.data.max_prompt_length),
        filter_overlong_prompts=bool(cfg.data.filter_overlong_prompts),
        shuffle=bool(cfg.data.shuffle),
        val_batch_size=int(cfg.data.val_batch_size),
        estimator=str(algorithm.adv_estimator),
        gamma=float(algorithm.get("gamma", 1.0)),
        lam=float(algorithm.get("lam", 1.0)),
        lr=float(algorithm.lr),
        lr_warmup_steps=int(algorithm.get("lr_warmup_steps", 0)),
        weight_decay=float(algorithm.get("weight_decay", 0.0)),
        norm_adv_by_std=bool(algorithm.get("norm_adv_by_std_in_grpo", True)),
        critic_lr=float(algorithm.get("critic_lr", algorithm.lr)),
        grad_clip=float(algorithm.get("grad_clip", 1.0)),
        ppo_epochs=int(algorithm.ppo_epochs),
        mini_batch_prompts=int(algorithm.ppo_mini_batch_size),
        micro_batch_size=int(algorithm.ppo_micro_batch_size_per_gpu),
        log_prob_micro_batch_size=int(rollout.log_prob_micro_batch_size_per_gpu),
        loss=LossSettings(
            clip_ratio_low=float(algorithm.clip_ratio_low),
            clip_ratio_high=float(algorithm.clip_ratio_high),
            loss_agg_mode=str(algorithm.loss_agg_mode),
            entropy_coeff=float(algorithm.entropy_coeff),
            use_kl_loss=bool(algorithm.use_kl_loss),
            kl_coef=float(algorithm.kl_coef),
            kl_penalty=str(algorithm.kl_penalty),
        ),
        reward=RewardSettings.from_recipe(reward_block),
        model=ModelSettings(
            dtype=str(cfg.model.dtype),
            trust_remote_code=bool(cfg.model.trust_remote_code),
            gradient_checkpointing=bool(cfg.model.enable_gradient_checkpointing),
        ),
        engine=str(rollout.engine),
        gpu_memory_utilization=float(rollout.gpu_memory_utilization),
        tensor_parallel_size=int(rollout.tensor_parallel_size),
        test_freq=int(trainer.test_freq),
        save_freq=int(trainer.save_freq),
        keep_checkpoints=int(trainer.get("max_checkpoints_to_keep", 0)),
        resume=trainer.resume == "auto",
        val_before_train=bool(trainer.get("val_before_train", True)),
        seed=int(trainer.seed),
        cpus_per_worker=float(cfg.cluster.get("cpus_per_worker", 1)),
        nodes=int(cfg.cluster.get("nodes", 1)),
        gpus_per_node=int(cfg.cluster.get("gpus_per_node", 0)),
        policy_workers=int(cfg.cluster.get("policy_workers", 1)),
        val_temperature=float(rollout.get("val_temperature", 0.0)),
    )


def check_policy_workers(cfg: DictConfig) -> None:
    """Several policy ranks need mini-batches that split evenly over them, and no critic."""
    workers = int(cfg.cluster.get("policy_workers", 1))
    if workers == 1:
        return
    mini_batch = int(cfg.algorithm.ppo_mini_batch_size) * int(cfg.rollout.n)
    if mini_batch % workers:
        raise ValueError(
            f"cluster.policy_workers={workers} must divide the responses of a mini-batch "
            f"(algorithm.ppo_mini_batch_size x rollout.n = {mini_batch}): every rank takes an equal share."
        )
    if cfg.algorithm.adv_estimator == "gae":
        raise ValueError(
            "algorithm.adv_estimator=gae trains a critic, which the local backend runs on one policy worker "
            "only: set cluster.policy_workers=1."
        )
