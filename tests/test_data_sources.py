"""Converters: the registry, every source's failure on an empty folder, and the smaller layouts
(OmniMedVQA, PathVQA, generic). Each fixture is written in its dataset's released layout."""

from __future__ import annotations

import json
import re

import pytest
from source_fixtures import (
    hub_image,
    png_bytes,
    read,
    tags,
    write_csv,
    write_image,
    write_json,
    write_jsonl,
    write_parquet,
)

from rlvr.data.records import ERROR_REASONS, RawRecord, Rejected
from rlvr.data.sources import SOURCES, get_source
from rlvr.data.sources.rows import SourceError

BENCHMARK_SOURCES = {
    "vqa_rad": "VQA-RAD test",
    "slake": "SLAKE test",
    "pathvqa": "PathVQA test",
    "pmc_vqa": "PMC-VQA test",
    "omnimedvqa": "OmniMedVQA",
    "medxpertqa": "MedXpertQA-MM test",
    "medxpertqa_text": "MedXpertQA-Text test",
    "mmmu": "MMMU-Med validation",
    "medqa_usmle_4op": "MedQA-USMLE test",
    "medqa_usmle_5op": "MedQA-USMLE test",
    "medmcqa": "MedMCQA validation",
    "pubmedqa": "PubMedQA test",
    "mmlu": "MMLU-Med test",
    "medbullets": "Medbullets",
    "supergpqa": "SuperGPQA-Medicine",
    "medframeqa": "MedFrameQA",
}


def test_every_lingshu_set_has_a_source_that_names_its_benchmark():
    expected = {
        *BENCHMARK_SOURCES,
        "generic",
        "medqa",
        "medqa_mainland",
        "medqa_mainland_4op",
        "medqa_taiwan",
    }
    assert expected == set(SOURCES)
    for name, benchmark in BENCHMARK_SOURCES.items():
        assert SOURCES[name].benchmarks == (benchmark,), name
        assert f"'{benchmark}'" in SOURCES[name].description, name
    with pytest.raises(KeyError, match="known sources: generic"):
        get_source("vqarad")


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_an_empty_folder_stops_with_a_message_naming_the_folder(name, tmp_path):
    with pytest.raises(SourceError, match=re.escape(str(tmp_path))):
        list(get_source(name).read(tmp_path))


def test_omnimedvqa_maps_answer_text_to_letter_and_tags_every_row(tmp_path):
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
    write_json(
        tmp_path / "QA_information" / "Open-access" / "ACRIMA.json", [row, {**row, "gt_answer": "Cataract"}]
    )
    restricted = {**row, "modality": "CT(Computed Tomography)", "modality_type": None}
    write_json(tmp_path / "QA_information" / "Restricted-access" / "X.json", [restricted])
    records, rejected = read("omnimedvqa", tmp_path)
    assert [(r.answer, r.options, r.modality, r.question_type) for r in records] == [
        ("B", {"A": "Normal", "B": "Glaucoma"}, "Fundus Photography", "Disease Diagnosis"),
        ("B", {"A": "Normal", "B": "Glaucoma"}, "CT(Computed Tomography)", "Disease Diagnosis"),
    ]
    assert records[0].images == [tmp_path / "Images" / "ACRIMA" / "im1.png"]
    assert rejected[0].reason == "malformed_row" and "not one of the options" in rejected[0].detail
    assert tags(records) + tags(rejected) == [("", "OmniMedVQA")] * 3  # no official split: all benchmark


