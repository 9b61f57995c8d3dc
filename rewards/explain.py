"""Which rule decided a score: verifiers call ``decided_by``; ``recording`` collects the calls for one score.

Outside ``recording`` a call costs one context-variable lookup, so verifiers can note rules unconditionally.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_rules: ContextVar[list[str] | None] = ContextVar("medrlvr_decided_by", default=None)


def decided_by(rule: str) -> None:
    """Note that ``rule`` (a short phrase: "hedge: names two alternatives") decided or shaped the score."""
    rules = _rules.get()
    if rules is not None:
        rules.append(rule)


@contextmanager
def recording() -> Iterator[list[str]]:
    """Collect the rules noted while the block runs, in order."""
    rules: list[str] = []
    token = _rules.set(rules)
    try:
        yield rules
    finally:
        _rules.reset(token)
