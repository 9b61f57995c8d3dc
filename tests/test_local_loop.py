"""The local backend end to end on the tiny Qwen2.5-VL with Ray (CPU): a GRPO step, learning, resume."""

from __future__ import annotations

import json

import numpy as np
import pytest
import ray
import torch
from omegaconf import OmegaConf

from base_training.tiny import build_tiny_qwen2_5_vl
from rlvr.backends.local import step, trainer
from rlvr.backends.local.actors import start_actors, stop_actors
from rlvr.backends.local.algorithm import AdvantageInputs, LossSettings, compute_advantages, outcome_rewards
from rlvr.backends.local.checkpoint import checkpoints_root, complete_checkpoints
from rlvr.backends.local.policy import PolicyWorker, TrainBatch, response_log_probs
from rlvr.backends.local.prompts import encode_prompts
from rlvr.backends.local.reward import RewardSettings, score_rows
from rlvr.backends.local.rollout import RolloutWorker, Sampling, pad_responses
from rlvr.backends.local.settings import loop_settings
from rlvr.data.io import read_rows
from rlvr.data.synth import write_synth
from rlvr.recipe.schema import RLConfig


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny") / "model", seed=0)


@pytest.fixture(scope="module")
def synth_rows(tmp_path_factory):
    paths = write_synth(tmp_path_factory.mktemp("synth"), n=40, seed=0)
    return read_rows(paths["train"]), read_rows(paths["val"])


def recipe(output_dir, **overrides):
    """A small, fast local-backend config on the schema's defaults (as `rlvr train` would compose it)."""
    cfg = OmegaConf.structured(RLConfig)
    small = {
        "model": {"path": "tiny", "sft_warmup": {"steps": 2, "lr": 1e-3, "batch_size": 4}},
        "data": {"synth": {"n": 24, "seed": 0}, "max_prompt_length": 256, "max_response_length": 8,
                 "train_batch_size": 2, "val_batch_size": 8},
        "algorithm": {"lr": 1e-4, "ppo_mini_batch_size": 2},
        "rollout": {"n": 4, "name": "hf"},
        "reward": {"num_workers": 0},
        "trainer": {"output_dir": str(output_dir), "total_training_steps": 2, "test_freq": 2, "save_freq": 1},
    }  # fmt: skip
    return OmegaConf.merge(cfg, small, OmegaConf.from_dotlist([f"{k}={v}" for k, v in overrides.items()]))


def test_one_grpo_step_changes_the_policy_with_zero_mean_group_advantages(
    ray_cluster, tiny_model, synth_rows, tmp_path
):
    settings = loop_settings(recipe(tmp_path))
    actors = start_actors(tiny_model, tiny_model, settings, state_dir=None)
    before = actors.policy.get_weights()
    prompts = synth_rows[0][:2]

    experience = step.generate(actors, prompts, settings, seed=1)
    token_info = step.score_tokens(actors, experience, settings)
    rewards, _ = step.token_rewards(experience, token_info, settings)
    advantages, _ = step.advantages(experience, token_info, rewards, settings)
    rollout, group_ids = experience.rollout, experience.group_ids
    batch = TrainBatch(
        rollout.prompts, rollout.response_ids, rollout.response_mask, advantages,
        ref_log_prob=token_info.get("ref_log_prob"),
    )  # fmt: skip
    metrics = step.update(actors, batch, settings, step=1)

    assert len(rollout.texts) == 2 * settings.group_size and list(group_ids) == [0] * 4 + [1] * 4
    for group in (0, 1):
        assert batch.advantages[group_ids == group, 0].mean().abs() < 1e-5
    after = actors.policy.get_weights()
    assert any(not np.array_equal(before[k][0], after[k][0]) for k in before)  # (bits, dtype) per tensor
    synced = ray.get(actors.rollout.generate.remote(prompts, Sampling(4, greedy=True), 0))
    assert synced.response_ids.shape == (2, 4)
    assert (
        np.isfinite(metrics["actor/pg_loss"]) and "actor/kl_loss" in metrics
    )  # the schema's default KL loss
    assert metrics["perf/weight_sync_mb"] > 0 and metrics["timing/weight_sync_s"] > 0
    stop_actors(actors)  # frees the placement group for the next test's run


