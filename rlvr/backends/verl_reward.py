"""verl's reward manager for our verifiers: verl's rate-limited manager (it has the per-item ``timeout``)
with faults that never look like wrong answers.

Every row's reward info has the same keys (``SCORE_KEYS`` plus ``reward_error`` and ``reward_timeout``). A
faulted row gets its group's mean reward (so no advantage), and a batch with more faults than
``reward.max_error_rate`` stops the run with a message naming the verifier, the first fault and its row.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from verl.experimental.reward_loop.reward_manager.limited import RateLimitedRewardManager

from rewards.faults import DEFAULT_MAX_ERROR_RATE, FaultReport
from rewards.score import SCORE_KEYS

MANAGER_PATH = "pkg://rlvr.backends.verl_reward"
MANAGER_NAME = "FaultCountingRewardManager"
MAX_ERROR_RATE_ENV = "MEDRLVR_MAX_ERROR_RATE"  # set in the Ray runtime env from reward.max_error_rate
FAULT_KEYS = ("reward_error", "reward_timeout")
# A faulted row's reward on its way from a reward worker to the trainer, which neutralises it.
ERROR_SCORE, TIMEOUT_SCORE = math.nan, math.inf
FIRST_FAULT_KEY = b"medrlvr/first_reward_fault"
_local_first_fault: list[str] = []  # the ledger when this process has no Ray (tests)


def _kv() -> Any:
    from ray.experimental import internal_kv

    return internal_kv if internal_kv._internal_kv_initialized() else None


def record_first_fault(text: str) -> None:
    """Keep the batch's first fault (where and what) for the trainer's message; later ones are counted."""
    kv = _kv()
    if kv is None:
        if not _local_first_fault:
            _local_first_fault.append(text)
        return
    kv._internal_kv_put(FIRST_FAULT_KEY, text.encode(), overwrite=False)


def take_first_fault() -> str | None:
    """The batch's first fault, forgotten once read (the next batch starts a new record)."""
    kv = _kv()
    if kv is None:
        return _local_first_fault.pop() if _local_first_fault else None
    value = kv._internal_kv_get(FIRST_FAULT_KEY)
    kv._internal_kv_del(FIRST_FAULT_KEY)
    return value.decode() if value else None


def describe_row(data_source: Any, extra_info: Any) -> str:
    index = extra_info.get("index") if isinstance(extra_info, dict) else None
    return f"row {index} of {data_source}" if index is not None else f"a row of {data_source}"


def neutral_scores(scores: Sequence[float], groups: Sequence[Any] | None) -> list[float]:
    """Faulted (non-finite) scores replaced by the mean of their group's finite ones (0 if none), so a
    faulted response gets no advantage and leaves its group's baseline alone."""
    keys = list(groups) if groups is not None else [None] * len(scores)
    judged: dict[Any, list[float]] = {}
    for key, score in zip(keys, scores, strict=True):
        if math.isfinite(score):
            judged.setdefault(key, []).append(score)
    return [
        s if math.isfinite(s) else (sum(judged[k]) / len(judged[k]) if judged.get(k) else 0.0)
        for k, s in zip(keys, scores, strict=True)
    ]


def reward_manager_settings(reward: Any) -> dict[str, Any]:
    """verl config entries for the recipe's ``reward`` block: this manager, ``timeout_s`` as verl's
    per-item ``reward.timeout``, ``num_workers`` as verl's reward workers (at least one)."""
    return {
        "reward.reward_manager.source": "importlib",
        "reward.reward_manager.name": MANAGER_NAME,
        "reward.reward_manager.module.path": MANAGER_PATH,
        "+reward.timeout": float(reward.timeout_s),
        "reward.num_workers": max(1, int(reward.num_workers)),
    }


def max_error_rate() -> float:
    return float(os.environ.get(MAX_ERROR_RATE_ENV, DEFAULT_MAX_ERROR_RATE))


class FaultCountingRewardManager(RateLimitedRewardManager):
    """verl's ``rate_limited`` manager (``reward.timeout`` per item) reporting verifier faults as faults."""

    async def run_single(self, data: Any) -> dict:
        result = await super().run_single(data)
        info = result.get("reward_extra_info", {})
        if "timeout" not in info and "error" not in info:
            return {**result, "reward_extra_info": {**info, **dict.fromkeys(FAULT_KEYS, 0.0)}}
        item = data[-1]
        where = describe_row(
            item.non_tensor_batch.get("data_source"), item.non_tensor_batch.get("extra_info")
        )
        timed_out = "timeout" in info
        problem = f"timed out after {self.timeout:g}s" if timed_out else str(info["error"])
        record_first_fault(f"{where}: {problem}")
        scores = {**dict.fromkeys(SCORE_KEYS, 0.0), "reward_error": float(not timed_out),
                  "reward_timeout": float(timed_out)}  # fmt: skip
        return {"reward_score": TIMEOUT_SCORE if timed_out else ERROR_SCORE, "reward_extra_info": scores}

    @classmethod
    def assemble_rm_scores(cls, data: Any, scores: list[float]) -> Any:
        errors = sum(1 for s in scores if math.isnan(s))
        timeouts = sum(1 for s in scores if math.isinf(s))
        if errors or timeouts:
            first = take_first_fault()
            report = FaultReport(
                len(scores), errors, timeouts, first=tuple(first.split(": ", 1)) if first else None
            )
            print(f"reward/errors={errors} reward/timeouts={timeouts} of {len(scores)} rows", flush=True)
            report.check(max_error_rate())
            uids = data.non_tensor_batch.get("uid")
            scores = neutral_scores(scores, np.asarray(uids).tolist() if uids is not None else None)
        return super().assemble_rm_scores(data, scores)
