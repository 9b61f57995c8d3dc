"""Shared by the recipe/train/verl tests: small parquet files in verl's RL schema, and data overrides."""

from __future__ import annotations

from pathlib import Path

from rlvr.data.synth import write_synth


def synth_parquet(out_dir: Path) -> dict[str, Path]:
    """A few rows of the synthetic task written by ``rlvr data``'s own writer (train/val parquet)."""
    return write_synth(out_dir, n=20, seed=0)


def data_overrides(paths: dict[str, Path]) -> list[str]:
    """Point a recipe's data at local files (the GPU recipes default to `rlvr data` output folders)."""
    return [f"data.train_files=[{paths['train']}]", f"data.val_files=[{paths['val']}]"]
