"""VQA-RAD (OSF JSON, MEVF data_RAD, hub parquet) and SLAKE (en + zh): labels, splits, body parts."""

from __future__ import annotations

import pytest
from source_fixtures import hub_image, png_bytes, read, tags, write_image, write_json, write_parquet

from rlvr.data.prepare import PrepareError, PrepareOptions, prepare

OSF_ROW = {
    "qid": 1,
    "image_name": "synpic1.jpg",
    "image_case_url": "https://medpix.nlm.nih.gov/case?id=1",
    "image_organ": "CHEST",
    "answer": "Yes",
    "answer_type": "CLOSED",
    "question_type": "PRES",
    "question": "Is there a fracture?",
    "phrase_type": "freeform",
}
# CLOSED questions whose answer is not yes/no: the label, not the answer, decides the type
EITHER_OR = [
    ("Is this an AP or PA film?", "AP", "CLOSED"),
    ("Which is bigger, the liver or the spleen?", "Liver", "CLOSED"),
    ("How many ribs are fractured?", 2, "OPEN"),
    ("Is the heart enlarged?", "No", "OPEN"),
]


def test_vqa_rad_osf_release(tmp_path):
    write_image(tmp_path / "VQA_RAD Image Folder" / "synpic1.jpg")
    rows = [OSF_ROW]
    rows += [
        {**OSF_ROW, "qid": i + 2, "question": q, "answer": a, "answer_type": t, "phrase_type": phrase}
        for i, ((q, a, t), phrase) in enumerate(
            zip(EITHER_OR, ["test_freeform", "para", "test_para", "freeform"], strict=True)
        )
    ]
    rows.append({**OSF_ROW, "qid": 9, "answer_type": "MAYBE", "phrase_type": "test_freeform"})
    write_json(tmp_path / "VQA_RAD Dataset Public.json", rows)
    records, rejected = read("vqa_rad", tmp_path)
    assert [(r.question, r.answer, r.answer_type) for r in records] == [
        ("Is there a fracture?", "Yes", "closed"),
        ("Is this an AP or PA film?", "AP", "closed"),
        ("Which is bigger, the liver or the spleen?", "Liver", "closed"),
        ("How many ribs are fractured?", "2", "open"),
        ("Is the heart enlarged?", "No", "open"),
    ]
    assert tags(records) == [
        ("train", ""),
        ("test", "VQA-RAD test"),
        ("train", ""),
        ("test", "VQA-RAD test"),
        ("train", ""),
    ]
    assert {(r.body_part, r.question_type) for r in records} == {("CHEST", "PRES")}
    assert records[0].images == [tmp_path / "VQA_RAD Image Folder" / "synpic1.jpg"]
    (bad,) = rejected
    assert (bad.reason, bad.where, bad.official_split, bad.benchmark_split) == (
        "unknown_answer_type",
        f"{tmp_path / 'VQA_RAD Dataset Public.json'}:5",
        "test",
        "VQA-RAD test",
    )


def test_vqa_rad_mevf_data_rad(tmp_path):
    folder = tmp_path / "data_RAD"
    write_image(folder / "images" / "synpic1.jpg")
    write_json(folder / "trainset.json", [OSF_ROW])
    write_json(folder / "testset.json", [{**OSF_ROW, "phrase_type": "test_para", "answer": "no"}])
    records, _ = read("vqa_rad", tmp_path)
    assert tags(records) == [("test", "VQA-RAD test"), ("train", "")]
    assert records[0].images == [folder / "images" / "synpic1.jpg"]


def test_vqa_rad_hub_parquet_closed_means_yes_no(tmp_path):
    rows = [
        {"image": hub_image(10), "question": "is there a pneumothorax?", "answer": "yes"},
        {"image": hub_image(20), "question": "where is the lesion?", "answer": "left lung"},
        {"image": None, "question": "what is this?", "answer": "no"},
    ]
    write_parquet(tmp_path / "data" / "train-00000-of-00001-abc.parquet", rows[:2])
    write_parquet(tmp_path / "data" / "test-00000-of-00001-def.parquet", rows)
    records, rejected = read("vqa_rad", tmp_path)
    assert [(r.answer_type, r.images) for r in records] == [
        ("closed", [png_bytes(10)]),
        ("open", [png_bytes(20)]),
        ("closed", [png_bytes(10)]),
        ("open", [png_bytes(20)]),
    ]
    assert tags(records) == [("test", "VQA-RAD test")] * 2 + [("train", "")] * 2
    assert [(r.reason, r.official_split) for r in rejected] == [("missing_image", "test")]
    one_file, _ = read("vqa_rad", tmp_path / "data" / "train-00000-of-00001-abc.parquet")
    assert tags(one_file) == [("train", "")] * 2


SLAKE_ROW = {
    "img_id": 1,
    "img_name": "xmlab1/source.jpg",
    "question": "Which organ is abnormal?",
    "answer": "Lung",
    "q_lang": "en",
    "location": "Chest",
    "modality": "CT",
    "answer_type": "OPEN",
    "base_type": "vqa",
    "content_type": "Organ",
    "triple": ["vhead", "_", "_"],
    "qid": 1,
}


@pytest.mark.parametrize("validation_file", ["validate.json", "validation.json"])
def test_slake_reads_both_languages_and_tags_the_test_file(tmp_path, validation_file):
    write_image(tmp_path / "imgs" / "xmlab1" / "source.jpg")
    chinese = {**SLAKE_ROW, "q_lang": "zh", "question": "哪个器官不正常？", "answer": "肺"}
    write_json(tmp_path / "train.json", [SLAKE_ROW, chinese])
    write_json(tmp_path / validation_file, [{**SLAKE_ROW, "answer_type": "CLOSED", "answer": "No"}])
    write_json(tmp_path / "test.json", [chinese, {**SLAKE_ROW, "q_lang": "fr"}])
    records, rejected = read("slake", tmp_path)
    assert [(r.language, r.answer, r.answer_type) for r in records] == [
        ("zh", "肺", "open"),
        ("en", "Lung", "open"),
        ("zh", "肺", "open"),
        ("en", "No", "closed"),
    ]
    assert tags(records) == [("test", "SLAKE test"), ("train", ""), ("train", ""), ("val", "")]
    assert {(r.modality, r.body_part, r.question_type) for r in records} == {("CT", "Chest", "Organ")}
    assert records[1].images == [tmp_path / "imgs" / "xmlab1" / "source.jpg"]
    assert [(r.reason, r.official_split, r.benchmark_split) for r in rejected] == [
        ("malformed_row", "test", "SLAKE test")
    ]


def test_slake_empty_answer_in_train_json_is_reported_with_file_and_row(tmp_path):
    """The released train.json has a row with an empty answer: --on-error fail stops on it by name."""
    write_image(tmp_path / "imgs" / "xmlab1" / "source.jpg")
    write_json(tmp_path / "train.json", [SLAKE_ROW, {**SLAKE_ROW, "answer": ""}, SLAKE_ROW])
    records, rejected = read("slake", tmp_path)
    assert not rejected and records[1].answer == ""  # yielded; the pipeline decides
    options = PrepareOptions(sources=[("slake", tmp_path)], out_dir=tmp_path / "out", on_error="fail")
    with pytest.raises(PrepareError, match=r"train\.json:1: empty answer"):
        prepare(options)
