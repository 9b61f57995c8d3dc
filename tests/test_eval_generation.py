"""Generation: finish reasons from the rollout worker, and a real run killed mid-way that resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import torch

from rlvr.eval.generation import LENGTH, PROMPT_TOO_LONG, STOP, RolloutGenerator

ROOT = Path(__file__).resolve().parents[1]


class FakeWorker:
    """Stands in for RolloutWorker: fixed token ids per row (EOS = 2), texts echo the row's tag."""

    engine = "fake"
    eos_ids = {2}

    def __init__(self):
        self.calls = []

    def generate(self, rows, sampling, seed):
        self.calls.append((len(rows), sampling.greedy, sampling.max_new_tokens, seed))
        ids = torch.tensor([[5, 6, 2, 0], [5, 6, 7, 8]])[: len(rows)]
        mask = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]], dtype=torch.float32)[: len(rows)]
        return SimpleNamespace(response_ids=ids, response_mask=mask, texts=[r["tag"] for r in rows])


class FixedLengths(RolloutGenerator):
    def prompt_lengths(self, rows):
        return [row["length"] for row in rows]


def test_finish_reasons_and_overlong_prompts_get_no_generation():
    worker = FakeWorker()
    generator = FixedLengths(worker, max_prompt_length=100)
    rows = [{"tag": "a", "length": 10}, {"tag": "long", "length": 500}, {"tag": "b", "length": 20}]
    out = generator.generate(rows, max_new_tokens=4, seed=7)
    assert [g.finish_reason for g in out] == [STOP, PROMPT_TOO_LONG, LENGTH]
    assert [g.text for g in out] == ["a", "", "b"] and [g.tokens for g in out] == [3, 0, 4]
    assert worker.calls == [(2, True, 4, 7)]  # greedy, one call for the rows that fit


def _lines(path: Path) -> list[str]:
    """Complete lines only: a line cut by the kill is not yet a prediction."""
    text = path.read_text() if path.is_file() else ""
    return text[: text.rfind("\n") + 1].splitlines()


def test_a_killed_run_resumes_without_scoring_a_row_twice(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "rlvr", "eval", "model=tiny", "suite=synth", "synth.rows=24",
               "synth.tasks=[presence]", "batch_size=2", "max_new_tokens=6", f"output_dir={out}"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    predictions = out / "synth" / "predictions.jsonl"
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 240
    while len(_lines(predictions)) < 4 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = _lines(predictions)
    assert 4 <= len(before) < 24, "the run was not killed mid-way"
    finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    after = _lines(predictions)
    ids = [json.loads(line)["id"] for line in after]
    assert len(ids) == len(set(ids)) == 24
    assert after[: len(before)] == before  # append-only: what was written stays as it was
    metrics = json.loads((out / "synth" / "metrics.json").read_text())
    assert metrics["n"] == 24 and (out / "table.md").is_file()
