"""MMMU, Health & Medicine subjects, as on the hub (MMMU/MMMU, read by MedEvalKit and lmms-eval):
``<Subject>/{dev,validation,test}-*.parquet`` or the auto-converted ``<Subject>/<split>/0000.parquet``.

Columns: ``question`` (refers to images as ``<image N>``), ``options`` (a Python-literal list of
strings, parsed with ``ast.literal_eval`` from the dataset file only; options may hold markers too),
``answer`` (a letter, or free text for ``question_type`` "open"; "?" in the hidden test split),
``image_1``..``image_7`` ({bytes, path} or null), ``img_type``, ``subfield``. Each marker becomes an
``<image>`` placeholder with its image at that position (``image_markers``); a marker whose image is
null is ``missing_image``. An "open" row whose answer is a letter of its options is a choice row.
``validation`` is the "MMMU-Med validation" benchmark; ``test`` stays an official test split, ``dev``
(few-shot examples) is "val". Other subjects' folders are ignored.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from rlvr.data.records import ImageRef, RawRecord, Record
from rlvr.data.sources.image_markers import place_images
from rlvr.data.sources.readers import find_files, parquet_rows
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import (
    Row,
    RowProblem,
    Splits,
    checked_letter,
    convert_rows,
    lettered,
    split_token,
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
MAX_LITERAL_CHARS = 100_000  # options/img_type literals longer than this are not parsed
HIDDEN_ANSWER = "?"  # MMMU's test split hides its answers
BENCHMARKS = {"validation": "MMMU-Med validation"}


def _literal_list(row: Row, key: str) -> list[str]:
    """A dataset column holding a Python-literal list of strings, e.g. "['CT', 'MRI']"."""
    raw = text(row, key)
    if len(raw) > MAX_LITERAL_CHARS:
        raise RowProblem("malformed_row", f"{key!r} is longer than {MAX_LITERAL_CHARS} characters")
    try:
        values = ast.literal_eval(raw) if raw else []
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise RowProblem("malformed_row", f"{key!r} is not a list literal ({exc})") from exc
    if not isinstance(values, list):
        raise RowProblem("malformed_row", f"{key!r} must be a list of strings")
    return [str(value).strip() for value in values]


def _images(row: Row) -> dict[int, ImageRef]:
    images = {}
    for number in range(1, MAX_IMAGES + 1):
        image = row.get(f"image_{number}")
        if isinstance(image, dict) and image.get("bytes"):
            images[number] = image["bytes"]
    return images


def _convert(where: str, row: Row, subject: str) -> RawRecord:
    options = lettered(_literal_list(row, "options"))
    answer = text(row, "answer")
    answer = "" if answer == HIDDEN_ANSWER else answer
    declared_choice = text(row, "question_type") == "multiple-choice"
    letter_answer = len(answer) == 1 and answer.upper() in options
    is_choice = bool(options) and (declared_choice or letter_answer)
    if is_choice and answer:
        answer = checked_letter(options, answer)
    placed = place_images(text(row, "question"), options if is_choice else {}, _images(row))
    return RawRecord(
        where=where,
        question=placed.question,
        answer=answer,
        answer_type="choice" if is_choice else None,
        options=placed.options,
        images=placed.images,
        modality=", ".join(_literal_list(row, "img_type")) if row.get("img_type") else "",
        question_type=f"{subject}/{row.get('subfield') or ''}".rstrip("/"),
    )


def _subject(path: Path) -> str:
    return next((part for part in reversed(path.parts[:-1]) if part in HEALTH_SUBJECTS), "")


@register_source(
    "mmmu",
    "MMMU Health & Medicine: <Subject>/{dev,validation,test}-*.parquet (or <Subject>/<split>/*.parquet); "
    "images at their <image N> markers",
    BENCHMARKS,
)
def read_mmmu(root: Path) -> Iterator[Record]:
    patterns = [
        f"**/{subject}/{tail}" for subject in HEALTH_SUBJECTS for tail in ("*.parquet", "*/*.parquet")
    ]
    if root.is_file() or root.name in HEALTH_SUBJECTS:
        patterns = ["*.parquet", "*/*.parquet"]
    for path in find_files(root, patterns, "MMMU Health & Medicine parquet files"):
        subject = _subject(path) or root.name
        yield from convert_rows(
            parquet_rows(path),
            lambda where, row, subject=subject: _convert(where, row, subject),
            Splits.of(split_token(path, root), BENCHMARKS),
        )
