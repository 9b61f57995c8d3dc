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
_KPA_IN_MMHG = 7.500617
_UNITS = (
    # length, base metre ("in" is left out: "3 in the lung" is not three inches)
    _unit("nm", "length", 1e-9, "nanometer", "nanometers", "nanometre", "nanometres"),
    _unit("µm", "length", 1e-6, "um", "μm", "micron", "microns", "micrometer", "micrometers",
          "micrometre", "micrometres", "微米"),
    _unit("mm", "length", 1e-3, "millimeter", "millimeters", "millimetre", "millimetres", "毫米"),
    _unit("cm", "length", 1e-2, "centimeter", "centimeters", "centimetre", "centimetres", "厘米", "公分"),
    _unit("m", "length", 1.0, "meter", "meters", "metre", "metres", "米"),
    _unit("inch", "length", 0.0254, "inches"),
    _unit("ft", "length", 0.3048, "foot", "feet"),
    # area, base square metre (body surface area, lesion areas)
    _unit("mm²", "area", 1e-6, "mm2", "mm^2", "sq mm", "square millimeters", "square millimetres",
          "平方毫米"),
    _unit("cm²", "area", 1e-4, "cm2", "cm^2", "sq cm", "square centimeters", "square centimetres",
          "平方厘米"),
    _unit("m²", "area", 1.0, "m2", "m^2", "sq m", "square meters", "square metres", "平方米"),
    # mass, base gram
    _unit("ng", "mass", 1e-9, "nanogram", "nanograms"),
    _unit("µg", "mass", 1e-6, "ug", "μg", "mcg", "microgram", "micrograms", "微克"),
    _unit("mg", "mass", 1e-3, "milligram", "milligrams", "毫克"),
    _unit("g", "mass", 1.0, "gram", "grams", "gm", "克"),
    _unit("kg", "mass", 1e3, "kilogram", "kilograms", "kgs", "千克", "公斤"),
    _unit("lb", "mass", 453.59237, "lbs", "pound", "pounds"),
    # volume, base litre
    _unit("mm³", "volume", 1e-6, "mm3", "mm^3", "µl", "ul", "μl", "microliter", "microliters",
          "microlitre", "microlitres"),
    _unit("ml", "volume", 1e-3, "millilitre", "millilitres", "milliliter", "milliliters", "cc",
          "cm3", "cm^3", "mls", "毫升"),
    _unit("dl", "volume", 0.1, "decilitre", "decilitres", "deciliter", "deciliters"),
    _unit("l", "volume", 1.0, "litre", "litres", "liter", "liters", "升"),
    # time, base second
    _unit("ms", "time", 1e-3, "millisecond", "milliseconds", "msec", "毫秒"),
    _unit("s", "time", 1.0, "sec", "secs", "second", "seconds", "秒", "秒钟"),
    _unit("min", "time", 60.0, "mins", "minute", "minutes", "分钟"),
    _unit("h", "time", 3600.0, "hr", "hrs", "hour", "hours", "小时", "个小时"),
    _unit("day", "time", _DAY, "days", "d", "天", "日"),
    _unit("week", "time", 7 * _DAY, "weeks", "wk", "wks", "周", "星期", "个星期", "週"),
    _unit("month", "time", _YEAR / 12, "months", "mo", "mos", "个月"),
    _unit("year", "time", _YEAR, "years", "yr", "yrs", "y", "years old", "year old", "yo", "y/o",
          "年", "岁", "周岁"),
    # pressure, base mmHg
    _unit("mmHg", "pressure", 1.0, "mm hg", "mm of hg", "torr", "millimeters of mercury",
          "millimetres of mercury", "毫米汞柱"),
    _unit("cmH2O", "pressure", 0.73556, "cm h2o", "cm of h2o", "cm water", "厘米水柱"),
    _unit("kPa", "pressure", _KPA_IN_MMHG, "kilopascal", "kilopascals", "千帕"),
    # frequencies, base per minute (heart and breathing rates, ultrasound)
    _unit("bpm", "frequency", 1.0, "/min", "per minute", "per min", "min^-1", "beats per minute",
          "beats per min", "beats/min", "beat/min", "breaths per minute", "breaths/min", "breath/min",
          "times per minute", "次/分", "次/分钟", "次每分钟"),
    _unit("Hz", "frequency", 60.0, "hertz", "赫兹"),
    _unit("kHz", "frequency", 60e3, "kilohertz"),
    _unit("MHz", "frequency", 60e6, "megahertz", "兆赫"),
    # speeds (Doppler), base metre per second
    _unit("mm/s", "speed", 1e-3, "mm/sec", "millimeters per second", "millimetres per second"),
    _unit("cm/s", "speed", 1e-2, "cm/sec", "centimeters per second", "centimetres per second"),
    _unit("m/s", "speed", 1.0, "m/sec", "meters per second", "metres per second"),
    # flows, base litre per minute
    _unit("ml/min", "flow", 1e-3, "ml/minute", "ml per minute"),
    _unit("l/min", "flow", 1.0, "l/minute", "litres per minute", "liters per minute"),
    # mass concentrations, base gram per litre; molar amounts never convert to them (glucose,
    # cholesterol and creatinine each need their own molar mass, so "mg/dl" vs "mmol/l" is refused)
    _unit("g/l", "mass concentration", 1.0, "g/litre", "g/liter"),
    _unit("g/dl", "mass concentration", 10.0, "g/decilitre", "g/deciliter", "gm/dl"),
    _unit("mg/dl", "mass concentration", 1e-2, "mg/decilitre", "mg/deciliter", "mg%"),
    _unit("mg/l", "mass concentration", 1e-3, "mg/litre", "mg/liter"),
    _unit("µg/ml", "mass concentration", 1e-3, "ug/ml", "μg/ml", "mcg/ml"),
    _unit("µg/l", "mass concentration", 1e-6, "ug/l", "μg/l", "mcg/l"),
    _unit("ng/ml", "mass concentration", 1e-6, "ng/millilitre", "ng/milliliter"),
    _unit("mol/l", "molar concentration", 1.0, "moles per litre", "moles per liter"),
    _unit("mmol/l", "molar concentration", 1e-3, "mmol/litre", "mmol/liter", "millimoles per litre",
          "millimoles per liter", "毫摩尔/升"),
    _unit("µmol/l", "molar concentration", 1e-6, "umol/l", "μmol/l", "micromoles per litre",
          "micromoles per liter", "微摩尔/升"),
    _unit("meq/l", "equivalent concentration", 1.0, "mequiv/l"),
    _unit("IU/l", "enzyme activity", 1.0, "iu/l", "u/l", "units/l"),
    # doses per body mass and body-mass index
    _unit("mg/kg", "dose per mass", 1e-3, "mg per kg"),
    _unit("µg/kg", "dose per mass", 1e-6, "ug/kg", "μg/kg", "mcg/kg"),
    _unit("g/kg", "dose per mass", 1.0, "g per kg"),
    _unit("kg/m²", "body mass index", 1.0, "kg/m2", "kg/m^2"),
    # imaging and radiation
    _unit("T", "magnetic field", 1.0, "t", "tesla", "特斯拉"),
    _unit("HU", "attenuation", 1.0, "hounsfield", "hounsfield units", "hounsfield unit"),
    _unit("Gy", "absorbed dose", 1.0, "gray"),
    _unit("cGy", "absorbed dose", 1e-2, "centigray"),
    _unit("mGy", "absorbed dose", 1e-3, "milligray"),
    _unit("Sv", "equivalent dose", 1.0, "sievert", "sieverts"),
    _unit("mSv", "equivalent dose", 1e-3, "millisievert", "millisieverts"),
    # fractions and angles
    _unit("%", "percent", 1.0, "percent", "per cent", "pct", "percentage"),
    _unit("°", "angle", 1.0, "degree", "degrees", "deg", "度"),
    # temperatures, base kelvin; a bare "C"/"F" after a number is a temperature scale
    _unit("°C", "temperature", 1.0, "degc", "c", "celsius", "centigrade", "degrees celsius",
          "degree celsius", "degrees centigrade", "degrees c", "degree c", "deg c", "° c", "摄氏度",
          offset=273.15),
    _unit("°F", "temperature", 5 / 9, "degf", "f", "fahrenheit", "degrees fahrenheit",
          "degree fahrenheit", "degrees f", "degree f", "deg f", "° f", "华氏度",
          offset=273.15 - 32 * 5 / 9),
    _unit("K", "temperature", 1.0, "°k", "kelvin", "kelvins", "degrees kelvin"),
)
UNITS: dict[str, Unit] = {alias.lower(): unit for unit, aliases in _UNITS for alias in aliases}
# Aliases read only after a blank: "310 k" is kelvin, "10k" is not.
SPACED_ONLY = frozenset({"k"})
UNITS["k"] = UNITS["kelvin"]


