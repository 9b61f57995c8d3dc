"""Shared pieces of the position, shared-prefix and decoding tests: a tiny model whose logits react to
positions, and synthetic image rows whose prompts differ in length (so batches are left-padded)."""

from __future__ import annotations

from pathlib import Path

from base_training.tiny import build_tiny_qwen2_5_vl
from rlvr.data.io import read_rows
from rlvr.data.synth import write_synth


def position_sensitive_model(root: Path) -> Path:
    """The tiny Qwen2.5-VL at a large init: at HF's 0.02 its logits barely react to positions."""
    return build_tiny_qwen2_5_vl(root / "model", seed=0, initializer_range=0.1)


def rows_of_distinct_lengths(root: Path, count: int) -> list[dict]:
    """``count`` synthetic rows with an image each, every prompt of another length."""
    rows = read_rows(write_synth(root, n=40, seed=0)["train"])
    by_length = {len(row["prompt"][-1]["content"]): row for row in rows if row["images"]}
    assert len(by_length) >= count
    return list(by_length.values())[:count]
