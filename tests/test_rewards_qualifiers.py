"""Contradicting qualifiers, hedges, more specific answers, "no finding", multi-part golds."""

from __future__ import annotations

import itertools
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards.choice import verify_choice
from rewards.closed import verify_closed
from rewards.concepts import analyse
from rewards.explain import recording
from rewards.open_ended import verify_open
from rewards.qualifiers import QUALIFIERS_FILE, extend_qualifiers, reset_qualifiers
from rewards.score import compute_score


def _axes() -> dict[str, dict[str, list[str]]]:
    """axis -> value -> the terms that spell it on their own (as the table's canonical tokens)."""
    axes: dict[str, dict[str, list[str]]] = {}
    lines = [
        line
        for line in QUALIFIERS_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ][1:]
    for line in lines:
        axis, value, terms = line.split("\t")[:3]
        spelled = [t for t in terms.split("|") if analyse(t).terms == {t}]
        if axis != "-" and spelled:
            axes.setdefault(axis, {}).setdefault(value, []).extend(spelled)
    return axes


AXES = _axes()
# (axis, a spelling of one value, a spelling of another value of the same axis)
CONTRADICTIONS = [
    (axis, a, b)
    for axis, values in AXES.items()
    for (v1, terms1), (v2, terms2) in itertools.permutations(values.items(), 2)
    for a in terms1[:2]
    for b in terms2[:2]
    if not ({v1, v2} == {"left", "bilateral"} or {v1, v2} == {"right", "bilateral"}) or axis != "extent"
]
HEADS = ["lesion", "mass", "nodule", "kidney", "lung", "image", "opacity"]
WRAPPERS = ["{}", "{}.", "The answer is {}.", "I think it is {}", "There is a {}", "{} seen"]


def test_every_axis_of_the_issue_is_in_the_table() -> None:
    for axis in (
        "laterality",
        "vertical",
        "anteroposterior",
        "proximodistal",
        "mediolateral",
        "sequence",
        "contrast",
        "dignity",
        "acuity",
        "origin",
        "extent",
        "change",
        "density",
        "intensity",
        "echogenicity",
        "carcinoma_type",
    ):
        assert len(AXES[axis]) >= 2, axis


@given(st.sampled_from(CONTRADICTIONS), st.sampled_from(HEADS), st.sampled_from(WRAPPERS))
def test_a_contradicting_qualifier_scores_zero_whatever_else_overlaps(case, head: str, wrapper: str) -> None:
    _, gold_word, said_word = case
    gold, said = f"{gold_word} {head}", wrapper.format(f"{said_word} {head}")
    assert verify_open(said, gold, {}) == 0.0, (said, gold)
    options = {"A": gold, "B": f"{said_word} {head}", "C": "pneumothorax"}
    assert verify_choice(said, "A", {"options": options}) == 0.0
    assert verify_choice(said, gold, {}) == 0.0  # choice by text without options


@pytest.mark.parametrize(
    ("said", "gold"),
    [
        ("left kidney", "right kidney"),
        ("T2-weighted", "T1-weighted"),
        ("small cell carcinoma", "squamous cell carcinoma"),
        ("adenocarcinoma", "squamous cell carcinoma"),
        ("with contrast", "without contrast"),
        ("contrast-enhanced CT", "non-contrast CT"),
        ("benign", "malignant"),
        ("acute infarct", "chronic infarct"),
        ("hypodense lesion", "hyperdense lesion"),
        ("RUL", "right lower lobe"),
        ("LLL pneumonia", "RLL pneumonia"),
        ("left and right lung", "right lung"),
        ("bilateral", "left"),
        ("FLAIR", "DWI"),
        ("proximal", "distal"),
        ("hypoechoic", "hyperechoic"),
        ("Hodgkin lymphoma", "non-Hodgkin lymphoma"),
        ("primary tumor", "metastasis"),
    ],
)
def test_issue_examples_of_contradicting_qualifiers(said: str, gold: str) -> None:
    assert verify_open(said, gold, {}) == 0.0
    assert verify_open(gold, said, {}) == 0.0


