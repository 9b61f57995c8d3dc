"""Recipes compose against the typed schema; user mistakes get actionable messages; checks catch bad input."""

from __future__ import annotations

import pandas as pd
import pytest
from recipe_fixtures import data_overrides, synth_parquet

from rlvr.errors import RecipeError
from rlvr.recipe.compose import compose_recipe, list_recipes
from rlvr.recipe.validate import validate_recipe

SHIPPED = [
    "medqa_text_grpo_qwen2_5_7b",
    "medvqa_grpo_qwen2_5_vl_32b",
    "medvqa_grpo_qwen2_5_vl_7b",
    "quickstart",
]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return synth_parquet(tmp_path_factory.mktemp("data"))


def test_shipped_recipes_are_listed():
    assert list_recipes() == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_recipe_composes_and_validates(name, data):
    synth_off = ["data.synth.n=0"] if name == "quickstart" else []  # files and the synthetic task contradict
    cfg = compose_recipe(name, [*data_overrides(data), *synth_off])
    validate_recipe(cfg)
    assert cfg.recipe == name
    assert cfg.trainer.output_dir == f"outputs/{name}"


def test_gpu_recipes_carry_the_rlvr_stage_settings():
    seven = compose_recipe("medvqa_grpo_qwen2_5_vl_7b")
    assert (seven.backend, seven.algorithm.adv_estimator, seven.rollout.n, seven.rollout.name) == (
        "verl",
        "grpo",
        8,
        "vllm",
    )
    assert (seven.algorithm.lr, seven.algorithm.kl_penalty, seven.algorithm.kl_coef) == (
        1e-6,
        "low_var_kl",
        0.01,
    )
    assert (seven.algorithm.clip_ratio_low, seven.algorithm.clip_ratio_high) == (0.2, 0.28)
    cluster = (seven.cluster.nnodes, seven.cluster.n_gpus_per_node)
    assert (*cluster, seven.rollout.tensor_model_parallel_size) == (1, 8, 2)
    big = compose_recipe("medvqa_grpo_qwen2_5_vl_32b")
    assert (big.cluster.nnodes, big.cluster.n_gpus_per_node) == (4, 8)
    assert big.rollout.tensor_model_parallel_size >= 4


def test_overrides_and_group_swaps_apply():
    cfg = compose_recipe("quickstart", ["algorithm=ppo", "rollout.n=4", "trainer.resume=never"])
    assert (cfg.algorithm.use_kl_loss, cfg.algorithm.adv_estimator, cfg.rollout.n, cfg.trainer.resume) == (
        True,  # the recipe's own algorithm block (use_kl_loss: true) wins over the group swap
        "gae",
        4,
        "never",
    )


def test_misspelled_key_suggests_the_nearest():
    with pytest.raises(RecipeError, match=r"no key 'algorithm.kl_coeff'.*Did you mean: algorithm.kl_coef"):
        compose_recipe("quickstart", ["algorithm.kl_coeff=0.1"])


def test_key_added_with_plus_is_still_refused():
    with pytest.raises(RecipeError, match=r"no key 'trainer.ouput_dir'.*trainer.output_dir"):
        compose_recipe("quickstart", ["+trainer.ouput_dir=/tmp/x"])


def test_wrong_type_names_key_and_value():
    with pytest.raises(RecipeError, match=r"bad value for 'rollout.n'.*'many'"):
        compose_recipe("quickstart", ["rollout.n=many"])


def test_unknown_recipe_lists_the_shipped_ones():
    with pytest.raises(RecipeError, match=r"unknown recipe 'quickstrat'. Did you mean 'quickstart'\?") as err:
        compose_recipe("quickstrat")
    assert all(name in str(err.value) for name in SHIPPED)


def test_unknown_group_option_lists_the_options():
    with pytest.raises(RecipeError, match=r"Options for 'model':.*tiny_qwen2_5_vl"):
        compose_recipe("quickstart", ["model=qwen9"])


