"""MMMU, Health & Medicine subjects: ``<Subject>/{dev,validation,test}-*.parquet`` as on Hugging Face.

Columns: ``question`` (may refer to "<image 1>"), ``options`` (a Python-literal list of strings, parsed
with ``ast.literal_eval`` from the dataset file only), ``answer`` (a letter, or free text for
``question_type`` "open"), ``image_1``..``image_7`` ({bytes, path} or null), ``subfield``.
Other subjects' folders are ignored.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import (
    Row,
    RowProblem,
    checked_letter,
    convert_rows,
    find_files,
    parquet_rows,
    split_from_name,
    text,
)

HEALTH_SUBJECTS = (
    "Basic_Medical_Science",
    "Clinical_Medicine",
    "Diagnostics_and_Laboratory_Medicine",
    "Pharmacy",
    "Public_Health",
)
MAX_IMAGES = 7
LETTERS = "ABCDEFGHIJ"


def _literal_list(row: Row, key: str) -> list[str]:
    """A dataset column holding a Python-literal list of strings, e.g. "['CT', 'MRI']"."""
    raw = text(row, key)
    try:
        values = ast.literal_eval(raw) if raw else []
    except (ValueError, SyntaxError) as exc:
        raise RowProblem("malformed_row", f"{key!r} is not a list literal ({exc})") from exc
    if not isinstance(values, list):
        raise RowProblem("malformed_row", f"{key!r} must be a list of strings")
    return [str(value).strip() for value in values]


def _options(row: Row) -> dict[str, str]:
    values = _literal_list(row, "options")
    if len(values) > len(LETTERS):
        raise RowProblem("malformed_row", f"more than {len(LETTERS)} options")
    return dict(zip(LETTERS, values, strict=False))


def _convert(where: str, row: Row, subject: str, split: str) -> RawRecord:
    images = []
    for k in range(1, MAX_IMAGES + 1):
        image = row.get(f"image_{k}")
        if isinstance(image, dict) and image.get("bytes"):
            images.append(image["bytes"])
    options = _options(row)
    answer = text(row, "answer")
    is_choice = text(row, "question_type") == "multiple-choice"
    if answer == "?":  # MMMU's test split hides its answers
        answer = ""
    if is_choice and answer:
        answer = checked_letter(options, answer)
    return RawRecord(
        where=where,
        question=text(row, "question"),
        answer=answer,
        answer_type="choice" if is_choice else None,
        options=options if is_choice else {},
        images=images,
        modality=", ".join(_literal_list(row, "img_type")) if row.get("img_type") else "",
        question_type=f"{subject}/{row.get('subfield') or ''}".rstrip("/"),
        official_split=split,
    )


@register_source("mmmu", "MMMU Health & Medicine: <Subject>/{dev,validation,test}-*.parquet")
def read_mmmu(root: Path) -> Iterator[Record]:
    patterns = [f"{subject}/*.parquet" for subject in HEALTH_SUBJECTS]
    for path in find_files(root, patterns, "MMMU Health & Medicine parquet files"):
        subject, split = path.parent.name, split_from_name(path.stem)
        yield from convert_rows(
            parquet_rows(path), lambda where, row, s=subject, p=split: _convert(where, row, s, p)
        )
