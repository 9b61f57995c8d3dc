"""Greedy generation for evaluation: the local backend's rollout worker (vLLM when installed and a GPU is
visible, else HF ``generate``), plus each response's finish reason (stop, length, prompt_too_long).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

STOP, LENGTH, PROMPT_TOO_LONG = "stop", "length", "prompt_too_long"


@dataclass(frozen=True)
class Generation:
    text: str
    finish_reason: str
    tokens: int


class Generator(Protocol):
    engine: str

    def generate(
        self, rows: Sequence[dict[str, Any]], max_new_tokens: int, seed: int
    ) -> list[Generation]: ...


class RolloutGenerator:
    """The local backend's ``RolloutWorker`` used greedily: the same encoding, image handling and engines as
    training's validation, so an evaluation of the synthetic task reproduces its validation accuracy."""

    def __init__(self, worker: Any, max_prompt_length: int):
        self.worker = worker
        self.engine = worker.engine
        self.max_prompt_length = max_prompt_length

    @classmethod
    def load(cls, model_path: str, backend: str, max_prompt_length: int, threads: int | None = None):
        from rlvr.backends.local.modeling import ModelSettings
        from rlvr.backends.local.rollout import RolloutWorker

        worker = RolloutWorker(
            model_path,
            engine=backend,
            threads=threads,
            max_prompt_length=max_prompt_length,
            model=ModelSettings(dtype="bfloat16"),  # the schema default: float32 on CPU, bf16 on a GPU
        )
        return cls(worker, max_prompt_length)

    def prompt_lengths(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        from rlvr.backends.local.prompts import prompt_lengths

        return prompt_lengths(self.worker.processor, rows)

    def generate(self, rows: Sequence[dict[str, Any]], max_new_tokens: int, seed: int) -> list[Generation]:
        """One greedy response per row; a row whose prompt is over ``max_prompt_length`` gets none."""
        from rlvr.backends.local.rollout import Sampling

        lengths = self.prompt_lengths(rows)
        fitting = [i for i, length in enumerate(lengths) if length <= self.max_prompt_length]
        results = [Generation("", PROMPT_TOO_LONG, 0) for _ in rows]
        if fitting:
            rollout = self.worker.generate(
                [rows[i] for i in fitting], Sampling(max_new_tokens=max_new_tokens, greedy=True), seed
            )
            counts = rollout.response_mask.sum(-1).long().tolist()
            for slot, i in enumerate(fitting):
                tokens = rollout.response_ids[slot, : counts[slot]].tolist()
                ended = bool(tokens) and tokens[-1] in self.worker.eos_ids
                results[i] = Generation(rollout.texts[slot], STOP if ended else LENGTH, len(tokens))
        return results
