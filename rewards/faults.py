"""Verifier faults of a batch: counts by kind, the fault rate, the first fault and its row, the stop rule.

A fault (the verifier raised, returned a non-score, or timed out) is no verdict on the answer: callers drop
those rows, and stop when more than ``max_error_rate`` of a batch's rows faulted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rewards.batch import ERROR, SKIPPED, TIMEOUT, BatchResult

DEFAULT_MAX_ERROR_RATE = 0.01  # recipe key reward.max_error_rate: 1% of a batch's rows


class TooManyFaults(RuntimeError):
    """More verifier faults than ``max_error_rate`` allows: the scores cannot be trusted."""


@dataclass(frozen=True)
class FaultReport:
    """Faults among ``rows`` scored rows; ``first`` is ``(where, error)`` of the first fault, if any."""

    rows: int
    errors: int = 0
    timeouts: int = 0
    skipped: int = 0  # not scored because the batch stopped early (counted neither as error nor timeout)
    first: tuple[str, str] | None = None

    @property
    def faults(self) -> int:
        return self.errors + self.timeouts

    @property
    def rate(self) -> float:
        return self.faults / self.rows if self.rows else 0.0

    def exceeds(self, max_error_rate: float) -> bool:
        return self.skipped > 0 or self.faults > allowed_faults(self.rows, max_error_rate)

    def describe(self, max_error_rate: float, key: str = "reward.max_error_rate") -> str:
        """One paragraph: how many rows faulted, the limit, the first fault and its row, what to do."""
        counted = (
            f"{self.faults} of {self.rows} rows"
            if not self.skipped
            else (f"{self.faults} of the first {self.rows - self.skipped} of {self.rows} rows")
        )
        where, error = self.first or ("?", "?")
        return (
            f"verifier faults in {counted} ({self.errors} error(s), {self.timeouts} timeout(s)), more "
            f"than {key}={max_error_rate:g} allows. First fault, at {where}: {error}. Fix the verifier "
            f"(or raise reward.timeout_s for slow ones), or raise {key} to tolerate some faults."
        )

    def check(self, max_error_rate: float, key: str = "reward.max_error_rate") -> None:
        """Raise ``TooManyFaults`` when the faults exceed ``max_error_rate`` of the rows."""
        if self.exceeds(max_error_rate):
            raise TooManyFaults(self.describe(max_error_rate, key))


def allowed_faults(rows: int, max_error_rate: float) -> int:
    """The most faults ``rows`` rows may have at ``max_error_rate`` (rate = faults / rows, stop above it)."""
    return math.floor(max_error_rate * rows + 1e-9)


def check_max_error_rate(value: object) -> float:
    """``value`` as a rate in [0, 1], else a ``ValueError`` naming the key."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError(f"reward.max_error_rate={value!r} must be a fraction of rows in [0, 1] (0.01 = 1%)")
    return float(value)


def fault_report(results: Sequence[BatchResult], places: Sequence[str] | None = None) -> FaultReport:
    """Count the faults of ``results``; ``places[i]`` names row i in the report (default: ``row i``)."""
    counts = {ERROR: 0, TIMEOUT: 0, SKIPPED: 0}
    first = None
    for i, result in enumerate(results):
        if result.kind not in counts:
            continue
        counts[result.kind] += 1
        if first is None and result.kind != SKIPPED:
            first = (places[i] if places is not None else f"row {i}", result.error or result.kind)
    return FaultReport(len(results), counts[ERROR], counts[TIMEOUT], counts[SKIPPED], first)
