"""Format reward: 1.0 iff the response is exactly ``<think>...</think>`` then ``<answer>...</answer>``."""

from __future__ import annotations

import re
from functools import lru_cache

from rewards.extract import TAG_NAME
from rewards.text import MAX_RESPONSE_CHARS, clip


def format_reward(response: str, think_tag: str = "think", answer_tag: str = "answer") -> float:
    """1.0 when the stripped ``response`` is one think block, then one non-empty answer block, else 0.0.

    Only whitespace may come before, between and after the two blocks; neither tag may appear anywhere
    else, in any case or spacing (``<Answer>``, ``< /think>``), so nested or repeated blocks score 0.
    The two blocks' tags must be written exactly as given (same case, no spaces). The think block may be
    empty, as in R1-style format rewards; the answer may not. A response longer than
    ``MAX_RESPONSE_CHARS`` scores 0.
    """
    exact, any_tag = _tags(_checked(think_tag, "think"), _checked(answer_tag, "answer"))
    text = clip(response, MAX_RESPONSE_CHARS + 1)
    if len(text) > MAX_RESPONSE_CHARS:
        return 0.0
    text = text.strip()
    think_open, think_close, answer_open, answer_close = exact
    if not (text.startswith(think_open) and text.endswith(answer_close)):
        return 0.0
    if len(any_tag.findall(text)) != 4:  # each of the four tags once, in any spelling
        return 0.0
    think_end = text.find(think_close)
    answer_start = text.find(answer_open)
    between = text[think_end + len(think_close) : answer_start]
    if not 0 <= think_end < answer_start or between.strip():
        return 0.0
    answer = text[answer_start + len(answer_open) : len(text) - len(answer_close)]
    return 1.0 if answer.strip() else 0.0


@lru_cache(maxsize=32)
def _tags(think: str, answer: str) -> tuple[tuple[str, str, str, str], re.Pattern[str]]:
    """The four exact tags, and a pattern that finds either tag in any case or spacing."""
    if think.lower() == answer.lower():
        raise ValueError(f"think_tag and answer_tag are both {think!r}; they must differ")
    names = f"(?:{re.escape(think)}|{re.escape(answer)})"
    any_tag = re.compile(rf"<\s{{0,8}}/?\s{{0,8}}{names}\s{{0,8}}>", re.IGNORECASE)
    return (f"<{think}>", f"</{think}>", f"<{answer}>", f"</{answer}>"), any_tag


def _checked(tag: str, role: str) -> str:
    if not isinstance(tag, str) or not TAG_NAME.fullmatch(tag):
        raise ValueError(
            f"{role}_tag {tag!r} is not a tag name; use letters, digits, '_', '-' or '.', e.g. {role!r}"
        )
    return tag
