"""Shared pieces of the policy-group tests (CPU and GPU): a fixed batch, worker settings, a started group."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import ray
import torch

from rlvr.backends.local.algorithm import LossSettings
from rlvr.backends.local.fsdp import free_address
from rlvr.backends.local.policy import PolicyWorker, TrainBatch
from rlvr.backends.local.policy_group import PolicyGroup
from rlvr.backends.local.prompts import encode_prompts
from rlvr.backends.local.rollout import RolloutWorker, pad_responses
from rlvr.data.io import read_rows
from rlvr.data.synth import write_synth

TEXTS = ["<think>a</think><answer>yes</answer>", "no", "<answer>lesion</answer>", "a b c d e f"] * 2


def fixed_batch(model_path: Path, data_dir: Path) -> TrainBatch:
    """Eight responses of uneven length to four prompts with images; random advantages, a fixed reference."""
    rows = read_rows(write_synth(data_dir, n=20, seed=0)["train"])
    rollout = RolloutWorker(str(model_path), "hf")
    tokenizer = rollout.processor.tokenizer
    ids, mask = pad_responses(
        [tokenizer(t, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id] for t in TEXTS],
        rollout.eos_ids, rollout.pad_id, width=16,
    )  # fmt: skip
    assert len(set(mask.sum(-1).tolist())) > 1  # uneven lengths: the loss weighting matters
    prompts = encode_prompts(rollout.processor, [r for r in rows[:4] for _ in range(2)], 256)
    generator = torch.Generator().manual_seed(0)
    return TrainBatch(
        prompts, ids, mask,
        advantages=torch.randn(8, 1, generator=generator).expand(ids.shape).contiguous(),
        ref_log_prob=-2.0 + 0.5 * torch.randn(ids.shape, generator=generator),
    )  # fmt: skip


def policy_kwargs(loss_agg_mode: str) -> dict:
    loss = LossSettings(loss_agg_mode=loss_agg_mode, use_kl_loss=True, kl_coef=0.1, entropy_coeff=0.01)
    return {"lr": 1e-3, "loss": loss, "micro_batch_size": 2, "log_prob_micro_batch_size": 2, "threads": 1}


def start_group(model_path, workers: int, gpus_per_worker: float = 0, **kwargs) -> PolicyGroup:
    """``workers`` PolicyWorker actors forming one group (gloo on CPU, NCCL with GPUs)."""
    task = ray.remote(num_gpus=gpus_per_worker)(free_address)
    address = ray.get(task.remote()) if workers > 1 else None
    actor = ray.remote(num_cpus=1, num_gpus=gpus_per_worker)(PolicyWorker)
    return PolicyGroup(
        [
            actor.remote(
                str(model_path),
                str(model_path),
                rank=rank,
                world_size=workers,
                group_address=address,
                **kwargs,
            )  # fmt: skip
            for rank in range(workers)
        ]
    )


def as_tensors(weights) -> dict[str, torch.Tensor]:
    return {name: torch.from_numpy(np.array(bits)).view(dtype) for name, (bits, dtype) in weights.items()}
