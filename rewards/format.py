"""Format reward: 1.0 iff the response is exactly ``<think>...</think>`` then ``<answer>...</answer>``."""

from __future__ import annotations

import re
from functools import lru_cache

from rewards.text import MAX_RESPONSE_CHARS, clip

_TAG_NAME = re.compile(r"[A-Za-z_][\w.-]{0,31}")


def format_reward(response: str, think_tag: str = "think", answer_tag: str = "answer") -> float:
    """1.0 when the stripped ``response`` is one think block, then one non-empty answer block, else 0.0.

    Only whitespace may come before, between and after the two blocks; neither tag may appear anywhere
    else, in any case or spacing (``<Answer>``, ``< /think>``), so nested or repeated blocks score 0.
    The tags themselves must be written exactly (lower-case as given, no spaces). The think block may be
    empty, as in R1-style format rewards; the answer may not. A response longer than
    ``MAX_RESPONSE_CHARS`` scores 0 (it is cut first, which drops its closing tag).
    """
    tags = _tags(_checked(think_tag, "think"), _checked(answer_tag, "answer"))
    text = clip(response, MAX_RESPONSE_CHARS + 1)
    if len(text) > MAX_RESPONSE_CHARS:
        return 0.0
    text = text.strip()
    think_open, think_close, answer_open, answer_close = tags.exact
    if not (text.startswith(think_open) and text.endswith(answer_close)):
        return 0.0
    if len(tags.any_tag.findall(text)) != 4:  # each of the four tags once, in any spelling
        return 0.0
    think_end = text.find(think_close)
    answer_start = text.find(answer_open)
    between = text[think_end + len(think_close) : answer_start]
    if not 0 <= think_end < answer_start or between.strip():
        return 0.0
    answer = text[answer_start + len(answer_open) : len(text) - len(answer_close)]
    return 1.0 if answer.strip() else 0.0


class _Tags:
    """The exact tag strings and a loose pattern that finds any spelling of either tag."""

    def __init__(self, think: str, answer: str) -> None:
        self.exact = (f"<{think}>", f"</{think}>", f"<{answer}>", f"</{answer}>")
        names = f"(?:{re.escape(think)}|{re.escape(answer)})"
        self.any_tag = re.compile(rf"<\s{{0,8}}/?\s{{0,8}}{names}\s{{0,8}}>", re.IGNORECASE)


@lru_cache(maxsize=32)
def _tags(think: str, answer: str) -> _Tags:
    if think.lower() == answer.lower():
        raise ValueError(f"think_tag and answer_tag are both {think!r}; they must differ")
    return _Tags(think, answer)


def _checked(tag: str, role: str) -> str:
    if not isinstance(tag, str) or not _TAG_NAME.fullmatch(tag):
        raise ValueError(
            f"{role}_tag {tag!r} is not a tag name; use letters, digits, '_', '-' or '.', e.g. {role!r}"
        )
    return tag
