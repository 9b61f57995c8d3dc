"""MMLU, its six medical subjects (MMLU-Med): anatomy, clinical_knowledge, college_biology,
college_medicine, medical_genetics, professional_medicine. Their test split is "MMLU-Med test".

1. The released CSVs (hendrycks/test, data.tar): ``data/{dev,val,test}/<subject>_<split>.csv``, no
   header, columns question, A, B, C, D, answer (the letter).
2. The hub parquet (cais/mmlu, read by MedEvalKit): ``<subject>/{dev,validation,test}-*.parquet`` (or
   the older ``<subject>/mmlu-test.parquet``) with ``question``, ``subject``, ``choices`` (list),
   ``answer`` (0-3). The ``all/`` config (every subject in one file) is read only when no per-subject
   folder is there, keeping the medical subjects' rows; ``auxiliary_train`` is not MMLU and is skipped.
Other subjects' rows are not part of this set and are not read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.readers import csv_rows, find_files, parquet_rows
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import (
    LETTERS,
    TEXT_MODALITY,
    Row,
    RowProblem,
    Splits,
    checked_letter,
    convert_rows,
    lettered,
    split_token,
    text,
)

SUBJECTS = (
    "anatomy",
    "clinical_knowledge",
    "college_biology",
    "college_medicine",
    "medical_genetics",
    "professional_medicine",
)
CSV_COLUMNS = ("question", "A", "B", "C", "D", "answer")
BENCHMARKS = {"test": "MMLU-Med test"}


def _from_csv(where: str, row: Row, subject: str) -> RawRecord:
    options = {letter: text(row, letter) for letter in "ABCD"}
    return _record(
        where, text(row, "question"), options, checked_letter(options, text(row, "answer")), subject
    )


def _from_parquet(where: str, row: Row, subject: str) -> RawRecord:
    choices = row.get("choices")
    if not isinstance(choices, list) or not choices:
        raise RowProblem("malformed_row", "'choices' must be a list of option texts")
    options = lettered(choices)
    answer = row.get("answer")
    if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(options):
        raise RowProblem("malformed_row", f"answer={answer!r} is not an option index 0..{len(options) - 1}")
    return _record(where, text(row, "question"), options, LETTERS[answer], subject)


def _record(where: str, question: str, options: dict[str, str], answer: str, subject: str) -> RawRecord:
    return RawRecord(
        where=where,
        question=question,
        answer=answer,
        answer_type="choice",
        options=options,
        modality=TEXT_MODALITY,
        question_type=subject,
    )


def _csv_subject(path: Path) -> str:
    """``anatomy_test.csv`` -> "anatomy"; "" for a file of another subject."""
    subject, _, _ = path.stem.rpartition("_")
    return subject if subject in SUBJECTS else ""


def _folder_subject(path: Path) -> str:
    return next((part for part in reversed(path.parts[:-1]) if part in SUBJECTS), "")


def _read_parquet(root: Path, files: list[Path]) -> Iterator[Record]:
    per_subject = [path for path in files if _folder_subject(path)]
    for path in per_subject or files:
        if "auxiliary" in path.name:
            continue
        folder_subject = _folder_subject(path)
        rows = (
            (where, row)
            for where, row in parquet_rows(path)
            if (folder_subject or str(row.get("subject") or "")) in SUBJECTS
        )
        yield from convert_rows(
            rows,
            lambda where, row, fs=folder_subject: _from_parquet(where, row, fs or str(row.get("subject"))),
            Splits.of(split_token(path, root), BENCHMARKS),
        )


@register_source(
    "mmlu",
    "MMLU-Med (6 medical subjects, text): data/{dev,val,test}/<subject>_<split>.csv (no header) or hub "
    "parquet <subject>/<split>-*.parquet",
    BENCHMARKS,
)
def read_mmlu(root: Path) -> Iterator[Record]:
    patterns = [f"**/{subject}_*.csv" for subject in SUBJECTS] + ["**/*.parquet"]
    files = find_files(root, patterns, "MMLU medical-subject csv or parquet files")
    for path in (p for p in files if p.suffix == ".csv" and _csv_subject(p)):
        subject = _csv_subject(path)
        yield from convert_rows(
            csv_rows(path, CSV_COLUMNS),
            lambda where, row, subject=subject: _from_csv(where, row, subject),
            Splits.of(split_token(path, root), BENCHMARKS),
        )
    yield from _read_parquet(root, [path for path in files if path.suffix == ".parquet"])
