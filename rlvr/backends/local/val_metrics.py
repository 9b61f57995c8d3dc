"""Validation: greedy accuracy overall, per answer type, per modality; with ``rollout.val_kwargs.n`` > 1 also
``n`` sampled responses per row: mean@n, unbiased pass@k and maj@n (majority vote over extracted answers)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import comb
from typing import TYPE_CHECKING, Any

import ray

from rewards.extract import extract_answer
from rlvr.backends.local.reward import score_rows
from rlvr.backends.local.rollout import Sampling

if TYPE_CHECKING:
    from rlvr.backends.local.settings import LoopSettings


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


def pass_at_k(n: int, correct: int, k: int) -> float:
    """Unbiased pass@k from ``correct`` of ``n`` samples (Chen et al. 2021): 1 - C(n-c, k) / C(n, k)."""
    if n - correct < k:
        return 1.0
    return 1.0 - comb(n - correct, k) / comb(n, k)


def majority_correct(texts: Sequence[str], accs: Sequence[float], answer_tag: str) -> float:
    """The accuracy of the most common extracted answer (ties: the one seen first); responses without an
    answer do not vote."""
    answers = [extract_answer(text, answer_tag) for text in texts]
    votes = Counter(" ".join(a.lower().split()) for a in answers if a)
    if not votes:
        return 0.0
    winner = votes.most_common(1)[0][0]
    return next(
        acc for a, acc in zip(answers, accs, strict=True) if a and " ".join(a.lower().split()) == winner
    )


def sampled_metrics(
    groups: Sequence[Sequence[float]], texts: Sequence[Sequence[str]], answer_tag: str
) -> dict:
    """mean@n, pass@k for k = 1, 2, 4, ... up to n, and maj@n over each row's ``n`` sampled responses."""
    n = len(groups[0])
    metrics = {f"val/acc/mean@{n}": sum(sum(g) / n for g in groups) / len(groups)}
    k = 1
    while k <= n:
        correct = [sum(1 for acc in g if acc > 0.5) for g in groups]
        metrics[f"val/acc/pass@{k}"] = sum(pass_at_k(n, c, k) for c in correct) / len(groups)
        k *= 2
    majority = [majority_correct(t, g, answer_tag) for t, g in zip(texts, groups, strict=True)]
    metrics[f"val/acc/maj@{n}"] = sum(majority) / len(groups)
    return metrics


@dataclass
class ValResponses:
    """Responses to validation rows, scored: ``judged[i]`` is false where the verifier faulted."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, float]] = field(default_factory=list)
    lengths: list[float] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    judged: list[bool] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0

    def kept(self) -> tuple[list[dict[str, Any]], list[dict[str, float]], list[float]]:
        """Rows, scores and lengths of the judged responses only."""
        keep = [i for i, ok in enumerate(self.judged) if ok]
        return [self.rows[i] for i in keep], [self.scores[i] for i in keep], [self.lengths[i] for i in keep]


def generate_and_score(
    rollout_actor: Any, rows: Sequence[dict[str, Any]], sampling: Sampling, settings: LoopSettings, seed: int
) -> ValResponses:
    """One response per row, in batches of ``data.val_batch_size``, scored with the training reward."""
    out = ValResponses()
    size = settings.val.batch_size
    for start in range(0, len(rows), size):
        chunk = list(rows[start : start + size])
        rollout = ray.get(rollout_actor.generate.remote(chunk, sampling, seed + start))
        scored = score_rows(rollout.texts, chunk, settings.reward)
        out.rows += chunk
        out.scores += scored.scores
        out.lengths += rollout.response_mask.sum(-1).tolist()
        out.texts += rollout.texts
        out.judged += scored.judged
        out.errors += scored.faults.errors
        out.timeouts += scored.faults.timeouts
    return out


def sampled_groups(responses: ValResponses, n: int) -> tuple[list[list[float]], list[list[str]]]:
    """Each row's ``n`` accuracies and texts; a row with a faulted sample is left out (no verdict on it)."""
    groups, texts = [], []
    for start in range(0, len(responses.scores), n):
        if all(responses.judged[start : start + n]):
            groups.append([s["acc"] for s in responses.scores[start : start + n]])
            texts.append(responses.texts[start : start + n])
    return groups, texts


def validate(rollout_actor: Any, rows: Sequence[dict[str, Any]], settings: LoopSettings) -> dict[str, float]:
    """One response per validation row, scored with the training reward: greedy, or sampled at
    ``val_kwargs.temperature`` > 0 when ``n`` is 1. With ``n`` > 1 the greedy accuracy, and beside it
    ``n`` responses per row sampled at ``val_kwargs.temperature``. Rows whose verifier faulted are left out
    of the accuracies and counted in ``val/reward_errors`` and ``val/reward_timeouts``."""
    val = settings.val
    greedy = val.n > 1 or val.temperature == 0
    first = Sampling(settings.max_new_tokens, val.temperature, val.top_p, val.top_k, greedy=greedy)
    responses = generate_and_score(rollout_actor, rows, first, settings, seed=0)
    errors, timeouts = responses.errors, responses.timeouts
    kept_rows, scores, lengths = responses.kept()
    # every row faulted (reward.max_error_rate=1 lets that through): no accuracy
    metrics = breakdown(kept_rows, scores, lengths) if kept_rows else {"val/acc": float("nan")}
    if val.n > 1:
        sampling = Sampling(settings.max_new_tokens, val.temperature, val.top_p, val.top_k)
        repeated = [row for row in rows for _ in range(val.n)]
        sampled = generate_and_score(rollout_actor, repeated, sampling, settings, seed=1)
        errors, timeouts = errors + sampled.errors, timeouts + sampled.timeouts
        groups, text_groups = sampled_groups(sampled, val.n)
        if groups:
            metrics |= sampled_metrics(groups, text_groups, settings.reward.config.answer_tag)
    return metrics | {"val/reward_errors": float(errors), "val/reward_timeouts": float(timeouts)}
