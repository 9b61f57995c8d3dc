"""infer_answer_type: declared type, else options: choice, yes/no: closed, number: numeric, else open."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards.answer_types import ANSWER_TYPES, infer_answer_type, looks_numeric


@pytest.mark.parametrize(
    ("ground_truth", "extra_info", "expected"),
    [
        # options present -> choice, whatever the ground truth looks like
        ("B", {"options": {"A": "x", "B": "y"}}, "choice"),
        ("yes", {"options": ["yes", "no"]}, "choice"),
        ("B", {"options": '{"A": "x", "B": "y"}'}, "choice"),
        # empty options do not make a choice question
        ("yes", {"options": {}}, "closed"),
        ("yes", {"options": None}, "closed"),
        ("yes", {"options": {"A": None}}, "closed"),
        # yes/no ground truths -> closed
        ("yes", {}, "closed"),
        ("No.", {}, "closed"),
        ("TRUE", {}, "closed"),
        ("absent", {}, "closed"),
        ("present", None, "closed"),
        ("是", {}, "closed"),  # SLAKE zh yes/no answers
        ("否", {}, "closed"),
        ("没有", {}, "closed"),
        # numbers -> numeric
        ("3", {}, "numeric"),
        ("-2.5", {}, "numeric"),
        ("1/2", {}, "numeric"),
        ("45%", {}, "numeric"),
        ("12 mm", {}, "numeric"),
        ("12mm", {}, "numeric"),
        ("3 mm hg", {}, "numeric"),
        ("1,000", {}, "numeric"),
        ("three", {}, "numeric"),
        ("two lesions", {}, "numeric"),
        ("5-10 mm", {}, "numeric"),
        ("2 to 3", {}, "numeric"),
        ("between 5 and 10 mm", {}, "numeric"),
        ("3.5 x 2.1 cm", {}, "numeric"),
        ("5 × 3 cm", {}, "numeric"),
        ("3 x 2 x 1 cm", {}, "numeric"),
        ("> 5 mm", {}, "numeric"),
        ("more than 5", {}, "numeric"),
        ("-5", {}, "numeric"),
        ("38.5 °C", {}, "numeric"),
        ("120/80 mmHg", {}, "numeric"),
        ("两个", {}, "numeric"),
        ("１２", {}, "numeric"),
        # everything else -> open
        ("pneumonia", {}, "open"),
        ("left", {}, "open"),
        ("T2 weighted", {}, "open"),
        ("C5-C6", {}, "open"),
        ("5th rib", {}, "open"),
        ("2 lesions in the right lobe", {}, "open"),
        ("grade 2", {}, "open"),  # a number after a word is a category
        ("L4-L5", {}, "open"),
        ("No fracture", {}, "open"),  # a count phrase is no numeric ground truth
        ("both", {}, "open"),
        ("十二指肠", {}, "open"),  # the duodenum
        ("3/4/2020", {}, "open"),
        ("Vitamin B12 deficiency", {}, "open"),
        ("no evidence of fracture", {}, "open"),  # only bare yes/no words are inferred closed
        ("", {}, "open"),
    ],
)
def test_inferred_type(ground_truth, extra_info, expected):
    assert infer_answer_type(ground_truth, extra_info) == expected


@pytest.mark.parametrize(
    ("declared", "ground_truth", "expected"),
    [
        ("numeric", "pneumonia", "numeric"),  # a declared type wins over inference
        ("open", "yes", "open"),
        ("choice", "B", "choice"),
        ("CLOSED", "yes", "closed"),  # VQA-RAD spelling
        ("OPEN", "left", "open"),
        ("closed", "left", "closed"),  # issue 9: the label decides; "left or right?" is an either-or question
        ("CLOSED", "AP", "closed"),
        ("closed", "no evidence of fracture", "closed"),
        ("multiple_choice", "B", "choice"),
        ("Multiple Choice", "B", "choice"),
        ("yes/no", "no", "closed"),
        ("numerical", "3", "numeric"),
        ("open-ended", "x", "open"),
        ("", "yes", "closed"),  # empty means "infer"
        (None, "3", "numeric"),
    ],
)
def test_declared_type(declared, ground_truth, expected):
    assert infer_answer_type(ground_truth, {"answer_type": declared}) == expected


@pytest.mark.parametrize("declared", ["mcqq", "numbers", "free", 3])
def test_unknown_declared_type_names_the_valid_ones(declared):
    with pytest.raises(ValueError, match="choice, closed, numeric, open"):
        infer_answer_type("yes", {"answer_type": declared})


def test_number_check_is_bounded_on_huge_text():
    assert not looks_numeric("1" * 100000 + " mm")
    assert not looks_numeric("1." * 50000)
    assert infer_answer_type("9" * 100000, {}) == "open"


@given(
    st.text(max_size=300),
    st.one_of(st.none(), st.dictionaries(st.sampled_from(["options", "question"]), st.text())),
)
def test_any_ground_truth_gets_a_valid_type(ground_truth, extra_info):
    assert infer_answer_type(ground_truth, extra_info) in ANSWER_TYPES
