"""Text sets: MedQA variants, MedMCQA, MMLU-Med, Medbullets, SuperGPQA, MedXpertQA (MM and Text)."""

from __future__ import annotations

import pytest
from source_fixtures import read, tags, write_csv, write_image, write_json, write_jsonl, write_parquet

from rlvr.data.sources.rows import SourceError

STEM = "A 45-year-old man has chest pain. Which drug is best?"
USMLE_5 = {"A": "Aspirin", "B": "Heparin", "C": "Warfarin", "D": "Alteplase", "E": "Clopidogrel"}


def medqa_row(options: dict, answer_idx: str, **extra) -> dict:
    return {"question": STEM, "answer": options[answer_idx], "options": options, "meta_info": "step1",
            "answer_idx": answer_idx, **extra}  # fmt: skip


def data_clean(root):
    """The released data_clean/questions tree: every variant, plus files that must never be read."""
    questions = root / "data_clean" / "questions"
    four = {k: USMLE_5[k] for k in "ABCD"}
    for split in ("train", "dev", "test"):
        write_jsonl(questions / "US" / f"{split}.jsonl", [medqa_row(USMLE_5, "B")])
        write_jsonl(
            questions / "US" / "4_options" / f"phrases_no_exclude_{split}.jsonl", [medqa_row(four, "B")]
        )
        zh = {"A": "阿司匹林", "B": "肝素", "C": "华法林", "D": "阿替普酶", "E": "氯吡格雷"}
        write_jsonl(
            questions / "Mainland" / f"{split}.jsonl", [{**medqa_row(zh, "B"), "question": "最佳药物？"}]
        )
        write_jsonl(
            questions / "Taiwan" / f"{split}.jsonl", [{**medqa_row(four, "A"), "question": "最佳藥物？"}]
        )
    write_jsonl(questions / "US" / "US_qbank.jsonl", [medqa_row(USMLE_5, "B")] * 3)
    write_jsonl(
        questions / "Taiwan" / "tw_translated_jsonl" / "en" / "test-2en.jsonl", [medqa_row(four, "A")]
    )
    write_jsonl(questions / "US" / "metamap_extracted_phrases" / "test" / "x.jsonl", [medqa_row(four, "A")])
    return root / "data_clean"


@pytest.mark.parametrize(
    "name, n_options, language, test_benchmark",
    [
        ("medqa_usmle_4op", 4, "en", "MedQA-USMLE test"),
        ("medqa_usmle_5op", 5, "en", "MedQA-USMLE test"),
        ("medqa_mainland", 5, "zh", ""),
        ("medqa_taiwan", 4, "zh", ""),
    ],
)
def test_medqa_each_variant_reads_only_its_files(tmp_path, name, n_options, language, test_benchmark):
    records, rejected = read(name, data_clean(tmp_path))
    assert not rejected and len(records) == 3  # no qbank, metamap or translated rows
    assert {len(r.options) for r in records} == {n_options} and {r.language for r in records} == {language}
    assert sorted(tags(records)) == [("test", test_benchmark), ("train", ""), ("val", "")]
    assert {(r.modality, r.question_type, r.answer_type) for r in records} == {("text", "step1", "choice")}


def test_medqa_4_and_5_option_rows_of_one_question_are_both_kept(tmp_path):
    root = data_clean(tmp_path)
    four, _ = read("medqa_usmle_4op", root)
    five, _ = read("medqa_usmle_5op", root)
    assert {r.question for r in four} == {r.question for r in five}
    assert {tuple(r.options) for r in four} == {tuple("ABCD")} and {tuple(r.options) for r in five} == {
        tuple("ABCDE")
    }


def test_medqa_without_a_variant_name_refuses_a_mixed_folder(tmp_path):
    root = data_clean(tmp_path)
    with pytest.raises(SourceError, match="several MedQA variants: medqa_mainland .*medqa_usmle_4op"):
        read("medqa", root)
    records, _ = read("medqa", root / "questions" / "US" / "4_options")  # one variant: read
    assert {len(r.options) for r in records} == {4}
    with pytest.raises(SourceError, match="no MedQA Taiwan"):
        read("medqa_taiwan", root / "questions" / "US")


