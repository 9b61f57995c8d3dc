"""The reward step: score responses with the ``rewards`` library in a Ray task, off the training process."""

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


def score_rows(
    texts: Sequence[str], rows: Sequence[Mapping[str, Any]], settings: RewardSettings
) -> list[dict]:
    """Score ``texts[i]`` against ``rows[i]``'s ground truth; each result has ``rewards``' score keys."""
    items = [
        {
            "response": text,
            "ground_truth": row["reward_model"]["ground_truth"],
            "extra_info": row.get("extra_info"),
        }
        for text, row in zip(texts, rows, strict=True)
    ]
    results = score_batch(items, settings.config, workers=settings.workers, timeout_s=settings.timeout_s)
    return [result.scores for result in results]


# The task holds no CPU reservation: it runs while the rollout and policy actors wait for it.
score_rows_task = ray.remote(num_cpus=0)(score_rows)
