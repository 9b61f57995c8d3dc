"""Pull the final answer out of a model response: the last ``<answer>`` block, else a boxed/stated/bare one.

Every step is a linear scan over a response cut to ``MAX_RESPONSE_CHARS``: model output is untrusted.
"""

from __future__ import annotations

import re
from collections import deque
from functools import lru_cache

from rewards.text import MAX_ANSWER_CHARS, MAX_RESPONSE_CHARS, clip

MAX_BARE_WORDS = 10  # a response with no marker at all is taken as the answer only when this short
MAX_BARE_CHARS = 120
MAX_STATED_CHARS = 300  # how far after "the answer is" / "Answer:" a stated answer may run

TAG_NAME = re.compile(r"[A-Za-z_][\w.-]{0,31}")  # what a configurable tag (answer, think) may be called
_BOXED = re.compile(r"\\(?:boxed|fbox)\s{0,8}\{")
_LATEX_WRAPPER = re.compile(r"^\\(?:text|textbf|mathrm|mathbf)\s{0,8}\{(.*)\}$", re.DOTALL)
_ANSWER_NOUN = r"(?:final\s{1,8}|correct\s{1,8}|best\s{1,8}|right\s{1,8})?(?:answer|option|choice)"
_ANSWER_VERB = r"(?:is|would\s{1,8}be|will\s{1,8}be)\b"
_STATED = re.compile(rf"\b{_ANSWER_NOUN}\s{{1,8}}{_ANSWER_VERB}\s{{0,8}}:?", re.IGNORECASE)
_LABELLED = re.compile(r"\b(?:final\s{1,8})?answer\s{0,8}[:：]", re.IGNORECASE)
_LEAD_IN = re.compile(
    r"^\s{0,8}(?:(?:so|therefore|thus)\s{0,8},?\s{1,8})?(?:(?:the|my)\s{1,8})?"
    rf"{_ANSWER_NOUN}\s{{0,8}}(?:{_ANSWER_VERB}\s{{0,8}}[:：]?|[:：])\s{{0,8}}",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?;](?=\s|$)")
_ANY_CLOSING_TAG = re.compile(r"</[^<>\n]{1,32}>")
_TAG_LIKE = re.compile(r"<\s{0,8}(?:/|[A-Za-z]|$)")
_WRAPPING = "*_`\"'“”‘’ \t\r\n"


def extract_answer(response: str, answer_tag: str = "answer") -> str | None:
    """The final answer in ``response``, cleaned of markdown and a trailing period, or ``None``.

    Order: the last complete ``<answer_tag>...</answer_tag>`` block (case-insensitive; when present it
    decides, even if empty), else the last ``\\boxed{...}``, else the last "the (final) answer is X",
    else the last "Answer: X" / "Final answer: X", else the text itself when it is short (at most
    ``MAX_BARE_WORDS`` words on one line). These fallbacks look first at what follows the last closing
    tag (``</think>``): what comes after the reasoning outranks what was said inside it.
    """
    open_tag, close_tag = _tag_patterns(_checked_tag(answer_tag))
    text = clip(response, MAX_RESPONSE_CHARS)
    block = _last_block(text, open_tag, close_tag)
    if block is not None:
        return _unwrap(block)
    closing = _last(_ANY_CLOSING_TAG, text)
    tail = open_tag.sub(" ", text[closing.end() :] if closing else text)
    for find in (_boxed, _stated, _labelled, _bare):
        found = find(tail)
        if found is not None:
            return found
    if closing is None:
        return None
    for find in (_boxed, _stated, _labelled):
        found = find(text)
        if found is not None:
            return found
    return None


def strip_lead_in(answer: str) -> str:
    """``answer`` without a leading "The answer is" / "Answer:" / "Final answer:" phrase."""
    return _LEAD_IN.sub("", answer, count=1)


def _checked_tag(tag: str) -> str:
    if not isinstance(tag, str) or not TAG_NAME.fullmatch(tag):
        raise ValueError(
            f"answer tag {tag!r} is not a tag name; use letters, digits, '_', '-' or '.', e.g. 'answer'"
        )
    return tag


@lru_cache(maxsize=32)
def _tag_patterns(tag: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    name = re.escape(tag)
    return (
        re.compile(rf"<\s{{0,8}}{name}\s{{0,8}}>", re.IGNORECASE),
        re.compile(rf"<\s{{0,8}}/\s{{0,8}}{name}\s{{0,8}}>", re.IGNORECASE),
    )


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    last = deque(pattern.finditer(text), maxlen=1)
    return last[0] if last else None


def _last_block(text: str, open_tag: re.Pattern[str], close_tag: re.Pattern[str]) -> str | None:
    close = _last(close_tag, text)
    if close is None:
        return None
    opening = _last(open_tag, text[: close.start()])
    if opening is None:
        return None
    return text[opening.end() : close.start()]


def _unwrap(block: str) -> str | None:
    """An answer block's content: a ``\\boxed{}`` inside wins, a leading "The answer is" goes."""
    boxed = _boxed(block)
    if boxed is not None:
        return boxed
    return _clean(strip_lead_in(block))


def _boxed(text: str) -> str | None:
    start = _last(_BOXED, text)
    if start is None:
        return None
    depth = 1
    stop = min(len(text), start.end() + MAX_ANSWER_CHARS)
    for i in range(start.end(), stop):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                inner = text[start.end() : i].strip()
                wrapped = _LATEX_WRAPPER.match(inner)
                return _clean(wrapped.group(1) if wrapped else inner)
    return None  # unbalanced (a truncated response): not an answer


def _after(pattern: re.Pattern[str], text: str) -> str | None:
    """The rest of the line after the last match of ``pattern``, up to the end of its sentence."""
    found = _last(pattern, text)
    if found is None:
        return None
    rest = text[found.end() : found.end() + MAX_STATED_CHARS].lstrip(_WRAPPING)
    rest = rest.split("\n", 1)[0]
    tag = _TAG_LIKE.search(rest)
    rest = rest[: tag.start()] if tag else rest
    end = _SENTENCE_END.search(rest)
    return _clean(rest[: end.start()] if end else rest)


def _stated(text: str) -> str | None:
    return _after(_STATED, text)


def _labelled(text: str) -> str | None:
    return _after(_LABELLED, text)


def _bare(text: str) -> str | None:
    """``text`` itself when it is one short line with no tags or boxes: not reasoning, just an answer."""
    s = text.strip()
    if not s or len(s) > MAX_BARE_CHARS or "\n" in s or _TAG_LIKE.search(s) or _BOXED.search(s):
        return None
    return _clean(s) if len(s.split()) <= MAX_BARE_WORDS else None


def _clean(answer: str) -> str | None:
    """Surrounding whitespace, markdown emphasis, quotes, ``$...$`` and a trailing period removed."""
    s = answer[:MAX_ANSWER_CHARS]
    for _ in range(3):  # peel nested wrappers such as **`B`**. or $12$.
        before = s
        s = s.strip(_WRAPPING)
        if len(s) >= 2 and s[0] == "$" and s[-1] == "$":
            s = s.strip("$")
        s = s.rstrip(".。").rstrip()
        if s == before:
            break
    return s or None