QUALIFIER_WORDS = [
    "left",
    "right",
    "upper",
    "lower",
    "T2-weighted",
    "non-contrast",
    "contrast-enhanced",
    "axial",
    "acute",
    "chronic",
    "mild",
    "severe",
    "small",
    "bilateral",
    "anterior",
    "chest",
]


@given(
    st.sampled_from(["x-ray", "MRI", "CT", "pneumonia", "effusion", "nodule", "carcinoma"]),
    st.sampled_from(QUALIFIER_WORDS),
    st.sampled_from(WRAPPERS),
)
def test_the_gold_plus_a_compatible_qualifier_is_right(gold: str, qualifier: str, wrapper: str) -> None:
    assert verify_open(wrapper.format(f"{qualifier} {gold}"), gold, {}) == 1.0


@pytest.mark.parametrize(
    ("said", "gold"),
    [
        ("Chest X-ray", "x-ray"),
        ("T2-weighted MRI", "MRI"),
        ("Non-contrast CT", "CT"),
        ("pleural effusion", "effusion"),
        ("squamous cell carcinoma", "carcinoma"),
        ("right lower lobe pneumonia", "pneumonia"),
        ("axial CT", "CT"),
        ("brain MRI", "MRI"),
    ],
)
def test_more_specific_than_the_gold(said: str, gold: str) -> None:
    with recording() as rules:
        assert verify_open(said, gold, {}) == 1.0
    assert any("more specific" in rule for rule in rules) or said == gold


@pytest.mark.parametrize(
    ("said", "gold"),
    [
        ("pneumonia with effusion", "pneumonia"),
        ("lung, liver", "lung"),
        ("liver lung", "liver"),
        ("pneumonia and pneumothorax", "pneumonia"),
    ],
)
def test_adding_another_finding_or_organ_is_not_more_specific(said: str, gold: str) -> None:
    assert verify_open(said, gold, {}) < 1.0


ALTERNATIVES = [
    "CT",
    "MRI",
    "ultrasound",
    "x-ray",
    "PA",
    "AP",
    "left lung",
    "right lung",
    "axial",
    "sagittal",
    "pneumonia",
    "atelectasis",
    "liver",
    "spleen",
    "T1",
    "T2",
    "benign",
    "malignant",
]
HEDGES = [
    "{} or {}",
    "{}/{}",
    "either {} or {}",
    "{} vs {}",
    "{} vs. {}",
    "{} versus {}",
    "{} and/or {}",
    "{} or possibly {}",
    "{}, or maybe {}",
]


@given(
    st.permutations(ALTERNATIVES).map(lambda p: p[:2]),
    st.sampled_from(HEDGES),
    st.booleans(),
    st.sampled_from(["{}", "The answer is {}.", "I think it's {}"]),
)
def test_hedging_between_alternatives_scores_zero_everywhere(
    pair, hedge: str, gold_first: bool, wrapper
) -> None:
    gold, other = pair
    said = wrapper.format(hedge.format(*(pair if gold_first else pair[::-1])))
    if analyse(gold).terms == analyse(other).terms:
        return
    assert verify_open(said, gold, {}) == 0.0, said
    assert verify_closed(said, gold, {}) == 0.0
    assert verify_closed(said, gold, {"question": f"Is it {gold} or {other}?"}) == 0.0
    assert verify_choice(said, "A", {"options": {"A": gold, "B": other, "C": "none of these"}}) == 0.0
    assert compute_score(f"<answer>{said}</answer>", gold, {"answer_type": "open"})["acc"] == 0.0


@pytest.mark.parametrize(
    ("said", "gold"),
    [
        ("CT or MRI", "CT or MRI"),
        ("MRI or CT", "CT or MRI"),
        ("AP/PA", "AP/PA"),
        ("MRI or magnetic resonance imaging", "MRI"),
        ("no pneumonia or effusion", "no pneumonia or effusion"),
    ],
)
def test_a_disjunction_that_is_the_gold_or_says_one_thing_is_no_hedge(said: str, gold: str) -> None:
    assert verify_open(said, gold, {}) == 1.0


