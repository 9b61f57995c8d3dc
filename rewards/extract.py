"""Pull the final answer out of a model response, say where it was, and list every final answer it gives.

Every step is a linear scan over the response's last ``MAX_RESPONSE_CHARS`` characters: the answer comes
at the end of long reasoning, and model output is untrusted (bounded regexes, capped answers).
"""

from __future__ import annotations

import re
from collections import deque
from functools import lru_cache
from typing import NamedTuple

from rewards.corrections import correction_parts
from rewards.markers import (
    BOXED,
    TAG_LIKE,
    clean,
    last_boxed,
    last_match,
    marked,
    statements,
    strip_lead_in,
)
from rewards.text import MAX_RESPONSE_CHARS, clip_tail, normalize_text, visible

__all__ = ["MAX_CANDIDATES", "TAG_NAME", "Extraction", "extract_answer", "find_answer", "strip_lead_in"]

MAX_BARE_WORDS = 10  # a response with no marker at all is taken as the answer only when this short
MAX_BARE_CHARS = 120
MAX_CANDIDATES = 8  # distinct final answers kept per response; more are a conflict whatever they say
MAX_MARKERS = 32  # only the last this many answer blocks of a response are read

TAG_NAME = re.compile(r"[A-Za-z_][\w.-]{0,31}")  # what a configurable tag (answer, think) may be called
_ANY_CLOSING_TAG = re.compile(r"</[^<>\n]{1,32}>")
_ANY_TAG = re.compile(r"</?\s{0,8}[A-Za-z_][\w.-]{0,31}\s{0,8}>")

OTHER_BLOCK = "another <answer> block"
NESTED = "<answer> tags inside the <answer> block"
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
    text = visible(clip_tail(response, MAX_RESPONSE_CHARS))
    closes = deque(close_tag.finditer(text), maxlen=MAX_MARKERS) if "<" in text else deque()
    opening = last_match(open_tag, text[: closes[-1].start()]) if closes else None
    if opening is not None:
        if len(closes) > 1 and opening.start() < closes[-2].end():  # <answer>C<answer>B</answer></answer>
            opening = _outermost_opening(text, closes, open_tag) or opening
        return _from_block(text, opening, closes, open_tag)
    return _from_fallbacks(text, open_tag)


def _outermost_opening(
    text: str, closes: deque[re.Match[str]], open_tag: re.Pattern[str]
) -> re.Match[str] | None:
    """The opening tag that the last closing tag closes when blocks nest: tags counted back from it (over
    the span of the last ``MAX_MARKERS`` closing tags); with more closing than opening tags, the first."""
    since = closes[0].start() if len(closes) == MAX_MARKERS else 0
    openings = list(open_tag.finditer(text, since, closes[-1].start()))
    tags = sorted([(m.start(), 1, m) for m in openings] + [(c.start(), -1, c) for c in list(closes)[:-1]],
                  key=lambda tag: tag[0])
    depth = 1
    for _, step, match in reversed(tags):
        depth -= step
        if depth == 0:
            return match
    return openings[0] if openings else None


def extract_answer(response: object, answer_tag: str = "answer") -> str | None:
    """The final answer in ``response`` (see ``find_answer``), cleaned of markdown and a trailing period."""
    return find_answer(response, answer_tag).answer


def _from_block(
    text: str, opening: re.Match[str], closes: deque[re.Match[str]], open_tag: re.Pattern[str]
) -> Extraction:
    """The answer in the final block (``opening`` to the last closing tag), its rivals in earlier blocks
    and in statements after it."""
    close = closes[-1]
    content = text[opening.end() : close.start()]
    boxed = "\\" in content and BOXED.search(content) is not None
    where = "\\boxed{} in the last <answer> block" if boxed else "the last <answer> block"
    rivals = [(_unwrap(block), OTHER_BLOCK) for block in _earlier_blocks(text, closes, open_tag)]
    if "<" in content and _ANY_TAG.search(content):  # tags inside the block: each piece is an answer
        pieces = [piece for piece in _ANY_TAG.split(content) if piece.strip()]
        content = " ".join(pieces)
        if len(pieces) > 1:
            rivals += [(_unwrap(piece), NESTED) for piece in pieces]
    after = text[close.end() :]
    if after and not after.isspace():
        rivals += [(said, STATEMENT) for said in statements(after)]
    return _extraction(_unwrap(content), where, statements(content), rivals)


def _earlier_blocks(text: str, closes: deque[re.Match[str]], open_tag: re.Pattern[str]) -> list[str]:
    """The contents of the complete blocks before the last closing tag: each closing tag with the last
    opening tag since the closing tag before it (only the last ``MAX_MARKERS`` closing tags are read)."""
    blocks: list[str] = []
    if len(closes) == 1:
        return blocks
    since = 0
    for close in list(closes)[:-1]:
        opening = last_match(open_tag, text[since : close.start()])
        if opening is not None:
            blocks.append(text[since + opening.end() : close.start()])
        since = close.end()
    return blocks


def _from_fallbacks(text: str, open_tag: re.Pattern[str]) -> Extraction:
    """No answer block: a boxed, stated, labelled or bare answer after the reasoning, else inside it."""
    closing = last_match(_ANY_CLOSING_TAG, text) if "</" in text else None
    tail = text[closing.end() :] if closing else text
    tail = open_tag.sub(" ", tail) if "<" in tail else tail
    regions = [(tail, "after the reasoning" if closing else "in the response", True)]
    if closing is not None:
        regions.append((text, "inside the reasoning (nothing after it)", False))
    for region, where, bare_allowed in regions:
        by_kind = marked(region)
        for kind, said in by_kind:
            if said and said[-1] is not None:  # the last marker of the first kind present decides
                everything = [answer for _, answers in by_kind for answer in answers if answer]
                return _extraction(said[-1], f"{kind} {where}", everything, [])
        bare = _bare(region) if bare_allowed else None
        if bare is not None:
            return _extraction(bare, f"a bare short reply {where}", [], [])
    return Extraction(None, "no answer found")


def _extraction(
    answer: str | None, source: str, stated: list[str], rivals: list[tuple[str | None, str]]
) -> Extraction:
    """``answer`` with its candidates: the answer itself (or, when the region states two different
    answers, each statement), each split at self-corrections, then the rivals from elsewhere."""
    if answer is None:
        return Extraction(None, source)
    if not rivals and len(stated) <= 1 and len(correction_parts(answer)) == 1:
        return Extraction(answer, source, (answer,))  # the common case: one answer, nothing to compare
    own = stated if len(stated) > 1 and len(_distinct(stated)) > 1 else [answer]
    kind = STATEMENT if own is stated else None
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


def _unwrap(block: str) -> str | None:
    """An answer block's content: a ``\\boxed{}`` inside wins, a leading "The answer is" goes."""
    boxed = last_boxed(block)
    if boxed is not None:
        return boxed
    return clean(strip_lead_in(block))


def _bare(text: str) -> str | None:
    """``text`` itself when it is one short line with no tags or boxes: not reasoning, just an answer."""
    s = text.strip()
    if not s or len(s) > MAX_BARE_CHARS or "\n" in s or TAG_LIKE.search(s) or BOXED.search(s):
        return None
    return clean(s) if len(s.split()) <= MAX_BARE_WORDS else None