def test_medqa_hub_copy_and_plain_files(tmp_path):
    four = {k: USMLE_5[k] for k in "ABCD"}
    write_jsonl(tmp_path / "hub" / "phrases_no_exclude_test.jsonl", [medqa_row(four, "B")])
    records, _ = read("medqa_usmle_4op", tmp_path / "hub")
    assert tags(records) == [("test", "MedQA-USMLE test")]
    write_jsonl(
        tmp_path / "plain" / "test.jsonl",
        [medqa_row(four, "B"), {**medqa_row(four, "B"), "question": "哪个？"}],
    )
    records, _ = read("medqa", tmp_path / "plain")
    assert [(r.language, *tags([r])[0]) for r in records] == [
        ("en", "test", "MedQA-USMLE test"),
        ("zh", "test", ""),
    ]


def test_medqa_answer_idx_disagreeing_with_the_answer_text(tmp_path):
    four = {k: USMLE_5[k] for k in "ABCD"}
    rows = [
        {**medqa_row(four, "B"), "answer_idx": "C"},  # text is choice B's: fixed, noted
        {**medqa_row(four, "B"), "answer": "Heparin sodium"},  # a paraphrase of no choice: label kept
        {**medqa_row(four, "B"), "answer_idx": "Z", "answer": "Nothing"},
    ]
    write_jsonl(tmp_path / "US" / "4_options" / "phrases_no_exclude_train.jsonl", rows)
    records, rejected = read("medqa_usmle_4op", tmp_path)
    assert [(r.answer, [kind for kind, _ in r.notes]) for r in records] == [("B", ["label_fixed"]), ("B", [])]
    assert [r.reason for r in rejected] == ["malformed_row"]


MEDMCQA_ROW = {"id": "1", "question": "All of the following are true EXCEPT:", "opa": "A1", "opb": "B1",
               "opc": "C1", "opd": "D1", "cop": 1, "choice_type": "single", "exp": "",
               "subject_name": "Anatomy", "topic_name": None}  # fmt: skip


def test_medmcqa_original_release_and_shared_stems(tmp_path):
    shared = {**MEDMCQA_ROW, "id": "2", "opa": "W", "opb": "X", "opc": "Y", "opd": "Z", "cop": 3}
    write_jsonl(tmp_path / "train.json", [MEDMCQA_ROW, shared, {**MEDMCQA_ROW, "cop": 7}])
    write_jsonl(tmp_path / "dev.json", [MEDMCQA_ROW])
    write_jsonl(tmp_path / "test.json", [{k: v for k, v in MEDMCQA_ROW.items() if k != "cop"}])
    records, rejected = read("medmcqa", tmp_path)
    by_split = {}
    for record in records:
        by_split.setdefault(record.official_split, []).append(record)
    # two rows share the stem with different options: both kept, each with its own answer
    assert [(r.options["A"], r.answer) for r in by_split["train"]] == [("A1", "A"), ("W", "C")]
    assert tags(by_split["val"]) == [("val", "MedMCQA validation")] and by_split["test"][0].answer == ""
    assert by_split["train"][0].question_type == "Anatomy"
    assert [(r.reason, r.official_split) for r in rejected] == [("malformed_row", "train")]


def test_medmcqa_hub_parquet_is_zero_based(tmp_path):
    for split, cop in (("train", 1), ("validation", 0), ("test", -1)):
        write_parquet(tmp_path / "data" / f"{split}-00000-of-00001.parquet", [{**MEDMCQA_ROW, "cop": cop}])
    records, _ = read("medmcqa", tmp_path)
    assert [(r.answer, *tags([r])[0]) for r in records] == [
        ("", "test", ""),
        ("B", "train", ""),
        ("A", "val", "MedMCQA validation"),
    ]


