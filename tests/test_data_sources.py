"""Each converter reads a tiny fixture written in its dataset's released layout (images drawn with PIL)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from rlvr.data.records import RawRecord, Rejected
from rlvr.data.sources import SOURCES, get_source
from rlvr.data.sources.rows import SourceError


def png_bytes(shade: int = 100, size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, color=shade).save(buffer, format="PNG")
    return buffer.getvalue()


def write_image(path: Path, shade: int = 100) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 48), color=(shade, shade, shade)).save(path)


def read(name: str, root: Path) -> tuple[list[RawRecord], list[Rejected]]:
    records = list(get_source(name).read(root))
    return [r for r in records if isinstance(r, RawRecord)], [r for r in records if isinstance(r, Rejected)]


def write_jsonl(path: Path, rows: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows))


def test_all_documented_sources_are_registered():
    expected = {"vqa_rad", "slake", "pathvqa", "pmc_vqa", "omnimedvqa", "medxpertqa", "mmmu", "generic"}
    assert expected | {"medqa", "medmcqa", "pubmedqa"} == set(SOURCES)
    with pytest.raises(KeyError, match="known sources: generic"):
        get_source("vqarad")


def test_vqa_rad(tmp_path):
    write_image(tmp_path / "VQA_RAD Image Folder" / "synpic1.jpg")
    rows = [
        {
            "qid": 1,
            "image_name": "synpic1.jpg",
            "question": "Is there a fracture?",
            "answer": "Yes",
            "answer_type": "CLOSED",
            "question_type": "PRES",
            "image_organ": "CHEST",
            "phrase_type": "freeform",
        },
        {
            "qid": 2,
            "image_name": "synpic1.jpg",
            "question": "How many ribs?",
            "answer": 2,
            "answer_type": "OPEN",
            "question_type": "COUNT",
            "image_organ": "CHEST",
            "phrase_type": "test_freeform",
        },
        {
            "qid": 3,
            "image_name": "synpic1.jpg",
            "question": "Odd?",
            "answer": "x",
            "answer_type": "MAYBE",
            "question_type": "PRES",
            "image_organ": "CHEST",
            "phrase_type": "freeform",
        },
    ]
    (tmp_path / "VQA_RAD Dataset Public.json").write_text(json.dumps(rows))
    records, rejected = read("vqa_rad", tmp_path)
    assert [(r.question, r.answer, r.official_split, r.question_type) for r in records] == [
        ("Is there a fracture?", "Yes", "train", "PRES"),
        ("How many ribs?", "2", "test", "COUNT"),
    ]
    assert records[0].images == [tmp_path / "VQA_RAD Image Folder" / "synpic1.jpg"]
    assert [(r.reason, r.where) for r in rejected] == [
        ("unknown_answer_type", f"{tmp_path / 'VQA_RAD Dataset Public.json'}:2")
    ]


def test_slake_keeps_english_rows(tmp_path):
    write_image(tmp_path / "imgs" / "xmlab1" / "source.jpg")
    row = {
        "img_id": 1,
        "img_name": "xmlab1/source.jpg",
        "question": "Which organ is abnormal?",
        "answer": "Lung",
        "q_lang": "en",
        "location": "Chest",
        "modality": "CT",
        "answer_type": "OPEN",
        "content_type": "Organ",
    }
    (tmp_path / "train.json").write_text(json.dumps([row, {**row, "q_lang": "zh", "question": "哪个器官?"}]))
    (tmp_path / "validate.json").write_text(json.dumps([{**row, "answer_type": "CLOSED", "answer": "No"}]))
    records, rejected = read("slake", tmp_path)
    assert [(r.official_split, r.modality, r.answer) for r in records] == [
        ("train", "CT", "Lung"),
        ("val", "CT", "No"),
    ]
    assert records[0].images == [tmp_path / "imgs" / "xmlab1" / "source.jpg"]
    assert [r.reason for r in rejected] == ["other_language"]
    assert not rejected[0].is_error


def test_pathvqa_parquet_with_embedded_images(tmp_path):
    table = pa.table(
        {
            "image": [{"bytes": png_bytes(50), "path": "a.png"}, {"bytes": None, "path": None}],
            "question": ["Is this tissue necrotic?", "What is shown?"],
            "answer": ["yes", "fibrosis"],
        }
    )
    (tmp_path / "data").mkdir()
    pq.write_table(table, tmp_path / "data" / "train-00000-of-00001.parquet")
    records, rejected = read("pathvqa", tmp_path)
    assert len(records) == 1 and records[0].images == [png_bytes(50)]
    assert records[0].official_split == "train" and records[0].modality == "pathology"
    assert [r.reason for r in rejected] == ["missing_image"]


def test_pathvqa_jsonl(tmp_path):
    write_image(tmp_path / "images" / "p1.png")
    write_jsonl(tmp_path / "test.jsonl", [{"image": "images/p1.png", "question": "Q?", "answer": "no"}])
    records, _ = read("pathvqa", tmp_path)
    assert records[0].images == [tmp_path / "images" / "p1.png"] and records[0].official_split == "test"


def test_pmc_vqa_strips_choice_labels(tmp_path):
    write_image(tmp_path / "images" / "PMC1_fig1.jpg")
    columns = [
        "Figure_path",
        "Question",
        "Answer",
        "Choice A",
        "Choice B",
        "Choice C",
        "Choice D",
        "Answer_label",
    ]
    with (tmp_path / "train.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerow(
            ["PMC1_fig1.jpg", "What modality?", "MRI", " A:CT ", " B:MRI", " C:PET", " D:US", "B"]
        )
        writer.writerow(["PMC1_fig1.jpg", "Broken?", "x", "A:1", "B:2", "C:3", "D:4", "F"])
    records, rejected = read("pmc_vqa", tmp_path)
    (record,) = records
    assert record.options == {"A": "CT", "B": "MRI", "C": "PET", "D": "US"}
    assert (record.answer, record.answer_type) == ("B", "choice")
    assert rejected[0].reason == "malformed_row" and rejected[0].where.endswith("train.csv:3")


def test_omnimedvqa_maps_answer_text_to_letter(tmp_path):
    write_image(tmp_path / "Images" / "ACRIMA" / "im1.png")
    row = {
        "dataset": "ACRIMA",
        "question_id": "ACRIMA_0",
        "question_type": "Disease Diagnosis",
        "question": "What is the finding?",
        "gt_answer": "Glaucoma",
        "image_path": "Images/ACRIMA/im1.png",
        "option_A": "Normal",
        "option_B": "Glaucoma",
        "modality_type": "Fundus Photography",
    }
    folder = tmp_path / "QA_information" / "Open-access"
    folder.mkdir(parents=True)
    (folder / "ACRIMA.json").write_text(json.dumps([row, {**row, "gt_answer": "Cataract"}]))
    records, rejected = read("omnimedvqa", tmp_path)
    assert [(r.answer, r.options, r.modality) for r in records] == [
        ("B", {"A": "Normal", "B": "Glaucoma"}, "Fundus Photography")
    ]
    assert rejected[0].reason == "malformed_row" and "not one of the options" in rejected[0].detail


def test_medxpertqa_mm(tmp_path):
    write_image(tmp_path / "images" / "MM-1-a.jpeg")
    write_image(tmp_path / "images" / "MM-1-b.jpeg", 30)
    question = "A 40-year-old man... What is the diagnosis?\nAnswer Choices: (A) Gout (B) Sepsis (C) Lupus"
    write_jsonl(
        tmp_path / "MM" / "test.jsonl",
        [
            {
                "id": "MM-1",
                "question": question,
                "options": {"A": "Gout", "B": "Sepsis", "C": "Lupus"},
                "label": "C",
                "images": ["MM-1-a.jpeg", "MM-1-b.jpeg"],
                "medical_task": "Diagnosis",
                "body_system": "Skeletal",
                "question_type": "Reasoning",
            },
            "{not json",
        ],
    )
    records, rejected = read("medxpertqa", tmp_path)
    (record,) = records
    assert record.question == "A 40-year-old man... What is the diagnosis?"
    assert (record.answer, record.official_split, record.question_type) == (
        "C",
        "test",
        "Diagnosis/Reasoning",
    )
    assert record.images == [tmp_path / "images" / "MM-1-a.jpeg", tmp_path / "images" / "MM-1-b.jpeg"]
    assert rejected[0].reason == "malformed_row" and rejected[0].where.endswith("test.jsonl:2")


def test_mmmu_health_subjects_only(tmp_path):
    def write(subject: str, rows: list[dict]) -> None:
        (tmp_path / subject).mkdir()
        columns = {key: [row.get(key) for row in rows] for key in rows[0]}
        pq.write_table(pa.table(columns), tmp_path / subject / "validation-00000-of-00001.parquet")

    image = {"bytes": png_bytes(80), "path": "x.png"}
    base = {
        "id": "validation_Clinical_Medicine_1",
        "question": "<image 1> Which organ is shown?",
        "options": "['Liver', 'Spleen']",
        "answer": "B",
        "image_1": image,
        "image_2": None,
        "img_type": "['Body Scans: MRI, CT scans, and X-rays']",
        "question_type": "multiple-choice",
        "subfield": "Radiology",
    }
    write("Clinical_Medicine", [base, {**base, "options": "['a', 'b'", "id": "bad"}])
    write("Art", [base])
    records, rejected = read("mmmu", tmp_path)
    (record,) = records
    assert record.options == {"A": "Liver", "B": "Spleen"} and record.answer == "B"
    assert record.images == [png_bytes(80)] and record.official_split == "val"
    assert record.modality == "Body Scans: MRI, CT scans, and X-rays"
    assert record.question_type == "Clinical_Medicine/Radiology"
    assert [r.reason for r in rejected] == ["malformed_row"]


def test_generic_jsonl_and_csv(tmp_path):
    write_image(tmp_path / "a.png")
    write_jsonl(
        tmp_path / "rows.jsonl",
        [
            {
                "image": "a.png",
                "question": "Which?",
                "answer": "A",
                "options": ["CT", "MRI"],
                "answer_type": "choice",
            },
            {"image": ["a.png", "a.png"], "question": "Same?", "answer": "yes", "modality": "CT"},
            {"image": "", "question": "Text only?", "answer": "no"},
        ],
    )
    with (tmp_path / "more.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "question", "answer", "options"])
        writer.writerow(["a.png", "Pick", "B", json.dumps({"A": "x", "B": "y"})])
        writer.writerow(["a.png", "Pick", "B", "{broken"])
    records, rejected = read("generic", tmp_path)
    by_question = {r.question: r for r in records}
    assert by_question["Which?"].options == {"A": "CT", "B": "MRI"}
    assert by_question["Which?"].answer_type == "choice"
    assert (
        by_question["Same?"].images == [tmp_path / "a.png"] * 2 and by_question["Same?"].answer_type is None
    )
    assert by_question["Text only?"].images == []
    assert by_question["Pick"].options == {"A": "x", "B": "y"}
    assert [r.reason for r in rejected] == ["malformed_row"] and rejected[0].where.endswith("more.csv:3")


def test_medqa(tmp_path):
    row = {
        "question": "Best drug?",
        "answer": "Heparin",
        "options": {"A": "Aspirin", "B": "Heparin"},
        "meta_info": "step1",
        "answer_idx": "B",
    }
    write_jsonl(tmp_path / "US" / "train.jsonl", [row, {**row, "answer_idx": "Z"}])
    records, rejected = read("medqa", tmp_path)
    assert [(r.answer, r.images, r.modality, r.official_split) for r in records] == [
        ("B", [], "text", "train")
    ]
    assert [r.reason for r in rejected] == ["malformed_row"]


def test_medmcqa_one_based_json_and_zero_based_parquet(tmp_path):
    row = {
        "id": "1",
        "question": "Vitamin?",
        "opa": "A1",
        "opb": "B1",
        "opc": "C1",
        "opd": "D1",
        "cop": 1,
        "subject_name": "Biochemistry",
    }
    write_jsonl(tmp_path / "train.json", [row, {**row, "cop": 7}])
    write_jsonl(tmp_path / "test.json", [{k: v for k, v in row.items() if k != "cop"}])
    pq.write_table(pa.table({k: [v] for k, v in {**row, "cop": 1}.items()}), tmp_path / "validation.parquet")
    records, rejected = read("medmcqa", tmp_path)
    answers = {(r.official_split, r.answer) for r in records}
    assert answers == {("train", "A"), ("test", ""), ("val", "B")}  # json cop 1 -> A; parquet cop 1 -> B
    assert [r.reason for r in rejected] == ["malformed_row"]


def test_pubmedqa(tmp_path):
    data = {
        "123": {
            "QUESTION": "Does X cause Y?",
            "CONTEXTS": ["Background.", "Results."],
            "final_decision": "maybe",
        },
        "456": {"QUESTION": "Is Z safe?", "CONTEXTS": ["C."], "final_decision": "perhaps"},
    }
    (tmp_path / "ori_pqal.json").write_text(json.dumps(data))
    records, rejected = read("pubmedqa", tmp_path)
    (record,) = records
    assert record.answer == "C" and record.options == {"A": "yes", "B": "no", "C": "maybe"}
    assert record.question.startswith("Context:\nBackground.\nResults.") and record.question.endswith("Y?")
    assert rejected[0].reason == "unknown_answer_type" and rejected[0].where.endswith("ori_pqal.json:456")


def test_missing_files_name_what_was_looked_for(tmp_path):
    with pytest.raises(SourceError, match="no SLAKE split files found"):
        read("slake", tmp_path)
    (tmp_path / "ori_pqal.json").write_text("{not json")
    with pytest.raises(SourceError, match="ori_pqal.json: not a readable JSON file"):
        read("pubmedqa", tmp_path)
