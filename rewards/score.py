"""One response -> reward: extract the answer, pick a verifier, add format reward, subtract penalties.

``compute_score`` always returns the same float keys (``SCORE_KEYS``) so trainers can log them as columns.
A response that gives conflicting final answers scores ``acc`` 0 (``rewards.extract.find_answer``). A
verifier that crashes or returns a non-score is a fault (``Scored.fault``), never a wrong answer.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from rewards.dispatch import Dispatch, choose_verifier
from rewards.explain import decided_by
from rewards.extract import MAX_CANDIDATES, Extraction, find_answer
from rewards.format import format_reward
from rewards.guards import void_reason
from rewards.open_ended import OPEN_METRICS
from rewards.options import normalize_options
from rewards.penalties import length_severity, repetition_severity
from rewards.registry import VerifierError, check_module_name, import_modules
from rewards.row_settings import check_row_settings
from rewards.term_tables import checked_table_paths, load_term_tables
from rewards.text import MAX_RESPONSE_CHARS, clip, clip_tail

SCORE_KEYS = ("score", "acc", "format", "length_penalty", "repetition_penalty", "answer_found")
LENGTH_UNITS = ("chars", "words")
VERIFIER_SETTINGS = ("numeric_rtol", "open_metric")  # config fields the verifiers read from extra_info
CONFIG_ALIASES = {"custom_verifier": "verifier"}  # the recipe's `reward.custom_verifier` spelling
_TAG = re.compile(r"[A-Za-z_][\w.-]{0,31}")


@dataclass(frozen=True)
class RewardConfig:
    """How a response is turned into a reward; every field can be set from a recipe's ``reward:`` block.

    ``score = acc_weight*acc + format_weight*format - length_penalty - repetition_penalty`` where each
    penalty is its coefficient times a severity in [0, 1] (see ``rewards.penalties``). A config is trusted
    (a recipe, the Python API): its ``verifier`` may be a dotted path and its tolerances are not capped. A
    data row's ``extra_info`` may override ``numeric_rtol`` / ``numeric_atol`` / ``open_metric`` only
    within ``rewards.row_settings.ROW_SETTINGS`` (``numeric_rtol`` at most 0.05, ``numeric_atol`` at most
    1e-6) and may name only a registered verifier.
    """

    acc_weight: float = 1.0
    format_weight: float = 0.5
    think_tag: str = "think"
    answer_tag: str = "answer"
    numeric_rtol: float = 1e-3  # relative tolerance of the numeric verifier
    open_metric: str = "f1"  # how the open-ended verifier compares free text
    verifier: str | None = None  # force one verifier (registered name or dotted path) for every row
    length_penalty: float = 0.0  # coefficient; 0 switches the length penalty off
    length_unit: str = "words"  # "chars" or "words"
    length_target: int = 512  # no penalty up to this length ...
    length_max: int = 1024  # ... full penalty from this length on
    repetition_penalty: float = 0.0  # coefficient; 0 switches the repetition penalty off
    repetition_ngram: int = 4  # n of the word n-grams whose repeats are counted
    imports: tuple[str, ...] = ()  # modules imported before scoring (their @register_verifier calls run)
    equivalences: tuple[str, ...] = ()  # TSV files of extra synonyms (rewards/data/equivalences.tsv's layout)
    qualifiers: tuple[str, ...] = ()  # TSV files of contradicting values (rewards/data/qualifiers.tsv's)

    def __post_init__(self) -> None:
        for name in ("acc_weight", "format_weight", "numeric_rtol", "length_penalty", "repetition_penalty"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise ValueError(f"reward setting {name}={value!r} must be a finite number")
            if value < 0:
                raise ValueError(f"reward setting {name}={value!r} must be >= 0")
            object.__setattr__(self, name, float(value))
        for name in ("length_target", "length_max", "repetition_ngram"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"reward setting {name}={value!r} must be a whole number >= 0")
        if self.repetition_ngram < 1:
            raise ValueError(f"reward setting repetition_ngram={self.repetition_ngram} must be >= 1")
        if self.length_max <= self.length_target:
            raise ValueError(
                f"reward setting length_max={self.length_max} must be greater than "
                f"length_target={self.length_target}"
            )
        if self.length_unit not in LENGTH_UNITS:
            raise ValueError(f"reward setting length_unit={self.length_unit!r} must be one of {LENGTH_UNITS}")
        for name in ("think_tag", "answer_tag"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _TAG.fullmatch(value):
                raise ValueError(f"reward setting {name}={value!r} must be a tag name such as 'answer'")
        if self.open_metric not in OPEN_METRICS:
            raise ValueError(f"reward setting open_metric={self.open_metric!r} must be one of {OPEN_METRICS}")
        if self.verifier is not None and (not isinstance(self.verifier, str) or not self.verifier):
            raise ValueError(f"reward setting verifier={self.verifier!r} must be a verifier name or null")
        if isinstance(self.imports, str) or not isinstance(self.imports, Sequence):
            raise ValueError(f"reward setting imports={self.imports!r} must be a list of module names")
        try:
            object.__setattr__(self, "imports", tuple(check_module_name(m) for m in self.imports))
        except VerifierError as exc:
            raise ValueError(f"reward setting imports: {exc}") from None
        for name in ("equivalences", "qualifiers"):
            object.__setattr__(self, name, checked_table_paths(name, getattr(self, name)))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], where: str = "reward settings") -> RewardConfig:
        """From a dict (a recipe's ``reward:`` block, verl's ``reward_kwargs``); unknown keys are errors."""
        known = {f.name for f in fields(cls)}
        spellings = ", ".join(sorted(known | set(CONFIG_ALIASES)))
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            name = CONFIG_ALIASES.get(key, key)
            if name not in known:
                raise TypeError(f"unknown key {key!r} in {where}; known keys: {spellings}")
            kwargs[name] = value
        return cls(**kwargs)


class VerifierFault(RuntimeError):
    """A verifier raised or returned something that is not a number in [0, 1]: no verdict on the answer."""

    def __init__(self, verifier: str, problem: str):
        super().__init__(f"verifier {verifier!r} {problem}")
        self.verifier = verifier
        self.problem = problem


@dataclass(frozen=True)
class Scored:
    """``scores`` has exactly ``SCORE_KEYS``; ``verifier`` names the verifier that judged the answer and
    ``verifier_reason`` says why it was chosen; ``found`` is what the response answered, and where.
    ``fault`` says why the verifier gave no verdict (then ``acc`` is a 0 placeholder, not a judgement)."""

    scores: dict[str, float]
    verifier: str
    verifier_reason: str = ""
    found: Extraction | None = None
    fault: str | None = None


DEFAULT_CONFIG = RewardConfig()


class _Fault(Exception):
    """Carries a verifier fault out of ``_judge_all`` (several candidates are judged in turn)."""


def _verifier_info(extra_info: Mapping[str, Any], config: RewardConfig) -> dict[str, Any]:
    """The row's metadata, its settings checked against the row caps, its options normalised, plus the
    config's verifier settings where the row sets none (parquet fills a key other rows have with None)."""
    check_row_settings(extra_info)
    info = dict(extra_info)
    for key in VERIFIER_SETTINGS:
        if info.get(key) is None:
            info[key] = getattr(config, key)
    if "options" in info:
        info["options"] = normalize_options(info["options"])
    return info


