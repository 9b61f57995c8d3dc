"""Numbers written in words: English number words, Chinese numerals and count phrases ("no lesions").

Every reader takes lower-cased, NFKC-normalised text and returns ``(start, end, value)`` spans; nothing is
evaluated. Ordinals ("third", "21st", "第三") are never read: an ordinal is no count.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from rewards.units import parse_unit

ONES = {w: i for i, w in enumerate("zero one two three four five six seven eight nine".split())}
TEENS = {w: i + 10 for i, w in enumerate(
    "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split())}
TENS = {w: (i + 2) * 10 for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split())}
MULTIPLIERS = {"hundred": 100, "dozen": 12}
SCALES = {"thousand": 1_000, "million": 1_000_000}
_IRREGULAR_ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                       "nine": "ninth", "twelve": "twelfth"}
ORDINAL_WORDS = frozenset(
    [_IRREGULAR_ORDINALS.get(w, w + "th") for w in [*ONES, *TEENS] if w != "zero"]
    + [w[:-1] + "ieth" for w in TENS] + [w + "th" for w in [*SCALES, "hundred"]]
)
# "the larger one", "each one", "the largest one": the pronoun "one" is no count ("only one" is).
_PRONOUN_BEFORE_ONE = frozenset(
    "the this that each any every which another other no left right same last first next middle larger "
    "smaller bigger longer shorter wider higher lower upper inner outer former latter older newer denser "
    "brighter darker thicker thinner".split()
)
_WORD = re.compile(r"[a-z]+")
_WORD_GAP = re.compile(r"[ -]{1,3}")
_HALF_A = re.compile(r"\bhalf\s{1,3}an?\b")
# Fractions in words: "half", "a third", "two thirds", "three quarters". A third or quarter needs its count
# ("the third rib" is an ordinal) and nothing but "of" or the end after it ("a third lesion" is no fraction).
_FRACTION_PARTS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4}
_FRACTION_COUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3}
_FRACTION = re.compile(
    r"(?<!\band\s)(?<!\band\sa\s)(?<!\band\sone\s)"  # "1 and a half" is 1.5, read by rewards.quantities
    r"\b(?:(an?|one|two|three)[ -]{1,3})?(half|halves|thirds?|quarters?)\b"
    r"(?=\s{0,3}(?:$|of\b|[^a-z\s]|(?:second|minute|hour|day|week|month|year)s?\b))"
)


@dataclass
class _SpelledNumber:
    """A spelled-out number being read word by word: "one hundred and five"."""

    start: int
    end: int = 0
    total: int = 0  # thousands and millions read so far
    group: int = 0  # the part below the last scale word
    last: str = ""  # kind of the last word: ones, teens, tens, hundred, dozen, scale
    scale: float = math.inf  # the last scale word's value; scales must decrease

    @property
    def value(self) -> Fraction:
        return Fraction(self.total + self.group)

    def add(self, word: str, after_and: bool = False) -> bool:
        """Read ``word`` into this number; ``False`` (and no change) when it cannot continue it."""
        if word == "zero":
            kind, value, allowed = "zero", 0, ("",)
        elif word in ONES:
            kind, value, allowed = "ones", ONES[word], ("", "tens", "hundred", "scale")
        elif word in TEENS or word in TENS:
            kind, value = ("teens", TEENS[word]) if word in TEENS else ("tens", TENS[word])
            allowed = ("", "hundred", "scale")
        elif word in MULTIPLIERS:
            kind, value, allowed = word, MULTIPLIERS[word], ("", "ones", "teens")
        elif word in SCALES and SCALES[word] < self.scale:
            kind, value, allowed = "scale", SCALES[word], ("", "ones", "teens", "tens", "hundred")
        else:
            return False
        if self.last not in allowed or (after_and and kind not in ("ones", "teens", "tens")):
            return False
        if kind in ("hundred", "dozen"):
            self.group = (self.group or 1) * value
        elif kind == "scale":
            self.total += (self.group or 1) * value
            self.group, self.scale = 0, value
        else:
            self.group += value
        self.last = kind
        return True


def _is_pronoun_one(word: str, previous: str) -> bool:
    superlative = len(previous) > 4 and previous.endswith("est")
    return word == "one" and (previous in _PRONOUN_BEFORE_ONE or superlative)


def _ordinal_follows(s: str, end: int) -> bool:
    """Whether an ordinal word continues the number that ends at ``end``: "twenty-first"."""
    m = _WORD.match(s, end + 1) if s[end: end + 1] in ("-", " ") else None
    return m is not None and m.group() in ORDINAL_WORDS and (s[end] == "-" or m.group() != "second")


def english_numbers(s: str) -> list[tuple[int, int, Fraction]]:
    """Spelled-out numbers: "three", "twenty-one", "one hundred and five", "a dozen", "half an"."""
    read: list[_SpelledNumber] = []
    current: _SpelledNumber | None = None
    previous_end, previous_word, after_and = 0, "", False
    for m in _WORD.finditer(s):
        word = m.group()
        joined = current is not None and _WORD_GAP.fullmatch(s[previous_end: m.start()]) is not None
        if word == "and" and joined and current.last in ("hundred", "scale") and not after_and:
            previous_end, after_and = m.end(), True
            continue
        if not (joined and current.add(word, after_and)):
            current = _SpelledNumber(m.start())
            if not _is_pronoun_one(word, previous_word) and current.add(word):
                read.append(current)
            else:
                current = None
        if current is not None:
            current.end = m.end()
        previous_end, previous_word, after_and = m.end(), word, False
    spans = [(n.start, n.end, n.value) for n in read if not _ordinal_follows(s, n.end)]
    spans += [(m.start(), m.end(), Fraction(1, 2)) for m in _HALF_A.finditer(s)]
    fractions = fraction_words(s)
    if fractions:
        spans = [sp for sp in spans if not any(f[0] <= sp[0] < f[1] for f in fractions)] + fractions
    return sorted(spans)


def fraction_words(s: str) -> list[tuple[int, int, Fraction]]:
    """Fractions in words: "half" 1/2, "a third" 1/3, "two thirds" 2/3, "three quarters" 3/4."""
    spans = []
    for m in _FRACTION.finditer(s):
        count_word, part = m.group(1), m.group(2)
        if count_word is None and part not in ("half", "halves"):
            continue  # "third", "quarter" alone: an ordinal or a place
        count = _FRACTION_COUNTS.get(count_word or "", 1)
        spans.append((m.start(), m.end(), Fraction(count, _FRACTION_PARTS[part])))
    return spans


_CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6,
                   "七": 7, "八": 8, "九": 9}
_CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000}
_CHINESE_RUN = re.compile("[" + "".join([*_CHINESE_DIGITS, *_CHINESE_UNITS, "万"]) + "]{1,12}")
# What may follow a Chinese numeral that is a count: a classifier, a unit, an affix of a bound or range,
# or anything that is not a CJK character. "十二指肠" (duodenum) and "一般" (usually) are words, not numbers.
_CHINESE_FOLLOWER = re.compile(
    r"(?:[个個只处處枚颗顆块塊条條例次位名根支种種项項组組段节節粒片]|厘米|毫米|公分|微米|米|毫升|升|毫克|克|千克|公斤"
    r"|秒|分钟|小时|天|日|周|星期|个月|年|岁|度|摄氏度|华氏度|毫米汞柱|倍|以上|以下|左右|至|到|或|和|与|及|乘)"
    r"|[^\u3400-\u9fff]|$"
)


def _chinese_value(run: str) -> int | None:
    """The value of a Chinese numeral ("二十三" 23, "一百零五" 105); ``None`` for digit strings ("一二")."""
    total, section, digit, previous = 0, 0, None, ""
    for char in run:
        if char in _CHINESE_DIGITS:
            if digit is not None and previous != "零":
                return None
            digit = _CHINESE_DIGITS[char]
        elif char in _CHINESE_UNITS:
            section += (1 if digit is None else digit) * _CHINESE_UNITS[char]
            digit = None
        else:  # 万
            total += (section + (digit or 0)) * 10_000
            section, digit = 0, None
        previous = char
    return total + section + (digit or 0)


def chinese_numbers(s: str, limit: int = 1_000) -> list[tuple[int, int, Fraction]]:
    """Chinese numerals used as numbers: "两个" 2, "十二" 12, "二十三" 23; not "第三" (third) nor "一般".

    Reading stops after ``limit`` numbers (a text with that many is spam to the caller).
    """
    spans: list[tuple[int, int, Fraction]] = []
    for m in _CHINESE_RUN.finditer(s):
        if len(spans) >= limit:
            break
        if s[m.start() - 1: m.start()] == "第" or not _CHINESE_FOLLOWER.match(s, m.end()):
            continue
        if parse_unit(s, m.start())[0] is not None:  # "千克" (kilogram) is a unit
            continue
        value = _chinese_value(m.group())
        if value is not None:
            spans.append((m.start(), m.end(), Fraction(value)))
    return spans


# "no" counts zero only before a noun: not in "no, there are 3", "no more than 3", "no other lesions",
# "no idea" or "no number".
_NOT_A_NOUN = (
    "there it its the a an i we you this that these those they he she is are was were be not and or but so "
    "as if other others additional further more less fewer greater larger smaller bigger higher lower longer "
    "shorter new than one doubt idea answer number value measurement clue information data way comment "
    "response certain conclusion conclusive definitive reliable access image images picture"
)
_NO_NOUN = r"\bno\s{1,3}(?!(?:" + "|".join(_NOT_A_NOUN.split()) + r")\b)(?=[a-z])"
_MULTIPLIER_CONTEXT = (
    r"(?!\s{1,3}(?:as|the|that|than|normal|its|their|his|her|this|size|bigger|larger|smaller)\b)"
)
_CATCH_ALL = r"(?!\s{1,3}of\s{1,3}(?:the\s{1,3})?(?:above|options|choices|answers))"  # "none of the above"
# (pattern, value, tier): tier 1 phrases count when the answer writes no numeral; tier 2 ("both")
# counts only when there is neither a numeral nor a tier-1 phrase. Earlier rows win where spans overlap.
COUNT_PHRASES: tuple[tuple[str, int, int], ...] = (
    (r"(?:\bnot|n't)\s{1,3}(?:a\s{1,3}single|any|one)\b", 0, 1),
    (_NO_NOUN, 0, 1),
    (r"\b(?:none|nil|nothing|neither)\b" + _CATCH_ALL, 0, 1),
    (r"没有|未见|未发现|无(?![法关论须需])", 0, 1),
    (r"\b(?:an?\s{1,3})?(?:single|solitary|lone|sole|unifocal)\b|\ban?\s{1,3}isolated\b", 1, 1),
    (r"单个|单发|单一|唯一", 1, 1),
    (r"\b(?:an?\s{1,3})?pair\s{1,3}of\b|一对", 2, 1),
    (r"\bonce\b" + _MULTIPLIER_CONTEXT, 1, 1),
    (r"\btwice\b" + _MULTIPLIER_CONTEXT, 2, 1),
    (r"\bthrice\b" + _MULTIPLIER_CONTEXT, 3, 1),
    (r"\bboth\b|双", 2, 2),
)
_COUNT_PATTERNS = tuple((re.compile(p), value, tier) for p, value, tier in COUNT_PHRASES)


def count_phrases(s: str) -> list[tuple[int, int, Fraction, int]]:
    """Counts said without a numeral: ``(start, end, value, tier)`` for "no lesions", "a single", "both"."""
    found: list[tuple[int, int, Fraction, int]] = []
    taken = bytearray(len(s))
    for pattern, value, tier in _COUNT_PATTERNS:
        for m in pattern.finditer(s):
            if not any(taken[m.start(): m.end()]):
                found.append((m.start(), m.end(), Fraction(value), tier))
                taken[m.start(): m.end()] = b"\x01" * (m.end() - m.start())
    return sorted(found)
