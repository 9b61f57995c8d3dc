"""Checks on a composed recipe that need the filesystem or the environment: choices, model, data, engines.

Each failure is a ``RecipeError`` naming the key or file and what to do; all problems are reported at once.
"""

from __future__ import annotations

import difflib
import importlib.util
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from rlvr.errors import RecipeError
from rlvr.recipe.keymap import reward_config_kwargs
from rlvr.recipe.preflight import preflight_problems
from rlvr.recipe.routing import refusals
from rlvr.recipe.schema import CHOICES

# Columns of verl's RL parquet schema that every backend reads (images are optional: text-only sets).
REQUIRED_COLUMNS = ("data_source", "{prompt_key}", "reward_model")
REQUIRED_REWARD_FIELDS = ("ground_truth",)
AT_LEAST_ONE = (
    "algorithm.ppo_micro_batch_size_per_gpu",
    "rollout.log_prob_micro_batch_size_per_gpu",
    "rollout.tensor_model_parallel_size",
    "rollout.val_kwargs.n",
    "cluster.policy_workers",
    "cluster.nnodes",
)


def validate_recipe(cfg: DictConfig) -> DictConfig | None:
    """Every check a run makes before it starts, for ``dry_run`` and the run alike: the recipe's own
    checks, the keys the backend refuses, then the backend's settings built from the recipe (verl's config,
    returned and checked by verl's ``validate_config``; the local loop's settings). One ``RecipeError``
    lists every problem found."""
    problems = [
        *check_choices(cfg),
        *check_registries(cfg),
        *check_batch_sizes(cfg),
        *check_ranges(cfg),
        *refusals(cfg, cfg.backend),
        *check_model(cfg),
        *check_data(cfg),
        *check_rollout_engine(cfg),
        *check_verl_backend(cfg),
        *check_local_backend(cfg),
        *check_reward(cfg),
        *check_eval_hook(cfg),
        *preflight_problems(cfg),
    ]
    if problems:
        bullet = "\n  - "
        raise RecipeError(f"recipe {cfg.recipe!r} is not runnable:{bullet}{bullet.join(problems)}")
    if cfg.backend == "verl":
        from rlvr.backends.verl import build_verl_config, check_kl_once, validate_verl_config

        verl_cfg = build_verl_config(cfg)
        check_kl_once(cfg, verl_cfg)
        validate_verl_config(verl_cfg)
        return verl_cfg
    from rlvr.backends.local.settings import loop_settings

    try:
        loop_settings(cfg)
    except (TypeError, ValueError) as exc:
        raise RecipeError(f"recipe {cfg.recipe!r}: the local backend cannot take it: {exc}") from None
    return None


def check_choices(cfg: DictConfig) -> list[str]:
    problems = []
    for key, allowed in CHOICES.items():
        value = OmegaConf.select(cfg, key)
        if value not in allowed:
            problems.append(f"{key}={value!r} is not one of: {', '.join(allowed)}")
    return problems


def check_registries(cfg: DictConfig) -> list[str]:
    """Estimator and policy loss: any that verl registers (and the local backend runs them all)."""
    from rlvr.backends.local.algorithm import estimator_names, policy_loss_fields, policy_loss_names

    algo, problems = cfg.algorithm, []
    for key, value, known in (
        ("algorithm.adv_estimator", algo.adv_estimator, estimator_names()),
        ("algorithm.policy_loss", algo.policy_loss, policy_loss_names()),
    ):
        if value not in known:
            near = difflib.get_close_matches(str(value), known, n=1)
            hint = f" Did you mean {near[0]!r}?" if near else ""
            problems.append(f"{key}={value!r} is not registered with verl.{hint} Known: {', '.join(known)}")
    if algo.policy_loss == "dro" and not (algo.policy_loss_args.get("dro_beta") or 0) > 0:
        problems.append("algorithm.policy_loss=dro needs algorithm.policy_loss_args.dro_beta > 0")
    unknown = sorted(set(algo.policy_loss_args) - set(policy_loss_fields()))
    if unknown:
        problems.append(
            f"algorithm.policy_loss_args has unknown key(s) {', '.join(unknown)}; "
            f"verl's PolicyLossConfig knows: {', '.join(policy_loss_fields())}"
        )
    return problems


