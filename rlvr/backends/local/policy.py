"""The policy actor: holds the trainable policy (+ frozen reference, + optional critic) and updates it.

Log-probs and entropies are computed with verl's helpers, the loss with ``algorithm.py`` (verl's
core_algos); the optimizer is torch AdamW. One worker holds the whole model; N workers form one
torch.distributed group and shard model, reference and optimizer state with FSDP2 (``fsdp.py``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from verl.utils.torch_functional import entropy_from_logits, logprobs_from_logits

from rlvr.backends.local.algorithm import LossSettings, policy_loss, value_loss
from rlvr.backends.local.critic import Critic
from rlvr.backends.local.fsdp import all_reduce_sum, clip_gradients, full_parameters, join_group, shard_blocks
from rlvr.backends.local.lora import (
    add_adapters,
    freeze_vision_tower,
    is_peft,
    merged_parameters,
    trainable_parameters,
)
from rlvr.backends.local.modeling import (
    DEFAULT_MODEL,
    ModelSettings,
    Weights,
    load_model,
    load_processor,
    tensor_bits,
)
from rlvr.backends.local.prompts import PromptBatch, model_inputs, slice_prompts
from rlvr.backends.local.sharded_state import load_policy, save_policy
from rlvr.backends.local.shared_prefix import can_share, shared_prefix_logits
from rlvr.backends.local.weight_sync import DEFAULT_BUCKET_BYTES, stream_weights
from rlvr.recipe.schema import AlgorithmConfig

if TYPE_CHECKING:
    from rlvr.backends.local.settings import LoraSettings

_ALGO = AlgorithmConfig()


def select_rows(
    prompts: PromptBatch, rows: list[int], device: str, *tensors: torch.Tensor | None
) -> tuple[PromptBatch | torch.Tensor | None, ...]:
    """The prompts and per-response ``tensors`` (None stays None) of responses ``rows``, on ``device``."""
    picked = {key: value.to(device) for key, value in slice_prompts(prompts, rows).items()}
    return picked, *(None if t is None else t[rows].to(device) for t in tensors)


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
    loss_mask: torch.Tensor | None = None  # the tokens the loss sees, when not all response tokens
    rollout_is_weights: torch.Tensor | None = None  # rollout correction's importance weights

    def select(self, rows: list[int], device: str) -> TrainBatch:
        """The responses ``rows`` on ``device``."""
        names = [f.name for f in fields(self)][1:]
        prompts, *tensors = select_rows(self.prompts, rows, device, *(getattr(self, n) for n in names))
        return TrainBatch(prompts, *tensors)


def sequence_inputs(prompts: PromptBatch, response_ids: torch.Tensor, response_mask: torch.Tensor) -> dict:
    """Model inputs for prompt + response (left-padded prompt, right-padded response)."""
    inputs = model_inputs(prompts)
    inputs["input_ids"] = torch.cat([prompts["input_ids"], response_ids], dim=1)
    inputs["attention_mask"] = torch.cat([prompts["attention_mask"], response_mask.long()], dim=1)
    if "mm_token_type_ids" in inputs:  # response tokens are text
        inputs["mm_token_type_ids"] = torch.cat(
            [prompts["mm_token_type_ids"], torch.zeros_like(response_ids)], dim=1
        )
    return inputs


def response_logits(
    model, prompts: PromptBatch, response_ids, response_mask, temperature: float
) -> torch.Tensor:
    """The logits that predicted each response token, divided by the sampling ``temperature`` (as verl's
    actor does, so that ratios compare sampling distributions). Rows that repeat a prompt (a GRPO group)
    share one prompt forward (``shared_prefix.py``)."""
    if can_share(model):
        logits = shared_prefix_logits(model, prompts, response_ids, response_mask)
    else:
        width = response_ids.shape[1]
        inputs = sequence_inputs(prompts, response_ids, response_mask)
        logits = model(**inputs, logits_to_keep=width + 1, use_cache=False).logits[:, -width - 1 : -1]
    return logits.float() / temperature


def response_log_probs(
    model, prompts: PromptBatch, response_ids, response_mask, temperature: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token log-prob and entropy of the response tokens under ``model`` sampled at ``temperature``."""
    logits = response_logits(model, prompts, response_ids, response_mask, temperature)
    return logprobs_from_logits(logits, response_ids), entropy_from_logits(logits)


