"""The reward step: score responses with the ``rewards`` library, off the training (policy) process.

With ``reward.num_workers`` = 0 the loop's driver scores in-process (a batch of short answers takes
milliseconds; a Ray task would add ~0.3 s a step); with more, a Ray task runs a pool of that many
processes, each item under ``reward.timeout_s``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ray

from rewards.batch import score_batch
from rewards.score import RewardConfig

# Keys of the recipe's ``reward:`` block that steer the scoring pool rather than the score itself.
POOL_KEYS = ("num_workers", "timeout_s")


@dataclass(frozen=True)
class RewardSettings:
    """What the reward task needs: how to score (``RewardConfig``) and how to run the scoring pool."""

    config: RewardConfig
    workers: int = 0
    timeout_s: float = 5.0

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
        )


def score_items(items: Sequence[Mapping[str, Any]], settings: RewardSettings) -> list[dict]:
    """Score items (``response``, ``ground_truth``, ``extra_info``); each result has the score keys."""
    results = score_batch(items, settings.config, workers=settings.workers, timeout_s=settings.timeout_s)
    return [result.scores for result in results]


# The task holds no CPU reservation: it runs while the rollout and policy actors wait for it.
score_items_task = ray.remote(num_cpus=0)(score_items)


def score_rows(
    texts: Sequence[str], rows: Sequence[Mapping[str, Any]], settings: RewardSettings
) -> list[dict]:
    """Score ``texts[i]`` against ``rows[i]``'s ground truth: in-process, or in a Ray task with a pool."""
    items = [
        {
            "response": text,
            "ground_truth": row["reward_model"]["ground_truth"],
            "extra_info": row.get("extra_info"),
        }
        for text, row in zip(texts, rows, strict=True)
    ]  # only what scoring reads travels to the task: not the prompts' images
    if settings.workers <= 0:
        return score_items(items, settings)
    return ray.get(score_items_task.remote(items, settings))
