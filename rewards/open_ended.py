"""Open-ended verifier: overlap of canonical medical terms, aware of negation and hard to pad.

Both sides become sets of canonical terms (abbreviations, spelling and plurals unified, filler words
dropped, negated terms marked). A term affirmed on one side and negated on the other scores 0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from rewards.medical_terms import canonical_terms, normalize_word, rewrite_abbreviations
from rewards.registry import register_verifier
from rewards.text import MAX_TOKENS, clip, normalize_text, tokens

OPEN_METRICS = ("f1", "recall", "exact")
NEGATION_SCOPE = 5  # words a negation cue reaches, within its clause
NEGATED = "no_"  # prefix of a negated term ("no_pneumonia"); a plain word never has it after matching

_CLAUSE_BREAK = re.compile(
    r"[.;:!?\n]|\b(?:but|however|although|though|whereas|while|except|yet)\b", re.IGNORECASE
)
_FORWARD = "fwd"  # negates the words after the cue: "no pneumonia"
_EITHER = "either"  # negates the words before it if any, else after: "pneumonia is absent"
_HEDGE = "hedge"  # a double negative that leaves the finding possible: "cannot be excluded"
_CUES: dict[tuple[str, ...], str] = {
    **{tuple(c.split()): _FORWARD for c in (
        "no", "not", "without", "negative for", "free of", "absence of", "no evidence of", "no sign of",
        "no signs of", "rules out", "rule out", "excludes", "exclude", "denies", "neither", "nor", "never")},
    **{tuple(c.split()): _EITHER for c in (
        "absent", "negative", "ruled out", "excluded", "none", "not seen", "not present", "not identified",
        "not visualized", "not visualised", "not detected", "not noted", "not evident", "not demonstrated",
        "not observed", "not appreciated", "not visible")},
    **{tuple(c.split()): _HEDGE for c in (
        f"{neg} {verb}" for neg in ("cannot", "can not", "can t", "not", "cannot be", "can not be",
                                    "can t be", "not be")
        for verb in ("rule out", "ruled out", "exclude", "excluded"))},
}
_LONGEST_CUE = max(len(cue) for cue in _CUES)
STOPWORDS = frozenset(normalize_word(w) for w in (
    "is are was were be been being am of in on at to for with and or by from as there this that these "
    "those it its which has have had seen noted present visible evident identified show shows showing "
    "demonstrate demonstrates demonstrated consistent suggestive suggests suggest finding findings "
    "image images likely probably possible appears appear compatible side sided"
).split())


def _match_cue(words: list[str], i: int) -> tuple[int, str | None]:
    for size in range(min(_LONGEST_CUE, len(words) - i), 0, -1):
        kind = _CUES.get(tuple(words[i: i + size]))
        if kind is not None:
            return size, kind
    return 1, None


def _mark_negation(words: list[str]) -> tuple[list[str], list[bool]]:
    """The clause's words without negation cues, and whether each is negated."""
    kept: list[str] = []
    negated: list[bool] = []
    forward_left = 0
    i = 0
    while i < len(words):
        size, kind = _match_cue(words, i)
        i += size
        if kind is None:
            kept.append(words[i - 1])
            negated.append(forward_left > 0)
            forward_left = max(0, forward_left - 1)
        elif kind == _HEDGE:
            forward_left = 0
        elif kind == _FORWARD or not any(normalize_word(w) not in STOPWORDS for w in kept):
            forward_left = NEGATION_SCOPE
        else:
            for j in range(max(0, len(kept) - NEGATION_SCOPE), len(kept)):
                negated[j] = True
    return kept, negated


def clinical_terms(text: str) -> set[str]:
    """The canonical terms of ``text``; a negated term carries the ``NEGATED`` prefix."""
    terms: set[str] = set()
    seen_words = 0
    for clause in _CLAUSE_BREAK.split(rewrite_abbreviations(clip(text))):
        words = tokens(clause)[: MAX_TOKENS - seen_words]
        seen_words += len(words)
        kept, negated = _mark_negation(words)
        for term, first in canonical_terms(kept):
            if term not in STOPWORDS:
                terms.add(NEGATED + term if negated[first] else term)
        if seen_words >= MAX_TOKENS:
            break
    return terms


def _contradicts(answer: set[str], reference: set[str]) -> bool:
    """A term affirmed on one side and negated on the other: "no pneumonia" against "pneumonia"."""
    return any(NEGATED + t in answer for t in reference) or any(NEGATED + t in reference for t in answer)


def _metric(extra_info: Mapping[str, Any]) -> str:
    metric = extra_info.get("open_metric") or "f1"
    if metric not in OPEN_METRICS:
        raise ValueError(f"extra_info['open_metric']={metric!r} is not a metric; use one of {OPEN_METRICS}")
    return metric


def allowed_terms(reference_size: int) -> int:
    """How many answer terms the recall metric takes before it scales the score down."""
    return max(reference_size + 1, math.ceil(1.5 * reference_size))


@register_verifier("open")
def verify_open(answer: str, ground_truth: str, extra_info: Mapping[str, Any]) -> float:
    """Overlap of canonical terms between ``answer`` and ``ground_truth``.

    ``extra_info["open_metric"]``: "f1" (default), "recall" (scaled by ``allowed_terms / answer terms``
    once the answer is longer than ``allowed_terms``, so padding never pays) or "exact" (same term set).
    Terms are a set: repeating a word changes nothing. A contradiction in negation scores 0.
    """
    metric = _metric(extra_info or {})
    truth = normalize_text(ground_truth)
    if truth and normalize_text(answer) == truth:
        return 1.0
    reference = clinical_terms(ground_truth)
    if not reference:  # nothing but filler words, and the plain texts differ
        return 0.0
    given = clinical_terms(answer)
    if not given or _contradicts(given, reference):
        return 0.0
    if metric == "exact":
        return float(given == reference)
    shared = len(given & reference)
    recall = shared / len(reference)
    if metric == "recall":
        return recall * min(1.0, allowed_terms(len(reference)) / len(given))
    precision = shared / len(given)
    return 0.0 if shared == 0 else 2 * precision * recall / (precision + recall)
