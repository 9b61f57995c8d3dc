"""PathVQA in its parquet form (Hugging Face ``data/{train,validation,test}-*.parquet``: ``image`` {bytes,
path}, ``question``, ``answer``) or as JSON lines (``image`` path relative to the file, ``question``,
``answer``). The original release's pickles are not read: unpickling runs arbitrary code.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import (
    Row,
    RowProblem,
    convert_rows,
    find_files,
    jsonl_rows,
    parquet_rows,
    split_from_name,
    text,
)

MODALITY = "pathology"


def _image(row: Row, base: Path):
    value = row.get("image")
    if isinstance(value, dict) and value.get("bytes"):
        return value["bytes"]
    if isinstance(value, str) and value:
        return base / value
    raise RowProblem("missing_image", "the row has no image bytes or image path")


def _convert(where: str, row: Row, base: Path, split: str) -> RawRecord:
    return RawRecord(
        where=where,
        question=text(row, "question"),
        answer=text(row, "answer"),
        images=[_image(row, base)],
        modality=MODALITY,
        official_split=split,
    )


@register_source("pathvqa", "PathVQA: Hugging Face parquet (image bytes) or JSON lines with image paths")
def read_pathvqa(root: Path) -> Iterator[Record]:
    for path in find_files(root, ["**/*.parquet", "**/*.jsonl"], "PathVQA parquet or jsonl files"):
        rows = parquet_rows(path) if path.suffix == ".parquet" else jsonl_rows(path)
        split = split_from_name(path.stem)
        yield from convert_rows(rows, lambda where, row, p=path, s=split: _convert(where, row, p.parent, s))
