"""Typed schema of an SFT stage config (Hydra structured config; YAML in base_training/conf overrides it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

# Qwen2.5-VL parameter names: model.visual.merger.* (projector), model.visual.* (vision tower),
# model.language_model.* + lm_head.* (LLM). Another architecture overrides these three regexes.
QWEN2_5_VL_PARTS = {
    "projector": r"^model\.visual\.merger\.",
    "vision_tower": r"^model\.visual\.(?!merger\.)",
    "language_model": r"^(model\.language_model\.|lm_head\.)",
}


@dataclass
class ModuleGroupConfig:
    """Parameters whose names match any regex in ``patterns`` train with learning rate ``lr``."""

    name: str = MISSING
    patterns: list[str] = MISSING
    lr: float | None = None  # None: train.lr


@dataclass
class StageSpecConfig:
    name: str = MISSING
    description: str = ""
    # Ordered: a parameter belongs to the first group that matches it; unmatched parameters are frozen.
    trainable: list[ModuleGroupConfig] = field(default_factory=list)


@dataclass
class DataSourceConfig:
    path: str = MISSING
    ratio: float = 1.0
    format: str = "auto"  # auto | chat | rl | caption  (auto: decided per row from its keys)
    name: str | None = None  # label in the summary; default: the file name


@dataclass
class DataConfig:
    sources: list[DataSourceConfig] = field(default_factory=list)
    num_samples: int | None = None  # size of the mixed set; None: the number of valid rows in all sources
    max_length: int = 1024  # longer examples are reported and skipped (truncation would cut image tokens)
    on_error: str = "skip"  # skip | fail: what a bad row does
    max_reported_errors: int = 10
    caption_prompt: str = "<image>Describe the image."
    # Think text for rows with no extra_info.reasoning; may use {question}, {answer} and extra_info keys.
    # Short on purpose: RL recipes cap responses at a few dozen tokens.
    rl_think_template: str = "I check the image."
    seed: int = 0


@dataclass
class TrainConfig:
    steps: int = 100
    lr: float = 1e-4
    batch_size: int = 4
    grad_accum: int = 1
    weight_decay: float = 0.0
    warmup_ratio: float = 0.0
    lr_scheduler: str = "cosine"
    max_grad_norm: float = 1.0
    group_by_length: bool = True
    logging_steps: int = 10
    save_steps: int = 50
    save_total_limit: int = 2
    resume: str = "auto"  # auto: continue from the last complete checkpoint | never
    seed: int = 0
    bf16: bool = False
    gradient_checkpointing: bool = False
    dataloader_num_workers: int = 0
    fsdp: str = ""  # passed to TrainingArguments.fsdp on GPUs, e.g. "full_shard auto_wrap"
    deepspeed: str | None = None  # path to a DeepSpeed JSON config
    report_to: list[str] = field(default_factory=list)


@dataclass
class SFTConfig:
    stage: StageSpecConfig = MISSING
    init: str = "tiny://"  # a HF model folder (e.g. the previous stage's output_dir) or tiny://
    output_dir: str = "outputs/sft/${stage.name}"
    parts: dict[str, str] = field(default_factory=lambda: dict(QWEN2_5_VL_PARTS))
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


def register_configs() -> None:
    ConfigStore.instance().store(name="sft_schema", node=SFTConfig)


def compose_config(overrides: list[str]):
    """base_training/conf/sft.yaml composed with Hydra ``overrides``, e.g. ["stage=instruct"]."""
    from hydra import compose, initialize_config_module

    register_configs()
    with initialize_config_module("base_training.conf", version_base=None):
        return compose("sft", overrides=overrides)
