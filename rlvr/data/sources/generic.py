"""Generic JSONL/CSV: one question per row with ``image`` (path relative to the file, a list of paths in
JSONL, or empty for text-only), ``question``, ``answer`` and optional ``options`` (an object
{letter: text} or a list; in CSV as JSON text), ``answer_type``, ``modality``, ``question_type``,
``split`` (else the file name's), ``benchmark_split`` (a benchmark the row belongs to: never trained
on by default), ``language``, ``body_part``. A question holding one ``<image>`` per image keeps each
image at its placeholder; otherwise images go in front of the question.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.readers import csv_rows, find_files, jsonl_rows
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import (
    Row,
    RowProblem,
    Splits,
    convert_rows,
    lettered,
    plain_text,
    split_token,
    text,
)


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
        return lettered(value)
    if not isinstance(value, Mapping):
        raise RowProblem("malformed_row", "'options' must be an object {letter: text} or a list")
    return {str(k).strip().upper(): str(v).strip() for k, v in value.items()}


def _images(value: Any, base: Path) -> list[Path]:
    names = value if isinstance(value, list) else [value]
    return [base / str(name) for name in names if name not in (None, "")]


def _convert(where: str, row: Row, base: Path) -> RawRecord:
    declared = plain_text(row.get("answer_type")).lower()
    return RawRecord(
        where=where,
        question=text(row, "question"),
        answer=text(row, "answer"),
        answer_type=declared or None,
        options=_options(row.get("options")),
        images=_images(row.get("image"), base),
        modality=plain_text(row.get("modality")),
        question_type=plain_text(row.get("question_type")),
        language=plain_text(row.get("language")).lower() or "en",
        body_part=plain_text(row.get("body_part")),
    )


def _splits(row: Row, file_token: str) -> Splits:
    token = plain_text(row.get("split")).lower() or file_token
    return Splits(Splits.of(token).official, plain_text(row.get("benchmark_split")))


@register_source(
    "generic",
    "generic JSONL/CSV: image, question, answer [, options, answer_type, split, benchmark_split, ...]",
)
def read_generic(root: Path) -> Iterator[Record]:
    for path in find_files(root, ["**/*.jsonl", "**/*.csv"], "jsonl or csv files"):
        rows = csv_rows(path) if path.suffix.lower() == ".csv" else jsonl_rows(path)
        token = split_token(path, root)
        yield from convert_rows(
            rows,
            lambda where, row, base=path.parent: _convert(where, row, base),
            lambda row, token=token: _splits(row, token),
        )
