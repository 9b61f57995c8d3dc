"""Self-corrections inside one final answer ("B. Actually, C", "left. Wait, no: right"): the answers named.

A marker counts only when an answer precedes it, so "Actually, it is C" is one answer. Bounded regexes.
"""

from __future__ import annotations

import re

from rewards.text import MAX_ANSWER_CHARS

MAX_PARTS = 8  # answers read from one self-correcting answer; the rest is kept in the last part
# Markers that correct what came before wherever they stand: "B, I mean C", "B or rather C".
_ANYWHERE = (
    r"i\s{1,4}meant?|or\s{1,4}rather|no\s{0,4},?\s{0,4}wait|scratch\s{1,4}that|strike\s{1,4}that"
    r"|i\s{1,4}take\s{1,4}(?:that|it)\s{1,4}back|let\s{1,4}me\s{1,4}correct(?:\s{1,4}(?:that|myself))?"
    r"|make\s{1,4}that|on\s{1,4}second\s{1,4}thoughts?|change\s{1,4}(?:my|the)\s{1,4}answer(?:\s{1,4}to)?"
)
# Words that correct only at the start of a clause and as an interjection, followed by punctuation or a
# new claim: "B. Actually, C", "B. Wait no, C", "B. Actually it's C"; not "is actually benign" nor
# "B; actually the meniscus sign confirms it".
_NEW_CLAIM = r"it\s{0,2}['’]?\s{0,2}s|it\s{1,4}is|the\s{1,4}answer|i\s{1,4}think"
_INTERJECTION = (
    r"(?:actually|correction|sorry|oops|wait|hold\s{1,4}on|on\s{1,4}reflection|my\s{1,4}mistake"
    rf"|i\s{{1,4}}was\s{{1,4}}wrong)(?=\s{{0,4}}[,:;.!?…—–-]|\s{{1,4}}(?:{_NEW_CLAIM}|no)\b)"
)
_CLAUSE_START = rf"{_INTERJECTION}|no\s{{0,4}}[,;:]\s{{0,4}}(?:{_NEW_CLAIM})"
_CLAUSE_START_ZH = r"不对(?![称等])|等等|等一下|更正|我是说|我的意思是|说错了"
_CORRECTION = re.compile(
    rf"\b(?:{_ANYWHERE})\b"
    rf"|(?<=[.;:!?…,()\[\]—–-])\s{{0,4}}(?:{_CLAUSE_START})\b"
    rf"|(?<=[，。；：！？（,.;:!?(])\s{{0,4}}(?:{_CLAUSE_START_ZH})",
    re.IGNORECASE,
)
# Every marker, casefolded, holds one of these: a cheap case-sensitive test before the full scan.
_TRIGGER = re.compile(
    r"mean|rather|wait|scratch|strike|back|correct|make|second|change|actually|sorry|oops|hold|reflection"
    r"|mistake|wrong|no\s{0,4}[,;:]|不对|等|更正|我是说|我的意思|说错"
)
_CONTENT = re.compile(r"[^\W_]")  # a letter or digit, in any script
_EDGES = " \t\r\n,.;:!?…-–—，。；：！？、"


def correction_parts(answer: str) -> list[str]:
    """The answers a self-correcting ``answer`` names, in order (two or more), or ``[answer]`` when it
    corrects nothing."""
    text = answer[:MAX_ANSWER_CHARS]
    if _TRIGGER.search(text.casefold()) is None:
        return [answer]
    parts: list[str] = []
    start = 0
    for marker in _CORRECTION.finditer(text):
        before = text[start : marker.start()]
        if _CONTENT.search(before):
            parts.append(before)
        start = marker.end()
        if len(parts) == MAX_PARTS - 1:
            break
    if not parts:
        return [answer]
    parts.append(text[start:])
    named = [_trimmed(part) for part in parts if _CONTENT.search(part)]
    return named if len(named) > 1 else [answer]


def _trimmed(part: str) -> str:
    """``part`` without edge punctuation, nor a bracket the split left unpaired: "B (sorry, C)" -> B, C."""
    part = part.strip(_EDGES)
    for opening, closing in ("()", "[]", "（）"):
        if part.endswith(opening) or (part.endswith(closing) and opening not in part):
            part = part[:-1].strip(_EDGES)
        if part.startswith(closing) or (part.startswith(opening) and closing not in part):
            part = part[1:].strip(_EDGES)
    return part
