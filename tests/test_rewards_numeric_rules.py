"""The numeric verifier's rules over generated inputs: units, ranges, dimensions, bounds, hedges."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rewards.answer_types import infer_answer_type
from rewards.numeric import verify_numeric
from rewards.units import SPACED_ONLY, UNITS, Unit, convert

_ALIASES: dict[Unit, list[str]] = {}
for _alias, _unit in UNITS.items():
    _ALIASES.setdefault(_unit, []).append(_alias)
_BY_DIMENSION: dict[str, list[Unit]] = {}
for _unit in _ALIASES:
    _BY_DIMENSION.setdefault(_unit.dimension, []).append(_unit)
_CONVERTIBLE = sorted(d for d, units in _BY_DIMENSION.items() if len(units) > 1)
_LENGTH = [UNITS[a] for a in ("mm", "cm", "m", "µm")]

_MAGNITUDES = st.floats(min_value=0.5, max_value=500, allow_nan=False)
_ONE_DECIMAL = st.integers(min_value=1, max_value=9999).map(lambda n: n / 10)


def _say(value: float, unit: Unit, data) -> str:
    """``value`` in ``unit``, spelled with a random alias, with or without a blank."""
    alias = data.draw(st.sampled_from(_ALIASES[unit]))
    blank = data.draw(st.sampled_from([" ", ""])) if alias not in SPACED_ONLY else " "
    return f"{value:.9g}{blank}{alias}"


def _in(value: float, source: Unit, target: Unit) -> float:
    converted = convert(value, source, target)
    assert converted is not None
    return converted


@given(st.sampled_from(_CONVERTIBLE), _MAGNITUDES, st.data())
def test_a_value_in_any_unit_of_its_dimension_scores_one(dimension: str, value: float, data) -> None:
    truth_unit = data.draw(st.sampled_from(_BY_DIMENSION[dimension]))
    answer_unit = data.draw(st.sampled_from(_BY_DIMENSION[dimension]))
    truth = _say(value, truth_unit, data)
    right = _say(_in(value, truth_unit, answer_unit), answer_unit, data)
    wrong = _say(_in(value * 1.05, truth_unit, answer_unit), answer_unit, data)
    assert verify_numeric(right, truth, {}) == 1.0
    assert verify_numeric(wrong, truth, {}) == 0.0


@given(st.sampled_from(_CONVERTIBLE), st.sampled_from(_CONVERTIBLE), _MAGNITUDES, st.data())
def test_a_value_in_another_dimension_scores_zero(truth_dim: str, answer_dim: str, value: float, data):
    if {truth_dim, answer_dim} in ({truth_dim}, {"angle", "temperature"}):
        return
    truth = _say(value, data.draw(st.sampled_from(_BY_DIMENSION[truth_dim])), data)
    answer = _say(value, data.draw(st.sampled_from(_BY_DIMENSION[answer_dim])), data)
    assert verify_numeric(answer, truth, {}) == 0.0


_RANGES = ["{a}-{b} {u}", "{a} - {b} {u}", "{a}–{b} {u}", "{a} to {b}{u}", "between {a} and {b} {u}",
           "from {a} to {b} {u}", "{a} {u} to {b} {u}", "{a}{u}-{b}{u}", "approximately {a} to {b} {u}"]


@given(_ONE_DECIMAL, _ONE_DECIMAL, st.sampled_from(_LENGTH), st.sampled_from(_LENGTH), st.data())
def test_ranges_match_end_by_end_across_units(a: float, b: float, truth_unit: Unit, answer_unit: Unit, data):
    low, high = sorted([a, b])
    if high - low < 0.2:
        return
    truth = data.draw(st.sampled_from(_RANGES)).format(a=low, b=high, u=truth_unit.symbol)
    spell = data.draw(st.sampled_from(_RANGES))
    low_answer, high_answer = (f"{_in(v, truth_unit, answer_unit):.9g}" for v in (low, high))
    assert verify_numeric(spell.format(a=low_answer, b=high_answer, u=answer_unit.symbol), truth, {}) == 1.0
    wrong_high = f"{_in(high * 1.1, truth_unit, answer_unit):.9g}"
    assert verify_numeric(spell.format(a=low_answer, b=wrong_high, u=answer_unit.symbol), truth, {}) == 0.0
    # a single value inside the range is right; outside it is not
    middle = f"{_in((low + high) / 2, truth_unit, answer_unit):.9g} {answer_unit.symbol}"
    assert verify_numeric(middle, truth, {}) == 1.0
    outside = f"{_in(high * 1.5, truth_unit, answer_unit):.9g} {answer_unit.symbol}"
    assert verify_numeric(outside, truth, {}) == 0.0
    # a range for a single value is a hedge, even one that holds the value
    assert verify_numeric(spell.format(a=low_answer, b=high_answer, u=answer_unit.symbol), middle, {}) == 0.0


_TIMES = [" x ", "x", " × ", " by ", " * ", " X "]


@given(st.lists(_ONE_DECIMAL, min_size=2, max_size=3), st.sampled_from(_LENGTH), st.sampled_from(_LENGTH),
       st.sampled_from(_TIMES), st.sampled_from(_TIMES), st.booleans())
def test_dimensions_match_element_by_element_in_order(
    values: list[float], truth_unit: Unit, answer_unit: Unit, truth_sep: str, answer_sep: str, every: bool
) -> None:
    truth = truth_sep.join(str(v) for v in values) + f" {truth_unit.symbol}"
    converted = [f"{_in(v, truth_unit, answer_unit):.9g}" for v in values]
    suffix = answer_unit.symbol
    answer = answer_sep.join(f"{v} {suffix}" if every else v for v in converted)
    answer += "" if every else f" {suffix}"
    assert verify_numeric(answer, truth, {}) == 1.0
    if values != values[::-1]:
        assert verify_numeric(answer_sep.join(converted[::-1]) + f" {suffix}", truth, {}) == 0.0
    wrong = [*converted[:-1], f"{float(converted[-1]) * 1.1:.9g}"]
    assert verify_numeric(answer_sep.join(wrong) + f" {suffix}", truth, {}) == 0.0
    assert verify_numeric(converted[0] + f" {suffix}", truth, {}) == 0.0


_BOUND_PHRASES = {
    ">": ["over {v}", "more than {v}", "greater than {v}", "above {v}", ">{v}", "> {v}", "exceeding {v}"],
    ">=": ["at least {v}", "{v} or more", "≥ {v}", ">= {v}", "no less than {v}", "a minimum of {v}"],
    "<": ["less than {v}", "under {v}", "below {v}", "<{v}", "fewer than {v}"],
    "<=": ["up to {v}", "at most {v}", "no more than {v}", "≤{v}", "{v} or less", "not exceeding {v}"],
}
_BOUND_UNITS = st.sampled_from(["", " mm", " cm", " %", " days"])


@given(st.sampled_from(sorted(_BOUND_PHRASES)), st.data(), _ONE_DECIMAL, _BOUND_UNITS)
def test_a_bound_is_no_value_but_matches_the_same_bound(op: str, data, value: float, unit: str) -> None:
    bound = data.draw(st.sampled_from(_BOUND_PHRASES[op])).format(v=f"{value}{unit}")
    assert verify_numeric(bound, f"{value}{unit}", {}) == 0.0
    same = data.draw(st.sampled_from(_BOUND_PHRASES[op])).format(v=f"{value}{unit}")
    assert verify_numeric(same, bound, {}) == 1.0
    other_op = data.draw(st.sampled_from([o for o in _BOUND_PHRASES if o != op]))
    other = data.draw(st.sampled_from(_BOUND_PHRASES[other_op])).format(v=f"{value}{unit}")
    assert verify_numeric(other, bound, {}) == 0.0
    assert verify_numeric(f"{value}{unit}", bound, {}) == 0.0


@given(st.floats(min_value=30, max_value=45, allow_nan=False), st.data())
def test_temperatures_convert_between_scales(celsius: float, data) -> None:
    fahrenheit = celsius * 9 / 5 + 32
    truth = data.draw(st.sampled_from([f"{celsius:.2f} °C", f"{celsius:.2f} C", f"{celsius:.2f}℃"]))
    spellings = ["{f} F", "{f} °F", "{f} degrees Fahrenheit", "{f}℉", "{f} fahrenheit"]
    spelled = data.draw(st.sampled_from(spellings))
    assert verify_numeric(spelled.format(f=f"{fahrenheit:.3f}"), truth, {}) == 1.0
    assert verify_numeric(f"{celsius + 273.15:.3f} K", truth, {}) == 1.0
    assert verify_numeric(spelled.format(f=f"{fahrenheit + 1:.3f}"), truth, {}) == 0.0


@given(st.integers(min_value=1, max_value=999), st.integers(min_value=1, max_value=99),
       st.sampled_from(["cm", "mm", "kg", "°C", "%", "ml"]))
def test_decimal_commas_before_a_unit(whole: int, decimals: int, unit: str) -> None:
    digits = f"{decimals:02d}" if decimals % 10 else str(decimals // 10)
    assert verify_numeric(f"{whole},{digits} {unit}", f"{whole}.{digits} {unit}", {}) == 1.0


@given(st.integers(min_value=1, max_value=999), st.integers(min_value=0, max_value=999))
def test_a_comma_before_three_digits_groups_thousands(thousands: int, rest: int) -> None:
    assert verify_numeric(f"{thousands},{rest:03d}", str(thousands * 1000 + rest), {}) == 1.0
    assert verify_numeric(f"{thousands},{rest:03d} mm", f"{thousands * 1000 + rest} mm", {}) == 1.0


@given(st.integers(min_value=1, max_value=99),
       st.sampled_from(["{p}%", "{p} %", "{p} percent", "{p} per cent"]))
def test_percentages_in_any_spelling_and_as_fractions(percent: int, spelling: str) -> None:
    answer = spelling.format(p=percent)
    assert verify_numeric(answer, f"{percent}%", {}) == 1.0
    assert verify_numeric(answer, f"{percent / 100}", {}) == 1.0  # a fraction gold accepts its percentage
    assert verify_numeric(answer, f"{percent + 1}%", {}) == 0.0


@given(st.integers(min_value=0, max_value=23), st.integers(min_value=1, max_value=59),
       st.sampled_from(["{h} hours {m} minutes", "{h} h {m} min", "{h} hour and {m} minutes", "{h}h {m}min"]))
def test_compound_durations(hours: int, minutes: int, spelling: str) -> None:
    answer = spelling.format(h=hours, m=minutes)
    assert verify_numeric(answer, f"{hours * 60 + minutes} min", {}) == 1.0
    assert verify_numeric(answer, f"{hours + minutes / 60:.6f} hours", {}) == 1.0
    assert verify_numeric(answer, f"{hours * 60 + minutes + 5} min", {}) == 0.0


@given(st.integers(min_value=1, max_value=52))
def test_weeks_and_days(weeks: int) -> None:
    assert verify_numeric(f"{weeks} weeks", f"{weeks * 7} days", {}) == 1.0
    assert verify_numeric(f"{weeks * 7} days", f"{weeks} weeks", {}) == 1.0


_HEDGES = ["{a} or {b}", "{a}, {b}", "{a} and {b}", "{a} / {b} mm", "{a} mm or {b} mm", "either {a} or {b}",
           "{a}; actually {b}"]


@given(_ONE_DECIMAL, _ONE_DECIMAL, st.sampled_from(_HEDGES))
def test_several_different_numbers_score_zero(a: float, b: float, spelling: str) -> None:
    if abs(a - b) < 0.2:
        return
    answer = spelling.format(a=a, b=b)
    assert verify_numeric(answer, f"{a} mm", {}) == 0.0
    assert verify_numeric(answer, f"{b} mm", {}) == 0.0


_APPROXIMATE = ["about {v}", "approximately {v}", "~{v}", "around {v}", "roughly {v}", "≈{v}", "approx. {v}",
                "{v}"]


@given(_ONE_DECIMAL, st.sampled_from(_APPROXIMATE), st.sampled_from(["mm", "cm", "kg", "%"]))
def test_an_approximate_value_is_the_value(value: float, spelling: str, unit: str) -> None:
    assert verify_numeric(spelling.format(v=f"{value} {unit}"), f"{value} {unit}", {}) == 1.0


@given(_ONE_DECIMAL, st.sampled_from(["", " mm", " °C"]))
def test_negative_numbers_stay_negative(value: float, unit: str) -> None:
    assert verify_numeric(f"-{value}{unit}", f"-{value}{unit}", {}) == 1.0
    assert verify_numeric(f"−{value}{unit}", f"-{value}{unit}", {}) == 1.0
    assert verify_numeric(f"{value}{unit}", f"-{value}{unit}", {}) == 0.0
    assert infer_answer_type(f"-{value}{unit}", {}) == "numeric"


_NUMERIC_TRUTHS = ["{a}-{b} mm", "{a} to {b}", "{a} x {b} cm", "{a} × {b} cm", "> {a} mm",
                   "between {a} and {b} mm", "{a}"]


@given(_ONE_DECIMAL, _ONE_DECIMAL, st.sampled_from(_NUMERIC_TRUTHS))
def test_ranges_dimensions_and_bounds_are_inferred_numeric(a: float, b: float, spelling: str) -> None:
    assert infer_answer_type(spelling.format(a=a, b=b), {}) == "numeric"


@given(st.integers(min_value=0, max_value=30), st.sampled_from(["nodules", "lesions", "cysts"]),
       st.sampled_from(["larger than {v}", "over {v}", "at least {v}", "measuring more than {v}", "> {v}"]),
       st.sampled_from(["5 mm", "1 cm", "2.5 cm"]))
def test_a_count_may_restate_the_questions_condition(count: int, noun: str, condition: str, size: str):
    answer = f"{count} {noun} " + condition.format(v=size)
    assert verify_numeric(answer, str(count), {}) == 1.0
    assert verify_numeric(answer, str(count + 1), {}) == 0.0
    assert verify_numeric(f"{count} or {count + 1} {noun} " + condition.format(v=size), str(count), {}) == 0.0
