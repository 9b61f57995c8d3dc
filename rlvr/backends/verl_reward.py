"""verl's reward manager for our verifiers: verl's rate-limited manager (it has the per-item ``timeout``)
with faults that are counted and stop the run, instead of passing as wrong answers.

Every row's reward info has the same keys (``SCORE_KEYS`` plus ``reward_error`` and ``reward_timeout``;
verl logs them, e.g. ``val-aux/<source>/reward_error/mean@1``). verl 0.9.1 scores each response on its
own as it is generated, so a faulted row cannot be dropped from its group's advantage: each reward worker
counts faults over its last step's worth of rows and stops the run past ``reward.max_error_rate``, naming
the verifier, the first fault and its row; below that a faulted row's reward is 0 and it is flagged.
The manager also applies verl's overlong buffer penalty (``reward.overlong_buffer``), as verl's ``dapo``
manager would.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from typing import Any

from verl.experimental.reward_loop.reward_manager.limited import RateLimitedRewardManager

from rewards.faults import DEFAULT_MAX_ERROR_RATE, FaultReport, allowed_faults
from rewards.score import SCORE_KEYS, verifier_name
from rewards.verl_adapter import config_from_kwargs, normalize_extra_info
from rlvr.backends.local.reward import OverlongBuffer

MANAGER_PATH = "pkg://rlvr.backends.verl_reward"
MANAGER_NAME = "FaultCountingRewardManager"
MAX_ERROR_RATE_ENV = "MEDRLVR_MAX_ERROR_RATE"  # set in the Ray runtime env from reward.max_error_rate
STEP_ROWS_ENV = "MEDRLVR_STEP_ROWS"  # data.train_batch_size x rollout.n: the window faults are counted in
FAULT_KEYS = ("reward_error", "reward_timeout")
ERROR, TIMEOUT = "error", "timeout"


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


def fault_env(reward: Any, step_rows: int) -> dict[str, str]:
    """What the reward workers read to apply ``reward.max_error_rate`` (Ray runtime env variables)."""
    return {MAX_ERROR_RATE_ENV: str(float(reward.max_error_rate)), STEP_ROWS_ENV: str(int(step_rows))}


def overlong_settings(config: Any) -> tuple[OverlongBuffer, int]:
    """verl's overlong buffer (``reward.reward_kwargs.overlong_buffer_cfg`` and ``max_resp_len``, as its
    ``dapo`` manager reads them), applied here so that the fault counting stays on."""
    kwargs = config.reward.get("reward_kwargs") or {}
    buffer = kwargs.get("overlong_buffer_cfg") or {}
    if not buffer.get("enable"):
        return OverlongBuffer(enable=False), 0
    return (
        OverlongBuffer(True, int(buffer["len"]), float(buffer["penalty_factor"])),
        int(kwargs["max_resp_len"]),
    )


def response_length(item: Any) -> int:
    """The number of response tokens of one row (verl's layout: the attention mask ends with them)."""
    width = item.batch["responses"].shape[-1]
    return int(item.batch["attention_mask"][-width:].sum())


def describe_row(data_source: Any, extra_info: Any) -> str:
    index = extra_info.get("index") if isinstance(extra_info, dict) else None
    return f"row {index} of {data_source}" if index is not None else f"a row of {data_source}"


class FaultLedger:
    """The last ``window`` verdicts of one reward worker (True = fault) and its first fault."""

    def __init__(self, window: int, max_error_rate: float):
        self.max_error_rate = max_error_rate
        self.window = max(1, window)
        self.recent: deque[str | None] = deque(maxlen=self.window)
        self.first: tuple[str, str] | None = None

    def add(self, fault: str | None, kind: str | None = None, where: str = "") -> None:
        """Record one row; raise ``TooManyFaults`` when the window holds more faults than the rate allows."""
        self.recent.append(kind)
        if fault is None:
            return
        if self.first is None:
            self.first = (where, fault)
        print(f"reward fault ({kind}) at {where}: {fault}", file=sys.stderr, flush=True)
        errors, timeouts = self.recent.count(ERROR), self.recent.count(TIMEOUT)
        if errors + timeouts > allowed_faults(self.window, self.max_error_rate):
            report = FaultReport(self.window, errors, timeouts, first=self.first)
            self.first = None
            report.check(self.max_error_rate)


class FaultCountingRewardManager(RateLimitedRewardManager):
    """verl's ``rate_limited`` manager (``reward.timeout`` per item) reporting verifier faults as faults."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        rate = float(os.environ.get(MAX_ERROR_RATE_ENV, DEFAULT_MAX_ERROR_RATE))
        self.ledger = FaultLedger(int(os.environ.get(STEP_ROWS_ENV, "128")), rate)
        self.overlong, self.max_resp_len = overlong_settings(self.config)

    def verifier_of(self, item: Any) -> str:
        """The verifier that scores ``item`` under the run's reward settings ('?' if the row cannot say)."""
        kwargs = self.config.reward.get("custom_reward_function", {}).get("reward_kwargs") or {}
        try:
            truth = item.non_tensor_batch["reward_model"]["ground_truth"]
            info = normalize_extra_info(item.non_tensor_batch.get("extra_info"))
            return verifier_name(truth, info, config_from_kwargs(dict(kwargs)))
        except Exception:  # a malformed row or setting: its own error is reported elsewhere
            return "?"

    async def run_single(self, data: Any) -> dict:
        result = await super().run_single(data)
        info = result.get("reward_extra_info", {})
        if "timeout" not in info and "error" not in info:
            self.ledger.add(None)
            penalty = self.overlong.penalties([response_length(data[-1])], self.max_resp_len)[0]
            scored = {**result, "reward_score": result["reward_score"] + penalty}
            return {**scored, "reward_extra_info": {**info, **dict.fromkeys(FAULT_KEYS, 0.0)}}
        item = data[-1]
        where = describe_row(
            item.non_tensor_batch.get("data_source"), item.non_tensor_batch.get("extra_info")
        )
        kind = TIMEOUT if "timeout" in info else ERROR
        timed_out = f"verifier {self.verifier_of(item)!r} timed out after {self.timeout:g}s"
        problem = timed_out if kind == TIMEOUT else str(info["error"])
        flags = {"reward_error": float(kind == ERROR), "reward_timeout": float(kind == TIMEOUT)}
        self.ledger.add(problem, kind, where)
        return {"reward_score": 0.0, "reward_extra_info": {**dict.fromkeys(SCORE_KEYS, 0.0), **flags}}
