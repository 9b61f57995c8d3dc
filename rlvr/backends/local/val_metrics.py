"""Validation: greedy accuracy overall, per answer type, per modality; with ``rollout.val_kwargs.n`` > 1 also
``n`` sampled responses per row: mean@n, unbiased pass@k and maj@n (majority vote over extracted answers)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
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


def generate_and_score(
    rollout_actor: Any, rows: Sequence[dict[str, Any]], sampling: Sampling, settings: LoopSettings, seed: int
) -> tuple[list[dict[str, float]], list[float], list[str]]:
    """One response per row, in batches of ``data.val_batch_size``: scores, lengths, texts."""
    scores: list[dict[str, float]] = []
    lengths: list[float] = []
    texts: list[str] = []
    size = settings.val.batch_size
    for start in range(0, len(rows), size):
        chunk = list(rows[start : start + size])
        rollout = ray.get(rollout_actor.generate.remote(chunk, sampling, seed + start))
        scores += score_rows(rollout.texts, chunk, settings.reward)
        lengths += rollout.response_mask.sum(-1).tolist()
        texts += rollout.texts
    return scores, lengths, texts


def validate(rollout_actor: Any, rows: Sequence[dict[str, Any]], settings: LoopSettings) -> dict[str, float]:
    """One response per validation row, scored with the training reward: greedy, or sampled at
    ``val_kwargs.temperature`` > 0 when ``n`` is 1. With ``n`` > 1 the greedy accuracy, and beside it
    ``n`` responses per row sampled at ``val_kwargs.temperature``."""
    val = settings.val
    greedy = val.n > 1 or val.temperature == 0
    first = Sampling(settings.max_new_tokens, val.temperature, val.top_p, val.top_k, greedy=greedy)
    scores, lengths, _ = generate_and_score(rollout_actor, rows, first, settings, seed=0)
    metrics = breakdown(rows, scores, lengths)
    if val.n > 1:
        sampling = Sampling(settings.max_new_tokens, val.temperature, val.top_p, val.top_k)
        repeated = [row for row in rows for _ in range(val.n)]
        scores, _, texts = generate_and_score(rollout_actor, repeated, sampling, settings, seed=1)
        accs = [s["acc"] for s in scores]
        groups = [accs[i : i + val.n] for i in range(0, len(accs), val.n)]
        text_groups = [texts[i : i + val.n] for i in range(0, len(texts), val.n)]
        metrics |= sampled_metrics(groups, text_groups, settings.reward.config.answer_tag)
    return metrics
