"""Structured schema of an RL recipe: typed dataclasses registered in Hydra's ConfigStore.

Recipes in ``recipes/`` only override these defaults; a key that is not declared here is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore

SCHEMA_NAME = "rlvr_schema"


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
    use_remove_padding: bool = True
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
class AlgorithmConfig:
    name: str = "grpo"  # grpo | ppo
    adv_estimator: str = "grpo"  # grpo | rloo | reinforce_plus_plus | gae
    kl_coef: float = 0.001
    kl_penalty: str = "low_var_kl"  # kl | abs | mse | low_var_kl | full
    use_kl_loss: bool = True  # True: KL as a loss term (GRPO); False: KL subtracted from the reward
    clip_ratio_low: float = 0.2
    clip_ratio_high: float = 0.28
    loss_agg_mode: str = "token-mean"  # token-mean | seq-mean-token-sum | seq-mean-token-mean
    entropy_coeff: float = 0.0
    norm_adv_by_std_in_grpo: bool = True
    lr: float = 1e-6
    lr_warmup_steps: int = 0
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    ppo_epochs: int = 1
    ppo_mini_batch_size: int = 8  # prompts per optimizer step (verl counts prompts, not responses)
    ppo_micro_batch_size_per_gpu: int = 2
    critic_lr: float = 1e-5  # only used by gae (ppo)
    gamma: float = 1.0
    lam: float = 1.0


@dataclass
class RolloutConfig:
    n: int = 8  # responses per prompt (the GRPO group)
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = -1
    engine: str = "auto"  # auto | hf | vllm (auto: vllm when installed and a GPU is present)
    tensor_parallel_size: int = 1
    gpu_memory_utilization: float = 0.6
    val_temperature: float = 0.0  # validation is greedy
    log_prob_micro_batch_size_per_gpu: int = 4


@dataclass
class RewardSettings:
    """Fields of ``rewards.score.RewardConfig`` plus the verifier override; passed to the scorer."""

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
    custom_verifier: str | None = None  # registered verifier name or dotted path "pkg.mod:fn"
    # modules imported before scoring, in every worker (and verl's): their @register_verifier verifiers
    imports: list[str] = field(default_factory=list)
    num_workers: int = 2  # reward process pool (local backend); verl's reward.num_workers
    timeout_s: float = 5.0  # per-item verifier timeout; a timeout is a fault, not a wrong answer
    max_error_rate: float = 0.01  # stop the run when more of a step's rows than this fault (1%)


@dataclass
class ClusterConfig:
    address: str | None = None  # host:port or auto; None -> $RAY_ADDRESS, else a private local Ray
    # name of the environment variable holding the Ray auth token (default: Ray's RAY_AUTH_TOKEN,
    # RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token); the token itself is never written to config.yaml
    auth_token_env: str | None = None
    dashboard_address: str | None = None  # http://head:8265: one Ray job per sweep point
    nodes: int = 1
    gpus_per_node: int = 0
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
    total_steps: int = 10
    test_freq: int = 5  # validate every N steps (and before the first and after the last)
    save_freq: int = 0  # checkpoint every N steps; 0 = only at the end
    resume: str = "auto"  # auto | never | force (resume although the settings changed)
    seed: int = 0
    val_before_train: bool = True
    max_checkpoints_to_keep: int = 2


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
    "algorithm.name": ("grpo", "ppo"),
    "algorithm.adv_estimator": ("grpo", "rloo", "reinforce_plus_plus", "gae"),
    "algorithm.kl_penalty": ("kl", "abs", "mse", "low_var_kl", "full"),
    "algorithm.loss_agg_mode": (
        "token-mean",
        "seq-mean-token-sum",
        "seq-mean-token-mean",
        "seq-mean-token-sum-norm",
    ),
    "rollout.engine": ("auto", "hf", "vllm"),
    "trainer.resume": ("auto", "never", "force"),
}


def register_configs() -> None:
    """Put the schema in Hydra's ConfigStore so recipes can list ``rlvr_schema`` first in defaults."""
    ConfigStore.instance().store(name=SCHEMA_NAME, node=RLConfig)


register_configs()
