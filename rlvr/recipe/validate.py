"""Checks on a composed recipe that need the filesystem or the environment: choices, model, data, engines.

Each failure is a ``RecipeError`` naming the key or file and what to do; all problems are reported at once.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from rlvr.errors import RecipeError
from rlvr.recipe.preflight import preflight_problems
from rlvr.recipe.schema import CHOICES

# the run's scoring settings (pool, timeout, fault rate), not rewards.score.RewardConfig fields
LOCAL_ONLY_REWARD_KEYS = ("num_workers", "timeout_s", "max_error_rate")
# Columns of verl's RL parquet schema that every backend reads (images are optional: text-only sets).
REQUIRED_COLUMNS = ("data_source", "prompt", "reward_model")
REQUIRED_REWARD_FIELDS = ("ground_truth",)


def validate_recipe(cfg: DictConfig) -> None:
    """Raise one ``RecipeError`` listing every problem found in ``cfg``; return None when it is fine."""
    problems = [
        *check_choices(cfg),
        *check_batch_sizes(cfg),
        *check_model(cfg),
        *check_data(cfg),
        *check_rollout_engine(cfg),
        *check_verl_backend(cfg),
        *check_reward(cfg),
        *check_eval_hook(cfg),
        *preflight_problems(cfg),
    ]
    if problems:
        bullet = "\n  - "
        raise RecipeError(f"recipe {cfg.recipe!r} is not runnable:{bullet}{bullet.join(problems)}")


def check_choices(cfg: DictConfig) -> list[str]:
    problems = []
    for key, allowed in CHOICES.items():
        value = OmegaConf.select(cfg, key)
        if value not in allowed:
            problems.append(f"{key}={value!r} is not one of: {', '.join(allowed)}")
    if cfg.algorithm.adv_estimator == "gae" and cfg.algorithm.name != "ppo":
        problems.append("algorithm.adv_estimator=gae needs a critic: use algorithm=ppo")
    return problems


def check_batch_sizes(cfg: DictConfig) -> list[str]:
    data, algo = cfg.data, cfg.algorithm
    positive = {
        "data.train_batch_size": data.train_batch_size,
        "algorithm.ppo_mini_batch_size": algo.ppo_mini_batch_size,
        "rollout.n": cfg.rollout.n,
        "trainer.total_steps": cfg.trainer.total_steps,
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
            problems.extend(check_parquet(path, key))
    if cfg.data.synth.n > 0 and cfg.data.synth.tasks:  # empty = all tasks
        from rlvr.data.synth import check_tasks

        try:
            check_tasks(list(cfg.data.synth.tasks))
        except ValueError as err:
            problems.append(f"data.synth.tasks: {err}")
    return problems


def check_parquet(path: str, key: str) -> list[str]:
    """The file exists and has verl's RL columns (and ``reward_model.ground_truth``)."""
    import pyarrow.parquet as pq

    file = Path(path).expanduser()
    if not file.is_file():
        return [f"{key}: data file {path!r} does not exist (write it with `rlvr data ...`)"]
    try:
        schema = pq.read_schema(file)
    except Exception as exc:  # pyarrow raises several types for a file that is not parquet
        return [f"{key}: {path!r} is not a readable parquet file ({exc})"]
    missing = [name for name in REQUIRED_COLUMNS if name not in schema.names]
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
    if cfg.backend != "local" or cfg.rollout.engine != "vllm":
        return []
    if importlib.util.find_spec("vllm") is None:
        return [
            "rollout.engine=vllm but vLLM is not installed here: `pip install -e '.[gpu]'` "
            "on a GPU machine, on CPU run with .venv-vllm/bin/python (`make test-vllm` builds it), "
            "or use rollout.engine=hf (or auto)"
        ]
    return []


def reward_settings(cfg: DictConfig) -> dict:
    """The recipe's ``reward`` block as ``rewards.score.RewardConfig`` keyword arguments."""
    return {k: v for k, v in OmegaConf.to_container(cfg.reward).items() if k not in LOCAL_ONLY_REWARD_KEYS}


def check_reward(cfg: DictConfig) -> list[str]:
    from rewards.score import RewardConfig

    try:
        RewardConfig.from_mapping(reward_settings(cfg), where="recipe key reward")
    except (TypeError, ValueError) as exc:
        return [f"reward: {exc}"]
    return []


def check_verl_backend(cfg: DictConfig) -> list[str]:
    """What verl 0.9.1 cannot take: HF-generate rollout, our SFT warm-up, a model that is not saved."""
    if cfg.backend != "verl":
        return []
    problems = []
    if cfg.rollout.engine == "hf":
        problems.append(
            "backend=verl rolls out with vLLM (sglang/trtllm via verl.overrides); "
            "set rollout.engine=vllm (or auto), or use backend=local for HF generate"
        )
    if cfg.model.sft_warmup.steps > 0:
        problems.append(
            "model.sft_warmup is a local-backend feature: run the SFT stages (`rlvr sft ...`) and pass "
            "their output as model.path, with model.sft_warmup.steps=0"
        )
    if is_tiny(cfg):
        problems.append(
            "backend=verl needs a saved model folder or hub id in model.path; for the tiny model build it "
            "first (base_training.tiny.build_tiny_qwen2_5_vl) and pass its folder with model.tiny=false"
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
