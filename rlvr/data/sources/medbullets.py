"""Medbullets (text, USMLE step 2/3 style), 4- and 5-option versions; all of it is the "Medbullets"
benchmark (no official split).

1. The release (HanjieChen/ChallengeClinicalQA): ``medbullets/medbullets_op4.csv`` (columns ``link,
   question, opa, opb, opc, opd, answer_idx, answer, explanation``) and ``medbullets_op5.csv`` (plus
   ``ope``), and the same tables as pandas ``{column: {row: value}}`` JSON (``medbullets_op4.json``),
   read only where its .csv is absent (308 questions, each in both versions).
2. Hub parquet: LangAGI-Lab/medbullets_op5 (``opa``..``ope``, ``answer_idx``) and
   tuenguyen/Medical-Eval-MedBullets_op4 (``options`` {letter: text}, ``answer_idx``), the copies
   MedEvalKit reads; their exact columns beyond those are not documented, so both forms are read.

The letter is checked against the answer's text (``answer``): a mismatch the text resolves is fixed
with a ``label_fixed`` note. ``question_type`` is "op4"/"op5" (from the file name, else the number of
options), the two versions the tables report.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.readers import csv_rows, find_files, load_json, parquet_rows
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import (
    Row,
    RowProblem,
    SourceError,
    Splits,
    convert_rows,
    text,
    text_choice_record,
)

COLUMNS = {"A": "opa", "B": "opb", "C": "opc", "D": "opd", "E": "ope"}
BENCHMARK = Splits(official="", benchmark="Medbullets")
_VERSION = re.compile(r"op\s{0,2}([45])", re.IGNORECASE)


def _options(row: Row) -> dict[str, str]:
    given = row.get("options")
    if isinstance(given, Mapping) and given:
        return {str(k).strip().upper(): str(v).strip() for k, v in given.items() if v is not None}
    options = {letter: text(row, column) for letter, column in COLUMNS.items() if column in row}
    options = {letter: value for letter, value in options.items() if value}
    if not options:
        raise RowProblem("malformed_row", "no options: expected opa..ope columns or an 'options' object")
    return options


def _convert(where: str, row: Row, version: str) -> RawRecord:
    options = _options(row)
    return text_choice_record(where, row, options, text(row, "answer_idx"), version or f"op{len(options)}")


def _pandas_json_rows(path: Path) -> Iterator[tuple[str, Row]]:
    """A DataFrame saved with ``to_json()``: {column: {row index: value}} -> one row per index."""
    table = load_json(path)
    if not isinstance(table, Mapping) or not all(isinstance(v, Mapping) for v in table.values()):
        raise SourceError(f"{path}: expected {{column: {{row: value}}}} as pandas writes it")
    indices = list(dict.fromkeys(index for column in table.values() for index in column))
    for index in indices:
        yield f"{path}:{index}", {column: values.get(index) for column, values in table.items()}


def _rows(path: Path) -> Iterator[tuple[str, Row]]:
    if path.suffix == ".csv":
        return csv_rows(path)
    if path.suffix == ".json":
        return _pandas_json_rows(path)
    return parquet_rows(path)


@register_source(
    "medbullets",
    "Medbullets (text): medbullets_op4/op5 .csv or .json, or hub parquet",
    {"every row": BENCHMARK.benchmark},
)
def read_medbullets(root: Path) -> Iterator[Record]:
    patterns = ["**/*medbullets*.csv", "**/*medbullets*.json", "**/*.parquet"]
    for path in find_files(root, patterns, "Medbullets csv, json or parquet files"):
        if path.suffix == ".json" and path.with_suffix(".csv").is_file():
            continue  # the release ships each table as .csv and .json: read it once
        match = _VERSION.search(f"{root.name}/{path.relative_to(root)}" if path != root else path.name)
        version = f"op{match.group(1)}" if match else ""
        yield from convert_rows(
            _rows(path), lambda where, row, version=version: _convert(where, row, version), BENCHMARK
        )
