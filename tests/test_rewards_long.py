"""Long reasoning: the final answer at the end of a response of any length up to the cap is found (the
tail is kept, not the head), and every other bound holds (answer length, format reward)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewards.extract import find_answer
from rewards.format import format_reward
from rewards.score import compute_score
from rewards.text import MAX_ANSWER_CHARS, MAX_RESPONSE_CHARS

# "answer", "option" and "choice" occur (the markers' nouns, so the scan from the end has work to do) but
# never as a statement ("the answer is ...", "Answer: ..."), which would be a rival final answer
WORDS = ("the lesion opacity margin lobe density contrast shows appears with left right upper lower answer "
         "option choice enhancement border mass fluid region consistent suggests normal finding").split()
OPTIONS = {"A": "pneumothorax", "B": "pleural effusion", "C": "cardiomegaly"}
CHOICE = {"answer_type": "choice", "options": OPTIONS}
TOKENS_64K = 64_000


def reasoning(tokens: int, seed: int = 0) -> str:
    """``tokens`` words of plausible reasoning (about 5-6 characters a token, as in real traces)."""
    rng = random.Random(seed)
    return " ".join(rng.choices(WORDS, k=tokens))


@pytest.fixture(scope="module")
def long_reasoning() -> str:
    text = reasoning(TOKENS_64K)
    assert 250_000 < len(text) < MAX_RESPONSE_CHARS  # a 64k-token trace, inside the cap
    return text


@pytest.mark.parametrize(
    "template",
    [
        "<think>{r}</think><answer>B</answer>",
        "<think>{r}</think>\nThe answer is B.",
        "<think>{r}</think>\n\\boxed{{B}}",
        "<think>{r} so the final answer is B</think>",
        "{r}\nFinal answer: B",
    ],
)
def test_a_64k_token_response_with_the_answer_at_the_end_scores_one(long_reasoning, template):
    scores = compute_score(template.format(r=long_reasoning), "B", CHOICE)
    assert scores["acc"] == 1.0 and scores["answer_found"] == 1.0
    assert scores["format"] == float(template.startswith("<think>{r}</think><answer>"))


def test_past_the_cap_the_tail_is_kept_and_format_scores_zero():
    head = "x " * MAX_RESPONSE_CHARS
    scores = compute_score(f"<think>{head}</think><answer>B</answer>", "B", CHOICE)
    assert scores["acc"] == 1.0  # the answer at the end survives
    assert scores["format"] == 0.0  # the whole response is no longer checkable: no format reward
    # a well-formed tail is not enough
    assert format_reward(f"{head}<think>x</think><answer>B</answer>") == 0.0


def test_the_extracted_answer_stays_capped_in_a_long_response(long_reasoning):
    found = find_answer(f"<think>{long_reasoning}</think><answer>{'y' * (3 * MAX_ANSWER_CHARS)}</answer>")
    assert found.answer is not None and len(found.answer) <= MAX_ANSWER_CHARS


@settings(max_examples=25)
@given(
    tokens=st.integers(0, 70_000),
    seed=st.integers(0, 1000),
    template=st.sampled_from(["<think>{r}</think><answer>{a}</answer>", "{r} The answer is {a}.",
                              "<think>{r}</think>{a}", "{r}\n\\boxed{{{a}}}"]),
    answer=st.sampled_from(["A", "B", "C"]),
)
def test_property_the_last_answer_is_found_at_any_length(tokens, seed, template, answer):
    response = template.format(r=reasoning(tokens, seed), a=answer)
    assert find_answer(response).answer == answer
    assert compute_score(response, answer, CHOICE)["acc"] == 1.0


@settings(max_examples=10)
@given(tokens=st.integers(0, 70_000), early=st.sampled_from(["A", "C"]))
def test_property_an_earlier_different_block_in_long_reasoning_still_conflicts(tokens, early):
    response = f"<answer>{early}</answer>{reasoning(tokens)}<answer>B</answer>"
    assert compute_score(response, "B", CHOICE)["acc"] == 0.0
