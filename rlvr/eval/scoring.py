"""Scoring and metrics: ``rewards.score_response`` on every row (evaluation accuracy is the training ``acc``),
an unparseable answer scores 0, open answers add token F1 and recall beside their accuracy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from rewards.extract import extract_answer
from rewards.open_ended import verify_open
from rewards.score import RewardConfig, score_response
from rlvr.eval.generation import LENGTH, PROMPT_TOO_LONG
from rlvr.eval.loading import EvalItem
from rlvr.eval.stats import bootstrap_ci

BREAKDOWN_KEYS = ("answer_type", "modality", "question_type", "language", "body_part")
MAX_BREAKDOWN_GROUPS = 200  # a key with more distinct values than this (ids in disguise) is not broken down


def extra_info(item: EvalItem, open_metric: str) -> dict[str, Any]:
    """What the verifiers read about the row: its type, options, question, and the open-answer metric."""
    return {
        "answer_type": item.answer_type,
        "options": dict(item.options),
        "question": item.question,
        "open_metric": open_metric,
    }


def score_item(item: EvalItem, response: str, open_metric: str, config: RewardConfig) -> dict[str, Any]:
    """Prediction fields from the verifiers: extracted answer, verifier, acc, answer_found (+ f1/recall)."""
    scored = score_response(response, item.answer, extra_info(item, open_metric), config)
    extracted = extract_answer(response, config.answer_tag) or ""
    fields: dict[str, Any] = {
        "extracted": extracted.strip(),
        "verifier": scored.verifier,
        "acc": scored.scores["acc"],
        "answer_found": bool(scored.scores["answer_found"]),
        "format": scored.scores["format"],
    }
    if item.answer_type == "open":
        found = fields["answer_found"]
        fields["f1"] = verify_open(fields["extracted"], item.answer, {"open_metric": "f1"}) if found else 0.0
        fields["recall"] = (
            verify_open(fields["extracted"], item.answer, {"open_metric": "recall"}) if found else 0.0
        )
    return fields


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def breakdowns(records: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """{key: {value: {n, accuracy}}} for each breakdown key that has at least one non-empty value."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for key in BREAKDOWN_KEYS:
        groups: dict[str, list[float]] = defaultdict(list)
        for record in records:
            groups[str(record.get(key) or "unknown")].append(float(record["acc"]))
        if set(groups) == {"unknown"} or len(groups) > MAX_BREAKDOWN_GROUPS:
            continue
        out[key] = {
            value: {"n": len(accs), "accuracy": sum(accs) / len(accs)}
            for value, accs in sorted(groups.items())
        }
    return out


def judged_accuracy(records: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Accuracy with the judge's verdict on open rows (rule acc elsewhere); judge errors are left out of both
    numerator and denominator and counted, never scored as wrong. None when no row has a judge field."""
    if not any("judge" in r for r in records):
        return None
    scores, errors = [], 0
    for record in records:
        verdict = record.get("judge")
        if verdict is None or record.get("answer_type") != "open":
            scores.append(float(record["acc"]))
        elif verdict == "judge_error":
            errors += 1
        else:
            scores.append(1.0 if verdict == "correct" else 0.0)
    return {"accuracy": _mean(scores), "n": len(scores), "judge_errors": errors}


def benchmark_metrics(records: Sequence[Mapping[str, Any]], resamples: int, seed: int) -> dict[str, Any]:
    """metrics.json: accuracy, its 95% bootstrap interval, n, breakdowns, unparseable/truncated rates."""
    n = len(records)
    accs = [float(r["acc"]) for r in records]
    low, high = bootstrap_ci(accs, resamples, seed)
    open_rows = [r for r in records if r.get("answer_type") == "open"]
    metrics: dict[str, Any] = {
        "n": n,
        "accuracy": _mean(accs),
        "ci95": [low, high],
        "unparseable_rate": _mean([0.0 if r["answer_found"] else 1.0 for r in records]),
        "truncated_rate": _mean([1.0 if r.get("finish_reason") == LENGTH else 0.0 for r in records]),
        "prompt_too_long": sum(r.get("finish_reason") == PROMPT_TOO_LONG for r in records),
        "breakdowns": breakdowns(records),
    }
    if open_rows:
        metrics["open"] = {
            "n": len(open_rows),
            "accuracy": _mean([float(r["acc"]) for r in open_rows]),
            "token_f1": _mean([float(r.get("f1", 0.0)) for r in open_rows]),
            "token_recall": _mean([float(r.get("recall", 0.0)) for r in open_rows]),
        }
    judged = judged_accuracy(records)
    if judged is not None:
        metrics["judged"] = judged
    return metrics
