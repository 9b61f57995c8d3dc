"""`rlvr train` refuses, with one line and the right exit code, what would otherwise fail late or silently:
contradicting keys, models it cannot load, verl without GPUs, bad verifiers, unreachable clusters."""

from __future__ import annotations

import json
import time

import pytest
from ray_cluster_fixtures import free_port
from recipe_fixtures import data_overrides, synth_parquet

from base_training.tiny import build_tiny_qwen2_5_vl
from rlvr.cli.main import main as rlvr

HUB_ID = "Qwen/Qwen2.5-VL-7B-Instruct"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return synth_parquet(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    return build_tiny_qwen2_5_vl(tmp_path_factory.mktemp("tiny") / "model", seed=0)


def refused(args: list[str], capsys, code: int = 2) -> str:
    assert rlvr(["train", *args]) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_a_given_model_path_wins_over_the_recipes_tiny_model(tiny_folder, capsys):
    assert rlvr(["train", "recipe=quickstart", f"model.path={tiny_folder}", "dry_run=true"]) == 0
    shown = capsys.readouterr().out
    assert f"path: {tiny_folder}" in shown and "tiny: null" in shown


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ["model.tiny=true", "model.path=/some/folder"],
            "model.tiny=true builds the tiny model, but model.path",
        ),
        (["model.tiny=false"], "model.tiny=false, but model.path=tiny"),
        ([f"model.path={HUB_ID}"], "is a hub id; the local backend loads a folder from disk"),
        (
            ["data.train_files=[x.parquet]"],
            "data.synth.n=2000 (the synthetic task) and data.train_files both",
        ),
        (["reward.custom_verifier=no_such_module_xyz:fn"], "cannot load verifier 'no_such_module_xyz:fn'"),
        (["reward.imports=[no_such_module_xyz]"], "cannot import module 'no_such_module_xyz'"),
        (["reward.max_error_rate=2"], "reward.max_error_rate=2.0 must be a fraction of rows in [0, 1]"),
        (["trainer.resume=sometimes"], "trainer.resume='sometimes' is not one of: auto, never, force"),
    ],
)
def test_contradictions_and_unusable_settings_are_exit_2(overrides, message, capsys):
    assert message in refused(["recipe=quickstart", "dry_run=true", *overrides], capsys)


def test_a_folder_with_only_config_json_is_named(tmp_path, capsys):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "qwen2_5_vl"}))
    err = refused(["recipe=quickstart", f"model.path={tmp_path}", "dry_run=true"], capsys)
    assert "has config.json but no weights (*.safetensors or *.bin) and no tokenizer files" in err


def test_verl_ppo_dry_run_with_an_unreachable_hub_id_is_one_line(data, capsys):
    args = ["recipe=medvqa_grpo_qwen2_5_vl_7b", "algorithm=ppo", "dry_run=true", *data_overrides(data)]
    err = refused(args, capsys)
    assert f"verl could not build its config from model.path '{HUB_ID}'" in err
    assert len(err.strip().splitlines()) <= 3


def test_verl_without_gpus_says_what_to_do(data, capsys):
    args = [
        "recipe=medvqa_grpo_qwen2_5_vl_7b",
        "cluster.n_gpus_per_node=0",
        "dry_run=true",
        *data_overrides(data),
    ]
    err = refused(args, capsys)
    assert "backend=verl trains on GPUs" in err and "cluster.n_gpus_per_node" in err
    assert "ZeroDivisionError" not in err


def test_an_unreachable_cluster_is_exit_3_within_seconds(tmp_path, capsys):
    address = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    err = refused(
        ["recipe=quickstart", f"cluster.address={address}", f"trainer.output_dir={tmp_path}"], capsys, code=3
    )
    assert f"cannot reach the Ray cluster at {address}" in err
    assert time.monotonic() - started < 60
