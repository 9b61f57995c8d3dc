"""The policy group and vLLM rollout on CUDA: NCCL FSDP2 updates equal one worker's, vLLM's log-probs match
the policy's after a sync, and the loop trains on placed GPU actors. Skipped without CUDA (and vLLM)."""

from __future__ import annotations

import json

import pytest
import ray
import torch
from distributed_fixtures import as_tensors, fixed_batch, policy_kwargs, start_group
from omegaconf import OmegaConf

from base_training.tiny import build_tiny_qwen2_5_vl
from rlvr.backends.local import trainer
from rlvr.backends.local.algorithm import LossSettings
from rlvr.backends.local.fsdp import full_parameters
from rlvr.backends.local.policy import PolicyWorker, response_log_probs
from rlvr.backends.local.rollout import RolloutWorker, Sampling
from rlvr.backends.local.weight_sync import stream_weights
from rlvr.recipe.schema import RLConfig

pytestmark = pytest.mark.gpu


def gpus() -> int:
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny") / "model", seed=0)


@pytest.mark.parametrize("loss_agg_mode", ["token-mean", "seq-mean-token-mean"])
def test_two_nccl_workers_take_the_same_update_as_one(tiny_model, tmp_path, loss_agg_mode):
    if gpus() < 2:
        pytest.skip("needs 2 GPUs for 2 NCCL ranks")
    batch = fixed_batch(tiny_model, tmp_path / "synth")
    kwargs = policy_kwargs(loss_agg_mode)
    single = PolicyWorker(str(tiny_model), str(tiny_model), **kwargs)
    one = single.update(batch, ppo_epochs=2, mini_batch_size=4, seed=3)
    ray.init(num_gpus=gpus(), include_dashboard=False, log_to_driver=False)
    try:
        group = start_group(tiny_model, 2, gpus_per_worker=1, **kwargs)
        two = group.update(batch, ppo_epochs=2, mini_batch_size=4, seed=3)
        sharded = as_tensors(group.get_weights())
        group.stop()
    finally:
        ray.shutdown()
    for name, value in as_tensors(single.get_weights()).items():
        torch.testing.assert_close(sharded[name], value, rtol=1e-3, atol=1e-5, msg=name)
    assert two["actor/grad_norm"] == pytest.approx(one["actor/grad_norm"], rel=1e-3)


def test_vllm_on_cuda_scores_with_the_policy_weights_after_a_sync(tiny_model, tmp_path):
    pytest.importorskip("vllm")
    batch = fixed_batch(tiny_model, tmp_path / "synth")
    engine = RolloutWorker(str(tiny_model), "vllm", max_prompt_length=256, max_response_length=32,
                           gpu_memory_utilization=0.3)  # fmt: skip
    policy = PolicyWorker(str(tiny_model), None, lr=5e-3, loss=LossSettings())
    for step in range(3):
        policy.update(batch, ppo_epochs=1, mini_batch_size=8, seed=step)
    stream_weights(full_parameters(policy.model), engine.receive_weights, bucket_bytes=256 * 1024)
    lengths = [int(n) for n in batch.response_mask.sum(-1).tolist()]
    responses = [ids[:n] for ids, n in zip(batch.response_ids.tolist(), lengths, strict=True)]
    rows = engine_rows(tmp_path)
    scored = engine.response_log_probs(rows, responses)
    with torch.no_grad():
        expected, _ = response_log_probs(
            policy.model, {k: v.cuda() for k, v in batch.prompts.items()},
            batch.response_ids.cuda(), batch.response_mask.cuda(),
        )  # fmt: skip
    for row, n in enumerate(lengths):
        torch.testing.assert_close(torch.tensor(scored[row]), expected[row, :n].cpu(), rtol=0, atol=5e-3)
    sampled = engine.generate(rows[:2], Sampling(8, temperature=1.0), seed=0)
    assert sampled.response_ids.shape == (2, 8)


def engine_rows(tmp_path):
    from rlvr.data.io import read_rows
    from rlvr.data.synth import write_synth

    rows = read_rows(write_synth(tmp_path / "synth", n=20, seed=0)["train"])
    return [r for r in rows[:4] for _ in range(2)]  # the rows of ``fixed_batch``


def test_the_loop_trains_on_placed_gpu_actors_with_vllm_and_two_nccl_ranks(tmp_path):
    pytest.importorskip("vllm")
    if gpus() < 2:
        pytest.skip("needs 2 GPUs: vLLM shares rank 0's, rank 1 has its own")
    cfg = OmegaConf.merge(
        OmegaConf.structured(RLConfig),
        {
            "model": {"path": "tiny", "sft_warmup": {"steps": 2, "lr": 1e-3, "batch_size": 4}},
            "data": {"synth": {"n": 24, "seed": 0}, "max_prompt_length": 256, "max_response_length": 8,
                     "train_batch_size": 2, "val_batch_size": 8},
            "algorithm": {"lr": 1e-4, "ppo_mini_batch_size": 2},
            "rollout": {"n": 4, "engine": "vllm", "gpu_memory_utilization": 0.3},
            "reward": {"num_workers": 0},
            "cluster": {"nodes": 1, "gpus_per_node": 2, "policy_workers": 2},
            "trainer": {"output_dir": str(tmp_path), "total_steps": 2, "test_freq": 2, "save_freq": 2},
        },
    )  # fmt: skip
    summary = trainer.run(cfg)
    assert summary["steps"] == 2
    metrics = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert all(m["perf/weight_sync_mb"] > 0 for m in metrics if "reward/mean" in m)