def _judge(verifier: Dispatch, answer: str, ground_truth: str, info: Mapping[str, Any]) -> float:
    """The verifier's score in [0, 1]; a crash or an invalid value raises ``_Fault`` (no verdict)."""
    try:
        value = verifier.verify(answer, ground_truth, info)
    except Exception as exc:  # a verifier bug is a fault of this row, never a wrong answer
        raise _Fault(f"raised {type(exc).__name__}: {clip(str(exc), 300)}") from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value <= 1.0:
        raise _Fault(f"returned {clip(repr(value), 100)}, not a number in [0, 1]")
    return float(value)


def _judge_all(verifier: Dispatch, found: Extraction, ground_truth: str, info: Mapping[str, Any]) -> float:
    """The answer's score when the response commits to one answer; when it gives several different
    ones, their common score if every one earns the same non-zero score, else 0 (a conflict)."""
    if len(found.candidates) <= 1:
        return _judge(verifier, found.answer or "", ground_truth, info)
    shown = " vs ".join(repr(c[:60]) for c in found.candidates[:4])
    if len(found.candidates) > MAX_CANDIDATES:
        decided_by(f"conflict: {found.conflict}: more than {MAX_CANDIDATES} different answers ({shown}, ...)")
        return 0.0
    verdicts = [_judge(verifier, candidate, ground_truth, info) for candidate in found.candidates]
    if verdicts[0] > 0.0 and all(math.isclose(v, verdicts[0], abs_tol=1e-9) for v in verdicts):
        decided_by(f"consistent: {len(verdicts)} different wordings all score {verdicts[0]:g}: {shown}")
        return verdicts[0]
    decided_by(f"conflict: {found.conflict}: {shown} score {', '.join(f'{v:g}' for v in verdicts)}")
    return 0.0


