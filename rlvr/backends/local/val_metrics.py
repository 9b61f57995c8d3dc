"""Validation (greedy unless rollout.val_temperature > 0): accuracy overall, per answer type, per modality."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import ray

from rlvr.backends.local.reward import RewardSettings, score_rows
from rlvr.backends.local.rollout import Sampling


def breakdown(
    rows: Sequence[dict[str, Any]], scores: Sequence[dict[str, float]], lengths: Sequence[float]
) -> dict:
    """``val/acc``, ``val/score``, ``val/format``, ``val/response_length``, ``val/acc/<answer type>``,
    ``val/acc/modality/<m>`` and, for rows that name one, ``val/acc/question/<question type>``."""
    count = len(rows)
    metrics = {
        "val/acc": sum(s["acc"] for s in scores) / count,
        "val/score": sum(s["score"] for s in scores) / count,
        "val/format": sum(s["format"] for s in scores) / count,
        "val/response_length": sum(lengths) / count,
    }
    groups: dict[str, list[float]] = defaultdict(list)
    for row, score in zip(rows, scores, strict=True):
        extra = row.get("extra_info") or {}
        groups[f"val/acc/{extra.get('answer_type', 'unknown')}"].append(score["acc"])
        groups[f"val/acc/modality/{extra.get('modality') or 'none'}"].append(score["acc"])
        if extra.get("question_type"):
            groups[f"val/acc/question/{extra['question_type']}"].append(score["acc"])
    metrics.update({key: sum(values) / len(values) for key, values in sorted(groups.items())})
    return metrics


def validate(
    rollout_actor: Any,
    rows: Sequence[dict[str, Any]],
    batch_size: int,
    sampling: Sampling,
    reward: RewardSettings,
) -> dict[str, float]:
    """Responses for every validation row (``rollout.val_temperature``: 0 greedy), scored with the
    training reward; rows whose verifier faulted are left out of the accuracies and counted in
    ``val/reward_errors`` and ``val/reward_timeouts``."""
    judged: list[tuple[dict[str, Any], dict[str, float], float]] = []
    errors = timeouts = 0
    for start in range(0, len(rows), batch_size):
        chunk = list(rows[start : start + batch_size])
        rollout = ray.get(rollout_actor.generate.remote(chunk, sampling, 0))
        scored = score_rows(rollout.texts, chunk, reward)
        lengths = rollout.response_mask.sum(-1).tolist()
        judged += [
            (row, score, length)
            for row, score, length, ok in zip(chunk, scored.scores, lengths, scored.judged, strict=True)
            if ok
        ]
        errors, timeouts = errors + scored.faults.errors, timeouts + scored.faults.timeouts
    faults = {"val/reward_errors": float(errors), "val/reward_timeouts": float(timeouts)}
    if not judged:  # every row faulted (reward.max_error_rate=1 lets that through)
        return {"val/acc": float("nan"), **faults}
    kept_rows, scores, kept_lengths = (list(column) for column in zip(*judged, strict=True))
    return breakdown(kept_rows, scores, kept_lengths) | faults