def micro_batch_share(micro_mask: torch.Tensor, mini_mask: torch.Tensor, loss_agg_mode: str) -> float:
    """The weight of a micro-batch's own loss in its mini-batch's loss. verl's ``agg_loss`` divides each
    micro-batch's sum by the mini-batch's token count (token-mean: ``batch_num_tokens``) or non-empty
    sequence count (seq-mean-*: ``global_batch_size``); scaling the micro-batch's mean by its share of
    that count is the same, so the accumulated gradient equals the un-split step's."""
    if loss_agg_mode == "token-mean":
        return float(micro_mask.sum() / mini_mask.sum())
    if loss_agg_mode.startswith("seq-mean"):
        return float((micro_mask.sum(-1) > 0).sum() / (mini_mask.sum(-1) > 0).sum())
    raise ValueError(f"algorithm.loss_agg_mode={loss_agg_mode!r} is not supported by the local backend.")


def chunks(rows: list[int], size: int | None) -> list[list[int]]:
    """``rows`` in consecutive pieces of ``size`` (None: one piece)."""
    size = size or len(rows)
    return [rows[start : start + size] for start in range(0, len(rows), size)]


class PolicyWorker:
    """Trainable policy; a Ray actor in the loop, a plain object in tests.

    ``micro_batch_size`` (``ppo_micro_batch_size_per_gpu``) responses go through forward/backward at a
    time, gradients accumulating to one optimizer step per mini-batch; ``log_prob_micro_batch_size``
    (``rollout.log_prob_micro_batch_size_per_gpu``) bounds the no-grad passes of ``score_tokens``.
    None: the whole batch at once. With ``world_size`` > 1 the worker is rank ``rank`` of the group at
    ``group_address``: every rank gets the same number of rows, and calls every method in step.
    """

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
        model: ModelSettings = DEFAULT_MODEL,
        cliprange_value: float = _ALGO.cliprange_value,
        freeze_vision: bool = False,
        lora: LoraSettings | None = None,
        micro_batch_size: int | None = None,
        log_prob_micro_batch_size: int | None = None,
        rank: int = 0,
        world_size: int = 1,
        group_address: str | None = None,
    ):
        if threads:
            torch.set_num_threads(threads)
        torch.manual_seed(seed)
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.rank, self.world_size = rank, world_size
        if world_size > 1:
            if with_critic:
                raise ValueError(
                    "algorithm.adv_estimator=gae (a critic) runs with cluster.policy_workers=1 only."
                )
            if group_address is None:
                raise ValueError("a policy group of several workers needs the group_address of rank 0.")
            join_group(group_address, rank, world_size, self.device)
        self.loss = loss
        self.temperature = temperature
        self.grad_clip = grad_clip
        self.cliprange_value = cliprange_value
        self.micro_batch_size = micro_batch_size
        self.log_prob_micro_batch_size = log_prob_micro_batch_size
        self.processor = load_processor(model_path, model)
        self.model = load_model(model_path, model, self.device, train=True)
        self.reference = None if reference_path is None else load_model(reference_path, model, self.device)
        if lora is not None and lora.rank > 0:
            self.model = add_adapters(
                self.model, lora.rank, lora.alpha, lora.target_modules, lora.exclude_modules
            )
        if freeze_vision and not freeze_vision_tower(self.model):
            raise ValueError(
                "actor.freeze_vision_tower=true but the model has no vision tower (no `visual.`)."
            )
        if world_size > 1:
            self.model = shard_blocks(self.model, self.device)
            self.reference = None if self.reference is None else shard_blocks(self.reference, self.device)
        self.optimizer = torch.optim.AdamW(trainable_parameters(self.model), lr=lr, weight_decay=weight_decay)
        warmup = max(1, lr_warmup_steps)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda step: min(1.0, (step + 1) / warmup)
        )
        # the critic's backbone inherits the policy's dtype and gradient checkpointing
        self.critic = Critic(copy.deepcopy(self.model), critic_lr or lr, grad_clip) if with_critic else None

    @torch.no_grad()
    def score_tokens(
        self,
        prompts: PromptBatch,
        response_ids,
        response_mask,
        old: bool,
        ref: bool,
        sum_pi_squared: bool = False,
    ) -> dict:
        """The old-policy / reference log-probs, the policy's Σπ² per token (optimal-token-baseline
        estimators) and critic values for a rollout (those requested)."""
        self.model.eval()  # no gradient-checkpointing recomputation without gradients
        pieces: dict[str, list[torch.Tensor]] = {}
        for rows in chunks(list(range(response_ids.shape[0])), self.log_prob_micro_batch_size):
            chunk = select_rows(prompts, rows, self.device, response_ids, response_mask)
            out = {}
            if old or sum_pi_squared:
                logits = response_logits(self.model, *chunk, self.temperature)
                out["old_log_prob"] = logprobs_from_logits(logits, chunk[1])
                if sum_pi_squared:
                    out["sum_pi_squared"] = torch.softmax(logits, dim=-1).square().sum(-1)
            if ref and self.reference is not None:
                out["ref_log_prob"] = response_log_probs(self.reference, *chunk, self.temperature)[0]
            if self.critic is not None:
                out["values"] = self.critic.values(sequence_inputs(*chunk), response_ids.shape[1])
            for key, value in out.items():
                pieces.setdefault(key, []).append(value.cpu())
        return {key: torch.cat(values) for key, values in pieces.items()}

    def update(self, batch: TrainBatch, ppo_epochs: int, mini_batch_size: int, seed: int) -> dict[str, float]:
        """``ppo_epochs`` passes of clipped-PG steps over shuffled mini-batches of the whole ``batch`` (the
        same shuffle on every rank; each rank takes an equal slice of a mini-batch); returns
        averaged metrics, the same on every rank."""
        generator = torch.Generator().manual_seed(seed)
        size = batch.response_ids.shape[0]
        sums: dict[str, float] = {}
        count = 0
        for _ in range(ppo_epochs):
            for rows in chunks(torch.randperm(size, generator=generator).tolist(), mini_batch_size):
                if len(rows) % self.world_size:
                    raise ValueError(
                        f"a mini-batch of {len(rows)} responses does not split over {self.world_size} policy "
                        "workers; make algorithm.ppo_mini_batch_size x rollout.n a multiple of "
                        "cluster.policy_workers."
                    )
                for key, value in self._step(batch, rows).items():
                    sums[key] = sums.get(key, 0.0) + value
                count += 1
        self.scheduler.step()  # the learning-rate warm-up counts RL steps, not mini-batches
        return {key: value / count for key, value in sums.items()} | {
            "actor/lr": self.scheduler.get_last_lr()[0]
        }

    def _step(self, batch: TrainBatch, rows: list[int]) -> dict[str, float]:
        """One optimizer step (policy, and critic) on mini-batch ``rows``, accumulated over this rank's
        micro-batches; each micro-batch's loss is weighted by its share of the whole mini-batch, and the
        group sums gradients, so N ranks take the step one worker would."""
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        if self.critic is not None:
            self.critic.zero_grad()
        mini_mask = batch.response_mask[rows]
        metrics: dict[str, float] = {}
        # rank r takes the r-th slice of the rows in order: a group's responses share micro-batches, and so
        # their prompt's forward (``shared_prefix.py``)
        share = len(rows) // self.world_size
        own = sorted(rows)[self.rank * share : (self.rank + 1) * share]
        for micro in chunks(own, self.micro_batch_size):
            micro_mask = batch.response_mask[micro]
            shares = (
                micro_batch_share(micro_mask, mini_mask, self.loss.loss_agg_mode),
                micro_batch_share(micro_mask, mini_mask, "token-mean"),  # verl's value loss is a token-mean
            )
            # FSDP averages gradients over ranks: scaling by the group size makes that a sum
            scaled = [share * self.world_size for share in shares]
            for key, value in self._accumulate(batch.select(micro, self.device), *scaled).items():
                metrics[key] = metrics.get(key, 0.0) + value
        metrics = {key: value / self.world_size for key, value in all_reduce_sum(metrics).items()}
        metrics["actor/grad_norm"] = clip_gradients(list(self.model.parameters()), self.grad_clip)
        self.optimizer.step()
        if self.critic is not None:
            self.critic.step()
        return metrics

    def _accumulate(self, micro: TrainBatch, share: float, value_share: float) -> dict[str, float]:
        """Backward of one micro-batch's losses scaled by its share of the mini-batch; its metrics, scaled."""
        log_prob, entropy = response_log_probs(
            self.model, micro.prompts, micro.response_ids, micro.response_mask, self.temperature
        )
        # On-policy with a single pass: the old policy is the current one (ratio 1 at the first step).
        old_log_prob = micro.old_log_prob if micro.old_log_prob is not None else log_prob.detach()
        mask = micro.response_mask if micro.loss_mask is None else micro.loss_mask
        loss, pg_metrics = policy_loss(
            log_prob, old_log_prob, micro.advantages, mask, entropy, micro.ref_log_prob, self.loss,
            micro.rollout_is_weights,
        )  # fmt: skip
        (loss * share).backward()
        metrics = {key: value * share for key, value in pg_metrics.items()}
        if self.critic is not None:
            inputs = sequence_inputs(micro.prompts, micro.response_ids, micro.response_mask)
            values = self.critic.values(inputs, micro.response_ids.shape[1], grad=True)
            v_loss, v_metrics = value_loss(
                values, micro.old_values, micro.returns, micro.response_mask, self.cliprange_value
            )
            (v_loss * value_share).backward()
            metrics.update({key: value * value_share for key, value in v_metrics.items()})
        return metrics

    def get_weights(self) -> Weights:
        """The policy's full parameters on CPU (gathered: every rank must call it)."""
        return {name: tensor_bits(value) for name, value in self.full_parameters()}

    def full_parameters(self):
        """(name, full value) of every parameter as the rollout engine names it (LoRA merged in)."""
        return merged_parameters(self.model) if is_peft(self.model) else full_parameters(self.model)

    def push_weights(self, rollout: Any, bucket_bytes: int = DEFAULT_BUCKET_BYTES) -> int:
        """Stream the full parameters to the ``rollout`` actor in buckets (every rank gathers, rank 0 sends);
        returns the bytes sent."""
        send = None if self.rank else (lambda bucket, last: rollout.receive_weights.remote(bucket, last))
        return stream_weights(self.full_parameters(), send, bucket_bytes)

    def save(self, directory: str) -> None:
        """Sharded model + optimizer, the HF export, schedule and RNG (and critic) in ``directory``."""
        path = Path(directory)
        save_policy(path, self.model, self.optimizer, self.scheduler, self.processor)
        if self.critic is not None:
            self.critic.save(path / "critic.pt")

    def load_state(self, directory: str) -> None:
        """Restore what ``save`` wrote, whatever the number of ranks that wrote it."""
        path = Path(directory)
        load_policy(path, self.model, self.optimizer, self.scheduler)
        if self.critic is not None:
            self.critic.load(path / "critic.pt")
