"""Multiple-choice verifier: the answer must name exactly one option, by its letter or by its (fuzzy) text."""

from __future__ import annotations

import json
import re
import string
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from rewards.concepts import NEGATED, analyse
from rewards.explain import decided_by
from rewards.extract import strip_lead_in
from rewards.measurements import plain_measurement
from rewards.numeric import verify_numeric
from rewards.qualifiers import conflict
from rewards.registry import register_verifier
from rewards.text import clip, normalize_text

LETTERS = string.ascii_uppercase
FUZZY_MIN_SCORE = 85.0  # rapidfuzz ratio (0-100) an answer needs to count as an option's text
FUZZY_MIN_MARGIN = 8.0  # ... and its lead over the next-best option, so near-ties name nothing
MAX_OPTIONS_JSON_CHARS = 100_000
MAX_EXTRA_WORDS = 8  # an answer containing an option's text may add this many words ("right lower lobe")
AMBIGUOUS = "?"  # several options named
MAX_NUMBER_OPTION_CHARS = 40

_PREFIX = r"\b(?:option|choice|answer|letter)\s{0,4}[:#]?\s{0,4}"
_PREFIX_ZH = r"(?:选项|选择|答案|第)\s{0,4}(?:是|为)?\s{0,4}[:#]?\s{0,4}"  # 选项B, 答案是B, 第B项
_SUFFIX_ZH = r"(?:选项|项)?"  # B项, B选项
# The whole answer is a letter: B, (b), B., B), [C], Option B, option (B), answer: c, 选项B, B项
_LETTER_ONLY = re.compile(
    rf"^(?:{_PREFIX}|{_PREFIX_ZH})?[(\[]?\s{{0,4}}([A-Za-z])\s{{0,4}}[)\]]?\s{{0,4}}{_SUFFIX_ZH}\s{{0,4}}[.):]?$",
    re.I,
)
# A letter in an explicit form followed by more text: B) Pneumonia, (B) Pneumonia, B. Pneumonia, Option B: ...
_LETTER_MARKED = re.compile(
    rf"^(?:{_PREFIX}[(\[]?\s{{0,4}}([A-Za-z])\s{{0,4}}[)\]]?(?![A-Za-z])"
    r"|[(\[]\s{0,4}([A-Za-z])\s{0,4}[)\]]"
    r"|([A-Za-z])\s{0,4}[.):](?=\s)"
    r"|([A-Za-z])\s{1,4}[-–—](?=\s))"
    r"\s*[-–—:.)]?\s*(.+)$",
    re.I | re.DOTALL,
)
_BARE_LETTER_THEN_TEXT = re.compile(r"^([A-Z])\s+(.+)$", re.DOTALL)
# A capital "A" or "I" then an option's text: the letter, not an article or pronoun ("A MRI").
_CAPITAL_A_THEN_TEXT = re.compile(r"^([AI])(?:\s{0,4}[.):\-–—]\s{0,4}|\s{1,4})(?=\S)(.+)$", re.DOTALL)
# Letter claims anywhere in a sentence: "option C", "(C)", or a capital letter standing alone.
_SCAN_EXPLICIT = re.compile(
    rf"{_PREFIX}[(\[]?\s{{0,4}}([A-Za-z])(?![\w'’-])|[(\[]\s{{0,4}}([A-Za-z])\s{{0,4}}[)\]]", re.I
)
_SCAN_CAPITAL = re.compile(r"(?<![\w'’\-.])([A-Z])(?![\w'’\-])")
_NEXT_WORD = re.compile(r"\s+([^\W_]+)")
_PREVIOUS_WORD = re.compile(r"([^\W_]+)\s+$")
_LEADING_ARTICLE = re.compile(r"^(?:a|an|the) (?=\S)")
_CONJUNCTIONS = frozenset({"or", "and", "nor", "vs", "versus", "then"})
# A letter named only to be excluded: "not B", "except C", "B is incorrect" claims nothing.
_EXCLUDED_BEFORE = re.compile(
    r"\b(?:not|never|except|excluding|exclude|without|nor|isn't|isnt|non)\s{1,4}(?:option\s{1,4}|choice\s{1,4})?"
    r"[(\[]?\s{0,4}$",
    re.I,
)
_EXCLUDED_AFTER = re.compile(
    r"\s{0,4}[)\]]?\s{0,4}(?:is|are|was|would\s{1,4}be)?\s{0,4}(?:not\s{1,4}(?:correct|right|the\s{1,4}answer)"
    r"|incorrect|wrong|false|excluded|ruled\s{1,4}out)\b",
    re.I,
)
_NEGATIONS = frozenset({"not", "no", "never", "without", "unlikely", "excluded", "except", "exclude", "rule"})


