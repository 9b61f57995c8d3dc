"""Tiny benchmark releases in their published file layouts, for the ``rlvr eval`` tests."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from test_data_sources import png_bytes, write_image, write_jsonl

from rlvr.eval.generation import Generation


def write_vqa_rad(root: Path, closed: int = 3, open_: int = 2, train: int = 2) -> Path:
    """``VQA-RAD/VQA_RAD Dataset Public.json`` + ``VQA_RAD Image Folder/``; test rows: phrase_type test_*."""
    folder = root / "VQA-RAD"
    write_image(folder / "VQA_RAD Image Folder" / "synpic1.jpg")
    rows = []
    for i in range(closed):
        rows.append(
            {
                "qid": i,
                "image_name": "synpic1.jpg",
                "question": f"Is there a nodule {i}?",
                "answer": "Yes" if i % 2 else "No",
                "answer_type": "CLOSED",
                "question_type": "PRES",
                "image_organ": "CHEST",
                "phrase_type": "test_freeform",
            }
        )
    for i in range(open_):
        rows.append(
            {
                "qid": 100 + i,
                "image_name": "synpic1.jpg",
                "question": f"What organ is shown {i}?",
                "answer": "right lung",
                "answer_type": "OPEN",
                "question_type": "ORGAN",
                "image_organ": "CHEST",
                "phrase_type": "test_para",
            }
        )
    for i in range(train):
        rows.append(
            {
                "qid": 200 + i,
                "image_name": "synpic1.jpg",
                "question": f"Is this a CT {i}?",
                "answer": "No",
                "answer_type": "CLOSED",
                "question_type": "MODALITY",
                "image_organ": "CHEST",
                "phrase_type": "freeform",
            }
        )
    (folder / "VQA_RAD Dataset Public.json").write_text(json.dumps(rows))
    return folder


def write_slake(root: Path, english: int = 2, chinese: int = 2) -> Path:
    """``SLAKE/{train,test}.json`` + ``imgs/xmlab1/source.jpg``; Chinese rows have q_lang "zh"."""
    folder = root / "SLAKE"
    write_image(folder / "imgs" / "xmlab1" / "source.jpg")
    test = []
    for i in range(english):
        test.append(
            {
                "img_name": "xmlab1/source.jpg",
                "question": f"Is the lung healthy {i}?",
                "answer": "Yes",
                "answer_type": "CLOSED",
                "q_lang": "en",
                "modality": "X-Ray",
                "location": "Chest",
                "content_type": "Abnormality",
            }
        )
    for i in range(chinese):
        test.append(
            {
                "img_name": "xmlab1/source.jpg",
                "question": f"肺部健康吗{i}?",
                "answer": "是",
                "answer_type": "CLOSED",
                "q_lang": "zh",
                "modality": "X-Ray",
                "location": "胸部",
                "content_type": "Abnormality",
            }
        )
    (folder / "test.json").write_text(json.dumps(test, ensure_ascii=False))
    (folder / "train.json").write_text(json.dumps(test[:1], ensure_ascii=False))
    return folder


def write_mmmu(root: Path) -> Path:
    """``MMMU/<Subject>/validation-*.parquet`` with two images on the first row (image_1, image_2)."""
    folder = root / "MMMU"
    rows = [
        {
            "id": "validation_Clinical_Medicine_1",
            "question": "<image 1> <image 2> Which lobe is affected?",
            "options": "['Upper lobe', 'Lower lobe', 'Middle lobe']",
            "answer": "B",
            "image_1": {"bytes": png_bytes(40), "path": "a.png"},
            "image_2": {"bytes": png_bytes(200), "path": "b.png"},
            "img_type": "['CT']",
            "question_type": "multiple-choice",
            "subfield": "Radiology",
        },
        {
            "id": "validation_Clinical_Medicine_2",
            "question": "<image 1> What is the finding?",
            "options": "[]",
            "answer": "pneumothorax",
            "image_1": {"bytes": png_bytes(90), "path": "c.png"},
            "image_2": None,
            "img_type": "['X-ray']",
            "question_type": "open",
            "subfield": "Radiology",
        },
    ]
    (folder / "Clinical_Medicine").mkdir(parents=True)
    pq.write_table(
        pa.Table.from_pylist(rows), folder / "Clinical_Medicine" / "validation-00000-of-00001.parquet"
    )
    return folder


def write_medqa(root: Path, test: int = 3) -> Path:
    """``MedQA-USMLE/.../4_options/phrases_no_exclude_test.jsonl`` with question, options, answer_idx."""
    rows = [
        {
            "question": f"A 30-year-old presents with case {i}. Best next step?",
            "options": {"A": "Aspirin", "B": "Heparin", "C": "Surgery", "D": "Observation"},
            "answer_idx": "ABCD"[i % 4],
            "meta_info": "step1",
        }
        for i in range(test)
    ]
    path = root / "MedQA-USMLE" / "questions" / "US" / "4_options" / "phrases_no_exclude_test.jsonl"
    write_jsonl(path, rows)
    return path.parent


class ScriptedGenerator:
    """Answers every prompt with ``answer(row)``; counts the rows it was asked."""

    engine = "scripted"

    def __init__(self, answer=lambda row: "<answer>yes</answer>"):
        self.answer, self.rows_seen, self.batches = answer, 0, []

    def generate(self, rows, max_new_tokens, seed):
        self.rows_seen += len(rows)
        self.batches.append(rows)
        return [Generation(self.answer(row), "stop", 3) for row in rows]
