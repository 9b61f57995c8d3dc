"""What a run writes besides checkpoints (file names) and how to read its metrics back, for either backend.

The local backend logs flat rows (``{"step", "val/acc", ...}``); verl's file logger nests them
(``{"step", "data": {"val-core/<source>/acc/mean@1", "val-aux/<source>/reward/mean@1"}}``; verl files the
``acc`` our reward returns under val-core and the reward under val-aux). Readers flatten both.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

METRICS_FILE = "metrics.jsonl"  # one JSON row per logged step
SUMMARY_FILE = "summary.json"  # the run's summary, written when it ends
CURVES_FILE = "curves.png"  # the local backend's training and validation curves
LOCAL_VAL_KEYS = {"reward": "val/score", "acc": "val/acc"}
VERL_VAL_KEYS = {
    "reward": re.compile(r"^val-(?:core|aux)/[^/]{1,200}/reward/mean@\d{1,6}$"),
    "acc": re.compile(r"^val-(?:core|aux)/[^/]{1,200}/acc/mean@\d{1,6}$"),
}


def read_metric_rows(path: Path) -> list[dict]:
    """Metric rows as flat dicts with a ``step`` (verl's nested ``data`` is flattened); bad lines skipped."""
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut off by a killed run
        if isinstance(row, dict) and "step" in row:
            data = row.get("data")
            rows.append({"step": row["step"], **data} if isinstance(data, dict) else row)
    return rows


def validation_value(row: dict, metric: str) -> float | None:
    """The row's validation ``metric`` (mean over verl's data sources when there are several)."""
    if LOCAL_VAL_KEYS[metric] in row:
        return float(row[LOCAL_VAL_KEYS[metric]])
    values = [
        float(v) for k, v in row.items() if VERL_VAL_KEYS[metric].match(k) and isinstance(v, int | float)
    ]
    return sum(values) / len(values) if values else None
