"""Explicit final-answer markers in text: ``\\boxed{}``, "the answer is X", "Answer: X" (and Chinese 答案).

Bounded: the last ``MAX_MARKERS`` of each kind are read, "the answer is" is found from the end of the text,
and what follows a marker is cut at its line, its sentence and ``MAX_STATED_CHARS``.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator

from rewards.text import MAX_ANSWER_CHARS

MAX_STATED_CHARS = 300  # how far after "the answer is" / "Answer:" a stated answer may run
MAX_MARKERS = 32  # only the last this many boxes / statements of a text are read

BOXED = re.compile(r"\\(?:boxed|fbox)\s{0,8}\{")
_LATEX_WRAPPER = re.compile(r"^\\(?:text|textbf|mathrm|mathbf|boxed|fbox)\s{0,8}\{(.*)\}$", re.DOTALL)
_ANSWER_NOUN = r"(?:final\s{1,8}|correct\s{1,8}|best\s{1,8}|right\s{1,8})?(?:answer|option|choice)"
_ANSWER_VERB = r"(?:is|would\s{1,8}be|will\s{1,8}be)\b"
# "the answer is" / "Answer:" are found from the end of the casefolded text: the last occurrence of a
# noun, then a bounded pattern right after it (_STATED and _LABELLED scan text casefolding would resize).
_STATED = re.compile(rf"\b{_ANSWER_NOUN}\s{{1,8}}{_ANSWER_VERB}\s{{0,8}}:?", re.IGNORECASE)
_LABELLED = re.compile(r"\b(?:final\s{1,8})?answer\s{0,8}[:：]", re.IGNORECASE)
_STATED_AFTER_NOUN = (("answer", "option", "choice"), re.compile(rf"\s{{1,8}}{_ANSWER_VERB}\s{{0,8}}:?"))
_LABELLED_AFTER_NOUN = (("answer",), re.compile(r"\s{0,8}[:：]"))
# A "Final Answer" heading on a line of its own ("**Final Answer**", "## Final answer"): the answer is below.
_HEADING = re.compile(
    r"^[ \t#*_>]{0,8}final[ \t]{1,8}answer[ \t]{0,8}[*_#:：]{0,6}[ \t]{0,8}\n", re.IGNORECASE | re.MULTILINE
)
_MARKER_HINT = re.compile("answer|option|choice|答案")  # every marker holds one, casefolded
# Chinese "(final) answer is" / "answer:"; a separate pattern, searched only when "答案" occurs, because
# one more alternative makes every English scan several times slower
_LABELLED_ZH = re.compile(r"(?:最终|正确)?答案\s{0,8}(?:是|为|[:：])\s{0,8}[:：]?")
_LEAD_IN = re.compile(
    r"^\s{0,8}(?:(?:so|therefore|thus)\s{0,8},?\s{1,8})?(?:(?:the|my)\s{1,8})?"
    rf"{_ANSWER_NOUN}\s{{0,8}}(?:{_ANSWER_VERB}\s{{0,8}}[:：]?|[:：])\s{{0,8}}",
    re.IGNORECASE,
)
_LEAD_IN_ZH = re.compile(rf"^\s{{0,8}}{_LABELLED_ZH.pattern}\s{{0,8}}")
_SENTENCE_END = re.compile(r"[.!?;](?=\s|$)|[。！？；]")
TAG_LIKE = re.compile(r"<\s{0,8}(?:/|[A-Za-z]|$)")
_WRAPPING = "*_`\"'“”‘’ \t\r\n"


def strip_lead_in(answer: str) -> str:
    """``answer`` without a leading "The answer is" / "Answer:" / "Final answer:" phrase."""
    answer = _LEAD_IN.sub("", answer, count=1)
    return _LEAD_IN_ZH.sub("", answer, count=1) if "答案" in answer[:32] else answer


def _box_content(text: str, start: int) -> str | None:
    """The content of the box whose ``{`` ends at ``start``; ``None`` when unbalanced (truncated)."""
    depth = 1
    stop = min(len(text), start + MAX_ANSWER_CHARS)
    for i in range(start, stop):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                inner = text[start:i].strip()
                wrapped = _LATEX_WRAPPER.match(inner)
                return clean(wrapped.group(1) if wrapped else inner)
    return None


def last_match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The last match of ``pattern`` in ``text`` (one linear scan), or ``None``."""
    last = deque(pattern.finditer(text), maxlen=1)
    return last[0] if last else None


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{}`` in ``text``; ``None`` if none or it is unbalanced."""
    start = last_match(BOXED, text) if "\\" in text else None
    return _box_content(text, start.end()) if start else None


def _all_boxed(text: str) -> Iterator[str | None]:
    if "\\" in text:
        for start in deque(BOXED.finditer(text), maxlen=MAX_MARKERS):
            yield _box_content(text, start.end())


def _said_after(end: int, text: str) -> str | None:
    """The rest of the line from ``end`` (where a marker ends), up to the end of its sentence."""
    rest = text[end : end + MAX_STATED_CHARS].lstrip(_WRAPPING)
    rest = rest.split("\n", 1)[0]
    tag = TAG_LIKE.search(rest)
    rest = rest[: tag.start()] if tag else rest
    boxed = last_boxed(rest) if "\\" in rest else None  # "the answer is \boxed{B}"
    if boxed is not None:
        return boxed
    end = _SENTENCE_END.search(rest)
    return clean(strip_lead_in(rest[: end.start()] if end else rest))


def _ends_from_end(folded: str, nouns: tuple[str, ...], after: re.Pattern[str]) -> list[int]:
    """Where the last ``MAX_MARKERS`` markers of each noun end: the noun starting a word, ``after`` right
    after it. Scans back from the end (``rfind``), so a long reasoning costs little when it ends in one."""
    ends = []
    for noun in nouns:
        stop, found = len(folded), 0
        while found < MAX_MARKERS:
            at = folded.rfind(noun, 0, stop)
            if at < 0:
                break
            stop = at
            if at and (folded[at - 1].isalnum() or folded[at - 1] == "_"):
                continue  # inside a word: "reanswer"
            marker = after.match(folded, at + len(noun))
            if marker is not None:
                ends.append((at, marker.end()))
                found += 1
    return [end for _, end in sorted(ends)[-MAX_MARKERS:]]


def _marker_ends(text: str) -> tuple[list[int], list[int]]:
    """Where the last "the answer is" and the last "Answer:" markers of ``text`` end."""
    folded = text.casefold()
    if len(folded) == len(text):  # casefolding kept every position: search the folded text
        stated = _ends_from_end(folded, *_STATED_AFTER_NOUN)
        labelled = _ends_from_end(folded, *_LABELLED_AFTER_NOUN)
    else:
        stated = [m.end() for m in deque(_STATED.finditer(text), maxlen=MAX_MARKERS)]
        labelled = [m.end() for m in deque(_LABELLED.finditer(text), maxlen=MAX_MARKERS)]
    has_heading = "final" in folded and "\n" in folded
    headings = [m.end() for m in deque(_HEADING.finditer(text), maxlen=MAX_MARKERS)] if has_heading else []
    if headings:
        labelled = sorted(set(labelled + headings))[-MAX_MARKERS:]
    if "答案" in text:
        chinese = [m.end() for m in deque(_LABELLED_ZH.finditer(text), maxlen=MAX_MARKERS)]
        labelled = sorted(labelled + chinese)[-MAX_MARKERS:]
    return stated, labelled


def marked(text: str) -> tuple[tuple[str, list[str | None]], ...]:
    """The boxed, stated and labelled answers in ``text``, by kind, in fallback order (the last
    ``MAX_MARKERS`` of each; ``None`` where a marker holds nothing readable, e.g. an unbalanced box)."""
    boxed = list(_all_boxed(text)) if "\\" in text else []
    stated, labelled = _marker_ends(text)
    return (
        ("\\boxed{}", boxed),
        ("'the answer is ...'", [_said_after(end, text) for end in stated]),
        ("'Answer: ...' label", [_said_after(end, text) for end in labelled]),
    )


def statements(text: str) -> list[str]:
    """Every boxed, stated and labelled answer in ``text``."""
    if "\\" not in text and not _MARKER_HINT.search(text.casefold()):
        return []
    return [answer for _, answers in marked(text) for answer in answers if answer]


def clean(answer: str) -> str | None:
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
