"""The FSDP2 policy group on CPU (gloo, 2 Ray actors): the same update and log-probs as one worker, weights
gathered in buckets, checkpoints that resume with another number of ranks."""

from __future__ import annotations

import numpy as np
import pytest
import ray
import torch

from base_training.tiny import build_tiny_qwen2_5_vl
from rlvr.data.io import read_rows
from rlvr.data.synth import write_synth
from rlvr.local.algorithm import LossSettings
from rlvr.local.fsdp import free_address
from rlvr.local.policy import PolicyWorker, TrainBatch
from rlvr.local.policy_group import PolicyGroup
from rlvr.local.prompts import encode_prompts
from rlvr.local.rollout import RolloutWorker, pad_responses
from rlvr.local.sharded_state import HF_DIR, SHARDED_DIR

TEXTS = ["<think>a</think><answer>yes</answer>", "no", "<answer>lesion</answer>", "a b c d e f"] * 2


@pytest.fixture(scope="module")
def ray_cluster():
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny") / "model", seed=0)


@pytest.fixture(scope="module")
def batch(tiny_model, tmp_path_factory) -> TrainBatch:
    """Eight responses of uneven length to four prompts with images; random advantages, a fixed reference."""
    rows = read_rows(write_synth(tmp_path_factory.mktemp("synth"), n=20, seed=0)["train"])
    rollout = RolloutWorker(str(tiny_model), "hf")
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


def start_group(model_path, workers: int, **kwargs) -> PolicyGroup:
    address = ray.get(ray.remote(free_address).remote()) if workers > 1 else None
    actor = ray.remote(num_cpus=1)(PolicyWorker)
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


@pytest.mark.parametrize("loss_agg_mode", ["token-mean", "seq-mean-token-mean"])
def test_two_fsdp_workers_take_the_same_update_as_one(ray_cluster, tiny_model, batch, loss_agg_mode):
    kwargs = policy_kwargs(loss_agg_mode)
    single = PolicyWorker(str(tiny_model), str(tiny_model), **kwargs)
    before = as_tensors(single.get_weights())
    one = single.update(batch, ppo_epochs=2, mini_batch_size=4, seed=3)  # 2 epochs x 2 mini-batches
    group = start_group(tiny_model, 2, **kwargs)
    try:
        two = group.update(batch, ppo_epochs=2, mini_batch_size=4, seed=3)
        sharded = as_tensors(group.get_weights())
    finally:
        group.stop()
    expected = as_tensors(single.get_weights())
    assert sharded.keys() == expected.keys()
    assert any(not torch.equal(expected[name], before[name]) for name in expected)  # it did learn
    for name, value in expected.items():
        torch.testing.assert_close(sharded[name], value, rtol=1e-4, atol=2e-6, msg=name)
    for key in ("actor/pg_loss", "actor/kl_loss", "actor/entropy", "actor/grad_norm", "actor/lr"):
        assert two[key] == pytest.approx(one[key], rel=1e-4, abs=1e-7), key


def test_two_workers_score_their_halves_like_one(ray_cluster, tiny_model, batch):
    kwargs = policy_kwargs("token-mean")
    tokens = (batch.prompts, batch.response_ids, batch.response_mask)
    expected = PolicyWorker(str(tiny_model), str(tiny_model), **kwargs).score_tokens(*tokens, True, True)
    group = start_group(tiny_model, 2, **kwargs)
    try:
        scored = group.score_tokens(*tokens, old=True, ref=True)
    finally:
        group.stop()
    assert scored.keys() == {"old_log_prob", "ref_log_prob"}
    for key, value in expected.items():
        torch.testing.assert_close(scored[key], value, rtol=1e-4, atol=1e-5)


def test_a_checkpoint_of_two_ranks_resumes_on_one_and_on_two(ray_cluster, tiny_model, batch, tmp_path):
    kwargs = policy_kwargs("token-mean")
    group = start_group(tiny_model, 2, **kwargs)
    try:
        group.update(batch, ppo_epochs=1, mini_batch_size=8, seed=0)
        group.save(str(tmp_path))
        after_one = group.update(batch, ppo_epochs=1, mini_batch_size=8, seed=1)  # needs the Adam moments
        expected = as_tensors(group.get_weights())
    finally:
        group.stop()
    assert (tmp_path / SHARDED_DIR / ".metadata").is_file() and (tmp_path / HF_DIR / "config.json").is_file()

    single = PolicyWorker(str(tmp_path / HF_DIR), str(tiny_model), **kwargs)
    single.load_state(str(tmp_path))
    resumed_one = single.update(batch, ppo_epochs=1, mini_batch_size=8, seed=1)
    again = start_group(tmp_path / HF_DIR, 2, **kwargs)
    try:
        again.load_state(str(tmp_path))
        again.update(batch, ppo_epochs=1, mini_batch_size=8, seed=1)
        resumed_two = as_tensors(again.get_weights())
    finally:
        again.stop()
    for name, value in expected.items():
        torch.testing.assert_close(as_tensors(single.get_weights())[name], value, rtol=1e-4, atol=2e-6)
        torch.testing.assert_close(resumed_two[name], value, rtol=1e-4, atol=2e-6)
    assert resumed_one["actor/lr"] == after_one["actor/lr"]


def test_a_resume_from_a_missing_sharded_state_names_the_folder(tiny_model, tmp_path):
    worker = PolicyWorker(str(tiny_model), None, **policy_kwargs("token-mean"))
    with pytest.raises(FileNotFoundError, match=f"{tmp_path} has no sharded policy state"):
        worker.load_state(str(tmp_path))
