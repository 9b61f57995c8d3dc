"""Suite-wide settings: offline hub, GPU tests skipped without CUDA, vLLM tests without vLLM, CI-friendly
hypothesis."""

from __future__ import annotations

import importlib.util
import os

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("WANDB_MODE", "disabled")

# Property tests bound their own time explicitly; the shared 2-core CI box must not make them flaky.
settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _has_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skips = {}
    if not _has_cuda():
        skips["gpu"] = pytest.mark.skip(reason="needs a CUDA GPU")
    if importlib.util.find_spec("vllm") is None:
        skips["vllm"] = pytest.mark.skip(
            reason="needs vLLM: `make test-vllm` builds .venv-vllm and runs these"
        )
    for item in items:
        for marker, skip in skips.items():
            if marker in item.keywords:
                item.add_marker(skip)
