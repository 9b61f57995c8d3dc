"""Numeric verifier: number formats, units, tolerance, ranges, hedging and hostile input."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards import registry
from rewards.numeric import find_quantities, parse_number, parse_quantity, verify_numeric
from rewards.units import UNITS, convert, parse_unit


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3.0),
        ("-3", -3.0),
        ("−3", -3.0),
        ("x = -2.5", -2.5),
        ("0.45", 0.45),
        (".5", 0.5),
        ("1,234", 1234.0),
        ("1,234,567.5", 1234567.5),
        ("12\u202f345", 12345.0),
        ("12\u00a0345", 12345.0),
        ("3/4", 0.75),
        ("3 / 4", 0.75),
        ("1 1/2", 1.5),
        ("½", 0.5),
        (r"\frac{3}{4}", 0.75),
        (r"$\dfrac{1}{2}$", 0.5),
        (r"\tfrac{5}{2}", 2.5),
        (r"\left( 3 \right)", 3.0),
        (r"\boxed{42}", 42.0),
        ("45%", 45.0),
        (r"45\%", 45.0),
        ("1.2e3", 1200.0),
        ("1.2E-3", 0.0012),
        ("1.2 × 10^3", 1200.0),
        ("1.2x10^{-3}", 0.0012),
        (r"1.2 \times 10^{3}", 1200.0),
        ("1.2×10⁻³", 0.0012),
        ("10^3", 1000.0),
        ("three", 3.0),
        ("Twenty-one", 21.0),
        ("one hundred and five", 105.0),
        ("two thousand three hundred", 2300.0),
        ("a dozen", 12.0),
        ("zero", 0.0),
        ("3 lesions", 3.0),
        ("approximately 4 cm", 4.0),
        ("3 (three)", 3.0),
        ("12 mm (1.2 cm)", 12.0),
        ("The answer is 7.", 7.0),
        ("T2 hyperintense lesion of 3 cm", 3.0),
    ],
)
def test_parse_number_reads_each_format(text: str, value: float) -> None:
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no number here",
        "3 or 4",
        "between 3 and 5",
        "3, 4, 5",
        "1, 2",
        "1,5",  # a list, not a decimal comma
        "12 345",  # plain space separates numbers; only SI thin/no-break spaces group digits
        "3-4",
        "one two three",
        "<5",
        "≥ 3",
        r"\geq 3",
        "less than 5",
        "at least 3",
        "up to 4",
        "not 3",
        "5 ± 2",
        "2^10",
        "1.2.3",
        "3/4/2020",
        "1/0",
        "1_000",
        "inf",
        "nan",
        "1e400",
        "1e99999",
    ],
)
def test_parse_number_refuses_anything_but_one_number(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("text", "value", "symbol"),
    [
        ("12 mm", 12.0, "mm"),
        ("12mm", 12.0, "mm"),
        ("1.2 cm", 1.2, "cm"),
        ("5 µm", 5.0, "µm"),
        ("5 um", 5.0, "µm"),
        ("3 inches", 3.0, "inch"),
        ("250 mcg", 250.0, "µg"),
        ("5 mL", 5.0, "ml"),
        ("5 cc", 5.0, "ml"),
        ("5 cm³", 5.0, "ml"),
        ("2 L", 2.0, "l"),
        ("1.8 m²", 1.8, "m²"),
        ("4 cm2", 4.0, "cm²"),
        ("40 mm^3", 40.0, "mm³"),
        ("90 min", 90.0, "min"),
        ("3 hours", 3.0, "h"),
        ("45 years old", 45.0, "year"),
        ("120 mm Hg", 120.0, "mmHg"),
        ("72 bpm", 72.0, "bpm"),
        ("30 percent", 30.0, "%"),
        ("30 °", 30.0, "°"),
        ("37 °C", 37.0, "°C"),
        ("37℃", 37.0, "°C"),
        (r"3\,\text{cm}", 3.0, "cm"),
        ("three millimetres", 3.0, "mm"),
        ("3 mass lesions", 3.0, None),  # "m" is metres only when no letter follows
        ("3 in the left lobe", 3.0, None),  # "in" is never read as inches
    ],
)
def test_parse_quantity_reads_the_unit(text: str, value: float, symbol: str | None) -> None:
    quantity = parse_quantity(text)
    assert quantity is not None
    assert quantity.value == pytest.approx(value)
    assert (quantity.unit.symbol if quantity.unit else None) == symbol


def test_units_convert_within_a_dimension_only() -> None:
    assert convert(12, UNITS["mm"], UNITS["cm"]) == pytest.approx(1.2)
    assert convert(98.6, UNITS["°f"], UNITS["°c"]) == pytest.approx(37.0)
    assert convert(2, UNITS["h"], UNITS["min"]) == pytest.approx(120)
    assert convert(12, UNITS["mm"], UNITS["mg"]) is None
    assert parse_unit("xyz", 0) == (None, 0)


@pytest.mark.parametrize(
    ("answer", "truth", "expected"),
    [
        ("3", "3", 1.0),
        ("3.0", "3", 1.0),
        ("three", "3", 1.0),
        ("3 lesions", "3", 1.0),
        ("3 (three)", "3", 1.0),
        ("4", "3", 0.0),
        ("-3", "3", 0.0),
        ("1000", "1,000", 1.0),
        ("1.2 × 10^3", "1200", 1.0),
        ("0.75", "3/4", 1.0),
        (r"\frac{1}{2}", "0.5", 1.0),
        ("3.1416", "3.14159", 1.0),  # within the default rtol 1e-3
        ("3.1", "3.14159", 0.0),
        ("0", "0", 1.0),
        ("0.0001", "0", 0.0),  # absolute tolerance for a zero truth is 1e-9
        # units: converted within a dimension, refused across dimensions
        ("12 mm", "1.2 cm", 1.0),
        ("1.2 cm", "12 mm", 1.0),
        ("12 mm (1.2 cm)", "12 mm", 1.0),
        ("12 mm or 12 cm", "12 mm", 0.0),
        ("2 hours", "120 minutes", 1.0),
        ("1 L", "1000 mL", 1.0),
        ("400 mm²", "4 cm^2", 1.0),
        ("4 cm²", "4 cm", 0.0),
        ("98.6 °F", "37 °C", 1.0),
        ("37.2 °C", "37 °C", 0.0),  # tolerance is taken in the truth's unit, not in kelvin
        ("12 mg", "12 mm", 0.0),
        ("12", "12 mm", 1.0),  # a bare number is read in the truth's unit
        ("12 mm", "12", 1.0),
        ("1.2 cm", "12", 0.0),
        # percentages: a bare number matches the percentage or the fraction
        ("45%", "45%", 1.0),
        ("45", "45%", 1.0),
        ("0.45", "45%", 1.0),
        ("45%", "0.45", 1.0),
        ("45 percent", "45", 1.0),
        ("0.4", "45%", 0.0),
        # hedging with several numbers scores nothing
        ("3 or 4", "3", 0.0),
        ("3, 4, 5", "4", 0.0),
        ("between 3 and 5", "4", 0.0),
        ("3-5", "4", 0.0),
        ("<5", "5", 0.0),
        ("at least 3", "3", 0.0),
        ("not 3", "3", 0.0),
        ("", "3", 0.0),
        ("no idea", "3", 0.0),
        # ranges in the truth accept any answer inside them
        ("4", "3-5", 1.0),
        ("4 mm", "3 to 5 mm", 1.0),
        ("0.4 cm", "3 - 5 mm", 1.0),
        ("4", "between 3 and 5", 1.0),
        ("3-5", "3-5", 1.0),
        ("6", "3-5", 0.0),
        ("0-100", "3-5", 0.0),
        # a truth without a number falls back to exact normalised text
        ("Unknown", "unknown", 1.0),
        ("3", "unknown", 0.0),
        ("120/80 mmHg", "120/80 mmHg", 1.0),
    ],
)
def test_verify_numeric(answer: str, truth: str, expected: float) -> None:
    assert verify_numeric(answer, truth, {}) == expected


def test_tolerances_come_from_extra_info() -> None:
    assert verify_numeric("3.3", "3", {}) == 0.0
    assert verify_numeric("3.3", "3", {"numeric_rtol": 0.2}) == 1.0
    assert verify_numeric("0.0001", "0", {"numeric_atol": 1e-3}) == 1.0
    assert verify_numeric("3", "3", {"numeric_rtol": None}) == 1.0
    assert verify_numeric("3", "3", None) == 1.0


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "0.1", True])
def test_a_bad_tolerance_is_an_error_that_names_the_key(bad: object) -> None:
    with pytest.raises(ValueError, match="numeric_rtol"):
        verify_numeric("3", "3", {"numeric_rtol": bad})


def test_registered_as_numeric() -> None:
    assert registry._REGISTRY["numeric"] is verify_numeric


HOSTILE = [
    "9^9^9^9",
    "9**9**9**9",
    "10**10**10",
    "10^10^10",
    "1e99999",
    "1" * 50_000,
    "9" * 50_000 + "." + "9" * 50_000,
    "1," * 20_000,
    "1 " * 20_000,
    "-" * 30_000 + "1",
    "1/" * 20_000,
    "__import__('os').system('ls')",
    "exec('import os')",
    r"\frac{" * 5_000 + "1" + "}" * 5_000,
    "one " * 10_000,
    "one hundred and " * 3_000,
    "1.2 × 10^" + "9" * 10_000,
    "x" * 100_000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_answers_score_zero_fast(text: str) -> None:
    start = time.perf_counter()
    score = verify_numeric(text, "9", {})
    parse_number(text)
    assert time.perf_counter() - start < 1.0
    assert score == 0.0


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_ground_truth_never_raises(text: str) -> None:
    start = time.perf_counter()
    assert verify_numeric("9", text, {}) in (0.0, 1.0)
    assert time.perf_counter() - start < 1.0


@given(st.text(max_size=300), st.text(max_size=60))
def test_verify_numeric_is_total_and_bounded(answer: str, truth: str) -> None:
    start = time.perf_counter()
    score = verify_numeric(answer, truth, {})
    assert 0.0 <= score <= 1.0
    assert time.perf_counter() - start < 1.0


_NUMERIC_ALPHABET = st.sampled_from(list("0123456789.,-+/^eE x×*%() ") + ["cm", "mm", "10^", "three", "and"])


@given(st.lists(_NUMERIC_ALPHABET, max_size=40).map("".join))
def test_number_like_noise_never_raises(text: str) -> None:
    quantities = find_quantities(text)
    assert quantities is None or all(abs(q.value) < float("inf") for q in quantities)
    assert verify_numeric(text, "3", {}) in (0.0, 1.0)


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_every_integer_matches_itself_in_any_spelling(n: int) -> None:
    assert verify_numeric(str(n), str(n), {}) == 1.0
    assert verify_numeric(f"{n:,}", str(n), {}) == 1.0
    assert verify_numeric(f"{n:.3e}", f"{n:.3e}", {}) == 1.0


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).filter(lambda x: abs(x) > 1e-6))
def test_a_wrong_value_by_one_percent_scores_zero(x: float) -> None:
    assert verify_numeric(repr(x * 1.01), repr(x), {}) == 0.0
