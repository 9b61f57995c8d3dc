"""The CPU rollout model's packed linear layers: HF's outputs, and the new weights after every sync."""

from __future__ import annotations

import pytest
import torch

from base_training.tiny import build_tiny_qwen2_5_vl
from rlvr.backends.local.algorithm import LossSettings
from rlvr.backends.local.modeling import DEFAULT_MODEL, load_model
from rlvr.backends.local.packed_linear import PackedLinear, pack_linears
from rlvr.backends.local.policy import PolicyWorker
from rlvr.backends.local.rollout import RolloutWorker


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(1, 64), (16, 64), (3, 5, 64)])
def test_a_packed_layer_gives_the_linear_output_and_follows_its_weight(shape, bias):
    torch.manual_seed(0)
    layer = torch.nn.Linear(64, 96, bias=bias).requires_grad_(False)
    x = torch.randn(shape)
    expected = layer(x)
    assert pack_linears(layer) == 1 and isinstance(layer, PackedLinear)
    torch.testing.assert_close(layer(x), expected, atol=1e-5, rtol=1e-5)
    layer.weight.mul_(2.0)  # in place, as a weight sync
    stale = layer(x)
    layer.repack()
    torch.testing.assert_close(layer(x), torch.nn.functional.linear(x, layer.weight, layer.bias))
    assert not torch.allclose(stale, layer(x))  # so the sync must repack


def test_trainable_or_half_precision_models_are_left_alone():
    assert pack_linears(torch.nn.Linear(4, 4)) == 0  # requires grad: the policy's model
    assert pack_linears(torch.nn.Linear(4, 4).half().requires_grad_(False)) == 0


def test_the_rollout_model_packs_and_generates_with_synced_weights(tmp_path):
    model_dir = build_tiny_qwen2_5_vl(tmp_path / "model", seed=0)
    worker = RolloutWorker(str(model_dir), "hf")
    plain = load_model(str(model_dir), DEFAULT_MODEL, "cpu")
    assert any(isinstance(m, PackedLinear) for m in worker.model.modules())
    assert [n for n, _ in worker.model.named_parameters()] == [n for n, _ in plain.named_parameters()]
    policy = PolicyWorker(str(model_dir), None, lr=1e-3, loss=LossSettings())
    with torch.no_grad():
        for param in policy.model.parameters():
            param.add_(0.05 * torch.randn_like(param))
    worker.set_weights(policy.get_weights())
    tokens = torch.randint(0, 200, (2, 9))
    expected = policy.model.eval()(input_ids=tokens).logits
    torch.testing.assert_close(worker.model(input_ids=tokens).logits, expected, atol=1e-4, rtol=1e-4)
