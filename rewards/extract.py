"""Pull the final answer out of a model response, say where it was, and list every final answer it gives.

Every step is a linear scan over the response's last ``MAX_RESPONSE_CHARS`` characters: the answer comes
at the end of long reasoning, and model output is untrusted (bounded regexes, capped answers).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from functools import lru_cache
from typing import NamedTuple

from rewards.corrections import correction_parts
from rewards.text import MAX_ANSWER_CHARS, MAX_RESPONSE_CHARS, clip_tail, normalize_text

MAX_BARE_WORDS = 10  # a response with no marker at all is taken as the answer only when this short
MAX_BARE_CHARS = 120
MAX_STATED_CHARS = 300  # how far after "the answer is" / "Answer:" a stated answer may run
MAX_CANDIDATES = 8  # distinct final answers kept per response; more are a conflict whatever they say
MAX_MARKERS = 32  # only the last this many boxes / statements / blocks of a response are read

TAG_NAME = re.compile(r"[A-Za-z_][\w.-]{0,31}")  # what a configurable tag (answer, think) may be called
_BOXED = re.compile(r"\\(?:boxed|fbox)\s{0,8}\{")
_LATEX_WRAPPER = re.compile(r"^\\(?:text|textbf|mathrm|mathbf|boxed|fbox)\s{0,8}\{(.*)\}$", re.DOTALL)
_ANSWER_NOUN = r"(?:final\s{1,8}|correct\s{1,8}|best\s{1,8}|right\s{1,8})?(?:answer|option|choice)"
_ANSWER_VERB = r"(?:is|would\s{1,8}be|will\s{1,8}be)\b"
# "the answer is" / "Answer:" are found from the end of the casefolded text: the last occurrence of a
# noun, then a bounded pattern right after it (_STATED and _LABELLED scan text casefolding would resize).
_STATED = re.compile(rf"\b{_ANSWER_NOUN}\s{{1,8}}{_ANSWER_VERB}\s{{0,8}}:?", re.IGNORECASE)
_LABELLED = re.compile(r"\b(?:final\s{1,8})?answer\s{0,8}[:：]", re.IGNORECASE)
_STATED_AFTER_NOUN = (("answer", "option", "choice"), re.compile(rf"\s{{1,8}}{_ANSWER_VERB}\s{{0,8}}:?"))
_LABELLED_AFTER_NOUN = (("answer",), re.compile(r"\s{0,8}[:：]"))
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
_ANY_CLOSING_TAG = re.compile(r"</[^<>\n]{1,32}>")
_TAG_LIKE = re.compile(r"<\s{0,8}(?:/|[A-Za-z]|$)")
_WRAPPING = "*_`\"'“”‘’ \t\r\n"

OTHER_BLOCK = "another <answer> block"
STATEMENT = "another final-answer statement (\\boxed{}, 'the answer is', 'Answer:')"
SELF_CORRECTION = "a self-correction ('Actually', 'Wait', 'I mean', ...)"


class Extraction(NamedTuple):
    """What a response answers.

    ``answer``: the final answer (cleaned, at most ``MAX_ANSWER_CHARS``) or ``None``; ``source``: where it
    was found; ``candidates``: every final answer the response commits to, distinct after normalisation
    (the answer, or the parts of its self-correction; other answer blocks; other boxed or stated answers
    around it), at most ``MAX_CANDIDATES + 1``; ``conflict``: what made more than one, else ``None``.
    """

    answer: str | None
    source: str
    candidates: tuple[str, ...] = ()
    conflict: str | None = None


def find_answer(response: object, answer_tag: str = "answer") -> Extraction:
    """The final answer of ``response`` with where it was found and the rival answers it gives.

    Order: the last complete ``<answer_tag>...</answer_tag>`` block (case-insensitive; when present it
    decides, even if empty), else the last ``\\boxed{...}``, else the last "the (final) answer is X",
    else the last "Answer: X" / "Final answer: X", else the text itself when it is short (at most
    ``MAX_BARE_WORDS`` words on one line). These fallbacks look first at what follows the last closing
    tag (``</think>``): what comes after the reasoning outranks what was said inside it.
    """
    open_tag, close_tag = _tag_patterns(answer_tag)
    text = clip_tail(response, MAX_RESPONSE_CHARS)
    closes = deque(close_tag.finditer(text), maxlen=MAX_MARKERS) if "<" in text else deque()
    opening = _last(open_tag, text[: closes[-1].start()]) if closes else None
    if opening is not None:
        return _from_block(text, opening, closes, open_tag)
    return _from_fallbacks(text, open_tag)


def extract_answer(response: object, answer_tag: str = "answer") -> str | None:
    """The final answer in ``response`` (see ``find_answer``), cleaned of markdown and a trailing period."""
    return find_answer(response, answer_tag).answer


def strip_lead_in(answer: str) -> str:
    """``answer`` without a leading "The answer is" / "Answer:" / "Final answer:" phrase."""
    answer = _LEAD_IN.sub("", answer, count=1)
    return _LEAD_IN_ZH.sub("", answer, count=1) if "答案" in answer[:32] else answer


def _from_block(
    text: str, opening: re.Match[str], closes: deque[re.Match[str]], open_tag: re.Pattern[str]
) -> Extraction:
    """The answer in the final block (``opening`` to the last closing tag), its rivals in earlier blocks
    and in statements after it."""
    close = closes[-1]
    content = text[opening.end() : close.start()]
    boxed = "\\" in content and _BOXED.search(content) is not None
    where = "\\boxed{} in the last <answer> block" if boxed else "the last <answer> block"
    rivals = [(_unwrap(block), OTHER_BLOCK) for block in _earlier_blocks(text, closes, open_tag)]
    after = text[close.end() :]
    if after and not after.isspace():
        rivals += [(said, STATEMENT) for said in _statements(after)]
    return _extraction(_unwrap(content), where, _statements(content), rivals)


def _earlier_blocks(text: str, closes: deque[re.Match[str]], open_tag: re.Pattern[str]) -> list[str]:
    """The contents of the complete blocks before the last closing tag: each closing tag with the last
    opening tag since the closing tag before it (only the last ``MAX_MARKERS`` closing tags are read)."""
    blocks: list[str] = []
    if len(closes) == 1:
        return blocks
    since = 0
    for close in list(closes)[:-1]:
        opening = _last(open_tag, text[since : close.start()])
        if opening is not None:
            blocks.append(text[since + opening.end() : close.start()])
        since = close.end()
    return blocks


def _from_fallbacks(text: str, open_tag: re.Pattern[str]) -> Extraction:
    """No answer block: a boxed, stated, labelled or bare answer after the reasoning, else inside it."""
    closing = _last(_ANY_CLOSING_TAG, text) if "</" in text else None
    tail = text[closing.end() :] if closing else text
    tail = open_tag.sub(" ", tail) if "<" in tail else tail
    regions = [(tail, "after the reasoning" if closing else "in the response", True)]
    if closing is not None:
        regions.append((text, "inside the reasoning (nothing after it)", False))
    for region, where, bare_allowed in regions:
        marked = _marked(region)
        for kind, said in marked:
            if said and said[-1] is not None:  # the last marker of the first kind present decides
                statements = [answer for _, answers in marked for answer in answers if answer]
                return _extraction(said[-1], f"{kind} {where}", statements, [])
        bare = _bare(region) if bare_allowed else None
        if bare is not None:
            return _extraction(bare, f"a bare short reply {where}", [], [])
    return Extraction(None, "no answer found")


def _extraction(
    answer: str | None, source: str, statements: list[str], rivals: list[tuple[str | None, str]]
) -> Extraction:
    """``answer`` with its candidates: the answer itself (or, when the region states two different
    answers, each statement), each split at self-corrections, then the rivals from elsewhere."""
    if answer is None:
        return Extraction(None, source)
    if not rivals and len(statements) <= 1 and len(correction_parts(answer)) == 1:
        return Extraction(answer, source, (answer,))  # the common case: one answer, nothing to compare
    own = statements if len(statements) > 1 and len(_distinct(statements)) > 1 else [answer]
    kind = STATEMENT if own is statements else None
    labelled = [
        (part, SELF_CORRECTION if len(parts) > 1 else kind)
        for said in own
        for parts in [correction_parts(said)]
        for part in parts
    ]
    said_anywhere = [*labelled, *rivals]
    seen: dict[str, str | None] = {}
    candidates: list[str] = []
    for said, why in said_anywhere:
        key = _comparable(said) if said else ""
        if key and key not in seen and len(candidates) <= MAX_CANDIDATES:
            seen[key] = why
            candidates.append(said)
    if len(candidates) <= 1:
        return Extraction(answer, source, (answer,))
    reasons = dict.fromkeys(why for why in seen.values() if why)
    return Extraction(answer, source, tuple(candidates), "; ".join(reasons))


def _distinct(answers: list[str]) -> set[str]:
    return {_comparable(a) for a in answers}


def _comparable(answer: str) -> str:
    """``answer`` normalised for "is this the same answer?" (articles kept: "A" is an option letter)."""
    return normalize_text(strip_lead_in(answer), drop_articles=False)


@lru_cache(maxsize=32)
def _cached_tag_patterns(tag: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    if not TAG_NAME.fullmatch(tag):
        raise ValueError(
            f"answer tag {tag!r} is not a tag name; use letters, digits, '_', '-' or '.', e.g. 'answer'"
        )
    name = re.escape(tag)
    return (
        re.compile(rf"<\s{{0,8}}{name}\s{{0,8}}>", re.IGNORECASE),
        re.compile(rf"<\s{{0,8}}/\s{{0,8}}{name}\s{{0,8}}>", re.IGNORECASE),
    )


def _tag_patterns(tag: object) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The opening and the closing tag, any case and spacing; a ``ValueError`` for a bad tag name."""
    if not isinstance(tag, str):
        raise ValueError(f"answer tag {tag!r} is not a tag name; use a string such as 'answer'")
    return _cached_tag_patterns(tag)


