"""Numeric verifier: compares what the answer states (value, range, dimensions, bound) with the ground truth.

Reading is in ``rewards.measurements`` (bounded regexes, ``Fraction``); nothing here evaluates model text.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rewards.explain import decided_by
from rewards.measurements import Measurement, read_measurement
from rewards.quantities import Quantity, with_decimal_points
from rewards.registry import register_verifier
from rewards.text import clip, normalize_text
from rewards.units import Unit, convert

DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-9
_DECIMAL_POINT = re.compile(r"\d\.\d")  # a ground truth written with decimal points


@dataclass(frozen=True)
class Tolerance:
    """How far a value may be from the truth: ``max(atol, rtol * |truth|)`` in the truth's unit."""

    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL

    def slack(self, truth: float) -> float:
        return max(self.atol, self.rtol * abs(truth))


def _candidates(q: Quantity, target: Unit | None) -> list[float]:
    """Values ``q`` may mean in ``target``'s unit; a bare number is taken to be in ``target``'s unit.

    A percentage and a bare number match either way: 45 or 0.45 for 45%, and 45% for 0.45. A count
    phrase ("a single", "no lesions") is a count, never a measurement with a unit.
    """
    if q.count_phrase and target is not None:
        return []
    if q.unit is not None and target is not None:
        converted = convert(q.value, q.unit, target)
        return [] if converted is None else [converted]
    unit = q.unit or target
    if unit is None or unit.dimension != "percent":
        return [q.value]
    return [q.value, q.value * 100] if q.unit is None else [q.value, q.value / 100]


def _equals(q: Quantity, truth: Quantity, tolerance: Tolerance) -> bool:
    slack = tolerance.slack(truth.value)
    return any(abs(v - truth.value) <= slack for v in _candidates(q, truth.unit))


def _inside(q: Quantity, low: Quantity, high: Quantity, tolerance: Tolerance) -> bool:
    return any(
        low.value - tolerance.slack(low.value) <= v <= high.value + tolerance.slack(high.value)
        for v in _candidates(q, low.unit)
    )


_KIND_MISMATCH = {
    ("bound", "point"): "a bound is not a value",
    ("bound", "range"): "a bound is not a range",
    ("range", "point"): "a range for a single value is a hedge",
    ("point", "bound"): "a value is not the bound asked for",
}


def _score(got: Measurement, truth: Measurement, tolerance: Tolerance) -> tuple[float, str]:
    """The score and the rule that decided it."""
    if (got.kind, truth.kind) == ("point", "range"):
        inside = _inside(got.parts[0], *truth.parts, tolerance)
        return float(inside), f"a value {'inside' if inside else 'outside'} the ground-truth range"
    if got.kind != truth.kind:
        return 0.0, _KIND_MISMATCH.get((got.kind, truth.kind), f"a {got.kind} for a {truth.kind}")
    if got.op != truth.op:
        return 0.0, f"bound {got.op} differs from {truth.op}"
    if len(got.parts) != len(truth.parts):
        return 0.0, f"{len(got.parts)} dimensions for {len(truth.parts)}"
    for i, (q, t) in enumerate(zip(got.parts, truth.parts, strict=True)):
        if not _equals(q, t, tolerance):
            where = f" (element {i + 1}, in order)" if len(truth.parts) > 1 else ""
            return 0.0, f"{got.kind} value differs{where}"
    return 1.0, f"{got.kind} equals the ground truth"


@lru_cache(maxsize=4096)
def _read_truth(ground_truth: str, slash_pairs: bool = False) -> Measurement | None:
    """The ground truth's measurement, cached: every rollout of a prompt shares its ground truth."""
    return read_measurement(ground_truth, slash_pairs=slash_pairs)


def _tolerance(extra_info: Mapping[str, Any], key: str, default: float) -> float:
    value = extra_info.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < math.inf:
        raise ValueError(f"extra_info[{key!r}]={value!r} must be a finite number >= 0 (default {default})")
    return float(value)