def _alternatives(aliases: list[str]) -> str:
    return "|".join(re.escape(a) for a in sorted(aliases, key=len, reverse=True))


def _is_chinese(alias: str) -> bool:
    return any("\u3400" <= c <= "\u9fff" for c in alias)


# Longest alias first so "mm hg" wins over "mm" and "°c" over "°"; a unit in Latin letters ends where
# letters and digits end ("3 mass" has no "m"), a Chinese one may run on ("1小时30分钟").
_UNIT_AT = re.compile(
    r"([ \t]{0,3})(?:(" + _alternatives([a for a in UNITS if not _is_chinese(a)]) + r")(?![a-zµμ0-9])"
    r"|(" + _alternatives([a for a in UNITS if _is_chinese(a)]) + "))"
)
# A unit followed by "/kg" or "per day" is a compound unit we do not know: "5 mg/day" is not "5 mg".
_PER_TAIL = re.compile(r"(?:[ \t]{0,2}/[ \t]{0,2}|[ \t]{1,2}per[ \t]{1,2})([a-zµμ²³0-9.]{1,12})")
MAX_PER_PARTS = 2


def parse_unit(text: str, pos: int = 0) -> tuple[Unit | None, int]:
    """The unit that starts at ``text[pos:]`` (after up to 3 blanks) and the position after it.

    ``text`` must already be lower-cased. Without a unit there, returns ``(None, pos)``. A known unit
    followed by ``/x`` or ``per x`` that is no alias of its own ("mg/day") is a unit of its own
    dimension, named by its spelling, so it only equals the same spelling.
    """
    match = _UNIT_AT.match(text, pos)
    if match is None or (match.group(2) in SPACED_ONLY and not match.group(1)):
        return None, pos
    unit, end = UNITS[match.group(2) or match.group(3)], match.end()
    parts = []
    for _ in range(MAX_PER_PARTS):
        tail = _PER_TAIL.match(text, end)
        if tail is None or not any(c.isalpha() for c in tail.group(1)):
            break
        parts.append(tail.group(1))
        end = tail.end()
    if parts:
        symbol = "/".join([unit.symbol, *parts])
        return Unit(symbol, f"per {symbol}", 1.0), end
    return unit, end


def convert(value: float, source: Unit, target: Unit) -> float | None:
    """``value`` in ``source`` expressed in ``target``; ``None`` across dimensions.

    A bare degree ("38.5°", "38.5 degrees") takes the temperature scale of the other side.
    """
    if source.dimension != target.dimension:
        if source.dimension == "angle" and target.dimension == "temperature":
            return value
        if source.dimension == "temperature" and target.dimension == "angle":
            return value
        return None
    base = value * source.factor + source.offset
    return (base - target.offset) / target.factor
