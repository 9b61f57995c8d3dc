"""Append-only ``predictions.jsonl`` per benchmark: a killed run resumes where it stopped, never scoring a
row twice. A last line cut off by the kill is dropped (and cut from the file) before appending resumes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

PREDICTIONS_FILE = "predictions.jsonl"


class PredictionStore:
    """The predictions of one benchmark, keyed by row id; ``append`` writes whole lines and syncs them."""

    def __init__(self, path: Path, repair: bool = True):
        self.path = Path(path)
        self.repair = repair  # False: leave a cut-off last line in the file (reading another run's output)
        self.records: dict[str, dict[str, Any]] = {}
        self.dropped_partial_line = False
        self._load()

    def _load(self) -> None:
        if not self.path.is_file():
            return
        data = self.path.read_bytes()
        complete = data.rfind(b"\n") + 1  # bytes up to the last newline are whole records
        if complete < len(data):
            self.dropped_partial_line = True
            if self.repair:
                with self.path.open("r+b") as handle:
                    handle.truncate(complete)
        for lineno, line in enumerate(data[:complete].decode("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"{self.path}:{lineno} is not a JSON line ({exc.msg}); the file was edited by hand? "
                    "Delete the line or the file to regenerate those rows."
                ) from None
            self.records.setdefault(str(record["id"]), record)  # the first answer of a row stands

    def done(self, row_id: str) -> bool:
        return row_id in self.records

    def append(self, records: Iterable[dict[str, Any]]) -> None:
        fresh = [r for r in records if str(r["id"]) not in self.records]
        if not fresh:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in fresh))
            handle.flush()
            os.fsync(handle.fileno())
        for record in fresh:
            self.records[str(record["id"])] = record


def read_predictions(path: Path) -> dict[str, dict[str, Any]]:
    """A finished benchmark's predictions by id (for compare and the table)."""
    return PredictionStore(path, repair=False).records if Path(path).is_file() else {}
