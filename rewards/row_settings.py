"""Verifier settings a data row may give in ``extra_info``, and their caps: rows are data, not config.

A row may adjust a verifier only within these bounds (``numeric_rtol=1e308`` would make every number
right); a wider setting belongs in the recipe (``reward.numeric_rtol``), which is trusted.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rewards.open_ended import OPEN_METRICS

MAX_ROW_RTOL = 0.05  # relative tolerance a row may ask for: 5% of the ground truth
MAX_ROW_ATOL = 1e-6  # absolute tolerance (it matters for a zero ground truth): float noise, no more


class RowSettingError(ValueError):
    """A row's ``extra_info`` sets a verifier setting to a value outside what a row may set."""


@dataclass(frozen=True)
class NumberIn:
    """A finite real number in ``[low, high]``."""

    low: float
    high: float

    def allows(self, value: Any) -> bool:
        real = isinstance(value, numbers.Real) and not isinstance(value, bool)
        return real and math.isfinite(value) and self.low <= value <= self.high

    def describe(self) -> str:
        return f"a number in [{self.low:g}, {self.high:g}]"


@dataclass(frozen=True)
class OneOf:
    """One of a few fixed strings."""

    choices: tuple[str, ...]

    def allows(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.choices

    def describe(self) -> str:
        return "one of " + ", ".join(map(repr, self.choices))


# Every extra_info key a built-in verifier reads as a setting; add a key here when a verifier starts
# reading a new one. ("answer_type" and "verifier" are checked where they are read.)
ROW_SETTINGS: dict[str, NumberIn | OneOf] = {
    "numeric_rtol": NumberIn(0.0, MAX_ROW_RTOL),
    "numeric_atol": NumberIn(0.0, MAX_ROW_ATOL),
    "open_metric": OneOf(OPEN_METRICS),
}


def check_row_settings(extra_info: Mapping[str, Any]) -> None:
    """Raise ``RowSettingError`` naming the key, the value and the allowed range for the first row setting
    out of bounds; ``None`` (parquet's fill for an absent key) means "not set" and passes."""
    for key, rule in ROW_SETTINGS.items():
        value = extra_info.get(key)
        if value is None or rule.allows(value):
            continue
        raise RowSettingError(
            f"extra_info[{key!r}]={value!r} is not allowed: a data row may set {key} to {rule.describe()}. "
            f"Fix the row, or leave {key} out of it and set reward.{key} in the recipe"
        )
