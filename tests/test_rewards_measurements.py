"""Reading what a text states: points, ranges, dimensions, slash pairs, bounds, compound durations, hedges."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards.bounds import PREFIXES, SUFFIXES
from rewards.measurements import plain_measurement, read_measurement

_VALUES = st.decimals(min_value="0.1", max_value="999", places=1).map(lambda d: format(d.normalize(), "f"))
_LENGTHS = st.sampled_from(["mm", "cm", "m", "µm", "millimetres", "centimeters", "毫米", "厘米"])


def _read(text: str) -> tuple[str, list[float], list[str | None], str]:
    m = read_measurement(text)
    assert m is not None, text
    return m.kind, [q.value for q in m.parts], [q.unit.symbol if q.unit else None for q in m.parts], m.op


@pytest.mark.parametrize(
    ("text", "kind", "values", "units", "op"),
    [
        ("5-10 mm", "range", [5, 10], ["mm", "mm"], ""),
        ("0.5 to 1 cm", "range", [0.5, 1], ["cm", "cm"], ""),
        ("5 mm to 1 cm", "range", [5, 10], ["mm", "mm"], ""),
        ("between 5 and 10 mm", "range", [5, 10], ["mm", "mm"], ""),
        ("approximately between 5 and 10 mm", "range", [5, 10], ["mm", "mm"], ""),
        ("from 5 to 10", "range", [5, 10], [None, None], ""),
        ("10-5 mm", "range", [5, 10], ["mm", "mm"], ""),
        ("5~10mm", "range", [5, 10], ["mm", "mm"], ""),
        ("5至10毫米", "range", [5, 10], ["mm", "mm"], ""),
        ("-5 to -3", "range", [-5, -3], [None, None], ""),
        ("3 -5", "range", [3, 5], [None, None], ""),
        ("5-5 mm", "point", [5], ["mm"], ""),
        ("-5", "point", [-5], [None], ""),
        ("minus 5 °C", "point", [-5], ["°C"], ""),
        ("3.5 x 2.1 cm", "dims", [3.5, 2.1], ["cm", "cm"], ""),
        ("3.5cm x 2.1cm", "dims", [3.5, 2.1], ["cm", "cm"], ""),
        ("3.5x2.1cm", "dims", [3.5, 2.1], ["cm", "cm"], ""),
        ("3.5 by 2.1 cm", "dims", [3.5, 2.1], ["cm", "cm"], ""),
        ("3 * 2 * 1 cm", "dims", [3, 2, 1], ["cm", "cm", "cm"], ""),
        ("3,5 x 2,1 cm", "dims", [3.5, 2.1], ["cm", "cm"], ""),
        ("1.2 × 10^3", "point", [1200], [None], ""),  # scientific notation, not dimensions
        ("120/80 mmHg", "pair", [120, 80], ["mmHg", "mmHg"], ""),
        ("over 5 mm", "bound", [5], ["mm"], ">"),
        ("more than approximately 5 mm", "bound", [5], ["mm"], ">"),
        ("at least 2", "bound", [2], [None], ">="),
        ("three or more", "bound", [3], [None], ">="),
        ("5+", "bound", [5], [None], ">="),
        ("up to 10", "bound", [10], [None], "<="),
        ("no more than 3", "bound", [3], [None], "<="),
        ("not less than 3", "bound", [3], [None], ">="),
        ("less than 1 cm", "bound", [1], ["cm"], "<"),
        ("≥ 2", "bound", [2], [None], ">="),
        (r"\geq 2", "bound", [2], [None], ">="),
        ("<=4", "bound", [4], [None], "<="),
        ("大于5毫米", "bound", [5], ["mm"], ">"),
        ("5个以上", "bound", [5], [None], ">="),
        ("about 5 mm", "point", [5], ["mm"], ""),
        ("~5 mm", "point", [5], ["mm"], ""),
        ("1 hour 30 minutes", "point", [1.5], ["h"], ""),
        ("1 h and 30 min", "point", [1.5], ["h"], ""),
        ("2 weeks 3 days", "point", [2 + 3 / 7], ["week"], ""),
        ("1 m 70 cm", "point", [1.7], ["m"], ""),
        ("1小时30分钟", "point", [1.5], ["h"], ""),
        ("one and a half hours", "point", [1.5], ["h"], ""),
        ("half an hour", "point", [0.5], ["h"], ""),
        ("3,5 cm", "point", [3.5], ["cm"], ""),
        ("0,45", "point", [0.45], [None], ""),
        ("1,234 cm", "point", [1234], ["cm"], ""),  # three digits after a comma group thousands
        ("37,5 °C", "point", [37.5], ["°C"], ""),
        ("12 mm (1.2 cm)", "point", [12], ["mm"], ""),
        ("百分之四十五", "point", [45], ["%"], ""),
        ("有3个结节", "point", [3], [None], ""),
    ],
)
def test_reads_what_the_text_states(text, kind, values, units, op) -> None:
    got_kind, got_values, got_units, got_op = _read(text)
    assert (got_kind, got_units, got_op) == (kind, units, op)
    assert got_values == pytest.approx(values)


@pytest.mark.parametrize(
    "text",
    ["3 or 4", "3, 4", "3 and 4", "1,5", "5 ± 2", "not 3", "3, not 4", "isn't 3", "a < b then 3",
     "5-10 mm or more", "more than 5-10 mm", "5 mm or 5 cm", "30 minutes 1 hour", "1 hour 90 minutes",
     "5 mm - 10 mg", "2nd", "the third", "十二指肠", ""],
)
def test_states_nothing(text: str) -> None:
    assert read_measurement(text) is None


@pytest.mark.parametrize(
    ("text", "plain"),
    [("5-10 mm", True), ("3.5 x 2.1 cm", True), ("2 to 3", True), ("5 × 3 cm", True), ("> 5 mm", True),
     ("more than 5", True), ("between 5 and 10 mm", True), ("two lesions", True), ("两个", True),
     ("-5", True), ("120/80 mmHg", True), ("grade 2", False), ("about 5 mm", False), ("no fracture", False),
     ("both", False), ("5th rib", False), ("C5-C6", False), ("2 lesions in the right lobe", False)],
)
def test_plain_measurements(text: str, plain: bool) -> None:
    assert (plain_measurement(text, 2) is not None) == plain


_RANGE_SPELLINGS = ["{a}-{b} {u}", "{a} - {b} {u}", "{a}–{b} {u}", "{a} to {b}{u}", "between {a} and {b} {u}",
                    "from {a} to {b} {u}", "{a}{u} - {b}{u}", "{a} {u} to {b} {u}", "{a}~{b}{u}",
                    "approximately {a}-{b} {u}", "{a} — {b} {u}", "{a}至{b}{u}"]


@given(_VALUES, _VALUES, _LENGTHS, st.sampled_from(_RANGE_SPELLINGS))
def test_any_range_spelling_reads_as_its_range(a: str, b: str, unit: str, spelling: str) -> None:
    kind, values, _, _ = _read(spelling.format(a=a, b=b, u=unit))
    if float(a) == float(b):
        assert (kind, values) == ("point", [float(a)])
    else:
        assert kind == "range"
        assert values == pytest.approx(sorted([float(a), float(b)]))


@given(st.lists(_VALUES, min_size=2, max_size=3), _LENGTHS,
       st.sampled_from(["x", " x ", " × ", "×", " by ", "*", " X "]), st.booleans())
def test_any_dimension_spelling_reads_in_order(values: list[str], unit: str, sep: str, every: bool) -> None:
    if every and sep in ("x", "*") and len(unit) > 2:
        sep = f" {sep} "  # "3 millimetresx2" is no way to write it
    text = sep.join(f"{v} {unit}" if every else v for v in values) + ("" if every else f" {unit}")
    kind, got, units, _ = _read(text)
    assert kind == "dims"
    assert got == pytest.approx([float(v) for v in values])
    assert len(set(units)) == 1 and units[0] is not None


_BOUNDS = {
    ">": ["over {v}", "more than {v}", "greater than {v}", "above {v}", ">{v}", "> {v}", "exceeding {v}",
          "larger than {v}", "大于{v}", "超过{v}"],
    ">=": ["at least {v}", "{v} or more", "{v} or greater", "≥ {v}", ">= {v}", "no less than {v}", "{v}+",
           "a minimum of {v}", "{v} and above", "至少{v}", "{v}以上"],
    "<": ["less than {v}", "under {v}", "below {v}", "<{v}", "fewer than {v}", "smaller than {v}", "小于{v}"],
    "<=": ["up to {v}", "at most {v}", "no more than {v}", "≤{v}", "<= {v}", "{v} or less", "{v} or fewer",
           "not exceeding {v}", "a maximum of {v}", "within {v}", "不超过{v}", "{v}以下"],
}


@given(st.sampled_from(sorted(_BOUNDS)), st.data(), _VALUES, st.sampled_from(["", " mm", " cm", " lesions"]))
def test_any_bound_phrasing_reads_as_its_bound(op: str, data, value: str, unit: str) -> None:
    phrase = data.draw(st.sampled_from(_BOUNDS[op]))
    if unit == " lesions" and not phrase.isascii():
        unit = "个"  # a Chinese bound counts with a classifier
    text = phrase.format(v=value + unit) if "{v}+" not in phrase else phrase.format(v=value)
    kind, values, _, got_op = _read(text)
    assert (kind, got_op) == ("bound", op)
    assert values == pytest.approx([float(value)])


@given(st.integers(0, 23), st.integers(1, 59),
       st.sampled_from([("hour", "minutes"), ("h", "min"), ("hours", "mins")]),
       st.sampled_from([" ", " and ", ", "]))
def test_compound_durations_add_up(hours: int, minutes: int, names: tuple[str, str], joiner: str) -> None:
    m = read_measurement(f"{hours} {names[0]}{joiner}{minutes} {names[1]}")
    assert m is not None and m.kind == "point"
    assert m.parts[0].value == pytest.approx(hours + minutes / 60)


@pytest.mark.parametrize(("op", "phrase"), [(op, p) for op, phrases in PREFIXES.items() for p in phrases])
def test_every_bound_prefix_in_the_table_makes_a_bound(op: str, phrase: str) -> None:
    for text in (f"{phrase} 5", f"{phrase} 5 mm", f"{phrase} about 5 mm"):
        kind, values, _, got_op = _read(text)
        assert (kind, values, got_op) == ("bound", [5], op), text


@pytest.mark.parametrize(("op", "phrase"), [(op, p) for op, phrases in SUFFIXES.items() for p in phrases])
def test_every_bound_suffix_in_the_table_makes_a_bound(op: str, phrase: str) -> None:
    for text in (f"5 {phrase}", f"5 mm {phrase}"):
        kind, values, _, got_op = _read(text)
        assert (kind, values, got_op) == ("bound", [5], op), text


@pytest.mark.parametrize(
    ("text", "value"),
    [("The lesion in segment 4 measures 12 mm", 12), ("image 2 shows 3 nodules", 3),
     ("on day 3 it was 5 mm", 5), ("BI-RADS 4 mass of 2 cm", 2), ("Grade 2", 2), ("segment 4", 4)],
)
def test_a_number_after_a_label_names_a_thing_when_others_are_about(text: str, value: float) -> None:
    m = read_measurement(text)
    assert m is not None and m.kind == "point" and m.parts[0].value == value


def test_labels_never_hide_a_hedge() -> None:
    assert read_measurement("segment 4 and segment 7") is None
