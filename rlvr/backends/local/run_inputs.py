"""Resolve a recipe's model and data into paths and rows: tiny model build, SFT warm-up, synthetic data.

The warm-up is `base_training`'s instruct stage, so RL starts from a `base_training` output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from rlvr.backends.local.prompts import prompt_lengths
from rlvr.backends.local.reward import ROW_PLACE_KEY
from rlvr.data.io import read_rows

REQUIRED_COLUMNS = ("prompt", "reward_model", "extra_info")


def wants_tiny(model_cfg: DictConfig) -> bool:
    tiny = model_cfg.get("tiny")
    return bool(tiny) if tiny is not None else str(model_cfg.path) == "tiny"


def base_model(cfg: DictConfig, output_dir: Path) -> Path:
    """The model RL (or the warm-up) starts from: the tiny build, or ``model.path`` checked to exist."""
    if wants_tiny(cfg.model):
        from base_training.tiny import build_tiny_qwen2_5_vl

        overrides = cfg.model.get("tiny_overrides")
        overrides = OmegaConf.to_container(overrides, resolve=True) if overrides else {}
        return build_tiny_qwen2_5_vl(output_dir / "tiny_model", seed=int(cfg.trainer.seed), **overrides)
    path = Path(str(cfg.model.path)).expanduser()
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"model.path={cfg.model.path!r} is not a local model folder (no config.json there); the local "
            "backend loads weights from disk only: point model.path at a save_pretrained folder, or use "
            "model.path=tiny."
        )
    return path


def initial_policy(cfg: DictConfig, output_dir: Path, train_files: list[str]) -> Path:
    """The base model, after `base_training`'s SFT warm-up when ``model.sft_warmup.steps`` > 0."""
    model_path = base_model(cfg, output_dir)
    warmup = cfg.model.get("sft_warmup") or {}
    if int(warmup.get("steps", 0)) <= 0:
        return model_path
    from base_training.run import sft_warmup

    return sft_warmup(
        str(model_path),
        train_files,
        str(output_dir / "warmup_model"),
        steps=int(warmup.steps),
        lr=float(warmup.lr),
        batch_size=int(warmup.batch_size),
        max_length=int(cfg.data.max_prompt_length) + int(cfg.data.max_response_length),
        seed=int(cfg.trainer.seed),
    )


def load_split(files: list[str], key: str) -> list[dict[str, Any]]:
    """Rows of every parquet in ``files``, each marked with its file and row (named when its verifier
    faults); a missing file or column is an error naming it."""
    if not files:
        raise ValueError(
            f"{key} is empty: list parquet files written by `rlvr data`, or set data.synth.n > 0."
        )
    rows: list[dict[str, Any]] = []
    for name in files:
        path = Path(name).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"{key}: {path} does not exist; write it with `rlvr data` first.")
        file_rows = read_rows(path)
        missing = [column for column in REQUIRED_COLUMNS if file_rows and column not in file_rows[0]]
        if missing:
            raise ValueError(
                f"{key}: {path} lacks column(s) {missing}; it must be in verl's RL schema (`rlvr data`)."
            )
        rows += [{**row, ROW_PLACE_KEY: f"{path}:row {i}"} for i, row in enumerate(file_rows)]
    if not rows:
        raise ValueError(f"{key}: {', '.join(files)} hold no rows.")
    return rows


def train_and_val_files(cfg: DictConfig, output_dir: Path) -> tuple[list[str], list[str]]:
    """The synthetic task when ``data.synth.n`` > 0 (written under the output dir), else the data files."""
    synth = cfg.data.get("synth") or {}
    if int(synth.get("n", 0)) > 0:
        from rlvr.data.synth import TASKS, write_synth

        paths = write_synth(
            output_dir / "data",
            n=int(synth.n),
            seed=int(synth.get("seed", 0)),
            image_size=int(synth.get("image_size", 56)),
            tasks=list(synth.get("tasks") or TASKS),
        )
        return [str(paths["train"])], [str(paths["val"])]
    return list(cfg.data.train_files), list(cfg.data.val_files)


def train_and_val_rows(
    train_files: list[str], val_files: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of the train and validation files, each checked for verl's RL columns."""
    return load_split(train_files, "data.train_files"), load_split(val_files, "data.val_files")


def drop_overlong_prompts(
    processor: Any, rows: list[dict[str, Any]], max_prompt_length: int, split: str
) -> list[dict[str, Any]]:
    """``rows`` whose encoded prompt (text + image tokens) fits ``data.max_prompt_length``; prints how many
    of ``split`` were dropped (``data.filter_overlong_prompts``)."""
    lengths = prompt_lengths(processor, rows)
    kept = [row for row, length in zip(rows, lengths, strict=True) if length <= max_prompt_length]
    if not kept:
        raise ValueError(
            f"every {split} prompt is longer than data.max_prompt_length={max_prompt_length} tokens "
            f"(shortest: {min(lengths)}, images included); raise data.max_prompt_length."
        )
    if len(kept) < len(rows):
        print(
            f"data.filter_overlong_prompts: dropped {len(rows) - len(kept)} of {len(rows)} {split} rows "
            f"(prompt over data.max_prompt_length={max_prompt_length} tokens, images included)"
        )
    return kept
