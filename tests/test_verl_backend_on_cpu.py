"""The verl backend on CPU: verl's ppo_trainer config built from each recipe, checked by verl's own
validate_config, with our reward function plugged in through ``reward.custom_reward_function``."""

from __future__ import annotations

import pytest
from recipe_fixtures import data_overrides, synth_parquet

from rlvr.backends.verl import build_verl_config, check_cluster_resources, validate_verl_config
from rlvr.errors import ClusterError, RecipeError
from rlvr.recipe.compose import compose_recipe
from rlvr.recipe.keymap import REWARD_FUNCTION_PATH

VERL_RECIPES = ["medqa_text_grpo_qwen2_5_7b", "medvqa_grpo_qwen2_5_vl_32b", "medvqa_grpo_qwen2_5_vl_7b"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return synth_parquet(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def seven_b(data):
    cfg = compose_recipe("medvqa_grpo_qwen2_5_vl_7b", data_overrides(data))
    return cfg, build_verl_config(cfg)


@pytest.mark.parametrize("name", VERL_RECIPES)
def test_verl_recipes_pass_verls_validate_config(name, data):
    cfg = compose_recipe(name, data_overrides(data))
    verl_cfg = build_verl_config(cfg)
    validate_verl_config(verl_cfg)
    assert verl_cfg.trainer.nnodes == cfg.cluster.nnodes
    assert verl_cfg.trainer.n_gpus_per_node == cfg.cluster.n_gpus_per_node
    rollout = verl_cfg.actor_rollout_ref.rollout
    assert rollout.tensor_model_parallel_size == cfg.rollout.tensor_model_parallel_size


def test_reward_function_and_data_are_plugged_in(seven_b, data):
    cfg, verl_cfg = seven_b
    reward_fn = verl_cfg.reward.custom_reward_function
    assert (reward_fn.path, reward_fn.name) == (REWARD_FUNCTION_PATH, "compute_score")
    assert reward_fn.reward_kwargs.format_weight == cfg.reward.format_weight
    assert "num_workers" not in reward_fn.reward_kwargs  # our local pool's setting, not a RewardConfig field
    # only reward.* is used: main_ppo in verl 0.9.1 ignores the legacy top-level keys
    assert verl_cfg.custom_reward_function.path is None
    assert list(verl_cfg.data.train_files) == [str(data["train"])]
    assert list(verl_cfg.data.val_files) == [str(data["val"])]


def test_recipe_hyperparameters_reach_verl(seven_b):
    _, verl_cfg = seven_b
    actor, rollout = verl_cfg.actor_rollout_ref.actor, verl_cfg.actor_rollout_ref.rollout
    assert (actor.use_kl_loss, actor.kl_loss_coef, actor.kl_loss_type) == (True, 0.01, "low_var_kl")
    assert (actor.clip_ratio_low, actor.clip_ratio_high, actor.optim.lr) == (0.2, 0.28, 1e-6)
    assert verl_cfg.algorithm.use_kl_in_reward is False
    assert (rollout.name, rollout.n, rollout.temperature) == ("vllm", 8, 1.0)
    assert rollout.val_kwargs.do_sample is False  # greedy validation
    assert (verl_cfg.data.max_prompt_length, verl_cfg.data.max_response_length) == (4096, 2048)
    assert verl_cfg.trainer.resume_mode == "auto"
    assert rollout.dtype == actor.fsdp_config.dtype == "bfloat16"
    assert verl_cfg.trainer.default_local_dir.endswith("outputs/medvqa_grpo_qwen2_5_vl_7b/checkpoints")


def test_verl_loads_our_reward_function_from_the_config(seven_b):
    from verl.trainer.ppo.reward import get_custom_reward_fn

    _, verl_cfg = seven_b
    score = get_custom_reward_fn(verl_cfg)
    extra = {"answer_type": "choice", "options": {"A": "pneumonia", "B": "normal"}}
    right = score("synth", "<think>opacity</think><answer>A</answer>", "A", extra)
    wrong = score("synth", "<think>clear</think><answer>B</answer>", "A", extra)
    assert right["acc"] == 1.0 and wrong["acc"] == 0.0
    assert right["score"] > wrong["score"]


def test_ppo_recipe_puts_kl_in_the_reward_and_needs_a_critic(data, tmp_path_factory):
    from verl.trainer.ppo.utils import need_critic

    from base_training.tiny import build_tiny_qwen2_5_vl

    # verl's critic config loads the tokenizer from model.path: give it a real (tiny, local) model
    model = build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny"))
    # the recipe's own algorithm block (use_kl_loss: true) wins over the group swap, so say it explicitly
    overrides = [*data_overrides(data), "algorithm=ppo", "algorithm.use_kl_loss=false", f"model.path={model}"]
    cfg = compose_recipe("medvqa_grpo_qwen2_5_vl_7b", overrides)
    verl_cfg = build_verl_config(cfg)
    validate_verl_config(verl_cfg)
    assert verl_cfg.algorithm.adv_estimator == "gae" and need_critic(verl_cfg)
    assert (
        verl_cfg.algorithm.use_kl_in_reward is True and verl_cfg.actor_rollout_ref.actor.use_kl_loss is False
    )


def test_ray_address_comes_from_the_environment(data, monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.1:6379")
    verl_cfg = build_verl_config(compose_recipe("medqa_text_grpo_qwen2_5_7b", data_overrides(data)))
    assert verl_cfg.ray_kwargs.ray_init.address == "10.0.0.1:6379"


def test_verl_validate_config_rejects_an_impossible_gpu_split(data):
    cfg = compose_recipe("medvqa_grpo_qwen2_5_vl_7b", [*data_overrides(data), "cluster.n_gpus_per_node=7"])
    with pytest.raises(RecipeError, match=r"validate_config rejected.*divisible"):
        validate_verl_config(build_verl_config(cfg))


def test_extra_verl_overrides_apply_and_typos_are_caught(data):
    ok = compose_recipe(
        "medqa_text_grpo_qwen2_5_7b",
        [*data_overrides(data), "verl.overrides=['trainer.balance_batch=false']"],
    )
    assert build_verl_config(ok).trainer.balance_batch is False
    bad = compose_recipe(
        "medqa_text_grpo_qwen2_5_7b", [*data_overrides(data), "verl.overrides=['trainer.balance_bach=false']"]
    )
    with pytest.raises(RecipeError, match=r"verl rejected.*balance_bach"):
        build_verl_config(bad)


def test_too_few_gpus_on_the_cluster_is_a_clear_error(monkeypatch):
    import ray

    monkeypatch.setattr(ray, "nodes", lambda: [{"Alive": True, "Resources": {"CPU": 2.0}}])
    cfg = compose_recipe("medvqa_grpo_qwen2_5_vl_32b")
    with pytest.raises(ClusterError, match=r"needs 32 GPU in all \(verl node 0: 8, .*has 0 over 1 node"):
        check_cluster_resources(cfg)


def test_summary_is_written_from_verls_file_logger(tmp_path):
    import json

    from rlvr.backends.verl import summarize_verl_metrics

    rows = [
        {"step": 0, "data": {"val-aux/vqa/reward/mean@1": 0.4, "val-core/vqa/acc/mean@1": 0.2}},
        {"step": 20, "data": {"val-aux/vqa/reward/mean@1": 1.0, "val-core/vqa/acc/mean@1": 0.6}},
        {"step": 40, "data": {"val-aux/vqa/reward/mean@1": 0.9, "val-core/vqa/acc/mean@1": 0.5}},
    ]
    (tmp_path / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    summary = summarize_verl_metrics(tmp_path / "metrics.jsonl")
    assert summary["steps"] == 40
    assert (summary["val_acc_start"], summary["val_acc_end"], summary["val_acc_best"]) == (0.2, 0.5, 0.6)
    assert summary["val_reward_best"] == 1.0


def test_odd_strings_survive_the_trip_into_verls_overrides(tmp_path, data):
    odd = tmp_path / "we ird's dir"
    odd.mkdir()
    train = odd / "train.parquet"
    train.write_bytes(data["train"].read_bytes())
    overrides = [
        f"data.train_files=['{str(train).replace(chr(39), chr(92) + chr(39))}']",
        "reward.think_tag='th=nk'",
        "logger.project=my project",
    ]
    verl_cfg = build_verl_config(compose_recipe("medqa_text_grpo_qwen2_5_7b", overrides))
    assert list(verl_cfg.data.train_files) == [str(train)]
    assert verl_cfg.reward.custom_reward_function.reward_kwargs.think_tag == "th=nk"
    assert verl_cfg.trainer.project_name == "my project"