def _last(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    last = deque(pattern.finditer(text), maxlen=1)
    return last[0] if last else None


def _unwrap(block: str) -> str | None:
    """An answer block's content: a ``\\boxed{}`` inside wins, a leading "The answer is" goes."""
    boxed = _boxed(block)
    if boxed is not None:
        return boxed
    return _clean(strip_lead_in(block))


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
                return _clean(wrapped.group(1) if wrapped else inner)
    return None


def _boxed(text: str) -> str | None:
    start = _last(_BOXED, text) if "\\" in text else None
    return _box_content(text, start.end()) if start else None


def _all_boxed(text: str) -> Iterator[str | None]:
    if "\\" in text:
        for start in deque(_BOXED.finditer(text), maxlen=MAX_MARKERS):
            yield _box_content(text, start.end())


def _said_after(end: int, text: str) -> str | None:
    """The rest of the line from ``end`` (where a marker ends), up to the end of its sentence."""
    rest = text[end : end + MAX_STATED_CHARS].lstrip(_WRAPPING)
    rest = rest.split("\n", 1)[0]
    tag = _TAG_LIKE.search(rest)
    rest = rest[: tag.start()] if tag else rest
    boxed = _boxed(rest) if "\\" in rest else None  # "the answer is \boxed{B}"
    if boxed is not None:
        return boxed
    end = _SENTENCE_END.search(rest)
    return _clean(strip_lead_in(rest[: end.start()] if end else rest))


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
    if "答案" in text:
        chinese = [m.end() for m in deque(_LABELLED_ZH.finditer(text), maxlen=MAX_MARKERS)]
        labelled = sorted(labelled + chinese)[-MAX_MARKERS:]
    return stated, labelled


def _marked(text: str) -> tuple[tuple[str, list[str | None]], ...]:
    """The boxed, stated and labelled answers in ``text``, by kind, in fallback order (the last
    ``MAX_MARKERS`` of each; ``None`` where a marker holds nothing readable, e.g. an unbalanced box)."""
    boxed = list(_all_boxed(text)) if "\\" in text else []
    stated, labelled = _marker_ends(text)
    return (
        ("\\boxed{}", boxed),
        ("'the answer is ...'", [_said_after(end, text) for end in stated]),
        ("'Answer: ...' label", [_said_after(end, text) for end in labelled]),
    )


def _statements(text: str) -> list[str]:
    """Every boxed, stated and labelled answer in ``text``."""
    if "\\" not in text and not _MARKER_HINT.search(text.casefold()):
        return []
    return [answer for _, answers in _marked(text) for answer in answers if answer]


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
