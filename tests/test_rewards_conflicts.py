"""Conflicting final answers score 0 for every answer type: several different answer blocks, boxes,
"Final answer:" lines, or a self-correction; identical or equivalent repeats keep their score."""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rewards.audit import explain_score
from rewards.corrections import correction_parts
from rewards.extract import MAX_CANDIDATES, find_answer
from rewards.registry import register_verifier
from rewards.score import RewardConfig, compute_score

FINDINGS = ["pneumothorax", "pleural effusion", "cardiomegaly", "atelectasis", "renal cyst", "rib fracture",
            "subdural hematoma", "liver metastasis", "splenomegaly", "hydronephrosis"]
FILLER = st.lists(st.sampled_from("the lesion opacity margin lobe density contrast shows a round".split()),
                  max_size=60).map(" ".join)
MARKERS = ["Actually,", "Wait, no:", "Wait,", "I mean", "I meant", "Correction:", "On second thought,",
           "On second thoughts,", "Sorry,", "or rather", "No, wait,", "Scratch that,", "Make that",
           "Let me correct that:", "Hold on,", "Oops,", "My mistake,", "no, it's", "I take that back:"]
MARKERS_ZH = ["不对，", "等等，", "更正：", "我是说"]


@register_verifier("test_contains_gold")
def contains_gold(answer: str, ground_truth: str, extra_info) -> float:
    """Right when the answer contains the ground truth (a lenient custom verifier)."""
    return float(ground_truth.lower() in answer.lower())


@st.composite
def choice_rows(draw):
    """(options, gold letter, two different letters) for 2-10 options."""
    n = draw(st.integers(2, 10))
    texts = draw(st.permutations(FINDINGS))[:n]
    letters = string.ascii_uppercase[:n]
    gold = draw(st.sampled_from(letters))
    first, second = draw(st.lists(st.sampled_from(letters), min_size=2, max_size=2, unique=True))
    return dict(zip(letters, texts, strict=True)), gold, first, second


def _rules(response: str, gold: str, info: dict, config: RewardConfig | None = None):
    explanation = explain_score(response, gold, info, config)
    return explanation.scores, explanation.rules


PLACEMENTS = {
    "after each other": "<think>{f}</think><answer>{a}</answer><answer>{b}</answer>",
    "filler between": "<think>{f}</think><answer>{a}</answer> {f} <answer>{b}</answer>",
    "one inside the reasoning": "<think>{f} <answer>{a}</answer> {f}</think><answer>{b}</answer>",
    "no think block": "<answer>{a}</answer>\n{f}\n<answer>{b}</answer>",
}


@given(row=choice_rows(), filler=FILLER, placement=st.sampled_from(sorted(PLACEMENTS)))
def test_property_two_different_answer_blocks_score_zero(row, filler, placement):
    options, gold, first, second = row
    response = PLACEMENTS[placement].format(f=filler, a=first, b=second)
    scores, rules = _rules(response, gold, {"answer_type": "choice", "options": options})
    assert scores["acc"] == 0.0
    assert any(rule.startswith("conflict: another <answer> block") for rule in rules)


@given(row=choice_rows(), filler=FILLER, placement=st.sampled_from(sorted(PLACEMENTS)))
def test_property_identical_repeats_keep_acc_and_lose_format(row, filler, placement):
    options, gold, first, _ = row
    response = PLACEMENTS[placement].format(f=filler, a=first, b=first)
    scores, rules = _rules(response, gold, {"answer_type": "choice", "options": options})
    assert scores["acc"] == float(first == gold)
    assert scores["format"] == 0.0  # two blocks: the format penalty they always had
    assert not any(rule.startswith("conflict") for rule in rules)


@given(row=choice_rows(), filler=FILLER)
def test_property_equivalent_wordings_of_one_option_are_no_conflict(row, filler):
    options, gold, *_ = row
    response = f"<think>{filler}</think><answer>{gold}</answer><answer>{gold}. {options[gold]}</answer>"
    assert compute_score(response, gold, {"answer_type": "choice", "options": options})["acc"] == 1.0


STATEMENT_FORMS = {
    "boxes": "{f} \\boxed{{{a}}} {f} \\boxed{{{b}}}",
    "final answer lines": "{f}\nFinal answer: {a}\n{f}\nFinal answer: {b}",
    "answer-is sentences": "{f} The answer is {a}. {f} The answer is {b}.",
    "box then line": "<think>{f}</think> \\boxed{{{a}}}\nFinal Answer: {b}",
    "inside one block": "<think>{f}</think><answer>The answer is {a}. Final answer: {b}</answer>",
    "after the block": "<think>{f}</think><answer>{a}</answer>\nFinal answer: {b}",
}


@given(row=choice_rows(), filler=FILLER, form=st.sampled_from(sorted(STATEMENT_FORMS)))
def test_property_different_final_statements_score_zero(row, filler, form):
    options, gold, first, second = row
    response = STATEMENT_FORMS[form].format(f=filler, a=first, b=second)
    scores, rules = _rules(response, gold, {"answer_type": "choice", "options": options})
    assert scores["acc"] == 0.0
    assert any(rule.startswith("conflict") for rule in rules), rules


