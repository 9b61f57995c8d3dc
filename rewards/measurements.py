"""What a numeric text states: a value, a range ("5-10 mm"), dimensions ("3.5 x 2.1 cm"), a slash pair
("120/80 mmHg") or a bound ("over 5 mm"), read from its quantities and the words between them."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from rewards.bounds import bound_after, bound_before
from rewards.quantities import ALTERNATIVE, Quantity, normalise, quantities_in
from rewards.units import convert

COMPOUND_DIMENSIONS = frozenset({"time", "length", "mass", "volume"})  # "1 h 30 min", "1 m 70 cm"
_WINDOW = 48  # characters before a number searched for a bound or "between"
_RANGE_INTRO = re.compile(
    r"(?:\b(?P<between>between)|\bfrom|(?P<zh>介于)|从|在)\s{0,3}(?:(?:about|approximately|roughly)\s{1,3})?$"
)
_RANGE_GAP = re.compile(r"\s{0,3}(?:-|to|through|至|到)\s{0,3}")
_BETWEEN_GAP = re.compile(r"\s{0,3}(?:and|&|和|与|之间)\s{0,3}")
_DIMS_GAP = re.compile(r"\s{0,3}(?:×|by|乘以?)\s{0,3}")
_PAIR_GAP = re.compile(r"\s{0,2}/\s{0,2}")
_COMPOUND_GAP = re.compile(r"\s{0,3}(?:,|and|&|又)?\s{0,3}")
_OPERATOR = re.compile(r"[<>≤≥⩽⩾≦≧±]")
_NOT = re.compile(r"\bnot\b|n't\b|不是")
_NOT_REACH = re.compile(r"\s{0,3}(?:[^\s.;,!?]{1,20}\s{1,3})?")  # "not 3", "not exactly 3": one word between


@dataclass(frozen=True)
class Measurement:
    """One statement: its ``kind`` ("point", "range", "dims", "pair" or "bound"), its quantities in
    order (a range: low, high) and, for a bound, ``op`` (one of ``rewards.bounds.OPS``)."""

    kind: str
    parts: tuple[Quantity, ...]
    op: str = ""
    start: int = 0  # span in the normalised text, bound words included
    end: int = 0


def _shared_units(parts: list[Quantity]) -> list[Quantity]:
    """Bare elements take the unit of the next element that has one, else of the previous one."""
    units = [q.unit for q in parts]
    for i in range(len(units) - 2, -1, -1):
        units[i] = units[i] or units[i + 1]
    for i in range(1, len(units)):
        units[i] = units[i] or units[i - 1]
    return [replace(q, unit=u) for q, u in zip(parts, units, strict=True)]


def _compound(big: Quantity, small: Quantity) -> Quantity | None:
    """"1 hour" + "30 minutes" as one quantity when the second unit is smaller and under one of the first."""
    if big.unit is None or small.unit is None or big.unit.dimension != small.unit.dimension:
        return None
    if big.unit.dimension not in COMPOUND_DIMENSIONS or small.unit.factor >= big.unit.factor:
        return None
    part = convert(small.value, small.unit, big.unit)
    if part is None or not 0 <= part < 1 or big.value < 0:
        return None
    return replace(big, value=big.value + part, end=small.end)


def _range(low: Quantity, high: Quantity) -> list[Quantity] | None:
    """The ends in one unit (the first's), low first; ``None`` when their units cannot convert."""
    low, high = _shared_units([low, high])
    if low.unit is not None and high.unit is not None and high.unit != low.unit:
        converted = convert(high.value, high.unit, low.unit)
        if converted is None:
            return None
        high = replace(high, value=converted, unit=low.unit)
    return [low, high] if low.value <= high.value else [high, low]


def _join(s: str, parts: list[Quantity], nxt: Quantity, kind: str, intro: re.Match | None):
    """How ``nxt`` continues the statement: ``(kind, nxt)`` (its sign may be a dash), ``("compound",
    merged)`` for the last element plus ``nxt`` ("1 hour 30 minutes"), or ``None``."""
    gap = s[parts[-1].end: nxt.start]
    if kind == "point" and not gap.strip() and nxt.value < 0 and s[nxt.start] == "-":
        return "range", replace(nxt, value=-nxt.value, start=nxt.start + 1)  # "3 -5": the dash joins
    if kind == "point" and _RANGE_GAP.fullmatch(gap):
        return "range", nxt
    between = intro is not None and (intro["between"] or intro["zh"])
    if kind == "point" and between and _BETWEEN_GAP.fullmatch(gap):
        return "range", nxt
    if kind in ("point", "dims") and _DIMS_GAP.fullmatch(gap):
        return "dims", nxt
    if kind == "point" and _PAIR_GAP.fullmatch(gap):
        return "pair", nxt
    merged = _compound(parts[-1], nxt) if kind == "point" and _COMPOUND_GAP.fullmatch(gap) else None
    return None if merged is None else ("compound", merged)


def _statement(s: str, found: list[Quantity], i: int, previous_end: int) -> tuple[Measurement, int] | None:
    """The statement that starts with ``found[i]`` and the index after it; ``None`` if malformed.

    Neighbours join by the gap between them: a dash or "to" (or "and" after "between") makes a range,
    "x"/"by" dimensions, "/" a pair, a smaller unit of the same dimension one compound value ("1 hour
    30 minutes"). A unit written on one element serves the bare ones ("0.5 to 1 cm").
    """
    first = found[i]
    window_start = max(previous_end, first.start - _WINDOW)
    before = s[window_start: first.start]
    intro = _RANGE_INTRO.search(before)
    parts, kind, i = [first], "point", i + 1
    while i < len(found) and not found[i].count_phrase:
        joined = _join(s, parts, found[i], kind, intro)
        if joined is None:
            break
        how, nxt = joined
        if how == "compound":
            parts[-1] = nxt
        else:
            kind = how
            parts.append(nxt)
        i += 1
        if kind in ("range", "pair"):
            break
    start, end = first.start, parts[-1].end
    before_bound, after_bound = bound_before(before), bound_after(s, end)
    op = ""
    if before_bound is not None or after_bound is not None:
        if kind != "point" or (before_bound is not None and after_bound is not None):
            return None
        kind = "bound"
        if before_bound is not None:
            op, start = before_bound[0], window_start + before_bound[1]
        else:
            op, end = after_bound
    elif kind == "range" and intro is not None:
        start = window_start + intro.start()
    if kind == "range":
        ordered = _range(parts[0], parts[1])
        if ordered is None:
            return None
        parts = ordered
        if math.isclose(parts[0].value, parts[1].value, rel_tol=1e-12):
            kind, parts = "point", parts[:1]
    elif kind in ("dims", "pair"):
        parts = _shared_units(parts)
    return Measurement(kind, tuple(parts), op, start, end), i


def _statements(s: str, found: list[Quantity]) -> list[Measurement] | None:
    statements: list[Measurement] = []
    i = 0
    while i < len(found):
        read = _statement(s, found, i, statements[-1].end if statements else 0)
        if read is None:
            return None
        statement, i = read
        statements.append(statement)
    return statements


def _blank(s: str, statements: list[Measurement]) -> str:
    pieces, last = [], 0
    for st in statements:
        pieces += [s[last: st.start], " " * (st.end - st.start)]
        last = st.end
    return "".join(pieces) + s[last:]


def _poisoned(leftover: str, statements: list[Measurement]) -> bool:
    """An operator left unread ("a < b", "5 ± 2") or a "not" right before a number ("not 3")."""
    if _OPERATOR.search(leftover):
        return True
    for m in _NOT.finditer(leftover):
        reach = _NOT_REACH.match(leftover, m.end()).end()
        if any(m.end() <= st.start <= reach for st in statements):
            return True
    return False


def _same_quantity(a: Quantity, b: Quantity) -> bool:
    """The same value, ``b`` converted into ``a``'s unit; a bare number is read in the other's unit."""
    value = b.value
    if a.unit is not None and b.unit is not None:
        value = convert(b.value, b.unit, a.unit)
        if value is None:
            return False
    return math.isclose(a.value, value, rel_tol=1e-9, abs_tol=1e-12)


def _same_statement(a: Measurement, b: Measurement) -> bool:
    return (a.kind, a.op, len(a.parts)) == (b.kind, b.op, len(b.parts)) and all(
        _same_quantity(x, y) for x, y in zip(a.parts, b.parts, strict=True)
    )


def _is_condition(statement: Measurement) -> bool:
    """A bound with a unit, such as "larger than 5 mm" in "2 nodules larger than 5 mm"."""
    return statement.kind == "bound" and statement.parts[0].unit is not None


def _read(text: str, slash_pairs: bool, drop_conditions: bool = False) -> tuple[Measurement, str, int] | None:
    """The one statement ``text`` makes (repeats in other units allowed; the first written with units
    is returned), the text left unread, and where the first statement starts."""
    s = normalise(text)
    found = quantities_in(s, slash_pairs)
    statements = _statements(s, found) if found else None
    if not statements:
        return None
    leftover = _blank(s, statements)
    if _poisoned(leftover, statements):
        return None
    if drop_conditions and not all(_is_condition(st) for st in statements):
        statements = [st for st in statements if not _is_condition(st)]
        counts = [st for st in statements if not any(q.unit is not None for q in st.parts)]
        if counts and len(counts) < len(statements) and not ALTERNATIVE.search(s):
            statements = counts  # "3 nodules, each about 5 mm": the sizes describe what is counted
    if not all(_same_statement(statements[0], st) for st in statements[1:]):
        return None
    with_units = [st for st in statements if all(q.unit is not None for q in st.parts)]
    return (with_units or statements)[0], leftover, statements[0].start


def read_measurement(
    text: str, slash_pairs: bool = False, drop_conditions: bool = False
) -> Measurement | None:
    """What ``text`` states, or ``None`` for no number, several different statements ("3 or 4", a value
    and a bound), or a hedge ("not 3", "5 ± 2", an operator we cannot read). With ``slash_pairs``, "120/80"
    is a pair rather than the fraction 1.5. With ``drop_conditions``, bounds with a unit are conditions
    restated from a counting question ("2 nodules larger than 5 mm" states 2) unless nothing else is said,
    and values with a unit beside a bare count describe what is counted ("3 nodules, each 5 mm" states 3)."""
    read = _read(text, slash_pairs, drop_conditions)
    return None if read is None else read[0]


def plain_measurement(text: str, max_extra_words: int) -> Measurement | None:
    """The measurement when ``text`` is nothing else: it starts with the number (or its bound or
    "between"), is written in numerals rather than count phrases, and adds at most ``max_extra_words``
    words ("12 mm", "5-10 mm", "> 5 mm", "3 lesions"; not "grade 2", "no fracture", "5th rib")."""
    read = _read(text, slash_pairs=False)
    if read is None:
        return None
    measurement, leftover, first_start = read
    if measurement.parts[0].count_phrase or leftover[:first_start].strip():
        return None
    return measurement if len(leftover.split()) <= max_extra_words else None


def parse_quantity(text: str) -> Quantity | None:
    """The one quantity ``text`` states ("3", "1.2 cm", "12 mm (1.2 cm)"), else ``None``."""
    measurement = read_measurement(text)
    return measurement.parts[0] if measurement is not None and measurement.kind == "point" else None


def parse_number(text: str) -> float | None:
    """The one number ``text`` states ("3", "3 (three)", "1.2 cm"), else ``None`` (none, several, a range)."""
    quantity = parse_quantity(text)
    return None if quantity is None else quantity.value
