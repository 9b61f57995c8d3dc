"""The policy actor: holds the trainable policy (+ frozen reference, + optional critic) and updates it.

Log-probs and entropies are computed with verl's helpers, the loss with ``rlvr.local.algorithm``
(verl's core_algos); the optimizer is plain torch AdamW on CPU or one GPU.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from verl.utils.torch_functional import entropy_from_logits, logprobs_from_logits

from rlvr.local.algorithm import LossSettings, policy_loss, value_loss
from rlvr.local.critic import Critic
from rlvr.local.prompts import PromptBatch, model_inputs, slice_prompts


@dataclass
class TrainBatch:
    """Everything an update needs, one row per response."""

    prompts: PromptBatch
    response_ids: torch.Tensor
    response_mask: torch.Tensor
    advantages: torch.Tensor
    old_log_prob: torch.Tensor | None = None
    ref_log_prob: torch.Tensor | None = None
    returns: torch.Tensor | None = None
    old_values: torch.Tensor | None = None


def sequence_inputs(prompts: PromptBatch, response_ids: torch.Tensor, response_mask: torch.Tensor) -> dict:
    """Model inputs for prompt + response (left-padded prompt, right-padded response)."""
    inputs = model_inputs(prompts)
    inputs["input_ids"] = torch.cat([prompts["input_ids"], response_ids], dim=1)
    inputs["attention_mask"] = torch.cat([prompts["attention_mask"], response_mask.long()], dim=1)
    return inputs


def response_log_probs(
    model, prompts: PromptBatch, response_ids, response_mask, temperature: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token log-prob and entropy of the response tokens under ``model`` sampled at ``temperature``
    (the logits are divided by it, as verl's actor does, so that ratios compare sampling distributions)."""
    width = response_ids.shape[1]
    out = model(
        **sequence_inputs(prompts, response_ids, response_mask), logits_to_keep=width + 1, use_cache=False
    )
    logits = out.logits[:, -width - 1 : -1].float() / temperature
    return logprobs_from_logits(logits, response_ids), entropy_from_logits(logits)


