"""`rlvr train` and `rlvr recipes` as users call them: dry runs, multirun, and every user-error path."""

from __future__ import annotations

import subprocess
import sys

import pytest
from recipe_fixtures import data_overrides, synth_parquet

from rlvr.cli import train
from rlvr.cli.main import main as rlvr


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return synth_parquet(tmp_path_factory.mktemp("data"))


def test_recipes_lists_one_name_a_line(capsys):
    assert rlvr(["recipes"]) == 0
    assert capsys.readouterr().out.split("\n")[:-1] == [
        "medqa_text_grpo_qwen2_5_7b",
        "medvqa_grpo_qwen2_5_vl_32b",
        "medvqa_grpo_qwen2_5_vl_7b",
        "quickstart",
    ]


def test_dry_run_prints_the_resolved_config_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        rlvr(["train", "recipe=quickstart", "dry_run=true", f"trainer.output_dir={out}", "rollout.n=4"]) == 0
    )
    printed = capsys.readouterr().out
    assert "recipe: quickstart" in printed and f"output_dir: {out}" in printed and "'n': 4" in printed
    assert "${" not in printed  # interpolations resolved
    assert not out.exists()


def test_verl_dry_run_prints_verls_validated_config(data, capsys):
    assert rlvr(["train", "recipe=medvqa_grpo_qwen2_5_vl_7b", "dry_run=true", *data_overrides(data)]) == 0
    printed = capsys.readouterr().out
    assert "passed verl.utils.config.validate_config" in printed
    assert "path: pkg://rewards.verl_adapter" in printed and str(data["train"]) in printed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["recipe=quickstart", "algorithm.kl_coeff=0.1"], "Did you mean: algorithm.kl_coef"),
        (["recipe=quickstrat"], "unknown recipe 'quickstrat'. Did you mean 'quickstart'?"),
        (["algorithm.kl_coef=0.1"], "give exactly one recipe=NAME (shipped: medqa_text_grpo_qwen2_5_7b"),
        (["recipe=quickstart", "--fast"], "unknown option(s) --fast"),
        (
            ["recipe=medvqa_grpo_qwen2_5_vl_7b", "data.train_files=[/nowhere/train.parquet]", "dry_run=true"],
            "data file '/nowhere/train.parquet' does not exist",
        ),
        (
            ["recipe=quickstart", "model.path=/nowhere/model", "model.tiny=false", "dry_run=true"],
            "model.path '/nowhere/model' does not exist",
        ),
    ],
)
def test_user_errors_exit_2_with_a_message_and_no_traceback(args, message, capsys):
    assert rlvr(["train", *args]) == train.EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_multirun_dry_run_validates_every_point_and_writes_nothing(tmp_path, capsys):
    args = [
        "recipe=quickstart",
        "-m",
        "algorithm.kl_coef=0,0.001,0.01",
        "rollout.n=4,8",
        "dry_run=true",
        f"trainer.output_dir={tmp_path}/sweep",
    ]
    assert rlvr(["train", *args]) == 0
    printed = capsys.readouterr().out
    assert printed.count("valid (local backend") == 6 and "nothing was trained or written" in printed
    assert "algorithm.kl_coef=0.01 rollout.n=4" in printed and f"{tmp_path}/sweep/multirun/5" in printed
    assert not (tmp_path / "sweep").exists()


def test_multirun_stops_before_training_when_one_point_is_bad(tmp_path, monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(train, "run_backend", lambda cfg: calls.append(cfg) or {})
    args = ["recipe=quickstart", "-m", "algorithm.ppo_mini_batch_size=8,3", f"trainer.output_dir={tmp_path}"]
    assert rlvr(["train", *args]) == train.EXIT_USER_ERROR
    assert calls == [] and "ppo_mini_batch_size (3)" in capsys.readouterr().err


def test_verl_sweep_with_a_job_server_plans_one_ray_job_per_point(data, capsys):
    args = [
        "recipe=medqa_text_grpo_qwen2_5_7b",
        "-m",
        "algorithm.kl_coef=0,0.01",
        "dry_run=true",
        "cluster.dashboard_address=http://head:8265",
        *data_overrides(data),
    ]
    assert rlvr(["train", *args]) == 0
    printed = capsys.readouterr().out
    assert printed.count("valid (verl backend, recipe checks + verl validate_config)") == 2
    assert "would submit one Ray job per point to http://head:8265" in printed
    jobs = [line for line in printed.splitlines() if " -m rlvr train " in line]
    assert len(jobs) == 2
    assert "algorithm.kl_coef=0.01" in jobs[1] and "multirun/1" in jobs[1]


def test_verl_run_without_gpus_says_so(data, tmp_path, capsys):
    args = ["recipe=medqa_text_grpo_qwen2_5_7b", *data_overrides(data), f"trainer.output_dir={tmp_path}"]
    assert rlvr(["train", *args]) == train.EXIT_CLUSTER_ERROR
    err = capsys.readouterr().err
    assert "the recipe needs 8 GPU in all (verl node 0: 8), the Ray cluster has 0" in err


def test_works_from_any_directory(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "rlvr", "train", "recipe=quickstart", "dry_run=true"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "recipe: quickstart" in done.stdout
