"""Format reward: exactly one think block then one non-empty answer block, nothing else."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards.format import format_reward
from rewards.text import MAX_RESPONSE_CHARS


@pytest.mark.parametrize(
    "response",
    [
        "<think>reasoning</think><answer>B</answer>",
        "<think>reasoning</think>\n<answer>B</answer>",
        "  \n<think>\nmulti\nline\n</think>\n\n<answer> B </answer>\n  ",
        "<think></think><answer>B</answer>",  # decided: an empty think block is allowed
        "<think>a < b and c > d</think><answer>yes</answer>",  # angle brackets that are no tags
        "<think>x</think><answer>Pneumonia, right lower lobe</answer>",
    ],
)
def test_well_formed_responses_score_one(response):
    assert format_reward(response) == 1.0


@pytest.mark.parametrize(
    ("response", "why"),
    [
        ("", "empty"),
        (None, "none"),
        ("B", "no tags"),
        ("<answer>B</answer>", "no think block"),
        ("<think>x</think>", "no answer block"),
        ("<think>x</think><answer></answer>", "empty answer"),
        ("<think>x</think><answer>  \n </answer>", "blank answer"),
        ("preamble <think>x</think><answer>B</answer>", "text before"),
        ("<think>x</think><answer>B</answer> trailing", "text after"),
        ("<think>x</think> between <answer>B</answer>", "text between"),
        ("<answer>B</answer><think>x</think>", "wrong order"),
        ("<think><answer></think></answer>", "interleaved"),
        ("<think>x<think>y</think></think><answer>B</answer>", "nested think"),
        ("<think>x</think><answer>B<answer>C</answer></answer>", "nested answer"),
        ("<think>x</think><answer>B</answer><answer>C</answer>", "two answers"),
        ("<think>x</think><think>y</think><answer>B</answer>", "two thinks"),
        ("<think>I will write <answer> later</think><answer>B</answer>", "answer tag inside think"),
        ("<think>x</think><answer>B</think></answer>", "think tag inside answer"),
        ("<think>x < /answer></think><answer>B</answer>", "a spaced tag is still a tag"),
        ("<THINK>x</THINK><answer>B</answer>", "tags must be written as given"),
        ("<think>x</think><Answer>B</Answer>", "tags must be written as given"),
        ("<think>x</think><answer>B", "unclosed answer"),
        ("<think>x<answer>B</answer>", "unclosed think"),
    ],
)
def test_malformed_responses_score_zero(response, why):
    assert format_reward(response) == 0.0, why


def test_custom_tags():
    assert format_reward("<reasoning>x</reasoning><final>B</final>", "reasoning", "final") == 1.0
    assert format_reward("<think>x</think><answer>B</answer>", "reasoning", "final") == 0.0
    assert format_reward("<r.x>x</r.x><a>B</a>", "r.x", "a") == 1.0
    assert format_reward("<rax>x</rax><a>B</a>", "r.x", "a") == 0.0  # "." is literal


@pytest.mark.parametrize(
    ("think_tag", "answer_tag", "message"),
    [
        ("", "answer", "think_tag"),
        ("think", "a b", "answer_tag"),
        ("<think>", "answer", "think_tag"),
        ("think", None, "answer_tag"),
        ("same", "same", "must differ"),
    ],
)
def test_invalid_tags_are_clear_errors(think_tag, answer_tag, message):
    with pytest.raises(ValueError, match=message):
        format_reward("<think>x</think><answer>B</answer>", think_tag, answer_tag)


def test_overlong_response_scores_zero():
    body = "x" * MAX_RESPONSE_CHARS
    assert format_reward(f"<think>{body}</think><answer>B</answer>") == 0.0
    assert format_reward(f"<think>{body[:1000]}</think><answer>B</answer>") == 1.0


@pytest.mark.parametrize(
    "response",
    ["<think>" * 20000, "</answer>" * 20000, "<" * 100000, "<think>" + "<answer>" * 10000 + "</answer>"],
)
def test_huge_responses_are_bounded(response):
    start = time.perf_counter()
    assert format_reward(response) == 0.0
    assert time.perf_counter() - start < 1.0  # catastrophic-backtracking guard, not a benchmark


@given(st.text(max_size=2000))
def test_any_text_scores_zero_or_one(text):
    assert format_reward(text) in (0.0, 1.0)


@given(
    st.text(alphabet=st.characters(blacklist_characters="<>"), max_size=200),
    st.text(alphabet=st.characters(blacklist_characters="<>"), max_size=200).filter(str.strip),
)
def test_any_tag_free_contents_are_well_formed(think, answer):
    assert format_reward(f"<think>{think}</think>\n<answer>{answer}</answer>") == 1.0


@given(st.lists(st.sampled_from(["<think>", "</think>", "<answer>", "</answer>", "x", " "]), max_size=20))
def test_one_when_and_only_when_the_tags_read_think_then_answer(parts):
    tags = [part for part in parts if part.startswith("<")]
    expected_tags = ["<think>", "</think>", "<answer>", "</answer>"]
    score = format_reward("".join(parts))
    if score == 1.0:
        assert tags == expected_tags
