"""The medical vocabulary every verifier shares: tokens, spelling and plurals, and the equivalence table.

``rewards/data/equivalences.tsv`` maps spellings to canonical tokens ("magnetic resonance imaging", "MR" and
"磁共振" are all ``mri``); ``extend_equivalences`` adds rows at run time. The table loads once, lazily.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rewards.text import MAX_TOKENS, clip

EQUIVALENCES_FILE = Path(__file__).with_name("data") / "equivalences.tsv"
COLUMNS = ("concept", "kind", "spellings", "source")
SHORT_KIND = "short"  # spellings that hold only for a whole short answer ("R" = right)
UPPER_KIND = "upper"  # spellings that hold only in capitals ("US" = ultrasound; "us" is a pronoun)
MAX_TOKENS_PER_TEXT = 2 * MAX_TOKENS
# Chinese function words kept whole when a CJK run is cut into pieces (the rest is one piece per character).
CJK_FUNCTION_WORDS = ("还是", "或者", "以及", "没有", "未见", "未发现", "不是", "不存在", "不可见", "是否",
                      "可能",
                      "也许", "或许", "大概", "不确定", "无法", "不能")

# Words, CJK runs and the punctuation that separates list items and clauses.
_TOKEN = re.compile(r"[a-z0-9]+|[\u3400-\u4dbf\u4e00-\u9fff]+|[.,;:!?/、，；：。！？]")
_APOSTROPHE_S = re.compile(r"['’]s\b")
_NOT = re.compile(r"n['’]t\b")
_AMPERSAND = re.compile(r"\s{0,3}&\s{0,3}")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")

# British -> American spelling, applied inside a word.
_SPELLING = (
    ("haem", "hem"), ("aemia", "emia"), ("oedem", "edem"), ("oesophag", "esophag"), ("ischaem", "ischem"),
    ("paed", "ped"), ("tumour", "tumor"), ("colour", "color"), ("foet", "fet"), ("oestr", "estr"),
    ("leukaem", "leukem"), ("caec", "cec"), ("coeliac", "celiac"), ("dyspnoea", "dyspnea"),
    ("apnoea", "apnea"), ("diarrhoea", "diarrhea"), ("anaesth", "anesth"), ("centre", "center"),
    ("fibre", "fiber"), ("litre", "liter"), ("metre", "meter"), ("visualis", "visualiz"),
)
_IRREGULAR_PLURALS = {
    "diagnoses": "diagnosis", "metastases": "metastasis", "stenoses": "stenosis", "prognoses": "prognosis",
    "anastomoses": "anastomosis", "thromboses": "thrombosis", "bronchi": "bronchus", "emboli": "embolus",
    "thrombi": "thrombus", "calculi": "calculus", "nuclei": "nucleus", "foci": "focus", "gyri": "gyrus",
    "sulci": "sulcus", "vertebrae": "vertebra", "bullae": "bulla", "ectases": "ectasis",
    "appendices": "appendix", "apices": "apex", "cortices": "cortex", "indices": "index",
}
_KEEP_FINAL_S = ("ss", "us", "is", "os", "ys")
_SINGULAR_IN_S = frozenset({"pancreas", "atlas", "bias", "whereas", "has", "was", "gas", "alias", "series",
                            "hodgkins"})


class EquivalenceError(ValueError):
    """A malformed equivalence row or source."""


@dataclass
class Vocabulary:
    """The loaded table: phrase (tuple of normalised tokens) -> canonical tokens, and lookups beside it."""

    phrases: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    short: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    upper: dict[str, str] = field(default_factory=dict)  # capitals -> canonical text
    kinds: dict[str, str] = field(default_factory=dict)  # canonical token -> kind of its first row
    cjk: frozenset[str] = frozenset()  # Chinese spellings, matched longest first inside CJK runs
    prefixes: set[str] = field(default_factory=set)  # leading tokens of multi-token concepts ("pleural")
    longest: int = 1
    cjk_longest: int = 1


_extensions: list[tuple[str, str, str, str]] = []
_dependent_caches: list[Callable[[], None]] = []


def vocabulary_cache(fn: Callable) -> Callable:
    """Register an ``lru_cache``d function whose results depend on the table, so extending clears it."""
    _dependent_caches.append(fn.cache_clear)
    return fn


@lru_cache(maxsize=8192)
def normalize_word(word: str) -> str:
    """American spelling and singular of one lower-case word: "oedemas" -> "edema"."""
    for british, american in _SPELLING:
        if british in word:
            word = word.replace(british, american)
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_KEEP_FINAL_S) or word in _SINGULAR_IN_S:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    return word[:-1]


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds Chinese characters (SLAKE zh answers)."""
    return _CJK.search(text) is not None


