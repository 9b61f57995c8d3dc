"""Structured schema of an RL recipe: typed dataclasses registered in Hydra's ConfigStore.

Every key has its one default here; groups and recipes in ``recipes/`` list only what they change, and a key
that is not declared here is an error. Leaf names are verl's wherever the meaning is the same
(``rlvr recipes --keys`` prints where each key goes on each backend).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore

SCHEMA_NAME = "rlvr_schema"
RUN_CONFIG_FILE = "run_config.yaml"  # the resolved recipe, saved in trainer.output_dir when a run starts
VISION_TOWER_MODULES = r".*visual.*"  # Qwen-VL's vision tower and merger: no LoRA adapters there by default


@dataclass
class SftWarmupConfig:
    """Built-in supervised warm-up on the training rows before RL (0 steps = off)."""

    steps: int = 0
    lr: float = 5e-4
    batch_size: int = 8


@dataclass
class ModelConfig:
    # HF hub id or local folder; "tiny" = build the random-weight tiny Qwen2.5-VL locally.
    path: str = "tiny"
    # True: build the tiny model; None: decide from path ("tiny" -> True).
    tiny: bool | None = None
    # size overrides for the tiny builder; add keys with `+model.tiny_overrides.hidden_size=64`
    tiny_overrides: dict[str, Any] = field(default_factory=dict)
    dtype: str = "bfloat16"  # float32 on CPU is chosen by the local backend itself
    trust_remote_code: bool = False
    enable_gradient_checkpointing: bool = True
    use_remove_padding: bool = False  # verl's packed (padding-free) forward; the local backend pads
    lora_rank: int = 0  # > 0: train LoRA adapters of this rank instead of the whole model
    lora_alpha: int = 16
    target_modules: Any = "all-linear"  # peft's: "all-linear" or a list of module names
    exclude_modules: str | None = VISION_TOWER_MODULES  # regex of modules left without adapters
    sft_warmup: SftWarmupConfig = field(default_factory=SftWarmupConfig)


@dataclass
class SynthConfig:
    """The synthetic task written by ``rlvr.data.synth.write_synth`` (n=0: use data files instead)."""

    n: int = 0
    seed: int = 0
    # question types to draw from (rlvr.data.synth.TASKS); empty = all of them
    tasks: list[str] = field(default_factory=list)
    image_size: int = 56


@dataclass
class DataConfig:
    train_files: list[str] = field(default_factory=list)  # parquet in verl's RL schema
    val_files: list[str] = field(default_factory=list)
    synth: SynthConfig = field(default_factory=SynthConfig)
    max_prompt_length: int = 1024
    max_response_length: int = 512
    train_batch_size: int = 8  # prompts per step (each gets rollout.n responses)
    val_batch_size: int = 64
    image_key: str = "images"
    prompt_key: str = "prompt"
    filter_overlong_prompts: bool = True
    shuffle: bool = True


@dataclass
class ActorConfig:
    freeze_vision_tower: bool = False  # train the language model (and merger) only


@dataclass
class FilterGroupsConfig:
    """Dynamic sampling (DAPO): drop prompt groups whose accuracy has zero variance, draw more prompts."""

    enable: bool = False
    max_num_gen_batches: int = 10  # at most this many generation batches per step (<= 0: no limit)


@dataclass
class RolloutCorrectionConfig:
    """Importance-sampling correction of the rollout engine's numerics (verl's rollout_correction)."""

    rollout_is: str | None = None  # token | sequence; null = off
    rollout_is_threshold: float = 2.0  # weights truncated at this value
    rollout_is_batch_normalize: bool = False
    rollout_rs: str | None = None  # rejection sampling mode(s), e.g. token_k1; null = off
    rollout_rs_threshold: str | None = None


@dataclass
class AlgorithmConfig:
    adv_estimator: str = "grpo"  # any estimator in verl's registry (`rlvr recipes --estimators`)
    policy_loss: str = "vanilla"  # any policy loss in verl's registry (vanilla, gspo, geo_mean, cispo, ...)
    policy_loss_args: dict[str, Any] = field(default_factory=dict)  # verl's PolicyLossConfig fields
    kl_coef: float = 0.01
    kl_penalty: str = "low_var_kl"  # kl | abs | mse | low_var_kl | full
    use_kl_loss: bool = True  # True: KL as a loss term (GRPO); False: KL subtracted from the reward
    kl_in_reward_and_loss: bool = False  # both at once (verl allows it; KL then counts twice)
    clip_ratio_low: float = 0.2
    clip_ratio_high: float = 0.28  # clip-higher (DAPO): low-probability tokens stay explorable
    clip_ratio_c: float = 3.0  # dual-clip PPO's bound for negative advantages
    loss_agg_mode: str = "token-mean"  # token-mean | seq-mean-token-sum | seq-mean-token-mean | ...
    entropy_coeff: float = 0.0
    norm_adv_by_std_in_grpo: bool = True  # false: Dr.GRPO (advantages not divided by the group std)
    gdpo_reward_keys: list[str] = field(default_factory=lambda: ["acc", "format"])  # adv_estimator=gdpo
    lr: float = 1e-6
    lr_warmup_steps: int = 0
    weight_decay: float = 0.01
    grad_clip: float = 1.0  # policy and critic
    ppo_epochs: int = 1
    ppo_mini_batch_size: int = 8  # prompts per optimizer step (verl counts prompts, not responses)
    ppo_micro_batch_size_per_gpu: int = 2
    critic_lr: float = 1e-5  # only used by gae (ppo)
    cliprange_value: float = 0.5  # the critic's value clip
    gamma: float = 1.0
    lam: float = 1.0
    mask_truncated_responses: bool = False  # responses cut at max_response_length get no loss
    filter_groups: FilterGroupsConfig = field(default_factory=FilterGroupsConfig)
    rollout_correction: RolloutCorrectionConfig = field(default_factory=RolloutCorrectionConfig)


@dataclass
class ValKwargsConfig:
    """Validation sampling: n=1 greedy by default; n > 1 adds mean@n, pass@k and maj@n beside greedy."""

    n: int = 1
    do_sample: bool = False
    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int = -1


@dataclass
class RolloutConfig:
    n: int = 8  # responses per prompt (the GRPO group)
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = -1
    name: str = "auto"  # auto | hf | vllm (auto: vllm when installed and a GPU is present)
    tensor_model_parallel_size: int = 1
    gpu_memory_utilization: float = 0.6
    log_prob_micro_batch_size_per_gpu: int = 4
    val_kwargs: ValKwargsConfig = field(default_factory=ValKwargsConfig)


@dataclass
class OverlongBufferConfig:
    """DAPO's soft overlong penalty: up to ``penalty_factor`` off the score over the last ``len`` tokens."""

    enable: bool = False
    len: int = 64
    penalty_factor: float = 1.0


