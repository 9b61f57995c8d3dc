"""The reward step: score responses with the ``rewards`` library, off the training (policy) process.

With ``reward.num_workers`` = 0 the loop's driver scores in-process (a batch of short answers takes
milliseconds; a Ray task would add ~0.3 s a step); with more, a Ray task runs a pool of that many
processes, each item under ``reward.timeout_s``. A verifier fault (crash, non-score, timeout) is no
verdict: the row is left out (``judged`` false) and counted; above ``reward.max_error_rate`` the run stops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ray

from rewards.batch import BatchResult, score_batch
from rewards.faults import DEFAULT_MAX_ERROR_RATE, FaultReport, allowed_faults, fault_report
from rewards.score import RewardConfig

# Keys of the recipe's ``reward:`` block that steer the scoring pool rather than the score itself.
POOL_KEYS = ("num_workers", "timeout_s", "max_error_rate")
ROW_PLACE_KEY = "__where__"  # set on each training/validation row: its file and row, for fault messages


@dataclass(frozen=True)
class RewardSettings:
    """What the reward task needs: how to score (``RewardConfig``), how to run the pool, when to stop."""

    config: RewardConfig
    workers: int = 0
    timeout_s: float = 5.0
    max_error_rate: float = DEFAULT_MAX_ERROR_RATE

    @classmethod
    def from_recipe(cls, reward: Mapping[str, Any]) -> RewardSettings:
        """From the recipe's ``reward:`` block; an unknown key is an error that lists the known ones."""
        values = dict(reward)
        pool = {key: values.pop(key) for key in POOL_KEYS if key in values}
        config = RewardConfig.from_mapping(values, where="the recipe's reward: block")
        return cls(
            config=config,
            workers=int(pool.get("num_workers", 0)),
            timeout_s=float(pool.get("timeout_s", 5.0)),
            max_error_rate=float(pool.get("max_error_rate", DEFAULT_MAX_ERROR_RATE)),
        )


@dataclass
class ScoredRows:
    """One result per row, in order; ``scores[i]`` is a verdict only where ``judged[i]``."""

    scores: list[dict[str, float]]
    judged: list[bool]
    faults: FaultReport


def score_items(items: Sequence[Mapping[str, Any]], settings: RewardSettings) -> list[BatchResult]:
    """Score items (``response``, ``ground_truth``, ``extra_info``), stopping early past the fault budget."""
    return score_batch(
        items, settings.config, workers=settings.workers, timeout_s=settings.timeout_s,
        max_faults=allowed_faults(len(items), settings.max_error_rate),
    )  # fmt: skip


# The task holds no CPU reservation: it runs while the rollout and policy actors wait for it.
score_items_task = ray.remote(num_cpus=0)(score_items)


def score_rows(
    texts: Sequence[str], rows: Sequence[Mapping[str, Any]], settings: RewardSettings
) -> ScoredRows:
    """Score ``texts[i]`` against ``rows[i]``'s ground truth (in-process, or in a Ray task with a pool);
    raise ``rewards.faults.TooManyFaults`` when more rows faulted than ``reward.max_error_rate`` allows."""
    items = [
        {
            "response": text,
            "ground_truth": row["reward_model"]["ground_truth"],
            "extra_info": row.get("extra_info"),
        }
        for text, row in zip(texts, rows, strict=True)
    ]  # only what scoring reads travels to the task: not the prompts' images
    if settings.workers <= 0:
        results = score_items(items, settings)
    else:
        results = ray.get(score_items_task.remote(items, settings))
    places = [str(row.get(ROW_PLACE_KEY, f"response {i}")) for i, row in enumerate(rows)]
    report = fault_report(results, places)
    report.check(settings.max_error_rate)
    return ScoredRows([r.scores for r in results], [r.kind is None for r in results], report)
