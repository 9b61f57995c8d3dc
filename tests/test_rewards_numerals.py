"""Numbers in words: English number words, Chinese numerals, ordinals (never counts) and count phrases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewards.numerals import (
    ORDINAL_WORDS,
    chinese_numbers,
    count_phrases,
    english_numbers,
)
from rewards.numeric import verify_numeric

_ONES = "zero one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()


def spell_english(n: int) -> str:
    """0..999999 in words, written independently of the reader under test."""
    if n < 10:
        return _ONES[n]
    if n < 20:
        return _TEENS[n - 10]
    if n < 100:
        return _TENS[n // 10 - 2] + ("" if n % 10 == 0 else "-" + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " and " + spell_english(rest))
    rest = n % 1000
    return spell_english(n // 1000) + " thousand" + ("" if rest == 0 else " " + spell_english(rest))


_ZH_DIGITS = "零一二三四五六七八九"


def spell_chinese(n: int) -> str:
    """1..9999 as a Chinese numeral ("十二", "二十三", "一百零五"), written independently of the reader."""
    out, zero_pending = "", False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // unit_value % 10
        if digit == 0:
            zero_pending = bool(out)
            continue
        if zero_pending:
            out += "零"
            zero_pending = False
        out += ("" if (unit == "十" and digit == 1 and not out) else _ZH_DIGITS[digit]) + unit
    return out


def _values(spans) -> list[float]:
    return [float(span[2]) for span in spans]


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("three", [3]),
        ("twenty-one", [21]),
        ("one hundred and five", [105]),
        ("two thousand three hundred", [2300]),
        ("a dozen", [12]),
        ("half an hour", [0.5]),
        ("one two", [1, 2]),
        ("the twenty-first rib", []),  # an ordinal, not twenty
        ("the third and fourth", []),
        ("the larger one", []),  # the pronoun "one"
        ("each one", []),
        ("only one", [1]),
        ("one second", [1]),  # "second" after a number is a unit, not an ordinal
    ],
)
def test_english_numbers(text: str, values: list[float]) -> None:
    assert _values(english_numbers(text)) == values


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("十二", [12]),
        ("二十三", [23]),
        ("一百零五", [105]),
        ("两个", [2]),
        ("三个结节", [3]),
        ("零", [0]),
        ("五毫米", [5]),
        ("一万二千", [12000]),
        ("第三", []),  # ordinal
        ("十二指肠", []),  # the duodenum, a word
        ("一般", []),  # "usually"
        ("二尖瓣", []),  # the mitral valve
        ("一二", []),  # a digit string, not a numeral
    ],
)
def test_chinese_numbers(text: str, values: list[float]) -> None:
    assert _values(chinese_numbers(text)) == values


@given(st.integers(min_value=0, max_value=999_999))
def test_every_english_number_reads_back(n: int) -> None:
    assert _values(english_numbers(spell_english(n))) == [n]


@given(st.integers(min_value=1, max_value=9_999), st.sampled_from(["", "个", "处", "毫米"]))
def test_every_chinese_numeral_reads_back(n: int, suffix: str) -> None:
    assert _values(chinese_numbers(spell_chinese(n) + suffix)) == [n]


@given(st.sampled_from(sorted(ORDINAL_WORDS)), st.sampled_from(["", "the ", "twenty-"]))
def test_ordinals_are_not_counts(ordinal: str, prefix: str) -> None:
    assert english_numbers(prefix + ordinal) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("no lesions", 0),
        ("none seen", 0),
        ("there are no nodules", 0),
        ("not a single nodule", 0),
        ("there isn't any nodule", 0),
        ("nothing", 0),
        ("未见结节", 0),
        ("没有", 0),
        ("a single nodule", 1),
        ("solitary mass", 1),
        ("an isolated cyst", 1),
        ("单发结节", 1),
        ("a pair of kidneys", 2),
        ("twice", 2),
        ("once daily", 1),
        ("both kidneys", 2),
    ],
)
def test_count_phrases(text: str, value: int) -> None:
    assert _values(count_phrases(text)) == [value]


@pytest.mark.parametrize(
    "text",
    ["no, there are three", "no more than 3", "no other lesions", "no idea", "none of the above",
     "no image is provided", "twice the normal size",
     "twice as large", "isolated calcifications", "无法确定"],
)
def test_phrases_that_are_no_count(text: str) -> None:
    assert count_phrases(text) == []


_NOUNS = st.sampled_from(["nodule", "lesion", "mass", "cyst", "kidney", "focus", "metastasis"])
_COUNT_SPELLINGS = {
    0: ["no {n}s", "No {n}s are seen", "there are no {n}s", "none", "none seen", "not a single {n}", "zero",
        "0", "没有"],
    1: ["a single {n}", "A solitary {n}", "an isolated {n}", "one {n}", "only one {n}", "1 {n}", "single",
        "一个", "单发"],
    2: ["a pair of {n}s", "both {n}s", "two {n}s", "2 {n}s", "twice", "两个", "二", "２"],
    12: ["a dozen {n}s", "twelve {n}s", "12", "十二", "十二个"],
    23: ["twenty-three {n}s", "23", "二十三"],
}


@given(st.sampled_from(sorted(_COUNT_SPELLINGS)), st.data(), _NOUNS)
def test_a_count_in_any_spelling_scores_for_its_number_only(count: int, data, noun: str) -> None:
    spelling = data.draw(st.sampled_from(_COUNT_SPELLINGS[count])).format(n=noun)
    other = data.draw(st.sampled_from([c for c in _COUNT_SPELLINGS if c != count]))
    assert verify_numeric(spelling, str(count), {}) == 1.0
    assert verify_numeric(spelling, str(other), {}) == 0.0


@given(st.integers(min_value=2, max_value=40), _NOUNS)
def test_a_count_hedged_against_a_count_phrase_scores_zero(n: int, noun: str) -> None:
    for hedge in (f"no {noun}s, or maybe {n}", f"none or {n}", f"{n} {noun}s, or possibly a single one",
                  f"a single {noun}, actually {n + 1}"):
        assert verify_numeric(hedge, str(n), {}) == 0.0
        assert verify_numeric(hedge, "0", {}) == 0.0


@given(st.integers(min_value=3, max_value=40), _NOUNS)
def test_a_numeral_wins_over_location_words(n: int, noun: str) -> None:
    assert verify_numeric(f"{n} {noun}s in both lungs", str(n), {}) == 1.0
    assert verify_numeric(f"There are {spell_english(n)} {noun}s; no other lesions.", str(n), {}) == 1.0


def test_a_count_phrase_never_equals_a_measurement() -> None:
    assert verify_numeric("a single nodule", "1 cm", {}) == 0.0
    assert verify_numeric("twice", "2 weeks", {}) == 0.0
    assert verify_numeric("no lesions", "0%", {}) == 0.0