def check_ranges(cfg: DictConfig) -> list[str]:
    """Numbers that must be positive or within bounds, and settings that only make sense together."""
    problems = [
        f"{key}={OmegaConf.select(cfg, key)} must be at least 1"
        for key in AT_LEAST_ONE
        if OmegaConf.select(cfg, key) < 1
    ]
    rollout, algo, trainer = cfg.rollout, cfg.algorithm, cfg.trainer
    if not 0 < rollout.gpu_memory_utilization <= 1:
        problems.append(
            f"rollout.gpu_memory_utilization={rollout.gpu_memory_utilization} must be in (0, 1]: "
            "the fraction of GPU memory vLLM may take"
        )
    if rollout.val_kwargs.n > 1 and rollout.val_kwargs.temperature <= 0:
        problems.append(
            f"rollout.val_kwargs.n={rollout.val_kwargs.n} samples need rollout.val_kwargs.temperature > 0 "
            "(greedy responses would all be the same; greedy accuracy is reported beside them anyway)"
        )
    if trainer.save_freq == 0:
        problems.append(
            "trainer.save_freq=0: save_freq now means what it means in verl: N saves every N steps and at "
            "the last one, -1 never; the default (= trainer.total_training_steps) saves at the end only"
        )
    if algo.clip_ratio_c <= 1:
        problems.append(f"algorithm.clip_ratio_c={algo.clip_ratio_c} must be > 1 (dual-clip bound)")
    if algo.filter_groups.enable and rollout.n < 2:
        problems.append("algorithm.filter_groups needs rollout.n >= 2: a group of one never varies")
    buffer = cfg.reward.overlong_buffer
    if buffer.enable and not 0 < buffer.len < cfg.data.max_response_length:
        problems.append(
            f"reward.overlong_buffer.len={buffer.len} must be in (0, data.max_response_length="
            f"{cfg.data.max_response_length})"
        )
    if cfg.model.lora_rank < 0:
        problems.append(f"model.lora_rank={cfg.model.lora_rank} must be >= 0 (0 = no LoRA)")
    return problems


def check_batch_sizes(cfg: DictConfig) -> list[str]:
    data, algo = cfg.data, cfg.algorithm
    positive = {
        "data.train_batch_size": data.train_batch_size,
        "algorithm.ppo_mini_batch_size": algo.ppo_mini_batch_size,
        "rollout.n": cfg.rollout.n,
        "trainer.total_training_steps": cfg.trainer.total_training_steps,
    }
    problems = [f"{key} must be >= 1 (got {value})" for key, value in positive.items() if value < 1]
    if not problems and data.train_batch_size % algo.ppo_mini_batch_size:
        problems.append(
            f"data.train_batch_size ({data.train_batch_size}) must be a multiple of "
            f"algorithm.ppo_mini_batch_size ({algo.ppo_mini_batch_size})"
        )
    return problems


def is_tiny(cfg: DictConfig) -> bool:
    """The model is the locally built tiny Qwen2.5-VL (``model.tiny`` true, or null with path ``tiny``)."""
    return bool(cfg.model.tiny) if cfg.model.tiny is not None else cfg.model.path == "tiny"


def looks_like_hub_id(path: str) -> bool:
    """``org/name`` with no local meaning: downloaded by the trainer, so not checked here."""
    parts = path.split("/")
    return len(parts) == 2 and all(parts) and not path.startswith((".", "~")) and not Path(path).exists()


def check_model(cfg: DictConfig) -> list[str]:
    path = str(cfg.model.path)
    if is_tiny(cfg) or looks_like_hub_id(path):
        return []
    folder = Path(path).expanduser()
    if not folder.is_dir():
        return [
            f"model.path {path!r} does not exist; give a local HF folder (an SFT stage's output) or a hub id"
        ]
    if not (folder / "config.json").is_file():
        return [f"model.path {path!r} has no config.json: it is not a saved Hugging Face model"]
    return []


def check_data(cfg: DictConfig) -> list[str]:
    files = {"data.train_files": list(cfg.data.train_files), "data.val_files": list(cfg.data.val_files)}
    if not files["data.train_files"] and cfg.data.synth.n <= 0:
        return ["no training data: set data.train_files=[...] (parquet from `rlvr data`) or data.synth.n > 0"]
    problems = []
    for key, paths in files.items():
        for path in paths:
            problems.extend(check_parquet(path, key, cfg.data.prompt_key))
    if cfg.data.synth.n > 0 and cfg.data.synth.tasks:  # empty = all tasks
        from rlvr.data.synth import check_tasks

        try:
            check_tasks(list(cfg.data.synth.tasks))
        except ValueError as err:
            problems.append(f"data.synth.tasks: {err}")
    return problems