def tokenize(text: str) -> list[str]:
    """Lower-case tokens of ``text``: words, CJK pieces (known spellings whole, else one per character) and
    separating punctuation. Capitals-only abbreviations are expanded first ("US" -> ultrasound)."""
    vocab = vocabulary()
    s = unicodedata.normalize("NFKC", clip(text))
    if vocab.upper:
        s = _upper_pattern(tuple(vocab.upper)).sub(lambda m: f" {vocab.upper[m.group(1)]} ", s)
    s = _NOT.sub(" not", _APOSTROPHE_S.sub("s", _AMPERSAND.sub(" and ", s.lower())))
    out: list[str] = []
    for token in _TOKEN.findall(s):
        if has_cjk(token):
            out.extend(_segment_cjk(token, vocab))
        else:
            out.append(token)
        if len(out) >= MAX_TOKENS_PER_TEXT:
            break
    return out[:MAX_TOKENS_PER_TEXT]


def rewrite_phrases(tokens: list[str]) -> list[tuple[str, bool]]:
    """``tokens`` with every known spelling replaced by its canonical tokens (longest match first).

    Each item is ``(token, canonical)``; tokens outside the table stay as written (``canonical`` False).
    """
    vocab = vocabulary()
    normalized = [normalize_word(t) for t in tokens]
    out: list[tuple[str, bool]] = []
    i = 0
    while i < len(tokens):
        for size in range(min(vocab.longest, len(tokens) - i), 0, -1):
            canonical = vocab.phrases.get(tuple(normalized[i: i + size]))
            if canonical is not None:
                out.extend((token, True) for token in canonical)
                i += size
                break
        else:
            out.append((tokens[i], False))
            i += 1
    return out


def short_answer_tokens(tokens: list[str]) -> tuple[str, ...] | None:
    """The canonical tokens of a whole short answer that only the short-answer rows know ("R" -> right)."""
    return vocabulary().short.get(tuple(normalize_word(t) for t in tokens))


def canonical_terms(words: list[str]) -> list[tuple[str, int]]:
    """Canonical terms of ``words`` (already lower-case), each with the index of its first output term."""
    terms = [token if canonical else normalize_word(token) for token, canonical in rewrite_phrases(words)]
    return [(term, i) for i, term in enumerate(terms)]


def kind_of(token: str) -> str | None:
    """The kind ("anatomy", "modality", ...) of a canonical token, or ``None`` for words outside the table."""
    return vocabulary().kinds.get(token)


def modifier_tokens() -> set[str]:
    """Tokens that lead a multi-token concept ("pleural" effusion, "chest" x-ray, "adeno" carcinoma)."""
    return vocabulary().prefixes


def extend_equivalences(source: str | Path | Mapping[str, Iterable[str] | str]) -> int:
    """Add equivalences: a TSV file like ``rewards/data/equivalences.tsv`` (``concept<TAB>spellings`` with
    optional ``kind`` and ``source`` columns), or ``{concept: [spelling, ...]}``. Returns rows added.

    Later rows win where a spelling was already known. Every verifier sees the change at once.
    """
    if isinstance(source, Mapping):
        rows = []
        for concept, spellings in source.items():
            listed = spellings.split("|") if isinstance(spellings, str) else list(spellings)
            spelled = "|".join(map(str, listed))
            rows.append(_checked_row(str(concept), "extension", spelled, "mapping", "mapping"))
    else:
        rows = list(_read_rows(Path(source)))
    _extensions.extend(rows)
    clear_vocabulary_caches()
    return len(rows)


