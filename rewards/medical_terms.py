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
from typing import NamedTuple

from rewards.spelling import normalize_word, with_arabic_numerals
from rewards.text import MAX_TOKENS, clip

EQUIVALENCES_FILE = Path(__file__).with_name("data") / "equivalences.tsv"
COLUMNS = ("concept", "kind", "spellings", "source", "broader")
SHORT_KIND = "short"  # spellings that hold only for a whole short answer ("R" = right)
UPPER_KIND = "upper"  # spellings that hold only in capitals ("US" = ultrasound; "us" is a pronoun)
MAX_TOKENS_PER_TEXT = 2 * MAX_TOKENS
# Words a phrase may hold without changing what it names: "lobe of the lung", "the heart is enlarged".
PHRASE_FILLERS = frozenset({"the", "is", "are", "was", "were", "appears", "appear", "seems", "seem", "looks",
                            "look"})
PREDICATE_KIND = "finding"  # rows whose "enlarged heart" may also be said "heart is enlarged"
PARTICIPLE_ENDINGS = ("ed", "en")  # enlarged, dilated, swollen, broken
# Chinese function words kept whole when a CJK run is cut into pieces (the rest is one piece per character).
CJK_FUNCTION_WORDS = ("还是", "或者", "以及", "没有", "未见", "未发现", "不是", "不存在", "不可见", "是否",
                      "可能",
                      "也许", "或许", "大概", "不确定", "无法", "不能", "发现", "看到", "见到")

# Words, CJK runs and the punctuation that separates list items and clauses.
_TOKEN = re.compile(r"[a-z0-9]+|[\u3400-\u4dbf\u4e00-\u9fff]+|[.,;:!?/、，；：。！？]")
_APOSTROPHE_S = re.compile(r"['’]s\b")
_NOT = re.compile(r"n['’]t\b")
_AMPERSAND = re.compile(r"\s{0,3}&\s{0,3}")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")

class Row(NamedTuple):
    """One row of the equivalence table (see ``COLUMNS``); ``broader`` is space-separated canonical tokens."""

    concept: str
    kind: str
    spellings: str
    source: str
    broader: str = ""


class EquivalenceError(ValueError):
    """A malformed equivalence row or source."""


@dataclass
class Vocabulary:
    """The loaded table: phrase (tuple of normalised tokens) -> canonical tokens, and lookups beside it."""

    phrases: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    short: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict)
    upper: dict[str, str] = field(default_factory=dict)  # capitals -> canonical text
    kinds: dict[str, str] = field(default_factory=dict)  # canonical token -> kind of its first row
    broader: dict[str, frozenset[str]] = field(default_factory=dict)  # "rll" -> {right, lower, lung}
    cjk: frozenset[str] = frozenset()  # Chinese spellings, matched longest first inside CJK runs
    prefixes: set[str] = field(default_factory=set)  # leading tokens of multi-token concepts ("pleural")
    longest: int = 1
    cjk_longest: int = 1


_extensions: list[Row] = []
_dependent_caches: list[Callable[[], None]] = []


def vocabulary_cache(fn: Callable) -> Callable:
    """Register an ``lru_cache``d function whose results depend on the table, so extending clears it."""
    _dependent_caches.append(fn.cache_clear)
    return fn


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
    return with_arabic_numerals(out[:MAX_TOKENS_PER_TEXT])


def rewrite_phrases(tokens: list[str]) -> list[tuple[str, bool]]:
    """``tokens`` with every known spelling replaced by its canonical tokens (longest match first).

    Each item is ``(token, canonical)``; tokens outside the table stay as written (``canonical`` False).
    Articles and copulas (``PHRASE_FILLERS``) go first, so "lobe of the lung" and "heart is enlarged" meet
    the table's "lobe of lung" and "heart enlarged".
    """
    vocab = vocabulary()
    tokens = [t for t in tokens if t not in PHRASE_FILLERS]
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


def short_answer_tokens(tokens: list[str]) -> list[str] | None:
    """``tokens`` of a short answer with the spellings only short answers use expanded ("R" -> right,
    "Lt kidney" -> left kidney): the whole answer first, else word by word; ``None`` when none occurs."""
    short = vocabulary().short
    whole = short.get(tuple(normalize_word(t) for t in tokens))
    if whole is not None:
        return list(whole)
    expanded = [list(short.get((normalize_word(t),), (t,))) for t in tokens]
    flat = [t for piece in expanded for t in piece]
    return flat if flat != tokens else None


