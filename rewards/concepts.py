"""A text as medical concepts: canonical terms with negation, list parts, hedged alternatives, "no finding".

``analyse`` is cached; every verifier reads the same ``Concepts`` of an answer and of a ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rewards.medical_terms import (
    has_cjk,
    normalize_word,
    rewrite_phrases,
    short_answer_tokens,
    tokenize,
    vocabulary_cache,
)

NEGATED = "no_"  # prefix of a negated term ("no_pneumonia")
NEGATION_SCOPE = 5  # terms a negation cue reaches, within its clause
TRAILING_LETTER_A = "letter_a"
MAX_SHORT_ANSWER_TOKENS = 3  # "R", "Rt.", "L side": short-answer spellings hold up to this many tokens

CLAUSE_BREAKS = frozenset(
    ". ; : ! ? 。 ！ ？ ； ： but however although though whereas while except yet".split()
)
# alternatives offered
OR_SEPARATORS = frozenset("or / vs versus either otherwise alternatively else 或 或者 还是 否则".split())
ELSE = "else"  # the separator an "if not" / "could also be" cue leaves: an alternative even across a clause
LIST_SEPARATORS = frozenset(", and with plus 、 ， 和 及 与 以及 & also".split())
_FORWARD, _EITHER, _HEDGE, _ELSE = "fwd", "either", "hedge", "else"
_CUES: dict[tuple[str, ...], str] = {
    **{tuple(c.split()): _FORWARD for c in (
        "no", "not", "without", "negative for", "free of", "absence of", "no evidence of", "no sign of",
        "no signs of", "rules out", "rule out", "excludes", "exclude", "denies", "neither", "nor", "never",
        "无", "没有", "未见", "未发现", "未", "不", "非", "不是", "不存在", "不可见")},
    **{tuple(c.split()): _EITHER for c in (
        "absent", "negative", "ruled out", "excluded", "none", "not seen", "not present", "not identified",
        "not visualized", "not visualised", "not detected", "not noted", "not evident", "not demonstrated",
        "not observed", "not appreciated", "not visible")},
    **{tuple(c.split()): _HEDGE for c in (
        f"{neg} {verb}" for neg in ("cannot", "can not", "not", "cannot be", "can not be", "not be")
        for verb in ("rule out", "ruled out", "exclude", "excluded"))},
    **{tuple(c.split()): _ELSE for c in (
        "if not", "or else", "if not then", "failing that", "could also be", "may also be", "might also be",
        "or possibly", "or maybe", "also possible", "also consider", "differential",
        "differential diagnosis", "ddx", "如果不是", "也可能是", "或可能是")},
}
_LONGEST_CUE = max(len(cue) for cue in _CUES)
STOPWORDS = frozenset(normalize_word(w) for w in (
    "is are was were be been being am of in on at to for by from as there this that these those it its "
    "which has have had seen noted present visible evident identified show shows shown showing demonstrate "
    "demonstrates demonstrated consistent suggestive suggests suggest finding findings image images likely "
    "probably possible appears appear compatible side sided either the a an i think answer "
    "的 了 是 为 在 这 该 此 呢 吗 吧 啊 图 像 片 中 可见 显示 见 发现 看到 见到"
).split())
# Words that make "no X" / "X: none" a statement of no finding at all rather than of a missing X.
GENERIC_FINDINGS = frozenset(normalize_word(w) for w in (
    "abnormality abnormal finding disease lesion pathology problem disorder sign evidence issue change acute "
    "significant obvious apparent definite focal detected found observed any other identifiable"
).split())
NO_FINDING_WORDS = frozenset({"none", "nothing", "nil", "normal", "无", "没有"})
NO_FINDING_NEGATORS = frozenset(
    {"no", "not", "without", "negative", "absent", "未见", "未发现", "无", "没有", "未"}
)


@dataclass(frozen=True)
class Concepts:
    """``terms``: canonical terms, negated ones prefixed ``NEGATED``; ``parts``: the terms of each list
    item; ``units``: terms in order with repeats (character-level F1 for Chinese); ``disjunctive``: offers
    different alternatives ("CT or MRI"); ``no_finding``: says there is nothing ("none", "normal")."""

    terms: frozenset[str]
    parts: tuple[frozenset[str], ...]
    units: tuple[str, ...]
    disjunctive: bool
    no_finding: bool
    cjk: bool


@vocabulary_cache
@lru_cache(maxsize=16384)
def analyse(text: str) -> Concepts:
    """The concepts of ``text`` (bounded: at most ``rewards.medical_terms.MAX_TOKENS_PER_TEXT`` tokens)."""
    tokens = tokenize(text)
    words = [t for t in tokens if t not in CLAUSE_BREAKS and normalize_word(t) not in STOPWORDS]
    short = short_answer_tokens(words) if 0 < len(words) <= MAX_SHORT_ANSWER_TOKENS else None
    tokens = [t for i, t in enumerate(tokens) if not (t == "." and i and tokens[i - 1] == "vs")]  # "vs."
    pairs = rewrite_phrases(short if short else tokens)
    items: list[tuple[str, bool, bool]] = []  # (term, negated, is separator)
    clause: list[tuple[str, bool]] = []
    for token, canonical in [*pairs, (".", False)]:
        if token in CLAUSE_BREAKS and not canonical:
            items.extend(_clause_items(clause))
            items.append((".", False, True))
            clause = []
        else:
            clause.append((token, canonical))
    return _concepts(items, _no_finding(pairs), has_cjk(text))


def _clause_items(clause: list[tuple[str, bool]]) -> list[tuple[str, bool, bool]]:
    """Each token of one clause as (term, negated, separator); negation cues are consumed."""
    out: list[tuple[str, bool, bool]] = []
    forward_left = 0
    i = 0
    while i < len(clause):
        token, canonical = clause[i]
        size, kind = (1, None) if canonical else _match_cue(clause, i)
        i += size
        if kind is None:
            separator = not canonical and (token in OR_SEPARATORS or token in LIST_SEPARATORS)
            term = token if canonical or separator else normalize_word(token)
            if term == "a" and (i == len(clause) or clause[i][0] in LIST_SEPARATORS | OR_SEPARATORS):
                term = TRAILING_LETTER_A  # "Hepatitis A", "vitamin A": a letter, not an article
            out.append((term, forward_left > 0 and not separator, separator))
            if not separator:
                forward_left = max(0, forward_left - 1)
        elif kind == _HEDGE:
            forward_left = 0
        elif kind == _ELSE:  # "pneumonia (if not, atelectasis)" offers an alternative
            forward_left = 0
            out.append((ELSE, False, True))
        elif kind == _FORWARD or not any(not sep and t not in STOPWORDS for t, _, sep in out):
            forward_left = NEGATION_SCOPE
            out.append(("not", False, True))  # keeps "X or not" visible as a hedge
        else:
            for j in range(max(0, len(out) - NEGATION_SCOPE), len(out)):
                term, _, separator = out[j]
                out[j] = (term, not separator, separator)
    return out


def _match_cue(clause: list[tuple[str, bool]], i: int) -> tuple[int, str | None]:
    for size in range(min(_LONGEST_CUE, len(clause) - i), 0, -1):
        window = clause[i: i + size]
        if any(canonical for _, canonical in window):
            continue
        kind = _CUES.get(tuple(token for token, _ in window))
        if kind is not None:
            return size, kind
    return 1, None


@dataclass
class _Segment:
    """Terms between two separators, whether a negation cue sits in it, and the separators after it."""

    terms: set[str]
    negator: bool = False
    ends: set[str] | None = None


def _concepts(items: list[tuple[str, bool, bool]], no_finding: bool, cjk: bool) -> Concepts:
    units = [NEGATED + t if negated else t for t, negated, sep in items if not sep and t not in STOPWORDS]
    segments: list[_Segment] = []
    current = _Segment(set())
    for term, negated, separator in items:
        if separator and term == "not":
            current.negator = True
        elif separator:
            if current.terms or current.negator:
                current.ends = {term}
                segments.append(current)
            elif segments and segments[-1].ends is not None:
                # "X and/or Y", "X. Could also be Y": the separators of empty segments add up
                if term == ELSE or "." not in segments[-1].ends:
                    segments[-1].ends.add(term)
            current = _Segment(set())
        elif term not in STOPWORDS:
            current.terms.add(NEGATED + term if negated else term)
    disjunctive = any(
        _offers_alternatives(left, right)
        for left, right in zip(segments, segments[1:], strict=False)
        if left.ends and left.ends & OR_SEPARATORS and ("." not in left.ends or ELSE in left.ends)
    )
    parts = tuple(frozenset(seg.terms) for seg in segments if seg.terms)
    return Concepts(frozenset(units), parts, tuple(units), disjunctive, no_finding, cjk)


def _offers_alternatives(left: _Segment, right: _Segment) -> bool:
    """Two sides of an "or" that differ; "no pneumonia or effusion" (one negation over both) does not."""
    if left.terms == right.terms and left.negator == right.negator:
        return False
    inherited = not right.negator and left.negator
    negated_list = inherited and all(t.startswith(NEGATED) for t in left.terms | right.terms)
    return not negated_list


def _no_finding(pairs: list[tuple[str, bool]]) -> bool:
    """Whether the text says there is no finding at all: "none", "normal", "no disease is present"."""
    core = [normalize_word(t) if not c else t for t, c in pairs if t not in CLAUSE_BREAKS]
    core = [t for t in core if t not in STOPWORDS or t in GENERIC_FINDINGS]
    if not core:
        return False
    marker = any(t in NO_FINDING_WORDS for t in core)
    negator = any(t in NO_FINDING_NEGATORS for t in core)
    generic = any(t in GENERIC_FINDINGS for t in core)
    allowed = NO_FINDING_WORDS | NO_FINDING_NEGATORS | GENERIC_FINDINGS
    return all(t in allowed for t in core) and (marker or (negator and generic))