@register_verifier("numeric")
def verify_numeric(answer: str, ground_truth: str, extra_info: Mapping[str, Any]) -> float:
    """1.0 when ``answer`` states what the ground truth states, within tolerance and across units.

    - Point: one value; repeats in other spellings are fine ("3 (three)", "12 mm (1.2 cm)"), several
      different values ("3 or 4"), a range ("3-5") or a bound ("over 5", "at least 3", ">5", "three or
      more") score 0. "About 5 mm" is the value 5 mm. For a bare count, a bound with a unit restates the
      question's condition and is left out: "2 nodules larger than 5 mm" answers 2.
    - Range truth ("5-10 mm", "0.5 to 1 cm", "between 5 and 10 mm"): a range must match both ends
      (units converted, one unit serves both ends); a single value inside the range also scores 1,
      since the truth's range says which values are right.
    - Dimensions ("3.5 x 2.1 cm", "3 x 2 x 1 cm", "3.5 by 2.1 cm"): the same number of elements, each
      equal, in the order given (a reordered answer scores 0: datasets report dimensions in a fixed
      order, such as length then width). Slash pairs ("120/80 mmHg") likewise.
    - Bound truth ("> 5 mm"): only the same bound (same direction and strictness, equal value) scores 1.
    - Units convert within a dimension (temperatures affinely, "38.5 C" = "101.3 F"; a bare "°" takes
      the other side's scale); across dimensions (mg/dL vs mmol/L included) score 0. A bare number is
      read in the other side's unit ("12" matches "12 mm"); a count phrase ("a single", "no lesions")
      only matches a bare count. A percentage and a bare number match either way: "45%" matches "45"
      and "0.45".
    - Spellings: digits (full-width too), fractions, LaTeX, English number words, Chinese numerals
      ("十二", "两个"), decimal commas before a unit ("3,5 cm"; "1,234" is always 1234) or, with no unit,
      when the ground truth writes a decimal point ("1,5" for "1.5"), fractions in words ("half", "two
      thirds", "three quarters"), "120 over 80", "an hour and a half", counts said
      without a numeral ("no lesions" 0, "a single nodule" 1, "a pair of" / "both" 2, "twice" 2; a
      numeral wins over them). Ordinals ("third", "3rd", "第三") are no counts.
    - Tolerance: ``extra_info["numeric_rtol"]`` (relative, default 1e-3) and ``extra_info["numeric_atol"]``
      (absolute, default 1e-9, for a zero ground truth), in the ground truth's unit.
    - A ground truth without one readable statement falls back to equal normalised text.
    """
    info = extra_info or {}
    tolerance = Tolerance(
        _tolerance(info, "numeric_rtol", DEFAULT_RTOL), _tolerance(info, "numeric_atol", DEFAULT_ATOL)
    )
    ground_truth = clip(ground_truth)  # the cache key stays small; reading clips to the same length
    truth = _read_truth(ground_truth)
    if truth is None:
        expected = normalize_text(ground_truth)
        same = bool(expected) and normalize_text(answer) == expected
        decided_by(f"numeric: no number in the ground truth; exact text {'matches' if same else 'differs'}")
        return float(same)
    bare_count = truth.kind == "point" and truth.parts[0].unit is None
    got = read_measurement(answer, slash_pairs=truth.kind == "pair", drop_conditions=bare_count)
    if got is None and _DECIMAL_POINT.search(ground_truth):  # "1,5" to a ground truth written "1.5"
        with_points = with_decimal_points(answer)
        if with_points is not None:
            got = read_measurement(with_points, slash_pairs=truth.kind == "pair", drop_conditions=bare_count)
    if got is not None and got.kind == "pair" and truth.kind == "point":
        truth = _read_truth(ground_truth, slash_pairs=True) or truth  # "120/80" is a pair here
    if got is None:
        decided_by("numeric: the answer states no one value (none, several different ones, or a hedge)")
        return 0.0
    score, rule = _score(got, truth, tolerance)
    decided_by(f"numeric: {rule}")
    return score
