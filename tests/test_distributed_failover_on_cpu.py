"""Kill -9 of one FSDP policy worker mid-run: `rlvr train` stops with an error naming the rank and the last
complete checkpoint, and the same command resumes from it, here with a different number of workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from rlvr.backends.local.checkpoint import complete_checkpoints

REPO = Path(__file__).resolve().parents[1]
SMALL = [
    # the builder's default tiny sizes instead of the quickstart's wider model: the test is about recovery
    "model.tiny_overrides.hidden_size=128", "model.tiny_overrides.num_attention_heads=4",
    "model.tiny_overrides.num_key_value_heads=2", "model.tiny_overrides.intermediate_size=256",
    "model.tiny_overrides.vision_hidden_size=64", "model.tiny_overrides.vision_intermediate_size=128",
    "model.sft_warmup.steps=2", "data.synth.n=40", "data.max_response_length=6", "data.train_batch_size=2",
    "data.val_batch_size=4", "algorithm.ppo_mini_batch_size=2", "algorithm.ppo_micro_batch_size_per_gpu=2",
    "rollout.n=2", "trainer.test_freq=0", "trainer.save_freq=1", "trainer.max_actor_ckpt_to_keep=0",
]  # fmt: skip


def train(output_dir: Path, *overrides: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rlvr", "train", "recipe=quickstart", f"trainer.output_dir={output_dir}",
         *SMALL, *overrides],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "RAY_ADDRESS": ""}, start_new_session=True,
    )  # fmt: skip


def policy_workers(run: subprocess.Popen) -> list[psutil.Process]:
    """The run's policy actors: Ray titles an actor's worker process ``ray::PolicyWorker...``."""
    found = []
    for child in psutil.Process(run.pid).children(recursive=True):
        try:
            if "PolicyWorker" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def finish(run: subprocess.Popen, timeout: float) -> str:
    try:
        output, _ = run.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        output, _ = run.communicate()
        pytest.fail(f"rlvr train did not stop within {timeout:.0f} s after the kill:\n{output[-3000:]}")
    return output


def test_kill_9_of_a_policy_worker_stops_the_run_and_it_resumes_with_another_worker_count(tmp_path):
    # far more steps than the kill needs: it lands mid-run however fast the steps are
    run = train(tmp_path, "trainer.total_training_steps=40", "cluster.policy_workers=2")
    deadline = time.monotonic() + 1500
    while len(complete_checkpoints(tmp_path)) < 2:  # steps 1 and 2 are safe on disk
        assert run.poll() is None, f"the run ended early:\n{run.communicate()[0][-3000:]}"
        assert time.monotonic() < deadline, "no second checkpoint in time"
        time.sleep(0.5)
    victims = policy_workers(run)
    assert len(victims) == 2, [v.cmdline() for v in victims]
    victims[1].send_signal(signal.SIGKILL)

    output = finish(run, timeout=600)
    assert run.returncode != 0
    assert "rlvr train: error: policy worker rank" in output and "of 2 died during" in output, output[-3000:]
    last = complete_checkpoints(tmp_path)[-1]
    assert f"the last complete checkpoint is {last}" in output.replace("\n", "")
    assert "Run the same command again to resume" in output

    end = int(last.name.rsplit("_", 1)[-1]) + 2  # two more steps after the resume
    resumed = train(tmp_path, f"trainer.total_training_steps={end}", "cluster.policy_workers=1")
    output = finish(resumed, timeout=1500)
    assert resumed.returncode == 0, output[-3000:]
    assert f"resuming from {last}" in output.replace("\n", "")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["steps"] == end
    steps = [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert steps[-1] == end and sorted(set(steps)) == list(range(0, end + 1))
