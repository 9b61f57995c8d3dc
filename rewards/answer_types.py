"""Which verifier a row needs: its ``answer_type``, else inferred from its options and ground truth."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rewards.choice import parse_options
from rewards.closed import CLOSED_ANSWERS
from rewards.measurements import plain_measurement
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
MAX_UNIT_WORDS = 2  # "12 mm", "120 beats/min", "3 lesions": a measurement and at most this many other words
MAX_NUMERIC_WORDS = 8  # "between 5 and 10 mm", "3 x 2 x 1 cm"; longer ground truths are sentences
# A negative ground truth that answers "what/which" (SLAKE zh "图中有哪些疾病？" -> 无) says "none": an open
# answer whose class holds "no disease", "未见异常", "normal"; not a yes/no.
NONE_ANSWERS = frozenset({"无", "没有", "none", "nothing", "nil"})
_ASKS_WHICH = re.compile(
    r"^\s{0,8}(?:what|which|where|who|whose|how\s+many|list|name)\b|什么|哪|几个|多少", re.IGNORECASE
)
_ASKS_YES_NO_ZH = re.compile(r"是否|吗|是不是|有没有|有无")


def infer_answer_type(ground_truth: str, extra_info: Mapping[str, Any] | None) -> str:
    """One of ``ANSWER_TYPES`` for a row.

    ``extra_info["answer_type"]`` wins when set (case-insensitive, aliases such as "CLOSED",
    "multiple_choice" or "yes/no" accepted; anything else is a ``ValueError``): the dataset's label decides,
    so a "closed" row whose answer is no yes/no ("AP" to "Is this an AP or PA film?") stays "closed" and is
    scored as a choice between the question's alternatives. Otherwise: options
    present -> "choice"; "none" (无, 没有) to a what/which question -> "open" (the "no finding" class); a
    yes/no ground truth -> "closed"; a number, fraction, number word or number with
    a unit ("12 mm") -> "numeric"; anything else -> "open".
    """
    info = extra_info or {}
    declared = info.get("answer_type")
    if declared is not None and str(declared).strip():
        return _declared_type(declared)
    if parse_options(info.get("options")):
        return "choice"
    truth = normalize_text(clip(ground_truth), drop_articles=False)
    if truth in NONE_ANSWERS and asks_which(info.get("question")):
        return "open"
    if truth in CLOSED_ANSWERS:
        return "closed"
    if looks_numeric(clip(ground_truth)):
        return "numeric"
    return "open"


def asks_which(question: object) -> bool:
    """Whether ``question`` asks for a thing ("What diseases ...?", "图中有哪些疾病？"), not for a yes/no."""
    if not isinstance(question, str):
        return False
    asked = clip(question, 300)
    return bool(_ASKS_WHICH.search(asked)) and not _ASKS_YES_NO_ZH.search(asked)


def looks_numeric(text: str) -> bool:
    """Whether ``text`` is a measurement with at most a short unit or noun: "3", "-2.5", "1/2", "45%",
    "12 mm", "two", "5-10 mm", "2 to 3", "3.5 x 2.1 cm", "> 5 mm", "两个"; not "grade 2" or "5th rib"."""
    s = text[:200]
    if not s.strip() or len(s.split()) > MAX_NUMERIC_WORDS:
        return False
    return plain_measurement(s, MAX_UNIT_WORDS) is not None


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
