"""The FSDP2 policy group on CPU (gloo, 2 Ray actors): the same update and log-probs as one worker, weights
gathered in buckets, checkpoints that resume with another number of ranks."""

from __future__ import annotations

import pytest
import ray
import torch
from distributed_fixtures import as_tensors, fixed_batch, policy_kwargs, start_group

from base_training.tiny import build_tiny_qwen2_5_vl
from rlvr.backends.local.modeling import ModelSettings
from rlvr.backends.local.policy import PolicyWorker, TrainBatch
from rlvr.backends.local.sharded_state import HF_DIR, SHARDED_DIR


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
    return fixed_batch(tiny_model, tmp_path_factory.mktemp("synth"))


@pytest.mark.parametrize(
    "loss_agg_mode, checkpointing",
    [("token-mean", False), ("seq-mean-token-mean", False), ("token-mean", True)],
    ids=["token-mean", "seq-mean-token-mean", "token-mean-checkpointing"],
)
def test_two_fsdp_workers_take_the_same_update_as_one(
    ray_cluster, tiny_model, batch, loss_agg_mode, checkpointing
):
    """Also under gradient checkpointing: FSDP2's sharded decoder layers run the shared-prefix forward
    with their cache kept (``kv_cache.checkpointing_with_cache``)."""
    kwargs = policy_kwargs(loss_agg_mode) | {"model": ModelSettings(gradient_checkpointing=checkpointing)}
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
    # 4 AdamW steps of 1e-3: summation-order noise in the gradients (gloo's reduce-scatter vs one worker's
    # accumulation) moves a few elements by up to ~1% of one step, as Adam rescales near-zero gradients
    for name, value in expected.items():
        torch.testing.assert_close(sharded[name], value, rtol=1e-4, atol=1e-5, msg=name)
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
