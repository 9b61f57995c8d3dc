"""What ``model=`` names: the tiny model, a Hugging Face folder, or an rlvr run / checkpoint folder, plus what
the training run recorded about itself (training files, prompt template, synthetic task, response length).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from rlvr.backends.local.checkpoint import COMPLETE_MARKER, latest_checkpoint
from rlvr.data.io import read_metadata
from rlvr.data.templates import PromptTemplate
from rlvr.errors import RecipeError
from rlvr.eval.prompts import template_from_metadata
from rlvr.recipe.run_config import CONFIG_FILE, LEGACY_CONFIG_FILE, saved_config_path

RUN_MARKERS = ("summary.json", "checkpoints", CONFIG_FILE, LEGACY_CONFIG_FILE, "metrics.jsonl")


@dataclass
class ModelSource:
    path: Path  # the folder the generator loads
    kind: str  # "tiny", "hf" or "checkpoint"
    run_dir: Path | None = None
    train_files: list[str] = field(default_factory=list)
    template: PromptTemplate | None = None
    synth: dict[str, Any] = field(default_factory=dict)  # seed, tasks, image_size of the run's synthetic task
    max_response_length: int | None = None


def _is_run_dir(path: Path) -> bool:
    return any((path / marker).exists() for marker in RUN_MARKERS)


def resolve_model(spec: str, work_dir: Path, seed: int = 0) -> ModelSource:
    """The model folder for ``spec`` and its training run's records; a wrong path is a ``RecipeError``."""
    if spec == "tiny":
        from base_training.tiny import build_tiny_qwen2_5_vl

        return ModelSource(build_tiny_qwen2_5_vl(work_dir / "tiny_model", seed=seed), "tiny")
    path = Path(spec).expanduser().resolve()
    if not path.exists():
        raise RecipeError(
            f"model={spec!r} does not exist; give a Hugging Face folder, an rlvr run or "
            "checkpoint folder, or model=tiny"
        )
    if (path / "config.json").is_file():  # an HF folder (an SFT output may hold its own checkpoints/)
        source = ModelSource(path, "hf", run_dir=_enclosing_run(path))
    elif (path / COMPLETE_MARKER).is_file() and (path / "policy").is_dir():
        source = ModelSource(path / "policy", "checkpoint", run_dir=path.parent.parent)
    elif (path / "checkpoints").is_dir():
        latest = latest_checkpoint(path)
        if latest is None:
            raise RecipeError(
                f"model={spec!r} is a run folder without a complete checkpoint under checkpoints/"
            )
        source = ModelSource(latest / "policy", "checkpoint", run_dir=path)
    else:
        raise RecipeError(
            f"model={spec!r} has no config.json, checkpoints/ or {COMPLETE_MARKER}: it is neither "
            "a saved Hugging Face model nor an rlvr run/checkpoint folder"
        )
    if not (source.path / "config.json").is_file():
        raise RecipeError(f"model={spec!r}: {source.path} has no config.json")
    if source.run_dir is not None:
        read_run_records(source)
    return source


def _enclosing_run(path: Path) -> Path | None:
    """The run folder an HF folder sits in: ``<run>/warmup_model`` or ``<run>/checkpoints/step_N/policy``."""
    for candidate in (path.parent, path.parent.parent.parent):
        if _is_run_dir(candidate):
            return candidate
    return None


def read_run_records(source: ModelSource) -> None:
    """Fill training files, template, synthetic task and response length from the run's config and data."""
    run_dir = source.run_dir
    assert run_dir is not None
    config = saved_config_path(run_dir)  # config.yaml, or run_config.yaml of an older run
    files: list[str] = []
    if config is not None:
        cfg = OmegaConf.load(config)
        files = [str(f) for f in OmegaConf.select(cfg, "data.train_files", default=[]) or []]
        length = OmegaConf.select(cfg, "data.max_response_length", default=None)
        source.max_response_length = int(length) if length is not None else None
    if not files and (run_dir / "data" / "train.parquet").is_file():  # the synthetic task a run wrote
        files = [str(run_dir / "data" / "train.parquet")]
    source.train_files = [f for f in files if Path(f).is_file()]
    for file in source.train_files:
        metadata = read_metadata(file)
        source.template = source.template or template_from_metadata(metadata)
        if metadata.get("generator") == "rlvr.data.synth" and not source.synth:
            source.synth = {k: metadata[k] for k in ("seed", "tasks", "image_size") if k in metadata}
