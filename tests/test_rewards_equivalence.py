"""One equivalence table for every verifier: each synonym family is equal in open, choice and closed."""

from __future__ import annotations

import csv
import itertools
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards.choice import verify_choice
from rewards.closed import verify_closed
from rewards.concepts import analyse
from rewards.medical_terms import (
    EQUIVALENCES_FILE,
    EquivalenceError,
    extend_equivalences,
    reset_equivalences,
    vocabulary,
)
from rewards.open_ended import verify_open
from rewards.score import compute_score

CONTEXT_FREE_KINDS = ("short", "upper")  # spellings that hold only in a short answer / in capitals


def _rows() -> list[dict[str, str]]:
    lines = [
        line
        for line in EQUIVALENCES_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return list(csv.DictReader(lines, delimiter="\t"))


ROWS = _rows()
FAMILIES = [
    (row["concept"], [s for s in row["spellings"].split("|") if s])
    for row in ROWS
    if row["kind"] not in CONTEXT_FREE_KINDS
]
PAIRS = [(concept, a, b) for concept, spellings in FAMILIES for a, b in itertools.combinations(spellings, 2)]
WRAPPERS = ["{}", "{}.", "The answer is {}.", "I think it's {}", "It is {}", "**{}**", "{} is seen"]


def test_every_row_has_a_provenance() -> None:
    assert ROWS, "the table is empty"
    for row in ROWS:
        assert row["source"].strip(), f"{row['concept']}: no source column"
        assert row["kind"].strip(), f"{row['concept']}: no kind"


@pytest.mark.parametrize(("concept", "spellings"), FAMILIES, ids=[c for c, _ in FAMILIES])
def test_every_spelling_of_a_family_is_the_same_concept(concept: str, spellings: list[str]) -> None:
    expected = analyse(spellings[0]).terms
    assert expected, f"{spellings[0]!r} has no terms"
    for spelling in spellings[1:]:
        assert analyse(spelling).terms == expected, (concept, spelling)


@given(st.sampled_from(PAIRS), st.sampled_from(WRAPPERS))
def test_open_scores_synonyms_one(pair: tuple[str, str, str], wrapper: str) -> None:
    _, gold, said = pair
    assert verify_open(wrapper.format(said), gold, {}) == 1.0
    assert verify_open(wrapper.format(gold), said, {}) == 1.0


CHOICE_KINDS = ("modality", "organism", "stain", "plane", "view", "anatomy", "finding", "sequence")
CHOICE_FAMILIES = [
    (concept, spellings)
    for concept, spellings in FAMILIES
    if len(spellings) > 1 and next(r for r in ROWS if r["concept"] == concept)["kind"] in CHOICE_KINDS
]


def _disjoint(families: list[tuple[str, list[str]]]) -> bool:
    terms = [analyse(spellings[0]).terms for _, spellings in families]
    return all(not (a & b) for a, b in itertools.combinations(terms, 2))


@given(
    st.lists(st.sampled_from(CHOICE_FAMILIES), min_size=2, max_size=10, unique_by=lambda f: f[0]),
    st.data(),
)
def test_choice_by_synonym(families: list[tuple[str, list[str]]], data: st.DataObject) -> None:
    if not _disjoint(families):
        return
    letters = "ABCDEFGHIJ"[: len(families)]
    options = {letter: spellings[0] for letter, (_, spellings) in zip(letters, families, strict=True)}
    right = data.draw(st.sampled_from(letters))
    synonym = data.draw(st.sampled_from(families[letters.index(right)][1][1:]))
    info = {"options": options}
    assert verify_choice(synonym, right, info) == 1.0, (synonym, options)
    wrong = data.draw(st.sampled_from([x for x in letters if x != right]))
    assert verify_choice(synonym, wrong, info) == 0.0


@pytest.mark.parametrize(
    ("answer", "option"),
    [
        ("Magnetic resonance imaging", "MRI"),
        ("Ultrasonography", "Ultrasound"),
        ("Escherichia coli", "E. coli"),
        ("Hematoxylin and eosin", "H&E"),
        ("MR", "MRI"),
        ("transverse", "Axial"),
        ("frontal", "Coronal"),
        ("posteroanterior", "PA"),
        ("anteroposterior", "AP"),
        ("small intestine", "Small bowel"),
        ("enlarged heart", "Cardiomegaly"),
        ("nephrolithiasis", "Kidney stones"),
    ],
)
def test_issue_examples_pick_the_option_by_synonym(answer: str, option: str) -> None:
    options = {"A": "Pneumothorax", "B": option, "C": "Lymphoma"}
    assert compute_score(f"<answer>{answer}</answer>", "B", {"options": options})["acc"] == 1.0


@pytest.mark.parametrize(
    ("answer", "gold"), [("R", "right"), ("L.", "left"), ("Rt", "right"), ("lt", "left")]
)
def test_r_and_l_mean_right_and_left_in_short_answers(answer: str, gold: str) -> None:
    assert verify_open(answer, gold, {}) == 1.0
    assert verify_closed(answer, gold, {"question": "Is the lesion on the left or right?"}) == 1.0
    other = "left" if gold == "right" else "right"
    assert verify_open(answer, other, {}) == 0.0


def test_a_letter_r_in_a_sentence_is_not_right() -> None:
    assert "right" not in analyse("the R wave is tall in lead V1 today").terms


@pytest.mark.parametrize(
    ("answer", "gold"),
    [
        ("肝", "肝脏"),
        ("磁共振", "MRI"),
        ("CT", "计算机断层扫描"),
        ("liver", "肝脏"),
        ("kidney", "肾脏"),
        ("横断面", "axial"),
        ("冠状位", "coronal"),
    ],
)
def test_chinese_and_cross_language_names(answer: str, gold: str) -> None:
    assert verify_open(answer, gold, {}) == 1.0


def test_extend_with_a_mapping_reaches_every_verifier() -> None:
    try:
        assert verify_open("Zenker diverticulum", "pharyngeal pouch", {}) < 1.0
        assert extend_equivalences({"zenker": ["zenker diverticulum", "pharyngeal pouch"]}) == 1
        assert verify_open("Zenker diverticulum", "pharyngeal pouch", {}) == 1.0
        options = {"A": "Pharyngeal pouch", "B": "Achalasia"}
        assert verify_choice("Zenker diverticulum", "A", {"options": options}) == 1.0
    finally:
        reset_equivalences()
    assert verify_open("Zenker diverticulum", "pharyngeal pouch", {}) < 1.0


def test_extend_with_a_tsv_file(tmp_path) -> None:
    path = tmp_path / "extra.tsv"
    path.write_text(
        "# my site's terms\nconcept\tspellings\tsource\nbrachy\tbrachytherapy|seed implant\tlocal\n"
    )
    try:
        assert extend_equivalences(path) == 1
        assert verify_open("seed implant", "brachytherapy", {}) == 1.0
    finally:
        reset_equivalences()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("concept\tspellings\nfoo\t\n", ":2: a row needs a concept"),
        ("name\tvalue\nx\ty\n", "lacks"),
        ("concept\tspellings\nfoo;bar\tx\n", "must be words"),
    ],
)
def test_a_bad_extension_file_names_file_and_line(tmp_path, text: str, message: str) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(text)
    with pytest.raises(EquivalenceError, match=message):
        extend_equivalences(path)
    with pytest.raises(EquivalenceError, match="cannot read"):
        extend_equivalences(tmp_path / "missing.tsv")
    reset_equivalences()


def test_the_table_loads_once_and_lookups_are_fast() -> None:
    assert vocabulary() is vocabulary()
    start = time.perf_counter()
    for i in range(2000):
        analyse(f"right lower lobe pneumonia number {i}")  # distinct texts: no cache hits
    assert (time.perf_counter() - start) / 2000 < 5e-3  # a guard against per-call reloading, not a benchmark
