"""Shared reading for converters: files -> (where, row) pairs -> records, bad rows -> reasons.

A converter supplies ``convert(where, row) -> RawRecord``; raising ``RowProblem`` (or a plain
KeyError/TypeError/ValueError for a malformed row) rejects that row only, never the whole file.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from rlvr.data.records import RawRecord, Record, Rejected

Row = Mapping[str, Any]
_OPTION_PREFIX = re.compile(r"^\s*\(?[A-J]\s*[:.)]\s*")  # "A:", "A.", "(A)" before an option's text
_SPLIT_NAMES = {"train": "train", "val": "val", "valid": "val", "validate": "val", "validation": "val",
                "dev": "val", "test": "test"}  # fmt: skip


class SourceError(ValueError):
    """The input as a whole is unusable (no files found, a file that is not JSON): the run stops."""


class RowProblem(Exception):
    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def convert_rows(
    rows: Iterable[tuple[str, Row]], convert: Callable[[str, Row], RawRecord]
) -> Iterator[Record]:
    for where, row in rows:
        try:
            yield convert(where, row)
        except RowProblem as problem:
            yield Rejected(problem.reason, where, problem.detail)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            yield Rejected("malformed_row", where, f"{type(exc).__name__}: {exc}")


def find_files(root: Path, patterns: Iterable[str], what: str) -> list[Path]:
    """Files under ``root`` matching any glob pattern, sorted; SourceError naming ``what`` if none."""
    found = sorted({path for pattern in patterns for path in root.glob(pattern) if path.is_file()})
    if not found:
        raise SourceError(f"no {what} found under {root} (looked for {', '.join(patterns)})")
    return found


def load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{path}: not a readable JSON file ({exc})") from exc


def json_list_rows(path: Path) -> Iterator[tuple[str, Row]]:
    """A JSON file holding a list of objects."""
    data = load_json(path)
    if not isinstance(data, list):
        raise SourceError(f"{path}: expected a JSON list of question objects, got {type(data).__name__}")
    for i, row in enumerate(data):
        yield f"{path}:{i}", row if isinstance(row, Mapping) else _not_an_object(row)


def jsonl_rows(path: Path) -> Iterator[tuple[str, Row]]:
    """A JSON-lines file; a line that is not a JSON object becomes a malformed row (line numbers from 1)."""
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                row = {"__malformed__": f"not valid JSON ({exc.msg})"}
            yield f"{path}:{lineno}", row if isinstance(row, Mapping) else _not_an_object(row)


def csv_rows(path: Path) -> Iterator[tuple[str, Row]]:
    """A CSV file with a header; rows are numbered like a spreadsheet (header = row 1)."""
    with path.open(encoding="utf-8", newline="") as handle:
        for lineno, row in enumerate(csv.DictReader(handle), start=2):
            yield f"{path}:{lineno}", row


def parquet_rows(path: Path) -> Iterator[tuple[str, Row]]:
    index = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=256):
        for row in batch.to_pylist():
            yield f"{path}:{index}", row
            index += 1


def _not_an_object(value: Any) -> Row:
    return {"__malformed__": f"expected a JSON object, got {type(value).__name__}"}


def text(row: Row, key: str) -> str:
    """``row[key]`` as stripped text ('' for null/NaN); a missing key is a malformed row."""
    if "__malformed__" in row:
        raise RowProblem("malformed_row", row["__malformed__"])
    if key not in row:
        raise RowProblem("malformed_row", f"missing field {key!r}")
    value = row[key]
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def option_text(value: Any) -> str:
    """An option's text without a leading "A:"-style label (PMC-VQA writes "A:CT scan")."""
    return _OPTION_PREFIX.sub("", "" if value is None else str(value), count=1).strip()


def letter_of(options: Mapping[str, str], answer: str) -> str:
    """The letter whose option text equals ``answer`` (case/space-insensitive)."""
    wanted = " ".join(answer.lower().split())
    for letter, option in options.items():
        if " ".join(option.lower().split()) == wanted:
            return letter
    raise RowProblem("malformed_row", f"answer {answer!r} is not one of the options {dict(options)}")


def checked_letter(options: Mapping[str, str], letter: str) -> str:
    letter = letter.strip().upper()
    if not letter:
        raise RowProblem("empty_answer", "no answer letter")
    if letter not in options:
        raise RowProblem("malformed_row", f"answer letter {letter!r} is not among options {sorted(options)}")
    return letter


def split_from_name(name: str) -> str:
    """The official split a file name announces ("train-0000.parquet" -> "train"), "" if none."""
    for token in re.split(r"[^a-z]+", name.lower()):
        if token in _SPLIT_NAMES:
            return _SPLIT_NAMES[token]
    return ""


def closed_or_open(row: Row) -> str:
    """The row's declared ``answer_type`` (VQA-RAD, SLAKE): CLOSED or OPEN, else a ``RowProblem``."""
    declared = text(row, "answer_type").upper()
    if declared not in ("CLOSED", "OPEN"):
        raise RowProblem("unknown_answer_type", f"answer_type {declared!r} is neither CLOSED nor OPEN")
    return declared
