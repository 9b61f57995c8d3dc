"""MedXpertQA (MM, and Text which has no images): ``MM/test.jsonl``/``MM/dev.jsonl`` plus ``images/``.

Each line has ``id``, ``question`` (ending in an "Answer Choices: (A) ..." block, dropped here because
the template lists the options), ``options`` {letter: text}, ``label`` (the letter), ``images`` (file
names in ``images/``), ``medical_task``, ``body_system``, ``question_type``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import (
    Row,
    RowProblem,
    checked_letter,
    convert_rows,
    find_files,
    jsonl_rows,
    split_from_name,
    text,
)

_CHOICES_BLOCK = re.compile(r"\s*Answer Choices:\s*\(A\).{0,20000}\Z", re.DOTALL)


def _image_folder(jsonl: Path, root: Path) -> Path:
    for candidate in (jsonl.parent / "images", root / "images", jsonl.parent.parent / "images"):
        if candidate.is_dir():
            return candidate
    return root / "images"


def _convert(where: str, row: Row, images: Path, split: str) -> RawRecord:
    raw_options = row.get("options")
    if not isinstance(raw_options, Mapping) or not raw_options:
        raise RowProblem("malformed_row", "'options' must be an object {letter: text}")
    options = {str(k).strip().upper(): str(v).strip() for k, v in raw_options.items()}
    names = row.get("images") or []
    if not isinstance(names, list):
        raise RowProblem("malformed_row", "'images' must be a list of file names")
    return RawRecord(
        where=where,
        question=_CHOICES_BLOCK.sub("", text(row, "question")),
        answer=checked_letter(options, text(row, "label")),
        answer_type="choice",
        options=options,
        images=[images / str(name) for name in names],
        modality="",
        question_type="/".join(str(row.get(k) or "") for k in ("medical_task", "question_type")).strip("/"),
        official_split=split,
    )


@register_source("medxpertqa", "MedXpertQA: MM/{test,dev}.jsonl (question, options, label, images) + images/")
def read_medxpertqa(root: Path) -> Iterator[Record]:
    for path in find_files(root, ["*.jsonl", "*/*.jsonl"], "MedXpertQA jsonl files"):
        images = _image_folder(path, root)
        split = split_from_name(path.stem)
        yield from convert_rows(
            jsonl_rows(path), lambda where, row, i=images, s=split: _convert(where, row, i, s)
        )