@given(row=choice_rows(), filler=FILLER, form=st.sampled_from(sorted(STATEMENT_FORMS)))
def test_property_the_same_statement_repeated_still_scores(row, filler, form):
    options, gold, *_ = row
    response = STATEMENT_FORMS[form].format(f=filler, a=gold, b=gold)
    assert compute_score(response, gold, {"answer_type": "choice", "options": options})["acc"] == 1.0


# (ground truth, the right answer, a wrong one, extra_info) for every answer type and a custom verifier
TYPED = {
    "choice": ("B", "B", "C", {"answer_type": "choice", "options": {"A": "CT", "B": "MRI", "C": "X-ray"}}),
    "closed": ("yes", "yes", "no", {"answer_type": "closed"}),
    "numeric": ("5 mm", "5 mm", "7 mm", {"answer_type": "numeric"}),
    "open": ("right lung", "right lung", "left kidney", {"answer_type": "open"}),
    "custom": ("MRI", "MRI", "CT", {"verifier": "test_contains_gold"}),
}


@given(kind=st.sampled_from(sorted(TYPED)), marker=st.sampled_from(MARKERS), right_first=st.booleans(),
       filler=FILLER)
def test_property_a_self_correction_scores_zero_for_every_type(kind, marker, right_first, filler):
    gold, right, wrong, info = TYPED[kind]
    first, second = (right, wrong) if right_first else (wrong, right)
    response = f"<think>{filler}</think><answer>{first}. {marker} {second}</answer>"
    scores, rules = _rules(response, gold, info)
    assert scores["acc"] == 0.0
    assert any(rule.startswith("conflict: a self-correction") for rule in rules), rules


@given(kind=st.sampled_from(sorted(TYPED)), filler=FILLER, tagged=st.booleans())
def test_property_two_answers_of_any_type_conflict(kind, filler, tagged):
    gold, right, wrong, info = TYPED[kind]
    if tagged:
        response = f"<think>{filler}</think><answer>{wrong}</answer><answer>{right}</answer>"
    else:
        response = f"{filler}\nFinal answer: {wrong}\nFinal answer: {right}"
    assert compute_score(response, gold, info)["acc"] == 0.0
    assert compute_score(f"<think>{filler}</think><answer>{right}</answer>", gold, info)["acc"] == 1.0


@pytest.mark.parametrize("marker", MARKERS_ZH)
def test_a_chinese_self_correction_scores_zero(marker):
    scores, rules = _rules(f"<answer>是。{marker}否</answer>", "是", {"verifier": "test_contains_gold"})
    assert scores["acc"] == 0.0 and any(rule.startswith("conflict") for rule in rules)


@pytest.mark.parametrize(
    "answer",
    ["Actually, it is B", "B", "(B) MRI", "The lesion is actually benign", "Sorry, B", "MRI, not CT",
     "B (pleural effusion); actually the meniscus sign confirms it", "No, there is no effusion",
     "Surgical correction of the fracture", "Watchful waiting", "左右不对称", "肝、脾等"],
)
def test_words_that_correct_nothing_split_nothing(answer):
    assert correction_parts(answer) == [answer]


@pytest.mark.parametrize(
    ("answer", "parts"),
    [
        ("B. Actually, C", ["B", "C"]),
        ("left. Wait, no: right", ["left", "no: right"]),
        ("B, I mean C", ["B", "C"]),
        ("A. Wait. B. Actually, C", ["A", "B", "C"]),
        ("B (sorry, C)", ["B", "C"]),
        ("(A) CT. Actually, (B) MRI", ["(A) CT", "(B) MRI"]),
        ("是。不对，否", ["是", "否"]),
        ("左右不对称", ["左右不对称"]),  # 不对称 (asymmetric) is no correction
    ],
)
def test_correction_parts(answer, parts):
    assert correction_parts(answer) == parts


@given(right=st.sampled_from(FINDINGS), filler=FILLER,
       form=st.sampled_from(["{f} The answer is {a}.", "{f}\nAnswer: {a}", "<think>{f}</think>\n{a}",
                             "{f} so the final answer is \\boxed{{{a}}}", "<think>{f}</think> 答案是{a}。"]))
def test_property_answers_outside_tags_are_still_found(right, filler, form):
    response = form.format(f=filler, a=right)
    assume(len(response.split()) > 10 or not form.startswith("{f}\n"))
    found = find_answer(response)
    assert found.answer == right and found.conflict is None
    assert compute_score(response, right, {"answer_type": "open"})["acc"] == 1.0


def test_more_distinct_answers_than_the_cap_conflict_without_judging_each():
    letters = string.ascii_uppercase[: MAX_CANDIDATES + 3]
    response = "".join(f"<answer>{letter}</answer>" for letter in letters)
    found = find_answer(response)
    assert len(found.candidates) == MAX_CANDIDATES + 1
    options = {letter: f"option {letter}" for letter in letters}
    scores, rules = _rules(response, "A", {"answer_type": "choice", "options": options})
    assert scores["acc"] == 0.0 and "more than" in rules[-1]
