"""The verl config built from a recipe carries the loud settings: a private local Ray by default, the
fault-counting reward manager with the per-item timeout, validation batch size, resume=force."""

from __future__ import annotations

import pytest
from recipe_fixtures import data_overrides, synth_parquet

pytest.importorskip("verl")

from rewards.faults import TooManyFaults  # noqa: E402
from rlvr.backends import verl_reward  # noqa: E402
from rlvr.backends.verl import build_verl_config, fault_cause, validate_verl_config  # noqa: E402
from rlvr.recipe.compose import compose_recipe  # noqa: E402

RECIPE = "medqa_text_grpo_qwen2_5_7b"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return synth_parquet(tmp_path_factory.mktemp("data"))


def verl_config(data, *overrides: str):
    cfg = build_verl_config(compose_recipe(RECIPE, [*data_overrides(data), *overrides]))
    validate_verl_config(cfg)  # verl accepts every key we add
    return cfg


def test_no_address_means_a_private_local_ray(data, monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert verl_config(data).ray_kwargs.ray_init.address == "local"
    assert verl_config(data, "cluster.address=auto").ray_kwargs.ray_init.address == "auto"


def test_reward_keys_reach_verls_reward_manager(data):
    cfg = verl_config(
        data, "reward.timeout_s=2.5", "reward.num_workers=3", "reward.max_error_rate=0.05",
        "reward.imports=[json]", "data.val_batch_size=17", "data.train_batch_size=64", "rollout.n=4",
    )  # fmt: skip
    manager = cfg.reward.reward_manager
    assert (manager.source, manager.name, manager.module.path) == (
        "importlib", verl_reward.MANAGER_NAME, verl_reward.MANAGER_PATH,
    )  # fmt: skip
    assert (cfg.reward.timeout, cfg.reward.num_workers, cfg.data.val_batch_size) == (2.5, 3, 17)
    env = cfg.ray_kwargs.ray_init.runtime_env.env_vars
    assert env[verl_reward.MAX_ERROR_RATE_ENV] == "0.05" and env[verl_reward.STEP_ROWS_ENV] == "256"
    kwargs = cfg.reward.custom_reward_function.reward_kwargs
    assert list(kwargs["imports"]) == ["json"] and "max_error_rate" not in kwargs


@pytest.mark.parametrize(("resume", "mode"), [("auto", "auto"), ("force", "auto"), ("never", "disable")])
def test_resume_force_resumes(data, resume, mode):
    assert verl_config(data, f"trainer.resume={resume}").trainer.resume_mode == mode


class FakeRayTaskError(RuntimeError):
    def __init__(self, cause: BaseException):
        super().__init__("ray::TaskRunner.run() failed\nTraceback ...")
        self.cause = cause


def test_a_reward_workers_fault_stop_is_found_under_ray_errors():
    inner = TooManyFaults("verifier faults in 2 of 64 rows ...")
    assert str(fault_cause(FakeRayTaskError(FakeRayTaskError(inner)))) == str(inner)
    assert fault_cause(FakeRayTaskError(ValueError("other"))) is None
