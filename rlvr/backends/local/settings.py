"""The typed view of a recipe that the local loop reads, built from the key table (``rlvr.recipe.keymap``):
every field below is some recipe key's value, so what a recipe sets is what the loop does."""

from __future__ import annotations

import dataclasses
import os
import typing
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig

from rlvr.backends.local.algorithm import ROLLOUT_LOG_PROB_LOSSES, LossSettings
from rlvr.backends.local.modeling import ModelSettings
from rlvr.backends.local.reward import RewardSettings
from rlvr.recipe.routing import local_values


@dataclass(frozen=True)
class RunInputs:
    """Where the model and the rows come from (``model.*``, ``data.*``)."""

    model_path: str
    tiny: bool | None
    tiny_overrides: dict[str, Any]
    warmup_steps: int
    warmup_lr: float
    warmup_batch_size: int
    train_files: list[str]
    val_files: list[str]
    synth_n: int
    synth_seed: int
    synth_tasks: list[str]
    synth_image_size: int
    image_key: str
    prompt_key: str

    @property
    def builds_tiny(self) -> bool:
        """The tiny Qwen2.5-VL is built locally (``model.tiny`` true, or null with path ``tiny``)."""
        return bool(self.tiny) if self.tiny is not None else self.model_path == "tiny"


@dataclass(frozen=True)
class LoraSettings:
    rank: int
    alpha: int
    target_modules: Any
    exclude_modules: str | None


@dataclass(frozen=True)
class ValSettings:
    """Validation: greedy, plus ``n`` sampled responses per row when ``n`` > 1."""

    n: int
    temperature: float
    top_p: float
    top_k: int
    batch_size: int


@dataclass(frozen=True)
class FilterGroups:
    enable: bool
    max_num_gen_batches: int


@dataclass(frozen=True)
class RolloutCorrection:
    rollout_is: str | None
    rollout_is_threshold: float
    rollout_is_batch_normalize: bool
    rollout_rs: str | None
    rollout_rs_threshold: str | None

    @property
    def enabled(self) -> bool:
        return self.rollout_is is not None or self.rollout_rs is not None


@dataclass(frozen=True)
class LoggingSettings:
    console: bool
    jsonl: bool
    tensorboard: bool
    wandb: bool
    mlflow: bool
    project: str
    experiment: str


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
    estimator: str
    gamma: float
    lam: float
    lr: float
    lr_warmup_steps: int
    weight_decay: float
    norm_adv_by_std: bool
    gdpo_reward_keys: list[str]
    critic_lr: float
    cliprange_value: float
    grad_clip: float
    ppo_epochs: int
    mini_batch_prompts: int
    micro_batch_size: int
    log_prob_micro_batch_size: int
    freeze_vision_tower: bool
    mask_truncated_responses: bool
    loss: LossSettings
    reward: RewardSettings
    model: ModelSettings
    lora: LoraSettings
    inputs: RunInputs
    val: ValSettings
    filter_groups: FilterGroups
    rollout_correction: RolloutCorrection
    logging: LoggingSettings
    engine: str
    gpu_memory_utilization: float
    tensor_parallel_size: int
    test_freq: int
    save_freq: int
    keep_checkpoints: int
    resume: str
    val_before_train: bool
    seed: int
    output_dir: str
    ray_address: str | None
    cpus_per_worker: float
    nodes: int
    gpus_per_node: int
    policy_workers: int

    @property
    def gpus(self) -> int:
        return self.nodes * self.gpus_per_node

    @property
    def needs_reference(self) -> bool:
        return self.loss.kl_coef > 0 and (self.loss.use_kl_loss or self.kl_in_reward)

    @property
    def kl_in_reward(self) -> bool:
        loss = self.loss
        return (loss.kl_in_reward_and_loss or not loss.use_kl_loss) and loss.kl_coef > 0

    @property
    def needs_engine_log_probs(self) -> bool:
        """The rollout engine's own log-probs: for rollout correction and verl's bypass mode."""
        return self.rollout_correction.enabled or self.loss.policy_loss in ROLLOUT_LOG_PROB_LOSSES

    @property
    def resumes(self) -> bool:
        return self.resume == "auto"

    @property
    def torch_threads(self) -> int:
        # Rollout and update run one after the other, so each actor may use every core while it works.
        return os.cpu_count() or 1


def build(cls: type, values: dict[str, Any]) -> Any:
    """``cls(**values)`` with nested dicts built into the dataclass their field is typed with."""
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in values.items():
        kind = hints.get(name)
        if isinstance(value, dict) and dataclasses.is_dataclass(kind):
            value = build(kind, value)
        kwargs[name] = value
    return cls(**kwargs)


def loop_settings(cfg: DictConfig) -> LoopSettings:
    """The local loop's settings for recipe ``cfg`` (checked by ``rlvr.recipe.validate`` beforehand)."""
    return build(LoopSettings, local_values(cfg))