def test_mmlu_released_csv_six_subjects_only(tmp_path):
    row = ["Which nerve supplies the deltoid?", "Axillary", "Radial", "Ulnar", "Median", "A"]
    for split in ("dev", "val", "test"):
        write_csv(tmp_path / "data" / split / f"anatomy_{split}.csv", None, [row])
    write_csv(tmp_path / "data" / "test" / "astronomy_test.csv", None, [row])
    write_csv(tmp_path / "data" / "test" / "medical_genetics_test.csv", None, [row, row[:3], [*row[:5], "E"]])
    records, rejected = read("mmlu", tmp_path)
    assert sorted((r.question_type, *tags([r])[0]) for r in records) == [
        ("anatomy", "test", "MMLU-Med test"),
        ("anatomy", "val", ""),
        ("anatomy", "val", ""),
        ("medical_genetics", "test", "MMLU-Med test"),
    ]
    assert {(r.answer, r.options["A"]) for r in records} == {("A", "Axillary")}
    assert [r.reason for r in rejected] == ["malformed_row", "malformed_row"]
    assert rejected[0].where.endswith("medical_genetics_test.csv:2")


def test_mmlu_hub_parquet_prefers_subject_folders_over_all(tmp_path):
    row = {"question": "Q?", "subject": "college_medicine", "choices": ["a", "b", "c", "d"], "answer": 2}
    write_parquet(tmp_path / "college_medicine" / "test-00000-of-00001.parquet", [row])
    write_parquet(tmp_path / "all" / "test-00000-of-00001.parquet", [row, {**row, "subject": "astronomy"}])
    records, _ = read("mmlu", tmp_path)
    assert [(r.answer, r.question_type, *tags([r])[0]) for r in records] == [
        ("C", "college_medicine", "test", "MMLU-Med test")
    ]
    (tmp_path / "college_medicine" / "test-00000-of-00001.parquet").unlink()
    records, _ = read("mmlu", tmp_path)  # only all/: its medical rows
    assert [r.question_type for r in records] == ["college_medicine"]


def test_medbullets_csv_json_and_hub_forms(tmp_path):
    header4 = ["link", "question", "opa", "opb", "opc", "opd", "answer_idx", "answer", "explanation"]
    op4 = ["https://x", "Which?", "w", "x", "y", "z", "C", "y", "because"]
    write_csv(tmp_path / "medbullets" / "medbullets_op4.csv", header4, [op4, [*op4[:6], "A", "y", ""]])
    header5 = ["link", "question", "opa", "opb", "opc", "opd", "ope", "answer_idx", "answer", "explanation"]
    write_csv(tmp_path / "medbullets" / "medbullets_op5.csv", header5, [[*op4[:6], "v", "E", "v", ""]])
    columns = {"question": {"0": "Which?"}, "opa": {"0": "w"}, "opb": {"0": "x"}, "opc": {"0": "y"},
               "opd": {"0": "z"}, "answer_idx": {"0": "B"}, "answer": {"0": "x"}}  # fmt: skip
    write_json(tmp_path / "json" / "medbullets_op4.json", columns)
    write_parquet(tmp_path / "hub" / "train.parquet", [{"question": "Q", "options": {"A": "p", "B": "q"},
                                                        "answer_idx": "B", "answer": "q"}])  # fmt: skip
    write_json(tmp_path / "medbullets" / "medbullets_op5.json", {"question": {"0": "a copy of the csv"}})
    records, _ = read("medbullets", tmp_path)
    assert [(r.question_type, r.answer, [k for k, _ in r.notes]) for r in records] == [
        ("op2", "B", []),
        ("op4", "B", []),
        ("op4", "C", []),
        ("op4", "C", ["label_fixed"]),
        ("op5", "E", []),
    ]
    assert set(tags(records)) == {("", "Medbullets")}