def test_a_rewarded_response_becomes_more_likely_on_a_fixed_prompt(tiny_model, synth_rows):
    row = next(r for r in synth_rows[0] if r["extra_info"]["answer_type"] == "closed")
    truth = row["reward_model"]["ground_truth"]
    wrong = "no" if truth == "yes" else "yes"
    texts = [f"<think>look</think><answer>{answer}</answer>" for answer in (truth, wrong) * 2]
    scored = score_rows(texts, [row] * 4, RewardSettings(workers=0))
    scores = torch.tensor([s["score"] for s in scored.scores])
    assert scores[0] > scores[1]

    rollout_side = RolloutWorker(str(tiny_model), "hf")
    tokenizer = rollout_side.processor.tokenizer
    ids, mask = pad_responses(
        [tokenizer(t, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id] for t in texts],
        rollout_side.eos_ids, rollout_side.pad_id, width=24,
    )  # fmt: skip
    prompts = encode_prompts(rollout_side.processor, [row] * 4, 256)
    advantages, _ = compute_advantages(
        "grpo", AdvantageInputs(outcome_rewards(scores, mask), mask, np.zeros(4, dtype=int))
    )
    policy = PolicyWorker(str(tiny_model), None, lr=1e-3, loss=LossSettings())

    def sequence_log_prob():
        with torch.no_grad():
            log_prob, _ = response_log_probs(policy.model, prompts, ids, mask)
        return (log_prob * mask).sum(-1)

    start = sequence_log_prob()
    for seed in range(5):
        policy.update(TrainBatch(prompts, ids, mask, advantages), ppo_epochs=1, mini_batch_size=4, seed=seed)
    end = sequence_log_prob()
    assert end[0] > start[0] and end[1] < start[1]


def test_resume_after_a_kill_continues_without_lost_or_repeated_steps(ray_cluster, tmp_path):
    first = trainer.run(recipe(tmp_path))
    assert first["steps"] == 2 and 0 <= first["val_acc_start"] <= 1 and 0 <= first["val_acc_end"] <= 1
    # Simulate a kill during step 3: its metrics line was written, its checkpoint only half.
    with (tmp_path / "metrics.jsonl").open("a") as handle:
        handle.write(json.dumps({"step": 3, "reward/mean": 0.0}) + "\n")
    (checkpoints_root(tmp_path) / ".step_000003.tmp-killed").mkdir()

    resumed = trainer.run(recipe(tmp_path, **{"trainer.total_training_steps": 4}))

    steps = [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert steps == [0, 1, 2, 3, 4]
    assert resumed["steps"] == 4 and resumed["prompts_seen"] == 4 * 2
    assert resumed["val_acc_start"] == first["val_acc_start"]  # measured once, before RL
    assert [p.name for p in complete_checkpoints(tmp_path)] == ["step_000003", "step_000004"]  # keeps 2
    assert (tmp_path / "curves.png").is_file() and (tmp_path / "summary.json").is_file()


def test_missing_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="model.path='/nowhere/model' is not a local model folder"):
        trainer.run(recipe(tmp_path, **{"model.path": "/nowhere/model", "data.synth.n": 4}))


def test_data_file_without_the_rl_columns_is_a_clear_error(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    bad = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"question": ["q"], "answer": ["a"]}), bad)
    cfg = recipe(tmp_path, **{"data.synth.n": 0})
    cfg.data.train_files = [str(bad)]
    cfg.data.val_files = [str(bad)]
    with pytest.raises(
        ValueError, match=r"data.train_files: .*bad.parquet lacks column\(s\) \['prompt', 'reward_model'"
    ):
        trainer.run(cfg)


def test_ppo_with_gae_trains_a_critic(tiny_model, synth_rows):
    rollout_side = RolloutWorker(str(tiny_model), "hf")
    rows = synth_rows[0][:2]
    rollout = rollout_side.generate(rows, Sampling(6, temperature=1.0), seed=0)
    policy = PolicyWorker(str(tiny_model), None, lr=1e-4, loss=LossSettings(), with_critic=True)
    info = policy.score_tokens(
        rollout.prompts, rollout.response_ids, rollout.response_mask, old=True, ref=False
    )
    assert info["values"].shape == rollout.response_ids.shape
    scores = torch.tensor([1.0, 0.0])
    rewards = outcome_rewards(scores, rollout.response_mask)
    inputs = AdvantageInputs(rewards, rollout.response_mask, np.arange(2), values=info["values"])
    advantages, returns = compute_advantages("gae", inputs, gamma=1.0, lam=0.95)
    batch = TrainBatch(
        rollout.prompts, rollout.response_ids, rollout.response_mask, advantages,
        old_log_prob=info["old_log_prob"], returns=returns, old_values=info["values"],
    )  # fmt: skip
    metrics = policy.update(batch, ppo_epochs=2, mini_batch_size=1, seed=0)
    assert np.isfinite(metrics["critic/vf_loss"]) and "actor/clip_frac" in metrics