def score_response(
    response: object,
    ground_truth: object,
    extra_info: Mapping[str, Any] | None = None,
    config: RewardConfig | None = None,
) -> Scored:
    """Scores of one response plus the verifier used, why, the answer judged, and a fault if the verifier
    gave no verdict (see ``compute_score``)."""
    config = config or DEFAULT_CONFIG
    import_modules(config.imports)
    load_term_tables(config.equivalences, config.qualifiers)
    if extra_info is None:
        extra_info = {}
    elif not isinstance(extra_info, Mapping):
        raise TypeError(f"extra_info must be a mapping (dict) or None, got {type(extra_info).__name__}")
    full = "" if response is None else response if isinstance(response, str) else str(response)
    text = clip_tail(full, MAX_RESPONSE_CHARS)  # the answer is at the end of long reasoning
    truth = clip(ground_truth)
    info = _verifier_info(extra_info, config)
    verifier = choose_verifier(truth, info, config.verifier)

    found = find_answer(text, config.answer_tag)
    answer = found.answer or ""
    acc, fault = 0.0, None
    void = void_reason(answer, truth, info) if answer else None
    if void:
        decided_by(void)
    elif answer:
        try:
            acc = _judge_all(verifier, found, truth, info)
        except _Fault as problem:
            fault = str(problem)

    fmt = float(format_reward(full, config.think_tag, config.answer_tag))  # 0 beyond MAX_RESPONSE_CHARS
    length_pen = 0.0
    if config.length_penalty:
        length_pen = config.length_penalty * length_severity(
            full, config.length_target, config.length_max, config.length_unit
        )
    repetition_pen = 0.0
    if config.repetition_penalty:
        repetition_pen = config.repetition_penalty * repetition_severity(full, config.repetition_ngram)
    score = config.acc_weight * acc + config.format_weight * fmt - length_pen - repetition_pen
    scores = {
        "score": score,
        "acc": acc,
        "format": fmt,
        "length_penalty": length_pen,
        "repetition_penalty": repetition_pen,
        "answer_found": 1.0 if answer else 0.0,
    }
    return Scored(scores, verifier.name, verifier.why, found, fault)


def compute_score(
    response: object,
    ground_truth: object,
    extra_info: Mapping[str, Any] | None = None,
    config: RewardConfig | None = None,
) -> dict[str, float]:
    """Reward of one model ``response`` against ``ground_truth``; always the float keys ``SCORE_KEYS``.

    The verifier is ``config.verifier`` if set (a registered name or a dotted path), else
    ``extra_info["verifier"]`` (a registered name only: rows are data), else the answer type inferred
    from ``ground_truth`` and ``extra_info``. An unknown verifier name, a dotted path in a row, an unknown
    ``answer_type`` or a row setting outside its cap (``rewards.row_settings``) is an error (a data or
    config mistake must not silently score 0). A verifier that raises or returns something other than a
    number in [0, 1] raises ``VerifierFault``: a broken verifier must not look like a wrong answer
    (``rewards.score_batch`` reports it per row instead). Several different final answers score ``acc``
    0 unless every one of them earns the same non-zero score.
    """
    scored = score_response(response, ground_truth, extra_info, config)
    if scored.fault is not None:
        raise VerifierFault(scored.verifier, scored.fault)
    return scored.scores


def verifier_name(ground_truth: object, extra_info: Mapping[str, Any] | None, config: RewardConfig) -> str:
    """The name of the verifier that judges a row (named in timeout reports; '' if the row cannot say)."""
    try:
        info = dict(extra_info) if isinstance(extra_info, Mapping) else {}
        return choose_verifier(clip(ground_truth), info, config.verifier).name
    except Exception:  # a malformed row or an unknown name: its own error says why
        return ""
