"""The RL math of the local backend, delegated to verl's ``core_algos`` so that it is verl's, not ours.

Advantages come from verl's estimator registry (every registered estimator, called with the inputs verl's
trainer gives it), KL from ``kl_penalty``, the policy loss from verl's policy-loss registry and aggregation
from ``agg_loss``; this module only adapts shapes and config.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

import numpy as np
import torch
from omegaconf import OmegaConf
from verl.trainer.config.algorithm import RolloutCorrectionConfig
from verl.trainer.ppo import core_algos
from verl.workers.config import ActorConfig, PolicyLossConfig

from rlvr.recipe.schema import AlgorithmConfig

CRITIC_ESTIMATORS = ("gae",)  # estimators that need a critic's values
GREEDY_BASELINE_ESTIMATORS = ("remax",)  # need the reward of a greedy response per prompt
SUM_PI_SQUARED_ESTIMATORS = ("optimal_token_baseline", "tir_optimal_token_baseline")
ROLLOUT_LOG_PROB_LOSSES = ("bypass_mode",)  # train against the rollout engine's log-probs as the old policy
ACTOR_LOSS_FIELDS = ("tau_pos", "tau_neg")  # loss knobs verl keeps on the actor, not in policy_loss
_ALGO = AlgorithmConfig()  # the schema's defaults, for code that builds settings without a recipe


def estimator_names() -> list[str]:
    """Every advantage estimator registered with verl (the schema accepts exactly these)."""
    return sorted(core_algos.ADV_ESTIMATOR_REGISTRY)


def policy_loss_names() -> list[str]:
    """Every policy loss registered with verl."""
    return sorted(core_algos.POLICY_LOSS_REGISTRY)


def policy_loss_fields() -> list[str]:
    """The knobs of verl's ``PolicyLossConfig`` a recipe may set in ``algorithm.policy_loss_args``."""
    return sorted(
        name for name in PolicyLossConfig.__dataclass_fields__ if name not in ("loss_mode", "_target_")
    )


@dataclass(frozen=True)
class LossSettings:
    """The policy-loss knobs of ``algorithm.*`` in the recipe (defaults: the schema's)."""

    clip_ratio_low: float = _ALGO.clip_ratio_low
    clip_ratio_high: float = _ALGO.clip_ratio_high
    clip_ratio_c: float = _ALGO.clip_ratio_c
    loss_agg_mode: str = _ALGO.loss_agg_mode
    entropy_coeff: float = _ALGO.entropy_coeff
    use_kl_loss: bool = _ALGO.use_kl_loss
    kl_in_reward_and_loss: bool = _ALGO.kl_in_reward_and_loss
    kl_coef: float = _ALGO.kl_coef
    kl_penalty: str = _ALGO.kl_penalty
    policy_loss: str = _ALGO.policy_loss
    policy_loss_args: dict[str, Any] = field(default_factory=dict)
    rollout_correction: dict[str, Any] = field(default_factory=dict)  # bypass_mode reads it

    @property
    def kl_in_loss(self) -> bool:
        return self.use_kl_loss or self.kl_in_reward_and_loss

    @cached_property
    def actor(self) -> ActorConfig:
        return actor_config(self)


@dataclass
class AdvantageInputs:
    """What verl's estimators may read, one row per response (None: not computed for this estimator)."""

    token_rewards: torch.Tensor
    response_mask: torch.Tensor
    group_ids: np.ndarray
    values: torch.Tensor | None = None
    old_log_prob: torch.Tensor | None = None
    sum_pi_squared: torch.Tensor | None = None
    reward_baselines: torch.Tensor | None = None
    rollout_is_weights: torch.Tensor | None = None
    score_parts: dict[str, np.ndarray] = field(default_factory=dict)  # per-key scores, for gdpo

    def select(self, index: torch.Tensor) -> AdvantageInputs:
        """The responses at ``index`` (row numbers), every input cut alike."""
        rows = index.numpy()
        picked = {
            f.name: None if getattr(self, f.name) is None else getattr(self, f.name)[index]
            for f in fields(self)
            if f.name not in ("group_ids", "score_parts")
        }
        parts = {key: np.asarray(value)[rows] for key, value in self.score_parts.items()}
        return AdvantageInputs(group_ids=np.asarray(self.group_ids)[rows], score_parts=parts, **picked)


