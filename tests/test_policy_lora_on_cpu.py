"""LoRA and the frozen vision tower, on the local policy (the tiny Qwen2.5-VL) and in verl's config: what
trains, what the rollout engine receives, and the verl keys the recipe keys become (or their refusal)."""

from __future__ import annotations

import pytest
import torch
from recipe_fixtures import data_overrides, synth_parquet

from base_training.tiny import build_tiny_qwen2_5_vl
from rlvr.backends.local.algorithm import LossSettings
from rlvr.backends.local.lora import VISION_TOWER
from rlvr.backends.local.policy import PolicyWorker
from rlvr.backends.local.settings import LoraSettings
from rlvr.errors import RecipeError
from rlvr.recipe.compose import compose_recipe
from rlvr.recipe.schema import VISION_TOWER_MODULES
from rlvr.recipe.validate import validate_recipe

VERL_RECIPE = "medvqa_grpo_qwen2_5_vl_7b"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    return build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny") / "model", seed=0)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return synth_parquet(tmp_path_factory.mktemp("data"))


def trainable(policy: PolicyWorker) -> list[str]:
    return [name for name, param in policy.model.named_parameters() if param.requires_grad]


def test_freeze_vision_tower_trains_the_language_model_only(tiny_model):
    policy = PolicyWorker(str(tiny_model), None, lr=1e-3, loss=LossSettings(), freeze_vision=True)
    names = trainable(policy)
    assert names and not any(VISION_TOWER.search(name) for name in names)
    frozen = [n for n, p in policy.model.named_parameters() if not p.requires_grad]
    assert frozen and all(VISION_TOWER.search(name) for name in frozen)


def test_lora_trains_adapters_outside_the_vision_tower_and_exports_merged_base_weights(tiny_model):
    plain = PolicyWorker(str(tiny_model), None, lr=1e-3, loss=LossSettings())
    lora = LoraSettings(rank=4, alpha=8, target_modules="all-linear", exclude_modules=VISION_TOWER_MODULES)
    policy = PolicyWorker(str(tiny_model), None, lr=1e-3, loss=LossSettings(), lora=lora)
    names = trainable(policy)
    assert names and all(".lora_" in name for name in names)
    assert not any(VISION_TOWER.search(name) for name in names)  # vision tower excluded by default
    exported = dict(policy.full_parameters())
    base = dict(plain.full_parameters())
    assert exported.keys() == base.keys()  # the rollout engine and the HF export see the base names
    assert all(torch.equal(exported[name], base[name]) for name in base)  # B starts at zero: no change yet


def verl_model_cfg(data, *overrides):
    cfg = compose_recipe(VERL_RECIPE, [*data_overrides(data), *overrides])
    return validate_recipe(cfg).actor_rollout_ref


def test_lora_becomes_verls_keys_and_a_frozen_vision_tower_is_refused_there(data):
    model = verl_model_cfg(data, "model.lora_rank=16", "model.lora_alpha=32").model
    assert (model.lora_rank, model.lora_alpha) == (16, 32)
    assert model.target_modules == "all-linear" and model.exclude_modules == VISION_TOWER_MODULES
    with pytest.raises(RecipeError, match="actor.freeze_vision_tower=True is not supported by backend=verl"):
        verl_model_cfg(data, "actor.freeze_vision_tower=true")  # verl 0.9.1 never reads its own key


def test_grad_clip_reaches_the_key_verls_engines_read(data):
    cfg = compose_recipe(VERL_RECIPE, [*data_overrides(data), "algorithm.grad_clip=0.3"])
    verl_cfg = validate_recipe(cfg)
    assert verl_cfg.actor_rollout_ref.actor.optim.clip_grad == 0.3 and verl_cfg.critic.optim.clip_grad == 0.3


def test_kl_in_both_reward_and_loss_is_refused_unless_asked_for(data):
    twice = "verl.overrides=['algorithm.use_kl_in_reward=true']"  # GRPO already has KL in the loss
    with pytest.raises(RecipeError, match="KL penalty counts twice") as info:
        validate_recipe(compose_recipe(VERL_RECIPE, [*data_overrides(data), twice]))
    assert "algorithm.kl_in_reward_and_loss=true" in str(info.value)
    allowed = compose_recipe(
        VERL_RECIPE, [*data_overrides(data), twice, "algorithm.kl_in_reward_and_loss=true"]
    )
    verl_cfg = validate_recipe(allowed)
    assert verl_cfg.algorithm.use_kl_in_reward and verl_cfg.actor_rollout_ref.actor.use_kl_loss
