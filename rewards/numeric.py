"""Numeric verifier: a bounded tokenizer for numbers (digits, fractions, LaTeX, words) with units.

Nothing here evaluates model text: numbers are read by bounded regexes and built with ``Fraction``.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from rewards.registry import register_verifier
from rewards.text import clip, normalize_text
from rewards.units import Unit, convert, parse_unit

MAX_SIGNIFICANT_DIGITS = 30
MAX_EXPONENT = 300
MAX_QUANTITIES = 64  # an answer with more numbers than this is spam, not an answer
DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-9


@dataclass(frozen=True)
class Quantity:
    """A number read from text, its unit (or ``None``) and its span in the normalised text."""

    value: float
    unit: Unit | None
    start: int
    end: int


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPERSCRIPT_RUN = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]{1,8}")
_GROUPING_SPACE = re.compile(r"(?<=\d)(?:[\u00a0\u2009\u202f]|\\,)(?=\d{3}(?!\d))")  # SI "12 345"
_LATEX_FRAC = re.compile(
    r"\\[dt]?frac\s{0,3}\{\s{0,3}([-+]?[\d.,]{1,40})\s{0,3}\}\s{0,3}\{\s{0,3}([\d.,]{1,40})\s{0,3}\}"
)
_LATEX_TEXT = re.compile(r"\\(?:text|mathrm|rm|mbox|textrm|operatorname)\s{0,3}\{([^{}]{0,40})\}")
_LATEX_BRACED_POWER = re.compile(r"\^\s{0,3}\{\s{0,3}([-+]?\d{1,6})\s{0,3}\}")
_LATEX_SYMBOLS = (
    (r"\left", ""), (r"\right", ""), (r"^{\circ}", "°"), (r"^\circ", "°"), (r"\circ", "°"),
    (r"\times", "×"), (r"\cdot", "×"), (r"\%", "%"), (r"\mu", "μ"), (r"\pm", "±"), (r"\leq", "≤"),
    (r"\geq", "≥"), (r"\le", "≤"), (r"\ge", "≥"), (r"\lt", "<"), (r"\gt", ">"), (r"\,", " "),
    (r"\;", " "), (r"\!", ""), ("~", " "),
    ("−", "-"), ("–", "-"), ("—", "-"), ("⁄", "/"), ("·", "×"), ("⋅", "×"), ("$", " "),
)
_NUMBER = re.compile(
    r"""(?<![\w.^])(?P<sign>[-+]?)
    (?:(?P<whole>\d+)[ ](?P<mnum>\d+)/(?P<mden>\d+)(?![\d.])
      |(?P<fnum>\d+(?:\.\d+)?)[ ]?/[ ]?(?P<fden>\d+(?:\.\d+)?)
      |(?P<int>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.(?P<frac>\d+))?
      |\.(?P<frac2>\d+))
    (?:e(?P<exp>[-+]?\d+)|[ ]?[×x*][ ]?10[ ]?\^[ ]?(?P<exp10>[-+]?\d+))?
    (?:\^(?P<pow>[-+]?\d+))?""",
    re.X,
)
# Hedges and operators that make an answer not one number: "<5", "at least 3", "9^9^9", "10**10".
_POISON = re.compile(
    r"[<>≤≥±]|\*\*|\\frac|\bnot\b|\b(?:less|more|greater|fewer|larger|smaller)\s{1,3}than\b"
    r"|\bat\s{1,3}(?:least|most)\b|\bup\s{1,3}to\b"
)
_RANGE_JOINER = re.compile(r"\s{0,3}(?:-|to|and)\s{0,3}")

_ONES = {w: i for i, w in enumerate("zero one two three four five six seven eight nine".split())}
_TEENS = {w: i + 10 for i, w in enumerate(
    "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: (i + 2) * 10 for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split())}
_MULTIPLIERS = {"hundred": 100, "dozen": 12}
_SCALES = {"thousand": 1_000, "million": 1_000_000}
_WORD = re.compile(r"[a-z]+")
_WORD_GAP = re.compile(r"[ -]{1,3}")


def _normalise(text: str) -> str:
    """Lower-cased text with superscripts, LaTeX and unicode dashes rewritten for the tokenizer."""
    s = clip(text)
    s = _SUPERSCRIPT_RUN.sub(lambda m: "^" + m.group().translate(_SUPERSCRIPTS), s)
    s = _GROUPING_SPACE.sub("", s)
    s = unicodedata.normalize("NFKC", s).lower()
    s = _LATEX_FRAC.sub(r"\1/\2", s)
    s = _LATEX_TEXT.sub(r" \1", s)
    s = _LATEX_BRACED_POWER.sub(r"^\1", s)
    for latex, plain in _LATEX_SYMBOLS:
        s = s.replace(latex, plain)
    return s


def _decimal(digits: str, frac: str, exponent: int) -> Fraction | None:
    """``digits.frac * 10**exponent`` or ``None`` past the significant-digit or exponent caps."""
    if len((digits + frac).lstrip("0")) > MAX_SIGNIFICANT_DIGITS or abs(exponent) > MAX_EXPONENT:
        return None
    return Fraction(int(digits + frac or "0")) * Fraction(10) ** (exponent - len(frac))


def _plain(number: str) -> Fraction | None:
    whole, _, frac = number.partition(".")
    return _decimal(whole, frac, 0)


def _ratio(numerator: str, denominator: str) -> Fraction | None:
    num, den = _plain(numerator), _plain(denominator)
    if num is None or not den:
        return None
    return num / den


def _match_value(m: re.Match) -> Fraction | None:
    """The value of one ``_NUMBER`` match, or ``None`` when it is malformed or out of bounds."""
    if m["mnum"] is not None:
        part = _ratio(m["mnum"], m["mden"])
        whole = _plain(m["whole"])
        value = None if part is None or whole is None or part >= 1 else whole + part
    elif m["fnum"] is not None:
        value = _ratio(m["fnum"], m["fden"])
    else:
        exponent_text = m["exp"] or m["exp10"] or "0"
        if len(exponent_text.lstrip("+-")) > 4:
            return None
        digits = (m["int"] or "").replace(",", "")
        value = _decimal(digits, m["frac"] or m["frac2"] or "", int(exponent_text))
        if m["pow"] is not None:  # only "10^k" is a power we read; "2^10" is not an answer
            if digits != "10" or m["frac"] or m["exp"] or m["exp10"] or len(m["pow"].lstrip("+-")) > 4:
                return None
            value = _decimal("1", "", int(m["pow"]))
    if value is None:
        return None
    return -value if m["sign"] == "-" else value


def _digit_numbers(s: str) -> list[tuple[int, int, Fraction]] | None:
    found = []
    for m in _NUMBER.finditer(s):
        value = _match_value(m)
        after = s[m.end(): m.end() + 2]
        if value is None or after[:1] in ("^", "/", "_") or (after[:1] == "." and after[1:].isdigit()):
            return None
        found.append((m.start(), m.end(), value))
    return found


@dataclass
class _SpelledNumber:
    """A spelled-out number being read word by word: "one hundred and five"."""

    start: int
    end: int = 0
    total: int = 0  # thousands and millions read so far
    group: int = 0  # the part below the last scale word
    last: str = ""  # kind of the last word: zero, ones, teens, tens, hundred, dozen, scale
    scale: float = math.inf  # the last scale word's value; scales must decrease

    @property
    def value(self) -> Fraction:
        return Fraction(self.total + self.group)

    def add(self, word: str, after_and: bool = False) -> bool:
        """Read ``word`` into this number; ``False`` (and no change) when it cannot continue it."""
        if word in ("zero", "none"):
            kind, value, allowed = "zero", 0, ("",)
        elif word in _ONES:
            kind, value, allowed = "ones", _ONES[word], ("", "tens", "hundred", "scale")
        elif word in _TEENS or word in _TENS:
            kind, value = ("teens", _TEENS[word]) if word in _TEENS else ("tens", _TENS[word])
            allowed = ("", "hundred", "scale")
        elif word in _MULTIPLIERS:
            kind, value, allowed = word, _MULTIPLIERS[word], ("", "ones", "teens")
        elif word in _SCALES and _SCALES[word] < self.scale:
            kind, value, allowed = "scale", _SCALES[word], ("", "ones", "teens", "tens", "hundred")
        else:
            return False
        if self.last not in allowed or (after_and and kind not in ("ones", "teens", "tens")):
            return False
        if kind in ("hundred", "dozen"):
            self.group = (self.group or 1) * value
        elif kind == "scale":
            self.total += (self.group or 1) * value
            self.group, self.scale = 0, value
        else:
            self.group += value
        self.last = kind
        return True


def _word_numbers(s: str) -> list[tuple[int, int, Fraction]]:
    """Spelled-out numbers: "three", "twenty-one", "one hundred and five", "a dozen"."""
    numbers_read: list[_SpelledNumber] = []
    current: _SpelledNumber | None = None
    previous_end, after_and = 0, False
    for m in _WORD.finditer(s):
        word = m.group()
        joined = current is not None and _WORD_GAP.fullmatch(s[previous_end: m.start()]) is not None
        if word == "and" and joined and current.last in ("hundred", "scale") and not after_and:
            previous_end, after_and = m.end(), True
            continue
        if not (joined and current.add(word, after_and)):
            current = _SpelledNumber(m.start())
            if current.add(word):
                numbers_read.append(current)
            else:
                current = None
        if current is not None:
            current.end = m.end()
        previous_end, after_and = m.end(), False
    return [(n.start, n.end, n.value) for n in numbers_read]


def find_quantities(text: str) -> list[Quantity] | None:
    """Every number in ``text`` with the unit written after it, in order.

    ``None`` when the text is not a plain statement of numbers: an inequality or a hedge ("<5",
    "at least 3"), a power other than ``10^k``, a number past the digit or exponent caps, or spam.
    """
    s = _normalise(text)
    if _POISON.search(s):
        return None
    digits = _digit_numbers(s)
    if digits is None:
        return None
    spans = sorted(digits + _word_numbers(s))
    if len(spans) > MAX_QUANTITIES:
        return None
    leftover = s
    quantities: list[Quantity] = []
    for start, end, value in spans:
        previous_end = quantities[-1].end if quantities else None
        if value < 0 and previous_end is not None and not s[previous_end:start].strip():
            value, start = -value, start + 1  # "3 - 5": the dash joins a range, it is no sign
        try:
            as_float = float(value)
        except OverflowError:
            return None
        unit, unit_end = parse_unit(s, end)
        if unit is not None and unit.dimension == "pressure" and "/" in s[start:end]:
            return None  # "120/80 mmHg" is a pair of pressures, not a fraction
        leftover = leftover[:start] + " " * (unit_end - start) + leftover[unit_end:]
        quantities.append(Quantity(as_float, unit, start, unit_end))
    if "^" in leftover:  # a power tower or a power we did not read
        return None
    return quantities


def _same_value(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def parse_quantity(text: str) -> Quantity | None:
    """The one quantity ``text`` states (repeats in other units allowed), else ``None``."""
    found = find_quantities(text)
    if not found:
        return None
    first = next((q for q in found if q.unit is not None), found[0])
    for q in found:
        values = _candidates(q, first.unit, percent_leniency=False)
        if not any(_same_value(v, first.value) for v in values):
            return None
    return first


def parse_number(text: str) -> float | None:
    """The one number ``text`` states ("3", "3 (three)", "1.2 cm"), else ``None`` (none, or several)."""
    quantity = parse_quantity(text)
    return None if quantity is None else quantity.value


def _candidates(q: Quantity, target: Unit | None, percent_leniency: bool = True) -> list[float]:
    """Values ``q`` may mean in ``target``'s unit; a bare number is taken to be in ``target``'s unit.

    With ``percent_leniency`` a bare number and a percentage match either way: 45 or 0.45 for 45%.
    """
    if q.unit is not None and target is not None:
        converted = convert(q.value, q.unit, target)
        return [] if converted is None else [converted]
    unit = q.unit or target
    if unit is None or unit.dimension != "percent" or not percent_leniency:
        return [q.value]
    return [q.value, q.value * 100] if q.unit is None else [q.value, q.value / 100]


def _expected_range(ground_truth: str) -> tuple[Quantity, Quantity] | None:
    """The ground truth as ``(low, high)``: one quantity twice, or a range such as "3-5 mm"."""
    found = find_quantities(ground_truth)
    if not found:
        return None
    single = parse_quantity(ground_truth)
    if single is not None:
        return single, single
    s = _normalise(ground_truth)
    if len(found) != 2 or not _RANGE_JOINER.fullmatch(s[found[0].end: found[1].start]):
        return None
    low, high = found
    unit = low.unit or high.unit
    high_value = high.value if low.unit is None or high.unit is None else convert(high.value, high.unit, unit)
    if high_value is None:
        return None
    low = Quantity(low.value, unit, low.start, low.end)
    high = Quantity(high_value, unit, high.start, high.end)
    return (low, high) if low.value <= high.value else (high, low)


def _tolerance(extra_info: Mapping[str, Any], key: str, default: float) -> float:
    value = extra_info.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < math.inf:
        raise ValueError(f"extra_info[{key!r}]={value!r} must be a finite number >= 0 (default {default})")
    return float(value)


def _matches(q: Quantity, low: Quantity, high: Quantity, rtol: float, atol: float) -> bool:
    for value in _candidates(q, low.unit):
        slack_low = max(atol, rtol * abs(low.value))
        slack_high = max(atol, rtol * abs(high.value))
        if low.value - slack_low <= value <= high.value + slack_high:
            return True
    return False


@register_verifier("numeric")
def verify_numeric(answer: str, ground_truth: str, extra_info: Mapping[str, Any]) -> float:
    """1.0 when every number in ``answer`` equals the ground truth (within tolerance, across units).

    - Several different numbers ("3 or 4", "3-5") or a hedge ("<5", "at least 3") score 0; the same
      number repeated ("3 (three)", "12 mm (1.2 cm)") is fine.
    - Units convert within a dimension, in the ground truth's unit; other dimensions score 0. A number
      without a unit is read in the other side's unit ("12" matches "12 mm").
    - A percentage and a bare number match either way: "45%" matches "45" and "0.45".
    - Tolerance: ``extra_info["numeric_rtol"]`` (relative, default 1e-3) and ``extra_info["numeric_atol"]``
      (absolute, default 1e-9, for a zero ground truth).
    - A ground truth range ("3-5 mm", "between 3 and 5") accepts any answer inside it; a ground truth
      without one readable number or range falls back to equal normalised text.
    """
    info = extra_info or {}
    rtol = _tolerance(info, "numeric_rtol", DEFAULT_RTOL)
    atol = _tolerance(info, "numeric_atol", DEFAULT_ATOL)
    expected = _expected_range(ground_truth)
    if expected is None:
        truth = normalize_text(ground_truth)
        return float(bool(truth) and normalize_text(answer) == truth)
    found = find_quantities(answer)
    if not found:
        return 0.0
    return float(all(_matches(q, *expected, rtol, atol) for q in found))
