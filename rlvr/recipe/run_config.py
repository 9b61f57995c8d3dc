"""The resolved recipe saved with every run (``config.yaml`` in ``trainer.output_dir``), and the resume rule:
a run that would resume a checkpoint made with other settings is refused unless ``trainer.resume=force``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

CONFIG_FILE = "config.yaml"
LEGACY_CONFIG_FILE = "run_config.yaml"  # what runs saved before config.yaml; still read
VERL_LATEST_CHECKPOINT = "latest_checkpointed_iteration.txt"  # verl's marker under checkpoints/
# Keys a resumed run may change: they steer how long, where and how visibly it runs, or bound memory and
# faults, not what it learns. A key ending in "." covers its whole group.
RESUMABLE_CHANGES = (
    "dry_run",
    "trainer.total_training_steps",
    "trainer.resume",
    "trainer.test_freq",
    "trainer.save_freq",
    "trainer.max_actor_ckpt_to_keep",
    "trainer.output_dir",
    "trainer.val_before_train",
    "data.val_batch_size",
    "reward.num_workers",
    "reward.timeout_s",
    "reward.max_error_rate",
    "algorithm.ppo_micro_batch_size_per_gpu",
    "rollout.log_prob_micro_batch_size_per_gpu",
    "cluster.",
    "logger.",
    "eval.",
)
SHOWN_VALUE_CHARS = 80


def saved_config_path(output_dir: Path) -> Path | None:
    """The run's saved config (``config.yaml``, or an older run's ``run_config.yaml``), if there is one."""
    for name in (CONFIG_FILE, LEGACY_CONFIG_FILE):
        if (output_dir / name).is_file():
            return output_dir / name
    return None


def save_config(cfg: DictConfig, output_dir: Path) -> Path:
    """Write the resolved recipe to ``output_dir/config.yaml`` (what ``rlvr eval`` and resumes read)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(cfg, output_dir / CONFIG_FILE, resolve=True)
    legacy = output_dir / LEGACY_CONFIG_FILE
    if legacy.is_file():
        legacy.unlink()  # one file per run: an old copy beside the new one would disagree with it
    return output_dir / CONFIG_FILE


def has_checkpoint(output_dir: Path) -> bool:
    """A run would resume from ``output_dir``: a complete local checkpoint, or verl's latest marker."""
    from rlvr.backends.local.checkpoint import latest_checkpoint

    return (
        latest_checkpoint(output_dir) is not None
        or (output_dir / "checkpoints" / VERL_LATEST_CHECKPOINT).is_file()
    )


def flat_items(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted key, value)`` of every leaf of a nested mapping; lists are leaves."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from flat_items(value, f"{prefix}{key}.")
    else:
        yield prefix.rstrip("."), node


def _resumable_change(key: str) -> bool:
    return any(key == free or (free.endswith(".") and key.startswith(free)) for free in RESUMABLE_CHANGES)


def changed_settings(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """``(key, old value, new value)`` for every setting both configs have that differs, except
    ``RESUMABLE_CHANGES`` (a key only one has was added to or dropped from the schema between them)."""
    before, after = dict(flat_items(old)), dict(flat_items(new))
    return [
        (key, before[key], after[key])
        for key in sorted(before.keys() & after.keys())
        if before[key] != after[key] and not _resumable_change(key)
    ]


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_VALUE_CHARS else text[: SHOWN_VALUE_CHARS - 3] + "..."


def resume_conflict(cfg: DictConfig) -> str | None:
    """Why ``cfg`` may not resume its ``trainer.output_dir`` (its settings differ from the saved run's),
    or None when it may: nothing to resume, ``resume`` is never/force, or only free keys changed."""
    if cfg.trainer.resume != "auto":
        return None
    output_dir = Path(str(cfg.trainer.output_dir)).expanduser()
    saved = saved_config_path(output_dir)
    if saved is None or not has_checkpoint(output_dir):
        return None
    old = OmegaConf.to_container(OmegaConf.load(saved), resolve=False)
    new = OmegaConf.to_container(cfg, resolve=True)
    changes = changed_settings(old, new)
    if not changes:
        return None
    lines = "".join(f"\n      {key}: {_shown(was)} -> {_shown(now)}" for key, was, now in changes)
    return (
        f"trainer.output_dir {str(output_dir)!r} holds a checkpoint of a run with other settings "
        f"({saved.name}); changed:{lines}\n    Resume it anyway with trainer.resume=force, start again "
        "there with trainer.resume=never, or choose another trainer.output_dir."
    )
