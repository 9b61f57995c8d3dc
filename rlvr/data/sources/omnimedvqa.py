"""OmniMedVQA: ``QA_information/Open-access/*.json`` (and ``Restricted-access`` if present) + ``Images/``.

Layout as in the release (foreverbeliever/OmniMedVQA) and MedEvalKit's loader. Each JSON file is a
list of objects with ``question``, ``gt_answer`` (the correct option's text), ``option_A``..``option_D``,
``image_path`` (relative to the release root), ``modality_type`` (one file spells it ``modality``),
``question_type`` and ``dataset``. It has no official split and is used whole as the "OmniMedVQA"
benchmark, so every row is tagged with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.readers import find_files, json_list_rows
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import Row, Splits, convert_rows, letter_of, text

CHOICES = "ABCD"
BENCHMARK = Splits(official="", benchmark="OmniMedVQA")


def _convert(where: str, row: Row, release: Path) -> RawRecord:
    options = {letter: text(row, f"option_{letter}") for letter in CHOICES if row.get(f"option_{letter}")}
    answer = text(row, "gt_answer")
    return RawRecord(
        where=where,
        question=text(row, "question"),
        answer=letter_of(options, answer) if answer else "",
        answer_type="choice",
        options=options,
        images=[release / text(row, "image_path")],
        modality=str(row.get("modality_type") or row.get("modality") or "").strip(),
        question_type=str(row.get("question_type") or "").strip(),
    )


@register_source(
    "omnimedvqa",
    "OmniMedVQA: QA_information/{Open,Restricted}-access/*.json + Images/",
    {"every row": BENCHMARK.benchmark},
)
def read_omnimedvqa(root: Path) -> Iterator[Record]:
    for path in find_files(root, ["**/QA_information/*/*.json"], "OmniMedVQA QA_information files"):
        release = path.parents[2] if len(path.parents) > 2 else root
        yield from convert_rows(
            json_list_rows(path), lambda where, row, release=release: _convert(where, row, release), BENCHMARK
        )
