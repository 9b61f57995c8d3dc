"""Contradicting qualifiers (left/right, T1/T2, benign/malignant, ...) and answers more specific than gold.

The axes live in ``rewards/data/qualifiers.tsv``; ``extend_qualifiers`` adds values at run time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from rewards.concepts import NEGATED, Concepts
from rewards.medical_terms import (
    EquivalenceError,
    broader_terms,
    clear_vocabulary_caches,
    kind_of,
    modifier_tokens,
)

QUALIFIERS_FILE = Path(__file__).with_name("data") / "qualifiers.tsv"
MODIFIER_AXIS = "-"  # rows of compatible modifiers that never contradict ("weighted", "scan", "view")
ADJECTIVE_KINDS = frozenset({"qualifier", "modality", "view", "plane", "sequence", "contrast", "stain"})
_BOTH_SIDES = frozenset({"left", "right"})
HEAD_KINDS = frozenset({"finding", "anatomy"})  # what a qualifier-only gold ("benign") may be said of
MAX_UNKNOWN_MODIFIERS = 2  # words outside the tables an answer may add ("keratinizing", "invasive", "late")
MIN_UNKNOWN_MODIFIER_CHARS = 3
# Words outside the tables that change what the gold names rather than narrow it: never a modifier.
MEANING_CHANGERS = frozenset(
    "non not no without free negative absent excluded exclude excluding except other than rather instead "
    "versus vs either neither nor or rule ruled out cannot can may might could would pseudo mimic mimics "
    "mimicking simulating resembling like lookalike former previous prior history hx resolved resolving "
    "removed resected treated post status differential suspected suspicious questionable query unlikely "
    "doubtful risk".split()
)

_extra_rows: list[tuple[str, str, str]] = []


def extend_qualifiers(source: str | Path | Mapping[str, Mapping[str, Iterable[str]]]) -> int:
    """Add contradicting values: a TSV like ``rewards/data/qualifiers.tsv`` or ``{axis: {value: [terms]}}``.

    Terms are canonical tokens (see ``rewards.medical_terms``). Returns the number of values added.
    """
    if isinstance(source, Mapping):
        rows = [(str(axis), str(value), "|".join(terms))
                for axis, values in source.items() for value, terms in values.items()]
    else:
        rows = _read_rows(Path(source))
    _extra_rows.extend(rows)
    _table.cache_clear()
    clear_vocabulary_caches()
    return len(rows)


def reset_qualifiers() -> None:
    """Drop every extension: back to ``QUALIFIERS_FILE`` alone."""
    _extra_rows.clear()
    _table.cache_clear()
    clear_vocabulary_caches()


def axis_values(terms: Iterable[str]) -> dict[str, frozenset[str]]:
    """The values each axis takes in ``terms`` (negated terms say nothing); left + right is bilateral."""
    table, _ = _table()
    found: dict[str, set[str]] = {}
    for term in terms:
        for axis, value in table.get(term, ()):
            found.setdefault(axis, set()).add(value)
    if found.get("laterality", set()) >= _BOTH_SIDES:
        found["laterality"] = (found["laterality"] - _BOTH_SIDES) | {"bilateral"}
    return {axis: frozenset(values) for axis, values in found.items()}


def conflict(answer: Concepts, gold: Concepts) -> str | None:
    """Why ``answer`` contradicts ``gold`` on a qualifier ("laterality: left vs right"), else ``None``.

    Each list item of the answer is compared with the gold items that share a head term with it (all of
    them when none does): it must agree with at least one on every axis both of them qualify.
    """
    gold_parts = merged_parts(gold.parts or (gold.terms,))
    gold_values = [axis_values(part) for part in gold_parts]
    if not any(gold_values):
        return None
    for part in merged_parts(answer.parts or (answer.terms,)):
        values = axis_values(part)
        if not values:
            continue
        heads = _heads(part)
        sharing = [v for p, v in zip(gold_parts, gold_values, strict=True) if heads & _heads(p)]
        candidates = sharing or gold_values
        clashes = [_clash(values, other) for other in candidates]
        if all(clashes):
            return clashes[0]
    return None


def compatible_modifiers() -> frozenset[str]:
    """Words that qualify without ever contradicting ("weighted", "scan", "view", "film")."""
    return _table()[1]


def more_specific(answer: Concepts, gold: Concepts) -> bool:
    """Whether ``answer`` is ``gold`` plus compatible qualifiers ("chest x-ray" for "x-ray", "T2 MRI" for
    "MRI"): every gold term present or implied ("RLL" implies the right lung), no more list items, and every
    extra term a qualifier, a narrower concept of a gold term, or one of at most ``MAX_UNKNOWN_MODIFIERS``
    words outside the tables ("keratinizing squamous cell carcinoma"), never another finding or organ. A
    gold that is only qualifiers ("benign", "acute") may gain the finding it describes ("benign tumour").
    """
    if not gold.terms or len(answer.parts) > max(1, len(gold.parts)):
        return False
    implied = answer.terms.union(*(broader_terms(t) for t in answer.terms))
    if not gold.terms <= implied:
        return False
    extra = answer.terms - gold.terms
    gold_has_anatomy = any(kind_of(t) == "anatomy" for t in gold.terms)
    heads_allowed = 1 if all(_qualifies(t, True) for t in gold.terms) else 0
    unknown_allowed = MAX_UNKNOWN_MODIFIERS
    for term in extra:
        if _qualifies(term, gold_has_anatomy) or broader_terms(term) & gold.terms:
            continue
        if heads_allowed and kind_of(term) in HEAD_KINDS:
            heads_allowed -= 1
        elif unknown_allowed and _unknown_modifier(term):
            unknown_allowed -= 1
        else:
            return False
    return True


def _unknown_modifier(term: str) -> bool:
    """A word outside every table that may narrow a term: alphabetic, not a word that changes meaning."""
    table, modifiers = _table()
    return (
        term.isalpha()
        and len(term) >= MIN_UNKNOWN_MODIFIER_CHARS
        and term not in MEANING_CHANGERS
        and kind_of(term) is None
        and term not in table
        and term not in modifiers
    )


def _qualifies(term: str, gold_has_anatomy: bool) -> bool:
    if term.startswith(NEGATED):
        return False
    table, modifiers = _table()
    kind = kind_of(term)
    if kind == "anatomy":
        return not gold_has_anatomy
    if term in modifiers or term in modifier_tokens():
        return True
    return term in table and (kind is None or kind in ADJECTIVE_KINDS)


def sides_joined(concepts: Concepts) -> Concepts:
    """``concepts`` with "left X, right X" and "right and left X" read as one item, bilateral X, as "both
    X" is written ("Left Lung, Right Lung" is "both lungs")."""
    if not concepts.parts or not any(_BOTH_SIDES & part for part in concepts.parts):
        return concepts
    joined: list[frozenset[str]] = []
    for part in merged_parts(concepts.parts):
        twin = next((i for i, seen in enumerate(joined) if _mirrored(seen, part)), None)
        if twin is not None:
            joined[twin] = joined[twin] | part
        else:
            joined.append(part)
    joined = [part - _BOTH_SIDES | {"bilateral"} if _BOTH_SIDES <= part else part for part in joined]
    terms = frozenset().union(*joined)
    if terms == concepts.terms and len(joined) == len(concepts.parts):
        return concepts
    return replace(concepts, terms=terms, parts=tuple(joined), units=tuple(sorted(terms)))


