"""MMMU and MedFrameQA: images at their markers, missing images, choice rows, splits; the template keeps
every image where its marker was."""

from __future__ import annotations

import pytest
from source_fixtures import hub_image, png_bytes, read, tags, write_parquet

from rlvr.data.templates import IMAGE_PLACEHOLDER, get_template

MMMU_ROW = {
    "id": "validation_Clinical_Medicine_1",
    "question": "<image 1> Which organ is shown?",
    "options": "['Liver', 'Spleen']",
    "explanation": "",
    "image_1": hub_image(80),
    "image_2": None,
    "image_3": None,
    "img_type": "['Body Scans: MRI, CT scans, and X-rays']",
    "answer": "B",
    "topic_difficulty": "Easy",
    "question_type": "multiple-choice",
    "subfield": "Radiology",
}


def write_subject(root, subject: str, rows: list[dict], name: str = "validation-00000-of-00001.parquet"):
    write_parquet(root / subject / name, rows)


def test_mmmu_health_subjects_only_with_splits(tmp_path):
    write_subject(
        tmp_path, "Clinical_Medicine", [MMMU_ROW, {**MMMU_ROW, "options": "['a', 'b'", "id": "bad"}]
    )
    write_subject(tmp_path, "Clinical_Medicine", [MMMU_ROW], "dev-00000-of-00001.parquet")
    write_subject(tmp_path, "Pharmacy", [{**MMMU_ROW, "answer": "?"}], "test-00000-of-00001.parquet")
    write_subject(tmp_path, "Art", [MMMU_ROW])
    records, rejected = read("mmmu", tmp_path)
    assert tags(records) == [("val", ""), ("val", "MMMU-Med validation"), ("test", "")]
    record = records[1]
    assert record.options == {"A": "Liver", "B": "Spleen"} and record.answer == "B"
    assert record.images == [png_bytes(80)] and record.question == "<image> Which organ is shown?"
    assert record.modality == "Body Scans: MRI, CT scans, and X-rays"
    assert record.question_type == "Clinical_Medicine/Radiology"
    assert records[2].answer == ""  # the test split hides its answers
    assert [(r.reason, r.benchmark_split) for r in rejected] == [("malformed_row", "MMMU-Med validation")]


def test_mmmu_auto_converted_layout(tmp_path):
    write_parquet(tmp_path / "Clinical_Medicine" / "validation" / "0000.parquet", [MMMU_ROW])
    records, _ = read("mmmu", tmp_path)
    assert tags(records) == [("val", "MMMU-Med validation")]


def test_mmmu_null_image_for_a_marker_is_missing_image(tmp_path):
    row = {**MMMU_ROW, "image_1": None, "question": "Look at <image 1>. What is it?"}
    write_subject(tmp_path, "Clinical_Medicine", [row])
    records, rejected = read("mmmu", tmp_path)
    assert not records
    assert [(r.reason, r.benchmark_split) for r in rejected] == [("missing_image", "MMMU-Med validation")]
    assert "<image 1>" in rejected[0].detail


def test_mmmu_images_follow_their_markers_and_the_template_places_them(tmp_path):
    row = {
        **MMMU_ROW,
        "question": "Compare <image 2> with <image 1>.",
        "options": "['<image 3>', 'neither']",
        "image_1": hub_image(10),
        "image_2": hub_image(20),
        "image_3": hub_image(30),
    }
    write_subject(tmp_path, "Diagnostics_and_Laboratory_Medicine", [row])
    (record,), _ = read("mmmu", tmp_path)
    assert record.images == [png_bytes(20), png_bytes(10), png_bytes(30)]
    assert record.question == "Compare <image> with <image>."
    assert record.options == {"A": "<image>", "B": "neither"}
    content = get_template("think_answer").user_content(record.question, record.options, len(record.images))
    assert content.count(IMAGE_PLACEHOLDER) == 3
    assert content.startswith("Compare <image> with <image>.\nOptions:\nA. <image>\nB. neither")


def test_mmmu_unreferenced_image_goes_before_the_question(tmp_path):
    row = {**MMMU_ROW, "question": "What is shown in <image 2>?", "image_2": hub_image(20)}
    write_subject(tmp_path, "Public_Health", [row])
    (record,), _ = read("mmmu", tmp_path)
    assert record.images == [png_bytes(80), png_bytes(20)]
    assert record.question == "<image>\nWhat is shown in <image>?"


@pytest.mark.parametrize(
    "question_type, answer, options, expected_type, expected_answer",
    [
        ("open", "C", "['x', 'y', 'z']", "choice", "C"),  # an "open" row answered by a letter: a choice
        ("open", "c", "['x', 'y', 'z']", "choice", "C"),
        ("open", "12", "['x', 'y', 'z']", None, "12"),
        ("open", "D", "[]", None, "D"),  # no options: a letter is just text
        ("multiple-choice", "A", "['x', 'y']", "choice", "A"),
    ],
)
def test_mmmu_open_rows_answered_by_a_letter_are_choice_rows(
    tmp_path, question_type, answer, options, expected_type, expected_answer
):
    write_subject(
        tmp_path,
        "Basic_Medical_Science",
        [{**MMMU_ROW, "question_type": question_type, "answer": answer, "options": options}],  # fmt: skip
    )
    (record,), _ = read("mmmu", tmp_path)
    assert (record.answer_type, record.answer) == (expected_type, expected_answer)
    assert bool(record.options) == (expected_type == "choice")


FRAME_ROW = {
    "question_id": "q1",
    "system": "Digestive",
    "organ": "Liver",
    "keyword": "cirrhosis",
    "modality": "Ultrasound",
    "video_id": "abc",
    "question": "Across the first and second frames, which finding is present?",
    "options": ["Ascites", "Normal liver", "Gallstones", "Portal vein thrombosis"],
    "correct_answer": "A",
    "reasoning_chain": "...",
    "image_url": ["u1", "u2"],
    "image_1": hub_image(1),
    "image_2": hub_image(2),
    "image_3": None,
    "image_4": None,
    "image_5": None,
}


def test_medframeqa_multi_image_rows(tmp_path):
    rows = [
        FRAME_ROW,
        {**FRAME_ROW, "correct_answer": "Gallstones", "image_3": hub_image(3)},
        {**FRAME_ROW, "image_1": None, "image_2": None},
        {**FRAME_ROW, "correct_answer": "Cirrhosis"},
    ]
    write_parquet(tmp_path / "data" / "test-00000-of-00001.parquet", rows)
    records, rejected = read("medframeqa", tmp_path)
    assert [(r.answer, len(r.images)) for r in records] == [("A", 2), ("C", 3)]
    assert records[1].images == [png_bytes(1), png_bytes(2), png_bytes(3)]
    assert records[0].question.startswith("<image><image>\n")
    assert (records[0].modality, records[0].body_part, records[0].question_type) == (
        "Ultrasound",
        "Liver",
        "Digestive",
    )
    assert [r.reason for r in rejected] == ["missing_image", "malformed_row"]
    assert set(tags(records) + tags(rejected)) == {("test", "MedFrameQA")}


def test_medframeqa_whole_set_is_the_benchmark_whatever_its_split_is_called(tmp_path):
    write_parquet(tmp_path / "data" / "train-00000-of-00001.parquet", [FRAME_ROW])
    records, _ = read("medframeqa", tmp_path)
    assert tags(records) == [("train", "MedFrameQA")]
