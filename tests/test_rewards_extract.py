"""extract_answer: which part of a response counts as the final answer, and bounded work on hostile text."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards.extract import extract_answer, strip_lead_in
from rewards.text import MAX_ANSWER_CHARS, MAX_RESPONSE_CHARS, visible

# A guard against catastrophic backtracking (which takes seconds to hours), not a benchmark:
# these inputs take about a millisecond; the ceiling leaves room for a loaded CI box.
CATASTROPHE_SECONDS = 1.0


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        # the answer block
        ("<think>reasoning</think><answer>B</answer>", "B"),
        ("<think>r</think>\n<answer>\n  Pneumonia  \n</answer>", "Pneumonia"),
        ("<answer>A</answer> on second thought <answer>C</answer>", "C"),  # the last block wins
        ("<ANSWER>yes</Answer>", "yes"),  # tag case-insensitive
        ("< answer >no</ answer >", "no"),  # spacing inside the tag
        ("<answer>x <answer>B</answer>", "B"),  # the innermost opening before the last closing
        ("<answer>**B**.</answer>", "B"),  # markdown bold and trailing period go
        ("<answer>`12 mm`</answer>", "12 mm"),
        ("<answer>$\\frac{1}{2}$</answer>", "\\frac{1}{2}"),
        ("<answer>\\boxed{\\text{B}}</answer>", "B"),  # a box inside the block
        ("<answer>The answer is 3.5 cm.</answer>", "3.5 cm"),  # a lead-in inside the block
        ("<answer>Final answer: yes</answer>", "yes"),
        ("<answer>“Pneumonia”</answer>", "Pneumonia"),
        ("<think>the answer is A</think><answer>C</answer>", "C"),  # the block beats a stated answer
        # the last block decides even when it is empty
        ("<answer>B</answer><answer>  </answer>", None),
        ("<answer></answer>", None),
        # \boxed{}
        ("so the result is \\boxed{42}.", "42"),
        ("\\boxed{1} then \\boxed{\\frac{3}{4}}", "\\frac{3}{4}"),
        ("\\boxed {B}", "B"),
        ("\\fbox{C}", "C"),
        ("\\boxed{unbalanced", None),
        # "the answer is X"
        ("Looking at the film, the answer is B. Pneumonia explains it.", "B"),
        ("The final answer is: **pleural effusion**", "pleural effusion"),
        ("The correct option is (C)", "(C)"),
        ("the answer is A. Wait, the answer is D.", "D"),
        ("The answer would be 3.5 mm.\nMore text", "3.5 mm"),
        # "Answer: X"
        ("Reasoning...\nAnswer: yes", "yes"),
        ("Reasoning...\n**Final Answer:** C", "C"),
        ("Answer：no", "no"),  # full-width colon
        # a bare short response
        ("B", "B"),
        ("  Pneumonia.  ", "Pneumonia"),
        ("<think>long reasoning</think>\nright lower lobe", "right lower lobe"),
        ("<answer>B", "B"),  # an unclosed answer tag on a short response
        # what follows the reasoning outranks what was said inside it
        ("<think>the answer is A... or not</think>\nC", "C"),
        ("<think>\\boxed{A}</think> so the final answer is C.", "C"),
        ("<think>I conclude the answer is A</think>", "A"),  # nothing after it: look inside
        # nothing found
        ("", None),
        ("   ", None),
        (None, None),
        ("I think that the image shows a large consolidation in the right lower lobe which suggests", None),
        ("first line\nsecond line", None),
        ("<think>unfinished reasoning", None),
    ],
)
def test_extract_answer(response, expected):
    assert extract_answer(response) == expected


def test_custom_answer_tag_is_used_and_escaped():
    assert extract_answer("<final>B</final>", answer_tag="final") == "B"
    assert extract_answer("<answer>B</answer> <final>C</final>", answer_tag="final") == "C"
    assert extract_answer("<a.b>D</a.b>", answer_tag="a.b") == "D"
    assert extract_answer("<axb>D</axb>", answer_tag="a.b") is None  # "." is literal


@pytest.mark.parametrize("tag", ["", "a b", "<answer>", "x|y", None, "a" * 40])
def test_invalid_answer_tag_is_a_clear_error(tag):
    with pytest.raises(ValueError, match="tag name"):
        extract_answer("<answer>B</answer>", answer_tag=tag)


def test_an_overlong_response_keeps_its_tail():
    late = "x " * MAX_RESPONSE_CHARS + "<answer>B</answer>"
    assert extract_answer(late) == "B"  # the answer comes at the end: the head is what is cut
    early = "<answer>B</answer>" + "x " * MAX_RESPONSE_CHARS
    assert extract_answer(early) is None  # the block lies before the last MAX_RESPONSE_CHARS characters


def test_extracted_answer_is_capped():
    answer = extract_answer("<answer>" + "y" * (MAX_ANSWER_CHARS * 3) + "</answer>")
    assert answer is not None and len(answer) <= MAX_ANSWER_CHARS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The answer is B", "B"),
        ("Answer: yes", "yes"),
        ("final answer: 12", "12"),
        ("So, the correct answer is: C", "C"),
        ("Option B", "Option B"),  # no verb or colon: nothing to strip
        ("answers vary", "answers vary"),
    ],
)
def test_strip_lead_in(text, expected):
    assert strip_lead_in(text) == expected


ADVERSARIAL = {
    "open tags": "<answer>" * 20000,
    "close tags": "</answer>" * 20000,
    "open then close": "<answer>" * 10000 + "</answer>" * 10000,
    "braces": "{" * 50000,
    "boxes": "\\boxed{" * 20000,
    "stated": "the answer is " * 5000,
    "labelled": "Answer:" * 20000,
    "angle brackets": "<" * 100000,
    "spaces": " " * 100000 + "B",
    "one word": "a" * 100000,
    "unicode": "答案" * 50000,
    "think tags": "<think>" * 15000 + "</think>" * 15000,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_inputs_are_bounded(name):
    start = time.perf_counter()
    result = extract_answer(ADVERSARIAL[name])
    assert time.perf_counter() - start < CATASTROPHE_SECONDS
    assert result is None or len(result) <= MAX_ANSWER_CHARS


@given(st.text(max_size=3000))
def test_any_text_gives_a_short_string_or_none(text):
    result = extract_answer(text)
    assert result is None or (isinstance(result, str) and 0 < len(result) <= MAX_ANSWER_CHARS)


@given(
    st.lists(
        st.sampled_from(["<answer>", "</answer>", "\\boxed{", "{", "}", "answer is ", "B", " ", "\n"]),
        max_size=300,
    )
)
def test_tag_soup_never_raises(parts):
    result = extract_answer("".join(parts))
    assert result is None or isinstance(result, str)


@given(st.text(alphabet=st.characters(blacklist_characters="<>"), min_size=1, max_size=200).filter(str.strip))
def test_the_answer_comes_from_inside_the_last_block(inner):
    result = extract_answer(f"<think>t</think><answer>{inner}</answer>")
    # read as shown: invisible characters dropped, look-alike letters read as Latin (rewards.text.visible)
    assert result is None or result in visible(inner)
