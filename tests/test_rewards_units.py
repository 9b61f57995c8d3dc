"""Units: every alias reads back, conversions within a dimension (temperatures affinely), refusals across."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards.measurements import parse_quantity
from rewards.units import SPACED_ONLY, UNITS, convert, parse_unit

_DIMENSIONS: dict[str, list] = {}
for _unit in UNITS.values():
    if _unit not in _DIMENSIONS.setdefault(_unit.dimension, []):
        _DIMENSIONS[_unit.dimension].append(_unit)
_CONVERTIBLE = sorted(d for d, units in _DIMENSIONS.items() if len(units) > 1)


@pytest.mark.parametrize("alias", sorted(UNITS))
def test_every_alias_reads_back_as_its_unit(alias: str) -> None:
    for text in (f"5 {alias}", f"5{alias}", f"5 {alias.upper()}"):
        if text == f"5{alias}" and alias in SPACED_ONLY:
            continue
        quantity = parse_quantity(text)
        assert quantity is not None and quantity.unit == UNITS[alias], text


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        (98.6, "°f", "°c", 37.0),
        (101.3, "fahrenheit", "celsius", 38.5),
        (310.15, "kelvin", "°c", 37.0),
        (-40, "°c", "°f", -40.0),
        (1, "kpa", "mmhg", 7.500617),
        (10, "cmh2o", "mmhg", 7.3556),
        (1, "mcg", "mg", 0.001),
        (1, "dl", "ml", 100),
        (1, "µl", "mm3", 1),
        (1, "cc", "ml", 1),
        (2, "weeks", "days", 14),
        (90, "min", "h", 1.5),
        (72, "bpm", "hz", 1.2),
        (1, "g/dl", "g/l", 10),
        (100, "mg/dl", "g/l", 1),
        (1, "ft", "cm", 30.48),
        (1, "lb", "g", 453.59237),
        (1, "mgy", "gy", 0.001),
    ],
)
def test_conversions(value: float, source: str, target: str, expected: float) -> None:
    assert convert(value, UNITS[source], UNITS[target]) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("source", "target"),
    [("mg/dl", "mmol/l"), ("mg/kg", "mg"), ("mm", "mg"), ("%", "ml"), ("mmhg", "bpm"), ("meq/l", "mmol/l"),
     ("gy", "sv")],
)
def test_no_conversion_across_dimensions(source: str, target: str) -> None:
    assert convert(1.0, UNITS[source], UNITS[target]) is None


def test_a_bare_degree_takes_the_temperature_scale_of_the_other_side() -> None:
    assert convert(38.5, UNITS["°"], UNITS["°c"]) == 38.5
    assert convert(101.3, UNITS["°f"], UNITS["degrees"]) == 101.3


def test_compound_units_we_do_not_know_only_equal_their_own_spelling() -> None:
    day_dose, end = parse_unit("5 mg/day", 1)
    assert day_dose is not None and day_dose.symbol == "mg/day" and end == len("5 mg/day")
    assert parse_unit("5 mg per day", 1)[0] == day_dose
    assert convert(5, day_dose, UNITS["mg"]) is None
    assert parse_unit("5 mg/dl", 1)[0] == UNITS["mg/dl"]  # a known compound is a unit of its own


def test_spaced_only_aliases() -> None:
    assert parse_unit("310 k", 3)[0] == UNITS["kelvin"]
    assert parse_unit("10k", 2) == (None, 2)


@given(st.sampled_from(_CONVERTIBLE), st.data(), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_conversions_round_trip(dimension: str, data, value: float) -> None:
    source = data.draw(st.sampled_from(_DIMENSIONS[dimension]))
    target = data.draw(st.sampled_from(_DIMENSIONS[dimension]))
    there = convert(value, source, target)
    assert there is not None
    assert convert(there, target, source) == pytest.approx(value, rel=1e-9, abs=1e-6)
