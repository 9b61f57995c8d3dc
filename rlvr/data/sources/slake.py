"""SLAKE (English and Chinese rows): ``train.json``, ``validate.json`` (``validation.json`` on the hub
copy BoKelvin/SLAKE that MedEvalKit reads) and ``test.json`` + ``imgs/xmlab<N>/source.jpg``.

Each object has ``img_name`` (relative to ``imgs/``), ``question``, ``answer``, ``answer_type``
(CLOSED/OPEN: decides "closed"/"open"), ``q_lang`` (``en``/``zh``: the record's language; the pipeline
filters languages), ``modality``, ``location`` (body part) and ``content_type`` (question type).
The test file is the "SLAKE test" benchmark, in both languages. The released train.json has one row
with an empty answer; it is yielded as is and the pipeline reports it as ``empty_answer`` (file:row).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.readers import find_files, json_list_rows
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import Row, RowProblem, Splits, closed_or_open, convert_rows, split_token, text

SPLIT_FILES = ("train.json", "validate.json", "validation.json", "test.json")
LANGUAGES = ("en", "zh")
BENCHMARKS = {"test": "SLAKE test"}


def _convert(where: str, row: Row, images: Path) -> RawRecord:
    language = text(row, "q_lang").lower()
    if language not in LANGUAGES:
        raise RowProblem("malformed_row", f"q_lang {language!r} is neither 'en' nor 'zh'")
    return RawRecord(
        where=where,
        question=text(row, "question"),
        answer=text(row, "answer"),
        answer_type=closed_or_open(row),
        images=[images / text(row, "img_name")],
        modality=str(row.get("modality") or "").strip(),
        question_type=str(row.get("content_type") or "").strip(),
        language=language,
        body_part=str(row.get("location") or "").strip(),
    )


@register_source(
    "slake",
    "SLAKE (en + zh): train.json/validate.json (or validation.json)/test.json + imgs/",
    BENCHMARKS,
)
def read_slake(root: Path) -> Iterator[Record]:
    patterns = [*SPLIT_FILES, *(f"*/{name}" for name in SPLIT_FILES)]
    for path in find_files(root, patterns, "SLAKE split files"):
        images = path.parent / "imgs"
        yield from convert_rows(
            json_list_rows(path),
            lambda where, row, images=images: _convert(where, row, images),
            Splits.of(split_token(path, root), BENCHMARKS),
        )