@dataclass
class RewardSettings:
    """Fields of ``rewards.score.RewardConfig`` plus how scoring runs; passed to the scorer."""

    acc_weight: float = 1.0
    format_weight: float = 0.5
    think_tag: str = "think"
    answer_tag: str = "answer"
    numeric_rtol: float = 1e-3
    open_metric: str = "f1"
    length_penalty: float = 0.0  # names below = rewards.score.RewardConfig's fields
    length_unit: str = "words"
    length_target: int = 512
    length_max: int = 1024
    repetition_penalty: float = 0.0
    repetition_ngram: int = 4
    verifier: str | None = None  # registered verifier name or dotted path "pkg.mod:fn" for every row
    num_workers: int = 2  # scoring processes (local: a pool; verl: its reward workers)
    timeout_s: float = 5.0  # per-item verifier timeout (local backend)
    overlong_buffer: OverlongBufferConfig = field(default_factory=OverlongBufferConfig)


@dataclass
class ClusterConfig:
    address: str | None = None  # Ray address; None -> $RAY_ADDRESS, else a local Ray
    dashboard_address: str | None = None  # http://head:8265: one Ray job per sweep point
    nnodes: int = 1
    n_gpus_per_node: int = 0
    cpus_per_worker: int = 1
    policy_workers: int = 1  # local backend: FSDP2 ranks of the policy (one GPU each on GPUs)


@dataclass
class LoggerConfig:
    console: bool = True
    jsonl: bool = True
    tensorboard: bool = False
    wandb: bool = False
    mlflow: bool = False
    project: str = "medrlvr"
    experiment: str = "${recipe}"


@dataclass
class TrainerConfig:
    output_dir: str = "outputs/${recipe}"
    total_training_steps: int = 10
    test_freq: int = 5  # validate every N steps and after the last (<= 0: never during training)
    save_freq: int = "${.total_training_steps}"  # type: ignore[assignment]  # every N and the last; -1 never
    resume: str = "auto"  # auto | never
    seed: int = 0
    val_before_train: bool = True
    max_actor_ckpt_to_keep: int = 2  # 0: keep every checkpoint


@dataclass
class VerlConfig:
    """Escape hatch: extra Hydra overrides applied last to verl's ppo_trainer config."""

    overrides: list[str] = field(default_factory=list)


@dataclass
class EvalHookConfig:
    """``rlvr eval`` on the final checkpoint and on the initial policy after training (suite null = off)."""

    suite: str | None = None  # e.g. synth, lingshu_mm, or benchmark names separated by commas
    data_root: str = "data/benchmarks"
    prompt: str = "auto"
    batch_size: int = 8
    max_new_tokens: int | None = None  # null: data.max_response_length
    limit: int = 0


@dataclass
class RLConfig:
    recipe: str = "custom"
    backend: str = "local"  # local | verl
    dry_run: bool = False
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    actor: ActorConfig = field(default_factory=ActorConfig)
    algorithm: AlgorithmConfig = field(default_factory=AlgorithmConfig)
    rollout: RolloutConfig = field(default_factory=RolloutConfig)
    reward: RewardSettings = field(default_factory=RewardSettings)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    logger: LoggerConfig = field(default_factory=LoggerConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    verl: VerlConfig = field(default_factory=VerlConfig)
    eval: EvalHookConfig = field(default_factory=EvalHookConfig)


CHOICES: dict[str, tuple[str, ...]] = {
    "backend": ("local", "verl"),
    "model.dtype": ("float32", "bfloat16", "float16"),
    "algorithm.kl_penalty": ("kl", "abs", "mse", "low_var_kl", "full"),
    "algorithm.loss_agg_mode": (
        "token-mean",
        "seq-mean-token-sum",
        "seq-mean-token-mean",
        "seq-mean-token-sum-norm",
    ),
    "rollout.name": ("auto", "hf", "vllm"),
    "trainer.resume": ("auto", "never"),
}


def register_configs() -> None:
    """Put the schema in Hydra's ConfigStore so recipes can list ``rlvr_schema`` first in defaults."""
    ConfigStore.instance().store(name=SCHEMA_NAME, node=RLConfig)


register_configs()
