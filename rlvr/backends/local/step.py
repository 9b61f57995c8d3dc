"""One RL step of the local loop, phase by phase: generate -> score -> keep informative groups (dynamic
sampling) -> token log-probs -> rewards -> advantages -> update (then the weights go to the rollout engine).

Each phase is a small function over an ``Experience`` (the step's responses, one row per response); the
math is verl's (``algorithm.py``).
"""

from __future__ import annotations

import time

import numpy as np
import ray
import torch

from rlvr.backends.local.actors import Actors
from rlvr.backends.local.algorithm import (
    GREEDY_BASELINE_ESTIMATORS,
    ROLLOUT_LOG_PROB_LOSSES,
    SUM_PI_SQUARED_ESTIMATORS,
    AdvantageInputs,
    judged_advantages,
    kl_in_reward,
    outcome_rewards,
)
from rlvr.backends.local.experience import Experience, concat, select_groups
from rlvr.backends.local.policy import TrainBatch
from rlvr.backends.local.reward import ScoredRows, score_rows
from rlvr.backends.local.rollout import Rollout, Sampling
from rlvr.backends.local.sampling import informative_groups, prompt_batch
from rlvr.backends.local.settings import LoopSettings

SEED_STRIDE = 1_000_003  # a prime: (seed, step, draw) never collide for sane step counts


def generate(actors: Actors, prompts: list[dict], settings: LoopSettings, seed: int) -> Experience:
    """``rollout.n`` sampled responses per prompt, scored; responses of one prompt share a group id."""
    rows = [row for row in prompts for _ in range(settings.group_size)]
    sampling = Sampling(settings.max_new_tokens, settings.temperature, settings.top_p, settings.top_k)
    rollout = ray.get(actors.rollout.generate.remote(rows, sampling, seed))
    group_ids = np.repeat(np.arange(len(prompts)), settings.group_size)
    started = time.perf_counter()
    scored = score_rows(rollout.texts, rows, settings.reward)
    judged = torch.tensor(scored.judged, dtype=torch.bool)
    experience = Experience(rows, rollout, group_ids, score_tensors(scored, rollout, settings), judged)
    experience.metrics = {
        "reward/errors": float(scored.faults.errors),
        "reward/timeouts": float(scored.faults.timeouts),
        "timing/reward_s": time.perf_counter() - started,  # part of timing/rollout_s
    }
    if settings.estimator in GREEDY_BASELINE_ESTIMATORS:
        experience.reward_baselines = greedy_baseline(actors, prompts, settings)
    return experience


def score_tensors(scored: ScoredRows, rollout: Rollout, settings: LoopSettings) -> dict[str, torch.Tensor]:
    """One tensor per score key (a faulted row holds 0 placeholders, see ``scored.judged``); ``score``
    carries the overlong penalty (``reward.overlong_buffer``), ``acc`` never does."""
    scores = scored.scores
    out = {key: torch.tensor([s[key] for s in scores], dtype=torch.float32) for key in scores[0]}
    lengths = rollout.response_mask.sum(-1).tolist()
    penalty = settings.reward.overlong_buffer.penalties(lengths, settings.max_new_tokens)
    out["score"] = out["score"] + torch.tensor(penalty, dtype=torch.float32)
    return out


def greedy_baseline(actors: Actors, prompts: list[dict], settings: LoopSettings) -> torch.Tensor:
    """ReMax's baseline: each prompt's greedy response score, repeated for its group."""
    greedy = ray.get(
        actors.rollout.generate.remote(prompts, Sampling(settings.max_new_tokens, greedy=True), 0)
    )
    baseline = score_tensors(score_rows(greedy.texts, prompts, settings.reward), greedy, settings)["score"]
    return baseline.repeat_interleave(settings.group_size)


