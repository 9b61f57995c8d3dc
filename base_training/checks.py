"""The checks an SFT stage passes before it loads a model: one pass for ``rlvr sft ... dry_run=true`` and for
the run itself, so a stage the dry run accepts fails later only on its rows or its module patterns (which
need the model and the processor)."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from base_training.config import SFTConfig
from base_training.modules import StageConfigError
from base_training.readers import FILE_TYPES, FORMATS

TINY_SCHEME = "tiny://"
RESUME_CHOICES = ("auto", "never")
ON_ERROR_CHOICES = ("skip", "fail")
_OVERRIDE_KEY = re.compile(r"Could not override '([^']{1,200})'")


def stage_problems(cfg: DictConfig) -> list[str]:
    """Every problem found in a composed stage config (empty when it may start)."""
    problems = []
    if cfg.train.resume not in RESUME_CHOICES:
        problems.append(f"train.resume={cfg.train.resume!r} is not one of: {', '.join(RESUME_CHOICES)}")
    init = str(cfg.init)
    if not init.startswith(TINY_SCHEME) and not (Path(init).expanduser() / "config.json").is_file():
        problems.append(
            f"init={init!r} is not a model folder (no config.json). Use tiny:// or a previous stage's "
            "output_dir."
        )
    return problems + data_problems(cfg.data)


def data_problems(data: DictConfig) -> list[str]:
    if not data.sources:
        return ["no training data: set data.sources, e.g. 'data.sources=[{path: train.parquet, ratio: 1}]'"]
    problems = []
    if data.on_error not in ON_ERROR_CHOICES:
        problems.append(f"data.on_error={data.on_error!r} is not one of: {', '.join(ON_ERROR_CHOICES)}")
    for i, source in enumerate(data.sources):
        where = f"data.sources[{i}] ({source.path!r})"
        path = Path(str(source.path)).expanduser()
        if source.ratio <= 0:
            problems.append(f"{where}: ratio={source.ratio} must be > 0")
        if source.format not in FORMATS:
            problems.append(f"{where}: format={source.format!r} is not one of: {', '.join(FORMATS)}")
        if not path.is_file():
            problems.append(f"{where}: the file does not exist")
        elif path.suffix not in FILE_TYPES:
            problems.append(f"{where}: unsupported file type {path.suffix!r}; use one of {FILE_TYPES}")
    return problems


def check_stage(cfg: DictConfig) -> None:
    """Raise one ``StageConfigError`` listing every problem of ``cfg``."""
    problems = stage_problems(cfg)
    if problems:
        bullet = "\n  - "
        raise StageConfigError(f"stage {cfg.stage.name!r} cannot start:{bullet}{bullet.join(problems)}")


def stage_keys() -> list[str]:
    """Every dotted key of the stage schema (``train.lr``, ``data.max_length``, ``stage.name``, ...)."""
    keys: list[str] = []

    def walk(node: dict, prefix: str) -> None:
        for key, value in node.items():
            if isinstance(value, dict) and value:
                walk(value, f"{prefix}{key}.")
            else:
                keys.append(f"{prefix}{key}")

    schema = OmegaConf.to_container(OmegaConf.structured(SFTConfig), resolve=False, throw_on_missing=False)
    schema["stage"] = {"name": None, "description": None, "trainable": None}  # MISSING in the schema
    walk(schema, "")
    return keys


def did_you_mean(message: str) -> str:
    """' Did you mean X?' for the key Hydra could not override, or ''."""
    match = _OVERRIDE_KEY.search(message)
    if match is None:
        return ""
    close = difflib.get_close_matches(match.group(1).lstrip("+~"), stage_keys(), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""
