"""Words that make a number a bound, not a value: "more than 5", "5 or more", "≥ 5", "5个以上".

The vocabulary is data (``PREFIXES``, ``SUFFIXES``): add a phrase there and the readers know it."""

from __future__ import annotations

import re

OPS = (">", ">=", "<", "<=")
# Phrases written before the number, per comparison. Words are separated by single blanks here.
PREFIXES: dict[str, tuple[str, ...]] = {
    ">": ("more than", "greater than", "larger than", "bigger than", "higher than", "longer than",
          "wider than", "older than", "heavier than", "over", "above", "exceeding", "exceeds",
          "in excess of", "beyond", "upwards of", ">", "大于", "超过", "多于", "高于", "长于"),
    ">=": ("at least", "no less than", "not less than", "no fewer than", "not fewer than",
           "no smaller than", "not smaller than", "a minimum of", "minimum of", "at minimum", "minimum",
           "min", "min.", "as few as", "as little as", "as small as", "greater than or equal to",
           "more than or equal to", "larger than or equal to", "equal to or greater than",
           "equal to or more than", "equal or greater than", "≥", ">=", "=>", "⩾", "≧",
           "至少", "不少于", "不低于", "不小于", "最少"),
    "<": ("less than", "fewer than", "smaller than", "lower than", "shorter than", "younger than",
          "lighter than", "under", "below", "beneath", "sub", "sub-", "<",
          "小于", "少于", "低于", "不到", "不足"),
    "<=": ("at most", "up to", "no more than", "not more than", "no greater than", "not greater than",
           "no larger than", "not larger than", "no bigger than", "not exceeding", "a maximum of",
           "maximum of", "maximum", "max", "max.", "within", "as many as", "as much as", "as large as",
           "as high as", "as long as", "less than or equal to", "smaller than or equal to",
           "equal to or less than", "equal or less than", "≤", "<=", "=<", "⩽", "≦", "至多", "最多", "不超过",
           "不大于", "不多于"),
}
# Phrases written after the number (and its unit, or one noun: "3 lesions or more").
SUFFIXES: dict[str, tuple[str, ...]] = {
    ">=": ("or more", "or greater", "or above", "or higher", "or larger", "or bigger", "or longer",
           "or over", "and above", "and over", "and up", "and more", "and greater", "and higher", "+", "以上",
           "或以上", "及以上", "或更多"),
    "<=": ("or less", "or fewer", "or below", "or lower", "or smaller", "or under", "or shorter",
           "and below", "and under", "and less", "and fewer", "and lower", "以下", "或以下", "及以下",
           "以内"),
}
# Words allowed between a bound and its number: "more than about 5" is still a bound.
APPROXIMATE = ("about", "approximately", "approx", "approx.", "around", "roughly", "nearly", "almost",
               "circa", "ca.", "some", "约", "大约")
_GROUPS = dict(zip(OPS, ("gt", "ge", "lt", "le"), strict=True))  # regex group names
_OP_OF_GROUP = {group: op for op, group in _GROUPS.items()}


def _pattern(phrase: str) -> str:
    """A phrase as a regex: blanks become 1-3 blanks, and a phrase that starts with a letter starts a word."""
    body = r"\s{1,3}".join(re.escape(word) for word in phrase.split(" "))
    return (r"\b" if phrase[0].isascii() and phrase[0].isalpha() else "") + body


def _alternatives(phrases: tuple[str, ...]) -> str:
    longest_first = sorted(phrases, key=len, reverse=True)
    return "|".join(_pattern(p) for p in longest_first)


def _suffix_pattern(phrase: str) -> str:
    """After a number "+" must not start another number ("5+3"); a word must end there ("or moreover")."""
    if phrase == "+":
        return r"\+(?![\d.])"
    return _pattern(phrase) + (r"\b" if phrase[-1].isascii() and phrase[-1].isalpha() else "")


_APPROX = r"(?:(?:" + _alternatives(APPROXIMATE) + r")\s{0,3})?"
_BEFORE = re.compile(
    "(?:" + "|".join(f"(?P<{_GROUPS[op]}>{_alternatives(p)})" for op, p in PREFIXES.items()) + r")\s{0,3}"
    + _APPROX + "$"
)
_AFTER = re.compile(
    r"(?:\s{1,3}[a-z]{2,20}(?=\s{1,3}(?:or|and)\s|\+)|[个只处枚颗块条例次位名])?\s{0,3}(?:"
    + "|".join(
        f"(?P<{_GROUPS[op]}>" + "|".join(_suffix_pattern(p) for p in sorted(ps, key=len, reverse=True)) + ")"
        for op, ps in SUFFIXES.items()
    )
    + ")"
)


def bound_before(window: str) -> tuple[str, int] | None:
    """The comparison that ``window`` (the text right before a number) ends with, and where it starts."""
    m = _BEFORE.search(window)
    return None if m is None else (_OP_OF_GROUP[m.lastgroup], m.start())


def bound_after(s: str, pos: int) -> tuple[str, int] | None:
    """The comparison written right after position ``pos`` ("or more"), and where it ends."""
    m = _AFTER.match(s, pos)
    return None if m is None else (_OP_OF_GROUP[m.lastgroup], m.end())