def collect(
    actors: Actors, train_rows: list[dict], cursor: int, step: int, settings: LoopSettings
) -> tuple[Experience, int]:
    """``data.train_batch_size`` groups of responses, and the prompts drawn for them. With dynamic sampling
    (``algorithm.filter_groups``), groups whose accuracy does not vary teach nothing: more prompts are
    drawn, up to ``max_num_gen_batches`` generation batches, and groups are kept informative first."""
    wanted = settings.prompts_per_step
    draws, kept, spare, drawn = 0, [], [], 0
    faults = {"reward/errors": 0.0, "reward/timeouts": 0.0, "timing/reward_s": 0.0}  # summed over draws
    limit = settings.filter_groups.max_num_gen_batches
    while True:
        prompts = prompt_batch(train_rows, cursor + drawn, wanted, settings.seed, settings.shuffle)
        seed = (settings.seed * SEED_STRIDE + step) * SEED_STRIDE + draws
        batch = generate(actors, prompts, settings, seed)
        drawn, draws = drawn + wanted, draws + 1
        if not settings.filter_groups.enable:
            return batch, drawn
        faults = {key: value + batch.metrics[key] for key, value in faults.items()}
        useful = informative_groups(batch.scores["acc"], batch.group_ids, batch.judged)
        kept.append(select_groups(batch, useful))
        spare.append(select_groups(batch, [g for g in range(wanted) if g not in set(useful)]))
        have = sum(len(set(part.group_ids.tolist())) for part in kept if part.size)
        if have >= wanted or (limit > 0 and draws >= limit):
            break
    informative = [part for part in kept if part.size]
    experience = concat([*informative, *[part for part in spare if part.size]])
    experience = select_groups(experience, list(range(wanted)))  # informative first, then topped up
    experience.metrics = faults | {
        "batch/gen_batches": float(draws),
        "batch/informative_groups": float(min(have, wanted)),
    }
    return experience, drawn


def token_rewards(experience: Experience, token_info: dict, settings: LoopSettings):
    """The score on each response's last token, less the KL to the reference when KL is in the reward."""
    mask = experience.rollout.response_mask
    rewards = outcome_rewards(experience.scores["score"], mask)
    if not settings.kl_in_reward:
        return rewards, {}
    rewards, kl = kl_in_reward(
        rewards, token_info["old_log_prob"], token_info["ref_log_prob"],
        settings.loss.kl_coef, settings.loss.kl_penalty,
    )  # fmt: skip
    return rewards, {"actor/reward_kl": float((kl * mask).sum() / mask.sum())}


def advantages(experience: Experience, token_info: dict, rewards: torch.Tensor, settings: LoopSettings):
    """verl's estimator ``algorithm.adv_estimator`` over the step's groups; a response whose verifier
    faulted is no wrong answer: it neither moves its group's baseline nor gets an advantage."""
    inputs = AdvantageInputs(
        token_rewards=rewards,
        response_mask=experience.rollout.response_mask,
        group_ids=experience.group_ids,
        values=token_info.get("values"),
        old_log_prob=token_info.get("old_log_prob"),
        sum_pi_squared=token_info.get("sum_pi_squared"),
        reward_baselines=experience.reward_baselines,
        rollout_is_weights=token_info.get("rollout_is_weights"),
        score_parts={key: value.numpy() for key, value in experience.scores.items()},
    )
    return judged_advantages(
        settings.estimator, inputs, experience.judged, gamma=settings.gamma, lam=settings.lam,
        norm_by_std=settings.norm_adv_by_std, gdpo_reward_keys=settings.gdpo_reward_keys,
    )  # fmt: skip


def loss_mask(experience: Experience, settings: LoopSettings) -> torch.Tensor | None:
    """The response tokens the loss sees, when they are not all of them: responses cut at the length limit
    are left out with ``algorithm.mask_truncated_responses``."""
    rollout = experience.rollout
    if not settings.mask_truncated_responses or rollout.truncated is None:
        return None
    return rollout.response_mask * (~rollout.truncated).float().unsqueeze(-1)


def rollout_correction(
    experience: Experience, token_info: dict, mask: torch.Tensor | None, settings: LoopSettings
) -> tuple[torch.Tensor | None, torch.Tensor | None, dict[str, float]]:
    """verl's rollout correction: importance weights policy/engine per token (or sequence), truncated, and
    rejection of tokens whose ratio is out of bounds; returns (weights, loss mask, metrics)."""
    correction = settings.rollout_correction
    if not correction.enabled:
        return None, mask, {}
    from verl.trainer.ppo.rollout_corr_helper import compute_rollout_correction_and_rejection_mask

    response_mask = experience.rollout.response_mask if mask is None else mask
    weights, kept_mask, metrics = compute_rollout_correction_and_rejection_mask(
        old_log_prob=token_info["old_log_prob"],
        rollout_log_prob=experience.rollout.log_probs,
        response_mask=response_mask,
        rollout_is=correction.rollout_is,
        rollout_is_threshold=correction.rollout_is_threshold,
        rollout_is_batch_normalize=correction.rollout_is_batch_normalize,
        rollout_rs=correction.rollout_rs,
        rollout_rs_threshold=correction.rollout_rs_threshold,
    )
    is_weights = None if weights is None else weights.batch["rollout_is_weights"]
    scalars = {f"rollout_corr/{k}": float(v) for k, v in metrics.items() if np.ndim(v) == 0}
    return is_weights, kept_mask, scalars


