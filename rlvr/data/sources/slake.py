"""SLAKE (English rows): ``train.json``/``validate.json``/``test.json`` + ``imgs/xmlab<N>/source.jpg``.

Each object has ``img_name`` (relative to ``imgs/``), ``question``, ``answer``, ``answer_type``
(CLOSED/OPEN), ``q_lang`` (``en``/``zh``; Chinese rows are filtered out), ``modality``, ``location``
and ``content_type``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import (
    Row,
    RowProblem,
    closed_or_open,
    convert_rows,
    find_files,
    json_list_rows,
    split_from_name,
    text,
)

SPLIT_FILES = ("train.json", "validate.json", "test.json")


def _convert(where: str, row: Row, images: Path, split: str) -> RawRecord:
    language = text(row, "q_lang")
    if language != "en":
        raise RowProblem("other_language", f"q_lang is {language!r}")
    closed_or_open(row)
    return RawRecord(
        where=where,
        question=text(row, "question"),
        answer=text(row, "answer"),
        images=[images / text(row, "img_name")],
        modality=text(row, "modality"),
        question_type=str(row.get("content_type") or ""),
        official_split=split,
    )


@register_source("slake", "SLAKE: train.json/validate.json/test.json + imgs/ (English rows)")
def read_slake(root: Path) -> Iterator[Record]:
    for path in find_files(root, SPLIT_FILES, "SLAKE split files"):
        split = split_from_name(path.stem)
        yield from convert_rows(
            json_list_rows(path), lambda where, row, split=split: _convert(where, row, root / "imgs", split)
        )
