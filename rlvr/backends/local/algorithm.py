"""The RL math of the local backend, delegated to verl's ``core_algos`` so that it is verl's, not ours.

Advantages come from verl's estimator registry, KL from ``kl_penalty``, the clipped policy loss from
``get_policy_loss_fn`` and aggregation from ``agg_loss``; this module only adapts shapes and config.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from omegaconf import OmegaConf
from verl.trainer.ppo import core_algos

OUTCOME_ESTIMATORS = ("grpo", "rloo", "reinforce_plus_plus")
KNOWN_ESTIMATORS = (*OUTCOME_ESTIMATORS, "gae")


@dataclass(frozen=True)
class LossSettings:
    """The policy-loss knobs of ``algorithm.*`` in the recipe."""

    clip_ratio_low: float = 0.2
    clip_ratio_high: float = 0.28
    loss_agg_mode: str = "token-mean"
    entropy_coeff: float = 0.0
    use_kl_loss: bool = False
    kl_coef: float = 0.0
    kl_penalty: str = "low_var_kl"
    policy_loss: str = "vanilla"


def check_estimator(name: str) -> None:
    """Fail early, with the choices, on an advantage estimator the local backend does not run."""
    if name not in KNOWN_ESTIMATORS:
        raise ValueError(
            f"algorithm.adv_estimator={name!r} is not supported by the local backend; "
            f"choose one of {', '.join(KNOWN_ESTIMATORS)}."
        )


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


def compute_advantages(
    estimator: str,
    token_rewards: torch.Tensor,
    response_mask: torch.Tensor,
    group_ids: np.ndarray,
    values: torch.Tensor | None = None,
    gamma: float = 1.0,
    lam: float = 1.0,
    norm_by_std: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Advantages and returns with verl's registered estimator ``estimator`` (responses grouped by prompt)."""
    fn = core_algos.get_adv_estimator_fn(estimator)
    if estimator == "gae":
        if values is None:
            raise ValueError("algorithm.adv_estimator=gae needs a critic's values; none were computed.")
        return fn(
            token_level_rewards=token_rewards,
            values=values,
            response_mask=response_mask,
            gamma=gamma,
            lam=lam,
        )
    algo_config = OmegaConf.create({"gamma": gamma, "lam": lam, "norm_adv_by_std_in_grpo": True})
    return fn(
        token_level_rewards=token_rewards, response_mask=response_mask, index=group_ids, config=algo_config
    )


def policy_loss(
    log_prob: torch.Tensor,
    old_log_prob: torch.Tensor,
    advantages: torch.Tensor,
    response_mask: torch.Tensor,
    entropy: torch.Tensor,
    ref_log_prob: torch.Tensor | None,
    settings: LossSettings,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Clipped surrogate (+ entropy bonus, + KL loss) for one mini-batch, with verl's functions."""
    actor_config = OmegaConf.create(
        {
            "clip_ratio": settings.clip_ratio_low,
            "clip_ratio_low": settings.clip_ratio_low,
            "clip_ratio_high": settings.clip_ratio_high,
            "clip_ratio_c": 3.0,
            "global_batch_info": {},
        }
    )
    loss_fn = core_algos.get_policy_loss_fn(settings.policy_loss)
    pg_loss, pg_metrics = loss_fn(
        old_log_prob=old_log_prob,
        log_prob=log_prob,
        advantages=advantages,
        response_mask=response_mask,
        loss_agg_mode=settings.loss_agg_mode,
        config=actor_config,
    )
    entropy_mean = core_algos.agg_loss(entropy, response_mask, settings.loss_agg_mode)
    loss = pg_loss - settings.entropy_coeff * entropy_mean
    metrics = {
        "actor/pg_loss": pg_loss.item(),
        "actor/entropy": entropy_mean.item(),
        "actor/clip_frac": pg_metrics["actor/pg_clipfrac"],
        "actor/ppo_kl": pg_metrics["actor/ppo_kl"],
    }
    if settings.use_kl_loss and ref_log_prob is not None:
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
    """verl's clipped value loss for the critic (PPO with ``adv_estimator=gae``)."""
    loss, clipfrac = core_algos.compute_value_loss(
        values, returns, old_values, response_mask, cliprange_value=clip
    )
    return loss, {"critic/vf_loss": loss.item(), "critic/vf_clipfrac": float(clipfrac)}


def judged_advantages(
    estimator: str,
    token_rewards: torch.Tensor,
    response_mask: torch.Tensor,
    group_ids: np.ndarray,
    judged: Sequence[bool],
    values: torch.Tensor | None = None,
    **estimator_kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``compute_advantages`` over the judged responses only: one whose verifier faulted is no wrong
    answer, so it neither moves its group's baseline nor gets an advantage (its return: its old value)."""
    keep = torch.as_tensor(list(judged), dtype=torch.bool)
    if keep.all():
        return compute_advantages(
            estimator, token_rewards, response_mask, group_ids, values, **estimator_kwargs
        )
    advantages = torch.zeros_like(token_rewards)
    returns = values.clone() if values is not None else torch.zeros_like(token_rewards)
    if keep.any():
        index = keep.nonzero().squeeze(-1)
        part_values = values[index] if values is not None else None
        advantages[index], returns[index] = compute_advantages(
            estimator, token_rewards[index], response_mask[index], np.asarray(group_ids)[index.numpy()],
            part_values, **estimator_kwargs,
        )  # fmt: skip
    return advantages, returns
