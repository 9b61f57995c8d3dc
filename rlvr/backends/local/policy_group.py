"""The policy ranks seen from the driver as one policy: rows split evenly over ranks, every rank called in
step, results merged; a rank that dies or fails stops the whole group with an error naming it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ray
import torch

from rlvr.backends.local.policy import TrainBatch, select_rows
from rlvr.backends.local.prompts import PromptBatch
from rlvr.backends.local.weight_sync import DEFAULT_BUCKET_BYTES
from rlvr.errors import ClusterError


class PolicyWorkerLost(ClusterError):
    """A policy rank died; the group was stopped (its peers would wait in a collective)."""


class PolicyGroup:
    """``workers[r]`` is rank r of one torch.distributed group (one worker: no group at all)."""

    def __init__(self, workers: Sequence[Any]):
        self.workers = list(workers)

    @property
    def size(self) -> int:
        return len(self.workers)

    def score_tokens(
        self,
        prompts: PromptBatch,
        response_ids: torch.Tensor,
        response_mask: torch.Tensor,
        old: bool,
        ref: bool,
    ) -> dict[str, torch.Tensor]:
        """Old/reference log-probs and values of every response: rank r scores the r-th equal slice."""
        total = response_ids.shape[0]
        if total % self.size:
            raise ValueError(
                f"{total} responses do not split evenly over cluster.policy_workers={self.size}; make "
                "data.train_batch_size x rollout.n a multiple of it."
            )
        share = total // self.size
        calls = []
        for rank, worker in enumerate(self.workers):
            rows = list(range(rank * share, (rank + 1) * share))
            part = select_rows(prompts, rows, "cpu", response_ids, response_mask)
            calls.append(worker.score_tokens.remote(*part, old=old, ref=ref))
        pieces = self.gather(calls, "scoring log-probs")
        return {key: torch.cat([piece[key] for piece in pieces]) for key in pieces[0]}

    def update(self, batch: TrainBatch, ppo_epochs: int, mini_batch_size: int, seed: int) -> dict[str, float]:
        """One data-parallel update; every rank sees the whole batch once (one object in Ray's store)."""
        shared = ray.put(batch)
        calls = [w.update.remote(shared, ppo_epochs, mini_batch_size, seed) for w in self.workers]
        return self.gather(calls, "the policy update")[0]

    def push_weights(self, rollout: Any, bucket_bytes: int = DEFAULT_BUCKET_BYTES) -> int:
        """Stream the full weights to ``rollout`` (rank 0 sends); the bytes sent."""
        calls = [w.push_weights.remote(rollout, bucket_bytes) for w in self.workers]
        return self.gather(calls, "the weight sync")[0]

    def get_weights(self) -> Any:
        return self.gather([w.get_weights.remote() for w in self.workers], "gathering weights")[0]

    def save(self, directory: str) -> None:
        self.gather([w.save.remote(directory) for w in self.workers], "saving a checkpoint")

    def load_state(self, directory: str) -> None:
        self.gather([w.load_state.remote(directory) for w in self.workers], "loading a checkpoint")

    def gather(self, calls: list[ray.ObjectRef], doing: str) -> list[Any]:
        """Results of one call per rank, in rank order. The first failure (a dead actor, an exception)
        stops every rank at once, rather than leaving the others blocked in a collective."""
        rank_of = {ref: rank for rank, ref in enumerate(calls)}
        results: dict[int, Any] = {}
        pending = list(calls)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            rank = rank_of[ready[0]]
            try:
                results[rank] = ray.get(ready[0])
            except ray.exceptions.RayActorError as err:
                self.stop()
                raise PolicyWorkerLost(
                    f"policy worker rank {rank} of {self.size} died during {doing} ({type(err).__name__}); "
                    "the run stops here"
                ) from err
            except ray.exceptions.RayTaskError:
                self.stop()
                raise
        return [results[rank] for rank in range(self.size)]

    def stop(self) -> None:
        for worker in self.workers:
            ray.kill(worker, no_restart=True)
