"""Yes/no verifier: synonyms, negation, hedges and contradictions."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards.closed import parse_yes_no, verify_closed
from rewards.registry import get_verifier

YES = [
    "yes",
    "Yes.",
    "YES!",
    "**Yes**",
    "yeah",
    "yep",
    "true",
    "correct",
    "affirmative",
    "present",
    "positive",
    "seen",
    "visible",
    "there is a mass",
    "There are multiple nodules",
    "Effusion is present",
    "The answer is yes",
    "Answer: Yes",
    "I think yes",
    "Yes, there is an effusion",
    "Yes, clearly visible",
    "Yes, no doubt",
    "positive for pneumothorax",
    "not absent",  # a negated no
]
NO = [
    "no",
    "No.",
    "NO",
    "nope",
    "nah",
    "false",
    "incorrect",
    "absent",
    "negative",
    "none",
    "not seen",
    "isn't visible",
    "Not visible",
    "There is no effusion",
    "there isn't",
    "No evidence of pneumonia",
    "no sign of fracture",
    "without effusion",
    "Effusion is absent",
    "Effusion is not present",
    "It is not present.",
    "Pneumothorax ruled out",
    "No pneumothorax is seen",  # "seen" is under the scope of "no"
    "No, there is no effusion",
    "No, not seen",
    "negative for malignancy",
    "not yes",  # decided: "not" flips the word after it
    "not pneumonia",  # a bare "not" is no
    "Answer: No",
    "It cannot be seen",
    "wasn't detected",
]
HEDGED_OR_CONTRADICTORY = [
    "yes and no",
    "yes or no",
    "yes/no",
    "neither yes nor no",
    "maybe",
    "Maybe yes",
    "possibly",
    "possibly yes",
    "probably no",
    "likely",
    "not sure",
    "I am not certain",
    "cannot determine",
    "It cannot be determined",
    "cannot rule out effusion",
    "can't say",
    "uncertain",
    "unclear",
    "indeterminate",
    "hard to say",
    "yes. no",
    "yes no",
    "no yes",
    "yes, I mean no",
    "No, yes",
    "Effusion is present but pneumothorax is absent",
    "",
    "   ",
    "Yesterday",  # not "yes"
    "Norway",  # not "no"
    "Nobody knows",
    "yesno",
    "pneumonia",  # no polarity at all
    "Sí",
]


@pytest.mark.parametrize("answer", YES)
def test_yes_answers(answer):
    assert parse_yes_no(answer) is True
    assert verify_closed(answer, "yes", {}) == 1.0
    assert verify_closed(answer, "no", {}) == 0.0


@pytest.mark.parametrize("answer", NO)
def test_no_answers(answer):
    assert parse_yes_no(answer) is False
    assert verify_closed(answer, "no", {}) == 1.0
    assert verify_closed(answer, "yes", {}) == 0.0


@pytest.mark.parametrize("answer", HEDGED_OR_CONTRADICTORY)
def test_hedged_contradictory_or_unrelated_answers_score_zero_either_way(answer):
    assert parse_yes_no(answer) is None
    assert verify_closed(answer, "yes", {}) == 0.0
    assert verify_closed(answer, "no", {}) == 0.0


@pytest.mark.parametrize(
    ("truth", "answer"),
    [
        ("Yes", "yes"),
        ("YES.", "yeah"),
        ("present", "yes"),
        ("absent", "no"),
        ("true", "yes"),
        ("No", "absent"),
    ],
)
def test_ground_truth_synonyms(truth, answer):
    assert verify_closed(answer, truth, {}) == 1.0


def test_unreadable_ground_truth_scores_zero():
    assert verify_closed("yes", "left", {}) == 0.0
    assert verify_closed("no", "", {}) == 0.0


@pytest.mark.parametrize(
    ("question", "answer", "expected"),
    [
        ("Is the chest x-ray normal?", "normal", True),
        ("Is the chest x-ray normal?", "unremarkable", True),
        ("Is the chest x-ray normal?", "abnormal", False),
        ("Is there a mass in the liver?", "normal", False),
        ("Is there a mass in the liver?", "unremarkable", False),
        ("Is there any abnormality?", "abnormal", True),
        ("Is there any abnormality?", "normal", False),
        (None, "normal", None),  # without a question "normal" says nothing
        (None, "unremarkable", None),
    ],
)
def test_normal_and_unremarkable_depend_on_the_question(question, answer, expected):
    assert parse_yes_no(answer, question) is expected
    info = {"question": question}
    if expected is not None:
        assert verify_closed(answer, "yes" if expected else "no", info) == 1.0


def test_missing_or_odd_extra_info():
    assert verify_closed("yes", "yes", None) == 1.0
    assert verify_closed("yes", "yes", {"question": 3}) == 1.0


def test_registered_as_closed():
    assert get_verifier("closed") is verify_closed


@pytest.mark.parametrize(
    "answer", ["yes " * 40000, "no " * 40000, "not " * 40000, "yes no " * 20000, "y" * 100000]
)
def test_huge_answers_are_bounded(answer):
    start = time.perf_counter()
    verify_closed(answer, "yes", {"question": "Is it normal? " * 10000})
    assert time.perf_counter() - start < 1.0  # catastrophic-backtracking guard, not a benchmark


@given(
    st.text(max_size=500), st.sampled_from(["yes", "no", "present", "absent", "left"]), st.text(max_size=80)
)
def test_never_raises_and_scores_zero_or_one(answer, truth, question):
    assert verify_closed(answer, truth, {"question": question}) in (0.0, 1.0)


@given(st.lists(st.sampled_from(["yes", "no", "Yes.", "No,", "nope", "yeah"]), min_size=2, max_size=6))
def test_answering_both_ways_never_scores(words):
    text = " ".join(words)
    polarities = {parse_yes_no(word) for word in words}
    if polarities == {True, False}:
        assert verify_closed(text, "yes", {}) == 0.0
        assert verify_closed(text, "no", {}) == 0.0


@pytest.mark.parametrize(
    ("question", "answer", "expected"),
    [
        ("Is the liver free of focal lesions?", "The liver is free of focal lesions", True),
        ("Is the liver free of focal lesions?", "There are focal lesions in the liver", False),
        ("Is the heart enlarged?", "The heart is enlarged.", True),
        ("Is the heart enlarged?", "The heart is not enlarged", False),
        ("Does the image show pneumothorax?", "The image shows a pneumothorax", True),
        ("Is there a lesion in the liver?", "liver", None),  # too little of the question to be a statement
        ("Is the lesion on the left?", "The lesion is on the right", False),  # contradicting qualifier
        ("Is this a CT scan?", "This is an MRI.", False),
        ("Is the mass hypodense?", "Hypodense.", True),  # the asked qualifier alone
        ("Is there a pleural effusion?", "Small bilateral pleural effusions.", True),  # restated, more detail
        ("Is the mass hypodense?", "Mass.", None),  # the subject alone says nothing
    ],
)
def test_restating_the_question_answers_it(question, answer, expected):
    assert parse_yes_no(answer, question) is expected
    if expected is not None:
        assert verify_closed(answer, "yes" if expected else "no", {"question": question}) == 1.0
