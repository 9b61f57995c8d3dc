"""A yes/no answer said as a statement about the question: restated ("The liver is free of focal lesions"),
restated in more detail ("Small bilateral pleural effusions"), or naming the asked qualifier ("Hypodense")
or a contradicting one ("This is an MRI" to "Is this a CT scan?")."""

from __future__ import annotations

from dataclasses import replace

from rewards.concepts import NEGATED, Concepts, analyse
from rewards.qualifiers import axis_values, compatible_modifiers, conflict, more_specific
from rewards.spelling import normalize_word
from rewards.text import clip

RESTATEMENT_COVERAGE = 0.6  # share of the question's terms a restatement must repeat
QUESTION_WORDS = frozenset(
    normalize_word(w) for w in "does do did can could would should will what which where how any".split()
)


def restated(answer: str, question: str) -> bool | None:
    """Yes when the answer restates the question as a statement, no when it restates it with the negation
    flipped ("There are focal lesions in the liver") or with a contradicting qualifier; ``None`` when it
    says something else or too little of it. A restatement may add compatible qualifiers, and may be only
    the qualifier the question asks about ("Hypodense." to "Is the mass hypodense?")."""
    asked, said = analyse(clip(question)), analyse(answer)
    covered = _restated_terms(asked, said)
    if covered is not None or not said.terms or any(t.startswith(NEGATED) for t in said.terms):
        return covered
    content = _without_question_words(asked)
    if not content.terms:
        return None
    if conflict(said, content):
        return False
    if more_specific(said, content):
        return True
    asked_values, said_values = axis_values(content.terms), axis_values(said.terms)
    only_asked = said.terms <= content.terms | compatible_modifiers()
    agrees = all(values <= asked_values.get(axis, frozenset()) for axis, values in said_values.items())
    return True if said_values and only_asked and agrees else None


def _restated_terms(asked: Concepts, said: Concepts) -> bool | None:
    """The question's terms repeated, most of them, nothing else: yes, or no when negations flip."""
    plain_asked = {t.removeprefix(NEGATED) for t in asked.terms} - QUESTION_WORDS
    plain_said = {t.removeprefix(NEGATED) for t in said.terms}
    shared = plain_said & plain_asked
    if not shared or plain_said - plain_asked - compatible_modifiers():
        return None
    if len(shared) < RESTATEMENT_COVERAGE * len(plain_asked):
        return None
    negated = {t for t in shared if NEGATED + t in asked.terms or NEGATED + t in said.terms}
    flipped = {t for t in negated if (NEGATED + t in asked.terms) != (NEGATED + t in said.terms)}
    if not flipped:
        return True
    return False if flipped == negated else None


def _without_question_words(asked: Concepts) -> Concepts:
    parts = tuple(part - QUESTION_WORDS for part in asked.parts if part - QUESTION_WORDS)
    return replace(asked, terms=asked.terms - QUESTION_WORDS, parts=parts)
