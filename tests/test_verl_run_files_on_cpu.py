"""verl runs keep their files where the user looks: metrics rows survive a resume (logger appends)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("verl")

from verl.utils import tracking  # noqa: E402

from rlvr.backends.verl_runner import FILE_LOGGER_ENV, AppendingFileLogger, append_file_logs  # noqa: E402


def test_resumed_verl_run_appends_to_metrics_jsonl(tmp_path, monkeypatch):
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text(json.dumps({"step": 1, "data": {"critic/score/mean": 0.1}}) + "\n")
    monkeypatch.setenv(FILE_LOGGER_ENV, str(metrics))
    monkeypatch.setattr(tracking, "FileLogger", tracking.FileLogger)  # undone after the test
    append_file_logs()
    logger = tracking.Tracking("p", "e", default_backend=["file"])
    assert isinstance(logger.logger["file"], AppendingFileLogger)
    logger.log({"critic/score/mean": 0.2}, step=2)
    logger.finish()
    steps = [json.loads(line)["step"] for line in metrics.read_text().splitlines()]
    assert steps == [1, 2]
