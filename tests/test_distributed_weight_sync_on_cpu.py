"""Bucketed weight sync: bounded buckets that carry every tensor once, in order, bit for bit; a sync that
loses a bucket is an error."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from base_training.tiny import build_tiny_qwen2_5_vl
from rlvr.backends.local.algorithm import LossSettings
from rlvr.backends.local.fsdp import full_parameters
from rlvr.backends.local.modeling import weight_tensors
from rlvr.backends.local.policy import PolicyWorker
from rlvr.backends.local.rollout import RolloutWorker
from rlvr.backends.local.weight_sync import stream_weights, weight_buckets

DTYPES = (torch.float32, torch.bfloat16, torch.float16)
tensors = st.lists(st.tuples(st.integers(0, 300), st.sampled_from(DTYPES)), min_size=0, max_size=30).map(
    lambda specs: [(f"w{i}", torch.randn(n).to(dtype)) for i, (n, dtype) in enumerate(specs)]
)


@settings(max_examples=60)
@given(named=tensors, bucket_bytes=st.integers(1, 2000))
def test_buckets_are_bounded_and_carry_every_tensor_once_bit_for_bit(named, bucket_bytes):
    buckets = list(weight_buckets(named, bucket_bytes))
    received = [item for bucket in buckets for item in weight_tensors(bucket).items()]
    assert [name for name, _ in received] == [name for name, _ in named]
    for (_, sent), (_, got) in zip(named, received, strict=True):
        assert got.dtype == sent.dtype and torch.equal(got, sent)
    for bucket in buckets:
        sizes = [bits.nbytes for bits, _ in bucket.values()]
        assert sum(sizes[:-1]) < bucket_bytes  # closed by the tensor that reached the bound
    assert all(buckets)


@settings(max_examples=60)
@given(named=tensors, bucket_bytes=st.integers(1, 2000))
def test_stream_marks_only_the_last_bucket_last(named, bucket_bytes):
    calls = []
    sent = stream_weights(named, lambda bucket, last: calls.append((list(bucket), last)), bucket_bytes)
    assert [last for _, last in calls] == [False] * (len(calls) - 1) + [True] * bool(calls)
    assert sent == sum(t.numel() * t.element_size() for _, t in named)
    assert stream_weights(named, None, bucket_bytes) == 0  # a rank that only takes part in gathers


def test_a_non_positive_bucket_size_is_refused():
    with pytest.raises(ValueError, match="bucket_bytes=0 must be positive"):
        list(weight_buckets([("w", torch.ones(2))], 0))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny") / "model", seed=0)


def test_small_buckets_sync_the_hf_engine_exactly(tiny_model):
    policy = PolicyWorker(str(tiny_model), None, lr=1e-3, loss=LossSettings())
    with torch.no_grad():
        for param in policy.model.parameters():
            param.add_(0.01)
    rollout = RolloutWorker(str(tiny_model), "hf")
    stream_weights(full_parameters(policy.model), rollout.receive_weights, bucket_bytes=64 * 1024)
    for name, value in policy.model.state_dict().items():
        assert torch.equal(rollout.model.state_dict()[name], value), name


def test_a_sync_that_loses_a_bucket_is_an_error(tiny_model):
    rollout = RolloutWorker(str(tiny_model), "hf")
    weights = PolicyWorker(str(tiny_model), None, lr=1e-3, loss=LossSettings()).get_weights()
    rollout.receive_weights(dict(list(weights.items())[:3]), last=False)
    with pytest.raises(KeyError, match="weight sync ended without 5[0-9] parameter"):
        rollout.receive_weights({}, last=True)
    with pytest.raises(KeyError, match="1 weight.s. are not parameters of the model, e.g. nope"):
        rollout.receive_weights({"nope": next(iter(weights.values()))}, last=True)