def test_a_negated_list_is_no_hedge_and_pneumonia_or_not_is() -> None:
    assert not analyse("no pneumonia or effusion").disjunctive
    assert analyse("pneumonia or not").disjunctive
    assert verify_open("pneumonia or no pneumonia", "pneumonia", {}) == 0.0


NEGATIVE_GOLDS = ["None", "No abnormality", "Normal", "No disease", "No finding", "nothing abnormal"]
NEGATIVE_ANSWERS = [
    "No disease is present",
    "no abnormality seen",
    "normal",
    "nothing abnormal",
    "None.",
    "There is no abnormality",
    "No abnormal findings",
    "The image is normal",
    "unremarkable",
    "no disease",
    "无异常",
    "正常",
]


@given(st.sampled_from(NEGATIVE_GOLDS), st.sampled_from(NEGATIVE_ANSWERS))
def test_negative_findings_form_one_class(gold: str, said: str) -> None:
    assert verify_open(said, gold, {}) == 1.0


@given(
    st.sampled_from(NEGATIVE_GOLDS),
    st.sampled_from(
        [
            "pneumonia",
            "a mass in the liver",
            "cardiomegaly",
            "Lung cancer",
            "effusion is present",
            "no pneumonia",
        ]
    ),
)
def test_a_finding_for_a_none_gold_and_none_for_a_finding_score_zero(gold: str, finding: str) -> None:
    assert verify_open(finding, gold, {}) == 0.0
    if not finding.startswith("no "):
        assert verify_open(gold, finding, {}) == 0.0


PARTS = ["liver", "spleen", "kidney", "heart", "lung", "colon"]
JOINERS = [", ", " and ", "; ", "、", " & "]


@given(st.lists(st.sampled_from(PARTS), min_size=2, max_size=4, unique=True), st.data())
def test_multi_part_golds(parts: list[str], data: st.DataObject) -> None:
    gold = data.draw(st.sampled_from(JOINERS)).join(parts)
    shuffled = data.draw(st.permutations(parts))
    joiner = data.draw(st.sampled_from(JOINERS))
    assert verify_open(joiner.join(shuffled), gold, {}) == 1.0
    assert 0.0 < verify_open(joiner.join(shuffled[:-1]), gold, {}) < 1.0
    assert verify_open(" or ".join(shuffled), gold, {}) == 0.0


def test_multi_part_gold_with_synonyms_and_chinese_lists() -> None:
    assert verify_open("hepatic and renal", "liver, kidney", {}) == 1.0
    assert verify_open("脾脏、肝脏", "肝脏和脾脏", {}) == 1.0
    assert verify_open("肝脏", "肝脏和脾脏", {}) < 1.0


def test_qualifier_table_can_be_extended() -> None:
    # a gold too long for the substitution rule (rewards.open_ended.MAX_SUBSTITUTION_TERMS): only the table
    # can tell grade 1 from grade 4 here
    said, gold = "grade 1 glioma, right temporal lobe", "grade 4 glioma, right temporal lobe"
    try:
        assert verify_open(said, gold, {}) > 0.0
        extend_qualifiers({"grade": {"low": ["grade_1", "1"], "high": ["grade_4", "4"]}})
        assert verify_open(said, gold, {}) == 0.0
    finally:
        reset_qualifiers()
    assert verify_open(said, gold, {}) > 0.0


HOSTILE = ["或" * 50_000, "left or right " * 5_000, "、" * 100_000, "肝" * 100_000, "vs. " * 20_000,
           "no " * 10_000 + "abnormality", "T1/T2/" * 10_000, "bilateral " * 10_000 + "lung"]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_is_bounded_in_every_verifier(text: str) -> None:
    start = time.perf_counter()
    assert verify_open(text, "right lung", {}) == 0.0
    assert verify_choice(text, "A", {"options": {"A": "left lung", "B": "right lung"}}) == 0.0
    assert verify_closed(text, "right", {"question": "Is it left or right? " + text}) == 0.0
    assert time.perf_counter() - start < 2.0