def _mirrored(a: frozenset[str], b: frozenset[str]) -> bool:
    """The same item on the other side: {left, lung} and {right, lung}."""
    return any(
        x in a and y in b and a - {x} == b - {y} for x, y in (("left", "right"), ("right", "left"))
    )


def merged_parts(parts: tuple[frozenset[str], ...]) -> list[frozenset[str]]:
    """List items with qualifier-only items joined to the next item that has a head: "left and right lung"
    is one lung qualified left and right (bilateral), not "left" plus "right lung"."""
    merged: list[frozenset[str]] = []
    pending: frozenset[str] = frozenset()
    for part in parts:
        pending |= part
        if _heads(part):
            merged.append(pending)
            pending = frozenset()
    if pending:
        merged.append(pending if not merged else merged.pop() | pending)
    return merged


def _heads(part: Iterable[str]) -> set[str]:
    table, modifiers = _table()
    return {t for t in part if t not in table and t not in modifiers and not t.startswith(NEGATED)}


def _clash(values: Mapping[str, frozenset[str]], gold: Mapping[str, frozenset[str]]) -> str | None:
    for axis, said in values.items():
        if axis in gold and not said <= gold[axis]:
            return f"{axis}: {'/'.join(sorted(said))} vs {'/'.join(sorted(gold[axis]))}"
    return None


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, tuple[tuple[str, str], ...]], frozenset[str]]:
    """term -> its (axis, value) pairs, and the compatible modifiers."""
    table: dict[str, list[tuple[str, str]]] = {}
    modifiers: set[str] = set()
    for axis, value, terms in [*_read_rows(QUALIFIERS_FILE), *_extra_rows]:
        for term in filter(None, (t.strip().lower() for t in terms.split("|"))):
            if axis == MODIFIER_AXIS:
                modifiers.add(term)
            else:
                table.setdefault(term, []).append((axis, value))
    return {term: tuple(pairs) for term, pairs in table.items()}, frozenset(modifiers)


def _read_rows(path: Path) -> list[tuple[str, str, str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise EquivalenceError(f"cannot read qualifier table {path}: {exc}") from exc
    rows = []
    numbered = [(n, line) for n, line in enumerate(lines, 1) if line.strip() and not line.startswith("#")]
    for n, line in numbered[1:]:  # the first is the header
        cells = line.split("\t")
        if len(cells) < 3 or not all(cell.strip() for cell in cells[:3]):
            raise EquivalenceError(f"{path}:{n}: expected axis<TAB>value<TAB>terms, got {line[:80]!r}")
        rows.append((cells[0].strip(), cells[1].strip(), cells[2]))
    return rows
