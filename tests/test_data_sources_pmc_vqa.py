"""PMC-VQA: version 1 (label checked against the answer text) and version 2 (train_2/test_2 + figures/)."""

from __future__ import annotations

from source_fixtures import read, tags, write_csv, write_image

V1_HEADER = [
    "Figure_path",
    "Question",
    "Answer",
    "Choice A",
    "Choice B",
    "Choice C",
    "Choice D",
    "Answer_label",
]
V2_HEADER = ["index", "Figure_path", "Caption", "Question", "Choice A", "Choice B", "Choice C", "Choice D",
             "Answer", "split"]  # fmt: skip
CHOICES = [" A:CT ", " B:MRI", " C:PET", " D:Ultrasound"]


def v1_row(answer_text: str, label: str, question: str = "What modality is shown?") -> list[str]:
    return ["PMC1_fig1.jpg", question, answer_text, *CHOICES, label]


def test_v1_label_is_checked_against_the_answer_text(tmp_path):
    write_image(tmp_path / "images" / "PMC1_fig1.jpg")
    rows = [
        v1_row("MRI", "B"),  # agree
        v1_row("MRI", "C"),  # like real row 78238: label C, text of choice B -> fixed to B, noted
        v1_row(" mri. ", "B"),  # the same text up to case, spacing and a full stop
        v1_row("Positron emission", "C"),  # the text is no choice: not trusted either way
        v1_row("x", "F"),  # a label naming no choice, text naming none
        v1_row("MRI", ""),  # no label: the text decides
    ]
    write_csv(tmp_path / "train.csv", V1_HEADER, rows)
    records, rejected = read("pmc_vqa", tmp_path)
    assert [(r.where.rsplit(":", 1)[1], r.answer) for r in records] == [
        ("2", "B"),
        ("3", "B"),
        ("4", "B"),
        ("7", "B"),
    ]
    assert records[0].options == {"A": "CT", "B": "MRI", "C": "PET", "D": "Ultrasound"}
    assert [r.notes for r in records] == [
        [],
        [("label_fixed", "label 'C' but the answer text is choice B's")],
        [],
        [],
    ]
    assert [(r.reason, r.where.rsplit(":", 1)[1]) for r in rejected] == [
        ("label_mismatch", "5"),
        ("malformed_row", "6"),
    ]
    assert all(r.answer_type == "choice" for r in records)
    assert records[0].images == [tmp_path / "images" / "PMC1_fig1.jpg"]
    assert set(tags(records) + tags(rejected)) == {("train", "")}


def test_v1_text_naming_two_identical_choices_is_a_mismatch(tmp_path):
    row = ["f.jpg", "Q?", "Same", "A:Same", "B:Other", "C:Same", "D:Else", "B"]
    write_csv(tmp_path / "test.csv", V1_HEADER, [row])
    (rejected,) = read("pmc_vqa", tmp_path)[1]
    assert (rejected.reason, rejected.official_split, rejected.benchmark_split) == (
        "label_mismatch",
        "test",
        "PMC-VQA test",
    )


def test_v2_reads_letter_answers_split_column_and_figures_folder(tmp_path):
    write_image(tmp_path / "figures" / "PMC2_F1.jpg")
    write_image(tmp_path / "images" / "PMC3_F2.jpg")
    plain = ["CT", "MRI", "X-ray", "PET"]
    write_csv(
        tmp_path / "train_2.csv",
        V2_HEADER,
        [
            [0, "PMC2_F1.jpg", "Figure 1. Axial CT.", "Which modality?", *CHOICES, "A", "train"],
            [1, "PMC3_F2.jpg", "Figure 2.", "Which modality?", *plain, "B", "train"],
            [2, "PMC2_F1.jpg", "Figure 1.", "Which one?", *plain, "B:MRI", "train"],
            [3, "PMC2_F1.jpg", "Figure 1.", "Which one?", *plain, "Z", "train"],
        ],
    )
    write_csv(tmp_path / "test_2.csv", V2_HEADER, [[0, "PMC2_F1.jpg", "c", "Which?", *plain, "D", "test"]])
    records, rejected = read("pmc_vqa", tmp_path)
    assert [(r.answer, r.options["A"]) for r in records] == [
        ("D", "CT"),
        ("A", "CT"),
        ("B", "CT"),
        ("B", "CT"),
    ]
    assert tags(records) == [("test", "PMC-VQA test"), ("train", ""), ("train", ""), ("train", "")]
    assert records[1].images == [tmp_path / "figures" / "PMC2_F1.jpg"]
    assert records[2].images == [tmp_path / "images" / "PMC3_F2.jpg"]  # not in figures/: images/
    assert [(r.reason, r.official_split) for r in rejected] == [("malformed_row", "train")]


def test_only_a_choice_s_own_letter_is_stripped(tmp_path):
    row = [
        "f.jpg",
        "Which organism?",
        "A. baumannii",
        "A:E. coli",
        "B:S. aureus",
        "C:A. baumannii",
        "D:(D) none",
        "C",
    ]
    write_csv(tmp_path / "train.csv", V1_HEADER, [row])
    (record,), _ = read("pmc_vqa", tmp_path)
    assert record.options == {"A": "E. coli", "B": "S. aureus", "C": "A. baumannii", "D": "(D) none"}  # once
    assert record.answer == "C" and not record.notes


def test_every_test_file_of_both_versions_is_the_benchmark(tmp_path):
    row = v1_row("MRI", "B")
    for name in ("test.csv", "test_clean.csv"):
        write_csv(tmp_path / name, V1_HEADER, [row])
    write_csv(tmp_path / "test_2.csv", V2_HEADER, [[0, "f.jpg", "c", "Which?", *CHOICES, "B", "test"]])
    records, _ = read("pmc_vqa", tmp_path)
    assert tags(records) == [("test", "PMC-VQA test")] * 3
