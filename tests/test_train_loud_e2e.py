"""`rlvr train` end to end on the tiny model, as a user runs it (a subprocess, output piped to a file):
verifier faults stop the run with exit 1, Ctrl-C saves and exits 130, a changed config is refused on
resume, and the console stays plain."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = textwrap.dedent(
    """
    from rewards import register_verifier


    @register_verifier("always_crashes")
    def always_crashes(answer, ground_truth, extra_info):
        raise ZeroDivisionError("the verifier divided by zero")
    """
)
FAST = [
    "recipe=quickstart", "model.sft_warmup.steps=0", "data.synth.n=24", "data.train_batch_size=2",
    "data.val_batch_size=8", "data.max_response_length=2", "algorithm.ppo_mini_batch_size=2", "rollout.n=2",
    "trainer.val_before_train=false", "trainer.test_freq=1",
]  # fmt: skip


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    (tmp_path / "loud_train_plugin.py").write_text(PLUGIN)
    return {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}", "RAY_ADDRESS": ""}


def train(args: list[str], env: dict[str, str], timeout: int = 400) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rlvr", "train", *args], cwd=env["PYTHONPATH"].split(os.pathsep)[0], env=env,
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def test_a_crashing_verifier_stops_the_run_naming_it_with_exit_1(env, tmp_path):
    out = tmp_path / "run"
    args = [*FAST, f"trainer.output_dir={out}", "trainer.total_steps=2",
            "reward.imports=[loud_train_plugin]", "reward.custom_verifier=always_crashes"]  # fmt: skip
    done = train(args, env)
    assert done.returncode == 1, done.stderr[-3000:]
    error = next(line for line in done.stderr.splitlines() if line.startswith("rlvr train: run failed"))
    assert "verifier 'always_crashes' raised ZeroDivisionError: the verifier divided by zero" in error
    assert "train.parquet:row " in error and "reward.max_error_rate=0.01" in error
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stopped"].startswith("TooManyFaults")


def test_tolerated_faults_are_counted_per_step_not_scored_as_wrong(env, tmp_path):
    out = tmp_path / "run"
    args = [
        *FAST,
        f"trainer.output_dir={out}",
        "trainer.total_steps=1",
        "reward.max_error_rate=1.0",
        "reward.imports=[loud_train_plugin]",
        "reward.custom_verifier=always_crashes",
        "reward.num_workers=2",
    ]  # fmt: skip  (a Ray task's process pool imports the plugin too)
    done = train(args, env)
    assert done.returncode == 0, done.stderr[-3000:]
    [row] = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    # every response with an answer to judge (a tiny random model gives most of them one) faulted
    assert 1 <= row["reward/errors"] <= 4 and row["reward/timeouts"] == 0  # 2 prompts x 2 responses
    assert "val/reward_errors" in row and "val/reward_timeouts" in row  # counted in validation too
    step_line = next(line for line in done.stdout.splitlines() if line.startswith("step 1:"))
    assert f"reward/errors={row['reward/errors']:.4g}" in step_line
    assert "train/acc=" in step_line and "val/acc=" in step_line
    assert " acc=" not in step_line  # train and validation accuracy have their own names
    assert "\r" not in done.stdout + done.stderr and "\x1b[" not in done.stdout + done.stderr


def test_interrupt_saves_and_exits_130_then_a_changed_config_is_refused(env, tmp_path):
    out = tmp_path / "run"
    args = [*FAST, f"trainer.output_dir={out}", "trainer.total_steps=200"]
    process = subprocess.Popen(
        [sys.executable, "-m", "rlvr", "train", *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while not (out / "metrics.jsonl").is_file() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr[-3000:]
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert (
        last.startswith("rlvr train: interrupted: stopped after step") and "Resume with: rlvr train" in last
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stopped"].startswith("RunInterrupted") and summary["final_checkpoint"]
    assert (out / "config.yaml").is_file()

    changed = train([*args, "algorithm.lr=0.5"], env, timeout=120)
    assert changed.returncode == 2
    assert "algorithm.lr: 0.0002 -> 0.5" in changed.stderr and "trainer.resume=force" in changed.stderr
