"""Shaping penalties on a whole response: over-length and n-gram repetition, each a severity in [0, 1]."""

from __future__ import annotations

import re
from itertools import islice

MAX_PENALTY_WORDS = 4_096  # words looked at by the repetition penalty (bounds its cost)
_WORD = re.compile(r"\S{1,64}")  # a word; very long runs are cut into 64-character pieces


def response_length(response: str, unit: str, at_most: int | None = None) -> int:
    """Length of ``response`` in ``"chars"`` or ``"words"``; words are counted up to ``at_most`` only."""
    if unit == "chars":
        return len(response)
    return sum(1 for _ in islice(_WORD.finditer(response), at_most))


def length_severity(response: str, target: int, maximum: int, unit: str) -> float:
    """0 up to ``target``, rising linearly to 1 at ``maximum`` (and beyond)."""
    length = response_length(response, unit, at_most=maximum)
    if length <= target:
        return 0.0
    if length >= maximum:
        return 1.0
    return (length - target) / (maximum - target)


def repetition_severity(response: str, ngram: int) -> float:
    """Share of the response's word ``ngram``s that repeat an earlier one (0 = no repeats); the first
    ``MAX_PENALTY_WORDS`` words are read."""
    words = [word.group() for word in islice(_WORD.finditer(response), MAX_PENALTY_WORDS)]
    total = len(words) - ngram + 1
    if total <= 1:
        return 0.0
    lowered = [w.lower() for w in words]
    distinct = len({tuple(lowered[i : i + ngram]) for i in range(total)})
    return 1.0 - distinct / total