class PolicyWorker:
    """Trainable policy; a Ray actor in the loop, a plain object in tests."""

    def __init__(
        self,
        model_path: str,
        reference_path: str | None,
        lr: float,
        loss: LossSettings,
        with_critic: bool = False,
        grad_clip: float = 1.0,
        threads: int | None = None,
        seed: int = 0,
        weight_decay: float = 0.0,
        critic_lr: float | None = None,
        lr_warmup_steps: int = 0,
        temperature: float = 1.0,
    ):
        from transformers import AutoModelForImageTextToText, AutoProcessor

        if threads:
            torch.set_num_threads(threads)
        torch.manual_seed(seed)
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.loss = loss
        self.temperature = temperature
        self.grad_clip = grad_clip
        self.processor = AutoProcessor.from_pretrained(model_path)
        self.model = AutoModelForImageTextToText.from_pretrained(model_path).to(self.device)
        self.reference = None
        if reference_path is not None:
            reference = AutoModelForImageTextToText.from_pretrained(reference_path).to(self.device)
            self.reference = reference.eval().requires_grad_(False)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=lr, weight_decay=weight_decay)
        warmup = max(1, lr_warmup_steps)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: min(1.0, (step + 1) / warmup)
        )
        self.critic = Critic(copy.deepcopy(self.model), critic_lr or lr) if with_critic else None

    def _to_device(self, prompts: PromptBatch, *tensors: torch.Tensor):
        return {k: v.to(self.device) for k, v in prompts.items()}, *(t.to(self.device) for t in tensors)

    @torch.no_grad()
    def score_tokens(self, prompts: PromptBatch, response_ids, response_mask, old: bool, ref: bool) -> dict:
        """The old-policy / reference log-probs and critic values for a rollout (those requested)."""
        prompts, response_ids, response_mask = self._to_device(prompts, response_ids, response_mask)
        out = {}
        tokens = (prompts, response_ids, response_mask, self.temperature)
        if old:
            out["old_log_prob"] = response_log_probs(self.model, *tokens)[0].cpu()
        if ref and self.reference is not None:
            out["ref_log_prob"] = response_log_probs(self.reference, *tokens)[0].cpu()
        if self.critic is not None:
            out["values"] = self.critic.values(
                sequence_inputs(prompts, response_ids, response_mask), response_ids.shape[1]
            ).cpu()
        return out

    def update(self, batch: TrainBatch, ppo_epochs: int, mini_batch_size: int, seed: int) -> dict[str, float]:
        """``ppo_epochs`` passes of clipped-PG steps over shuffled mini-batches; returns averaged metrics."""
        generator = torch.Generator().manual_seed(seed)
        size = batch.response_ids.shape[0]
        sums: dict[str, float] = {}
        count = 0
        for _ in range(ppo_epochs):
            order = torch.randperm(size, generator=generator).tolist()
            for start in range(0, size, mini_batch_size):
                metrics = self._step(batch, order[start : start + mini_batch_size])
                for key, value in metrics.items():
                    sums[key] = sums.get(key, 0.0) + value
                count += 1
        self.scheduler.step()  # the learning-rate warm-up counts RL steps, not mini-batches
        return {key: value / count for key, value in sums.items()} | {
            "actor/lr": self.scheduler.get_last_lr()[0]
        }

    def _step(self, batch: TrainBatch, rows: list[int]) -> dict[str, float]:
        def pick(tensor):
            return None if tensor is None else tensor[rows].to(self.device)

        prompts = {k: v.to(self.device) for k, v in slice_prompts(batch.prompts, rows).items()}
        response_ids, response_mask = pick(batch.response_ids), pick(batch.response_mask)
        self.model.train()
        log_prob, entropy = response_log_probs(
            self.model, prompts, response_ids, response_mask, self.temperature
        )
        # On-policy with a single pass: the old policy is the current one (ratio 1 at the first step).
        old_log_prob = pick(batch.old_log_prob) if batch.old_log_prob is not None else log_prob.detach()
        loss, metrics = policy_loss(
            log_prob,
            old_log_prob,
            pick(batch.advantages),
            response_mask,
            entropy,
            pick(batch.ref_log_prob),
            self.loss,
        )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.grad_clip)
        self.optimizer.step()
        metrics["actor/grad_norm"] = float(grad_norm)
        if self.critic is not None:
            inputs = sequence_inputs(prompts, response_ids, response_mask)
            values = self.critic.values(inputs, response_ids.shape[1], grad=True)
            v_loss, v_metrics = value_loss(
                values, pick(batch.old_values), pick(batch.returns), response_mask, 0.5
            )
            self.critic.step(v_loss)
            metrics.update(v_metrics)
        return metrics

    def get_weights(self) -> dict[str, torch.Tensor]:
        """The policy's state dict on CPU, for the rollout worker."""
        return {key: value.detach().cpu() for key, value in self.model.state_dict().items()}

    def save(self, directory: str) -> None:
        """HF ``save_pretrained`` policy + processor, optimizer/RNG state (and critic) in ``directory``."""
        path = Path(directory)
        self.model.save_pretrained(path / "policy")
        self.processor.save_pretrained(path / "policy")
        rng = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}
        state = {
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "rng": rng,
        }
        torch.save(state, path / "policy_state.pt")
        if self.critic is not None:
            self.critic.save(path / "critic.pt")

    def load_state(self, directory: str) -> None:
        """Restore optimizer, RNG (and critic) saved by ``save`` (the weights come from ``model_path``)."""
        path = Path(directory)
        state = torch.load(path / "policy_state.pt", weights_only=False)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["rng"]["torch"])
        np.random.set_state(state["rng"]["numpy"])
        random.setstate(state["rng"]["python"])
        if self.critic is not None:
            self.critic.load(path / "critic.pt")