def canonical_terms(words: list[str]) -> list[tuple[str, int]]:
    """Canonical terms of ``words`` (already lower-case), each with the index of its first output term."""
    terms = [token if canonical else normalize_word(token) for token, canonical in rewrite_phrases(words)]
    return [(term, i) for i, term in enumerate(terms)]


def kind_of(token: str) -> str | None:
    """The kind ("anatomy", "modality", ...) of a canonical token, or ``None`` for words outside the table."""
    return vocabulary().kinds.get(token)


def broader_terms(token: str) -> frozenset[str]:
    """The canonical tokens a concept implies (its ``broader`` column): "rll" -> {right, lower, lung}."""
    return vocabulary().broader.get(token, frozenset())


def modifier_tokens() -> set[str]:
    """Tokens that lead a multi-token concept ("pleural" effusion, "chest" x-ray, "adeno" carcinoma)."""
    return vocabulary().prefixes


def extend_equivalences(source: str | Path | Mapping[str, Iterable[str] | str]) -> int:
    """Add equivalences: a TSV file like ``rewards/data/equivalences.tsv`` (``concept<TAB>spellings`` with
    optional ``kind``, ``source`` and ``broader`` columns), or ``{concept: [spelling, ...]}``. Returns rows
    added.

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
    for concept, kind, *_ in sorted(rows, key=lambda row: len(row.concept.split())):
        if kind not in (SHORT_KIND, UPPER_KIND):  # a token's own row names its kind, else its first phrase
            for token in concept.split():
                vocab.kinds.setdefault(token, kind)
    for concept, kind, spellings, _source, broader in rows:
        canonical = tuple(concept.split())
        if broader and len(canonical) == 1:
            vocab.broader[concept] = vocab.broader.get(concept, frozenset()) | frozenset(broader.split())
        vocab.prefixes.update(canonical[:-1])
        for spelling in filter(None, (s.strip() for s in spellings.split("|"))):
            if kind == UPPER_KIND:
                vocab.upper[spelling] = " ".join(canonical)
                continue
            key = tuple(normalize_word(t) for t in _plain_tokens(spelling) if t not in PHRASE_FILLERS)
            for token in filter(has_cjk, key):
                cjk.add(token)
                vocab.cjk_longest = max(vocab.cjk_longest, len(token))
            table = vocab.short if kind == SHORT_KIND else vocab.phrases
            if key:
                table[key] = canonical
                vocab.longest = max(vocab.longest, len(key))
            predicate = _predicate_form(key) if kind == PREDICATE_KIND else None
            if predicate:
                table.setdefault(predicate, canonical)  # a spelling written in the table wins
    vocab.cjk = frozenset(cjk)
    return vocab


def _predicate_form(key: tuple[str, ...]) -> tuple[str, ...] | None:
    """"enlarged heart" said as a predicate, "heart (is) enlarged": a leading participle moved last."""
    if len(key) > 1 and key[0].endswith(PARTICIPLE_ENDINGS) and not has_cjk(key[0]):
        return (*key[1:], key[0])
    return None


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


def _read_rows(path: Path) -> Iterable[Row]:
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
                                 cells.get("spellings", ""), cells.get("source", ""), f"{path}:{n}",
                                 cells.get("broader", "")))
    return rows


def _checked_row(
    concept: str, kind: str, spellings: str, source: str, where: str, broader: str = ""
) -> Row:
    concept, spellings = concept.strip().lower(), spellings.strip()
    if not concept or not spellings:
        raise EquivalenceError(f"{where}: a row needs a concept and at least one spelling, got "
                               f"concept={concept!r} spellings={spellings!r}")
    if not re.fullmatch(r"[\w ]{1,80}", concept):
        raise EquivalenceError(f"{where}: concept {concept!r} must be words (letters, digits, '_', spaces)")
    broader = broader.strip().lower()
    if broader and not re.fullmatch(r"[\w ]{1,80}", broader):
        raise EquivalenceError(f"{where}: broader {broader!r} must be canonical tokens separated by spaces")
    return Row(concept, kind.strip(), spellings, source.strip(), broader)
