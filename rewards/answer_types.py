"""Which verifier a row needs: its ``answer_type``, else inferred from its options and ground truth."""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from rewards.choice import parse_options
from rewards.closed import CLOSED_ANSWERS
from rewards.text import clip, normalize_text

ANSWER_TYPES = ("choice", "closed", "numeric", "open")
# Spellings datasets use for the same types (VQA-RAD writes "CLOSED"/"OPEN", PMC-VQA multiple choice).
ANSWER_TYPE_ALIASES = {
    "mcq": "choice",
    "multiple_choice": "choice",
    "multichoice": "choice",
    "multi_choice": "choice",
    "yes_no": "closed",
    "yesno": "closed",
    "binary": "closed",
    "closed_ended": "closed",
    "number": "numeric",
    "numerical": "numeric",
    "free_form": "open",
    "free_text": "open",
    "open_ended": "open",
}
NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
    "half".split()
)
MAX_UNIT_WORDS = 2  # "12 mm", "120 beats/min", "3 mm hg": a number and at most this many unit words

_NUMBER = re.compile(
    r"^[-+−]?(?:\d{1,15}(?:[.,]\d{1,15})*|\.\d{1,15})(?:\s{0,4}/\s{0,4}\d{1,15})?"
    r"(?:\s{0,4}(?:%|[a-zµμ°²³/.]{1,12}(?<!st)(?<!nd)(?<!rd)(?<!th)))?"
    r"(?:\s+[a-zµμ°²³/.]{1,12}){0,2}$"
)


def infer_answer_type(ground_truth: str, extra_info: Mapping[str, Any] | None) -> str:
    """One of ``ANSWER_TYPES`` for a row.

    ``extra_info["answer_type"]`` wins when set (case-insensitive, aliases such as "CLOSED",
    "multiple_choice" or "yes/no" accepted; anything else is a ``ValueError``): the dataset's label decides,
    so a "closed" row whose answer is no yes/no ("AP" to "Is this an AP or PA film?") stays "closed" and is
    scored as a choice between the question's alternatives. Otherwise: options
    present -> "choice"; a yes/no ground truth -> "closed"; a number, fraction, number word or number with
    a unit ("12 mm") -> "numeric"; anything else -> "open".
    """
    info = extra_info or {}
    declared = info.get("answer_type")
    if declared is not None and str(declared).strip():
        return _declared_type(declared)
    if parse_options(info.get("options")):
        return "choice"
    truth = normalize_text(clip(ground_truth), drop_articles=False)
    if truth in CLOSED_ANSWERS:
        return "closed"
    if looks_numeric(clip(ground_truth)):
        return "numeric"
    return "open"


def looks_numeric(text: str) -> bool:
    """Whether ``text`` is a number with at most a short unit: "3", "-2.5", "1/2", "45%", "12 mm", "two"."""
    s = unicodedata.normalize("NFKC", text[:200]).strip().lower().rstrip(".")
    words = s.split()
    if not words or len(words) > 1 + MAX_UNIT_WORDS:
        return False
    if not (_NUMBER.match(s) or words[0] in NUMBER_WORDS):
        return False
    parse_number = _full_parser()
    return parse_number is None or parse_number(s) is not None


@lru_cache(maxsize=1)
def _full_parser():
    """``rewards.numeric.parse_number`` when that module is installed, so "numeric" rows stay readable."""
    try:
        return importlib.import_module("rewards.numeric").parse_number
    except (ImportError, AttributeError):
        return None


def _declared_type(declared: object) -> str:
    key = re.sub(r"[\s/-]+", "_", str(declared).strip().lower())
    if key in ANSWER_TYPES:
        return key
    if key in ANSWER_TYPE_ALIASES:
        return ANSWER_TYPE_ALIASES[key]
    raise ValueError(
        f"extra_info['answer_type'] is {declared!r}; use one of {', '.join(ANSWER_TYPES)} "
        f"(or an alias: {', '.join(sorted(ANSWER_TYPE_ALIASES))}), or leave it out to infer it"
    )