def reset_equivalences() -> None:
    """Drop every extension: back to ``EQUIVALENCES_FILE`` alone."""
    _extensions.clear()
    clear_vocabulary_caches()


def clear_vocabulary_caches() -> None:
    """Forget the loaded table and every result computed from it (after an extension)."""
    vocabulary.cache_clear()
    for clear in _dependent_caches:
        clear()


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The table loaded from ``EQUIVALENCES_FILE`` plus every extension, built once."""
    vocab = Vocabulary()
    cjk: set[str] = set(CJK_FUNCTION_WORDS)
    vocab.cjk_longest = max(map(len, CJK_FUNCTION_WORDS))
    rows = [*_read_rows(EQUIVALENCES_FILE), *_extensions]
    for concept, kind, _spellings, _source in sorted(rows, key=lambda row: len(row[0].split())):
        if kind not in (SHORT_KIND, UPPER_KIND):  # a token's own row names its kind, else its first phrase
            for token in concept.split():
                vocab.kinds.setdefault(token, kind)
    for concept, kind, spellings, _source in rows:
        canonical = tuple(concept.split())
        vocab.prefixes.update(canonical[:-1])
        for spelling in filter(None, (s.strip() for s in spellings.split("|"))):
            if kind == UPPER_KIND:
                vocab.upper[spelling] = " ".join(canonical)
                continue
            key = tuple(normalize_word(t) for t in _plain_tokens(spelling))
            for token in filter(has_cjk, key):
                cjk.add(token)
                vocab.cjk_longest = max(vocab.cjk_longest, len(token))
            if key:
                (vocab.short if kind == SHORT_KIND else vocab.phrases)[key] = canonical
                vocab.longest = max(vocab.longest, len(key))
    vocab.cjk = frozenset(cjk)
    return vocab


def _plain_tokens(spelling: str) -> list[str]:
    s = _AMPERSAND.sub(" and ", unicodedata.normalize("NFKC", spelling).lower())
    return _TOKEN.findall(s)


def _segment_cjk(run: str, vocab: Vocabulary) -> list[str]:
    pieces = []
    i = 0
    while i < len(run):
        for size in range(min(vocab.cjk_longest, len(run) - i), 1, -1):
            if run[i: i + size] in vocab.cjk:
                pieces.append(run[i: i + size])
                i += size
                break
        else:
            pieces.append(run[i])
            i += 1
    return pieces


@lru_cache(maxsize=8)
def _upper_pattern(spellings: tuple[str, ...]) -> re.Pattern[str]:
    words = "|".join(re.escape(s) for s in sorted(spellings, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z])({words})(?![A-Za-z])")


def _read_rows(path: Path) -> Iterable[tuple[str, str, str, str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EquivalenceError(f"cannot read equivalence table {path}: {exc}") from exc
    numbered = [(n, line) for n, line in enumerate(lines, 1) if line.strip() and not line.startswith("#")]
    if not numbered:
        return []
    header_line, header = numbered[0]
    names = next(csv.reader([header], delimiter="\t"))
    missing = {"concept", "spellings"} - set(names)
    if missing:
        raise EquivalenceError(
            f"{path}:{header_line}: header {names} lacks {sorted(missing)}; "
            f"use the columns {'/'.join(COLUMNS)}"
        )
    rows = []
    for n, line in numbered[1:]:
        cells = dict(zip(names, line.split("\t"), strict=False))
        rows.append(_checked_row(cells.get("concept", ""), cells.get("kind") or "extension",
                                 cells.get("spellings", ""), cells.get("source", ""), f"{path}:{n}"))
    return rows


def _checked_row(
    concept: str, kind: str, spellings: str, source: str, where: str
) -> tuple[str, str, str, str]:
    concept, spellings = concept.strip().lower(), spellings.strip()
    if not concept or not spellings:
        raise EquivalenceError(f"{where}: a row needs a concept and at least one spelling, got "
                               f"concept={concept!r} spellings={spellings!r}")
    if not re.fullmatch(r"[\w ]{1,80}", concept):
        raise EquivalenceError(f"{where}: concept {concept!r} must be words (letters, digits, '_', spaces)")
    return concept, kind.strip(), spellings, source.strip()
