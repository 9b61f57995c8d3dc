"""The local GRPO/PPO loop: a step is generate -> score -> compute_advantages -> update (then sync weights).

``run(cfg)`` prepares model and data, starts the Ray actors (``actors.py``), resumes from the last complete
checkpoint, trains with validation and checkpoints, and writes ``summary.json``, ``metrics.jsonl`` and a PNG.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import ray
import torch
from omegaconf import DictConfig

from rewards.faults import TooManyFaults
from rlvr.backends.local.actors import Actors, start_actors, stop_actors
from rlvr.backends.local.algorithm import judged_advantages, kl_in_reward, outcome_rewards
from rlvr.backends.local.checkpoint import latest_checkpoint, save_checkpoint
from rlvr.backends.local.modeling import load_processor
from rlvr.backends.local.policy import TrainBatch
from rlvr.backends.local.policy_group import PolicyWorkerLost
from rlvr.backends.local.reward import ScoredRows, score_rows
from rlvr.backends.local.rollout import Sampling
from rlvr.backends.local.run_inputs import (
    drop_overlong_prompts,
    initial_policy,
    train_and_val_files,
    train_and_val_rows,
)
from rlvr.backends.local.session import RunState, ray_context, resume_state
from rlvr.backends.local.settings import LoopSettings, loop_settings
from rlvr.backends.local.sharded_state import HF_DIR
from rlvr.backends.local.tracking import MetricsSink, write_summary
from rlvr.backends.local.val_metrics import validate
from rlvr.console import progress
from rlvr.interrupts import RunInterrupted, stop_on_signals


@lru_cache(maxsize=4)
def epoch_order(size: int, seed: int, epoch: int) -> np.ndarray:
    return np.random.default_rng([seed, epoch]).permutation(size)


def prompt_batch(rows: list[dict], cursor: int, count: int, seed: int, shuffle: bool = True) -> list[dict]:
    """Prompts ``cursor .. cursor+count`` of the endless stream of ``rows``: a new shuffle every epoch,
    or (``shuffle`` false) file order every epoch."""
    picked = []
    for position in range(cursor, cursor + count):
        epoch, index = divmod(position, len(rows))
        picked.append(rows[int(epoch_order(len(rows), seed, epoch)[index]) if shuffle else index])
    return picked


def generate(actors: Actors, prompts: list[dict], settings: LoopSettings, step: int):
    """``rollout.n`` sampled responses per prompt; responses of one prompt share a group id."""
    rows = [row for row in prompts for _ in range(settings.group_size)]
    sampling = Sampling(settings.max_new_tokens, settings.temperature, settings.top_p, settings.top_k)
    rollout = ray.get(actors.rollout.generate.remote(rows, sampling, settings.seed * 1_000_003 + step))
    return rows, rollout, np.repeat(np.arange(len(prompts)), settings.group_size)


def score(rows: list[dict], texts: list[str], settings: LoopSettings) -> dict[str, torch.Tensor]:
    """Rewards from the ``rewards`` library, one tensor per score key (see ``score_tensors``)."""
    return score_tensors(score_rows(texts, rows, settings.reward))


def score_tensors(scored: ScoredRows) -> dict[str, torch.Tensor]:
    """One tensor per score key; a row whose verifier faulted holds a 0 placeholder (``scored.judged``)."""
    return {key: torch.tensor([s[key] for s in scored.scores]) for key in scored.scores[0]}


def advantages_for(
    actors: Actors, rollout, scores: torch.Tensor, group_ids, settings: LoopSettings, judged=None
):
    """Old/ref log-probs (and values) from the policy actor, then verl's advantage estimator over the
    ``judged`` responses (default: all; a faulted one gets no advantage)."""
    needs_old = (
        settings.kl_in_reward
        or settings.ppo_epochs > 1
        or settings.mini_batch_prompts < settings.prompts_per_step
    )
    token_info = actors.policy.score_tokens(
        rollout.prompts,
        rollout.response_ids,
        rollout.response_mask,
        old=needs_old,
        ref=settings.needs_reference,
    )
    token_rewards = outcome_rewards(scores, rollout.response_mask)
    metrics = {}
    if settings.kl_in_reward:
        token_rewards, kl = kl_in_reward(
            token_rewards, token_info["old_log_prob"], token_info["ref_log_prob"],
            settings.loss.kl_coef, settings.loss.kl_penalty,
        )  # fmt: skip
        metrics["actor/kl"] = float((kl * rollout.response_mask).sum() / rollout.response_mask.sum())
    advantages, returns = judged_advantages(
        settings.estimator, token_rewards, rollout.response_mask, group_ids,
        [True] * len(scores) if judged is None else judged,
        values=token_info.get("values"), gamma=settings.gamma, lam=settings.lam,
        norm_by_std=settings.norm_adv_by_std,
    )  # fmt: skip
    batch = TrainBatch(
        prompts=rollout.prompts,
        response_ids=rollout.response_ids,
        response_mask=rollout.response_mask,
        advantages=advantages,
        old_log_prob=token_info.get("old_log_prob"),
        ref_log_prob=token_info.get("ref_log_prob"),
        returns=returns if "values" in token_info else None,
        old_values=token_info.get("values"),
    )
    return batch, metrics


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


def train_step(
    actors: Actors, train_rows: list[dict], state: RunState, settings: LoopSettings
) -> dict[str, float]:
    step = state.step + 1
    prompts = prompt_batch(
        train_rows, state.prompts_consumed, settings.prompts_per_step, settings.seed, settings.shuffle
    )
    started = time.perf_counter()
    rows, rollout, group_ids = generate(actors, prompts, settings, step)
    generated = time.perf_counter()
    verdicts = score_rows(rollout.texts, rows, settings.reward)
    scores = score_tensors(verdicts)
    scored = time.perf_counter()
    batch, kl_metrics = advantages_for(actors, rollout, scores["score"], group_ids, settings, verdicts.judged)
    metrics = update(actors, batch, settings, step)
    finished = time.perf_counter()
    if "actor/kl_loss" in metrics:
        metrics["actor/kl"] = metrics["actor/kl_loss"]
    response_tokens = float(rollout.response_mask.sum())
    metrics.update(kl_metrics)
    judged = torch.as_tensor(verdicts.judged, dtype=torch.bool)
    metrics.update({
        "reward/mean": float(scores["score"][judged].mean()),
        "reward/std": float(scores["score"][judged].std()),
        "reward/acc": float(scores["acc"][judged].mean()),
        "reward/format": float(scores["format"][judged].mean()),
        "reward/errors": float(verdicts.faults.errors),
        "reward/timeouts": float(verdicts.faults.timeouts),
        "response/length": response_tokens / len(rows),
        "perf/tokens_per_s": response_tokens / (finished - started),
        "timing/rollout_s": generated - started,
        "timing/reward_s": scored - generated,
        "timing/update_s": finished - scored,
        "timing/step_s": finished - started,
    })  # fmt: skip
    state.step = step
    state.prompts_consumed += len(prompts)
    return metrics


def checkpoint(
    actors: Actors, output_dir: Path, state: RunState, settings: LoopSettings, wall: float
) -> Path:
    saved_state = {**asdict(state), "wall_seconds": wall}
    return save_checkpoint(
        output_dir, state.step, lambda tmp: actors.policy.save(str(tmp)), saved_state,
        keep=settings.keep_checkpoints,
    )  # fmt: skip


def run(cfg: DictConfig) -> dict[str, Any]:
    """Train with the local backend; returns (and writes) the run summary. A first SIGINT/SIGTERM ends
    the step, saves a checkpoint and the summary, and raises ``RunInterrupted``; a second abandons it."""
    started = time.time()
    settings = loop_settings(cfg)
    output_dir = Path(str(cfg.trainer.output_dir)).expanduser()
    output_dir.mkdir(parents=True, exist_ok=True)
    with ray_context(cfg, settings):  # the cluster is checked before any data or model work
        train_files, val_files = train_and_val_files(cfg, output_dir)
        train_rows, val_rows = train_and_val_rows(train_files, val_files)
        start_policy = initial_policy(cfg, output_dir, train_files)
        if settings.filter_overlong_prompts:
            processor = load_processor(str(start_policy), settings.model)
            train_rows = drop_overlong_prompts(processor, train_rows, settings.max_prompt_length, "training")
            val_rows = drop_overlong_prompts(processor, val_rows, settings.max_prompt_length, "validation")
        state, resume_from = resume_state(output_dir, settings)
        previous_wall = state.wall_seconds

        def wall() -> float:
            return previous_wall + time.time() - started

        stopped: BaseException | None = None
        try:
            inputs = RunInputs(train_rows, val_rows, start_policy, resume_from)
            train(cfg, settings, output_dir, inputs, state, wall)
        except (RunInterrupted, TooManyFaults) as exc:
            stopped = exc
        except KeyboardInterrupt:
            last = latest_checkpoint(output_dir)
            stopped = RunInterrupted(state.step, str(last) if last else None, abandoned=True)
    summary = write_summary(output_dir, state, start_policy, wall(), stopped)
    if stopped is not None:
        raise stopped
    return summary


@dataclass(frozen=True)
class RunInputs:
    """What the loop trains on: the rows, the initial policy, and the checkpoint it resumes (or None)."""

    train_rows: list[dict]
    val_rows: list[dict]
    start_policy: Path
    resume_from: Path | None


def train(
    cfg: DictConfig,
    settings: LoopSettings,
    output_dir: Path,
    inputs: RunInputs,
    state: RunState,
    wall: Callable[[], float],
) -> None:
    """The loop: validation, steps, checkpoints; a stop signal ends it after a step, with a checkpoint."""
    train_rows, val_rows, start_policy, resume_from = (
        inputs.train_rows, inputs.val_rows, inputs.start_policy, inputs.resume_from
    )  # fmt: skip
    sink = actors = None
    try:
        model_path = resume_from / HF_DIR if resume_from is not None else start_policy
        actors = start_actors(model_path, start_policy, settings, resume_from)
        sink = MetricsSink(
            output_dir, cfg.logger, run_name=str(cfg.get("recipe", "run")), resume_step=state.step
        )
        val_sampling = Sampling(
            settings.max_new_tokens,
            temperature=settings.val_temperature,
            greedy=settings.val_temperature == 0,
        )

        def run_validation() -> dict[str, float]:
            metrics = validate(
                actors.rollout, val_rows, settings.val_batch_size, val_sampling, settings.reward
            )
            state.val_history.append((state.step, metrics["val/acc"]))
            if state.val_acc_start is None:
                state.val_acc_start = metrics["val/acc"]
            return metrics

        if state.step == 0 and settings.val_before_train:
            sink.log(0, run_validation())
        bar = progress(settings.total_steps, state.step, "rl")
        saved_step = state.step
        with stop_on_signals() as stop:
            while state.step < settings.total_steps and stop.received is None:
                metrics = train_step(actors, train_rows, state, settings)
                last = state.step == settings.total_steps
                if last or (settings.test_freq > 0 and state.step % settings.test_freq == 0):
                    metrics.update(run_validation())
                sink.log(state.step, metrics)
                if last or (settings.save_freq > 0 and state.step % settings.save_freq == 0):
                    checkpoint(actors, output_dir, state, settings, wall())
                    saved_step = state.step
                bar.update(1)
                bar.set_postfix(**{"train/reward": f"{metrics['reward/mean']:.2f}"})
            if stop.received is not None and state.step < settings.total_steps:
                saved = (
                    checkpoint(actors, output_dir, state, settings, wall())
                    if saved_step < state.step
                    else None
                )
                raise RunInterrupted(state.step, str(saved or latest_checkpoint(output_dir) or "") or None)
        bar.close()
    except PolicyWorkerLost as err:
        last = latest_checkpoint(output_dir)
        resume = f"the last complete checkpoint is {last}" if last else "no checkpoint was complete yet"
        raise PolicyWorkerLost(
            f"{err}; {resume}. Run the same command again to resume (trainer.resume=auto), with any "
            "cluster.policy_workers."
        ) from err
    finally:
        if sink is not None:
            sink.close()
        if actors is not None:
            stop_actors(actors)
