"""Generic JSONL/CSV: one question per row with ``image`` (path relative to the file, a list of paths in
JSONL, or empty for text-only), ``question``, ``answer`` and optional ``options`` (an object
{letter: text} or a list; in CSV as JSON text), ``answer_type``, ``modality``, ``split``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import (
    Row,
    RowProblem,
    convert_rows,
    csv_rows,
    find_files,
    jsonl_rows,
    split_from_name,
    text,
)

LETTERS = "ABCDEFGHIJ"


def _options(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise RowProblem("malformed_row", f"'options' is not JSON ({exc.msg})") from exc
    if value is None:
        return {}
    if isinstance(value, list):
        if len(value) > len(LETTERS):
            raise RowProblem("malformed_row", f"more than {len(LETTERS)} options")
        value = dict(zip(LETTERS, value, strict=False))
    if not isinstance(value, Mapping):
        raise RowProblem("malformed_row", "'options' must be an object {letter: text} or a list")
    return {str(k).strip().upper(): str(v).strip() for k, v in value.items()}


def _images(value: Any, base: Path) -> list[Path]:
    names = value if isinstance(value, list) else [value]
    return [base / str(name) for name in names if name not in (None, "")]


def _convert(where: str, row: Row, base: Path, file_split: str) -> RawRecord:
    declared = str(row.get("answer_type") or "").strip().lower()
    return RawRecord(
        where=where,
        question=text(row, "question"),
        answer=text(row, "answer"),
        answer_type=declared or None,
        options=_options(row.get("options")),
        images=_images(row.get("image"), base),
        modality=str(row.get("modality") or ""),
        question_type=str(row.get("question_type") or ""),
        official_split=split_from_name(str(row.get("split") or "")) or file_split,
    )


@register_source("generic", "generic JSONL/CSV: image, question, answer [, options, answer_type, ...]")
def read_generic(root: Path) -> Iterator[Record]:
    files = [root] if root.is_file() else find_files(root, ["**/*.jsonl", "**/*.csv"], "jsonl or csv files")
    for path in files:
        rows = csv_rows(path) if path.suffix.lower() == ".csv" else jsonl_rows(path)
        split = split_from_name(path.stem)
        yield from convert_rows(rows, lambda where, row, p=path, s=split: _convert(where, row, p.parent, s))
