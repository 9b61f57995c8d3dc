"""Choice options in every shape pipelines write them, as ``{letter: text}``: the one normaliser that
``rewards.compute_score`` and the verl adapter both apply to ``extra_info["options"]``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from rewards.choice import parse_options
from rewards.text import MAX_ANSWER_CHARS

MAX_CACHED_CHARS = 10_000  # a longer JSON string is parsed every time rather than held in the cache
_OPTION_KEY = re.compile(r"\(?\s{0,2}[A-Za-z]\s{0,2}\)?[.):]?")


def normalize_options(raw: object) -> dict[str, str]:
    """``{letter: text}`` from a mapping, a list (lettered A, B, C, ... in order), a JSON string of either,
    parquet's map type (a list of ``(key, value)`` pairs), its all-letters struct (absent letters are
    ``None``) or numpy arrays of these; anything unreadable gives ``{}``.

    The letter and text rules are ``rewards.choice.parse_options``'s; this adds the parquet shapes and
    caches by value (verl calls once per sample with the same few option sets).
    """
    if _already_normal(raw):
        return dict(raw)
    if hasattr(raw, "tolist") and not isinstance(raw, Mapping):  # numpy arrays from parquet
        raw = raw.tolist()
    if _is_pairs(raw):
        raw = dict(raw)
    key = _frozen(raw)
    if key is None:
        return parse_options(raw)
    return dict(_normalized(key))


def _already_normal(raw: object) -> bool:
    """Whether ``raw`` is already what ``parse_options`` returns for it: a dict from single capital letters
    to stripped, non-empty, capped texts that do not all start with their own letter (labels)."""
    if type(raw) is not dict:
        return False
    if not raw:
        return True
    labelled = True
    for letter, text in raw.items():
        if not (type(letter) is str and len(letter) == 1 and "A" <= letter <= "Z"):
            return False
        if not (type(text) is str and text and len(text) <= MAX_ANSWER_CHARS and text == text.strip()):
            return False
        labelled = labelled and text[0].upper() in (letter, "(", "[")
    return not labelled


def _is_pairs(raw: object) -> bool:
    """A parquet map column: a non-empty list of ``(option key, text)`` pairs."""
    return (
        isinstance(raw, list | tuple)
        and bool(raw)
        and all(
            isinstance(item, list | tuple)
            and len(item) == 2
            and isinstance(item[0], str)
            and _OPTION_KEY.fullmatch(item[0].strip()) is not None
            for item in raw
        )
    )


def _frozen(raw: object) -> tuple[str, tuple | str] | None:
    """A cache key for ``raw`` when it holds only strings and ``None`` (so equal keys are equal options:
    ``0`` and ``False`` compare equal but read differently), else ``None``."""
    if isinstance(raw, Mapping):
        items = tuple(raw.items())
        plain = all(type(k) is str and (v is None or type(v) is str) for k, v in items)
        return ("map", items) if plain else None
    if isinstance(raw, list | tuple):
        plain = all(v is None or type(v) is str for v in raw)
        return ("seq", tuple(raw)) if plain else None
    if type(raw) is str and len(raw) <= MAX_CACHED_CHARS:
        return ("json", raw)
    return None


@lru_cache(maxsize=1024)
def _normalized(frozen: tuple[str, tuple | str]) -> tuple[tuple[str, str], ...]:
    kind, value = frozen
    raw = dict(value) if kind == "map" else list(value) if kind == "seq" else value
    return tuple(parse_options(raw).items())
