"""verl's task runner with a file logger that appends, so a resumed verl run keeps its earlier rows of
``metrics.jsonl`` (verl's own ``FileLogger`` truncates the file when it opens it)."""

from __future__ import annotations

import os
from typing import Any

import ray
from verl.trainer.main_ppo import TaskRunnerV1
from verl.utils import tracking

FILE_LOGGER_ENV = "VERL_FILE_LOGGER_PATH"  # the verl backend always sets it to <output_dir>/metrics.jsonl


class AppendingFileLogger(tracking.FileLogger):
    """verl's ``FileLogger`` writing to ``$VERL_FILE_LOGGER_PATH`` in append mode."""

    def __init__(self, project_name: str, experiment_name: str):  # not super(): it would truncate the file
        self.project_name = project_name
        self.experiment_name = experiment_name
        self.filepath = os.environ[FILE_LOGGER_ENV]
        self.fp = open(self.filepath, "ab", buffering=0)  # closed by verl's finish()


def append_file_logs() -> None:
    """Make verl's tracking open its file logger in append mode in this process."""
    tracking.FileLogger = AppendingFileLogger


class _AppendingTaskRunner(TaskRunnerV1.__ray_actor_class__):
    def run(self, config: Any) -> Any:
        append_file_logs()
        return super().run(config)


AppendingTaskRunner = ray.remote(_AppendingTaskRunner)