@pytest.mark.parametrize(
    "relative, split, benchmark",
    [
        ("data/train-00000-of-00001.parquet", "train", ""),
        ("data/validation-00000-of-00001.parquet", "val", ""),
        ("data/test-00000-of-00001.parquet", "test", "PathVQA test"),
        ("default/test/0000.parquet", "test", "PathVQA test"),  # the hub's auto-converted layout
        ("default/train/0000.parquet", "train", ""),
        ("default/validation/0000.parquet", "val", ""),
    ],
)
def test_pathvqa_split_comes_from_the_whole_relative_path(tmp_path, relative, split, benchmark):
    rows = [
        {"image": hub_image(50), "question": "Is this tissue necrotic?", "answer": "yes"},
        {"image": {"bytes": None, "path": None}, "question": "What is shown?", "answer": "fibrosis"},
    ]
    write_parquet(tmp_path / "release" / relative, rows)
    records, rejected = read("pathvqa", tmp_path / "release")
    (record,) = records
    assert record.images == [png_bytes(50)] and record.modality == "pathology"
    assert [r.reason for r in rejected] == ["missing_image"]
    assert tags(records) + tags(rejected) == [(split, benchmark)] * 2


def test_pathvqa_jsonl(tmp_path):
    write_image(tmp_path / "images" / "p1.png")
    write_jsonl(tmp_path / "test.jsonl", [{"image": "images/p1.png", "question": "Q?", "answer": "no"}])
    records, _ = read("pathvqa", tmp_path)
    assert records[0].images == [tmp_path / "images" / "p1.png"]
    assert tags(records) == [("test", "PathVQA test")]


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
            {"image": "", "question": "Text only?", "answer": "no", "split": "test", "language": "ZH"},
            {
                "image": "a.png",
                "question": "Held?",
                "answer": "no",
                "benchmark_split": "My bench",
                "body_part": "Chest",
            },
        ],
    )
    write_csv(
        tmp_path / "more.csv",
        ["image", "question", "answer", "options"],
        [["a.png", "Pick", "B", json.dumps({"A": "x", "B": "y"})], ["a.png", "Pick", "B", "{broken"]],
    )
    records, rejected = read("generic", tmp_path)
    by_question = {r.question: r for r in records}
    assert by_question["Which?"].options == {"A": "CT", "B": "MRI"}
    assert by_question["Which?"].answer_type == "choice"
    assert (
        by_question["Same?"].images == [tmp_path / "a.png"] * 2 and by_question["Same?"].answer_type is None
    )
    text_only = by_question["Text only?"]
    assert text_only.images == [] and (text_only.official_split, text_only.language) == ("test", "zh")
    held = by_question["Held?"]
    assert (held.benchmark_split, held.body_part, held.language) == ("My bench", "Chest", "en")
    assert by_question["Pick"].options == {"A": "x", "B": "y"}
    assert [r.reason for r in rejected] == ["malformed_row"] and rejected[0].where.endswith("more.csv:3")


def test_a_folder_named_like_a_split_above_the_release_is_not_a_split(tmp_path):
    root = tmp_path / "test_sets" / "mine"
    write_jsonl(root / "rows.jsonl", [{"image": "", "question": "Q?", "answer": "yes"}])
    records, _ = read("generic", root)
    assert tags(records) == [("", "")]


def test_every_error_reason_a_converter_uses_is_known_to_the_pipeline(tmp_path):
    write_csv(
        tmp_path / "train.csv",
        ["Figure_path", "Question", "Answer", "Choice A", "Choice B", "Choice C", "Choice D", "Answer_label"],
        [["f.jpg", "Q?", "something else", "A:1", "B:2", "C:3", "D:4", "A"]],
    )
    (rejected,) = list(get_source("pmc_vqa").read(tmp_path))
    assert isinstance(rejected, Rejected) and rejected.reason in ERROR_REASONS and rejected.is_error


def test_a_source_can_be_given_one_file(tmp_path):
    path = write_jsonl(tmp_path / "MM" / "test.jsonl", [{"id": "MM-1", "question": "Q", "options": {"A": "x"},
                                                           "label": "A", "images": []}])  # fmt: skip
    records = list(get_source("medxpertqa").read(path))
    assert [type(r) for r in records] == [RawRecord] and tags(records) == [("test", "MedXpertQA-MM test")]
