"""``rewards.explain_score``: the answer and where it was found, the verifier and why, the rules noted,
and exactly the scores ``compute_score`` gives."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards import Explanation, RewardConfig, compute_score, explain_score
from rewards.explain import decided_by
from rewards.registry import register_verifier
from rewards.score import SCORE_KEYS

OPTIONS = {"A": "CT", "B": "MRI", "C": "PET"}


@register_verifier("test_noting")
def noting_verifier(answer: str, ground_truth: str, extra_info) -> float:
    """Exact match that notes the rule it applied."""
    decided_by(f"exact: {answer!r} vs {ground_truth!r}")
    return float(answer == ground_truth)


@pytest.mark.parametrize(
    ("response", "answer", "found_in"),
    [
        ("<think>t</think><answer>B</answer>", "B", "the last <answer> block"),
        ("<think>t</think><answer>\\boxed{B}</answer>", "B", "\\boxed{} in the last <answer> block"),
        ("<think>t</think> so \\boxed{B}", "B", "\\boxed{} after the reasoning"),
        ("<think>t</think> The answer is B.", "B", "'the answer is ...' after the reasoning"),
        ("Reasoning.\nFinal Answer: B", "B", "'Answer: ...' label in the response"),
        ("<think>t</think>\nB", "B", "a bare short reply after the reasoning"),
        ("<think>the answer is B</think>", "B",
         "'the answer is ...' inside the reasoning (nothing after it)"),
        ("<think>no idea, sorry about that, really no idea at all here</think>", None, "no answer found"),
    ],
)
def test_where_the_answer_was_found(response, answer, found_in):
    explanation = explain_score(response, "B", {"options": OPTIONS})
    assert (explanation.answer, explanation.found_in) == (answer, found_in)
    assert explanation.scores == compute_score(response, "B", {"options": OPTIONS})


@pytest.mark.parametrize(
    ("ground_truth", "extra_info", "config", "verifier", "why"),
    [
        ("B", {"options": OPTIONS}, None, "choice", "inferred: the row has options"),
        ("yes", {}, None, "closed", "inferred from the ground truth (no answer_type, no options)"),
        ("B", {"answer_type": "MCQ", "options": OPTIONS}, None, "choice",
         "the row's answer_type 'MCQ', read as 'choice'"),
        ("3", {"answer_type": "numeric"}, None, "numeric", "the row's answer_type 'numeric'"),
        ("B", {"verifier": "test_noting"}, None, "test_noting", "named by the row's extra_info['verifier']"),
        ("B", {"verifier": "closed"}, RewardConfig(verifier="test_noting"), "test_noting",
         "set in the config (reward.verifier)"),
    ],
)
def test_which_verifier_and_why(ground_truth, extra_info, config, verifier, why):
    explanation = explain_score("<answer>B</answer>", ground_truth, extra_info, config)
    assert (explanation.verifier, explanation.verifier_reason) == (verifier, why)


def test_rules_noted_while_judging_are_listed_in_order_and_printed():
    explanation = explain_score("<answer>B. Actually, C</answer>", "C", {"verifier": "test_noting"})
    assert explanation.rules == (
        "exact: 'B' vs 'C'",
        "exact: 'C' vs 'C'",
        "conflict: a self-correction ('Actually', 'Wait', 'I mean', ...): 'B' vs 'C' score 0, 1",
    )
    assert explanation.candidates == ("B", "C")
    assert explanation.scores["acc"] == 0.0
    text = str(explanation)
    assert "rules:       exact: 'B' vs 'C'" in text and "conflict: a self-correction" in text
    assert "answers:     'B' | 'C'" in text
    assert all(f"{key}=" in text for key in SCORE_KEYS)


def test_a_plain_decision_says_no_rule_was_noted():
    explanation = explain_score("<answer>B</answer>", "B", {"options": OPTIONS})
    assert isinstance(explanation, Explanation) and explanation.rules == ()
    assert "no rule noted" in str(explanation)


RESPONSES = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(["<think>", "</think>", "<answer>", "</answer>", "A", "B", "C", "yes", " ",
                              "The answer is ", "Final answer: ", "\\boxed{", "}", ". Actually, ", "\n"]),
             max_size=30).map("".join),
)


@given(response=RESPONSES, ground_truth=st.sampled_from(["B", "yes", "3 mm", "MRI"]),
       with_options=st.booleans())
def test_property_explain_score_gives_exactly_compute_scores_scores(response, ground_truth, with_options):
    info = {"options": OPTIONS} if with_options else {}
    explanation = explain_score(response, ground_truth, info)
    assert explanation.scores == compute_score(response, ground_truth, info)
    assert (explanation.answer is None) == (explanation.scores["answer_found"] == 0.0)
    assert len(explanation.candidates) >= (1 if explanation.answer else 0)
