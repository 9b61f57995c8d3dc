"""OmniMedVQA: ``QA_information/Open-access/*.json`` (and ``Restricted-access`` if present) plus ``Images/``.

Each JSON file is a list of objects with ``question``, ``gt_answer`` (the correct option's text),
``option_A``..``option_D``, ``image_path`` (relative to the release root), ``modality_type``,
``question_type`` and ``dataset``. It has no official split.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import Row, convert_rows, find_files, json_list_rows, letter_of, text

LETTERS = "ABCD"


def _convert(where: str, row: Row, root: Path) -> RawRecord:
    options = {letter: text(row, f"option_{letter}") for letter in LETTERS if row.get(f"option_{letter}")}
    answer = text(row, "gt_answer")
    return RawRecord(
        where=where,
        question=text(row, "question"),
        answer=letter_of(options, answer) if answer else "",
        answer_type="choice",
        options=options,
        images=[root / text(row, "image_path")],
        # one file of the release spells the key "modality"
        modality=str(row.get("modality_type") or row.get("modality") or ""),
        question_type=str(row.get("question_type") or ""),
    )


@register_source("omnimedvqa", "OmniMedVQA: QA_information/*-access/*.json + Images/")
def read_omnimedvqa(root: Path) -> Iterator[Record]:
    for path in find_files(root, ["QA_information/*/*.json"], "OmniMedVQA QA_information files"):
        yield from convert_rows(json_list_rows(path), lambda where, row: _convert(where, row, root))