def check_parquet(path: str, key: str, prompt_key: str = "prompt") -> list[str]:
    """The file exists and has verl's RL columns (and ``reward_model.ground_truth``)."""
    import pyarrow.parquet as pq

    file = Path(path).expanduser()
    if not file.is_file():
        return [f"{key}: data file {path!r} does not exist (write it with `rlvr data ...`)"]
    try:
        schema = pq.read_schema(file)
    except Exception as exc:  # pyarrow raises several types for a file that is not parquet
        return [f"{key}: {path!r} is not a readable parquet file ({exc})"]
    required = [name.format(prompt_key=prompt_key) for name in REQUIRED_COLUMNS]
    missing = [name for name in required if name not in schema.names]
    if missing:
        return [
            f"{key}: {path!r} lacks column(s) {', '.join(missing)} (has: {', '.join(schema.names)}); "
            "rows need verl's RL schema, as written by `rlvr data`"
        ]
    reward_type = schema.field("reward_model").type
    names = (
        [reward_type.field(i).name for i in range(reward_type.num_fields)] if reward_type.num_fields else []
    )
    lacking = [name for name in REQUIRED_REWARD_FIELDS if name not in names]
    if lacking:
        return [f"{key}: {path!r}: column reward_model lacks field(s) {', '.join(lacking)}"]
    return []


def check_rollout_engine(cfg: DictConfig) -> list[str]:
    """vLLM on the local backend must be importable here (verl checks on its cluster workers)."""
    if cfg.backend != "local" or cfg.rollout.name != "vllm":
        return []
    if importlib.util.find_spec("vllm") is None:
        return [
            "rollout.name=vllm but vLLM is not installed here: `pip install -e '.[gpu]'` "
            "on a GPU machine, on CPU run with .venv-vllm/bin/python (`make test-vllm` builds it), "
            "or use rollout.name=hf (or auto)"
        ]
    return []


def check_reward(cfg: DictConfig) -> list[str]:
    from rewards.score import RewardConfig

    try:
        RewardConfig.from_mapping(reward_config_kwargs(cfg), where="recipe key reward")
    except (TypeError, ValueError) as exc:
        return [f"reward: {exc}"]
    return []


def check_verl_backend(cfg: DictConfig) -> list[str]:
    """What verl 0.9.1 cannot take: HF-generate rollout, our SFT warm-up, a model that is not saved."""
    if cfg.backend != "verl":
        return []
    problems = []
    if cfg.rollout.name == "hf":
        problems.append(
            "backend=verl rolls out with vLLM (sglang/trtllm via verl.overrides); "
            "set rollout.name=vllm (or auto), or use backend=local for HF generate"
        )
    if is_tiny(cfg):
        problems.append(
            "backend=verl needs a saved model folder or hub id in model.path; for the tiny model build it "
            "first (base_training.tiny.build_tiny_qwen2_5_vl) and pass its folder with model.tiny=false"
        )
    return problems


def check_local_backend(cfg: DictConfig) -> list[str]:
    """What the local loop cannot combine: LoRA or a critic on several policy ranks, rollout correction
    without an engine whose numerics differ from the policy's, mini-batches that do not split evenly."""
    if cfg.backend != "local":
        return []
    problems = []
    workers = cfg.cluster.policy_workers
    if workers > 1:
        mini_batch = cfg.algorithm.ppo_mini_batch_size * cfg.rollout.n
        if mini_batch % workers:
            problems.append(
                f"cluster.policy_workers={workers} must divide the responses of a mini-batch "
                f"(algorithm.ppo_mini_batch_size x rollout.n = {mini_batch}): every rank takes an equal share"
            )
        if cfg.algorithm.adv_estimator == "gae":
            problems.append(
                "algorithm.adv_estimator=gae trains a critic, which the local backend runs on one policy "
                "worker only: set cluster.policy_workers=1"
            )
        if cfg.model.lora_rank > 0:
            problems.append(
                "model.lora_rank > 0 runs on one policy worker here: set cluster.policy_workers=1"
            )
    correction = cfg.algorithm.rollout_correction
    engine_log_probs = {
        "algorithm.rollout_correction": bool(correction.rollout_is or correction.rollout_rs),
        "algorithm.policy_loss=bypass_mode": cfg.algorithm.policy_loss == "bypass_mode",
    }
    for what, wanted in engine_log_probs.items():
        if wanted and cfg.rollout.name != "vllm":
            problems.append(
                f"{what} needs the rollout engine's log-probs, which differ from the policy's only with "
                "vLLM: set rollout.name=vllm (HF generate computes the policy's own probabilities)"
            )
    return problems


def check_eval_hook(cfg: DictConfig) -> list[str]:
    """``eval.suite`` names known suites/benchmarks and ``eval.prompt`` a known mode."""
    hook = cfg.get("eval")
    if hook is None or not hook.suite:
        return []
    from rlvr.eval.benchmarks import resolve_suite
    from rlvr.eval.config import PROMPT_MODES

    problems = []
    try:
        resolve_suite(str(hook.suite))
    except RecipeError as exc:
        problems.append(f"eval.{exc}")
    if hook.prompt not in PROMPT_MODES:
        problems.append(f"eval.prompt={hook.prompt!r} is not one of: {', '.join(PROMPT_MODES)}")
    return problems
