"""Resolve a recipe's model and data into paths and rows: tiny model build, SFT warm-up, synthetic data.

The warm-up is `base_training`'s instruct stage, so RL starts from a `base_training` output.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rlvr.backends.local.prompts import prompt_lengths
from rlvr.data.io import read_rows

if TYPE_CHECKING:
    from rlvr.backends.local.settings import LoopSettings, RunInputs

REQUIRED_COLUMNS = ("reward_model", "extra_info")
IMAGES, PROMPT = "images", "prompt"  # where the loop reads a row's images and chat


def base_model(settings: LoopSettings, output_dir: Path) -> Path:
    """The model RL (or the warm-up) starts from: the tiny build, or ``model.path`` checked to exist."""
    inputs = settings.inputs
    if inputs.builds_tiny:
        from base_training.tiny import build_tiny_qwen2_5_vl

        return build_tiny_qwen2_5_vl(output_dir / "tiny_model", seed=settings.seed, **inputs.tiny_overrides)
    path = Path(inputs.model_path).expanduser()
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"model.path={inputs.model_path!r} is not a local model folder (no config.json there); the local "
            "backend loads weights from disk only: point model.path at a save_pretrained folder, or use "
            "model.path=tiny."
        )
    return path


def initial_policy(settings: LoopSettings, output_dir: Path, train_files: list[str]) -> Path:
    """The base model, after `base_training`'s SFT warm-up when ``model.sft_warmup.steps`` > 0."""
    model_path = base_model(settings, output_dir)
    inputs = settings.inputs
    if inputs.warmup_steps <= 0:
        return model_path
    from base_training.run import sft_warmup

    return sft_warmup(
        str(model_path),
        train_files,
        str(output_dir / "warmup_model"),
        steps=inputs.warmup_steps,
        lr=inputs.warmup_lr,
        batch_size=inputs.warmup_batch_size,
        max_length=settings.max_prompt_length + settings.max_new_tokens,
        seed=settings.seed,
    )


def under_loop_names(rows: list[dict[str, Any]], image_key: str, prompt_key: str) -> list[dict[str, Any]]:
    """Rows with the ``data.image_key`` / ``data.prompt_key`` columns renamed to what the loop reads."""
    if (image_key, prompt_key) == (IMAGES, PROMPT):
        return rows
    renamed = []
    for row in rows:
        row = {k: v for k, v in row.items() if k not in (IMAGES, PROMPT)}
        row[PROMPT] = row.pop(prompt_key)
        row[IMAGES] = row.pop(image_key, None)
        renamed.append(row)
    return renamed


def load_split(files: list[str], key: str, inputs: RunInputs) -> list[dict[str, Any]]:
    """Rows of every parquet in ``files``; a missing file or column is an error naming it."""
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
        required = (inputs.prompt_key, *REQUIRED_COLUMNS)
        missing = [column for column in required if file_rows and column not in file_rows[0]]
        if missing:
            raise ValueError(
                f"{key}: {path} lacks column(s) {missing} (data.prompt_key={inputs.prompt_key!r}); it "
                "must be in verl's RL schema (`rlvr data`)."
            )
        rows += under_loop_names(file_rows, inputs.image_key, inputs.prompt_key)
    if not rows:
        raise ValueError(f"{key}: {', '.join(files)} hold no rows.")
    return rows


def train_and_val_files(inputs: RunInputs, output_dir: Path) -> tuple[list[str], list[str]]:
    """The synthetic task when ``data.synth.n`` > 0 (written under the output dir), else the data files."""
    if inputs.synth_n > 0:
        from rlvr.data.synth import TASKS, write_synth

        paths = write_synth(
            output_dir / "data",
            n=inputs.synth_n,
            seed=inputs.synth_seed,
            image_size=inputs.synth_image_size,
            tasks=list(inputs.synth_tasks or TASKS),
        )
        return [str(paths["train"])], [str(paths["val"])]
    return list(inputs.train_files), list(inputs.val_files)


def train_and_val_rows(
    inputs: RunInputs, train_files: list[str], val_files: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of the train and validation files, each checked for verl's RL columns."""
    return (
        load_split(train_files, "data.train_files", inputs),
        load_split(val_files, "data.val_files", inputs),
    )


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
