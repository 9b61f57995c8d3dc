"""Which prompts a step trains on: the endless shuffled stream of training rows, and the groups of responses
that teach something (their accuracy varies)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch


@lru_cache(maxsize=4)
def epoch_order(size: int, seed: int, epoch: int) -> np.ndarray:
    return np.random.default_rng([seed, epoch]).permutation(size)


def prompt_batch(rows: list[dict], cursor: int, count: int, seed: int, shuffle: bool = True) -> list[dict]:
    """Prompts ``cursor .. cursor+count`` of the endless stream of ``rows``: a new shuffle every epoch,
    or (``shuffle`` false) file order every epoch."""
    picked = []
    for position in range(cursor, cursor + count):
        epoch, index = divmod(position, len(rows))
        picked.append(rows[int(epoch_order(len(rows), seed, epoch)[index]) if shuffle else index])
    return picked


def informative_groups(acc: torch.Tensor, group_ids: np.ndarray, judged: torch.Tensor) -> list[int]:
    """The groups whose judged responses do not all have the same accuracy, in order (DAPO's dynamic
    sampling filters on the verifier's accuracy, never on the shaped score: a format bonus is not a
    lesson; a response whose verifier faulted has no accuracy to compare)."""
    groups = []
    for group in dict.fromkeys(group_ids.tolist()):
        values = acc[torch.from_numpy(group_ids == group) & judged]
        if len(values) > 1 and float(values.max() - values.min()) > 0:
            groups.append(group)
    return groups
