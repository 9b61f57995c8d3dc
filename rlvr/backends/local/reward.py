"""The reward step: score responses with the ``rewards`` library, off the training (policy) process.

With ``reward.num_workers`` = 0 the loop's driver scores in-process (a batch of short answers takes
milliseconds; a Ray task would add ~0.3 s a step); with more, a Ray task runs a pool of that many
processes, each item under ``reward.timeout_s``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ray

from rewards.batch import score_batch
from rewards.score import RewardConfig
from rlvr.recipe.schema import RewardSettings as RewardBlock

_REWARD = RewardBlock()  # the schema's defaults


@dataclass(frozen=True)
class OverlongBuffer:
    """DAPO's soft overlong penalty (``reward.overlong_buffer``): over the last ``len`` tokens before
    ``data.max_response_length`` the score loses up to ``penalty_factor``, linearly."""

    enable: bool = _REWARD.overlong_buffer.enable
    len: int = _REWARD.overlong_buffer.len
    penalty_factor: float = _REWARD.overlong_buffer.penalty_factor

    def penalties(self, lengths: Sequence[float], max_length: int) -> list[float]:
        """The (negative) amount added to each response's score, 0 while it fits the expected length."""
        if not self.enable:
            return [0.0] * len(lengths)
        expected = max_length - self.len
        return [min(0.0, -(length - expected) / self.len * self.penalty_factor) for length in lengths]


@dataclass(frozen=True)
class RewardSettings:
    """What the reward task needs: how to score (``RewardConfig``) and how to run the scoring pool."""

    config: RewardConfig = field(default_factory=RewardConfig)
    workers: int = _REWARD.num_workers
    timeout_s: float = _REWARD.timeout_s
    overlong_buffer: OverlongBuffer = field(default_factory=OverlongBuffer)


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
