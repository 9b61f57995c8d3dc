"""Registry of dataset converters: a dict plus a decorator; an unknown name lists the known ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rlvr.data.records import Record

Reader = Callable[[Path], Iterator[Record]]


@dataclass(frozen=True)
class Source:
    name: str
    layout: str  # the released layout(s) it reads
    read: Reader
    # which rows -> the benchmark they are, as the Lingshu tables name it: {"test": "VQA-RAD test"}
    evaluates: Mapping[str, str] = field(default_factory=dict)

    @property
    def benchmarks(self) -> tuple[str, ...]:
        return tuple(self.evaluates.values())

    @property
    def description(self) -> str:
        """What `rlvr data sources` shows: the layout, then which rows are which benchmark."""
        tagged = "; ".join(f"{rows} -> '{benchmark}'" for rows, benchmark in self.evaluates.items())
        return f"{self.layout}; {tagged}" if tagged else self.layout


SOURCES: dict[str, Source] = {}


def register_source(
    name: str, layout: str, evaluates: Mapping[str, str] | None = None
) -> Callable[[Reader], Reader]:
    def decorate(read: Reader) -> Reader:
        if name in SOURCES:
            raise ValueError(f"a data source named {name!r} is already registered")
        SOURCES[name] = Source(name, layout, read, dict(evaluates or {}))
        return read

    return decorate


def get_source(name: str) -> Source:
    if name not in SOURCES:
        raise KeyError(f"unknown data source {name!r}; known sources: {', '.join(sorted(SOURCES))}")
    return SOURCES[name]