def test_supergpqa_medicine_rows(tmp_path):
    row = {"uuid": "u1", "question": "Which enzyme?", "options": [f"opt{i}" for i in range(10)],
           "answer": "opt7", "answer_letter": "H", "discipline": "Medicine", "field": "Clinical Medicine",
           "subfield": "Cardiology", "difficulty": "hard", "is_calculation": False}  # fmt: skip
    other = {**row, "uuid": "u2", "discipline": "Engineering"}
    write_jsonl(tmp_path / "SuperGPQA-all.jsonl", [row, other, {**row, "options": ["a"] * 11}, "{broken"])
    records, rejected = read("supergpqa", tmp_path)
    (record,) = records
    assert (record.answer, len(record.options), record.options["J"]) == ("H", 10, "opt9")
    assert record.question_type == "Clinical Medicine/Cardiology" and record.modality == "text"
    assert [r.reason for r in rejected] == ["malformed_row", "malformed_row"]
    assert set(tags(records) + tags(rejected)) == {("", "SuperGPQA-Medicine")}


MXQ_QUESTION = "A 40-year-old man... What is the diagnosis?\nAnswer Choices: (A) Gout (B) Sepsis (C) Lupus"


def test_medxpertqa_hub_layout_mm_and_text(tmp_path):
    write_image(tmp_path / "images" / "MM-1-a.jpeg")
    write_image(tmp_path / "images" / "MM-1-b.jpeg", 30)
    mm = {"id": "MM-1", "question": MXQ_QUESTION, "options": {"A": "Gout", "B": "Sepsis", "C": "Lupus"},
          "label": "C", "images": ["MM-1-a.jpeg", "MM-1-b.jpeg"], "medical_task": "Diagnosis",
          "body_system": "Skeletal", "question_type": "Reasoning"}  # fmt: skip
    text_row = {**mm, "id": "Text-1", "images": []}
    write_jsonl(tmp_path / "MM" / "test.jsonl", [mm, "{not json"])
    write_jsonl(tmp_path / "MM" / "dev.jsonl", [mm])
    write_jsonl(tmp_path / "Text" / "test.jsonl", [text_row])
    records, rejected = read("medxpertqa", tmp_path)
    assert tags(records) == [("val", ""), ("test", "MedXpertQA-MM test")]
    record = records[1]
    assert record.question == "A 40-year-old man... What is the diagnosis?"
    assert (record.answer, record.question_type, record.body_part) == ("C", "Diagnosis/Reasoning", "Skeletal")
    assert record.images == [tmp_path / "images" / "MM-1-a.jpeg", tmp_path / "images" / "MM-1-b.jpeg"]
    assert rejected[0].reason == "malformed_row" and rejected[0].where.endswith("MM/test.jsonl:2")
    texts, _ = read("medxpertqa_text", tmp_path)
    assert [(r.images, r.modality, *tags([r])[0]) for r in texts] == [
        ([], "text", "test", "MedXpertQA-Text test")
    ]


def test_medxpertqa_github_evaluation_inputs(tmp_path):
    folder = tmp_path / "eval" / "data" / "medxpertqa" / "input"
    row = {"id": "MM-0", "question": MXQ_QUESTION,
           "options": [{"letter": "A", "content": "Gout"}, {"letter": "B", "content": "Sepsis"}],
           "label": ["B"], "images": [{"image_path": "MM-0-a.jpeg"}], "medical_task": "Treatment",
           "body_system": "Skeletal", "question_type": "Reasoning"}  # fmt: skip
    write_jsonl(folder / "medxpertqa_mm_input.jsonl", [row, {**row, "label": ["A", "B"]}])
    write_jsonl(folder / "medxpertqa_text_input.jsonl", [{**row, "id": "Text-0", "images": []}])
    records, rejected = read("medxpertqa", tmp_path)
    assert [(r.answer, r.options, r.images) for r in records] == [
        ("B", {"A": "Gout", "B": "Sepsis"}, [tmp_path / "images" / "MM-0-a.jpeg"])
    ]
    assert tags(records) == [("test", "MedXpertQA-MM test")] and rejected[0].reason == "malformed_row"
    texts, _ = read("medxpertqa_text", tmp_path)
    assert tags(texts) == [("test", "MedXpertQA-Text test")]
