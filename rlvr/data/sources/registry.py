"""Registry of dataset converters: a dict plus a decorator; an unknown name lists the known ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rlvr.data.records import Record

Reader = Callable[[Path], Iterator[Record]]


@dataclass(frozen=True)
class Source:
    name: str
    description: str  # the released layout it reads, shown by `rlvr data sources`
    read: Reader


SOURCES: dict[str, Source] = {}


def register_source(name: str, description: str) -> Callable[[Reader], Reader]:
    def decorate(read: Reader) -> Reader:
        if name in SOURCES:
            raise ValueError(f"a data source named {name!r} is already registered")
        SOURCES[name] = Source(name, description, read)
        return read

    return decorate


def get_source(name: str) -> Source:
    if name not in SOURCES:
        raise KeyError(f"unknown data source {name!r}; known sources: {', '.join(sorted(SOURCES))}")
    return SOURCES[name]