def outcome_rewards(scores: torch.Tensor, response_mask: torch.Tensor) -> torch.Tensor:
    """Place each response's scalar score on its last response token (verl's token-level reward layout)."""
    rewards = torch.zeros_like(response_mask, dtype=torch.float32)
    last = response_mask.sum(dim=-1).long().clamp(min=1) - 1
    rewards[torch.arange(len(scores)), last] = scores.float()
    return rewards * response_mask


def kl_in_reward(
    token_rewards: torch.Tensor,
    old_log_prob: torch.Tensor,
    ref_log_prob: torch.Tensor,
    kl_coef: float,
    kind: str,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Subtract ``kl_coef * KL(policy || ref)`` from the token rewards (the ``use_kl_loss=false`` path)."""
    kl = core_algos.kl_penalty(old_log_prob, ref_log_prob, kl_penalty=kind)
    return token_rewards - kl_coef * kl, kl


def call_with_accepted(fn: Any, candidates: dict[str, Any]) -> Any:
    """Call ``fn`` with the candidates its signature names (all of them when it takes ``**kwargs``)."""
    parameters = inspect.signature(fn).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return fn(**{k: v for k, v in candidates.items() if v is not None})
    return fn(**{k: v for k, v in candidates.items() if k in parameters and v is not None})


def compute_advantages(
    estimator: str,
    inputs: AdvantageInputs,
    gamma: float = 1.0,
    lam: float = 1.0,
    norm_by_std: bool = True,
    gdpo_reward_keys: list[str] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Advantages and returns with verl's registered estimator ``estimator`` (responses grouped by prompt),
    given the inputs verl's own ``compute_advantage`` would give it."""
    fn = core_algos.get_adv_estimator_fn(estimator)
    if estimator in CRITIC_ESTIMATORS and inputs.values is None:
        raise ValueError(f"algorithm.adv_estimator={estimator} needs a critic's values; none were computed.")
    algo_config = OmegaConf.create(
        {
            "gamma": gamma,
            "lam": lam,
            "norm_adv_by_std_in_grpo": norm_by_std,
            "gdpo_reward_keys": list(gdpo_reward_keys or []),
        }
    )
    gdpo = estimator == "gdpo"
    candidates = {
        "token_level_rewards": inputs.token_rewards,
        "response_mask": inputs.response_mask,
        "index": inputs.group_ids,
        "values": inputs.values,
        "gamma": gamma,
        "lam": lam,
        "norm_adv_by_std_in_grpo": norm_by_std,
        "config": algo_config,
        "reward_baselines": inputs.reward_baselines,
        "old_log_probs": inputs.old_log_prob if estimator in SUM_PI_SQUARED_ESTIMATORS else None,
        "sum_pi_squared": inputs.sum_pi_squared,
        "rollout_is_weights": inputs.rollout_is_weights if estimator in SUM_PI_SQUARED_ESTIMATORS else None,
        "non_tensor_batch": inputs.score_parts if gdpo else None,
        "batch": gdpo_batch(inputs.response_mask) if gdpo else None,
    }
    return call_with_accepted(fn, candidates)


def gdpo_batch(response_mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """The two tensors gdpo reads from verl's batch: a (here empty) prompt block and the attention mask,
    whose response part locates each response's last token."""
    prompts = torch.zeros((response_mask.shape[0], 0), dtype=torch.long)
    return {"prompts": prompts, "attention_mask": response_mask.long()}


def actor_config(settings: LossSettings) -> ActorConfig:
    """verl's own actor config for the loss knobs (some of verl's losses accept nothing else)."""
    args = dict(settings.policy_loss_args)
    actor_args = {name: args.pop(name) for name in ACTOR_LOSS_FIELDS if name in args}
    correction = RolloutCorrectionConfig(**settings.rollout_correction)
    return ActorConfig(
        strategy="fsdp",
        ppo_mini_batch_size=1,
        ppo_micro_batch_size_per_gpu=1,
        rollout_n=1,
        clip_ratio=settings.clip_ratio_low,
        clip_ratio_low=settings.clip_ratio_low,
        clip_ratio_high=settings.clip_ratio_high,
        clip_ratio_c=settings.clip_ratio_c,
        loss_agg_mode=settings.loss_agg_mode,
        policy_loss=PolicyLossConfig(loss_mode=settings.policy_loss, rollout_correction=correction, **args),
        **actor_args,
    )


def policy_loss(
    log_prob: torch.Tensor,
    old_log_prob: torch.Tensor,
    advantages: torch.Tensor,
    response_mask: torch.Tensor,
    entropy: torch.Tensor,
    ref_log_prob: torch.Tensor | None,
    settings: LossSettings,
    rollout_is_weights: torch.Tensor | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """verl's registered policy loss ``settings.policy_loss`` (+ entropy bonus, + KL loss) for one
    mini-batch; ``rollout_is_weights`` (rollout correction) scale each token's loss."""
    loss_fn = core_algos.get_policy_loss_fn(settings.policy_loss)
    pg_loss, pg_metrics = loss_fn(
        old_log_prob=old_log_prob,
        log_prob=log_prob,
        advantages=advantages,
        response_mask=response_mask,
        loss_agg_mode=settings.loss_agg_mode,
        config=settings.actor,
        rollout_is_weights=rollout_is_weights,
    )
    entropy_mean = core_algos.agg_loss(entropy, response_mask, settings.loss_agg_mode)
    loss = pg_loss - settings.entropy_coeff * entropy_mean
    metrics = {
        "actor/pg_loss": pg_loss.item(),
        "actor/entropy": entropy_mean.item(),
        **{key: float(value) for key, value in pg_metrics.items() if np.ndim(value) == 0},
    }
    metrics["actor/clip_frac"] = metrics.get("actor/pg_clipfrac", 0.0)
    if settings.kl_in_loss and ref_log_prob is not None:
        kl = core_algos.kl_penalty(log_prob, ref_log_prob, kl_penalty=settings.kl_penalty)
        kl_loss = core_algos.agg_loss(kl, response_mask, settings.loss_agg_mode)
        loss = loss + settings.kl_coef * kl_loss
        metrics["actor/kl_loss"] = kl_loss.item()
    return loss, metrics


def value_loss(
    values: torch.Tensor,
    old_values: torch.Tensor,
    returns: torch.Tensor,
    response_mask: torch.Tensor,
    clip: float,
) -> tuple[torch.Tensor, dict[str, float]]:
    """verl's clipped value loss for the critic (``algorithm.cliprange_value`` is ``clip``)."""
    loss, clipfrac = core_algos.compute_value_loss(
        values, returns, old_values, response_mask, cliprange_value=clip
    )
    return loss, {"critic/vf_loss": loss.item(), "critic/vf_clipfrac": float(clipfrac)}


def judged_advantages(
    estimator: str, inputs: AdvantageInputs, judged: torch.Tensor, **estimator_kwargs: Any
) -> tuple[torch.Tensor, torch.Tensor]:
    """``compute_advantages`` over the judged responses only: one whose verifier faulted is no wrong
    answer, so it neither moves its group's baseline nor gets an advantage (its return: its old value)."""
    keep = torch.as_tensor(judged, dtype=torch.bool)
    if keep.all():
        return compute_advantages(estimator, inputs, **estimator_kwargs)
    advantages = torch.zeros_like(inputs.token_rewards)
    values = inputs.values
    returns = values.clone() if values is not None else torch.zeros_like(inputs.token_rewards)
    if keep.any():
        index = keep.nonzero().squeeze(-1)
        advantages[index], returns[index] = compute_advantages(
            estimator, inputs.select(index), **estimator_kwargs
        )
    return advantages, returns