@register_verifier("choice")
def verify_choice(answer: str, ground_truth: str, extra_info: Mapping[str, Any]) -> float:
    """1.0 when ``answer`` names exactly the option ``ground_truth`` names (a letter or its text), else 0.0.

    ``extra_info["options"]`` maps letters to texts (a list is read as A, B, C, ...; a JSON string of
    either works too). Several options named, a letter contradicting its own text, or a letter that is
    not an option score 0.
    """
    options = parse_options((extra_info or {}).get("options"))
    truth_letter = _ground_truth_letter(clip(ground_truth), options)
    if truth_letter is not None:
        return 1.0 if pick_option(answer, options) == truth_letter else 0.0
    if _LETTER_ONLY.match(_prepare(ground_truth)):
        return 0.0  # the ground truth is a letter that is no option: nothing can match it
    # The ground truth is free text that is no option (or there are no options): compare texts.
    picked = pick_option(answer, options)
    said = options[picked] if picked in options else _without_letter(_prepare(answer))
    return 1.0 if said and _same_text(said, clip(ground_truth)) else 0.0


def parse_options(raw: object) -> dict[str, str]:
    """``extra_info["options"]`` as ``{letter: text}``; missing, empty or unreadable options give ``{}``.

    Accepts a mapping (keys like ``"A"``, ``"a"``, ``"(A)"``), a sequence (lettered A, B, C, ... in
    order) or a JSON string of either. Empty texts are dropped (parquet structs fill absent letters with
    ``None``); when every text repeats its own letter ("A. Pneumonia") that label is dropped.
    """
    if isinstance(raw, str):
        try:
            raw = json.loads(raw[:MAX_OPTIONS_JSON_CHARS]) if raw.strip() else None
        except ValueError:
            return {}
    if hasattr(raw, "tolist") and not isinstance(raw, Mapping):  # numpy arrays from parquet
        raw = raw.tolist()
    if isinstance(raw, Mapping):
        items = [(_option_key(key), value) for key, value in raw.items()]
    elif isinstance(raw, (list, tuple)):
        items = list(zip(LETTERS, raw, strict=False))  # options past Z are dropped
    else:
        return {}
    options = {}
    for letter, value in items:
        text = "" if value is None else clip(value).strip()
        if letter and text:
            options[letter] = text
    labelled = {letter: _without_own_letter(letter, text) for letter, text in options.items()}
    # Only when every text carries its own letter is that a label ("A. Pneumonia"), not "E. coli".
    return labelled if options and all(labelled[k] != options[k] for k in options) else options


def pick_option(answer: str, options: Mapping[str, str]) -> str | None:
    """The one option letter ``answer`` names, or ``None`` (no option, several, or a contradiction).

    Without options only a letter in an explicit form can be picked.
    """
    text = _prepare(answer)
    if not text:
        return None
    exact = _exact_text(text, options)
    if len(exact) == 1:  # checked first so option texts such as "E. coli" or "Vitamin D" are not letters
        return exact[0]
    capital = _CAPITAL_A_THEN_TEXT.match(text)
    if capital and capital.group(1) in options and _names_exactly(capital.group(2), options):
        decided_by(f"letter with text: a leading {capital.group(1)} followed by an option's text is a letter")
        return _letter_with_text(capital.group(1), capital.group(2), options)
    only = _LETTER_ONLY.match(text)
    if only:
        return _valid(only.group(1), options)
    marked = _LETTER_MARKED.match(text)
    if marked:
        letter = next(group for group in marked.groups()[:4] if group)
        return _letter_with_text(letter, marked.group(5), options)
    bare = _BARE_LETTER_THEN_TEXT.match(text)
    if bare and options and _match_text(bare.group(2), options) == bare.group(1):
        return _letter_with_text(bare.group(1), bare.group(2), options)
    by_text = _match_text(text, options)
    if by_text == AMBIGUOUS:
        return None
    claimed = _scan_letters(text, options)
    if by_text is not None:
        return by_text if claimed - _own_letters(options[by_text]) <= {by_text} else None
    return claimed.pop() if len(claimed) == 1 else None


@lru_cache(maxsize=16384)
def _norm(text: str) -> str:
    """Normalised text; only a leading article goes, so "Hepatitis A" keeps its "a"."""
    return _LEADING_ARTICLE.sub("", normalize_text(text, drop_articles=False))


