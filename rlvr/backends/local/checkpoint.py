"""Crash-safe checkpoints: written to a hidden temp folder, marked complete, then renamed into place.

``latest_checkpoint`` only ever returns a folder that has its marker, so a half-written one is ignored.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

COMPLETE_MARKER = "CHECKPOINT_COMPLETE"
TRAINER_STATE = "trainer_state.json"
_STEP_DIR = re.compile(r"step_(\d{1,9})")


def checkpoints_root(output_dir: str | Path) -> Path:
    return Path(output_dir) / "checkpoints"


def save_checkpoint(
    output_dir: str | Path,
    step: int,
    write_model: Callable[[Path], None],
    state: dict[str, Any],
    keep: int = 0,
) -> Path:
    """Write ``step_<N>/`` atomically: ``write_model(tmp)``, the trainer state, the marker, then rename.

    ``keep`` > 0 deletes all but the newest ``keep`` complete checkpoints afterwards.
    """
    root = checkpoints_root(output_dir)
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step_{step:06d}"
    tmp = root / f".{final.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        write_model(tmp)
        (tmp / TRAINER_STATE).write_text(json.dumps({**state, "step": step}, indent=2))
        (tmp / COMPLETE_MARKER).write_text(str(step))
        if final.exists():  # a complete checkpoint of this very step from an earlier attempt
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if keep > 0:
        for old in complete_checkpoints(output_dir)[:-keep]:
            shutil.rmtree(old, ignore_errors=True)
    return final


def complete_checkpoints(output_dir: str | Path) -> list[Path]:
    """Complete checkpoint folders, oldest step first (temp and unmarked folders are skipped)."""
    root = checkpoints_root(output_dir)
    if not root.is_dir():
        return []
    found = []
    for path in root.iterdir():
        match = _STEP_DIR.fullmatch(path.name)
        if match and (path / COMPLETE_MARKER).is_file() and (path / TRAINER_STATE).is_file():
            found.append((int(match.group(1)), path))
    return [path for _, path in sorted(found)]


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    checkpoints = complete_checkpoints(output_dir)
    return checkpoints[-1] if checkpoints else None


def load_trainer_state(checkpoint: Path) -> dict[str, Any]:
    return json.loads((checkpoint / TRAINER_STATE).read_text())
