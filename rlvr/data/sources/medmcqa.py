"""MedMCQA (text) in its two released layouts; its validation split is the "MedMCQA validation" benchmark.

1. The original release (medmcqa.github.io): ``train.json``/``dev.json``/``test.json``, JSON lines with
   ``id``, ``question``, ``opa``..``opd``, ``cop`` (1-based, 1-4; absent in test), ``choice_type``,
   ``exp``, ``subject_name``, ``topic_name``.
2. The hub parquet (openlifescienceai/medmcqa, read by MedEvalKit): ``data/{train,validation,test}-*
   .parquet`` with the same columns and ``cop`` 0-based (0-3; -1 in test).

Many questions share a stem ("Which of the following is not true ...") with different options: every
row is yielded; deduplicate on question + options + answer, never on the question alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.readers import find_files, jsonl_rows, parquet_rows
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import TEXT_MODALITY, Row, RowProblem, Splits, convert_rows, split_token, text

COLUMNS = {"A": "opa", "B": "opb", "C": "opc", "D": "opd"}
BENCHMARKS = {"val": "MedMCQA validation"}
NO_ANSWER = (None, "", -1, "-1")  # the released test split carries no answers


def _convert(where: str, row: Row, first_index: int) -> RawRecord:
    options = {letter: text(row, column) for letter, column in COLUMNS.items()}
    cop = row.get("cop")
    answer = ""
    if cop not in NO_ANSWER:
        try:
            position = int(cop) - first_index
        except (TypeError, ValueError) as exc:
            raise RowProblem("malformed_row", f"cop={cop!r} is not an option number") from exc
        if not 0 <= position < len(options):
            raise RowProblem("malformed_row", f"cop={cop!r} is outside {first_index}..{first_index + 3}")
        answer = "ABCD"[position]
    return RawRecord(
        where=where,
        question=text(row, "question"),
        answer=answer,
        answer_type="choice",
        options=options,
        modality=TEXT_MODALITY,
        question_type=str(row.get("subject_name") or "").strip(),
    )


@register_source(
    "medmcqa",
    "MedMCQA (text): train/dev/test.json lines (cop 1-4) or hub parquet data/*-*.parquet (cop 0-3)",
    {"dev/validation": BENCHMARKS["val"]},
)
def read_medmcqa(root: Path) -> Iterator[Record]:
    for path in find_files(root, ["**/*.json", "**/*.parquet"], "MedMCQA json or parquet files"):
        is_parquet = path.suffix == ".parquet"
        rows = parquet_rows(path) if is_parquet else jsonl_rows(path)
        yield from convert_rows(
            rows,
            lambda where, row, first=0 if is_parquet else 1: _convert(where, row, first),
            Splits.of(split_token(path, root), BENCHMARKS),
        )
