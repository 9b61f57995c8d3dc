"""PathVQA as parquet (flaviagiammarino/path-vqa, read by MedEvalKit) or JSON lines.

Parquet: ``image`` {bytes, path}, ``question``, ``answer``; the split comes from the whole relative
path, so the hub's ``data/test-00000-of-00001.parquet`` and its auto-converted
``default/test/0000.parquet`` are both the "PathVQA test" benchmark. JSON lines: ``image`` (a path
relative to the file), ``question``, ``answer``. The original release's pickles are not read:
unpickling runs arbitrary code. There are no answer-type labels (yes/no answers are inferred closed).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rlvr.data.records import ImageRef, RawRecord, Record
from rlvr.data.sources.readers import find_files, jsonl_rows, parquet_rows
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import Row, RowProblem, Splits, convert_rows, split_token, text

MODALITY = "pathology"
BENCHMARKS = {"test": "PathVQA test"}


def _image(row: Row, base: Path) -> ImageRef:
    value = row.get("image")
    if isinstance(value, dict) and value.get("bytes"):
        return value["bytes"]
    if isinstance(value, str) and value:
        return base / value
    raise RowProblem("missing_image", "the row has no image bytes or image path")


def _convert(where: str, row: Row, base: Path) -> RawRecord:
    return RawRecord(
        where=where,
        question=text(row, "question"),
        answer=text(row, "answer"),
        images=[_image(row, base)],
        modality=MODALITY,
    )


@register_source(
    "pathvqa",
    "PathVQA: parquet (image bytes; split from the path, e.g. default/test/0000.parquet) or JSON lines "
    "with image paths",
    BENCHMARKS,
)
def read_pathvqa(root: Path) -> Iterator[Record]:
    for path in find_files(root, ["**/*.parquet", "**/*.jsonl"], "PathVQA parquet or jsonl files"):
        rows = parquet_rows(path) if path.suffix == ".parquet" else jsonl_rows(path)
        yield from convert_rows(
            rows,
            lambda where, row, base=path.parent: _convert(where, row, base),
            Splits.of(split_token(path, root), BENCHMARKS),
        )
