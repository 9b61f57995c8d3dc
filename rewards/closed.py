"""Closed verifier: yes/no polarity (English and Chinese), or the alternative an either-or question offers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from rewards.alternatives import alternative_of, committed_alternative, question_alternatives
from rewards.chinese import chinese_hedged, parse_chinese_yes_no
from rewards.choice import parse_options, verify_choice
from rewards.concepts import analyse
from rewards.explain import decided_by
from rewards.extract import strip_lead_in
from rewards.medical_terms import has_cjk, vocabulary_cache
from rewards.qualifiers import compatible_modifiers, conflict
from rewards.registry import register_verifier
from rewards.restatement import restated
from rewards.text import MAX_TOKENS, clip, normalize_text

# Whole ground truths that make a question closed (see rewards.answer_types); SLAKE zh writes 是/否, 有/无.
CLOSED_ANSWERS = frozenset(
    "yes no true false yeah nope present absent positive negative correct incorrect "
    "是 否 是的 不是 有 无 没有 对 不对 存在 不存在".split()
)
_CJK_TEXT = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
# Words that answer the question outright; a later one with the other polarity makes the answer void.
EXPLICIT_YES = frozenset({"yes", "yeah", "yep", "yup", "yea", "affirmative", "true", "correct"})
EXPLICIT_NO = frozenset({"no", "nope", "nah", "false", "incorrect", "wrong"})
# Words that describe a finding as there or not there ("thereis" stands for "there is/are").
FINDING_YES = frozenset(
    "present presence seen visible evident identified detected observed noted demonstrated shown "
    "exists exist positive appreciated thereis".split()
)
FINDING_NO = frozenset({"absent", "absence", "negative", "none", "without", "nil", "excluded"})
NEGATORS = frozenset({"not", "never", "cannot"})  # flip the next yes/no word: "not seen", "not yes" -> no
SCOPE_NEGATORS = frozenset({"no", "without", "none", "neither", "nor"})  # "no effusion is seen" -> no
NORMALITY = frozenset({"normal", "unremarkable", "abnormal", "abnormality", "abnormalities"})
# Words that affirm on their own ("Certainly."), read only when the answer carries no other yes/no cue, so
# "definitely no" stays a no.
AFFIRMATIONS = frozenset({"certainly", "definitely", "absolutely", "indeed", "surely", "undoubtedly"})
# "No abnormality" says "normal": in a question about normality it is a yes, elsewhere a no.
_NO_ABNORMALITY = re.compile(
    r"\b(?:no|without|not\s+any|free\s+of)\s+(?:[a-z]+\s+){0,2}?"
    r"(?:abnormalit(?:y|ies)|abnormal\s+findings?|patholog(?:y|ies))\b"
    r"(?:\s+(?:is|are|was|were))?(?:\s+(?:seen|detected|noted|identified|present|visible|found|observed"
    r"|demonstrated|evident))?\b"
)

_HEDGES = re.compile(
    r"\b(?:maybe|possibl[ey]|perhaps|probabl[ey]|likely|unlikely|might|may\s+be|uncertain|unclear|unsure"
    r"|not\s+(?:sure|certain|clear)|indeterminate|equivocal|borderline|questionable"
    r"|yes\s*(?:and|or|/)\s*no|no\s*(?:and|or|/)\s*yes|neither\s+yes\s+nor\s+no"
    r"|(?:cannot|can\s*not|can't|unable\s+to)\s+(?:be\s+)?(?:determined?|say|tell|assess(?:ed)?|rule[ds]?\s+out"
    r"|excluded?|evaluated?|confirm(?:ed)?)"
    r"|(?:hard|difficult|impossible)\s+to\s+(?:say|tell|determine))\b",
    re.IGNORECASE,
)
_PHRASES = (  # multi-word cues rewritten to one token before the word scan
    (re.compile(r"\b(?:no|without(?:\s+a)?)\s+doubt\b"), " yes "),
    (re.compile(r"\bthere\s+(?:is|are|was|were)\s+(?:no|not\s+any)\b"), " no "),
    (re.compile(r"\bthere\s+(?:is|are|was|were)\s+not\b"), " not "),
    (re.compile(r"\bthere\s+(?:is|are|was|were)\b"), " thereis "),
    (re.compile(r"\b(?:no\s+(?:evidence|sign|signs)\s+of|negative\s+for|free\s+of)\b"), " no "),
    (re.compile(r"\bpositive\s+for\b"), " present "),
    (re.compile(r"\b(?:ruled|rules|rule)\s+out\b"), " excluded "),
    (re.compile(r"\b(?:certainly|definitely|absolutely|of\s+course)\s+not\b"), " no "),
    (re.compile(r"\bof\s+course\b"), " yes "),
    (re.compile(r"n't\b"), " not"),
)
_WORDS = re.compile(r"[^\W\d_]+|[.,;:!?]")
_CLAUSE_ENDS = frozenset({".", ",", ";", ":", "!", "?", "but", "however"})


@register_verifier("closed")
def verify_closed(answer: str, ground_truth: str, extra_info: Mapping[str, Any]) -> float:
    """1.0 when ``answer`` and ``ground_truth`` are both yes or both no; for an either-or question
    ("Is this an AP or PA film?" -> "AP") 1.0 when the answer commits to the ground truth's alternative.

    Hedged ("maybe", "not sure", "yes and no", 可能) or self-contradicting ("yes. no") answers score 0.
    ``extra_info["question"]`` decides what "normal" / 正常 mean (yes to "Is this normal?", no to "Is there
    a mass?") and which alternatives an either-or question offers; the row's options, when it has them,
    are the alternatives. Without a readable question the answer must be the ground truth (synonyms allowed).
    """
    info = extra_info or {}
    question = info.get("question")
    question = question if isinstance(question, str) else None
    truth = parse_yes_no(ground_truth, question)
    bare_yes_no = normalize_text(clip(ground_truth), drop_articles=False) in CLOSED_ANSWERS
    if truth is not None and (bare_yes_no or _either_or_gold(clip(ground_truth), info, question) is None):
        return 1.0 if parse_yes_no(answer, question) is truth else 0.0
    return _either_or(answer, clip(ground_truth), info, question)


def _either_or_gold(truth: str, info: Mapping[str, Any], question: str | None) -> int | None:
    """Which alternative of an either-or question the ground truth is ("without contrast" to "with or
    without contrast?" is an alternative, not a "no")."""
    if parse_options(info.get("options")):
        return 0
    alternatives = question_alternatives(question) if question else None
    return alternative_of(truth, alternatives) if alternatives else None


@vocabulary_cache  # reads qualifiers and concepts: an extended table must not meet stale verdicts
@lru_cache(maxsize=16384)
def parse_yes_no(text: str, question: str | None = None) -> bool | None:
    """``True`` for a yes, ``False`` for a no, ``None`` for neither, a hedge or a contradiction.

    A leading explicit word ("Yes, ...", "No ...") decides unless a later standalone explicit word
    disagrees ("yes, I mean no"). Otherwise every yes/no cue must agree: "no evidence of X",
    "X is not present", "without X", "ruled out" are no; "X is present", "there is X", "seen" are yes;
    "not" flips the cue after it ("not yes" is no) and a bare "not" ("not pneumonia") is no. Chinese
    forms (是/否, 有/没有, ...) are read by ``rewards.chinese`` and must agree with any English words.
    """
    text = clip(text)
    if not has_cjk(text):
        return _parse_english(text, question)
    rest = _CJK_TEXT.sub(" ", text)
    if chinese_hedged(text) or _HEDGES.search(rest):
        return None
    english = _parse_english(rest, question) if re.search(r"[A-Za-z]", rest) else None
    found = {parse_chinese_yes_no(text, question), english} - {None}
    return found.pop() if len(found) == 1 else None


def _parse_english(text: str, question: str | None) -> bool | None:
    s = unicodedata.normalize("NFKC", text).lower()
    s = strip_lead_in(s.replace("’", "'").strip())
    if not s or _HEDGES.search(s):
        return None
    for pattern, replacement in _PHRASES:
        s = pattern.sub(replacement, s)
    normal_means = _normality_polarity(question)
    if normal_means is not None:
        s = _NO_ABNORMALITY.sub(" normal ", s)
    words = _WORDS.findall(s)[: MAX_TOKENS * 2]
    if not words:
        return None
    if words[0] in EXPLICIT_YES or words[0] in EXPLICIT_NO:
        first = words[0] in EXPLICIT_YES
        later = {_explicit(words, i) for i in range(1, len(words))} - {None}
        return first if later <= {first} else None
    said_as_statement = restated(text, question) if question else None
    if said_as_statement is not None:
        return said_as_statement
    found = _cues(words, normal_means)
    if not found and AFFIRMATIONS.intersection(words):
        return True
    return found.pop() if len(found) == 1 else None


def _either_or(answer: str, truth: str, info: Mapping[str, Any], question: str | None) -> float:
    """A closed question whose answer is no yes/no: a choice between the alternatives it offers."""
    if parse_options(info.get("options")):
        decided_by("either-or: scored as a choice between the row's options")
        return verify_choice(answer, truth, info)
    alternatives = question_alternatives(question) if question else None
    gold = alternative_of(truth, alternatives) if alternatives else None
    if alternatives and gold is not None:
        said = committed_alternative(answer, question or "", alternatives)
        decided_by(f"either-or: the question offers {len(alternatives)} alternatives; answer commits to "
                   f"{'none or several' if said is None else 'alternative ' + str(said + 1)}")
        return 1.0 if said == gold else 0.0
    said, gold_concepts = analyse(clip(answer)), analyse(truth)
    if said.disjunctive and not gold_concepts.disjunctive:
        decided_by("hedge: offers alternatives")
        return 0.0
    if not gold_concepts.terms:
        return float(bool(normalize_text(truth)) and normalize_text(answer) == normalize_text(truth))
    modifiers = compatible_modifiers()
    same = said.terms - modifiers == gold_concepts.terms - modifiers
    decided_by("either-or: no alternatives in the question; strict match of the ground truth")
    return 1.0 if same and not conflict(said, gold_concepts) else 0.0


def _explicit(words: list[str], i: int) -> bool | None:
    """The polarity of ``words[i]`` as a standalone answer word ("no" before a noun is no answer)."""
    word = words[i]
    if word in EXPLICIT_YES:
        return True
    if word == "no":
        following = words[i + 1] if i + 1 < len(words) else "."
        standalone = following in _CLAUSE_ENDS or following in EXPLICIT_YES or following in EXPLICIT_NO
        return False if standalone else None
    return False if word in EXPLICIT_NO else None


def _normality_polarity(question: str | None) -> bool | None:
    """What "normal" means as an answer: yes when the question asks about normality, else no."""
    if not question:
        return None
    asked = set(_WORDS.findall(clip(question).lower()))
    return "normal" in asked and not asked & {"abnormal", "abnormality", "abnormalities"}


def _cues(words: list[str], normal_means: bool | None) -> set[bool]:
    found: set[bool] = set()
    clause_negated = flip = False
    for word in words:
        if word in _CLAUSE_ENDS:
            if flip:
                found.add(False)
            clause_negated = flip = False
            continue
        if word in NEGATORS:
            flip = True
            continue
        polarity = _polarity(word, normal_means)
        if polarity is None:
            continue
        if flip:
            polarity, flip = not polarity, False
        elif clause_negated and word in FINDING_YES:
            polarity = False  # "no effusion is seen"
        if word in SCOPE_NEGATORS:
            clause_negated = True
        found.add(polarity)
    if flip:
        found.add(False)  # a "not" with nothing to flip: "not pneumonia", "not really"
    return found


def _polarity(word: str, normal_means: bool | None) -> bool | None:
    if word in EXPLICIT_YES or word in FINDING_YES:
        return True
    if word in EXPLICIT_NO or word in FINDING_NO or word in SCOPE_NEGATORS:
        return False
    if word in NORMALITY and normal_means is not None:
        return normal_means if word in ("normal", "unremarkable") else not normal_means
    return None
