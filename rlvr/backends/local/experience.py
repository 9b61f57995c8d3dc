"""A step's responses as one object, and the two ways dynamic sampling reshapes them: keep some groups,
join batches drawn one after another."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from rlvr.backends.local.prompts import concat_prompts, slice_prompts
from rlvr.backends.local.rollout import Rollout


@dataclass
class Experience:
    """A step's responses (``rollout.n`` per prompt, a group each) and their scores."""

    rows: list[dict]
    rollout: Rollout
    group_ids: np.ndarray
    scores: dict[str, torch.Tensor]  # one value per response for every score key
    judged: torch.Tensor  # bool per response: false where the verifier faulted (its scores are placeholders)
    reward_baselines: torch.Tensor | None = None  # remax: the greedy response's score, per response
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.rows)

    def judged_mean(self, key: str) -> float:
        """The mean of score ``key`` over the responses with a verdict (nan when none has one)."""
        values = self.scores[key][self.judged]
        return float(values.mean()) if len(values) else float("nan")


def select_groups(experience: Experience, groups: list[int]) -> Experience:
    """The responses of ``groups`` (renumbered 0..), in that order."""
    rows = [i for g in groups for i in np.flatnonzero(experience.group_ids == g).tolist()]
    rollout = experience.rollout
    picked = Rollout(
        slice_prompts(rollout.prompts, rows),
        rollout.response_ids[rows],
        rollout.response_mask[rows],
        [rollout.texts[i] for i in rows],
        None if rollout.truncated is None else rollout.truncated[rows],
        None if rollout.log_probs is None else rollout.log_probs[rows],
        rollout.pad_id,
    )
    baselines = experience.reward_baselines
    return Experience(
        [experience.rows[i] for i in rows],
        picked,
        np.repeat(np.arange(len(groups)), len(rows) // max(len(groups), 1)),
        {key: value[rows] for key, value in experience.scores.items()},
        experience.judged[rows],
        None if baselines is None else baselines[rows],
    )


def concat(parts: list[Experience]) -> Experience:
    """The experiences one after another, group ids kept apart."""
    if len(parts) == 1:
        return parts[0]
    offsets = np.cumsum([0] + [int(p.group_ids.max()) + 1 for p in parts[:-1]])
    rollouts = [p.rollout for p in parts]

    def cat(values: list[torch.Tensor | None]) -> torch.Tensor | None:
        return None if any(v is None for v in values) else torch.cat(values)

    rollout = Rollout(
        concat_prompts([r.prompts for r in rollouts], rollouts[0].pad_id),
        torch.cat([r.response_ids for r in rollouts]),
        torch.cat([r.response_mask for r in rollouts]),
        [text for r in rollouts for text in r.texts],
        cat([r.truncated for r in rollouts]),
        cat([r.log_probs for r in rollouts]),
        rollouts[0].pad_id,
    )
    return Experience(
        [row for p in parts for row in p.rows],
        rollout,
        np.concatenate([p.group_ids + offset for p, offset in zip(parts, offsets, strict=True)]),
        {key: torch.cat([p.scores[key] for p in parts]) for key in parts[0].scores},
        torch.cat([p.judged for p in parts]),
        cat([p.reward_baselines for p in parts]),
    )
