"""Numbers and their units read from untrusted text: digits, fractions, LaTeX, words and count phrases.

Nothing here evaluates model text: numbers are read by bounded regexes and built with ``Fraction``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

from rewards.numerals import chinese_numbers, count_phrases, english_numbers
from rewards.text import clip
from rewards.units import Unit, parse_unit

MAX_SIGNIFICANT_DIGITS = 30
MAX_EXPONENT = 300
MAX_QUANTITIES = 64  # an answer with more numbers than this is spam, not an answer


@dataclass(frozen=True)
class Quantity:
    """A number read from text, its unit (or ``None``) and its span in the normalised text.

    ``count_phrase`` marks a count said without a numeral ("no lesions", "a single nodule"): it is a
    count, so it never equals a measurement with a unit.
    """

    value: float
    unit: Unit | None
    start: int
    end: int
    count_phrase: bool = False


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPERSCRIPT_RUN = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]{1,8}")
_GROUPING_SPACE = re.compile(r"(?<=\d)(?:[\u00a0\u2009\u202f]|\\,)(?=\d{3}(?!\d))")  # SI "12 345"
_LATEX_FRAC = re.compile(
    r"\\[dt]?frac\s{0,3}\{\s{0,3}([-+]?[\d.,]{1,40})\s{0,3}\}\s{0,3}\{\s{0,3}([\d.,]{1,40})\s{0,3}\}"
)
_LATEX_TEXT = re.compile(r"\\(?:text|mathrm|rm|mbox|textrm|operatorname)\s{0,3}\{([^{}]{0,40})\}")
_LATEX_BRACED_POWER = re.compile(r"\^\s{0,3}\{\s{0,3}([-+]?\d{1,6})\s{0,3}\}")
_RANGE_TILDE = re.compile(r"(?<=\d)\s{0,3}[~〜∼]\s{0,3}(?=[-+]?\.?\d)")  # "5~10 mm" (CJK style range)
_SYMBOLS = (
    (r"\left", ""), (r"\right", ""), (r"^{\circ}", "°"), (r"^\circ", "°"), (r"\circ", "°"),
    (r"\times", "×"), (r"\cdot", "×"), (r"\%", "%"), (r"\mu", "μ"), (r"\pm", "±"), (r"\geqslant", "≥"),
    (r"\leqslant", "≤"), (r"\geq", "≥"), (r"\leq", "≤"), (r"\ge", "≥"), (r"\le", "≤"), (r"\lt", "<"),
    (r"\gt", ">"), (r"\approx", " "), (r"\sim", " "), (r"\,", " "), (r"\;", " "), (r"\!", ""),
    ("~", " "), ("∼", " "), ("≈", " "), ("−", "-"), ("–", "-"), ("—", "-"), ("‒", "-"), ("‐", "-"),
    ("‑", "-"), ("⁄", "/"), ("·", "×"), ("⋅", "×"), ("✕", "×"), ("✖", "×"), ("⨯", "×"), ("$", " "),
)
_MINUS_WORD = re.compile(r"\b(?:minus|negative)\s{1,3}(?=\.?\d)")  # "minus 5" is -5
_LATEX_SI = re.compile(r"\\(?:si|qty)\s{0,3}\{([^{}]{1,40})\}\s{0,3}\{([^{}]{1,40})\}")  # \SI{5}{mm}
_LATEX_NUM = re.compile(r"\\num\s{0,3}\{([^{}]{1,40})\}")
_PERCENT_ZH = re.compile(r"百分之([\d.]{1,20}|[零〇一二两三四五六七八九十百千]{1,8})")  # "百分之四十五" 45%
# "3x2 cm", "3 * 2", "3.5cmx2.1cm", "lesion x 2": a times sign between a number (or a length unit, or a
# word and a blank) and a number.
_TIMES = re.compile(
    r"(?:(?:(?<=\d)|(?<=mm)|(?<=cm)|(?<=μm)|(?<=\dm)|(?<= m)|(?<=[²³%\u3400-\u9fff]))\s{0,3}"
    r"|(?<=[a-z])\s{1,3}|(?<=[a-z])(?=[×*]))"
    r"(?:[x×]|\*(?!\*))\s{0,3}(?=\.?\d)"
)
# A comma followed by 1-2 or 4+ digits ("3,5") is no thousands separator; see ``_decimal_commas``.
_COMMA_NUMBER = re.compile(r"(?<![\d.,])(\d{1,15}),(\d{1,2}|\d{4,15})(?![\d,.])")
_NUMBER = re.compile(
    r"""(?<![.^])(?<!\^-)(?<!\^\+)(?<![^\W\u3400-\u9fff])(?P<sign>[-+]?)
    (?:(?P<whole>\d+)[ ](?P<mnum>\d+)/(?P<mden>\d+)(?![\d.])
      |(?P<fnum>\d+(?:\.\d+)?)[ ]?/[ ]?(?P<fden>\d+(?:\.\d+)?)
      |(?P<int>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.(?P<frac>\d+))?
      |\.(?P<frac2>\d+))
    (?:e(?P<exp>[-+]?\d+)|[ ]?[×x*][ ]?10[ ]?\^[ ]?(?P<exp10>[-+]?\d+))?
    (?:\^(?P<pow>[-+]?\d+))?
    (?!\d|(?:st|nd|rd|th)(?![a-z]))""",
    re.X,
)
_SYNTAX_POISON = re.compile(r"\*\*|\\frac")  # "9**9**9", a LaTeX fraction we could not read
# A number after one of these names a thing ("segment 4", "image 2", "day 3"); with other numbers about,
# it is no quantity of the answer: "the lesion in segment 4 measures 12 mm" states 12 mm.
LABELS = (
    "segment", "segments", "image", "images", "slice", "slices", "series", "figure", "fig", "page",
    "question", "option", "section", "panel", "level", "levels", "visit", "cycle", "phase", "day", "week",
    "month", "year", "case", "patient", "bed", "lead", "zone", "station", "grade", "stage", "type", "class",
    "no", "number", "bi-rads", "birads", "li-rads", "lirads", "pi-rads", "pirads", "tirads", "ti-rads",
)
_LABEL_BEFORE = re.compile(r"(?:\b(?:" + "|".join(re.escape(w) for w in LABELS) + r")\.?|#)\s{0,2}$")
_UNIT_BEFORE = re.compile(r"\d\s{0,3}[a-z]{1,10}\.?\s{0,2}$")  # "1 day 12 hours": "day" is a unit, no label
# "120 over 80" is the pair "120/80"; "an hour and a half" is 1.5 hours; "an hour" is 1 hour.
_OVER = re.compile(r"(?<=\d)\s{1,3}over\s{1,3}(?=\d)")
_TIME_UNIT_WORDS = r"(second|minute|hour|day|week|month|year)s?"
_ONE_UNIT_AND_A_HALF = re.compile(
    rf"\b(?:an?|one)\s{{1,3}}{_TIME_UNIT_WORDS}\s{{1,3}}and\s{{1,3}}(?:a|one)\s{{1,3}}half\b"
)
_FRACTION_OF_ONE = re.compile(
    rf"\b(half|halves|thirds?|quarters?)\s{{1,3}}of\s{{1,3}}(?:an?|one)\s{{1,3}}(?={_TIME_UNIT_WORDS}\b)"
)
_ONE_UNIT = re.compile(rf"(?<!\bhalf\s)\b(?:an?|one)\s{{1,3}}(?={_TIME_UNIT_WORDS}\b)")  # not "half an hour"
_AND_A_HALF = re.compile(r"\s{1,3}and\s{1,3}(?:a|one)\s{1,3}half\b")
# Words that offer another value: with one, a count phrase that disagrees with the numeral is a hedge.
ALTERNATIVE = re.compile(
    r"\b(?:or|either|maybe|perhaps|possibly|actually|alternatively|otherwise)\b|或|还是|可能|也许"
)


def _decimal_commas(s: str) -> str:
    """"3,5 cm" -> "3.5 cm": commas are decimal marks when one such number starts with 0 or has a unit.

    A comma before exactly three digits is always a thousands separator ("1,234" is 1234, also before
    a unit); "1,5" with no unit anywhere stays a list of two numbers.
    """
    matches = list(_COMMA_NUMBER.finditer(s))
    if len(matches) > MAX_QUANTITIES:
        return s
    if not any(m.group(1) == "0" or parse_unit(s, m.end())[0] is not None for m in matches):
        return s
    return _COMMA_NUMBER.sub(r"\1.\2", s)


def normalise(text: str) -> str:
    """Lower-cased text with superscripts, LaTeX, dashes, times signs and decimal commas rewritten."""
    s = clip(text)
    s = _SUPERSCRIPT_RUN.sub(lambda m: "^" + m.group().translate(_SUPERSCRIPTS), s)
    s = _GROUPING_SPACE.sub("", s).replace("º", "°").replace("˚", "°")  # NFKC would make "º" an "o"
    s = unicodedata.normalize("NFKC", s).lower()
    if "\\" in s or "{" in s:
        s = _LATEX_FRAC.sub(r"\1/\2", s)
        s = _LATEX_SI.sub(r"\1 \2", s)
        s = _LATEX_NUM.sub(r"\1", s)
        s = _LATEX_TEXT.sub(r" \1", s)
        s = _LATEX_BRACED_POWER.sub(r"^\1", s)
    s = _RANGE_TILDE.sub(" to ", s)
    for latex, plain in _SYMBOLS:
        s = s.replace(latex, plain)
    s = _MINUS_WORD.sub("-", s)
    if not s.isascii():
        s = _PERCENT_ZH.sub(r"\1%", s)
    s = _TIMES.sub(" × ", s)
    if " over " in s:
        s = _OVER.sub("/", s)
    if "a" in s or "one" in s:
        s = _ONE_UNIT_AND_A_HALF.sub(r"1.5 \1s", s)
        s = _FRACTION_OF_ONE.sub(r"\1 ", s)  # "three quarters of an hour" -> "three quarters hour"
        s = _ONE_UNIT.sub("1 ", s)
    return _decimal_commas(s)


def with_decimal_points(text: str) -> str | None:
    """``text`` with every comma between digits that is no thousands separator read as a decimal point
    ("1,5" -> "1.5"), or ``None`` when it has none: for an answer whose ground truth writes decimals."""
    rewritten, count = _COMMA_NUMBER.subn(r"\1.\2", clip(text))
    return rewritten if count else None


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


def _slash_pair(s: str, m: re.Match, slash_pairs: bool) -> list[tuple[int, int, Fraction]] | None:
    """"120/80 mmHg" as two numbers (a blood pressure), when asked for or when a pressure unit follows."""
    if m["fnum"] is None or "." in m.group() or m["sign"]:
        return None
    unit, _ = parse_unit(s, m.end())
    if not (slash_pairs or (unit is not None and unit.dimension == "pressure")):
        return None
    first, second = _plain(m["fnum"]), _plain(m["fden"])
    if first is None or second is None:
        return None
    return [(m.start(), m.end("fnum"), first), (m.start("fden"), m.end(), second)]


def _digit_numbers(s: str, slash_pairs: bool) -> list[tuple[int, int, Fraction]] | None:
    found = []
    for m in _NUMBER.finditer(s):
        if len(found) > MAX_QUANTITIES:
            return None
        pair = _slash_pair(s, m, slash_pairs)
        if pair is not None:
            found += pair
            continue
        value = _match_value(m)
        after = s[m.end(): m.end() + 2]
        malformed = after[:1] in ("^", "_") or (after[:1] == "." and after[1:].isdigit())
        if value is None or malformed or (after[:1] == "/" and parse_unit(s, m.end())[0] is None):
            return None
        found.append((m.start(), m.end(), value))
    return found


def _labelled(s: str, start: int) -> bool:
    """Whether the number at ``start`` follows a label word ("segment 4") that is no unit of a number
    before it ("1 day 12 hours")."""
    window = max(0, start - 24)
    return _LABEL_BEFORE.search(s, window, start) is not None and not _UNIT_BEFORE.search(s, window, start)


def _spans(s: str, slash_pairs: bool) -> tuple[list[tuple[int, int, Fraction]], bool] | None:
    """Number spans and whether they are count phrases; numerals win over count phrases.

    A count phrase is read only when the text writes no numeral ("no lesions"), except that a count
    phrase that disagrees with the numerals next to "or", "maybe", "actually", ... makes a hedge.
    """
    digits = _digit_numbers(s, slash_pairs)
    if digits is None:
        return None
    numerals = sorted(digits + english_numbers(s) + chinese_numbers(s, limit=MAX_QUANTITIES + 1))
    if len(numerals) > 1:
        named = [n for n in numerals if _labelled(s, n[0])]
        numerals = [n for n in numerals if n not in named] if len(named) < len(numerals) else numerals
    taken = bytearray(len(s))
    for start, end, _ in numerals:
        taken[start:end] = b"\x01" * (end - start)
    phrases = [p for p in count_phrases(s) if not any(taken[p[0]: p[1]])]
    if numerals:
        values = {value for _, _, value in numerals}
        if any(p[2] not in values for p in phrases) and ALTERNATIVE.search(s):
            return None
        return numerals, False
    if not phrases:
        return [], False
    tier = min(p[3] for p in phrases)
    return [(start, end, value) for start, end, value, t in phrases if t == tier], True


def quantities_in(s: str, slash_pairs: bool = False) -> list[Quantity] | None:
    """Every quantity in normalised text ``s`` (see ``find_quantities``)."""
    if _SYNTAX_POISON.search(s):
        return None
    read = _spans(s, slash_pairs)
    if read is None or len(read[0]) > MAX_QUANTITIES:
        return None
    spans, phrases = read
    leftover = s
    quantities: list[Quantity] = []
    for start, end, value in spans:
        half = _AND_A_HALF.match(s, end)
        if half is not None:
            value, end = value + Fraction(1, 2), half.end()
        try:
            as_float = float(value)
        except OverflowError:
            return None
        unit, unit_end = (None, end) if phrases else parse_unit(s, end)
        leftover = leftover[:start] + " " * (unit_end - start) + leftover[unit_end:]
        quantities.append(Quantity(as_float, unit, start, unit_end, phrases))
    if "^" in leftover:  # a power tower or a power we did not read
        return None
    return quantities


def find_quantities(text: str, slash_pairs: bool = False) -> list[Quantity] | None:
    """Every number in ``text`` with the unit written after it, in order (spans index ``normalise(text)``).

    ``None`` when the text holds no plain numbers: a power other than ``10^k``, a number past the digit
    or exponent caps, more than ``MAX_QUANTITIES`` numbers, or a count phrase hedged against a numeral.
    With ``slash_pairs``, "120/80" is two numbers rather than a fraction.
    """
    return quantities_in(normalise(text), slash_pairs)
