"""VQA-RAD: ``VQA_RAD Dataset Public.json`` plus the ``VQA_RAD Image Folder/`` of the OSF release.

Each object has ``image_name``, ``question``, ``answer``, ``answer_type`` (CLOSED/OPEN),
``question_type``, ``image_organ`` and ``phrase_type`` (``test_freeform``/``test_para`` mark the test set).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import Row, closed_or_open, convert_rows, find_files, json_list_rows, text

ANNOTATIONS = "VQA_RAD Dataset Public.json"
IMAGE_FOLDER = "VQA_RAD Image Folder"


def _convert(where: str, row: Row, images: Path) -> RawRecord:
    closed_or_open(row)
    return RawRecord(
        where=where,
        question=text(row, "question"),
        answer=text(row, "answer"),
        images=[images / text(row, "image_name")],
        question_type=text(row, "question_type"),
        official_split="test" if str(row.get("phrase_type", "")).startswith("test") else "train",
    )


@register_source("vqa_rad", f"VQA-RAD: '{ANNOTATIONS}' + '{IMAGE_FOLDER}/'")
def read_vqa_rad(root: Path) -> Iterator[Record]:
    (annotations,) = find_files(root, [ANNOTATIONS, f"*/{ANNOTATIONS}"], "VQA-RAD annotations")[:1]
    images = annotations.parent / IMAGE_FOLDER
    yield from convert_rows(json_list_rows(annotations), lambda where, row: _convert(where, row, images))
