"""Either-or questions: the alternatives a question offers ("AP or PA", "A, B or C", "A vs B", "A还是B")
and which one an answer commits to ("The liver is bigger than the spleen" commits to the liver).

The question parser is bounded: at most ``MAX_QUESTION_CHARS`` characters and ``MAX_ALTERNATIVE_WORDS`` words
on each side of the "or".
"""

from __future__ import annotations

import re
from functools import lru_cache

from rewards.concepts import NEGATED, analyse
from rewards.medical_terms import tokenize, vocabulary_cache
from rewards.qualifiers import axis_values, compatible_modifiers
from rewards.text import clip

MAX_QUESTION_CHARS = 300
MAX_ALTERNATIVE_WORDS = 4
MAX_ALTERNATIVES = 6

_OR = frozenset({"or", "vs", "versus", "还是", "或", "或者"})
_STOP = frozenset({".", "?", "!", ";", ":", "。", "？", "！", "；", "："})
_LIST = frozenset({",", "，", "、"})
# Words that end the phrase an alternative is: verbs, determiners, prepositions, question words.
_BOUNDARY = frozenset(
    "is are was were be been does do did can could would should will has have had this that these those it "
    "its which what where who whom whose how why when there here image images picture scan shown seen "
    "visible located found taken done performed acquired obtained imaged used in on at of within from to by "
    "for a an the appear appears look looks more less organ organs abnormal normal affected involved bigger "
    "larger smaller greater higher lower brighter darker 是 在 为 这 哪 的 吗 呢 比 图像 图片 中".split()
)
_COMPARE = re.compile(
    r"\b(?:rather\s{1,3}than|than|instead\s{1,3}of|compared\s{1,3}(?:to|with)|relative\s{1,3}to)\b|比", re.I
)
_MORE = frozenset("bigger larger greater higher more brighter denser thicker longer wider heavier 大 高 多 重"
                  .split())
_LESS = frozenset("smaller lesser lower less darker thinner shorter narrower lighter 小 低 少 轻".split())


@vocabulary_cache
@lru_cache(maxsize=4096)
def question_alternatives(question: str) -> tuple[frozenset[str], ...] | None:
    """The terms that tell each offered alternative apart, or ``None`` when the question offers none
    (no "or", fewer than two alternatives, or alternatives that share every term)."""
    tokens = tokenize(clip(question, MAX_QUESTION_CHARS))
    at = next((i for i, token in enumerate(tokens) if token in _OR), None)
    if at is None:
        return None
    right = _phrase(tokens[at + 1:])
    left = _left_phrases(tokens[:at])
    if not right or not left:
        return None
    suffix = right[len(left[-1]):] if len(right) > len(left[-1]) else []
    phrases = [p + suffix if _is_modifier_only(p) else p for p in left] + [right]
    term_sets = [_content(" ".join(p)) for p in phrases[-MAX_ALTERNATIVES:]]
    distinct = tuple(t - frozenset().union(*(o for j, o in enumerate(term_sets) if j != i))
                     for i, t in enumerate(term_sets))
    return distinct if len(distinct) > 1 and all(distinct) else None


def alternative_of(text: str, alternatives: tuple[frozenset[str], ...]) -> int | None:
    """The index of the one alternative ``text`` names, or ``None`` (none, several, or a negated one)."""
    named = _named(analyse(text).terms, alternatives)
    return named.pop() if len(named) == 1 else None


def committed_alternative(answer: str, question: str, alternatives: tuple[frozenset[str], ...]) -> int | None:
    """The alternative ``answer`` commits to: the only one it names, the one it puts first in a comparison
    ("A is bigger than B"; the other one when its comparative is the question's opposite: "B is smaller than
    A" to "which is bigger"), or the other of two when it negates one ("not AP"). ``None`` otherwise."""
    said = analyse(answer)
    named = _named(said.terms, alternatives)
    if len(named) == 1:
        return named.pop()
    compared = _COMPARE.search(clip(answer))
    if len(named) > 1 and compared:
        first = _named(analyse(answer[: compared.start()]).terms, alternatives)
        second = _named(analyse(answer[compared.end():]).terms, alternatives)
        if len(first) == 1 and len(second) == 1 and first != second:
            return (second if _opposite_comparatives(question, answer) else first).pop()
        return None
    negated = {i for i, alt in enumerate(alternatives) if any(NEGATED + t in said.terms for t in alt)}
    if not named and len(alternatives) == 2 and len(negated) == 1:
        return 1 - negated.pop()
    return None


def _named(terms: frozenset[str], alternatives: tuple[frozenset[str], ...]) -> set[int]:
    return {i for i, alt in enumerate(alternatives) if alt & terms}


def _opposite_comparatives(question: str, answer: str) -> bool:
    asked = set(tokenize(clip(question, MAX_QUESTION_CHARS)))
    said = set(tokenize(clip(answer)))
    return bool((asked & _MORE and said & _LESS) or (asked & _LESS and said & _MORE))


def _phrase(tokens: list[str]) -> list[str]:
    """The words after an "or" up to the end of the alternative (leading "the", "in", ... skipped)."""
    out: list[str] = []
    for token in tokens:
        if token in _STOP or token in _LIST or token in _OR or len(out) >= MAX_ALTERNATIVE_WORDS:
            break
        if token in _BOUNDARY:
            if out:
                break
            continue
        out.append(token)
    return out


def _left_phrases(tokens: list[str]) -> list[list[str]]:
    """The alternatives before the "or": the last phrase, and earlier ones separated by commas."""
    phrases: list[list[str]] = []
    current: list[str] = []
    for token in reversed(tokens):
        if token in _LIST and current:
            phrases.insert(0, current)
            current = []
            continue
        if token in _STOP or token in _LIST or len(current) >= MAX_ALTERNATIVE_WORDS:
            break
        if token in _BOUNDARY and (current or phrases):
            break
        current.insert(0, token)
    if current:
        phrases.insert(0, current)
    return phrases


def _is_modifier_only(phrase: list[str]) -> bool:
    """Whether a left phrase only qualifies the right one's noun: "left" in "left or right lobe"."""
    terms = analyse(" ".join(phrase)).terms
    return not terms or all(axis_values([t]) for t in terms)


def _content(text: str) -> frozenset[str]:
    return frozenset(t for t in analyse(text).terms if t not in compatible_modifiers())
