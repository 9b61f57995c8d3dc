"""Open-ended verifier: overlap of canonical medical terms, aware of negation, qualifiers and hedges.

Both sides become canonical terms (``rewards.concepts``): synonyms, abbreviations, spelling and plurals
unified, filler dropped, negated terms marked. Chinese text is compared unit by unit (characters, with
known terms as one unit). A hedge between alternatives, a negation or qualifier that contradicts the
reference, or a finding where the reference says "none" (and the reverse) scores 0.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from rewards.concepts import NEGATED, Concepts, analyse
from rewards.explain import decided_by
from rewards.medical_terms import broader_terms
from rewards.qualifiers import compatible_modifiers, conflict, merged_parts, more_specific, sides_joined
from rewards.registry import register_verifier
from rewards.text import clip, normalize_text

OPEN_METRICS = ("f1", "recall", "exact")
MAX_SUBSTITUTION_TERMS = 4  # golds up to this many terms are short names: swapping a part names another thing
MAX_QUESTION_CHARS = 500


def clinical_terms(text: str) -> set[str]:
    """The canonical terms of ``text``; a negated term carries the ``NEGATED`` prefix."""
    return set(analyse(clip(text)).terms)


def allowed_terms(reference_size: int) -> int:
    """How many answer terms the recall metric takes before it scales the score down."""
    return max(reference_size + 1, math.ceil(1.5 * reference_size))


def void_against(said: Concepts, gold: Concepts) -> str | None:
    """Why ``said`` cannot be right whatever it shares with ``gold``: a hedge, a negation or qualifier
    that contradicts it, or "no finding" on one side only. ``None`` when the overlap may count."""
    if said.no_finding or gold.no_finding:
        if said.no_finding and gold.no_finding:
            return None
        return "no finding: only one side says there is nothing" if said.terms or said.no_finding else None
    if said.disjunctive and not gold.disjunctive:
        return "hedge: offers alternatives"
    if _negation_contradicts(said.terms, gold.terms):
        return "negation: a term affirmed on one side is negated on the other"
    reason = conflict(said, gold)
    return f"qualifier: {reason}" if reason else None


@register_verifier("open")
def verify_open(answer: str, ground_truth: str, extra_info: Mapping[str, Any]) -> float:
    """Overlap of canonical terms between ``answer`` and ``ground_truth``.

    ``extra_info["open_metric"]``: "f1" (default), "recall" (scaled by ``allowed_terms / answer terms``
    once the answer is longer than ``allowed_terms``, so padding never pays) or "exact" (same term set).
    Terms are a set (Chinese units a multiset). The reference plus compatible qualifiers ("chest x-ray"
    for "x-ray") scores 1 under "f1" and "recall"; "none", "normal" and "no abnormality" are one class.
    """
    info = extra_info or {}
    metric = _metric(info)
    truth = normalize_text(ground_truth)
    if truth and normalize_text(answer) == truth:
        return 1.0
    said, gold = sides_joined(analyse(clip(answer))), sides_joined(analyse(clip(ground_truth)))
    said, gold = beside_question(said, gold, info.get("question"))
    reason = void_against(said, gold)
    if reason:
        decided_by(reason)
        return 0.0
    if said.no_finding and gold.no_finding:
        decided_by("no finding: both sides say there is nothing")
        return 1.0
    if not gold.terms or not said.terms:  # nothing but filler words, and the plain texts differ
        return 0.0
    if metric == "exact":
        return float(said.terms == gold.terms)
    if more_specific(said, gold):
        decided_by("more specific: the reference plus compatible qualifiers")
        return 1.0
    swapped = substitution(said, gold)
    if swapped:
        decided_by(swapped)
        return 0.0
    if said.cjk or gold.cjk:
        score = _overlap(Counter(said.units), Counter(gold.units), metric)
    else:
        score = _overlap(Counter(said.terms), Counter(gold.terms), metric)
    return _capped_by_items(score, said, gold) if metric == "f1" else score


def beside_question(said: Concepts, gold: Concepts, question: object) -> tuple[Concepts, Concepts]:
    """``said`` and ``gold`` read beside the question: the answer's words repeated from the question that
    the gold lacks say nothing ("The lesion is in the right lobe" to "Where is the lesion?" says "right
    lobe"), and the gold's words from the question need no repeating ("right" to "Which lung is affected?"
    says "right lung" when the gold is "right lung"). Only a one-item answer to a question offering no
    alternatives or list is read so (listing the question's alternatives stays a list)."""
    if not isinstance(question, str) or not question.strip() or len(said.parts) > 1:
        return said, gold
    asked = analyse(clip(question, MAX_QUESTION_CHARS))
    if asked.disjunctive or len(asked.parts) > 1:
        return said, gold
    context = {t for t in asked.terms if not t.startswith(NEGATED)}
    repeated = said.terms & context - gold.terms
    if repeated and repeated != said.terms:
        said = _without(said, repeated)
    implied = gold.terms & context - said.terms
    if implied and implied != gold.terms and len(gold.parts) <= 1 and said.terms <= gold.terms:
        gold = _without(gold, implied)
    return said, gold


def _without(concepts: Concepts, terms: set[str]) -> Concepts:
    return replace(
        concepts,
        terms=concepts.terms - terms,
        parts=tuple(part - terms for part in concepts.parts if part - terms),
        units=tuple(unit for unit in concepts.units if unit not in terms),
    )


def substitution(said: Concepts, gold: Concepts) -> str | None:
    """Why a one-item answer names something else than a short gold whose part it keeps ("pericardial
    effusion" for "pleural effusion", "distal tibia" for "distal femur"), else ``None``. A term the missing
    gold term implies ("left lung" for "LLL pneumonia") is less specific, not a swap."""
    if said.cjk or gold.cjk or len(said.parts) > 1 or len(gold.parts) > 1:
        return None
    if len(gold.terms) > MAX_SUBSTITUTION_TERMS or not said.terms & gold.terms:
        return None
    implied = said.terms.union(*(broader_terms(t) for t in said.terms))
    missing = gold.terms - implied
    generalised = frozenset().union(*(broader_terms(t) for t in missing))
    swapped = {
        t for t in said.terms - gold.terms - compatible_modifiers()
        if t not in generalised and not broader_terms(t) & gold.terms
    }
    if not missing or not swapped:
        return None
    return f"substitution: {', '.join(sorted(swapped))} in place of {', '.join(sorted(missing))}"


def _capped_by_items(score: float, said: Concepts, gold: Concepts) -> float:
    """Under "f1", an answer listing more items than the gold earns at most gold items / answer items, so
    listing guesses never pays more than committing to one ("recall" scales padding its own way)."""
    said_items = len(merged_parts(said.parts)) if said.parts else 0
    gold_items = max(1, len(merged_parts(gold.parts)) if gold.parts else 0)
    if said_items <= gold_items or score <= gold_items / said_items:
        return score
    decided_by(f"list: {said_items} items for a gold of {gold_items}: at most {gold_items}/{said_items}")
    return gold_items / said_items


def _overlap(given: Counter[str], reference: Counter[str], metric: str) -> float:
    shared = sum((given & reference).values())
    if shared == 0:
        return 0.0
    given_size, reference_size = sum(given.values()), sum(reference.values())
    recall = shared / reference_size
    if metric == "recall":
        return recall * min(1.0, allowed_terms(reference_size) / given_size)
    precision = shared / given_size
    return 2 * precision * recall / (precision + recall)


def _negation_contradicts(answer: frozenset[str], reference: frozenset[str]) -> bool:
    """A term affirmed on one side and negated on the other: "no pneumonia" against "pneumonia"."""
    return any(NEGATED + t in answer for t in reference) or any(NEGATED + t in reference for t in answer)


def _metric(extra_info: Mapping[str, Any]) -> str:
    metric = extra_info.get("open_metric") or "f1"
    if metric not in OPEN_METRICS:
        raise ValueError(f"extra_info['open_metric']={metric!r} is not a metric; use one of {OPEN_METRICS}")
    return metric