def needs_old_log_prob(settings: LoopSettings) -> bool:
    """The old policy's log-probs are needed unless one on-policy pass makes them equal the current ones."""
    return (
        settings.kl_in_reward
        or settings.ppo_epochs > 1
        or settings.mini_batch_prompts < settings.prompts_per_step
        or settings.rollout_correction.enabled
        or settings.estimator in SUM_PI_SQUARED_ESTIMATORS
    )


def score_tokens(actors: Actors, experience: Experience, settings: LoopSettings) -> dict[str, torch.Tensor]:
    """Old-policy and reference log-probs (and critic values, Σπ²) from the policy ranks, as needed."""
    rollout = experience.rollout
    bypass = settings.loss.policy_loss in ROLLOUT_LOG_PROB_LOSSES
    info = actors.policy.score_tokens(
        rollout.prompts, rollout.response_ids, rollout.response_mask,
        old=needs_old_log_prob(settings) and not bypass, ref=settings.needs_reference,
        sum_pi_squared=settings.estimator in SUM_PI_SQUARED_ESTIMATORS,
    )  # fmt: skip
    if bypass:  # verl's bypass mode: the rollout engine's log-probs stand for the old policy's
        info["old_log_prob"] = rollout.log_probs
    return info


def update(actors: Actors, batch: TrainBatch, settings: LoopSettings, step: int) -> dict[str, float]:
    """Policy update on the policy ranks, then the new weights stream to the rollout actor."""
    mini_batch = settings.mini_batch_prompts * settings.group_size
    metrics = actors.policy.update(batch, settings.ppo_epochs, mini_batch, settings.seed + step)
    return metrics | sync_weights(actors)


def sync_weights(actors: Actors) -> dict[str, float]:
    """Stream the policy's full weights to the rollout engine in buckets; its time and size."""
    started = time.perf_counter()
    sent = actors.policy.push_weights(actors.rollout)
    return {"timing/weight_sync_s": time.perf_counter() - started, "perf/weight_sync_mb": sent / 2**20}


def step_metrics(experience: Experience) -> dict[str, float]:
    scores, mask = experience.scores, experience.rollout.response_mask
    judged_scores = scores["score"][experience.judged]
    metrics = {
        "reward/mean": experience.judged_mean("score"),
        "reward/std": float(judged_scores.std()) if len(judged_scores) > 1 else 0.0,
        "reward/acc": experience.judged_mean("acc"),
        "reward/format": experience.judged_mean("format"),
        "response/length": float(mask.sum()) / experience.size,
    }
    if experience.rollout.truncated is not None:
        metrics["response/clip_ratio"] = float(experience.rollout.truncated.float().mean())
    return metrics | experience.metrics


def train_step(
    actors: Actors, train_rows: list[dict], cursor: int, step: int, settings: LoopSettings
) -> tuple[dict[str, float], int]:
    """One RL step; returns its metrics and how many prompts it drew from the stream."""
    started = time.perf_counter()
    experience, drawn = collect(actors, train_rows, cursor, step, settings)
    generated = time.perf_counter()
    token_info = score_tokens(actors, experience, settings)
    rewards, kl_metrics = token_rewards(experience, token_info, settings)
    is_weights, mask, correction_metrics = rollout_correction(
        experience, token_info, loss_mask(experience, settings), settings
    )
    token_info["rollout_is_weights"] = is_weights
    advantage, returns = advantages(experience, token_info, rewards, settings)
    rollout = experience.rollout
    batch = TrainBatch(
        prompts=rollout.prompts,
        response_ids=rollout.response_ids,
        response_mask=rollout.response_mask,
        advantages=advantage,
        old_log_prob=token_info.get("old_log_prob"),
        ref_log_prob=token_info.get("ref_log_prob"),
        returns=returns if "values" in token_info else None,
        old_values=token_info.get("values"),
        loss_mask=mask,
        rollout_is_weights=is_weights,
    )
    scored = time.perf_counter()
    metrics = update(actors, batch, settings, step)
    finished = time.perf_counter()
    if "actor/kl_loss" in metrics:
        metrics["actor/kl"] = metrics["actor/kl_loss"]
    response_tokens = float(rollout.response_mask.sum())
    metrics.update(kl_metrics | correction_metrics | step_metrics(experience))
    metrics.update({
        "perf/tokens_per_s": response_tokens / (finished - started),
        "timing/rollout_s": generated - started,
        "timing/advantage_s": scored - generated,
        "timing/update_s": finished - scored,
        "timing/step_s": finished - started,
    })  # fmt: skip
    return metrics, drawn