def _exact_text(text: str, options: Mapping[str, str]) -> list[str]:
    """Options whose text equals ``text``; a leading capital "A" only goes as an article when the rest
    names no option ("A pneumonia" is the letter A plus a text, judged by both)."""
    plain = normalize_text(text, drop_articles=False)
    found = [letter for letter, option in options.items() if plain and _norm(option) == plain]
    if found or _CAPITAL_A_THEN_TEXT.match(text) or _LETTER_MARKED.match(text):
        return found
    norm = _norm(text)
    return [letter for letter, option in options.items() if norm and _norm(option) == norm]


def _prepare(answer: object) -> str:
    s = unicodedata.normalize("NFKC", clip(answer))
    s = s.replace("**", "").replace("__", "").replace("`", "")
    return strip_lead_in(s.strip()).strip().rstrip(".").strip()


def _option_key(key: object) -> str | None:
    found = _LETTER_ONLY.match(str(key).strip())
    return found.group(1).upper() if found else None


def _without_own_letter(letter: str, text: str) -> str:
    marked = _LETTER_MARKED.match(text)
    if marked and next(group for group in marked.groups()[:4] if group).upper() == letter:
        return marked.group(5).strip() or text
    return text


def _valid(letter: str, options: Mapping[str, str]) -> str | None:
    letter = letter.upper()
    return letter if not options or letter in options else None


def _letter_with_text(letter: str, rest: str, options: Mapping[str, str]) -> str | None:
    """An explicit letter plus text: judged by both; the text must name that option or none, and add no
    other letter ("D. E. coli" keeps the "E" of its own text)."""
    letter = _valid(letter, options)
    if letter is None:
        return None
    exact = _exact_text(rest, options)
    by_text = exact[0] if len(exact) == 1 else _match_text(rest, options)
    other_letters = _scan_letters(rest, options) - {letter} - _own_letters(options.get(letter, ""))
    if by_text in (None, letter) and not other_letters:
        return letter
    decided_by("letter with text: the letter and its text disagree")
    return None


def _own_letters(option: str) -> set[str]:
    """Capital letters that are words of an option's own text ("E" in "E. coli", "D" in "Vitamin D")."""
    return {word for word in re.split(r"[\s.]+", option) if len(word) == 1 and word.isupper()}


def _match_text(text: str, options: Mapping[str, str]) -> str | None:
    """The option whose text ``text`` is (fuzzily, or by medical synonym) or contains; ``AMBIGUOUS`` when it
    names several; ``None`` when it names none, negates the one it names or contradicts its qualifiers."""
    norm = _norm(text)
    if not norm or not options:
        return None
    by_number = _by_number(text, options)
    if by_number is not None:
        return by_number
    texts = {letter: _norm(option) for letter, option in options.items()}
    scores = sorted(((fuzz.ratio(norm, option), letter) for letter, option in texts.items()), reverse=True)
    best_score, best = scores[0]
    runner_up = scores[1][0] if len(scores) > 1 else 0.0
    said = analyse(text)
    named = _named_options(norm, said, texts, options)
    if best_score >= FUZZY_MIN_SCORE and best_score - runner_up >= FUZZY_MIN_MARGIN and named <= {best}:
        return _unless_contradicted(best, said, options)
    if len(named) > 1:
        decided_by("hedge: names several options")
        return AMBIGUOUS
    if len(named) == 1 and not _NEGATIONS.intersection(norm.split()):
        return _unless_contradicted(named.pop(), said, options)
    return None


def _named_options(norm: str, said, texts: Mapping[str, str], options: Mapping[str, str]) -> set[str]:
    """Options whose text the answer contains, or whose every concept it carries; the longest kept."""
    padded = f" {norm} "
    length = len(norm.split())
    inside = {
        letter
        for letter, option in texts.items()
        if option and f" {option} " in padded and length <= len(option.split()) + MAX_EXTRA_WORDS
    }
    # A text inside a longer term is not that option: "ct" in "ct angiography" (CTA) is no "CT".
    inside = {a for a in inside if not analyse(options[a]).terms or analyse(options[a]).terms <= said.terms}
    named = inside | _named_by_concepts(said, options)
    # "aspiration pneumonia" contains option "pneumonia" too: keep only the longest options named.
    return {a for a in named if not any(a != b and _contains(options[b], options[a]) for b in named)}


def _by_number(text: str, options: Mapping[str, str]) -> str | None:
    """When every option is a number ("2", "5 mm"), the one option the answer's number equals by the numeric
    verifier ("two lesions" names option "2", "0.5 cm" names "5 mm"); ``None`` when not exactly one."""
    if not all(_is_number(option) for option in options.values()):
        return None
    same = [letter for letter, option in options.items() if verify_numeric(text, option, {}) == 1.0]
    return same[0] if len(same) == 1 else None


