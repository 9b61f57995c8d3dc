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
from typing import Any

from rewards.concepts import NEGATED, Concepts, analyse
from rewards.explain import decided_by
from rewards.qualifiers import conflict, more_specific
from rewards.registry import register_verifier
from rewards.text import clip, normalize_text

OPEN_METRICS = ("f1", "recall", "exact")


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
    metric = _metric(extra_info or {})
    truth = normalize_text(ground_truth)
    if truth and normalize_text(answer) == truth:
        return 1.0
    gold, said = analyse(clip(ground_truth)), analyse(clip(answer))
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
    if said.cjk or gold.cjk:
        return _overlap(Counter(said.units), Counter(gold.units), metric)
    return _overlap(Counter(said.terms), Counter(gold.terms), metric)


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
