"""SuperGPQA, its Medicine rows (discipline "Medicine"): the "SuperGPQA-Medicine" benchmark.

Layout of the release (m-a-p/SuperGPQA on the hub: ``SuperGPQA-all.jsonl``; the GitHub evaluation code
reads ``data/SuperGPQA-all.jsonl``; the hub's auto-converted parquet has the same columns). Each row has
``uuid``, ``question``, ``options`` (a list of up to 10 texts), ``answer`` (the text), ``answer_letter``,
``discipline``, ``field``, ``subfield``, ``difficulty``, ``is_calculation``. The set has one split (the
hub calls it "train"); all of it is evaluation data. Rows of other disciplines are not part of this
set and are not read. ``question_type`` is "field/subfield", the breakdown the evaluation reports.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.readers import find_files, jsonl_rows, parquet_rows
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import Row, RowProblem, Splits, convert_rows, lettered, text, text_choice_record

DISCIPLINE = "Medicine"
BENCHMARK = Splits(official="", benchmark="SuperGPQA-Medicine")


def _convert(where: str, row: Row) -> RawRecord:
    choices = row.get("options")
    if not isinstance(choices, list) or not choices:
        raise RowProblem("malformed_row", "'options' must be a list of option texts")
    field = "/".join(str(row.get(key) or "").strip() for key in ("field", "subfield")).strip("/")
    return text_choice_record(where, row, lettered(choices), text(row, "answer_letter"), field)


def _is_medicine(row: Row) -> bool:
    return "__malformed__" in row or str(row.get("discipline") or "").strip() == DISCIPLINE


@register_source(
    "supergpqa",
    "SuperGPQA Medicine rows (text): SuperGPQA-all.jsonl (or its parquet)",
    {"every row": BENCHMARK.benchmark},
)
def read_supergpqa(root: Path) -> Iterator[Record]:
    for path in find_files(root, ["**/*.jsonl", "**/*.parquet"], "SuperGPQA jsonl or parquet files"):
        rows = parquet_rows(path) if path.suffix == ".parquet" else jsonl_rows(path)
        yield from convert_rows(((w, r) for w, r in rows if _is_medicine(r)), _convert, BENCHMARK)
