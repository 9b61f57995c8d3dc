"""Either-or CLOSED questions (VQA-RAD/SLAKE): a choice between the alternatives the question names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards.alternatives import question_alternatives
from rewards.answer_types import infer_answer_type
from rewards.closed import verify_closed
from rewards.score import compute_score

# (alternative, alternative, a synonym of the first)
PAIRS = [
    ("AP", "PA", "anteroposterior"),
    ("PA", "AP", "posteroanterior"),
    ("CT", "MRI", "computed tomography"),
    ("MRI", "CT", "magnetic resonance imaging"),
    ("left", "right", "left side"),
    ("right", "left", "R"),
    ("axial", "coronal", "transverse"),
    ("coronal", "sagittal", "frontal"),
    ("T1", "T2", "T1-weighted"),
    ("liver", "spleen", "hepatic"),
    ("kidney", "liver", "renal"),
    ("benign", "malignant", "benign"),
    ("x-ray", "ultrasound", "radiograph"),
]
TEMPLATES = [
    "Is this an {a} or {b} image?",
    "Is this {a} or {b}?",
    "Was the image taken with {a} or {b}?",
    "Is the finding in the {a} or the {b}?",
    "Which one is it, {a} or {b}?",
    "{a} vs {b}?",
    "Is it {a} versus {b}?",
]
WRAPPERS = ["{}", "{}.", "The answer is {}.", "It is {}", "I think it's {}", "**{}**"]


def _question(template: str, first: str, second: str, gold_first: bool) -> str:
    a, b = (first, second) if gold_first else (second, first)
    return template.format(a=a, b=b)


@given(st.sampled_from(PAIRS), st.sampled_from(TEMPLATES), st.booleans(), st.sampled_from(WRAPPERS))
def test_naming_the_gold_alternative_or_its_synonym_scores_one(pair, template, gold_first, wrapper) -> None:
    gold, other, synonym = pair
    info = {"question": _question(template, gold, other, gold_first)}
    assert verify_closed(wrapper.format(gold), gold, info) == 1.0, info
    assert verify_closed(wrapper.format(synonym), gold, info) == 1.0, (synonym, info)
    assert verify_closed(wrapper.format(other), gold, info) == 0.0


HEDGES = ["{} or {}", "{}/{}", "both {} and {}", "either {} or {}", "{} vs {}", "{}, {}", "{} and/or {}"]


@given(st.sampled_from(PAIRS), st.sampled_from(TEMPLATES), st.sampled_from(HEDGES), st.booleans())
def test_naming_both_alternatives_scores_zero(pair, template, hedge, gold_first) -> None:
    gold, other, _ = pair
    info = {"question": _question(template, gold, other, True)}
    answer = hedge.format(*((gold, other) if gold_first else (other, gold)))
    assert verify_closed(answer, gold, info) == 0.0, answer


@pytest.mark.parametrize(
    ("question", "answer", "truth", "expected"),
    [
        ("Which is bigger, the liver or the spleen?", "The liver is bigger than the spleen", "liver", 1.0),
        ("Which is bigger, the liver or the spleen?", "The spleen is smaller than the liver", "liver", 1.0),
        ("Which is bigger, the liver or the spleen?", "The spleen is bigger than the liver", "liver", 0.0),
        ("Which is bigger, the liver or the spleen?", "liver or spleen", "liver", 0.0),
        ("Which is bigger, the liver or the spleen?", "yes", "liver", 0.0),
        ("Is this coronal, axial or sagittal?", "sagittal", "sagittal", 1.0),
        ("Is this coronal, axial or sagittal?", "axial or sagittal", "sagittal", 0.0),
        ("Was this taken with or without contrast?", "without contrast", "without contrast", 1.0),
        ("Was this taken with or without contrast?", "non-contrast", "without contrast", 1.0),
        ("Was this taken with or without contrast?", "with contrast", "without contrast", 0.0),
        ("Is the lesion on the left or right?", "not on the left", "right", 1.0),
        ("Is this an AP or PA film?", "It is an AP film", "AP", 1.0),
        ("这是CT还是MRI?", "CT", "CT", 1.0),
        ("这是CT还是MRI?", "计算机断层扫描", "CT", 1.0),
        ("这是CT还是MRI?", "CT还是MRI", "CT", 0.0),
        ("病变在左肺还是右肺?", "右肺", "右肺", 1.0),
        ("病变在左肺还是右肺?", "右", "右肺", 1.0),
        ("病变在左肺还是右肺?", "左肺", "右肺", 0.0),
    ],
)
def test_issue_examples(question: str, answer: str, truth: str, expected: float) -> None:
    assert verify_closed(answer, truth, {"question": question}) == expected


def test_the_row_options_are_the_alternatives_when_present() -> None:
    info = {"question": "Which view?", "options": {"A": "AP", "B": "PA"}}
    assert verify_closed("anteroposterior", "A", info) == 1.0
    assert verify_closed("AP/PA", "A", info) == 0.0


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("AP", 1.0),
        ("anteroposterior", 1.0),
        ("an AP film", 1.0),
        ("PA", 0.0),
        ("AP or PA", 0.0),
        ("ap/pa", 0.0),
    ],
)
def test_without_a_parseable_question_the_gold_must_match_strictly(answer: str, expected: float) -> None:
    for info in ({}, {"question": "Describe the film."}, {"question": None}):
        assert verify_closed(answer, "AP", info) == expected


def test_a_gold_outside_the_parsed_alternatives_is_matched_strictly() -> None:
    info = {"question": "Is this CT or MRI?"}
    assert verify_closed("ultrasound", "ultrasound", info) == 1.0
    assert verify_closed("CT", "ultrasound", info) == 0.0


def test_declared_closed_rows_stay_closed_through_compute_score() -> None:
    info = {"answer_type": "CLOSED", "question": "Is this an AP or PA film?"}
    assert infer_answer_type("AP", info) == "closed"
    assert compute_score("<answer>AP or PA</answer>", "AP", info)["acc"] == 0.0
    assert compute_score("<answer>AP</answer>", "AP", info)["acc"] == 1.0


@given(st.text(max_size=400))
def test_the_question_parser_is_total_and_bounded(question: str) -> None:
    alternatives = question_alternatives(question)
    assert alternatives is None or (len(alternatives) >= 2 and all(alternatives))
    assert verify_closed("x", "y", {"question": question}) in (0.0, 1.0)
