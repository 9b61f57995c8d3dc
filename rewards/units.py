"""Units of measure for numeric answers: a table of aliases, a bounded parser and conversions.

A unit belongs to one dimension (length, mass, ...); values convert within a dimension through the
dimension's base unit (``base = value * factor + offset``; the offset only serves temperatures).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """A unit: its canonical symbol, dimension and affine map to the dimension's base unit."""

    symbol: str
    dimension: str
    factor: float
    offset: float = 0.0


def _unit(symbol: str, dimension: str, factor: float, *aliases: str, offset: float = 0.0):
    unit = Unit(symbol, dimension, factor, offset)
    return unit, (symbol, *aliases)


_DAY = 86_400.0
_YEAR = 365.25 * _DAY
_UNITS = (
    # length, base metre ("in" is left out: "3 in the lung" is not three inches)
    _unit("µm", "length", 1e-6, "um", "μm", "micron", "microns", "micrometer", "micrometers",
          "micrometre", "micrometres"),
    _unit("mm", "length", 1e-3, "millimeter", "millimeters", "millimetre", "millimetres"),
    _unit("cm", "length", 1e-2, "centimeter", "centimeters", "centimetre", "centimetres"),
    _unit("m", "length", 1.0, "meter", "meters", "metre", "metres"),
    _unit("inch", "length", 0.0254, "inches"),
    # area, base square metre (body surface area, lesion areas)
    _unit("mm²", "area", 1e-6, "mm2", "mm^2", "sq mm"),
    _unit("cm²", "area", 1e-4, "cm2", "cm^2", "sq cm"),
    _unit("m²", "area", 1.0, "m2", "m^2", "sq m"),
    # mass, base gram
    _unit("µg", "mass", 1e-6, "ug", "μg", "mcg", "microgram", "micrograms"),
    _unit("mg", "mass", 1e-3, "milligram", "milligrams"),
    _unit("g", "mass", 1.0, "gram", "grams", "gm"),
    _unit("kg", "mass", 1e3, "kilogram", "kilograms", "kgs"),
    # volume, base litre
    _unit("mm³", "volume", 1e-6, "mm3", "mm^3"),
    _unit("ml", "volume", 1e-3, "millilitre", "millilitres", "milliliter", "milliliters", "cc",
          "cm3", "cm^3", "mls"),
    _unit("l", "volume", 1.0, "litre", "litres", "liter", "liters"),
    # time, base second
    _unit("ms", "time", 1e-3, "millisecond", "milliseconds", "msec"),
    _unit("s", "time", 1.0, "sec", "secs", "second", "seconds"),
    _unit("min", "time", 60.0, "mins", "minute", "minutes"),
    _unit("h", "time", 3600.0, "hr", "hrs", "hour", "hours"),
    _unit("day", "time", _DAY, "days", "d"),
    _unit("week", "time", 7 * _DAY, "weeks", "wk", "wks"),
    _unit("month", "time", _YEAR / 12, "months", "mo"),
    _unit("year", "time", _YEAR, "years", "yr", "yrs", "y", "years old", "year old"),
    # pressure, base mmHg
    _unit("mmHg", "pressure", 1.0, "mm hg", "millimeters of mercury"),
    _unit("cmH2O", "pressure", 0.73556, "cm h2o"),
    # rates per minute (heart and breathing rate)
    _unit("bpm", "rate", 1.0, "/min", "per minute", "beats per minute", "beats/min", "breaths per minute",
          "breaths/min"),
    # fractions and angles
    _unit("%", "percent", 1.0, "percent", "per cent"),
    _unit("°", "angle", 1.0, "º", "degree", "degrees", "deg"),
    # temperatures, base kelvin
    _unit("°C", "temperature", 1.0, "ºc", "degc", "celsius", "degrees celsius", "degree celsius",
          "degrees c", "° c", offset=273.15),
    _unit("°F", "temperature", 5 / 9, "ºf", "degf", "fahrenheit", "degrees fahrenheit",
          "degree fahrenheit", "degrees f", "° f", offset=273.15 - 32 * 5 / 9),
)
UNITS: dict[str, Unit] = {alias.lower(): unit for unit, aliases in _UNITS for alias in aliases}

# Longest alias first so "mm hg" wins over "mm" and "°c" over "°"; a unit ends where letters end.
_UNIT_AT = re.compile(
    r"[ \t]{0,3}(" + "|".join(re.escape(a) for a in sorted(UNITS, key=len, reverse=True)) + r")(?![a-zµμ0-9])"
)


def parse_unit(text: str, pos: int = 0) -> tuple[Unit | None, int]:
    """The unit that starts at ``text[pos:]`` (after up to 3 blanks) and the position after it.

    ``text`` must already be lower-cased. Without a unit there, returns ``(None, pos)``.
    """
    match = _UNIT_AT.match(text, pos)
    if match is None:
        return None, pos
    return UNITS[match.group(1)], match.end()


def convert(value: float, source: Unit, target: Unit) -> float | None:
    """``value`` in ``source`` expressed in ``target``; ``None`` across dimensions."""
    if source.dimension != target.dimension:
        return None
    base = value * source.factor + source.offset
    return (base - target.offset) / target.factor
