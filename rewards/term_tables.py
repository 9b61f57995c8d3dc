"""The user's equivalence and qualifier tables (``reward.equivalences`` / ``reward.qualifiers``), loaded once
per process before scoring, so every worker (a scoring pool, a Ray task, verl's reward workers) knows them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from rewards.medical_terms import EquivalenceError, extend_equivalences
from rewards.qualifiers import extend_qualifiers

_loaded: set[tuple[str, Path]] = set()


def checked_table_paths(setting: str, paths: object) -> tuple[str, ...]:
    """``paths`` as a tuple of readable files; a clear error naming the setting otherwise."""
    if isinstance(paths, str) or not isinstance(paths, Sequence):
        raise ValueError(f"reward setting {setting}={paths!r} must be a list of TSV file paths")
    for path in paths:
        if not isinstance(path, str) or not Path(path).is_file():
            raise ValueError(
                f"reward setting {setting}: {path!r} is not a file; give the path of a TSV laid out like "
                f"rewards/data/{setting}.tsv"
            )
    return tuple(paths)


def load_term_tables(equivalences: Sequence[str], qualifiers: Sequence[str]) -> None:
    """Extend the vocabulary with each table not yet loaded in this process (a bad row is an error)."""
    _load("equivalences", equivalences, extend_equivalences)
    _load("qualifiers", qualifiers, extend_qualifiers)


def _load(kind: str, paths: Sequence[str], extend: Callable[[Path], int]) -> None:
    for path in paths:
        key = (kind, Path(path).resolve())
        if key in _loaded:
            continue
        try:
            extend(key[1])
        except EquivalenceError as exc:
            raise ValueError(f"reward.{kind}: {exc}") from exc
        _loaded.add(key)