def test_bad_choice_and_missing_model_are_reported_together(tmp_path):
    cfg = compose_recipe(
        "quickstart", ["rollout.name=vlm", f"model.path={tmp_path}/nope", "model.tiny=false"]
    )
    with pytest.raises(RecipeError) as err:
        validate_recipe(cfg)
    assert "rollout.name='vlm' is not one of: auto, hf, vllm" in str(err.value)
    assert f"model.path '{tmp_path}/nope' does not exist" in str(err.value)


def test_hub_ids_are_left_to_the_trainer(data):
    validate_recipe(compose_recipe("medvqa_grpo_qwen2_5_vl_7b", data_overrides(data)))


def test_missing_data_file_is_named(tmp_path):
    cfg = compose_recipe("medvqa_grpo_qwen2_5_vl_7b", [f"data.train_files=[{tmp_path}/train.parquet]"])
    with pytest.raises(RecipeError, match=rf"data file '{tmp_path}/train.parquet' does not exist"):
        validate_recipe(cfg)


def test_data_file_missing_columns_is_named(tmp_path, data):
    bad = tmp_path / "bad.parquet"
    pd.DataFrame({"question": ["q"], "answer": ["a"]}).to_parquet(bad)
    cfg = compose_recipe("quickstart", [f"data.train_files=[{bad}]", f"data.val_files=[{data['val']}]"])
    with pytest.raises(
        RecipeError, match=r"bad.parquet' lacks column\(s\) data_source, prompt, reward_model"
    ):
        validate_recipe(cfg)


def test_vllm_requested_without_it_is_an_error():
    try:
        import vllm  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("vLLM is installed here")
    with pytest.raises(RecipeError, match=r"rollout.name=vllm but vLLM is not installed"):
        validate_recipe(compose_recipe("quickstart", ["rollout.name=vllm"]))


def test_reward_settings_are_checked_by_the_scorer():
    with pytest.raises(RecipeError, match=r"length_max=10 must be greater than length_target"):
        validate_recipe(compose_recipe("quickstart", ["reward.length_max=10"]))


def test_unknown_synthetic_task_is_named():
    with pytest.raises(RecipeError, match=r"data.synth.tasks: unknown \['colour'\]"):
        validate_recipe(compose_recipe("quickstart", ["data.synth.tasks=[presence,colour]"]))


def test_batch_sizes_must_divide():
    with pytest.raises(
        RecipeError, match=r"train_batch_size \(16\) must be a multiple of .*ppo_mini_batch_size \(3\)"
    ):
        validate_recipe(compose_recipe("quickstart", ["algorithm.ppo_mini_batch_size=3"]))


def test_own_recipe_file_can_use_the_shipped_groups(tmp_path):
    own = tmp_path / "my_vqa.yaml"
    own.write_text(
        "defaults:\n  - rlvr_schema\n  - model: qwen2_5_vl_7b\n  - algorithm: grpo\n  - _self_\n"
        "rollout:\n  n: 3\n"
    )
    cfg = compose_recipe(str(own), ["algorithm.kl_coef=0.02"])
    assert (cfg.recipe, cfg.model.path, cfg.rollout.n, cfg.algorithm.kl_coef) == (
        "my_vqa",
        "Qwen/Qwen2.5-VL-7B-Instruct",
        3,
        0.02,
    )
    assert cfg.trainer.output_dir == "outputs/my_vqa"


def test_own_recipe_without_the_schema_is_refused(tmp_path):
    own = tmp_path / "loose.yaml"
    own.write_text("rollout:\n  n: 3\n")
    with pytest.raises(RecipeError, match=r"put `- rlvr_schema` first"):
        compose_recipe(str(own))
    with pytest.raises(RecipeError, match=r"recipe file '.*missing.yaml' does not exist"):
        compose_recipe(str(tmp_path / "missing.yaml"))


def test_verl_backend_refuses_what_verl_cannot_run(data):
    cfg = compose_recipe("quickstart", [*data_overrides(data), "backend=verl"])
    with pytest.raises(RecipeError) as err:
        validate_recipe(cfg)
    assert "backend=verl rolls out with vLLM" in str(err.value)
    assert "backend=verl needs a saved model folder" in str(err.value)
    assert "model.sft_warmup.steps=20 is not supported by backend=verl: run the SFT stages" in str(err.value)
