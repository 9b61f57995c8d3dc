"""Guards for every answer type: instructions to the grader, a question instead of an answer, a copy of
the question, and catch-alls ("none of the above", "cannot be determined") that are not the ground truth.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from rewards.choice import parse_options
from rewards.closed import CLOSED_ANSWERS
from rewards.text import clip, normalize_text

MAX_GUARDED_CHARS = 2_000
COPY_MIN_WORDS = 3  # a copy of the question needs at least this many words ...
COPY_MIN_SHARE = 0.9  # ... nearly all of them the question's ...
COPY_MIN_COVERAGE = 0.6  # ... covering most of the question

_GRADER = re.compile(
    r"\b(?:grader|graders|evaluator|evaluators|verifier|reward\s{0,3}model|reward\s{0,3}function|the\s+judge"
    r"|judge\s+(?:must|should|will)|auto\s?-?grader|scoring\s+(?:system|model|function|rubric)"
    r"|(?:system|admin|developer)\s{0,3}(?:override|prompt|message|instruction)"
    r"|ignore\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier|preceding)\s+"
    r"(?:instructions?|rules?|prompts?)"
    r"|disregard\s+(?:all\s+|the\s+)?(?:previous|prior|above)|new\s+instructions?"
    r"|(?:mark|grade|score|rate|label|count|treat|judge)\s+"
    r"(?:this|it|that|my\s+answer|the\s+answer|me|this\s+answer)"
    r"\s+(?:as\s+)?(?:correct|right|true|full|1|100|perfect|a\s+match)"
    r"|\b(?:full|maximum|max|perfect|highest|top)\s+(?:score|marks?|points?|reward|credit)\b"
    r"|full\s+(?:marks|credit|score)|(?:reward|score)\s{0,3}[=:]\s{0,3}1\.0+\b"
    r"|(?:reward|(?:your|my|the|final|this)\s+score)\s{0,3}(?:=|:|is)\s{0,3}(?:1(?:\.0+)?|100\s?%?|max)\b"
    r"|(?:this|my)\s+answer\s+is\s+(?:correct|right)|always\s+(?:correct|right)"
    r"|(?:^|[.!:;]\s{0,3}|\b(?:must|should|please|to|then|and)\s+)(?:output|return|print|respond\s+with)\s+"
    r"(?:1(?:\.0+)?|yes|true|correct|full)\b"
    r"|\b(?:reward|score|acc|accuracy)\s{0,3}(?:=|==)\s{0,3}[\d.]{1,8}"
    r"|\b(?:reference|expected|gold(?:en)?|target|standard|model)\s{1,3}(?:answer|label|solution)s?\b"
    r"|\bground[\s_-]{0,2}truths?\b|\banswer\s{1,3}key\b)"
    # chat-template control tokens: <|im_start|>, <|system|>, [INST], <<SYS>>, <|eot_id|>
    r"|<\|[a-z_]{2,24}\|>|\[/?INST\]|<</?SYS>>"
    r"|(?:评分|打分|评分员|评分者|阅卷|奖励|满分|判为正确|判定为正确|标记为正确|算作正确|参考答案|标准答案"
    r"|忽略(?:之前|以上|前面|先前|所有)"
    r"|系统(?:覆盖|指令|提示)|输出\s{0,3}1)",
    re.IGNORECASE,
)
_CATCH_ALL = re.compile(
    r"^(?:(?:the\s+)?(?:answer|final\s+answer)\s+(?:is\s+)?)?(?:it\s+is\s+|it's\s+|this\s+is\s+)?"
    r"(?:none\s+of\s+(?:the\s+)?(?:above|options|choices|these|them)"
    r"|all\s+of\s+(?:the\s+)?(?:above|options|these|them)"
    r"|(?:it\s+)?(?:cannot|can\s?not|can't)\s+be\s+(?:determined|assessed|answered|said|known|evaluated|told)"
    r"|(?:not|cannot\s+be)\s+determin(?:ed|able)|undeterminable|indeterminate|unknown|unclear|uncertain|not\s+sure"
    r"|i\s+(?:do\s+not|don't)\s+know"
    r"|(?:not\s+enough|insufficient|inadequate|limited)\s+(?:information|data|evidence|detail)"
    r"|(?:unable|impossible)\s+to\s+(?:determine|tell|say|assess|answer)|no\s+answer|n/?a"
    r"|无法(?:确定|判断|回答)|不知道|不确定|以上都不是|以上皆非|以上都是|信息不足)"
    r"(?:\s+(?:from|based\s+on|with|given|on|in)\s+(?:the\s+|this\s+)?(?:image|picture|scan|information|data|findings?"
    r"|options?|question))?$",
    re.IGNORECASE,
)
_ASKS = re.compile(
    r"^(?:is|are|was|were|does|do|did|can|could|would|should|will|has|have|what|which|where|when|why|how|who)\s+"
    r"(?:it|this|that|there|the|a|an|these|those|he|she|they|you|i|we|its|any)\b",
    re.IGNORECASE,
)
_ASKS_ZH = re.compile(r"(?:吗|呢|是否|有没有|是不是)\s{0,3}[?？。]?$|^是否")
_QUESTION_FILLER = frozenset("image picture scan shown seen in this the of a an".split())


def void_reason(answer: str, ground_truth: str, extra_info: Mapping[str, Any] | None) -> str | None:
    """Why ``answer`` scores 0 whatever its verifier says, or ``None``.

    ``answer`` is the extracted answer; ``extra_info`` may carry ``question`` and ``options``. An answer
    equal to the ground truth, or naming one of the row's options by its text, is never a catch-all.
    """
    text = unicodedata.normalize("NFKC", clip(answer, MAX_GUARDED_CHARS)).strip()
    if not text:
        return None
    reason = _answer_reason(text)
    if reason:
        return reason
    info = extra_info or {}
    question = info.get("question")
    if isinstance(question, str) and _copies(text, question, ground_truth):
        return "guard: the answer copies the question"
    return _catch_all(text, ground_truth, info)


@lru_cache(maxsize=16384)
def _answer_reason(text: str) -> str | None:
    """The guards that read the answer alone (cached: rollouts repeat short answers)."""
    if _GRADER.search(text):
        return "guard: addresses the grader or the scoring"
    if _is_question(text):
        return "guard: the answer is a question"
    return None


def _is_question(text: str) -> bool:
    """Whether ``text`` asks instead of answering; a question it answers itself ("Is there a mass? Yes.")
    is an answer."""
    stripped = text.rstrip(" .")
    asked_at = max(stripped.rfind("?"), stripped.rfind("？"))
    if 0 <= asked_at < len(stripped) - 1 and stripped[asked_at + 1:].strip(" .。"):
        return False
    return stripped.endswith(("?", "？")) or bool(_ASKS.match(stripped)) or bool(_ASKS_ZH.search(stripped))


def _copies(text: str, question: str, truth: str) -> bool:
    """A near-verbatim copy of the question that does not carry the ground truth ("the liver free of
    focal lesions" for "What is seen?"); a restated yes/no question is an answer, scored by its verifier."""
    said = [w for w in normalize_text(text).split() if w not in _QUESTION_FILLER]
    if len(said) < COPY_MIN_WORDS:
        return False
    asked = [w for w in normalize_text(clip(question)).split() if w not in _QUESTION_FILLER]
    gold_text = normalize_text(truth)
    gold = set(gold_text.split())
    if not asked or gold_text in CLOSED_ANSWERS or (gold and gold <= set(said)):
        return False
    asked_set = set(asked)
    share = sum(w in asked_set for w in said) / len(said)
    coverage = len(asked_set & set(said)) / len(asked_set)
    return share >= COPY_MIN_SHARE and coverage >= COPY_MIN_COVERAGE


def _catch_all(text: str, truth: str, info: Mapping[str, Any]) -> str | None:
    plain = text.rstrip(" .!。")
    if not _CATCH_ALL.match(plain):
        return None
    said = normalize_text(plain)
    if said == normalize_text(truth) or _CATCH_ALL.match(clip(truth).strip().rstrip(" .!。")):
        return None
    if any(normalize_text(option) == said for option in parse_options(info.get("options")).values()):
        return None
    return "guard: a catch-all that is not the ground truth"