@lru_cache(maxsize=4096)
def _is_number(option: str) -> bool:
    """An option that is only a measurement: "2", "5 mm", "0.5-1 cm" (at most two words besides)."""
    return len(option) <= MAX_NUMBER_OPTION_CHARS and plain_measurement(option, max_extra_words=2) is not None


def _names_exactly(text: str, options: Mapping[str, str]) -> bool:
    """Whether ``text`` is one option's text, as written or as the same concepts."""
    terms = analyse(text).terms
    if _exact_text(text, options):
        return True
    return bool(terms) and any(analyse(option).terms == terms for option in options.values())


def _named_by_concepts(said, options: Mapping[str, str]) -> set[str]:
    """Options every canonical term of which the answer carries, affirmed ("MR" names option "MRI")."""
    if not said.terms:
        return set()
    named = set()
    for letter, option in options.items():
        concepts = analyse(option)
        terms = concepts.terms
        if terms and terms <= said.terms and len(said.units) <= len(concepts.units) + MAX_EXTRA_WORDS:
            named.add(letter)
    return named


def _contains(longer: str, shorter: str) -> bool:
    """Whether option ``longer`` says all that ``shorter`` says and more (by words or by concepts)."""
    a, b = _norm(longer), _norm(shorter)
    if a != b and f" {b} " in f" {a} ":
        return True
    terms_a, terms_b = analyse(longer).terms, analyse(shorter).terms
    return bool(terms_b) and terms_b < terms_a


def _unless_contradicted(letter: str, said, options: Mapping[str, str]) -> str | None:
    option = analyse(options[letter])
    if said.disjunctive and not option.disjunctive:
        decided_by("hedge: offers alternatives")
        return None
    if any(NEGATED + t in said.terms for t in option.terms):
        return None
    reason = conflict(said, option)
    if reason:
        decided_by(f"qualifier: {reason}")
        return None
    return letter


def _scan_letters(text: str, options: Mapping[str, str]) -> set[str]:
    """Option letters claimed anywhere in ``text``: "option C", "(C)", or a lone capital such as "B"."""
    claimed = {
        (m.group(1) or m.group(2)).upper() for m in _SCAN_EXPLICIT.finditer(text) if not _excluded(text, m)
    }
    terms = " ".join(_norm(option) for option in options.values())
    for found in _SCAN_CAPITAL.finditer(text):
        letter = found.group(1)
        if _excluded(text, found):
            continue
        previous = _PREVIOUS_WORD.search(text, max(0, found.start() - 40), found.start())
        if previous and f"{previous.group(1).lower()} {letter.lower()}" in terms:
            continue  # part of a term an option uses: "Vitamin D", "Hepatitis B"
        if letter in ("A", "I"):  # article / pronoun unless followed by nothing, a conjunction or a letter
            following = _NEXT_WORD.match(text, found.end())
            if (
                following
                and following.group(1).lower() not in _CONJUNCTIONS
                and not (len(following.group(1)) == 1 and following.group(1).isupper())
            ):
                continue
        claimed.add(letter)
    return {letter for letter in claimed if not options or letter in options}


def _excluded(text: str, found: re.Match[str]) -> bool:
    """Whether the letter claim ``found`` is negated: "not B", "except (C)", "B is incorrect"."""
    before = text[max(0, found.start() - 40): found.start()]
    if _EXCLUDED_BEFORE.search(before):
        return True
    return _EXCLUDED_AFTER.match(text, found.end(), found.end() + 60) is not None


def _without_letter(text: str) -> str:
    marked = _LETTER_MARKED.match(text)
    return marked.group(5) if marked else text


def _same_text(said: str, truth: str) -> bool:
    """The same text (typos allowed) or the same concepts, with no contradicting qualifier or hedge."""
    a, b = _norm(said), _norm(truth)
    if not (a and b):
        return False
    if a == b:
        return True
    answer, gold = analyse(said), analyse(truth)
    if (answer.disjunctive and not gold.disjunctive) or conflict(answer, gold):
        return False
    return fuzz.ratio(a, b) >= FUZZY_MIN_SCORE or (bool(gold.terms) and answer.terms == gold.terms)


def _ground_truth_letter(truth: str, options: Mapping[str, str]) -> str | None:
    """The option letter the ground truth names ("B", "(B)", or an option's text), if any."""
    text = _prepare(truth)
    only = _LETTER_ONLY.match(text)
    if only:
        return _valid(only.group(1), options)
    exact = _exact_text(text, options)
    if len(exact) == 1:
        return exact[0]
    by_text = _match_text(text, options)
    return None if by_text == AMBIGUOUS else by_text
