"""Which verifier judges a row, and why: the config's choice, else the row's registered name, else its type.

Only the config (a recipe or the Python API, trusted) may name a dotted path; a row's ``extra_info`` is
data and may name only a registered verifier, so scoring a row never imports code it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from rewards.answer_types import infer_answer_type
from rewards.registry import Verifier, get_registered_verifier, get_verifier


class Dispatch(NamedTuple):
    """The verifier's name, the callable, and a phrase saying why it was chosen."""

    name: str
    verify: Verifier
    why: str


@lru_cache(maxsize=256)
def resolve_trusted(name: str) -> Dispatch:
    """The verifier the config names: registered, or imported from a dotted path."""
    return Dispatch(name, get_verifier(name), "set in the config (reward.verifier)")


def choose_verifier(ground_truth: str, info: Mapping[str, Any], config_verifier: str | None) -> Dispatch:
    """The verifier for one row (``info`` is its normalised ``extra_info``); an unknown name, a dotted path
    in the row, or an unknown ``answer_type`` raise (a data or config mistake must not silently score 0)."""
    if config_verifier:
        return resolve_trusted(config_verifier)
    row_choice = info.get("verifier")
    if row_choice is not None and row_choice != "":
        verify = get_registered_verifier(row_choice)
        return Dispatch(row_choice, verify, "named by the row's extra_info['verifier']")
    name = infer_answer_type(ground_truth, info)
    declared = info.get("answer_type")
    declared = str(declared).strip() if declared is not None else ""
    return _by_type(name, declared, bool(info.get("options")))


@lru_cache(maxsize=256)
def _by_type(name: str, declared: str, has_options: bool) -> Dispatch:
    if declared:
        reason = f"the row's answer_type {declared!r}" + ("" if declared == name else f", read as {name!r}")
    elif has_options:
        reason = "inferred: the row has options"
    else:
        reason = "inferred from the ground truth (no answer_type, no options)"
    return Dispatch(name, get_registered_verifier(name, where="the answer type"), reason)
