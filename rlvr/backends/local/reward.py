"""The reward step: score responses with the ``rewards`` library, off the training (policy) process.

With ``reward.num_workers`` = 0 the loop's driver scores in-process (a batch of short answers takes
milliseconds; a Ray task would add ~0.3 s a step); with more, a Ray task runs a pool of that many
processes, each item under ``reward.timeout_s``. A verifier fault (crash, non-score, timeout) is no
verdict: the row is left out (``judged`` false) and counted; above ``reward.max_error_rate`` the run stops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ray

from rewards.batch import BatchResult, score_batch
from rewards.faults import FaultReport, allowed_faults, fault_report
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


ROW_PLACE_KEY = "__where__"  # set on each training/validation row: its file and row, for fault messages


@dataclass(frozen=True)
class RewardSettings:
    """What the reward task needs: how to score (``RewardConfig``), how to run the pool, when to stop."""

    config: RewardConfig = field(default_factory=RewardConfig)
    workers: int = _REWARD.num_workers
    timeout_s: float = _REWARD.timeout_s
    max_error_rate: float = _REWARD.max_error_rate
    overlong_buffer: OverlongBuffer = field(default_factory=OverlongBuffer)


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
