"""What a run prints: a progress bar on a terminal; otherwise (piped to a file) plain step lines only, with no
carriage-return redraws and no colour codes. Step lines name train and validation metrics apart.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

# Metric keys shown under another name on the console (the JSONL file keeps the keys).
CONSOLE_NAMES = {"reward/mean": "train/reward", "reward/acc": "train/acc", "reward/format": "train/format"}
# Environment that silences redraws and colours in this process and in the Ray workers it starts.
PLAIN_OUTPUT_ENV = {"RAY_COLOR_PREFIX": "0", "TQDM_DISABLE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}


def is_terminal(stream: TextIO | None = None) -> bool:
    """True when ``stream`` (default stderr, where progress goes) is an interactive terminal."""
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)()) and os.environ.get("TERM") != "dumb"


def plain_output_env() -> dict[str, str]:
    """The variables to set for plain output ({} on a terminal); for Ray workers' ``runtime_env``."""
    return {} if is_terminal() else dict(PLAIN_OUTPUT_ENV)


def use_plain_output() -> None:
    """Off a terminal, switch progress bars and Ray's coloured log prefixes off in this process."""
    for key, value in plain_output_env().items():
        os.environ.setdefault(key, value)


def console_name(key: str) -> str:
    return CONSOLE_NAMES.get(key, key)


def step_line(step: int, metrics: Mapping[str, float], keys: Sequence[str]) -> str:
    """``step 3: train/reward=0.52 train/acc=0.41 ... val/acc=0.5`` for the ``keys`` present."""
    shown = " ".join(f"{console_name(key)}={metrics[key]:.4g}" for key in keys if key in metrics)
    return f"step {step}: {shown}"


class _NoProgress:
    """Stands in for a tqdm bar off a terminal: the step lines already say how far the run is."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, **values: Any) -> None:
        pass

    def close(self) -> None:
        pass


def progress(total: int, initial: int, desc: str) -> Any:
    """A tqdm bar on a terminal, else an object with the same methods that prints nothing."""
    if not is_terminal():
        return _NoProgress()
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit="step")
